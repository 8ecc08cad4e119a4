package chat

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"hush/clock"
	"hush/ids"
	"hush/sync/wire"
)

// SyncProgress reports a catch-up that has history to fetch: on a newly linked
// device the whole cloud history, elsewhere what arrived while offline. Chats are
// fetched most recently active first, so the user can start at once; what was
// fetched stays, so a catch-up that stops (paused, offline, the app closed) goes on
// from there next time.
type SyncProgress struct {
	ChatsDone, ChatsTotal       int
	MessagesDone, MessagesTotal int
	// Running is false in the last report of a catch-up.
	Running bool
	// Paused is true when the user paused it ([Engine.PauseSync]).
	Paused bool
}

// minSyncReport is the least history a catch-up must have to fetch before it is
// reported: a reconnection that brings a handful of messages shows no progress bar.
const minSyncReport = 200

// syncReportEvery spaces the reports of one catch-up.
const syncReportEvery = 250 * time.Millisecond

// syncRun tracks one catch-up.
type syncRun struct {
	obs  Observer
	clk  clock.Clock
	mu   sync.Mutex
	p    SyncProgress
	last time.Time
	on   bool // reported at all
}

func newSyncRun(obs Observer, clk clock.Clock, chats, messages int) *syncRun {
	r := &syncRun{obs: obs, clk: clk, p: SyncProgress{ChatsTotal: chats, MessagesTotal: messages, Running: true}}
	if messages >= minSyncReport {
		r.on = true
		r.last = clk.Now()
		obs.SyncProgress(r.p)
	}
	return r
}

// messages counts fetched messages (nil-safe: live fetches track nothing).
func (r *syncRun) messages(n int) {
	if r == nil {
		return
	}
	r.mu.Lock()
	r.p.MessagesDone = min(r.p.MessagesDone+n, r.p.MessagesTotal)
	r.reportLocked(false)
	r.mu.Unlock()
}

func (r *syncRun) chatDone() {
	r.mu.Lock()
	r.p.ChatsDone++
	r.reportLocked(false)
	r.mu.Unlock()
}

func (r *syncRun) finish(paused bool) {
	r.mu.Lock()
	r.p.Running, r.p.Paused = false, paused
	// A pause is always reported, however little was left: the UI shows Resume.
	r.on = r.on || paused
	r.reportLocked(true)
	r.mu.Unlock()
}

func (r *syncRun) reportLocked(force bool) {
	if !r.on {
		return
	}
	now := r.clk.Now()
	if !force && now.Sub(r.last) < syncReportEvery {
		return
	}
	r.last = now
	r.obs.SyncProgress(r.p)
}

// pauser holds whether the user paused history sync.
type pauser struct{ paused atomic.Bool }

// planSync orders the chats of a catch-up, most recently active first, and counts
// the messages each has to fetch.
func (r *receiver) planSync(ctx context.Context, chats []wire.ChatSummary) ([]ids.Chat, int) {
	slices.SortStableFunc(chats, func(a, b wire.ChatSummary) int { return cmp.Compare(b.LastTime, a.LastTime) })
	order := make([]ids.Chat, 0, len(chats))
	total := 0
	for _, c := range chats {
		order = append(order, c.ChatID)
		cur, err := r.chats.cursor(ctx, c.ChatID)
		if err != nil {
			cur = 0
		}
		if c.LastSeq > cur {
			total += int(c.LastSeq - cur)
		}
	}
	return order, total
}
