// Command hush-load puts a Hush relay under load on this machine and measures what
// the project promises of it (issue 4, "Benchmarks" and "Nothing lost"; the figures
// are in docs/PERFORMANCE.md, "Relay under load"):
//
//	hush-load throughput   acknowledged 1 KiB messages per second, N connections
//	hush-load latency      acknowledgement latency at a fixed offered rate
//	hush-load onechat      all load in one chat of two members; the relay's memory
//	hush-load idle         relay memory per idle authenticated connection
//	hush-load soak         SIGKILL the relay at random moments under load; check
//	                       that no acknowledged message is lost or duplicated
//
// Every mode runs the relay as a child process (this executable re-executed as
// relay.Main — the code of cmd/hush-relay — or --relay-bin), on a fresh SQLite
// database in a temporary directory, and talks to it over loopback only
// (127.0.0.0/8). throughput, latency and soak can instead run --nodes relays on a
// throwaway PostgreSQL server (--store postgres, internal/pgcluster, fsync on),
// with the connections spread over the nodes; throughput and latency can target
// running relays with --relay URL[,URL…]. Every loop is bounded in count and time.
//
// The soak exits with status 1 when it finds a lost or duplicated message; the
// benchmarks mark a missed target in their table (and exit 1 with --strict).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"hush/cmd/hush-load/internal/loadclient"
	"hush/cmd/hush-load/internal/relayproc"
)

func main() {
	relayproc.RunChildIfAsked()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// mode is one subcommand.
type mode struct {
	name    string
	summary string
	// external says whether the mode can target a relay given by --relay.
	external bool
	// cluster says whether the mode can run relays on PostgreSQL (--store, --nodes).
	cluster bool
	// setup registers the mode's own flags and returns the function that runs it.
	setup func(fs *flag.FlagSet, c *common) func(ctx context.Context, r *report) error
}

func modes() []mode {
	return []mode{
		{name: "throughput", summary: "acknowledged msgs/s with N connections sending 1 KiB messages in pairs (target ≥ 25k/s)", external: true, cluster: true, setup: setupThroughput},
		{name: "latency", summary: "acknowledgement latency at a fixed offered rate (target p99 ≤ 5 ms at 10k msgs/s)", external: true, cluster: true, setup: setupLatency},
		{name: "onechat", summary: "all load in one chat of two members: msgs/s (≥ 5k/s) and relay memory (≤ 60 MB)", setup: setupOneChat},
		{name: "idle", summary: "relay memory per idle authenticated connection (target ≤ 24 KiB at 50k)", setup: setupIdle},
		{name: "soak", summary: "SIGKILL the relay at random moments under load; 0 acknowledged messages lost or duplicated", cluster: true, setup: setupSoak},
	}
}

// common are the flags every mode has.
type common struct {
	relayURL    string
	relayURLs   []string // relayURL split at commas
	store       string   // "sqlite" or "postgres"
	nodes       int
	relayBin    string
	relayLog    string
	relayArgs   stringList
	cpuProfile  string
	heapProfile string
	dbDir       string
	keepDB      bool
	jsonOut     bool
	strict      bool
}

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, " ") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

// Stores a mode can run its relays on.
const (
	storeSQLite   = "sqlite"
	storePostgres = "postgres"
	maxNodes      = 16
)

func (c *common) register(fs *flag.FlagSet, external, cluster bool) {
	c.store, c.nodes = storeSQLite, 1
	if external {
		fs.StringVar(&c.relayURL, "relay", "", "`URL`s of running relays to load, comma-separated (ws://127.x.y.z:PORT/v1/ws, loopback only), instead of starting one; connections are spread over them in turn; they must allow the rate (hush-relay --rate/--burst)")
	}
	if cluster {
		fs.StringVar(&c.store, "store", storeSQLite, "the started relays' store: sqlite (a file in --db-dir) or postgres (a throwaway PostgreSQL 15 server with fsync on, its data in --db-dir)")
		fs.IntVar(&c.nodes, "nodes", 1, "relay `processes` to start on the one database (more than 1 needs --store postgres); connections are spread over them in turn")
	}
	fs.StringVar(&c.relayBin, "relay-bin", "", "relay `command` to start, e.g. \"./hush-relay\" or \"build/bin/hush relay\" (default: this executable re-executed as the relay)")
	fs.StringVar(&c.relayLog, "relay-log", "", "append the relay's log to this `file` (default: discarded; the end is quoted on failure)")
	fs.Var(&c.relayArgs, "relay-arg", "extra `flag` for the started relay, e.g. --relay-arg=--max-in-flight=256 (repeatable)")
	fs.StringVar(&c.dbDir, "db-dir", "", "`directory` for the relay's temporary database (default: the system temporary directory); it should be on the disk whose fsync you mean to measure")
	fs.StringVar(&c.cpuProfile, "relay-cpuprofile", "", "write the started relay's CPU profile to this `file` (only for the default relay child; see go tool pprof)")
	fs.BoolVar(&c.keepDB, "keep-db", false, "keep the relay database afterwards (always kept when the soak fails)")
	fs.BoolVar(&c.jsonOut, "json", false, "print the report as JSON instead of a table")
	fs.BoolVar(&c.strict, "strict", false, "exit with status 1 when a figure misses its target")
}

