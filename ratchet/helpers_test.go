package ratchet

import (
	"bytes"
	"crypto/ecdh"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"testing"
)

// testAD stands for the handshake's associated data.
var testAD = []byte("PQXDH AD: Alice's identity key || Bob's identity key")

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// seeded is a reproducible source for GENERATE_DH and for the tests' choices.
func seeded(seed uint64) *rand.ChaCha8 {
	var s [32]byte
	s[0], s[1] = byte(seed), byte(seed>>8)
	return rand.NewChaCha8(s)
}

// newPair starts a session between Alice and Bob as a handshake would: a shared
// secret and Bob's prekey. Their ratchet keys come from seeded streams, so a
// failure reproduces.
func newPair(t testing.TB, seed uint64) (alice, bob *State) {
	t.Helper()
	r := seeded(seed)
	var sk [32]byte
	r.Read(sk[:])
	prekey, err := generateDH(r)
	if err != nil {
		t.Fatal(err)
	}
	alice, err = initAlice(sk[:], prekey.PublicKey(), seeded(seed+1000))
	if err != nil {
		t.Fatal(err)
	}
	bob, err = InitBob(sk[:], prekey)
	if err != nil {
		t.Fatal(err)
	}
	bob.random = seeded(seed + 2000)
	return alice, bob
}

func mustEncrypt(t testing.TB, s *State, text string) []byte {
	t.Helper()
	m, err := s.Encrypt([]byte(text), testAD)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func mustDecrypt(t testing.TB, s *State, m []byte, want string) {
	t.Helper()
	got, err := s.Decrypt(m, testAD)
	if err != nil {
		t.Fatalf("decrypt %q: %v", want, err)
	}
	if string(got) != want {
		t.Fatalf("decrypted %q, want %q", got, want)
	}
}

// wantErr checks that decrypting m fails with target and leaves s as it was.
func wantErr(t testing.TB, s *State, m []byte, target error) {
	t.Helper()
	before := encodeState(t, s)
	_, err := s.Decrypt(m, testAD)
	if !errors.Is(err, target) {
		t.Fatalf("decrypt: %v, want %v", err, target)
	}
	if !bytes.Equal(before, encodeState(t, s)) {
		t.Fatalf("a failed decrypt (%v) changed the state", err)
	}
}

func encodeState(t testing.TB, s *State) []byte {
	t.Helper()
	b, err := s.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// restore is a restart: the state through its encoding, into a new State.
func restore(t testing.TB, s *State) *State {
	t.Helper()
	b := encodeState(t, s)
	var n State
	if err := n.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	if again := encodeState(t, &n); !bytes.Equal(again, b) {
		t.Fatal("the restored state encodes differently")
	}
	n.random = s.random
	return &n
}

func x25519Key(t testing.TB, b []byte) *ecdh.PrivateKey {
	t.Helper()
	k, err := ecdh.X25519().NewPrivateKey(b)
	if err != nil {
		t.Fatal(err)
	}
	return k
}
