package chat

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"hush/clock"
	"hush/ids"
	"hush/internal/testutil"
	"hush/policy"
	"hush/relay/relaytest"
	"hush/sync/wire"
)

// secretPeers is Alice and Bob, contacts through their direct chat, whose secret
// chats' clocks (timers, the sweep) are fake: the tests move time, never sleep.
// tunes make further adjustments of each engine (withFiles: each its own folder).
func secretPeers(t *testing.T, tunes ...func(testing.TB) func(*Engine)) (alice, bob *peer, fa, fb *clock.Fake) {
	t.Helper()
	return secretPeersOn(t, startRelay(t), tunes...)
}

// secretPeersOn is secretPeers on relay r.
func secretPeersOn(t *testing.T, r *relaytest.Relay, tunes ...func(testing.TB) func(*Engine)) (alice, bob *peer, fa, fb *clock.Fake) {
	t.Helper()
	fa, fb = clock.NewFake(time.Now()), clock.NewFake(time.Now())
	fake := func(f *clock.Fake) func(*Engine) {
		var more []func(*Engine)
		for _, tune := range tunes {
			more = append(more, tune(t))
		}
		return func(e *Engine) {
			e.expiry.clk, e.secrets.clk = f, f
			for _, tune := range more {
				tune(e)
			}
		}
	}
	alice = newTunedPeer(t, "Alice", "ws://"+r.Addr, fake(fa))
	bob = newTunedPeer(t, "Bob", "ws://"+r.Addr, fake(fb))
	alice.register(t, "alice")
	bob.register(t, "bob")
	direct(t, alice, bob, "bob")
	for _, p := range []*peer{alice, bob} {
		testutil.Eventually(t, 20*time.Second, p.name+" has prekeys", func() bool {
			s, err := p.engine.recv.prekeys.load(context.Background())
			return err == nil && s != nil
		})
	}
	return alice, bob, fa, fb
}

// messageIn returns p's message with body in chat.
func messageIn(p *peer, chat ids.Chat, body string) (Message, bool) {
	page, err := p.engine.Messages(context.Background(), chat, "", 200)
	if err != nil {
		return Message{}, false
	}
	for _, m := range page.Messages {
		if m.Body == body {
			return m, true
		}
	}
	return Message{}, false
}

