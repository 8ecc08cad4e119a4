//go:build linux

package vaultbackup

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"hush/backup"
)

// Tests with the stock age command (Debian's age package; scripts/deps.sh test
// installs it). They fail, never skip, where age is missing: that a backup opens
// without Hush is a promise of docs/BACKUP-FORMAT.md.

// ageCommand finds the age command.
func ageCommand(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("age")
	if err != nil {
		t.Fatalf("the age command is missing (apt-get install age, or scripts/deps.sh test): %v", err)
	}
	return path
}

// openPTY opens a pseudo-terminal pair with golang.org/x/sys/unix (Linux's
// /dev/ptmx): age reads passphrases only from a terminal.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open /dev/ptmx: %v", err)
	}
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatalf("unlock pty: %v", err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatalf("pty number: %v", err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open pty: %v", err)
	}
	return m, s
}

// promptRE matches age's passphrase prompts ("Enter passphrase: ", "Enter
// passphrase (leave empty to autogenerate a secure one): ", "Confirm
// passphrase: ").
var promptRE = regexp.MustCompile(`(?i)passphrase[^\n]*: `)

// runAge runs age with args on a terminal of its own and types passphrase at
// every prompt; it returns what age wrote to the terminal.
func runAge(t *testing.T, passphrase string, args ...string) string {
	t.Helper()
	master, slave := openPTY(t)
	defer master.Close()
	cmd := exec.Command(ageCommand(t), args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start age: %v", err)
	}
	slave.Close()
	var screen bytes.Buffer
	done := make(chan error, 1)
	go func() {
		answered := 0
		buf := make([]byte, 4096)
		for {
			n, err := master.Read(buf)
			screen.Write(buf[:n])
			for prompts := len(promptRE.FindAllIndex(screen.Bytes(), -1)); answered < prompts; answered++ {
				master.Write([]byte(passphrase + "\r"))
			}
			if err != nil {
				done <- err // EIO once age exits and the terminal closes
				return
			}
		}
	}()
	waitErr := make(chan error, 1)
	go func() { waitErr <- cmd.Wait() }()
	select {
	case err := <-waitErr:
		select {
		case <-done:
		case <-time.After(5 * time.Second):
		}
		if err != nil {
			t.Fatalf("age %v: %v\nterminal:\n%s", args, err, screen.String())
		}
	case <-time.After(2 * time.Minute):
		cmd.Process.Kill()
		t.Fatalf("age %v did not finish\nterminal:\n%s", args, screen.String())
	}
	return screen.String()
}

// TestStockAgeDecrypts: `age -d` opens a Hush backup with its passphrase, and
// the plaintext is the documented archive, whose manifest parses.
func TestStockAgeDecrypts(t *testing.T) {
	v, _ := newVault(t, t.TempDir())
	f := populate(t, v, 20)
	dir := t.TempDir()
	in, out := filepath.Join(dir, "b.hushbackup"), filepath.Join(dir, "b.plain")
	m, err := ExportFile(t.Context(), v, in, backupPass, exportOptions())
	if err != nil {
		t.Fatal(err)
	}
	runAge(t, backupPass, "-d", "-o", out, in)
	plain, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	got, err := backup.ParseManifest(plain)
	if err != nil {
		t.Fatalf("the manifest of age's plaintext: %v", err)
	}
	if got != m || got.Account != f.account {
		t.Errorf("manifest = %+v, want %+v", got, m)
	}
}

// TestStockAgeReencryptedImports: a backup decrypted with `age -d` and encrypted
// again with `age -p` (age's own scrypt work factor and salt) restores.
func TestStockAgeReencryptedImports(t *testing.T) {
	src, _ := newVault(t, t.TempDir())
	f := populate(t, src, 20)
	dir := t.TempDir()
	in, plain, again := filepath.Join(dir, "b.hushbackup"), filepath.Join(dir, "b.plain"), filepath.Join(dir, "again.age")
	if _, err := ExportFile(t.Context(), src, in, backupPass, exportOptions()); err != nil {
		t.Fatal(err)
	}
	runAge(t, backupPass, "-d", "-o", plain, in)
	const otherPass = "re-encrypted by the age command"
	runAge(t, otherPass, "-p", "-o", again, plain)
	file, err := os.Open(again)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	path := filepath.Join(t.TempDir(), "restored.db")
	dst, _, err := Restore(t.Context(), path, []byte(vaultPass), vaultOptions(), file, otherPass, ImportOptions{})
	if err != nil {
		t.Fatalf("Restore of age's file: %v", err)
	}
	defer dst.Close()
	if got, want := dump(t, dst), withoutSecret(dump(t, src), f); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("the restore differs from the source:\n%s", diff(want, got))
	}
	// And the wrong passphrase on age's file is still the wrong passphrase.
	file.Seek(0, io.SeekStart)
	if _, err := Import(t.Context(), dst, file, backupPass, ImportOptions{}); !errors.Is(err, backup.ErrWrongPassphrase) {
		t.Errorf("Import with the old passphrase = %v", err)
	}
}

// docProgram is the Python program of docs/BACKUP-FORMAT.md, as the page has it.
func docProgram(t *testing.T) string {
	t.Helper()
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "BACKUP-FORMAT.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := bytes.Cut(doc, []byte("```python\n"))
	prog, _, ok2 := bytes.Cut(rest, []byte("```\n"))
	if !ok || !ok2 {
		t.Fatal("docs/BACKUP-FORMAT.md has no Python program")
	}
	path := filepath.Join(t.TempDir(), "read.py")
	if err := os.WriteFile(path, prog, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestStockAgeExtractsFiles: `age -d`, then the program of
// docs/BACKUP-FORMAT.md, take the files out of a backup with no Hush at all,
// byte for byte.
func TestStockAgeExtractsFiles(t *testing.T) {
	v, _ := newVault(t, t.TempDir())
	f := populateFiles(t, v)
	dir := t.TempDir()
	in, plain, out := filepath.Join(dir, "b.hushbackup"), filepath.Join(dir, "b.plain"), filepath.Join(dir, "files")
	opts := exportOptions()
	opts.FilesFrom = f.dir
	if _, err := ExportFile(t.Context(), v, in, backupPass, opts); err != nil {
		t.Fatal(err)
	}
	runAge(t, backupPass, "-d", "-o", plain, in)
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Fatalf("python3 is missing (scripts/deps.sh test installs it): %v", err)
	}
	os.Mkdir(out, 0o700)
	prog := docProgram(t)
	if b, err := exec.Command(python, prog, plain, out).CombinedOutput(); err != nil {
		t.Fatalf("the doc's program: %v\n%s", err, b)
	}
	for _, sf := range f.files {
		got, err := os.ReadFile(filepath.Join(out, hex.EncodeToString(sf.a.ID[:])+"-"+sf.a.Name))
		if err != nil || !bytes.Equal(got, sf.plain) {
			t.Errorf("file of %d bytes: extracted %d bytes, %v", sf.a.Size, len(got), err)
		}
	}
	if entries, _ := os.ReadDir(out); len(entries) != len(f.files) {
		t.Errorf("extracted %d files, want %d", len(entries), len(f.files))
	}
	// Without a folder it lists the records, the manifest first.
	list, err := exec.Command(python, prog, plain).Output()
	if err != nil || !bytes.HasPrefix(list, []byte("1 {1: 4, ")) {
		t.Errorf("the listing starts %.40q, %v", list, err)
	}
}
