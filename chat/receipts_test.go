package chat

import (
	"context"
	"slices"
	"testing"
	"time"

	"hush/ids"
	"hush/internal/testutil"
	"hush/policy"
)

// sendSeen has from send text and waits until to holds it; it returns the message.
func sendSeen(t *testing.T, from, to *peer, chatID ids.Chat, text string) Message {
	t.Helper()
	m, err := from.engine.Send(context.Background(), chatID, text, nil)
	if err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 20*time.Second, to.name+" has "+text, func() bool {
		for _, x := range to.allMessages(t, chatID) {
			if x.ID == m.ID {
				return true
			}
		}
		return false
	})
	for _, x := range from.allMessages(t, chatID) {
		if x.ID == m.ID {
			return x
		}
	}
	t.Fatalf("%s lost %q", from.name, text)
	return Message{}
}

// TestReadReceiptsOff: Bob turns read receipts off on his phone; his laptop follows.
// He reads Alice's message: his laptop shows it read, the relay holds his read
// position for his own devices, and Alice's tick stays "delivered" — checked once a
// message Bob sent after the read has reached her, so no receipt can still be on its
// way. Alice reads Bob's message: Bob's device holds her position but shows it
// "delivered", as Signal does. The switch survives a restart. Turned on again, Bob
// sees Alice's read at once, and Alice sees Bob's reads after his next one.
func TestReadReceiptsOff(t *testing.T) {
	ctx := context.Background()
	r, alice, bob, chatID := twoPeople(t)
	laptop := newLinkedPeer(t, "Bob's laptop", bob.url, linkNewDevice(t, bob))
	laptop.online(t)
	testutil.Eventually(t, 20*time.Second, "the laptop has the chat", func() bool {
		_, err := laptop.engine.Summary(ctx, chatID)
		return err == nil
	})
	if !bob.engine.ReadReceipts() || !laptop.engine.ReadReceipts() {
		t.Fatal("read receipts are off on a new account")
	}

	if err := bob.engine.SetReadReceipts(ctx, false); err != nil {
		t.Fatal(err)
	}
	if bob.engine.ReadReceipts() {
		t.Fatal("SetReadReceipts(false) left them on")
	}
	testutil.Eventually(t, 20*time.Second, "the laptop turns read receipts off too", func() bool {
		return !laptop.engine.ReadReceipts() && len(of[readReceiptsChanged](laptop.events)) == 1
	})

	one := sendSeen(t, alice, bob, chatID, "one")
	if err := bob.engine.MarkRead(ctx, chatID); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 20*time.Second, "the relay holds Bob's read for his devices", func() bool {
		return relayRead(t, r, chatID, bob.id(), bob.id()) >= uint64(one.Seq)
	})
	testutil.Eventually(t, 20*time.Second, "Bob's laptop shows Alice's message read", func() bool {
		has := slices.ContainsFunc(laptop.allMessages(t, chatID), func(m Message) bool { return m.ID == one.ID })
		return has && summaryOf(t, laptop, chatID).Unread == 0 && messageStatus(t, laptop, chatID, one.ID) == policy.StatusRead
	})
	two := sendSeen(t, bob, alice, chatID, "two") // behind any receipt of Bob's read
	if got := relayRead(t, r, chatID, alice.id(), bob.id()); got != 0 {
		t.Errorf("the relay shows Alice Bob's private read position %d", got)
	}
	if got := messageStatus(t, alice, chatID, one.ID); got != policy.StatusDelivered {
		t.Errorf("Alice's message Bob read with receipts off shows %v, want delivered", got)
	}
	if got := peerReadOf(t, alice, chatID); got != 0 {
		t.Errorf("Alice holds Bob's read position %d", got)
	}

	// Alice (receipts on) reads Bob's message: Bob holds her position, shows
	// "delivered".
	if err := alice.engine.MarkRead(ctx, chatID); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 20*time.Second, "Bob holds Alice's read position", func() bool {
		return peerReadOf(t, bob, chatID) >= uint64(two.Seq)
	})
	if got := messageStatus(t, bob, chatID, two.ID); got != policy.StatusDelivered {
		t.Errorf("with read receipts off Bob's message Alice read shows %v, want delivered", got)
	}
	if shown := shownStatuses(bob, chatID, map[ids.Message]policy.Status{two.ID: two.Status}); shown[two.ID] != policy.StatusDelivered {
		t.Errorf("Bob was told his message became %v, want delivered", shown[two.ID])
	}

	// Kept in the held state: a restart keeps it off.
	bob.stop()
	bob.start(t)
	bob.online(t)
	if bob.engine.ReadReceipts() {
		t.Fatal("read receipts came back on after a restart")
	}

	// On again: Alice's read shows at once; Bob's next read shares his reads.
	if err := bob.engine.SetReadReceipts(ctx, true); err != nil {
		t.Fatal(err)
	}
	if got := messageStatus(t, bob, chatID, two.ID); got != policy.StatusRead {
		t.Errorf("with read receipts on again Bob's message Alice read shows %v, want read", got)
	}
	testutil.Eventually(t, 20*time.Second, "the laptop turns read receipts on", func() bool { return laptop.engine.ReadReceipts() })
	sendSeen(t, bob, alice, chatID, "a message behind the switch")
	if got := messageStatus(t, alice, chatID, one.ID); got != policy.StatusDelivered {
		t.Errorf("turning read receipts on shared Bob's earlier reads before his next: %v", got)
	}
	three := sendSeen(t, alice, bob, chatID, "three")
	if err := bob.engine.MarkRead(ctx, chatID); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 20*time.Second, "Alice sees Bob read both", func() bool {
		return messageStatus(t, alice, chatID, three.ID) == policy.StatusRead && messageStatus(t, alice, chatID, one.ID) == policy.StatusRead
	})
}

// TestReadReceiptsOffInSecretChats: secret chats keep their read receipts whatever
// the switch says — the sender's copy of a self-destructing message counts down
// from the receipt — and show them: with read receipts off on both sides, Bob's
// read reaches Alice, her message shows "read" and its countdown starts.
func TestReadReceiptsOffInSecretChats(t *testing.T) {
	ctx := context.Background()
	alice, bob, _, _ := secretPeers(t)
	for _, p := range []*peer{alice, bob} {
		if err := p.engine.SetReadReceipts(ctx, false); err != nil {
			t.Fatal(err)
		}
	}
	chat, err := alice.engine.StartSecret(ctx, bob.id(), bob.dev.ID())
	if err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 20*time.Second, "Bob has the secret chat", func() bool {
		_, err := bob.engine.Summary(ctx, chat.ID)
		return err == nil
	})
	if _, err := alice.engine.SetSecretTimer(ctx, chat.ID, time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, err := alice.engine.Send(ctx, chat.ID, "read me", nil); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 20*time.Second, "Bob receives it", func() bool {
		_, ok := messageIn(bob, chat.ID, "read me")
		return ok
	})
	if err := bob.engine.MarkRead(ctx, chat.ID); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 20*time.Second, "Alice sees it read, counting down", func() bool {
		m, ok := messageIn(alice, chat.ID, "read me")
		return ok && m.Status == policy.StatusRead && !m.ExpiresAt.IsZero()
	})
}
