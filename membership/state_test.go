package membership

import (
	"errors"
	"maps"
	"testing"

	"hush/ids"
	"hush/policy"
)

func TestCreate(t *testing.T) {
	c := newCast(t)
	l := c.group(t, policy.KindGroup)
	want := map[ids.Account]policy.Role{c.owner.id(): policy.RoleOwner, c.admin.id(): policy.RoleAdmin, c.member.id(): policy.RoleMember}
	if !maps.Equal(l.state.Members, want) || l.state.Title != th("Book club") || l.state.TitleBy != l.recs[0].Hash || l.state.Kind != policy.KindGroup || l.state.Len != 1 {
		t.Fatalf("state after create = %+v", l.state)
	}
	if l.state.HeadOp != OpCreate || l.state.Head != l.recs[0].Hash || l.state.LastKeyChange() != 0 {
		t.Errorf("head = %v %v, key change %d", l.state.HeadOp, l.state.Head, l.state.LastKeyChange())
	}
	if _, ok := l.state.LastRemoval(); ok {
		t.Error("a new chat has a removal")
	}

	// Whoever signs the first record must be the owner it names.
	l2 := newLog(t)
	if err := l2.try(c.stranger, create(policy.KindGroup, "Book club", c.owner, policy.RoleOwner, c.stranger, policy.RoleMember)); !errors.Is(err, ErrNotAllowed) {
		t.Errorf("create signed by a member it names: %v, want ErrNotAllowed", err)
	}
	if err := l2.try(c.stranger, create(policy.KindGroup, "Book club", c.owner, policy.RoleOwner)); !errors.Is(err, ErrNotAllowed) {
		t.Errorf("create signed by someone it does not name: %v, want ErrNotAllowed", err)
	}
}

func TestDirectChatsNeverChange(t *testing.T) {
	c := newCast(t)
	l := newLog(t)
	l.add(c.owner, create(policy.KindDirect, "", c.owner, policy.RoleOwner, c.member, policy.RoleMember))
	for _, tt := range []struct {
		name string
		by   *person
		c    Change
	}{
		{"add", c.owner, Change{Op: OpAdd, Members: members(c.other, policy.RoleMember)}},
		{"remove", c.owner, Change{Op: OpRemove, Accounts: []ids.Account{c.member.id()}}},
		{"leave", c.member, Change{Op: OpLeave}},
		{"role", c.owner, Change{Op: OpSetRole, Members: members(c.member, policy.RoleAdmin)}},
		{"title", c.owner, Change{Op: OpTitle, Title: th("us")}},
	} {
		if err := l.try(tt.by, tt.c); !errors.Is(err, ErrNotAllowed) {
			t.Errorf("%s in a 1:1 chat: %v, want ErrNotAllowed", tt.name, err)
		}
	}
	for _, bad := range []Change{
		create(policy.KindDirect, "", c.owner, policy.RoleOwner),
		create(policy.KindDirect, "", c.owner, policy.RoleOwner, c.member, policy.RoleMember, c.other, policy.RoleMember),
		create(policy.KindDirect, "title", c.owner, policy.RoleOwner, c.member, policy.RoleMember),
	} {
		if _, err := newLog(t).sign(c.owner, bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("1:1 chat of %d members, title %v: %v, want ErrMalformed", len(bad.Members), bad.Title, err)
		}
	}
}

