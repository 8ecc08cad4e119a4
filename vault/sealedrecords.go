package vault

import (
	"errors"
	"fmt"

	"hush/ids"
	"hush/policy"
)

// The sealed records. Integer keys are part of the stored format: never
// reuse or renumber one (testdata/records.json pins the encodings).
//
// Keys 20 and 21 hold the ids the graph index keeps out of the clear columns
// (graphindex.go): 20 the row's own account, device or chat id, 21 the id of
// what the row belongs to (a device's account, a message's chat). They are
// numbered apart from the records' other fields so that fields added later
// keep counting up from the low keys. They are typed ids: a byte string of
// exactly 16 bytes (ids.ID's UnmarshalCBOR), omitted when zero. Records
// written before the graph index lack them; migration 2 adds them, and reads
// refuse a record without them.

type accountRecord struct {
	DisplayName   string   `cbor:"1,keyasint,omitempty"`
	Handle        string   `cbor:"2,keyasint,omitempty"`
	SigningSeed   []byte   `cbor:"3,keyasint,omitempty"`
	EncryptionKey []byte   `cbor:"4,keyasint,omitempty"`
	CreatedAt     int64    `cbor:"5,keyasint,omitempty"`
	KEMSeed       []byte   `cbor:"6,keyasint,omitempty"`
	OtherKEMSeeds [][]byte `cbor:"7,keyasint,omitempty"`

	// Ids the graph index keeps out of the clear columns.
	ID ids.Account `cbor:"20,keyasint,omitzero"`
}

func (r *accountRecord) validate() error { return nil }

type deviceRecord struct {
	Name             string `cbor:"1,keyasint,omitempty"`
	SigningPublic    []byte `cbor:"2,keyasint,omitempty"`
	EncryptionPublic []byte `cbor:"3,keyasint,omitempty"`
	SigningSeed      []byte `cbor:"4,keyasint,omitempty"`
	EncryptionKey    []byte `cbor:"5,keyasint,omitempty"`
	Certificate      []byte `cbor:"6,keyasint,omitempty"`
	Own              bool   `cbor:"7,keyasint,omitempty"`
	Revoked          bool   `cbor:"8,keyasint,omitempty"`
	CreatedAt        int64  `cbor:"9,keyasint,omitempty"`

	// Ids the graph index keeps out of the clear columns.
	ID        ids.Device  `cbor:"20,keyasint,omitzero"`
	AccountID ids.Account `cbor:"21,keyasint,omitzero"`
}

func (r *deviceRecord) validate() error { return nil }

type contactRecord struct {
	Handle        string `cbor:"1,keyasint,omitempty"`
	DisplayName   string `cbor:"2,keyasint,omitempty"`
	SigningKey    []byte `cbor:"3,keyasint,omitempty"`
	EncryptionKey []byte `cbor:"4,keyasint,omitempty"`
	PinnedAt      int64  `cbor:"5,keyasint,omitempty"`
	KeyChangedAt  int64  `cbor:"6,keyasint,omitempty"`
	Verified      bool   `cbor:"7,keyasint,omitempty"`
	KEMKey        []byte `cbor:"8,keyasint,omitempty"`
	Stranger      bool   `cbor:"9,keyasint,omitempty"`

	// Ids the graph index keeps out of the clear columns.
	AccountID ids.Account `cbor:"20,keyasint,omitzero"`
}

func (r *contactRecord) validate() error { return nil }

type chatRecord struct {
	Kind   policy.ChatKind `cbor:"1,keyasint"`
	Title  string          `cbor:"2,keyasint,omitempty"`
	Muted  bool            `cbor:"3,keyasint,omitempty"`
	Unread int             `cbor:"4,keyasint,omitempty"`
	Extra  []byte          `cbor:"5,keyasint,omitempty"`

	// Ids the graph index keeps out of the clear columns.
	ID ids.Chat `cbor:"20,keyasint,omitzero"`
}

func (r *chatRecord) validate() error {
	if !r.Kind.Valid() {
		return fmt.Errorf("chat kind %d", r.Kind)
	}
	if r.Unread < 0 {
		return fmt.Errorf("unread %d", r.Unread)
	}
	return nil
}

// memberRecord holds a member's role, under key 2 in the numbering of package
// policy. Key 1 held it in the vault's first numbering (member 1, admin 2, owner 3);
// it is read, never written, so vaults made before the numbering was unified keep
// their members' roles.
type memberRecord struct {
	LegacyRole uint8       `cbor:"1,keyasint,omitempty"`
	Role       policy.Role `cbor:"2,keyasint,omitempty"`

	// Ids the graph index keeps out of the clear columns.
	AccountID ids.Account `cbor:"20,keyasint,omitzero"`
}

func (r *memberRecord) validate() error {
	switch {
	case r.LegacyRole != 0 && r.Role != 0:
		return errors.New("member role stored twice")
	case r.LegacyRole != 0:
		if r.LegacyRole > 3 {
			return fmt.Errorf("legacy role %d", r.LegacyRole)
		}
	case !r.Role.Valid():
		return fmt.Errorf("role %d", r.Role)
	}
	return nil
}

