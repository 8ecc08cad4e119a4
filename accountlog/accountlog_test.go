package accountlog

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hush/identity"
	"hush/ids"
	"hush/internal/testutil"
)

func testAccount(t testing.TB, b byte) *identity.AccountKey {
	t.Helper()
	k, err := identity.AccountKeyFromSeeds(bytes.Repeat([]byte{b}, 32), bytes.Repeat([]byte{b + 1}, 32), bytes.Repeat([]byte{b + 2}, 64))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func testKey(t testing.TB, b byte) *Key {
	t.Helper()
	k, err := DeriveKey(testAccount(t, b))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func sample() Record {
	return Record{Kind: KindPinned, Target: [16]byte{9}, Value: true, At: time.UnixMilli(1_700_000_000_123).UTC(), Device: ids.Device{7}}
}

// The independent generator's records open with the key Go derives, and read as
// it wrote them: the key derivation and the layout agree with a second
// implementation.
func TestKnownAnswers(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "kat.json"))
	if err != nil {
		t.Fatal(err)
	}
	var kat struct {
		Records []struct {
			RecordID string `json:"record_id"`
			Kind     Kind   `json:"kind"`
			Target   string `json:"target"`
			Value    bool   `json:"value"`
			Text     string `json:"text"`
			Version  byte   `json:"version"`
			AtMs     int64  `json:"at_ms"`
			Device   string `json:"device"`
			Sealed   string `json:"sealed"`
		} `json:"records"`
	}
	if err := json.Unmarshal(b, &kat); err != nil {
		t.Fatal(err)
	}
	k := testKey(t, 1)
	versions := map[byte]int{}
	for _, v := range kat.Records {
		id := ids.Record(testutil.Hex(t, v.RecordID))
		r, err := k.Open(id, testutil.Hex(t, v.Sealed))
		if err != nil {
			t.Fatalf("record %s: %v", v.RecordID, err)
		}
		if r.Kind != v.Kind || !bytes.Equal(r.Target[:], testutil.Hex(t, v.Target)) || r.Value != v.Value || r.Text != v.Text ||
			r.At.UnixMilli() != v.AtMs || !bytes.Equal(r.Device[:], testutil.Hex(t, v.Device)) {
			t.Fatalf("record %s read as %+v", v.RecordID, r)
		}
		// The version is bound: the same bytes claimed as another version do not open.
		for _, other := range []byte{1, 2, 3} {
			if other == v.Version {
				continue
			}
			relabelled := testutil.Hex(t, v.Sealed)
			relabelled[0] = other
			if _, err := k.Open(id, relabelled); err == nil {
				t.Fatalf("record %s opened as version %d", v.RecordID, other)
			}
		}
		versions[v.Version]++
	}
	if versions[1] == 0 || versions[2] == 0 || versions[3] == 0 {
		t.Fatalf("known answers by version: %v, want all three", versions)
	}
}

// TestText: a draft or a name travels whole, up to the limit; longer or invalid
// text is refused when sealing.
func TestText(t *testing.T) {
	k := testKey(t, 1)
	cases := []struct {
		name string
		text string
		ok   bool
	}{
		{"empty", "", true},
		{"a name", "Alice B.", true},
		{"multi-line draft", "line one\nline two 😀", true},
		{"at the limit", strings.Repeat("é", MaxTextBytes/2), true},
		{"over the limit", strings.Repeat("a", MaxTextBytes+1), false},
		{"not UTF-8", "bad \xff byte", false},
	}
	for _, c := range cases {
		r := sample()
		r.Kind, r.Text = KindDraft, c.text
		b, err := k.Seal(ids.Record{2}, r)
		if (err == nil) != c.ok {
			t.Fatalf("%s: seal error %v, want ok=%v", c.name, err, c.ok)
		}
		if !c.ok {
			continue
		}
		got, err := k.Open(ids.Record{2}, b)
		if err != nil || got.Text != c.text || got.Kind != KindDraft {
			t.Fatalf("%s: opened %+v, %v", c.name, got, err)
		}
	}
}

