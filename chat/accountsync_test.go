package chat

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"

	"hush/accountlog"
	"hush/internal/testutil"
	"hush/sync/wire"
	"hush/vault"
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

// TestShelfFollowsTheUser: archiving, muting and a draft made on one device reach the
// account's other devices, live and after being offline; the newer draft wins;
// sending clears the draft everywhere; a device linked later gets them all.
func TestShelfFollowsTheUser(t *testing.T) {
	_, alice, bob, chatID := twoPeople(t)
	ctx := context.Background()
	testutil.Eventually(t, 20*time.Second, "Alice's first list", func() bool {
		_, err := alice.engine.Devices(ctx)
		return err == nil
	})
	// Kept before the laptop exists: the laptop must learn them when linked.
	if _, err := alice.engine.SetMuted(ctx, chatID, true); err != nil {
		t.Fatal(err)
	}
	if _, err := alice.engine.SetDraft(ctx, chatID, "half a thought…\nsecond line"); err != nil {
		t.Fatal(err)
	}
	laptop := newLinkedPeer(t, "Alice's laptop", alice.url, linkNewDevice(t, alice))
	laptop.online(t)
	shelf := func(p *peer) string {
		s, err := p.engine.Summary(ctx, chatID)
		if err != nil {
			return err.Error()
		}
		return fmt.Sprintf("archived=%v muted=%v draft=%q", s.Archived, s.Muted, s.Draft)
	}
	wait := func(what, want string, peers ...*peer) {
		t.Helper()
		testutil.Eventually(t, 20*time.Second, what, func() bool {
			for _, p := range peers {
				if shelf(p) != want {
					return false
				}
			}
			return true
		})
	}
	wait("the laptop has the shelf", `archived=false muted=true draft="half a thought…\nsecond line"`, laptop)

	// Live, from the laptop.
	if _, err := laptop.engine.SetArchived(ctx, chatID, true); err != nil {
		t.Fatal(err)
	}
	if _, err := laptop.engine.SetDraft(ctx, chatID, "the laptop's draft"); err != nil {
		t.Fatal(err)
	}
	wait("archived and the laptop's draft on both", `archived=true muted=true draft="the laptop's draft"`, alice, laptop)

	// Offline: both change the draft; the later change wins on both once they meet.
	laptop.stop()
	if _, err := alice.engine.SetDraft(ctx, chatID, "older, typed on the first device"); err != nil {
		t.Fatal(err)
	}
	if _, err := alice.engine.SetMuted(ctx, chatID, false); err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Millisecond) // records are timed to the millisecond
	laptop.start(t)
	if _, err := laptop.engine.SetDraft(ctx, chatID, "newer, typed on the laptop"); err != nil {
		t.Fatal(err)
	}
	laptop.online(t)
	wait("the newer draft wins everywhere", `archived=true muted=false draft="newer, typed on the laptop"`, alice, laptop)

	// Sending clears the draft on every device; the message itself is not touched.
	sendAcked(t, laptop, chatID, "newer, typed on the laptop")
	wait("the draft cleared everywhere", `archived=true muted=false draft=""`, alice, laptop)
	waitDelivered(t, bob, chatID, alice, 1)

	// Limits: a draft too long or not text is refused and the held one stays.
	for _, bad := range []string{strings.Repeat("a", MaxDraftBytes+1), "bad \xff"} {
		if _, err := alice.engine.SetDraft(ctx, chatID, bad); !errors.Is(err, ErrTooLong) && !errors.Is(err, ErrInvalid) {
			t.Errorf("draft of %d bytes: %v, want a refusal", len(bad), err)
		}
	}
	if got := shelf(alice); got != `archived=true muted=false draft=""` {
		t.Errorf("after refused drafts: %s", got)
	}
}

