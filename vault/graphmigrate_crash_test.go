//go:build unix

package vault

import (
	"errors"
	"os"
	"os/exec"
	"syscall"
	"testing"
)

// crashChildEnv names the vault a child process of TestMigrateV1CrashLeavesV1
// migrates and dies in.
const crashChildEnv = "HUSH_VAULT_MIGRATION_CRASH_CHILD"

// TestMigrateV1CrashLeavesV1 kills a process with SIGKILL in the middle of
// migration 2: the test binary runs itself as a child that opens a copy of
// the version 1 fixture with a page cache of one page (so the half-done
// transaction spills into the WAL) and kills itself once accounts, devices,
// contacts, chats, members and messages were rewritten. The file it leaves is version 1
// with every row as it was; the next Open migrates it and reads everything
// back, and no id is left in the database or the WAL.
func TestMigrateV1CrashLeavesV1(t *testing.T) {
	if path := os.Getenv(crashChildEnv); path != "" {
		migrateAndDie(t, path)
		t.Fatal("the child survived its migration")
	}
	path, want := loadV1Fixture(t)
	before := dumpTables(t, path)

	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestMigrateV1CrashLeavesV1$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+path)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("child = %v, want killed by SIGKILL; output:\n%s", err, out)
	}
	// A WAL header is 32 bytes, a frame 24 bytes and a page: frames mean the
	// half-done transaction reached the disk before the crash.
	if st, err := os.Stat(path + "-wal"); err != nil || st.Size() < 32+24+512 {
		t.Fatalf("the child left no WAL frames (%v): the crash did not happen mid-transaction", err)
	} else {
		t.Logf("the crash left a WAL of %d bytes", st.Size())
	}
	if after := dumpTables(t, path); after != before {
		t.Fatalf("after the crash the vault differs from version 1: %s", firstDiff(after, before))
	}

	v := reopen(t, path, testPassphrase)
	if g, w := jsonOf(t, readContents(t, v, want)), jsonOf(t, want); g != w {
		t.Errorf("read back after the crash and a migration differs: %s", firstDiff(g, w))
	}
	if found := findNeedles(t, path, graphNeedles(t, want)); len(found) > 0 {
		t.Errorf("after the crash and a migration, in clear: %v", found)
	}
}

// migrateAndDie opens path as Open does, with migration 2's Go part cut
// short by SIGKILL.
func migrateAndDie(t *testing.T, path string) {
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	ms[1].rewrite = func(tx *Tx) error {
		for _, pragma := range []string{"PRAGMA cache_size = 1", "PRAGMA defer_foreign_keys = ON"} {
			if _, err := tx.sqlTx.ExecContext(tx.ctx, pragma); err != nil {
				return err
			}
		}
		steps := graphIndexSteps()
		for _, step := range steps[:len(steps)/2+1] {
			if err := step.run(tx); err != nil {
				return err
			}
		}
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {}
	}
	slot, err := inspect(t.Context(), path, len(ms))
	if err != nil {
		t.Fatal(err)
	}
	master, err := openSlot([]byte(testPassphrase), slot)
	if err != nil {
		t.Fatal(err)
	}
	pol, log, err := resolveOptions(testOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	finishOpen(t.Context(), path, slot, master, ms, newCodec(), pol, log)
}
