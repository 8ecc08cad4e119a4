package relay_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/coder/websocket"

	"hush/policy"
	"hush/relay"
	"hush/relay/relaytest"
	"hush/relay/store"
	"hush/sync/wire"
)

// hijack is what a malicious relay got out of the honest one with a victim's answer.
type hijack struct {
	verdict  wire.Body // the honest relay's answer to the replayed Auth
	asVictim wire.Body // its answer to the attacker's ChatList, if it let it in
	err      error
}

// startMaliciousRelay runs the attacker's relay on loopback. When a device dials it,
// it dials the honest relay at honestURL, presenting the Host header host(its own
// host), passes the honest relay's Hello — and so its challenge — to the device,
// and replays the device's Auth to the honest relay. If the honest relay lets it
// in, it asks for the victim's chat list. What it got goes to the channel.
func startMaliciousRelay(t *testing.T, honestURL string, host func(evilHost string) string) (string, <-chan hijack) {
	t.Helper()
	got := make(chan hijack, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		victim, err := websocket.Accept(w, r, nil)
		if err != nil {
			got <- hijack{err: err}
			return
		}
		defer victim.CloseNow()
		h, err := relayChallenge(r.Context(), victim, honestURL, host(r.Host))
		h.err = err
		got <- h
	}))
	t.Cleanup(srv.Close)
	return "ws" + strings.TrimPrefix(srv.URL, "http") + wire.Path, got
}

func relayChallenge(ctx context.Context, victim *websocket.Conn, honestURL, host string) (hijack, error) {
	var h hijack
	honest, _, err := websocket.Dial(ctx, honestURL, &websocket.DialOptions{Host: host})
	if err != nil {
		return h, fmt.Errorf("dial the honest relay: %w", err)
	}
	defer honest.CloseNow()
	pass := func(from, to *websocket.Conn) ([]byte, error) {
		typ, b, err := from.Read(ctx)
		if err != nil {
			return nil, err
		}
		return b, to.Write(ctx, typ, b)
	}
	if _, err := pass(honest, victim); err != nil { // Hello, with the honest challenge
		return h, fmt.Errorf("pass the hello: %w", err)
	}
	if _, err := pass(victim, honest); err != nil { // the victim's Auth
		return h, fmt.Errorf("replay the auth: %w", err)
	}
	// The verdict is the answer to the Auth; pushes (request id 0) of the account's
	// chats may come first once it is logged in, and pass on.
	var f wire.Frame
	for f.ReqID == 0 {
		b, err := pass(honest, victim)
		if err != nil {
			return h, fmt.Errorf("read the verdict: %w", err)
		}
		if f, err = wire.Decode(b); err != nil {
			return h, err
		}
	}
	h.verdict = f.Body
	if _, in := f.Body.(*wire.AuthOK); !in {
		return h, nil
	}
	req, _ := wire.Encode(2, &wire.ChatList{})
	if err := honest.Write(ctx, websocket.MessageBinary, req); err != nil {
		return h, err
	}
	// Pushes (the victim's pending keys, say) may come first: the answer is the
	// frame that echoes the request's id. The context bounds the wait.
	for {
		_, b, err := honest.Read(ctx)
		if err != nil {
			return h, fmt.Errorf("read the victim's chat list: %w", err)
		}
		if f, err = wire.Decode(b); err != nil {
			return h, err
		}
		if f.ReqID == 2 {
			h.asVictim = f.Body
			return h, nil
		}
	}
}

// TestRelayedChallengeAttack: a malicious relay passes an honest relay's challenge
// to a device that dialled it, and replays the device's answer at the honest relay.
// Against a relay that takes the origin from the request's Host header (the check
// before Config.PublicURL), the attacker logs in as the victim's device and reads
// its chats. Against the real check — the relay's own origins only — the device's
// signature is for the malicious relay's origin and is refused, whatever Host the
// attacker presents.
func TestRelayedChallengeAttack(t *testing.T) {
	own := func(evil string) string { return evil }
	tests := []struct {
		name      string
		weakened  bool
		host      func(r *relaytest.Relay) func(evil string) string
		wantLogin bool
	}{
		{"weakened: origin from the Host header", true, func(*relaytest.Relay) func(string) string { return own }, true},
		{"real check, Host of the malicious relay", false, func(*relaytest.Relay) func(string) string { return own }, false},
		{"real check, Host of the honest relay", false, func(r *relaytest.Relay) func(string) string {
			return func(string) string { return r.Addr }
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			honest := relaytest.Start(t, nil)
			if tt.weakened {
				relay.TakeOriginFromHostHeader(honest.Server)
			}
			alice, bob := relaytest.NewAccount(t), relaytest.NewAccount(t)
			a := relaytest.Dial(t, honest, alice)
			relaytest.Dial(t, honest, bob)
			chat := chatWith(t, a, policy.KindDirect, alice, bob)

			evilURL, got := startMaliciousRelay(t, honest.URL, tt.host(honest))
			ctx := testCtx(t)
			victim, err := relaytest.DialRaw(ctx, evilURL)
			if err != nil {
				t.Fatal(err)
			}
			defer victim.Close()
			_, authErr := victim.Auth(ctx, alice) // the device signs for the origin it dialled
			var h hijack
			select {
			case h = <-got:
			case <-ctx.Done():
				t.Fatal("the malicious relay reported nothing")
			}
			if h.err != nil {
				t.Fatalf("the attack did not run: %v", h.err)
			}
			ok, in := h.verdict.(*wire.AuthOK)
			if in != tt.wantLogin {
				t.Fatalf("honest relay answered the replayed auth with %v; want login %v", h.verdict, tt.wantLogin)
			}
			if tt.wantLogin {
				chats, isChats := h.asVictim.(*wire.Chats)
				if ok.AccountID != alice.AccountID() || !isChats || len(chats.Chats) != 1 || chats.Chats[0].ChatID != chat {
					t.Fatalf("the attack logged in as %v and read %+v; want alice's chat %v", ok.AccountID, h.asVictim, chat)
				}
				return
			}
			if e, isErr := h.verdict.(*wire.Error); !isErr || e.Code != wire.CodeAuthFailed {
				t.Errorf("verdict %v, want CodeAuthFailed", h.verdict)
			}
			if !errors.Is(authErr, wire.ErrAuthFailed) {
				t.Errorf("the victim saw %v", authErr)
			}
		})
	}
}

