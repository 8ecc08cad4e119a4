package backup

import (
	"fmt"

	"hush/ids"
	"hush/policy"
)

// FormatVersion is the archive format this build writes, and the newest it
// reads. A change a version-1 reader would misread gets a new number
// (docs/BACKUP-FORMAT.md, "Versions"). Version 2 adds [Attachment] records;
// version 3 a message's expiry ([Message.ExpiresAt]); version 4 the files
// themselves ([Attachment.Included], [AttachmentData]).
const FormatVersion = 4

// expirySince is the first format version whose messages may carry an expiry.
const expirySince = 3

// filesSince is the first format version that holds attachment files.
const filesSince = 4

// Kind is a frame's type, its first byte. The numbers are part of the format:
// never reuse or renumber one. Records follow one another in ascending kind
// order, which is also the order an importer needs them in: the account before
// what belongs to it, chats before their messages.
type Kind uint8

// The kinds of version 1, in the order they appear.
const (
	KindManifest   Kind = 1
	KindAccount    Kind = 2
	KindDevice     Kind = 3
	KindContact    Kind = 4
	KindChat       Kind = 5
	KindEpochKey   Kind = 6
	KindLogRecord  Kind = 7
	KindDraft      Kind = 8
	KindMessage    Kind = 9
	KindSetting    Kind = 10
	KindCursor     Kind = 11
	KindAttachment Kind = 12 // version 2 and later
	// KindAttachmentData is a chunk of an attachment's file (version 4). Its
	// records follow their attachment's record, so kinds 12 and 13 alternate:
	// they rank as one section in the kind order ([rank]).
	KindAttachmentData Kind = 13
	KindTrailer        Kind = 255
)

// Record is one record of the archive: *[Account], *[Device], *[Contact],
// *[Chat], *[EpochKey], *[LogRecord], *[Draft], *[Message], *[Setting],
// *[Cursor], *[Attachment] or *[AttachmentData]. The set is closed: the format defines it.
type Record interface {
	// RecordKind is the record's frame type.
	RecordKind() Kind
	validate() error
}

// Times are Unix microseconds (0 = none) throughout, as in the vault.

// Account is the user's own account with its private keys: what makes a
// restored install the same account.
type Account struct {
	ID            ids.Account `cbor:"1,keyasint"`
	DisplayName   string      `cbor:"2,keyasint,omitempty"`
	Handle        string      `cbor:"3,keyasint,omitempty"`
	SigningSeed   []byte      `cbor:"4,keyasint"`
	EncryptionKey []byte      `cbor:"5,keyasint"`
	KEMSeed       []byte      `cbor:"6,keyasint,omitempty"`
	CreatedAt     int64       `cbor:"7,keyasint,omitempty"`
	// OtherKEMSeeds are the account's older ML-KEM seeds (one more per revoked
	// device), which its history is wrapped to.
	OtherKEMSeeds [][]byte `cbor:"8,keyasint,omitempty"`
}

// Device is a device of the account or of a contact. The device that wrote
// the backup carries its private keys (Own), so a restore is that device again.
type Device struct {
	ID               ids.Device  `cbor:"1,keyasint"`
	AccountID        ids.Account `cbor:"2,keyasint"`
	Name             string      `cbor:"3,keyasint,omitempty"`
	SigningPublic    []byte      `cbor:"4,keyasint,omitempty"`
	EncryptionPublic []byte      `cbor:"5,keyasint,omitempty"`
	SigningSeed      []byte      `cbor:"6,keyasint,omitempty"`
	EncryptionKey    []byte      `cbor:"7,keyasint,omitempty"`
	Certificate      []byte      `cbor:"8,keyasint,omitempty"`
	Own              bool        `cbor:"9,keyasint,omitempty"`
	Revoked          bool        `cbor:"10,keyasint,omitempty"`
	CreatedAt        int64       `cbor:"11,keyasint,omitempty"`
}

// Contact is another account with the keys pinned for it.
type Contact struct {
	AccountID     ids.Account `cbor:"1,keyasint"`
	Handle        string      `cbor:"2,keyasint,omitempty"`
	DisplayName   string      `cbor:"3,keyasint,omitempty"`
	SigningKey    []byte      `cbor:"4,keyasint,omitempty"`
	EncryptionKey []byte      `cbor:"5,keyasint,omitempty"`
	KEMKey        []byte      `cbor:"6,keyasint,omitempty"`
	PinnedAt      int64       `cbor:"7,keyasint,omitempty"`
	KeyChangedAt  int64       `cbor:"8,keyasint,omitempty"`
	Verified      bool        `cbor:"9,keyasint,omitempty"`
	Stranger      bool        `cbor:"10,keyasint,omitempty"`
}

