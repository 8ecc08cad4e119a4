package app

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"hush/backup"
	"hush/vault"
)

// backupEvents keeps the BackupProgress events a Core emits.
type backupEvents struct {
	mu     sync.Mutex
	events []BackupProgress
	ended  chan BackupProgress
}

func (r *backupEvents) Emit(_ string, data any) {
	p, ok := data.(BackupProgress)
	if !ok {
		return
	}
	r.mu.Lock()
	r.events = append(r.events, p)
	r.mu.Unlock()
	if p.Stage != BackupRunning {
		r.ended <- p
	}
}

// wait returns the event that ends the running operation.
func (r *backupEvents) wait(t *testing.T) BackupProgress {
	t.Helper()
	select {
	case p := <-r.ended:
		return p
	case <-time.After(30 * time.Second):
		t.Fatal("the backup operation did not end")
		return BackupProgress{}
	}
}

// picker answers the native dialogs with fixed paths, and remembers the last
// dialog it was asked to show.
type picker struct {
	save, open string
	many       []string
	asked      *FileDialog
}

func (p picker) SaveFile(d FileDialog) (string, error)    { p.note(d); return p.save, nil }
func (p picker) OpenFile(d FileDialog) (string, error)    { p.note(d); return p.open, nil }
func (p picker) OpenFiles(d FileDialog) ([]string, error) { p.note(d); return p.many, nil }

func (p picker) note(d FileDialog) {
	if p.asked != nil {
		*p.asked = d
	}
}

func newBackupFixture(t *testing.T) (*fixture, *BackupService, *backupEvents) {
	t.Helper()
	f := newFixture(t)
	f.core.cfg.BackupOptions = backup.Options{InsecureWorkFactor: 2}
	f.core.cfg.TempDir = t.TempDir()
	ev := &backupEvents{ended: make(chan BackupProgress, 4)}
	f.core.SetEmitter(ev)
	return f, &BackupService{c: f.core}, ev
}

const backupPassphrase = "backup passphrase, not the vault's"

func TestBackupExportRestoreImport(t *testing.T) {
	f, svc, ev := newBackupFixture(t)
	f.create(t)
	file := filepath.Join(t.TempDir(), "b.hushbackup")

	if err := svc.Export(backupPassphrase, file, BackupExportOptions{IncludeFiles: true}); err == nil {
		t.Fatal("Export accepted a path no dialog chose")
	}
	f.core.SetFilePicker(picker{save: file})
	if got, err := svc.ChooseExportFile(); err != nil || got != file {
		t.Fatalf("ChooseExportFile = %q, %v", got, err)
	}
	if err := svc.Export("short", file, BackupExportOptions{IncludeFiles: true}); err == nil {
		t.Fatal("Export accepted a short passphrase")
	}
	if err := svc.Export(backupPassphrase, file, BackupExportOptions{IncludeFiles: true}); err != nil {
		t.Fatal(err)
	}
	done := ev.wait(t)
	if done.Stage != BackupDone || done.Operation != BackupExport || !strings.Contains(done.Text, "Backed up 1 account") ||
		!strings.Contains(done.Text, "Secret chats are not included") {
		t.Fatalf("export ended with %+v", done)
	}
	if _, err := os.Stat(file); err != nil {
		t.Fatal(err)
	}
	if err := svc.Export(backupPassphrase, file, BackupExportOptions{IncludeFiles: true}); err == nil {
		t.Fatal("a second export reused the dialog's answer")
	}

	// A fresh install restores it.
	g, gsvc, gev := newBackupFixture(t)
	if err := gsvc.Restore(file, backupPassphrase, "a new vault passphrase"); err == nil {
		t.Fatal("Restore accepted a path no dialog chose")
	}
	g.core.SetFilePicker(picker{open: file})
	if _, err := gsvc.ChooseImportFile(); err != nil {
		t.Fatal(err)
	}
	if err := gsvc.Restore(file, "wrong backup passphrase", "a new vault passphrase"); err != nil {
		t.Fatal(err)
	}
	if p := gev.wait(t); p.Stage != BackupFailed || p.Text != "Wrong backup passphrase. Nothing was changed." {
		t.Fatalf("restore with the wrong passphrase ended with %+v", p)
	}
	if g.state(t) != string(StateNew) {
		t.Fatalf("a failed restore left state %s", g.state(t))
	}
	gsvc.ChooseImportFile()
	if err := gsvc.Restore(file, backupPassphrase, "a new vault passphrase"); err != nil {
		t.Fatal(err)
	}
	if p := gev.wait(t); p.Stage != BackupDone || !strings.HasPrefix(p.Text, "Restored 1 account") {
		t.Fatalf("restore ended with %+v", p)
	}
	if g.state(t) != string(StateUnlocked) {
		t.Fatalf("after a restore the state is %s", g.state(t))
	}
	if f.sessionAccount(t).Fingerprint() != g.sessionAccount(t).Fingerprint() {
		t.Error("the restored account is another")
	}
	g.account.Lock()
	if _, err := g.account.Unlock("a new vault passphrase"); err != nil {
		t.Fatalf("unlock the restored vault: %v", err)
	}

	// Importing it again into the restored account adds nothing.
	gsvc.ChooseImportFile()
	if p := importAndWait(t, gsvc, gev, file); p.Stage != BackupDone || !strings.HasSuffix(p.Text, ": nothing new.") {
		t.Fatalf("import ended with %+v", p)
	}
}

