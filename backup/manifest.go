package backup

import (
	"bytes"
	"fmt"

	"hush/ids"
)

// Manifest is the archive's first record: what a reader needs before the rest,
// and what a person sees first when reading a backup by hand
// (docs/BACKUP-FORMAT.md shows how).
type Manifest struct {
	// Version is the format version, [FormatVersion] when written by this build.
	Version uint64 `cbor:"1,keyasint"`
	// Created is when the export began, Unix microseconds.
	Created int64 `cbor:"2,keyasint"`
	// Account is the account the backup holds.
	Account ids.Account `cbor:"3,keyasint"`
	// Counts are the records that follow, by kind. An importer uses them for its
	// progress; the trailer repeats them, and the reader checks both.
	Counts Counts `cbor:"4,keyasint"`
	// App names the program that wrote the backup ("hush 0.1.0"), for people.
	App string `cbor:"5,keyasint,omitempty"`
}

// Counts are numbers of records by kind.
type Counts struct {
	Accounts    uint64 `cbor:"1,keyasint"`
	Devices     uint64 `cbor:"2,keyasint"`
	Contacts    uint64 `cbor:"3,keyasint"`
	Chats       uint64 `cbor:"4,keyasint"`
	EpochKeys   uint64 `cbor:"5,keyasint"`
	LogRecords  uint64 `cbor:"6,keyasint"`
	Drafts      uint64 `cbor:"7,keyasint"`
	Messages    uint64 `cbor:"8,keyasint"`
	Settings    uint64 `cbor:"9,keyasint"`
	Cursors     uint64 `cbor:"10,keyasint"`
	Attachments uint64 `cbor:"11,keyasint"`
	// Files are the attachments whose file is in the backup (Included), and
	// FileBytes the sum of their sizes (version 4): with them an importer's
	// progress is exact in bytes too. Their AttachmentData records are not
	// counted as records.
	Files     uint64 `cbor:"12,keyasint,omitempty"`
	FileBytes uint64 `cbor:"13,keyasint,omitempty"`
}

// Total is the number of records counted, AttachmentData aside.
func (c Counts) Total() uint64 {
	return c.Accounts + c.Devices + c.Contacts + c.Chats + c.EpochKeys + c.LogRecords +
		c.Drafts + c.Messages + c.Settings + c.Cursors + c.Attachments
}

// AddRecord counts rec: its kind ([Counts.Add]), and for an attachment whose
// file is included, the file and its bytes.
func (c *Counts) AddRecord(rec Record) {
	c.Add(rec.RecordKind())
	if a, ok := rec.(*Attachment); ok && a.Included {
		c.Files++
		c.FileBytes += uint64(a.Size)
	}
}

// Add counts one record of kind k (AttachmentData is not counted: its bytes
// are, with its attachment, by [Counts.AddRecord]).
func (c *Counts) Add(k Kind) {
	switch k {
	case KindAccount:
		c.Accounts++
	case KindDevice:
		c.Devices++
	case KindContact:
		c.Contacts++
	case KindChat:
		c.Chats++
	case KindEpochKey:
		c.EpochKeys++
	case KindLogRecord:
		c.LogRecords++
	case KindDraft:
		c.Drafts++
	case KindMessage:
		c.Messages++
	case KindSetting:
		c.Settings++
	case KindCursor:
		c.Cursors++
	case KindAttachment:
		c.Attachments++
	}
}

func (m *Manifest) validate() error {
	if m.Account.IsZero() {
		return fmt.Errorf("manifest without account")
	}
	if m.Counts.Accounts != 1 {
		return fmt.Errorf("manifest counts %d accounts, want 1", m.Counts.Accounts)
	}
	if m.Counts.Attachments != 0 && m.Version < recordSince(KindAttachment) {
		return fmt.Errorf("manifest counts %d attachments in a version %d backup", m.Counts.Attachments, m.Version)
	}
	if (m.Counts.Files != 0 || m.Counts.FileBytes != 0) && m.Version < filesSince {
		return fmt.Errorf("manifest counts files in a version %d backup", m.Version)
	}
	return nil
}

// Trailer is the archive's last record. It commits to what came before it, so
// a plaintext cut short at a record boundary (and encrypted again, which age's
// own authentication cannot catch) is refused, not taken as a smaller backup.
type Trailer struct {
	// Counts are the records between the manifest and the trailer, by kind.
	Counts Counts `cbor:"1,keyasint"`
	// Bytes is the length of the plaintext before the trailer's frame: the
	// magic, the manifest and every record frame.
	Bytes uint64 `cbor:"2,keyasint"`
}

// ParseManifest reads the manifest from the start of a backup's plaintext (as
// `age -d` writes it), for tools and tests that read a backup without a
// [Reader]. It checks the magic and the version as [NewReader] does.
func ParseManifest(plain []byte) (Manifest, error) {
	r, err := openPlain(bytes.NewReader(plain))
	if err != nil {
		return Manifest{}, err
	}
	return r.manifest, nil
}
