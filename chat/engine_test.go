package chat

import (
	"context"
	"hush/ids"
	"hush/internal/testutil"
	"hush/policy"
	"sync"
	"testing"
	"time"
)

func TestDirectChatLive(t *testing.T) {
	r := startRelay(t)
	alice := newPeer(t, "Alice", "ws://"+r.Addr)
	bob := newPeer(t, "Bob", "ws://"+r.Addr)
	alice.register(t, "alice")
	bob.register(t, "Bob_1")
	if got := bob.engine.Connection().Handle; got != "bob_1" {
		t.Errorf("handle = %q, want the normalised bob_1", got)
	}
	chatID := direct(t, alice, bob, "@BOB_1")
	ctx := context.Background()

	m, err := alice.engine.Send(ctx, chatID, "hello Bob", nil)
	if err != nil {
		t.Fatal(err)
	}
	if m.Status != policy.StatusPending || !m.Outgoing || m.Seq != 0 {
		t.Errorf("sent message = %+v, want pending outgoing without seq", m)
	}
	testutil.Eventually(t, 10*time.Second, "Bob receives", func() bool { return bob.countFrom(t, chatID, alice) == 1 })
	got := bob.allMessages(t, chatID)
	if got[0].Body != "hello Bob" || got[0].Outgoing || got[0].SenderName != "Alice" || got[0].Seq != 1 {
		t.Errorf("Bob's copy = %+v", got[0])
	}
	// The event follows the commit that stored the message.
	testutil.Eventually(t, 10*time.Second, "Bob's message:new event", func() bool { return len(of[Message](bob.events)) > 0 })
	news := of[Message](bob.events)
	if len(news) != 1 || news[0].ID != m.ID {
		t.Errorf("Bob's message:new events = %+v, want one for %s", news, m.ID)
	}
	testutil.Eventually(t, 10*time.Second, "Alice's message marked sent", func() bool {
		msgs := alice.allMessages(t, chatID)
		return len(msgs) == 1 && msgs[0].Seq == 1 && msgs[0].Status != policy.StatusPending
	})

	// Bob answers with a reply; Alice's unread count goes up, then down when read.
	reply := got[0].ID
	if _, err := bob.engine.Send(ctx, chatID, "hi Alice", &reply); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 10*time.Second, "Alice receives the reply", func() bool { return alice.countFrom(t, chatID, bob) == 1 })
	am := alice.allMessages(t, chatID)
	if am[1].ReplyTo != m.ID || am[1].Body != "hi Alice" {
		t.Errorf("reply = %+v, want a reply to %s", am[1], m.ID)
	}
	s, err := alice.engine.Summary(ctx, chatID)
	if err != nil {
		t.Fatal(err)
	}
	if s.Unread != 1 || s.Kind != policy.KindDirect || s.Title != "Bob" || !s.CanPost || s.MemberCount != 2 || s.LastMessage != "hi Alice" {
		t.Errorf("Alice's summary = %+v", s)
	}
	if err := alice.engine.MarkRead(ctx, chatID); err != nil {
		t.Fatal(err)
	}
	if s, _ := alice.engine.Summary(ctx, chatID); s.Unread != 0 {
		t.Errorf("unread after MarkRead = %d", s.Unread)
	}
	// Bob's message becomes "read" on Bob's side once Alice's mark arrives.
	testutil.Eventually(t, 10*time.Second, "Bob sees his message read", func() bool {
		for _, st := range of[StatusChange](bob.events) {
			if st.Status == policy.StatusRead && st.Seq == 2 {
				return true
			}
		}
		return false
	})
	// Alice's first message is delivered/read on her side too.
	testutil.Eventually(t, 10*time.Second, "Alice's message delivered", func() bool {
		msgs := alice.allMessages(t, chatID)
		return msgs[0].Status == policy.StatusDelivered || msgs[0].Status == policy.StatusRead
	})

	// Typing is forwarded, never stored.
	if err := alice.engine.Typing(ctx, chatID); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 10*time.Second, "Bob sees Alice typing", func() bool {
		ty := of[Typing](bob.events)
		return len(ty) > 0 && ty[0].Chat == chatID && ty[0].Name == "Alice"
	})

	// Opening the chat again from either side finds the same chat.
	s2, err := bob.engine.OpenDirect(ctx, alice.id())
	if err != nil {
		t.Fatal(err)
	}
	if s2.ID != chatID {
		t.Errorf("Bob's OpenDirect = %s, want the existing %s", s2.ID, chatID)
	}
	if n := len(of[Warning](alice.events)) + len(of[Warning](bob.events)); n != 0 {
		t.Errorf("%d warnings in a clean exchange: %+v %+v", n, of[Warning](alice.events), of[Warning](bob.events))
	}
}

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
	_, alice, bob, chatID := twoPeople(t)
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
		testutil.Eventually(t, 120*time.Second, p.name+" has everything", func() bool {
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
		noWarnings(t, p)
		if outbox := p.outboxLen(t); outbox != 0 {
			t.Errorf("%s's outbox holds %d items after everything was acknowledged", p.name, outbox)
		}
	}
}
