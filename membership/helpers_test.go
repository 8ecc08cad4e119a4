package membership

import (
	"bytes"
	"testing"
	"time"

	"hush/identity"
	"hush/ids"
	"hush/policy"
)

// person is an account with one device that signs records.
type person struct {
	name    string
	account *identity.AccountKey
	signer  *Signer
}

func (p *person) id() ids.Account { return p.account.ID() }

// seeded returns a person whose keys come from fixed seeds, so that what it signs is
// the same in every run (Ed25519 is deterministic).
func seeded(t testing.TB, name string, seed byte) *person {
	t.Helper()
	s := func(b byte) []byte { return bytes.Repeat([]byte{b}, identity.SeedSize) }
	acct, err := identity.AccountKeyFromSeeds(s(seed), s(seed+1), nil)
	if err != nil {
		t.Fatal(err)
	}
	dev, err := identity.DeviceKeyFromSeeds(s(seed+2), s(seed+3))
	if err != nil {
		t.Fatal(err)
	}
	cert, err := identity.IssueCertificate(acct, dev.Public(), time.Unix(1_700_000_000, 0))
	if err != nil {
		t.Fatal(err)
	}
	signer, err := NewSigner(dev, cert)
	if err != nil {
		t.Fatal(err)
	}
	return &person{name: name, account: acct, signer: signer}
}

// chatLog builds a log record by record, applying each to its state as a client
// would.
type chatLog struct {
	t     testing.TB
	chat  ids.Chat
	state State
	recs  []*Record
	clock time.Time
}

func newLog(t testing.TB) *chatLog {
	return &chatLog{t: t, chat: ids.Chat{0x40, 0x41, 0x42}, clock: time.UnixMilli(1_700_000_000_000)}
}

// sign makes p's record of c at the head of the log, without applying it.
func (l *chatLog) sign(p *person, c Change) (*Record, error) {
	l.clock = l.clock.Add(time.Second)
	return p.signer.Sign(l.chat, l.state.Len, l.state.Head, l.clock, c)
}

// add signs and applies, failing the test on any error.
func (l *chatLog) add(p *person, c Change) *Record {
	l.t.Helper()
	r, err := l.sign(p, c)
	if err != nil {
		l.t.Fatalf("%s signs %v: %v", p.name, c.Op, err)
	}
	if err := l.state.Apply(r); err != nil {
		l.t.Fatalf("apply %s's %v: %v", p.name, c.Op, err)
	}
	l.recs = append(l.recs, r)
	return r
}

// try signs and applies, returning the error of Apply.
func (l *chatLog) try(p *person, c Change) error {
	l.t.Helper()
	r, err := l.sign(p, c)
	if err != nil {
		return err
	}
	if err := l.state.Apply(r); err != nil {
		return err
	}
	l.recs = append(l.recs, r)
	return nil
}

func (l *chatLog) raws() [][]byte {
	out := make([][]byte, len(l.recs))
	for i, r := range l.recs {
		out[i] = r.Raw
	}
	return out
}

func members(ms ...any) []Member {
	var out []Member
	for i := 0; i < len(ms); i += 2 {
		out = append(out, Member{Account: ms[i].(*person).id(), Role: ms[i+1].(policy.Role)})
	}
	return out
}

func create(kind policy.ChatKind, title string, ms ...any) Change {
	c := Change{Op: OpCreate, Kind: kind, Members: members(ms...)}
	if title != "" {
		c.Title = th(title)
	}
	return c
}

// th is the commitment of title in the tests' chat, with a fixed salt.
func th(title string) Hash {
	return TitleCommitment(ids.Chat{0x40, 0x41, 0x42}, [TitleSaltSize]byte{7}, title)
}

// cast is the people of the tests.
type cast struct{ owner, admin, member, other, stranger *person }

func newCast(t testing.TB) cast {
	return cast{
		owner:    seeded(t, "owner", 0x10),
		admin:    seeded(t, "admin", 0x20),
		member:   seeded(t, "member", 0x30),
		other:    seeded(t, "other", 0x40),
		stranger: seeded(t, "stranger", 0x50),
	}
}

// group starts a group of owner, admin and member.
func (c cast) group(t testing.TB, kind policy.ChatKind) *chatLog {
	l := newLog(t)
	l.add(c.owner, create(kind, "Book club", c.owner, policy.RoleOwner, c.admin, policy.RoleAdmin, c.member, policy.RoleMember))
	return l
}
