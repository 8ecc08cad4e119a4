package chat

import (
	"context"
	"errors"
	"log/slog"

	"hush/ids"
	"hush/policy"
	"hush/vault"
)

// Consent (docs/SECURITY.md, "Consent"): a chat someone who is not a contact starts,
// or adds this account to, arrives as a request. Until the user accepts it, nothing
// of it is notified with its content, and its members are pinned as strangers (not
// listed as contacts). Declining leaves a group or channel and deletes it here, and
// hides a 1:1 chat (which cannot be left) with what it held; blocking also declines
// what the same account starts later, without asking. Deleting a chat is only ever
// the user's action: one the relay no longer serves, or one this account was removed
// from, stays until the user deletes it.
type consent struct {
	v     *vault.Vault
	chats *chatStore
	keys  *keyring
	dir   *directory
	recv  *receiver
	marks *marker
	view  *chatList
	meID  ids.Account
	obs   Observer
	log   *slog.Logger
}

// accept accepts a request and reads the chat.
func (c *consent) accept(ctx context.Context, id ids.Chat) (Chat, error) {
	var peer ids.Account
	err := c.v.Update(ctx, func(tx *vault.Tx) error {
		ch, err := c.chats.updateMeta(tx, id, func(_ *vault.Chat, m *chatMeta) { m.Request = requestNone })
		if err != nil {
			return err
		}
		if ch.Kind == policy.KindDirect {
			for _, m := range ch.Members {
				if m.AccountID != c.meID {
					peer = m.AccountID
				}
			}
		}
		return nil
	})
	if err != nil {
		return Chat{}, notFound(err, "chat", id)
	}
	if !peer.IsZero() {
		if err := c.dir.choose(ctx, peer); err != nil {
			return Chat{}, err
		}
	}
	if err := c.recv.syncChat(ctx, id, nil); err != nil {
		c.log.Info("read an accepted chat", "chat", id.String(), "err", err)
	}
	c.keys.rotateIfDue(ctx, id)
	// What arrived while it was a request is delivered now, and the sender hears so.
	c.marks.queue(id)
	sum, err := c.view.get(ctx, id)
	if err != nil {
		return Chat{}, err
	}
	c.obs.ChatUpdated(sum)
	return sum, nil
}

// decline declines a request, blocking whoever made it when asked.
func (c *consent) decline(ctx context.Context, id ids.Chat, block bool) error {
	var kind policy.ChatKind
	var by ids.Account
	err := c.v.View(ctx, func(tx *vault.Tx) error {
		ch, meta, err := chatWithMeta(tx, id)
		kind = ch.Kind
		if len(meta.RequestBy) == ids.Size {
			by = ids.Account(meta.RequestBy)
		}
		return err
	})
	if err != nil {
		return notFound(err, "chat", id)
	}
	if block && !by.IsZero() && by != c.meID {
		if err := c.dir.block(ctx, by, true); err != nil {
			return err
		}
	}
	if kind != policy.KindDirect {
		err := c.keys.leave(ctx, id)
		if errors.Is(err, ErrNotSecured) || errors.Is(err, ErrTampered) {
			c.keys.removeLocal(ctx, id)
			return nil
		}
		return err
	}
	return c.hide(ctx, id)
}

// hide marks a 1:1 chat declined and deletes what it held: it is not listed, and
// its messages are no longer kept.
func (c *consent) hide(ctx context.Context, id ids.Chat) error {
	err := c.v.Update(ctx, func(tx *vault.Tx) error {
		if _, err := c.chats.updateMeta(tx, id, func(_ *vault.Chat, m *chatMeta) { m.Request = requestDeclined }); err != nil {
			return err
		}
		for {
			page, _, err := tx.Messages(id, vault.PageCursor{}, maxPageSize)
			if err != nil || len(page) == 0 {
				return err
			}
			for _, m := range page {
				if err := tx.DeleteMessage(m.ID); err != nil {
					return err
				}
			}
		}
	})
	if err != nil {
		return notFound(err, "chat", id)
	}
	c.obs.ChatRemoved(id)
	return nil
}

// remove deletes a chat this account is no longer in, on the user's word.
func (c *consent) remove(ctx context.Context, id ids.Chat) error {
	var sum Chat
	err := c.v.View(ctx, func(tx *vault.Tx) error {
		ch, err := tx.Chat(id)
		if err != nil {
			return err
		}
		sum, err = c.view.summary(tx, ch)
		return err
	})
	if err != nil {
		return notFound(err, "chat", id)
	}
	switch sum.Hold {
	case HoldRemoved, HoldUnavailable, HoldTampered, HoldNotSecured:
	default:
		if sum.MyRole != 0 {
			return detailf(ErrForbidden, "leave the chat to delete it")
		}
	}
	c.keys.removeLocal(ctx, id)
	return nil
}
