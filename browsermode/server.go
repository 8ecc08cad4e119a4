// Package browsermode serves Hush's frontend and its Go API over HTTP and
// WebSocket on a loopback address (`hush --web 127.0.0.1:PORT`), so the real
// UI can be driven by Playwright in headless Chromium and used on machines
// without a webview.
//
// The contract is docs/API.md: the same services Wails binds for the desktop
// window are reached as POST /api/call/<Service>/<Method> with a JSON array of
// arguments, and events arrive as text messages {"name", "data"} on the
// WebSocket GET /api/events. Most callers need only [New], [Server.Start],
// [Server.Emit] and [Server.Shutdown].
//
// Anything on the machine can connect to a loopback port, including web pages
// the user has open, so every request must carry the per-start session token
// (cookie or X-Hush-Token header), must name a loopback Host (DNS rebinding)
// and, when it carries an Origin, must come from this server's own origin
// (cross-site request forgery and WebSocket hijacking).
package browsermode

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Limits and timeouts. They are generous for a single local user and small
// enough that a misbehaving client cannot pin memory or goroutines.
const (
	tokenBytes        = 32               // session token entropy, sent as 64 hex digits
	maxBodyBytes      = 1 << 20          // cap on an API request body
	maxHeaderBytes    = 64 << 10         // cap on request headers
	readHeaderTimeout = 5 * time.Second  // slow-loris guard
	readTimeout       = 30 * time.Second // whole request, body included
	writeTimeout      = 2 * time.Minute  // an API call may run Argon2id and then write
	idleTimeout       = 2 * time.Minute  // keep-alive connections
)

// Names on the wire.
const (
	tokenCookie = "hush_token"
	tokenHeader = "X-Hush-Token"
	tokenQuery  = "token"
	callPrefix  = "/api/call/"
	eventsPath  = "/api/events"
	apiPrefix   = "/api/"
)

// Errors callers may branch on.
var (
	// ErrNotLoopback reports an [Options.Addr] that is not a loopback address.
	// Browser mode never listens where another machine could reach it.
	ErrNotLoopback = errors.New("browser mode listens on loopback addresses only")

	// ErrStarted reports a second call to [Server.Start]. A Server serves one
	// session; make a new one to serve again.
	ErrStarted = errors.New("browser mode server already started")
)

// Options configures a [Server].
type Options struct {
	// Addr is host:port. The host must be a loopback IP (127.0.0.0/8 or ::1)
	// or "localhost" (taken as 127.0.0.1, without asking a resolver); port 0
	// picks a free port. Anything else is refused with [ErrNotLoopback].
	Addr string
	// Assets is the built frontend, with index.html at its root.
	Assets fs.FS
	// Services are pointers to the bound service structs (for example
	// &app.AccountService{...}); each exported method is reachable as
	// /api/call/<TypeName>/<Method>.
	Services []any
	// Logger receives the server's logs; nil means slog.Default().
	Logger *slog.Logger
	// Upload, if set, receives the body of POST /api/upload — a file the user
	// picked, streamed, of any size — and returns an id the page then passes to
	// a service (a backup to import, a file to send). name is the query's
	// "name": the file's name as the page gave it, "" if none. Its context ends
	// with the request.
	Upload func(ctx context.Context, name string, body io.Reader) (id string, err error)
	// Download, if set, opens the file GET /api/download/<id> sends as an
	// attachment (an exported backup, a file received), with the name the
	// browser saves it under; an unknown id is ErrNoSuchDownload.
	Download func(id string) (name string, body io.ReadCloser, err error)
}

// Server serves one browser-mode session. Create it with [New]; the zero
// value is not usable.
type Server struct {
	log      *slog.Logger
	assets   fs.FS
	services map[string]*service
	upload   func(context.Context, string, io.Reader) (string, error)
	download func(string) (string, io.ReadCloser, error)
	listenIP netip.Addr
	port     uint16

	// Event-socket timing; tests shorten these and replace the ticker.
	pingInterval time.Duration
	pingTimeout  time.Duration
	eventTimeout time.Duration // write timeout for one event
	newTicker    func(time.Duration) (<-chan time.Time, func())

	mu       sync.Mutex
	started  bool
	closed   bool
	srv      *http.Server
	served   chan struct{} // closed when Serve returns
	clients  map[*client]struct{}
	wsWG     sync.WaitGroup  // event handlers still running
	wsCtx    context.Context // cancelled at Shutdown: event sockets say goodbye
	wsCancel context.CancelFunc
}

