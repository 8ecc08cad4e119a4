// Package pgcluster runs a throwaway PostgreSQL server on this machine: initdb and
// pg_ctl from the PostgreSQL 15 binaries (docs/ARCHITECTURE.md, "Relay store"), in a
// temporary directory, listening on a free port of 127.0.0.1 only and trusting
// local connections. PostgreSQL refuses to run as root, so when this process runs
// as root the server runs as the user nobody.
//
// Tests use it through internal/pgtest (fsync off); cmd/hush-load uses it directly,
// with fsync on, to measure the relay on PostgreSQL and to crash the database under
// load ([Cluster.Crash], [Cluster.Restart]).
package pgcluster

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
	"time"

	"github.com/jackc/pgx/v5"
)

// BinDirEnv names the directory of initdb and pg_ctl when they are not in one of
// [binDirs].
const BinDirEnv = "HUSH_PG_BIN"

// binDirs are where Debian's postgresql packages put the server binaries, which
// are not on PATH.
var binDirs = []string{"/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/17/bin"}

// Options configure a cluster.
type Options struct {
	// Durable keeps PostgreSQL's fsync and full-page writes on, as a real server
	// runs; off, a commit costs no fsync and a crash of the machine (not of the
	// server) may lose data — enough for tests.
	Durable bool
	// Dir is the parent of the cluster's temporary directory ("": the system's).
	Dir string
	// MaxConnections is the server's max_connections (0: 300).
	MaxConnections int
	// Settings are extra server settings, "name=value" each.
	Settings []string
}

// Cluster is a running throwaway PostgreSQL server.
type Cluster struct {
	// DSN is the URL of its postgres database as superuser.
	DSN string

	bin, dir, data string
	asNobody       bool
	opts           Options
	port           int
}

// Start makes and starts a cluster.
func Start(ctx context.Context, o Options) (*Cluster, error) {
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	asNobody := os.Geteuid() == 0
	parent := o.Dir
	if parent == "" {
		parent = os.TempDir()
	}
	if asNobody && !traversable(parent) {
		parent = "/tmp" // nobody must reach the data directory
	}
	dir, err := os.MkdirTemp(parent, "hush-pg-")
	if err != nil {
		return nil, fmt.Errorf("temp dir: %w", err)
	}
	c := &Cluster{bin: bin, dir: dir, data: filepath.Join(dir, "data"), asNobody: asNobody, opts: o}
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
		c.port = port
		if lastErr = c.Restart(ctx); lastErr == nil {
			c.DSN = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
			return nil
		}
	}
	return lastErr
}

// Restart starts the server again on its port, after [Cluster.Crash]: it recovers
// from its WAL, as after a power cut.
func (c *Cluster) Restart(ctx context.Context) error {
	maxConns := c.opts.MaxConnections
	if maxConns == 0 {
		maxConns = 300
	}
	opts := fmt.Sprintf("-h 127.0.0.1 -p %d -k %s -c max_connections=%d", c.port, c.dir, maxConns)
	if !c.opts.Durable {
		// The store still asks for synchronous_commit on, which is what it checks.
		opts += " -c fsync=off -c full_page_writes=off"
	}
	for _, s := range c.opts.Settings {
		opts += " -c " + s
	}
	out, err := c.run(ctx, "pg_ctl", "start", "-w", "-t", "60", "-D", c.data, "-l", filepath.Join(c.dir, "server.log"), "-o", opts)
	if err != nil {
		log, _ := os.ReadFile(filepath.Join(c.dir, "server.log"))
		return fmt.Errorf("pg_ctl start: %w\n%s\n%s", err, out, log)
	}
	return nil
}

// Crash stops the server at once ("pg_ctl stop -m immediate"): no checkpoint, every
// connection cut, as if the machine lost power; the data directory stays for
// [Cluster.Restart].
func (c *Cluster) Crash(ctx context.Context) error {
	if out, err := c.run(ctx, "pg_ctl", "stop", "-m", "immediate", "-w", "-D", c.data); err != nil {
		return fmt.Errorf("pg_ctl stop: %w\n%s", err, out)
	}
	return nil
}

// Stop stops the server at once (nothing in it is worth a checkpoint) and removes
// its directory.
func (c *Cluster) Stop() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return errors.Join(c.Crash(ctx), os.RemoveAll(c.dir))
}

// Dir is the cluster's directory: the data directory and the server's log
// (server.log).
func (c *Cluster) Dir() string { return c.dir }

// CreateDatabase creates an empty database with a random name prefixed by prefix
// and returns its URL.
func (c *Cluster) CreateDatabase(ctx context.Context, prefix string) (string, error) {
	return CreateDatabase(ctx, c.DSN, prefix)
}

// CreateDatabase creates an empty database with a random name prefixed by prefix
// on the server an admin URL reaches, and returns its URL.
func CreateDatabase(ctx context.Context, admin, prefix string) (string, error) {
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return "", fmt.Errorf("create database: %w", err)
	}
	defer conn.Close(ctx)
	b := make([]byte, 8)
	rand.Read(b)
	name := prefix + hex.EncodeToString(b)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", fmt.Errorf("create database: %w", err)
	}
	return withDatabase(admin, name), nil
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

// run runs one of the server's binaries, as nobody when this process runs as root.
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
	f, err := os.CreateTemp("", "pgcluster-out-")
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

// PID returns the process id of the server's postmaster, from postmaster.pid.
func (c *Cluster) PID() (int, error) {
	b, err := os.ReadFile(filepath.Join(c.data, "postmaster.pid"))
	if err != nil {
		return 0, fmt.Errorf("postmaster pid: %w", err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		return 0, fmt.Errorf("postmaster pid: %w", err)
	}
	return pid, nil
}
