package wireconn_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"hush/ids"
	"hush/internal/testutil"
	"hush/relay/relaytest"
	"hush/sync/wire"
	"hush/sync/wireconn"
)

func testCtx(t *testing.T) context.Context { return testutil.Context(t, 20*time.Second) }

// dialHello dials url and reads the Hello, failing the test on error.
func dialHello(t *testing.T, url string) *wireconn.Conn {
	t.Helper()
	c, err := wireconn.Dial(testCtx(t), url, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.CloseNow() })
	if _, err := c.ReadHello(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestAuthenticateWithTheRealRelay(t *testing.T) {
	r := relaytest.Start(t, nil)
	alice, mallory := relaytest.NewAccount(t), relaytest.NewAccount(t)
	ctx := testCtx(t)

	c, err := wireconn.Dial(ctx, r.URL, &wireconn.Options{HTTPClient: &http.Client{}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Authenticate(ctx, alice.Key, alice.Cert); err == nil {
		t.Fatal("authenticated before reading the hello")
	}
	hello, err := c.ReadHello(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if c.Hello() != hello || len(hello.Versions) == 0 || hello.Limits.MaxFrameSize != wire.MaxFrameSize {
		t.Errorf("hello = %+v", hello)
	}
	ok, err := c.Authenticate(ctx, alice.Key, alice.Cert)
	if err != nil {
		t.Fatal(err)
	}
	if ok.AccountID != alice.AccountID() || ok.DeviceID != alice.DeviceID() || !ok.NewAccount {
		t.Errorf("AuthOK = %+v", ok)
	}

	// Requests after authentication, read into one reused buffer.
	var buf bytes.Buffer
	for id := uint64(wireconn.AuthReqID + 1); id < wireconn.AuthReqID+4; id++ {
		b, err := wire.Encode(id, &wire.LookupAccount{AccountID: alice.AccountID()})
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Write(ctx, b); err != nil {
			t.Fatal(err)
		}
		f, err := c.ReadFrame(ctx, &buf)
		if err != nil {
			t.Fatal(err)
		}
		if acct, isAcct := f.Body.(*wire.Account); !isAcct || f.ReqID != id || len(acct.Devices) != 1 {
			t.Fatalf("response %d: %v %+v", id, f.Type, f.Body)
		}
	}

	// Refusals: each closes the connection, so each gets its own.
	tests := []struct {
		name string
		auth func(c *wireconn.Conn) (*wire.AuthOK, error)
		want *wire.Error
	}{
		{"signature by another key", func(c *wireconn.Conn) (*wire.AuthOK, error) {
			return c.Authenticate(ctx, mallory.Key, alice.Cert)
		}, wire.ErrAuthFailed},
		{"garbage certificate", func(c *wireconn.Conn) (*wire.AuthOK, error) {
			return c.Authenticate(ctx, alice.Key, []byte("not a certificate"))
		}, wire.ErrAuthFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := dialHello(t, r.URL)
			_, err := tt.auth(c)
			var re *wireconn.RefusedError
			if !errors.As(err, &re) || !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want a refusal with %v", err, tt.want)
			}
			if _, err := c.ReadFrame(ctx, nil); websocket.CloseStatus(err) != websocket.StatusPolicyViolation {
				t.Errorf("after the refusal: %v, want a policy-violation close", err)
			}
		})
	}
}

// TestSignsTheDialledOrigin dials the relay by another spelling of its address: the
// signature must cover the origin dialled, which a loopback relay accepts in every
// loopback spelling of its port.
func TestSignsTheDialledOrigin(t *testing.T) {
	r := relaytest.Start(t, nil)
	d := relaytest.NewAccount(t)
	url := strings.Replace(r.URL, "127.0.0.1", "LocalHost", 1)
	c := dialHello(t, url)
	if want := wire.Origin(strings.TrimSuffix(strings.ToLower(url), wire.Path)); c.Origin() != want {
		t.Errorf("Origin() = %q, want %q", c.Origin(), want)
	}
	if _, err := c.Authenticate(testCtx(t), d.Key, d.Cert); err != nil {
		t.Fatalf("dialled as localhost: %v", err)
	}
}

// TestFollowsNoRedirect: a relay that redirects the device elsewhere (to a relay
// that would take its signature, say) gets no connection: Dial stops at the
// redirect.
func TestFollowsNoRedirect(t *testing.T) {
	r := relaytest.Start(t, nil)
	target := "http" + strings.TrimPrefix(r.URL, "ws")
	redirect := httptest.NewServer(http.RedirectHandler(target, http.StatusTemporaryRedirect))
	defer redirect.Close()
	for _, o := range []*wireconn.Options{nil, {HTTPClient: &http.Client{}}} {
		c, err := wireconn.Dial(testCtx(t), "ws"+strings.TrimPrefix(redirect.URL, "http")+wire.Path, o)
		var de *wireconn.DialError
		if c != nil || !errors.As(err, &de) || de.StatusCode != http.StatusTemporaryRedirect {
			t.Errorf("Dial through a redirect = %v, %v; want a DialError with status 307", c, err)
		}
	}
}

func TestTLSOptionAndHTTPClientConflict(t *testing.T) {
	c, err := wireconn.Dial(testCtx(t), "wss://127.0.0.1:1/v1/ws", &wireconn.Options{HTTPClient: &http.Client{}, TLS: &tls.Config{}})
	if c != nil || !errors.Is(err, wireconn.ErrTLSWithHTTPClient) {
		t.Errorf("Dial = %v, %v; want ErrTLSWithHTTPClient", c, err)
	}
}

// fakeRelay serves one WebSocket that sends first (nil: nothing) and then reads
// until the client goes.
func fakeRelay(t *testing.T, first func(ctx context.Context, ws *websocket.Conn) error) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer ws.CloseNow()
		if first != nil {
			if err := first(r.Context(), ws); err != nil {
				return
			}
		}
		for {
			if _, _, err := ws.Read(r.Context()); err != nil {
				return
			}
		}
	}))
	t.Cleanup(srv.Close)
	return "ws" + strings.TrimPrefix(srv.URL, "http") + wire.Path
}

