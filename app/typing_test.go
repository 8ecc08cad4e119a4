package app

import (
	"testing"
	"time"

	"hush/internal/testutil"
)

// Typing indicators can be turned off, and off works both ways: Bob, with them
// off, neither shows Alice typing nor tells her when he types. Each "nothing"
// is checked after a message sent behind the typing notice has arrived, so it is
// no race won by waiting too little; and the same steps with the switch on show
// the notices, so the test sees them when they come.
func TestTypingIndicatorsSwitch(t *testing.T) {
	alice, bob, chat := chatting(t)
	bobSettings := bob.core.Services()[1].(*SettingsService)
	typingTo := func(p *person) int { return p.events.count("typing", nil) }
	// typesThenSends has from type in the chat, then send text, and waits until to
	// has the message.
	typesThenSends := func(from, to *person, text string) {
		t.Helper()
		if err := from.chats.Typing(chat.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := from.chats.Send(chat.ID, text, ""); err != nil {
			t.Fatal(err)
		}
		testutil.Eventually(t, 20*time.Second, "the message after the typing notice arrives", func() bool {
			return to.events.count("message:new", func(d any) bool { return d.(MessageNew).Body == text }) > 0
		})
	}

	if s, err := bobSettings.Get(); err != nil || !s.TypingIndicators {
		t.Fatalf("a new account's typing indicators: %+v, %v; want on", s, err)
	}
	typesThenSends(alice, bob, "one")
	testutil.Eventually(t, 20*time.Second, "Bob sees Alice typing", func() bool { return typingTo(bob) > 0 })
	typesThenSends(bob, alice, "two")
	testutil.Eventually(t, 20*time.Second, "Alice sees Bob typing", func() bool { return typingTo(alice) > 0 })

	s, err := bobSettings.SetTypingIndicators(false)
	if err != nil || s.TypingIndicators {
		t.Fatalf("SetTypingIndicators(false) = %+v, %v", s, err)
	}
	bobSaw, aliceSaw := typingTo(bob), typingTo(alice)
	typesThenSends(alice, bob, "three")
	typesThenSends(bob, alice, "four")
	// Typing notices are not queued: one that could still be on its way behind
	// the message would be late, not hidden. Give it the time a slow relay needs.
	time.Sleep(300 * time.Millisecond)
	if n := typingTo(bob); n != bobSaw {
		t.Errorf("with typing indicators off, Bob was shown Alice typing (%d notices, had %d)", n, bobSaw)
	}
	if n := typingTo(alice); n != aliceSaw {
		t.Errorf("with typing indicators off, Bob told Alice he was typing (%d notices, had %d)", n, aliceSaw)
	}

	// The choice is kept in the vault, and on again works again.
	if err := bob.account.Lock(); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.account.Unlock(pass); err != nil {
		t.Fatal(err)
	}
	if s, err := bobSettings.Get(); err != nil || s.TypingIndicators {
		t.Fatalf("after unlock: %+v, %v; want typing indicators still off", s, err)
	}
	if _, err := bobSettings.SetTypingIndicators(true); err != nil {
		t.Fatal(err)
	}
	bob.online(t)
	typesThenSends(alice, bob, "five")
	testutil.Eventually(t, 20*time.Second, "Bob sees Alice typing again", func() bool { return typingTo(bob) > bobSaw })
}