// session is what one Start fixes: the token and the Host values accepted.
type session struct {
	token []byte          // hex digits, compared in constant time
	hosts map[string]bool // lower-case host:port values a browser may send
}

// New checks opts and prepares a server; nothing listens until [Server.Start].
func New(opts Options) (*Server, error) {
	ip, port, err := parseLoopback(opts.Addr)
	if err != nil {
		return nil, err
	}
	if opts.Assets == nil {
		return nil, errors.New("browser mode: no frontend assets")
	}
	if _, err := fs.Stat(opts.Assets, "index.html"); err != nil {
		return nil, fmt.Errorf("browser mode: frontend assets have no index.html (build the frontend first): %w", err)
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.Default()
	}
	services, err := bindServices(opts.Services, logger)
	if err != nil {
		return nil, err
	}
	return &Server{
		log:          logger,
		assets:       opts.Assets,
		services:     services,
		upload:       opts.Upload,
		download:     opts.Download,
		listenIP:     ip,
		port:         port,
		pingInterval: defaultPingInterval,
		pingTimeout:  defaultPingTimeout,
		eventTimeout: defaultEventWriteTimeout,
		newTicker:    realTicker,
		clients:      make(map[*client]struct{}),
	}, nil
}

// parseLoopback accepts host:port where host is a loopback IP literal or
// "localhost". Names other than localhost are refused rather than resolved:
// what a name resolves to can change after the check.
func parseLoopback(addr string) (netip.Addr, uint16, error) {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return netip.Addr{}, 0, fmt.Errorf("%w: %q: %v", ErrNotLoopback, addr, err)
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil {
		return netip.Addr{}, 0, fmt.Errorf("%w: %q: bad port", ErrNotLoopback, addr)
	}
	if strings.EqualFold(host, "localhost") {
		return netip.AddrFrom4([4]byte{127, 0, 0, 1}), uint16(port), nil
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || ip.Zone() != "" {
		return netip.Addr{}, 0, fmt.Errorf("%w: %q: host must be a loopback IP or localhost", ErrNotLoopback, addr)
	}
	ip = ip.Unmap()
	if !ip.IsLoopback() {
		return netip.Addr{}, 0, fmt.Errorf("%w: %q is not a loopback address", ErrNotLoopback, addr)
	}
	return ip, uint16(port), nil
}

// Start listens and serves in the background. It returns the URL to open,
// http://HOST:PORT/?token=HEX; the token is fresh for every server, so the URL
// is a secret: print it for the user, never log it. ctx bounds only the
// listen; [Server.Shutdown] stops serving.
func (s *Server) Start(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started || s.closed {
		return "", ErrStarted
	}
	var lc net.ListenConfig
	addr := netip.AddrPortFrom(s.listenIP, s.port).String()
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return "", fmt.Errorf("browser mode: listen on %s: %w", addr, err)
	}
	port := uint16(ln.Addr().(*net.TCPAddr).Port)

	raw := make([]byte, tokenBytes)
	rand.Read(raw) // never fails (crypto/rand since Go 1.24)
	sess := &session{
		token: []byte(hex.EncodeToString(raw)),
		hosts: allowedHosts(s.listenIP, port),
	}
	base := context.WithoutCancel(ctx)
	s.wsCtx, s.wsCancel = context.WithCancel(base)
	s.srv = &http.Server{
		Handler:           s.handler(sess),
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return base },
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			return context.WithValue(ctx, netConnKey{}, c)
		},
	}
	s.served = make(chan struct{})
	s.started = true
	go func() {
		defer close(s.served)
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("browser mode stopped serving", "err", err)
		}
	}()

	hostPort := netip.AddrPortFrom(s.listenIP, port).String()
	s.log.Info("browser mode listening", "addr", hostPort)
	u := url.URL{Scheme: "http", Host: hostPort, Path: "/", RawQuery: tokenQuery + "=" + string(sess.token)}
	return u.String(), nil
}