func sendFrame(body wire.Body) func(ctx context.Context, ws *websocket.Conn) error {
	return func(ctx context.Context, ws *websocket.Conn) error {
		b, err := wire.Encode(0, body)
		if err != nil {
			return err
		}
		return ws.Write(ctx, websocket.MessageBinary, b)
	}
}

func sendMessage(typ websocket.MessageType, b []byte) func(ctx context.Context, ws *websocket.Conn) error {
	return func(ctx context.Context, ws *websocket.Conn) error { return ws.Write(ctx, typ, b) }
}

func TestReadHelloRefusesAnythingElse(t *testing.T) {
	tests := []struct {
		name  string
		first func(ctx context.Context, ws *websocket.Conn) error
		check func(err error) bool
	}{
		{"error frame", sendFrame(&wire.Error{Code: wire.CodeShuttingDown, Message: "bye"}), func(err error) bool {
			var re *wireconn.RefusedError
			return errors.As(err, &re) && errors.Is(err, wire.ErrShuttingDown)
		}},
		{"another frame", sendFrame(&wire.Typing{ChatID: ids.New[ids.Chat]()}), func(err error) bool {
			var re *wireconn.RefusedError
			return !errors.As(err, &re) && strings.Contains(err.Error(), "instead of hello")
		}},
		{"text message", sendMessage(websocket.MessageText, []byte("hello")), func(err error) bool {
			return errors.Is(err, wireconn.ErrTextMessage)
		}},
		{"bytes that are no frame", sendMessage(websocket.MessageBinary, []byte{0xff}), func(err error) bool {
			return errors.Is(err, wireconn.ErrBadFrame) && errors.Is(err, wire.ErrBadFrame)
		}},
		{"closed", func(ctx context.Context, ws *websocket.Conn) error {
			return ws.Close(websocket.StatusGoingAway, "")
		}, func(err error) bool { return websocket.CloseStatus(err) == websocket.StatusGoingAway }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := wireconn.Dial(testCtx(t), fakeRelay(t, tt.first), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer c.CloseNow()
			hello, err := c.ReadHello(testCtx(t))
			if err == nil || hello != nil || !tt.check(err) {
				t.Errorf("ReadHello = %v, %v", hello, err)
			}
		})
	}
}

