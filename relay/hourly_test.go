package relay_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"testing"
	"time"

	"github.com/coder/websocket"

	"hush/ids"
	"hush/policy"
	"hush/relay"
	"hush/relay/relaytest"
	"hush/sync/wire"
	"hush/sync/wireconn"
)

// The fake clock starts 20 s into a minute (1700000000 = 28333333 min + 20 s). An
// event is counted until the minute after the hour that follows its own minute has
// passed, so one at the start waits 1 h 0 min 40 s.
const firstRetry = time.Hour + 40*time.Second

// limitErr requires err to be the relay's refusal with code, and returns it.
func limitErr(t *testing.T, err error, code wire.Code) *wire.Error {
	t.Helper()
	var we *wire.Error
	if !errors.As(err, &we) || we.Code != code {
		t.Fatalf("err = %v, want %v", err, code)
	}
	return we
}

// authAs dials url with the extra headers h and authenticates d.
func authAs(t *testing.T, url string, h http.Header, d *relaytest.Device) (*wireconn.Conn, error) {
	t.Helper()
	ctx := testCtx(t)
	c, err := wireconn.Dial(ctx, url, &wireconn.Options{HTTPClient: &http.Client{Transport: withHeaders{h}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.CloseNow() })
	if _, err := c.ReadHello(ctx); err != nil {
		t.Fatal(err)
	}
	_, err = c.Authenticate(ctx, d.Key, d.Cert)
	return c, err
}

// withHeaders adds headers to every request, as a proxy (or a liar) would.
type withHeaders struct{ h http.Header }

func (w withHeaders) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	for k, v := range w.h {
		req.Header[k] = v
	}
	return http.DefaultTransport.RoundTrip(req)
}

// limitCase is one run of an attack on an hourly limit: against a relay without
// the limit (perHour NoLimit), where it must succeed, or with it, where it must be
// refused.
type limitCase struct {
	perHour int
	refused bool
}

// attackFirst runs attack against a relay without the limit, then against one
// with limit, so a test of a limit cannot pass by not attacking.
func attackFirst(t *testing.T, limit int, attack func(t *testing.T, tt limitCase)) {
	t.Run("no limit: the attack succeeds", func(t *testing.T) { attack(t, limitCase{relay.NoLimit, false}) })
	t.Run("limit", func(t *testing.T) { attack(t, limitCase{limit, true}) })
}

// TestNewAccountLimit: one network registers accounts as fast as it likes against a
// relay without the limit; with it, the limit+1st is refused with CodeAccountLimit,
// the connection is closed, and one more is let in when the hour has passed.
// Known accounts and new devices of known accounts are never counted.
func TestNewAccountLimit(t *testing.T) {
	const limit = 3
	attackFirst(t, limit, func(t *testing.T, tt limitCase) {
		clk := fakeClock()
		r := relaytest.Start(t, &relaytest.Options{Clock: clk, Limits: relay.Limits{NewAccountsPerHour: tt.perHour}})
		first := relaytest.NewAccount(t)
		relaytest.Dial(t, r, first)
		for range limit - 1 {
			relaytest.Dial(t, r, relaytest.NewAccount(t))
		}
		ctx := testCtx(t)
		c, err := relaytest.DialRaw(ctx, r.URL)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_, err = c.Auth(ctx, relaytest.NewAccount(t))
		if !tt.refused {
			if err != nil {
				t.Fatalf("account %d: %v", limit+1, err)
			}
			return
		}
		if we := limitErr(t, err, wire.CodeAccountLimit); we.RetryAfter != firstRetry {
			t.Errorf("RetryAfter = %v, want %v", we.RetryAfter, firstRetry)
		}
		<-c.Done()
		if s := c.CloseStatus(); s != websocket.StatusPolicyViolation {
			t.Errorf("close status %v, want %v", s, websocket.StatusPolicyViolation)
		}
		// A known account, and a new device of one, are not new accounts.
		relaytest.Dial(t, r, first)
		relaytest.Dial(t, r, relaytest.Sibling(t, first))

		clk.Advance(firstRetry - time.Second)
		if _, err := authAs(t, r.URL, nil, relaytest.NewAccount(t)); limitErr(t, err, wire.CodeAccountLimit).RetryAfter != time.Second {
			t.Errorf("a second before the hour is up: %v", err)
		}
		clk.Advance(time.Second)
		relaytest.Dial(t, r, relaytest.NewAccount(t))
	})
}

