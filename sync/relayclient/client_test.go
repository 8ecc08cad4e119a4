package relayclient

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"hush/clock"
	"hush/ids"
	"hush/internal/testutil"
	"hush/policy"
	"hush/relay"
	"hush/relay/relaytest"
	"hush/sync/wire"
)

func TestParseURL(t *testing.T) {
	good := []struct{ in, want string }{
		{"ws://127.0.0.1:8443", "ws://127.0.0.1:8443"},
		{"  WSS://Relay.Example.ORG:8443/ ", "wss://relay.example.org:8443"},
		{"ws://LOCALHOST:8443", "ws://localhost:8443"},
		{"ws://127.1.2.3:8443", "ws://127.1.2.3:8443"},
		{"wss://relay.example.org:443", "wss://relay.example.org"},
		{"wss://relay.example.org", "wss://relay.example.org"},
		{"wss://relay.example.org/v1/ws", "wss://relay.example.org"},
		{"ws://[::1]:8443", "ws://[::1]:8443"},
	}
	for _, g := range good {
		u, err := ParseURL(g.in)
		if err != nil || u.String() != g.want {
			t.Errorf("ParseURL(%q) = %v, %v; want %s", g.in, u, err, g.want)
		}
	}
	bad := []struct{ in, why string }{
		{"", "enter an address"},
		{"127.0.0.1:8443", "scheme"},
		{"relay.example.org", "no scheme"},
		{"http://relay.example.org", "scheme"},
		{"ws://", "no host"},
		{"ws://:8443", "no host"},
		{"ws://host:0", "port"},
		{"ws://host:65536", "port"},
		{"ws://host:", "empty port"},
		{"ws://user:pw@host", "user name"},
		{"ws://host/?x=1", "query"},
		{"ws://host/#frag", "fragment"},
		{"ws://host/other", "path"},
		{"ws:host", "no host"},
		{"ws://host\x7f", "not a URL"},
		{"ws://" + strings.Repeat("a", maxURLLength), "characters long"},
		{"ws://relay.example.org", "only for a relay on this computer; use wss://relay.example.org"},
		{"ws://10.0.0.1:8443", "use wss://10.0.0.1:8443"},
		{"ws://[::2]:8443", "use wss://[::2]:8443"},
		{"ws://localhost.example.org:8443", "only for a relay on this computer"},
	}
	for _, b := range bad {
		_, err := ParseURL(b.in)
		if !errors.Is(err, ErrInvalidURL) || !strings.Contains(err.Error(), b.why) {
			t.Errorf("ParseURL(%q) = %v, want ErrInvalidURL mentioning %q", b.in, err, b.why)
		}
		if insecure := strings.Contains(b.why, "this computer") || strings.HasPrefix(b.why, "use wss"); errors.Is(err, ErrInsecureURL) != insecure {
			t.Errorf("ParseURL(%q) = %v; errors.Is(err, ErrInsecureURL) should be %v", b.in, err, insecure)
		}
	}
}

func TestBackoffDelay(t *testing.T) {
	const minB, maxB = time.Second, 30 * time.Second
	for _, c := range []struct {
		attempt int
		r       float64
		want    time.Duration
	}{
		{0, 0.5, 500 * time.Millisecond},
		{1, 0.5, time.Second},
		{2, 0.99, 3960 * time.Millisecond},
		{4, 1 - 1e-9, 16 * time.Second},
		{5, 0.5, 15 * time.Second},   // capped at maxB
		{62, 0.5, 15 * time.Second},  // no overflow
		{500, 0.5, 15 * time.Second}, // no overflow
		{0, 0, 100 * time.Millisecond},
		{3, 0.001, 100 * time.Millisecond}, // floor
	} {
		got := backoffDelay(c.attempt, minB, maxB, c.r)
		if d := got - c.want; d < -time.Millisecond || d > time.Millisecond {
			t.Errorf("backoffDelay(%d, r=%v) = %v, want %v", c.attempt, c.r, got, c.want)
		}
	}
}