// A chat state written before the shelf existed reads as an empty shelf, and a
// held account-log state written before records carried text still loads.
func TestShelfReadsOlderStates(t *testing.T) {
	m := chatMeta{Epoch: 3, LogLen: 4}
	full, err := encodeMeta(m)
	if err != nil {
		t.Fatal(err)
	}
	var fields []cbor.RawMessage
	if err := modes.dec.Unmarshal(full, &fields); err != nil {
		t.Fatal(err)
	}
	older, err := modes.enc.Marshal(fields[:len(fields)-1]) // without the shelf
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeMeta(older)
	if err != nil || got.Epoch != 3 || got.LogLen != 4 || got.Shelf != (chatShelf{}) {
		t.Fatalf("older state read as %+v, %v", got, err)
	}
	if _, err := decodeMeta(append(older[:len(older):len(older)], 0x01)); err == nil {
		t.Error("a state with trailing bytes decoded")
	}

	v, err := vault.Create(context.Background(), filepath.Join(t.TempDir(), "vault.db"), testPassphrase, testVaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	held := []heldRecordV1{{Kind: accountlog.KindPinned, Target: make([]byte, 16), Value: true, At: 1, Device: make([]byte, 16), Pending: true}}
	b, err := stateEnc.Marshal(held)
	if err != nil {
		t.Fatal(err)
	}
	a := &accountSync{}
	err = v.Update(context.Background(), func(tx *vault.Tx) error {
		if err := tx.PutSetting(accountStateSetting, b); err != nil {
			return err
		}
		m, err := a.load(tx)
		if err != nil {
			return err
		}
		if h := m[stateKey{kind: accountlog.KindPinned}]; !h.Value || !h.Pending || h.Text != "" {
			t.Errorf("older held record read as %+v", h)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestDisplayNameFollowsTheUser: a name changed on one device is the account's on
// every device and travels with the messages sent from then on; names that could
// not be sent are refused.
func TestDisplayNameFollowsTheUser(t *testing.T) {
	_, alice, bob, chatID := twoPeople(t)
	ctx := context.Background()
	testutil.Eventually(t, 20*time.Second, "Alice's first list", func() bool {
		_, err := alice.engine.Devices(ctx)
		return err == nil
	})
	laptop := newLinkedPeer(t, "Alice's laptop", alice.url, linkNewDevice(t, alice))
	laptop.online(t)
	for _, bad := range []string{"", "   ", "two\nlines", strings.Repeat("n", 200)} {
		if err := laptop.engine.SetDisplayName(ctx, bad); !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrTooLong) {
			t.Errorf("name %q: %v, want a refusal", bad, err)
		}
	}
	if err := laptop.engine.SetDisplayName(ctx, "  Alice B.  "); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 20*time.Second, "Alice's first device takes the name", func() bool {
		return alice.engine.DisplayName() == "Alice B." && len(of[nameChanged](alice.events)) == 1
	})
	if got := laptop.engine.DisplayName(); got != "Alice B." {
		t.Errorf("the laptop shows %q", got)
	}
	sendAcked(t, alice, chatID, "with my new name")
	testutil.Eventually(t, 20*time.Second, "Bob sees the new name", func() bool {
		for _, m := range of[Message](bob.events) {
			if m.Body == "with my new name" {
				return m.SenderName == "Alice B."
			}
		}
		return false
	})
	// Kept in the vault: a restart still sends it.
	alice.stop()
	alice.start(t)
	if got := alice.engine.DisplayName(); got != "Alice B." {
		t.Errorf("after a restart Alice's device shows %q", got)
	}
}

// TestAcceptFollowsTheUser: a request accepted on one device is accepted on the
// account's other devices — those online, and one linked afterwards — and its
// sender becomes a contact there too.
func TestAcceptFollowsTheUser(t *testing.T) {
	ctx := context.Background()
	_, alice, bob := registered(t)
	laptop := newDevice(t, bob, "Bob's laptop")
	laptop.online(t)
	c, err := alice.engine.AddContact(ctx, "bob")
	if err != nil {
		t.Fatal(err)
	}
	s, err := alice.engine.OpenDirect(ctx, c.Account)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []*peer{bob, laptop} {
		testutil.Eventually(t, 20*time.Second, p.name+" holds it as a request", func() bool {
			got, err := p.engine.Summary(ctx, s.ID)
			return err == nil && got.Hold == HoldRequest
		})
	}
	if _, err := bob.engine.Accept(ctx, s.ID); err != nil {
		t.Fatal(err)
	}
	accepted := func(p *peer) func() bool {
		return func() bool {
			got, err := p.engine.Summary(ctx, s.ID)
			if err != nil || got.Hold == HoldRequest {
				return false
			}
			cs, err := p.engine.Contacts(ctx)
			return err == nil && slices.ContainsFunc(cs, func(c Contact) bool { return c.Account == alice.id() })
		}
	}
	testutil.Eventually(t, 20*time.Second, "the laptop accepts it too", accepted(laptop))
	tablet := newLinkedPeer(t, "Bob's tablet", bob.url, linkNewDevice(t, bob))
	testutil.Eventually(t, 30*time.Second, "a device linked later holds it accepted", accepted(tablet))
}