// TestAccountLimitIgnoresForgedForwarding: a client that is not a trusted proxy
// sends a new X-Forwarded-For with every connection. A relay that trusted it (here:
// one that trusts the whole loopback network the client comes from) gives each
// invented address a fresh hour; the real one ignores the header and counts the TCP
// peer.
func TestAccountLimitIgnoresForgedForwarding(t *testing.T) {
	const limit = 2
	for _, tt := range []struct {
		name    string
		trusted []netip.Prefix
		refused bool
	}{
		{"weakened: the client is trusted as a proxy", []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, false},
		{"real: no trusted proxy", nil, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			url := serveLoopback(t, relay.Config{TrustedProxies: tt.trusted, Limits: relay.Limits{NewAccountsPerHour: limit}})
			var err error
			for i := range limit + 1 {
				h := http.Header{"X-Forwarded-For": {fmt.Sprintf("198.51.100.%d", i+1)}}
				if _, err = authAs(t, url, h, relaytest.NewAccount(t)); err != nil {
					break
				}
			}
			if !tt.refused {
				if err != nil {
					t.Fatalf("forged addresses: %v", err)
				}
				return
			}
			limitErr(t, err, wire.CodeAccountLimit)
		})
	}
}

// TestAccountLimitBehindAProxy: behind a trusted proxy the client's address is the
// rightmost X-Forwarded-For entry that is not a trusted proxy; IPv6 clients are
// counted per /64.
func TestAccountLimitBehindAProxy(t *testing.T) {
	url := serveLoopback(t, relay.Config{
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("10.0.0.0/8")},
		Limits:         relay.Limits{NewAccountsPerHour: 2},
	})
	steps := []struct {
		xff  string
		code wire.Code // 0: let in
	}{
		{"2001:db8::1", 0},
		{"2001:db8::ffff:1", 0},
		{"2001:db8::2", wire.CodeAccountLimit}, // the same /64
		{"2001:db8:0:1::1", 0},                 // the next /64
		{"203.0.113.7", 0},                     // IPv4: the address alone
		{"198.51.100.1, 203.0.113.7", 0},       // the client's own left entry is not read
		{"198.51.100.2, 203.0.113.7", wire.CodeAccountLimit},
		{"203.0.113.7, 10.1.2.3", wire.CodeAccountLimit}, // a trusted hop is skipped
		{"203.0.113.8, 10.1.2.3", 0},
		{"garbage, 10.1.2.3", 0},      // counted as the last trusted hop, 10.1.2.3
		{"more garbage, 10.1.2.3", 0}, // ... which has one more
		{"[bad, 10.1.2.3", wire.CodeAccountLimit},
	}
	for _, s := range steps {
		_, err := authAs(t, url, http.Header{"X-Forwarded-For": {s.xff}}, relaytest.NewAccount(t))
		if s.code == 0 {
			if err != nil {
				t.Fatalf("X-Forwarded-For %q: %v", s.xff, err)
			}
			continue
		}
		limitErr(t, err, s.code)
	}
}

// TestChatLimit: an account creates chats as fast as it likes against a relay without
// the limit; with it, the limit+1st is refused with CodeChatLimit until the hour has
// passed. Retrying a create that succeeded is not a new chat.
func TestChatLimit(t *testing.T) {
	const limit = 3
	attackFirst(t, limit, func(t *testing.T, tt limitCase) {
		clk := fakeClock()
		r := relaytest.Start(t, &relaytest.Options{Clock: clk, Limits: relay.Limits{NewChatsPerHour: tt.perHour}})
		alice, bob := relaytest.NewAccount(t), relaytest.NewAccount(t)
		a := relaytest.Dial(t, r, alice)
		other := relaytest.Dial(t, r, bob)
		// Each chat is a new group: its first record, signed by its creator.
		chatBy := func(d *relaytest.Device) *wire.CreateChat {
			_, create := relaytest.NewChat(t, d, policy.KindGroup, "")
			return create
		}
		create := func(c *relaytest.Conn, m *wire.CreateChat) (wire.Body, error) {
			return c.Request(testCtx(t), m)
		}
		first := chatBy(alice)
		for i := range limit {
			m := chatBy(alice)
			if i == 0 {
				m = first
			}
			if _, err := create(a, m); err != nil {
				t.Fatalf("chat %d: %v", i+1, err)
			}
		}
		_, err := create(a, chatBy(alice))
		if !tt.refused {
			if err != nil {
				t.Fatalf("chat %d: %v", limit+1, err)
			}
			return
		}
		if we := limitErr(t, err, wire.CodeChatLimit); we.RetryAfter != firstRetry {
			t.Errorf("RetryAfter = %v, want %v", we.RetryAfter, firstRetry)
		}
		if _, err := create(a, first); err != nil {
			t.Errorf("retrying a create that succeeded: %v", err)
		}
		if _, err := create(other, chatBy(bob)); err != nil {
			t.Errorf("another account: %v", err)
		}
		request[*wire.Chats](t, a, &wire.ChatList{}) // the connection is kept
		clk.Advance(firstRetry)
		if _, err := create(a, chatBy(alice)); err != nil {
			t.Errorf("after the hour: %v", err)
		}
	})
}

