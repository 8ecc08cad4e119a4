// Package relay is the Hush relay server: it authenticates devices, keeps chat logs,
// account logs and device inboxes of ciphertext, and pushes new entries to connected
// devices, speaking the protocol of [hush/sync/wire] (docs/PROTOCOL.md) over one
// WebSocket per device.
//
// A relay is a [Server] built with [New] from a [Config] whose Store is the SQLite
// or the PostgreSQL store of [hush/relay/store] (several relays may share one
// PostgreSQL database: cluster.go); [Main] is the whole command line
// (`hush-relay`, `hush relay`). A relay beyond loopback needs [Config.PublicURL],
// the address its devices dial, whose origin they sign (docs/RELAY.md). Every write
// goes through a single commit loop that batches the writes of all connections into
// one durable transaction (group commit) and acknowledges each only after that
// transaction committed.
//
// For its operator (docs/RELAY.md): /healthz and /readyz beside the protocol,
// Prometheus metrics on a listener of their own ([Server.MetricsHandler],
// metrics.go), undelivered inbox items expired after [Config.InboxRetention]
// (retention.go), settings from flags, environment and a TOML file (config.go),
// and `hush-relay admin` on the store (admin.go).
//
// The build tags hush_omit_postgres and hush_omit_metrics leave out the PostgreSQL
// store and the metrics, and the libraries behind them (postgres.go, metrics.go);
// the desktop binary is built so (docs/ARCHITECTURE.md, "What each binary links").
package relay

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"hush/clock"
	"hush/ids"
	"hush/relay/store"
	"hush/sync/wire"
)

// Limits are the relay's per-connection and per-account limits. Zero fields take the
// defaults of [DefaultLimits].
type Limits struct {
	AuthTimeout        time.Duration // to receive a valid Auth after connecting
	RatePerSecond      float64       // requests per second per connection (token bucket)
	Burst              int           // token bucket size
	MaxInFlight        int           // requests per connection whose response is not yet written
	QuotaBytes         int64         // ciphertext bytes stored per account
	MaxConnsPerAccount int           // open authenticated connections per account
	SendQueue          int           // pushes queued per connection before it counts as slow
	WriteTimeout       time.Duration // for one frame to a slow client
	MaxBadFrames       int           // malformed frames tolerated per connection
	ReadLimit          int64         // hard cap of one WebSocket message; above it, close 1009
	MaxBatch           int           // writes per group commit

	// Hourly limits on what costs a stranger nothing (limits.go); NoLimit turns one
	// off.
	NewAccountsPerHour   int // accounts registered per source network (IPv4 address, IPv6 /64)
	NewChatsPerHour      int // chats created per account
	StrangerItemsPerHour int // inbox items per account to devices of accounts it shares no chat with
	PrekeyBundlesPerHour int // prekey bundles an account fetches (each uses one-time prekeys up)

	// Link sessions (link.go) open at once, at this relay and per source network.
	MaxLinkSessions           int
	MaxLinkSessionsPerNetwork int
}

