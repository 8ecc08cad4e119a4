// Package pgtest gives tests a throwaway PostgreSQL server: one cluster per test
// binary, started by [Main] from TestMain, and a fresh, empty database per test from
// [Database]. It is for _test.go files only (the layering test keeps it out of the
// packages' own code).
//
// The cluster is an internal/pgcluster one — initdb and pg_ctl from the PostgreSQL
// 15 binaries, in a temporary directory, on a free port of 127.0.0.1, as the user
// nobody when the tests run as root — with fsync off (a test cluster need not
// survive a power cut), stopped with "pg_ctl stop -m immediate" when the tests end.
//
// Missing binaries fail the test binary rather than skip it: a skipped engine
// would pass unseen. `make test` installs the postgresql package first.
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
//	func TestX(t *testing.T) {
//		dsn := pgtest.Database(t) // postgres://…/t_…
//	}
package pgtest

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"hush/internal/pgcluster"
)

// BinDirEnv names the directory of initdb and pg_ctl when they are not where
// Debian's packages put them.
const BinDirEnv = pgcluster.BinDirEnv

// DSNEnv holds the admin URL of the running cluster. Main sets it for the test
// binary's own process, so [Database] finds the cluster without package state; set
// beforehand, it makes Main use that server instead of starting one.
const DSNEnv = "HUSH_PGTEST_DSN"

// startTimeout bounds initdb plus the server's start.
const startTimeout = 2 * time.Minute

// Main starts a cluster, runs the tests, stops the cluster and exits: the whole of
// a TestMain. When the cluster cannot start, the test binary fails.
func Main(m *testing.M) {
	if os.Getenv(DSNEnv) != "" {
		os.Exit(m.Run())
	}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	c, err := pgcluster.Start(ctx, pgcluster.Options{})
	cancel()
	if err != nil {
		fmt.Fprintf(os.Stderr, "pgtest: %v\n", err)
		os.Exit(1)
	}
	os.Setenv(DSNEnv, c.DSN)
	code := m.Run()
	if err := c.Stop(); err != nil {
		fmt.Fprintf(os.Stderr, "pgtest: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

// Database creates an empty database on the test binary's cluster and returns its
// URL. It fails the test when there is no cluster (TestMain did not call [Main]).
func Database(t testing.TB) string {
	t.Helper()
	admin := os.Getenv(DSNEnv)
	if admin == "" {
		t.Fatalf("pgtest: no cluster; the package's TestMain must call pgtest.Main")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dsn, err := pgcluster.CreateDatabase(ctx, admin, "t_")
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	return dsn
}
