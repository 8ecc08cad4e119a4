package browsermode

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"hush/internal/testutil"
)

// dialEvents opens /api/events with the header token; the socket is cut at
// cleanup, before the server shuts down.
func dialEvents(t *testing.T, ts *testServer, opts *websocket.DialOptions) *websocket.Conn {
	t.Helper()
	if opts == nil {
		opts = &websocket.DialOptions{}
	}
	opts.HTTPHeader = http.Header{"X-Hush-Token": {ts.token}}
	conn, _, err := websocket.Dial(t.Context(), "ws://"+ts.host+"/api/events", opts)
	if err != nil {
		t.Fatalf("dial events: %v", err)
	}
	t.Cleanup(func() { conn.CloseNow() })
	return conn
}

// readText reads one message with a deadline and returns it as a string.
func readText(t *testing.T, conn *websocket.Conn) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	typ, b, err := conn.Read(ctx)
	if err != nil {
		t.Fatalf("read event: %v", err)
	}
	if typ != websocket.MessageText {
		t.Fatalf("event arrived as %v, want a text message", typ)
	}
	return string(b)
}

// reader reads in the background, as a browser does, so control frames
// (pings, close) are handled; messages and the final error come out on
// channels.
type reader struct {
	msgs chan string
	err  chan error
}

func startReader(conn *websocket.Conn) *reader {
	r := &reader{msgs: make(chan string, 64), err: make(chan error, 1)}
	go func() {
		for {
			_, b, err := conn.Read(context.Background())
			if err != nil {
				r.err <- err
				return
			}
			r.msgs <- string(b)
		}
	}()
	return r
}

func (r *reader) next(t *testing.T) string {
	t.Helper()
	select {
	case m := <-r.msgs:
		return m
	case err := <-r.err:
		t.Fatalf("socket ended: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("no event within 10 s")
	}
	return ""
}

func (r *reader) end(t *testing.T) error {
	t.Helper()
	for {
		select {
		case <-r.msgs:
		case err := <-r.err:
			return err
		case <-time.After(20 * time.Second):
			t.Fatal("socket still open after 20 s")
		}
	}
}

func TestEmitReachesEveryClient(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	a := dialEvents(t, ts, nil)
	b := dialEvents(t, ts, nil)
	if n := ts.clientCount(); n != 2 {
		t.Fatalf("clientCount = %d after two dials, want 2", n)
	}

	ts.Emit("settings:changed", Item{Name: "n", Count: 1})
	ts.Emit("vault:locked", map[string]string{"reason": "idle"})
	ts.Emit("bare", nil)
	ts.Emit("bad", func() {}) // cannot be encoded: dropped, logged, nothing sent
	ts.Emit("last", 7)

	want := []string{
		`{"name":"settings:changed","data":{"name":"n","count":1,"tags":null}}`,
		`{"name":"vault:locked","data":{"reason":"idle"}}`,
		`{"name":"bare","data":null}`,
		`{"name":"last","data":7}`,
	}
	for _, conn := range []*websocket.Conn{a, b} {
		for _, w := range want {
			if got := readText(t, conn); got != w {
				t.Fatalf("event = %s, want %s", got, w)
			}
		}
	}
}

func TestEventsMethodNotGet(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	req, _ := http.NewRequestWithContext(t.Context(), "POST", ts.base+"/api/events", nil)
	req.Header.Set("X-Hush-Token", ts.token)
	if status, _, _ := do(t, req); status != http.StatusMethodNotAllowed {
		t.Fatalf("POST /api/events: status %d, want 405", status)
	}
	req, _ = http.NewRequestWithContext(t.Context(), "GET", ts.base+"/api/events", nil)
	req.Header.Set("X-Hush-Token", ts.token)
	if status, _, _ := do(t, req); status != http.StatusUpgradeRequired {
		t.Fatalf("GET /api/events without an upgrade: status %d, want 426", status)
	}
	if n := ts.clientCount(); n != 0 {
		t.Fatalf("failed upgrades left %d clients registered", n)
	}
}

// TestSlowClientDropped fills a client that never reads: Emit must keep
// returning, the client must leave the set, and when it finally reads it
// must find a policy-violation close.
func TestSlowClientDropped(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	slow := dialEvents(t, ts, nil)
	slow.SetReadLimit(-1)

	// Large events fill the socket buffers quickly, after which the
	// server's writer is stuck and the queue fills behind it.
	big := strings.Repeat("x", 512<<10)
	const events = 4*clientQueueLen + 64
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range events {
			ts.Emit("big", big)
		}
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("Emit blocked on a slow client")
	}
	if n := ts.clientCount(); n != 0 {
		t.Fatalf("slow client still registered (%d clients) after %d events", n, events)
	}

	got := 0
	for {
		ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
		_, _, err := slow.Read(ctx)
		cancel()
		if err != nil {
			if st := websocket.CloseStatus(err); st != websocket.StatusPolicyViolation {
				t.Fatalf("slow client ended with %v (status %v), want StatusPolicyViolation", err, st)
			}
			break
		}
		got++
	}
	if got >= events {
		t.Fatalf("slow client received all %d events; it was never dropped", got)
	}

	// Others connecting afterwards are served normally.
	fresh := dialEvents(t, ts, nil)
	ts.Emit("after", true)
	if m := readText(t, fresh); m != `{"name":"after","data":true}` {
		t.Fatalf("fresh client got %s", m)
	}
}

