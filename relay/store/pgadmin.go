//go:build !hush_omit_postgres

package store

import (
	"context"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"hush/ids"
)

// The PostgreSQL half of `hush-relay admin` (admin.go): the same queries, run
// through pgx.

// pgReader reads through a PostgreSQL transaction or the pool.
type pgReader struct{ q pgQuerier }

func (r pgReader) query(ctx context.Context, q string, args ...any) (adminRows, error) {
	return r.q.Query(ctx, pgPlaceholders(q), args...)
}

// pgAdmin is a PostgreSQL transaction as an adminQuerier.
type pgAdmin struct {
	pgReader
	tx pgx.Tx
}

func (a pgAdmin) exec(ctx context.Context, q string, args ...any) (int64, error) {
	tag, err := a.tx.Exec(ctx, pgPlaceholders(q), args...)
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

// pgPlaceholders numbers the ? of q as PostgreSQL's $1, $2, …; the admin queries
// hold no ? in a literal.
func pgPlaceholders(q string) string {
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// admin runs fn in one transaction.
func (p *Postgres) admin(ctx context.Context, fn func(adminQuerier) error) error {
	return pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error { return fn(pgAdmin{pgReader{tx}, tx}) })
}

// Accounts is [SQLite.Accounts].
func (p *Postgres) Accounts(ctx context.Context, fn func(AccountUsage) error) error {
	return p.admin(ctx, func(q adminQuerier) error { return accounts(ctx, q, fn) })
}

// SetDisabled is [SQLite.SetDisabled].
func (p *Postgres) SetDisabled(ctx context.Context, id ids.Account, at int64) error {
	return p.admin(ctx, func(q adminQuerier) error { return setDisabled(ctx, q, id, at) })
}

// DeleteAccount is [SQLite.DeleteAccount].
func (p *Postgres) DeleteAccount(ctx context.Context, id ids.Account) (DeleteCounts, error) {
	return withAdmin(ctx, p.admin, func(q adminQuerier) (DeleteCounts, error) { return deleteAccount(ctx, q, id) })
}

// ExportAccount is [SQLite.ExportAccount].
func (p *Postgres) ExportAccount(ctx context.Context, id ids.Account) (AccountExport, error) {
	return withAdmin(ctx, p.admin, func(q adminQuerier) (AccountExport, error) { return exportAccount(ctx, q, id) })
}

// DisabledSince is [SQLite.DisabledSince].
func (p *Postgres) DisabledSince(ctx context.Context, after int64, limit int) ([]ids.Account, int64, error) {
	return disabledSince(ctx, pgReader{p.pool}, after, limit)
}