// TestEveryKindRoundTrips: each kind seals and opens; the one after the last is
// refused.
func TestEveryKindRoundTrips(t *testing.T) {
	k := testKey(t, 1)
	for kind := KindPinned; kind <= KindReadReceipts; kind++ {
		r := sample()
		r.Kind = kind
		b, err := k.Seal(ids.Record{3}, r)
		if err != nil {
			t.Fatalf("%v: %v", kind, err)
		}
		if got, err := k.Open(ids.Record{3}, b); err != nil || got != r {
			t.Fatalf("%v: opened %+v, %v", kind, got, err)
		}
		if strings.HasPrefix(kind.String(), "kind(") {
			t.Errorf("kind %d has no name", kind)
		}
	}
	if _, err := k.Seal(ids.Record{3}, Record{Kind: KindReadReceipts + 1}); err == nil {
		t.Error("sealed the kind after the last")
	}
}

func TestRoundTrip(t *testing.T) {
	k := testKey(t, 1)
	id := ids.Record{1}
	b, err := k.Seal(id, sample())
	if err != nil {
		t.Fatal(err)
	}
	r, err := k.Open(id, b)
	if err != nil {
		t.Fatal(err)
	}
	if r != sample() {
		t.Fatalf("got %+v, want %+v", r, sample())
	}
	if b2, _ := k.Seal(id, sample()); bytes.Equal(b, b2) {
		t.Fatal("two seals of one record are equal: the nonce repeats")
	}
}

// What the relay can do with a sealed record — move it to another id, change a
// bit, cut it, or hand over one of another account — opens to nothing.
func TestOpenRefuses(t *testing.T) {
	k := testKey(t, 1)
	id := ids.Record{1}
	b, err := k.Seal(id, sample())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.Open(ids.Record{2}, b); !errors.Is(err, ErrInvalid) {
		t.Errorf("moved to another id: %v", err)
	}
	// A record naming an ML-KEM key this device does not hold may be one it has
	// not received yet (ErrKeyMissing); it never opens.
	refused := func(err error) bool { return errors.Is(err, ErrInvalid) || errors.Is(err, ErrKeyMissing) }
	if _, err := testKey(t, 5).Open(id, b); !refused(err) {
		t.Errorf("another account's key: %v", err)
	}
	testutil.EachBitFlip(b, 0, len(b), func(bad []byte, i, bit int) {
		if _, err := k.Open(id, bad); !refused(err) {
			t.Fatalf("bit %d of byte %d flipped: %v", bit, i, err)
		}
	})
	for n := range len(b) {
		if _, err := k.Open(id, b[:n]); !errors.Is(err, ErrInvalid) {
			t.Fatalf("cut to %d bytes: %v", n, err)
		}
	}
	if _, err := k.Seal(id, Record{Kind: 99}); err == nil {
		t.Error("sealed an unknown kind")
	}
}

