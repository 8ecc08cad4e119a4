package chat

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"hush/clock"
	"hush/ids"
	"hush/vault"
)

// expirer is the engine part that wipes messages when their time comes: secret
// messages a set time after they were read (docs/SECURITY.md, "Secret chats"), and
// cloud messages a set time after they were sent ("Auto-delete"). The times are
// vault timers, so they survive a restart: the engine sweeps at start, then sleeps
// until the earliest one, on the engine's clock (tests advance a fake one). That
// clock also decides which messages have expired before they arrive.
type expirer struct {
	v    *vault.Vault
	list *chatList
	// blobs deletes this account's files of the messages wiped (blobdelete.go).
	blobs *blobDeleter
	// shred deletes the files of the messages wiped from this device's folder.
	shred *shredder
	clk   clock.Clock
	log   *slog.Logger
	obs   Observer
	// kick is woken when a countdown starts (capacity 1).
	kick chan struct{}
}

// wake has the sweep look at the timers again.
func (x *expirer) wake() { kick(x.kick) }

// due reports whether a message that goes at at has gone already.
func (x *expirer) due(at time.Time) bool { return !at.After(x.clk.Now()) }

// run sweeps now, then whenever the earliest timer is due or a countdown starts,
// until ctx ends.
func (x *expirer) run(ctx context.Context) {
	for {
		next, ok := x.sweep(ctx)
		if ok && !next.After(x.clk.Now()) {
			continue // came due while sweeping
		}
		var due chan struct{}
		var t clock.Timer
		if ok {
			due = make(chan struct{})
			t = x.clk.AfterFunc(next.Sub(x.clk.Now()), func() { close(due) })
			if !next.After(x.clk.Now()) {
				t.Stop() // the clock moved on while the timer was set
				continue
			}
		}
		select {
		case <-ctx.Done():
			if t != nil {
				t.Stop()
			}
			return
		case <-x.kick:
		case <-due:
		}
		if t != nil {
			t.Stop()
		}
	}
}

// forget deletes a message whose time has come with what refers to it: its outbox
// item (a message not sent yet is not sent), its pin, and its attachment keys and
// timer (vault.Tx.DeleteMessage); its files go into files, to shred after the
// commit. unread counts, per chat, the deleted messages the user had not read yet.
func (x *expirer) forget(tx *vault.Tx, m vault.Message, unread map[ids.Chat]int, files *doomedFiles) error {
	if err := files.addMessage(tx, m, x.list.meID); err != nil {
		return err
	}
	if err := tx.RemoveOutbox(m.ID); err != nil && !errors.Is(err, vault.ErrNotFound) {
		return err
	}
	if _, err := queueOwnFiles(tx, m, x.list.meID); err != nil {
		return err
	}
	if err := setPinned(tx, m.ChatID, m.ID, false); err != nil {
		return err
	}
	if m.SenderAccount != x.list.meID && m.Seq > 0 && metaOf(m).Service == nil {
		_, meta, err := chatWithMeta(tx, m.ChatID)
		if err != nil {
			return err
		}
		if uint64(m.Seq) > meta.MyRead {
			unread[m.ChatID]++
		}
	}
	return tx.DeleteMessage(m.ID)
}

// uncount takes messages deleted unread off their chats' unread counts.
func (x *expirer) uncount(tx *vault.Tx, unread map[ids.Chat]int) error {
	for id, n := range unread {
		c, err := tx.Chat(id)
		if err != nil {
			return err
		}
		c.Unread = max(0, c.Unread-n)
		if err := x.list.chats.update(tx, c); err != nil {
			return err
		}
	}
	return nil
}

// sweep wipes every message whose time has come and returns the next time, if
// any timer is left.
func (x *expirer) sweep(ctx context.Context) (time.Time, bool) {
	for {
		now := x.clk.Now()
		var gone []MessageExpiry
		var chats map[ids.Chat]bool
		var files doomedFiles
		err := x.v.Update(ctx, func(tx *vault.Tx) error {
			gone, chats, files = nil, map[ids.Chat]bool{}, doomedFiles{}
			due, err := tx.DueTimers(now)
			if err != nil {
				return err
			}
			unread := map[ids.Chat]int{}
			for _, id := range due {
				m, err := tx.Message(id)
				if errors.Is(err, vault.ErrNotFound) {
					continue
				}
				if err != nil {
					return err
				}
				if err := x.forget(tx, m, unread, &files); err != nil {
					return err
				}
				gone = append(gone, MessageExpiry{Chat: m.ChatID, Message: id})
				chats[m.ChatID] = true
			}
			return x.uncount(tx, unread)
		})
		if err != nil {
			if ctx.Err() == nil {
				x.log.Warn("self-destruct sweep", "err", err)
			}
			return x.clk.Now().Add(time.Minute), true // try again
		}
		if len(gone) > 0 {
			x.blobs.kick() // the files of this account's messages among them
		}
		// The files go before the UI is told: what it shows gone is gone.
		x.shred.shred(ctx, files)
		for _, g := range gone {
			x.obs.MessageExpired(g)
		}
		for id := range chats {
			if c, err := x.list.get(ctx, id); err == nil {
				x.obs.ChatUpdated(c)
			}
		}
		if len(gone) < vault.MaxDueTimers {
			break
		}
	}
	var next time.Time
	var ok bool
	err := x.v.View(ctx, func(tx *vault.Tx) (err error) {
		next, ok, err = tx.NextTimer()
		return err
	})
	if err != nil {
		return time.Time{}, false
	}
	return next, ok
}
