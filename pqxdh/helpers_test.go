package pqxdh

import (
	"bytes"
	"crypto/ecdh"
	"crypto/mlkem"
	"crypto/subtle"
	"testing"
	"time"

	"hush/identity"
	"hush/ids"
)

// The fixtures of the known-answer vectors (testdata/katgen.py): each key is one
// byte repeated.
const (
	aliceSigning, aliceX25519 = 0x0A, 0x0B
	bobSigning, bobX25519     = 0x14, 0x15
	spkByte, pqByte, lrByte   = 0x21, 0x22, 0x23
	opkByte, ekByte, mByte    = 0x24, 0x25, 0x26
	katCreated                = 1_700_000_000
)

func repeat(b byte, n int) []byte { return bytes.Repeat([]byte{b}, n) }

func testDevice(t testing.TB, signing, x byte) *identity.DeviceKey {
	t.Helper()
	k, err := identity.DeviceKeyFromSeeds(repeat(signing, identity.SeedSize), repeat(x, identity.SeedSize))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func testAlice(t testing.TB) *identity.DeviceKey { return testDevice(t, aliceSigning, aliceX25519) }
func testBob(t testing.TB) *identity.DeviceKey   { return testDevice(t, bobSigning, bobX25519) }

func x25519Key(t testing.TB, b byte) *ecdh.PrivateKey {
	t.Helper()
	k, err := ecdh.X25519().NewPrivateKey(repeat(b, 32))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func kemKey(t testing.TB, b byte) *mlkem.DecapsulationKey768 {
	t.Helper()
	k, err := mlkem.NewDecapsulationKey768(repeat(b, mlkem.SeedSize))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// prekeyID is the fixtures' id of the prekey whose key is byte b: b + 0x10, repeated.
func prekeyID(b byte) ids.Prekey { return ids.Prekey(repeat(b+0x10, ids.Size)) }

// katStore is Bob's store of the vectors: one key of each kind, made from the
// fixtures instead of crypto/rand.
func katStore(t testing.TB) *Store {
	t.Helper()
	created := time.Unix(katCreated, 0).UTC()
	return &Store{
		device:     testBob(t).ID(),
		signed:     []signedSecret{{id: prekeyID(spkByte), created: created, key: x25519Key(t, spkByte)}},
		lastResort: []pqSecret{{id: prekeyID(lrByte), created: created, key: kemKey(t, lrByte)}},
		pqOneTime:  []pqSecret{{id: prekeyID(pqByte), created: created, key: kemKey(t, pqByte)}},
		oneTime:    []oneTimeSecret{{id: prekeyID(opkByte), created: created, key: x25519Key(t, opkByte)}},
	}
}

// newStore makes a random store for bob with n one-time prekeys of each kind, and
// returns its publication.
func newStore(t testing.TB, bob *identity.DeviceKey, n int) (*Store, Publication) {
	t.Helper()
	s, err := NewStore(bob, time.Unix(katCreated, 0))
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.Replenish(bob, n, time.Unix(katCreated, 0))
	if err != nil {
		t.Fatal(err)
	}
	return s, p
}

// bundleOf makes the bundle a relay would serve from p: the first one-time
// post-quantum prekey if any (else the last-resort one) and the first one-time
// prekey if any.
func bundleOf(p Publication) Bundle {
	b := Bundle{Device: p.Device, SignedPrekey: p.SignedPrekey, PQPrekey: p.LastResort}
	if len(p.PQOneTime) > 0 {
		b.PQPrekey = p.PQOneTime[0]
	}
	if len(p.OneTime) > 0 {
		b.OneTime = &p.OneTime[0]
	}
	return b
}

// sameKeys reports whether two handshakes agree on the key and AD.
func sameKeys(a, b *Handshake) bool {
	return subtle.ConstantTimeCompare(a.SharedKey[:], b.SharedKey[:]) == 1 && bytes.Equal(a.AD, b.AD)
}