// role returns the member's role in policy's numbering, whichever key held it.
func (r *memberRecord) role() policy.Role {
	switch r.LegacyRole {
	case 1:
		return policy.RoleMember
	case 2:
		return policy.RoleAdmin
	case 3:
		return policy.RoleOwner
	}
	return r.Role
}

type messageRecord struct {
	SenderAccount []byte        `cbor:"1,keyasint,omitempty"`
	SenderDevice  []byte        `cbor:"2,keyasint,omitempty"`
	SentAt        int64         `cbor:"3,keyasint,omitempty"`
	Body          string        `cbor:"4,keyasint,omitempty"`
	ReplyTo       []byte        `cbor:"5,keyasint,omitempty"`
	Status        policy.Status `cbor:"6,keyasint"`
	EditedAt      int64         `cbor:"7,keyasint,omitempty"`
	Extra         []byte        `cbor:"8,keyasint,omitempty"`

	// Ids the graph index keeps out of the clear columns.
	ChatID ids.Chat `cbor:"21,keyasint,omitzero"`
}

func (r *messageRecord) validate() error {
	if !r.Status.Valid() {
		return fmt.Errorf("message status %d", r.Status)
	}
	return errors.Join(
		optionalID("sender account", r.SenderAccount),
		optionalID("sender device", r.SenderDevice),
		optionalID("reply-to", r.ReplyTo),
	)
}

// outboxRecord's ChatID is absent for records of no chat (the account log).
type outboxRecord struct {
	Payload []byte `cbor:"1,keyasint,omitempty"`

	// Ids the graph index keeps out of the clear columns.
	ChatID ids.Chat `cbor:"21,keyasint,omitzero"`
}

func (r *outboxRecord) validate() error { return nil }

type settingRecord struct {
	Name  string `cbor:"1,keyasint"`
	Value []byte `cbor:"2,keyasint,omitempty"`
}

func (r *settingRecord) validate() error {
	if r.Name == "" {
		return errors.New("setting without a name")
	}
	return nil
}

type cursorRecord struct {
	Scope string `cbor:"1,keyasint"`
	Seq   int64  `cbor:"2,keyasint,omitempty"`
}

func (r *cursorRecord) validate() error {
	if r.Scope == "" || r.Seq < 0 {
		return fmt.Errorf("cursor %q at %d", r.Scope, r.Seq)
	}
	return nil
}

// keyRecord holds one opaque secret: an epoch key, a ratchet session's
// state, a prekey's private half.
type keyRecord struct {
	Key []byte `cbor:"1,keyasint"`
}

func (r *keyRecord) validate() error {
	if len(r.Key) == 0 {
		return errors.New("empty key")
	}
	return nil
}

type attachmentRecord struct {
	FileKey []byte `cbor:"1,keyasint,omitempty"`
	Name    string `cbor:"2,keyasint,omitempty"`
	MIME    string `cbor:"3,keyasint,omitempty"`
	Size    int64  `cbor:"4,keyasint,omitempty"`
	// Thumbnail: the sender's JPEG preview (added later; absent in older rows).
	Thumbnail []byte `cbor:"5,keyasint,omitempty"`
}

func (r *attachmentRecord) validate() error {
	if r.Size < 0 {
		return fmt.Errorf("size %d", r.Size)
	}
	return nil
}

// logRecord is one record of a chat's membership log, opaque to the vault.
type logRecord struct {
	Record []byte `cbor:"1,keyasint"`
}

func (r *logRecord) validate() error {
	switch {
	case len(r.Record) == 0:
		return errors.New("empty log record")
	case len(r.Record) > MaxLogRecordSize:
		return fmt.Errorf("log record of %d bytes", len(r.Record))
	}
	return nil
}

type draftRecord struct {
	Text string `cbor:"1,keyasint"`
}

func (r *draftRecord) validate() error {
	if r.Text == "" {
		return errors.New("empty draft")
	}
	return nil
}

// recordDecoders lists every record decoder by table, for the fuzz target
// and the truncation test: adding a record type without adding it here
// fails TestRecordDecodersCoverTables.
func recordDecoders() map[string]func(codec, []byte) (any, error) {
	return map[string]func(codec, []byte) (any, error){
		tableAccounts:    decodeAs[accountRecord],
		tableDevices:     decodeAs[deviceRecord],
		tableContacts:    decodeAs[contactRecord],
		tableChats:       decodeAs[chatRecord],
		tableChatMembers: decodeAs[memberRecord],
		tableMessages:    decodeAs[messageRecord],
		tableOutbox:      decodeAs[outboxRecord],
		tableSettings:    decodeAs[settingRecord],
		tableCursors:     decodeAs[cursorRecord],
		tableEpochKeys:   decodeAs[keyRecord],
		tableSessions:    decodeAs[keyRecord],
		tablePrekeys:     decodeAs[keyRecord],
		tableAttachments: decodeAs[attachmentRecord],
		tableDrafts:      decodeAs[draftRecord],
		tableLog:         decodeAs[logRecord],
	}
}

func decodeAs[T any, P record[T]](c codec, b []byte) (any, error) {
	return decodeRecord[T, P](c, recordVersion, b)
}