// TestPolicy runs every op by every role against package policy's rules, in a group
// and in a channel.
func TestPolicy(t *testing.T) {
	c := newCast(t)
	type op struct {
		name string
		by   func(cast) *person
		c    func(cast) Change
	}
	owner := func(c cast) *person { return c.owner }
	admin := func(c cast) *person { return c.admin }
	member := func(c cast) *person { return c.member }
	stranger := func(c cast) *person { return c.stranger }
	ops := []struct {
		op
		group, channel bool // allowed
	}{
		{op{"owner adds a member", owner, func(c cast) Change { return Change{Op: OpAdd, Members: members(c.other, policy.RoleMember)} }}, true, true},
		{op{"owner adds an admin", owner, func(c cast) Change { return Change{Op: OpAdd, Members: members(c.other, policy.RoleAdmin)} }}, true, true},
		{op{"admin adds a member", admin, func(c cast) Change { return Change{Op: OpAdd, Members: members(c.other, policy.RoleMember)} }}, true, true},
		{op{"admin adds an admin", admin, func(c cast) Change { return Change{Op: OpAdd, Members: members(c.other, policy.RoleAdmin)} }}, false, false},
		{op{"member adds", member, func(c cast) Change { return Change{Op: OpAdd, Members: members(c.other, policy.RoleMember)} }}, false, false},
		{op{"stranger adds itself", stranger, func(c cast) Change { return Change{Op: OpAdd, Members: members(c.stranger, policy.RoleMember)} }}, false, false},
		{op{"owner adds a member twice", owner, func(c cast) Change { return Change{Op: OpAdd, Members: members(c.member, policy.RoleMember)} }}, false, false},
		{op{"owner removes the admin", owner, func(c cast) Change { return Change{Op: OpRemove, Accounts: []ids.Account{c.admin.id()}} }}, true, true},
		{op{"admin removes a member", admin, func(c cast) Change { return Change{Op: OpRemove, Accounts: []ids.Account{c.member.id()}} }}, true, true},
		{op{"admin removes the owner", admin, func(c cast) Change { return Change{Op: OpRemove, Accounts: []ids.Account{c.owner.id()}} }}, false, false},
		{op{"member removes a member", member, func(c cast) Change { return Change{Op: OpRemove, Accounts: []ids.Account{c.admin.id()}} }}, false, false},
		{op{"owner removes a non-member", owner, func(c cast) Change { return Change{Op: OpRemove, Accounts: []ids.Account{c.other.id()}} }}, false, false},
		{op{"owner removes itself", owner, func(c cast) Change { return Change{Op: OpRemove, Accounts: []ids.Account{c.owner.id()}} }}, false, false},
		{op{"member leaves", member, func(c cast) Change { return Change{Op: OpLeave} }}, true, true},
		{op{"owner leaves", owner, func(c cast) Change { return Change{Op: OpLeave} }}, true, true},
		{op{"stranger leaves", stranger, func(c cast) Change { return Change{Op: OpLeave} }}, false, false},
		{op{"owner makes the member admin", owner, func(c cast) Change { return Change{Op: OpSetRole, Members: members(c.member, policy.RoleAdmin)} }}, true, true},
		{op{"admin makes the member admin", admin, func(c cast) Change { return Change{Op: OpSetRole, Members: members(c.member, policy.RoleAdmin)} }}, false, false},
		{op{"admin demotes itself", admin, func(c cast) Change { return Change{Op: OpSetRole, Members: members(c.admin, policy.RoleMember)} }}, false, false},
		{op{"owner sets a non-member's role", owner, func(c cast) Change { return Change{Op: OpSetRole, Members: members(c.other, policy.RoleAdmin)} }}, false, false},
		{op{"admin renames", admin, func(c cast) Change { return Change{Op: OpTitle, Title: th("Reading group")} }}, true, true},
		{op{"member renames", member, func(c cast) Change { return Change{Op: OpTitle, Title: th("Reading group")} }}, false, false},
	}
	for _, kind := range []policy.ChatKind{policy.KindGroup, policy.KindChannel} {
		for _, o := range ops {
			t.Run(kind.String()+"/"+o.name, func(t *testing.T) {
				l := c.group(t, kind)
				before := l.state.Clone()
				err := l.try(o.by(c), o.c(c))
				want := o.group
				if kind == policy.KindChannel {
					want = o.channel
				}
				switch {
				case want && err != nil:
					t.Fatalf("refused: %v", err)
				case !want && !errors.Is(err, ErrNotAllowed):
					t.Fatalf("got %v, want ErrNotAllowed", err)
				case !want && (!maps.Equal(before.Members, l.state.Members) || before.Len != l.state.Len):
					t.Fatal("a refused record changed the state")
				}
			})
		}
	}
}

