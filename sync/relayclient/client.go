// Package relayclient is a device's link to a Hush relay: one WebSocket at
// [wire.Path], authenticated by the device key, kept up with exponential backoff and
// full jitter, as docs/PROTOCOL.md specifies.
//
// A [Client] owns the connection for its whole life. Requests go out with
// [Client.Do] (or [Client.Start] and [Call.Wait], to keep several in flight in a known
// order) and are matched to their responses by request id; a relay error comes back
// as a [*wire.Error], so callers branch with errors.Is(err, wire.ErrStaleEpoch).
// Pushes, and the news that a connection was (re)authenticated, reach the [Handler]
// on one goroutine, in order; the handler catches up from its cursors in
// [Handler.Connected], because pushes are best-effort and a reconnect may have missed
// some. State changes (connecting, online, offline with the reason and the next retry
// time) go to [Config.OnStatus].
//
// The address is checked by [ParseURL] before anything is dialled: wss://, or plain
// ws:// only to a relay on this computer. The device signs the relay's origin as
// it was configured (docs/PROTOCOL.md, "Authentication"); [Config.TLS] trusts a
// private certificate authority for this client alone.
//
// Every queue is bounded: at most [MaxPendingRequests] requests wait for responses,
// and at most [MaxQueuedPushes] pushes wait for the handler — beyond that pushes are
// dropped and [Handler.Missed] asks the handler to catch up instead.
package relayclient

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"hush/clock"
	"hush/identity"
	"hush/ids"
	"hush/sync/wire"
	"hush/sync/wireconn"
)

// Defaults and limits of a client.
const (
	// DefaultMinBackoff is the first reconnect delay's ceiling; it doubles with each
	// failed attempt up to DefaultMaxBackoff.
	DefaultMinBackoff = 500 * time.Millisecond
	// DefaultMaxBackoff caps the delay between reconnect attempts.
	DefaultMaxBackoff = 30 * time.Second
	// MaxPendingRequests bounds the requests waiting for their responses; more wait
	// in [Client.Start] until one is answered.
	MaxPendingRequests = 1024
	// MaxQueuedPushes bounds the pushes waiting for the handler.
	MaxQueuedPushes = 4096
	// maxPushBatch bounds the pushes handed to one [Handler.Pushes] call.
	maxPushBatch = 256
	// SkewWarning is the clock difference with the relay above which the status
	// carries [ErrClockSkew].
	SkewWarning = 5 * time.Minute

	handshakeTimeout = 10 * time.Second
	writeTimeout     = 10 * time.Second
	pingInterval     = 30 * time.Second
	pingTimeout      = 15 * time.Second
)

// Sentinel errors callers branch on.
var (
	// ErrInvalidURL: the relay address is malformed; nothing was dialled.
	ErrInvalidURL = errors.New("invalid relay address")
	// ErrOffline: there is no authenticated connection right now.
	ErrOffline = errors.New("not connected to the relay")
	// ErrConnectionLost: the connection ended before the response arrived. The
	// request may or may not have been carried out; writes are idempotent, resend.
	ErrConnectionLost = errors.New("connection to the relay lost")
	// ErrUnreachable: the relay could not be reached (dial or handshake failed).
	ErrUnreachable = errors.New("relay unreachable")
	// ErrUntrustedCertificate: the relay's TLS certificate did not verify (an
	// unknown authority, another host's name, expired); it comes with
	// [ErrUnreachable]. A relay with a private authority needs [Config.TLS].
	ErrUntrustedCertificate = errors.New("the relay's certificate is not trusted")
	// ErrRefused: the relay answered but refused this device; the [*wire.Error] in
	// the chain says why.
	ErrRefused = errors.New("relay refused the connection")
	// ErrClockSkew: this device's clock differs from the relay's by more than
	// [SkewWarning]. It is a warning carried in [Status.Warning]; the connection works.
	ErrClockSkew = errors.New("clock skew")
	// ErrClosed: the client was closed.
	ErrClosed = errors.New("relay client closed")
)

