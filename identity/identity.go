// Package identity holds Hush's long-term keys: the account key every linked device
// shares, the per-device key, and the certificate by which an account vouches for a
// device. docs/SECURITY.md says what each key signs and protects.
//
// An account is an Ed25519 signing key (it signs device certificates and account
// records), an X25519 encryption key and an ML-KEM-768 encryption key (chat epoch
// keys are wrapped to both at once, a hybrid that holds while either does; accounts
// made before ML-KEM have only X25519 until [AccountKey.AddKEM]). The account's
// public keys reach its contacts in a record it signs itself ([IssueAccountKeys],
// [ParseAccountKeys]), so the relay that carries them cannot swap one. A device
// has its own Ed25519 and X25519 keys and is trusted only through a [Certificate]
// signed by its account key. Their identifiers (ids.Account, ids.Device) are hashes of
// the signing public keys, so nobody can claim an id without the matching key.
//
// Public key types are deliberately not comparable with ==: use their Equal methods,
// which run in constant time.
package identity

import (
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"hush/ids"
	"strings"
)

// Labels for domain separation. Each is used for exactly one purpose, so a signature
// or hash made for one purpose can never be replayed for another.
const (
	accountIDLabel   = "hush/v1/account-id"
	deviceIDLabel    = "hush/v1/device-id"
	fingerprintLabel = "hush/v1/fingerprint"
	signatureLabel   = "hush/v1/sig/" // followed by the caller's purpose label
)

// Text prefixes of printed public keys, so a key pasted in the wrong place is
// recognised at once.
const (
	accountPublicPrefix = "hush-acct-pub:"
	devicePublicPrefix  = "hush-dev-pub:"
)

// Sizes of encoded keys.
const (
	// SeedSize is the size of each private key seed ([AccountKey.Seeds], [DeviceKey.Seeds]).
	SeedSize = 32
	// PublicKeySize is the size of an encoded public key: Ed25519 (32) then X25519 (32).
	PublicKeySize = ed25519.PublicKeySize + 32
)

// ErrInvalidKey reports a key encoding that is malformed or of the wrong kind.
var ErrInvalidKey = errors.New("identity: invalid key")

// ErrBadSignature reports a signature that does not verify.
var ErrBadSignature = errors.New("identity: bad signature")

// keyPair is the shared shape of account and device keys.
type keyPair struct {
	signing ed25519.PrivateKey
	enc     *ecdh.PrivateKey
}

func newKeyPair() (keyPair, error) {
	var sseed, eseed [SeedSize]byte
	if _, err := rand.Read(sseed[:]); err != nil {
		return keyPair{}, fmt.Errorf("generate key: %w", err)
	}
	if _, err := rand.Read(eseed[:]); err != nil {
		return keyPair{}, fmt.Errorf("generate key: %w", err)
	}
	defer clear(sseed[:])
	defer clear(eseed[:])
	return keyPairFromSeeds(sseed[:], eseed[:])
}

func keyPairFromSeeds(signingSeed, encryptionKey []byte) (keyPair, error) {
	if len(signingSeed) != SeedSize || len(encryptionKey) != SeedSize {
		return keyPair{}, fmt.Errorf("%w: seeds must be %d bytes", ErrInvalidKey, SeedSize)
	}
	enc, err := ecdh.X25519().NewPrivateKey(encryptionKey)
	if err != nil {
		return keyPair{}, fmt.Errorf("%w: %v", ErrInvalidKey, err)
	}
	return keyPair{signing: ed25519.NewKeyFromSeed(signingSeed), enc: enc}, nil
}

func (k keyPair) public() publicKey {
	return publicKey{
		signing: k.signing.Public().(ed25519.PublicKey),
		enc:     k.enc.PublicKey(),
	}
}

// seeds returns copies of the private seeds; the caller owns and should clear them.
func (k keyPair) seeds() (signingSeed, encryptionKey []byte) {
	return append([]byte(nil), k.signing.Seed()...), k.enc.Bytes()
}

func (k keyPair) sign(label string, msg []byte) []byte {
	return ed25519.Sign(k.signing, signedMessage(label, msg))
}

// destroy zeroes the private key bytes this value owns. The ecdh key keeps its own
// copy that the standard library gives no way to clear.
func (k *keyPair) destroy() {
	clear(k.signing)
	k.signing = nil
	k.enc = nil
}

// signedMessage is what is actually signed: a fixed prefix, the purpose label, a zero
// byte, then the message. The label is a constant of the calling package.
func signedMessage(label string, msg []byte) []byte {
	b := make([]byte, 0, len(signatureLabel)+len(label)+1+len(msg))
	b = append(b, signatureLabel...)
	b = append(b, label...)
	b = append(b, 0)
	return append(b, msg...)
}

// publicKey is the shared shape of account and device public keys.
type publicKey struct {
	_       [0]func() // not comparable with ==
	signing ed25519.PublicKey
	enc     *ecdh.PublicKey
}

func (p publicKey) bytes() []byte {
	b := make([]byte, 0, PublicKeySize)
	b = append(b, p.signing...)
	return append(b, p.enc.Bytes()...)
}

func (p publicKey) equal(q publicKey) bool {
	if p.signing == nil || q.signing == nil {
		return p.signing == nil && q.signing == nil
	}
	return subtle.ConstantTimeCompare(p.bytes(), q.bytes()) == 1
}

func (p publicKey) verify(label string, msg, sig []byte) error {
	if len(sig) != ed25519.SignatureSize || !ed25519.Verify(p.signing, signedMessage(label, msg), sig) {
		return ErrBadSignature
	}
	return nil
}

func parsePublicKey(b []byte) (publicKey, error) {
	if len(b) != PublicKeySize {
		return publicKey{}, fmt.Errorf("%w: public key must be %d bytes, got %d", ErrInvalidKey, PublicKeySize, len(b))
	}
	enc, err := ecdh.X25519().NewPublicKey(b[ed25519.PublicKeySize:])
	if err != nil {
		return publicKey{}, fmt.Errorf("%w: %v", ErrInvalidKey, err)
	}
	return publicKey{signing: ed25519.PublicKey(append([]byte(nil), b[:ed25519.PublicKeySize]...)), enc: enc}, nil
}

func parsePrefixed(s, prefix string) (publicKey, error) {
	rest, ok := strings.CutPrefix(s, prefix)
	if !ok {
		return publicKey{}, fmt.Errorf("%w: missing %q prefix", ErrInvalidKey, prefix)
	}
	b, err := base64.RawURLEncoding.DecodeString(rest)
	if err != nil {
		return publicKey{}, fmt.Errorf("%w: %v", ErrInvalidKey, err)
	}
	return parsePublicKey(b)
}

func hashID(label string, signing ed25519.PublicKey) [ids.Size]byte {
	h := sha256.New()
	h.Write([]byte(label))
	h.Write(signing)
	var id [ids.Size]byte
	copy(id[:], h.Sum(nil))
	return id
}
