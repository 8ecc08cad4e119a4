package membership

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/fxamacker/cbor/v2"

	"hush/identity"
	"hush/ids"
	"hush/policy"
)

var update = flag.Bool("update", false, "rewrite testdata/kat.json from the current code")

func TestSignParse(t *testing.T) {
	c := newCast(t)
	l := c.group(t, policy.KindChannel)
	l.add(c.owner, Change{Op: OpAdd, Members: members(c.other, policy.RoleMember, c.stranger, policy.RoleAdmin)})
	l.add(c.admin, Change{Op: OpRemove, Accounts: []ids.Account{c.other.id()}})
	l.add(c.owner, Change{Op: OpSetRole, Members: members(c.member, policy.RoleAdmin)})
	l.add(c.member, Change{Op: OpTitle, Title: th("Readers 📚")})
	l.add(c.member, Change{Op: OpLeave})
	for _, want := range l.recs {
		got, err := Parse(want.Raw, nil)
		if err != nil {
			t.Fatalf("parse %v: %v", want.Op, err)
		}
		if !reflect.DeepEqual(got.Change, want.Change) || got.Chat != want.Chat || got.Seq != want.Seq ||
			got.Prev != want.Prev || !got.Time.Equal(want.Time) || got.Hash != want.Hash ||
			got.By() != want.By() || !got.Signer.Device.Equal(want.Signer.Device) {
			t.Errorf("parse(sign(%v)) = %+v, want %+v", want.Op, got.Change, want.Change)
		}
	}
}

func TestNewSigner(t *testing.T) {
	a, b := seeded(t, "a", 1), seeded(t, "b", 9)
	other, err := identity.NewDeviceKey()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewSigner(other, a.signer.cert); err == nil {
		t.Error("a signer with another device's certificate")
	}
	if _, err := NewSigner(b.signer.key, []byte("not a certificate")); err == nil {
		t.Error("a signer with no valid certificate")
	}
}

// TestForgery flips every bit of a record: no flipped record may parse as anything
// but an error (the signature covers every byte of the body; the envelope has no
// room for anything else).
func TestForgery(t *testing.T) {
	c := newCast(t)
	l := c.group(t, policy.KindGroup)
	rec := l.add(c.owner, Change{Op: OpAdd, Members: members(c.other, policy.RoleMember)})
	for i := range len(rec.Raw) * 8 {
		raw := bytes.Clone(rec.Raw)
		raw[i/8] ^= 1 << (i % 8)
		r, err := Parse(raw, nil)
		if err == nil {
			t.Fatalf("bit %d flipped: parsed as %+v", i, r)
		}
		if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrBadSignature) {
			t.Fatalf("bit %d flipped: %v", i, err)
		}
	}
}

// TestSignatureByAnotherDevice keeps a record's body and signs it with another
// device's key: its certificate names the first device, so it fails.
func TestSignatureByAnotherDevice(t *testing.T) {
	c := newCast(t)
	l := c.group(t, policy.KindGroup)
	rec := l.recs[0]
	var env envelope
	if err := dec.Unmarshal(rec.Raw, &env); err != nil {
		t.Fatal(err)
	}
	env.Sig = c.stranger.signer.key.Sign(signLabel, env.Body)
	raw, err := enc.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Parse(raw, nil); !errors.Is(err, ErrBadSignature) {
		t.Errorf("signed by another device: %v, want ErrBadSignature", err)
	}
}

