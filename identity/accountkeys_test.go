package identity

import (
	"bytes"
	"crypto/mlkem"
	"encoding/json"
	"errors"
	"hush/internal/testutil"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// accountKeysKAT is identity/testdata/account_keys_kat.json, written by the
// independent generator chatcrypto/testdata/katgen.py (Python, pyca/cryptography).
type accountKeysKAT struct {
	SigningSeed   string `json:"signing_seed"`
	EncryptionKey string `json:"encryption_key"`
	KEMSeed       string `json:"kem_seed"`
	IssuedAt      int64  `json:"issued_at"`
	Ed25519       string `json:"ed25519_public"`
	X25519        string `json:"x25519_public"`
	MLKEM         string `json:"mlkem768_encapsulation_key"`
	AccountID     string `json:"account_id"`
	Record        string `json:"record"`
}

// TestAccountKeysKnownAnswer compares the record with one made by another
// implementation from the same seeds, byte for byte, both ways.
func TestAccountKeysKnownAnswer(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "account_keys_kat.json"))
	if err != nil {
		t.Fatal(err)
	}
	var v accountKeysKAT
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	k, err := AccountKeyFromSeeds(testutil.Hex(t, v.SigningSeed), testutil.Hex(t, v.EncryptionKey), testutil.Hex(t, v.KEMSeed))
	if err != nil {
		t.Fatal(err)
	}
	p := k.Public()
	id := k.ID()
	for name, c := range map[string]struct{ got, want []byte }{
		"Ed25519 key": {p.SigningKey(), testutil.Hex(t, v.Ed25519)},
		"X25519 key":  {p.EncryptionKey().Bytes(), testutil.Hex(t, v.X25519)},
		"ML-KEM key":  {p.KEMKey().Bytes(), testutil.Hex(t, v.MLKEM)},
		"account id":  {id[:], testutil.Hex(t, v.AccountID)},
	} {
		if !bytes.Equal(c.got, c.want) {
			t.Errorf("%s = %x, want %x", name, c.got, c.want)
		}
	}
	want := testutil.Hex(t, v.Record)
	got, err := IssueAccountKeys(k, time.Unix(v.IssuedAt, 0))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("record = %x\nwant     %x", got, want)
	}
	ak, err := ParseAccountKeys(want)
	if err != nil {
		t.Fatal(err)
	}
	if !ak.Public.Equal(p) || ak.Public.KEMKey() == nil || ak.Public.ID() != id || ak.IssuedAt.Unix() != v.IssuedAt {
		t.Fatalf("parsed %+v", ak)
	}
}

func TestAccountKeysRoundTrip(t *testing.T) {
	k, err := NewAccountKey()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_750_000_000, 0)
	b, err := IssueAccountKeys(k, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != MaxAccountKeysSize-4 {
		t.Errorf("record of %d bytes, want %d (issue time of 5 bytes)", len(b), MaxAccountKeysSize-4)
	}
	ak, err := ParseAccountKeys(b)
	if err != nil {
		t.Fatal(err)
	}
	if !ak.Public.Equal(k.Public()) || ak.Public.ID() != k.ID() || !ak.IssuedAt.Equal(now) {
		t.Fatalf("parsed %+v", ak)
	}
	if !bytes.Equal(ak.Public.KEMKey().Bytes(), k.Public().KEMKey().Bytes()) {
		t.Fatal("ML-KEM key differs")
	}
}

