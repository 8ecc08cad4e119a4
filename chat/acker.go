package chat

import (
	"context"
	"sync"
	"time"

	"hush/sync/wire"
)

// The relay's acknowledgements are recorded in the vault (message sequence numbers,
// outbox removal, cursors) by an acker goroutine rather than by the flusher, so
// sending the next message never waits for the commit — an fsync — that records
// the previous answers. Acknowledgements that queue up while one commit runs go
// into the next, so under load they cost one commit per batch.
//
// Delaying the record is safe: the relay has committed every acknowledged message,
// and an outbox item whose acknowledgement was not recorded yet (a crash, a lock)
// is sent again and answered with the original sequence number.

// maxQueuedAcks bounds the acknowledgements waiting for the acker; beyond it the
// flusher records them itself before sending more (back-pressure on a slow vault).
const maxQueuedAcks = 4 * sendWindow

// ackQueue holds acknowledgements in the order the relay sent them.
type ackQueue struct {
	mu    sync.Mutex
	sent  []*sending
	acks  []*wire.Ack
	ready chan struct{} // one token: something is queued
	// applyMu is held while a batch is taken and recorded, so batches are recorded
	// in order whoever records them (the acker, or the flusher when it drains).
	applyMu sync.Mutex
}

func (q *ackQueue) init() { q.ready = make(chan struct{}, 1) }

// push queues acknowledged sends and returns how many are waiting.
func (q *ackQueue) push(sent []*sending, acks []*wire.Ack) int {
	q.mu.Lock()
	q.sent = append(q.sent, sent...)
	q.acks = append(q.acks, acks...)
	n := len(q.sent)
	q.mu.Unlock()
	select {
	case q.ready <- struct{}{}:
	default:
	}
	return n
}

func (q *ackQueue) take() ([]*sending, []*wire.Ack) {
	q.mu.Lock()
	defer q.mu.Unlock()
	s, a := q.sent, q.acks
	q.sent, q.acks = nil, nil
	return s, a
}

// acker records queued acknowledgements until the engine closes; what is still
// queued then is sent again after the next unlock.
func (e *Engine) acker() {
	defer e.wg.Done()
	for {
		select {
		case <-e.acks.ready:
		case <-e.ctx.Done():
			return
		}
		if err := e.recordAcks(e.ctx); err != nil && e.ctx.Err() == nil {
			// The items stay in the outbox; the flusher sends them again after a
			// pause and the relay answers with the original sequence numbers.
			e.log.Warn("record acknowledgements", "err", err)
			e.sleepThenKick(flushRetry)
		}
	}
}

// recordAcks records everything queued, in order, in one transaction.
func (e *Engine) recordAcks(ctx context.Context) error {
	e.acks.applyMu.Lock()
	defer e.acks.applyMu.Unlock()
	sent, acks := e.acks.take()
	if len(sent) == 0 {
		return nil
	}
	return e.applyAcks(ctx, sent, acks)
}

// sleepThenKick kicks the flusher after d, unless the engine closes first.
func (e *Engine) sleepThenKick(d time.Duration) {
	done := make(chan struct{})
	t := e.clk.AfterFunc(d, func() { close(done) })
	defer t.Stop()
	select {
	case <-done:
		e.kick(e.kickFlush)
	case <-e.ctx.Done():
	}
}
