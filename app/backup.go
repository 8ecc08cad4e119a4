package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"hush/backup/vaultbackup"
	"hush/chat"
	"hush/vault"
)

// Backups (docs/BACKUP-FORMAT.md). The desktop window picks files with native
// dialogs ([FilePicker]); a browser uploads a backup to import and downloads an
// exported one ([Core.Upload], [Core.Download]). One backup operation runs at a
// time, in the background: [BackupProgress] events report it, and
// [BackupService.Cancel] ends it, leaving no file and no change behind.

// FilePicker shows the desktop window's native file dialogs (backups, files to
// send and to save). Each returns what the user chose: "" or none when they
// cancelled.
type FilePicker interface {
	SaveFile(d FileDialog) (string, error)
	OpenFile(d FileDialog) (string, error)
	OpenFiles(d FileDialog) ([]string, error)
}

// FileDialog is what a native file dialog asks.
type FileDialog struct {
	Title string
	// DefaultName is the name the save dialog proposes.
	DefaultName string
	// Backups offers Hush backups (*.hushbackup) alone; otherwise any file.
	Backups bool
}

// SetFilePicker sets the native file dialogs (nil: none, as in browser mode).
func (c *Core) SetFilePicker(p FilePicker) {
	c.backup.mu.Lock()
	defer c.backup.mu.Unlock()
	c.backup.picker = p
}

// BackupOperation names what a [BackupProgress] reports on.
type BackupOperation string

// Operations of [BackupProgress].
const (
	BackupExport  BackupOperation = "export"  // Settings → Backup → Export
	BackupImport  BackupOperation = "import"  // Settings → Backup → Import: merge into this account
	BackupRestore BackupOperation = "restore" // the welcome screen: a new vault from a backup
)

// Values lists every operation, for the generated UI contract.
func (BackupOperation) Values() []string {
	return []string{string(BackupExport), string(BackupImport), string(BackupRestore)}
}

// BackupStage is where a backup operation stands.
type BackupStage string

// Stages of [BackupProgress].
const (
	BackupRunning   BackupStage = "running"   // Bytes and Items move on
	BackupDone      BackupStage = "done"      // Text says what was written or imported
	BackupFailed    BackupStage = "failed"    // Text says why; nothing was written or changed
	BackupCancelled BackupStage = "cancelled" // nothing was written or changed
)

// Values lists every stage, for the generated UI contract.
func (BackupStage) Values() []string {
	return []string{string(BackupRunning), string(BackupDone), string(BackupFailed), string(BackupCancelled)}
}

// BackupProgress: a backup operation moved on, or ended.
type BackupProgress struct {
	Operation BackupOperation `json:"operation"`
	Stage     BackupStage     `json:"stage"`
	// Bytes of the backup file written or read so far.
	Bytes int64 `json:"bytes"`
	// Items are the records done so far, of TotalItems (0 until known).
	Items      int64 `json:"items"`
	TotalItems int64 `json:"totalItems"`
	// FileBytes are the bytes of attachment files done so far, of
	// TotalFileBytes (0 when the backup holds no files).
	FileBytes      int64 `json:"fileBytes"`
	TotalFileBytes int64 `json:"totalFileBytes"`
	// Text, once the operation ended: what it did, or why it failed.
	Text string `json:"text"`
	// Download, when an export for a browser is done: the URL path the browser
	// downloads the file from (once).
	Download string `json:"download"`
}

// EventName implements [Event].
func (BackupProgress) EventName() string { return "backup:progress" }

// backupState is the running operation and the files the UI may name.
type backupState struct {
	mu      sync.Mutex
	picker  FilePicker
	cancel  context.CancelFunc // the running operation; nil if none
	saveTo  string             // the export path the save dialog returned
	openAt  string             // the backup the open dialog returned
	uploads map[string]string  // upload id → temporary file
	exports map[string]string  // download id → temporary file
}

// progressInterval spaces BackupProgress events: smooth enough for a bar, few
// enough for the event socket's queue.
const progressInterval = 100 * time.Millisecond

// BackupService makes and imports backups: Settings → Backup, and "Restore from
// backup" on the welcome screen. Secret chats are never in a backup.
type BackupService struct{ c *Core }

