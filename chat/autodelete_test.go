package chat

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"hush/chatcrypto"
	"hush/clock"
	"hush/ids"
	"hush/internal/testutil"
	"hush/policy"
	"hush/relay/relaytest"
	"hush/sync/wire"
	"hush/vault"
)

const day = 24 * time.Hour

// withExpiryClock has an engine's expirer — the sweep, and what counts as expired
// on arrival — run on f.
func withExpiryClock(f *clock.Fake) func(*Engine) {
	return func(e *Engine) { e.expiry.clk = f }
}

// newLinkedClockedPeer is newLinkedPeer whose expirer runs on f.
func newLinkedClockedPeer(t *testing.T, name string, of *peer, f *clock.Fake) *peer {
	t.Helper()
	j := linkNewDevice(t, of)
	return newPeerOfDevice(t, name, of.url, j.Account, j.Device, j.Certificate, withExpiryClock(f), func(p *peer) {
		if err := p.vault.Update(context.Background(), func(tx *vault.Tx) error { return StoreLinked(tx, j) }); err != nil {
			t.Fatal(err)
		}
	})
}

// autoDeleteLines are the auto-delete lines of a chat on p, oldest first.
func autoDeleteLines(t *testing.T, p *peer, chatID ids.Chat) []Message {
	t.Helper()
	var out []Message
	for _, m := range p.allLines(t, chatID) {
		if m.Service.Kind == ServiceAutoDelete {
			out = append(out, m)
		}
	}
	return out
}

// waitAutoDelete waits until every one of peers shows the chat's timer as d.
func waitAutoDelete(t *testing.T, chatID ids.Chat, d time.Duration, peers ...*peer) {
	t.Helper()
	for _, p := range peers {
		testutil.Eventually(t, 30*time.Second, p.name+" sees auto-delete "+d.String(), func() bool {
			c, err := p.engine.Summary(context.Background(), chatID)
			return err == nil && c.AutoDelete == d
		})
	}
}

