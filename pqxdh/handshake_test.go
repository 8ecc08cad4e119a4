package pqxdh

import (
	"bytes"
	"crypto/ecdh"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"hush/ids"
	"hush/internal/testutil"
)

// TestHandshake runs both sides over the wire encodings, for every shape of
// bundle a relay serves: they derive the same key and AD.
func TestHandshake(t *testing.T) {
	alice, bob := testAlice(t), testBob(t)
	for _, tc := range []struct {
		name            string
		oneTime, pqOnce bool
	}{
		{"one-time X25519 and PQ prekeys", true, true},
		{"one-time X25519, last-resort PQ", true, false},
		{"no one-time X25519, one-time PQ", false, true},
		{"no one-time prekeys at all", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			store, pub := newStore(t, bob, 2)
			b := bundleOf(pub)
			if !tc.oneTime {
				b.OneTime = nil
			}
			if !tc.pqOnce {
				b.PQPrekey = pub.LastResort
			}
			wire, err := EncodeBundle(b)
			if err != nil {
				t.Fatal(err)
			}
			served, err := ParseBundle(wire)
			if err != nil {
				t.Fatal(err)
			}
			m, ha, err := Initiate(alice, bob.Public(), served)
			if err != nil {
				t.Fatal(err)
			}
			msg, err := EncodeInitialMessage(m)
			if err != nil {
				t.Fatal(err)
			}
			if len(msg) > MaxInitialMessageSize {
				t.Errorf("initial message of %d bytes is over the limit", len(msg))
			}
			received, err := ParseInitialMessage(msg)
			if err != nil {
				t.Fatal(err)
			}
			hb, err := Respond(bob, store, received)
			if err != nil {
				t.Fatal(err)
			}
			if !sameKeys(ha, hb) {
				t.Fatal("the two sides derived different keys")
			}
			if len(ha.AD) != 160 || !bytes.Equal(ha.AD[:64], alice.Public().Bytes()) || !bytes.Equal(ha.AD[64:128], bob.Public().Bytes()) {
				t.Errorf("AD does not start with IK_A ‖ IK_B: %x", ha.AD)
			}
			if !hb.Peer.Equal(alice.Public()) || !ha.Peer.Equal(bob.Public()) {
				t.Error("peers")
			}
			if !ha.PeerRatchetKey.Equal(hb.RatchetKey.PublicKey()) {
				t.Error("Alice's first ratchet key is not Bob's")
			}
			ot, pq := store.Remaining()
			wantOT, wantPQ := 2, 2
			if tc.oneTime {
				wantOT--
			}
			if tc.pqOnce {
				wantPQ--
			}
			if ot != wantOT || pq != wantPQ {
				t.Errorf("%d one-time and %d PQ one-time prekeys left, want %d and %d", ot, pq, wantOT, wantPQ)
			}
		})
	}
}

// TestRelaySwapsPrekeys is the relay putting its own keys in a bundle: every
// signed key it replaces, or moves to another role, fails the signature check.
func TestRelaySwapsPrekeys(t *testing.T) {
	alice, bob, mallory := testAlice(t), testBob(t), testDevice(t, 0x50, 0x51)
	_, pub := newStore(t, bob, 2)
	_, other := newStore(t, mallory, 1)
	relayKey := x25519Key(t, 0x60)
	for _, tc := range []struct {
		name   string
		change func(*Bundle)
		want   error
	}{
		{"signed prekey replaced", func(b *Bundle) { b.SignedPrekey.Key = relayKey.PublicKey() }, ErrBadSignature},
		{"signed prekey of another device", func(b *Bundle) { b.SignedPrekey = other.SignedPrekey }, ErrBadSignature},
		{"signed prekey id changed", func(b *Bundle) { b.SignedPrekey.ID = ids.Prekey{1} }, ErrBadSignature},
		{"signed prekey time changed", func(b *Bundle) { b.SignedPrekey.Created = b.SignedPrekey.Created.Add(time.Hour) }, ErrBadSignature},
		{"signature cut", func(b *Bundle) { b.SignedPrekey.Signature = b.SignedPrekey.Signature[:63] }, ErrBadSignature},
		{"PQ prekey replaced", func(b *Bundle) { b.PQPrekey.Key = kemKey(t, 0x61).EncapsulationKey() }, ErrBadSignature},
		{"PQ prekey of another device", func(b *Bundle) { b.PQPrekey = other.PQOneTime[0] }, ErrBadSignature},
		{"PQ prekey swapped with another of the device's", func(b *Bundle) { b.PQPrekey.Key = pub.PQOneTime[1].Key }, ErrBadSignature},
		{"one-time PQ prekey served as last resort", func(b *Bundle) { b.PQPrekey.LastResort = true }, ErrBadSignature},
		{"last-resort PQ prekey served as one-time", func(b *Bundle) { b.PQPrekey = pub.LastResort; b.PQPrekey.LastResort = false }, ErrBadSignature},
		{"the whole bundle of another device", func(b *Bundle) { *b = bundleOf(other) }, ErrWrongPeer},
		{"another device's key, Bob's prekeys", func(b *Bundle) { b.Device = mallory.Public() }, ErrWrongPeer},
		{"one-time prekey without an id", func(b *Bundle) { b.OneTime = &OneTimePrekey{Key: relayKey.PublicKey()} }, ErrInvalidBundle},
		{"low-order one-time prekey", func(b *Bundle) { b.OneTime = &OneTimePrekey{ID: ids.Prekey{1}, Key: lowOrderKey(t)} }, ErrInvalidBundle},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := bundleOf(pub)
			b.OneTime = &OneTimePrekey{ID: pub.OneTime[0].ID, Key: pub.OneTime[0].Key}
			tc.change(&b)
			if _, _, err := Initiate(alice, bob.Public(), b); !errors.Is(err, tc.want) {
				t.Fatalf("Initiate: %v, want %v", err, tc.want)
			}
			// ParseBundle alone catches the signatures, not whose bundle it is.
			if tc.want == ErrBadSignature {
				wire, err := EncodeBundle(b)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := ParseBundle(wire); !errors.Is(err, ErrBadSignature) {
					t.Fatalf("ParseBundle: %v", err)
				}
			}
		})
	}
}

