package app

import (
	"testing"
	"time"

	"hush/chat"
	"hush/ids"
	"hush/policy"
)

// TestConnectionViewRetry checks the retry countdown the UI shows as it comes:
// the time left until the next attempt, 0 once it is due, never negative.
func TestConnectionViewRetry(t *testing.T) {
	now := time.UnixMilli(1_700_000_000_000)
	clock := func() int64 { return now.UnixMilli() }
	for _, c := range []struct {
		retryAt time.Time
		want    int64
	}{
		{time.Time{}, 0},
		{now.Add(12 * time.Second), 12_000},
		{now, 0},
		{now.Add(-5 * time.Second), 0},
	} {
		v := connectionView(chat.Connection{State: chat.LinkOffline, RetryAt: c.retryAt}, clock)
		if v.RetryInMs != c.want || v.State != ConnectionOffline {
			t.Errorf("retry at %v: %+v, want retryInMs %d", c.retryAt, v, c.want)
		}
	}
}

// TestServiceLineWording checks a line reads the same in the chat and as the chat
// list's preview, naming its author — "You" for this account — and whom it names.
func TestServiceLineWording(t *testing.T) {
	alice := chat.Person{Account: ids.Account{1}, Name: "Alice"}
	me := chat.Person{Account: ids.Account{2}, Name: "Bob", IsMe: true}
	carol := chat.Person{Account: ids.Account{3}, Name: "Carol"}
	for _, c := range []struct {
		line chat.Service
		want string
	}{
		{chat.Service{Kind: chat.ServiceCreated, By: alice, Title: "Trio"}, "Alice created “Trio”"},
		{chat.Service{Kind: chat.ServiceCreated, By: me, Title: "Trio"}, "You created “Trio”"},
		{chat.Service{Kind: chat.ServiceTitle, By: me, Title: "Notes"}, "You renamed the chat to “Notes”"},
		{chat.Service{Kind: chat.ServiceTitle, By: alice}, "Alice renamed the chat to the chat"},
		{chat.Service{Kind: chat.ServiceRemoved, By: alice, Targets: []chat.Person{carol}}, "Alice removed Carol"},
		{chat.Service{Kind: chat.ServiceRemoved, By: alice, Targets: []chat.Person{me}}, "Alice removed you"},
		{chat.Service{Kind: chat.ServiceRemoved, By: me, Targets: []chat.Person{carol}}, "You removed Carol"},
		{chat.Service{Kind: chat.ServiceRole, By: alice, Targets: []chat.Person{me}, Role: policy.RoleAdmin}, "Alice made you an admin"},
		{chat.Service{Kind: chat.ServiceLeft, By: carol}, "Carol left"},
		{chat.Service{Kind: chat.ServiceGap, By: me, Targets: []chat.Person{carol}, Count: 2}, "2 messages from Carol never arrived: the relay may have withheld them."},
		{chat.Service{Kind: chat.ServiceAutoDelete, By: alice, Count: 86400}, "Alice set messages to auto-delete after 1 day"},
		{chat.Service{Kind: chat.ServiceAutoDelete, By: me, Count: 604800}, "You set messages to auto-delete after 1 week"},
		{chat.Service{Kind: chat.ServiceAutoDelete, By: alice, Count: 2678400}, "Alice set messages to auto-delete after 1 month"},
		{chat.Service{Kind: chat.ServiceAutoDelete, By: alice, Count: 172800}, "Alice set messages to auto-delete after 2 days"},
		{chat.Service{Kind: chat.ServiceAutoDelete, By: me}, "You turned off auto-delete"},
	} {
		inChat := messageView(chat.Message{Sender: c.line.By.Account, SenderName: c.line.By.Name, Outgoing: c.line.By.IsMe, Service: &c.line})
		preview := chatView(chat.Chat{Kind: policy.KindGroup, LastService: &c.line})
		if inChat.Body != c.want || preview.LastMessage != c.want {
			t.Errorf("%+v: in the chat %q, in the list %q; want %q", c.line, inChat.Body, preview.LastMessage, c.want)
		}
		if inChat.Outgoing || !inChat.Service {
			t.Errorf("%+v: a line shown as a message: %+v", c.line, inChat)
		}
	}
}

// TestRequestWording: a request names who made it, as they named themselves, and
// says no contact vouches for them; with no name known, it says "Someone".
func TestRequestWording(t *testing.T) {
	mallory := ids.Account{7}
	for _, c := range []struct {
		chat chat.Chat
		want string
	}{
		{chat.Chat{Kind: policy.KindGroup, Hold: chat.HoldRequest, RequestBy: mallory, RequestByName: "Your bank"},
			"Your bank, who is not in your contacts, added you to this group. Accept to join, or decline."},
		{chat.Chat{Kind: policy.KindChannel, Hold: chat.HoldRequest, RequestBy: mallory},
			unknownName(mallory) + ", who is not in your contacts, added you to this channel. Accept to join, or decline."},
		{chat.Chat{Kind: policy.KindDirect, Hold: chat.HoldRequest, RequestBy: mallory, RequestByName: "Mallory"},
			"Mallory, who is not in your contacts, wants to chat. Accept to read and answer, or decline."},
		{chat.Chat{Kind: policy.KindGroup, Hold: chat.HoldRequest},
			"Someone who is not in your contacts added you to this group. Accept to join, or decline."},
	} {
		if got := chatView(c.chat).HoldText; got != c.want {
			t.Errorf("%+v: %q, want %q", c.chat, got, c.want)
		}
	}
}
