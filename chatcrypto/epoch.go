package chatcrypto

import (
	"crypto/ecdh"
	"crypto/hpke"
	"crypto/mlkem"
	"crypto/rand"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"hush/identity"
	"hush/ids"
)

// Labels that start the HPKE info of epoch key envelopes, one per envelope version,
// so an envelope cannot be mistaken for HPKE output of any other protocol (or of the
// other version) that uses the same keys.
const (
	epochWrapLabel   = "hush/v1/epoch-key-wrap"
	epochWrapLabelV2 = "hush/v1/epoch-key-wrap/mlkem768x25519"
)

// Envelope versions, the first byte of every envelope. Version 1 wraps to the
// account's X25519 key alone; version 2 to its X25519 and ML-KEM-768 keys together.
const (
	envelopeV1 = 1
	envelopeV2 = 2
)

// Sizes of epoch keys and their envelopes.
const (
	// EpochKeySize is the size of an [EpochKey].
	EpochKeySize = 32
	// EnvelopeSizeV1 is the size of a version 1 envelope: a version byte, the
	// 32-byte X25519 encapsulated key, the wrapped key and a 16-byte tag.
	EnvelopeSizeV1 = 1 + 32 + EpochKeySize + 16
	// EnvelopeSizeV2 is the size of a version 2 envelope: a version byte, the
	// ML-KEM-768 ciphertext (1088) and X25519 encapsulated key (32), the wrapped key
	// and a 16-byte tag.
	EnvelopeSizeV2 = 1 + mlkem.CiphertextSize768 + 32 + EpochKeySize + 16
)

// EpochKey is the symmetric key of one epoch of one chat. Every message of the epoch
// is sealed under a key derived from it. It is a secret: it prints as "[REDACTED]" and
// is not comparable with ==; use [EpochKey.Equal].
type EpochKey struct {
	_ [0]func() // not comparable with ==
	k [EpochKeySize]byte
}

// NewEpochKey returns a fresh random epoch key.
func NewEpochKey() (EpochKey, error) { return newEpochKey(rand.Reader) }

func newEpochKey(r io.Reader) (EpochKey, error) {
	var k EpochKey
	if _, err := io.ReadFull(r, k.k[:]); err != nil {
		return EpochKey{}, fmt.Errorf("new epoch key: %w", err)
	}
	return k, nil
}

// EpochKeyFromBytes rebuilds an epoch key from the bytes [EpochKey.Bytes] returned,
// as stored in the vault.
func EpochKeyFromBytes(b []byte) (EpochKey, error) {
	if len(b) != EpochKeySize {
		return EpochKey{}, fmt.Errorf("%w: epoch key must be %d bytes, got %d", ErrMalformed, EpochKeySize, len(b))
	}
	var k EpochKey
	copy(k.k[:], b)
	return k, nil
}

// Bytes returns a copy of the key for storage in the vault. The caller owns it and
// should clear it after use.
func (k EpochKey) Bytes() []byte { return append([]byte(nil), k.k[:]...) }

// Equal reports, in constant time, whether k and o are the same key.
func (k EpochKey) Equal(o EpochKey) bool { return subtle.ConstantTimeCompare(k.k[:], o.k[:]) == 1 }

// IsZero reports whether k is the zero value, which is never a usable key.
func (k EpochKey) IsZero() bool { return k.Equal(EpochKey{}) }

// String hides the key, so that printing a struct that holds one leaks nothing.
func (k EpochKey) String() string { return "chatcrypto.EpochKey([REDACTED])" }

// GoString hides the key from %#v as well.
func (k EpochKey) GoString() string { return k.String() }

// LogValue hides the key from log/slog.
func (k EpochKey) LogValue() slog.Value { return slog.StringValue("[REDACTED]") }

// wrapInfo is the HPKE info of an envelope: the version's label, then the
// fixed-size chat id, epoch and recipient account id, so an envelope opens only for
// the chat, epoch and recipient it was made for.
func wrapInfo(label string, chatID ids.Chat, epoch uint64, recipient ids.Account) []byte {
	b := make([]byte, 0, len(label)+ids.Size+8+ids.Size)
	b = append(b, label...)
	b = append(b, chatID[:]...)
	b = binary.BigEndian.AppendUint64(b, epoch)
	return append(b, recipient[:]...)
}

// envelopeSize returns the size an envelope of the version in its first byte must
// have; it fails with ErrMalformed for an unknown version.
func envelopeSize(env []byte) (int, error) {
	if len(env) == 0 {
		return 0, fmt.Errorf("%w: empty envelope", ErrMalformed)
	}
	switch env[0] {
	case envelopeV1:
		return EnvelopeSizeV1, nil
	case envelopeV2:
		return EnvelopeSizeV2, nil
	}
	return 0, fmt.Errorf("%w: unknown envelope version %d", ErrMalformed, env[0])
}

// checkEnvelope checks an envelope's version and size.
func checkEnvelope(env []byte) error {
	n, err := envelopeSize(env)
	if err != nil {
		return err
	}
	if len(env) != n {
		return fmt.Errorf("%w: version %d envelope of %d bytes, want %d", ErrMalformed, env[0], len(env), n)
	}
	return nil
}

