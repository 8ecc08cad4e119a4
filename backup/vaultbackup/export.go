package vaultbackup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"hush/backup"
	"hush/ids"
	"hush/vault"
)

// Progress is how far an export or import has got.
type Progress struct {
	// Bytes of the backup file written or read so far.
	Bytes int64
	// Items are the records done so far, of TotalItems (files' chunks aside).
	Items      uint64
	TotalItems uint64
	// FileBytes are the bytes of attachment files done so far, of
	// TotalFileBytes (the manifest's count: exact from the start).
	FileBytes      int64
	TotalFileBytes int64
}

// progressEvery is how many records pass between two progress reports: often
// enough for a smooth bar, rarely enough to cost nothing.
const progressEvery = 512

// ExportOptions tune an export. The zero value is right for production.
type ExportOptions struct {
	// Progress, if set, is called as records are written and once at the end.
	Progress func(Progress)
	// App names the program in the manifest ("hush 0.1.0").
	App string
	// Now is the clock for the manifest's creation time; nil is time.Now.
	Now func() time.Time
	// Backup tunes the writer (tests lower the scrypt work factor).
	Backup backup.Options
	// FilesFrom is the attachments folder: each attachment whose file is
	// complete there goes into the backup with its file (format version 4).
	// "" leaves every file out, to the relay, which may still have it.
	FilesFrom string
}

// ErrNoAccount: the vault holds no account (or more than one) to back up.
var ErrNoAccount = errors.New("vaultbackup: the vault holds no single account")

