package membership

import (
	"bytes"
	"testing"

	"hush/ids"
	"hush/policy"
)

// FuzzParse feeds arbitrary bytes to Parse: it must never panic, and whatever it
// accepts must encode back to the same bytes (one record, one encoding, one hash).
func FuzzParse(f *testing.F) {
	c := newCast(f)
	l := c.group(f, policy.KindGroup)
	l.add(c.owner, Change{Op: OpAdd, Members: members(c.other, policy.RoleMember)})
	l.add(c.owner, Change{Op: OpRemove, Accounts: []ids.Account{c.other.id()}})
	l.add(c.admin, Change{Op: OpTitle, Title: th("t")})
	for _, r := range l.recs {
		f.Add(r.Raw)
	}
	f.Add([]byte{0x82, 0x40, 0x40})
	f.Fuzz(func(t *testing.T, raw []byte) {
		r, err := Parse(raw, nil)
		if err != nil {
			return
		}
		if !bytes.Equal(r.Raw, raw) {
			t.Fatal("Raw is not the input")
		}
		if r2, err := Parse(r.Raw, nil); err != nil || r2.Hash != r.Hash {
			t.Fatalf("a parsed record does not parse again the same: %v", err)
		}
	})
}

// FuzzApply applies arbitrary records after a valid start: Apply must never panic,
// and a refused record must leave the state as it was.
func FuzzApply(f *testing.F) {
	c := newCast(f)
	l := c.group(f, policy.KindGroup)
	next, err := l.sign(c.owner, Change{Op: OpAdd, Members: members(c.other, policy.RoleMember)})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(next.Raw)
	start := l.state
	f.Fuzz(func(t *testing.T, raw []byte) {
		r, err := Parse(raw, nil)
		if err != nil {
			return
		}
		s := start.Clone()
		if err := s.Apply(r); err != nil && (s.Len != start.Len || s.Head != start.Head || len(s.Members) != len(start.Members)) {
			t.Fatal("a refused record changed the state")
		}
	})
}
