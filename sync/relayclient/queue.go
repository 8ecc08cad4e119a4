package relayclient

import (
	"sync"

	"hush/sync/wire"
)

// event is one item for the handler: a new session, or a push.
type event struct {
	session *Session
	push    wire.Body
}

// pushQueue hands events from the read loop to the handler's goroutine. The read loop
// never blocks on it: beyond MaxQueuedPushes pushes are dropped and the handler is
// told to catch up instead. Session events are never dropped (there is at most one
// per connection, so they cannot pile up).
type pushQueue struct {
	mu     sync.Mutex
	items  []event
	pushes int  // pushes in items
	missed bool // pushes were dropped since the handler last heard of it
	closed bool
	ready  chan struct{} // signalled when items arrive
}

func (q *pushQueue) init() { q.ready = make(chan struct{}, 1) }

func (q *pushQueue) signal() {
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

func (q *pushQueue) push(b wire.Body) {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return
	}
	if q.pushes >= MaxQueuedPushes {
		q.missed = true
		q.mu.Unlock()
		q.signal()
		return
	}
	q.items = append(q.items, event{push: b})
	q.pushes++
	q.mu.Unlock()
	q.signal()
}

func (q *pushQueue) connected(s Session) {
	q.mu.Lock()
	if !q.closed {
		q.items = append(q.items, event{session: &s})
	}
	q.mu.Unlock()
	q.signal()
}

func (q *pushQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.items = nil
	q.mu.Unlock()
	q.signal()
}

// take removes and returns everything queued, and whether pushes were missed.
func (q *pushQueue) take() (items []event, missed, closed bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	items, q.items = q.items, nil
	q.pushes = 0
	missed, q.missed = q.missed, false
	return items, missed, q.closed
}

// deliver runs the handler until the client closes.
func (c *Client) deliver() {
	defer c.wg.Done()
	for {
		select {
		case <-c.q.ready:
		case <-c.ctx.Done():
			return
		}
		for {
			items, missed, closed := c.q.take()
			if closed || c.ctx.Err() != nil {
				return
			}
			if len(items) == 0 && !missed {
				break
			}
			var batch []wire.Body
			flush := func() {
				for len(batch) > 0 && c.ctx.Err() == nil {
					n := min(len(batch), maxPushBatch)
					c.handler.Pushes(c.ctx, batch[:n])
					batch = batch[n:]
				}
				batch = nil
			}
			for _, it := range items {
				if it.session != nil {
					flush()
					c.handler.Connected(c.ctx, *it.session)
					continue
				}
				batch = append(batch, it.push)
			}
			flush()
			if missed && c.ctx.Err() == nil {
				c.handler.Missed(c.ctx)
			}
		}
	}
}
