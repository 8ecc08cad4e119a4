package app

import (
	"errors"
	"strings"
	"testing"
	"time"

	"hush/internal/testutil"
)

// TestSearchThroughService searches through ChatService: hits with their
// snippet parts, one chat or all, a bad chat id, the locked vault, and the
// index rebuilt at the next unlock.
func TestSearchThroughService(t *testing.T) {
	alice, bob, s := chatting(t)
	if _, err := alice.chats.Send(s.ID, "Lunch at the Café Müller?", ""); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 20*time.Second, "Bob finds Alice's message", func() bool {
		hits, err := bob.chats.Search("muller", "", 0)
		return err == nil && len(hits) == 1
	})
	hits, err := bob.chats.Search("CAFE lunch", s.ID, 10)
	if err != nil || len(hits) != 1 {
		t.Fatalf("Search = %+v, %v", hits, err)
	}
	h := hits[0]
	var shown, marked []string
	for _, p := range h.Snippet {
		shown = append(shown, p.Text)
		if p.Hit {
			marked = append(marked, p.Text)
		}
	}
	if h.ChatID != s.ID || h.MessageID == "" || h.SentAt == 0 || h.CutBefore || h.CutAfter ||
		strings.Join(shown, "") != "Lunch at the Café Müller?" || strings.Join(marked, "|") != "Lunch|Café" {
		t.Errorf("hit = %+v", h)
	}
	if hits, err := bob.chats.Search("", "", 0); err != nil || hits == nil || len(hits) != 0 {
		t.Errorf("an empty query: %v, %v (want an empty list)", hits, err)
	}
	if _, err := bob.chats.Search("x", "not-an-id", 0); err == nil {
		t.Error("a bad chat id was accepted")
	}
	if _, err := bob.chats.Search(strings.Repeat("x", 300), "", 0); err == nil || !strings.Contains(err.Error(), "Too long") {
		t.Errorf("an overlong query: %v", err)
	}

	if err := bob.account.Lock(); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.chats.Search("muller", "", 0); !errors.Is(err, ErrLocked) {
		t.Errorf("Search while locked: %v", err)
	}
	if _, err := bob.account.Unlock(pass); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 20*time.Second, "the index rebuilt after unlock", func() bool {
		hits, err := bob.chats.Search("müller", "", 0)
		return err == nil && len(hits) == 1 && hits[0].MessageID == h.MessageID
	})
}
