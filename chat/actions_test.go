package chat

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"hush/chatcrypto"
	"hush/ids"
	"hush/internal/testutil"
	"hush/policy"
	"hush/relay/relaytest"
	"hush/sync/wire"
	"hush/vault"
)

// messageByID returns p's copy of message id in chatID, and whether it holds one.
func messageByID(t testing.TB, p *peer, chatID ids.Chat, id ids.Message) (Message, bool) {
	t.Helper()
	before := ""
	for {
		page, err := p.engine.Messages(context.Background(), chatID, before, 200)
		if err != nil {
			return Message{}, false // not there yet (a device still catching up)
		}
		for _, m := range page.Messages {
			if m.ID == id {
				return m, true
			}
		}
		if page.NextBefore == "" {
			return Message{}, false
		}
		before = page.NextBefore
	}
}

// waitMessage waits until every one of peers holds message id in a state ok accepts.
func waitMessage(t *testing.T, what string, chatID ids.Chat, id ids.Message, ok func(Message) bool, peers ...*peer) {
	t.Helper()
	for _, p := range peers {
		testutil.Eventually(t, 30*time.Second, p.name+": "+what, func() bool {
			m, found := messageByID(t, p, chatID, id)
			return found && ok(m)
		})
	}
}

// reactionsText words a message's reactions as "👍=Alice,Bob;❤️=Bob", naming
// each reactor by who (names differ between devices; accounts do not).
func reactionsText(m Message, who map[ids.Account]string) string {
	var parts []string
	for _, r := range m.Reactions {
		var names []string
		for _, p := range r.By {
			names = append(names, who[p.Account])
		}
		slices.Sort(names)
		parts = append(parts, r.Emoji+"="+strings.Join(names, ","))
	}
	return strings.Join(parts, ";")
}

