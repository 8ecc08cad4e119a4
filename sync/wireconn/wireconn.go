// Package wireconn is one WebSocket connection to a Hush relay, frame by frame: it
// dials [wire.Path], reads the relay's Hello, authenticates a device, and reads and
// writes single frames, as docs/PROTOCOL.md ("Transport", "Authentication")
// specifies.
//
// It keeps no goroutine and matches no responses to requests. Its users build what
// they need on top: the app's client (sync/relayclient) multiplexes requests and
// reconnects, the test client (relay/relaytest) queues pushes, the load generator
// (cmd/hush-load) pipelines with callbacks.
//
//	c, err := wireconn.Dial(ctx, "ws://127.0.0.1:8443/v1/ws", nil)
//	hello, err := c.ReadHello(ctx)
//	ok, err := c.Authenticate(ctx, deviceKey, cert)
//	err = c.Write(ctx, frame) // a frame from wire.Encode
//	f, err := c.ReadFrame(ctx, nil)
package wireconn

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"

	"github.com/coder/websocket"

	"hush/identity"
	"hush/sync/wire"
)

// AuthReqID is the request id of the Auth frame [Conn.Authenticate] sends. The
// exchange ends before any other request starts, so a caller may use it again.
const AuthReqID = 1

// Sentinel errors of [Conn.ReadFrame]. The message is dropped, the connection is
// still usable: a reader may go on reading.
var (
	// ErrTextMessage: the relay sent a text message, which the protocol does not use.
	ErrTextMessage = errors.New("relay sent a text message")
	// ErrBadFrame: the relay sent a binary message that does not decode as a frame.
	ErrBadFrame = errors.New("relay sent a bad frame")
)

// DialError is a dial that failed. When the relay answered the upgrade with
// something else than a WebSocket, StatusCode is its HTTP status (503 while it shuts
// down); otherwise it is 0.
type DialError struct {
	StatusCode int
	Err        error
}

// Error says that the dial failed, and why.
func (e *DialError) Error() string { return "dial relay: " + e.Err.Error() }

// Unwrap returns the WebSocket library's error, so errors.Is and errors.As see it.
func (e *DialError) Unwrap() error { return e.Err }

// RefusedError is the relay's Error frame where a Hello or an AuthOK was due: the
// relay refused the connection and Err says why (errors.Is(err, wire.ErrAuthFailed)
// matches through it).
type RefusedError struct {
	Err *wire.Error
}

// Error names the relay's error.
func (e *RefusedError) Error() string { return "relay refused: " + e.Err.Error() }

// Unwrap returns the relay's error, so errors.Is matches its code.
func (e *RefusedError) Unwrap() error { return e.Err }

// Options configure [Dial]; nil is the zero value.
type Options struct {
	// HTTPClient makes the upgrade request; nil: http.DefaultClient. Its transport
	// chooses how the TCP connection is dialled (source address, proxy, TLS).
	HTTPClient *http.Client
	// TLS configures wss:// connections, for example RootCAs to trust a private
	// certificate authority; nil: the system's roots. It is used only without
	// HTTPClient (whose transport has its own): setting both is an error.
	TLS *tls.Config
}

// ErrTLSWithHTTPClient: [Options] sets both TLS and HTTPClient; only one may say
// how TLS is done.
var ErrTLSWithHTTPClient = errors.New("wireconn: set Options.TLS or Options.HTTPClient, not both")

// HTTPClientWithTLS returns an HTTP client whose transport is the default one's
// with cfg as its TLS configuration, for callers that dial often and keep one
// client. Connections it upgrades to WebSockets are not pooled, so it holds no
// idle connections of its own between dials.
func HTTPClientWithTLS(cfg *tls.Config) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = cfg.Clone()
	return &http.Client{Transport: tr}
}