// storedAutoDelete reads what p's vault keeps of a message: its own auto-delete
// time (seconds) and its timer; found is false when the vault holds no such message.
func storedAutoDelete(t *testing.T, p *peer, id ids.Message) (ttl uint32, timer bool, found bool) {
	t.Helper()
	err := p.vault.View(context.Background(), func(tx *vault.Tx) error {
		m, err := tx.Message(id)
		if errors.Is(err, vault.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		found, ttl = true, metaOf(m).AutoDelete
		due, err := tx.DueTimers(time.Now().Add(400 * day))
		timer = slices.Contains(due, id)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return ttl, timer, found
}

// TestAutoDeleteEverywhere: Alice sets a direct chat's timer to a day. The messages
// sent after it carry it and go from every device — the sender's, Bob's two, a
// device Alice links after they expired — once a day has passed on each device's
// clock; the message from before stays; turning it off stops it.
func TestAutoDeleteEverywhere(t *testing.T) {
	ctx := context.Background()
	r := startRelay(t)
	start := time.Now()
	fa, fb, ft := clock.NewFake(start), clock.NewFake(start), clock.NewFake(start)
	alice := newTunedPeer(t, "Alice", "ws://"+r.Addr, withExpiryClock(fa))
	bob := newTunedPeer(t, "Bob", "ws://"+r.Addr, withExpiryClock(fb))
	alice.register(t, "alice")
	bob.register(t, "bob")
	chatID := direct(t, alice, bob, "bob")
	accept(t, bob, chatID)
	tablet := newLinkedClockedPeer(t, "Bob's tablet", bob, ft)
	tablet.online(t)
	everyone := []*peer{alice, bob, tablet}

	before, err := alice.engine.Send(ctx, chatID, "said before the timer", nil)
	if err != nil {
		t.Fatal(err)
	}
	waitMessage(t, "the message from before", chatID, before.ID, func(Message) bool { return true }, everyone...)

	if _, err := alice.engine.SetAutoDelete(ctx, chatID, time.Hour); !errors.Is(err, ErrInvalid) {
		t.Fatalf("a time not offered: %v", err)
	}
	set, err := alice.engine.SetAutoDelete(ctx, chatID, day)
	if err != nil {
		t.Fatal(err)
	}
	if set.AutoDelete != day {
		t.Fatalf("Alice's chat after setting it: %+v", set)
	}
	waitAutoDelete(t, chatID, day, everyone...)
	for _, p := range everyone {
		testutil.Eventually(t, 20*time.Second, p.name+" shows the line", func() bool {
			lines := autoDeleteLines(t, p, chatID)
			return len(lines) == 1 && lines[0].Service.Count == 86400 && lines[0].Sender == alice.id() &&
				lines[0].Service.By.IsMe == (p == alice)
		})
	}

	fromAlice, err := alice.engine.Send(ctx, chatID, "gone tomorrow", nil)
	if err != nil {
		t.Fatal(err)
	}
	fromBob, err := bob.engine.Send(ctx, chatID, "me too", nil)
	if err != nil {
		t.Fatal(err)
	}
	timed := []Message{fromAlice, fromBob}
	for _, m := range timed {
		waitMessage(t, "a timed message", chatID, m.ID, func(x Message) bool { return x.Seq > 0 }, everyone...)
		for _, p := range everyone {
			if ttl, timer, found := storedAutoDelete(t, p, m.ID); !found || ttl != 86400 || !timer {
				t.Errorf("%s keeps %q with %d s, timer %v, found %v", p.name, m.Body, ttl, timer, found)
			}
		}
	}
	if _, timer, _ := storedAutoDelete(t, alice, before.ID); timer {
		t.Error("the message from before the timer has a timer")
	}

	// Search finds them, until they go.
	found := func(p *peer, text string) bool {
		hits, err := p.engine.Search(ctx, text, ids.Chat{}, 10)
		return err == nil && len(hits) > 0
	}
	for _, p := range everyone {
		testutil.Eventually(t, 20*time.Second, p.name+" finds a timed message", func() bool { return found(p, "tomorrow") })
	}

	// Nothing goes before its day is over.
	for _, f := range []*clock.Fake{fa, fb, ft} {
		f.Advance(23 * time.Hour)
	}
	time.Sleep(300 * time.Millisecond)
	for _, p := range everyone {
		for _, m := range timed {
			if _, ok := messageByID(t, p, chatID, m.ID); !ok {
				t.Fatalf("%s lost %q before its time", p.name, m.Body)
			}
		}
	}
	// Then every device deletes them, and keeps the message from before; what Bob
	// had not read leaves his unread count with them.
	unread := summaryOf(t, bob, chatID).Unread
	if unread < 1 {
		t.Fatalf("Bob has %d unread", unread)
	}
	for _, f := range []*clock.Fake{fa, fb, ft} {
		f.Advance(2 * time.Hour)
	}
	for _, p := range everyone {
		for _, m := range timed {
			testutil.Eventually(t, 20*time.Second, p.name+" deletes "+m.Body, func() bool {
				_, ok := messageByID(t, p, chatID, m.ID)
				return !ok
			})
			if _, _, found := storedAutoDelete(t, p, m.ID); found {
				t.Errorf("%s's vault still holds %q", p.name, m.Body)
			}
			if !slices.ContainsFunc(of[MessageExpiry](p.events), func(x MessageExpiry) bool { return x.Message == m.ID }) {
				t.Errorf("%s did not tell the UI that %q expired", p.name, m.Body)
			}
		}
		if _, ok := messageByID(t, p, chatID, before.ID); !ok {
			t.Errorf("%s lost the message from before the timer", p.name)
		}
		testutil.Eventually(t, 20*time.Second, p.name+"'s search forgets them", func() bool {
			return !found(p, "tomorrow") && !found(p, "me too") && found(p, "before the timer")
		})
	}
	if c := summaryOf(t, bob, chatID); c.Unread != unread-1 {
		t.Errorf("Bob's unread count after the expiry: %d, want %d", c.Unread, unread-1)
	}

	// A device Alice links now fetches the history: the expired messages are never
	// stored there; the one from before and the line are.
	fl := clock.NewFake(fa.Now())
	laptop := newLinkedClockedPeer(t, "Alice's laptop", alice, fl)
	laptop.online(t)
	waitMessage(t, "the history", chatID, before.ID, func(Message) bool { return true }, laptop)
	testutil.Eventually(t, 20*time.Second, "the laptop has the line", func() bool {
		return len(autoDeleteLines(t, laptop, chatID)) == 1
	})
	waitAutoDelete(t, chatID, day, laptop)
	for _, m := range timed {
		shown := slices.ContainsFunc(of[Message](laptop.events), func(x Message) bool { return x.ID == m.ID })
		if _, _, found := storedAutoDelete(t, laptop, m.ID); found || shown {
			t.Errorf("the laptop stored %q (shown: %v), expired before it arrived", m.Body, shown)
		}
	}

	// Turned off by Bob: what is sent next stays, on every device.
	if _, err := bob.engine.SetAutoDelete(ctx, chatID, 0); err != nil {
		t.Fatal(err)
	}
	everyone = append(everyone, laptop)
	waitAutoDelete(t, chatID, 0, everyone...)
	kept, err := alice.engine.Send(ctx, chatID, "this one stays", nil)
	if err != nil {
		t.Fatal(err)
	}
	waitMessage(t, "the message after off", chatID, kept.ID, func(x Message) bool { return x.Seq > 0 }, everyone...)
	for _, f := range []*clock.Fake{fa, fb, ft, fl} {
		f.Advance(40 * day)
	}
	time.Sleep(300 * time.Millisecond)
	for _, p := range everyone {
		if _, ok := messageByID(t, p, chatID, kept.ID); !ok {
			t.Errorf("%s deleted a message sent after auto-delete was turned off", p.name)
		}
		if lines := autoDeleteLines(t, p, chatID); len(lines) != 2 || lines[1].Service.Count != 0 || lines[1].Sender != bob.id() {
			t.Errorf("%s's lines: %+v", p.name, lines)
		}
	}
	noWarnings(t, everyone...)
}

// TestAutoDeleteGroup: in a group only the owner and admins set the timer; a member
// added later learns it (the owner's device sends it again under the new key) and
// stamps its own messages with it.
func TestAutoDeleteGroup(t *testing.T) {
	ctx := context.Background()
	_, alice, bob, carol := threePeople(t)
	g, err := alice.engine.CreateGroup(ctx, "Book club", []ids.Account{bob.id()})
	if err != nil {
		t.Fatal(err)
	}
	sendAcked(t, alice, g.ID, "welcome")
	waitDelivered(t, bob, g.ID, alice, 1)
	if _, err := bob.engine.SetAutoDelete(ctx, g.ID, 7*day); !errors.Is(err, ErrForbidden) {
		t.Fatalf("a member sets the timer: %v", err)
	}
	if _, err := alice.engine.SetAutoDelete(ctx, g.ID, 7*day); err != nil {
		t.Fatal(err)
	}
	waitAutoDelete(t, g.ID, 7*day, alice, bob)

	if _, err := alice.engine.AddMembers(ctx, g.ID, []ids.Account{carol.id()}); err != nil {
		t.Fatal(err)
	}
	waitAutoDelete(t, g.ID, 7*day, carol)
	if lines := autoDeleteLines(t, carol, g.ID); len(lines) != 1 || lines[0].Service.Count != 604800 {
		t.Errorf("Carol's lines: %+v", lines)
	}
	m, err := carol.engine.Send(ctx, g.ID, "hello, I'm new", nil)
	if err != nil {
		t.Fatal(err)
	}
	waitMessage(t, "Carol's message", g.ID, m.ID, func(x Message) bool { return x.Seq > 0 }, alice, bob)
	for _, p := range []*peer{alice, bob, carol} {
		if ttl, timer, _ := storedAutoDelete(t, p, m.ID); ttl != 604800 || !timer {
			t.Errorf("%s keeps Carol's message with %d s, timer %v", p.name, ttl, timer)
		}
	}
	// The existing members heard the setting again and changed nothing.
	for _, p := range []*peer{alice, bob} {
		if lines := autoDeleteLines(t, p, g.ID); len(lines) != 1 {
			t.Errorf("%s has %d auto-delete lines, want 1", p.name, len(lines))
		}
	}
	noWarnings(t, alice, bob, carol)
}

// TestAutoDeleteForgedAndReplayed attacks the setting. A member of a group who may
// not set it (Bob, no admin) sends one from a modified client: without the check it
// applies; with it every device refuses it with a warning. Then the relay replays
// an older "off" after the owner's newer setting, in front of a message Bob sends:
// nothing changes, and the message still goes at its time.
func TestAutoDeleteForgedAndReplayed(t *testing.T) {
	for _, run := range runs {
		t.Run(run.name, func(t *testing.T) {
			ctx := context.Background()
			w := newAttackWorld(t, weakIf(run.weak, func(c *checks) { c.anyAutoDelete = true }))
			g := w.group(t, policy.KindGroup)
			if _, err := w.bob.engine.SetAutoDelete(ctx, g, day); !errors.Is(err, ErrForbidden) {
				t.Fatalf("Bob's engine sets the timer: %v", err)
			}
			keys := w.bob.epochKeys(t, g)
			epoch := newest(keys)
			raw := rawConn(t, w.bob)
			id := ids.New[ids.Message]()
			forged := forgeText(t, w.bob, g, epoch, keys[epoch], id, map[int]any{
				0: int(chatcrypto.KindAutoDelete), 13: time.Now().UnixMilli(), 16: 86400})
			if _, err := raw.Request(ctx, &wire.Send{ChatID: g, MsgID: id, Epoch: epoch, Ciphertext: forged}); err != nil {
				t.Fatal(err)
			}
			raw.Close()
			if run.weak {
				waitAutoDelete(t, g, day, w.alice, w.carol)
				return
			}
			for _, p := range []*peer{w.alice, w.carol, w.bob} {
				testutil.Eventually(t, 20*time.Second, p.name+" refuses it", func() bool {
					return slices.ContainsFunc(of[Warning](p.events), func(x Warning) bool {
						return x.Kind == WarnAutoDeleteNotAllowed && x.Chat == g
					})
				})
				if c := summaryOf(t, p, g); c.AutoDelete != 0 || len(autoDeleteLines(t, p, g)) != 0 {
					t.Errorf("%s after the forgery: timer %v, lines %d", p.name, c.AutoDelete, len(autoDeleteLines(t, p, g)))
				}
			}

			// The owner sets a week, turns it off, sets a day; the relay keeps the
			// entry of the "off" it pushed to Carol.
			var mu sync.Mutex
			var pushed []wire.Entry
			var replay *wire.Entry
			w.evil.SetHook(func(tap *relaytest.Tap, dir relaytest.Direction, f wire.Frame) []wire.Frame {
				p, ok := f.Body.(*wire.Push)
				if !ok || dir != relaytest.ToDevice || tap.Account() != w.carol.id() || p.ChatID != g {
					return []wire.Frame{f}
				}
				mu.Lock()
				defer mu.Unlock()
				pushed = append(pushed, p.Entry)
				if replay == nil || p.Entry.SenderAccount != w.bob.id() {
					return []wire.Frame{f}
				}
				// In front of Bob's message: the old "off" again, numbered as if new.
				old := *replay
				old.Seq = p.Entry.Seq
				next := p.Entry
				next.Seq++
				replay = nil
				return []wire.Frame{{Body: &wire.Push{ChatID: g, Entry: old}}, {Body: &wire.Push{ChatID: g, Entry: next}}}
			})
			for _, d := range []time.Duration{7 * day, 0, day} {
				if _, err := w.alice.engine.SetAutoDelete(ctx, g, d); err != nil {
					t.Fatal(err)
				}
				waitAutoDelete(t, g, d, w.alice, w.bob, w.carol)
			}
			lines := autoDeleteLines(t, w.carol, g)
			if len(lines) != 3 {
				t.Fatalf("Carol's lines: %+v", lines)
			}
			mu.Lock()
			for i := range pushed {
				if pushed[i].MsgID == lines[1].ID {
					replay = &pushed[i]
				}
			}
			mu.Unlock()
			if replay == nil {
				t.Fatal("the relay saw no push of the \"off\" to Carol")
			}
			m, err := w.bob.engine.Send(ctx, g, "stamped with a day", nil)
			if err != nil {
				t.Fatal(err)
			}
			waitMessage(t, "Bob's message", g, m.ID, func(Message) bool { return true }, w.carol)
			mu.Lock()
			replayed := replay == nil
			mu.Unlock()
			if !replayed {
				t.Fatal("the relay did not replay the \"off\"")
			}
			if c := summaryOf(t, w.carol, g); c.AutoDelete != day || len(autoDeleteLines(t, w.carol, g)) != 3 {
				t.Errorf("Carol after the replay: timer %v, %d lines", c.AutoDelete, len(autoDeleteLines(t, w.carol, g)))
			}
			if ttl, timer, _ := storedAutoDelete(t, w.carol, m.ID); ttl != 86400 || !timer {
				t.Errorf("Carol keeps Bob's message with %d s, timer %v", ttl, timer)
			}
		})
	}
}

// TestAutoDeleteSettingOrder: of two settings the later signed wins whatever order
// they arrive in, a tie goes to the shorter time, a copy heard again changes
// nothing, and a time far in the future counts as the relay's + 5 minutes.
func TestAutoDeleteSettingOrder(t *testing.T) {
	a, b, c := ids.New[ids.Message](), ids.New[ids.Message](), ids.New[ids.Message]()
	var s autoDeleteState
	if !s.take(86400, 100, a) || s.TTL != 86400 {
		t.Fatalf("the first setting: %+v", s)
	}
	if s.take(0, 99, b) || s.TTL != 86400 {
		t.Errorf("an older setting applied: %+v", s)
	}
	if s.take(0, 100, b) || s.TTL != 86400 {
		t.Errorf("a tie went to the longer time: %+v", s)
	}
	if !s.take(3600, 100, c) || s.TTL != 3600 {
		t.Errorf("a tie did not go to the shorter time: %+v", s)
	}
	if s.take(3600, 50, c) || s.At != 50 {
		t.Errorf("the setting heard again: %+v, want its earlier time kept", s)
	}
	if !s.take(0, 101, a) || s.TTL != 0 {
		t.Errorf("a later off: %+v", s)
	}
	relay := time.UnixMilli(1_700_000_000_000)
	for _, c := range []struct {
		signed, want time.Time
	}{
		{time.Time{}, relay},
		{relay.Add(-time.Hour), relay.Add(-time.Hour)},
		{relay.Add(time.Minute), relay.Add(time.Minute)},
		{relay.Add(365 * day), relay.Add(clockTolerance)},
	} {
		if got := settingTime(c.signed, relay); !got.Equal(c.want) {
			t.Errorf("settingTime(%v) = %v, want %v", c.signed, got, c.want)
		}
	}
	text := func(sent time.Time) chatcrypto.Content {
		return chatcrypto.Content{Kind: chatcrypto.KindText, SentAt: sent, Text: &chatcrypto.Text{Body: "x", AutoDelete: day}}
	}
	for _, c := range []struct {
		content chatcrypto.Content
		want    time.Time
	}{
		{text(relay.Add(-time.Hour)), relay.Add(-time.Hour + day)}, // written offline, sent later
		{text(relay.Add(30 * day)), relay.Add(day)},                // a forged future time does not extend it
		{text(time.Time{}), relay.Add(day)},
		{chatcrypto.Content{Kind: chatcrypto.KindText, SentAt: relay, Text: &chatcrypto.Text{Body: "x"}}, time.Time{}},
	} {
		if got := expiryOf(c.content, relay); !got.Equal(c.want) {
			t.Errorf("expiryOf(sent %v) = %v, want %v", c.content.SentAt, got, c.want)
		}
	}
}
