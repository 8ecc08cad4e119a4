package pgtest_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"hush/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// TestDatabasesAreFreshAndSeparate: each call gives an empty database of its own
// on the one cluster, reachable on loopback.
func TestDatabasesAreFreshAndSeparate(t *testing.T) {
	ctx := context.Background()
	var names []string
	for range 2 {
		dsn := pgtest.Database(t)
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		var name, addr string
		var tables int
		if err := conn.QueryRow(ctx, "SELECT current_database(), host(inet_server_addr()), (SELECT count(*) FROM pg_tables WHERE schemaname = 'public')").Scan(&name, &addr, &tables); err != nil {
			t.Fatal(err)
		}
		conn.Close(ctx)
		if addr != "127.0.0.1" || tables != 0 {
			t.Errorf("database %s on %s has %d tables; want an empty one on loopback", name, addr, tables)
		}
		names = append(names, name)
	}
	if names[0] == names[1] {
		t.Errorf("two calls gave one database %s", names[0])
	}
}
