package vault

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"hush/vault/internal/keywrap"
)

func TestCreateCloseOpen(t *testing.T) {
	v, path := newVault(t)
	acct := Account{ID: newID(t), DisplayName: "Ada", Handle: "@ada", SigningSeed: []byte{1, 2, 3},
		CreatedAt: time.Date(2025, 6, 1, 12, 0, 0, 123456000, time.UTC)}
	update(t, v, func(tx *Tx) error { return tx.PutAccount(acct) })
	vid := v.ID()
	if err := v.Close(); err != nil {
		t.Fatal(err)
	}
	if err := v.Close(); !errors.Is(err, ErrClosed) {
		t.Errorf("second Close = %v, want ErrClosed", err)
	}
	if err := v.Update(t.Context(), func(*Tx) error { return nil }); !errors.Is(err, ErrClosed) {
		t.Errorf("Update after Close = %v, want ErrClosed", err)
	}
	if err := v.ChangePassphrase(t.Context(), []byte(testPassphrase), []byte("x")); !errors.Is(err, ErrClosed) {
		t.Errorf("ChangePassphrase after Close = %v, want ErrClosed", err)
	}
	for _, suffix := range []string{"-wal", "-shm"} {
		if _, err := os.Stat(path + suffix); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s left after Close: %v", suffix, err)
		}
	}

	v2 := reopen(t, path, testPassphrase)
	if v2.ID() != vid {
		t.Errorf("vault id changed: %s != %s", v2.ID(), vid)
	}
	if got, want := v2.KDFParams(), *testOptions(t).InsecureTestKDF; got != want {
		t.Errorf("KDFParams = %+v, want %+v", got, want)
	}
	view(t, v2, func(tx *Tx) error {
		got, err := tx.Account(acct.ID)
		if err != nil {
			return err
		}
		if got.DisplayName != "Ada" || got.Handle != "@ada" || !bytes.Equal(got.SigningSeed, acct.SigningSeed) ||
			!got.CreatedAt.Equal(acct.CreatedAt) {
			t.Errorf("Account = %+v, want %+v", got, acct)
		}
		return nil
	})
}

func TestCreateRefusesExisting(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name  string
		setup func(path string)
	}{
		{"file", func(p string) { os.WriteFile(p, []byte("mine"), 0o600) }},
		{"stale wal", func(p string) { os.WriteFile(p+"-wal", []byte("x"), 0o600) }},
		{"stale shm", func(p string) { os.WriteFile(p+"-shm", []byte("x"), 0o600) }},
		{"directory", func(p string) { os.Mkdir(p, 0o700) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "-")+".db")
			tt.setup(path)
			before := fileHash(t, path)
			_, err := Create(t.Context(), path, []byte(testPassphrase), testOptions(t))
			if !errors.Is(err, ErrExists) {
				t.Fatalf("Create = %v, want ErrExists", err)
			}
			if fileHash(t, path) != before {
				t.Error("existing file was changed")
			}
		})
	}
}

func TestCreateRejectsBadInput(t *testing.T) {
	dir := t.TempDir()
	if _, err := Create(t.Context(), filepath.Join(dir, "a.db"), nil, testOptions(t)); !errors.Is(err, ErrInvalid) {
		t.Errorf("empty passphrase: %v", err)
	}
	opts := testOptions(t)
	opts.InsecureTestKDF = &KDFParams{Memory: 64, Time: 1, Threads: 0}
	if _, err := Create(t.Context(), filepath.Join(dir, "b.db"), []byte("x"), opts); !errors.Is(err, ErrInvalid) {
		t.Errorf("invalid test KDF: %v", err)
	}
	for _, name := range []string{"a.db", "b.db"} {
		if _, err := os.Stat(filepath.Join(dir, name)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s left behind: %v", name, err)
		}
	}
}

