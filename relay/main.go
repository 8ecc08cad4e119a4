package relay

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"hush/relay/store"
	"hush/sync/wire"
)

// DefaultListen is where the relay listens unless told otherwise: loopback only, so
// a relay started by accident exposes nothing. A public relay sets --public-url and
// either --listen with TLS of its own (--tls-cert, --tls-key) or sits behind a TLS
// proxy (docs/RELAY.md).
const DefaultListen = "127.0.0.1:8443"

// envPrefix prefixes the environment variable of every flag: --max-conns-per-account
// is HUSH_RELAY_MAX_CONNS_PER_ACCOUNT.
const envPrefix = "HUSH_RELAY_"

// Main runs the relay command line: `hush-relay [flags]`, also reached as
// `hush relay [flags]`. args excludes the program (and subcommand) name. It serves
// until ctx is cancelled — the caller maps SIGTERM and SIGINT to that — then shuts
// down gracefully and returns the process exit code: 0 after a clean stop, 1 on a
// runtime failure, 2 on bad usage.
//
// Every flag can also be set by an environment variable (HUSH_RELAY_ and the flag
// name in upper case with - as _) and in the TOML file --config names; a flag on the
// command line wins over the variable, which wins over the file (config.go).
// `hush-relay admin …` administers the store instead (admin.go).
// Once listening, Main prints "hush-relay listening on ws://ADDR/v1/ws" to stdout.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "admin" {
		return adminMain(ctx, args[1:], stdout, stderr)
	}
	fs := flag.NewFlagSet("hush-relay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	set := defineFlags(fs)
	if retired := retiredPublicHost(args, os.LookupEnv); retired != "" {
		fmt.Fprintf(stderr, "hush-relay: %s was replaced by --public-url, the whole address devices dial (--public-url wss://relay.example.org); see docs/RELAY.md\n", retired)
		return 2
	}
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: hush-relay [flags]\n       hush-relay admin COMMAND (hush-relay admin -h)\n\nRuns a Hush relay: it stores and forwards ciphertext between devices.\nEvery flag may be set as %sNAME (e.g. %sLISTEN) or in the --config file\n(listen = \"127.0.0.1:8443\"); flags win over the environment, which wins over the file.\n\n", envPrefix, envPrefix)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "hush-relay: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if err := applySettings(fs, os.LookupEnv); err != nil {
		fmt.Fprintf(stderr, "hush-relay: %v\n", err)
		return 2
	}
	log, err := newLogger(stderr, *set.logLevel, *set.logFormat)
	if err != nil {
		fmt.Fprintf(stderr, "hush-relay: %v\n", err)
		return 2
	}
	if (*set.tlsCert == "") != (*set.tlsKey == "") {
		fmt.Fprintln(stderr, "hush-relay: --tls-cert and --tls-key go together")
		return 2
	}
	cfg := Config{Limits: set.limits(), Logger: log, InboxRetention: *set.inboxRetention, Blobs: set.blobs()}
	if err := checkAddresses(&cfg, *set.listen, *set.publicURL, *set.trusted); err != nil {
		fmt.Fprintf(stderr, "hush-relay: %v\n", err)
		return 2
	}
	if err := checkBuiltIn(*set.db, *set.metricsAddr); err != nil {
		fmt.Fprintf(stderr, "hush-relay: %v\n", err)
		return 2
	}
	if cfg.PublicURL != "" && isLoopbackListen(*set.listen) && len(cfg.TrustedProxies) == 0 {
		log.Warn("listening on loopback with a public URL, as behind a reverse proxy, but no --trusted-proxy: every client counts as the proxy's address for the limit on new accounts")
	}
	if err := run(ctx, log, stdout, *set.listen, *set.metricsAddr, *set.db, cfg, *set.tlsCert, *set.tlsKey, *set.shutdownWait); err != nil {
		log.Error("relay failed", "err", err)
		return 1
	}
	return 0
}

// settings are the relay's flags, each also an environment variable and a key of
// the --config file (config.go).
type settings struct {
	config, listen, db, publicURL, trusted, tlsCert, tlsKey *string
	logLevel, logFormat, metricsAddr                        *string
	shutdownWait, inboxRetention                            *time.Duration
	limits                                                  func() Limits
	blobs                                                   func() BlobConfig // blobs.go
}