// ChooseExportFile shows the desktop window's save dialog and returns the path
// chosen ("" if the user cancelled), which [BackupService.Export] then accepts.
// In browser mode there is no dialog: export with an empty destination instead.
func (s *BackupService) ChooseExportFile() (string, error) {
	name := "hush-" + s.c.clk.Now().Format("2006-01-02") + ".hushbackup"
	return s.c.choose(func(p FilePicker) (string, error) {
		return p.SaveFile(FileDialog{Title: "Save the backup", DefaultName: name, Backups: true})
	}, &s.c.backup.saveTo)
}

// ChooseImportFile shows the desktop window's open dialog and returns the path
// chosen ("" if the user cancelled), which Import and Restore then accept. In
// browser mode, upload the file instead (POST /api/upload) and pass its id.
func (s *BackupService) ChooseImportFile() (string, error) {
	return s.c.choose(func(p FilePicker) (string, error) {
		return p.OpenFile(FileDialog{Title: "Choose a Hush backup", Backups: true})
	}, &s.c.backup.openAt)
}

func (c *Core) choose(ask func(FilePicker) (string, error), keep *string) (string, error) {
	path, err := c.ask(ask, "There is no file dialog here: the browser downloads and uploads backups.")
	if err != nil {
		return "", err
	}
	c.backup.mu.Lock()
	*keep = path
	c.backup.mu.Unlock()
	return path, nil
}

// ask shows a native file dialog; without one (browser mode) it is the error
// none, which says what the browser does instead.
func (c *Core) ask(show func(FilePicker) (string, error), none string) (string, error) {
	c.backup.mu.Lock()
	p := c.backup.picker
	c.backup.mu.Unlock()
	if p == nil {
		return "", invalid(none)
	}
	path, err := show(p)
	if err != nil {
		return "", &userError{msg: "The file dialog failed: " + rootCause(err), cause: err}
	}
	return path, nil
}

// BackupExportOptions are the choices of the export screen.
type BackupExportOptions struct {
	// IncludeFiles puts the attachment files on this device into the backup
	// (the screen's "Include files", on by default); without it, or for a
	// file not on this device, the backup holds the file's key and the relay
	// may still have it.
	IncludeFiles bool `json:"includeFiles"`
}

// BackupFiles is what the export screen shows of the attachment files: those
// an export with IncludeFiles would hold, and those it leaves to the relay.
type BackupFiles struct {
	Included      int64 `json:"included"`
	IncludedBytes int64 `json:"includedBytes"`
	// LeftToRelay are the attachments whose file is not on this device.
	LeftToRelay int64 `json:"leftToRelay"`
}

// Files counts the attachment files an export would include (secret chats'
// aside, as their messages are).
func (s *BackupService) Files() (BackupFiles, error) {
	c := s.c
	var v *vault.Vault
	if err := c.withSession(func(sess *session) error { v = sess.vault; return nil }); err != nil {
		return BackupFiles{}, err
	}
	ctx, cancel := defaultContext()
	defer cancel()
	counts, err := vaultbackup.Summarize(ctx, v, vaultbackup.ExportOptions{FilesFrom: c.attachmentsDir(), Now: c.clk.Now})
	if err != nil {
		return BackupFiles{}, err
	}
	return BackupFiles{Included: int64(counts.Files), IncludedBytes: int64(counts.FileBytes),
		LeftToRelay: int64(counts.Attachments - counts.Files)}, nil
}

