package policy

import (
	"errors"
	"strings"
	"testing"
)

func TestNumbering(t *testing.T) {
	// These numbers are stored in vaults and sent on the wire: they never change.
	for _, c := range []struct {
		got, want uint8
		name      string
	}{
		{uint8(KindDirect), 1, "direct"}, {uint8(KindGroup), 2, "group"}, {uint8(KindChannel), 3, "channel"}, {uint8(KindSecret), 4, "secret"},
		{uint8(RoleOwner), 1, "owner"}, {uint8(RoleAdmin), 2, "admin"}, {uint8(RoleMember), 3, "member"},
		{uint8(StatusPending), 1, "pending"}, {uint8(StatusSent), 2, "sent"}, {uint8(StatusDelivered), 3, "delivered"},
		{uint8(StatusRead), 4, "read"}, {uint8(StatusFailed), 5, "failed"},
	} {
		if c.got != c.want {
			t.Errorf("%s = %d, want %d", c.name, c.got, c.want)
		}
	}
	if KindSecret.Cloud() || !KindChannel.Cloud() || ChatKind(0).Valid() || ChatKind(5).Valid() {
		t.Error("kind ranges are wrong")
	}
	for _, r := range []Role{RoleOwner, RoleAdmin, RoleMember} {
		if p, ok := ParseRole(r.String()); !ok || p != r {
			t.Errorf("ParseRole(%q) = %v, %v", r, p, ok)
		}
	}
	if _, ok := ParseRole("boss"); ok {
		t.Error("ParseRole accepted an unknown role")
	}
}

func TestCanPost(t *testing.T) {
	for _, c := range []struct {
		k    ChatKind
		r    Role
		want bool
	}{
		{KindDirect, RoleMember, true},
		{KindGroup, RoleMember, true},
		{KindGroup, RoleOwner, true},
		{KindChannel, RoleMember, false},
		{KindChannel, RoleAdmin, true},
		{KindChannel, RoleOwner, true},
		{KindGroup, 0, false},
		{KindDirect, 0, false},
	} {
		if got := CanPost(c.k, c.r); got != c.want {
			t.Errorf("CanPost(%v, %v) = %v, want %v", c.k, c.r, got, c.want)
		}
	}
}

func TestCanSetMember(t *testing.T) {
	for _, c := range []struct {
		k                    ChatKind
		actor, current, next Role
		self, want           bool
	}{
		{KindGroup, RoleOwner, 0, RoleMember, false, true},
		{KindGroup, RoleOwner, RoleMember, RoleAdmin, false, true},
		{KindGroup, RoleOwner, RoleAdmin, RoleMember, false, true},
		{KindGroup, RoleOwner, RoleMember, RoleOwner, false, false}, // one owner
		{KindGroup, RoleOwner, RoleOwner, RoleAdmin, true, false},   // not one's own role
		{KindGroup, RoleAdmin, 0, RoleMember, false, true},          // admins add members
		{KindGroup, RoleAdmin, 0, RoleAdmin, false, false},          // but not admins
		{KindGroup, RoleAdmin, RoleMember, RoleAdmin, false, false}, // nor promote
		{KindGroup, RoleMember, 0, RoleMember, false, false},
		{KindChannel, RoleAdmin, 0, RoleMember, false, true},
		{KindDirect, RoleOwner, 0, RoleMember, false, false},
	} {
		if got := CanSetMember(c.k, c.actor, c.current, c.next, c.self); got != c.want {
			t.Errorf("CanSetMember(%v, actor %v, %v → %v, self %v) = %v, want %v", c.k, c.actor, c.current, c.next, c.self, got, c.want)
		}
	}
}

func TestCanRemove(t *testing.T) {
	for _, c := range []struct {
		k             ChatKind
		actor, target Role
		self, want    bool
	}{
		{KindGroup, RoleMember, RoleMember, true, true}, // leaving
		{KindChannel, RoleMember, RoleMember, true, true},
		{KindDirect, RoleMember, RoleMember, true, false},
		{KindGroup, RoleOwner, RoleAdmin, false, true},
		{KindGroup, RoleAdmin, RoleMember, false, true},
		{KindGroup, RoleAdmin, RoleAdmin, false, false},
		{KindGroup, RoleAdmin, RoleOwner, false, false},
		{KindGroup, RoleMember, RoleMember, false, false},
	} {
		if got := CanRemove(c.k, c.actor, c.target, c.self); got != c.want {
			t.Errorf("CanRemove(%v, actor %v, target %v, self %v) = %v, want %v", c.k, c.actor, c.target, c.self, got, c.want)
		}
	}
}

func TestCanSignEpoch(t *testing.T) {
	for _, c := range []struct {
		k    ChatKind
		r    Role
		due  bool
		want bool
	}{
		{KindDirect, RoleMember, false, true},
		{KindGroup, RoleAdmin, false, true},
		{KindGroup, RoleMember, false, false},
		{KindGroup, RoleMember, true, true},
		{KindChannel, RoleMember, false, false},
		{KindChannel, RoleMember, true, false}, // subscribers never sign
		{KindChannel, RoleAdmin, false, true},
		{KindChannel, RoleOwner, true, true},
		{KindGroup, 0, true, false},
		{KindSecret, RoleOwner, true, false},
	} {
		if got := CanSignEpoch(c.k, c.r, c.due); got != c.want {
			t.Errorf("CanSignEpoch(%v, %v, due %v) = %v, want %v", c.k, c.r, c.due, got, c.want)
		}
	}
}

func TestCheckTitle(t *testing.T) {
	for _, c := range []struct {
		title string
		want  error
	}{
		{"Book club", nil},
		{strings.Repeat("t", MaxTitleBytes), nil},
		{strings.Repeat("题", MaxTitleBytes/3), nil},
		{"", ErrInvalidTitle},
		{strings.Repeat("t", MaxTitleBytes+1), ErrTitleTooLong},
		{"two\nlines", ErrInvalidTitle},
		{"tab\there", ErrInvalidTitle},
		{"del\x7f", ErrInvalidTitle},
		{"\xff\xfe", ErrInvalidTitle},
	} {
		if err := CheckTitle(c.title); !errors.Is(err, c.want) || (c.want == nil) != (err == nil) {
			t.Errorf("CheckTitle(%q) = %v, want %v", c.title, err, c.want)
		}
	}
}

func TestAdvance(t *testing.T) {
	P, S, D, R, F := StatusPending, StatusSent, StatusDelivered, StatusRead, StatusFailed
	for _, c := range []struct{ cur, in, want Status }{
		{P, S, S}, {S, D, D}, {D, R, R}, {P, R, R},
		{R, S, R}, {D, S, D}, {S, P, S}, // never backwards
		{P, F, F}, {S, F, S}, {R, F, R}, // fails only while pending
		{F, P, F}, {F, S, S}, {F, R, R}, // a failed message the relay did take moves on
		{0, S, S}, {S, 0, S}, {S, 9, S},
	} {
		if got := Advance(c.cur, c.in); got != c.want {
			t.Errorf("Advance(%v, %v) = %v, want %v", c.cur, c.in, got, c.want)
		}
	}
}