func TestPushQueueBounded(t *testing.T) {
	var q pushQueue
	q.init()
	q.connected(Session{})
	for range MaxQueuedPushes + 10 {
		q.push(&wire.OK{})
	}
	q.connected(Session{}) // never dropped
	items, missed, closed := q.take()
	if !missed || closed {
		t.Errorf("missed=%v closed=%v, want missed", missed, closed)
	}
	if len(items) != MaxQueuedPushes+2 || items[0].session == nil || items[len(items)-1].session == nil {
		t.Errorf("%d items, want %d with sessions first and last", len(items), MaxQueuedPushes+2)
	}
	if _, missed, _ := q.take(); missed {
		t.Error("missed reported twice")
	}
	q.close()
	q.push(&wire.OK{})
	if items, _, closed := q.take(); !closed || len(items) != 0 {
		t.Errorf("after close: %d items, closed=%v", len(items), closed)
	}
}

// handler records what the client delivers.
type recHandler struct {
	mu       sync.Mutex
	sessions []Session
	pushes   []wire.Body
	missed   int
	order    []string
}

func (h *recHandler) Connected(ctx context.Context, s Session) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.sessions = append(h.sessions, s)
	h.order = append(h.order, "connected")
}

func (h *recHandler) Pushes(ctx context.Context, p []wire.Body) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.pushes = append(h.pushes, p...)
	for range p {
		h.order = append(h.order, "push")
	}
}

func (h *recHandler) Missed(ctx context.Context) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.missed++
}

func (h *recHandler) counts() (sessions, pushes int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.sessions), len(h.pushes)
}

// statuses records status reports.
type statuses struct {
	mu  sync.Mutex
	all []Status
}

func (s *statuses) add(st Status) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.all = append(s.all, st)
}

func (s *statuses) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.all)
}

func (s *statuses) find(pred func(Status) bool) (Status, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, st := range s.all {
		if pred(st) {
			return st, true
		}
	}
	return Status{}, false
}

type client struct {
	*Client
	h  *recHandler
	st *statuses
}

func newClient(t *testing.T, url string, d *relaytest.Device, mod func(*Config)) client {
	t.Helper()
	h, st := &recHandler{}, &statuses{}
	cfg := Config{URL: url, Device: d.Key, Certificate: d.Cert, Handler: h, OnStatus: st.add,
		Backoff: [2]time.Duration{10 * time.Millisecond, 50 * time.Millisecond}}
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.Run()
	return client{c, h, st}
}

func (c client) online(t *testing.T) {
	t.Helper()
	testutil.Eventually(t, 15*time.Second, "online", func() bool { return c.Status().State == StateOnline })
}

