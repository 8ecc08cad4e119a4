// Package loadclient is a lean Hush relay client for load generation: it dials from
// chosen loopback source addresses (so tens of thousands of connections do not run
// out of ephemeral ports), authenticates as a device, and pipelines requests with a
// callback per response, speaking the real protocol of [hush/sync/wire].
//
// It is not the app's client (sync/relayclient): no outbox, no vault, no
// reconnection. Load modes build exactly the traffic they measure on top of it.
//
//	d := loadclient.NewDialer(nil)
//	c, err := d.Dial(ctx, "ws://127.0.0.1:8443/v1/ws")
//	_, err = c.Auth(ctx, dev)              // synchronous, before Run
//	c.Run(func(f wire.Frame) { … })         // pushes, on the read goroutine
//	err = c.Go(ctx, &wire.Send{…}, func(b wire.Body, err error) { … })
package loadclient

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/netip"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"hush/sync/wire"
	"hush/sync/wireconn"
)

// ErrNotLoopback is returned for a relay or source address outside 127.0.0.0/8 (or
// ::1): load is only ever generated against this machine.
var ErrNotLoopback = errors.New("not a loopback address")

// ErrRunning is returned by the synchronous calls ([Conn.Auth], [Conn.RoundTrip])
// once [Conn.Run] has started the read loop.
var ErrRunning = errors.New("connection already running")

// ErrClosed is returned for requests on a connection that has ended.
var ErrClosed = errors.New("connection closed")

// Device is a device identity: an account key, a device key of it and the
// certificate binding them.
type Device = wireconn.Device

// NewDevice returns the first device of a fresh account.
func NewDevice() (*Device, error) { return wireconn.NewDevice() }

// CheckLoopbackURL accepts only ws:// URLs whose host is a loopback IP or
// "localhost".
func CheckLoopbackURL(rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return fmt.Errorf("relay url: %w", err)
	}
	if u.Scheme != "ws" {
		return fmt.Errorf("relay url %q: want ws://", rawURL)
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	a, err := netip.ParseAddr(host)
	if err != nil || !a.IsLoopback() {
		return fmt.Errorf("relay url %q: %w", rawURL, ErrNotLoopback)
	}
	return nil
}

// Dialer opens connections, spreading them over its source addresses in turn. It
// is safe for concurrent use.
type Dialer struct {
	sources []netip.Addr
	next    atomic.Uint64
	client  *http.Client
}

// NewDialer returns a dialer binding each connection to the next of sources (all
// loopback), or letting the kernel choose when sources is empty.
func NewDialer(sources []netip.Addr) (*Dialer, error) {
	for _, s := range sources {
		if !s.IsLoopback() {
			return nil, fmt.Errorf("source address %v: %w", s, ErrNotLoopback)
		}
	}
	d := &Dialer{sources: sources}
	d.client = &http.Client{Transport: &http.Transport{
		Proxy:               nil,
		DialContext:         d.dialTCP,
		DisableKeepAlives:   true,
		MaxIdleConns:        1,
		TLSHandshakeTimeout: 10 * time.Second,
	}}
	return d, nil
}

func (d *Dialer) dialTCP(ctx context.Context, network, addr string) (net.Conn, error) {
	var nd net.Dialer
	if len(d.sources) > 0 {
		src := d.sources[(d.next.Add(1)-1)%uint64(len(d.sources))]
		nd.LocalAddr = net.TCPAddrFromAddrPort(netip.AddrPortFrom(src, 0))
	}
	return nd.DialContext(ctx, network, addr)
}

// Dial connects to the relay and reads its Hello.
func (d *Dialer) Dial(ctx context.Context, rawURL string) (*Conn, error) {
	if err := CheckLoopbackURL(rawURL); err != nil {
		return nil, err
	}
	c := &Conn{pending: map[uint64]func(wire.Body, error){}, done: make(chan struct{})}
	trace := &httptrace.ClientTrace{GotConn: func(info httptrace.GotConnInfo) { c.local = info.Conn.LocalAddr() }}
	wc, err := wireconn.Dial(httptrace.WithClientTrace(ctx, trace), rawURL, &wireconn.Options{HTTPClient: d.client})
	if err != nil {
		return nil, err
	}
	if _, err := wc.ReadHello(ctx); err != nil {
		wc.CloseNow()
		return nil, err
	}
	c.wc = wc
	return c, nil
}

// Conn is one device connection. Before [Conn.Run] it is used synchronously
// ([Conn.Auth], [Conn.RoundTrip]) and has no goroutine of its own, which keeps tens
// of thousands of idle connections cheap for the load generator; after Run, a read
// loop matches responses to [Conn.Go] callbacks.
type Conn struct {
	wc     *wireconn.Conn
	local  net.Addr
	nextID atomic.Uint64
	buf    bytes.Buffer // read buffer; owned by whoever reads (RoundTrip, then the read loop)

	mu      sync.Mutex
	running bool
	pending map[uint64]func(wire.Body, error)
	onPush  func(wire.Frame)
	err     error
	done    chan struct{}
}

// Hello returns the relay's Hello.
func (c *Conn) Hello() *wire.Hello { return c.wc.Hello() }

// LocalAddr returns the connection's local address (nil if unknown).
func (c *Conn) LocalAddr() net.Addr { return c.local }

