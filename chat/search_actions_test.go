package chat

import (
	"context"
	"testing"
	"time"

	"hush/ids"
	"hush/internal/testutil"
)

// Search follows what actions do to a message on both ends: an edit finds the new
// words and no longer the old ones, and a message deleted for everyone is found by
// no one. (Edits and deletes reach the index through the vault, search.go.)
func TestSearchFollowsEditsAndDeletes(t *testing.T) {
	_, alice, bob, chatID := twoPeople(t)
	ctx := context.Background()
	m, err := alice.engine.Send(ctx, chatID, "the plan is to meet at noon", nil)
	if err != nil {
		t.Fatal(err)
	}
	count := func(p *peer, q string) int {
		hits, err := p.engine.Search(ctx, q, ids.Chat{}, 10)
		if err != nil {
			t.Fatal(err)
		}
		return len(hits)
	}
	wait := func(what string, cond func() bool) {
		t.Helper()
		testutil.Eventually(t, 30*time.Second, what, cond)
	}
	wait("both find the message", func() bool { return count(alice, "noon") == 1 && count(bob, "noon") == 1 })

	if _, err := alice.engine.EditMessage(ctx, chatID, m.ID, "the plan moved to dusk"); err != nil {
		t.Fatal(err)
	}
	wait("both find the edit and not the old words", func() bool {
		return count(alice, "dusk") == 1 && count(bob, "dusk") == 1 && count(alice, "noon") == 0 && count(bob, "noon") == 0
	})

	if _, err := alice.engine.DeleteMessage(ctx, chatID, m.ID); err != nil {
		t.Fatal(err)
	}
	wait("no one finds a message deleted for everyone", func() bool { return count(alice, "dusk") == 0 && count(bob, "dusk") == 0 })
}
