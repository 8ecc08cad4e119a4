package chat

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"hush/clock"
	"hush/ids"
	"hush/sync/wire"
	"hush/vault"
)

// The marker keeps this account's delivered and read positions (in each chat's
// sync state) and sends them to the relay from one goroutine. Marks of a chat that
// change while one is on its way collapse into the next, and rounds are at least
// markInterval apart, so a busy chat costs the relay a few writes a second, not one
// per message. Its lock guards the set of chats whose marks must be sent.
//
// A mark is Private — the relay keeps its reads from the other members — while read
// receipts are off, and when a read made while they were off waits in it
// (receipts.go).
type marker struct {
	v        *vault.Vault
	link     *link
	chats    *chatStore
	list     *chatList
	receipts *receiptSwitch
	clk      clock.Clock
	log      *slog.Logger
	obs      Observer
	wake     chan struct{} // one token: marks are waiting

	mu sync.Mutex
	// pending are the chats whose marks wait, each with whether a read made with
	// read receipts off is among them.
	pending map[ids.Chat]bool
}

// errRequestUnread ends markRead's transaction for a chat still a request.
var errRequestUnread = errors.New("chat: a request is not marked read")

// markInterval spaces the delivered/read marks of a chat, so a busy chat does not
// turn every message into a relay write.
const markInterval = 200 * time.Millisecond

// queue asks for the chat's positions to be sent.
func (m *marker) queue(id ids.Chat) { m.queueRead(id, false) }

// queueRead asks for the chat's positions to be sent, private when the user read
// it with read receipts off.
func (m *marker) queueRead(id ids.Chat, private bool) {
	m.mu.Lock()
	m.pending[id] = m.pending[id] || private
	m.mu.Unlock()
	m.kick()
}

// kick wakes the marker (after a reconnect: marks that could not be sent wait).
func (m *marker) kick() { kick(m.wake) }

// forget drops what is queued for a chat that is gone.
func (m *marker) forget(id ids.Chat) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.pending, id)
}

// run sends marks until ctx ends.
func (m *marker) run(ctx context.Context) {
	for {
		select {
		case <-m.wake:
		case <-ctx.Done():
			return
		}
		m.send(ctx)
		if !sleep(ctx, m.clk, markInterval, nil) {
			return
		}
	}
}

// send sends the positions of every queued chat; chats it could not send for stay
// queued (a reconnect kicks the marker again).
func (m *marker) send(ctx context.Context) {
	m.mu.Lock()
	private := maps.Clone(m.pending)
	clear(m.pending)
	m.mu.Unlock()
	chats := slices.Collect(maps.Keys(private))
	for i, id := range chats {
		var meta chatMeta
		err := m.v.View(ctx, func(tx *vault.Tx) error {
			var err error
			_, meta, err = chatWithMeta(tx, id)
			return err
		})
		if errors.Is(err, vault.ErrNotFound) {
			continue
		}
		if err == nil && meta.Request != requestNone {
			// A request's positions stay here: a delivered or read mark would tell
			// its sender (and the relay) it reached and was seen before the user
			// accepted it (docs/SECURITY.md, "Consent"); accepting queues them.
			continue
		}
		if err == nil {
			_, err = doAs[*wire.OK](ctx, m.link, &wire.Mark{ChatID: id, DeliveredSeq: meta.MyDelivered, ReadSeq: meta.MyRead,
				Private: private[id] || !m.receipts.on()})
		}
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			m.log.Debug("send marks", "err", err)
			m.mu.Lock()
			for _, rest := range chats[i:] {
				m.pending[rest] = m.pending[rest] || private[rest]
			}
			m.mu.Unlock()
			return
		}
	}
}

// markRead marks everything received in a chat as read, here and at the relay. A
// request is refused: it is read only once accepted.
func (m *marker) markRead(ctx context.Context, id ids.Chat) error {
	var s Chat
	err := m.v.Update(ctx, func(tx *vault.Tx) error {
		_, meta, err := chatWithMeta(tx, id)
		if err != nil {
			return err
		}
		if meta.Request != requestNone {
			return errRequestUnread
		}
		cur, err := tx.Cursor(scope(id))
		if err != nil {
			return err
		}
		c, err := m.chats.updateMeta(tx, id, func(c *vault.Chat, meta *chatMeta) {
			meta.MyRead = max(meta.MyRead, uint64(cur))
			meta.MyDelivered = max(meta.MyDelivered, meta.MyRead)
			c.Unread = 0
		})
		if err != nil {
			return err
		}
		s, err = m.list.summary(tx, c)
		return err
	})
	if errors.Is(err, errRequestUnread) {
		return detailf(ErrForbidden, "accept the request first")
	}
	if err != nil {
		return notFound(err, "chat", id)
	}
	m.queueRead(id, !m.receipts.on())
	m.obs.ChatUpdated(s)
	return nil
}

// kick puts the one token in ch, if it is not there already.
func kick(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// sleep waits d on clk, until wake (if not nil) has a token, or until ctx ends; it
// reports false when ctx ended.
func sleep(ctx context.Context, clk clock.Clock, d time.Duration, wake <-chan struct{}) bool {
	done := make(chan struct{})
	t := clk.AfterFunc(d, func() { close(done) })
	defer t.Stop()
	select {
	case <-done:
	case <-wake:
	case <-ctx.Done():
		return false
	}
	return true
}
