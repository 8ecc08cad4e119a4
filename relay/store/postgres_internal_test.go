package store

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"hush/internal/pgtest"
)

// TestPostgresCommitIsSynchronous: a Write is durable when it returns, even on a
// database whose default is asynchronous commit.
func TestPostgresCommitIsSynchronous(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.Database(t)
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	name, _, _ := strings.Cut(dsn[strings.LastIndex(dsn, "/")+1:], "?")
	if _, err := conn.Exec(ctx, "ALTER DATABASE "+name+" SET synchronous_commit = off"); err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)
	s, err := OpenPostgres(ctx, dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var got string
	if err := s.Write(ctx, func(tx Tx) error {
		return tx.(*pgTx).tx.QueryRow(ctx, "SHOW synchronous_commit").Scan(&got)
	}); err != nil {
		t.Fatal(err)
	}
	if got != "on" {
		t.Errorf("synchronous_commit = %q in a write, want on", got)
	}
}
