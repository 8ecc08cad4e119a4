package chat

import (
	"context"
	"testing"
	"time"

	"hush/internal/testutil"
	"hush/sync/wire"
)

// What the user sets on one device — a pinned chat, a contact, a verified mark, a
// block — reaches the account's other devices, live and after being offline; a
// record the relay makes up or replays changes nothing.
func TestAccountLog(t *testing.T) {
	r, alice, bob, chatID := twoPeople(t)
	carol := newPeer(t, "Carol", "ws://"+r.Addr)
	carol.register(t, "carol")
	ctx := context.Background()
	testutil.Eventually(t, 20*time.Second, "Alice's first list", func() bool {
		_, err := alice.engine.Devices(ctx)
		return err == nil
	})
	laptop := newLinkedPeer(t, "Alice's laptop", alice.url, linkNewDevice(t, alice))
	laptop.online(t)
	testutil.Eventually(t, 20*time.Second, "the laptop has the chat", func() bool {
		_, err := laptop.engine.Summary(ctx, chatID)
		return err == nil
	})

	// What Alice's first device held before the account log carried anything (Bob
	// as a contact) reaches the laptop too: Bob is a contact there, by handle.
	testutil.Eventually(t, 20*time.Second, "the laptop knows Bob as a contact", func() bool {
		cs, err := laptop.engine.Contacts(ctx)
		return err == nil && len(cs) == 1 && cs[0].Account == bob.id() && cs[0].Handle == "bob"
	})

	// Live: pin and verify on Alice's first device.
	if _, err := alice.engine.SetPinned(ctx, chatID, true); err != nil {
		t.Fatal(err)
	}
	if _, err := alice.engine.MarkVerified(ctx, bob.id(), true); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 20*time.Second, "the laptop pins the chat and trusts Bob", func() bool {
		return summaryOf(t, laptop, chatID).Pinned && laptop.contactOf(t, bob).Verified
	})

	// Offline: the laptop adds Carol and blocks her while Alice's device is off.
	alice.stop()
	if _, err := laptop.engine.AddContact(ctx, "carol"); err != nil {
		t.Fatal(err)
	}
	if err := laptop.engine.SetBlocked(ctx, carol.id(), true); err != nil {
		t.Fatal(err)
	}
	if _, err := laptop.engine.SetPinned(ctx, chatID, false); err != nil {
		t.Fatal(err)
	}
	alice.start(t)
	alice.online(t)
	testutil.Eventually(t, 20*time.Second, "Alice's device catches up", func() bool {
		c, err := alice.engine.Contacts(ctx)
		if err != nil {
			return false
		}
		found := false
		for _, x := range c {
			found = found || x.Account == carol.id()
		}
		blocked, _ := alice.engine.dir.isBlocked(ctx, carol.id())
		return found && blocked && !summaryOf(t, alice, chatID).Pinned
	})

	// The relay appends a record of its own (it holds no key) and an old one under a
	// new id: neither opens, so neither changes anything.
	raw := rawConn(t, alice)
	if _, err := raw.Request(ctx, &wire.AccountAppend{RecordID: [16]byte{1}, Ciphertext: []byte("made up by the relay, 28 bytes of nothing")}); err != nil {
		t.Fatal(err)
	}
	page, err := raw.Request(ctx, &wire.AccountFetch{})
	if err != nil {
		t.Fatal(err)
	}
	first := page.(*wire.AccountPage).Entries[0] // Alice's pin, older than the unpin
	if _, err := raw.Request(ctx, &wire.AccountAppend{RecordID: [16]byte{2}, Ciphertext: first.Ciphertext}); err != nil {
		t.Fatal(err)
	}
	sendAcked(t, bob, chatID, "a message to wait on")
	testutil.Eventually(t, 20*time.Second, "the laptop reads on", func() bool { return summaryOf(t, laptop, chatID).Unread > 0 })
	if summaryOf(t, laptop, chatID).Pinned || summaryOf(t, alice, chatID).Pinned {
		t.Fatal("a record the relay replayed pinned the chat again")
	}
}