// Conn is one connection to a relay. Reads ([Conn.ReadHello], [Conn.ReadFrame],
// and [Conn.Authenticate], which reads the answer) must come from one goroutine at
// a time; everything else may be called concurrently, as github.com/coder/websocket
// allows.
type Conn struct {
	ws     *websocket.Conn
	origin wire.Origin
	hello  *wire.Hello
	// early holds pushes that came before the answer to Auth (the relay binds a
	// connection before it answers), for ReadFrame to give first.
	early []wire.Frame
}

// Dial opens a WebSocket to rawURL (ws:// or wss://, with the path [wire.Path])
// without compression and with a read limit of [wire.MaxFrameSize]. ctx bounds the
// dial, and carries any httptrace the caller wants. It reads nothing: call
// [Conn.ReadHello] next.
//
// The origin of rawURL ([wire.ParseOrigin]) is the one the connection signs when it
// authenticates. Dial follows no redirect (a 3xx answer is a [*DialError] with its
// status): a device talks only to the relay it was configured with.
func Dial(ctx context.Context, rawURL string, o *Options) (*Conn, error) {
	origin, err := wire.ParseOrigin(rawURL)
	if err != nil {
		return nil, &DialError{Err: err}
	}
	hc := http.DefaultClient
	if o != nil && o.HTTPClient != nil {
		hc = o.HTTPClient
	}
	if o != nil && o.TLS != nil {
		if o.HTTPClient != nil {
			return nil, &DialError{Err: ErrTLSWithHTTPClient}
		}
		hc = HTTPClientWithTLS(o.TLS)
		defer hc.CloseIdleConnections()
	}
	noRedirects := *hc
	noRedirects.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	ws, resp, err := websocket.Dial(ctx, rawURL, &websocket.DialOptions{
		HTTPClient:      &noRedirects,
		CompressionMode: websocket.CompressionDisabled,
	})
	if err != nil {
		de := &DialError{Err: err}
		if resp != nil {
			de.StatusCode = resp.StatusCode
		}
		return nil, de
	}
	ws.SetReadLimit(wire.MaxFrameSize)
	return &Conn{ws: ws, origin: origin}, nil
}

// ReadHello reads the relay's first frame, which must be its Hello. An Error frame
// instead is a [*RefusedError]; any other frame, or none, is an error too.
func (c *Conn) ReadHello(ctx context.Context) (*wire.Hello, error) {
	f, err := c.ReadFrame(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("waiting for hello: %w", err)
	}
	switch body := f.Body.(type) {
	case *wire.Hello:
		c.hello = body
		return body, nil
	case *wire.Error:
		return nil, &RefusedError{Err: body}
	default:
		return nil, fmt.Errorf("the relay sent %v instead of hello", f.Type)
	}
}

// Hello returns the Hello [Conn.ReadHello] read, or nil.
func (c *Conn) Hello() *wire.Hello { return c.hello }

// Origin returns the relay origin this connection signs: that of the URL it dialled.
func (c *Conn) Origin() wire.Origin { return c.origin }

// AuthRequest returns the Auth body that answers the Hello's challenge as the
// device key with its certificate cert: the key's signature, label [wire.AuthLabel],
// over [wire.AuthMessage] of the challenge and the origin this connection dialled.
// [Conn.Authenticate] sends it; a client that reads frames on a goroutine of its own
// sends it as its first request instead.
func (c *Conn) AuthRequest(key *identity.DeviceKey, cert []byte) (*wire.Auth, error) {
	if c.hello == nil {
		return nil, errors.New("authenticate: no hello read yet")
	}
	sig := key.Sign(wire.AuthLabel, wire.AuthMessage(c.hello.Challenge, c.origin))
	return &wire.Auth{DeviceCert: cert, Signature: sig}, nil
}

