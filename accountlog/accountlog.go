// Package accountlog seals the records of an account's log: the state a user's
// devices share through the relay without the relay reading or changing it —
// pinned, archived and muted chats, drafts, contacts, verified marks, blocked
// accounts, the display name and the read receipts switch (docs/SECURITY.md,
// "Account log"). Every device of the account derives the same key from the
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
	"sync"
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
	kemKeyLabel = "hush/v1/account-log/key/kem"
	keyIDLabel  = "hush/v1/account-log/key-id"
	recordLabel = "hush/v1/account-log/record"
)

// Sealed-record layouts: version 1 carries no text; version 2 adds it; version 3,
// what an account with an ML-KEM key writes, is version 2 under a key derived from
// the current ML-KEM seed too, named by a key id. All three are read.
const (
	recordVersion1   = 1
	recordVersion    = 2
	recordVersionKEM = 3
)

// keyIDSize is the size of a version 3 record's key id.
const keyIDSize = 8

// MaxTextBytes caps a record's text: a draft as long as the longest message.
const MaxTextBytes = 16 << 10

// MaxSealedSize caps a sealed record: the longest text and its framing.
const MaxSealedSize = MaxTextBytes + 256

// ErrInvalid reports a sealed record that does not open: altered, truncated, moved
// to another id, sealed with another account's key, or of an unknown version.
var ErrInvalid = errors.New("accountlog: invalid record")

// ErrKeyMissing reports a record to seal or open under an ML-KEM key of the account
// this device does not hold (yet): after a revocation, the new key's seed comes
// from the device that made it (docs/SECURITY.md, "Revocation and the account's
// keys"). Keep the record and try again once it has come.
var ErrKeyMissing = errors.New("accountlog: the account's current key has not reached this device yet")

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
	KindAccepted    Kind = 9 // Target is a chat; Value: the user accepted it (it was a request)
	// KindFolder: Target is a chat folder's random id; Value: it exists; Text: its
	// name ("" once deleted).
	KindFolder Kind = 10
	// KindFolderChats: Target is a chat; Text: the folders it is in, their ids in
	// lowercase hex, sorted, joined by ","; Value: it is in one.
	KindFolderChats Kind = 11
	KindHidden      Kind = 12 // Target is a message; Value: the user deleted it for themself
	// KindReadReceipts: Target is zero; Value: the account shares its read
	// positions with the other members (no record: it does).
	KindReadReceipts Kind = 13
)

func (k Kind) valid() bool { return k >= KindPinned && k <= KindReadReceipts }

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
	case KindAccepted:
		return "accepted"
	case KindFolder:
		return "folder"
	case KindFolderChats:
		return "folder-chats"
	case KindHidden:
		return "hidden"
	case KindReadReceipts:
		return "read-receipts"
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

// Key seals and opens an account's records. Records are sealed under the account's
// current ML-KEM key (with its signing seed), so a device revoked since — which
// keeps the signing seed but never gets the new ML-KEM seed — cannot open them;
// records of accounts without ML-KEM, and older ones, under the signing seed alone.
type Key struct {
	acct    *identity.AccountKey
	signing []byte // the account's Ed25519 seed, which every derivation takes
	legacy  cipher.AEAD

	mu  sync.Mutex
	kem map[[keyIDSize]byte]cipher.AEAD // by key id, derived once per ML-KEM key
}

// DeriveKey returns the account log's keys of account key k, which it keeps: its
// ML-KEM keys change (a revocation, a seed arriving), and the keys derived from them
// follow. The key of versions 1 and 2 is HKDF-SHA256 with the account's Ed25519 seed
// as input, the account id as salt and "hush/v1/account-log/key" as info; that of
// version 3, with the Ed25519 seed followed by the ML-KEM seed (64 bytes) as input,
// the account id as salt and "hush/v1/account-log/key/kem" as info; both 32 bytes
// for XChaCha20-Poly1305.
func DeriveKey(k *identity.AccountKey) (*Key, error) {
	signing, encKey, kem := k.Seeds()
	clear(encKey)
	clear(kem)
	legacy, err := derive(signing, nil, k.ID(), keyLabel)
	if err != nil {
		clear(signing)
		return nil, err
	}
	return &Key{acct: k, signing: signing, legacy: legacy, kem: map[[keyIDSize]byte]cipher.AEAD{}}, nil
}

func derive(signing, kemSeed []byte, id ids.Account, label string) (cipher.AEAD, error) {
	ikm := append(append(make([]byte, 0, len(signing)+len(kemSeed)), signing...), kemSeed...)
	defer clear(ikm)
	raw, err := hkdf.Key(sha256.New, ikm, id[:], label, chacha20poly1305.KeySize)
	if err != nil {
		return nil, fmt.Errorf("derive account log key: %w", err)
	}
	defer clear(raw)
	return chacha20poly1305.NewX(raw)
}

