package chat

import (
	"context"
	"hush/ids"
	"hush/policy"
	"sync"
	"testing"
	"time"
)

// checkTranscript verifies that p's copy of a chat holds exactly n messages from each
// sender, each sender's in the order they were written, none twice, none pending.
func checkTranscript(t *testing.T, p *peer, chatID ids.Chat, n int, senders ...*peer) {
	t.Helper()
	msgs := p.allMessages(t, chatID)
	if len(msgs) != n*len(senders) {
		t.Fatalf("%s holds %d messages, want %d", p.name, len(msgs), n*len(senders))
	}
	seen := map[ids.Message]bool{}
	next := map[string]int{}
	var lastSeq int64
	for _, m := range msgs {
		if seen[m.ID] {
			t.Fatalf("%s holds message %s twice", p.name, m.ID)
		}
		seen[m.ID] = true
		if m.Seq <= lastSeq {
			t.Fatalf("%s: seq %d after %d", p.name, m.Seq, lastSeq)
		}
		lastSeq = m.Seq
		if m.Status == policy.StatusPending || m.Status == policy.StatusFailed {
			t.Fatalf("%s: message %q is %s", p.name, m.Body, m.Status)
		}
		var from *peer
		for _, s := range senders {
			if m.Sender == s.id() {
				from = s
			}
		}
		if from == nil {
			t.Fatalf("%s: message from unknown sender %s", p.name, m.Sender)
		}
		if want := body(from.name, next[from.name]); m.Body != want {
			t.Fatalf("%s: got %q, want %q (order or loss)", p.name, m.Body, want)
		}
		next[from.name]++
	}
}

func TestThousandEachWay(t *testing.T) {
	const n = 1000
	r := startRelay(t)
	alice := newPeer(t, "Alice", "ws://"+r.Addr)
	bob := newPeer(t, "Bob", "ws://"+r.Addr)
	alice.register(t, "alice")
	bob.register(t, "bob")
	chatID := direct(t, alice, bob, "bob")
	ctx := context.Background()

	var wg sync.WaitGroup
	start := time.Now()
	errs := make(chan error, 2)
	for _, p := range []*peer{alice, bob} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range n {
				if _, err := p.engine.Send(ctx, chatID, body(p.name, i), nil); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	t.Logf("written in %v", time.Since(start))
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for _, p := range []*peer{alice, bob} {
		waitFor(t, 120*time.Second, p.name+" has everything", func() bool {
			return len(of[Message](p.events)) >= n && p.outboxLen(t) == 0
		})
	}
	t.Logf("delivered in %v", time.Since(start))
	checkTranscript(t, alice, chatID, n, alice, bob)
	checkTranscript(t, bob, chatID, n, alice, bob)
	// Both sides agree on the order: the relay's.
	a, b := alice.allMessages(t, chatID), bob.allMessages(t, chatID)
	for i := range a {
		if a[i].ID != b[i].ID || a[i].Seq != b[i].Seq {
			t.Fatalf("position %d: Alice has %s/%d, Bob %s/%d", i, a[i].ID, a[i].Seq, b[i].ID, b[i].Seq)
		}
	}
	// Every message arrived exactly once as an event, too.
	for _, p := range []*peer{alice, bob} {
		seen := map[ids.Message]int{}
		for _, m := range of[Message](p.events) {
			seen[m.ID]++
		}
		if len(seen) != n {
			t.Errorf("%s got message:new for %d messages, want %d", p.name, len(seen), n)
		}
		for id, c := range seen {
			if c != 1 {
				t.Errorf("%s got message:new %d times for %s", p.name, c, id)
			}
		}
		if w := of[Warning](p.events); len(w) != 0 {
			t.Errorf("%s: warnings %+v", p.name, w)
		}
		if outbox := p.outboxLen(t); outbox != 0 {
			t.Errorf("%s's outbox holds %d items after everything was acknowledged", p.name, outbox)
		}
	}
}