// Authenticate sends [Conn.AuthRequest] with request id [AuthReqID] and reads the
// relay's answer: the AuthOK, or a [*RefusedError] carrying the relay's Error. It
// must come after [Conn.ReadHello] and before any other request.
func (c *Conn) Authenticate(ctx context.Context, key *identity.DeviceKey, cert []byte) (*wire.AuthOK, error) {
	auth, err := c.AuthRequest(key, cert)
	if err != nil {
		return nil, err
	}
	b, err := wire.Encode(AuthReqID, auth)
	if err != nil {
		return nil, fmt.Errorf("encode auth: %w", err)
	}
	if err := c.Write(ctx, b); err != nil {
		return nil, fmt.Errorf("send auth: %w", err)
	}
	// The relay makes the connection reachable before it answers (so that a
	// revocation committed meanwhile finds it): pushes may come first. They are
	// kept, in order, for the next reads.
	var f wire.Frame
	for {
		if f, err = c.readWire(ctx, nil); err != nil {
			return nil, fmt.Errorf("waiting for auth: %w", err)
		}
		if f.ReqID == AuthReqID || len(c.early) >= maxEarlyPushes {
			break
		}
		c.early = append(c.early, f)
	}
	switch body := f.Body.(type) {
	case *wire.AuthOK:
		return body, nil
	case *wire.Error:
		return nil, &RefusedError{Err: body}
	default:
		return nil, fmt.Errorf("the relay answered auth with %v", f.Type)
	}
}

// ReadFrame reads and decodes the next message. A text message is [ErrTextMessage];
// one that does not decode is [ErrBadFrame] wrapping the decoder's error, with the
// type and request id in f when the envelope was readable. Any other error is the
// WebSocket's: the connection has ended (websocket.CloseStatus tells how).
//
// buf, when not nil, receives the message's bytes, so a caller that keeps one
// buffer per connection does not allocate one per message; a decoded frame never
// refers to it.
func (c *Conn) ReadFrame(ctx context.Context, buf *bytes.Buffer) (wire.Frame, error) {
	if len(c.early) > 0 {
		f := c.early[0]
		c.early = c.early[1:]
		return f, nil
	}
	return c.readWire(ctx, buf)
}

// maxEarlyPushes bounds the pushes Authenticate keeps before the relay's answer:
// a relay that sends more is answered as if it had answered with the next one.
const maxEarlyPushes = 256

// readWire is ReadFrame from the WebSocket itself.
func (c *Conn) readWire(ctx context.Context, buf *bytes.Buffer) (wire.Frame, error) {
	var (
		typ  websocket.MessageType
		data []byte
		err  error
	)
	if buf == nil {
		typ, data, err = c.ws.Read(ctx)
	} else {
		typ, data, err = readInto(ctx, c.ws, buf)
	}
	if err != nil {
		return wire.Frame{}, err
	}
	if typ != websocket.MessageBinary {
		return wire.Frame{}, ErrTextMessage
	}
	f, err := wire.Decode(data)
	if err != nil {
		return f, fmt.Errorf("%w: %w", ErrBadFrame, err)
	}
	return f, nil
}

func readInto(ctx context.Context, ws *websocket.Conn, buf *bytes.Buffer) (websocket.MessageType, []byte, error) {
	typ, r, err := ws.Reader(ctx)
	if err != nil {
		return 0, nil, err
	}
	buf.Reset()
	if _, err := buf.ReadFrom(r); err != nil {
		return 0, nil, err
	}
	return typ, buf.Bytes(), nil
}

// Write sends one encoded frame (from wire.Encode) as a binary message.
func (c *Conn) Write(ctx context.Context, frame []byte) error {
	return c.ws.Write(ctx, websocket.MessageBinary, frame)
}

// WriteText sends a text message. The protocol has none and the relay treats one as
// a bad frame; this exists so that tests can check it does.
func (c *Conn) WriteText(ctx context.Context, s string) error {
	return c.ws.Write(ctx, websocket.MessageText, []byte(s))
}

// Ping sends a WebSocket ping and waits for the pong; a reader must be reading
// meanwhile, since the pong arrives on the read side.
func (c *Conn) Ping(ctx context.Context) error { return c.ws.Ping(ctx) }

// Close closes the connection with a normal closure handshake.
func (c *Conn) Close() error { return c.ws.Close(websocket.StatusNormalClosure, "") }

// CloseNow drops the connection without a closing handshake.
func (c *Conn) CloseNow() error { return c.ws.CloseNow() }
