package app

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"hush/chat"
	"hush/ids"
	"hush/internal/testutil"
	"hush/policy"
)

// badgeRecorder is a Badge that keeps every count it was given.
type badgeRecorder struct {
	mu     sync.Mutex
	counts []int
}

func (b *badgeRecorder) SetCount(n int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.counts = append(b.counts, n)
}

// last is the count shown now (0 before any).
func (b *badgeRecorder) last() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.counts) == 0 {
		return 0
	}
	return b.counts[len(b.counts)-1]
}

func (b *badgeRecorder) waitFor(t *testing.T, what string, want int) {
	t.Helper()
	testutil.Eventually(t, 20*time.Second, fmt.Sprintf("%s: badge %d", what, want), func() bool { return b.last() == want })
}

func TestBadgeCount(t *testing.T) {
	id := ids.New[ids.Chat]()
	for _, tc := range []struct {
		name string
		chat chat.Chat
		want int
	}{
		{"direct", chat.Chat{ID: id, Kind: policy.KindDirect, Unread: 3}, 3},
		{"group", chat.Chat{ID: id, Kind: policy.KindGroup, Unread: 7}, 7},
		{"secret: a number like any other", chat.Chat{ID: id, Kind: policy.KindSecret, Unread: 2}, 2},
		{"pinned", chat.Chat{ID: id, Kind: policy.KindDirect, Unread: 1, Pinned: true}, 1},
		{"removed from a group: still in the list", chat.Chat{ID: id, Kind: policy.KindGroup, Unread: 4, Hold: chat.HoldRemoved}, 4},
		{"muted", chat.Chat{ID: id, Kind: policy.KindGroup, Unread: 5, Muted: true}, 0},
		{"archived", chat.Chat{ID: id, Kind: policy.KindDirect, Unread: 5, Archived: true}, 0},
		{"request", chat.Chat{ID: id, Kind: policy.KindDirect, Unread: 5, Hold: chat.HoldRequest}, 0},
		{"nothing unread", chat.Chat{ID: id, Kind: policy.KindDirect}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := badgeCount(tc.chat); got != tc.want {
				t.Errorf("badgeCount = %d, want %d", got, tc.want)
			}
		})
	}
}

// TestUnreadTallySeed: the engine's list, read when it starts, does not
// overwrite what its events said since — neither a newer count nor a removal.
func TestUnreadTallySeed(t *testing.T) {
	a, b, gone, c := ids.New[ids.Chat](), ids.New[ids.Chat](), ids.New[ids.Chat](), ids.New[ids.Chat]()
	var shown []int
	show := func(n int) { shown = append(shown, n) }
	var tally unreadTally
	tally.update(a, 5, show) // newer than the list's 1
	tally.update(gone, 0, show)
	tally.seed([]chat.Chat{{ID: a, Unread: 1}, {ID: b, Unread: 2}, {ID: gone, Unread: 9}, {ID: c, Unread: 4, Muted: true}}, show)
	if want := []int{5, 5, 7}; fmt.Sprint(shown) != fmt.Sprint(want) {
		t.Fatalf("shown %v, want %v", shown, want)
	}
	tally.update(b, 0, show)
	tally.update(a, 1, show)
	if got := shown[len(shown)-1]; got != 1 {
		t.Fatalf("total %d, want 1", got)
	}
}

// TestBadgeFollowsUnread drives Bob's count through the app as the UI would,
// and checks what his icon shows at each step.
func TestBadgeFollowsUnread(t *testing.T) {
	r := startTestRelay(t)
	alice, bob, direct := chattingOn(t, r)
	badge := &badgeRecorder{}
	bob.core.SetBadge(badge)

	for i := range 2 {
		if _, err := alice.chats.Send(direct.ID, fmt.Sprintf("hello %d", i), ""); err != nil {
			t.Fatal(err)
		}
	}
	badge.waitFor(t, "two messages from Alice", 2)

	// A stranger's chat waits under Requests: no count until Bob accepts it.
	carol := newPerson(t, "ws://"+r.Addr, "Carol")
	carol.online(t)
	contact, err := carol.contacts.Add("bob")
	if err != nil {
		t.Fatal(err)
	}
	request, err := carol.chats.OpenDirect(contact.AccountID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := carol.chats.Send(request.ID, "free prizes", ""); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 20*time.Second, "Bob has Carol's request", func() bool {
		return bob.events.count("chat:updated", func(d any) bool {
			c := d.(ChatUpdated)
			return c.ID == request.ID && c.Unread == 1 && c.Hold == HoldRequest
		}) > 0
	})
	if got := badge.last(); got != 2 {
		t.Fatalf("a request counted: badge %d, want 2", got)
	}

	for _, st := range []struct {
		name string
		do   func() error
		want int
	}{
		{"muted", func() error { _, err := bob.chats.SetMuted(direct.ID, true); return err }, 0},
		{"unmuted", func() error { _, err := bob.chats.SetMuted(direct.ID, false); return err }, 2},
		{"archived", func() error { _, err := bob.chats.SetArchived(direct.ID, true); return err }, 0},
		{"unarchived", func() error { _, err := bob.chats.SetArchived(direct.ID, false); return err }, 2},
		{"request accepted", func() error { _, err := bob.chats.Accept(request.ID); return err }, 3},
		// Locked, nothing is read; unlocked, the count comes from the vault
		// again, before (here: without) any news from the relay.
		{"locked", bob.account.Lock, 0},
		{"relay down", r.Stop, 0},
		{"unlocked offline", func() error { _, err := bob.account.Unlock(pass); return err }, 3},
		{"relay back", func() error { r = r.Restart(t); return nil }, 3},
		{"read", func() error { return bob.chats.MarkRead(direct.ID) }, 1},
		{"Carol's chat muted", func() error { _, err := bob.chats.SetMuted(request.ID, true); return err }, 0},
	} {
		if err := st.do(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		badge.waitFor(t, st.name, st.want)
	}

	// A secret chat counts its unread messages as any chat does: the badge is
	// given a number, never who wrote or what.
	secret := startSecret(t, alice, direct)
	if _, err := alice.chats.Send(secret.ID, "hidden text", ""); err != nil {
		t.Fatal(err)
	}
	badge.waitFor(t, "a secret message", 1)
	if err := bob.chats.Delete(secret.ID); err != nil {
		t.Fatal(err)
	}
	badge.waitFor(t, "the secret chat deleted", 0)

	// Set after the count is known (the window opened late): shown at once.
	late := &badgeRecorder{}
	if _, err := alice.chats.Send(direct.ID, "one more", ""); err != nil {
		t.Fatal(err)
	}
	badge.waitFor(t, "one more", 1)
	bob.core.SetBadge(late)
	if got := late.last(); got != 1 {
		t.Fatalf("a badge set late shows %d, want 1", got)
	}
	bob.core.Shutdown()
	if got := late.last(); got != 0 {
		t.Fatalf("after quitting the badge shows %d, want 0", got)
	}
}
