package chat

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"hush/ids"
	"hush/internal/testutil"
	"hush/policy"
	"hush/relay/relaytest"
	"hush/sync/wire"
	"hush/vault"
)

// shownStatuses folds what p's UI was told of its own messages in a chat — each
// message's first report, then every status change, by policy.Advance — the way the
// UI keeps them between reloads.
func shownStatuses(p *peer, chat ids.Chat, sent map[ids.Message]policy.Status) map[ids.Message]policy.Status {
	out := make(map[ids.Message]policy.Status, len(sent))
	for id, s := range sent {
		out[id] = s
	}
	for _, ev := range of[StatusChange](p.events) {
		if ev.Chat != chat {
			continue
		}
		if cur, ok := out[ev.Message]; ok {
			out[ev.Message] = policy.Advance(cur, ev.Status)
		}
	}
	return out
}

// relayRead is the read position the relay keeps for account in a chat.
func relayRead(t *testing.T, r *relaytest.Relay, chat ids.Chat, reader, account ids.Account) uint64 {
	t.Helper()
	info, err := r.Store.ChatInfo(context.Background(), chat, reader)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range info.Members {
		if m.AccountID == account {
			return m.ReadSeq
		}
	}
	return 0
}

// twoBehindAttacker is Alice and Bob in a direct chat on a relay behind a man in
// the middle, who stands in for crashes: frames it drops are frames a dying relay or
// device never sent.
func twoBehindAttacker(t *testing.T) (*relaytest.Malicious, *peer, *peer, ids.Chat) {
	t.Helper()
	evil := relaytest.StartMalicious(t, &relaytest.Options{Limits: testLimits()})
	alice := newPeer(t, "Alice", evil.URL)
	bob := newPeer(t, "Bob", evil.URL)
	alice.register(t, "alice")
	bob.register(t, "bob")
	return evil, alice, bob, direct(t, alice, bob, "bob")
}