// State is the state of the link.
type State string

// States reported in [Status].
const (
	StateConnecting State = "connecting"
	StateOnline     State = "online"
	StateOffline    State = "offline"
)

// Session describes an authenticated connection.
type Session struct {
	Account    ids.Account
	Device     ids.Device
	NewAccount bool
	Limits     wire.Limits
	// Skew is the relay's clock minus this device's, measured at the Hello.
	Skew time.Duration
}

// Status is the link's state as the UI shows it.
type Status struct {
	State State
	URL   string
	// RetryAt is when the next attempt starts, while offline; zero when no attempt is
	// planned (closed, or refused for good).
	RetryAt time.Time
	// Err says why the last attempt failed or the last connection ended; nil while
	// connecting for the first time or online.
	Err error
	// Warning is set while online when something deserves attention without
	// breaking the link (clock skew).
	Warning error
	// Session is the current connection's, while online.
	Session Session
}

// Handler receives what the relay sends without being asked. All methods run on one
// goroutine, one at a time, in the order the events happened; they may call the
// client's request methods. ctx ends when the client is closed.
type Handler interface {
	// Connected runs after each successful authentication, before any push of that
	// connection. It is where the handler catches up from its cursors.
	Connected(ctx context.Context, s Session)
	// Pushes delivers pushes (bodies of frames with request id 0) in arrival order.
	Pushes(ctx context.Context, pushes []wire.Body)
	// Missed reports that pushes were dropped because the handler fell behind; the
	// handler should catch up as after Connected.
	Missed(ctx context.Context)
}

// Config configures a [Client].
type Config struct {
	URL         string // ws://host:port or wss://host[:port]
	Device      *identity.DeviceKey
	Certificate []byte // the device's certificate, identity.IssueCertificate
	Handler     Handler
	// OnStatus is called with every new status, from the client's goroutines; it
	// must not block or call back into the client.
	OnStatus func(Status)
	Clock    clock.Clock    // nil: the real clock
	Rand     func() float64 // uniform in [0, 1), for jitter; nil: math/rand/v2
	Logger   *slog.Logger   // nil: discard
	HTTP     *http.Client   // nil: http.DefaultClient
	// TLS configures wss:// connections, for example RootCAs to trust the
	// certificate authority of a self-run relay; nil: the system's roots. It is for
	// a client without HTTP (whose transport has its own TLS configuration):
	// setting both is an error.
	TLS     *tls.Config
	Backoff [2]time.Duration // minimum and maximum delay; zero: the defaults
}

// Client is a device's connection to one relay. Create it with [New], start it with
// [Client.Run], stop it with [Client.Close].
type Client struct {
	url     *url.URL
	dialURL string
	dev     *identity.DeviceKey
	cert    []byte
	handler Handler
	notify  func(Status)
	clk     clock.Clock
	rnd     func() float64
	log     *slog.Logger
	http    *http.Client
	minB    time.Duration
	maxB    time.Duration

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	wake   chan struct{} // Retry: skip the current backoff wait
	sem    chan struct{} // bounds pending requests

	nextID  atomic.Uint64
	runOnce sync.Once

	mu     sync.Mutex
	status Status
	conn   *connection // nil unless online

	q pushQueue
}

