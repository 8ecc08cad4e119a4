package relaytest

import (
	"testing"
	"time"

	"hush/ids"
	"hush/membership"
	"hush/policy"
	"hush/sync/wire"
)

// ChatLog follows a chat's membership log in a test, as a client would, so that
// requests can carry the next signed record (docs/SECURITY.md, "Membership log").
type ChatLog struct {
	state membership.State
	clock time.Time
}

// Member is an account of d with a role, for [NewChat] and changes.
func Member(d *Device, r policy.Role) membership.Member {
	return membership.Member{Account: d.AccountID(), Role: r}
}

// Signer returns d as a signer of membership records.
func Signer(t testing.TB, d *Device) *membership.Signer {
	t.Helper()
	s, err := membership.NewSigner(d.Key, d.Cert)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// NewChat signs the first record of a new chat of kind, created by owner with the
// given other members, and returns the log with the request that creates the chat.
// A group or channel gets title (a default when empty); a direct chat none.
func NewChat(t testing.TB, owner *Device, kind policy.ChatKind, title string, others ...membership.Member) (*ChatLog, *wire.CreateChat) {
	t.Helper()
	if title == "" && kind != policy.KindDirect {
		title = "Test chat"
	}
	members := append([]membership.Member{Member(owner, policy.RoleOwner)}, others...)
	l := &ChatLog{clock: time.UnixMilli(1_700_000_000_000)}
	id := ids.New[ids.Chat]()
	change := membership.Change{Op: membership.OpCreate, Kind: kind, Members: members}
	if title != "" {
		change.Title = Title(id, title)
	}
	rec := l.sign(t, id, owner, change)
	if err := l.state.Apply(rec); err != nil {
		t.Fatalf("create: %v", err)
	}
	return l, &wire.CreateChat{Record: rec.Raw}
}

// ID is the chat's id.
func (l *ChatLog) ID() ids.Chat { return l.state.Chat }

// Len is the number of records of the log as the test follows it.
func (l *ChatLog) Len() uint64 { return l.state.Len }

// State is the chat as the log says.
func (l *ChatLog) State() membership.State { return l.state.Clone() }

// Next signs change by by as the next record, applies it to the log and returns the
// request that appends it; the test fails if members would refuse the record.
func (l *ChatLog) Next(t testing.TB, by *Device, change membership.Change) *wire.AppendLog {
	t.Helper()
	rec := l.sign(t, l.state.Chat, by, change)
	if err := l.state.Apply(rec); err != nil {
		t.Fatalf("%v by %v: %v", change.Op, by.AccountID(), err)
	}
	return &wire.AppendLog{ChatID: l.state.Chat, Record: rec.Raw}
}

// Try signs change by by as the next record without applying it: for records the
// relay must refuse.
func (l *ChatLog) Try(t testing.TB, by *Device, change membership.Change) *wire.AppendLog {
	t.Helper()
	rec := l.sign(t, l.state.Chat, by, change)
	return &wire.AppendLog{ChatID: l.state.Chat, Record: rec.Raw}
}

func (l *ChatLog) sign(t testing.TB, chat ids.Chat, by *Device, change membership.Change) *membership.Record {
	t.Helper()
	l.clock = l.clock.Add(time.Second)
	rec, err := Signer(t, by).Sign(chat, l.state.Len, l.state.Head, l.clock, change)
	if err != nil {
		t.Fatalf("sign %v: %v", change.Op, err)
	}
	return rec
}

// Add is the change that adds accounts as members.
func Add(ds ...*Device) membership.Change {
	c := membership.Change{Op: membership.OpAdd}
	for _, d := range ds {
		c.Members = append(c.Members, Member(d, policy.RoleMember))
	}
	return c
}

// Remove is the change that removes accounts.
func Remove(ds ...*Device) membership.Change {
	c := membership.Change{Op: membership.OpRemove}
	for _, d := range ds {
		c.Accounts = append(c.Accounts, d.AccountID())
	}
	return c
}

// Leave is the change by which the signer leaves.
func Leave() membership.Change { return membership.Change{Op: membership.OpLeave} }

// Title is the commitment of title in chat that records carry, with a fixed salt
// (tests only need it to be the same each time).
func Title(chat ids.Chat, title string) membership.Hash {
	return membership.TitleCommitment(chat, [membership.TitleSaltSize]byte{1}, title)
}
