package relay

import (
	"log/slog"
	"net/netip"
	"sync"
	"time"

	"hush/ids"
	"hush/sync/wire"
)

// What a stranger may do for free is limited per hour (docs/PROTOCOL.md, "Limits"):
// new accounts per network, chats created per account, inbox items per account to
// devices of accounts it shares no chat with. The windows are kept in memory: a
// restart of the relay forgets them.

// Hourly limits' defaults.
const (
	DefaultNewAccountsPerHour   = 10
	DefaultNewChatsPerHour      = 60
	DefaultStrangerItemsPerHour = 200
	DefaultPrekeyBundlesPerHour = 120
)

// NoLimit, as the value of an hourly limit in [Limits], turns it off (a load
// generator creates thousands of accounts from one address).
const NoLimit = -1

// limitWindow is the span an hourly limit looks back over.
const limitWindow = time.Hour

// limitSlot is the resolution of a window: events are counted per minute. An event
// stays counted until the minute after the window has passed over it, so any 60
// minutes hold at most the limit (the window is never shorter than an hour), and
// a key holds at most windowSlots counters whatever the limit.
const (
	limitSlot   = time.Minute
	windowSlots = int(limitWindow/limitSlot) + 1
)

// maxWindowKeys bounds the keys (networks, accounts) one limit remembers. Keys whose
// window is empty are swept out every minute; past the bound a random key is
// forgotten, which can only give that key more room, never less.
const maxWindowKeys = 1 << 16

// window counts events per key over the last hour, so that at most limit happen in
// any hour. Its zero value is not usable: build it with newWindow. Safe for
// concurrent use.
type window[K comparable] struct {
	limit int // <= 0: no limit

	mu        sync.Mutex
	keys      map[K][]slotCount
	lastSweep int64 // slot of the last sweep
}

// slotCount is how many events happened in one minute (slot: Unix minutes).
type slotCount struct {
	slot int64
	n    int
}

func newWindow[K comparable](limit int) *window[K] {
	return &window[K]{limit: limit, keys: map[K][]slotCount{}}
}

func slotOf(t time.Time) int64 { return t.Unix() / int64(limitSlot/time.Second) }

// take records one event for key at now if the key has had fewer than the limit in
// the window; otherwise it records nothing and returns how long until one more is
// allowed.
func (w *window[K]) take(key K, now time.Time) (ok bool, retryAfter time.Duration) {
	if w.limit <= 0 {
		return true, 0
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	cur := slotOf(now)
	w.sweepLocked(cur)
	counts := live(w.keys[key], cur)
	total := 0
	for _, c := range counts {
		total += c.n
	}
	if total >= w.limit {
		w.keys[key] = counts
		return false, w.waitLocked(counts, total, now)
	}
	if n := len(counts); n > 0 && counts[n-1].slot == cur {
		counts[n-1].n++
	} else {
		counts = append(counts, slotCount{slot: cur, n: 1})
	}
	if _, known := w.keys[key]; !known && len(w.keys) >= maxWindowKeys {
		for k := range w.keys { // map order: a random key
			delete(w.keys, k)
			break
		}
	}
	w.keys[key] = counts
	return true, 0
}

// giveBack undoes the event take just recorded for key at now, for a write that
// turned out to store nothing (a resend).
func (w *window[K]) giveBack(key K, now time.Time) {
	if w.limit <= 0 {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	counts := w.keys[key]
	if n := len(counts); n > 0 && counts[n-1].slot == slotOf(now) && counts[n-1].n > 0 {
		counts[n-1].n--
	}
}

// waitLocked is the time from now until enough of counts has left the window for
// one more event.
func (w *window[K]) waitLocked(counts []slotCount, total int, now time.Time) time.Duration {
	for _, c := range counts {
		total -= c.n
		if total < w.limit {
			leaves := time.Unix((c.slot+int64(windowSlots))*int64(limitSlot/time.Second), 0)
			return max(leaves.Sub(now), time.Second)
		}
	}
	return limitWindow // not reached: the total was at least the limit
}

// live drops the counts that have left the window ending in slot cur, in place.
func live(counts []slotCount, cur int64) []slotCount {
	i := 0
	for i < len(counts) && counts[i].slot <= cur-int64(windowSlots) {
		i++
	}
	if i == 0 {
		return counts
	}
	n := copy(counts, counts[i:])
	clear(counts[n:])
	return counts[:n]
}

// sweepLocked forgets, at most once a minute, every key whose window is empty.
func (w *window[K]) sweepLocked(cur int64) {
	if cur == w.lastSweep {
		return
	}
	w.lastSweep = cur
	for k, counts := range w.keys {
		if c := live(counts, cur); len(c) == 0 {
			delete(w.keys, k)
		} else {
			w.keys[k] = c
		}
	}
}

// size returns how many keys the window remembers.
func (w *window[K]) size() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.keys)
}

