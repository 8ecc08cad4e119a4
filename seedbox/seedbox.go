// Package seedbox carries an account's ML-KEM-768 seeds from one of its devices to
// another, post-quantum and authenticated, through the relay's device inboxes.
//
// Revoking a device gives the account a new ML-KEM key, whose seed only the
// remaining devices may learn (docs/SECURITY.md, "Revocation and the account's
// keys"). The account's own keys cannot carry it — the revoked device holds them —
// so each remaining device gets a box sealed to its own device key and prekeys: a
// PQXDH handshake (package pqxdh) to the recipient's published prekey bundle, then
// one ChaCha20-Poly1305 message under a key derived from the handshake's SK:
//
//	box        = CBOR [1, account id (16), initial message (pqxdh), ciphertext]
//	key        = HKDF-SHA-256(ikm = SK, salt = none, info = "hush/v1/seedbox/key"), 32 bytes
//	ciphertext = ChaCha20-Poly1305(key, nonce = 12 zero bytes, CBOR [seed (64)…],
//	             AD = "hush/v1/seedbox" ‖ 0x00 ‖ account id ‖ handshake AD)
//
// The key is used once (every handshake makes a fresh ephemeral key and SK), so a
// fixed nonce is safe. The handshake authenticates the sender's device key (DH1 of
// PQXDH); the caller must still check that it is a device its account lists.
package seedbox

import (
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"errors"
	"fmt"

	"golang.org/x/crypto/chacha20poly1305"

	"hush/identity"
	"hush/ids"
	"hush/internal/strictcbor"
	"hush/pqxdh"
)

const (
	boxVersion = 1
	keyInfo    = "hush/v1/seedbox/key"
	adLabel    = "hush/v1/seedbox"
)

// MaxSeeds caps the seeds one box carries: every ML-KEM key an account had.
const MaxSeeds = 128

// MaxBoxSize caps an encoded box: the initial message (about 1 200 bytes) and
// MaxSeeds seeds with their framing and the AEAD tag.
const MaxBoxSize = 2048 + MaxSeeds*(identity.KEMSeedSize+2)

var (
	// ErrMalformed reports a box that is not one: bad encoding, unknown version,
	// sizes out of bounds, or another account's.
	ErrMalformed = errors.New("seedbox: malformed box")
	// ErrDecrypt reports a box that does not open: made for another device or
	// prekeys, or altered.
	ErrDecrypt = errors.New("seedbox: box does not open")
)

type boxWire struct {
	_          struct{} `cbor:",toarray"`
	Version    uint8
	Account    ids.Account
	Initial    []byte
	Ciphertext []byte
}

var (
	enc = strictcbor.EncMode()
	dec = strictcbor.DecMode(strictcbor.Limits{MaxNesting: 4, MaxArray: MaxSeeds, MaxMap: 16})
)

// Seal makes a box of seeds for device peer of the same account, from bundle (its
// prekeys, which pqxdh.Initiate checks against peer). me is the sending device.
func Seal(me *identity.DeviceKey, account ids.Account, peer identity.DevicePublicKey, bundle pqxdh.Bundle, seeds [][]byte) ([]byte, error) {
	if err := checkSeeds(seeds); err != nil {
		return nil, fmt.Errorf("seal seeds: %w", err)
	}
	m, h, err := pqxdh.Initiate(me, peer, bundle)
	if err != nil {
		return nil, fmt.Errorf("seal seeds: %w", err)
	}
	defer h.Destroy()
	initial, err := pqxdh.EncodeInitialMessage(m)
	if err != nil {
		return nil, fmt.Errorf("seal seeds: %w", err)
	}
	ct, err := seal(h.SharedKey[:], h.AD, account, seeds)
	if err != nil {
		return nil, fmt.Errorf("seal seeds: %w", err)
	}
	return enc.Marshal(boxWire{Version: boxVersion, Account: account, Initial: initial, Ciphertext: ct})
}

// Open opens a box sent to device me of account, with its prekey store s (the
// one-time prekeys the box used are taken from s: persist s afterwards, whatever
// the result). It returns the sending device's key, which the caller must find
// in the account's device list before using the seeds.
func Open(me *identity.DeviceKey, account ids.Account, s *pqxdh.Store, box []byte) (from identity.DevicePublicKey, seeds [][]byte, err error) {
	if len(box) > MaxBoxSize {
		return identity.DevicePublicKey{}, nil, fmt.Errorf("%w: %d bytes", ErrMalformed, len(box))
	}
	var w boxWire
	if err := dec.Unmarshal(box, &w); err != nil {
		return identity.DevicePublicKey{}, nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if w.Version != boxVersion || w.Account != account {
		return identity.DevicePublicKey{}, nil, fmt.Errorf("%w: version %d or another account", ErrMalformed, w.Version)
	}
	m, err := pqxdh.ParseInitialMessage(w.Initial)
	if err != nil {
		return identity.DevicePublicKey{}, nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	h, err := pqxdh.Respond(me, s, m)
	if err != nil {
		return identity.DevicePublicKey{}, nil, fmt.Errorf("%w: %v", ErrDecrypt, err)
	}
	defer h.Destroy()
	seeds, err = open(h.SharedKey[:], h.AD, account, w.Ciphertext)
	if err != nil {
		return identity.DevicePublicKey{}, nil, err
	}
	return h.Peer, seeds, nil
}

func checkSeeds(seeds [][]byte) error {
	if len(seeds) == 0 || len(seeds) > MaxSeeds {
		return fmt.Errorf("%d seeds, want 1 to %d", len(seeds), MaxSeeds)
	}
	for _, s := range seeds {
		if len(s) != identity.KEMSeedSize {
			return fmt.Errorf("a seed of %d bytes, want %d", len(s), identity.KEMSeedSize)
		}
	}
	return nil
}

func aead(sk []byte) (cipher.AEAD, error) {
	key, err := hkdf.Key(sha256.New, sk, nil, keyInfo, chacha20poly1305.KeySize)
	if err != nil {
		return nil, err
	}
	defer clear(key)
	return chacha20poly1305.New(key)
}

func ad(account ids.Account, handshakeAD []byte) []byte {
	b := make([]byte, 0, len(adLabel)+1+ids.Size+len(handshakeAD))
	b = append(append(b, adLabel...), 0)
	b = append(b, account[:]...)
	return append(b, handshakeAD...)
}

// seal is the box's AEAD layer, given the handshake's key and associated data.
func seal(sk, handshakeAD []byte, account ids.Account, seeds [][]byte) ([]byte, error) {
	a, err := aead(sk)
	if err != nil {
		return nil, err
	}
	pt, err := enc.Marshal(seeds)
	if err != nil {
		return nil, err
	}
	defer clear(pt)
	return a.Seal(nil, make([]byte, chacha20poly1305.NonceSize), pt, ad(account, handshakeAD)), nil
}

func open(sk, handshakeAD []byte, account ids.Account, ct []byte) ([][]byte, error) {
	a, err := aead(sk)
	if err != nil {
		return nil, err
	}
	pt, err := a.Open(nil, make([]byte, chacha20poly1305.NonceSize), ct, ad(account, handshakeAD))
	if err != nil {
		return nil, ErrDecrypt
	}
	defer clear(pt)
	var seeds [][]byte
	if err := dec.Unmarshal(pt, &seeds); err != nil {
		return nil, fmt.Errorf("%w: seeds: %v", ErrMalformed, err)
	}
	if err := checkSeeds(seeds); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return seeds, nil
}