// New checks cfg and returns a client that connects once [Client.Run] is called. A
// malformed URL fails here, with [ErrInvalidURL], before anything is dialled.
func New(cfg Config) (*Client, error) {
	u, err := ParseURL(cfg.URL)
	if err != nil {
		return nil, err
	}
	if cfg.Device == nil || len(cfg.Certificate) == 0 {
		return nil, errors.New("relayclient: a device key and certificate are required")
	}
	if cfg.Handler == nil {
		return nil, errors.New("relayclient: a handler is required")
	}
	hc := cfg.HTTP
	if cfg.TLS != nil {
		if hc != nil {
			return nil, fmt.Errorf("relayclient: %w", wireconn.ErrTLSWithHTTPClient)
		}
		hc = wireconn.HTTPClientWithTLS(cfg.TLS)
	}
	c := &Client{
		url:     u,
		dialURL: u.String() + wire.Path,
		dev:     cfg.Device,
		cert:    append([]byte(nil), cfg.Certificate...),
		handler: cfg.Handler,
		notify:  cfg.OnStatus,
		clk:     cfg.Clock,
		rnd:     cfg.Rand,
		log:     cfg.Logger,
		http:    hc,
		minB:    cfg.Backoff[0],
		maxB:    cfg.Backoff[1],
		wake:    make(chan struct{}, 1),
		sem:     make(chan struct{}, MaxPendingRequests),
	}
	if c.clk == nil {
		c.clk = clock.Real()
	}
	if c.rnd == nil {
		c.rnd = rand.Float64
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.minB <= 0 {
		c.minB = DefaultMinBackoff
	}
	if c.maxB < c.minB {
		c.maxB = max(DefaultMaxBackoff, c.minB)
	}
	c.log = c.log.With("relay", u.String())
	c.q.init()
	c.status = Status{State: StateConnecting, URL: u.String()}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	return c, nil
}

// Run starts connecting, and keeps the link up until [Client.Close]. It returns at
// once; calling it again does nothing.
func (c *Client) Run() {
	c.runOnce.Do(func() {
		if c.ctx.Err() != nil {
			return
		}
		c.wg.Add(2)
		go c.run()
		go c.deliver()
	})
}

// URL returns the canonical relay address.
func (c *Client) URL() string { return c.url.String() }

// Status returns the current status.
func (c *Client) Status() Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.status
}

// Retry cuts the current backoff wait short, so the next attempt starts now. It does
// nothing while connecting or online.
func (c *Client) Retry() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// Close ends the connection and stops every goroutine of the client, waiting for the
// handler to return. Requests in flight fail with [ErrClosed].
func (c *Client) Close() error {
	c.cancel()
	c.mu.Lock()
	conn := c.conn
	c.mu.Unlock()
	if conn != nil {
		conn.wc.CloseNow()
	}
	c.q.close()
	c.wg.Wait()
	return nil
}

func (c *Client) setStatus(s Status) {
	s.URL = c.url.String()
	c.mu.Lock()
	c.status = s
	c.mu.Unlock()
	if c.notify != nil {
		c.notify(s)
	}
}

// backoffDelay is the wait before attempt n (0-based): full jitter, uniform in
// [0, min(max, minB·2ⁿ)), with a floor of a tenth of minB so a run of small random
// numbers cannot turn into a busy loop.
func backoffDelay(n int, minB, maxB time.Duration, r float64) time.Duration {
	ceil := maxB
	if n < 32 {
		if d := minB << n; d > 0 && d < maxB {
			ceil = d
		}
	}
	return max(time.Duration(r*float64(ceil)), minB/10)
}

// run connects, serves and reconnects until the client is closed.
func (c *Client) run() {
	defer c.wg.Done()
	attempt := 0
	var lastErr error
	for c.ctx.Err() == nil {
		c.setStatus(Status{State: StateConnecting, Err: lastErr})
		conn, sess, err := c.connect()
		if err != nil {
			if c.ctx.Err() != nil {
				break
			}
			lastErr = err
			c.log.Info("relay connection failed", "attempt", attempt+1, "err", err)
			if permanent(err) {
				// Waiting will not help; only Retry (the user) or Close ends this.
				c.setStatus(Status{State: StateOffline, Err: err})
				c.waitWake(0, false)
				attempt = 0
				continue
			}
			c.sleep(attempt, err)
			attempt++
			continue
		}
		attempt = 0
		lastErr = nil
		st := Status{State: StateOnline, Session: sess}
		if sess.Skew > SkewWarning || sess.Skew < -SkewWarning {
			st.Warning = fmt.Errorf("%w: this device's clock is %v off the relay's; check the date and time settings", ErrClockSkew, sess.Skew.Round(time.Second))
			c.log.Warn("clock skew with the relay", "skew", sess.Skew)
		}
		c.mu.Lock()
		c.conn = conn
		c.mu.Unlock()
		c.setStatus(st)
		c.q.connected(sess)
		err = conn.serve(c)
		c.mu.Lock()
		c.conn = nil
		c.mu.Unlock()
		if c.ctx.Err() != nil {
			conn.fail(ErrClosed)
			break
		}
		conn.fail(ErrConnectionLost)
		lastErr = err
		c.log.Info("relay connection ended", "err", err)
		if permanent(err) {
			c.setStatus(Status{State: StateOffline, Err: err})
			c.waitWake(0, false)
			continue
		}
		c.sleep(attempt, err)
		attempt++
	}
	c.setStatus(Status{State: StateOffline, Err: ErrClosed})
}

