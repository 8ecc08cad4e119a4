package chat

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"hush/chatcrypto"
	"hush/ids"
	"hush/policy"
	"hush/sync/wire"
	"hush/vault"
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
	kick(q.ready)
	return n
}

func (q *ackQueue) take() ([]*sending, []*wire.Ack) {
	q.mu.Lock()
	defer q.mu.Unlock()
	s, a := q.sent, q.acks
	q.sent, q.acks = nil, nil
	return s, a
}

// runAcker records queued acknowledgements until ctx ends; what is still queued then
// is sent again after the next unlock.
func (s *sender) runAcker(ctx context.Context) {
	for {
		select {
		case <-s.acks.ready:
		case <-ctx.Done():
			return
		}
		if err := s.recordAcks(ctx); err != nil && ctx.Err() == nil {
			// The items stay in the outbox; the flusher sends them again after a
			// pause and the relay answers with the original sequence numbers.
			s.log.Warn("record acknowledgements", "err", err)
			if sleep(ctx, s.clk, flushRetry, nil) {
				s.kick()
			}
		}
	}
}

// recordAcks records everything queued, in order, in one transaction.
func (s *sender) recordAcks(ctx context.Context) error {
	s.acks.applyMu.Lock()
	defer s.acks.applyMu.Unlock()
	sent, acks := s.acks.take()
	if len(sent) == 0 {
		return nil
	}
	return s.applyAcks(ctx, sent, acks)
}

// applyAcks records the relay's acknowledgements, in order: each message gets its
// sequence number and leaves the outbox, all in one transaction.
func (s *sender) applyAcks(ctx context.Context, sent []*sending, acks []*wire.Ack) error {
	var events []StatusChange
	var beyond []*wire.Ack
	err := s.v.Update(ctx, func(tx *vault.Tx) error {
		events, beyond = events[:0], beyond[:0]
		cursors := map[ids.Chat]int64{}
		metas := map[ids.Chat]*chatMeta{}
		for i, sd := range sent {
			ack := acks[i]
			chatID := sd.item.ChatID
			meta, ok := metas[chatID]
			if !ok {
				_, m, err := chatWithMeta(tx, chatID)
				if err != nil && !errors.Is(err, vault.ErrNotFound) {
					return err
				}
				meta = &m // a chat gone: no positions, the status is only "sent"
				metas[chatID] = meta
			}
			ev, err := recordAck(tx, sd, ack, *meta, s.meID, s.list.receipts.on())
			if err != nil {
				return err
			}
			if ev != nil {
				events = append(events, *ev)
			}
			cur, ok := cursors[chatID]
			if !ok {
				if cur, err = tx.Cursor(scope(chatID)); err != nil {
					return err
				}
			}
			if ack.Seq == uint64(cur)+1 {
				cursors[chatID] = int64(s.ahead.catchForward(chatID, ack.Seq))
			} else {
				cursors[chatID] = cur
				beyond = append(beyond, ack)
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
	for _, ack := range beyond {
		s.ahead.add(ack.ChatID, ack.Seq)
	}
	for _, ev := range events {
		s.obs.MessageStatus(ev)
	}
	return nil
}

// recordAck takes an acknowledged item out of the outbox and gives its message the
// relay's sequence number; it returns the status change to report, if any (reads:
// statusOf).
func recordAck(tx *vault.Tx, sd *sending, ack *wire.Ack, meta chatMeta, me ids.Account, reads bool) (*StatusChange, error) {
	id := sd.item.ID
	if err := tx.RemoveOutbox(id); err != nil && !errors.Is(err, vault.ErrNotFound) {
		return nil, err
	}
	if sd.kind != chatcrypto.KindText && sd.kind != chatcrypto.KindAutoDelete {
		return nil, nil // an auto-delete setting's line takes its number like a text
	}
	m, err := tx.Message(id)
	switch {
	case errors.Is(err, vault.ErrNotFound):
		return nil, nil
	case err != nil:
		return nil, err
	case m.Seq != 0:
		return nil, nil
	}
	m.Seq, m.Status, m.SentAt = int64(ack.Seq), policy.StatusSent, wire.Time(ack.ServerTime)
	if err := tx.UpdateMessage(m); err != nil {
		return nil, err
	}
	// The status follows the chat's positions, not only the acknowledgement: a
	// resend answered after a relay crash is acknowledged with the sequence number
	// of the first try, which the other members may have read meanwhile (their
	// receipts came while this message had no number and passed it by).
	return &StatusChange{Chat: sd.item.ChatID, Message: id, Status: statusOf(m, meta, me, reads), Seq: m.Seq}, nil
}

// aheadSet remembers the sequence numbers of this device's own messages that the
// relay acknowledged beyond a chat's cursor, so the cursor moves over them when it
// gets there instead of seeing a gap. The sender adds; the receiver catches up. Its
// lock guards only the set.
type aheadSet struct {
	mu   sync.Mutex
	seqs map[ids.Chat]map[uint64]bool
}

func (a *aheadSet) add(chat ids.Chat, seq uint64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.seqs[chat] == nil {
		a.seqs[chat] = map[uint64]bool{}
	}
	a.seqs[chat][seq] = true
}

// catchForward moves a cursor over the chat's own acknowledged messages that follow
// it, and forgets those it passed.
func (a *aheadSet) catchForward(chat ids.Chat, cursor uint64) uint64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	set := a.seqs[chat]
	for set[cursor+1] {
		delete(set, cursor+1)
		cursor++
	}
	for s := range set {
		if s <= cursor {
			delete(set, s)
		}
	}
	if len(set) == 0 {
		delete(a.seqs, chat)
	}
	return cursor
}

// forget drops what is remembered for a chat that is gone.
func (a *aheadSet) forget(chat ids.Chat) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.seqs, chat)
}