// hourlyLimits are the relay's limits per hour, with their windows.
type hourlyLimits struct {
	accounts  *window[netip.Prefix] // new accounts per source network
	chats     *window[ids.Account]  // chats created per account
	strangers *window[ids.Account]  // inbox items per account to strangers
	bundles   *window[ids.Account]  // prekey bundles fetched per account
}

func newHourlyLimits(l Limits) *hourlyLimits {
	return &hourlyLimits{
		accounts:  newWindow[netip.Prefix](l.NewAccountsPerHour),
		chats:     newWindow[ids.Account](l.NewChatsPerHour),
		strangers: newWindow[ids.Account](l.StrangerItemsPerHour),
		bundles:   newWindow[ids.Account](l.PrekeyBundlesPerHour),
	}
}

// allowNewAccount records a new account from source, or refuses it with
// CodeAccountLimit.
func (w *writer) allowNewAccount(source netip.Prefix) error {
	if ok, wait := w.s.hourly.accounts.take(source, w.s.clock.Now()); !ok {
		return &wire.Error{Code: wire.CodeAccountLimit, Message: "too many new accounts from this network in the last hour", RetryAfter: wait}
	}
	return nil
}

// allowNewChat records a chat created by account, or refuses it with CodeChatLimit.
func (w *writer) allowNewChat(account ids.Account) error {
	if ok, wait := w.s.hourly.chats.take(account, w.s.clock.Now()); !ok {
		return &wire.Error{Code: wire.CodeChatLimit, Message: "too many chats created in the last hour", RetryAfter: wait}
	}
	return nil
}

// allowStrangerItem records an inbox item from account to a device it is not
// acquainted with, at now, or refuses it with CodeStrangerLimit.
func (w *writer) allowStrangerItem(account ids.Account, now time.Time) error {
	if ok, wait := w.s.hourly.strangers.take(account, now); !ok {
		return &wire.Error{Code: wire.CodeStrangerLimit, Message: "too many items to accounts that share no chat with you in the last hour", RetryAfter: wait}
	}
	return nil
}

// allowBundle records one prekey bundle fetched by account, or refuses it: every
// bundle uses up one-time prekeys of the target device, so fetching them is bounded
// per account.
func (w *writer) allowBundle(account ids.Account, now time.Time) error {
	if ok, wait := w.s.hourly.bundles.take(account, now); !ok {
		return &wire.Error{Code: wire.CodeRateLimited, Message: "too many secret chats started in the last hour", RetryAfter: wait}
	}
	return nil
}

// toStranger reports whether an inbox item to device counts against the hourly limit
// for strangers: the device belongs neither to this account nor to one that shares
// a chat with it. It is read before the write is queued, so a chat created in the
// same group commit is not seen yet; a failed read counts as a stranger.
func (c *conn) toStranger(device ids.Device) bool {
	ok, err := c.s.store.Acquainted(c.ctx, c.account, device)
	if err != nil {
		c.logf(slog.LevelWarn, "read acquaintance", "err", err)
		return true
	}
	return !ok
}
