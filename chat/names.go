package chat

import (
	"context"
	"encoding/binary"
	"errors"

	"hush/chatcrypto"
	"hush/ids"
	"hush/policy"
	"hush/vault"
)

// Display names travel inside every text message this account sends
// (chatcrypto.Text.SenderName), so readers show the name a person chose rather than their
// @handle, and the relay never learns it. A received name is authentic only as
// "what that account calls itself": anyone may call themselves "Alice". So a name
// updates the sender's own contact record and nothing else — never the handle, the
// pinned key, the verification or a key-change warning — and the UI keeps the
// handle beside it where a person is identified.

// nameAtSetting prefixes the vault setting that records, per contact, the relay
// time of the message whose name the contact record holds. Messages of different
// chats arrive in any order during a catch-up; the newest name wins, not the last
// one read.
const nameAtSetting = "chat/contact-name-at/"

// CheckDisplayName reports whether name can travel with messages: what the
// welcome screen accepts must pass it, or every send would be refused. The error
// matches [ErrInvalid] or [ErrTooLong].
func CheckDisplayName(name string) error {
	err := chatcrypto.CheckSenderName(name)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, chatcrypto.ErrTooLarge):
		return detailf(ErrTooLong, "a display name has at most %d characters", chatcrypto.MaxSenderNameChars)
	}
	return detailf(ErrInvalid, "a display name is one line of text without control or text-direction characters")
}

// heardName is the newest sender name one batch of entries carried for an account.
type heardName struct {
	name string
	at   int64 // relay time, Unix milliseconds
}

// hearName remembers name if it is the newest this batch carried for sender.
func (o *outcome) hearName(sender ids.Account, name string, at int64) {
	if o.names == nil {
		o.names = map[ids.Account]heardName{}
	}
	if h, ok := o.names[sender]; ok && h.at > at {
		return
	}
	o.names[sender] = heardName{name: name, at: at}
}

// learnNames stores the names a batch carried on their senders' contact records,
// unless a newer message already set another, and refreshes names so the summary
// built in the same transaction shows them. It runs inside the transaction that
// stored the batch, and adds to out the direct chats whose title changed.
func (e *Engine) learnNames(tx *vault.Tx, out *outcome, names nameCache) error {
	for id, h := range out.names {
		if id == e.meID {
			continue // our own name comes from our profile, not from the network
		}
		c, err := tx.Contact(id)
		if errors.Is(err, vault.ErrNotFound) {
			continue // verified messages come from pinned accounts; nothing to update
		}
		if err != nil {
			return err
		}
		key := nameAtSetting + id.String()
		var last int64
		switch b, err := tx.Setting(key); {
		case err == nil && len(b) == 8:
			last = int64(binary.BigEndian.Uint64(b))
		case err != nil && !errors.Is(err, vault.ErrNotFound):
			return err
		}
		if h.at < last {
			continue // an older message, read late: its name is stale
		}
		if err := tx.PutSetting(key, binary.BigEndian.AppendUint64(nil, uint64(h.at))); err != nil {
			return err
		}
		if c.DisplayName == h.name {
			continue
		}
		e.log.Info("contact changed display name", "account", id.String())
		c.DisplayName = h.name
		if err := tx.PutContact(c); err != nil {
			return err
		}
		delete(names, id)
		// A direct chat is titled by the contact's name: forget what Send cached
		// of it and tell the UI once the transaction is stored.
		chats, err := tx.Chats()
		if err != nil {
			return err
		}
		for _, ch := range chats {
			if ch.Kind == policy.KindDirect && roleOf(&ch, id) != 0 {
				e.invalidate(ch.ID)
				out.retitled = append(out.retitled, ch.ID)
			}
		}
	}
	return nil
}

// emitRetitled sends the chat list rows of the direct chats a rename retitled,
// except chat done, whose row the caller emits anyway.
func (e *Engine) emitRetitled(ctx context.Context, chats []ids.Chat, done ids.Chat) {
	for _, id := range chats {
		if id == done {
			continue
		}
		s, err := e.Summary(ctx, id)
		if err != nil {
			e.log.Warn("summary of a renamed contact's chat", "chat", id.String(), "err", err)
			continue
		}
		e.obs.ChatUpdated(s)
	}
}
