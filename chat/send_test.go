package chat

import (
	"context"
	"errors"
	"hush/chatcrypto"
	"hush/ids"
	"hush/internal/testutil"
	"hush/policy"
	"hush/sync/relayclient"
	"hush/sync/wire"
	"hush/vault"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestBadDisplayNameRefusedAtSend: a name that may not travel is refused before
// anything is stored or sent, with an error the UI can show.
func TestBadDisplayNameRefusedAtSend(t *testing.T) {
	r := startRelay(t)
	bob := newPeer(t, "Bob", "ws://"+r.Addr)
	bob.register(t, "bob")
	tests := []struct {
		name string
		want error
	}{
		{"Eve\nAdmin", ErrInvalid},
		{"Eve\x00", ErrInvalid},
		{"\u202eEve", ErrInvalid},
		{strings.Repeat("E", chatcrypto.MaxSenderNameChars+1), ErrTooLong},
		{strings.Repeat("李", chatcrypto.MaxSenderNameChars+1), ErrTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := CheckDisplayName(tt.name); !errors.Is(err, tt.want) {
				t.Errorf("CheckDisplayName = %v, want %v", err, tt.want)
			}
			eve := newPeer(t, tt.name, "ws://"+r.Addr)
			eve.online(t)
			chatID := direct(t, eve, bob, "bob")
			before := len(bob.allMessages(t, chatID))
			_, err := eve.engine.Send(context.Background(), chatID, "hi", nil)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Send = %v, want %v", err, tt.want)
			}
			if n := eve.outboxLen(t); n != 0 {
				t.Errorf("outbox holds %d items", n)
			}
			if got := eve.allMessages(t, chatID); len(got) != before {
				t.Errorf("stored %+v", got)
			}
		})
	}
	for _, ok := range []string{"Eve", strings.Repeat("李", chatcrypto.MaxSenderNameChars), "@eve"} {
		if err := CheckDisplayName(ok); err != nil {
			t.Errorf("CheckDisplayName(%q) = %v", ok, err)
		}
	}
}

func TestOutboxAfterRelayDown(t *testing.T) {
	const n = 50
	r, alice, bob, chatID := twoPeople(t)
	ctx := context.Background()

	if err := r.Stop(); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 10*time.Second, "Alice offline", func() bool { return alice.engine.Connection().State == LinkOffline })
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

	r.Restart(t)
	waitDelivered(t, bob, chatID, alice, n)
	checkTranscript(t, bob, chatID, n, alice)
	checkTranscript(t, alice, chatID, n, alice)
}

func TestOutboxAfterClientDisconnected(t *testing.T) {
	const n = 40
	r, alice, bob, chatID := twoPeople(t)
	ctx := context.Background()

	// Alice's device goes somewhere unreachable (a closed port)...
	if _, err := alice.engine.SetRelay("ws://127.0.0.1:1"); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 10*time.Second, "Alice offline", func() bool { return alice.engine.Connection().State == LinkOffline })
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
	r, alice, bob, chatID := twoPeople(t)
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
	testutil.Eventually(t, 30*time.Second, "some acknowledgements", func() bool { return len(acked()) >= 20 })
	r = r.Restart(t)
	before := acked()
	testutil.Eventually(t, 30*time.Second, "more acknowledgements", func() bool { return len(acked()) >= len(before)+20 || alice.outboxLen(t) == 0 })
	r.Restart(t)
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

// TestHandoff: items come out in commit order; past maxHandoff everything is dropped
// and the flusher is told to read the vault's outbox instead.
func TestHandoff(t *testing.T) {
	var h handoff
	h.init()
	first, second := ids.New[ids.Message](), ids.New[ids.Message]()
	h.push(queued{item: vault.OutboxItem{ID: first}})
	h.push(queued{item: vault.OutboxItem{ID: second}})
	select {
	case <-h.ready:
	default:
		t.Fatal("a push did not signal")
	}
	items, overflow := h.take()
	if overflow || len(items) != 2 || items[0].item.ID != first || items[1].item.ID != second {
		t.Fatalf("take = %d items (overflow %v)", len(items), overflow)
	}
	for range maxHandoff + 5 {
		h.push(queued{item: vault.OutboxItem{ID: ids.New[ids.Message]()}})
	}
	if items, overflow := h.take(); !overflow || len(items) != 0 {
		t.Fatalf("after an overflow: %d items, overflow %v", len(items), overflow)
	}
	if _, overflow := h.take(); overflow {
		t.Error("the overflow was reported twice")
	}
}

