//go:build unix

package vaultbackup

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"hush/vault"
)

// crashChildEnv names the directory a child process of TestExportCrash exports
// into and dies in.
const crashChildEnv = "HUSH_BACKUP_EXPORT_CRASH_CHILD"

// TestExportCrash kills a process with SIGKILL in the middle of an export: the
// test binary runs itself as a child that exports a vault of 3,000 messages and
// kills itself halfway. No backup is left at the target, only the temporary
// file, which the next export to the same name removes.
func TestExportCrash(t *testing.T) {
	if dir := os.Getenv(crashChildEnv); dir != "" {
		exportAndDie(t, dir)
		t.Fatal("the child survived its export")
	}
	dir := t.TempDir()
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestExportCrash$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("child = %v, want killed by SIGKILL; output:\n%s", err, out)
	}
	target := filepath.Join(dir, "out", "b.hushbackup")
	if _, err := os.Stat(target); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a crashed export left a backup at the target: %v", err)
	}
	partials, _ := filepath.Glob(filepath.Join(dir, "out", ".b.hushbackup.*.partial"))
	if len(partials) != 1 {
		t.Fatalf("the crash left %d temporary files, want 1: the crash did not happen mid-export", len(partials))
	}
	if st, _ := os.Stat(partials[0]); st.Size() == 0 {
		t.Fatal("the temporary file is empty: the crash did not happen mid-export")
	}

	v, err := vault.Open(t.Context(), filepath.Join(dir, "vault.db"), []byte(vaultPass), vaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	if _, err := ExportFile(t.Context(), v, target, backupPass, exportOptions()); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(filepath.Join(dir, "out")); len(entries) != 1 {
		t.Errorf("after the next export the folder holds %d files, want the backup alone", len(entries))
	}
	readBackupFile(t, target)
}

// exportAndDie makes a vault in dir and exports it to dir/out, killing itself
// with SIGKILL once half the records are written (and flushed to the file).
func exportAndDie(t *testing.T, dir string) {
	v, _ := newVault(t, dir)
	populate(t, v, 1000)
	if err := os.Mkdir(filepath.Join(dir, "out"), 0o700); err != nil {
		t.Fatal(err)
	}
	opts := exportOptions()
	opts.Progress = func(p Progress) {
		if p.Items >= p.TotalItems/2 && p.Bytes > 0 {
			time.Sleep(10 * time.Millisecond)
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {}
		}
	}
	ExportFile(t.Context(), v, filepath.Join(dir, "out", "b.hushbackup"), backupPass, opts)
}