func TestIssueAccountKeysNeedsKEM(t *testing.T) {
	legacy, err := AccountKeyFromSeeds(seed(1), seed(2), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := IssueAccountKeys(legacy, time.Now()); err == nil {
		t.Fatal("issued a record without an ML-KEM key")
	}
	if _, err := IssueAccountKeys(nil, time.Now()); err == nil {
		t.Fatal("issued a record without a key")
	}
}

// TestLegacyAccountKey: a vault written before ML-KEM holds two seeds; the key they
// make has no ML-KEM key until AddKEM, which keeps the identity and then sticks.
func TestLegacyAccountKey(t *testing.T) {
	k, err := AccountKeyFromSeeds(seed(1), seed(2), nil)
	if err != nil {
		t.Fatal(err)
	}
	before := k.Public()
	if k.HasKEM() || k.KEMKey() != nil || before.KEMKey() != nil {
		t.Fatal("legacy key has an ML-KEM key")
	}
	if _, _, m := k.Seeds(); m != nil {
		t.Fatalf("legacy key returned an ML-KEM seed of %d bytes", len(m))
	}
	if err := k.AddKEM(); err != nil {
		t.Fatal(err)
	}
	if !k.HasKEM() || k.Public().KEMKey() == nil {
		t.Fatal("AddKEM added nothing")
	}
	if k.ID() != before.ID() || !k.Public().Equal(before) || !bytes.Equal(k.Public().Bytes(), before.Bytes()) {
		t.Fatal("AddKEM changed the account's identity")
	}
	first := k.Public().KEMKey().Bytes()
	if err := k.AddKEM(); err == nil {
		t.Fatal("AddKEM replaced an existing ML-KEM key")
	}
	if !bytes.Equal(k.Public().KEMKey().Bytes(), first) {
		t.Fatal("a failed AddKEM changed the key")
	}
	s, e, m := k.Seeds()
	again, err := AccountKeyFromSeeds(s, e, m)
	if err != nil || !bytes.Equal(again.Public().KEMKey().Bytes(), first) {
		t.Fatalf("upgraded key did not survive its seeds: %v", err)
	}
}

func TestAccountPublicKeyEqual(t *testing.T) {
	a := testAccount(t, 1).Public()
	sameOtherKEM, _ := AccountKeyFromSeeds(seed(1), seed(2), kemSeed(99))
	otherX, _ := AccountKeyFromSeeds(seed(1), seed(50), kemSeed(3))
	other := testAccount(t, 5).Public()
	tests := []struct {
		name string
		q    AccountPublicKey
		want bool
	}{
		{"itself", a, true},
		{"its 64-byte form", a.WithoutKEM(), true},
		{"parsed from its bytes", mustParse(t, a.Bytes()), true},
		{"same 64 bytes, another ML-KEM key", sameOtherKEM.Public(), false},
		{"same Ed25519 key, another X25519 key", otherX.Public(), false},
		{"another account", other, false},
		{"zero", AccountPublicKey{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := a.Equal(tt.q); got != tt.want {
				t.Errorf("a.Equal = %v, want %v", got, tt.want)
			}
			if got := tt.q.Equal(a); got != tt.want {
				t.Errorf("Equal is not symmetric: %v", got)
			}
		})
	}
	if a.WithoutKEM().KEMKey() != nil || len(a.Bytes()) != PublicKeySize {
		t.Fatal("the 64-byte form grew")
	}
}

func mustParse(t *testing.T, b []byte) AccountPublicKey {
	t.Helper()
	p, err := ParseAccountPublicKey(b)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// body decodes the body of a record, so tests can alter it.
func body(t *testing.T, rec []byte) accountKeysBody {
	t.Helper()
	var r signedRecord
	var b accountKeysBody
	if err := accountKeysDec.Unmarshal(rec, &r); err != nil {
		t.Fatal(err)
	}
	if err := accountKeysDec.Unmarshal(r.Body, &b); err != nil {
		t.Fatal(err)
	}
	return b
}

// record encodes b and signs it with signer, or keeps the signature sig when signer
// is nil.
func record(t *testing.T, b accountKeysBody, signer *AccountKey, sig []byte) []byte {
	t.Helper()
	enc, err := certEnc.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	if signer != nil {
		sig = signer.Sign(accountKeysLabel, enc)
	}
	out, err := certEnc.Marshal(signedRecord{Body: enc, Sig: sig})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func signatureOf(t *testing.T, rec []byte) []byte {
	t.Helper()
	var r signedRecord
	if err := accountKeysDec.Unmarshal(rec, &r); err != nil {
		t.Fatal(err)
	}
	return r.Sig
}

// TestRelaySwapsAccountEncryptionKey is the attack this record exists for: the
// relay answers a look-up of Bob with Bob's Ed25519 key and its own encryption keys,
// so that what is wrapped "to Bob" opens for the relay. An account id is a hash of
// the Ed25519 key alone, so pinning the relay's bare 64-byte key (the weakened check,
// what clients did before) accepts the swap; pinning from Bob's signed record does
// not.
func TestRelaySwapsAccountEncryptionKey(t *testing.T) {
	bob := testAccount(t, 5)
	relay := testAccount(t, 60)
	genuine, err := IssueAccountKeys(bob, time.Unix(1_700_000_000, 0))
	if err != nil {
		t.Fatal(err)
	}
	bobID := bob.ID()

	// Weakened check: the relay's bare key, accepted because its id is Bob's.
	bare := append(append([]byte(nil), bob.Public().SigningKey()...), relay.Public().EncryptionKey().Bytes()...)
	pinned, err := ParseAccountPublicKey(bare)
	if err != nil || pinned.ID() != bobID {
		t.Fatalf("weakened check: err %v, id %v", err, pinned.ID())
	}
	if !bytes.Equal(pinned.EncryptionKey().Bytes(), relay.Public().EncryptionKey().Bytes()) {
		t.Fatal("weakened check: the relay's key was not pinned")
	}

	// Real check: the relay cannot make a record for Bob's id with its keys in it.
	withKeys := func(enc, kem []byte) accountKeysBody {
		b := body(t, genuine)
		if enc != nil {
			b.Encryption = enc
		}
		if kem != nil {
			b.KEM = kem
		}
		return b
	}
	relayX := relay.Public().EncryptionKey().Bytes()
	relayKEM := relay.Public().KEMKey().Bytes()
	tests := []struct {
		name string
		rec  []byte
	}{
		{"X25519 key swapped, Bob's signature kept", record(t, withKeys(relayX, nil), nil, signatureOf(t, genuine))},
		{"ML-KEM key swapped, Bob's signature kept", record(t, withKeys(nil, relayKEM), nil, signatureOf(t, genuine))},
		{"both swapped, Bob's signature kept", record(t, withKeys(relayX, relayKEM), nil, signatureOf(t, genuine))},
		{"both swapped, signed by the relay", record(t, withKeys(relayX, relayKEM), relay, nil)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ParseAccountKeys(tt.rec); !errors.Is(err, ErrInvalidAccountKeys) {
				t.Fatalf("err = %v, want ErrInvalidAccountKeys", err)
			}
		})
	}
	// A record of the relay's own account is valid, and names the relay's id.
	own, _ := IssueAccountKeys(relay, time.Unix(1_700_000_000, 0))
	ak, err := ParseAccountKeys(own)
	if err != nil {
		t.Fatal(err)
	}
	if ak.Public.ID() == bobID {
		t.Fatal("the relay's own record claims Bob's id")
	}
	// And Bob's genuine record pins Bob's keys.
	ak, err = ParseAccountKeys(genuine)
	if err != nil || ak.Public.ID() != bobID || !ak.Public.Equal(bob.Public()) {
		t.Fatalf("genuine record: %v", err)
	}
}

// TestAccountKeysMalformed re-signs each broken body with the account's own key,
// so the check named is the one that must catch it.
func TestAccountKeysMalformed(t *testing.T) {
	k := testAccount(t, 1)
	good, _ := IssueAccountKeys(k, time.Unix(1_700_000_000, 0))
	mod := func(f func(*accountKeysBody)) []byte {
		b := body(t, good)
		f(&b)
		return record(t, b, k, nil)
	}
	unreduced := bytes.Repeat([]byte{0xff}, mlkem.EncapsulationKeySize768) // coefficients ≥ q
	tests := []struct {
		name string
		rec  []byte
	}{
		{"version 0", mod(func(b *accountKeysBody) { b.Version = 0 })},
		{"version 2", mod(func(b *accountKeysBody) { b.Version = 2 })},
		{"short Ed25519 key", mod(func(b *accountKeysBody) { b.Signing = b.Signing[:31] })},
		{"long X25519 key", mod(func(b *accountKeysBody) { b.Encryption = append(b.Encryption, 0) })},
		{"short ML-KEM key", mod(func(b *accountKeysBody) { b.KEM = b.KEM[:1183] })},
		{"no ML-KEM key", mod(func(b *accountKeysBody) { b.KEM = nil })},
		{"ML-KEM key not reduced", mod(func(b *accountKeysBody) { b.KEM = unreduced })},
		{"trailing byte", append(bytes.Clone(good), 0)},
		{"empty", nil},
		{"a certificate", mustCert(t, k)},
		{"oversize", make([]byte, MaxAccountKeysSize+1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ParseAccountKeys(tt.rec); !errors.Is(err, ErrInvalidAccountKeys) {
				t.Fatalf("err = %v, want ErrInvalidAccountKeys", err)
			}
		})
	}
}

func mustCert(t *testing.T, k *AccountKey) []byte {
	t.Helper()
	c, err := IssueCertificate(k, testDevice(t, 3).Public(), time.Unix(1, 0))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestAccountKeysLimit: the largest issue times make the largest records, exactly
// MaxAccountKeysSize, and they parse.
func TestAccountKeysLimit(t *testing.T) {
	k := testAccount(t, 1)
	for _, sec := range []int64{math.MaxInt64, math.MinInt64} {
		b, err := IssueAccountKeys(k, time.Unix(sec, 0))
		if err != nil {
			t.Fatal(err)
		}
		if len(b) != MaxAccountKeysSize {
			t.Errorf("issued at %d: %d bytes, the limit is %d", sec, len(b), MaxAccountKeysSize)
		}
		if _, err := ParseAccountKeys(b); err != nil {
			t.Errorf("issued at %d: %v", sec, err)
		}
	}
}

// TestAccountKeysBitFlips flips every bit of the record's structure, keys and
// signature; inside the ML-KEM key, whose bytes the signature covers like any
// other, one bit per byte (a different one each byte) keeps it fast.
func TestAccountKeysBitFlips(t *testing.T) {
	k := testAccount(t, 1)
	b, _ := IssueAccountKeys(k, time.Unix(1_700_000_000, 0))
	from := bytes.Index(b, k.Public().KEMKey().Bytes())
	to := from + mlkem.EncapsulationKeySize768
	testutil.EachBitFlip(b, from, to, func(bad []byte, i, bit int) {
		if _, err := ParseAccountKeys(bad); !errors.Is(err, ErrInvalidAccountKeys) {
			t.Fatalf("bit %d of byte %d flipped: err = %v", bit, i, err)
		}
	})
}

func TestAccountKeysTruncations(t *testing.T) {
	b, _ := IssueAccountKeys(testAccount(t, 1), time.Unix(1_700_000_000, 0))
	for n := 0; n < len(b); n++ {
		if _, err := ParseAccountKeys(b[:n]); !errors.Is(err, ErrInvalidAccountKeys) {
			t.Fatalf("truncated to %d bytes: err = %v", n, err)
		}
	}
}

func FuzzParseAccountKeys(f *testing.F) {
	k := testAccount(f, 1)
	b, _ := IssueAccountKeys(k, time.Unix(1_700_000_000, 0))
	f.Add(b)
	f.Add([]byte{})
	f.Add([]byte{0x82, 0x40, 0x40})
	f.Fuzz(func(t *testing.T, data []byte) {
		ak, err := ParseAccountKeys(data)
		if err != nil {
			if !errors.Is(err, ErrInvalidAccountKeys) {
				t.Fatalf("untyped error: %v", err)
			}
			return
		}
		// Anything accepted carries every key, at full size.
		if ak.Public.IsZero() || ak.Public.KEMKey() == nil || len(ak.Public.Bytes()) != PublicKeySize {
			t.Fatal("accepted a record without all its keys")
		}
		if len(data) > MaxAccountKeysSize {
			t.Fatal("accepted a record over the limit")
		}
	})
}

func BenchmarkParseAccountKeys(b *testing.B) {
	rec, err := IssueAccountKeys(testAccount(b, 1), time.Unix(1_700_000_000, 0))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := ParseAccountKeys(rec); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkIssueAccountKeys(b *testing.B) {
	k := testAccount(b, 1)
	for b.Loop() {
		if _, err := IssueAccountKeys(k, time.Unix(1_700_000_000, 0)); err != nil {
			b.Fatal(err)
		}
	}
}
