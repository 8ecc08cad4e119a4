package vaultbackup

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"hush/backup"
	"hush/ids"
	"hush/vault"
)

// Errors of an import beyond the file's own (package backup's sentinels).
var (
	// ErrOtherAccount: the backup holds another account than the vault's. A
	// backup merges only into the account it was made from.
	ErrOtherAccount = errors.New("vaultbackup: the backup is of another account")
	// ErrVaultExists: Restore found a vault where it was to make one.
	ErrVaultExists = errors.New("vaultbackup: a vault already exists")
	// ErrNoDeviceKey: the backup holds no device of its account with private
	// keys, so a restore would have nothing to run as.
	ErrNoDeviceKey = errors.New("vaultbackup: the backup holds no key of this device")
)

// ImportOptions tune an import or a restore.
type ImportOptions struct {
	// Progress, if set, is called as records are read and once at the end.
	Progress func(Progress)
	// Now is the clock that decides which messages have expired since the
	// export (they are skipped); nil is time.Now.
	Now func() time.Time
	// FilesTo is the attachments folder the backup's files are written into
	// (format version 4), encrypted again under their keys; a file complete
	// there already is kept as it is. "" drops the files: a device then
	// downloads them from the relay.
	FilesTo string
}

// Result says what an import read and what it changed.
type Result struct {
	// Manifest is the backup's manifest.
	Manifest backup.Manifest
	// Added counts the records that were new to the vault; the rest it held
	// already and kept as they were.
	Added backup.Counts
}

// Import merges a backup into v, which must hold the same account. Everything
// happens in one write transaction that first reads the whole file: a wrong
// passphrase (checked before the transaction), a file that is truncated,
// altered, not a backup or of a newer format, or any other error rolls it back
// and v is unchanged. What v already holds wins: a contact, chat, setting or
// draft already there is kept; messages, epoch keys and membership log records
// are added when missing. Records of secret chats are never imported. The own
// device keys in a backup are imported only by [Restore]; here other devices
// are stored with their public keys only, so this device stays itself.
func Import(ctx context.Context, v *vault.Vault, src io.Reader, passphrase string, opts ImportOptions) (Result, error) {
	r, err := backup.NewReader(src, passphrase)
	if err != nil {
		return Result{}, fmt.Errorf("import backup: %w", err)
	}
	var res Result
	files := &importFiles{dir: opts.FilesTo}
	err = v.Update(ctx, func(tx *vault.Tx) error {
		res = Result{} // a retried function starts over
		files.discard()
		return apply(ctx, tx, r, false, opts, files, &res)
	})
	if err != nil {
		files.discard()
		return Result{}, fmt.Errorf("import backup: %w", err)
	}
	if err := files.commit(&res.Added); err != nil {
		return res, fmt.Errorf("import backup: the records were imported, but not every file: %w", err)
	}
	return res, nil
}

// Restore makes a new vault at path, locked by vaultPassphrase, from a backup:
// the account and its keys first, then the rest, in one transaction. This
// install then is the device that made the backup. On any error nothing is left
// at path. The caller closes the returned vault.
func Restore(ctx context.Context, path string, vaultPassphrase []byte, vopts vault.Options, src io.Reader, passphrase string, opts ImportOptions) (_ *vault.Vault, _ Result, err error) {
	if _, err := os.Stat(path); err == nil {
		return nil, Result{}, fmt.Errorf("restore backup: %w: %s", ErrVaultExists, path)
	}
	r, err := backup.NewReader(src, passphrase)
	if err != nil {
		return nil, Result{}, fmt.Errorf("restore backup: %w", err)
	}
	v, err := vault.Create(ctx, path, vaultPassphrase, vopts)
	if err != nil {
		return nil, Result{}, fmt.Errorf("restore backup: %w", err)
	}
	defer func() {
		if err != nil {
			v.Close()
			for _, suffix := range []string{"", "-wal", "-shm"} {
				os.Remove(path + suffix)
			}
		}
	}()
	var res Result
	files := &importFiles{dir: opts.FilesTo}
	if err := v.Update(ctx, func(tx *vault.Tx) error {
		res = Result{}
		files.discard()
		return apply(ctx, tx, r, true, opts, files, &res)
	}); err != nil {
		files.discard()
		return nil, Result{}, fmt.Errorf("restore backup: %w", err)
	}
	// The vault stands: a file that cannot be put in place is downloaded
	// from the relay instead, so the restore does not fail for it.
	files.commit(&res.Added)
	return v, res, nil
}

