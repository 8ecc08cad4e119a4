package chat

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"hush/internal/testutil"
	"hush/pqxdh"
	"hush/relay/relaytest"
	"hush/sync/wire"
)

// TestAttackSecretChat is the relay attacking secret chats (docs/SECURITY.md,
// "Secret chats"): it hands Alice a prekey bundle it forged, or another device's,
// so that she would start the handshake with keys it chose; it replays frames to
// Bob, and alters one. The engine refuses the bundles with a clear error and
// starts nothing; Bob shows each message once, drops the altered frame, and the
// next genuine one opens (the ratchet is unchanged by a frame that failed).
func TestAttackSecretChat(t *testing.T) {
	ctx := context.Background()
	w := newAttackWorld(t, nil)
	for _, p := range []*peer{w.bob, w.carol} {
		testutil.Eventually(t, 20*time.Second, p.name+" has prekeys", func() bool {
			s, err := p.engine.recv.prekeys.load(ctx)
			return err == nil && s != nil
		})
	}
	bobDev, carolDev := w.bob.dev.ID(), w.carol.dev.ID()

	attacks := []struct {
		name string
		hook relaytest.Hook
		want error
	}{
		{"a prekey signature altered", func(tap *relaytest.Tap, dir relaytest.Direction, f wire.Frame) []wire.Frame {
			if b, ok := f.Body.(*wire.PrekeyBundle); ok && dir == relaytest.ToDevice {
				b.Signed.Signed[len(b.Signed.Signed)-1] ^= 1
			}
			return []wire.Frame{f}
		}, pqxdh.ErrBadSignature},
		{"another device's bundle", func(tap *relaytest.Tap, dir relaytest.Direction, f wire.Frame) []wire.Frame {
			if b, ok := f.Body.(*wire.FetchPrekeys); ok && dir == relaytest.ToRelay && b.Device == bobDev {
				b.Device = carolDev
			}
			return []wire.Frame{f}
		}, pqxdh.ErrWrongPeer},
	}
	for _, a := range attacks {
		w.evil.SetHook(a.hook)
		_, err := w.alice.engine.StartSecret(ctx, w.bob.id(), bobDev)
		if !errors.Is(err, a.want) {
			t.Fatalf("%s: StartSecret = %v, want %v", a.name, err, a.want)
		}
		list, err := w.alice.engine.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range list {
			if c.SecretDevice == bobDev {
				t.Fatalf("%s: a secret chat was started with the relay's keys", a.name)
			}
		}
	}

	var mu sync.Mutex
	tamper := false
	w.evil.SetHook(func(tap *relaytest.Tap, dir relaytest.Direction, f wire.Frame) []wire.Frame {
		p, ok := f.Body.(*wire.InboxPush)
		if !ok || tap.Account() != w.bob.id() {
			return []wire.Frame{f}
		}
		mu.Lock()
		defer mu.Unlock()
		if tamper && len(p.Item.Ciphertext) > 0 && p.Item.Ciphertext[0] == inboxSecret {
			tamper = false
			p.Item.Ciphertext[len(p.Item.Ciphertext)-3] ^= 0x40
			return []wire.Frame{f}
		}
		return []wire.Frame{f, f} // every frame twice
	})
	chat, err := w.alice.engine.StartSecret(ctx, w.bob.id(), bobDev)
	if err != nil {
		t.Fatal(err)
	}
	count := func(body string) int {
		page, err := w.bob.engine.Messages(ctx, chat.ID, "", 200)
		if err != nil {
			return -1
		}
		n := 0
		for _, m := range page.Messages {
			if m.Body == body {
				n++
			}
		}
		return n
	}
	if _, err := w.alice.engine.Send(ctx, chat.ID, "one", nil); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 20*time.Second, "Bob has it", func() bool { return count("one") == 1 })
	mu.Lock()
	tamper = true
	mu.Unlock()
	if _, err := w.alice.engine.Send(ctx, chat.ID, "two", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := w.alice.engine.Send(ctx, chat.ID, "three", nil); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 20*time.Second, "the next genuine frame opens", func() bool { return count("three") == 1 })
	if n := count("one"); n != 1 {
		t.Fatalf("a replayed frame shows %d times", n)
	}
	if n := count("two"); n != 0 {
		t.Fatalf("the altered frame opened: %d", n)
	}
}