func TestRemovalAndKeyChange(t *testing.T) {
	c := newCast(t)
	l := c.group(t, policy.KindGroup)
	l.add(c.owner, Change{Op: OpAdd, Members: members(c.other, policy.RoleMember)})
	if l.state.LastKeyChange() != 1 || l.state.HeadOp != OpAdd {
		t.Fatalf("after add: key change %d, head %v", l.state.LastKeyChange(), l.state.HeadOp)
	}
	l.add(c.admin, Change{Op: OpRemove, Accounts: []ids.Account{c.other.id()}})
	if seq, ok := l.state.LastRemoval(); !ok || seq != 2 {
		t.Fatalf("removal at %d, %v; want 2", seq, ok)
	}
	// After a removal any group member may sign the next epoch; after a title
	// change, only the owner and admins.
	if !l.state.MaySignEpoch(c.member.id()) || l.state.MaySignEpoch(c.other.id()) {
		t.Error("after a removal: a member may not sign, or the removed one may")
	}
	l.add(c.admin, Change{Op: OpTitle, Title: th("Readers")})
	if l.state.MaySignEpoch(c.member.id()) || !l.state.MaySignEpoch(c.admin.id()) {
		t.Error("after a title: a member may sign, or an admin may not")
	}
	if l.state.LastKeyChange() != 2 {
		t.Errorf("a title changed keys: %d", l.state.LastKeyChange())
	}
	l.add(c.member, Change{Op: OpLeave})
	if seq, _ := l.state.LastRemoval(); seq != 4 || l.state.Role(c.member.id()) != 0 {
		t.Errorf("after leave: removal %d, member's role %v", seq, l.state.Role(c.member.id()))
	}
}

func TestChannelSubscribersNeverSignEpochs(t *testing.T) {
	c := newCast(t)
	l := c.group(t, policy.KindChannel)
	l.add(c.owner, Change{Op: OpRemove, Accounts: []ids.Account{c.admin.id()}})
	if l.state.MaySignEpoch(c.member.id()) {
		t.Error("a subscriber may sign an epoch after a removal")
	}
	if !l.state.MaySignEpoch(c.owner.id()) {
		t.Error("the owner may not sign")
	}
}

func TestChain(t *testing.T) {
	c := newCast(t)
	l := c.group(t, policy.KindGroup)
	l.add(c.owner, Change{Op: OpAdd, Members: members(c.other, policy.RoleMember)})
	head := l.state.Clone()
	add := Change{Op: OpTitle, Title: th("Readers")}
	for _, tt := range []struct {
		name string
		sign func() (*Record, error)
	}{
		{"position taken", func() (*Record, error) { return c.owner.signer.Sign(l.chat, 1, l.recs[0].Hash, l.clock, add) }},
		{"position skipped", func() (*Record, error) { return c.owner.signer.Sign(l.chat, 3, l.state.Head, l.clock, add) }},
		{"wrong predecessor", func() (*Record, error) { return c.owner.signer.Sign(l.chat, 2, l.recs[0].Hash, l.clock, add) }},
		{"another chat", func() (*Record, error) {
			return c.owner.signer.Sign(ids.Chat{9}, 2, l.state.Head, l.clock, add)
		}},
	} {
		r, err := tt.sign()
		if err != nil {
			t.Fatalf("%s: sign: %v", tt.name, err)
		}
		if err := l.state.Apply(r); !errors.Is(err, ErrBrokenChain) {
			t.Errorf("%s: %v, want ErrBrokenChain", tt.name, err)
		}
		if l.state.Len != head.Len || l.state.Head != head.Head {
			t.Fatalf("%s: a refused record moved the head", tt.name)
		}
	}
}

func TestReplay(t *testing.T) {
	c := newCast(t)
	l := c.group(t, policy.KindGroup)
	l.add(c.owner, Change{Op: OpAdd, Members: members(c.other, policy.RoleMember)})
	l.add(c.owner, Change{Op: OpSetRole, Members: members(c.other, policy.RoleAdmin)})
	l.add(c.other, Change{Op: OpRemove, Accounts: []ids.Account{c.member.id()}})
	got, err := Replay(l.raws(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(got.Members, l.state.Members) || got.Head != l.state.Head || got.Len != 4 {
		t.Fatalf("replay = %+v, want %+v", got, l.state)
	}
	// A log missing a record breaks at the gap, with the state before it.
	raws := l.raws()
	partial, err := Replay(append(raws[:2:2], raws[3]), nil)
	if !errors.Is(err, ErrBrokenChain) || partial.Len != 2 {
		t.Errorf("replay with a gap: len %d, %v", partial.Len, err)
	}
}

func TestFork(t *testing.T) {
	c := newCast(t)
	l := c.group(t, policy.KindGroup)
	a, err := l.sign(c.owner, Change{Op: OpTitle, Title: th("A")})
	if err != nil {
		t.Fatal(err)
	}
	b, err := l.sign(c.owner, Change{Op: OpTitle, Title: th("B")})
	if err != nil {
		t.Fatal(err)
	}
	if err := Fork(a, a); err != nil {
		t.Errorf("a record forks from itself: %v", err)
	}
	if err := Fork(a, b); !errors.Is(err, ErrFork) {
		t.Errorf("two records at one position: %v, want ErrFork", err)
	}
}
