package secretsession

import (
	"bytes"
	"testing"
)

// BenchmarkHandshake is a session started and accepted: Start (the bundle's
// signatures, three or four X25519 operations, an ML-KEM-768 encapsulation) and
// Accept (the same on Bob's side with a decapsulation, and the first frame
// opened), with one-time prekeys as a relay serves them while any are left.
func BenchmarkHandshake(b *testing.B) {
	alice, bob := testAlice(b), testBob(b)
	store, rel := newStore(b, bob, 100)
	for b.Loop() {
		if rel.next == len(rel.pub.OneTime) {
			b.StopTimer()
			store, rel = newStore(b, bob, 100)
			b.StartTimer()
		}
		s, err := Start(alice, bob.Public(), rel.bundle(), chatID(1))
		if err != nil {
			b.Fatal(err)
		}
		f, err := s.Seal([]byte("hello"))
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := Accept(bob, store, f); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSealOpen1KiB is a 1 KiB message sealed by Alice and opened by Bob
// within one chain: the ratchet's symmetric step, the frame encoding and parsing.
func BenchmarkSealOpen1KiB(b *testing.B) {
	p := newPair(b, chatID(1))
	mustOpen(b, p.aliceS, mustSeal(b, p.bobS, "ack"), "ack") // frames without the initial message
	pt := bytes.Repeat([]byte("x"), 1024)
	b.SetBytes(1024)
	for b.Loop() {
		f, err := p.aliceS.Seal(pt)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := p.bobS.Open(f); err != nil {
			b.Fatal(err)
		}
	}
}