func TestReadFrameGoesOnAfterABadMessage(t *testing.T) {
	url := fakeRelay(t, func(ctx context.Context, ws *websocket.Conn) error {
		for _, m := range []struct {
			typ websocket.MessageType
			b   []byte
		}{{websocket.MessageText, []byte("x")}, {websocket.MessageBinary, []byte{0x84, 0x01}}} {
			if err := ws.Write(ctx, m.typ, m.b); err != nil {
				return err
			}
		}
		return sendFrame(&wire.OK{})(ctx, ws)
	})
	c, err := wireconn.Dial(testCtx(t), url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	var buf bytes.Buffer
	for i, want := range []error{wireconn.ErrTextMessage, wireconn.ErrBadFrame, nil} {
		f, err := c.ReadFrame(testCtx(t), &buf)
		if !errors.Is(err, want) || (want == nil && f.Type != wire.TypeOK) {
			t.Errorf("message %d: %v, %v; want %v", i, f.Type, err, want)
		}
	}
}

func TestDialFailures(t *testing.T) {
	unavailable := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
	}))
	defer unavailable.Close()
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	tests := []struct {
		name   string
		url    string
		status int
	}{
		{"relay shutting down", "ws" + strings.TrimPrefix(unavailable.URL, "http") + wire.Path, http.StatusServiceUnavailable},
		{"nobody listening", "ws" + strings.TrimPrefix(closed.URL, "http") + wire.Path, 0},
		{"not a URL", "ws://host\x7f/v1/ws", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := wireconn.Dial(testCtx(t), tt.url, nil)
			var de *wireconn.DialError
			if c != nil || !errors.As(err, &de) || de.StatusCode != tt.status {
				t.Errorf("Dial = %v, %v; want a DialError with status %d", c, err, tt.status)
			}
		})
	}
}

// The relay makes a connection reachable before it answers Auth, so pushes may
// come first: Authenticate takes the answer and keeps the pushes, in order, for
// the reads after it, instead of failing on the first push.
func TestAuthenticateKeepsPushesBeforeTheAnswer(t *testing.T) {
	alice := relaytest.NewAccount(t)
	chat := ids.New[ids.Chat]()
	frame := func(ctx context.Context, ws *websocket.Conn, reqID uint64, body wire.Body) error {
		b, err := wire.Encode(reqID, body)
		if err != nil {
			return err
		}
		return ws.Write(ctx, websocket.MessageBinary, b)
	}
	url := fakeRelay(t, func(ctx context.Context, ws *websocket.Conn) error {
		hello := &wire.Hello{Versions: []uint16{wire.Version}, Limits: wire.Limits{MaxFrameSize: wire.MaxFrameSize}}
		if err := frame(ctx, ws, 0, hello); err != nil {
			return err
		}
		if _, _, err := ws.Read(ctx); err != nil { // the Auth
			return err
		}
		for _, f := range []struct {
			id   uint64
			body wire.Body
		}{
			{0, &wire.Receipt{ChatID: chat, AccountID: alice.AccountID(), ReadSeq: 7}},
			{0, &wire.Typing{ChatID: chat}},
			{wireconn.AuthReqID, &wire.AuthOK{AccountID: alice.AccountID(), DeviceID: alice.DeviceID()}},
			{0, &wire.Receipt{ChatID: chat, AccountID: alice.AccountID(), ReadSeq: 8}},
		} {
			if err := frame(ctx, ws, f.id, f.body); err != nil {
				return err
			}
		}
		return nil
	})
	ctx := testCtx(t)
	c, err := wireconn.Dial(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	if _, err := c.ReadHello(ctx); err != nil {
		t.Fatal(err)
	}
	ok, err := c.Authenticate(ctx, alice.Key, alice.Cert)
	if err != nil || ok.AccountID != alice.AccountID() {
		t.Fatalf("Authenticate = %+v, %v", ok, err)
	}
	var got []string
	for range 3 {
		f, err := c.ReadFrame(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		s := f.Type.String()
		if r, isReceipt := f.Body.(*wire.Receipt); isReceipt {
			s = fmt.Sprintf("%s %d", s, r.ReadSeq)
		}
		got = append(got, s)
	}
	want := []string{wire.TypeReceipt.String() + " 7", wire.TypeTyping.String(), wire.TypeReceipt.String() + " 8"}
	if !slices.Equal(got, want) {
		t.Errorf("frames after Authenticate: %v, want %v", got, want)
	}
}
