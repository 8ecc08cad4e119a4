package relaytest

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
	"testing"

	"github.com/coder/websocket"

	"hush/ids"
	"hush/sync/wire"
)

// Malicious is a relay run by an attacker, as docs/SECURITY.md's threat model has it:
// the real relay — its store, which the attacker may write to directly, and its
// commit loop — behind a man in the middle that sees every frame of every device in
// both directions and may rewrite, add, drop, replay, reorder or refuse any of them
// ([Hook]). Devices dial [Malicious.URL]; the real relay accepts what they sign for
// that address, as it would for its own.
type Malicious struct {
	// Relay is the real relay behind the attacker.
	*Relay
	// URL is what devices dial: the attacker's address.
	URL string

	mu    sync.Mutex
	hook  Hook
	conns []*Tap
	srv   *http.Server
	wg    sync.WaitGroup
}

// Direction says which way a frame travels.
type Direction int

// Directions.
const (
	ToRelay  Direction = iota + 1 // from a device
	ToDevice                      // from the relay
)

// Hook decides what becomes of one frame on tap: it returns the frames to send on in
// its place, in order — the frame itself to pass it, nil to drop it, several to add
// or replay frames. A frame for the other direction can be sent with [Tap.Inject].
// Frames that do not decode pass untouched. A nil hook passes everything.
type Hook func(tap *Tap, dir Direction, f wire.Frame) []wire.Frame

// Tap is one device's connection through the attacker.
type Tap struct {
	m      *Malicious
	device *websocket.Conn
	relay  *websocket.Conn
	ctx    context.Context
	mu     sync.Mutex // serialises writes to each side

	// account authenticated on it (zero before AuthOK); guarded by m.mu.
	account ids.Account
}

// Account is the account that authenticated on the connection (zero before).
func (t *Tap) Account() ids.Account {
	t.m.mu.Lock()
	defer t.m.mu.Unlock()
	return t.account
}

// StartMalicious starts a real relay with opts behind an attacker, stopped with the
// test.
func StartMalicious(t testing.TB, opts *Options) *Malicious {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	m := &Malicious{URL: "ws://" + ln.Addr().String() + wire.Path}
	var o Options
	if opts != nil {
		o = *opts
	}
	o.PublicURL = "ws://" + ln.Addr().String()
	m.Relay = Start(t, &o)
	m.srv = &http.Server{Handler: http.HandlerFunc(m.accept)}
	go m.srv.Serve(ln)
	t.Cleanup(func() {
		m.srv.Close()
		m.mu.Lock()
		for _, c := range m.conns {
			c.device.CloseNow()
			c.relay.CloseNow()
		}
		m.mu.Unlock()
		m.wg.Wait()
	})
	return m
}

// SetHook sets what the attacker does from now on (nil: pass everything).
func (m *Malicious) SetHook(h Hook) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.hook = h
}

func (m *Malicious) currentHook() Hook {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.hook
}

// taps returns the connections of account's devices.
func (m *Malicious) taps(account ids.Account) []*Tap {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*Tap
	for _, t := range m.conns {
		if t.account == account {
			out = append(out, t)
		}
	}
	return out
}

// Push sends body to every connected device of account as a push of the relay's.
func (m *Malicious) Push(account ids.Account, body wire.Body) {
	for _, t := range m.taps(account) {
		t.Inject(ToDevice, wire.Frame{Body: body})
	}
}

// Disconnect drops every connection of account's devices, as a relay may at any
// time; the devices reconnect and catch up.
func (m *Malicious) Disconnect(account ids.Account) {
	for _, t := range m.taps(account) {
		t.device.CloseNow()
		t.relay.CloseNow()
	}
}

// accept takes a device's WebSocket and connects it through to the real relay.
func (m *Malicious) accept(w http.ResponseWriter, r *http.Request) {
	dev, err := websocket.Accept(w, r, &websocket.AcceptOptions{CompressionMode: websocket.CompressionDisabled})
	if err != nil {
		return
	}
	dev.SetReadLimit(-1)
	ctx, cancel := context.WithCancel(context.Background())
	rel, _, err := websocket.Dial(ctx, m.Relay.URL, &websocket.DialOptions{CompressionMode: websocket.CompressionDisabled})
	if err != nil {
		cancel()
		dev.Close(websocket.StatusInternalError, "relay unreachable")
		return
	}
	rel.SetReadLimit(-1)
	tap := &Tap{m: m, device: dev, relay: rel, ctx: ctx}
	m.mu.Lock()
	m.conns = append(m.conns, tap)
	m.wg.Add(2)
	m.mu.Unlock()
	go func() { defer m.wg.Done(); defer cancel(); tap.pump(dev, ToRelay) }()
	go func() { defer m.wg.Done(); defer cancel(); tap.pump(rel, ToDevice) }()
	<-ctx.Done()
	dev.CloseNow()
	rel.CloseNow()
}

// pump carries frames read from src the way dir says, through the hook.
func (t *Tap) pump(src *websocket.Conn, dir Direction) {
	for {
		typ, b, err := src.Read(t.ctx)
		if err != nil {
			return
		}
		f, derr := wire.Decode(b)
		if derr != nil || typ != websocket.MessageBinary {
			if err := t.write(dir, typ, b); err != nil {
				return
			}
			continue
		}
		if ok, isOK := f.Body.(*wire.AuthOK); isOK && dir == ToDevice {
			t.m.mu.Lock()
			t.account = ok.AccountID
			t.m.mu.Unlock()
		}
		out := []wire.Frame{f}
		if h := t.m.currentHook(); h != nil {
			out = h(t, dir, f)
		}
		for _, o := range out {
			if err := t.Inject(dir, o); err != nil {
				return
			}
		}
	}
}

// Inject sends a frame the way dir says, as if it came from the other side.
func (t *Tap) Inject(dir Direction, f wire.Frame) error {
	b, err := wire.Encode(f.ReqID, f.Body)
	if err != nil {
		return err
	}
	return t.write(dir, websocket.MessageBinary, b)
}

func (t *Tap) write(dir Direction, typ websocket.MessageType, b []byte) error {
	dst := t.relay
	if dir == ToDevice {
		dst = t.device
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := dst.Write(t.ctx, typ, b); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

// Refuse is what a hook returns to refuse a device's request with code: the error
// goes back to the device, and the request never reaches the relay.
func (t *Tap) Refuse(f wire.Frame, code wire.Code, why string) []wire.Frame {
	t.Inject(ToDevice, wire.Frame{ReqID: f.ReqID, Body: wire.Errorf(code, "%s", why)})
	return nil
}
