package ratchet

import (
	"bytes"
	"errors"
	"testing"
)

// The fuzz targets feed arbitrary bytes to every decoder and to Decrypt. Each must
// return its sentinel error or a value that satisfies its invariants, and never
// panic.

func FuzzParseHeader(f *testing.F) {
	for _, h := range []Header{{}, {DH: [32]byte{1}, PN: 24, N: 1 << 20}} {
		b, _ := h.MarshalBinary()
		f.Add(b)
	}
	f.Add([]byte{})
	f.Add([]byte{0x84, 0x01, 0x40, 0x00, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ParseHeader(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("untyped error: %v", err)
			}
			return
		}
		// A header has one encoding, and it is the input.
		again, err := h.MarshalBinary()
		if err != nil || !bytes.Equal(again, b) || len(b) > maxHeaderSize {
			t.Fatalf("%x parses to %+v, which encodes as %x: %v", b, h, again, err)
		}
	})
}

func FuzzUnmarshalState(f *testing.F) {
	alice, bob := newPair(f, 20)
	f.Add(encodeState(f, alice))
	f.Add(encodeState(f, bob))
	mustEncrypt(f, alice, "a0")
	mustDecrypt(f, bob, mustEncrypt(f, alice, "a1"), "a1")
	f.Add(encodeState(f, bob))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		var s State
		if err := s.UnmarshalBinary(b); err != nil {
			if !errors.Is(err, ErrBadState) {
				t.Fatalf("untyped error: %v", err)
			}
			return
		}
		if again := encodeState(t, &s); !bytes.Equal(again, b) {
			t.Fatalf("%x loads, and encodes as %x", b, again)
		}
		// A state that loads works: it encrypts if it has a sending chain, and
		// refuses a message it never saw without a change.
		if s.c.hasCKs {
			if _, err := s.Encrypt([]byte("x"), nil); err != nil {
				t.Fatal(err)
			}
		}
		msg := append(append([]byte{}, b[:min(len(b), 60)]...), make([]byte, 16)...)
		before := encodeState(t, &s)
		if _, err := s.Decrypt(msg, nil); err == nil {
			t.Fatal("decrypted a message made of the state")
		}
		if !bytes.Equal(before, encodeState(t, &s)) {
			t.Fatal("a failed Decrypt changed the state")
		}
	})
}

func FuzzDecrypt(f *testing.F) {
	alice, bob := newPair(f, 21)
	m0 := mustEncrypt(f, alice, "m0")
	f.Add(mustEncrypt(f, alice, "m1"))
	f.Add(m0)
	f.Add([]byte{})
	mustDecrypt(f, bob, m0, "m0")
	base := encodeState(f, bob)
	f.Fuzz(func(t *testing.T, msg []byte) {
		var s State
		if err := s.UnmarshalBinary(base); err != nil {
			t.Fatal(err)
		}
		s.random = seeded(21)
		pt, err := s.Decrypt(msg, testAD)
		if err != nil {
			for _, e := range []error{ErrMalformed, ErrDecrypt, ErrDuplicate, ErrTooManySkipped, ErrBadKey} {
				if errors.Is(err, e) {
					if !bytes.Equal(base, encodeState(t, &s)) {
						t.Fatalf("a failed Decrypt (%v) changed the state", err)
					}
					return
				}
			}
			t.Fatalf("untyped error: %v", err)
		}
		// Only Alice's genuine m1 decrypts, and only once.
		if string(pt) != "m1" {
			t.Fatalf("decrypted %q", pt)
		}
		if _, err := s.Decrypt(msg, testAD); !errors.Is(err, ErrDuplicate) {
			t.Fatalf("second delivery: %v", err)
		}
	})
}