// DefaultLimits returns the limits documented in docs/PROTOCOL.md.
//
// SendQueue is twice MaxInFlight: one group commit can hold a sender's whole window,
// which lands in a receiver's queue at once while the previous batch may still be in
// it. With 128, a receiver reading as fast as it could was closed as slow in 3 of 30
// runs of TestThousandSendsInOrder (-race); the queue grows only while it holds
// pushes, so idle connections pay nothing for the headroom.
func DefaultLimits() Limits {
	return Limits{
		AuthTimeout:               10 * time.Second,
		MaxLinkSessions:           10000,
		MaxLinkSessionsPerNetwork: 8,
		RatePerSecond:             200,
		Burst:                     400,
		MaxInFlight:               128,
		QuotaBytes:                1 << 30,
		MaxConnsPerAccount:        16,
		SendQueue:                 256,
		WriteTimeout:              10 * time.Second,
		MaxBadFrames:              10,
		ReadLimit:                 1 << 20,
		MaxBatch:                  4096,

		NewAccountsPerHour:   DefaultNewAccountsPerHour,
		NewChatsPerHour:      DefaultNewChatsPerHour,
		StrangerItemsPerHour: DefaultStrangerItemsPerHour,
		PrekeyBundlesPerHour: DefaultPrekeyBundlesPerHour,
	}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.AuthTimeout <= 0 {
		l.AuthTimeout = d.AuthTimeout
	}
	if l.MaxLinkSessions <= 0 {
		l.MaxLinkSessions = d.MaxLinkSessions
	}
	if l.MaxLinkSessionsPerNetwork <= 0 {
		l.MaxLinkSessionsPerNetwork = d.MaxLinkSessionsPerNetwork
	}
	if l.RatePerSecond <= 0 {
		l.RatePerSecond = d.RatePerSecond
	}
	if l.Burst <= 0 {
		l.Burst = d.Burst
	}
	if l.MaxInFlight <= 0 {
		l.MaxInFlight = d.MaxInFlight
	}
	if l.QuotaBytes <= 0 {
		l.QuotaBytes = d.QuotaBytes
	}
	if l.MaxConnsPerAccount <= 0 {
		l.MaxConnsPerAccount = d.MaxConnsPerAccount
	}
	if l.SendQueue <= 0 {
		l.SendQueue = d.SendQueue
	}
	if l.WriteTimeout <= 0 {
		l.WriteTimeout = d.WriteTimeout
	}
	if l.MaxBadFrames <= 0 {
		l.MaxBadFrames = d.MaxBadFrames
	}
	if l.ReadLimit < wire.MaxFrameSize {
		l.ReadLimit = d.ReadLimit
	}
	if l.MaxBatch <= 0 {
		l.MaxBatch = d.MaxBatch
	}
	if l.NewAccountsPerHour == 0 {
		l.NewAccountsPerHour = d.NewAccountsPerHour
	}
	if l.NewChatsPerHour == 0 {
		l.NewChatsPerHour = d.NewChatsPerHour
	}
	if l.StrangerItemsPerHour == 0 {
		l.StrangerItemsPerHour = d.StrangerItemsPerHour
	}
	if l.PrekeyBundlesPerHour == 0 {
		l.PrekeyBundlesPerHour = d.PrekeyBundlesPerHour
	}
	return l
}

// Config configures a [Server].
type Config struct {
	// Store keeps the relay's state; required. The caller opens and closes it.
	Store Store
	// PublicURL is the relay's address as devices dial it, such as
	// "wss://relay.example.org". A device signs the origin of the address it dials
	// (wire.AuthMessage), and the relay accepts only its own: PublicURL's origin,
	// never one read from a request. Required for a relay that listens anywhere but
	// loopback ([ErrPublicURLRequired]). Without it, a relay listening on loopback
	// accepts the loopback origins of the port it listens on: ws://127.0.0.1:P,
	// ws://localhost:P and ws://[::1]:P, and their wss:// forms when it serves TLS.
	// Plain ws:// is refused for any host but loopback (devices would refuse it).
	PublicURL string
	// TrustedProxies are the networks of the reverse proxies in front of the relay.
	// For a connection from one of them, the relay takes the client's address from
	// X-Forwarded-For (the rightmost entry that is not itself a trusted proxy), for
	// the per-network limits; for any other connection it uses the TCP peer and
	// ignores the header.
	TrustedProxies []netip.Prefix
	Limits         Limits
	// InboxRetention is how long an inbox item waits for its device before the
	// relay deletes it (retention.go); 0 keeps items until they are acknowledged.
	// The command's default is [DefaultInboxRetention].
	InboxRetention time.Duration
	// Blobs configures attachment storage (blobs.go).
	Blobs  BlobConfig
	Logger *slog.Logger // nil: discard
	Clock  clock.Clock  // nil: the system clock
}