func TestRequestsAndPushes(t *testing.T) {
	r := relaytest.Start(t, nil)
	alice, bob := relaytest.NewAccount(t), relaytest.NewAccount(t)
	ca := newClient(t, "ws://"+r.Addr, alice, nil)
	cb := newClient(t, "ws://"+r.Addr, bob, nil)
	ca.online(t)
	cb.online(t)
	ctx := context.Background()

	st := ca.Status()
	if st.Session.Account != alice.AccountID() || st.Session.Device != alice.DeviceID() || st.URL != "ws://"+r.Addr || st.Err != nil {
		t.Errorf("status = %+v", st)
	}
	if st.Session.Limits.MaxInFlight == 0 {
		t.Error("the relay's limits are not reported")
	}
	resp, err := ca.Do(ctx, &wire.LookupAccount{AccountID: bob.AccountID()})
	if err != nil {
		t.Fatal(err)
	}
	if a, ok := resp.(*wire.Account); !ok || len(a.Devices) != 1 {
		t.Errorf("lookup = %#v", resp)
	}
	// A relay error comes back as a *wire.Error that errors.Is can match.
	_, err = ca.Do(ctx, &wire.LookupHandle{Handle: "nobody"})
	if !errors.Is(err, wire.ErrNotFound) {
		t.Errorf("unknown handle: %v, want wire.ErrNotFound", err)
	}
	// Requests started in order are carried out in order; responses match requests.
	var calls []*Call
	for range 50 {
		c, err := ca.Start(ctx, &wire.LookupAccount{AccountID: alice.AccountID()})
		if err != nil {
			t.Fatal(err)
		}
		calls = append(calls, c)
	}
	for _, c := range calls {
		if resp, err := c.Wait(ctx); err != nil || resp.Type() != wire.TypeAccount {
			t.Fatalf("pipelined call: %v %v", resp, err)
		}
	}
	// A push reaches the other member, after its Connected.
	l, create := relaytest.NewChat(t, alice, policy.KindDirect, "", relaytest.Member(bob, policy.RoleMember))
	chat := l.ID()
	if _, err := ca.Do(ctx, create); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 15*time.Second, "Bob's push", func() bool { _, p := cb.h.counts(); return p == 1 })
	cb.h.mu.Lock()
	if cc, ok := cb.h.pushes[0].(*wire.ChatChanged); !ok || cc.Chat.ChatID != chat {
		t.Errorf("push = %#v", cb.h.pushes[0])
	}
	if cb.h.order[0] != "connected" {
		t.Errorf("order = %v, want connected first", cb.h.order)
	}
	cb.h.mu.Unlock()
	// Typing goes out without a response.
	if err := ca.Notify(ctx, &wire.Typing{ChatID: chat}); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 15*time.Second, "typing push", func() bool { _, p := cb.h.counts(); return p == 2 })
	// A request whose context ends gives up without harming the connection.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := ca.Do(cctx, &wire.GetChat{ChatID: chat}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled request: %v", err)
	}
	if _, err := ca.Do(ctx, &wire.GetChat{ChatID: chat}); err != nil {
		t.Errorf("after a cancelled request: %v", err)
	}
	// A request the encoder refuses never leaves.
	if _, err := ca.Do(ctx, &wire.Send{ChatID: chat, MsgID: ids.New[ids.Message](), Epoch: 1, Ciphertext: make([]byte, wire.MaxCiphertextSize+1)}); !errors.Is(err, wire.ErrTooLarge) {
		t.Errorf("oversize send: %v, want wire.ErrTooLarge", err)
	}
	ca.Close()
	if _, err := ca.Do(ctx, &wire.GetChat{ChatID: chat}); !errors.Is(err, ErrClosed) {
		t.Errorf("after Close: %v, want ErrClosed", err)
	}
	if st := ca.Status(); st.State != StateOffline {
		t.Errorf("state after Close = %s", st.State)
	}
}

func TestNotRunningIsOffline(t *testing.T) {
	d := relaytest.NewAccount(t)
	c, err := New(Config{URL: "ws://127.0.0.1:1", Device: d.Key, Certificate: d.Cert, Handler: &recHandler{}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Do(context.Background(), &wire.GetChat{}); !errors.Is(err, ErrOffline) {
		t.Errorf("Do before Run: %v, want ErrOffline", err)
	}
	if _, err := New(Config{URL: "http://x", Device: d.Key, Certificate: d.Cert, Handler: &recHandler{}}); !errors.Is(err, ErrInvalidURL) {
		t.Errorf("New with a bad URL: %v", err)
	}
}

func TestReconnectAfterRestart(t *testing.T) {
	r := relaytest.Start(t, nil)
	d := relaytest.NewAccount(t)
	c := newClient(t, "ws://"+r.Addr, d, nil)
	c.online(t)
	r.Restart(t)
	testutil.Eventually(t, 15*time.Second, "second session", func() bool { s, _ := c.h.counts(); return s == 2 })
	c.online(t)
	off, ok := c.st.find(func(s Status) bool { return s.State == StateOffline })
	if !ok || off.Err == nil || off.RetryAt.IsZero() {
		t.Errorf("offline status = %+v, want a reason and a retry time", off)
	}
	if _, err := c.Do(context.Background(), &wire.LookupAccount{AccountID: d.AccountID()}); err != nil {
		t.Errorf("request after reconnect: %v", err)
	}
}

// TestUnreachableBackoffWithFakeClock runs in a synctest bubble with a dialer that
// fails in memory, so no socket is involved and synctest.Wait says when the client
// has settled: the status reports can be counted exactly.
func TestUnreachableBackoffWithFakeClock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		clk := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
		d := relaytest.NewAccount(t)
		var dials atomic.Int32
		noNetwork := &http.Client{Transport: &http.Transport{
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				dials.Add(1)
				return nil, &net.OpError{Op: "dial", Net: network, Err: errors.New("no network in this test")}
			},
		}}
		c := newClient(t, "ws://127.0.0.1:1", d, func(cfg *Config) {
			cfg.Clock = clk
			cfg.Rand = func() float64 { return 0.5 }
			cfg.Backoff = [2]time.Duration{time.Second, 8 * time.Second}
			cfg.HTTP = noNetwork
		})
		settled := func(wantReports int, wantRetry time.Duration) {
			t.Helper()
			synctest.Wait()
			st := c.Status()
			if st.State != StateOffline || !errors.Is(st.Err, ErrUnreachable) || !st.RetryAt.Equal(clk.Now().Add(wantRetry)) {
				t.Fatalf("status = %+v, want unreachable with a retry in %v", st, wantRetry)
			}
			if n := c.st.count(); n != wantReports {
				t.Errorf("%d status reports, want %d (connecting, offline per attempt)", n, wantReports)
			}
			if n := int(dials.Load()); n != wantReports/2 {
				t.Errorf("%d dials, want %d", n, wantReports/2)
			}
		}
		// Attempt 1 fails: offline, retry in 0.5 × 1 s; nothing happens until the
		// clock moves.
		settled(2, 500*time.Millisecond)
		clk.Advance(499 * time.Millisecond)
		settled(2, time.Millisecond)
		clk.Advance(time.Millisecond)
		settled(4, time.Second)
		// Retry skips the wait.
		c.Retry()
		settled(6, 2*time.Second)
	})
}

