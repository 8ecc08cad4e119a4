//go:build hush_omit_postgres

package relay

import (
	"context"
	"log/slog"
)

// Built without PostgreSQL (postgres.go): a postgres:// --db is refused before
// anything is opened ([checkBuiltIn]).

const withPostgres = false

func openPostgres(context.Context, string, *slog.Logger) (closingStore, error) {
	return nil, ErrNoPostgres
}

func databaseBlobs(Store) (BlobStore, bool) { return nil, false }
