package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5"

	"hush/cmd/hush-load/internal/relayproc"
	"hush/internal/pgcluster"
)

// pgStartTimeout bounds initdb and the server's first start.
const pgStartTimeout = 2 * time.Minute

// database is the store the started relays share: a SQLite file, or a database
// on a throwaway PostgreSQL server this run started.
type database struct {
	url string // the relays' --db: a file, or a postgres:// URL
	pg  *pgcluster.Cluster
}

// openDatabase makes the run's database in dir, starting a PostgreSQL server for
// --store postgres.
func (c *common) openDatabase(ctx context.Context, dir string) (*database, error) {
	if c.store != storePostgres {
		return &database{url: filepath.Join(dir, "relay.db")}, nil
	}
	ctx, cancel := context.WithTimeout(ctx, pgStartTimeout)
	defer cancel()
	// Run as root, the server runs as nobody, who must pass through the run's
	// directory to keep its data on the disk --db-dir names (else pgcluster falls
	// back to /tmp).
	if err := os.Chmod(dir, 0o711); err != nil {
		return nil, fmt.Errorf("database directory: %w", err)
	}
	// max_connections: each relay holds a pool (4 × its GOMAXPROCS by default, at
	// least 4) and a listening connection.
	pg, err := pgcluster.Start(ctx, pgcluster.Options{Durable: true, Dir: dir, MaxConnections: 100})
	if err != nil {
		return nil, err
	}
	url, err := pg.CreateDatabase(ctx, "hush_load_")
	if err != nil {
		pg.Stop()
		return nil, err
	}
	return &database{url: url, pg: pg}, nil
}

func (d *database) describe() string {
	if d.pg == nil {
		return d.url
	}
	return fmt.Sprintf("%s (PostgreSQL with fsync on, data in %s)", d.url, d.pg.Dir())
}

// cpu returns the PostgreSQL server's CPU time so far (postmaster and backends);
// 0 for SQLite, whose work is the relay's own.
func (d *database) cpu() time.Duration {
	if d == nil || d.pg == nil {
		return 0
	}
	pid, err := d.pg.PID()
	if err != nil {
		return 0
	}
	t, _ := relayproc.ReadTreeCPU(pid)
	return t
}

// pgStats are PostgreSQL's cumulative counters that say what the disk and the
// server did: WAL written and fsynced (pg_stat_wal), transactions committed
// (pg_stat_database, the relays' database).
type pgStats struct {
	walBytes, walSyncs, walRecords, walFPI, commits int64
}

// stats reads the counters; ok is false for SQLite or when they cannot be read.
func (d *database) stats(ctx context.Context) (s pgStats, ok bool) {
	if d == nil || d.pg == nil {
		return s, false
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, d.url)
	if err != nil {
		return s, false
	}
	defer conn.Close(ctx)
	err = conn.QueryRow(ctx, `SELECT w.wal_bytes::bigint, w.wal_sync, w.wal_records, w.wal_fpi, d.xact_commit
		FROM pg_stat_wal w, pg_stat_database d WHERE d.datname = current_database()`).Scan(&s.walBytes, &s.walSyncs, &s.walRecords, &s.walFPI, &s.commits)
	return s, err == nil
}

func (d *database) close() error {
	if d.pg == nil {
		return nil
	}
	return d.pg.Stop()
}