// Member is one account in a [Chat].
type Member struct {
	AccountID ids.Account `cbor:"1,keyasint"`
	Role      policy.Role `cbor:"2,keyasint"`
}

// Chat is a cloud chat with its members. Secret chats are never in a backup.
type Chat struct {
	ID           ids.Chat        `cbor:"1,keyasint"`
	Kind         policy.ChatKind `cbor:"2,keyasint"`
	Title        string          `cbor:"3,keyasint,omitempty"`
	Members      []Member        `cbor:"4,keyasint,omitempty"`
	LastActivity int64           `cbor:"5,keyasint,omitempty"`
	Pinned       bool            `cbor:"6,keyasint,omitempty"`
	Muted        bool            `cbor:"7,keyasint,omitempty"`
	Unread       int64           `cbor:"8,keyasint,omitempty"`
	Extra        []byte          `cbor:"9,keyasint,omitempty"`
}

// EpochKey is one epoch key of a chat: what opens that epoch's messages.
type EpochKey struct {
	ChatID ids.Chat `cbor:"1,keyasint"`
	Epoch  uint64   `cbor:"2,keyasint"`
	Key    []byte   `cbor:"3,keyasint"`
}

// LogRecord is one signed record of a chat's membership log, as stored.
type LogRecord struct {
	ChatID ids.Chat `cbor:"1,keyasint"`
	Seq    uint64   `cbor:"2,keyasint"`
	Record []byte   `cbor:"3,keyasint"`
}

// Draft is the unsent text of a chat.
type Draft struct {
	ChatID ids.Chat `cbor:"1,keyasint"`
	Text   string   `cbor:"2,keyasint"`
}

// Message is one message of a cloud chat, in the clear (the backup's
// encryption is age's).
type Message struct {
	ID            ids.Message   `cbor:"1,keyasint"`
	ChatID        ids.Chat      `cbor:"2,keyasint"`
	Seq           int64         `cbor:"3,keyasint,omitempty"`
	SenderAccount ids.Account   `cbor:"4,keyasint,omitzero"`
	SenderDevice  ids.Device    `cbor:"5,keyasint,omitzero"`
	SentAt        int64         `cbor:"6,keyasint,omitempty"`
	Body          string        `cbor:"7,keyasint,omitempty"`
	ReplyTo       ids.Message   `cbor:"8,keyasint,omitzero"`
	Status        policy.Status `cbor:"9,keyasint"`
	EditedAt      int64         `cbor:"10,keyasint,omitempty"`
	Extra         []byte        `cbor:"11,keyasint,omitempty"`
	// ExpiresAt is when the message is deleted (a cloud chat's auto-delete; 0:
	// never), version 3. An import skips a message whose time has passed.
	ExpiresAt int64 `cbor:"12,keyasint,omitempty"`
}

// Setting is one named setting: preferences, the relay address, the engine's
// state (device lists, blocks, the account log's state).
type Setting struct {
	Name  string `cbor:"1,keyasint"`
	Value []byte `cbor:"2,keyasint,omitempty"`
}

// Cursor is how far the device has read one of the relay's logs.
type Cursor struct {
	Scope string `cbor:"1,keyasint"`
	Seq   int64  `cbor:"2,keyasint"`
}

// RecordKind implements [Record].
func (*Account) RecordKind() Kind { return KindAccount }

// RecordKind implements [Record].
func (*Device) RecordKind() Kind { return KindDevice }

// RecordKind implements [Record].
func (*Contact) RecordKind() Kind { return KindContact }

// RecordKind implements [Record].
func (*Chat) RecordKind() Kind { return KindChat }

// RecordKind implements [Record].
func (*EpochKey) RecordKind() Kind { return KindEpochKey }

// RecordKind implements [Record].
func (*LogRecord) RecordKind() Kind { return KindLogRecord }

// RecordKind implements [Record].
func (*Draft) RecordKind() Kind { return KindDraft }

// RecordKind implements [Record].
func (*Message) RecordKind() Kind { return KindMessage }

// RecordKind implements [Record].
func (*Setting) RecordKind() Kind { return KindSetting }

