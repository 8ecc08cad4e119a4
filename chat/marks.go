package chat

import (
	"context"
	"errors"

	"hush/ids"
	"hush/sync/wire"
	"hush/vault"
)

// Delivered and read positions are kept in the vault (chatMeta) and sent to the
// relay by one marker goroutine. Marks of a chat that change while one is on its way
// collapse into the next, and rounds are at least markInterval apart, so a busy chat
// costs the relay a few writes a second, not one per message.

// queueMark asks the marker to send the chat's positions.
func (e *Engine) queueMark(id ids.Chat) {
	e.mu.Lock()
	e.marks[id] = true
	e.mu.Unlock()
	e.kick(e.kickMark)
}

// marker runs until the engine closes.
func (e *Engine) marker() {
	defer e.wg.Done()
	for {
		select {
		case <-e.kickMark:
		case <-e.ctx.Done():
			return
		}
		e.sendMarks(e.ctx)
		done := make(chan struct{})
		t := e.clk.AfterFunc(markInterval, func() { close(done) })
		select {
		case <-done:
		case <-e.ctx.Done():
			t.Stop()
			return
		}
	}
}

// sendMarks sends the positions of every queued chat; chats it could not send for
// stay queued (a reconnect kicks the marker again).
func (e *Engine) sendMarks(ctx context.Context) {
	e.mu.Lock()
	chats := make([]ids.Chat, 0, len(e.marks))
	for id := range e.marks {
		chats = append(chats, id)
	}
	clear(e.marks)
	e.mu.Unlock()
	for i, id := range chats {
		var meta chatMeta
		err := e.v.View(ctx, func(tx *vault.Tx) error {
			c, err := tx.Chat(id)
			if err != nil {
				return err
			}
			meta, err = decodeMeta(c.Extra)
			return err
		})
		if errors.Is(err, vault.ErrNotFound) {
			continue
		}
		if err == nil {
			_, err = doAs[*wire.OK](ctx, e, &wire.Mark{ChatID: ids.Chat(id), DeliveredSeq: meta.MyDelivered, ReadSeq: meta.MyRead})
		}
		if errors.Is(err, wire.ErrNotFound) {
			continue
		}
		if err != nil {
			e.log.Debug("send marks", "err", err)
			e.mu.Lock()
			for _, rest := range chats[i:] {
				e.marks[rest] = true
			}
			e.mu.Unlock()
			return
		}
	}
}
