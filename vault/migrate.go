package vault

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"strconv"
	"strings"
)

// migrationFiles holds migrations/NNNN_name.sql. Numbers start at 1 and
// have no gaps; the number is the schema version (PRAGMA user_version)
// after the file has run.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one numbered schema step.
type migration struct {
	version int
	name    string
	sql     string
	// rewrite, when set, runs after sql in the same transaction, with the
	// vault's keys: for steps that compute tags or re-seal rows, which SQL
	// alone cannot do. A crash or an error leaves the previous version as
	// it was.
	rewrite rewriteFunc
}

// rewriteFunc is the Go part of a migration. tx is a writable transaction
// without prepared statements; the schema is the one sql has just made.
type rewriteFunc func(tx *Tx) error

// rewrites are the Go parts of migrations, by the version they belong to.
func rewrites() map[int]rewriteFunc {
	return map[int]rewriteFunc{
		2: migrateGraphIndex,
	}
}

// loadMigrations reads and checks the embedded files and attaches their Go
// parts.
func loadMigrations() ([]migration, error) {
	ms, err := parseMigrations(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	if err := attachRewrites(ms, rewrites()); err != nil {
		return nil, err
	}
	return ms, nil
}

// attachRewrites gives each Go part to the migration of its version; a Go
// part without its SQL file is a build mistake.
func attachRewrites(ms []migration, fns map[int]rewriteFunc) error {
	for v, fn := range fns {
		if v < 1 || v > len(ms) {
			return fmt.Errorf("vault: migrations: Go step for version %d has no file", v)
		}
		ms[v-1].rewrite = fn
	}
	return nil
}

func parseMigrations(fsys fs.FS, dir string) ([]migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("vault: migrations: %w", err)
	}
	var ms []migration
	for _, e := range entries {
		name := e.Name()
		num, _, ok := strings.Cut(name, "_")
		if e.IsDir() || !ok || !strings.HasSuffix(name, ".sql") || len(num) != 4 {
			return nil, fmt.Errorf("vault: migrations: %q is not NNNN_name.sql", name)
		}
		v, err := strconv.Atoi(num)
		if err != nil || v != len(ms)+1 {
			return nil, fmt.Errorf("vault: migrations: %q out of sequence (want %04d)", name, len(ms)+1)
		}
		body, err := fs.ReadFile(fsys, path.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("vault: migrations: %w", err)
		}
		ms = append(ms, migration{version: v, name: name, sql: string(body)})
	}
	if len(ms) == 0 {
		return nil, fmt.Errorf("vault: migrations: none found")
	}
	return ms, nil
}

// schemaVersion reads PRAGMA user_version.
func schemaVersion(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}) (int, error) {
	var v int
	if err := q.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return 0, fmt.Errorf("vault: read schema version: %w", classify(err))
	}
	return v, nil
}

// tooNew builds the ErrVaultTooNew error for a schema version above known.
func tooNew(have, known int) error {
	return fmt.Errorf("%w: schema version %d, this build knows up to %d; update Hush to open this vault (it was left untouched)",
		ErrVaultTooNew, have, known)
}

// migrate brings db up to the last of ms, one transaction per migration,
// each ending with the new user_version so a crash leaves a consistent
// version. keys and cdc serve the Go parts of migrations. It returns the
// version found and the version reached.
func migrate(ctx context.Context, db *sql.DB, ms []migration, keys *keySet, cdc codec, log *slog.Logger) (from, to int, err error) {
	from, err = schemaVersion(ctx, db)
	if err != nil {
		return 0, 0, err
	}
	if from > len(ms) {
		return from, from, tooNew(from, len(ms))
	}
	to = from
	for _, m := range ms[from:] {
		if err := applyMigration(ctx, db, m, keys, cdc); err != nil {
			return from, to, err
		}
		to = m.version
		log.Info("vault: schema migrated", "version", m.version, "migration", m.name)
	}
	return from, to, nil
}

func applyMigration(ctx context.Context, db *sql.DB, m migration, keys *keySet, cdc codec) (err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("vault: migration %s: begin: %w", m.name, classify(err))
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return fmt.Errorf("vault: migration %s: %w", m.name, classify(err))
	}
	if m.rewrite != nil {
		if keys == nil {
			return fmt.Errorf("vault: migration %s: needs the vault's keys", m.name)
		}
		vtx := &Tx{ctx: ctx, sqlTx: tx, keys: keys, codec: cdc, writable: true}
		err := m.rewrite(vtx)
		vtx.done = true
		if err != nil {
			return fmt.Errorf("vault: migration %s: %w", m.name, err)
		}
	}
	// PRAGMA takes no bound parameters; m.version is an int we parsed.
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", m.version)); err != nil {
		return fmt.Errorf("vault: migration %s: set version: %w", m.name, classify(err))
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("vault: migration %s: commit: %w", m.name, classify(err))
	}
	return nil
}
