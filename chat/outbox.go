package chat

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"hush/chatcrypto"
	"hush/ids"
	"hush/policy"
	"hush/sync/relayclient"
	"hush/sync/wire"
	"hush/vault"
)

// The flusher sends the outbox in order. It keeps up to sendWindow sends in flight
// (the relay commits the writes of one connection in the order they arrive) and
// hands each acknowledgement, in turn, to the acker (acker.go) to record. A message is sealed just before it goes out,
// under the chat's newest epoch, so messages written offline use the key that is
// current when they leave.

// errWait means an item cannot go out yet (its chat has no usable key); later items
// of the same chat wait behind it, other chats go on.
var errWait = errors.New("chat: waiting for a chat key")

// sending is one outbox item on its way.
type sending struct {
	item    vault.OutboxItem
	kind    uint8
	req     *wire.Send
	call    *relayclient.Call
	started time.Time
}

// flusher runs until the engine closes, flushing whenever kicked.
func (e *Engine) flusher() {
	defer e.wg.Done()
	for {
		select {
		case <-e.kickFlush:
		case <-e.handoff.ready:
		case <-e.ctx.Done():
			return
		}
		for {
			wait, err := e.flush(e.ctx)
			if e.ctx.Err() != nil {
				return
			}
			if err != nil {
				e.log.Info("outbox flush stopped", "err", err, "retry_in", wait)
			}
			if wait < 0 {
				break
			}
			if wait > 0 && !e.sleep(wait) {
				return
			}
		}
	}
}

// sleep waits d on the engine's clock, or until a kick or close; it reports false
// when the engine closed.
func (e *Engine) sleep(d time.Duration) bool {
	done := make(chan struct{})
	t := e.clk.AfterFunc(d, func() { close(done) })
	defer t.Stop()
	select {
	case <-done:
	case <-e.kickFlush:
	case <-e.ctx.Done():
		return false
	}
	return true
}

