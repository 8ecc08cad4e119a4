package ratchet

import (
	"bytes"
	"testing"
)

// BenchmarkRoundTrip1KiB is one 1 KiB message encrypted by Alice and decrypted by
// Bob, within one chain: the symmetric ratchet, HKDF and XChaCha20-Poly1305.
func BenchmarkRoundTrip1KiB(b *testing.B) {
	alice, bob := newPair(b, 30)
	pt := bytes.Repeat([]byte("x"), 1024)
	b.SetBytes(1024)
	for b.Loop() {
		m, err := alice.Encrypt(pt, testAD)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := bob.Decrypt(m, testAD); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDHRatchetStep is a turn of the conversation: a short message each way,
// so each decrypt takes a DH ratchet step (two X25519 operations and a new key
// pair) — what every change of speaker costs the receiver.
func BenchmarkDHRatchetStep(b *testing.B) {
	alice, bob := newPair(b, 31)
	pt := []byte("hi")
	for b.Loop() {
		for _, p := range [2][2]*State{{alice, bob}, {bob, alice}} {
			m, err := p[0].Encrypt(pt, testAD)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := p[1].Decrypt(m, testAD); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(2*b.N), "ns/step")
}

// BenchmarkMarshalFullState is saving a state that holds MaxSkippedKeys skipped
// keys, the largest, and loading it back: what a restart costs at worst.
func BenchmarkMarshalFullState(b *testing.B) {
	alice, bob := newPair(b, 32)
	for range 2 {
		for range MaxSkip {
			alice.Encrypt(nil, nil)
		}
		m, _ := alice.Encrypt(nil, nil)
		if _, err := bob.Decrypt(m, nil); err != nil {
			b.Fatal(err)
		}
		m, _ = bob.Encrypt(nil, nil)
		if _, err := alice.Decrypt(m, nil); err != nil {
			b.Fatal(err)
		}
	}
	if bob.skipped.len() != MaxSkippedKeys {
		b.Fatalf("%d keys", bob.skipped.len())
	}
	for b.Loop() {
		enc, err := bob.MarshalBinary()
		if err != nil {
			b.Fatal(err)
		}
		var s State
		if err := s.UnmarshalBinary(enc); err != nil {
			b.Fatal(err)
		}
	}
}