func TestCreateFilePermissions(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix permissions")
	}
	v, path := newVault(t)
	update(t, v, func(tx *Tx) error { return tx.PutSetting("k", []byte("v")) })
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s has mode %v, want no group/other access", p, st.Mode().Perm())
		}
	}
}

func TestOpenMissing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "none.db")
	if _, err := Open(t.Context(), path, []byte(testPassphrase), testOptions(t)); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Open = %v, want ErrNotFound", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("Open created a file")
	}
}

func TestOpenWrongPassphraseChangesNothing(t *testing.T) {
	v, path := newVault(t)
	update(t, v, func(tx *Tx) error { return tx.PutSetting("theme", []byte("dark")) })
	if err := v.Close(); err != nil {
		t.Fatal(err)
	}
	before := fileHash(t, path)
	listing := func() (names []string) {
		entries, err := os.ReadDir(filepath.Dir(path))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			names = append(names, e.Name())
		}
		return names
	}
	dirBefore := strings.Join(listing(), ",")
	for _, pass := range []string{"wrong", "", testPassphrase + " ", strings.ToUpper(testPassphrase)} {
		_, err := Open(t.Context(), path, []byte(pass), testOptions(t))
		if !errors.Is(err, ErrWrongPassphrase) {
			t.Fatalf("Open(%q) = %v, want ErrWrongPassphrase", pass, err)
		}
	}
	if fileHash(t, path) != before {
		t.Fatal("main database file changed after wrong passphrases")
	}
	if got := strings.Join(listing(), ","); got != dirBefore {
		t.Errorf("directory after wrong passphrases = %s, before = %s", got, dirBefore)
	}
	reopen(t, path, testPassphrase)
}

// TestOpenWrongPassphraseWithPendingWAL covers a vault whose last session
// crashed before checkpointing: a read-write connection would checkpoint
// the WAL into the main file on close; the read-only first phase must not.
func TestOpenWrongPassphraseWithPendingWAL(t *testing.T) {
	v, path := newVault(t)
	update(t, v, func(tx *Tx) error { return tx.PutSetting("before", []byte("1")) })
	// Simulate a crash: copy the files while the vault is open and has
	// committed frames in its WAL.
	if _, err := v.db.ExecContext(t.Context(), "PRAGMA wal_autocheckpoint = 0"); err != nil {
		t.Fatal(err)
	}
	update(t, v, func(tx *Tx) error { return tx.PutSetting("after", []byte("2")) })
	crash := filepath.Join(t.TempDir(), "crashed.db")
	for _, suffix := range []string{"", "-wal"} {
		b, err := os.ReadFile(path + suffix)
		if err != nil {
			t.Fatal(err)
		}
		if suffix == "-wal" && len(b) == 0 {
			t.Fatal("test setup: WAL is empty")
		}
		if err := os.WriteFile(crash+suffix, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	mainBefore, walBefore := fileHash(t, crash), fileHash(t, crash+"-wal")
	if _, err := Open(t.Context(), crash, []byte("wrong"), testOptions(t)); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("Open = %v, want ErrWrongPassphrase", err)
	}
	if fileHash(t, crash) != mainBefore || fileHash(t, crash+"-wal") != walBefore {
		t.Fatal("main file or WAL changed after a wrong passphrase")
	}
	// The right passphrase recovers both commits.
	v2 := reopen(t, crash, testPassphrase)
	for _, name := range []string{"before", "after"} {
		if _, err := v2.Setting(t.Context(), name); err != nil {
			t.Errorf("setting %q after recovery: %v", name, err)
		}
	}
}

func TestChangePassphrase(t *testing.T) {
	v, path := newVault(t)
	update(t, v, func(tx *Tx) error { return tx.PutSetting("k", []byte("v")) })
	const next = "a new and longer passphrase"
	if err := v.ChangePassphrase(t.Context(), []byte("wrong"), []byte(next)); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("ChangePassphrase(wrong current) = %v, want ErrWrongPassphrase", err)
	}
	if err := v.ChangePassphrase(t.Context(), []byte(testPassphrase), nil); !errors.Is(err, ErrInvalid) {
		t.Fatalf("ChangePassphrase(empty next) = %v, want ErrInvalid", err)
	}
	if err := v.ChangePassphrase(t.Context(), []byte(testPassphrase), []byte(next)); err != nil {
		t.Fatal(err)
	}
	// The open vault keeps working with the same keys.
	if got, err := v.Setting(t.Context(), "k"); err != nil || string(got) != "v" {
		t.Fatalf("Setting after change = %q, %v", got, err)
	}
	if err := v.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(t.Context(), path, []byte(testPassphrase), testOptions(t)); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("old passphrase: %v, want ErrWrongPassphrase", err)
	}
	v2 := reopen(t, path, next)
	if got, err := v2.Setting(t.Context(), "k"); err != nil || string(got) != "v" {
		t.Fatalf("Setting after reopen = %q, %v", got, err)
	}
}

