package seedbox

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"hush/identity"
	"hush/ids"
	"hush/pqxdh"
)

var now = time.Unix(1_700_000_000, 0)

func device(t testing.TB) *identity.DeviceKey {
	t.Helper()
	k, err := identity.NewDeviceKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// prekeys makes dev's prekey store and a bundle from it, as the relay would serve
// it (with a one-time prekey when withOneTime).
func prekeys(t testing.TB, dev *identity.DeviceKey, withOneTime bool) (*pqxdh.Store, pqxdh.Bundle) {
	t.Helper()
	s, err := pqxdh.NewStore(dev, now)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := s.Replenish(dev, 2, now)
	if err != nil {
		t.Fatal(err)
	}
	b := pqxdh.Bundle{Device: dev.Public(), SignedPrekey: pub.SignedPrekey, PQPrekey: pub.LastResort}
	if withOneTime {
		b.PQPrekey = pub.PQOneTime[0]
		b.OneTime = &pub.OneTime[0]
	}
	return s, b
}

func seeds(n int, b byte) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = bytes.Repeat([]byte{b + byte(i)}, identity.KEMSeedSize)
	}
	return out
}

func TestSealOpen(t *testing.T) {
	account := ids.Account{1}
	for _, oneTime := range []bool{true, false} {
		sender, recipient := device(t), device(t)
		store, bundle := prekeys(t, recipient, oneTime)
		want := seeds(3, 0x40)
		box, err := Seal(sender, account, recipient.Public(), bundle, want)
		if err != nil {
			t.Fatal(err)
		}
		from, got, err := Open(recipient, account, store, box)
		if err != nil {
			t.Fatalf("one-time prekey %v: %v", oneTime, err)
		}
		if !from.Equal(sender.Public()) {
			t.Fatal("Open names another sender")
		}
		for i := range want {
			if !bytes.Equal(got[i], want[i]) {
				t.Fatalf("seed %d differs", i)
			}
		}
		if bytes.Contains(box, want[0]) {
			t.Fatal("a seed travels in clear")
		}
	}
}

// TestOpenRefuses: a box for another device, another account, altered anywhere, or
// opened twice with one-time prekeys, gives nothing.
func TestOpenRefuses(t *testing.T) {
	account := ids.Account{1}
	sender, recipient, other := device(t), device(t), device(t)
	store, bundle := prekeys(t, recipient, true)
	box, err := Seal(sender, account, recipient.Public(), bundle, seeds(1, 0x40))
	if err != nil {
		t.Fatal(err)
	}
	otherStore, _ := prekeys(t, other, true)
	if _, _, err := Open(other, account, otherStore, box); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("another device: %v", err)
	}
	if _, _, err := Open(recipient, ids.Account{2}, store, box); !errors.Is(err, ErrMalformed) {
		t.Fatalf("another account: %v", err)
	}
	// Flip one bit at a time across the box: never opens (each try on a fresh store,
	// since an opened one-time prekey is gone).
	for i := 0; i < len(box); i += 7 {
		s2, err := pqxdh.ParseStore(mustEncode(t, store))
		if err != nil {
			t.Fatal(err)
		}
		bad := bytes.Clone(box)
		bad[i] ^= 0x10
		if _, got, err := Open(recipient, account, s2, bad); err == nil {
			t.Fatalf("a box altered at byte %d opened: %d seeds", i, len(got))
		}
	}
	if _, _, err := Open(recipient, account, store, box); err != nil {
		t.Fatalf("the unaltered box: %v", err)
	}
	if _, _, err := Open(recipient, account, store, box); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("a box opened twice with a one-time prekey: %v", err)
	}
	// The sender must be trusted for the bundle: one of another device is refused.
	if _, err := Seal(sender, account, other.Public(), bundle, seeds(1, 0)); !errors.Is(err, pqxdh.ErrWrongPeer) {
		t.Fatalf("bundle of another device: %v", err)
	}
	for _, n := range []int{0, MaxSeeds + 1} {
		if _, err := Seal(sender, account, recipient.Public(), bundle, seeds(n, 0)); err == nil {
			t.Fatalf("%d seeds sealed", n)
		}
	}
}

func mustEncode(t *testing.T, s *pqxdh.Store) []byte {
	t.Helper()
	b, err := pqxdh.EncodeStore(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestKnownAnswer checks the AEAD layer against testdata/katgen.py, written from
// the package documentation with pyca/cryptography.
func TestKnownAnswer(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "kat.json"))
	if err != nil {
		t.Fatal(err)
	}
	var kat struct {
		SharedKey   string   `json:"shared_key"`
		HandshakeAD string   `json:"handshake_ad"`
		Account     string   `json:"account"`
		Seeds       []string `json:"seeds"`
		Ciphertext  string   `json:"ciphertext"`
	}
	if err := json.Unmarshal(raw, &kat); err != nil {
		t.Fatal(err)
	}
	h := func(s string) []byte {
		b, err := hex.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	var account ids.Account
	copy(account[:], h(kat.Account))
	var in [][]byte
	for _, s := range kat.Seeds {
		in = append(in, h(s))
	}
	ct, err := seal(h(kat.SharedKey), h(kat.HandshakeAD), account, in)
	if err != nil {
		t.Fatal(err)
	}
	if hex.EncodeToString(ct) != kat.Ciphertext {
		t.Fatalf("ciphertext differs from the independent generator's:\n got %x\nwant %s", ct, kat.Ciphertext)
	}
	got, err := open(h(kat.SharedKey), h(kat.HandshakeAD), account, ct)
	if err != nil || len(got) != 2 || !bytes.Equal(got[1], in[1]) {
		t.Fatalf("open: %v", err)
	}
}

func FuzzOpen(f *testing.F) {
	sender, recipient := device(f), device(f)
	store, bundle := prekeys(f, recipient, false)
	account := ids.Account{1}
	box, err := Seal(sender, account, recipient.Public(), bundle, seeds(2, 0x40))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(box)
	f.Add([]byte{0x84, 0x01})
	f.Fuzz(func(t *testing.T, b []byte) {
		from, got, err := Open(recipient, account, store, b)
		if err == nil && (from.IsZero() || len(got) == 0) {
			t.Fatal("opened to nothing")
		}
	})
}