// sleep reports the offline state with the next retry time and waits for it. A
// relay that said when to come back (a refusal with a retry-after, such as too many
// new accounts from this network) is not asked again before then.
func (c *Client) sleep(attempt int, err error) {
	d := backoffDelay(attempt, c.minB, c.maxB, c.rnd())
	var we *wire.Error
	if errors.As(err, &we) && we.RetryAfter > d {
		d = we.RetryAfter
	}
	c.setStatus(Status{State: StateOffline, Err: err, RetryAt: c.clk.Now().Add(d)})
	c.waitWake(d, true)
}

// waitWake waits for d to pass (if timed), for Retry, or for Close.
func (c *Client) waitWake(d time.Duration, timed bool) {
	var fired chan struct{}
	if timed {
		fired = make(chan struct{})
		t := c.clk.AfterFunc(d, func() { close(fired) })
		defer t.Stop()
	}
	select {
	case <-fired:
	case <-c.wake:
	case <-c.ctx.Done():
	}
}

// permanent reports errors that no amount of retrying fixes by itself.
func permanent(err error) bool {
	return errors.Is(err, wire.ErrDeviceRevoked) || errors.Is(err, wire.ErrAuthFailed) ||
		errors.Is(err, wire.ErrUnsupportedVersion)
}

// connect dials and authenticates.
func (c *Client) connect() (*connection, Session, error) {
	ctx, cancel := context.WithTimeout(c.ctx, handshakeTimeout)
	defer cancel()
	wc, err := wireconn.Dial(ctx, c.dialURL, &wireconn.Options{HTTPClient: c.http})
	var de *wireconn.DialError
	switch {
	case errors.As(err, &de) && de.StatusCode == http.StatusServiceUnavailable:
		return nil, Session{}, fmt.Errorf("%w: %w", ErrRefused, &wire.Error{Code: wire.CodeShuttingDown, Message: "the relay is shutting down"})
	case err != nil:
		var cve *tls.CertificateVerificationError
		if errors.As(err, &cve) {
			return nil, Session{}, fmt.Errorf("%w: %w: %w", ErrUnreachable, ErrUntrustedCertificate, err)
		}
		return nil, Session{}, fmt.Errorf("%w: %w", ErrUnreachable, err)
	}
	sess, err := c.authenticate(ctx, wc)
	if err != nil {
		wc.CloseNow()
		return nil, Session{}, err
	}
	return newConnection(c.ctx, wc, c.sem), sess, nil
}

// authenticate reads the Hello, checks the protocol version and authenticates.
func (c *Client) authenticate(ctx context.Context, wc *wireconn.Conn) (Session, error) {
	hello, err := wc.ReadHello(ctx)
	if err != nil {
		return Session{}, classify(err)
	}
	supported := false
	for _, v := range hello.Versions {
		supported = supported || v == wire.Version
	}
	if !supported {
		return Session{}, fmt.Errorf("%w: %w", ErrRefused, wire.Errorf(wire.CodeUnsupportedVersion, "the relay speaks versions %v, this device %d", hello.Versions, wire.Version))
	}
	skew := wire.Time(hello.ServerTime).Sub(c.clk.Now())
	ok, err := wc.Authenticate(ctx, c.dev, c.cert)
	if err != nil {
		return Session{}, classify(err)
	}
	return Session{Account: ok.AccountID, Device: ok.DeviceID, NewAccount: ok.NewAccount, Limits: hello.Limits, Skew: skew}, nil
}