// TestReadMarksConvergeAfterRelayCrash: the relay dies right after storing one of
// Alice's messages — her acknowledgement, and the receipts it would have pushed her,
// never leave it — while Bob reads the message. Once everything is back and Bob has
// read later messages too, every one of Alice's messages must show "read", in the
// vault and in what the UI was told, whatever order the catch-up, the resend and the
// receipts took.
func TestReadMarksConvergeAfterRelayCrash(t *testing.T) {
	ctx := context.Background()
	evil, alice, bob, chatID := twoBehindAttacker(t)

	sent := map[ids.Message]policy.Status{}
	var mu sync.Mutex
	send := func(text string) Message {
		t.Helper()
		m, err := alice.engine.Send(ctx, chatID, text, nil)
		if err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		sent[m.ID] = m.Status
		mu.Unlock()
		return m
	}
	send("before")
	waitDelivered(t, bob, chatID, alice, 1)
	if err := bob.engine.MarkRead(ctx, chatID); err != nil {
		t.Fatal(err)
	}

	// The crash: from the moment the relay reads Alice's next send, nothing more
	// reaches her device until she reconnects.
	var armed, crashed atomic.Bool
	armed.Store(true)
	evil.SetHook(func(tap *relaytest.Tap, dir relaytest.Direction, f wire.Frame) []wire.Frame {
		if tap.Account() != alice.id() {
			return []wire.Frame{f}
		}
		if _, ok := f.Body.(*wire.Send); ok && dir == relaytest.ToRelay && armed.Load() {
			crashed.Store(true)
		}
		if dir == relaytest.ToDevice && crashed.Load() {
			return nil
		}
		return []wire.Frame{f}
	})
	lost := send("the one the crash hit")
	testutil.Eventually(t, 20*time.Second, "Bob has the message", func() bool {
		for _, m := range bob.allMessages(t, chatID) {
			if m.ID == lost.ID {
				return true
			}
		}
		return false
	})
	if err := bob.engine.MarkRead(ctx, chatID); err != nil {
		t.Fatal(err)
	}
	seq := uint64(0)
	for _, m := range bob.allMessages(t, chatID) {
		if m.ID == lost.ID {
			seq = uint64(m.Seq)
		}
	}
	testutil.Eventually(t, 20*time.Second, "the relay has Bob's read mark", func() bool {
		return relayRead(t, evil.Relay, chatID, bob.id(), bob.id()) >= seq
	})
	// The relay comes back: Alice reconnects, catches up and resends.
	armed.Store(false)
	crashed.Store(false)
	evil.Disconnect(alice.id())
	evil.SetHook(nil)

	for i := range 3 {
		send(body("after", i))
	}
	waitDelivered(t, bob, chatID, alice, 5)
	if err := bob.engine.MarkRead(ctx, chatID); err != nil {
		t.Fatal(err)
	}

	check := func() (stored, shown map[ids.Message]policy.Status) {
		stored = map[ids.Message]policy.Status{}
		for _, m := range alice.allMessages(t, chatID) {
			if m.Sender == alice.id() {
				stored[m.ID] = m.Status
			}
		}
		mu.Lock()
		defer mu.Unlock()
		return stored, shownStatuses(alice, chatID, sent)
	}
	allRead := func(m map[ids.Message]policy.Status) bool {
		for _, s := range m {
			if s != policy.StatusRead {
				return false
			}
		}
		return len(m) == len(sent)
	}
	testutil.Eventually(t, 20*time.Second, "Alice's vault has every message read", func() bool {
		stored, _ := check()
		return allRead(stored)
	})
	// What the UI was told settles too (a receipt may still be on its way).
	deadline := time.Now().Add(5 * time.Second)
	for {
		stored, shown := check()
		if allRead(shown) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Alice's UI was told %v (the vault says %v); the message the crash hit is %s", shown, stored, lost.ID)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestReadMarksReachTheRelayAfterClientCrash: Bob reads, and his device dies before
// its read mark leaves (the marker's queue is in memory). When it starts again, the
// mark it stored must reach the relay, and Alice's ticks turn "read", without Bob
// reading anything more.
func TestReadMarksReachTheRelayAfterClientCrash(t *testing.T) {
	ctx := context.Background()
	evil, alice, bob, chatID := twoBehindAttacker(t)

	var marks atomic.Int64
	evil.SetHook(func(tap *relaytest.Tap, dir relaytest.Direction, f wire.Frame) []wire.Frame {
		if m, ok := f.Body.(*wire.Mark); ok && dir == relaytest.ToRelay && tap.Account() == bob.id() && m.ReadSeq > 0 {
			marks.Add(1)
			return nil // the device dies with the mark on its way
		}
		return []wire.Frame{f}
	})
	m, err := alice.engine.Send(ctx, chatID, "read me", nil)
	if err != nil {
		t.Fatal(err)
	}
	waitDelivered(t, bob, chatID, alice, 1)
	if err := bob.engine.MarkRead(ctx, chatID); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 20*time.Second, "Bob's device sends its read mark", func() bool { return marks.Load() > 0 })
	bob.stop()
	evil.SetHook(nil)
	if got := relayRead(t, evil.Relay, chatID, bob.id(), bob.id()); got != 0 {
		t.Fatalf("the relay has Bob's read position %d before the restart; the test proves nothing", got)
	}

	bob.start(t)
	testutil.Eventually(t, 20*time.Second, "the relay gets Bob's read mark after his restart", func() bool {
		return relayRead(t, evil.Relay, chatID, bob.id(), bob.id()) > 0
	})
	testutil.Eventually(t, 20*time.Second, "Alice sees her message read", func() bool {
		shown := shownStatuses(alice, chatID, map[ids.Message]policy.Status{m.ID: m.Status})
		return shown[m.ID] == policy.StatusRead
	})
}

// TestAckAfterReceiptShowsRead: the relay's acknowledgement of Alice's message comes
// after Bob's receipt for it (held back, as after a crash the resend's answer is, or
// queued behind the acker's commit); the status Alice is told once it is recorded
// is "read", not "sent".
func TestAckAfterReceiptShowsRead(t *testing.T) {
	ctx := context.Background()
	evil, alice, bob, chatID := twoBehindAttacker(t)

	var mu sync.Mutex
	var held []wire.Frame
	var heldTap *relaytest.Tap
	var receiptPassed atomic.Bool
	evil.SetHook(func(tap *relaytest.Tap, dir relaytest.Direction, f wire.Frame) []wire.Frame {
		if dir != relaytest.ToDevice || tap.Account() != alice.id() {
			return []wire.Frame{f}
		}
		switch b := f.Body.(type) {
		case *wire.Ack:
			mu.Lock()
			defer mu.Unlock()
			held, heldTap = append(held, f), tap
			return nil
		case *wire.Receipt:
			if b.ReadSeq > 0 {
				receiptPassed.Store(true)
			}
		}
		return []wire.Frame{f}
	})
	m, err := alice.engine.Send(ctx, chatID, "read me", nil)
	if err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 20*time.Second, "Bob has the message", func() bool { return bob.countFrom(t, chatID, alice) == 1 })
	if err := bob.engine.MarkRead(ctx, chatID); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 20*time.Second, "Bob's receipt reaches Alice", func() bool { return receiptPassed.Load() })
	testutil.Eventually(t, 20*time.Second, "Alice's vault has Bob's read position", func() bool {
		return peerReadOf(t, alice, chatID) > 0
	})
	evil.SetHook(nil)
	mu.Lock()
	for _, f := range held {
		if err := heldTap.Inject(relaytest.ToDevice, f); err != nil {
			t.Fatal(err)
		}
	}
	mu.Unlock()
	testutil.Eventually(t, 20*time.Second, "Alice is told her message was read", func() bool {
		shown := shownStatuses(alice, chatID, map[ids.Message]policy.Status{m.ID: m.Status})
		return shown[m.ID] == policy.StatusRead
	})
}