// defineFlags defines every setting of the relay on fs: the one list from which
// -h, the environment, the config file and the table in docs/RELAY.md all come.
func defineFlags(fs *flag.FlagSet) *settings {
	return &settings{
		config:         fs.String("config", "", "TOML `file` of settings, keys named as these flags (listen = \"127.0.0.1:8443\"); flags and the environment win over it"),
		listen:         fs.String("listen", DefaultListen, "`address` to listen on"),
		db:             fs.String("db", "hush-relay.db", "SQLite database `file` (created if missing), or the postgres:// URL of a PostgreSQL database, which several relays may share (docs/RELAY.md)"+builtOnly(withPostgres, "PostgreSQL is")),
		publicURL:      fs.String("public-url", "", "the `URL` devices dial (wss://relay.example.org), whose origin they sign when authenticating; required unless --listen is loopback"),
		trusted:        fs.String("trusted-proxy", "", "reverse proxies in front of the relay, as `CIDR[,CIDR]`; only for connections from them is the client's address taken from X-Forwarded-For"),
		tlsCert:        fs.String("tls-cert", "", "TLS certificate `file`; serve wss:// directly"),
		tlsKey:         fs.String("tls-key", "", "TLS private key `file`"),
		limits:         limitFlags(fs),
		blobs:          blobFlags(fs),
		inboxRetention: fs.Duration("inbox-retention", DefaultInboxRetention, "how long an undelivered inbox item is kept before it is deleted; 0: for ever"),
		shutdownWait:   fs.Duration("shutdown-timeout", 30*time.Second, "time to finish commits and close connections on SIGTERM"),
		logLevel:       fs.String("log-level", "info", "debug, info, warn or error"),
		logFormat:      fs.String("log-format", "text", "text or json"),
		metricsAddr:    fs.String("metrics-listen", "", "`address` to serve Prometheus metrics on, at /metrics (such as 127.0.0.1:9090); empty: none. Keep it off the Internet (docs/RELAY.md)"+builtOnly(withMetrics, "metrics are")),
	}
}

// limitFlags defines the flags of [Limits] on fs, with their defaults; the function
// it returns reads them once fs is parsed.
func limitFlags(fs *flag.FlagSet) func() Limits {
	d := DefaultLimits()
	var (
		rate         = fs.Float64("rate", d.RatePerSecond, "requests per second per connection")
		burst        = fs.Int("burst", d.Burst, "request burst per connection")
		quota        = mebibytes(d.QuotaBytes)
		maxConns     = fs.Int("max-conns-per-account", d.MaxConnsPerAccount, "open connections per account")
		maxInFlight  = fs.Int("max-in-flight", d.MaxInFlight, "unanswered requests per connection")
		sendQueue    = fs.Int("send-queue", d.SendQueue, "pushes queued per connection before it is closed as slow")
		authTimeout  = fs.Duration("auth-timeout", d.AuthTimeout, "time to authenticate after connecting")
		accountsHour = fs.Int("new-accounts-per-hour", d.NewAccountsPerHour, "new accounts per client network (IPv4 address, IPv6 /64) per hour; 0: no limit")
		chatsHour    = fs.Int("new-chats-per-hour", d.NewChatsPerHour, "chats an account may create per hour; 0: no limit")
		strangerHour = fs.Int("stranger-items-per-hour", d.StrangerItemsPerHour, "inbox items an account may send per hour to accounts it shares no chat with; 0: no limit")
		bundlesHour  = fs.Int("prekey-bundles-per-hour", d.PrekeyBundlesPerHour, "prekey bundles (secret chats started) an account may fetch per hour; 0: no limit")
	)
	fs.Var(&quota, "quota-mb", "stored ciphertext per account, in MiB (fractions too: 0.5 is 512 KiB): its messages, account log and undelivered inbox items; a write past it is refused, and its devices show the use to their user")
	return func() Limits {
		return Limits{
			AuthTimeout:          *authTimeout,
			RatePerSecond:        *rate,
			Burst:                *burst,
			MaxInFlight:          *maxInFlight,
			QuotaBytes:           int64(quota),
			MaxConnsPerAccount:   *maxConns,
			SendQueue:            *sendQueue,
			NewAccountsPerHour:   hourlyFlag(*accountsHour),
			NewChatsPerHour:      hourlyFlag(*chatsHour),
			StrangerItemsPerHour: hourlyFlag(*strangerHour),
			PrekeyBundlesPerHour: hourlyFlag(*bundlesHour),
		}
	}
}