// lowOrderKey is an X25519 public key of small order: every DH with it is zero.
func lowOrderKey(t *testing.T) *ecdh.PublicKey {
	t.Helper()
	k, err := ecdh.X25519().NewPublicKey(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestRespondRefuses covers initial messages Bob must refuse outright.
func TestRespondRefuses(t *testing.T) {
	alice, bob := testAlice(t), testBob(t)
	store, pub := newStore(t, bob, 2)
	m, _, err := Initiate(alice, bob.Public(), bundleOf(pub))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Respond(bob, store, m); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		change func(*InitialMessage)
		want   error
	}{
		{"replayed: the one-time prekeys are used", func(*InitialMessage) {}, ErrPrekeyUsed},
		{"unknown signed prekey", func(m *InitialMessage) { m.SignedPrekeyID = ids.Prekey{1} }, ErrUnknownPrekey},
		{"unknown PQ prekey", func(m *InitialMessage) { m.PQPrekeyID = ids.Prekey{1} }, ErrUnknownPrekey},
		{"unknown one-time prekey", func(m *InitialMessage) { m.PQPrekeyID = pub.PQOneTime[1].ID; m.OneTimePrekeyID = ids.Prekey{1} }, ErrUnknownPrekey},
		{"used one-time prekey with a fresh PQ one", func(m *InitialMessage) { m.PQPrekeyID = pub.PQOneTime[1].ID }, ErrPrekeyUsed},
		{"used PQ prekey with a fresh one-time one", func(m *InitialMessage) { m.OneTimePrekeyID = pub.OneTime[1].ID }, ErrPrekeyUsed},
		{"a signed prekey id as PQ id", func(m *InitialMessage) { m.PQPrekeyID = pub.SignedPrekey.ID }, ErrUnknownPrekey},
		{"low-order ephemeral key", func(m *InitialMessage) {
			m.PQPrekeyID, m.OneTimePrekeyID, m.Ephemeral = pub.LastResort.ID, ids.Prekey{}, lowOrderKey(t)
		}, ErrInvalidMessage},
		{"short ciphertext", func(m *InitialMessage) { m.Ciphertext = m.Ciphertext[1:] }, ErrInvalidMessage},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := m
			m.Ciphertext = bytes.Clone(m.Ciphertext)
			tc.change(&m)
			before, _ := EncodeStore(store)
			if _, err := Respond(bob, store, m); !errors.Is(err, tc.want) {
				t.Fatalf("Respond: %v, want %v", err, tc.want)
			}
			if after, _ := EncodeStore(store); !bytes.Equal(before, after) {
				t.Error("a refused message changed the store")
			}
		})
	}
	if _, err := Respond(testDevice(t, 0x50, 0x51), store, m); !errors.Is(err, ErrInvalidStore) {
		t.Errorf("another device's key with Bob's store: %v", err)
	}
}

// TestTamperedMessage changes what the relay can change in an initial message:
// Bob derives another key, which the first ratchet message would reveal.
func TestTamperedMessage(t *testing.T) {
	alice, bob, mallory := testAlice(t), testBob(t), testDevice(t, 0x50, 0x51)
	for _, tc := range []struct {
		name   string
		change func(*InitialMessage)
	}{
		{"a bit of the ciphertext", func(m *InitialMessage) { m.Ciphertext[100] ^= 1 }},
		{"the last byte of the ciphertext", func(m *InitialMessage) { m.Ciphertext[len(m.Ciphertext)-1] ^= 0x80 }},
		{"the ephemeral key", func(m *InitialMessage) { m.Ephemeral = x25519Key(t, 0x62).PublicKey() }},
		{"the initiator", func(m *InitialMessage) { m.Initiator = mallory.Public() }},
		{"no one-time prekey", func(m *InitialMessage) { m.OneTimePrekeyID = ids.Prekey{} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store, pub := newStore(t, bob, 1)
			m, ha, err := Initiate(alice, bob.Public(), bundleOf(pub))
			if err != nil {
				t.Fatal(err)
			}
			m.Ciphertext = bytes.Clone(m.Ciphertext)
			tc.change(&m)
			hb, err := Respond(bob, store, m)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Equal(ha.SharedKey[:], hb.SharedKey[:]) {
				t.Error("the same key despite the change")
			}
			if bytes.Equal(ha.AD, hb.AD) {
				t.Error("the same AD despite the change")
			}
		})
	}
}

