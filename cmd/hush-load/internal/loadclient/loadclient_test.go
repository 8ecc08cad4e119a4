package loadclient

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"

	"hush/ids"
	"hush/internal/testutil"
	"hush/policy"
	"hush/relay"
	"hush/relay/relaytest"
	"hush/sync/wire"
)

func testCtx(t *testing.T) context.Context { return testutil.Context(t, 20*time.Second) }

func mustDevice(t *testing.T) *Device {
	t.Helper()
	d, err := NewDevice()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func dialAuth(t *testing.T, d *Dialer, url string, dev *Device) *Conn {
	t.Helper()
	c, err := d.Dial(testCtx(t), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.CloseNow() })
	if _, err := c.Auth(testCtx(t), dev); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSendAckPush(t *testing.T) {
	r := relaytest.Start(t, nil)
	d, err := NewDialer(nil)
	if err != nil {
		t.Fatal(err)
	}
	alice, bob := mustDevice(t), mustDevice(t)
	a := dialAuth(t, d, r.URL, alice)
	b := dialAuth(t, d, r.URL, bob)
	ctx := testCtx(t)

	// Synchronous setup before Run.
	l, create := relaytest.NewChat(t, alice, policy.KindDirect, "", relaytest.Member(bob, policy.RoleMember))
	chat := l.ID()
	if _, err := a.RoundTrip(ctx, create); err != nil {
		t.Fatal(err)
	}
	if _, err := a.RoundTrip(ctx, &wire.PutEpoch{ChatID: chat, Epoch: 1, LogLen: l.Len(), Wrapped: []wire.WrappedKey{{AccountID: alice.AccountID(), Envelope: []byte("k")}, {AccountID: bob.AccountID(), Envelope: []byte("k")}}}); err != nil {
		t.Fatal(err)
	}

	pushes := make(chan *wire.Push, 10)
	b.Run(func(f wire.Frame) {
		if p, ok := f.Body.(*wire.Push); ok {
			pushes <- p
		}
	})
	a.Run(nil)
	if _, err := a.RoundTrip(ctx, &wire.GetChat{ChatID: chat}); !errors.Is(err, ErrRunning) {
		t.Errorf("RoundTrip after Run: %v, want ErrRunning", err)
	}

	id := ids.New[ids.Message]()
	resp, err := a.Request(ctx, &wire.Send{ChatID: chat, MsgID: id, Epoch: 1, Ciphertext: []byte("ciphertext")})
	if err != nil {
		t.Fatal(err)
	}
	ack, ok := resp.(*wire.Ack)
	if !ok || ack.MsgID != id || ack.Seq != 1 {
		t.Fatalf("got %#v, want the Ack of seq 1", resp)
	}
	select {
	case p := <-pushes:
		if p.Entry.MsgID != id || p.Entry.Seq != 1 {
			t.Errorf("push %+v", p.Entry)
		}
	case <-ctx.Done():
		t.Fatal("no push")
	}

	// An error response reaches the callback as a *wire.Error.
	_, err = a.Request(ctx, &wire.Send{ChatID: ids.New[ids.Chat](), MsgID: ids.New[ids.Message](), Epoch: 1, Ciphertext: []byte("x")})
	if !errors.Is(err, wire.ErrNotFound) {
		t.Errorf("send to an unknown chat: %v, want not found", err)
	}
}

func TestPendingRequestsFailWhenTheRelayGoes(t *testing.T) {
	r := relaytest.Start(t, nil)
	d, _ := NewDialer(nil)
	dev := mustDevice(t)
	c := dialAuth(t, d, r.URL, dev)
	c.Run(nil)
	if c.Err() != nil {
		t.Fatalf("Err while running: %v", c.Err())
	}
	if err := r.Stop(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-c.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the connection did not end with the relay")
	}
	if !errors.Is(c.Err(), ErrClosed) {
		t.Errorf("Err = %v, want ErrClosed", c.Err())
	}
	err := c.Go(testCtx(t), &wire.GetChat{ChatID: ids.New[ids.Chat]()}, func(wire.Body, error) { t.Error("callback of a refused request") })
	if !errors.Is(err, ErrClosed) {
		t.Errorf("Go on a closed connection: %v", err)
	}
}

func TestSourceAddresses(t *testing.T) {
	r := relaytest.Start(t, nil)
	sources := []netip.Addr{netip.MustParseAddr("127.0.0.2"), netip.MustParseAddr("127.0.0.3")}
	d, err := NewDialer(sources)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		c := dialAuth(t, d, r.URL, mustDevice(t))
		got := c.LocalAddr().(*net.TCPAddr).AddrPort().Addr()
		if want := sources[i%2]; got != want {
			t.Errorf("connection %d from %v, want %v", i, got, want)
		}
	}
}

func TestLoopbackOnly(t *testing.T) {
	tests := []struct {
		url string
		ok  bool
	}{
		{"ws://127.0.0.1:8443/v1/ws", true},
		{"ws://127.9.8.7:1/v1/ws", true},
		{"ws://[::1]:1/v1/ws", true},
		{"ws://localhost:1/v1/ws", true},
		{"ws://10.0.0.1:1/v1/ws", false},
		{"ws://example.org/v1/ws", false},
		{"wss://127.0.0.1/v1/ws", false},
		{"http://127.0.0.1/", false},
		{"://", false},
	}
	for _, tt := range tests {
		if err := CheckLoopbackURL(tt.url); (err == nil) != tt.ok {
			t.Errorf("CheckLoopbackURL(%q) = %v", tt.url, err)
		}
	}
	if _, err := NewDialer([]netip.Addr{netip.MustParseAddr("192.168.1.1")}); !errors.Is(err, ErrNotLoopback) {
		t.Errorf("NewDialer with a LAN source: %v", err)
	}
	d, _ := NewDialer(nil)
	if _, err := d.Dial(context.Background(), "ws://10.1.2.3:9/v1/ws"); !errors.Is(err, ErrNotLoopback) {
		t.Errorf("Dial to a LAN relay: %v", err)
	}
}

func TestAuthRefused(t *testing.T) {
	// The relay refusing Auth comes back as its *wire.Error.
	r := relaytest.Start(t, &relaytest.Options{Limits: relay.Limits{MaxConnsPerAccount: 1}})
	d, _ := NewDialer(nil)
	dev := mustDevice(t)
	dialAuth(t, d, r.URL, dev)
	c, err := d.Dial(testCtx(t), r.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	if _, err := c.Auth(testCtx(t), dev); !errors.Is(err, wire.ErrTooManyConnections) {
		t.Errorf("second connection of a one-connection account: %v", err)
	}
}