// Store is what the relay needs from its storage. [store.SQLite] and
// [store.Postgres] implement it; a Store that is also a [Cluster] may be shared by
// several relays.
type Store interface {
	// Write runs fn in one durable transaction. Only the relay's commit loop calls it.
	Write(ctx context.Context, fn func(store.Tx) error) error

	Account(ctx context.Context, id ids.Account) (store.Account, error)
	AccountByHandle(ctx context.Context, handle string) (store.Account, error)
	Device(ctx context.Context, id ids.Device) (store.Device, error)
	ActiveDeviceCerts(ctx context.Context, account ids.Account) ([][]byte, error)
	Peers(ctx context.Context, account ids.Account) ([]ids.Account, error)
	LastSeen(ctx context.Context, account ids.Account) ([]wire.DeviceSeen, error)
	ChatInfo(ctx context.Context, chat ids.Chat, reader ids.Account) (wire.ChatInfo, error)
	Chats(ctx context.Context, account ids.Account, after ids.Chat, limit int) ([]wire.ChatSummary, bool, error)
	Messages(ctx context.Context, chat ids.Chat, reader ids.Account, after uint64, limit, maxBytes int) ([]wire.Entry, bool, error)
	Epochs(ctx context.Context, chat ids.Chat, reader ids.Account, from uint64, limit, maxBytes int) ([]wire.EpochKey, bool, error)
	Log(ctx context.Context, chat ids.Chat, reader ids.Account, from uint64, limit, maxBytes int) ([][]byte, bool, error)
	AccountLog(ctx context.Context, account ids.Account, after uint64, limit, maxBytes int) ([]wire.AccountEntry, bool, error)
	Inbox(ctx context.Context, device ids.Device, after uint64, limit, maxBytes int) ([]wire.InboxItem, bool, error)
	Acquainted(ctx context.Context, account ids.Account, device ids.Device) (bool, error)
	// DisabledSince returns up to limit accounts disabled after the given time
	// (Unix milliseconds), in the order they were, and the newest one's time.
	DisabledSince(ctx context.Context, after int64, limit int) ([]ids.Account, int64, error)
	// Ready returns nil when the store answers a cheap query and its schema is the
	// one this code writes: what /readyz reports.
	Ready(ctx context.Context) error
}

var _ Store = (*store.SQLite)(nil)

// ErrServerClosed is returned by [Server.Serve] after [Server.Shutdown].
var ErrServerClosed = errors.New("relay: server closed")

// ErrPublicURLRequired is returned by [Server.Serve] for a listener that is not on
// loopback when [Config.PublicURL] is empty: the relay would not know which origin
// its devices sign, and must not guess it from requests.
var ErrPublicURLRequired = errors.New("relay: a relay that listens beyond loopback needs its public URL (--public-url wss://…)")

// Server is a relay. Create it with [New]; serve it with [Server.Serve] and stop it
// with [Server.Shutdown].
type Server struct {
	store   Store
	limits  Limits
	blobs   BlobConfig
	log     *slog.Logger
	clock   clock.Clock
	trusted []netip.Prefix
	hourly  *hourlyLimits

	// origins are the origins devices may sign: PublicURL's (public), or those
	// Serve adds for a loopback listener. Copied on write, under originsMu.
	public    bool
	originsMu sync.Mutex
	origins   atomic.Pointer[[]wire.Origin]
	// originOf, set only by tests (export_test.go), replaces origins with one taken
	// from each request, as relays did before PublicURL: the attack test shows
	// what that lets through.
	originOf atomic.Pointer[func(*http.Request) wire.Origin]

	hub     hub
	fan     *fanout // nil for a relay alone on its store
	links   linkTable
	writer  *writer
	http    *http.Server
	metrics *metrics

	mu       sync.RWMutex // guards closing against submissions to the writer
	closing  bool
	timers   []clock.Timer // the next run of each periodic task (every); under mu
	connsWG  sync.WaitGroup
	baseCtx  context.Context
	stopBase context.CancelFunc
}

// New returns a relay serving cfg.Store. Its commit loop starts at once.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil {
		return nil, errors.New("relay: Config.Store is required")
	}
	s := &Server{
		limits:  cfg.Limits.withDefaults(),
		blobs:   cfg.Blobs.withDefaults(),
		log:     cfg.Logger,
		clock:   cfg.Clock,
		trusted: slices.Clone(cfg.TrustedProxies),
	}
	s.hourly = newHourlyLimits(s.limits)
	s.metrics = newMetrics(s)
	s.store = s.metrics.timed(cfg.Store)
	if cfg.PublicURL != "" {
		o, err := PublicOrigin(cfg.PublicURL)
		if err != nil {
			return nil, fmt.Errorf("relay: public URL: %w", err)
		}
		s.origins.Store(&[]wire.Origin{o})
		s.public = true
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.clock == nil {
		s.clock = clock.Real()
	}
	s.baseCtx, s.stopBase = context.WithCancel(context.Background())
	s.hub.init()
	if c, ok := cfg.Store.(Cluster); ok {
		s.fan = newFanout(s, c)
		if err := s.fan.start(); err != nil {
			s.stopBase()
			return nil, err
		}
	}
	s.writer = newWriter(s)
	go s.writer.run()
	startSweeper(s, cfg.InboxRetention)
	startBlobSweeper(s)
	startDisabledWatch(s)
	startReread(s)
	s.http = &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return s.baseCtx },
	}
	return s, nil
}