// storedParams reads the key slot's parameters straight from the file.
func storedParams(t *testing.T, path string) keywrap.Params {
	t.Helper()
	db := rawDB(t, path)
	defer db.Close()
	var enc []byte
	if err := db.QueryRowContext(t.Context(), "SELECT kdf_params FROM keyslot").Scan(&enc); err != nil {
		t.Fatal(err)
	}
	p, err := keywrap.DecodeParams(enc)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestParamsUpgradeOnUnlock(t *testing.T) {
	v, path := newVault(t) // tiny parameters: 64 KiB, 1 pass, 1 lane
	update(t, v, func(tx *Tx) error { return tx.PutSetting("k", []byte("v")) })
	v.Close()

	t.Run("raised test floor", func(t *testing.T) {
		opts := testOptions(t)
		opts.InsecureTestKDF = &KDFParams{Memory: 128, Time: 2, Threads: 1}
		v, err := Open(t.Context(), path, []byte(testPassphrase), opts)
		if err != nil {
			t.Fatal(err)
		}
		defer v.Close()
		if got := v.KDFParams(); got != *opts.InsecureTestKDF {
			t.Errorf("KDFParams = %+v, want %+v", got, *opts.InsecureTestKDF)
		}
	})
	if got := storedParams(t, path); got != (keywrap.Params{Memory: 128, Time: 2, Threads: 1}) {
		t.Fatalf("stored params = %+v after upgrade", got)
	}

	// The production path: no test override, so the real floor applies.
	// A 1 ns target keeps calibration at the floor (64 MiB, 3 passes).
	t.Run("production floor", func(t *testing.T) {
		v, err := Open(t.Context(), path, []byte(testPassphrase), Options{CalibrationTarget: time.Nanosecond})
		if err != nil {
			t.Fatal(err)
		}
		defer v.Close()
		if got := v.KDFParams(); got != MinKDFParams() {
			t.Errorf("KDFParams = %+v, want the floor %+v", got, MinKDFParams())
		}
		if got, err := v.Setting(t.Context(), "k"); err != nil || string(got) != "v" {
			t.Errorf("Setting = %q, %v", got, err)
		}
	})
	if got := storedParams(t, path); got != keywrap.Floor() {
		t.Fatalf("stored params = %+v, want the floor", got)
	}

	// At the floor, a lower test floor does not downgrade anything.
	v3 := reopen(t, path, testPassphrase)
	if got := v3.KDFParams(); got != MinKDFParams() {
		t.Errorf("KDFParams = %+v, want unchanged floor", got)
	}
}

func TestOpenTooNewLeavesFileUntouched(t *testing.T) {
	v, path := newVault(t)
	v.Close()
	db := rawDB(t, path)
	if _, err := db.ExecContext(t.Context(), "PRAGMA user_version = 99"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	before := fileHash(t, path)
	_, err := Open(t.Context(), path, []byte(testPassphrase), testOptions(t))
	if !errors.Is(err, ErrVaultTooNew) {
		t.Fatalf("Open = %v, want ErrVaultTooNew", err)
	}
	if !strings.Contains(err.Error(), "99") || !strings.Contains(err.Error(), "update Hush") {
		t.Errorf("message %q does not name the version and the remedy", err)
	}
	// Even the wrong passphrase gets the version error: no unlock attempt.
	if _, err := Open(t.Context(), path, []byte("wrong"), testOptions(t)); !errors.Is(err, ErrVaultTooNew) {
		t.Errorf("Open(wrong) = %v, want ErrVaultTooNew", err)
	}
	if fileHash(t, path) != before {
		t.Fatal("a too-new vault was modified")
	}
}

func TestOpenCorruptLeavesFileUntouched(t *testing.T) {
	v, path := newVault(t)
	update(t, v, func(tx *Tx) error {
		for i := range 200 {
			if err := tx.PutSetting(strings.Repeat("n", i+1), bytes.Repeat([]byte{byte(i)}, 100)); err != nil {
				return err
			}
		}
		return nil
	})
	v.Close()
	valid, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(valid) < 3*4096 {
		t.Fatalf("test vault too small: %d bytes", len(valid))
	}
	random := make([]byte, len(valid))
	rand.Read(random)
	garbagePages := append(bytes.Clone(valid[:100]), random[100:]...)
	wrongApp := bytes.Clone(valid)
	copy(wrongApp[offApplicationID:], []byte{0, 0, 0, 0})

	otherSQLite := filepath.Join(t.TempDir(), "other.db")
	db := rawDB(t, otherSQLite)
	if _, err := db.ExecContext(t.Context(), "PRAGMA journal_mode = WAL; CREATE TABLE t (x); INSERT INTO t VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	other, err := os.ReadFile(otherSQLite)
	if err != nil {
		t.Fatal(err)
	}
	noSchema := bytes.Clone(other)
	copy(noSchema[offApplicationID:], valid[offApplicationID:offApplicationID+4])

	tests := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"random bytes", random},
		{"valid header, random pages", garbagePages},
		{"other application", wrongApp},
		{"plain SQLite file", other},
		{"Hush header, no vault schema", noSchema},
		{"truncated to 50 bytes", valid[:50]},
		{"truncated to 100 bytes", valid[:100]},
		{"truncated to one page", valid[:4096]},
		{"truncated to half", valid[:len(valid)/2]},
		{"truncated by one page", valid[:len(valid)-4096]},
		{"truncated by one byte", valid[:len(valid)-1]},
	}
	dir := t.TempDir()
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(dir, strings.Repeat("c", i+1)+".db")
			if err := os.WriteFile(p, tt.data, 0o600); err != nil {
				t.Fatal(err)
			}
			before := fileHash(t, p)
			_, err := Open(t.Context(), p, []byte(testPassphrase), testOptions(t))
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Open = %v, want ErrCorrupt", err)
			}
			t.Log(err)
			if fileHash(t, p) != before {
				t.Fatal("a corrupt vault was modified")
			}
		})
	}
}

