package devicelink

import (
	"crypto/ecdh"
	"crypto/hpke"
	"crypto/mlkem"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
)

// PublicKeySize is the exact size of a link public key ([LinkKey.PublicKey]): the
// ML-KEM-768 encapsulation key (1184 bytes), then the X25519 public key (32), as
// HPKE's MLKEM768-X25519 serialises it. Any other length is refused, so the relay
// can bound what it stores for a session.
const PublicKeySize = mlkem.EncapsulationKeySize768 + 32

// sealOverhead is what HPKE adds to a sealed bundle: the encapsulated key (the
// ML-KEM-768 ciphertext, 1088 bytes, and the X25519 ephemeral key, 32) and the
// ChaCha20Poly1305 tag.
const sealOverhead = mlkem.CiphertextSize768 + 32 + 16

// LinkKey is the newcomer's one-time key for one link attempt: an ML-KEM-768 and an
// X25519 private key, used together as the HPKE hybrid KEM MLKEM768-X25519, so the
// account keys sealed to it stay secret while either holds — also against a future
// quantum computer that records the exchange today. It is not comparable with ==.
type LinkKey struct {
	kem *mlkem.DecapsulationKey768
	x   *ecdh.PrivateKey
	pub []byte // the encoded public key, computed once
}

// NewLinkKey generates a fresh link key. Make one per link attempt and destroy it
// when the attempt ends.
func NewLinkKey() (*LinkKey, error) {
	kem, err := mlkem.GenerateKey768()
	if err != nil {
		return nil, fmt.Errorf("new link key: %w", err)
	}
	x, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("new link key: %w", err)
	}
	return newLinkKey(kem, x)
}

// LinkKeyFromSeeds builds a link key from fixed seeds: the 64-byte ML-KEM-768 seed
// (FIPS 203 d ‖ z) and the X25519 private key. It is for tests and known-answer
// vectors; a real link key comes from [NewLinkKey].
func LinkKeyFromSeeds(kemSeed [mlkem.SeedSize]byte, x25519 [32]byte) (*LinkKey, error) {
	kem, err := mlkem.NewDecapsulationKey768(kemSeed[:])
	if err != nil {
		return nil, fmt.Errorf("link key from seeds: %w", err)
	}
	x, err := ecdh.X25519().NewPrivateKey(x25519[:])
	if err != nil {
		return nil, fmt.Errorf("link key from seeds: %w", err)
	}
	return newLinkKey(kem, x)
}

func newLinkKey(kem *mlkem.DecapsulationKey768, x *ecdh.PrivateKey) (*LinkKey, error) {
	pk, err := hpke.NewHybridPublicKey(kem.EncapsulationKey(), x.PublicKey())
	if err != nil {
		return nil, fmt.Errorf("link key: %w", err)
	}
	return &LinkKey{kem: kem, x: x, pub: pk.Bytes()}, nil
}

// PublicKey returns the encoded public key, [PublicKeySize] bytes, that the
// newcomer gives the relay and whose [KeyHash] the code carries. The caller owns
// the copy.
func (k *LinkKey) PublicKey() []byte { return append([]byte(nil), k.pub...) }

// Destroy drops the private keys; k must not be used afterwards. crypto/mlkem and
// crypto/ecdh keep their own copies that the standard library gives no way to
// clear: they are left to the collector.
func (k *LinkKey) Destroy() {
	k.kem = nil
	k.x = nil
}

// hpkeKey returns k as an HPKE private key.
func (k *LinkKey) hpkeKey() (hpke.PrivateKey, error) {
	if k == nil || k.kem == nil {
		return nil, fmt.Errorf("link key destroyed")
	}
	return hpke.NewHybridPrivateKey(k.kem, k.x)
}

// KeyHash returns SHA-256("hush/v1/link/key" ‖ 0x00 ‖ pub): what a [Code] carries
// instead of the 1216-byte key, enough to recognise it and too long to forge.
func KeyHash(pub []byte) [32]byte {
	h := sha256.New()
	h.Write([]byte(keyHashLabel))
	h.Write([]byte{0})
	h.Write(pub)
	return [32]byte(h.Sum(nil))
}

// CheckPublicKey checks, in constant time, that pub is the link public key code
// names, and that it is a valid MLKEM768-X25519 key. It fails with
// [ErrKeyMismatch]: whoever handed pub over (the relay) substituted it. [NewSponsor]
// calls it; it is exported for a caller that wants to refuse a key before it makes
// any state.
func CheckPublicKey(code Code, pub []byte) error {
	want := code.KeyHash
	got := KeyHash(pub)
	if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
		return fmt.Errorf("%w: its hash is not the code's", ErrKeyMismatch)
	}
	if _, err := parsePublicKey(pub); err != nil {
		return fmt.Errorf("%w: %v", ErrKeyMismatch, err)
	}
	return nil
}

// parsePublicKey decodes an encoded link public key, refusing any length but
// [PublicKeySize] and an ML-KEM key that is not reduced (FIPS 203's input check).
func parsePublicKey(pub []byte) (hpke.PublicKey, error) {
	if len(pub) != PublicKeySize {
		return nil, fmt.Errorf("link public key of %d bytes, want %d", len(pub), PublicKeySize)
	}
	pk, err := hpke.MLKEM768X25519().NewPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("link public key: %v", err)
	}
	return pk, nil
}