func (c *Conn) readFrame(ctx context.Context) (wire.Frame, error) {
	return c.wc.ReadFrame(ctx, &c.buf)
}

// Auth answers the relay's challenge as device d. It is synchronous: call it before
// [Conn.Run]. A refusal wraps the relay's *wire.Error.
func (c *Conn) Auth(ctx context.Context, d *Device) (*wire.AuthOK, error) {
	if c.isRunning() {
		return nil, ErrRunning
	}
	ok, err := c.wc.Authenticate(ctx, d.Key, d.Cert)
	if err != nil {
		return nil, fmt.Errorf("authenticate: %w", err)
	}
	return ok, nil
}

func (c *Conn) isRunning() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.running
}

// RoundTrip sends a request and reads frames until its response, dropping pushes
// meanwhile. An Error response is returned as a *wire.Error error; an Error push
// (the relay closing the connection) too. Only before [Conn.Run].
func (c *Conn) RoundTrip(ctx context.Context, body wire.Body) (wire.Body, error) {
	if c.isRunning() {
		return nil, ErrRunning
	}
	id := c.nextID.Add(1)
	b, err := wire.Encode(id, body)
	if err != nil {
		return nil, err
	}
	if err := c.wc.Write(ctx, b); err != nil {
		return nil, fmt.Errorf("send %v: %w", body.Type(), err)
	}
	for {
		f, err := c.readFrame(ctx)
		if err != nil {
			return nil, fmt.Errorf("await %v response: %w", body.Type(), err)
		}
		if e, isErr := f.Body.(*wire.Error); isErr && (f.ReqID == id || f.ReqID == 0) {
			return nil, e
		}
		if f.ReqID == id {
			return f.Body, nil
		}
	}
}

// Run starts the read loop. onPush (may be nil) receives every frame that answers
// no pending request — pushes, and errors the relay sends before closing — on the
// read goroutine, so it must be quick.
func (c *Conn) Run(onPush func(wire.Frame)) {
	c.mu.Lock()
	if c.running {
		c.mu.Unlock()
		return
	}
	c.running = true
	c.onPush = onPush
	c.mu.Unlock()
	go c.readLoop()
}

func (c *Conn) readLoop() {
	var err error
	defer func() { c.finish(err) }()
	for {
		var f wire.Frame
		f, err = c.readFrame(context.Background())
		if err != nil {
			return
		}
		c.mu.Lock()
		cb, ok := c.pending[f.ReqID]
		if ok && f.ReqID != 0 {
			delete(c.pending, f.ReqID)
		}
		push := c.onPush
		c.mu.Unlock()
		switch {
		case ok && f.ReqID != 0:
			if e, isErr := f.Body.(*wire.Error); isErr {
				cb(nil, e)
			} else {
				cb(f.Body, nil)
			}
		case push != nil:
			push(f)
		}
	}
}

// finish ends the connection: every pending request gets the error.
func (c *Conn) finish(err error) {
	c.mu.Lock()
	if c.err == nil {
		c.err = fmt.Errorf("%w: %w", ErrClosed, err)
	}
	pending := c.pending
	c.pending = nil
	cause := c.err
	c.mu.Unlock()
	for _, cb := range pending {
		cb(nil, cause)
	}
	c.wc.CloseNow()
	close(c.done)
}

// Go sends a request; done receives its response, or the error that ended the
// connection first, on the read goroutine. When Go returns an error, done is never
// called. Only after [Conn.Run].
func (c *Conn) Go(ctx context.Context, body wire.Body, done func(wire.Body, error)) error {
	id := c.nextID.Add(1)
	b, err := wire.Encode(id, body)
	if err != nil {
		return err
	}
	c.mu.Lock()
	if !c.running {
		c.mu.Unlock()
		return errors.New("Go before Run")
	}
	if c.pending == nil {
		err := c.err
		c.mu.Unlock()
		return err
	}
	c.pending[id] = done
	c.mu.Unlock()
	if err := c.wc.Write(ctx, b); err != nil {
		c.mu.Lock()
		_, still := c.pending[id]
		delete(c.pending, id)
		c.mu.Unlock()
		if still {
			return fmt.Errorf("send %v: %w", body.Type(), err)
		}
		// The read loop ended meanwhile and has already called done.
	}
	return nil
}

// Request sends a request and waits for its response. Only after [Conn.Run].
func (c *Conn) Request(ctx context.Context, body wire.Body) (wire.Body, error) {
	type result struct {
		b   wire.Body
		err error
	}
	ch := make(chan result, 1)
	if err := c.Go(ctx, body, func(b wire.Body, err error) { ch <- result{b, err} }); err != nil {
		return nil, err
	}
	select {
	case r := <-ch:
		return r.b, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Done is closed when the read loop has ended.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Err returns why the connection ended, or nil while it runs.
func (c *Conn) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Close closes the connection with a normal closure. It does not wait for the
// read loop.
func (c *Conn) Close() error {
	err := c.wc.Close()
	if err != nil && !errors.Is(err, net.ErrClosed) && !errors.Is(err, io.EOF) {
		return err
	}
	return nil
}

// CloseNow drops the connection without a closing handshake.
func (c *Conn) CloseNow() error { return c.wc.CloseNow() }