// classify sorts a failed handshake: the relay's Error is a refusal, anything else
// means it could not be reached properly.
func classify(err error) error {
	var re *wireconn.RefusedError
	if errors.As(err, &re) {
		return fmt.Errorf("%w: %w", ErrRefused, re.Err)
	}
	return fmt.Errorf("%w: %w", ErrUnreachable, err)
}

// Do sends a request and waits for its response. A relay error is returned as a
// [*wire.Error]; without a connection it fails at once with [ErrOffline].
func (c *Client) Do(ctx context.Context, req wire.Body) (wire.Body, error) {
	call, err := c.Start(ctx, req)
	if err != nil {
		return nil, err
	}
	return call.Wait(ctx)
}

// Call is a request on its way; [Call.Wait] returns its response.
type Call struct {
	conn *connection
	id   uint64
	done chan struct{} // closed once res is set
	res  result
}

type result struct {
	body wire.Body
	err  error
}

// Start sends a request without waiting for the response. Requests started one after
// another by one goroutine reach the relay in that order, which the relay keeps for
// writes. Every started call must be waited for (or its context ended), else its
// pending slot stays taken.
func (c *Client) Start(ctx context.Context, req wire.Body) (*Call, error) {
	if err := c.ctx.Err(); err != nil {
		return nil, ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c.mu.Lock()
	conn := c.conn
	c.mu.Unlock()
	if conn == nil {
		return nil, ErrOffline
	}
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-c.ctx.Done():
		return nil, ErrClosed
	}
	id := c.nextID.Add(1)
	b, err := wire.Encode(id, req)
	if err != nil {
		<-c.sem
		return nil, err
	}
	call := &Call{conn: conn, id: id, done: make(chan struct{})}
	if !conn.register(call) {
		<-c.sem
		return nil, ErrConnectionLost
	}
	if err := conn.write(b); err != nil {
		conn.finish(id, result{err: fmt.Errorf("%w: %w", ErrConnectionLost, err)})
		return nil, fmt.Errorf("%w: %w", ErrConnectionLost, err)
	}
	return call, nil
}

// Wait returns the call's response, a [*wire.Error] from the relay, [ErrConnectionLost]
// if the connection ended first, or ctx's error (the call is then abandoned).
func (call *Call) Wait(ctx context.Context) (wire.Body, error) {
	select {
	case <-call.done:
	case <-ctx.Done():
		call.conn.finish(call.id, result{err: ctx.Err()})
		<-call.done
	}
	return call.res.body, call.res.err
}

// Done is closed once the call's outcome is known; [Call.Wait] then returns at once.
// It lets a caller wait for a response and something else in one select.
func (call *Call) Done() <-chan struct{} { return call.done }

// Poll returns the call's outcome if it has arrived, without waiting; done is false
// while it is still on its way.
func (call *Call) Poll() (body wire.Body, done bool, err error) {
	select {
	case <-call.done:
		return call.res.body, true, call.res.err
	default:
		return nil, false, nil
	}
}

// Notify sends a frame that gets no response (Typing), with request id 0.
func (c *Client) Notify(ctx context.Context, body wire.Body) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	conn := c.conn
	c.mu.Unlock()
	if conn == nil {
		return ErrOffline
	}
	b, err := wire.Encode(0, body)
	if err != nil {
		return err
	}
	if err := conn.write(b); err != nil {
		return fmt.Errorf("%w: %w", ErrConnectionLost, err)
	}
	return nil
}

