package app

import (
	"context"
	"sync"

	"hush/chat"
	"hush/ids"
)

// Badge shows the number of unread messages on Hush's icon in the taskbar or
// dock. The desktop shell provides one; browser mode has none: there the tab's
// title carries the count.
//
// The count is the one the chat list's title shows: the unread messages of the
// chats in the main list that are not muted — as Telegram counts. Archived
// chats, muted ones and message requests are left out; secret chats count, as a
// number only. It is worked out here, from the engine's own list, not from the
// page.
type Badge interface {
	// SetCount shows n, or no badge when n is 0. Calls come in order, one at a
	// time, on the engine's event path and under the lock: it must not block.
	SetCount(n int)
}

// SetBadge sets where the unread count is shown (nil: nowhere), and shows the
// current count there.
func (c *Core) SetBadge(b Badge) {
	c.badge.mu.Lock()
	defer c.badge.mu.Unlock()
	c.badge.badge = b
	if b != nil && c.badge.count != 0 {
		b.SetCount(c.badge.count)
	}
}

// badgeState is the count on the icon and where it goes. Its lock is taken last
// (under Core.mu on a lock, under an [unreadTally]'s on the event path) and
// nothing is called under it but [Badge.SetCount].
type badgeState struct {
	mu    sync.Mutex
	badge Badge
	count int // what the badge shows
}

// showUnread puts n on the badge if it is not there already.
func (c *Core) showUnread(n int) {
	c.badge.mu.Lock()
	defer c.badge.mu.Unlock()
	if n == c.badge.count {
		return
	}
	c.badge.count = n
	if c.badge.badge != nil {
		c.badge.badge.SetCount(n)
	}
}

// badgeCount is what chat s adds to the badge: its unread messages, unless it
// is left out of the count (see [Badge]). The chat list's title counts the same
// (frontend ChatListStore.unreadTotal).
func badgeCount(s chat.Chat) int {
	if s.Muted || s.Archived || s.Hold == chat.HoldRequest {
		return 0
	}
	return max(s.Unread, 0)
}

// unreadTally adds up the badge counts of one engine's chats as the engine
// reports them changed. One lives for each engine (the session's), so a lock
// starts the next session from nothing.
type unreadTally struct {
	mu     sync.Mutex
	counts map[ids.Chat]int // a removed chat stays, at 0, so a late seed cannot bring it back
	total  int
}

// setLocked records chat id's count and returns the new total.
func (t *unreadTally) setLocked(id ids.Chat, n int) int {
	if t.counts == nil {
		t.counts = map[ids.Chat]int{}
	}
	t.total += n - t.counts[id]
	t.counts[id] = n
	return t.total
}

// update records chat id's count and shows the new total with show, under the
// tally's lock so that totals reach the badge in the order they were reached.
func (t *unreadTally) update(id ids.Chat, n int, show func(int)) {
	t.mu.Lock()
	defer t.mu.Unlock()
	show(t.setLocked(id, n))
}

// seed counts the chats of the engine's list, unless an event about a chat came
// first: the event is at least as new as the list.
func (t *unreadTally) seed(list []chat.Chat, show func(int)) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, s := range list {
		if _, known := t.counts[s.ID]; !known {
			t.setLocked(s.ID, badgeCount(s))
		}
	}
	show(t.total)
}

// seedUnread counts a freshly started engine's chats for the badge; the
// engine's events keep the count from then on.
func (c *Core) seedUnread(ctx context.Context, e *chat.Engine, t *unreadTally) {
	list, err := e.List(ctx)
	if err != nil {
		c.log.Warn("unread count: list chats", "err", err)
		return
	}
	t.seed(list, c.showUnread)
}