// RecordKind implements [Record].
func (*Cursor) RecordKind() Kind { return KindCursor }

// Attachment describes a file of a message with the key it is encrypted under
// (version 2). From version 4 the file itself may follow (Included): its
// plaintext in [AttachmentData] records right after this one. Otherwise it
// stays encrypted on the relay under ID, and a restored device downloads it
// again when opened.
type Attachment struct {
	ID        ids.File    `cbor:"1,keyasint"`
	MessageID ids.Message `cbor:"2,keyasint"`
	FileKey   []byte      `cbor:"3,keyasint"`
	Name      string      `cbor:"4,keyasint,omitempty"`
	MIME      string      `cbor:"5,keyasint,omitempty"`
	Size      int64       `cbor:"6,keyasint"`
	Thumbnail []byte      `cbor:"7,keyasint,omitempty"`
	// Included says the file's Size bytes follow in AttachmentData records
	// (version 4).
	Included bool `cbor:"8,keyasint,omitempty"`
}

// RecordKind implements [Record].
func (*Attachment) RecordKind() Kind { return KindAttachment }

// FileChunkSize is the size of every chunk of a file in a backup but its last,
// which holds the rest (1 to FileChunkSize bytes). Fixed, so that a file's
// chunks are implied by its size and a reader can tell a missing, repeated or
// reordered chunk: see [fileTrack].
const FileChunkSize = 1 << 20

// AttachmentData is one chunk of the plaintext of the file of the
// [Attachment] record before it (version 4): Data is the file's bytes from
// Offset. A file of n bytes has ceil(n / FileChunkSize) chunks, in order.
type AttachmentData struct {
	FileID ids.File `cbor:"1,keyasint"`
	Offset int64    `cbor:"2,keyasint"`
	Data   []byte   `cbor:"3,keyasint"`
}

// RecordKind implements [Record].
func (*AttachmentData) RecordKind() Kind { return KindAttachmentData }

func (r *AttachmentData) validate() error {
	switch {
	case r.FileID.IsZero():
		return fmt.Errorf("attachment data without file id")
	case r.Offset < 0 || r.Offset%FileChunkSize != 0:
		return fmt.Errorf("attachment data at offset %d", r.Offset)
	case len(r.Data) == 0 || len(r.Data) > FileChunkSize:
		return fmt.Errorf("attachment data of %d bytes", len(r.Data))
	}
	return nil
}

// fileTrack follows the attachment file whose chunks are due, for the writer
// and the reader alike: after an attachment with Included, exactly its
// chunks, at offsets 0, FileChunkSize, … each full but the last, and nothing
// else until the file is complete. A missing, repeated, reordered or foreign
// chunk, or a file cut short, is refused here: neither the trailer's counts
// nor age's authentication could see a plaintext rewritten that way.
type fileTrack struct {
	id         ids.File
	size, next int64
	open       bool
}

// check admits rec as the next record, or says why it cannot come here.
func (f *fileTrack) check(rec Record) error {
	d, ok := rec.(*AttachmentData)
	if !ok {
		if err := f.end(); err != nil {
			return err
		}
		if a, ok := rec.(*Attachment); ok && a.Included && a.Size > 0 {
			*f = fileTrack{id: a.ID, size: a.Size, open: true}
		}
		return nil
	}
	switch {
	case !f.open || d.FileID != f.id:
		return fmt.Errorf("data of file %s, which is not the file due", d.FileID)
	case d.Offset != f.next:
		return fmt.Errorf("data of file %s at offset %d, expected %d", d.FileID, d.Offset, f.next)
	case int64(len(d.Data)) != min(FileChunkSize, f.size-f.next):
		return fmt.Errorf("data of file %s at offset %d: %d bytes, expected %d", d.FileID, d.Offset, len(d.Data), min(FileChunkSize, f.size-f.next))
	}
	f.next += int64(len(d.Data))
	f.open = f.next < f.size
	return nil
}

// end says whether the file due, if any, is complete.
func (f *fileTrack) end() error {
	if f.open {
		return fmt.Errorf("file %s ends after %d of %d bytes", f.id, f.next, f.size)
	}
	return nil
}

// maxAttachmentThumbnail caps a thumbnail in a backup (chatcrypto's limit).
const maxAttachmentThumbnail = 16 << 10