// flush sends what the outbox holds. It returns how long to wait before flushing
// again: negative for "not until kicked" (done, or offline: the reconnect kicks).
//
// Items come from the vault's outbox at the start (and whenever the in-memory
// handoff from Send overflowed), then from the handoff, which carries what Send just
// committed so the hot path reads nothing back. The loop waits for whichever comes
// first: the oldest acknowledgement or a new item.
func (e *Engine) flush(ctx context.Context) (time.Duration, error) {
	rc := e.client()
	if rc == nil || rc.Status().State != relayclient.StateOnline {
		return -1, nil
	}
	window := sendWindow
	if n := int(rc.Status().Session.Limits.MaxInFlight); n > 0 {
		window = min(window, n)
	}
	var (
		inflight []*sending
		queue    []queued
		issued   = map[ids.Message]bool{} // in flight, acknowledged or failed in this flush
		blocked  = map[ids.Chat]bool{}
		stale    = map[ids.Chat]bool{}
		parked   = map[ids.Chat]bool{} // stale again and again: wait for a kick
		rounds   = map[ids.Chat]int{}
		keys     = map[ids.Chat]*chatKey{}
		reload   = true // read the vault's outbox before the handoff
		stop     error
		retryIn  = time.Duration(-1)
	)
	for {
		// Fill the window, in outbox order.
		for stop == nil && len(inflight) < window {
			if len(queue) == 0 {
				var overflow bool
				queue, overflow = e.handoff.take()
				if overflow {
					reload = true
				}
				if reload {
					// The vault holds everything the handoff did, and more. Record the
					// acknowledgements first, so acknowledged items are out of it.
					if err := e.recordAcks(ctx); err != nil {
						stop, retryIn = err, flushRetry
						break
					}
					items, more, err := e.outbox(ctx, len(inflight)+2*window, issued)
					if err != nil {
						stop, retryIn = err, flushRetry
						break
					}
					queue = append(items, queue...)
					reload = more
				}
				if len(queue) == 0 {
					break
				}
			}
			q := queue[0]
			queue = queue[1:]
			it := q.item
			if blocked[it.ChatID] || parked[it.ChatID] || issued[it.ID] {
				continue
			}
			s, err := e.prepare(ctx, q, keys)
			switch {
			case errors.Is(err, errWait):
				blocked[it.ChatID] = true
				continue
			case errors.Is(err, errPermanent):
				e.failItem(ctx, it, err)
				issued[it.ID] = true
				continue
			case err != nil:
				stop, retryIn = err, flushRetry
				continue
			}
			call, err := rc.Start(ctx, s.req)
			if err != nil {
				var we *wire.Error
				if errors.As(err, &we) {
					// Refused by the encoder before it left: it never will go.
					e.failItem(ctx, it, fmt.Errorf("%w: %w", errPermanent, err))
					issued[it.ID] = true
					continue
				}
				stop, retryIn = err, -1
				continue
			}
			s.call, s.started = call, time.Now()
			inflight = append(inflight, s)
			issued[it.ID] = true
		}
		if len(inflight) == 0 {
			if len(stale) > 0 && stop == nil {
				// Refresh the keys of chats whose epoch moved on, then go again.
				for id := range stale {
					if rounds[id]++; rounds[id] > maxStaleRounds {
						parked[id] = true
						continue
					}
					if err := e.fetchEpochs(ctx, id); err != nil {
						return flushRetry, err
					}
					e.rotateIfDue(ctx, id, false)
				}
				stale = map[ids.Chat]bool{}
				clear(keys)
				clear(issued)
				clear(blocked)
				queue, reload = nil, true
				continue
			}
			return retryIn, stop
		}
		oldest := inflight[0]
		timeout := time.NewTimer(max(time.Until(oldest.started.Add(requestTimeout)), 0))
		select {
		case <-oldest.call.Done():
		case <-e.handoff.ready:
			timeout.Stop()
			continue // new items: fill the window first
		case <-e.kickFlush:
			timeout.Stop()
			reload = true
			continue
		case <-timeout.C:
		case <-ctx.Done():
			timeout.Stop()
			return -1, ctx.Err()
		}
		timeout.Stop()
		// Take the oldest and every later one that is already answered, so a burst
		// of acknowledgements costs one vault transaction.
		var acked []*sending
		var acks []*wire.Ack
		for len(inflight) > 0 {
			s := inflight[0]
			var resp wire.Body
			var err error
			if s == oldest {
				wctx, cancel := context.WithTimeout(ctx, 0)
				if _, done, _ := s.call.Poll(); done {
					wctx, cancel = ctx, func() {}
				}
				resp, err = s.call.Wait(wctx) // a timed-out oldest is abandoned here
				cancel()
				if errors.Is(err, context.DeadlineExceeded) {
					err = fmt.Errorf("%w: no acknowledgement within %v", relayclient.ErrConnectionLost, requestTimeout)
				}
			} else {
				var done bool
				if resp, done, err = s.call.Poll(); !done {
					break
				}
			}
			inflight = inflight[1:]
			if err == nil {
				ack, ok := resp.(*wire.Ack)
				if !ok || ack.MsgID != s.req.MsgID || ack.ChatID != s.req.ChatID {
					err = fmt.Errorf("the relay answered a send with %v", resp.Type())
				} else {
					acked, acks = append(acked, s), append(acks, ack)
					continue
				}
			}
			if stop == nil {
				stop, retryIn = e.sendFailed(ctx, s, err, stale, blocked)
			}
		}
		if len(acked) > 0 && e.acks.push(acked, acks) >= maxQueuedAcks {
			// The acker falls behind: record them here before sending more.
			if err := e.recordAcks(ctx); err != nil && stop == nil {
				stop, retryIn = err, flushRetry
			}
		}
		if len(issued) > maxIssued {
			// Done items are out of the vault's outbox once their acknowledgements
			// are recorded, which a reload does first, so a reload cannot bring them
			// back; only a late copy in the handoff could, and the relay answers a
			// resend with the original acknowledgement.
			clear(issued)
			for _, s := range inflight {
				issued[s.item.ID] = true
			}
		}
	}
}

