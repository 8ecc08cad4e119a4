//go:build hush_omit_postgres

package relaytest

import (
	"context"
	"log/slog"

	"hush/relay"
)

// openPostgres fails: this build has no PostgreSQL store.
func openPostgres(context.Context, string, *slog.Logger) (Store, error) {
	return nil, relay.ErrNoPostgres
}
