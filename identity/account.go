package identity

import (
	"crypto/ecdh"
	"crypto/ed25519"
	"encoding/base64"
	"hush/ids"
)

// AccountKey is an account's private key pair. Every linked device holds it.
type AccountKey struct{ kp keyPair }

// NewAccountKey generates a fresh account key pair.
func NewAccountKey() (*AccountKey, error) {
	kp, err := newKeyPair()
	if err != nil {
		return nil, err
	}
	return &AccountKey{kp: kp}, nil
}

// AccountKeyFromSeeds rebuilds an account key from the seeds [AccountKey.Seeds]
// returned, as stored in the vault.
func AccountKeyFromSeeds(signingSeed, encryptionKey []byte) (*AccountKey, error) {
	kp, err := keyPairFromSeeds(signingSeed, encryptionKey)
	if err != nil {
		return nil, err
	}
	return &AccountKey{kp: kp}, nil
}

// Seeds returns copies of the private seeds for storage in the vault. The caller owns
// them and should clear them after use.
func (k *AccountKey) Seeds() (signingSeed, encryptionKey []byte) { return k.kp.seeds() }

// Public returns the account's public key.
func (k *AccountKey) Public() AccountPublicKey { return AccountPublicKey{k.kp.public()} }

// ID returns the account's id.
func (k *AccountKey) ID() ids.Account { return k.Public().ID() }

// Sign signs msg for the purpose named by label (a constant of the caller).
func (k *AccountKey) Sign(label string, msg []byte) []byte { return k.kp.sign(label, msg) }

// EncryptionKey returns the X25519 private key that chat keys are wrapped to.
func (k *AccountKey) EncryptionKey() *ecdh.PrivateKey { return k.kp.enc }

// Destroy zeroes the private key bytes held by k; k must not be used afterwards.
func (k *AccountKey) Destroy() { k.kp.destroy() }

// AccountPublicKey is an account's public identity: its Ed25519 signing key and its
// X25519 encryption key.
type AccountPublicKey struct{ p publicKey }

// ParseAccountPublicKey decodes the binary form [AccountPublicKey.Bytes] returns.
func ParseAccountPublicKey(b []byte) (AccountPublicKey, error) {
	p, err := parsePublicKey(b)
	return AccountPublicKey{p}, err
}

// ParseAccountPublicKeyString decodes the text form [AccountPublicKey.String] returns.
func ParseAccountPublicKeyString(s string) (AccountPublicKey, error) {
	p, err := parsePrefixed(s, accountPublicPrefix)
	return AccountPublicKey{p}, err
}

// Bytes returns the 64-byte encoding: Ed25519 public key, then X25519 public key.
func (p AccountPublicKey) Bytes() []byte { return p.p.bytes() }

// String returns the text form, "hush-acct-pub:" and unpadded base64url.
func (p AccountPublicKey) String() string {
	return accountPublicPrefix + base64.RawURLEncoding.EncodeToString(p.p.bytes())
}

// IsZero reports whether p holds no key.
func (p AccountPublicKey) IsZero() bool { return p.p.signing == nil }

// Equal reports, in constant time, whether p and q are the same key.
func (p AccountPublicKey) Equal(q AccountPublicKey) bool { return p.p.equal(q.p) }

// ID returns the account id derived from the signing key.
func (p AccountPublicKey) ID() ids.Account { return hashID(accountIDLabel, p.p.signing) }

// SigningKey returns the Ed25519 public key.
func (p AccountPublicKey) SigningKey() ed25519.PublicKey { return p.p.signing }

// EncryptionKey returns the X25519 public key chat keys are wrapped to.
func (p AccountPublicKey) EncryptionKey() *ecdh.PublicKey { return p.p.enc }

// Verify checks a signature made by [AccountKey.Sign] with the same label.
func (p AccountPublicKey) Verify(label string, msg, sig []byte) error {
	return p.p.verify(label, msg, sig)
}

// Fingerprint returns a short text users compare to recognise this key.
func (p AccountPublicKey) Fingerprint() string { return fingerprint(p.p) }