func TestPingKeepsLiveClient(t *testing.T) {
	t.Parallel()
	ts := startServer(t, func(s *Server) { s.pingTimeout = 5 * time.Second })
	pinged := make(chan struct{}, 1)
	conn := dialEvents(t, ts, &websocket.DialOptions{
		OnPingReceived: func(context.Context, []byte) bool {
			select {
			case pinged <- struct{}{}:
			default:
			}
			return true
		},
	})
	r := startReader(conn)
	ts.ticker.tick()
	select {
	case <-pinged:
	case <-time.After(10 * time.Second):
		t.Fatal("no ping reached the client after a tick")
	}
	ts.ticker.tick() // the loop takes the next tick only after the first ping got its pong
	ts.Emit("still-here", 1)
	if m := r.next(t); m != `{"name":"still-here","data":1}` {
		t.Fatalf("after ping got %s", m)
	}
	if n := ts.clientCount(); n != 1 {
		t.Fatalf("clientCount = %d, want 1", n)
	}
}

func TestPingDropsDeadClient(t *testing.T) {
	t.Parallel()
	ts := startServer(t, func(s *Server) { s.pingTimeout = 100 * time.Millisecond })
	conn := dialEvents(t, ts, &websocket.DialOptions{
		OnPingReceived: func(context.Context, []byte) bool { return false }, // never pong
	})
	r := startReader(conn)
	ts.ticker.tick()
	err := r.end(t)
	if st := websocket.CloseStatus(err); st != -1 {
		t.Fatalf("dead client closed with status %v, want a cut connection", st)
	}
	testutil.Eventually(t, 10*time.Second, "the dead client to leave", func() bool { return ts.clientCount() == 0 })
}

func TestClientMessageClosesSocket(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	conn := dialEvents(t, ts, nil)
	if err := conn.Write(t.Context(), websocket.MessageText, []byte(`{"hello":1}`)); err != nil {
		t.Fatal(err)
	}
	_, _, err := conn.Read(t.Context())
	if st := websocket.CloseStatus(err); st != websocket.StatusPolicyViolation {
		t.Fatalf("after sending data the socket ended with %v, want StatusPolicyViolation", err)
	}
	testutil.Eventually(t, 10*time.Second, "the client to leave", func() bool { return ts.clientCount() == 0 })
}

func TestShutdownClosesEventSockets(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	r := startReader(dialEvents(t, ts, nil))
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := ts.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if st := websocket.CloseStatus(r.end(t)); st != websocket.StatusGoingAway {
		t.Fatalf("socket closed with %v, want StatusGoingAway", st)
	}
	ts.Emit("after-shutdown", 1) // must not block or panic
}

// TestShutdownCutsStuckSockets: a client that never reads cannot hold
// Shutdown beyond its context.
func TestShutdownCutsStuckSockets(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	conn := dialEvents(t, ts, nil)
	_ = conn // never read: the close handshake cannot complete
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	err := ts.Shutdown(ctx)
	if err == nil || !strings.Contains(err.Error(), "event sockets") {
		t.Fatalf("Shutdown with a stuck socket = %v, want a deadline error naming event sockets", err)
	}
}

func TestEventClientLimit(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	for range maxEventClients {
		dialEvents(t, ts, nil)
	}
	_, resp, err := websocket.Dial(t.Context(), "ws://"+ts.host+"/api/events", &websocket.DialOptions{
		HTTPHeader: http.Header{"X-Hush-Token": {ts.token}},
	})
	if err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("dial past the limit: err %v, response %v; want 503", err, resp)
	}
	var body struct{ Error string }
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || !strings.Contains(body.Error, "too many") {
		t.Fatalf("limit answer %+v (%v)", body, err)
	}
}
