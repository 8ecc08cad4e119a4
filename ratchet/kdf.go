package ratchet

import (
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"

	"golang.org/x/crypto/chacha20poly1305"
)

// keySize is the size of every symmetric key of the ratchet: root, chain and
// message keys, and SK.
const keySize = 32

// tagSize is the Poly1305 tag that ENCRYPT adds.
const tagSize = chacha20poly1305.Overhead

// generateDH is GENERATE_DH: a new X25519 key pair. random is nil outside tests;
// tests pass a fixed stream so that known-answer vectors can name the keys.
func generateDH(random io.Reader) (*ecdh.PrivateKey, error) {
	if random == nil {
		k, err := ecdh.X25519().GenerateKey(rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("generate ratchet key: %w", err)
		}
		return k, nil
	}
	// Any 32 bytes are an X25519 private key (RFC 7748 clamps them), which is what
	// crypto/ecdh's own GenerateKey reads too.
	var b [keySize]byte
	defer clear(b[:])
	if _, err := io.ReadFull(random, b[:]); err != nil {
		return nil, fmt.Errorf("generate ratchet key: %w", err)
	}
	return ecdh.X25519().NewPrivateKey(b[:])
}

// dh is DH. crypto/ecdh refuses a public key that gives the all-zero output (a
// low-order point), so a peer cannot force a known DH output.
func dh(priv *ecdh.PrivateKey, pub *ecdh.PublicKey) ([]byte, error) {
	out, err := priv.ECDH(pub)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadKey, err)
	}
	return out, nil
}

// kdfRK is KDF_RK: HKDF-SHA-256, salt the root key, input the DH output, info
// rootLabel; the first 32 bytes are the new root key, the next 32 the chain key.
func kdfRK(rk *[keySize]byte, dhOut []byte) (newRK, ck [keySize]byte) {
	out, err := hkdf.Key(sha256.New, dhOut, rk[:], rootLabel, 2*keySize)
	if err != nil {
		// Only a length over 255 hash outputs fails; 64 bytes never does.
		panic("ratchet: " + err.Error())
	}
	copy(newRK[:], out[:keySize])
	copy(ck[:], out[keySize:])
	clear(out)
	return newRK, ck
}

// Inputs of KDF_CK, the constants the spec recommends: different for the two
// outputs, so neither can be computed from the other.
const (
	messageKeyInput = 0x01
	chainKeyInput   = 0x02
)

// kdfCK is KDF_CK: it replaces *ck with the next chain key and returns the message
// key. The old chain key is overwritten, so a compromise of the state later does
// not give this message's key (forward secrecy within the chain).
func kdfCK(ck *[keySize]byte) (mk [keySize]byte) {
	h := hmac.New(sha256.New, ck[:])
	h.Write([]byte{messageKeyInput})
	h.Sum(mk[:0])
	h.Reset()
	h.Write([]byte{chainKeyInput})
	var next [keySize]byte
	h.Sum(next[:0])
	*ck = next
	clear(next[:])
	return mk
}

// messageAEAD derives the AEAD of one message key: HKDF-SHA-256 with mk as input,
// no salt and info messageLabel gives 56 bytes, the XChaCha20-Poly1305 key and then
// the nonce.
func messageAEAD(mk *[keySize]byte) (aead cipher.AEAD, nonce []byte) {
	out, err := hkdf.Key(sha256.New, mk[:], nil, messageLabel, keySize+chacha20poly1305.NonceSizeX)
	if err != nil {
		panic("ratchet: " + err.Error())
	}
	a, err := chacha20poly1305.NewX(out[:keySize])
	if err != nil {
		panic("ratchet: " + err.Error())
	}
	nonce = out[keySize:]
	clear(out[:keySize])
	return a, nonce
}

// associatedData is CONCAT(AD, header): len(ad) as 8 bytes big-endian, ad, then the
// encoded header, so that no two (ad, header) pairs give the same bytes.
func associatedData(ad, header []byte) []byte {
	b := make([]byte, 0, 8+len(ad)+len(header))
	b = binary.BigEndian.AppendUint64(b, uint64(len(ad)))
	b = append(b, ad...)
	return append(b, header...)
}

// seal is ENCRYPT: it appends the ciphertext of plaintext under mk to dst.
func seal(dst []byte, mk *[keySize]byte, plaintext, ad, header []byte) []byte {
	a, nonce := messageAEAD(mk)
	return a.Seal(dst, nonce, plaintext, associatedData(ad, header))
}

// open is DECRYPT; it fails with [ErrDecrypt] if the ciphertext, the header or ad
// is not what was sealed under mk.
func open(mk *[keySize]byte, ciphertext, ad, header []byte) ([]byte, error) {
	a, nonce := messageAEAD(mk)
	pt, err := a.Open(nil, nonce, ciphertext, associatedData(ad, header))
	if err != nil {
		return nil, ErrDecrypt
	}
	return pt, nil
}