func TestTransactions(t *testing.T) {
	v, _ := newVault(t)
	boom := errors.New("boom")
	if err := v.Update(t.Context(), func(tx *Tx) error {
		if err := tx.PutSetting("rolled back", []byte("x")); err != nil {
			return err
		}
		return boom
	}); !errors.Is(err, boom) {
		t.Fatalf("Update = %v, want the function's error", err)
	}
	if _, err := v.Setting(t.Context(), "rolled back"); !errors.Is(err, ErrNotFound) {
		t.Errorf("write of a failed Update survived: %v", err)
	}

	func() {
		defer func() {
			if recover() == nil {
				t.Error("panic was swallowed")
			}
		}()
		v.Update(t.Context(), func(tx *Tx) error {
			tx.PutSetting("panicked", []byte("x"))
			panic("boom")
		})
	}()
	if _, err := v.Setting(t.Context(), "panicked"); !errors.Is(err, ErrNotFound) {
		t.Errorf("write of a panicking Update survived: %v", err)
	}

	if err := v.View(t.Context(), func(tx *Tx) error { return tx.PutSetting("k", nil) }); !errors.Is(err, ErrReadOnly) {
		t.Errorf("write in View = %v, want ErrReadOnly", err)
	}
	var leaked *Tx
	update(t, v, func(tx *Tx) error { leaked = tx; return nil })
	if _, err := leaked.Setting("k"); !errors.Is(err, ErrClosed) {
		t.Errorf("Tx used after return = %v, want ErrClosed", err)
	}
}