// ExportFile writes a backup of v to path. It writes to a temporary file in
// path's directory, syncs it and renames it to path only once the backup is
// complete, so a cancelled or failed export — or a crash — never leaves a
// partial backup at path (and removes its temporary file, crash aside).
func ExportFile(ctx context.Context, v *vault.Vault, path, passphrase string, opts ExportOptions) (backup.Manifest, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	// An export that a crash or a power cut interrupted left its temporary
	// file (never a file at path): the next export to the same name removes it.
	removeStalePartials(dir, base)
	tmp, err := os.CreateTemp(dir, partialPattern(base))
	if err != nil {
		return backup.Manifest{}, fmt.Errorf("export backup: %w", err)
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	bg := newBackgroundSync(tmp)
	m, err := Export(ctx, v, bg, passphrase, opts)
	bg.stop()
	if err != nil {
		return backup.Manifest{}, err
	}
	if err := tmp.Sync(); err != nil {
		return backup.Manifest{}, fmt.Errorf("export backup: sync: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return backup.Manifest{}, fmt.Errorf("export backup: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return backup.Manifest{}, fmt.Errorf("export backup: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return backup.Manifest{}, fmt.Errorf("export backup: %w", err)
	}
	done = true
	syncDir(dir)
	return m, nil
}

// syncEvery is how much is written between two background syncs.
const syncEvery = 32 << 20

// backgroundSync writes to a file and, every syncEvery bytes, has another
// goroutine start writing what was written so far to the disk
// (startWriteback), so that the export goes on while the disk catches up and
// the sync before the rename finds little left to do.
type backgroundSync struct {
	f       *os.File
	n       int64
	kick    chan struct{}
	stopped chan struct{}
}

func newBackgroundSync(f *os.File) *backgroundSync {
	b := &backgroundSync{f: f, kick: make(chan struct{}, 1), stopped: make(chan struct{})}
	go func() {
		defer close(b.stopped)
		for range b.kick {
			startWriteback(f)
		}
	}()
	return b
}

func (b *backgroundSync) Write(p []byte) (int, error) {
	n, err := b.f.Write(p)
	if b.n/syncEvery != (b.n+int64(n))/syncEvery {
		select {
		case b.kick <- struct{}{}:
		default: // a sync is running; the next boundary asks again
		}
	}
	b.n += int64(n)
	return n, err
}

// stop waits for the syncing goroutine to end.
func (b *backgroundSync) stop() {
	close(b.kick)
	<-b.stopped
}

// partialPattern names the temporary file of an export to base (os.CreateTemp
// puts a random string for the "*"): hidden, and never a .hushbackup name.
func partialPattern(base string) string { return "." + base + ".*.partial" }

// removeStalePartials deletes what interrupted exports to base left in dir.
func removeStalePartials(dir, base string) {
	stale, _ := filepath.Glob(filepath.Join(dir, partialPattern(filepath.Clean(base))))
	for _, p := range stale {
		os.Remove(p)
	}
}

// syncDir makes a rename durable where the platform allows it (not Windows,
// whose directories cannot be opened for sync; NTFS journals the rename).
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// Summarize counts what an export of v with opts would hold, without writing
// it: the export screen shows the files it would include (Counts.Files,
// Counts.FileBytes) and those it would leave to the relay (the rest of
// Counts.Attachments).
func Summarize(ctx context.Context, v *vault.Vault, opts ExportOptions) (backup.Counts, error) {
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	var counts backup.Counts
	err := v.View(ctx, func(tx *vault.Tx) error {
		counts = backup.Counts{}
		_, err := walk(ctx, tx, now(), newExportFiles(opts.FilesFrom), nil, &counts)
		return err
	})
	if err != nil {
		return backup.Counts{}, fmt.Errorf("summarize backup: %w", err)
	}
	return counts, nil
}

// Export writes a backup of v to dst. It reads one consistent snapshot (one
// read transaction, which other writers of the vault wait for), first to count
// the records for the manifest, then to write them. ctx cancels it between
// records.
func Export(ctx context.Context, v *vault.Vault, dst io.Writer, passphrase string, opts ExportOptions) (backup.Manifest, error) {
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	if opts.Backup.App == "" {
		opts.Backup.App = opts.App
	}
	var m backup.Manifest
	err := v.View(ctx, func(tx *vault.Tx) error {
		// One time decides which messages have expired, in both passes.
		at := now()
		var counts backup.Counts
		files := newExportFiles(opts.FilesFrom)
		acct, err := walk(ctx, tx, at, files, nil, &counts)
		if err != nil {
			return err
		}
		m = backup.Manifest{Created: micros(at), Account: acct, Counts: counts}
		w, err := backup.NewWriter(dst, passphrase, m, opts.Backup)
		if err != nil {
			return err
		}
		m.Version, m.App = backup.FormatVersion, opts.Backup.App
		report := func() {
			if opts.Progress != nil {
				opts.Progress(Progress{Bytes: w.Bytes(), Items: w.Records(), TotalItems: counts.Total(),
					FileBytes: w.FileBytes(), TotalFileBytes: int64(counts.FileBytes)})
			}
		}
		if err := pipe(ctx, tx, at, files, w, report); err != nil {
			return err
		}
		report()
		return nil
	})
	if err != nil {
		return backup.Manifest{}, fmt.Errorf("export backup: %w", err)
	}
	return m, nil
}

// pipelineDepth is how many records may wait between the vault's reader and
// the backup's writer: enough to keep both busy, few enough that memory stays
// flat (a record is at most 1 MiB, a message typically far less).
const pipelineDepth = 64

// pipe walks tx into w on two goroutines, so that reading the vault (SQLite and
// opening sealed rows) and writing the backup (CBOR, age) share the machine's
// cores; it closes w once every record is written. report runs on the writer's
// goroutine every progressEvery records and every chunk of a file. The
// writer gives the chunks' buffers back to files.
func pipe(ctx context.Context, tx *vault.Tx, now time.Time, files *exportFiles, w *backup.Writer, report func()) error {
	recs := make(chan backup.Record, pipelineDepth)
	stop := make(chan struct{}) // closed when the writer fails
	files.stop = stop
	written := make(chan error, 1)
	go func() {
		var err error
		for r := range recs {
			chunk, isChunk := r.(*backup.AttachmentData)
			if err == nil { // else drain: the reader stops at its next record
				if err = w.Write(r); err != nil {
					close(stop)
				} else if isChunk || w.Records()%progressEvery == 0 {
					report()
				}
			}
			if isChunk {
				files.put(chunk.Data)
			}
		}
		written <- err
	}()
	_, err := walk(ctx, tx, now, files, func(r backup.Record) error {
		select {
		case recs <- r:
			return nil
		case <-stop:
			return errors.New("the writer stopped")
		case <-ctx.Done():
			return ctx.Err()
		}
	}, nil)
	close(recs)
	werr := <-written
	switch {
	case err != nil && werr == nil: // the reader's failure, a cancel among them
		return err
	case werr != nil:
		return werr
	}
	return w.Close()
}

// walk reads what a backup holds from tx, in the format's order, and gives
// each record to emit; with emit nil it only counts them into counts (messages
// by SQL, without opening them). A message whose timer is due at now (a cloud
// chat's auto-delete, not swept yet) stays out, with its attachments. An
// attachment's file follows it when files includes it. It returns the
// account's id.
func walk(ctx context.Context, tx *vault.Tx, now time.Time, files *exportFiles, emit func(backup.Record) error, counts *backup.Counts) (ids.Account, error) {
	in := newIncluded()
	out := func(r backup.Record) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if emit == nil {
			counts.AddRecord(r)
			return nil
		}
		return emit(r)
	}
	accounts, err := tx.Accounts()
	if err != nil {
		return ids.Account{}, err
	}
	if len(accounts) != 1 {
		return ids.Account{}, fmt.Errorf("%w: it holds %d", ErrNoAccount, len(accounts))
	}
	acct := accounts[0]
	if err := out(accountOut(acct)); err != nil {
		return ids.Account{}, err
	}
	contacts, err := tx.Contacts()
	if err != nil {
		return ids.Account{}, err
	}
	// Devices: the account's own, then each contact's.
	seen := map[ids.Device]bool{}
	owners := []ids.Account{acct.ID}
	for _, c := range contacts {
		owners = append(owners, c.AccountID)
	}
	for _, owner := range owners {
		devices, err := tx.DevicesOf(owner)
		if err != nil {
			return ids.Account{}, err
		}
		for _, d := range devices {
			if seen[d.ID] {
				continue
			}
			seen[d.ID] = true
			if err := out(deviceOut(d)); err != nil {
				return ids.Account{}, err
			}
		}
	}
	for _, c := range contacts {
		if err := out(contactOut(c)); err != nil {
			return ids.Account{}, err
		}
	}
	all, err := tx.Chats()
	if err != nil {
		return ids.Account{}, err
	}
	var chats []vault.Chat
	for _, c := range all {
		if in.chat(c.Kind) {
			in.add(c.ID)
			chats = append(chats, c)
		}
	}
	for _, c := range chats {
		if err := out(chatOut(c)); err != nil {
			return ids.Account{}, err
		}
	}
	for _, c := range chats {
		if err := tx.EachEpochKey(c.ID, func(epoch uint64, key []byte) error {
			return out(&backup.EpochKey{ChatID: c.ID, Epoch: epoch, Key: key})
		}); err != nil {
			return ids.Account{}, err
		}
	}
	for _, c := range chats {
		if err := eachLogRecord(tx, c.ID, func(r vault.LogRecord) error {
			return out(&backup.LogRecord{ChatID: c.ID, Seq: r.Seq, Record: r.Record})
		}); err != nil {
			return ids.Account{}, err
		}
	}
	for _, c := range chats {
		text, err := tx.Draft(c.ID)
		if errors.Is(err, vault.ErrNotFound) {
			continue
		}
		if err != nil {
			return ids.Account{}, err
		}
		if err := out(&backup.Draft{ChatID: c.ID, Text: text}); err != nil {
			return ids.Account{}, err
		}
	}
	if emit == nil {
		for _, c := range chats {
			n, err := tx.MessageCount(c.ID, now)
			if err != nil {
				return ids.Account{}, err
			}
			counts.Messages += uint64(n)
		}
	} else if err := tx.EachMessage(func(m vault.Message, expires time.Time) error {
		if !in.has(m.ChatID) || expired(expires, now) {
			return nil
		}
		return out(messageOut(m, expires))
	}); err != nil {
		return ids.Account{}, err
	}
	if err := tx.EachSetting(func(name string, value []byte) error {
		if !in.setting(name) {
			return nil
		}
		return out(&backup.Setting{Name: name, Value: value})
	}); err != nil {
		return ids.Account{}, err
	}
	if err := tx.EachCursor(func(scope string, seq int64) error {
		if !in.cursor(scope) {
			return nil
		}
		return out(&backup.Cursor{Scope: scope, Seq: seq})
	}); err != nil {
		return ids.Account{}, err
	}
	// Attachments of the messages above: their descriptions and keys, each
	// followed by its file when it is on this device; the others stay
	// encrypted on the relay (docs/BACKUP-FORMAT.md, "Versions").
	if err := tx.EachAttachment(func(a vault.Attachment) error {
		m, err := tx.Message(a.MessageID)
		if err != nil {
			return err
		}
		if !in.has(m.ChatID) {
			return nil
		}
		switch expires, err := tx.Timer(m.ID); {
		case errors.Is(err, vault.ErrNotFound):
		case err != nil:
			return err
		case expired(expires, now):
			return nil // with its message
		}
		rec := attachmentOut(a)
		rec.Included = files.decide(a.ID, emit == nil)
		if err := out(rec); err != nil || !rec.Included || emit == nil {
			return err
		}
		return files.stream(ctx, a, out)
	}); err != nil {
		return ids.Account{}, err
	}
	return acct.ID, nil
}

// eachLogRecord calls fn with every record of a chat's membership log, a page
// at a time.
func eachLogRecord(tx *vault.Tx, chat ids.Chat, fn func(vault.LogRecord) error) error {
	var from uint64
	for {
		page, err := tx.LogRecords(chat, from, vault.MaxLogRecords)
		if err != nil {
			return err
		}
		for _, r := range page {
			if err := fn(r); err != nil {
				return err
			}
		}
		if len(page) < vault.MaxLogRecords {
			return nil
		}
		from = page[len(page)-1].Seq + 1
	}
}