// importAndWait imports source and returns the event that ends the import.
func importAndWait(t *testing.T, svc *BackupService, ev *backupEvents, source string) BackupProgress {
	t.Helper()
	if err := svc.Import(source, backupPassphrase); err != nil {
		t.Fatal(err)
	}
	return ev.wait(t)
}

func TestBackupThroughBrowser(t *testing.T) {
	f, svc, ev := newBackupFixture(t)
	f.create(t)
	if _, err := svc.ChooseExportFile(); err == nil {
		t.Fatal("a file dialog without a picker")
	}
	if err := svc.Export(backupPassphrase, "", BackupExportOptions{IncludeFiles: true}); err != nil {
		t.Fatal(err)
	}
	done := ev.wait(t)
	if done.Stage != BackupDone || !strings.HasPrefix(done.Download, "/api/download/") {
		t.Fatalf("export ended with %+v", done)
	}
	id := strings.TrimPrefix(done.Download, "/api/download/")
	name, body, err := f.core.Download(id)
	if err != nil {
		t.Fatal(err)
	}
	file, err := io.ReadAll(body)
	body.Close()
	if err != nil || !strings.HasSuffix(name, ".hushbackup") || !bytes.HasPrefix(file, []byte("age-encryption.org/v1\n")) {
		t.Fatalf("download %q: %d bytes, %v", name, len(file), err)
	}
	if _, _, err := f.core.Download(id); !os.IsNotExist(err) {
		t.Errorf("a second download = %v", err)
	}
	if entries, _ := os.ReadDir(f.core.cfg.TempDir); len(entries) != 0 {
		t.Errorf("the temporary directory holds %d files after the download", len(entries))
	}

	// The browser uploads it to a fresh install, which restores it.
	g, gsvc, gev := newBackupFixture(t)
	up, err := g.core.Upload(t.Context(), "", bytes.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	if err := gsvc.Restore(up, backupPassphrase, "a new vault passphrase"); err != nil {
		t.Fatal(err)
	}
	if p := gev.wait(t); p.Stage != BackupDone {
		t.Fatalf("restore ended with %+v", p)
	}
	if entries, _ := os.ReadDir(g.core.cfg.TempDir); len(entries) != 0 {
		t.Errorf("the upload was kept after the restore: %d files", len(entries))
	}
	// A damaged upload fails and changes nothing.
	up, _ = g.core.Upload(t.Context(), "", bytes.NewReader(file[:len(file)-7]))
	if p := importAndWait(t, gsvc, gev, up); p.Stage != BackupFailed || !strings.Contains(p.Text, "incomplete or damaged") {
		t.Fatalf("import of a cut file ended with %+v", p)
	}
}

func TestBackupRefusals(t *testing.T) {
	f, svc, _ := newBackupFixture(t)
	if err := svc.Export(backupPassphrase, "", BackupExportOptions{IncludeFiles: true}); err != ErrLocked {
		t.Errorf("Export while locked = %v", err)
	}
	if err := svc.Import("x", backupPassphrase); err != ErrLocked {
		t.Errorf("Import while locked = %v", err)
	}
	f.create(t)
	if err := svc.Restore("x", backupPassphrase, "a new vault passphrase"); err != ErrAlreadyExists {
		t.Errorf("Restore with an account = %v", err)
	}
	if err := svc.Import("unknown upload", backupPassphrase); err == nil {
		t.Error("Import of an unknown source")
	}
	if err := svc.Cancel(); err != nil {
		t.Errorf("Cancel with nothing running = %v", err)
	}
}

// startHeldExport creates the account and starts an export that waits for a
// write transaction holding the vault until release is closed.
func startHeldExport(t *testing.T, f *fixture, svc *BackupService) (release chan struct{}) {
	t.Helper()
	f.create(t)
	release, held := make(chan struct{}), make(chan struct{})
	go f.core.session.vault.Update(t.Context(), func(*vault.Tx) error { close(held); <-release; return nil })
	<-held
	if err := svc.Export(backupPassphrase, "", BackupExportOptions{IncludeFiles: true}); err != nil {
		t.Fatal(err)
	}
	return release
}

func TestBackupCancel(t *testing.T) {
	f, svc, ev := newBackupFixture(t)
	release := startHeldExport(t, f, svc)
	if err := svc.Export(backupPassphrase, "", BackupExportOptions{IncludeFiles: true}); err == nil {
		t.Error("a second operation started while one runs")
	}
	svc.Cancel()
	close(release)
	if p := ev.wait(t); p.Stage != BackupCancelled || p.Download != "" {
		t.Fatalf("cancelled export ended with %+v", p)
	}
	if entries, _ := os.ReadDir(f.core.cfg.TempDir); len(entries) != 0 {
		t.Errorf("a cancelled export left %d files", len(entries))
	}
}

// TestBackupEndsWithTheLock: locking the vault cancels a running export rather
// than waiting for it.
func TestBackupEndsWithTheLock(t *testing.T) {
	f, svc, ev := newBackupFixture(t)
	release := startHeldExport(t, f, svc)
	locked := make(chan struct{})
	go func() { f.account.Lock(); close(locked) }()
	time.Sleep(200 * time.Millisecond) // the lock is waiting for the vault
	close(release)
	<-locked
	if p := ev.wait(t); p.Stage != BackupCancelled {
		t.Fatalf("the export ended with %+v", p)
	}
}

func TestBackupFilesText(t *testing.T) {
	for _, tt := range []struct {
		c    backup.Counts
		want string
	}{
		{backup.Counts{}, ""},
		{backup.Counts{Attachments: 2}, "No files included; 2 left to the relay. "},
		{backup.Counts{Attachments: 1, Files: 1, FileBytes: 2_621_440}, "1 file (2.5 MB) included. "},
		{backup.Counts{Attachments: 15, Files: 12, FileBytes: 340 << 20}, "12 files (340 MB) included; 3 left to the relay. "},
	} {
		if got := BackupFilesText(tt.c); got != tt.want {
			t.Errorf("BackupFilesText(%+v) = %q, want %q", tt.c, got, tt.want)
		}
	}
}

func TestBackupFilesOfANewAccount(t *testing.T) {
	f, svc, _ := newBackupFixture(t)
	if _, err := svc.Files(); err != ErrLocked {
		t.Errorf("Files while locked = %v", err)
	}
	f.create(t)
	if got, err := svc.Files(); err != nil || got != (BackupFiles{}) {
		t.Errorf("Files = %+v, %v", got, err)
	}
}
