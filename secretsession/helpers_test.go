package secretsession

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"hush/identity"
	"hush/ids"
	"hush/pqxdh"
)

// Fixtures: each device key is made of one byte repeated, so failures reproduce
// and the golden test's keys are fixed.
const (
	aliceSigning, aliceX25519     = 0x0A, 0x0B
	bobSigning, bobX25519         = 0x14, 0x15
	mallorySigning, malloryX25519 = 0x1E, 0x1F
	storeCreated                  = 1_700_000_000
)

func testDevice(t testing.TB, signing, x byte) *identity.DeviceKey {
	t.Helper()
	k, err := identity.DeviceKeyFromSeeds(bytes.Repeat([]byte{signing}, identity.SeedSize), bytes.Repeat([]byte{x}, identity.SeedSize))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func testAlice(t testing.TB) *identity.DeviceKey { return testDevice(t, aliceSigning, aliceX25519) }
func testBob(t testing.TB) *identity.DeviceKey   { return testDevice(t, bobSigning, bobX25519) }
func testMallory(t testing.TB) *identity.DeviceKey {
	return testDevice(t, mallorySigning, malloryX25519)
}

// relay stands for the relay's prekey service for one device: it hands out each
// one-time prekey once, in order, then bundles without them.
type relay struct {
	pub  pqxdh.Publication
	next int
}

// newStore makes a store for dev with n one-time prekeys of each kind, and the
// relay that serves them.
func newStore(t testing.TB, dev *identity.DeviceKey, n int) (*pqxdh.Store, *relay) {
	t.Helper()
	s, err := pqxdh.NewStore(dev, time.Unix(storeCreated, 0))
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.Replenish(dev, n, time.Unix(storeCreated, 0))
	if err != nil {
		t.Fatal(err)
	}
	return s, &relay{pub: p}
}

// bundle is FetchPrekeys: the next one-time prekeys while any are left.
func (r *relay) bundle() pqxdh.Bundle {
	b := r.peek()
	r.next++
	return b
}

// peek is the bundle the next fetch serves, without using it up: a relay that
// serves one-time prekeys twice.
func (r *relay) peek() pqxdh.Bundle {
	b := pqxdh.Bundle{Device: r.pub.Device, SignedPrekey: r.pub.SignedPrekey, PQPrekey: r.pub.LastResort}
	if r.next < len(r.pub.PQOneTime) {
		b.PQPrekey = r.pub.PQOneTime[r.next]
	}
	if r.next < len(r.pub.OneTime) {
		b.OneTime = &r.pub.OneTime[r.next]
	}
	return b
}

// lastResort is a bundle without one-time prekeys: what a relay serves once they
// are all gone.
func (r *relay) lastResort() pqxdh.Bundle {
	return pqxdh.Bundle{Device: r.pub.Device, SignedPrekey: r.pub.SignedPrekey, PQPrekey: r.pub.LastResort}
}

// chatID is a fixed chat id made of one byte.
func chatID(b byte) ids.Chat { return ids.Chat(bytes.Repeat([]byte{b}, ids.Size)) }

// pair is a started and accepted session between Alice and Bob, with their
// devices and Bob's store.
type pair struct {
	alice, bob   *identity.DeviceKey
	store        *pqxdh.Store
	relay        *relay
	aliceS, bobS *Session
}

// newPair starts a session of chat between Alice and Bob and has Bob accept
// Alice's first frame ("hello").
func newPair(t testing.TB, chat ids.Chat) *pair {
	t.Helper()
	p := &pair{alice: testAlice(t), bob: testBob(t)}
	p.store, p.relay = newStore(t, p.bob, 2)
	var err error
	if p.aliceS, err = Start(p.alice, p.bob.Public(), p.relay.bundle(), chat); err != nil {
		t.Fatal(err)
	}
	var pt []byte
	if p.bobS, pt, err = Accept(p.bob, p.store, mustSeal(t, p.aliceS, "hello")); err != nil {
		t.Fatal(err)
	}
	if string(pt) != "hello" {
		t.Fatalf("accepted %q", pt)
	}
	return p
}

func mustStart(t testing.TB, me *identity.DeviceKey, peer identity.DevicePublicKey, b pqxdh.Bundle, chat ids.Chat) *Session {
	t.Helper()
	s, err := Start(me, peer, b, chat)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustSeal(t testing.TB, s *Session, text string) []byte {
	t.Helper()
	f, err := s.Seal([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func mustOpen(t testing.TB, s *Session, f []byte, want string) {
	t.Helper()
	got, err := s.Open(f)
	if err != nil {
		t.Fatalf("open %q: %v", want, err)
	}
	if string(got) != want {
		t.Fatalf("opened %q, want %q", got, want)
	}
}

func encodeSession(t testing.TB, s *Session) []byte {
	t.Helper()
	b, err := s.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// restore is a restart: the session through its encoding, into a new Session.
func restore(t testing.TB, s *Session) *Session {
	t.Helper()
	b := encodeSession(t, s)
	var n Session
	if err := n.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(encodeSession(t, &n), b) {
		t.Fatal("the restored session encodes differently")
	}
	return &n
}

// wantOpenErr checks that opening f fails with every one of targets and leaves s
// as it was.
func wantOpenErr(t testing.TB, s *Session, f []byte, targets ...error) {
	t.Helper()
	before := encodeSession(t, s)
	_, err := s.Open(f)
	for _, target := range targets {
		if !errors.Is(err, target) {
			t.Fatalf("open: %v, want %v", err, target)
		}
	}
	if !bytes.Equal(before, encodeSession(t, s)) {
		t.Fatalf("a failed open (%v) changed the session", err)
	}
}

// reframe decodes f, lets change alter it, and encodes it again: a relay that
// rewrites a frame's fields in the clear.
func reframe(t testing.TB, f []byte, change func(*frame)) []byte {
	t.Helper()
	p, err := parseFrame(f)
	if err != nil {
		t.Fatal(err)
	}
	change(p)
	out, err := encodeFrame(p)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