// maxQuotaMiB bounds --quota-mb (1 PiB): far above any disk, and small enough that
// the bytes fit an int64 and a float64 exactly.
const maxQuotaMiB = 1 << 30

// mebibytes is the value of --quota-mb: bytes, set and shown in MiB. Fractions are
// allowed, so a test relay can have a quota of a few KiB.
type mebibytes int64

func (m *mebibytes) String() string {
	return strconv.FormatFloat(float64(*m)/(1<<20), 'f', -1, 64)
}

// Set parses a positive number of MiB; the bytes are rounded down, to at least 1.
func (m *mebibytes) Set(s string) error {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || !(f > 0 && f <= maxQuotaMiB) { // also refuses NaN
		return fmt.Errorf("want a number of MiB above 0 and at most %d, such as 1024 or 0.5", maxQuotaMiB)
	}
	*m = mebibytes(max(int64(f*(1<<20)), 1))
	return nil
}

// retiredPublicHost names --public-host or HUSH_RELAY_PUBLIC_HOST if args or the
// environment still set it, so an upgraded relay says what to change instead of
// ignoring the variable and refusing every device behind its proxy.
func retiredPublicHost(args []string, lookup func(string) (string, bool)) string {
	for _, a := range args {
		if a == "--" {
			break
		}
		if name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "="); strings.HasPrefix(a, "-") && name == "public-host" {
			return "--public-host"
		}
	}
	if _, set := lookup(envPrefix + "PUBLIC_HOST"); set {
		return envPrefix + "PUBLIC_HOST"
	}
	return ""
}

// hourlyFlag maps an hourly limit's flag to its [Limits] value: 0 on the command
// line means no limit.
func hourlyFlag(n int) int {
	if n <= 0 {
		return NoLimit
	}
	return n
}

// checkAddresses checks --listen, --public-url and --trusted-proxy together and sets
// cfg's fields from them. A relay that listens beyond loopback must be told its
// public URL: the origin devices sign is never taken from a request.
func checkAddresses(cfg *Config, listen, publicURL, trusted string) error {
	if publicURL != "" {
		if _, err := PublicOrigin(publicURL); err != nil {
			return fmt.Errorf("--public-url: %w", err)
		}
		cfg.PublicURL = publicURL
	} else if !isLoopbackListen(listen) {
		return fmt.Errorf("--listen %s is not a loopback address, so --public-url is required: "+
			"the address devices dial, such as --public-url wss://relay.example.org (docs/RELAY.md)", listen)
	}
	for _, f := range strings.Split(trusted, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return fmt.Errorf("--trusted-proxy %q: want CIDRs such as 127.0.0.1/32,10.0.0.0/8", f)
		}
		cfg.TrustedProxies = append(cfg.TrustedProxies, p.Masked())
	}
	return nil
}

// isLoopbackListen reports whether a --listen address is on loopback only: a
// loopback IP or "localhost" with a port. An empty host (every interface) is not.
func isLoopbackListen(listen string) bool {
	host, _, err := net.SplitHostPort(listen)
	return err == nil && host != "" && wire.IsLoopbackHost(host)
}

// applyEnv sets every flag not given on the command line from its environment
// variable, if that is set.
func applyEnv(fs *flag.FlagSet, lookup func(string) (string, bool)) error {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		if given[f.Name] {
			return
		}
		name := envName(f.Name)
		if v, ok := lookup(name); ok {
			if err := fs.Set(f.Name, v); err != nil {
				errs = append(errs, fmt.Errorf("%s=%q: %w", name, v, err))
			}
		}
	})
	return errors.Join(errs...)
}

func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("log level %q: %w", level, err)
	}
	opts := &slog.HandlerOptions{Level: l}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("log format %q: want text or json", format)
}

// closingStore is a [Store] the command opened and closes.
type closingStore interface {
	Store
	Close() error
}

// ErrNoPostgres reports a postgres:// --db given to a relay built without
// PostgreSQL (the tag hush_omit_postgres): the desktop binary's `hush relay`.
var ErrNoPostgres = errors.New("this build runs a relay on a SQLite file only; a PostgreSQL database, shared by several relays, needs hush-relay, the server build (docs/RELAY.md, \"Several relays\")")