// TestActionsReachEveryDevice: an edit, reactions and a deletion for everyone by
// the author reach both ends and every device of each, and leave one state.
func TestActionsReachEveryDevice(t *testing.T) {
	_, alice, bob, chatID := twoPeople(t)
	ctx := context.Background()
	accept(t, bob, chatID)
	m, err := alice.engine.Send(ctx, chatID, "helo", nil)
	if err != nil {
		t.Fatal(err)
	}
	waitDelivered(t, bob, chatID, alice, 1)
	laptop := newLinkedPeer(t, "Alice's laptop", alice.url, linkNewDevice(t, alice))
	laptop.online(t)
	tablet := newLinkedPeer(t, "Bob's tablet", bob.url, linkNewDevice(t, bob))
	tablet.online(t)
	everyone := []*peer{alice, laptop, bob, tablet}
	who := map[ids.Account]string{alice.id(): "Alice", bob.id(): "Bob"}
	waitMessage(t, "the message", chatID, m.ID, func(Message) bool { return true }, everyone...)

	// Edit: on the author's device at once, then everywhere.
	edited, err := alice.engine.EditMessage(ctx, chatID, m.ID, "hello")
	if err != nil {
		t.Fatal(err)
	}
	if edited.Body != "hello" || edited.Edited.IsZero() {
		t.Fatalf("edited here: %+v", edited)
	}
	waitMessage(t, "the edit", chatID, m.ID, func(x Message) bool { return x.Body == "hello" && !x.Edited.IsZero() }, everyone...)

	// Reactions: twice from Bob is once; Alice's adds; counts and names agree.
	for range 2 {
		if _, err := bob.engine.React(ctx, chatID, m.ID, "👍", false); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := tablet.engine.React(ctx, chatID, m.ID, "👍", false); err != nil {
		t.Fatal(err)
	}
	if _, err := laptop.engine.React(ctx, chatID, m.ID, "👍", false); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.engine.React(ctx, chatID, m.ID, "❤️", false); err != nil {
		t.Fatal(err)
	}
	want := "👍=Alice,Bob;❤️=Bob"
	waitMessage(t, "the reactions", chatID, m.ID, func(x Message) bool { return reactionsText(x, who) == want }, everyone...)
	got, _ := messageByID(t, alice, chatID, m.ID)
	if len(got.Reactions[0].By) != 2 || !got.Reactions[0].Mine || got.Reactions[1].Mine {
		t.Errorf("Alice sees %+v", got.Reactions)
	}
	// Taken back from another device of Bob's.
	if _, err := tablet.engine.React(ctx, chatID, m.ID, "❤️", true); err != nil {
		t.Fatal(err)
	}
	waitMessage(t, "a reaction taken back", chatID, m.ID, func(x Message) bool { return reactionsText(x, who) == "👍=Alice,Bob" }, everyone...)

	// Deleted for everyone: the text is gone on every device, a placeholder stays.
	if _, err := alice.engine.DeleteMessage(ctx, chatID, m.ID); err != nil {
		t.Fatal(err)
	}
	waitMessage(t, "the deletion", chatID, m.ID, func(x Message) bool {
		return x.Placeholder == Deleted && x.Body == "" && len(x.Reactions) == 0
	}, everyone...)
	for _, p := range everyone {
		if err := p.vault.View(ctx, func(tx *vault.Tx) error {
			stored, err := tx.Message(m.ID)
			if err == nil && (stored.Body != "" || strings.Contains(string(stored.Extra), "hel")) {
				return fmt.Errorf("%s still stores the text: %+v", p.name, stored)
			}
			return err
		}); err != nil {
			t.Error(err)
		}
	}
	// The chat list's preview follows: the newest message is now a placeholder.
	for _, p := range everyone {
		testutil.Eventually(t, 30*time.Second, p.name+"'s preview", func() bool {
			s := summaryOf(t, p, chatID)
			return s.LastPlaceholder == Deleted && s.LastMessage == ""
		})
	}
	if ups := of[Chat](alice.events); len(ups) == 0 || ups[len(ups)-1].LastPlaceholder != Deleted {
		t.Error("Alice's list was not told of the deletion")
	}
	// An edit of a deleted message does nothing.
	if _, err := alice.engine.EditMessage(ctx, chatID, m.ID, "back?"); !errors.Is(err, ErrInvalid) {
		t.Errorf("editing a deleted message: %v", err)
	}
	noWarnings(t, everyone...)
}

// TestForgedActionsRefused: another member's edit or deletion of Alice's message,
// correctly signed by that member, is refused by every receiver; so is a reaction
// or edit naming a message of another chat. The attack is made by hand, as a
// modified client would, since the engine refuses to send it.
func TestForgedActionsRefused(t *testing.T) {
	r, alice, bob, chatID := twoPeople(t)
	ctx := context.Background()
	accept(t, bob, chatID)
	m, err := alice.engine.Send(ctx, chatID, "I owe Bob 5 euros", nil)
	if err != nil {
		t.Fatal(err)
	}
	waitDelivered(t, bob, chatID, alice, 1)

	// The engine refuses first.
	if _, err := bob.engine.EditMessage(ctx, chatID, m.ID, "I owe Bob 500 euros"); !errors.Is(err, ErrForbidden) {
		t.Fatalf("Bob's engine edits Alice's message: %v", err)
	}
	if _, err := bob.engine.DeleteMessage(ctx, chatID, m.ID); !errors.Is(err, ErrForbidden) {
		t.Fatalf("Bob's engine deletes Alice's message: %v", err)
	}

	// A modified client: signed by Bob, sent through the relay.
	keys := bob.epochKeys(t, chatID)
	epoch := newest(keys)
	raw := relaytest.Dial(t, r, bob.device())
	send := func(content map[int]any) {
		t.Helper()
		id := ids.New[ids.Message]()
		if _, err := raw.Request(ctx, &wire.Send{ChatID: chatID, MsgID: id, Epoch: epoch,
			Ciphertext: forgeText(t, bob, chatID, epoch, keys[epoch], id, content)}); err != nil {
			t.Fatal(err)
		}
	}
	send(map[int]any{0: int(chatcrypto.KindEdit), 1: "I owe Bob 500 euros", 2: m.ID[:]})
	send(map[int]any{0: int(chatcrypto.KindDelete), 2: m.ID[:]})
	testutil.Eventually(t, 20*time.Second, "Alice refuses both", func() bool {
		n := 0
		for _, w := range of[Warning](alice.events) {
			if w.Kind == WarnActionNotAllowed && w.Chat == chatID {
				n++
			}
		}
		return n >= 2
	})
	got, _ := messageByID(t, alice, chatID, m.ID)
	if got.Body != "I owe Bob 5 euros" || !got.Edited.IsZero() || got.Placeholder != NoPlaceholder {
		t.Errorf("Alice's message after the forgeries: %+v", got)
	}
	// Bob's own devices refuse it too: his engine applies only what it would send.
	got, _ = messageByID(t, bob, chatID, m.ID)
	if got.Body != "I owe Bob 5 euros" || got.Placeholder != NoPlaceholder {
		t.Errorf("Bob's copy after his forgeries: %+v", got)
	}

	// The check is what stops it: the same edit by the author applies.
	if _, err := alice.engine.EditMessage(ctx, chatID, m.ID, "I owe Bob 6 euros"); err != nil {
		t.Fatal(err)
	}
	waitMessage(t, "the author's edit", chatID, m.ID, func(x Message) bool { return x.Body == "I owe Bob 6 euros" }, bob)
}

// TestActionsBeforeTheirTarget: actions that arrive before the message they name
// are parked, not lost, and apply when it comes; an edit after the deletion, and
// edits in the wrong order, settle on the same state everywhere.
func TestActionsBeforeTheirTarget(t *testing.T) {
	_, alice, bob, chatID := twoPeople(t)
	ctx := context.Background()
	accept(t, bob, chatID)
	c := vault.Chat{ID: chatID}
	if err := bob.vault.View(ctx, func(tx *vault.Tx) error {
		var err error
		c, err = tx.Chat(chatID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	target := ids.New[ids.Message]()
	at := time.Now()
	var out batch
	recv := bob.engine.recv
	err := bob.vault.Update(ctx, func(tx *vault.Tx) error {
		out = batch{}
		meta, err := decodeMeta(c.Extra)
		if err != nil {
			return err
		}
		// Out of order: the later edit first, then an older one, a reaction, a pin.
		for _, a := range []action{
			{kind: chatcrypto.KindEdit, target: target, sender: alice.id(), body: "third", at: at.Add(3 * time.Second)},
			{kind: chatcrypto.KindEdit, target: target, sender: alice.id(), body: "second", at: at.Add(2 * time.Second)},
			{kind: chatcrypto.KindReaction, target: target, sender: bob.id(), emoji: "🎉", at: at.Add(time.Second)},
			{kind: chatcrypto.KindEdit, target: target, sender: bob.id(), body: "forged", at: at.Add(4 * time.Second)},
		} {
			if _, err := recv.act(tx, &c, &meta, a, nameCache{}, &out); err != nil {
				return err
			}
		}
		if n := len(out.changed); n != 0 {
			return fmt.Errorf("%d messages changed before the target", n)
		}
		// The target arrives.
		_, err = recv.store(tx, &c, &meta, &wire.Entry{Seq: 1, SenderAccount: alice.id()}, vault.Message{
			ID: target, ChatID: chatID, Seq: 1, SenderAccount: alice.id(), SentAt: at, Body: "first", Status: policy.StatusSent,
		}, nil, "", nameCache{}, &out)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	got, ok := messageByID(t, bob, chatID, target)
	if !ok || got.Body != "third" || reactionsText(got, map[ids.Account]string{bob.id(): "Bob"}) != "🎉=Bob" {
		t.Fatalf("after the target came: %+v", got)
	}
	if len(out.news) != 1 || out.news[0].Body != "third" {
		t.Errorf("the new message is announced as %+v", out.news)
	}
	if !slices.Contains(out.warnings, WarnActionNotAllowed) {
		t.Errorf("the parked forgery was not refused: %v", out.warnings)
	}
	// Nothing is left parked.
	if err := bob.vault.View(ctx, func(tx *vault.Tx) error {
		list, err := settingList[parkedAction](tx, parkedSetting(chatID))
		if err == nil && len(list) != 0 {
			return fmt.Errorf("%d actions still parked", len(list))
		}
		return err
	}); err != nil {
		t.Error(err)
	}
}

// TestApplyActionRules runs the receiver's rules on one stored message: who may do
// what, idempotence, and the order of signed times.
func TestApplyActionRules(t *testing.T) {
	_, alice, bob, chatID := twoPeople(t)
	ctx := context.Background()
	accept(t, bob, chatID)
	m, err := alice.engine.Send(ctx, chatID, "original", nil)
	if err != nil {
		t.Fatal(err)
	}
	waitDelivered(t, bob, chatID, alice, 1)
	at := time.Now().Add(time.Minute)
	type step struct {
		name string
		a    action
		want actOutcome
	}
	A, B := alice.id(), bob.id()
	steps := []step{
		{"edit by another member", action{kind: chatcrypto.KindEdit, sender: B, body: "x", at: at}, actRefused},
		{"edit by the author", action{kind: chatcrypto.KindEdit, sender: A, body: "v2", at: at}, actApplied},
		{"the same edit again", action{kind: chatcrypto.KindEdit, sender: A, body: "v2", at: at}, actSame},
		{"an older edit", action{kind: chatcrypto.KindEdit, sender: A, body: "v1", at: at.Add(-time.Second)}, actSame},
		{"a reaction", action{kind: chatcrypto.KindReaction, sender: B, emoji: "👍", at: at}, actApplied},
		{"the same reaction", action{kind: chatcrypto.KindReaction, sender: B, emoji: "👍", at: at}, actSame},
		{"an older removal", action{kind: chatcrypto.KindReaction, sender: B, emoji: "👍", remove: true, at: at.Add(-time.Second)}, actSame},
		{"a newer removal", action{kind: chatcrypto.KindReaction, sender: B, emoji: "👍", remove: true, at: at.Add(time.Second)}, actApplied},
		{"removing what is not there", action{kind: chatcrypto.KindReaction, sender: A, emoji: "🙃", remove: true, at: at}, actSame},
		{"a pin by a member of a direct chat", action{kind: chatcrypto.KindPin, sender: B, at: at}, actApplied},
		{"deletion by another member", action{kind: chatcrypto.KindDelete, sender: B, at: at}, actRefused},
		{"deletion by the author", action{kind: chatcrypto.KindDelete, sender: A, at: at}, actApplied},
		{"an edit after the deletion", action{kind: chatcrypto.KindEdit, sender: A, body: "back", at: at.Add(time.Hour)}, actSame},
		{"a reaction after the deletion", action{kind: chatcrypto.KindReaction, sender: B, emoji: "👍", at: at.Add(time.Hour)}, actSame},
		{"an unknown target", action{kind: chatcrypto.KindEdit, sender: A, body: "x", at: at}, actMissing},
	}
	for i, s := range steps {
		s.a.target = m.ID
		if i == len(steps)-1 {
			s.a.target = ids.New[ids.Message]()
		}
		var got actOutcome
		err := bob.vault.Update(ctx, func(tx *vault.Tx) error {
			c, err := tx.Chat(chatID)
			if err != nil {
				return err
			}
			_, got, err = applyAction(tx, &c, s.a, ids.Account{})
			return err
		})
		if err != nil || got != s.want {
			t.Errorf("%s: %v, %v; want %v", s.name, got, err, s.want)
		}
	}
	got, _ := messageByID(t, bob, chatID, m.ID)
	if got.Placeholder != Deleted || got.Body != "" || got.Pinned {
		t.Errorf("at the end: %+v", got)
	}
}

// TestReactionsBounded: a message keeps at most maxReactionRecords (reactor,
// emoji) pairs.
func TestReactionsBounded(t *testing.T) {
	_, alice, bob, chatID := twoPeople(t)
	ctx := context.Background()
	m, err := alice.engine.Send(ctx, chatID, "react to me", nil)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Now()
	added := 0
	err = alice.vault.Update(ctx, func(tx *vault.Tx) error {
		c, err := tx.Chat(chatID)
		if err != nil {
			return err
		}
		for i := range maxReactionRecords + 10 {
			_, res, err := applyAction(tx, &c, action{kind: chatcrypto.KindReaction, target: m.ID, sender: bob.id(), emoji: fmt.Sprintf("e%d", i), at: at}, ids.Account{})
			if err != nil {
				return err
			}
			if res == actApplied {
				added++
			}
		}
		return nil
	})
	if err != nil || added != maxReactionRecords {
		t.Fatalf("added %d of %d, %v", added, maxReactionRecords+10, err)
	}
}

// TestPinsForwardAndDeleteForMe: a pin reaches the other member; a forward is a new
// message in the other chat marked with the original's sender; deleting for oneself
// removes the message from the account's devices only.
func TestPinsForwardAndDeleteForMe(t *testing.T) {
	r, alice, bob, chatID := twoPeople(t)
	ctx := context.Background()
	accept(t, bob, chatID)
	carol := newPeer(t, "Carol", "ws://"+r.Addr)
	carol.register(t, "carol")
	toCarol := direct(t, bob, carol, "carol")
	accept(t, carol, toCarol)
	m, err := alice.engine.Send(ctx, chatID, "the address is 12 Elm St", nil)
	if err != nil {
		t.Fatal(err)
	}
	waitDelivered(t, bob, chatID, alice, 1)
	tablet := newLinkedPeer(t, "Bob's tablet", bob.url, linkNewDevice(t, bob))
	tablet.online(t)
	waitMessage(t, "the message", chatID, m.ID, func(Message) bool { return true }, tablet)

	if _, err := bob.engine.PinMessage(ctx, chatID, m.ID, true); err != nil {
		t.Fatal(err)
	}
	waitMessage(t, "the pin", chatID, m.ID, func(x Message) bool { return x.Pinned }, alice, bob, tablet)
	pins, err := alice.engine.PinnedMessages(ctx, chatID)
	if err != nil || len(pins) != 1 || pins[0].ID != m.ID {
		t.Fatalf("Alice's pinned messages: %+v, %v", pins, err)
	}

	fwd, err := bob.engine.Forward(ctx, chatID, m.ID, toCarol)
	if err != nil {
		t.Fatal(err)
	}
	if fwd.ForwardedFrom != "Alice" || fwd.ID == m.ID || fwd.Chat != toCarol {
		t.Fatalf("forwarded: %+v", fwd)
	}
	waitMessage(t, "the forward", toCarol, fwd.ID, func(x Message) bool {
		return x.Body == "the address is 12 Elm St" && x.ForwardedFrom == "Alice" && x.Sender == bob.id()
	}, carol)

	if err := bob.engine.DeleteForMe(ctx, chatID, m.ID); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 30*time.Second, "gone from Bob's tablet", func() bool {
		_, found := messageByID(t, tablet, chatID, m.ID)
		return !found
	})
	if _, found := messageByID(t, bob, chatID, m.ID); found {
		t.Error("still on Bob's phone")
	}
	// The screen is told once the deletion's transaction returns, which is after
	// the message is gone to readers (the WAL is checkpointed in between).
	testutil.Eventually(t, 10*time.Second, "the tablet's screen is told", func() bool {
		return len(of[hiddenMessage](tablet.events)) > 0
	})
	if pins, _ := bob.engine.PinnedMessages(ctx, chatID); len(pins) != 0 {
		t.Errorf("Bob still lists a pin: %+v", pins)
	}
	// Alice keeps it.
	time.Sleep(200 * time.Millisecond)
	if _, found := messageByID(t, alice, chatID, m.ID); !found {
		t.Error("deleted for Alice too")
	}
}

// TestRetryAndDeleteFailed: a message that failed to send goes again on Retry, and
// Delete takes a failed one away for good.
func TestRetryAndDeleteFailed(t *testing.T) {
	_, alice, bob, chatID := twoPeople(t)
	ctx := context.Background()
	accept(t, bob, chatID)
	// As the flusher leaves a message it could not send (failItem): failed, out of
	// the outbox, never given a sequence number.
	fail := func(body string) Message {
		t.Helper()
		m := vault.Message{ID: ids.New[ids.Message](), ChatID: chatID, SenderAccount: alice.id(), SenderDevice: alice.dev.ID(),
			SentAt: time.Now(), Body: body, Status: policy.StatusFailed}
		if err := alice.vault.Update(ctx, func(tx *vault.Tx) error { return tx.InsertMessage(m) }); err != nil {
			t.Fatal(err)
		}
		return Message{ID: m.ID}
	}
	m := fail("try again")
	sent, err := alice.engine.Send(ctx, chatID, "this one went", nil)
	if err != nil {
		t.Fatal(err)
	}
	waitMessage(t, "sent", chatID, sent.ID, func(x Message) bool { return x.Seq > 0 }, alice)
	if _, err := alice.engine.RetryMessage(ctx, chatID, sent.ID); !errors.Is(err, ErrInvalid) {
		t.Errorf("retrying a message that was sent: %v", err)
	}
	if _, err := alice.engine.RetryMessage(ctx, chatID, m.ID); err != nil {
		t.Fatal(err)
	}
	waitMessage(t, "the retried message", chatID, m.ID, func(x Message) bool { return x.Body == "try again" }, bob)
	waitMessage(t, "sent", chatID, m.ID, func(x Message) bool { return x.Seq > 0 }, alice)

	gone := fail("never mind")
	if err := alice.engine.DeleteForMe(ctx, chatID, gone.ID); err != nil {
		t.Fatal(err)
	}
	if _, found := messageByID(t, alice, chatID, gone.ID); found {
		t.Error("the failed message is still there")
	}
}
