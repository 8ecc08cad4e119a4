// Package ids is the vocabulary of identifiers every layer of Hush shares: the vault,
// the relay protocol (sync/wire), the chat crypto (chatcrypto), the relay's store,
// the client engine (chat) and the UI API (app). There is one type per role —
// [Account], [Device], [Chat], [Message], … — all 16 bytes, so an account id passed
// where a chat id belongs does not compile, and no layer needs its own copy.
//
// Account and device ids are hashes of the signing keys they name (package identity
// derives them); the others are random, chosen by the device that creates the thing
// they name ([New]), except message ids, which are time-ordered ([NewOrdered]) so
// the relay's index of them grows at one end. Ids are public: they are compared
// with ==.
//
// Every id has one text form, 32 lower-case hex digits ([ID.String], [Parse]), used
// in the UI API, logs and vault scopes; and one CBOR form, a byte string of exactly
// 16 bytes, used on the wire and in signed structures — the CBOR library writes a
// byte array so by itself, and [ID.UnmarshalCBOR] reads back only that: a byte
// string of any other length is an error, never silently padded or cut.
package ids

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"hush/internal/strictcbor"
)

// Size is the size of every id.
const Size = 16

// ErrInvalid reports text or CBOR that is not an id of the expected kind.
var ErrInvalid = errors.New("ids: invalid id")

// role names what an id identifies; each role is a distinct instantiation of [ID].
type role interface{ name() string }

// ID is the shape every id shares; use the role types ([Account], [Chat], …), which
// are distinct types: one cannot be used for another without a visible conversion.
type ID[R role] [Size]byte

type (
	accountRole struct{}
	deviceRole  struct{}
	chatRole    struct{}
	messageRole struct{}
	recordRole  struct{}
	inboxRole   struct{}
	fileRole    struct{}
	linkRole    struct{}
	prekeyRole  struct{}
)

func (accountRole) name() string { return "account" }
func (deviceRole) name() string  { return "device" }
func (chatRole) name() string    { return "chat" }
func (messageRole) name() string { return "message" }
func (recordRole) name() string  { return "record" }
func (inboxRole) name() string   { return "inbox item" }
func (fileRole) name() string    { return "file" }
func (linkRole) name() string    { return "link session" }
func (prekeyRole) name() string  { return "prekey" }

type (
	// Account names an account: the first 16 bytes of a labelled SHA-256 of its
	// Ed25519 public key (identity.AccountPublicKey.ID).
	Account = ID[accountRole]
	// Device names a device: the first 16 bytes of a labelled SHA-256 of its Ed25519
	// public key (identity.DevicePublicKey.ID).
	Device = ID[deviceRole]
	// Chat names a chat. Its creator picks it at random, except that a direct chat's
	// id is derived from its two accounts so both sides open the same one.
	Chat = ID[chatRole]
	// Message names a chat message. The sending device picks it when the message
	// is written, time-ordered ([NewOrdered]), and resends it with the same id, so a
	// resend is idempotent; it also salts the message key. Older clients' random ids
	// ([New]) remain valid.
	Message = ID[messageRole]
	// Record names a record of an account's log, chosen at random by the device that
	// appends it.
	Record = ID[recordRole]
	// InboxItem names an item in a device's inbox, chosen at random by its sender.
	InboxItem = ID[inboxRole]
	// File names an encrypted attachment in the relay's blob store.
	File = ID[fileRole]
	// LinkSession names one attempt to link a new device to an account.
	LinkSession = ID[linkRole]
	// Prekey names one of a device's published prekeys.
	Prekey = ID[prekeyRole]
)

// Any is satisfied by every id type, for the generic helpers below:
// ids.New[ids.Chat](), ids.Parse[ids.Account](s).
type Any interface {
	~[Size]byte
	Kind() string
	String() string
}

// New returns a random id from crypto/rand.
func New[T Any]() T {
	var id T
	_, _ = rand.Read(id[:]) // crypto/rand.Read never fails (Go 1.24+)
	return id
}