// allowedHosts lists the Host header values a browser sends for this
// listener. Any other name reaching the port is a DNS-rebinding attempt.
func allowedHosts(ip netip.Addr, port uint16) map[string]bool {
	p := strconv.Itoa(int(port))
	return map[string]bool{
		"127.0.0.1:" + p: true,
		"localhost:" + p: true,
		"[::1]:" + p:     true,
		strings.ToLower(netip.AddrPortFrom(ip, port).String()): true,
	}
}

// Shutdown stops accepting connections, closes event sockets with
// StatusGoingAway and waits for API calls in flight until ctx ends. It is
// safe to call more than once and before Start.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	if !s.started || s.closed {
		s.closed = true
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.wsCancel()
	s.mu.Unlock()

	err := s.srv.Shutdown(ctx)
	if err != nil {
		err = fmt.Errorf("browser mode: shutdown: %w", err)
	}

	// http.Server does not track hijacked connections; wait for the event
	// handlers ourselves, and cut the stragglers when ctx runs out.
	done := make(chan struct{})
	go func() {
		s.wsWG.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		s.closeAllNow()
		<-done
		if err == nil {
			err = fmt.Errorf("browser mode: shutdown: event sockets: %w", ctx.Err())
		}
	}
	<-s.served
	return err
}

// handler wraps routing in the checks every request must pass, in order:
// Host, Origin, token.
func (s *Server) handler(sess *session) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := strings.ToLower(r.Host)
		if !sess.hosts[host] {
			writeError(w, http.StatusForbidden, "forbidden host")
			return
		}
		setSecurityHeaders(w.Header(), host)
		if origin := r.Header.Get("Origin"); origin != "" && !strings.EqualFold(origin, "http://"+host) {
			writeError(w, http.StatusForbidden, "forbidden origin")
			return
		}
		if r.URL.Path == "/" && r.URL.Query().Has(tokenQuery) {
			s.login(w, r, sess)
			return
		}
		if status, msg := sess.authorize(r); status != 0 {
			writeError(w, status, msg)
			return
		}
		switch {
		case strings.HasPrefix(r.URL.Path, callPrefix):
			s.serveCall(w, r)
		case r.URL.Path == eventsPath:
			s.serveEvents(w, r)
		case r.URL.Path == uploadPath:
			s.serveUpload(w, r)
		case strings.HasPrefix(r.URL.Path, downloadPrefix):
			s.serveDownload(w, r)
		case strings.HasPrefix(r.URL.Path, apiPrefix):
			writeError(w, http.StatusNotFound, "no such API endpoint")
		default:
			s.serveAsset(w, r)
		}
	})
}

// login trades the token from the start-up URL for a cookie, then redirects
// so the token leaves the address bar and the history.
func (s *Server) login(w http.ResponseWriter, r *http.Request, sess *session) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeError(w, http.StatusMethodNotAllowed, "method not allowed")
		return
	}
	got := r.URL.Query()[tokenQuery]
	if len(got) != 1 || !sess.tokenEqual(got[0]) {
		writeError(w, http.StatusUnauthorized, "invalid session token")
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name:     tokenCookie,
		Value:    string(sess.token),
		Path:     "/",
		HttpOnly: true,
		SameSite: http.SameSiteStrictMode,
	})
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// authorize returns 0 when r carries the session token, else the status and
// message to answer with: 401 when no token was sent, 403 when a wrong one was.
func (sess *session) authorize(r *http.Request) (int, string) {
	got := r.Header.Get(tokenHeader)
	if got == "" {
		if c, err := r.Cookie(tokenCookie); err == nil {
			got = c.Value
		}
	}
	if got == "" {
		return http.StatusUnauthorized, "session token required: open the URL printed at start-up"
	}
	if !sess.tokenEqual(got) {
		return http.StatusForbidden, "invalid session token"
	}
	return 0, ""
}

func (sess *session) tokenEqual(got string) bool {
	return subtle.ConstantTimeCompare([]byte(got), sess.token) == 1
}

// setSecurityHeaders applies to every response. The CSP fits a Vite build:
// scripts only from our origin (Vite emits no inline script), inline style
// attributes allowed because Svelte templates carry them, images and fonts
// that Vite inlined as data: URLs, and the event WebSocket on our own host.
func setSecurityHeaders(h http.Header, host string) {
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; "+
		"style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; "+
		"connect-src 'self' ws://"+host+"; object-src 'none'; base-uri 'none'; "+
		"form-action 'self'; frame-ancestors 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
}