// TestKeyFollowsTheAccount: after a revocation gives the account a new ML-KEM key,
// records are sealed under it; a device revoked before (the account key with the
// old ML-KEM seed only) opens none of them, while the remaining devices open the
// old and the new. A device told of the new key before its seed arrives can
// neither seal nor open under it until then (ErrKeyMissing), and reads the old.
func TestKeyFollowsTheAccount(t *testing.T) {
	acct := testAccount(t, 1)
	revoked := testAccount(t, 1)
	waiting := testAccount(t, 1)
	k, r, w := mustKey(t, acct), mustKey(t, revoked), mustKey(t, waiting)
	before, err := k.Seal(ids.Record{1}, sample())
	if err != nil {
		t.Fatal(err)
	}
	if before[0] != recordVersionKEM {
		t.Fatalf("an account with ML-KEM writes version %d", before[0])
	}
	pub, err := acct.NewKEM()
	if err != nil {
		t.Fatal(err)
	}
	acct.UseKEM(pub)
	waiting.UseKEM(pub)
	after, err := k.Seal(ids.Record{2}, sample())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Open(ids.Record{2}, after); !errors.Is(err, ErrKeyMissing) {
		t.Fatalf("the revoked device opened a record sealed after: %v", err)
	}
	if _, err := w.Open(ids.Record{2}, after); !errors.Is(err, ErrKeyMissing) {
		t.Fatalf("waiting device: %v", err)
	}
	if _, err := w.Seal(ids.Record{3}, sample()); !errors.Is(err, ErrKeyMissing) {
		t.Fatalf("waiting device sealed: %v", err)
	}
	for name, key := range map[string]*Key{"the account": k, "the revoked device": r, "the waiting device": w} {
		if _, err := key.Open(ids.Record{1}, before); err != nil {
			t.Fatalf("%s cannot open a record from before: %v", name, err)
		}
	}
	if _, err := waiting.AddKEMSeeds(acct.KEMSeeds()); err != nil {
		t.Fatal(err)
	}
	if got, err := w.Open(ids.Record{2}, after); err != nil || got != sample() {
		t.Fatalf("once the seed came: %+v, %v", got, err)
	}
	if _, err := w.Seal(ids.Record{3}, sample()); err != nil {
		t.Fatal(err)
	}
	// The key id is bound: a record relabelled with another held key's id fails.
	relabelled := bytes.Clone(after)
	copy(relabelled[1:1+keyIDSize], before[1:1+keyIDSize])
	if _, err := k.Open(ids.Record{2}, relabelled); !errors.Is(err, ErrInvalid) {
		t.Fatalf("relabelled: %v", err)
	}
	// An account without ML-KEM keeps writing version 2 under the signing seed.
	legacy, err := identity.AccountKeyFromSeeds(bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32), nil)
	if err != nil {
		t.Fatal(err)
	}
	lk := mustKey(t, legacy)
	b, err := lk.Seal(ids.Record{4}, sample())
	if err != nil || b[0] != recordVersion {
		t.Fatalf("legacy: version %d, %v", b[0], err)
	}
	if _, err := k.Open(ids.Record{4}, b); err != nil {
		t.Fatalf("a version 2 record of the same account: %v", err)
	}
}

func mustKey(t *testing.T, a *identity.AccountKey) *Key {
	t.Helper()
	k, err := DeriveKey(a)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestNewer(t *testing.T) {
	base := sample()
	later := base
	later.At = base.At.Add(time.Millisecond)
	sameTimeBiggerDevice := base
	sameTimeBiggerDevice.Device = ids.Device{8}
	cases := []struct {
		name string
		r    Record
		want bool
	}{
		{"later", later, true},
		{"same time, greater device", sameTimeBiggerDevice, true},
		{"the same record (a replay)", base, false},
	}
	for _, c := range cases {
		if got := c.r.Newer(base); got != c.want {
			t.Errorf("%s: Newer = %v, want %v", c.name, got, c.want)
		}
	}
	if base.Newer(later) {
		t.Error("an older record replaces a newer one")
	}
}

func FuzzOpen(f *testing.F) {
	k := testKey(f, 1)
	b, _ := k.Seal(ids.Record{1}, sample()) // version 3
	f.Add(b)
	legacy, err := identity.AccountKeyFromSeeds(bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32), nil)
	if err != nil {
		f.Fatal(err)
	}
	lk, err := DeriveKey(legacy)
	if err != nil {
		f.Fatal(err)
	}
	v2, _ := lk.Seal(ids.Record{1}, sample()) // version 2: opens with k too
	f.Add(v2)
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := k.Open(ids.Record{1}, data)
		if err == nil && !r.Kind.valid() {
			t.Fatalf("opened a record of unknown kind %d", r.Kind)
		}
	})
}
