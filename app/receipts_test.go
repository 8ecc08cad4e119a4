package app

import (
	"context"
	"slices"
	"testing"
	"time"

	"hush/ids"
	"hush/internal/testutil"
	"hush/sync/wire"
)

// bobAccount is the account of Alice's one contact.
func bobAccount(t *testing.T, alice *person) ids.Account {
	t.Helper()
	cs, err := alice.contacts.List()
	if err != nil || len(cs) != 1 {
		t.Fatalf("Alice's contacts: %+v, %v", cs, err)
	}
	id, err := ids.Parse[ids.Account](cs[0].AccountID)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// Read receipts can be turned off: Bob reads Alice's message with them off and her
// message stays "delivered" — checked once a message Bob sent after reading has
// reached her, so no receipt is still on its way; the choice is told to every window
// and kept through a lock; on again, Bob's next read shows.
func TestReadReceiptsSwitch(t *testing.T) {
	r := startTestRelay(t)
	alice, bob, chat := chattingOn(t, r)
	bobSettings := bob.core.Services()[1].(*SettingsService)
	statusOf := func(p *person, id string) MessageStatus {
		t.Helper()
		page, err := p.chats.Messages(chat.ID, "", 50)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range page.Messages {
			if m.ID == id {
				return m.Status
			}
		}
		t.Fatalf("no message %s", id)
		return ""
	}
	sendSeen := func(from, to *person, text string) Message {
		t.Helper()
		m, err := from.chats.Send(chat.ID, text, "")
		if err != nil {
			t.Fatal(err)
		}
		testutil.Eventually(t, 20*time.Second, text+" arrives", func() bool {
			return to.events.count("message:new", func(d any) bool { return d.(MessageNew).ID == m.ID }) > 0
		})
		return m
	}

	if s, err := bobSettings.Get(); err != nil || !s.ReadReceipts {
		t.Fatalf("a new account's read receipts: %+v, %v; want on", s, err)
	}
	changed := bob.events.count("settings:changed", nil)
	s, err := bobSettings.SetReadReceipts(false)
	if err != nil || s.ReadReceipts {
		t.Fatalf("SetReadReceipts(false) = %+v, %v", s, err)
	}
	if n := bob.events.count("settings:changed", func(d any) bool { return !d.(SettingsChanged).ReadReceipts }); n != 1 {
		t.Errorf("%d settings:changed events with read receipts off (had %d in all before); want 1", n, changed)
	}
	one := sendSeen(alice, bob, "one")
	if err := bob.chats.MarkRead(chat.ID); err != nil {
		t.Fatal(err)
	}
	chatID, err := ids.Parse[ids.Chat](chat.ID)
	if err != nil {
		t.Fatal(err)
	}
	bobID := bobAccount(t, alice)
	testutil.Eventually(t, 20*time.Second, "the relay holds Bob's read for his devices", func() bool {
		info, err := r.Store.ChatInfo(context.Background(), chatID, bobID)
		return err == nil && slices.ContainsFunc(info.Members, func(m wire.MemberInfo) bool { return m.AccountID == bobID && m.ReadSeq > 0 })
	})
	sendSeen(bob, alice, "after reading") // behind any receipt of Bob's read
	if got := statusOf(alice, one.ID); got != "delivered" {
		t.Errorf("Alice's message Bob read with receipts off: %q, want delivered", got)
	}

	if err := bob.account.Lock(); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.account.Unlock(pass); err != nil {
		t.Fatal(err)
	}
	if s, err := bobSettings.Get(); err != nil || s.ReadReceipts {
		t.Fatalf("after unlock: %+v, %v; want read receipts still off", s, err)
	}
	if _, err := bobSettings.SetReadReceipts(true); err != nil {
		t.Fatal(err)
	}
	bob.online(t)
	two := sendSeen(alice, bob, "two")
	if err := bob.chats.MarkRead(chat.ID); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 20*time.Second, "Alice sees Bob read her messages", func() bool {
		return statusOf(alice, two.ID) == "read" && statusOf(alice, one.ID) == "read"
	})
}
