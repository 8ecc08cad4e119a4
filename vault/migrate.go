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
}

// loadMigrations reads and checks the embedded files.
func loadMigrations() ([]migration, error) {
	return parseMigrations(migrationFiles, "migrations")
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
// version. It returns the version found and the version reached.
func migrate(ctx context.Context, db *sql.DB, ms []migration, log *slog.Logger) (from, to int, err error) {
	from, err = schemaVersion(ctx, db)
	if err != nil {
		return 0, 0, err
	}
	if from > len(ms) {
		return from, from, tooNew(from, len(ms))
	}
	to = from
	for _, m := range ms[from:] {
		if err := applyMigration(ctx, db, m); err != nil {
			return from, to, err
		}
		to = m.version
		log.Info("vault: schema migrated", "version", m.version, "migration", m.name)
	}
	return from, to, nil
}

func applyMigration(ctx context.Context, db *sql.DB, m migration) (err error) {
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
	// PRAGMA takes no bound parameters; m.version is an int we parsed.
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", m.version)); err != nil {
		return fmt.Errorf("vault: migration %s: set version: %w", m.name, classify(err))
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("vault: migration %s: commit: %w", m.name, classify(err))
	}
	return nil
}