// Export starts a backup of this account, encrypted with passphrase (at least
// Rules.MinPassphraseLength characters; it may differ from the vault's), to
// destination: the path ChooseExportFile returned, or "" to offer it as a
// download (browser mode), with the files on this device if options say so.
// It returns at once; BackupProgress events follow.
func (s *BackupService) Export(passphrase, destination string, options BackupExportOptions) error {
	c := s.c
	if err := checkPassphrase(passphrase); err != nil {
		return err
	}
	var v *vault.Vault
	if err := c.withSession(func(sess *session) error { v = sess.vault; return nil }); err != nil {
		return err
	}
	path, download, err := c.exportTarget(destination)
	if err != nil {
		return err
	}
	return c.startBackup(BackupExport, func(ctx context.Context, progress func(vaultbackup.Progress)) (BackupProgress, error) {
		opts := vaultbackup.ExportOptions{Progress: progress, App: "hush " + c.cfg.Version, Now: c.clk.Now, Backup: c.cfg.BackupOptions}
		if options.IncludeFiles {
			opts.FilesFrom = c.attachmentsDir()
		}
		m, err := vaultbackup.ExportFile(ctx, v, path, passphrase, opts)
		if err != nil {
			return BackupProgress{}, err
		}
		done := BackupProgress{Text: "Backed up " + BackupCountsText(m.Counts) + ". " + BackupFilesText(m.Counts) + "Secret chats are not included."}
		if download != "" {
			c.backup.mu.Lock()
			c.backup.exports[download] = path
			c.backup.mu.Unlock()
			done.Download = downloadPath + download
		}
		return done, nil
	})
}

// downloadPath is where browser mode serves downloads (package browsermode).
const downloadPath = "/api/download/"

// exportTarget checks an export's destination: the path the save dialog chose,
// or "" for a download, written to a new temporary file.
func (c *Core) exportTarget(destination string) (path, download string, err error) {
	c.backup.mu.Lock()
	defer c.backup.mu.Unlock()
	if destination != "" {
		if destination != c.backup.saveTo {
			return "", "", invalid("Choose where to save the backup first.")
		}
		c.backup.saveTo = ""
		return destination, "", nil
	}
	id, err := randomID()
	if err != nil {
		return "", "", err
	}
	return filepath.Join(c.tempDir(), "hush-export-"+id+".hushbackup"), id, nil
}

// Import starts merging a backup into this account: source is the path
// ChooseImportFile returned or the id of an upload. What the vault holds is
// kept; importing the same backup twice adds nothing. A wrong passphrase or a
// truncated, altered or newer file changes nothing. It returns at once;
// BackupProgress events follow.
func (s *BackupService) Import(source, passphrase string) error {
	c := s.c
	if passphrase == "" {
		return invalid("Enter the backup's passphrase.")
	}
	var sess *session
	if err := c.withSession(func(s *session) error { sess = s; return nil }); err != nil {
		return err
	}
	path, err := c.importSource(source)
	if err != nil {
		return err
	}
	return c.startBackup(BackupImport, func(ctx context.Context, progress func(vaultbackup.Progress)) (BackupProgress, error) {
		defer c.dropUpload(source)
		f, err := os.Open(path)
		if err != nil {
			return BackupProgress{}, fmt.Errorf("import backup: %w", err)
		}
		defer f.Close()
		res, err := vaultbackup.Import(ctx, sess.vault, f, passphrase, vaultbackup.ImportOptions{Progress: progress, FilesTo: c.attachmentsDir()})
		if err != nil {
			return BackupProgress{}, err
		}
		c.restartEngine(sess)
		return BackupProgress{Text: "Imported " + BackupCountsText(res.Manifest.Counts) + ": " + BackupCountsText(res.Added) + " new."}, nil
	})
}

// Restore starts making this device's vault from a backup, on the welcome
// screen: source as for Import, passphrase the backup's, vaultPassphrase the new
// vault's (at least Rules.MinPassphraseLength characters). Once done, the vault
// is unlocked and this device is the one that made the backup. A bad file leaves
// no vault behind. It returns at once; BackupProgress events follow.
func (s *BackupService) Restore(source, passphrase, vaultPassphrase string) error {
	c := s.c
	if passphrase == "" {
		return invalid("Enter the backup's passphrase.")
	}
	if err := checkPassphrase(vaultPassphrase); err != nil {
		return err
	}
	c.mu.Lock()
	exists, err := c.vaultExists()
	busy := c.session != nil || exists || c.joining != nil
	c.mu.Unlock()
	if err != nil {
		return err
	}
	if busy {
		return ErrAlreadyExists
	}
	path, err := c.importSource(source)
	if err != nil {
		return err
	}
	return c.startBackup(BackupRestore, func(ctx context.Context, progress func(vaultbackup.Progress)) (BackupProgress, error) {
		defer c.dropUpload(source)
		f, err := os.Open(path)
		if err != nil {
			return BackupProgress{}, fmt.Errorf("restore backup: %w", err)
		}
		defer f.Close()
		pass := []byte(vaultPassphrase)
		defer clear(pass)
		v, res, err := vaultbackup.Restore(ctx, c.cfg.VaultPath, pass, c.cfg.VaultOptions, f, passphrase, vaultbackup.ImportOptions{Progress: progress, FilesTo: c.attachmentsDir()})
		if err != nil {
			return BackupProgress{}, err
		}
		if err := c.openRestored(ctx, v); err != nil {
			return BackupProgress{}, err
		}
		return BackupProgress{Text: "Restored " + BackupCountsText(res.Added) + "."}, nil
	})
}

