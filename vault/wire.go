package vault

import (
	"errors"
	"fmt"
)

// The sealed records. Integer keys are part of the stored format: never
// reuse or renumber one (testdata/records.json pins the encodings).

type accountRecord struct {
	DisplayName   string `cbor:"1,keyasint,omitempty"`
	Handle        string `cbor:"2,keyasint,omitempty"`
	SigningSeed   []byte `cbor:"3,keyasint,omitempty"`
	EncryptionKey []byte `cbor:"4,keyasint,omitempty"`
	CreatedAt     int64  `cbor:"5,keyasint,omitempty"`
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
}

func (r *contactRecord) validate() error { return nil }

type chatRecord struct {
	Kind   ChatKind `cbor:"1,keyasint"`
	Title  string   `cbor:"2,keyasint,omitempty"`
	Muted  bool     `cbor:"3,keyasint,omitempty"`
	Unread int      `cbor:"4,keyasint,omitempty"`
	Extra  []byte   `cbor:"5,keyasint,omitempty"`
}

func (r *chatRecord) validate() error {
	if !r.Kind.valid() {
		return fmt.Errorf("chat kind %d", r.Kind)
	}
	if r.Unread < 0 {
		return fmt.Errorf("unread %d", r.Unread)
	}
	return nil
}

type memberRecord struct {
	Role Role `cbor:"1,keyasint"`
}

func (r *memberRecord) validate() error {
	if !r.Role.valid() {
		return fmt.Errorf("role %d", r.Role)
	}
	return nil
}

type messageRecord struct {
	SenderAccount []byte        `cbor:"1,keyasint,omitempty"`
	SenderDevice  []byte        `cbor:"2,keyasint,omitempty"`
	SentAt        int64         `cbor:"3,keyasint,omitempty"`
	Body          string        `cbor:"4,keyasint,omitempty"`
	ReplyTo       []byte        `cbor:"5,keyasint,omitempty"`
	Status        MessageStatus `cbor:"6,keyasint"`
	EditedAt      int64         `cbor:"7,keyasint,omitempty"`
	Extra         []byte        `cbor:"8,keyasint,omitempty"`
}

func (r *messageRecord) validate() error {
	if !r.Status.valid() {
		return fmt.Errorf("message status %d", r.Status)
	}
	return errors.Join(
		optionalID("sender account", r.SenderAccount),
		optionalID("sender device", r.SenderDevice),
		optionalID("reply-to", r.ReplyTo),
	)
}

type outboxRecord struct {
	Payload []byte `cbor:"1,keyasint,omitempty"`
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
}

func (r *attachmentRecord) validate() error {
	if r.Size < 0 {
		return fmt.Errorf("size %d", r.Size)
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
	}
}

func decodeAs[T any, P record[T]](c codec, b []byte) (any, error) {
	return decodeRecord[T, P](c, recordVersion, b)
}