// TestSecretChat follows a secret chat from start to wipe: opened with one of Bob's
// devices, a timer both see, a message whose countdown starts only when it is read
// (on each side), gone from both vaults when it expires — and never on Bob's other
// device, nor left at the relay.
func TestSecretChat(t *testing.T) {
	ctx := context.Background()
	alice, bob, fa, fb := secretPeers(t)
	laptop := newDevice(t, bob, "Bob's laptop")
	laptop.online(t)

	// Bob writes from his first device: it leads the list, though the laptop was
	// linked later (the most recently active first).
	dm, err := bob.engine.OpenDirect(ctx, alice.id())
	if err != nil {
		t.Fatal(err)
	}
	sendAcked(t, bob, dm.ID, "hello from Bob's first device")
	testutil.Eventually(t, 20*time.Second, "Alice has it", func() bool {
		_, ok := messageIn(alice, dm.ID, "hello from Bob's first device")
		return ok
	})
	devs, err := alice.engine.ContactDevices(ctx, bob.id())
	if err != nil || len(devs) != 2 {
		t.Fatalf("Bob's devices: %v, %v", devs, err)
	}
	if devs[0].ID != bob.dev.ID() || devs[0].LastSeen.IsZero() || devs[1].ID != laptop.dev.ID() || !devs[1].LastSeen.IsZero() {
		t.Fatalf("Bob's devices, most recently active first: %+v", devs)
	}
	chat, err := alice.engine.StartSecret(ctx, bob.id(), bob.dev.ID())
	if err != nil {
		t.Fatal(err)
	}
	if chat.Kind != policy.KindSecret || chat.SecretDevice != bob.dev.ID() || chat.Peer != bob.id() {
		t.Fatalf("Alice's secret chat: %+v", chat)
	}
	again, err := alice.engine.StartSecret(ctx, bob.id(), bob.dev.ID())
	if err != nil || again.ID != chat.ID {
		t.Fatalf("a second start with the same device: %v, %v", again.ID, err)
	}
	testutil.Eventually(t, 20*time.Second, "Bob has the secret chat", func() bool {
		c, err := bob.engine.Summary(ctx, chat.ID)
		return err == nil && c.Kind == policy.KindSecret && c.SecretDevice == alice.dev.ID() && c.Peer == alice.id()
	})
	na, err := alice.engine.SecretSafetyNumber(ctx, chat.ID)
	if err != nil {
		t.Fatal(err)
	}
	nb, err := bob.engine.SecretSafetyNumber(ctx, chat.ID)
	if err != nil || na.Digits != nb.Digits || na.Digits == "" {
		t.Fatalf("the two devices' numbers: %q, %q, %v", na.Digits, nb.Digits, err)
	}

	if _, err := alice.engine.SetSecretTimer(ctx, chat.ID, 3*time.Second); !errors.Is(err, ErrInvalid) {
		t.Fatalf("a timer not offered: %v", err)
	}
	if _, err := alice.engine.SetSecretTimer(ctx, chat.ID, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 20*time.Second, "Bob sees the timer, in the chat's update too", func() bool {
		c, err := bob.engine.Summary(ctx, chat.ID)
		if err != nil || c.SecretTimer != 5*time.Second {
			return false
		}
		for _, u := range of[Chat](bob.events) {
			if u.ID == chat.ID && u.SecretTimer == 5*time.Second {
				return true
			}
		}
		return false
	})
	const marker = "secret marker 7731 zebra"
	if _, err := alice.engine.Send(ctx, chat.ID, marker, nil); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 20*time.Second, "Bob receives it, Alice sees it delivered", func() bool {
		mb, okb := messageIn(bob, chat.ID, marker)
		ma, oka := messageIn(alice, chat.ID, marker)
		return okb && oka && mb.TTL == 5*time.Second && ma.Status == policy.StatusDelivered
	})
	// Unread, nothing counts down: an hour later it is still there.
	fa.Advance(time.Hour)
	fb.Advance(time.Hour)
	bob.engine.expiry.wake()
	alice.engine.expiry.wake()
	if m, ok := messageIn(bob, chat.ID, marker); !ok || !m.ExpiresAt.IsZero() {
		t.Fatalf("unread, the message counts down or is gone: %+v, %v", m, ok)
	}
	noFileHolds(t, []byte(marker), alice, bob) // sealed in the vaults before expiry too
	// The message's row id is in clear in each vault: the needle that shows the
	// wipe below is real (secure_delete and the checkpoint after it).
	rowID := mb0(t, bob, chat.ID, marker).ID
	for _, p := range []*peer{alice, bob} {
		if !fileHolds(t, p, rowID[:]) {
			t.Fatalf("%s's files do not hold the message's id before expiry: the wipe check would pass vacuously", p.name)
		}
	}

	if err := bob.engine.MarkRead(ctx, chat.ID); err != nil {
		t.Fatal(err)
	}
	mb, _ := messageIn(bob, chat.ID, marker)
	if want := fb.Now().Add(5 * time.Second); !mb.ExpiresAt.Equal(want.Truncate(time.Millisecond)) {
		t.Fatalf("Bob's countdown ends %v, want %v", mb.ExpiresAt, want)
	}
	testutil.Eventually(t, 20*time.Second, "Alice learns it was read; her countdown starts", func() bool {
		m, ok := messageIn(alice, chat.ID, marker)
		return ok && m.Status == policy.StatusRead && !m.ExpiresAt.IsZero()
	})
	fb.Advance(4 * time.Second)
	if _, ok := messageIn(bob, chat.ID, marker); !ok {
		t.Fatal("gone before its time")
	}
	fb.Advance(2 * time.Second)
	fa.Advance(6 * time.Second)
	testutil.Eventually(t, 20*time.Second, "gone on both sides", func() bool {
		_, a := messageIn(alice, chat.ID, marker)
		_, b := messageIn(bob, chat.ID, marker)
		return !a && !b && len(of[MessageExpiry](bob.events)) > 0 && len(of[MessageExpiry](alice.events)) > 0
	})
	noFileHolds(t, []byte(marker), alice, bob)
	noFileHolds(t, rowID[:], alice, bob)

	// Bob's other device never heard of it, and the relay keeps none of it.
	if _, err := laptop.engine.Summary(ctx, chat.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Bob's laptop has the secret chat: %v", err)
	}
	testutil.Eventually(t, 20*time.Second, "the relay's inboxes are empty", func() bool {
		for _, p := range []*peer{alice, bob} {
			page, err := doAs[*wire.InboxPage](ctx, p.engine.link, &wire.InboxFetch{})
			if err != nil || len(page.Items) != 0 {
				return false
			}
		}
		return true
	})

	// The session survives a restart on both sides.
	alice.stop()
	alice.start(t)
	bob.stop()
	bob.start(t)
	alice.online(t)
	bob.online(t)
	if _, err := alice.engine.Send(ctx, chat.ID, "after a restart", nil); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 20*time.Second, "Bob has it", func() bool {
		_, ok := messageIn(bob, chat.ID, "after a restart")
		return ok
	})
	first := mb0(t, bob, chat.ID, "after a restart").ID
	if _, err := bob.engine.Send(ctx, chat.ID, "and back", &first); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 20*time.Second, "the reply arrives after restarts, as a reply", func() bool {
		m, a := messageIn(alice, chat.ID, "and back")
		return a && m.ReplyTo == first
	})

	// A countdown survives a shutdown: read, closed before its time, it is wiped
	// by the sweep at the next start.
	if err := bob.engine.MarkRead(ctx, chat.ID); err != nil {
		t.Fatal(err)
	}
	if m, ok := messageIn(bob, chat.ID, "after a restart"); !ok || m.ExpiresAt.IsZero() {
		t.Fatalf("no countdown: %+v", m)
	}
	bob.stop()
	fb.Advance(10 * time.Second)
	bob.start(t)
	testutil.Eventually(t, 20*time.Second, "wiped at start", func() bool {
		_, ok := messageIn(bob, chat.ID, "after a restart")
		return !ok
	})

	// Closing on one side wipes it on both.
	if err := bob.engine.Delete(ctx, chat.ID); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 20*time.Second, "Alice's copy is wiped", func() bool {
		_, err := alice.engine.Summary(ctx, chat.ID)
		return errors.Is(err, ErrNotFound)
	})
	if _, err := alice.engine.Send(ctx, chat.ID, "too late", nil); err == nil {
		t.Fatal("sent in a closed secret chat")
	}
	noWarnings(t, alice, bob)
}

