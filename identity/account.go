package identity

import (
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/mlkem"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"hush/ids"
)

// KEMSeedSize is the size of an account's ML-KEM-768 seed ([AccountKey.Seeds]).
const KEMSeedSize = mlkem.SeedSize

// AccountKey is an account's private key pair. Every linked device holds it.
//
// Accounts made before post-quantum envelopes have no ML-KEM key ([AccountKey.HasKEM]
// is false); [AccountKey.AddKEM] gives them one.
type AccountKey struct {
	kp keyPair
	// kem is the ML-KEM-768 decapsulation key, nil for a legacy key. kemPub is its
	// encapsulation key, expanded once: [AccountKey.Public] is called often and the
	// expansion costs a matrix copy each time.
	kem    *mlkem.DecapsulationKey768
	kemPub *mlkem.EncapsulationKey768
}

// NewAccountKey generates a fresh account key: Ed25519, X25519 and ML-KEM-768.
func NewAccountKey() (*AccountKey, error) {
	kp, err := newKeyPair()
	if err != nil {
		return nil, err
	}
	k := &AccountKey{kp: kp}
	if err := k.AddKEM(); err != nil {
		return nil, err
	}
	return k, nil
}

// AccountKeyFromSeeds rebuilds an account key from the seeds [AccountKey.Seeds]
// returned, as stored in the vault. A nil kemSeed rebuilds a legacy key without
// ML-KEM (a vault written before ML-KEM); any other length than [KEMSeedSize] is
// [ErrInvalidKey].
func AccountKeyFromSeeds(signingSeed, encryptionKey, kemSeed []byte) (*AccountKey, error) {
	kp, err := keyPairFromSeeds(signingSeed, encryptionKey)
	if err != nil {
		return nil, err
	}
	k := &AccountKey{kp: kp}
	if kemSeed == nil {
		return k, nil
	}
	if len(kemSeed) != KEMSeedSize {
		return nil, fmt.Errorf("%w: ML-KEM seed must be %d bytes, got %d", ErrInvalidKey, KEMSeedSize, len(kemSeed))
	}
	dk, err := mlkem.NewDecapsulationKey768(kemSeed)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidKey, err)
	}
	k.setKEM(dk)
	return k, nil
}

func (k *AccountKey) setKEM(dk *mlkem.DecapsulationKey768) {
	k.kem = dk
	k.kemPub = dk.EncapsulationKey()
}

// HasKEM reports whether k has an ML-KEM-768 key.
func (k *AccountKey) HasKEM() bool { return k.kem != nil }

// AddKEM generates an ML-KEM-768 key for a legacy account key, which must then be
// stored again ([AccountKey.Seeds]). A key that has one keeps it and AddKEM fails:
// replacing it would leave envelopes already wrapped to it unopenable. Call it
// before k is shared between goroutines.
func (k *AccountKey) AddKEM() error {
	if k.kem != nil {
		return errors.New("identity: account key already has an ML-KEM key")
	}
	dk, err := mlkem.GenerateKey768()
	if err != nil {
		return fmt.Errorf("generate ML-KEM key: %w", err)
	}
	k.setKEM(dk)
	return nil
}

// Seeds returns copies of the private seeds for storage in the vault; kemSeed is nil
// for a legacy key. The caller owns them and should clear them after use.
func (k *AccountKey) Seeds() (signingSeed, encryptionKey, kemSeed []byte) {
	signingSeed, encryptionKey = k.kp.seeds()
	if k.kem != nil {
		kemSeed = k.kem.Bytes()
	}
	return signingSeed, encryptionKey, kemSeed
}

// Public returns the account's public key, with its ML-KEM key if it has one.
func (k *AccountKey) Public() AccountPublicKey {
	return AccountPublicKey{p: k.kp.public(), kem: k.kemPub}
}

// ID returns the account's id.
func (k *AccountKey) ID() ids.Account {
	return hashID(accountIDLabel, k.kp.signing.Public().(ed25519.PublicKey))
}

// Sign signs msg for the purpose named by label (a constant of the caller).
func (k *AccountKey) Sign(label string, msg []byte) []byte { return k.kp.sign(label, msg) }

// EncryptionKey returns the X25519 private key that chat keys are wrapped to.
func (k *AccountKey) EncryptionKey() *ecdh.PrivateKey { return k.kp.enc }

// KEMKey returns the ML-KEM-768 private key that chat keys are wrapped to together
// with the X25519 key, or nil for a legacy key.
func (k *AccountKey) KEMKey() *mlkem.DecapsulationKey768 { return k.kem }