// apply reads r to its end into tx. restore is true for a new, empty vault.
// files takes the backup's files, to be committed by the caller once tx is.
func apply(ctx context.Context, tx *vault.Tx, r *backup.Reader, restore bool, opts ImportOptions, files *importFiles, res *Result) error {
	m := r.Manifest()
	res.Manifest = m
	total := m.Counts.Total()
	report := func() {
		if opts.Progress != nil {
			opts.Progress(Progress{Bytes: r.Bytes(), Items: r.Records(), TotalItems: total,
				FileBytes: r.FileBytes(), TotalFileBytes: int64(m.Counts.FileBytes)})
		}
	}
	a := applier{tx: tx, in: newIncluded(), restore: restore, added: &res.Added, account: m.Account, now: time.Now(), files: files}
	if opts.Now != nil {
		a.now = opts.Now()
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if err := a.apply(rec); err != nil {
			return fmt.Errorf("record %d (kind %d): %w", r.Records(), rec.RecordKind(), err)
		}
		if _, chunk := rec.(*backup.AttachmentData); chunk || r.Records()%progressEvery == 0 {
			report()
		}
	}
	if restore && !a.ownKey {
		return ErrNoDeviceKey
	}
	report()
	return nil
}

// applier stores one record at a time; it keeps what later records need: the
// chats in the backup and those this import added.
type applier struct {
	tx      *vault.Tx
	in      *included
	restore bool
	added   *backup.Counts
	account ids.Account
	newChat map[ids.Chat]bool
	ownKey  bool // a device of the account with its private keys was restored
	// now decides which messages have expired; expired holds those skipped, whose
	// attachments are skipped too.
	now     time.Time
	expired map[ids.Message]bool
	// files writes the files; fileSize is the size of the last attachment's.
	files    *importFiles
	fileSize int64
}

func (a *applier) apply(rec backup.Record) error {
	switch rec := rec.(type) {
	case *backup.Account:
		return a.accountRecord(rec)
	case *backup.Device:
		return a.device(rec)
	case *backup.Contact:
		return a.putIfMissing(rec, func() error {
			_, err := a.tx.Contact(rec.AccountID)
			return err
		}, func() error { return a.tx.PutContact(contactIn(rec)) })
	case *backup.Chat:
		if !a.in.chat(rec.Kind) {
			// The reader refuses such a record already; this keeps the rule in
			// one place should a later format admit other kinds.
			return fmt.Errorf("%w: chat kind %d is never imported", backup.ErrCorrupt, rec.Kind)
		}
		a.in.add(rec.ID)
		return a.putIfMissing(rec, func() error {
			_, err := a.tx.Chat(rec.ID)
			return err
		}, func() error {
			if a.newChat == nil {
				a.newChat = map[ids.Chat]bool{}
			}
			a.newChat[rec.ID] = true
			return a.tx.PutChat(chatIn(rec))
		})
	case *backup.EpochKey:
		if !a.in.has(rec.ChatID) {
			return fmt.Errorf("%w: epoch key of a chat not in the backup", backup.ErrCorrupt)
		}
		return a.insert(rec, a.tx.PutEpochKey(rec.ChatID, rec.Epoch, rec.Key))
	case *backup.LogRecord:
		if !a.in.has(rec.ChatID) {
			return fmt.Errorf("%w: log record of a chat not in the backup", backup.ErrCorrupt)
		}
		return a.insert(rec, a.tx.PutLogRecord(rec.ChatID, rec.Seq, rec.Record))
	case *backup.Draft:
		if !a.newChat[rec.ChatID] {
			return nil // a chat the vault had keeps its own draft
		}
		a.added.Add(rec.RecordKind())
		return a.tx.PutDraft(rec.ChatID, rec.Text)
	case *backup.Message:
		if !a.in.has(rec.ChatID) {
			return fmt.Errorf("%w: message of a chat not in the backup", backup.ErrCorrupt)
		}
		return a.message(rec)
	case *backup.Setting:
		if !a.in.setting(rec.Name) {
			return nil
		}
		return a.putIfMissing(rec, func() error {
			_, err := a.tx.Setting(rec.Name)
			return err
		}, func() error { return a.tx.PutSetting(rec.Name, rec.Value) })
	case *backup.Attachment:
		a.fileSize = rec.Size
		if a.expired[rec.MessageID] {
			return nil // its file's chunks are dropped too
		}
		if _, err := a.tx.Message(rec.MessageID); err != nil {
			if errors.Is(err, vault.ErrNotFound) {
				return fmt.Errorf("%w: attachment of a message not in the backup", backup.ErrCorrupt)
			}
			return err
		}
		if err := a.putIfMissing(rec, func() error {
			_, err := a.tx.Attachment(rec.ID)
			return err
		}, func() error { return a.tx.PutAttachment(attachmentIn(rec)) }); err != nil {
			return err
		}
		return a.files.start(a.tx, rec)
	case *backup.AttachmentData:
		return a.files.write(rec, a.fileSize)
	case *backup.Cursor:
		if !a.in.cursor(rec.Scope) {
			return nil
		}
		cur, err := a.tx.Cursor(rec.Scope)
		if err != nil || cur != 0 {
			return err // a cursor the vault has moved stays where it is
		}
		a.added.Add(rec.RecordKind())
		return a.tx.SetCursor(rec.Scope, rec.Seq)
	}
	return fmt.Errorf("unexpected record %T", rec)
}

