package datadir

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hush/internal/testutil"
)

// Child-process modes: the test binary re-runs itself with these set to
// play a second Hush.
const (
	childDirEnv  = "HUSH_DATADIR_TEST_LOCK_DIR"
	childModeEnv = "HUSH_DATADIR_TEST_LOCK_MODE"
	modeTry      = "try"  // Acquire once; exit 0 if it was free, exitInUse if not
	modeHold     = "hold" // Acquire, say "locked", hold until stdin closes or we are killed
	exitInUse    = 3
	exitOther    = 4
)

func TestMain(m *testing.M) {
	if dir := os.Getenv(childDirEnv); dir != "" {
		os.Exit(lockChild(dir, os.Getenv(childModeEnv)))
	}
	os.Exit(m.Run())
}

func lockChild(dir, mode string) int {
	l, err := Acquire(dir)
	if errors.Is(err, ErrInUse) {
		fmt.Fprintln(os.Stderr, err)
		return exitInUse
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return exitOther
	}
	if mode == modeHold {
		fmt.Println("locked")
		io.Copy(io.Discard, os.Stdin)
	}
	if err := l.Release(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return exitOther
	}
	return 0
}

func child(t *testing.T, dir, mode string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), childDirEnv+"="+dir, childModeEnv+"="+mode)
	return cmd
}

// tryInChild reports the exit code of a child that tries to take the lock
// and what it printed.
func tryInChild(t *testing.T, dir string) (int, string) {
	t.Helper()
	out, err := child(t, dir, modeTry).CombinedOutput()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0, string(out)
	case errors.As(err, &exit):
		return exit.ExitCode(), string(out)
	default:
		t.Fatalf("run child: %v", err)
		return -1, ""
	}
}

func TestAcquireTwiceInProcess(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	l, err := Acquire(dir)
	if err != nil {
		t.Fatalf("Acquire: %v", err)
	}
	_, err = Acquire(dir)
	if !errors.Is(err, ErrInUse) {
		t.Fatalf("second Acquire error = %v, want ErrInUse", err)
	}
	if want := "another Hush is already using " + dir; err.Error() != want {
		t.Errorf("message %q, want %q", err, want)
	}
	// Through a different spelling of the same directory too.
	if _, err := Acquire(filepath.Join(dir, ".", "")); !errors.Is(err, ErrInUse) {
		t.Fatalf("Acquire via another path spelling = %v, want ErrInUse", err)
	}

	if err := l.Release(); err != nil {
		t.Fatalf("Release: %v", err)
	}
	if err := l.Release(); err != nil {
		t.Fatalf("second Release: %v", err)
	}
	l2, err := Acquire(dir)
	if err != nil {
		t.Fatalf("Acquire after Release: %v", err)
	}
	if err := l2.Release(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "hush.lock")); err != nil {
		t.Errorf("lock file: %v", err)
	}
}

func TestAcquireFromAnotherProcess(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	l, err := Acquire(dir)
	if err != nil {
		t.Fatal(err)
	}
	code, out := tryInChild(t, dir)
	if code != exitInUse {
		t.Fatalf("child exit %d (%q), want %d (ErrInUse)", code, out, exitInUse)
	}
	if !strings.Contains(out, "another Hush is already using "+dir) {
		t.Errorf("child said %q, want the directory named", out)
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	if code, out := tryInChild(t, dir); code != 0 {
		t.Fatalf("child after Release: exit %d (%q), want 0", code, out)
	}
}

// TestLockDiesWithProcess: a Hush that crashes holding the lock does not
// lock its data directory out forever.
func TestLockDiesWithProcess(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cmd := child(t, dir, modeHold)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "locked\n" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("child did not take the lock: %q, %v", line, err)
	}

	if _, err := Acquire(dir); !errors.Is(err, ErrInUse) {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("Acquire while a child holds the lock = %v, want ErrInUse", err)
	}

	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	testutil.Eventually(t, 10*time.Second, "the lock to be free after its holder died", func() bool {
		l, err := Acquire(dir)
		if err == nil {
			l.Release()
			return true
		}
		if !errors.Is(err, ErrInUse) {
			t.Fatalf("Acquire after the holder died: %v", err)
		}
		return false
	})
}

func TestAcquireMissingDir(t *testing.T) {
	t.Parallel()
	_, err := Acquire(filepath.Join(t.TempDir(), "missing"))
	if err == nil || errors.Is(err, ErrInUse) {
		t.Fatalf("Acquire on a missing directory = %v, want an open error", err)
	}
}