// connection is one authenticated WebSocket.
type connection struct {
	wc     *wireconn.Conn
	ctx    context.Context
	cancel context.CancelFunc
	sem    chan struct{} // the client's; a slot is freed when a call finishes

	mu      sync.Mutex
	pending map[uint64]*Call
	ended   bool
	closing *wire.Error // the relay's last word before it closed, if any
}

func newConnection(parent context.Context, wc *wireconn.Conn, sem chan struct{}) *connection {
	ctx, cancel := context.WithCancel(parent)
	return &connection{wc: wc, ctx: ctx, cancel: cancel, sem: sem, pending: map[uint64]*Call{}}
}

func (k *connection) register(call *Call) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.ended {
		return false
	}
	k.pending[call.id] = call
	return true
}

// finish settles a pending call with r, once: the first of the response, the end of
// the connection or the caller giving up wins.
func (k *connection) finish(id uint64, r result) {
	k.mu.Lock()
	call, ok := k.pending[id]
	delete(k.pending, id)
	k.mu.Unlock()
	if ok {
		call.res = r
		close(call.done)
		<-k.sem
	}
}

// fail answers every pending request with err and refuses new ones.
func (k *connection) fail(err error) {
	k.mu.Lock()
	calls := make([]*Call, 0, len(k.pending))
	for id, call := range k.pending {
		calls = append(calls, call)
		delete(k.pending, id)
	}
	k.ended = true
	k.mu.Unlock()
	for _, call := range calls {
		call.res = result{err: err}
		close(call.done)
		<-k.sem
	}
}

func (k *connection) write(b []byte) error {
	ctx, cancel := context.WithTimeout(k.ctx, writeTimeout)
	defer cancel()
	return k.wc.Write(ctx, b)
}

// serve reads frames until the connection ends and returns why it ended. The
// keep-alive goroutine lives and dies with it.
func (k *connection) serve(c *Client) error {
	pinged := make(chan struct{})
	go func() {
		defer close(pinged)
		c.keepAlive(k)
	}()
	defer func() {
		k.cancel()
		k.wc.CloseNow()
		<-pinged
	}()
	for {
		f, err := k.wc.ReadFrame(k.ctx, nil)
		switch {
		case errors.Is(err, wireconn.ErrTextMessage):
			c.log.Warn("relay sent a text message; ignored")
			continue
		case errors.Is(err, wireconn.ErrBadFrame):
			// A malformed frame is the relay's bug or an attack; it is dropped alone.
			// A response we cannot read leaves its request to time out.
			c.log.Warn("malformed frame from the relay", "type", f.Type, "req", f.ReqID, "err", err)
			continue
		case err != nil:
			k.mu.Lock()
			last := k.closing
			k.mu.Unlock()
			if last != nil {
				return fmt.Errorf("%w: %w", ErrRefused, last)
			}
			return fmt.Errorf("%w: %w", ErrConnectionLost, err)
		}
		if f.ReqID != 0 {
			var r result
			if we, ok := f.Body.(*wire.Error); ok {
				r.err = we
			} else {
				r.body = f.Body
			}
			k.finish(f.ReqID, r)
			continue
		}
		if we, ok := f.Body.(*wire.Error); ok {
			k.mu.Lock()
			k.closing = we
			k.mu.Unlock()
			c.log.Info("relay error without request", "code", we.Code, "msg", we.Message)
			continue
		}
		c.q.push(f.Body)
	}
}

// keepAlive pings the relay every pingInterval until the connection ends, and
// closes the connection when a pong does not come back in time.
func (c *Client) keepAlive(k *connection) {
	for {
		tick := make(chan struct{})
		t := c.clk.AfterFunc(pingInterval, func() { close(tick) })
		select {
		case <-tick:
		case <-k.ctx.Done():
			t.Stop()
			return
		}
		ctx, cancel := context.WithTimeout(k.ctx, pingTimeout)
		err := k.wc.Ping(ctx)
		cancel()
		if err != nil {
			if k.ctx.Err() == nil {
				c.log.Info("relay did not answer a ping; reconnecting", "err", err)
			}
			k.wc.CloseNow()
			return
		}
	}
}
