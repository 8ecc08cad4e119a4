package identity

import (
	"crypto/ecdh"
	"crypto/ed25519"
	"encoding/base64"
	"hush/ids"
)

// DeviceKey is one device's private key pair. It never leaves the device.
type DeviceKey struct{ kp keyPair }

// NewDeviceKey generates a fresh device key pair.
func NewDeviceKey() (*DeviceKey, error) {
	kp, err := newKeyPair()
	if err != nil {
		return nil, err
	}
	return &DeviceKey{kp: kp}, nil
}

// DeviceKeyFromSeeds rebuilds a device key from the seeds [DeviceKey.Seeds] returned.
func DeviceKeyFromSeeds(signingSeed, encryptionKey []byte) (*DeviceKey, error) {
	kp, err := keyPairFromSeeds(signingSeed, encryptionKey)
	if err != nil {
		return nil, err
	}
	return &DeviceKey{kp: kp}, nil
}

// Seeds returns copies of the private seeds for storage in the vault. The caller owns
// them and should clear them after use.
func (k *DeviceKey) Seeds() (signingSeed, encryptionKey []byte) { return k.kp.seeds() }

// Public returns the device's public key.
func (k *DeviceKey) Public() DevicePublicKey { return DevicePublicKey{k.kp.public()} }

// ID returns the device's id.
func (k *DeviceKey) ID() ids.Device { return k.Public().ID() }

// Sign signs msg for the purpose named by label (a constant of the caller).
func (k *DeviceKey) Sign(label string, msg []byte) []byte { return k.kp.sign(label, msg) }

// EncryptionKey returns the device's X25519 private key.
func (k *DeviceKey) EncryptionKey() *ecdh.PrivateKey { return k.kp.enc }

// Destroy zeroes the private key bytes held by k; k must not be used afterwards.
func (k *DeviceKey) Destroy() { k.kp.destroy() }

// DevicePublicKey is a device's public Ed25519 and X25519 keys.
type DevicePublicKey struct{ p publicKey }

// ParseDevicePublicKey decodes the binary form [DevicePublicKey.Bytes] returns.
func ParseDevicePublicKey(b []byte) (DevicePublicKey, error) {
	p, err := parsePublicKey(b)
	return DevicePublicKey{p}, err
}

// ParseDevicePublicKeyString decodes the text form [DevicePublicKey.String] returns.
func ParseDevicePublicKeyString(s string) (DevicePublicKey, error) {
	p, err := parsePrefixed(s, devicePublicPrefix)
	return DevicePublicKey{p}, err
}

// Bytes returns the 64-byte encoding: Ed25519 public key, then X25519 public key.
func (p DevicePublicKey) Bytes() []byte { return p.p.bytes() }

// String returns the text form, "hush-dev-pub:" and unpadded base64url.
func (p DevicePublicKey) String() string {
	return devicePublicPrefix + base64.RawURLEncoding.EncodeToString(p.p.bytes())
}

// IsZero reports whether p holds no key.
func (p DevicePublicKey) IsZero() bool { return p.p.signing == nil }

// Equal reports, in constant time, whether p and q are the same key.
func (p DevicePublicKey) Equal(q DevicePublicKey) bool { return p.p.equal(q.p) }

// ID returns the device id derived from the signing key.
func (p DevicePublicKey) ID() ids.Device { return hashID(deviceIDLabel, p.p.signing) }

// SigningKey returns the Ed25519 public key.
func (p DevicePublicKey) SigningKey() ed25519.PublicKey { return p.p.signing }

// EncryptionKey returns the X25519 public key.
func (p DevicePublicKey) EncryptionKey() *ecdh.PublicKey { return p.p.enc }

// Verify checks a signature made by [DeviceKey.Sign] with the same label.
func (p DevicePublicKey) Verify(label string, msg, sig []byte) error {
	return p.p.verify(label, msg, sig)
}

// Fingerprint returns a short text users compare to recognise this key.
func (p DevicePublicKey) Fingerprint() string { return fingerprint(p.p) }
