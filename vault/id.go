package vault

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
)

// ID is an opaque random 16-byte identifier for rows: accounts, devices,
// chats, messages, attachments. Ids are random so that the ones kept in
// clear in the database reveal nothing but which rows belong together.
type ID [16]byte

// NewID returns a random ID from crypto/rand.
func NewID() (ID, error) {
	var id ID
	if _, err := rand.Read(id[:]); err != nil {
		return ID{}, fmt.Errorf("vault: new id: %w", err)
	}
	return id, nil
}

// String returns the id as 32 lowercase hex digits.
func (id ID) String() string { return hex.EncodeToString(id[:]) }

// IsZero reports whether id is all zeros, which no stored row may use.
func (id ID) IsZero() bool { return id == ID{} }

// MarshalText encodes the id as hex so it can cross JSON (the UI API).
func (id ID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

// UnmarshalText parses the hex form.
func (id *ID) UnmarshalText(b []byte) error {
	parsed, err := ParseID(string(b))
	if err != nil {
		return err
	}
	*id = parsed
	return nil
}

// ParseID parses the form String produces.
func ParseID(s string) (ID, error) {
	var id ID
	if len(s) != 2*len(id) {
		return ID{}, fmt.Errorf("%w: id %q is not 32 hex digits", ErrInvalid, s)
	}
	if _, err := hex.Decode(id[:], []byte(s)); err != nil {
		return ID{}, fmt.Errorf("%w: id %q: %w", ErrInvalid, s, err)
	}
	return id, nil
}

// idFrom converts a stored id column, which SQL CHECKs keep at 16 bytes.
func idFrom(b []byte) (ID, error) {
	var id ID
	if len(b) != len(id) {
		return ID{}, fmt.Errorf("%w: stored id of %d bytes", ErrCorrupt, len(b))
	}
	copy(id[:], b)
	return id, nil
}