// startRelay serves a relay built from cfg (its Store opened here) on l, with TLS
// when certFile is set, until the test ends. It returns what Serve returned, if it
// returned early.
func startRelay(t *testing.T, cfg relay.Config, l net.Listener, certFile, keyFile string) (*relay.Server, <-chan error) {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "relay.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Store = st
	srv, err := relay.New(cfg)
	if err != nil {
		st.Close()
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() {
		if certFile != "" {
			served <- srv.ServeTLS(l, certFile, keyFile)
		} else {
			served <- srv.Serve(l)
		}
	}()
	t.Cleanup(func() {
		srv.Shutdown(context.Background())
		st.Close()
	})
	return srv, served
}

// serveLoopback serves a relay built from cfg on 127.0.0.1 and returns its URL.
func serveLoopback(t *testing.T, cfg relay.Config) string {
	t.Helper()
	l := listenLoopback(t)
	startRelay(t, cfg, l, "", "")
	return "ws://" + l.Addr().String() + wire.Path
}

func listenLoopback(t *testing.T) net.Listener {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestLoopbackRelayOrigins: without a public URL a loopback relay accepts exactly
// the loopback spellings of the port it listens on.
func TestLoopbackRelayOrigins(t *testing.T) {
	r := relaytest.Start(t, nil)
	alice := relaytest.NewAccount(t)
	relaytest.Dial(t, r, alice) // the relay is serving: Serve has set its origins
	_, port, _ := net.SplitHostPort(r.Addr)
	want := []wire.Origin{
		wire.Origin("ws://127.0.0.1:" + port), wire.Origin("ws://localhost:" + port), wire.Origin("ws://[::1]:" + port),
	}
	if got := relay.AcceptedOrigins(r.Server); !slices.Equal(got, want) {
		t.Errorf("origins %v, want %v", got, want)
	}
	for _, o := range []wire.Origin{"ws://127.0.0.1:1", "ws://localhost:1", "wss://127.0.0.1:" + wire.Origin(port), "wss://relay.example.org", "ws://127.0.0.2:" + wire.Origin(port)} {
		t.Run(string(o), func(t *testing.T) {
			c, err := relaytest.DialRaw(testCtx(t), r.URL)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			requestErr(t, c, &wire.Auth{DeviceCert: alice.Cert, Signature: alice.Key.Sign(wire.AuthLabel, wire.AuthMessage(c.Hello.Challenge, o))}, wire.CodeAuthFailed)
		})
	}
}

// TestPublicURLIsTheOnlyOrigin: a relay with a public URL accepts a signature for
// that origin only — also from a connection that reached it on loopback, as through
// a reverse proxy — and not for the loopback address it listens on.
func TestPublicURLIsTheOnlyOrigin(t *testing.T) {
	l := listenLoopback(t)
	srv, _ := startRelay(t, relay.Config{PublicURL: "WSS://Relay.Example.org:443/v1/ws"}, l, "", "")
	if got := relay.AcceptedOrigins(srv); !slices.Equal(got, []wire.Origin{"wss://relay.example.org"}) {
		t.Errorf("origins %v", got)
	}
	url := "ws://" + l.Addr().String() + wire.Path
	alice := relaytest.NewAccount(t)
	ctx := testCtx(t)

	c, err := relaytest.DialRaw(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Auth(ctx, alice); !errors.Is(err, wire.ErrAuthFailed) { // signs ws://127.0.0.1:P
		t.Fatalf("a signature for the listening address: %v, want CodeAuthFailed", err)
	}
	c2, err := relaytest.DialRaw(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	sig := alice.Key.Sign(wire.AuthLabel, wire.AuthMessage(c2.Hello.Challenge, "wss://relay.example.org"))
	request[*wire.AuthOK](t, c2, &wire.Auth{DeviceCert: alice.Cert, Signature: sig})
}

// publicAddrListener is a loopback listener that claims a public address, to show
// what Serve does with one without listening beyond loopback in a test.
type publicAddrListener struct{ net.Listener }

func (publicAddrListener) Addr() net.Addr {
	return &net.TCPAddr{IP: net.ParseIP("192.0.2.1"), Port: 443}
}

func TestServeBeyondLoopbackNeedsPublicURL(t *testing.T) {
	_, served := startRelay(t, relay.Config{}, publicAddrListener{listenLoopback(t)}, "", "")
	if err := <-served; !errors.Is(err, relay.ErrPublicURLRequired) {
		t.Errorf("Serve = %v, want ErrPublicURLRequired", err)
	}
	for _, bad := range []string{"ws://relay.example.org", "https://relay.example.org", "wss://"} {
		st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "relay.db"), nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := relay.New(relay.Config{Store: st, PublicURL: bad}); err == nil {
			t.Errorf("New accepted public URL %q", bad)
		}
		st.Close()
	}
}