// handoff carries items Send just committed to the flusher, in commit order, so the
// flusher need not read them back from the vault. It is bounded: when it overflows it
// drops everything and says so, and the flusher reads the vault's outbox instead.
type handoff struct {
	mu       sync.Mutex
	items    []queued
	overflow bool
	ready    chan struct{}
}

// maxHandoff bounds the items waiting in the handoff.
const maxHandoff = 1024

func (h *handoff) init() { h.ready = make(chan struct{}, 1) }

func (h *handoff) push(q queued) {
	h.mu.Lock()
	if len(h.items) >= maxHandoff {
		h.items, h.overflow = nil, true
	} else if !h.overflow {
		h.items = append(h.items, q)
	}
	h.mu.Unlock()
	select {
	case h.ready <- struct{}{}:
	default:
	}
}

// take returns what is waiting, and whether items were dropped since the last take.
func (h *handoff) take() ([]queued, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	items, overflow := h.items, h.overflow
	h.items, h.overflow = nil, false
	return items, overflow
}

// sendFailed handles a send the relay refused; it returns a reason to stop
// flushing (and when to try again), or nil to go on.
func (e *Engine) sendFailed(ctx context.Context, s *sending, err error, stale, blocked map[ids.Chat]bool) (error, time.Duration) {
	var we *wire.Error
	switch {
	case errors.Is(err, wire.ErrStaleEpoch):
		// Everything after it in this chat is stale too; refresh, then resend.
		stale[s.item.ChatID] = true
		blocked[s.item.ChatID] = true
		return nil, -1
	case errors.Is(err, wire.ErrRateLimited) && errors.As(err, &we):
		return err, max(we.RetryAfter, 10*time.Millisecond)
	case errors.Is(err, wire.ErrForbidden), errors.Is(err, wire.ErrNotFound),
		errors.Is(err, wire.ErrTooLarge), errors.Is(err, wire.ErrBadFrame), errors.Is(err, wire.ErrBadRequest):
		e.failItem(ctx, s.item, fmt.Errorf("%w: %w", errPermanent, err))
		return nil, -1
	case errors.Is(err, wire.ErrQuotaExceeded):
		e.warn(Warning{Chat: s.item.ChatID, Kind: WarnQuotaExceeded})
		return err, time.Minute
	case errors.Is(err, relayclient.ErrConnectionLost), errors.Is(err, relayclient.ErrOffline):
		return err, -1
	}
	return err, flushRetry
}

// maxIssued bounds the ids one flush remembers as handled; beyond it, it keeps only
// those in flight.
const maxIssued = 4096

// maxStaleRounds bounds how often one flush refreshes a chat's key after the relay
// called its epoch stale; beyond it the chat waits for the next kick (a new epoch).
const maxStaleRounds = 3

// errPermanent marks an item that can never be sent; its message is marked failed.
var errPermanent = errors.New("chat: cannot be sent")

// chatKey is a chat's newest epoch key, looked up once per flush.
type chatKey struct {
	epoch uint64
	key   chatcrypto.EpochKey
}

// queued is an outbox item with what it sends: its message, read in the same
// transaction.
type queued struct {
	item vault.OutboxItem
	msg  *vault.Message // outboxMessage items; nil if the message is gone
}

// outbox reads the oldest n items (at most a vault page) with their messages,
// leaving out those already issued; more says the page was full.
func (e *Engine) outbox(ctx context.Context, n int, issued map[ids.Message]bool) (_ []queued, more bool, _ error) {
	var out []queued
	n = min(n, vault.MaxPageSize)
	err := e.v.View(ctx, func(tx *vault.Tx) error {
		items, err := tx.Outbox(n)
		if err != nil {
			return err
		}
		more = len(items) == n
		out = make([]queued, 0, len(items))
		for _, it := range items {
			if issued[it.ID] {
				continue
			}
			q := queued{item: it}
			m, err := tx.Message(it.ID)
			switch {
			case err == nil:
				q.msg = &m
			case !errors.Is(err, vault.ErrNotFound):
				return err
			}
			out = append(out, q)
		}
		return nil
	})
	return out, more, err
}