// PublicOrigin checks a relay's public URL ([Config.PublicURL], --public-url) and
// returns the origin its devices sign. Plain ws:// is refused for any host but
// loopback, since devices refuse to dial it.
func PublicOrigin(publicURL string) (wire.Origin, error) {
	o, err := wire.ParseOrigin(publicURL)
	if err != nil {
		return "", err
	}
	if o.Insecure() {
		return "", fmt.Errorf("%s: plain ws:// is only for loopback, devices refuse it for %s; use wss://%s", o, o.Host(), o.Host())
	}
	return o, nil
}

// Handler returns the relay's HTTP handler: the protocol at [wire.Path], /healthz
// (the process serves) and /readyz (its store answers and is migrated; docs/RELAY.md,
// "Health"). Mounted elsewhere than by [Server.Serve], it authenticates devices only
// when [Config.PublicURL] is set. The metrics are not here: see [Server.MetricsHandler].
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+wire.Path, s.serveWS)
	mux.HandleFunc("GET /healthz", s.serveHealth)
	mux.HandleFunc("GET /readyz", s.serveReady)
	return mux
}

// Serve accepts connections on l until [Server.Shutdown]; then it returns
// [ErrServerClosed]. Without [Config.PublicURL], l must be on loopback (else
// [ErrPublicURLRequired]), and the relay accepts the loopback origins of its port.
// Serve closes l when it returns.
func (s *Server) Serve(l net.Listener) error {
	if err := s.listening(l, false); err != nil {
		l.Close()
		return err
	}
	if err := s.http.Serve(l); !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("relay: serve: %w", err)
	}
	return ErrServerClosed
}

// ServeTLS is [Server.Serve] with TLS from the given certificate and key files.
func (s *Server) ServeTLS(l net.Listener, certFile, keyFile string) error {
	if err := s.listening(l, true); err != nil {
		l.Close()
		return err
	}
	if err := s.http.ServeTLS(l, certFile, keyFile); !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("relay: serve: %w", err)
	}
	return ErrServerClosed
}

// listening checks a listener Serve was given and, without a public URL, adds the
// loopback origins of its port: every spelling of loopback a device on this
// computer may have dialled, with the port the relay really listens on.
func (s *Server) listening(l net.Listener, tls bool) error {
	s.originsMu.Lock()
	defer s.originsMu.Unlock()
	if s.public {
		return nil
	}
	a, ok := l.Addr().(*net.TCPAddr)
	if !ok || !a.IP.IsLoopback() {
		return fmt.Errorf("%w: listening on %v", ErrPublicURLRequired, l.Addr())
	}
	schemes := []string{"ws"}
	if tls {
		schemes = append(schemes, "wss")
	}
	list := slices.Clone(s.acceptedOrigins())
	for _, scheme := range schemes {
		for _, host := range []string{"127.0.0.1", "localhost", "[::1]"} {
			o, err := wire.ParseOrigin(scheme + "://" + host + ":" + strconv.Itoa(a.Port))
			if err != nil {
				return fmt.Errorf("relay: loopback origin: %w", err)
			}
			if !slices.Contains(list, o) {
				list = append(list, o)
			}
		}
	}
	s.origins.Store(&list)
	return nil
}

// acceptedOrigins returns the origins devices may sign; nil before a loopback
// listener was served when no public URL is set.
func (s *Server) acceptedOrigins() []wire.Origin {
	if p := s.origins.Load(); p != nil {
		return *p
	}
	return nil
}

func (s *Server) isClosing() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.closing
}

func (s *Server) serveHealth(w http.ResponseWriter, r *http.Request) {
	if s.isClosing() {
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, "ok")
}

// readyTimeout bounds /readyz's query: a load balancer asks often, and a store that
// takes longer than this is as good as unreachable for devices.
const readyTimeout = 2 * time.Second