// NewOrdered returns a time-ordered id, laid out as UUIDv7 orders its bits: the
// first 6 bytes are now's Unix time in milliseconds, big-endian, and the other 10 are
// from crypto/rand (80 bits; no version or variant bits are spent). Ids made later
// sort after earlier ones (within a millisecond, in random order), so an index of
// them is appended to at its end instead of written all over: the relay's index of
// message ids (docs/PERFORMANCE.md, "Time-ordered message ids"). The id shows when
// it was made, to the second or better, to whoever sees it (docs/SECURITY.md).
func NewOrdered[T Any](now time.Time) T {
	var id T
	ms := uint64(max(now.UnixMilli(), 0))
	for i := range orderedTimeBytes {
		id[i] = byte(ms >> (8 * (orderedTimeBytes - 1 - i)))
	}
	_, _ = rand.Read(id[orderedTimeBytes:])
	return id
}

// orderedTimeBytes is how many leading bytes of a [NewOrdered] id hold its time: 48
// bits of milliseconds last until the year 10889.
const orderedTimeBytes = 6

// Kind names what the id identifies ("chat", "account", …), for messages.
func (id ID[R]) Kind() string {
	var r R
	return r.name()
}

// String returns the id as 32 lower-case hex digits.
func (id ID[R]) String() string { return hex.EncodeToString(id[:]) }

// IsZero reports whether the id is all zeros, which no valid id is: a random id is
// zero with probability 2⁻¹²⁸, so zero stands for "none".
func (id ID[R]) IsZero() bool { return id == ID[R]{} }

// Parse parses the text form [ID.String] returns.
func Parse[T Any](s string) (T, error) {
	var id T
	if len(s) != 2*Size {
		return id, fmt.Errorf("%w: %s id %q is not %d hex digits", ErrInvalid, id.Kind(), s, 2*Size)
	}
	if _, err := hex.Decode(id[:], []byte(s)); err != nil {
		return T{}, fmt.Errorf("%w: %s id %q: %v", ErrInvalid, id.Kind(), s, err)
	}
	return id, nil
}

// FromBytes converts a 16-byte slice, such as a stored column, to an id.
func FromBytes[T Any](b []byte) (T, error) {
	var id T
	if len(b) != Size {
		return id, fmt.Errorf("%w: %s id of %d bytes, want %d", ErrInvalid, id.Kind(), len(b), Size)
	}
	copy(id[:], b)
	return id, nil
}

// MarshalText encodes the id as hex, so it crosses JSON as a string.
func (id ID[R]) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

// UnmarshalText parses the hex form.
func (id *ID[R]) UnmarshalText(b []byte) error {
	parsed, err := Parse[ID[R]](string(b))
	if err != nil {
		return err
	}
	*id = parsed
	return nil
}

// byteString decodes a single CBOR byte string, under the strict rules every Hush
// format shares.
var byteString = strictcbor.DecMode(strictcbor.Limits{MaxNesting: 4, MaxArray: 16, MaxMap: 16})

// UnmarshalCBOR decodes a byte string of exactly [Size] bytes in its one encoding
// (a one-byte header, 0x50). The CBOR library would silently pad or cut a byte string
// of another length into a Go array, and would accept a longer header for the same
// bytes; both are refused, so one id has one encoding.
func (id *ID[R]) UnmarshalCBOR(data []byte) error {
	if len(data) == 1+Size && data[0] == cborByteString16 {
		copy(id[:], data[1:])
		return nil
	}
	var b []byte
	if err := byteString.Unmarshal(data, &b); err != nil {
		return fmt.Errorf("%w: %s id: %v", ErrInvalid, id.Kind(), err)
	}
	if len(b) != Size {
		return fmt.Errorf("%w: %s id of %d bytes, want %d", ErrInvalid, id.Kind(), len(b), Size)
	}
	return fmt.Errorf("%w: %s id with a non-minimal length header", ErrInvalid, id.Kind())
}

// cborByteString16 is the header of a 16-byte byte string: major type 2, length 16.
const cborByteString16 = 0x40 | Size