// prepare seals one outbox item under its chat's newest key.
func (e *Engine) prepare(ctx context.Context, q queued, keys map[ids.Chat]*chatKey) (*sending, error) {
	it := q.item
	p, err := decodeOutbox(it.Payload)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errPermanent, err)
	}
	ck := keys[it.ChatID]
	if ck == nil {
		if ck, err = e.currentKey(ctx, it.ChatID); err != nil {
			return nil, err
		}
		keys[it.ChatID] = ck
	}
	var content chatcrypto.Content
	switch p.Kind {
	case outboxMessage:
		if q.msg == nil {
			return nil, fmt.Errorf("%w: the message was deleted", errPermanent)
		}
		m := q.msg
		t := &chatcrypto.Text{Body: m.Body, SenderName: e.sendName}
		if m.ReplyTo != nil {
			t.ReplyTo = ids.Message(*m.ReplyTo)
		}
		content = chatcrypto.Content{Kind: chatcrypto.KindText, Text: t}
	case outboxTitle:
		content = chatcrypto.Content{Kind: chatcrypto.KindChatMeta, ChatMeta: &chatcrypto.ChatMeta{Title: p.Title}}
	}
	sealed, err := chatcrypto.Seal(chatcrypto.SealParams{
		Sender:    e.sender,
		ChatID:    ids.Chat(it.ChatID),
		Epoch:     ck.epoch,
		EpochKey:  ck.key,
		MessageID: ids.Message(it.ID),
		Content:   content,
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errPermanent, err)
	}
	if len(sealed) > wire.MaxCiphertextSize {
		return nil, fmt.Errorf("%w: sealed message of %d bytes exceeds the relay's limit", errPermanent, len(sealed))
	}
	return &sending{item: it, kind: p.Kind, req: &wire.Send{
		ChatID: ids.Chat(it.ChatID), MsgID: ids.Message(it.ID), Epoch: ck.epoch, Ciphertext: sealed,
	}}, nil
}

// currentKey returns the chat's newest epoch key, rotating first when the chat has
// none or a member left since, and this account may rotate.
func (e *Engine) currentKey(ctx context.Context, id ids.Chat) (*chatKey, error) {
	load := func() (*chatKey, bool, error) {
		var ck *chatKey
		var due bool
		err := e.v.View(ctx, func(tx *vault.Tx) error {
			_, meta, err := chatWithMeta(tx, id)
			if err != nil {
				return err
			}
			ep, err := tx.LatestEpoch(id)
			if errors.Is(err, vault.ErrNotFound) {
				due = true
				return nil
			}
			if err != nil {
				return err
			}
			raw, err := tx.EpochKey(id, ep)
			if err != nil {
				return err
			}
			k, err := chatcrypto.EpochKeyFromBytes(raw)
			clear(raw)
			if err != nil {
				return err
			}
			ck = &chatKey{epoch: ep, key: k}
			due = meta.NeedEpoch > ep || meta.Epoch > ep
			return nil
		})
		return ck, due, err
	}
	ck, due, err := load()
	if errors.Is(err, vault.ErrNotFound) {
		return nil, fmt.Errorf("%w: the chat is gone", errPermanent)
	}
	if err != nil || !due {
		return ck, err
	}
	if err := e.fetchEpochs(ctx, id); err != nil {
		return nil, err
	}
	if ck2, due, err := load(); err == nil && !due {
		return ck2, nil
	}
	switch err := e.rotate(ctx, id); {
	case err == nil:
	case errors.Is(err, ErrForbidden):
		// Not ours to rotate; if the relay is satisfied with the current epoch, the
		// relay's Send says so.
		if err := e.forgetRotation(ctx, id); err != nil {
			return nil, err
		}
	case errors.Is(err, ErrNotFound):
		return nil, fmt.Errorf("%w: no longer a member", errPermanent)
	default:
		return nil, err
	}
	ck, _, err = load()
	if err != nil {
		return nil, err
	}
	if ck == nil {
		return nil, errWait
	}
	return ck, nil
}