// WrapEpochKey encrypts key to the account to, for one chat and epoch. Every device
// of that account, including devices linked later, can open it with
// [UnwrapEpochKey]. When to has an ML-KEM-768 key the envelope is version 2, which a
// future quantum computer cannot open; otherwise version 1 (X25519 only). The
// envelope is not authenticated as coming from anyone (HPKE base mode):
// authentication comes from [SignKeyLogEntry].
func WrapEpochKey(key EpochKey, chatID ids.Chat, epoch uint64, to identity.AccountPublicKey) ([]byte, error) {
	if key.IsZero() {
		return nil, errors.New("wrap epoch key: zero key")
	}
	if to.IsZero() {
		return nil, errors.New("wrap epoch key: no recipient key")
	}
	pk, version, label, err := recipientPublicKey(to)
	if err != nil {
		return nil, fmt.Errorf("wrap epoch key: %w", err)
	}
	ct, err := hpke.Seal(pk, hpke.HKDFSHA256(), hpke.ChaCha20Poly1305(), wrapInfo(label, chatID, epoch, to.ID()), key.k[:])
	if err != nil {
		return nil, fmt.Errorf("wrap epoch key: %w", err)
	}
	env := append([]byte{version}, ct...)
	if err := checkEnvelope(env); err != nil {
		return nil, fmt.Errorf("wrap epoch key: %w", err)
	}
	return env, nil
}

// recipientPublicKey returns the HPKE public key, envelope version and info label
// of envelopes to to. Both versions use HKDF-SHA256, ChaCha20Poly1305, base mode and
// an empty AAD; the KEM is MLKEM768-X25519 (version 2) when to has an ML-KEM key,
// DHKEM(X25519, HKDF-SHA256) (version 1) when not.
func recipientPublicKey(to identity.AccountPublicKey) (hpke.PublicKey, byte, string, error) {
	if kem := to.KEMKey(); kem != nil {
		pk, err := hpke.NewHybridPublicKey(kem, to.EncryptionKey())
		return pk, envelopeV2, epochWrapLabelV2, err
	}
	pk, err := hpke.NewDHKEMPublicKey(to.EncryptionKey())
	return pk, envelopeV1, epochWrapLabel, err
}

// openEnvelope opens env for me with each private key that could open it: the
// X25519 key for version 1, every held ML-KEM key with it for version 2. A wrong
// ML-KEM key decapsulates to an unrelated secret (implicit rejection), so a wrong
// try fails at the AEAD, as a forgery does.
func openEnvelope(env []byte, info func(string, ids.Chat, uint64, ids.Account) []byte, chatID ids.Chat, epoch uint64, me *identity.AccountKey) ([]byte, error) {
	kems := []*mlkem.DecapsulationKey768{nil}
	if env[0] == envelopeV2 {
		kems = me.KEMKeys()
		if len(kems) == 0 {
			return nil, fmt.Errorf("%w: a version 2 envelope, and the account key has no ML-KEM key", ErrDecrypt)
		}
	}
	for _, kem := range kems {
		sk, label, err := recipientKey(env[0], kem, me.EncryptionKey())
		if err != nil {
			return nil, fmt.Errorf("unwrap epoch key: %w", err)
		}
		pt, err := hpke.Open(sk, hpke.HKDFSHA256(), hpke.ChaCha20Poly1305(), info(label, chatID, epoch, me.ID()), env[1:])
		if err == nil {
			return pt, nil
		}
	}
	// The cause (a low-order point, a tag mismatch) tells an attacker nothing
	// useful and the caller nothing actionable.
	return nil, fmt.Errorf("%w: epoch key envelope", ErrDecrypt)
}

// recipientKey returns the HPKE private key and the info label that open envelopes
// of the given version, from an account's ML-KEM-768 and X25519 private keys (kem
// must not be nil for version 2).
func recipientKey(version byte, kem *mlkem.DecapsulationKey768, x *ecdh.PrivateKey) (hpke.PrivateKey, string, error) {
	if version == envelopeV2 {
		sk, err := hpke.NewHybridPrivateKey(kem, x)
		return sk, epochWrapLabelV2, err
	}
	sk, err := hpke.NewDHKEMPrivateKey(x)
	return sk, epochWrapLabel, err
}

// UnwrapEpochKey opens an envelope made by [WrapEpochKey] for me, of either version.
// A version 2 envelope opens with any ML-KEM key me holds, the current one tried
// first: the account's key changes when it revokes a device, and older envelopes
// stay wrapped to the key of their time. It fails with [ErrMalformed] if env is not
// an envelope and with [ErrDecrypt] if it was made for another account, chat or
// epoch, was altered, or is a version 2 envelope to an ML-KEM key me does not hold.
func UnwrapEpochKey(env []byte, chatID ids.Chat, epoch uint64, me *identity.AccountKey) (EpochKey, error) {
	if me == nil {
		return EpochKey{}, errors.New("unwrap epoch key: no account key")
	}
	if err := checkEnvelope(env); err != nil {
		return EpochKey{}, err
	}
	pt, err := openEnvelope(env, wrapInfo, chatID, epoch, me)
	if err != nil {
		return EpochKey{}, err
	}
	defer clear(pt)
	return EpochKeyFromBytes(pt)
}