// workDir makes the run's temporary directory; cleanup removes it unless kept.
func (c *common) workDir() (dir string, cleanup func(keep bool), err error) {
	dir, err = os.MkdirTemp(c.dbDir, "hush-load-")
	if err != nil {
		return "", nil, fmt.Errorf("make a temporary directory: %w", err)
	}
	return dir, func(keep bool) {
		if keep || c.keepDB {
			return
		}
		os.RemoveAll(dir)
	}, nil
}

// startRelay starts a relay child on db with the given flags plus --relay-arg ones.
func (c *common) startRelay(ctx context.Context, db, listen string, args ...string) (*relayproc.Process, error) {
	o := relayproc.Options{
		Command: strings.Fields(c.relayBin),
		DB:      db,
		Listen:  listen,
		Args:    append(append(append([]string{"--log-level", "warn"}, noHourlyLimits()...), args...), c.relayArgs...),
	}
	if c.cpuProfile != "" {
		o.Env = append(o.Env, relayproc.ProfileEnv+"="+c.cpuProfile)
	}
	if c.heapProfile != "" {
		o.Env = append(o.Env, relayproc.HeapProfileEnv+"="+c.heapProfile)
	}
	if c.relayLog != "" {
		f, err := os.OpenFile(c.relayLog, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return nil, fmt.Errorf("relay log: %w", err)
		}
		o.Log = f
		p, err := relayproc.Start(ctx, o)
		if err != nil {
			f.Close()
			return nil, err
		}
		// Wait returns (and Exited closes) only after the log is copied.
		go func() { <-p.Exited(); f.Close() }()
		return p, nil
	}
	return relayproc.Start(ctx, o)
}

// loadRelayArgs are the relay flags of the traffic modes and the soak. They lift
// the per-connection request rate and the per-account quota, which are policies for
// real devices, not capacity: a load generator sends far more per connection than a
// person. The push queue is deeper than the default so a load generator's reader,
// sharing 2 cores with the relay, is not closed as a slow consumer during a
// scheduling hiccup.
func loadRelayArgs() []string {
	return []string{"--rate", "1000000000", "--burst", "1000000000", "--quota-mb", "1048576", "--send-queue", "1024"}
}

// noHourlyLimits lifts the relay's hourly limits on new accounts, chats and inbox
// items to strangers: every mode registers far more accounts from one address than
// a network of people would, and that is the load to measure.
func noHourlyLimits() []string {
	return []string{"--new-accounts-per-hour", "0", "--new-chats-per-hour", "0", "--stranger-items-per-hour", "0"}
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "Usage: hush-load MODE [flags]\n\nPuts a Hush relay under load on loopback and measures it. Modes:\n\n")
	for _, m := range modes() {
		fmt.Fprintf(w, "  %-11s %s\n", m.name, m.summary)
	}
	fmt.Fprintf(w, "\nhush-load MODE --help lists a mode's flags. Figures and the commands that produced\nthem: docs/PERFORMANCE.md, \"Relay under load\".\n")
}