// peerReadOf is the other members' read position p's vault holds for a chat.
func peerReadOf(t *testing.T, p *peer, chat ids.Chat) uint64 {
	t.Helper()
	var meta chatMeta
	err := p.vault.View(context.Background(), func(tx *vault.Tx) error {
		var err error
		_, meta, err = chatWithMeta(tx, chat)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return meta.PeerRead
}

// TestCatchUpBringsAMissedReceipt: a relay that lost its database listened to
// nobody while Bob's read mark was committed, so Bob's receipt never reaches
// Alice; the relay's CatchUp push, once it listens again, is all that tells her
// device to read the positions from the store (docs/RELAY.md).
func TestCatchUpBringsAMissedReceipt(t *testing.T) {
	ctx := context.Background()
	evil, alice, bob, chatID := twoBehindAttacker(t)
	m, err := alice.engine.Send(ctx, chatID, "read me", nil)
	if err != nil {
		t.Fatal(err)
	}
	waitDelivered(t, bob, chatID, alice, 1)
	testutil.Eventually(t, 20*time.Second, "Alice sees it delivered", func() bool {
		return messageStatus(t, alice, chatID, m.ID) == policy.StatusDelivered
	})

	// The receipts of Bob's read are lost on their way to Alice.
	var dropped atomic.Int32
	evil.SetHook(func(tap *relaytest.Tap, dir relaytest.Direction, f wire.Frame) []wire.Frame {
		if _, ok := f.Body.(*wire.Receipt); ok && dir == relaytest.ToDevice && tap.Account() == alice.id() {
			dropped.Add(1)
			return nil
		}
		return []wire.Frame{f}
	})
	if err := bob.engine.MarkRead(ctx, chatID); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 20*time.Second, "the relay has Bob's read mark and a receipt was dropped", func() bool {
		return relayRead(t, evil.Relay, chatID, bob.id(), bob.id()) >= uint64(m.Seq) && dropped.Load() > 0
	})
	time.Sleep(200 * time.Millisecond)
	if s := messageStatus(t, alice, chatID, m.ID); s == policy.StatusRead {
		t.Fatal("Alice saw the read without the receipt; the test proves nothing")
	}

	evil.SetHook(nil)
	evil.Push(alice.id(), &wire.CatchUp{})
	testutil.Eventually(t, 20*time.Second, "after CatchUp, Alice sees it read", func() bool {
		return messageStatus(t, alice, chatID, m.ID) == policy.StatusRead
	})
}
