//go:build !hush_omit_postgres

package relay

import (
	"context"
	"log/slog"

	"hush/relay/store"
)

// PostgreSQL, for relays that share one database (docs/RELAY.md, "Several
// relays"). A build tagged hush_omit_postgres leaves it out (nopostgres.go), and
// with it the driver: the desktop binary, whose `hush relay` is one relay on one
// computer (docs/ARCHITECTURE.md, "What each binary links").

// withPostgres reports whether this build opens postgres:// databases.
const withPostgres = true

var (
	_ Cluster    = (*store.Postgres)(nil)
	_ Store      = (*store.Postgres)(nil)
	_ adminStore = (*store.Postgres)(nil)
)

// openPostgres opens the PostgreSQL database at url, migrating it.
func openPostgres(ctx context.Context, url string, log *slog.Logger) (closingStore, error) {
	return store.OpenPostgres(ctx, url, log)
}

// databaseBlobs returns the blob store kept in st's own database, if st has one:
// every relay sharing the database then serves every blob.
func databaseBlobs(st Store) (BlobStore, bool) {
	if pg, ok := st.(interface{ Blobs() *store.PGBlobs }); ok {
		return pg.Blobs(), true
	}
	return nil, false
}