// openRestored unlocks the vault a restore made, as Unlock would.
func (c *Core) openRestored(ctx context.Context, v *vault.Vault) error {
	sess, err := loadSession(ctx, v)
	if err == nil {
		c.mu.Lock()
		if c.session != nil {
			err = ErrAlreadyExists
		} else {
			c.session = sess
			c.applyNotifyPrefs(sess.prefs)
			c.startEngineLocked(ctx, sess)
			c.armIdleLocked()
		}
		c.mu.Unlock()
	}
	if err != nil {
		v.Close()
		removeVaultFiles(c.cfg.VaultPath)
		return fmt.Errorf("restore backup: open the account: %w", err)
	}
	releaseMemory()
	c.log.Info("vault restored from a backup")
	return nil
}

// restartEngine starts the messaging engine again after an import, so that it
// reads the chats and keys the import added.
func (c *Core) restartEngine(s *session) {
	ctx, cancel := defaultContext()
	defer cancel()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.session != s {
		return
	}
	stopEngineLocked(s)
	c.startEngineLocked(ctx, s)
}

// importSource turns what the UI names into a file: the path the open dialog
// returned, or an upload's id.
func (c *Core) importSource(source string) (string, error) {
	c.backup.mu.Lock()
	defer c.backup.mu.Unlock()
	if path, ok := c.backup.uploads[source]; ok {
		return path, nil
	}
	if source != "" && source == c.backup.openAt {
		c.backup.openAt = ""
		return source, nil
	}
	return "", invalid("Choose a backup file first.")
}

// Cancel ends the running backup operation, if any: an export leaves no file, an
// import or a restore changes nothing.
func (s *BackupService) Cancel() error {
	s.c.cancelBackup()
	return nil
}

// cancelBackup ends the running backup operation, if any. Locking the vault
// calls it too.
func (c *Core) cancelBackup() {
	c.backup.mu.Lock()
	defer c.backup.mu.Unlock()
	if c.backup.cancel != nil {
		c.backup.cancel()
	}
}

// startBackup runs op in the background, reporting it with BackupProgress events.
func (c *Core) startBackup(kind BackupOperation, op func(context.Context, func(vaultbackup.Progress)) (BackupProgress, error)) error {
	c.backup.mu.Lock()
	if c.backup.cancel != nil {
		c.backup.mu.Unlock()
		return invalid("A backup is already being made or imported. Wait for it, or cancel it.")
	}
	ctx, cancel := context.WithCancel(context.Background())
	c.backup.cancel = cancel
	c.backup.mu.Unlock()
	c.emit(BackupProgress{Operation: kind, Stage: BackupRunning})
	go func() {
		defer cancel()
		var last time.Time
		progress := func(p vaultbackup.Progress) {
			if now := time.Now(); now.Sub(last) >= progressInterval || p.Items == p.TotalItems {
				last = now
				c.emit(BackupProgress{Operation: kind, Stage: BackupRunning, Bytes: p.Bytes,
					Items: int64(p.Items), TotalItems: int64(p.TotalItems), FileBytes: p.FileBytes, TotalFileBytes: p.TotalFileBytes})
			}
		}
		done, err := op(ctx, progress)
		done.Operation = kind
		switch {
		case errors.Is(err, context.Canceled), err != nil && ctx.Err() != nil:
			// Cancelled — by the user, or by a lock, whose closing of the vault the
			// operation may meet before it sees its context end.
			done.Stage, done.Text = BackupCancelled, BackupErrorText(context.Canceled)
			c.log.Info("backup cancelled", "operation", string(kind))
		case err != nil:
			done.Stage, done.Text = BackupFailed, BackupErrorText(err)
			c.log.Warn("backup failed", "operation", string(kind), "err", err)
		default:
			done.Stage = BackupDone
			c.log.Info("backup done", "operation", string(kind))
		}
		// The operation is over before its last event says so: a UI that starts
		// the next one on that event is not refused as "already being made".
		c.backup.mu.Lock()
		c.backup.cancel = nil
		c.backup.mu.Unlock()
		c.emit(done)
	}()
	return nil
}