// TestStrangerLimit: an account fills a stranger's inbox as fast as it likes against
// a relay without the limit; with it, the limit+1st item to devices of accounts it
// shares no chat with is refused with CodeStrangerLimit. Items to its own devices
// and to the devices of accounts it shares a chat with are not counted, nor is a
// resend of an item already stored.
func TestStrangerLimit(t *testing.T) {
	const limit = 2
	attackFirst(t, limit, func(t *testing.T, tt limitCase) {
		clk := fakeClock()
		r := relaytest.Start(t, &relaytest.Options{Clock: clk, Limits: relay.Limits{StrangerItemsPerHour: tt.perHour}})
		alice, bob, carol, dave := relaytest.NewAccount(t), relaytest.NewAccount(t), relaytest.NewAccount(t), relaytest.NewAccount(t)
		laptop := relaytest.Sibling(t, alice)
		a := relaytest.Dial(t, r, alice)
		for _, d := range []*relaytest.Device{bob, carol, dave, laptop} {
			relaytest.Dial(t, r, d)
		}
		chatWith(t, a, policy.KindDirect, alice, bob)
		drain(a)
		send := func(to *relaytest.Device, item ids.InboxItem) error {
			_, err := a.Request(testCtx(t), &wire.InboxSend{ToDevice: to.DeviceID(), ItemID: item, Ciphertext: []byte("hello")})
			return err
		}
		first := ids.New[ids.InboxItem]()
		for _, step := range []struct {
			to   *relaytest.Device
			item ids.InboxItem
		}{{carol, first}, {carol, first}, {dave, ids.New[ids.InboxItem]()}, {bob, ids.New[ids.InboxItem]()}, {laptop, ids.New[ids.InboxItem]()}} {
			if err := send(step.to, step.item); err != nil {
				t.Fatalf("item to %v: %v", step.to.AccountID(), err)
			}
		}
		err := send(carol, ids.New[ids.InboxItem]())
		if !tt.refused {
			if err != nil {
				t.Fatalf("item %d to strangers: %v", limit+1, err)
			}
			return
		}
		if we := limitErr(t, err, wire.CodeStrangerLimit); we.RetryAfter != firstRetry {
			t.Errorf("RetryAfter = %v, want %v", we.RetryAfter, firstRetry)
		}
		if err := send(bob, ids.New[ids.InboxItem]()); err != nil {
			t.Errorf("an item to a chat partner at the limit: %v", err)
		}
		// Once carol shares a chat with alice she is no stranger.
		chatWith(t, a, policy.KindDirect, alice, carol)
		if err := send(carol, ids.New[ids.InboxItem]()); err != nil {
			t.Errorf("an item to carol after a chat with her: %v", err)
		}
		limitErr(t, send(dave, ids.New[ids.InboxItem]()), wire.CodeStrangerLimit)
		clk.Advance(firstRetry)
		if err := send(dave, ids.New[ids.InboxItem]()); err != nil {
			t.Errorf("after the hour: %v", err)
		}
	})
}

func TestHourlyLimitDefaults(t *testing.T) {
	d := relay.DefaultLimits()
	if d.NewAccountsPerHour != 10 || d.NewChatsPerHour != 60 || d.StrangerItemsPerHour != 200 {
		t.Errorf("hourly defaults %d, %d, %d; docs/PROTOCOL.md says 10, 60, 200", d.NewAccountsPerHour, d.NewChatsPerHour, d.StrangerItemsPerHour)
	}
}
