package app

import (
	"slices"
	"testing"
	"time"

	"hush/internal/testutil"
)

// TestAutoDeleteThroughTheApp: a direct chat's auto-delete time set as the UI does
// it — only the times Rules offers — reaches the other side's chat list and both
// chats' lines, worded for each; turning it off too.
func TestAutoDeleteThroughTheApp(t *testing.T) {
	alice, bob, direct := chatting(t)
	if got, want := UIRules().AutoDeleteSeconds, []int{0, 86400, 604800, 2678400}; !slices.Equal(got, want) {
		t.Fatalf("Rules.AutoDeleteSeconds = %v, want %v", got, want)
	}
	if !direct.CanSetAutoDelete || direct.AutoDelete != 0 {
		t.Fatalf("a new direct chat: %+v", direct)
	}
	if _, err := alice.chats.SetAutoDelete(direct.ID, 3600); err == nil {
		t.Fatal("a time not offered was taken")
	}
	if _, err := alice.chats.SetAutoDelete("not an id", 86400); err == nil {
		t.Fatal("a malformed chat id was taken")
	}
	// Bob knows Alice by her handle (no text of hers told him her name yet).
	line := func(p *person, body string) func() bool {
		return func() bool {
			return p.events.count("message:new", func(d any) bool {
				m := d.(MessageNew)
				return m.Service && m.ChatID == direct.ID && m.Body == body
			}) == 1
		}
	}
	for _, c := range []struct {
		seconds      int
		mine, theirs string
	}{
		{86400, "You set messages to auto-delete after 1 day", "@alice set messages to auto-delete after 1 day"},
		{2678400, "You set messages to auto-delete after 1 month", "@alice set messages to auto-delete after 1 month"},
		{0, "You turned off auto-delete", "@alice turned off auto-delete"},
	} {
		s, err := alice.chats.SetAutoDelete(direct.ID, c.seconds)
		if err != nil || s.AutoDelete != c.seconds {
			t.Fatalf("set %d s: %+v, %v", c.seconds, s, err)
		}
		testutil.Eventually(t, 20*time.Second, "Alice's line: "+c.mine, line(alice, c.mine))
		testutil.Eventually(t, 20*time.Second, "Bob's line: "+c.theirs, line(bob, c.theirs))
		testutil.Eventually(t, 20*time.Second, "Bob's chat list", func() bool {
			l, err := bob.chats.List()
			return err == nil && len(l) == 1 && l[0].AutoDelete == c.seconds && l[0].CanSetAutoDelete
		})
	}
}