// serveReady answers 200 when the store answers and its schema is current, 503
// otherwise, so a load balancer sends no devices to a relay that cannot store
// their writes. The reason goes to the log, not to the (public) response.
func (s *Server) serveReady(w http.ResponseWriter, r *http.Request) {
	if s.isClosing() {
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
	defer cancel()
	if err := s.store.Ready(ctx); err != nil {
		s.log.WarnContext(ctx, "not ready", "err", err)
		http.Error(w, "store not ready", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, "ready")
}

func (s *Server) serveWS(w http.ResponseWriter, r *http.Request) {
	if s.isClosing() {
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	}
	cw := &corkWriter{ResponseWriter: w, timeout: s.limits.WriteTimeout}
	ws, err := websocket.Accept(cw, r, &websocket.AcceptOptions{
		// Devices are native apps, not pages: there is no Origin to check, and the
		// authentication is a signature, not a cookie.
		InsecureSkipVerify: true,
		CompressionMode:    websocket.CompressionDisabled,
	})
	if err != nil {
		s.log.DebugContext(r.Context(), "websocket accept failed", "err", err)
		return
	}
	origins := s.acceptedOrigins()
	if f := s.originOf.Load(); f != nil {
		origins = []wire.Origin{(*f)(r)}
	}
	c := newConn(s, ws, cw.conn, origins, r.RemoteAddr, sourceNetwork(clientAddr(r, s.trusted)))
	if !s.hub.track(c, &s.connsWG) {
		ws.Close(websocket.StatusGoingAway, "relay shutting down")
		return
	}
	if !c.open() {
		c.teardown()
		s.connsWG.Done()
		return
	}
	// The read loop runs on a fresh goroutine and this handler returns: net/http then
	// frees the request, its connection state and this goroutine's grown stack, which
	// would otherwise stay with every idle connection.
	go func() {
		defer s.connsWG.Done()
		defer c.teardown()
		c.readLoop()
	}()
}

// every runs fn every d on the relay's clock, from d after now until the relay
// shuts down; fn runs on a timer's goroutine, one run at a time.
func (s *Server) every(d time.Duration, fn func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := len(s.timers)
	var tick func()
	tick = func() {
		if s.isClosing() {
			return
		}
		fn()
		s.mu.Lock()
		defer s.mu.Unlock()
		if !s.closing {
			s.timers[i] = s.clock.AfterFunc(d, tick)
		}
	}
	s.timers = append(s.timers, s.clock.AfterFunc(d, tick))
}

// submit hands a write to the commit loop, unless the relay is shutting down.
func (s *Server) submit(o op) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closing {
		return &wire.Error{Code: wire.CodeShuttingDown, Message: "relay is shutting down", RetryAfter: time.Second}
	}
	s.writer.ops <- o
	return nil
}

// Shutdown stops the relay gracefully: it stops accepting connections and writes,
// lets the commit loop commit and acknowledge every write already received, then
// closes every connection (status 1001) after flushing what was queued for it. When
// ctx ends first, the remaining connections are closed at once. The store stays open;
// the caller closes it after Shutdown returns.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	already := s.closing
	s.closing = true
	for _, t := range s.timers {
		t.Stop()
	}
	s.mu.Unlock()
	if already {
		return errors.New("relay: Shutdown called twice")
	}
	s.log.InfoContext(ctx, "relay shutting down")
	httpErr := s.http.Shutdown(ctx)
	close(s.writer.ops)
	select {
	case <-s.writer.done:
	case <-ctx.Done():
		// The commit loop is stuck in the store; connections go down now, and whatever
		// it commits will never be acknowledged — clients resend, idempotently.
	}
	for _, c := range s.hub.all() {
		c.close(websocket.StatusGoingAway, "relay shutting down")
	}
	done := make(chan struct{})
	go func() { s.connsWG.Wait(); close(done) }()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		for _, c := range s.hub.all() {
			c.ws.CloseNow()
		}
		<-done
		err = ctx.Err()
	}
	<-s.writer.done
	s.stopBase()
	if s.fan != nil {
		<-s.fan.done
	}
	if httpErr != nil && !errors.Is(httpErr, context.Canceled) && !errors.Is(httpErr, context.DeadlineExceeded) {
		err = errors.Join(err, httpErr)
	}
	if err != nil {
		return fmt.Errorf("relay: shutdown: %w", err)
	}
	s.log.Info("relay stopped")
	return nil
}

// Stats are the relay's counters since it started.
type Stats struct {
	Commits int64 // durable transactions (group commits)
	Writes  int64 // writes committed in them
}

// Stats returns the relay's counters; Writes/Commits is the mean group-commit size.
func (s *Server) Stats() Stats {
	return Stats{Commits: s.writer.commits.Load(), Writes: s.writer.writes.Load()}
}