// run is the whole command line; it returns the exit status: 0 success, 1 a failed
// run (or a missed target with --strict), 2 bad usage.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	all := modes()
	i := slices.IndexFunc(all, func(m mode) bool { return m.name == args[0] })
	if i < 0 {
		fmt.Fprintf(stderr, "hush-load: unknown mode %q\n\n", args[0])
		usage(stderr)
		return 2
	}
	m := all[i]
	fs := flag.NewFlagSet("hush-load "+m.name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c common
	c.register(fs, m.external, m.cluster)
	runMode := m.setup(fs, &c)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: hush-load %s [flags]\n\n%s.\n\n", m.name, m.summary)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "hush-load %s: unexpected argument %q\n", m.name, fs.Arg(0))
		return 2
	}
	if err := c.check(); err != nil {
		fmt.Fprintf(stderr, "hush-load %s: %v\n", m.name, err)
		return 2
	}
	if c.relayBin != "" {
		if _, err := os.Stat(strings.Fields(c.relayBin)[0]); err != nil {
			fmt.Fprintf(stderr, "hush-load %s: --relay-bin: %v\n", m.name, err)
			return 2
		}
	}
	r := newReport(m.name)
	err := runMode(ctx, r)
	r.finish()
	var uerr usageError
	if errors.As(err, &uerr) {
		fmt.Fprintf(stderr, "hush-load %s: %v\n", m.name, err)
		return 2
	}
	if werr := writeReport(r, &c, stdout); werr != nil && err == nil {
		err = werr
	}
	if err != nil {
		fmt.Fprintf(stderr, "hush-load %s: %v\n", m.name, err)
		return 1
	}
	if r.Failed {
		return 1
	}
	if missed := r.missed(); len(missed) > 0 {
		fmt.Fprintf(stderr, "hush-load %s: missed targets: %s\n", m.name, strings.Join(missed, ", "))
		if c.strict {
			return 1
		}
	}
	return 0
}

func writeReport(r *report, c *common, w io.Writer) error {
	if len(r.Metrics) == 0 && len(r.Notes) == 0 {
		return nil
	}
	if c.jsonOut {
		return r.writeJSON(w)
	}
	return r.writeTable(w)
}

// usageError is a bad combination of flags found by a mode.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// check validates the flags common to every mode.
func (c *common) check() error {
	if c.relayURL != "" {
		c.relayURLs = strings.Split(c.relayURL, ",")
		for _, u := range c.relayURLs {
			if err := loadclient.CheckLoopbackURL(u); err != nil {
				return err
			}
		}
	}
	switch {
	case c.store != storeSQLite && c.store != storePostgres:
		return fmt.Errorf("--store must be %s or %s", storeSQLite, storePostgres)
	case c.nodes < 1 || c.nodes > maxNodes:
		return fmt.Errorf("--nodes must be 1..%d", maxNodes)
	case c.nodes > 1 && c.store != storePostgres:
		return fmt.Errorf("--nodes %d: several relays need --store postgres", c.nodes)
	case c.relayURL != "" && (c.nodes > 1 || c.store != storeSQLite):
		return fmt.Errorf("--relay loads running relays; --store and --nodes are for started ones")
	}
	return nil
}

// relayTarget is what a mode loads: relay children it started, or relays given by
// URL.
type relayTarget struct {
	urls  []string
	procs []*relayproc.Process // nil for --relay
	db    *database
	stop  func()
}

// proc is the one relay child, or nil when there are several or none.
func (t *relayTarget) proc() *relayproc.Process {
	if len(t.procs) != 1 {
		return nil
	}
	return t.procs[0]
}

// target starts relay children (or uses --relay) for a traffic mode.
func (c *common) target(ctx context.Context, r *report, extraArgs ...string) (*relayTarget, error) {
	if c.relayURL != "" {
		r.param("relay", c.relayURL+" (external; its memory and CPU are not measured)")
		return &relayTarget{urls: c.relayURLs, stop: func() {}}, nil
	}
	dir, cleanup, err := c.workDir()
	if err != nil {
		return nil, err
	}
	db, err := c.openDatabase(ctx, dir)
	if err != nil {
		cleanup(false)
		return nil, err
	}
	r.param("database", db.describe())
	t := &relayTarget{db: db}
	t.stop = func() {
		for _, p := range t.procs {
			if err := p.Stop(30 * time.Second); err != nil {
				r.note("relay stop: %v", err)
			}
		}
		if err := db.close(); err != nil {
			r.note("database stop: %v", err)
		}
		cleanup(false)
	}
	args := append(loadRelayArgs(), extraArgs...)
	for i := range max(c.nodes, 1) { // a zero common is one relay
		p, err := c.startRelay(ctx, db.url, "", args...)
		if err != nil {
			t.stop()
			return nil, err
		}
		t.procs, t.urls = append(t.procs, p), append(t.urls, p.URL)
		r.param(fmt.Sprintf("relay %d", i+1), describeRelay(c, p, args))
	}
	return t, nil
}

func describeRelay(c *common, p *relayproc.Process, args []string) string {
	bin := c.relayBin
	if bin == "" {
		bin = "this executable as relay.Main"
	}
	return fmt.Sprintf("child pid %d (%s) at %s, flags %s", p.PID(), bin, p.URL, strings.Join(append(args, c.relayArgs...), " "))
}
