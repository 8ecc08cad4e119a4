package vault

import (
	"time"

	"hush/ids"
	"hush/policy"
)

// Account is one of the user's own accounts with its private keys. The vault
// treats keys as opaque bytes; package identity gives them meaning.
type Account struct {
	ID            ids.Account
	DisplayName   string
	Handle        string
	SigningSeed   []byte
	EncryptionKey []byte
	// KEMSeed is the account's ML-KEM-768 seed; empty in vaults written before
	// post-quantum envelopes.
	KEMSeed []byte
	// OtherKEMSeeds are the account's other ML-KEM-768 seeds: those it had before
	// revoking a device (history is wrapped to them) and, for a moment, one made for
	// a revocation not yet published (docs/SECURITY.md, "Revocation and the
	// account's keys").
	OtherKEMSeeds [][]byte
	CreatedAt     time.Time
}

// Device is a device of the user (Own, with private keys) or of someone
// else (public keys and certificate only).
type Device struct {
	ID               ids.Device
	AccountID        ids.Account
	Name             string
	SigningPublic    []byte
	EncryptionPublic []byte
	SigningSeed      []byte
	EncryptionKey    []byte
	Certificate      []byte
	Own              bool
	Revoked          bool
	CreatedAt        time.Time
}

// Contact is another person's account with the keys pinned on first use.
type Contact struct {
	AccountID     ids.Account
	Handle        string
	DisplayName   string
	SigningKey    []byte
	EncryptionKey []byte
	// KEMKey is the account's ML-KEM-768 public key, when it certified one.
	KEMKey       []byte
	PinnedAt     time.Time
	KeyChangedAt time.Time
	Verified     bool
	// Stranger marks an account pinned because it shares a chat with this one,
	// not one the user chose: it is not listed among the contacts.
	Stranger bool
}

// Member is one account in a chat.
type Member struct {
	AccountID ids.Account
	Role      policy.Role
}

// Chat is a conversation. LastActivity and Pinned are stored in clear
// because the chat list is ordered by them; the rest is sealed.
type Chat struct {
	ID           ids.Chat
	Kind         policy.ChatKind
	Title        string
	Members      []Member // returned in the order members were first added
	LastActivity time.Time
	Pinned       bool
	Muted        bool
	Unread       int
	Extra        []byte // opaque, for fields added by later features
}

// Message is one chat message. ID, ChatID and Seq are stored in clear;
// everything else is sealed.
type Message struct {
	ID            ids.Message
	ChatID        ids.Chat
	Seq           int64 // relay sequence number; 0 while pending
	SenderAccount ids.Account
	SenderDevice  ids.Device
	SentAt        time.Time
	Body          string
	ReplyTo       *ids.Message
	Status        policy.Status
	EditedAt      time.Time
	Extra         []byte // opaque, for reactions and the like
}

// OutboxItem is a record waiting to be sent to the relay. ChatID is the
// zero ID for records that belong to no chat (the account log).
type OutboxItem struct {
	ID      ids.Message
	ChatID  ids.Chat
	Payload []byte
}

// Attachment describes a file attached to a message. FileKey is the file's
// own random key: deleting the row shreds the file.
type Attachment struct {
	ID        ids.File
	MessageID ids.Message
	FileKey   []byte
	Name      string
	MIME      string
	Size      int64
	// Thumbnail is the sender's JPEG preview, nil if none.
	Thumbnail []byte
}

// PageCursor marks a position in a chat's message list for [Tx.Messages].
// The zero PageCursor means "start from the newest message". It crosses the UI
// API as opaque text ([PageCursor.MarshalText]), so callers keep no paging state.
type PageCursor struct {
	set      bool
	pending  int64
	seq      int64
	localSeq int64
}

// IsZero reports whether c is the starting cursor.
func (c PageCursor) IsZero() bool { return !c.set }

// Limits on list calls, so one call cannot pull an unbounded result into
// memory.
const (
	// MaxPageSize caps Messages and Outbox; larger limits are clamped.
	MaxPageSize = 500
	// MaxDueTimers caps one DueTimers call; the sweep calls again until it
	// gets fewer.
	MaxDueTimers = 1000
)

// maxSeq keeps sequence numbers and epochs inside SQLite's int64.
const maxSeq = 1<<63 - 1