// TestAheadSet: the cursor moves over this device's own acknowledged messages only
// when they follow it without a gap, and forgets those it passed.
func TestAheadSet(t *testing.T) {
	a := aheadSet{seqs: map[ids.Chat]map[uint64]bool{}}
	chat := ids.New[ids.Chat]()
	for _, s := range []uint64{5, 6, 8, 3} {
		a.add(chat, s)
	}
	if got := a.catchForward(chat, 2); got != 3 {
		t.Errorf("from 2: %d, want 3 (4 is someone else's, not acknowledged to us)", got)
	}
	if got := a.catchForward(chat, 4); got != 6 {
		t.Errorf("from 4: %d, want 6", got)
	}
	if got := a.catchForward(chat, 7); got != 8 {
		t.Errorf("from 7: %d, want 8", got)
	}
	if len(a.seqs) != 0 {
		t.Errorf("passed sequence numbers remembered: %v", a.seqs)
	}
	a.add(chat, 10)
	a.forget(chat)
	if got := a.catchForward(chat, 9); got != 9 {
		t.Errorf("a forgotten chat moved its cursor to %d", got)
	}
}

// TestCheckBody: empty, invalid, too long and too long once encoded are refused
// before anything is stored.
func TestCheckBody(t *testing.T) {
	for _, c := range []struct {
		name, body string
		want       error
	}{
		{"text", "hello", nil},
		{"blank", " \n\t", ErrInvalid},
		{"not UTF-8", "\xff", ErrInvalid},
		{"over the limit", strings.Repeat("x", chatcrypto.MaxBodyBytes+1), ErrTooLong},
		{"at the limit", strings.Repeat("x", chatcrypto.MaxBodyBytes-200), nil},
	} {
		if err := checkBody(c.body, "Alice"); !errors.Is(err, c.want) && (err != nil || c.want != nil) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
}

// TestSendFailed: how the flusher treats each refusal of a send. A refusal for good
// fails the message (and says why); the others wait, refresh the key or retry.
func TestSendFailed(t *testing.T) {
	_, alice, _, chat := twoPeople(t)
	s := alice.engine.send
	ctx := context.Background()
	pending := func() *sending {
		t.Helper()
		m := vault.Message{ID: ids.New[ids.Message](), ChatID: chat, SenderAccount: alice.id(), SentAt: time.Now(), Body: "x", Status: policy.StatusPending}
		item := vault.OutboxItem{ID: m.ID, ChatID: chat, Payload: []byte{0x83, 0x02, 0x01, 0x60}}
		if err := alice.vault.Update(ctx, func(tx *vault.Tx) error {
			return errors.Join(tx.InsertMessage(m), tx.Enqueue(item))
		}); err != nil {
			t.Fatal(err)
		}
		return &sending{item: item, kind: chatcrypto.KindText}
	}
	for _, c := range []struct {
		name    string
		err     error
		stop    bool
		retryIn time.Duration
		stale   bool
		failed  bool
	}{
		{"stale epoch", wire.Errorf(wire.CodeStaleEpoch, "x"), false, -1, true, false},
		{"rate limited", &wire.Error{Code: wire.CodeRateLimited, RetryAfter: 3 * time.Second}, true, 3 * time.Second, false, false},
		{"quota", wire.Errorf(wire.CodeQuotaExceeded, "x"), true, time.Minute, false, false},
		{"connection lost", relayclient.ErrConnectionLost, true, -1, false, false},
		{"relay failed", wire.Errorf(wire.CodeInternal, "x"), true, flushRetry, false, false},
		{"forbidden", wire.Errorf(wire.CodeForbidden, "x"), false, -1, false, true},
		{"too large", wire.Errorf(wire.CodeTooLarge, "x"), false, -1, false, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			sd := pending()
			stale, blocked := map[ids.Chat]bool{}, map[ids.Chat]bool{}
			retryIn, stop := s.sendFailed(ctx, sd, c.err, stale, blocked)
			if (stop != nil) != c.stop || retryIn != c.retryIn || stale[chat] != c.stale || blocked[chat] != c.stale {
				t.Errorf("stop %v, retry in %v, stale %v; want stop %v, retry in %v, stale %v", stop, retryIn, stale[chat], c.stop, c.retryIn, c.stale)
			}
			var m vault.Message
			if err := alice.vault.View(ctx, func(tx *vault.Tx) (err error) { m, err = tx.Message(sd.item.ID); return }); err != nil {
				t.Fatal(err)
			}
			if failed := m.Status == policy.StatusFailed; failed != c.failed {
				t.Errorf("message status %v, want failed %v", m.Status, c.failed)
			}
		})
	}
	w := of[Warning](alice.events)
	var kinds []WarningKind
	for _, x := range w {
		kinds = append(kinds, x.Kind)
	}
	if !slices.Equal(kinds, []WarningKind{WarnQuotaExceeded, WarnSendFailed, WarnSendFailed}) ||
		!errors.Is(w[1].Cause, ErrForbidden) || !errors.Is(w[2].Cause, ErrTooLong) {
		t.Errorf("warnings %+v", w)
	}
}