// Destroy zeroes the private key bytes held by k; k must not be used afterwards.
// The ML-KEM key, like the X25519 one, keeps its own copy that the standard library
// gives no way to clear: it is dropped for the collector.
func (k *AccountKey) Destroy() {
	k.kp.destroy()
	k.kem = nil
	k.kemPub = nil
}

// AccountPublicKey is an account's public identity: its Ed25519 signing key, its
// X25519 encryption key and, optionally, its ML-KEM-768 encryption key.
//
// The binary and text forms ([AccountPublicKey.Bytes], [AccountPublicKey.String])
// hold only the first two, 64 bytes: that is what device certificates and sealed
// messages carry. The ML-KEM key travels in the signed account-keys record
// ([IssueAccountKeys], [ParseAccountKeys]).
type AccountPublicKey struct {
	p   publicKey
	kem *mlkem.EncapsulationKey768
}

// ParseAccountPublicKey decodes the binary form [AccountPublicKey.Bytes] returns. The
// result has no ML-KEM key.
func ParseAccountPublicKey(b []byte) (AccountPublicKey, error) {
	p, err := parsePublicKey(b)
	return AccountPublicKey{p: p}, err
}

// ParseAccountPublicKeyString decodes the text form [AccountPublicKey.String] returns.
// The result has no ML-KEM key.
func ParseAccountPublicKeyString(s string) (AccountPublicKey, error) {
	p, err := parsePrefixed(s, accountPublicPrefix)
	return AccountPublicKey{p: p}, err
}

// Bytes returns the 64-byte encoding: Ed25519 public key, then X25519 public key.
// The ML-KEM key is not in it.
func (p AccountPublicKey) Bytes() []byte { return p.p.bytes() }

// String returns the text form, "hush-acct-pub:" and unpadded base64url of
// [AccountPublicKey.Bytes].
func (p AccountPublicKey) String() string {
	return accountPublicPrefix + base64.RawURLEncoding.EncodeToString(p.p.bytes())
}

// IsZero reports whether p holds no key.
func (p AccountPublicKey) IsZero() bool { return p.p.signing == nil }

// Equal reports, in constant time, whether p and q are the same key, comparing what
// both hold: the Ed25519 and X25519 keys always, the ML-KEM keys when both have one.
// So a key pinned from a device certificate (no ML-KEM) equals the same account's
// full key; two different ML-KEM keys never compare equal.
func (p AccountPublicKey) Equal(q AccountPublicKey) bool {
	if !p.p.equal(q.p) {
		return false
	}
	if p.kem == nil || q.kem == nil {
		return true
	}
	return subtle.ConstantTimeCompare(p.kem.Bytes(), q.kem.Bytes()) == 1
}

// ID returns the account id derived from the signing key.
func (p AccountPublicKey) ID() ids.Account { return hashID(accountIDLabel, p.p.signing) }

// SigningKey returns the Ed25519 public key.
func (p AccountPublicKey) SigningKey() ed25519.PublicKey { return p.p.signing }

// EncryptionKey returns the X25519 public key chat keys are wrapped to.
func (p AccountPublicKey) EncryptionKey() *ecdh.PublicKey { return p.p.enc }

// KEMKey returns the ML-KEM-768 public key chat keys are wrapped to together with
// the X25519 key, or nil when p has none (a legacy account, or a key known only in
// its 64-byte form).
func (p AccountPublicKey) KEMKey() *mlkem.EncapsulationKey768 { return p.kem }

// WithKEM returns p with the ML-KEM-768 public key ek (its encoding, 1184 bytes).
// It verifies nothing: it rebuilds a key pinned earlier from what [ParseAccountKeys]
// verified (a caller's storage), never a key a peer or a relay hands over.
func (p AccountPublicKey) WithKEM(ek []byte) (AccountPublicKey, error) {
	k, err := mlkem.NewEncapsulationKey768(ek)
	if err != nil {
		return AccountPublicKey{}, fmt.Errorf("%w: ML-KEM-768 key: %v", ErrInvalidKey, err)
	}
	return AccountPublicKey{p: p.p, kem: k}, nil
}

// WithoutKEM returns p without its ML-KEM key: the 64-byte form, as a peer that has
// not seen the account's signed keys knows it.
func (p AccountPublicKey) WithoutKEM() AccountPublicKey { return AccountPublicKey{p: p.p} }

// Verify checks a signature made by [AccountKey.Sign] with the same label.
func (p AccountPublicKey) Verify(label string, msg, sig []byte) error {
	return p.p.verify(label, msg, sig)
}

// Fingerprint returns a short text users compare to recognise this key. It covers
// the 64-byte form; the ML-KEM key is bound to it by the account's signature
// ([ParseAccountKeys]).
func (p AccountPublicKey) Fingerprint() string { return fingerprint(p.p) }
