package pqxdh

import (
	"errors"
	"testing"
)

// TestRecords: each prekey round-trips alone, and every truncation and the wrong
// device fail with the sentinel errors.
func TestRecords(t *testing.T) {
	bob, alice := testBob(t), testAlice(t)
	_, pub := newStore(t, bob, 1)
	for _, tc := range []struct {
		name  string
		enc   func() ([]byte, error)
		parse func([]byte) error
		other func([]byte) error // with another device's key, nil if unsigned
	}{
		{"signed", func() ([]byte, error) { return EncodeSignedPrekey(pub.SignedPrekey) },
			func(b []byte) error { _, err := ParseSignedPrekey(bob.Public(), b); return err },
			func(b []byte) error { _, err := ParseSignedPrekey(alice.Public(), b); return err }},
		{"last resort", func() ([]byte, error) { return EncodePQPrekey(pub.LastResort) },
			func(b []byte) error { _, err := ParsePQPrekey(bob.Public(), b); return err },
			func(b []byte) error { _, err := ParsePQPrekey(alice.Public(), b); return err }},
		{"PQ one-time", func() ([]byte, error) { return EncodePQPrekey(pub.PQOneTime[0]) },
			func(b []byte) error { _, err := ParsePQPrekey(bob.Public(), b); return err },
			func(b []byte) error { _, err := ParsePQPrekey(alice.Public(), b); return err }},
		{"one-time", func() ([]byte, error) { return EncodeOneTimePrekey(pub.OneTime[0]) },
			func(b []byte) error { _, err := ParseOneTimePrekey(b); return err }, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := tc.enc()
			if err != nil {
				t.Fatal(err)
			}
			if len(b) > MaxRecordSize {
				t.Fatalf("%d bytes, over MaxRecordSize", len(b))
			}
			t.Logf("%d bytes", len(b))
			if err := tc.parse(b); err != nil {
				t.Fatal(err)
			}
			if tc.other != nil {
				if err := tc.other(b); !errors.Is(err, ErrBadSignature) {
					t.Errorf("another device's key: %v", err)
				}
			}
			for n := range len(b) {
				if err := tc.parse(b[:n]); !errors.Is(err, ErrInvalidBundle) {
					t.Fatalf("truncated to %d bytes: %v", n, err)
				}
			}
			if err := tc.parse(make([]byte, MaxRecordSize+1)); !errors.Is(err, ErrInvalidBundle) {
				t.Errorf("over the limit: %v", err)
			}
		})
	}
	// A signed X25519 prekey is not a post-quantum one, nor the reverse.
	spk, _ := EncodeSignedPrekey(pub.SignedPrekey)
	if _, err := ParsePQPrekey(bob.Public(), spk); !errors.Is(err, ErrInvalidBundle) {
		t.Errorf("a signed prekey as PQ prekey: %v", err)
	}
	pq, _ := EncodePQPrekey(pub.LastResort)
	if _, err := ParseSignedPrekey(bob.Public(), pq); !errors.Is(err, ErrInvalidBundle) {
		t.Errorf("a PQ prekey as signed prekey: %v", err)
	}
}
