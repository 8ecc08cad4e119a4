// Package accountlog seals the records of an account's log: the state a user's
// devices share through the relay without the relay reading or changing it —
// pinned, archived and muted chats, drafts, contacts, verified marks, blocked
// accounts and the display name (docs/SECURITY.md, "Account log"). Every device of the account derives the same key from the
// account key, so the relay stores records it cannot open; a record moved to
// another id, altered or truncated does not open.
//
// A record says one thing about one chat or account, with the time its device
// made it. Devices apply records last-writer-wins ([Record.Newer]), so a relay that
// replays an old record, or reorders them, changes nothing a later record set.
package accountlog

import (
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/chacha20poly1305"

	"hush/identity"
	"hush/ids"
	"hush/internal/strictcbor"
)

// Labels for domain separation.
const (
	keyLabel    = "hush/v1/account-log/key"
	recordLabel = "hush/v1/account-log/record"
)

// Sealed-record layouts: version 1 carries no text; version 2, the only one this
// code writes, adds it. Both are read.
const (
	recordVersion1 = 1
	recordVersion  = 2
)

// MaxTextBytes caps a record's text: a draft as long as the longest message.
const MaxTextBytes = 16 << 10

// MaxSealedSize caps a sealed record: the longest text and its framing.
const MaxSealedSize = MaxTextBytes + 256

// ErrInvalid reports a sealed record that does not open: altered, truncated, moved
// to another id, sealed with another account's key, or of an unknown version.
var ErrInvalid = errors.New("accountlog: invalid record")

// Kind says what a record is about.
type Kind uint8

// Kinds of records.
const (
	KindPinned      Kind = 1 // Target is a chat; Value: pinned
	KindContact     Kind = 2 // Target is an account; Value: one of the user's contacts
	KindVerified    Kind = 3 // Target is an account; Value: its safety number was compared
	KindBlocked     Kind = 4 // Target is an account; Value: blocked
	KindArchived    Kind = 5 // Target is a chat; Value: archived
	KindMuted       Kind = 6 // Target is a chat; Value: muted
	KindDraft       Kind = 7 // Target is a chat; Text: the draft ("" none), Value: there is one
	KindDisplayName Kind = 8 // Target is zero; Text: the name others see
)

func (k Kind) valid() bool { return k >= KindPinned && k <= KindDisplayName }