// TestHandshakeHidesKey: printing or logging a handshake shows no key.
func TestHandshakeHidesKey(t *testing.T) {
	bob := testBob(t)
	_, pub := newStore(t, bob, 0)
	_, h, err := Initiate(testAlice(t), bob.Public(), bundleOf(pub))
	if err != nil {
		t.Fatal(err)
	}
	var logged bytes.Buffer
	slog.New(slog.NewTextHandler(&logged, nil)).Info("done", "handshake", h)
	for _, out := range []string{fmt.Sprint(h), fmt.Sprintf("%v %+v %#v", h, h, h), logged.String()} {
		if strings.Contains(out, fmt.Sprintf("%x", h.SharedKey)) || strings.Contains(out, fmt.Sprint(h.SharedKey[:4])) {
			t.Errorf("the key shows in %q", out)
		}
	}
	h.Destroy()
	if h.SharedKey != ([SharedKeySize]byte{}) {
		t.Error("Destroy left the key")
	}
}

// TestInitialMessageEncoding: every truncation, and a few bad fields, fail with
// ErrInvalidMessage; a valid message round-trips.
func TestInitialMessageEncoding(t *testing.T) {
	bob := testBob(t)
	_, pub := newStore(t, bob, 1)
	m, _, err := Initiate(testAlice(t), bob.Public(), bundleOf(pub))
	if err != nil {
		t.Fatal(err)
	}
	b, err := EncodeInitialMessage(m)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("initial message: %d bytes", len(b))
	for n := range len(b) {
		if _, err := ParseInitialMessage(b[:n]); !errors.Is(err, ErrInvalidMessage) {
			t.Fatalf("truncated to %d bytes: %v", n, err)
		}
	}
	if _, err := ParseInitialMessage(append(bytes.Clone(b), 0)); !errors.Is(err, ErrInvalidMessage) {
		t.Errorf("trailing byte: %v", err)
	}
	if _, err := ParseInitialMessage(make([]byte, MaxInitialMessageSize+1)); !errors.Is(err, ErrInvalidMessage) {
		t.Errorf("over the limit: %v", err)
	}
	bad := func(name string, w messageWire) {
		t.Helper()
		enc, err := enc.Marshal(w)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ParseInitialMessage(enc); !errors.Is(err, ErrInvalidMessage) {
			t.Errorf("%s: %v", name, err)
		}
	}
	good := messageWire{Version: messageVersion, Initiator: m.Initiator.Bytes(), Ephemeral: m.Ephemeral.Bytes(),
		SignedPrekeyID: m.SignedPrekeyID, PQPrekeyID: m.PQPrekeyID, OneTimePrekeyID: m.OneTimePrekeyID, Ciphertext: m.Ciphertext}
	if again, _ := enc.Marshal(good); !bytes.Equal(again, b) {
		t.Fatal("the test's wire form differs from the encoder's")
	}
	w := good
	w.Version = 2
	bad("version 2", w)
	w = good
	w.Ephemeral = w.Ephemeral[:31]
	bad("short ephemeral key", w)
	w = good
	w.Initiator = w.Initiator[:63]
	bad("short initiator", w)
	w = good
	w.PQPrekeyID = ids.Prekey{}
	bad("zero PQ prekey id", w)
	w = good
	w.Ciphertext = append(bytes.Clone(w.Ciphertext), 0)
	bad("long ciphertext", w)
	// One value, one encoding: a non-minimal version integer is refused.
	if _, err := ParseInitialMessage(append([]byte{0x87, 0x18, 0x01}, b[2:]...)); !errors.Is(err, ErrInvalidMessage) {
		t.Errorf("non-minimal version: %v", err)
	}
	// The ciphertext is opaque: one bit per byte there.
	testutil.EachBitFlip(b, len(b)-len(m.Ciphertext), len(b), func(flipped []byte, _, _ int) {
		got, err := ParseInitialMessage(flipped)
		if err != nil {
			if !errors.Is(err, ErrInvalidMessage) {
				t.Fatalf("untyped error: %v", err)
			}
			return
		}
		if again, err := EncodeInitialMessage(got); err != nil || !bytes.Equal(again, flipped) {
			t.Fatalf("accepted a message that re-encodes otherwise: %v", err)
		}
	})
}