func (r *Attachment) validate() error {
	switch {
	case r.ID.IsZero() || r.MessageID.IsZero():
		return fmt.Errorf("attachment without id or message")
	case len(r.FileKey) != 32:
		return fmt.Errorf("attachment key of %d bytes", len(r.FileKey))
	case r.Size < 0:
		return fmt.Errorf("attachment size %d", r.Size)
	case len(r.Thumbnail) > maxAttachmentThumbnail:
		return fmt.Errorf("attachment thumbnail of %d bytes", len(r.Thumbnail))
	}
	return nil
}

func (r *Account) validate() error {
	if r.ID.IsZero() || len(r.SigningSeed) == 0 || len(r.EncryptionKey) == 0 {
		return fmt.Errorf("account without id or keys")
	}
	return nil
}

func (r *Device) validate() error {
	if r.ID.IsZero() || r.AccountID.IsZero() {
		return fmt.Errorf("device without id or account")
	}
	return nil
}

func (r *Contact) validate() error {
	if r.AccountID.IsZero() {
		return fmt.Errorf("contact without account id")
	}
	return nil
}

func (r *Chat) validate() error {
	if r.ID.IsZero() {
		return fmt.Errorf("chat without id")
	}
	if !r.Kind.Cloud() {
		return fmt.Errorf("chat kind %d is not a cloud chat", r.Kind)
	}
	if r.Unread < 0 {
		return fmt.Errorf("unread %d", r.Unread)
	}
	for _, m := range r.Members {
		if m.AccountID.IsZero() || !m.Role.Valid() {
			return fmt.Errorf("chat member without id or with role %d", m.Role)
		}
	}
	return nil
}

func (r *EpochKey) validate() error {
	if r.ChatID.IsZero() || len(r.Key) == 0 {
		return fmt.Errorf("epoch key without chat or key")
	}
	return nil
}

func (r *LogRecord) validate() error {
	if r.ChatID.IsZero() || len(r.Record) == 0 || r.Seq > maxSeq {
		return fmt.Errorf("log record without chat or bytes, or seq out of range")
	}
	return nil
}

func (r *Draft) validate() error {
	if r.ChatID.IsZero() {
		return fmt.Errorf("draft without chat")
	}
	return nil
}

func (r *Message) validate() error {
	if r.ID.IsZero() || r.ChatID.IsZero() {
		return fmt.Errorf("message without id or chat")
	}
	if r.Seq < 0 {
		return fmt.Errorf("message seq %d", r.Seq)
	}
	if !r.Status.Valid() {
		return fmt.Errorf("message status %d", r.Status)
	}
	if r.ExpiresAt < 0 {
		return fmt.Errorf("message expiry %d", r.ExpiresAt)
	}
	return nil
}

func (r *Setting) validate() error {
	if r.Name == "" {
		return fmt.Errorf("setting without name")
	}
	return nil
}

func (r *Cursor) validate() error {
	if r.Scope == "" || r.Seq < 0 {
		return fmt.Errorf("cursor without scope or with seq %d", r.Seq)
	}
	return nil
}

// maxSeq keeps sequence numbers inside SQLite's int64, as the vault does.
const maxSeq = 1<<63 - 1

// newRecord returns an empty record of kind k, or nil for a kind that is not
// a record of this version (the reader refuses kinds newer than its file's
// version: [recordSince]).
func newRecord(k Kind) Record {
	switch k {
	case KindAccount:
		return &Account{}
	case KindDevice:
		return &Device{}
	case KindContact:
		return &Contact{}
	case KindChat:
		return &Chat{}
	case KindEpochKey:
		return &EpochKey{}
	case KindLogRecord:
		return &LogRecord{}
	case KindDraft:
		return &Draft{}
	case KindMessage:
		return &Message{}
	case KindSetting:
		return &Setting{}
	case KindCursor:
		return &Cursor{}
	case KindAttachment:
		return &Attachment{}
	case KindAttachmentData:
		return &AttachmentData{}
	}
	return nil
}

// recordSince is the first format version with records of kind k.
func recordSince(k Kind) uint64 {
	switch k {
	case KindAttachment:
		return 2
	case KindAttachmentData:
		return filesSince
	}
	return 1
}

// rank is a kind's place in the order of records: an attachment's data
// records follow it, before the next attachment, so both kinds rank as one.
func rank(k Kind) Kind {
	if k == KindAttachmentData {
		return KindAttachment
	}
	return k
}