// String names the kind, for logs.
func (k Kind) String() string {
	switch k {
	case KindPinned:
		return "pinned"
	case KindContact:
		return "contact"
	case KindVerified:
		return "verified"
	case KindBlocked:
		return "blocked"
	case KindArchived:
		return "archived"
	case KindMuted:
		return "muted"
	case KindDraft:
		return "draft"
	case KindDisplayName:
		return "display-name"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Record is one statement of the account's shared state.
type Record struct {
	Kind   Kind
	Target [ids.Size]byte // a chat or an account id, as Kind says
	Value  bool
	// Text is what a draft or a name says; empty for the other kinds.
	Text string
	// At is when the device made it (milliseconds); Device is which device.
	At     time.Time
	Device ids.Device
}

// Newer reports whether r replaces held, a record of the same kind and target:
// the later one wins, and of two made in the same millisecond the one of the
// greater device id, so every device settles on the same.
func (r Record) Newer(held Record) bool {
	if a, b := r.At.UnixMilli(), held.At.UnixMilli(); a != b {
		return a > b
	}
	return string(r.Device[:]) > string(held.Device[:])
}

type recordBody struct {
	_      struct{} `cbor:",toarray"`
	Kind   Kind
	Target []byte
	Value  bool
	At     int64
	Device []byte
	Text   string
}

// recordBodyV1 is the layout of version 1, without text.
type recordBodyV1 struct {
	_      struct{} `cbor:",toarray"`
	Kind   Kind
	Target []byte
	Value  bool
	At     int64
	Device []byte
}

var (
	enc = strictcbor.EncMode()
	dec = strictcbor.DecMode(strictcbor.Limits{MaxNesting: 4, MaxArray: 16, MaxMap: 16})
)

// Key seals and opens an account's records.
type Key struct{ aead cipher.AEAD }

// DeriveKey derives the account log's key from the account key: HKDF-SHA256 with
// the account's Ed25519 seed as input, the account id as salt and
// "hush/v1/account-log/key" as info; 32 bytes for XChaCha20-Poly1305.
func DeriveKey(k *identity.AccountKey) (*Key, error) {
	signing, encKey, kem := k.Seeds()
	defer clear(signing)
	clear(encKey)
	clear(kem)
	id := k.ID()
	raw, err := hkdf.Key(sha256.New, signing, id[:], keyLabel, chacha20poly1305.KeySize)
	if err != nil {
		return nil, fmt.Errorf("derive account log key: %w", err)
	}
	defer clear(raw)
	aead, err := chacha20poly1305.NewX(raw)
	if err != nil {
		return nil, err
	}
	return &Key{aead: aead}, nil
}

func ad(version byte, id ids.Record) []byte {
	b := make([]byte, 0, len(recordLabel)+2+ids.Size)
	b = append(b, recordLabel...)
	b = append(b, 0, version)
	return append(b, id[:]...)
}

// Seal seals r as the record with id: version (2) || nonce (24) ||
// XChaCha20-Poly1305(CBOR [kind, target, value, at ms, device, text], AD = label ||
// 0 || version || id). Version 1, still read, lacks the text.
func (k *Key) Seal(id ids.Record, r Record) ([]byte, error) {
	if !r.Kind.valid() {
		return nil, fmt.Errorf("accountlog: unknown kind %d", r.Kind)
	}
	if len(r.Text) > MaxTextBytes || !utf8.ValidString(r.Text) {
		return nil, fmt.Errorf("accountlog: text of %d bytes is not valid UTF-8 of at most %d", len(r.Text), MaxTextBytes)
	}
	pt, err := enc.Marshal(recordBody{Kind: r.Kind, Target: r.Target[:], Value: r.Value, At: r.At.UnixMilli(), Device: r.Device[:], Text: r.Text})
	if err != nil {
		return nil, fmt.Errorf("encode record: %w", err)
	}
	out := make([]byte, 1+chacha20poly1305.NonceSizeX, 1+chacha20poly1305.NonceSizeX+len(pt)+chacha20poly1305.Overhead)
	out[0] = recordVersion
	if _, err := rand.Read(out[1:]); err != nil {
		return nil, err
	}
	return k.aead.Seal(out, out[1:], pt, ad(recordVersion, id)), nil
}

// Open opens the record with id.
func (k *Key) Open(id ids.Record, b []byte) (Record, error) {
	if len(b) > MaxSealedSize || len(b) < 1+chacha20poly1305.NonceSizeX+chacha20poly1305.Overhead ||
		(b[0] != recordVersion && b[0] != recordVersion1) {
		return Record{}, ErrInvalid
	}
	pt, err := k.aead.Open(nil, b[1:1+chacha20poly1305.NonceSizeX], b[1+chacha20poly1305.NonceSizeX:], ad(b[0], id))
	if err != nil {
		return Record{}, ErrInvalid
	}
	var body recordBody
	if b[0] == recordVersion1 {
		var v1 recordBodyV1
		err = dec.Unmarshal(pt, &v1)
		body = recordBody{Kind: v1.Kind, Target: v1.Target, Value: v1.Value, At: v1.At, Device: v1.Device}
	} else {
		err = dec.Unmarshal(pt, &body)
	}
	if err != nil {
		return Record{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if !body.Kind.valid() || len(body.Target) != ids.Size || len(body.Device) != ids.Size || body.At < 0 ||
		len(body.Text) > MaxTextBytes || !utf8.ValidString(body.Text) {
		return Record{}, fmt.Errorf("%w: malformed body", ErrInvalid)
	}
	r := Record{Kind: body.Kind, Value: body.Value, Text: body.Text, At: time.UnixMilli(body.At).UTC()}
	copy(r.Target[:], body.Target)
	copy(r.Device[:], body.Device)
	return r, nil
}
