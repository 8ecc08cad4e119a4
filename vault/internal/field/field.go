// Package field seals individual database values with XChaCha20-Poly1305 so
// that modernc.org/sqlite, which has no page encryption, only ever stores
// ciphertext for them.
//
// A sealed blob is
//
//	version(1) || nonce(24) || XChaCha20-Poly1305(key, nonce, plaintext, AD)
//
// where version is the record format version of the plaintext (never 0) and
//
//	AD = Label || 0x00 || u16(len table) || table || u16(len column) || column
//	     || u16(len row) || row || version
//
// (u16 is big-endian). Because the table, the column's purpose and the row id
// are authenticated, a blob copied to another row, table or column fails to
// open instead of decrypting to another row's data; because the version is,
// an old-format blob cannot be passed off as a new one.
package field

import (
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"

	"golang.org/x/crypto/chacha20poly1305"
)

// Label is the first component of every field's associated data.
const Label = "hush/v1/vault/field"

// Sizes and limits.
const (
	NonceSize = chacha20poly1305.NonceSizeX
	// Overhead is what sealing adds to the plaintext length.
	Overhead = 1 + NonceSize + chacha20poly1305.Overhead
	// MaxPlaintext caps one sealed value. Rows are records (a message, a
	// contact), not files; attachments live outside the database.
	MaxPlaintext = 1 << 20
)

// Errors callers branch on.
var (
	// ErrMalformed: the blob is too short, too long or has version 0.
	ErrMalformed = errors.New("field: malformed blob")
	// ErrOpen: authentication failed (wrong key, wrong location, altered).
	ErrOpen = errors.New("field: blob does not open")
	// ErrTooLarge: the plaintext exceeds MaxPlaintext.
	ErrTooLarge = errors.New("field: value too large")
)

// Location names where a blob lives; it is bound into the AD.
type Location struct {
	Table  string // SQL table
	Column string // purpose of the sealed column within the row
	Row    []byte // the row's primary key bytes
}

// Sealer seals and opens blobs under one field key. It is safe for
// concurrent use.
type Sealer struct {
	aead cipher.AEAD
}

// NewSealer returns a Sealer for a 32-byte key. The AEAD keeps its own copy
// of the key, which Go gives no way to scrub; drop the Sealer when done.
func NewSealer(key []byte) (*Sealer, error) {
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, fmt.Errorf("field: key: %w", err)
	}
	return &Sealer{aead: aead}, nil
}

// AssociatedData returns the AD for a blob of the given version at loc.
func AssociatedData(loc Location, version byte) ([]byte, error) {
	for _, part := range []int{len(loc.Table), len(loc.Column), len(loc.Row)} {
		if part > math.MaxUint16 {
			return nil, fmt.Errorf("%w: location component of %d bytes", ErrMalformed, part)
		}
	}
	ad := make([]byte, 0, len(Label)+1+6+len(loc.Table)+len(loc.Column)+len(loc.Row)+1)
	ad = append(ad, Label...)
	ad = append(ad, 0)
	ad = binary.BigEndian.AppendUint16(ad, uint16(len(loc.Table)))
	ad = append(ad, loc.Table...)
	ad = binary.BigEndian.AppendUint16(ad, uint16(len(loc.Column)))
	ad = append(ad, loc.Column...)
	ad = binary.BigEndian.AppendUint16(ad, uint16(len(loc.Row)))
	ad = append(ad, loc.Row...)
	return append(ad, version), nil
}

// Seal encrypts plaintext for loc. rand supplies the nonce: crypto/rand in
// production, a fixed reader in known-answer tests.
func (s *Sealer) Seal(rand io.Reader, loc Location, version byte, plaintext []byte) ([]byte, error) {
	if version == 0 {
		return nil, fmt.Errorf("%w: version 0 is reserved", ErrMalformed)
	}
	if len(plaintext) > MaxPlaintext {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(plaintext), MaxPlaintext)
	}
	ad, err := AssociatedData(loc, version)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 1+NonceSize, len(plaintext)+Overhead)
	out[0] = version
	if _, err := io.ReadFull(rand, out[1:]); err != nil {
		return nil, fmt.Errorf("field: nonce: %w", err)
	}
	return s.aead.Seal(out, out[1:], plaintext, ad), nil
}

// Parse splits a blob into its parts without decrypting it.
func Parse(blob []byte) (version byte, nonce, ciphertext []byte, err error) {
	if len(blob) < Overhead {
		return 0, nil, nil, fmt.Errorf("%w: %d bytes, need at least %d", ErrMalformed, len(blob), Overhead)
	}
	if len(blob) > MaxPlaintext+Overhead {
		return 0, nil, nil, fmt.Errorf("%w: %d bytes, limit %d", ErrMalformed, len(blob), MaxPlaintext+Overhead)
	}
	if blob[0] == 0 {
		return 0, nil, nil, fmt.Errorf("%w: version 0", ErrMalformed)
	}
	return blob[0], blob[1 : 1+NonceSize], blob[1+NonceSize:], nil
}

// Open authenticates and decrypts a blob sealed for loc, returning the
// record version it was sealed with and the plaintext appended to dst (as
// cipher.AEAD does: a caller opening many rows passes the same buffer each
// time and allocates nothing). The caller owns the plaintext and should clear
// it once decoded.
func (s *Sealer) Open(dst []byte, loc Location, blob []byte) (version byte, plaintext []byte, err error) {
	version, nonce, ct, err := Parse(blob)
	if err != nil {
		return 0, nil, err
	}
	ad, err := AssociatedData(loc, version)
	if err != nil {
		return 0, nil, err
	}
	plaintext, err = s.aead.Open(dst, nonce, ct, ad)
	if err != nil {
		return 0, nil, fmt.Errorf("%w: %s.%s", ErrOpen, loc.Table, loc.Column)
	}
	return version, plaintext, nil
}
