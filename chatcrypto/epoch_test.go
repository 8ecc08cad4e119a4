package chatcrypto

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"hush/identity"
	"hush/ids"
)

func TestEpochKeyRoundTrip(t *testing.T) {
	w := newWorld(t)
	env, err := WrapEpochKey(w.key, w.chat, w.epoch, w.bob.Public())
	if err != nil {
		t.Fatal(err)
	}
	if len(env) != EnvelopeSize {
		t.Fatalf("envelope is %d bytes, want %d", len(env), EnvelopeSize)
	}
	got, err := UnwrapEpochKey(env, w.chat, w.epoch, w.bob)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Equal(w.key) {
		t.Fatal("unwrapped key differs")
	}
	// Wrapping is randomised: two envelopes of one key differ.
	env2, _ := WrapEpochKey(w.key, w.chat, w.epoch, w.bob.Public())
	if bytes.Equal(env, env2) {
		t.Fatal("two envelopes are identical")
	}
}

func TestEpochKeyCrossBinding(t *testing.T) {
	w := newWorld(t)
	env, err := WrapEpochKey(w.key, w.chat, w.epoch, w.bob.Public())
	if err != nil {
		t.Fatal(err)
	}
	otherChat := w.chat
	otherChat[15] ^= 1
	// An attacker holding the recipient's X25519 key pair under another account id
	// (same encryption key, different signing key) must not be able to open it
	// either: the recipient id is bound too.
	_, bobEnc := w.bob.Seeds()
	bobTwin, err := identity.AccountKeyFromSeeds(seed(99), bobEnc)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		chat  ids.Chat
		epoch uint64
		me    *identity.AccountKey
	}{
		{"other chat", otherChat, w.epoch, w.bob},
		{"previous epoch", w.chat, w.epoch - 1, w.bob},
		{"next epoch", w.chat, w.epoch + 1, w.bob},
		{"other recipient", w.chat, w.epoch, w.mallory},
		{"sender's own account", w.chat, w.epoch, w.alice},
		{"same X25519 key, other account id", w.chat, w.epoch, bobTwin},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := UnwrapEpochKey(env, tt.chat, tt.epoch, tt.me); !errors.Is(err, ErrDecrypt) {
				t.Fatalf("err = %v, want ErrDecrypt", err)
			}
		})
	}
}

func TestUnwrapEpochKeyBitFlips(t *testing.T) {
	w := newWorld(t)
	env, _ := WrapEpochKey(w.key, w.chat, w.epoch, w.bob.Public())
	for i := range env {
		for bit := 0; bit < 8; bit++ {
			bad := bytes.Clone(env)
			bad[i] ^= 1 << bit
			k, err := UnwrapEpochKey(bad, w.chat, w.epoch, w.bob)
			if err == nil {
				t.Fatalf("bit %d of byte %d flipped: accepted, key equal = %v", bit, i, k.Equal(w.key))
			}
			want := ErrDecrypt
			if i == 0 {
				want = ErrMalformed // the version byte
			}
			if !errors.Is(err, want) {
				t.Fatalf("bit %d of byte %d flipped: err = %v, want %v", bit, i, err, want)
			}
		}
	}
}

func TestUnwrapEpochKeyLengths(t *testing.T) {
	w := newWorld(t)
	env, _ := WrapEpochKey(w.key, w.chat, w.epoch, w.bob.Public())
	for n := 0; n < len(env); n++ {
		if _, err := UnwrapEpochKey(env[:n], w.chat, w.epoch, w.bob); !errors.Is(err, ErrMalformed) {
			t.Fatalf("truncated to %d bytes: err = %v", n, err)
		}
	}
	if _, err := UnwrapEpochKey(append(bytes.Clone(env), 0), w.chat, w.epoch, w.bob); !errors.Is(err, ErrMalformed) {
		t.Fatalf("one byte too long: err = %v", err)
	}
	// A low-order X25519 point as encapsulated key fails cleanly.
	zero := make([]byte, EnvelopeSize)
	zero[0] = envelopeVersion
	if _, err := UnwrapEpochKey(zero, w.chat, w.epoch, w.bob); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("all-zero envelope: err = %v", err)
	}
}

func TestWrapEpochKeyRejects(t *testing.T) {
	w := newWorld(t)
	if _, err := WrapEpochKey(EpochKey{}, w.chat, w.epoch, w.bob.Public()); err == nil {
		t.Fatal("zero key wrapped")
	}
	if _, err := WrapEpochKey(w.key, w.chat, w.epoch, identity.AccountPublicKey{}); err == nil {
		t.Fatal("wrapped to no key")
	}
	if _, err := UnwrapEpochKey(make([]byte, EnvelopeSize), w.chat, w.epoch, nil); err == nil {
		t.Fatal("unwrapped with no key")
	}
}

func TestEpochKeyBytes(t *testing.T) {
	k, err := NewEpochKey()
	if err != nil {
		t.Fatal(err)
	}
	if k.IsZero() {
		t.Fatal("fresh key is zero")
	}
	k2, err := EpochKeyFromBytes(k.Bytes())
	if err != nil || !k2.Equal(k) {
		t.Fatalf("bytes round trip: %v", err)
	}
	other, _ := NewEpochKey()
	if other.Equal(k) {
		t.Fatal("two fresh keys are equal")
	}
	b := k.Bytes()
	b[0] ^= 1
	if k2, _ := EpochKeyFromBytes(k.Bytes()); !k2.Equal(k) {
		t.Fatal("Bytes returned the key's own memory")
	}
	for _, n := range []int{0, 31, 33} {
		if _, err := EpochKeyFromBytes(make([]byte, n)); !errors.Is(err, ErrMalformed) {
			t.Errorf("%d bytes: err = %v", n, err)
		}
	}
}

func TestEpochKeyRedacted(t *testing.T) {
	k, _ := EpochKeyFromBytes(bytes.Repeat([]byte{0x5a}, EpochKeySize))
	type holder struct{ Key EpochKey }
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("rotated", "key", k)
	js, _ := json.Marshal(holder{k})
	for _, s := range []string{
		fmt.Sprint(k), fmt.Sprintf("%v %+v %#v %s", holder{k}, holder{k}, holder{k}, k),
		logged.String(), string(js),
	} {
		if strings.Contains(s, "5a5a") || strings.Contains(s, "90 90") || strings.Contains(s, "ZZZZ") || strings.Contains(s, "WlpaWl") {
			t.Fatalf("epoch key printed: %s", s)
		}
	}
}
