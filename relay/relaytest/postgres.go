//go:build !hush_omit_postgres

package relaytest

import (
	"context"
	"log/slog"

	"hush/relay/store"
)

// openPostgres opens the store of [Options.Postgres].
func openPostgres(ctx context.Context, url string, log *slog.Logger) (Store, error) {
	return store.OpenPostgres(ctx, url, log)
}