// keyID names an ML-KEM key in a version 3 record: the first 8 bytes of
// SHA-256("hush/v1/account-log/key-id" || its encapsulation key (1184 bytes)).
func keyID(ek []byte) [keyIDSize]byte {
	h := sha256.New()
	h.Write([]byte(keyIDLabel))
	h.Write(ek)
	var id [keyIDSize]byte
	copy(id[:], h.Sum(nil))
	return id
}

// kemAEAD returns the key of version 3 records under the held ML-KEM key named by
// kid, deriving keys of held ML-KEM keys not met yet.
func (k *Key) kemAEAD(kid [keyIDSize]byte) (cipher.AEAD, bool, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if a, ok := k.kem[kid]; ok {
		return a, true, nil
	}
	for _, dk := range k.acct.KEMKeys() {
		id := keyID(dk.EncapsulationKey().Bytes())
		if _, ok := k.kem[id]; ok {
			continue
		}
		seed := dk.Bytes()
		a, err := derive(k.signing, seed, k.acct.ID(), kemKeyLabel)
		clear(seed)
		if err != nil {
			return nil, false, err
		}
		k.kem[id] = a
	}
	a, ok := k.kem[kid]
	return a, ok, nil
}

// sealing returns the layout and key new records are sealed with.
func (k *Key) sealing() (version byte, kid [keyIDSize]byte, a cipher.AEAD, err error) {
	if !k.acct.HasKEM() {
		return recordVersion, kid, k.legacy, nil
	}
	dk := k.acct.KEMKey()
	if dk == nil {
		return 0, kid, nil, ErrKeyMissing
	}
	kid = keyID(dk.EncapsulationKey().Bytes())
	a, ok, err := k.kemAEAD(kid)
	if err == nil && !ok {
		err = ErrKeyMissing
	}
	return recordVersionKEM, kid, a, err
}

// ad is the associated data: label || 0 || version || key id (version 3 only) || id.
func ad(version byte, kid []byte, id ids.Record) []byte {
	b := make([]byte, 0, len(recordLabel)+2+len(kid)+ids.Size)
	b = append(b, recordLabel...)
	b = append(b, 0, version)
	b = append(b, kid...)
	return append(b, id[:]...)
}

// Seal seals r as the record with id: version (3) || key id (8) || nonce (24) ||
// XChaCha20-Poly1305(CBOR [kind, target, value, at ms, device, text], AD = label ||
// 0 || version || key id || id), under the current ML-KEM key's record key; for an
// account without ML-KEM, version (2) || nonce || the same under the signing seed's
// key, with AD = label || 0 || version || id. Version 1, still read, is version 2
// without the text. It fails with [ErrKeyMissing] while this device does not hold
// the current ML-KEM key.
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
	version, kid, aead, err := k.sealing()
	if err != nil {
		return nil, err
	}
	head := 1
	if version == recordVersionKEM {
		head += keyIDSize
	}
	out := make([]byte, head+chacha20poly1305.NonceSizeX, head+chacha20poly1305.NonceSizeX+len(pt)+chacha20poly1305.Overhead)
	out[0] = version
	copy(out[1:head], kid[:])
	if _, err := rand.Read(out[head:]); err != nil {
		return nil, err
	}
	return aead.Seal(out, out[head:], pt, ad(version, out[1:head], id)), nil
}

// Open opens the record with id. A version 3 record under an ML-KEM key this device
// does not hold fails with [ErrKeyMissing]: the key may still come.
func (k *Key) Open(id ids.Record, b []byte) (Record, error) {
	if len(b) > MaxSealedSize || len(b) < 1 {
		return Record{}, ErrInvalid
	}
	head, aead := 1, k.legacy
	switch b[0] {
	case recordVersion1, recordVersion:
	case recordVersionKEM:
		head += keyIDSize
		if len(b) < head {
			return Record{}, ErrInvalid
		}
		var ok bool
		var err error
		if aead, ok, err = k.kemAEAD([keyIDSize]byte(b[1:head])); err != nil {
			return Record{}, err
		} else if !ok {
			return Record{}, ErrKeyMissing
		}
	default:
		return Record{}, ErrInvalid
	}
	if len(b) < head+chacha20poly1305.NonceSizeX+chacha20poly1305.Overhead {
		return Record{}, ErrInvalid
	}
	pt, err := aead.Open(nil, b[head:head+chacha20poly1305.NonceSizeX], b[head+chacha20poly1305.NonceSizeX:], ad(b[0], b[1:head], id))
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