func TestMalformed(t *testing.T) {
	c := newCast(t)
	o := c.owner
	many := make([]Member, MaxMembers+1)
	for i := range many {
		many[i] = Member{Account: ids.Account{byte(i), byte(i >> 8), 1}, Role: policy.RoleMember}
	}
	for _, tt := range []struct {
		name string
		seq  uint64
		c    Change
	}{
		{"create later", 1, create(policy.KindGroup, "t", o, policy.RoleOwner)},
		{"add first", 0, Change{Op: OpAdd, Members: members(o, policy.RoleMember)}},
		{"unknown op", 1, Change{Op: 9}},
		{"op zero", 1, Change{}},
		{"secret chat", 0, create(policy.KindSecret, "t", o, policy.RoleOwner)},
		{"kind zero", 0, create(0, "t", o, policy.RoleOwner)},
		{"two owners", 0, create(policy.KindGroup, "t", o, policy.RoleOwner, c.admin, policy.RoleOwner)},
		{"no owner", 0, create(policy.KindGroup, "t", o, policy.RoleAdmin)},
		{"group without title", 0, create(policy.KindGroup, "", o, policy.RoleOwner)},

		{"no title", 1, Change{Op: OpTitle}},
		{"add an owner", 1, Change{Op: OpAdd, Members: members(c.admin, policy.RoleOwner)}},
		{"add nobody", 1, Change{Op: OpAdd}},
		{"add too many", 1, Change{Op: OpAdd, Members: many}},
		{"add twice", 1, Change{Op: OpAdd, Members: members(c.admin, policy.RoleMember, c.admin, policy.RoleAdmin)}},
		{"add role zero", 1, Change{Op: OpAdd, Members: members(c.admin, policy.Role(0))}},
		{"add the zero account", 1, Change{Op: OpAdd, Members: []Member{{Role: policy.RoleMember}}}},
		{"remove nobody", 1, Change{Op: OpRemove}},
		{"remove twice", 1, Change{Op: OpRemove, Accounts: []ids.Account{c.admin.id(), c.admin.id()}}},
		{"remove the zero account", 1, Change{Op: OpRemove, Accounts: []ids.Account{{}}}},
		{"leave with members", 1, Change{Op: OpLeave, Members: members(c.admin, policy.RoleMember)}},
		{"title with kind", 1, Change{Op: OpTitle, Title: th("t"), Kind: policy.KindGroup}},
		{"remove with title", 1, Change{Op: OpRemove, Accounts: []ids.Account{c.admin.id()}, Title: th("t")}},
		{"add with epoch", 1, Change{Op: OpAdd, Members: members(c.admin, policy.RoleMember), Epoch: 3}},
		{"set role owner", 1, Change{Op: OpSetRole, Members: members(c.admin, policy.RoleOwner)}},
	} {
		prev := Hash{1}
		if tt.seq == 0 {
			prev = Hash{}
		}
		if _, err := o.signer.Sign(ids.Chat{1}, tt.seq, prev, newLog(t).clock, tt.c); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v, want ErrMalformed", tt.name, err)
		}
	}
	if _, err := o.signer.Sign(ids.Chat{1}, 1, Hash{}, newLog(t).clock, Change{Op: OpLeave}); !errors.Is(err, ErrBrokenChain) {
		t.Errorf("a later record after the zero hash: %v", err)
	}
}

