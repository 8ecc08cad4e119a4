// Package pgtest gives tests a throwaway PostgreSQL server: one cluster per test
// binary, started by [Main] from TestMain, and a fresh, empty database per test from
// [Database]. It is for _test.go files only (the layering test keeps it out of the
// packages' own code).
//
// The cluster is made with initdb and pg_ctl from the PostgreSQL 15 binaries
// (docs/ARCHITECTURE.md, "Relay store"), in a temporary directory, listening on
// a free port of 127.0.0.1 only, trusting local connections, and stopped with
// "pg_ctl stop -m immediate" when the tests end. PostgreSQL refuses to run as root,
// so when the tests run as root the server runs as the user nobody.
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
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// BinDirEnv names the directory of initdb and pg_ctl when they are not in one of
// [binDirs].
const BinDirEnv = "HUSH_PG_BIN"

// DSNEnv holds the admin URL of the running cluster. Main sets it for the test
// binary's own process, so [Database] finds the cluster without package state; set
// beforehand, it makes Main use that server instead of starting one.
const DSNEnv = "HUSH_PGTEST_DSN"

// binDirs are where Debian's postgresql packages put the server binaries, which
// are not on PATH.
var binDirs = []string{"/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/17/bin"}

// startTimeout bounds initdb plus the server's start.
const startTimeout = 2 * time.Minute

// Cluster is a running throwaway PostgreSQL server.
type Cluster struct {
	// DSN is the URL of its postgres database as superuser.
	DSN string

	bin, dir, data string
	asNobody       bool
}

// Main starts a cluster, runs the tests, stops the cluster and exits: the whole of
// a TestMain. When the cluster cannot start, the test binary fails.
func Main(m *testing.M) {
	if os.Getenv(DSNEnv) != "" {
		os.Exit(m.Run())
	}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	c, err := Start(ctx)
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
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	defer conn.Close(ctx)
	b := make([]byte, 8)
	rand.Read(b)
	name := "t_" + hex.EncodeToString(b)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	return withDatabase(admin, name)
}

// withDatabase replaces the database of a postgres:// URL.
func withDatabase(dsn, name string) string {
	base, query, _ := strings.Cut(dsn, "?")
	i := strings.LastIndex(base, "/")
	out := base[:i+1] + name
	if query != "" {
		out += "?" + query
	}
	return out
}

// Start makes and starts a cluster.
func Start(ctx context.Context) (*Cluster, error) {
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	asNobody := os.Geteuid() == 0
	parent := os.TempDir()
	if asNobody && !traversable(parent) {
		parent = "/tmp" // nobody must reach the data directory
	}
	dir, err := os.MkdirTemp(parent, "hush-pgtest-")
	if err != nil {
		return nil, fmt.Errorf("temp dir: %w", err)
	}
	c := &Cluster{bin: bin, dir: dir, data: filepath.Join(dir, "data"), asNobody: asNobody}
	if err := c.start(ctx); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return c, nil
}

// traversable reports whether every directory from the root to dir lets others
// pass (o+x), as the server's user must.
func traversable(dir string) bool {
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil || fi.Mode().Perm()&0o001 == 0 {
			return false
		}
		if d == filepath.Dir(d) {
			return true
		}
	}
}

func binDir() (string, error) {
	dirs := binDirs
	if d := os.Getenv(BinDirEnv); d != "" {
		dirs = []string{d}
	}
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "pg_ctl")); err == nil {
			return d, nil
		}
	}
	return "", fmt.Errorf("no PostgreSQL server binaries (initdb, pg_ctl) in %s; install the postgresql package (make test-deps) or set %s", strings.Join(dirs, ", "), BinDirEnv)
}

func (c *Cluster) start(ctx context.Context) error {
	if c.asNobody {
		// The server's user must own the data directory and reach it.
		u, err := user.Lookup("nobody")
		if err != nil {
			return fmt.Errorf("running as root, the server runs as nobody: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(c.dir, uid, gid); err != nil {
			return fmt.Errorf("chown %s: %w", c.dir, err)
		}
	}
	if out, err := c.run(ctx, "initdb", "-D", c.data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"); err != nil {
		return fmt.Errorf("initdb: %w\n%s", err, out)
	}
	var lastErr error
	for range 5 { // a free port may be taken between the probe and the start
		port, err := freePort()
		if err != nil {
			return err
		}
		// fsync off: a test cluster need not survive a power cut, and is faster.
		// The store still asks for synchronous_commit on, which is what it checks.
		opts := fmt.Sprintf("-h 127.0.0.1 -p %d -k %s -c fsync=off -c full_page_writes=off -c max_connections=300", port, c.dir)
		out, err := c.run(ctx, "pg_ctl", "start", "-w", "-t", "60", "-D", c.data, "-l", filepath.Join(c.dir, "server.log"), "-o", opts)
		if err == nil {
			c.DSN = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
			return nil
		}
		log, _ := os.ReadFile(filepath.Join(c.dir, "server.log"))
		lastErr = fmt.Errorf("pg_ctl start: %w\n%s\n%s", err, out, log)
	}
	return lastErr
}

// Stop stops the server at once (nothing in it is worth a checkpoint) and removes
// its directory.
func (c *Cluster) Stop() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := c.run(ctx, "pg_ctl", "stop", "-m", "immediate", "-w", "-D", c.data)
	if err != nil {
		err = fmt.Errorf("pg_ctl stop: %w\n%s", err, out)
	}
	return errors.Join(err, os.RemoveAll(c.dir))
}

// run runs one of the server's binaries, as nobody when the tests run as root.
func (c *Cluster) run(ctx context.Context, name string, args ...string) ([]byte, error) {
	path := filepath.Join(c.bin, name)
	var cmd *exec.Cmd
	if c.asNobody {
		cmd = exec.CommandContext(ctx, "setpriv", append([]string{"--reuid=nobody", "--regid=nogroup", "--clear-groups", "--", path}, args...)...)
	} else {
		cmd = exec.CommandContext(ctx, path, args...)
	}
	cmd.Dir = c.dir
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	// pg_ctl start leaves the server running with our stdout; a file avoids
	// keeping a pipe open that Output would wait on.
	f, err := os.CreateTemp("", "pgtest-out-")
	if err != nil {
		return nil, err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	cmd.Stdout, cmd.Stderr = f, f
	err = cmd.Run()
	out, _ := os.ReadFile(f.Name())
	return out, err
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
