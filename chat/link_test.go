package chat

import (
	"context"
	"errors"
	"hush/internal/testutil"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestMalformedRelayAddress(t *testing.T) {
	r := startRelay(t)
	alice := newPeer(t, "Alice", "ws://"+r.Addr)
	alice.online(t)
	for _, bad := range []string{"", "http://127.0.0.1:8443", "127.0.0.1:8443", "ws://", "ws://host:99999", "ws://u:p@host", "ws://host/x?y"} {
		_, err := alice.engine.SetRelay(bad)
		if !errors.Is(err, ErrInvalidRelayURL) {
			t.Errorf("SetRelay(%q) = %v, want ErrInvalidRelayURL", bad, err)
		}
	}
	if got := alice.engine.Connection(); got.State != LinkOnline || got.RelayURL != "ws://"+r.Addr {
		t.Errorf("after bad addresses the link is %+v, want unchanged and online", got)
	}
}

// TestClosedEngine: after Close every call that needs the link answers ErrClosed
// (which the UI words as "locked"), and closing again does nothing.
func TestClosedEngine(t *testing.T) {
	_, alice, _, chatID := twoPeople(t)
	ctx := context.Background()
	if err := alice.engine.Close(); err != nil {
		t.Fatal(err)
	}
	if err := alice.engine.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
	if err := alice.engine.Start(); !errors.Is(err, ErrClosed) {
		t.Errorf("Start after Close = %v, want ErrClosed", err)
	}
	if _, err := alice.engine.SetRelay("ws://127.0.0.1:1"); !errors.Is(err, ErrClosed) {
		t.Errorf("SetRelay after Close = %v, want ErrClosed", err)
	}
	if err := alice.engine.Typing(ctx, chatID); !errors.Is(err, ErrClosed) {
		t.Errorf("Typing after Close = %v, want ErrClosed", err)
	}
	if _, err := alice.engine.AddContact(ctx, "bob"); !errors.Is(err, ErrClosed) {
		t.Errorf("AddContact after Close = %v, want ErrClosed", err)
	}
}

// TestRefusedConnection: a device its account revoked is refused by the relay; the
// link says so with the relay's reason, and stops retrying.
func TestRefusedConnection(t *testing.T) {
	_, alice, _ := registered(t)
	laptop := newDevice(t, alice, "Alice's laptop")
	laptop.online(t)
	revoke(t, alice, laptop)
	testutil.Eventually(t, 20*time.Second, "the laptop refused", func() bool {
		return errors.Is(laptop.engine.Connection().Err, ErrRefused)
	})
	c := laptop.engine.Connection()
	reason, _, ok := RelayReason(c.Err)
	if c.State != LinkOffline || !ok || reason != "device revoked" || !c.RetryAt.IsZero() {
		t.Errorf("connection = %+v (reason %q), want offline, refused as revoked, no retry", c, reason)
	}
}

// TestTypingOffline: typing is worth nothing later, so offline it is dropped, not
// an error.
func TestTypingOffline(t *testing.T) {
	r, alice, _, chatID := twoPeople(t)
	if err := r.Stop(); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 10*time.Second, "Alice offline", func() bool { return alice.engine.Connection().State == LinkOffline })
	if err := alice.engine.Typing(context.Background(), chatID); err != nil {
		t.Errorf("Typing offline = %v, want nil", err)
	}
}

// TestHandleCharacters: the character class the UI checks handles with accepts
// exactly what CheckHandle accepts (after folding case).
func TestHandleCharacters(t *testing.T) {
	class := regexp.MustCompile("^" + HandleCharacters + "$")
	for b := 0; b < 256; b++ {
		c := string(rune(b))
		_, err := CheckHandle("abc" + c)
		folded := strings.ToLower(c)
		if b >= 128 {
			folded = c
		}
		if ok := class.MatchString(folded); ok != (err == nil) {
			t.Errorf("%q: the class says %v, CheckHandle %v", c, ok, err)
		}
	}
}