// Upload takes the body of a browser's upload (POST /api/upload). With a name
// it is a file to send: encrypted as it arrives and staged (FileService), its
// plaintext never on disk; the id is what FileService.Staged, SendFiles and
// Discard take. Without, it is a backup to import, kept in a temporary file:
// the id is what Import and Restore take.
func (c *Core) Upload(ctx context.Context, name string, body io.Reader) (string, error) {
	if name != "" {
		return c.uploadFile(ctx, name, body)
	}
	id, err := randomID()
	if err != nil {
		return "", err
	}
	f, err := os.CreateTemp(c.tempDir(), "hush-upload-*.hushbackup")
	if err != nil {
		return "", fmt.Errorf("upload: %w", err)
	}
	_, err = io.Copy(f, readerWithContext{ctx, body})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("upload: %w", err)
	}
	c.backup.mu.Lock()
	defer c.backup.mu.Unlock()
	c.backup.uploads[id] = f.Name()
	return id, nil
}

// uploadFile stages a file a browser uploads.
func (c *Core) uploadFile(ctx context.Context, name string, body io.Reader) (string, error) {
	e, err := c.chatEngine()
	if err != nil {
		return "", err
	}
	f := c.stage(e, name, func() (chat.PreparedFile, error) { return e.PrepareStream(readerWithContext{ctx, body}, name) })
	if f.Error != "" {
		return "", invalid(f.Error)
	}
	return f.ID, nil
}

// Download opens what a browser downloads (GET /api/download/<id>), once: an
// exported backup (the file is deleted when the body is closed) or an
// attachment offered by FileService.DownloadLink (decrypted as it is read). An
// unknown id is os.ErrNotExist.
func (c *Core) Download(id string) (name string, body io.ReadCloser, err error) {
	c.backup.mu.Lock()
	path, ok := c.backup.exports[id]
	delete(c.backup.exports, id)
	c.backup.mu.Unlock()
	if !ok {
		return c.downloadFile(id)
	}
	f, err := os.Open(path)
	if err != nil {
		os.Remove(path)
		return "", nil, fmt.Errorf("download: %w", err)
	}
	name = "hush-" + c.clk.Now().Format("2006-01-02") + ".hushbackup"
	return name, removeOnClose{f}, nil
}

// dropUpload deletes an upload once it was imported (or failed to be).
func (c *Core) dropUpload(id string) {
	c.backup.mu.Lock()
	path, ok := c.backup.uploads[id]
	delete(c.backup.uploads, id)
	c.backup.mu.Unlock()
	if ok {
		os.Remove(path)
	}
}

// dropTransfers cancels the running operation and deletes every temporary file
// of uploads and downloads, at shutdown.
func (c *Core) dropTransfers() {
	c.cancelBackup()
	c.backup.mu.Lock()
	defer c.backup.mu.Unlock()
	for _, m := range []map[string]string{c.backup.uploads, c.backup.exports} {
		for id, path := range m {
			os.Remove(path)
			delete(m, id)
		}
	}
}

func (c *Core) tempDir() string {
	if c.cfg.TempDir != "" {
		return c.cfg.TempDir
	}
	return os.TempDir()
}

func randomID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return hex.EncodeToString(b[:]), nil
}

// removeOnClose deletes a file once it has been read and closed.
type removeOnClose struct{ *os.File }

func (r removeOnClose) Close() error {
	err := r.File.Close()
	os.Remove(r.Name())
	return err
}

// readerWithContext stops reading once ctx ends (a browser that went away).
type readerWithContext struct {
	ctx context.Context
	r   io.Reader
}

func (r readerWithContext) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	return r.r.Read(p)
}
