package chat

import (
	"context"
	"errors"
	"fmt"
	"time"

	"hush/ids"
	"hush/sync/relayclient"
	"hush/sync/wire"
)

// Limits of one flush.
const (
	// maxIssued bounds the ids one flush remembers as handled; beyond it, it keeps
	// only those in flight.
	maxIssued = 4096
	// maxStaleRounds bounds how often one flush refreshes a chat's key after the
	// relay called its epoch stale; beyond it the chat waits for the next kick (a new
	// epoch).
	maxStaleRounds = 3
)

// runFlusher sends the outbox, in order, whenever kicked or handed an item, until
// ctx ends.
func (s *sender) runFlusher(ctx context.Context) {
	for {
		select {
		case <-s.wake:
		case <-s.handoff.ready:
		case <-ctx.Done():
			return
		}
		for {
			wait, err := s.flush(ctx)
			if ctx.Err() != nil {
				return
			}
			if err != nil {
				s.log.Info("outbox flush stopped", "err", err, "retry_in", wait)
			}
			if wait < 0 {
				break
			}
			if wait > 0 && !sleep(ctx, s.clk, wait, s.wake) {
				return
			}
		}
	}
}

// flushRun is one pass over the outbox: the sends in flight and what it learned of
// each chat on the way.
type flushRun struct {
	s        *sender
	rc       *relayclient.Client
	window   int
	inflight []*sending
	queue    []queued
	issued   map[ids.Message]bool // in flight, acknowledged or failed in this flush
	blocked  map[ids.Chat]bool    // waiting for a key, or behind a stale send
	stale    map[ids.Chat]bool    // the relay called the epoch stale: refresh it
	parked   map[ids.Chat]bool    // stale again and again: wait for a kick
	rounds   map[ids.Chat]int
	keys     map[ids.Chat]*chatKey // each chat's newest key, looked up once
	reload   bool                  // read the vault's outbox before the handoff
	stop     error
	retryIn  time.Duration
}

// flush sends what the outbox holds. It returns how long to wait before flushing
// again: negative for "not until kicked" (done, or offline: the reconnect kicks).
//
// Items come from the vault's outbox at the start (and whenever the in-memory
// handoff from Send overflowed), then from the handoff, which carries what Send just
// committed so the hot path reads nothing back. The loop waits for whichever comes
// first: the oldest acknowledgement or a new item.
func (s *sender) flush(ctx context.Context) (time.Duration, error) {
	rc := s.link.client()
	if rc == nil || rc.Status().State != relayclient.StateOnline {
		return -1, nil
	}
	f := &flushRun{
		s: s, rc: rc, window: sendWindow,
		issued: map[ids.Message]bool{}, blocked: map[ids.Chat]bool{}, stale: map[ids.Chat]bool{},
		parked: map[ids.Chat]bool{}, rounds: map[ids.Chat]int{}, keys: map[ids.Chat]*chatKey{},
		reload: true, retryIn: -1,
	}
	if n := int(rc.Status().Session.Limits.MaxInFlight); n > 0 {
		f.window = min(f.window, n)
	}
	for {
		f.fill(ctx)
		if len(f.inflight) == 0 {
			if len(f.stale) == 0 || f.stop != nil {
				return f.retryIn, f.stop
			}
			if err := f.refreshStale(ctx); err != nil {
				return flushRetry, err
			}
			continue
		}
		answered, err := f.await(ctx)
		if err != nil {
			return -1, err
		}
		if answered {
			f.collect(ctx)
		}
	}
}

// fill sends items, in outbox order, until the window is full, the queue is empty or
// something stops the flush.
func (f *flushRun) fill(ctx context.Context) {
	for f.stop == nil && len(f.inflight) < f.window {
		q, ok := f.next(ctx)
		if !ok {
			return
		}
		it := q.item
		if f.blocked[it.ChatID] || f.parked[it.ChatID] || f.issued[it.ID] {
			continue
		}
		sd, err := f.s.prepare(ctx, q, f.keys)
		switch {
		case errors.Is(err, errWait):
			f.blocked[it.ChatID] = true
			continue
		case errors.Is(err, errPermanent):
			f.s.failItem(ctx, it, err)
			f.issued[it.ID] = true
			continue
		case err != nil:
			f.stop, f.retryIn = err, flushRetry
			continue
		}
		call, err := f.rc.Start(ctx, sd.req)
		if err != nil {
			var we *wire.Error
			if errors.As(err, &we) {
				// Refused by the encoder before it left: it never will go.
				f.s.failItem(ctx, it, fmt.Errorf("%w: %w", errPermanent, err))
				f.issued[it.ID] = true
				continue
			}
			f.stop, f.retryIn = err, -1
			continue
		}
		sd.call, sd.started = call, time.Now()
		f.inflight = append(f.inflight, sd)
		f.issued[it.ID] = true
	}
}

// next returns the next item to send: from the queue, refilled from the handoff and,
// when needed, from the vault's outbox. It reports false when there is none (or the
// vault failed, which stops the flush).
func (f *flushRun) next(ctx context.Context) (queued, bool) {
	if len(f.queue) == 0 {
		var overflow bool
		f.queue, overflow = f.s.handoff.take()
		f.reload = f.reload || overflow
		if f.reload {
			// The vault holds everything the handoff did, and more. Record the
			// acknowledgements first, so acknowledged items are out of it.
			if err := f.s.recordAcks(ctx); err != nil {
				f.stop, f.retryIn = err, flushRetry
				return queued{}, false
			}
			items, more, err := f.s.outbox(ctx, len(f.inflight)+2*f.window, f.issued)
			if err != nil {
				f.stop, f.retryIn = err, flushRetry
				return queued{}, false
			}
			f.queue = append(items, f.queue...)
			f.reload = more
		}
		if len(f.queue) == 0 {
			return queued{}, false
		}
	}
	q := f.queue[0]
	f.queue = f.queue[1:]
	return q, true
}

