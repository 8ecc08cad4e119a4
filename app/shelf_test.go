package app

import (
	"errors"
	"strings"
	"testing"
	"time"

	"hush/internal/testutil"
)

// Archiving, muting, a draft and a new display name through the services the UI
// calls: each returns the new state, tells every window, and refuses bad input
// with a sentence, keeping what was held.
func TestShelfThroughTheApp(t *testing.T) {
	alice, bob, c := chatting(t)
	settings := &SettingsService{c: alice.core}
	updated := func(what string, match func(ChatSummary) bool) {
		t.Helper()
		testutil.Eventually(t, 10*time.Second, what, func() bool {
			return alice.events.count("chat:updated", func(d any) bool {
				s := ChatSummary(d.(ChatUpdated))
				return s.ID == c.ID && match(s)
			}) > 0
		})
	}
	if s, err := alice.chats.SetArchived(c.ID, true); err != nil || !s.Archived {
		t.Fatalf("archive: %+v, %v", s, err)
	}
	updated("the archived chat", func(s ChatSummary) bool { return s.Archived })
	if s, err := alice.chats.SetMuted(c.ID, true); err != nil || !s.Muted || !s.Archived {
		t.Fatalf("mute: %+v, %v", s, err)
	}
	if s, err := alice.chats.SetDraft(c.ID, "see you at"); err != nil || s.Draft != "see you at" {
		t.Fatalf("draft: %+v, %v", s, err)
	}
	updated("the draft", func(s ChatSummary) bool { return s.Draft == "see you at" })
	list, err := alice.chats.List()
	if err != nil || len(list) != 1 || !list[0].Archived || !list[0].Muted || list[0].Draft != "see you at" {
		t.Fatalf("the list shows %+v, %v", list, err)
	}

	// Bad input: a sentence, and the draft held stays.
	if _, err := alice.chats.SetDraft(c.ID, strings.Repeat("a", 17<<10)); err == nil || !strings.Contains(err.Error(), "at most") {
		t.Errorf("an over-long draft: %v", err)
	}
	if _, err := alice.chats.SetArchived("not a chat id", true); err == nil {
		t.Error("a malformed chat id was taken")
	}
	if s, _ := alice.chats.List(); s[0].Draft != "see you at" {
		t.Errorf("after refusals the draft is %q", s[0].Draft)
	}

	// Sending clears the draft.
	if _, err := alice.chats.Send(c.ID, "see you at 10", ""); err != nil {
		t.Fatal(err)
	}
	updated("the draft cleared", func(s ChatSummary) bool { return s.Draft == "" })

	// The display name: refused when empty or too long, else taken and shown.
	for _, bad := range []string{"", strings.Repeat("x", 65)} {
		if _, err := settings.SetDisplayName(bad); err == nil || errors.Is(err, ErrLocked) {
			t.Errorf("display name %q: %v, want a refusal", bad, err)
		}
	}
	s, err := settings.SetDisplayName("Alice Liddell")
	if err != nil || s.DisplayName != "Alice Liddell" {
		t.Fatalf("rename: %+v, %v", s, err)
	}
	if n := alice.events.count("settings:changed", func(d any) bool { return Settings(d.(SettingsChanged)).DisplayName == "Alice Liddell" }); n != 1 {
		t.Errorf("%d settings:changed events with the new name", n)
	}
	if _, err := alice.chats.Send(c.ID, "renamed", ""); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 20*time.Second, "Bob sees the new name", func() bool {
		return bob.events.count("message:new", func(d any) bool {
			m := d.(MessageNew)
			return m.Body == "renamed" && m.SenderName == "Alice Liddell"
		}) == 1
	})
}