// TestSecretChatFromStranger: a device of an account that is not a contact cannot
// open a secret chat with this one; a device the contact's list does not name
// cannot be chosen.
func TestSecretChatFromStranger(t *testing.T) {
	ctx := context.Background()
	r, alice, bob := registered(t)
	eve := newPeer(t, "Eve", "ws://"+r.Addr)
	eve.register(t, "eve")
	for _, p := range []*peer{alice, bob} {
		testutil.Eventually(t, 20*time.Second, p.name+" has prekeys", func() bool {
			s, err := p.engine.recv.prekeys.load(ctx)
			return err == nil && s != nil
		})
	}
	// Eve adds Bob as a contact; Bob never added Eve.
	if _, err := eve.engine.AddContact(ctx, "bob"); err != nil {
		t.Fatal(err)
	}
	chat, err := eve.engine.StartSecret(ctx, bob.id(), bob.dev.ID())
	if err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 20*time.Second, "Bob is warned and keeps nothing", func() bool {
		for _, w := range of[Warning](bob.events) {
			if w.Kind == WarnSecretFromStranger && w.Account == eve.id() {
				return true
			}
		}
		return false
	})
	if _, err := bob.engine.Summary(ctx, chat.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Bob holds a stranger's secret chat: %v", err)
	}
	if _, err := alice.engine.StartSecret(ctx, bob.id(), ids.New[ids.Device]()); err == nil {
		t.Fatal("a secret chat with a device Bob's list does not name (and Bob no contact)")
	}
	if _, err := eve.engine.StartSecret(ctx, bob.id(), ids.New[ids.Device]()); !errors.Is(err, ErrNotFound) {
		t.Fatalf("an unknown device of a contact: %v", err)
	}
}

// mb0 returns p's message with body in chat, failing the test if it has none.
func mb0(t *testing.T, p *peer, chat ids.Chat, body string) Message {
	t.Helper()
	m, ok := messageIn(p, chat, body)
	if !ok {
		t.Fatalf("%s has no message %q", p.name, body)
	}
	return m
}

// noFileHolds fails if any file of the peers' data folders (vault, WAL, shared
// memory) holds b.
func noFileHolds(t *testing.T, b []byte, peers ...*peer) {
	t.Helper()
	for _, p := range peers {
		if fileHolds(t, p, b) {
			t.Errorf("a file of %s holds %x", p.name, b)
		}
	}
}

// fileHolds reports whether a file of p's data folder holds b.
func fileHolds(t *testing.T, p *peer, b []byte) bool {
	t.Helper()
	found := false
	err := filepath.WalkDir(p.dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		found = found || bytes.Contains(data, b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// FuzzDecodeSecretContent: whatever a peer seals into a frame decodes to a content
// within the limits, or to errBadRecord; never a panic.
func FuzzDecodeSecretContent(f *testing.F) {
	for _, c := range []secretContent{
		{Version: secretContentVersion, Kind: secretText, ID: ids.Message{1}, At: 1, Text: "hi", TTL: 5},
		{Version: secretContentVersion, Kind: secretRead, Refs: []ids.Message{{1}, {2}}},
		{Version: secretContentVersion, Kind: secretClose},
		{Kind: secretText, ID: ids.Message{1}, At: 1, TTL: 5, Files: mustEncodeFiles(f)},
	} {
		b, err := encodeSecretContent(c)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := decodeSecretContent(b)
		if err != nil {
			if !errors.Is(err, errBadRecord) {
				t.Fatalf("error %v is not errBadRecord", err)
			}
			return
		}
		if len(c.Refs) > maxSecretRefs || c.Kind < secretText || c.Kind > secretHello {
			t.Fatalf("decoded out of bounds: %+v", c)
		}
	})
}

// FuzzDecodeSecretState: a damaged state never decodes to one that numbers
// messages from zero or below.
func FuzzDecodeSecretState(f *testing.F) {
	b, err := stateEnc.Marshal(secretState{Version: secretStateVersion, NextSeq: 3, Timer: 5})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := decodeSecretState(b)
		if err == nil && st.NextSeq < 1 {
			t.Fatalf("decoded %+v", st)
		}
	})
}