func TestRefusedByRelay(t *testing.T) {
	r := relaytest.Start(t, &relaytest.Options{Limits: relay.Limits{MaxConnsPerAccount: 1}})
	d := relaytest.NewAccount(t)
	first := newClient(t, "ws://"+r.Addr, d, nil)
	first.online(t)
	second := newClient(t, "ws://"+r.Addr, relaytest.Sibling(t, d), nil)
	testutil.Eventually(t, 15*time.Second, "refusal", func() bool {
		_, ok := second.st.find(func(s Status) bool { return errors.Is(s.Err, wire.ErrTooManyConnections) })
		return ok
	})
	st, _ := second.st.find(func(s Status) bool { return errors.Is(s.Err, wire.ErrTooManyConnections) })
	if st.State != StateOffline || !errors.Is(st.Err, ErrRefused) || st.RetryAt.IsZero() {
		t.Errorf("status = %+v, want offline, refused, with a retry time", st)
	}
	first.Close()
	second.online(t)
}

func TestShuttingDownIsARefusal(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	c := newClient(t, "ws"+strings.TrimPrefix(srv.URL, "http"), relaytest.NewAccount(t), nil)
	shuttingDown := func(s Status) bool { return errors.Is(s.Err, wire.ErrShuttingDown) }
	testutil.Eventually(t, 15*time.Second, "refusal", func() bool { _, ok := c.st.find(shuttingDown); return ok })
	st, _ := c.st.find(shuttingDown)
	if st.State != StateOffline || !errors.Is(st.Err, ErrRefused) || st.RetryAt.IsZero() {
		t.Errorf("status = %+v, want offline, refused, with a retry time", st)
	}
}

// skewedClock is a relay clock ten minutes ahead.
type skewedClock struct{}

func (skewedClock) Now() time.Time { return time.Now().Add(10 * time.Minute) }
func (skewedClock) AfterFunc(d time.Duration, f func()) clock.Timer {
	return time.AfterFunc(d, f)
}

func TestClockSkewWarning(t *testing.T) {
	r := relaytest.Start(t, &relaytest.Options{Clock: skewedClock{}})
	c := newClient(t, "ws://"+r.Addr, relaytest.NewAccount(t), nil)
	c.online(t)
	st := c.Status()
	if !errors.Is(st.Warning, ErrClockSkew) || st.Session.Skew < 9*time.Minute {
		t.Errorf("status = %+v, want a clock skew warning", st)
	}
	r2 := relaytest.Start(t, nil)
	c2 := newClient(t, "ws://"+r2.Addr, relaytest.NewAccount(t), nil)
	c2.online(t)
	if st := c2.Status(); st.Warning != nil {
		t.Errorf("warning without skew: %v", st.Warning)
	}
}