// refreshStale brings up to date the chats whose epoch the relay called stale (their
// log may hold a removal, their key log a new epoch), rotating when due and allowed,
// then starts the flush's reading over.
func (f *flushRun) refreshStale(ctx context.Context) error {
	for id := range f.stale {
		if f.rounds[id]++; f.rounds[id] > maxStaleRounds {
			f.parked[id] = true
			continue
		}
		if err := f.s.keys.refresh(ctx, id); err != nil {
			return err
		}
	}
	clear(f.stale)
	clear(f.keys)
	clear(f.issued)
	clear(f.blocked)
	f.queue, f.reload = nil, true
	return nil
}

// await waits for the oldest send's answer or its timeout (answered), or for new
// items or a kick (not answered: fill the window first). It fails only when ctx ends.
func (f *flushRun) await(ctx context.Context) (answered bool, err error) {
	oldest := f.inflight[0]
	timeout := time.NewTimer(max(time.Until(oldest.started.Add(requestTimeout)), 0))
	defer timeout.Stop()
	select {
	case <-oldest.call.Done():
	case <-f.s.handoff.ready:
		return false, nil
	case <-f.s.wake:
		f.reload = true
		return false, nil
	case <-timeout.C:
	case <-ctx.Done():
		return false, ctx.Err()
	}
	return true, nil
}

// collect takes the oldest send and every later one already answered, so a burst of
// acknowledgements costs one vault transaction, and hands the acknowledgements to
// the acker; refusals are handled in order.
func (f *flushRun) collect(ctx context.Context) {
	var acked []*sending
	var acks []*wire.Ack
	for i := 0; len(f.inflight) > 0; i++ {
		sd := f.inflight[0]
		resp, done, err := answer(ctx, sd, i == 0)
		if !done {
			break
		}
		f.inflight = f.inflight[1:]
		if err == nil {
			ack, ok := resp.(*wire.Ack)
			if ok && ack.MsgID == sd.req.MsgID && ack.ChatID == sd.req.ChatID {
				acked, acks = append(acked, sd), append(acks, ack)
				continue
			}
			err = fmt.Errorf("the relay answered a send with %v", resp.Type())
		}
		if f.stop == nil {
			f.retryIn, f.stop = f.s.sendFailed(ctx, sd, err, f.stale, f.blocked)
		}
	}
	if len(acked) > 0 && f.s.acks.push(acked, acks) >= maxQueuedAcks {
		// The acker falls behind: record them here before sending more.
		if err := f.s.recordAcks(ctx); err != nil && f.stop == nil {
			f.stop, f.retryIn = err, flushRetry
		}
	}
	if len(f.issued) > maxIssued {
		// Done items are out of the vault's outbox once their acknowledgements are
		// recorded, which a reload does first, so a reload cannot bring them back;
		// only a late copy in the handoff could, and the relay answers a resend with
		// the original acknowledgement.
		clear(f.issued)
		for _, sd := range f.inflight {
			f.issued[sd.item.ID] = true
		}
	}
}

// answer returns a send's answer. The oldest send is waited for (await saw it
// answered or timed out; a timed-out one is abandoned here); later ones only if
// already answered (done false otherwise).
func answer(ctx context.Context, sd *sending, oldest bool) (resp wire.Body, done bool, err error) {
	if !oldest {
		return sd.call.Poll()
	}
	wctx, cancel := context.WithTimeout(ctx, 0)
	if _, answered, _ := sd.call.Poll(); answered {
		wctx, cancel = ctx, func() {}
	}
	defer cancel()
	resp, err = sd.call.Wait(wctx)
	if errors.Is(err, context.DeadlineExceeded) {
		err = fmt.Errorf("%w: no acknowledgement within %v", relayclient.ErrConnectionLost, requestTimeout)
	}
	return resp, true, err
}

// sendFailed handles a send the relay refused; it returns a reason to stop flushing
// and when to try again, or a nil stop to go on.
func (s *sender) sendFailed(ctx context.Context, sd *sending, err error, stale, blocked map[ids.Chat]bool) (retryIn time.Duration, stop error) {
	var we *wire.Error
	switch {
	case errors.Is(err, wire.ErrStaleEpoch):
		// Everything after it in this chat is stale too; refresh, then resend.
		stale[sd.item.ChatID] = true
		blocked[sd.item.ChatID] = true
		return -1, nil
	case errors.Is(err, wire.ErrRateLimited) && errors.As(err, &we):
		return max(we.RetryAfter, 10*time.Millisecond), err
	case errors.Is(err, wire.ErrForbidden), errors.Is(err, wire.ErrNotFound),
		errors.Is(err, wire.ErrTooLarge), errors.Is(err, wire.ErrBadFrame), errors.Is(err, wire.ErrBadRequest):
		s.failItem(ctx, sd.item, fmt.Errorf("%w: %w", errPermanent, err))
		return -1, nil
	case errors.Is(err, wire.ErrQuotaExceeded):
		s.warn(Warning{Chat: sd.item.ChatID, Kind: WarnQuotaExceeded})
		return time.Minute, err
	case errors.Is(err, relayclient.ErrConnectionLost), errors.Is(err, relayclient.ErrOffline):
		return -1, err
	}
	return flushRetry, err
}
