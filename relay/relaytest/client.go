package relaytest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"hush/sync/wire"
	"hush/sync/wireconn"
)

// Device is a test identity: an account key, one device key of it, and the device's
// certificate.
type Device = wireconn.Device

// NewAccount returns a fresh account with its first device.
func NewAccount(t testing.TB) *Device {
	t.Helper()
	d, err := wireconn.NewDevice()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// Sibling returns another device of d's account.
func Sibling(t testing.TB, d *Device) *Device {
	t.Helper()
	s, err := d.Sibling()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Conn is a minimal protocol client: it matches responses to requests by request id
// and queues everything else (pushes, errors with request id 0) for [Conn.NextPush].
// It is for tests; the real client is sync/relayclient.
type Conn struct {
	wc    *wireconn.Conn
	Hello *wire.Hello

	nextID atomic.Uint64

	mu       sync.Mutex
	pending  map[uint64]chan wire.Frame
	pushes   []wire.Frame
	pushWake chan struct{}
	closed   chan struct{}
	closeErr error
}

// DialRaw connects without authenticating and reads the relay's Hello, so a test
// can answer the challenge itself, well or badly.
func DialRaw(ctx context.Context, rawURL string) (*Conn, error) {
	wc, err := wireconn.Dial(ctx, rawURL, nil)
	if err != nil {
		return nil, err
	}
	hello, err := wc.ReadHello(ctx)
	if err != nil {
		wc.CloseNow()
		return nil, err
	}
	c := &Conn{
		wc:       wc,
		Hello:    hello,
		pending:  map[uint64]chan wire.Frame{},
		pushWake: make(chan struct{}, 1),
		closed:   make(chan struct{}),
	}
	go c.readLoop()
	return c, nil
}

// Dial connects and authenticates d, failing the test on any error. The connection
// is closed when the test ends.
func Dial(t testing.TB, r *Relay, d *Device) *Conn {
	t.Helper()
	return DialURL(t, r.URL, d)
}

// DialURL is [Dial] for a relay given by its URL, such as one in another process.
func DialURL(t testing.TB, rawURL string, d *Device) *Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := DialRaw(ctx, rawURL)
	if err != nil {
		t.Fatalf("relaytest: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := c.Auth(ctx, d); err != nil {
		t.Fatalf("relaytest: authenticate: %v", err)
	}
	return c
}

// Auth answers the relay's challenge as device d. A refusal is the relay's
// *wire.Error.
func (c *Conn) Auth(ctx context.Context, d *Device) (*wire.AuthOK, error) {
	auth, err := c.wc.AuthRequest(d.Key, d.Cert)
	if err != nil {
		return nil, err
	}
	resp, err := c.Request(ctx, auth)
	if err != nil {
		return nil, err
	}
	ok, isOK := resp.(*wire.AuthOK)
	if !isOK {
		return nil, fmt.Errorf("authenticate: got %v", resp.Type())
	}
	return ok, nil
}

func (c *Conn) readLoop() {
	defer func() {
		c.mu.Lock()
		for _, ch := range c.pending {
			close(ch)
		}
		c.pending = nil
		c.mu.Unlock()
		close(c.closed)
	}()
	for {
		f, err := c.wc.ReadFrame(context.Background(), nil)
		if err != nil {
			c.mu.Lock()
			c.closeErr = err
			c.mu.Unlock()
			if errors.Is(err, wireconn.ErrBadFrame) || errors.Is(err, wireconn.ErrTextMessage) {
				c.wc.CloseNow()
			}
			return
		}
		c.mu.Lock()
		if ch, ok := c.pending[f.ReqID]; ok && f.ReqID != 0 {
			delete(c.pending, f.ReqID)
			ch <- f
		} else {
			c.pushes = append(c.pushes, f)
			select {
			case c.pushWake <- struct{}{}:
			default:
			}
		}
		c.mu.Unlock()
	}
}

// Start sends a request without waiting; the returned channel yields its response
// (and is closed without one if the connection ends first).
func (c *Conn) Start(ctx context.Context, body wire.Body) (<-chan wire.Frame, error) {
	id := c.nextID.Add(1)
	b, err := wire.Encode(id, body)
	if err != nil {
		return nil, err
	}
	ch := make(chan wire.Frame, 1)
	c.mu.Lock()
	if c.pending == nil {
		c.mu.Unlock()
		return nil, c.err()
	}
	c.pending[id] = ch
	c.mu.Unlock()
	if err := c.wc.Write(ctx, b); err != nil {
		return nil, fmt.Errorf("send %v: %w", body.Type(), err)
	}
	return ch, nil
}

// Wait returns the response a channel from [Conn.Start] yields; an Error frame is
// returned as a *wire.Error error.
func (c *Conn) Wait(ctx context.Context, ch <-chan wire.Frame) (wire.Body, error) {
	select {
	case f, ok := <-ch:
		if !ok {
			return nil, c.err()
		}
		if e, isErr := f.Body.(*wire.Error); isErr {
			return nil, e
		}
		return f.Body, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Request sends a request and waits for its response.
func (c *Conn) Request(ctx context.Context, body wire.Body) (wire.Body, error) {
	ch, err := c.Start(ctx, body)
	if err != nil {
		return nil, err
	}
	return c.Wait(ctx, ch)
}

// WriteRaw sends bytes as one binary message, well-formed or not.
func (c *Conn) WriteRaw(ctx context.Context, b []byte) error {
	return c.wc.Write(ctx, b)
}

// WriteText sends a text message, which the protocol does not allow.
func (c *Conn) WriteText(ctx context.Context, s string) error {
	return c.wc.WriteText(ctx, s)
}

// NextPush returns the next frame that was not a response: a push, or an error the
// relay sent with request id 0.
func (c *Conn) NextPush(ctx context.Context) (wire.Frame, error) {
	for {
		c.mu.Lock()
		if len(c.pushes) > 0 {
			f := c.pushes[0]
			c.pushes = c.pushes[1:]
			c.mu.Unlock()
			return f, nil
		}
		c.mu.Unlock()
		select {
		case <-c.pushWake:
		case <-c.closed:
			c.mu.Lock()
			n := len(c.pushes)
			c.mu.Unlock()
			if n == 0 {
				return wire.Frame{}, c.err()
			}
		case <-ctx.Done():
			return wire.Frame{}, ctx.Err()
		}
	}
}

// Pending returns how many pushes are queued.
func (c *Conn) Pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.pushes)
}

// Done is closed when the connection has ended.
func (c *Conn) Done() <-chan struct{} { return c.closed }

// CloseStatus returns the WebSocket close status the relay sent, or -1.
func (c *Conn) CloseStatus() websocket.StatusCode { return websocket.CloseStatus(c.err()) }

func (c *Conn) err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closeErr == nil {
		return errors.New("connection closed")
	}
	return fmt.Errorf("connection closed: %w", c.closeErr)
}

// Close closes the connection.
func (c *Conn) Close() error {
	return c.wc.Close()
}
