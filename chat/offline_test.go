package chat

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"hush/ids"
	"hush/policy"
)

// waitDelivered waits until p has n messages from sender in the chat and nothing in
// its outbox.
func waitDelivered(t *testing.T, p *peer, chatID ids.Chat, sender *peer, n int) {
	t.Helper()
	waitFor(t, 60*time.Second, p.name+" receives everything", func() bool {
		got := 0
		for _, m := range of[Message](p.events) {
			if m.Sender == sender.id() && m.Chat == chatID {
				got++
			}
		}
		return got >= n && sender.outboxLen(t) == 0
	})
}

func TestOutboxAfterRelayDown(t *testing.T) {
	const n = 50
	r := startRelay(t)
	alice := newPeer(t, "Alice", "ws://"+r.Addr)
	bob := newPeer(t, "Bob", "ws://"+r.Addr)
	alice.register(t, "alice")
	bob.register(t, "bob")
	chatID := direct(t, alice, bob, "bob")
	ctx := context.Background()

	if err := r.Stop(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "Alice offline", func() bool { return alice.engine.Connection().State == LinkOffline })
	c := alice.engine.Connection()
	if c.Err == nil || c.RelayURL != "ws://"+r.Addr {
		t.Errorf("offline connection = %+v, want a reason and the relay address", c)
	}
	for i := range n {
		m, err := alice.engine.Send(ctx, chatID, body(alice.name, i), nil)
		if err != nil {
			t.Fatal(err)
		}
		if m.Status != policy.StatusPending {
			t.Fatalf("offline message is %s", m.Status)
		}
	}
	if got := alice.outboxLen(t); got != n {
		t.Fatalf("outbox holds %d items while offline, want %d", got, n)
	}
	// A retry time is announced while the relay is away.
	sawRetry := false
	for _, c := range of[Connection](alice.events) {
		sawRetry = sawRetry || (c.State == LinkOffline && !c.RetryAt.IsZero() && c.Err != nil)
	}
	if !sawRetry {
		t.Error("no offline connection:changed event with a reason")
	}

	r = r.Restart(t)
	waitDelivered(t, bob, chatID, alice, n)
	checkTranscript(t, bob, chatID, n, alice)
	checkTranscript(t, alice, chatID, n, alice)
}

func TestOutboxAfterClientDisconnected(t *testing.T) {
	const n = 40
	r := startRelay(t)
	alice := newPeer(t, "Alice", "ws://"+r.Addr)
	bob := newPeer(t, "Bob", "ws://"+r.Addr)
	alice.register(t, "alice")
	bob.register(t, "bob")
	chatID := direct(t, alice, bob, "bob")
	ctx := context.Background()

	// Alice's device goes somewhere unreachable (a closed port)...
	if _, err := alice.engine.SetRelay("ws://127.0.0.1:1"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "Alice offline", func() bool { return alice.engine.Connection().State == LinkOffline })
	if got := alice.engine.Connection().Err; !errors.Is(got, ErrUnreachable) {
		t.Errorf("error = %v, want ErrUnreachable", got)
	}
	for i := range n / 2 {
		if _, err := alice.engine.Send(ctx, chatID, body(alice.name, i), nil); err != nil {
			t.Fatal(err)
		}
	}
	// ...and the vault is locked and unlocked meanwhile: the outbox is on disk.
	alice.stop()
	alice.start(t)
	if _, err := alice.engine.SetRelay("ws://127.0.0.1:1"); err != nil {
		t.Fatal(err)
	}
	for i := n / 2; i < n; i++ {
		if _, err := alice.engine.Send(ctx, chatID, body(alice.name, i), nil); err != nil {
			t.Fatal(err)
		}
	}
	// Bob writes meanwhile; both directions must come out whole.
	for i := range n {
		if _, err := bob.engine.Send(ctx, chatID, body(bob.name, i), nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := alice.engine.SetRelay("ws://" + r.Addr); err != nil {
		t.Fatal(err)
	}
	waitDelivered(t, bob, chatID, alice, n)
	waitDelivered(t, alice, chatID, bob, n)
	checkTranscript(t, bob, chatID, n, alice, bob)
	checkTranscript(t, alice, chatID, n, alice, bob)
}

func TestRelayRestartMidStream(t *testing.T) {
	const n = 300
	r := startRelay(t)
	alice := newPeer(t, "Alice", "ws://"+r.Addr)
	bob := newPeer(t, "Bob", "ws://"+r.Addr)
	alice.register(t, "alice")
	bob.register(t, "bob")
	chatID := direct(t, alice, bob, "bob")
	ctx := context.Background()

	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range n {
			if _, err := alice.engine.Send(ctx, chatID, body(alice.name, i), nil); err != nil {
				t.Error(err)
				return
			}
			if i%50 == 49 {
				time.Sleep(20 * time.Millisecond) // let some go out before the restarts
			}
		}
	}()
	// Restart twice while Alice writes and flushes.
	acked := func() map[ids.Message]bool {
		out := map[ids.Message]bool{}
		for _, s := range of[StatusChange](alice.events) {
			if s.Seq > 0 {
				out[s.Message] = true
			}
		}
		return out
	}
	waitFor(t, 30*time.Second, "some acknowledgements", func() bool { return len(acked()) >= 20 })
	r = r.Restart(t)
	before := acked()
	waitFor(t, 30*time.Second, "more acknowledgements", func() bool { return len(acked()) >= len(before)+20 || alice.outboxLen(t) == 0 })
	r = r.Restart(t)
	wg.Wait()
	waitDelivered(t, bob, chatID, alice, n)
	checkTranscript(t, bob, chatID, n, alice)
	have := map[ids.Message]bool{}
	for _, m := range bob.allMessages(t, chatID) {
		have[m.ID] = true
	}
	for id := range before {
		if !have[id] {
			t.Errorf("message %s was acknowledged before the restart but Bob never got it", id)
		}
	}
	if len(before) == 0 {
		t.Error("nothing was acknowledged before the first restart; the test proved nothing")
	}
}

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
