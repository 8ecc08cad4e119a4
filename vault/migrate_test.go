package vault

import (
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

func TestEmbeddedMigrations(t *testing.T) {
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range ms {
		if m.version != i+1 || strings.TrimSpace(m.sql) == "" {
			t.Errorf("migration %d = %+v", i, m.name)
		}
	}
}

func TestParseMigrationsRejectsBadSets(t *testing.T) {
	file := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	tests := []struct {
		name  string
		files fstest.MapFS
	}{
		{"empty", fstest.MapFS{"m/.keep": file("")}},
		{"gap", fstest.MapFS{"m/0001_a.sql": file("x"), "m/0003_c.sql": file("x")}},
		{"not from one", fstest.MapFS{"m/0002_b.sql": file("x")}},
		{"bad name", fstest.MapFS{"m/1_a.sql": file("x")}},
		{"not sql", fstest.MapFS{"m/0001_a.txt": file("x")}},
	}
	for _, tt := range tests {
		if _, err := parseMigrations(tt.files, "m"); err == nil {
			t.Errorf("%s: accepted", tt.name)
		}
	}
}

// memDB is a fresh database in a temporary file, opened as the vault does.
func memDB(t *testing.T) *sql.DB {
	t.Helper()
	db, err := openDB(t.Context(), filepath.Join(t.TempDir(), "m.db"), false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestMigrateRunsEachStepInATransaction(t *testing.T) {
	ms, err := parseMigrations(fstest.MapFS{
		"m/0001_a.sql": {Data: []byte("CREATE TABLE a (x INTEGER) STRICT;")},
		"m/0002_b.sql": {Data: []byte("CREATE TABLE b (x INTEGER) STRICT; INSERT INTO a VALUES (1); INSERT INTO nowhere VALUES (1);")},
	}, "m")
	if err != nil {
		t.Fatal(err)
	}
	db := memDB(t)
	_, to, err := migrate(t.Context(), db, ms, nil, newCodec(), testOptions(t).Logger)
	if err == nil || to != 1 {
		t.Fatalf("migrate = %d, %v; want to stop at 1 with an error", to, err)
	}
	if v, _ := schemaVersion(t.Context(), db); v != 1 {
		t.Errorf("user_version = %d, want 1", v)
	}
	var n int
	if err := db.QueryRowContext(t.Context(), "SELECT count(*) FROM sqlite_schema WHERE name = 'b'").Scan(&n); err != nil || n != 0 {
		t.Errorf("table from the failed migration exists: %d, %v", n, err)
	}
	if err := db.QueryRowContext(t.Context(), "SELECT count(*) FROM a").Scan(&n); err != nil || n != 0 {
		t.Errorf("row from the failed migration exists: %d, %v", n, err)
	}

	// Fixed, the second step applies and a rerun is a no-op.
	ms[1].sql = "CREATE TABLE b (x INTEGER) STRICT;"
	for run := range 2 {
		from, to, err := migrate(t.Context(), db, ms, nil, newCodec(), testOptions(t).Logger)
		if err != nil || to != 2 || (run == 1 && from != 2) {
			t.Fatalf("run %d: migrate = %d..%d, %v", run, from, to, err)
		}
	}
	_, _, err = migrate(t.Context(), db, ms[:1], nil, newCodec(), testOptions(t).Logger)
	if !errors.Is(err, ErrVaultTooNew) {
		t.Errorf("older code on a newer schema: %v, want ErrVaultTooNew", err)
	}
}

func TestSchemaPragmas(t *testing.T) {
	v, _ := newVault(t)
	for _, tt := range []struct {
		pragma string
		want   string
	}{
		{"journal_mode", "wal"},
		{"foreign_keys", "1"},
		{"secure_delete", "1"},
		{"synchronous", "2"}, // FULL
		{"temp_store", "2"},  // MEMORY
		{"application_id", "1213551432"},
	} {
		var got string
		if err := v.db.QueryRowContext(t.Context(), "PRAGMA "+tt.pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != tt.want {
			t.Errorf("PRAGMA %s = %s, want %s", tt.pragma, got, tt.want)
		}
	}
	if err := v.Check(t.Context()); err != nil {
		t.Errorf("Check on a fresh vault: %v", err)
	}
	var fkProblems int
	if err := v.db.QueryRowContext(t.Context(), "SELECT count(*) FROM pragma_foreign_key_check").Scan(&fkProblems); err != nil || fkProblems != 0 {
		t.Errorf("foreign_key_check = %d, %v", fkProblems, err)
	}
}

// TestMigrateRewriteRunsInTheSameTransaction: a migration's Go part runs
// after its SQL in one transaction with the version update, so a Go part
// that fails takes the SQL's changes back with it, and one that succeeds
// sees the schema its SQL made.
func TestMigrateRewriteRunsInTheSameTransaction(t *testing.T) {
	ms, err := parseMigrations(fstest.MapFS{
		"m/0001_a.sql": {Data: []byte("CREATE TABLE a (x INTEGER) STRICT;")},
		"m/0002_b.sql": {Data: []byte("CREATE TABLE b (x INTEGER) STRICT;")},
	}, "m")
	if err != nil {
		t.Fatal(err)
	}
	keys, err := newKeySet(make([]byte, 32), vaultID{1})
	if err != nil {
		t.Fatal(err)
	}
	fail := errors.New("rewrite failed")
	var sawKeys bool
	step := func(tx *Tx) error {
		sawKeys = tx.keys == keys
		if _, err := tx.exec(`INSERT INTO b VALUES (1)`); err != nil {
			return err
		}
		if _, err := tx.exec(`INSERT INTO a VALUES (1)`); err != nil {
			return err
		}
		return fail
	}
	if err := attachRewrites(ms, map[int]rewriteFunc{2: step}); err != nil {
		t.Fatal(err)
	}
	db := memDB(t)
	if _, to, err := migrate(t.Context(), db, ms, keys, newCodec(), testOptions(t).Logger); !errors.Is(err, fail) || to != 1 {
		t.Fatalf("migrate = %d, %v; want to stop at 1 with the rewrite's error", to, err)
	}
	if !sawKeys {
		t.Error("the rewrite did not get the vault's keys")
	}
	var n int
	if err := db.QueryRowContext(t.Context(), "SELECT count(*) FROM sqlite_schema WHERE name = 'b'").Scan(&n); err != nil || n != 0 {
		t.Errorf("table of the failed migration's SQL exists: %d, %v", n, err)
	}
	if err := db.QueryRowContext(t.Context(), "SELECT count(*) FROM a").Scan(&n); err != nil || n != 0 {
		t.Errorf("row of the failed rewrite exists: %d, %v", n, err)
	}
	if _, _, err := migrate(t.Context(), db, ms, nil, newCodec(), testOptions(t).Logger); err == nil {
		t.Error("a migration with a Go part ran without keys")
	}

	ms[1].rewrite = func(tx *Tx) error { _, err := tx.exec(`INSERT INTO b VALUES (2)`); return err }
	if _, to, err := migrate(t.Context(), db, ms, keys, newCodec(), testOptions(t).Logger); err != nil || to != 2 {
		t.Fatalf("migrate = %d, %v", to, err)
	}
	if err := db.QueryRowContext(t.Context(), "SELECT x FROM b").Scan(&n); err != nil || n != 2 {
		t.Errorf("row of the rewrite = %d, %v", n, err)
	}
	if err := attachRewrites(ms, map[int]rewriteFunc{3: step}); err == nil {
		t.Error("a Go part without its SQL file was accepted")
	}
}
