package chatcrypto

import (
	"bytes"
	"crypto/mlkem"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"hush/identity"
	"hush/ids"
	"hush/internal/testutil"
)

// recipients are Bob in both forms: with an ML-KEM key (version 2 envelopes) and a
// legacy key without one (version 1).
func (w *world) recipients(t testing.TB) []struct {
	name    string
	key     *identity.AccountKey
	size    int
	version byte
} {
	return []struct {
		name    string
		key     *identity.AccountKey
		size    int
		version byte
	}{
		{"v2", w.bob, EnvelopeSizeV2, envelopeV2},
		{"v1", legacyAccount(t, 5), EnvelopeSizeV1, envelopeV1},
	}
}

func TestEpochKeyRoundTrip(t *testing.T) {
	w := newWorld(t)
	for _, r := range w.recipients(t) {
		t.Run(r.name, func(t *testing.T) {
			env, err := WrapEpochKey(w.key, w.chat, w.epoch, r.key.Public())
			if err != nil {
				t.Fatal(err)
			}
			if len(env) != r.size || env[0] != r.version {
				t.Fatalf("envelope is %d bytes of version %d, want %d of %d", len(env), env[0], r.size, r.version)
			}
			got, err := UnwrapEpochKey(env, w.chat, w.epoch, r.key)
			if err != nil {
				t.Fatal(err)
			}
			if !got.Equal(w.key) {
				t.Fatal("unwrapped key differs")
			}
			// Wrapping is randomised: two envelopes of one key differ.
			env2, _ := WrapEpochKey(w.key, w.chat, w.epoch, r.key.Public())
			if bytes.Equal(env, env2) {
				t.Fatal("two envelopes are identical")
			}
		})
	}
	// A key known only in its 64-byte form gets version 1, which the full key opens.
	env, err := WrapEpochKey(w.key, w.chat, w.epoch, w.bob.Public().WithoutKEM())
	if err != nil || env[0] != envelopeV1 {
		t.Fatalf("to the 64-byte form: %v, version %d", err, env[0])
	}
	if got, err := UnwrapEpochKey(env, w.chat, w.epoch, w.bob); err != nil || !got.Equal(w.key) {
		t.Fatalf("full key opening a version 1 envelope: %v", err)
	}
}

func TestEpochKeyCrossBinding(t *testing.T) {
	w := newWorld(t)
	otherChat := w.chat
	otherChat[15] ^= 1
	for _, r := range w.recipients(t) {
		t.Run(r.name, func(t *testing.T) {
			env, err := WrapEpochKey(w.key, w.chat, w.epoch, r.key.Public())
			if err != nil {
				t.Fatal(err)
			}
			// An attacker holding the recipient's private encryption keys under another
			// account id (same encryption keys, different signing key) must not be
			// able to open it either: the recipient id is bound too.
			_, enc, kem := r.key.Seeds()
			twin, err := identity.AccountKeyFromSeeds(seed(99), enc, kem)
			if err != nil {
				t.Fatal(err)
			}
			tests := []struct {
				name  string
				chat  ids.Chat
				epoch uint64
				me    *identity.AccountKey
			}{
				{"other chat", otherChat, w.epoch, r.key},
				{"previous epoch", w.chat, w.epoch - 1, r.key},
				{"next epoch", w.chat, w.epoch + 1, r.key},
				{"other recipient", w.chat, w.epoch, w.mallory},
				{"sender's own account", w.chat, w.epoch, w.alice},
				{"same encryption keys, other account id", w.chat, w.epoch, twin},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					if _, err := UnwrapEpochKey(env, tt.chat, tt.epoch, tt.me); !errors.Is(err, ErrDecrypt) {
						t.Fatalf("err = %v, want ErrDecrypt", err)
					}
				})
			}
		})
	}
}

// TestEnvelopeVersionsDoNotMix: a version 2 envelope does not open for a key
// without ML-KEM, and neither version opens when relabelled as the other.
func TestEnvelopeVersionsDoNotMix(t *testing.T) {
	w := newWorld(t)
	v2, _ := WrapEpochKey(w.key, w.chat, w.epoch, w.bob.Public())
	v1, _ := WrapEpochKey(w.key, w.chat, w.epoch, w.bob.Public().WithoutKEM())
	legacyBob := legacyAccount(t, 5)
	if _, err := UnwrapEpochKey(v2, w.chat, w.epoch, legacyBob); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("version 2 for a legacy key: err = %v", err)
	}
	for name, env := range map[string][]byte{
		"v1 called v2": append([]byte{envelopeV2}, v1[1:]...),
		"v2 called v1": append([]byte{envelopeV1}, v2[1:]...),
		"version 3":    append([]byte{3}, v2[1:]...),
		"version 0":    append([]byte{0}, v1[1:]...),
	} {
		if _, err := UnwrapEpochKey(env, w.chat, w.epoch, w.bob); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: err = %v, want ErrMalformed", name, err)
		}
	}
}

func TestUnwrapEpochKeyBitFlips(t *testing.T) {
	w := newWorld(t)
	for _, r := range w.recipients(t) {
		t.Run(r.name, func(t *testing.T) {
			env, _ := WrapEpochKey(w.key, w.chat, w.epoch, r.key.Public())
			// The ML-KEM ciphertext of a version 2 envelope is opaque to this code.
			opaqueEnd := 1
			if r.version == envelopeV2 {
				opaqueEnd = 1 + mlkem.CiphertextSize768
			}
			testutil.EachBitFlip(env, 1, opaqueEnd, func(bad []byte, i, bit int) {
				k, err := UnwrapEpochKey(bad, w.chat, w.epoch, r.key)
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
			})
		})
	}
}

func TestUnwrapEpochKeyLengths(t *testing.T) {
	w := newWorld(t)
	for _, r := range w.recipients(t) {
		t.Run(r.name, func(t *testing.T) {
			env, _ := WrapEpochKey(w.key, w.chat, w.epoch, r.key.Public())
			for n := 0; n < len(env); n++ {
				if _, err := UnwrapEpochKey(env[:n], w.chat, w.epoch, r.key); !errors.Is(err, ErrMalformed) {
					t.Fatalf("truncated to %d bytes: err = %v", n, err)
				}
			}
			if _, err := UnwrapEpochKey(append(bytes.Clone(env), 0), w.chat, w.epoch, r.key); !errors.Is(err, ErrMalformed) {
				t.Fatalf("one byte too long: err = %v", err)
			}
			// A low-order X25519 point as encapsulated key (and, for version 2, an
			// all-zero ML-KEM ciphertext) fails cleanly.
			zero := make([]byte, r.size)
			zero[0] = r.version
			if _, err := UnwrapEpochKey(zero, w.chat, w.epoch, r.key); !errors.Is(err, ErrDecrypt) {
				t.Fatalf("all-zero envelope: err = %v", err)
			}
		})
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
	if _, err := UnwrapEpochKey(make([]byte, EnvelopeSizeV1), w.chat, w.epoch, nil); err == nil {
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