// ErrNoMetrics reports --metrics-listen given to a relay built without Prometheus
// metrics (the tag hush_omit_metrics): the desktop binary's `hush relay`.
var ErrNoMetrics = errors.New("this build serves no metrics; Prometheus metrics need hush-relay, the server build (docs/RELAY.md, \"Metrics\")")

// builtOnly is what a flag's help adds when this build left its feature out.
func builtOnly(built bool, feature string) string {
	if built {
		return ""
	}
	return "; " + feature + " not in this build, only in hush-relay"
}

// checkBuiltIn refuses, before anything is opened, what this build left out.
func checkBuiltIn(db, metricsAddr string) error {
	if isPostgres(db) && !withPostgres {
		return fmt.Errorf("--db: %w", ErrNoPostgres)
	}
	if metricsAddr != "" && !withMetrics {
		return fmt.Errorf("--metrics-listen: %w", ErrNoMetrics)
	}
	return nil
}

// isPostgres reports whether --db names a PostgreSQL database rather than a file.
func isPostgres(db string) bool {
	return strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://")
}

// openStore opens the store --db names: a postgres:// URL is PostgreSQL, anything
// else a SQLite file. It also returns the name to log, without a password.
func openStore(ctx context.Context, db string, log *slog.Logger) (closingStore, string, error) {
	if !isPostgres(db) {
		st, err := store.Open(ctx, db, log)
		return st, db, err
	}
	shown := "postgres://…"
	if u, err := url.Parse(db); err == nil {
		shown = u.Redacted()
	}
	st, err := openPostgres(ctx, db, log)
	if err != nil {
		return nil, shown, fmt.Errorf("%s: %w", shown, err)
	}
	return st, shown, nil
}

func run(ctx context.Context, log *slog.Logger, stdout io.Writer, listen, metricsAddr, db string, cfg Config, tlsCert, tlsKey string, shutdownWait time.Duration) error {
	st, dbName, err := openStore(ctx, db, log)
	if err != nil {
		return err
	}
	defer func() {
		if err := st.Close(); err != nil {
			log.Error("close store", "err", err)
		}
	}()
	cfg.Store = st
	blobs, closeBlobs, err := OpenBlobStore(st, db)
	if err != nil {
		return fmt.Errorf("blob store: %w", err)
	}
	defer func() {
		if err := closeBlobs(); err != nil {
			log.Error("close blob store", "err", err)
		}
	}()
	cfg.Blobs.Store = blobs
	srv, err := New(cfg)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		srv.Shutdown(context.Background())
		return fmt.Errorf("listen: %w", err)
	}
	if metricsAddr != "" {
		stop, err := serveMetrics(log, stdout, metricsAddr, srv)
		if err != nil {
			ln.Close()
			srv.Shutdown(context.Background())
			return err
		}
		defer stop()
	}
	scheme := "ws"
	if tlsCert != "" {
		scheme = "wss"
	}
	log.Info("relay listening", "addr", ln.Addr().String(), "db", dbName, "tls", tlsCert != "", "public_url", cfg.PublicURL)
	fmt.Fprintf(stdout, "hush-relay listening on %s://%s%s\n", scheme, ln.Addr(), wire.Path)
	served := make(chan error, 1)
	go func() {
		if tlsCert != "" {
			served <- srv.ServeTLS(ln, tlsCert, tlsKey)
		} else {
			served <- srv.Serve(ln)
		}
	}()
	select {
	case err := <-served:
		srv.Shutdown(context.Background())
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownWait)
	defer cancel()
	err = srv.Shutdown(sctx)
	<-served
	return err
}

// serveMetrics serves srv's metrics at /metrics on their own listener
// (--metrics-listen), apart from the devices' one: they tell how busy the relay is
// and when, which is for its operator, not for whoever can reach port 443. It
// returns the function that stops it.
func serveMetrics(log *slog.Logger, stdout io.Writer, addr string, srv *Server) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics listen: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", srv.MetricsHandler())
	hs := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	if !isLoopbackListen(addr) {
		log.Warn("metrics listening beyond loopback: they have no authentication, so firewall the port to the scraper (docs/RELAY.md, \"Metrics\")", "addr", addr)
	}
	log.Info("metrics listening", "addr", ln.Addr().String())
	fmt.Fprintf(stdout, "hush-relay metrics on http://%s/metrics\n", ln.Addr())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := hs.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics server failed", "err", err)
		}
	}()
	return func() {
		hs.Close()
		<-done
	}, nil
}