// TestParseRefusesWhatSignRefuses signs bodies Sign would never write, so Parse's
// own checks are what refuse them.
func TestParseRefusesWhatSignRefuses(t *testing.T) {
	c := newCast(t)
	title := th("t")
	good := body{Version: version, Chat: ids.Chat{1}, Seq: 0, Time: 1, Op: OpCreate, Kind: policy.KindGroup, Title: title[:],
		Members: members(c.owner, policy.RoleOwner), Cert: c.owner.signer.cert}
	for _, tt := range []struct {
		name   string
		change func(*body)
	}{
		{"version 2", func(b *body) { b.Version = 2 }},
		{"first record with a predecessor", func(b *body) { b.Prev = make([]byte, HashSize) }},
		{"later record without one", func(b *body) { b.Seq, b.Op, b.Kind, b.Members = 1, OpLeave, 0, nil; b.Title = nil }},
		{"short predecessor", func(b *body) { b.Seq, b.Op, b.Kind, b.Members, b.Prev = 1, OpLeave, 0, nil, []byte{1}; b.Title = nil }},
		{"short title commitment", func(b *body) { b.Title = []byte{1} }},
		{"zero title commitment", func(b *body) { b.Title = make([]byte, HashSize) }},
		{"two owners", func(b *body) { b.Members = members(c.owner, policy.RoleOwner, c.admin, policy.RoleOwner) }},
		{"not a certificate", func(b *body) { b.Cert = []byte{1, 2, 3} }},
	} {
		b := good
		tt.change(&b)
		signed, err := enc.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := enc.Marshal(envelope{Body: signed, Sig: c.owner.signer.key.Sign(signLabel, signed)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Parse(raw, nil); err == nil {
			t.Errorf("%s: parsed", tt.name)
		}
	}
	if _, err := Parse(make([]byte, MaxRecordSize+1), nil); !errors.Is(err, ErrMalformed) {
		t.Errorf("oversized: %v", err)
	}
}

// kat pins the layout of a record and its hash: fixed keys, fixed time.
type kat struct {
	Note        string `json:"note"`
	CreateHex   string `json:"create"`
	CreateHash  string `json:"create_hash"`
	RemoveHex   string `json:"remove"`
	RemoveHash  string `json:"remove_hash"`
	SignedLabel string `json:"signed_label"`
	// Title is the commitment the create record carries: chat 404142 00.., salt
	// 07 00.., title "Book club".
	Title string `json:"title_commitment"`
}

func computeKAT(t *testing.T) kat {
	c := newCast(t)
	l := c.group(t, policy.KindGroup)
	rm := l.add(c.owner, Change{Op: OpRemove, Accounts: []ids.Account{c.member.id()}})
	return kat{
		Note:        "owner (seeds 0x10..0x13), admin (0x20..), member (0x30..); certificates at 1700000000; chat 404142 00..; times 1700000001000 and 1700000002000 ms",
		CreateHex:   hex.EncodeToString(l.recs[0].Raw),
		CreateHash:  hex.EncodeToString(l.recs[0].Hash[:]),
		RemoveHex:   hex.EncodeToString(rm.Raw),
		RemoveHash:  hex.EncodeToString(rm.Hash[:]),
		SignedLabel: "hush/v1/sig/" + signLabel,
		Title:       hexOf(th("Book club")),
	}
}

// TestKnownAnswers compares with the committed vectors, so that a change of layout,
// label or hash cannot pass unnoticed.
func TestKnownAnswers(t *testing.T) {
	got := computeKAT(t)
	path := filepath.Join("testdata", "kat.json")
	if *update {
		b, err := json.MarshalIndent(got, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var want kat
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("known answers changed:\n got %+v\nwant %+v", got, want)
	}
}

// TestRecordMatchesSpec checks the committed vectors with nothing of this package:
// a generic CBOR decoder, Ed25519 and SHA-256, following docs/SECURITY.md
// ("Membership log"), so the code and the document cannot drift apart.
func TestRecordMatchesSpec(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "kat.json"))
	if err != nil {
		t.Fatal(err)
	}
	var k kat
	if err := json.Unmarshal(b, &k); err != nil {
		t.Fatal(err)
	}
	var prevHash []byte
	for i, pair := range [][2]string{{k.CreateHex, k.CreateHash}, {k.RemoveHex, k.RemoveHash}} {
		raw, _ := hex.DecodeString(pair[0])
		// record = [body bytes, signature]
		var env []cbor.RawMessage
		if err := cbor.Unmarshal(raw, &env); err != nil || len(env) != 2 {
			t.Fatalf("record %d: not a 2-array: %v", i, err)
		}
		var signed, sig []byte
		if err := cbor.Unmarshal(env[0], &signed); err != nil {
			t.Fatal(err)
		}
		if err := cbor.Unmarshal(env[1], &sig); err != nil {
			t.Fatal(err)
		}
		// body = [1, chat, seq, prev, time ms, op, kind, title commitment, members, accounts, epoch, certificate]
		var f []any
		if err := cbor.Unmarshal(signed, &f); err != nil || len(f) != 12 {
			t.Fatalf("record %d: body has %d fields: %v", i, len(f), err)
		}
		if f[0] != uint64(1) || f[2] != uint64(i) {
			t.Errorf("record %d: version %v, seq %v", i, f[0], f[2])
		}
		if !bytes.Equal(f[3].([]byte), prevHash) {
			t.Errorf("record %d: predecessor %x, want %x", i, f[3], prevHash)
		}
		if i == 0 {
			// The title commitment: SHA-256("hush/v1/membership-title" || chat || salt || title).
			salt := append([]byte{7}, make([]byte, 31)...)
			chat := append([]byte{0x40, 0x41, 0x42}, make([]byte, 13)...)
			want := sha256.Sum256(append(append(append([]byte("hush/v1/membership-title"), chat...), salt...), "Book club"...))
			if !bytes.Equal(f[7].([]byte), want[:]) || hex.EncodeToString(want[:]) != k.Title {
				t.Errorf("title commitment %x, want %x (%s)", f[7], want, k.Title)
			}
		}
		// The certificate: [body, signature], body = [1, account key (64), device key (64), issued].
		var cert, certBody []cbor.RawMessage
		if err := cbor.Unmarshal(f[11].([]byte), &cert); err != nil {
			t.Fatal(err)
		}
		var cb []byte
		if err := cbor.Unmarshal(cert[0], &cb); err != nil {
			t.Fatal(err)
		}
		if err := cbor.Unmarshal(cb, &certBody); err != nil {
			t.Fatal(err)
		}
		var device []byte
		if err := cbor.Unmarshal(certBody[2], &device); err != nil {
			t.Fatal(err)
		}
		msg := append(append([]byte(k.SignedLabel), 0), signed...)
		if !ed25519.Verify(ed25519.PublicKey(device[:32]), msg, sig) {
			t.Errorf("record %d: the device's signature does not verify per the spec", i)
		}
		sum := sha256.Sum256(append([]byte("hush/v1/membership-record-hash"), signed...))
		if hex.EncodeToString(sum[:]) != pair[1] {
			t.Errorf("record %d: hash %x, want %s", i, sum, pair[1])
		}
		prevHash = sum[:]
	}
}

func hexOf(h Hash) string { return hex.EncodeToString(h[:]) }
