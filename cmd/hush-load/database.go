package main

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

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

func (d *database) close() error {
	if d.pg == nil {
		return nil
	}
	return d.pg.Stop()
}