// forgetRotation drops a pending rotation this account may not do (the relay
// refused it: someone else already rotated, or the role does not allow it).
func (e *Engine) forgetRotation(ctx context.Context, id ids.Chat) error {
	return e.v.Update(ctx, func(tx *vault.Tx) error {
		c, meta, err := chatWithMeta(tx, id)
		if err != nil {
			return err
		}
		meta.NeedEpoch = 0
		if c.Extra, err = encodeMeta(meta); err != nil {
			return err
		}
		return e.updateChat(tx, c)
	})
}

// applyAcks records the relay's acknowledgements, in order: each message gets its
// sequence number and leaves the outbox, all in one transaction.
func (e *Engine) applyAcks(ctx context.Context, sent []*sending, acks []*wire.Ack) error {
	var events []StatusChange
	var ahead []*wire.Ack
	err := e.v.Update(ctx, func(tx *vault.Tx) error {
		events, ahead = events[:0], ahead[:0]
		cursors := map[ids.Chat]int64{}
		for i, s := range sent {
			ack := acks[i]
			id, chatID := s.item.ID, s.item.ChatID
			if err := tx.RemoveOutbox(id); err != nil && !errors.Is(err, vault.ErrNotFound) {
				return err
			}
			if s.kind == outboxMessage {
				m, err := tx.Message(id)
				switch {
				case errors.Is(err, vault.ErrNotFound):
				case err != nil:
					return err
				case m.Seq == 0:
					m.Seq, m.Status, m.SentAt = int64(ack.Seq), policy.StatusSent, wire.Time(ack.ServerTime)
					if err := tx.UpdateMessage(m); err != nil {
						return err
					}
					// A receipt cannot have passed a message the relay just committed.
					events = append(events, StatusChange{Chat: chatID, Message: id, Status: policy.StatusSent, Seq: m.Seq})
				}
			}
			cur, ok := cursors[chatID]
			if !ok {
				c, err := tx.Cursor(scope(chatID))
				if err != nil {
					return err
				}
				cur = c
			}
			if ack.Seq == uint64(cur)+1 {
				cursors[chatID] = int64(e.catchForward(chatID, ack.Seq))
			} else {
				cursors[chatID] = cur
				ahead = append(ahead, ack)
			}
		}
		for id, cur := range cursors {
			if err := tx.SetCursor(scope(id), cur); err != nil {
				if errors.Is(err, vault.ErrNotFound) {
					continue // the chat is gone
				}
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("record acknowledgements: %w", err)
	}
	if len(ahead) > 0 {
		e.mu.Lock()
		for _, ack := range ahead {
			id := ack.ChatID
			if e.ahead[id] == nil {
				e.ahead[id] = map[uint64]bool{}
			}
			e.ahead[id][ack.Seq] = true
		}
		e.mu.Unlock()
	}
	for _, ev := range events {
		e.obs.MessageStatus(ev)
	}
	return nil
}

// failItem drops an item that can never be sent and marks its message failed.
func (e *Engine) failItem(ctx context.Context, it vault.OutboxItem, why error) {
	e.log.Warn("outbox item cannot be sent", "item", it.ID.String(), "err", why)
	var ev *StatusChange
	err := e.v.Update(ctx, func(tx *vault.Tx) error {
		ev = nil
		if err := tx.RemoveOutbox(it.ID); err != nil && !errors.Is(err, vault.ErrNotFound) {
			return err
		}
		m, err := tx.Message(it.ID)
		if errors.Is(err, vault.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		m.Status = policy.StatusFailed
		if err := tx.UpdateMessage(m); err != nil {
			return err
		}
		ev = &StatusChange{Chat: m.ChatID, Message: m.ID, Status: policy.StatusFailed, Seq: m.Seq}
		return nil
	})
	if err != nil {
		e.log.Warn("mark message failed", "err", err)
		return
	}
	if ev != nil {
		e.obs.MessageStatus(*ev)
		e.warn(Warning{Chat: it.ChatID, Kind: WarnSendFailed, Cause: relayError(why)})
	}
}