func TestContextCancelled(t *testing.T) {
	v, _ := newVault(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := v.Update(ctx, func(tx *Tx) error { return tx.PutSetting("k", nil) }); err == nil {
		t.Fatal("Update with a cancelled context succeeded")
	}
	if _, err := v.Setting(t.Context(), "k"); !errors.Is(err, ErrNotFound) {
		t.Errorf("cancelled write survived: %v", err)
	}
}

func TestConcurrentUseAndClose(t *testing.T) {
	v, _ := newVault(t)
	chat := newChat(t, v)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 20 {
				err := v.Update(t.Context(), func(tx *Tx) error {
					return tx.InsertMessage(pendingMessage(t, chat, "m"))
				})
				if err != nil && !errors.Is(err, ErrClosed) {
					t.Errorf("worker %d: %v", w, err)
				}
				_, _, err = v.Messages(t.Context(), chat, PageCursor{}, 10)
				if err != nil && !errors.Is(err, ErrClosed) {
					t.Errorf("worker %d read %d: %v", w, i, err)
				}
			}
		})
	}
	time.Sleep(time.Millisecond)
	if err := v.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	wg.Wait()
}

func TestPathNeedsEscaping(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "we?ird #dir%20 name")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "v?a#u%lt.db")
	v, err := Create(t.Context(), path, []byte(testPassphrase), testOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	update(t, v, func(tx *Tx) error { return tx.PutSetting("k", []byte("v")) })
	v.Close()
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != "v?a#u%lt.db" {
		t.Fatalf("directory holds %v, want just the vault", entries)
	}
	v2 := reopen(t, path, testPassphrase)
	if got, err := v2.Setting(t.Context(), "k"); err != nil || string(got) != "v" {
		t.Fatalf("Setting = %q, %v", got, err)
	}
}

// TestCheckFindsDamageOpenMisses covers damage the header check cannot see
// (a page in the middle of the file): Open succeeds, but Check and reads of
// the damaged pages report ErrCorrupt rather than garbage.
func TestCheckFindsDamageOpenMisses(t *testing.T) {
	v, path := newVault(t)
	chat := newChat(t, v)
	update(t, v, func(tx *Tx) error {
		for range 300 {
			if err := tx.InsertMessage(pendingMessage(t, chat, strings.Repeat("x", 200))); err != nil {
				return err
			}
		}
		return nil
	})
	v.Close()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	last := len(b) - 4096
	rand.Read(b[last : last+4096])
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	v2 := reopen(t, path, testPassphrase)
	if err := v2.Check(t.Context()); !errors.Is(err, ErrCorrupt) {
		t.Errorf("Check = %v, want ErrCorrupt", err)
	}
	var readErr error
	var cur PageCursor
	for range 20 {
		var page []Message
		page, cur, readErr = v2.Messages(t.Context(), chat, cur, MaxPageSize)
		if readErr != nil || len(page) < MaxPageSize {
			break
		}
	}
	if !errors.Is(readErr, ErrCorrupt) {
		t.Errorf("reading every message = %v, want ErrCorrupt", readErr)
	}
}