// message adds a message the vault lacks, with its timer; one whose time passed
// since the export stays out, so a backup does not bring it back.
func (a *applier) message(rec *backup.Message) error {
	expires := fromMicros(rec.ExpiresAt)
	if expired(expires, a.now) {
		if a.expired == nil {
			a.expired = map[ids.Message]bool{}
		}
		a.expired[rec.ID] = true
		return nil
	}
	if err := a.insert(rec, a.tx.InsertMessage(messageIn(rec))); err != nil || expires.IsZero() {
		return err
	}
	return a.tx.PutTimer(rec.ID, expires)
}

func (a *applier) accountRecord(rec *backup.Account) error {
	if rec.ID != a.account {
		return fmt.Errorf("%w: the account is not the manifest's", backup.ErrCorrupt)
	}
	accounts, err := a.tx.Accounts()
	if err != nil {
		return err
	}
	if a.restore {
		if len(accounts) != 0 {
			return ErrVaultExists
		}
		a.added.Add(rec.RecordKind())
		return a.tx.PutAccount(accountIn(rec))
	}
	if len(accounts) != 1 || accounts[0].ID != rec.ID {
		return ErrOtherAccount
	}
	// The account's keys stay as held, but an older ML-KEM seed the backup has and
	// the vault lacks is added: history wrapped to it opens again.
	held := accounts[0]
	added := false
	for _, s := range append([][]byte{rec.KEMSeed}, rec.OtherKEMSeeds...) {
		if len(s) == 0 || slices.ContainsFunc(append([][]byte{held.KEMSeed}, held.OtherKEMSeeds...), func(h []byte) bool { return bytes.Equal(h, s) }) {
			continue
		}
		held.OtherKEMSeeds = append(held.OtherKEMSeeds, s)
		added = true
	}
	if !added {
		return nil
	}
	return a.tx.PutAccount(held)
}

func (a *applier) device(rec *backup.Device) error {
	d := deviceIn(rec)
	own := d.Own && d.AccountID == a.account && len(d.SigningSeed) > 0
	if !a.restore || !own {
		// Only a restore becomes the device that made the backup; a merge
		// learns of it as of any other device of the account.
		d.Own, d.SigningSeed, d.EncryptionKey = false, nil, nil
	}
	if a.restore && own {
		if a.ownKey {
			return fmt.Errorf("%w: two devices with private keys", backup.ErrCorrupt)
		}
		a.ownKey = true
	}
	return a.putIfMissing(rec, func() error {
		_, err := a.tx.Device(d.ID)
		return err
	}, func() error { return a.tx.PutDevice(d) })
}

// putIfMissing stores a record with put unless get finds it.
func (a *applier) putIfMissing(rec backup.Record, get, put func() error) error {
	switch err := get(); {
	case err == nil:
		return nil
	case !errors.Is(err, vault.ErrNotFound):
		return err
	}
	a.added.Add(rec.RecordKind())
	return put()
}

// insert counts an insert-only write, which is ErrExists when the vault
// already held the record.
func (a *applier) insert(rec backup.Record, err error) error {
	if errors.Is(err, vault.ErrExists) {
		return nil
	}
	if err == nil {
		a.added.Add(rec.RecordKind())
	}
	return err
}
