package chatcrypto

import (
	"crypto/hpke"
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

// epochWrapLabel starts the HPKE info of every epoch key envelope, so an envelope
// cannot be mistaken for HPKE output of any other protocol that uses the same keys.
const epochWrapLabel = "hush/v1/epoch-key-wrap"

// envelopeVersion is the first byte of every envelope. Version 1 is the ciphersuite
// below; a post-quantum hybrid KEM would be version 2.
const envelopeVersion = 1

// Sizes of epoch keys and their envelopes.
const (
	// EpochKeySize is the size of an [EpochKey].
	EpochKeySize = 32
	// EnvelopeSize is the size of every envelope [WrapEpochKey] returns: a version
	// byte, the 32-byte HPKE encapsulated key, the wrapped key and a 16-byte tag.
	EnvelopeSize = 1 + 32 + EpochKeySize + 16
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

// wrapInfo is the HPKE info of an envelope: the label, then the fixed-size chat id,
// epoch and recipient account id, so an envelope opens only for the chat, epoch and
// recipient it was made for.
func wrapInfo(chatID ids.Chat, epoch uint64, recipient ids.Account) []byte {
	b := make([]byte, 0, len(epochWrapLabel)+ids.Size+8+ids.Size)
	b = append(b, epochWrapLabel...)
	b = append(b, chatID[:]...)
	b = binary.BigEndian.AppendUint64(b, epoch)
	return append(b, recipient[:]...)
}

// WrapEpochKey encrypts key to the account to, for one chat and epoch. Every device
// of that account, including devices linked later, can open it with
// [UnwrapEpochKey]. The envelope is not authenticated as coming from anyone (HPKE base
// mode): authentication comes from [SignKeyLogEntry].
func WrapEpochKey(key EpochKey, chatID ids.Chat, epoch uint64, to identity.AccountPublicKey) ([]byte, error) {
	if key.IsZero() {
		return nil, errors.New("wrap epoch key: zero key")
	}
	if to.IsZero() {
		return nil, errors.New("wrap epoch key: no recipient key")
	}
	// Version 1 ciphersuite: DHKEM(X25519, HKDF-SHA256) (fixed by the X25519 account
	// key), HKDF-SHA256, ChaCha20Poly1305.
	pk, err := hpke.NewDHKEMPublicKey(to.EncryptionKey())
	if err != nil {
		return nil, fmt.Errorf("wrap epoch key: %w", err)
	}
	ct, err := hpke.Seal(pk, hpke.HKDFSHA256(), hpke.ChaCha20Poly1305(), wrapInfo(chatID, epoch, to.ID()), key.k[:])
	if err != nil {
		return nil, fmt.Errorf("wrap epoch key: %w", err)
	}
	env := make([]byte, 0, EnvelopeSize)
	env = append(env, envelopeVersion)
	env = append(env, ct...)
	if len(env) != EnvelopeSize {
		return nil, fmt.Errorf("wrap epoch key: envelope is %d bytes, want %d", len(env), EnvelopeSize)
	}
	return env, nil
}

// UnwrapEpochKey opens an envelope made by [WrapEpochKey] for me. It fails with
// [ErrMalformed] if env is not an envelope and with [ErrDecrypt] if it was made for
// another account, chat or epoch, or was altered.
func UnwrapEpochKey(env []byte, chatID ids.Chat, epoch uint64, me *identity.AccountKey) (EpochKey, error) {
	if me == nil {
		return EpochKey{}, errors.New("unwrap epoch key: no account key")
	}
	if len(env) != EnvelopeSize {
		return EpochKey{}, fmt.Errorf("%w: envelope is %d bytes, want %d", ErrMalformed, len(env), EnvelopeSize)
	}
	if env[0] != envelopeVersion {
		return EpochKey{}, fmt.Errorf("%w: unknown envelope version %d", ErrMalformed, env[0])
	}
	sk, err := hpke.NewDHKEMPrivateKey(me.EncryptionKey())
	if err != nil {
		return EpochKey{}, fmt.Errorf("unwrap epoch key: %w", err)
	}
	pt, err := hpke.Open(sk, hpke.HKDFSHA256(), hpke.ChaCha20Poly1305(), wrapInfo(chatID, epoch, me.ID()), env[1:])
	if err != nil {
		// The cause (a low-order point, a tag mismatch) tells an attacker nothing
		// useful and the caller nothing actionable.
		return EpochKey{}, fmt.Errorf("%w: epoch key envelope", ErrDecrypt)
	}
	defer clear(pt)
	return EpochKeyFromBytes(pt)
}
