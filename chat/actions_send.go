package chat

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"hush/accountlog"
	"hush/chatcrypto"
	"hush/ids"
	"hush/policy"
	"hush/vault"
)

// The user's side of the actions on messages (actions.go): each is applied here at
// once, in the transaction that queues the sealed action for the relay, so this
// device shows it before the relay has it; the account's other devices and the other
// members apply it when it arrives. Deleting for oneself and retrying a failed
// message never leave the account.

// errSecretAction refuses the actions secret chats do not carry yet.
var errSecretAction = detailf(ErrInvalid, "not available in secret chats")

// EditMessage replaces the text of one of this account's messages in a chat, for
// every member and device. A deleted message cannot be edited.
func (e *Engine) EditMessage(ctx context.Context, chat ids.Chat, msg ids.Message, body string) (Message, error) {
	if e.isSecret(ctx, chat) {
		return Message{}, errSecretAction
	}
	if err := checkBody(body, ""); err != nil {
		return Message{}, err
	}
	return e.send.act(ctx, chat, action{kind: chatcrypto.KindEdit, target: msg, body: body})
}

// DeleteMessage deletes a message for everyone: its text goes from every device of
// every member, and a placeholder stays. Its author may, and in a group or channel
// an admin who may remove the author ([ErrForbidden] otherwise).
func (e *Engine) DeleteMessage(ctx context.Context, chat ids.Chat, msg ids.Message) (Message, error) {
	if e.isSecret(ctx, chat) {
		return Message{}, errSecretAction
	}
	return e.send.act(ctx, chat, action{kind: chatcrypto.KindDelete, target: msg})
}

// React puts emoji on a message, or takes it off (remove). Putting it twice is
// putting it once.
func (e *Engine) React(ctx context.Context, chat ids.Chat, msg ids.Message, emoji string, remove bool) (Message, error) {
	if e.isSecret(ctx, chat) {
		return Message{}, errSecretAction
	}
	switch {
	case emoji == "" || !utf8.ValidString(emoji):
		return Message{}, detailf(ErrInvalid, "choose an emoji")
	case len(emoji) > chatcrypto.MaxEmojiBytes:
		return Message{}, detailf(ErrTooLong, "a reaction is one emoji")
	}
	return e.send.act(ctx, chat, action{kind: chatcrypto.KindReaction, target: msg, emoji: emoji, remove: remove})
}

// PinMessage pins a message in its chat for every member, or unpins it.
func (e *Engine) PinMessage(ctx context.Context, chat ids.Chat, msg ids.Message, pinned bool) (Message, error) {
	if e.isSecret(ctx, chat) {
		return Message{}, errSecretAction
	}
	return e.send.act(ctx, chat, action{kind: chatcrypto.KindPin, target: msg, remove: !pinned})
}

// PinnedMessages lists a chat's pinned messages, the most recently pinned last.
func (e *Engine) PinnedMessages(ctx context.Context, chat ids.Chat) ([]Message, error) {
	var out []Message
	err := e.list.v.View(ctx, func(tx *vault.Tx) error {
		_, meta, err := chatWithMeta(tx, chat)
		if err != nil {
			return notFound(err, "chat", chat)
		}
		pins, err := pinnedIDs(tx, chat)
		if err != nil {
			return err
		}
		names := nameCache{}
		for _, id := range pins {
			m, err := tx.Message(id)
			if errors.Is(err, vault.ErrNotFound) {
				continue // deleted for this account only
			}
			if err != nil {
				return err
			}
			out = append(out, e.list.message(tx, m, &meta, names))
		}
		return nil
	})
	return out, err
}

// act applies an action of this account and queues it for the relay.
func (s *sender) act(ctx context.Context, chat ids.Chat, a action) (Message, error) {
	a.sender, a.at = s.meID, s.clk.Now()
	var out Message
	var item *vault.OutboxItem
	err := s.v.Update(ctx, func(tx *vault.Tx) error {
		item = nil
		c, meta, err := chatWithMeta(tx, chat)
		if err != nil {
			return notFound(err, "chat", chat)
		}
		target, err := tx.Message(a.target)
		if errors.Is(err, vault.ErrNotFound) || (err == nil && target.ChatID != chat) {
			return detailf(ErrNotFound, "the message is not in this chat")
		}
		if err != nil {
			return err
		}
		if err := s.mayAct(&c, meta, target, a); err != nil {
			return err
		}
		changed, res, err := applyAction(tx, &c, a, s.meID)
		switch {
		case err != nil:
			return err
		case res == actRefused:
			return detailf(ErrForbidden, "you may not do that to this message")
		case res == actSame:
			changed = &target
		}
		names := nameCache{}
		out = s.list.message(tx, *changed, &meta, names)
		if res == actSame || (target.Seq == 0 && target.Status == policy.StatusFailed) {
			// Nothing new, or a message that never left: nobody else needs to hear.
			return nil
		}
		payload, err := encodeOutbox(outboxPayload{Kind: a.kind, Target: a.target[:], Body: a.body, Emoji: a.emoji, Remove: a.remove, At: a.at.UnixMilli()})
		if err != nil {
			return err
		}
		item = &vault.OutboxItem{ID: ids.New[ids.Message](), ChatID: chat, Payload: payload}
		return tx.Enqueue(*item)
	})
	if err != nil {
		return Message{}, err
	}
	if item != nil {
		s.handoff.push(queued{item: *item})
	}
	if a.kind == chatcrypto.KindDelete {
		s.blobs.kick() // its files, if this account's
	}
	s.obs.MessageChanged(out)
	if sum, err := s.list.get(ctx, chat); err == nil {
		s.obs.ChatUpdated(sum) // its preview, if this was the newest message
	}
	return out, nil
}

// mayAct checks that this account may do a to target, before anything changes.
func (s *sender) mayAct(c *vault.Chat, meta chatMeta, target vault.Message, a action) error {
	me := roleOf(c, s.meID)
	em := metaOf(target)
	switch {
	case meta.RemovedBy != nil || me == 0:
		return detailf(ErrForbidden, "you are not a member of this chat")
	case em.Service != nil:
		return detailf(ErrInvalid, "this line cannot be changed")
	case em.Acts != nil && em.Acts.Deleted:
		return detailf(ErrInvalid, "the message was deleted")
	}
	switch a.kind {
	case chatcrypto.KindEdit:
		if target.SenderAccount != s.meID {
			return detailf(ErrForbidden, "you can only edit your own messages")
		}
	case chatcrypto.KindDelete:
		if !mayDelete(c, s.meID, target.SenderAccount) {
			return detailf(ErrForbidden, "only its author or an admin deletes a message for everyone")
		}
	case chatcrypto.KindPin:
		if !policy.CanPost(c.Kind, me) {
			return detailf(ErrForbidden, "only the owner and admins pin messages in a channel")
		}
	}
	return nil
}

// actionContent is what an action item of the outbox seals.
func actionContent(p outboxPayload) (chatcrypto.Content, error) {
	a := action{kind: p.Kind, target: ids.Message(p.Target), body: p.Body, emoji: p.Emoji, remove: p.Remove}
	if p.At > 0 {
		a.at = time.UnixMilli(p.At).UTC()
	}
	c := a.content()
	if _, err := chatcrypto.EncodeContent(c); err != nil {
		return chatcrypto.Content{}, fmt.Errorf("%w: %w", errPermanent, err)
	}
	return c, nil
}

// DeleteForMe deletes a message from this account only: from this device now and
// from the account's other devices through the account log. The other members keep
// it. A message of this device that was not sent yet is not sent.
func (e *Engine) DeleteForMe(ctx context.Context, chat ids.Chat, msg ids.Message) error {
	sent, err := e.hide(ctx, chat, msg)
	if err != nil {
		return err
	}
	if sent {
		e.publishChatMessage(ctx, chat, accountlog.Record{Kind: accountlog.KindHidden, Target: msg, Value: true})
	}
	return nil
}

// publishChatMessage publishes a record about a message of chat, unless the chat is
// secret (whose messages stay on this device).
func (e *Engine) publishChatMessage(ctx context.Context, chat ids.Chat, r accountlog.Record) {
	if !e.isSecret(ctx, chat) {
		e.acct.publish(ctx, r)
	}
}

// hide deletes a message here, and reports whether it had reached the relay (so the
// account's other devices hold it too).
func (e *Engine) hide(ctx context.Context, chat ids.Chat, msg ids.Message) (sent bool, err error) {
	var files doomedFiles
	err = e.list.v.Update(ctx, func(tx *vault.Tx) error {
		files = doomedFiles{}
		m, err := tx.Message(msg)
		if errors.Is(err, vault.ErrNotFound) || (err == nil && m.ChatID != chat) {
			return detailf(ErrNotFound, "the message is not in this chat")
		}
		if err != nil {
			return err
		}
		sent = m.Seq != 0
		if err := tx.RemoveOutbox(msg); err != nil && !errors.Is(err, vault.ErrNotFound) {
			return err
		}
		if err := setPinned(tx, chat, msg, false); err != nil {
			return err
		}
		if err := files.addMessage(tx, m, e.me); err != nil {
			return err
		}
		return tx.DeleteMessage(msg)
	})
	if err != nil {
		return false, err
	}
	e.shred.shred(ctx, files)
	e.obs.MessageHidden(MessageExpiry{Chat: chat, Message: msg})
	if sum, err := e.list.get(ctx, chat); err == nil {
		e.obs.ChatUpdated(sum)
	}
	return sent, nil
}

// applyHidden makes a deletion for oneself made on another device take effect here.
// A message not here (not fetched yet, or gone) is left alone.
func (e *Engine) applyHidden(ctx context.Context, r accountlog.Record) error {
	if !r.Value {
		return nil
	}
	msg := ids.Message(r.Target)
	var chat ids.Chat
	err := e.list.v.View(ctx, func(tx *vault.Tx) error {
		m, err := tx.Message(msg)
		if err == nil {
			chat = m.ChatID
		}
		return err
	})
	if errors.Is(err, vault.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	_, err = e.hide(ctx, chat, msg)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}

// RetryMessage sends again a message of this device that failed to send.
func (e *Engine) RetryMessage(ctx context.Context, chat ids.Chat, msg ids.Message) (Message, error) {
	if e.isSecret(ctx, chat) {
		return Message{}, errSecretAction
	}
	return e.send.retry(ctx, chat, msg)
}

func (s *sender) retry(ctx context.Context, chat ids.Chat, msg ids.Message) (Message, error) {
	var q queued
	var out Message
	err := s.v.Update(ctx, func(tx *vault.Tx) error {
		c, meta, err := chatWithMeta(tx, chat)
		if err != nil {
			return notFound(err, "chat", chat)
		}
		m, err := tx.Message(msg)
		switch {
		case errors.Is(err, vault.ErrNotFound) || (err == nil && m.ChatID != chat):
			return detailf(ErrNotFound, "the message is not in this chat")
		case err != nil:
			return err
		case m.SenderDevice != s.device || m.Status != policy.StatusFailed || m.Seq != 0:
			return detailf(ErrInvalid, "only a message of this device that failed to send can be sent again")
		case metaOf(m).Service != nil:
			// A failed auto-delete setting is no text to send again.
			return detailf(ErrInvalid, "a line is not sent again")
		case !policy.CanPost(c.Kind, roleOf(&c, s.meID)) || meta.RemovedBy != nil:
			return detailf(ErrForbidden, "you cannot post in this chat")
		}
		// The number it was given: receivers that noted it missing see it come.
		payload, err := encodeOutbox(outboxPayload{Kind: chatcrypto.KindText, Counter: metaOf(m).Counter})
		if err != nil {
			return err
		}
		m.Status = policy.StatusPending
		if err := tx.UpdateMessage(m); err != nil {
			return err
		}
		q = queued{item: vault.OutboxItem{ID: m.ID, ChatID: chat, Payload: payload}, msg: &m}
		out = s.list.message(tx, m, &meta, nameCache{})
		return tx.Enqueue(q.item)
	})
	if err != nil {
		return Message{}, err
	}
	s.handoff.push(q)
	s.obs.MessageStatus(StatusChange{Chat: chat, Message: msg, Status: policy.StatusPending})
	return out, nil
}

// Forward sends a copy of a message to another chat, marked with the name of the
// original's sender. The text is sealed anew for the target chat: nothing of the
// original's ciphertext goes again. Secret chats neither give nor take forwards.
func (e *Engine) Forward(ctx context.Context, from ids.Chat, msg ids.Message, to ids.Chat) (Message, error) {
	if e.isSecret(ctx, from) || e.isSecret(ctx, to) {
		return Message{}, detailf(ErrInvalid, "secret chats cannot forward or be forwarded to")
	}
	var body, origin string
	var preview *LinkPreview
	err := e.list.v.View(ctx, func(tx *vault.Tx) error {
		m, err := tx.Message(msg)
		if errors.Is(err, vault.ErrNotFound) || (err == nil && m.ChatID != from) {
			return detailf(ErrNotFound, "the message is not in this chat")
		}
		if err != nil {
			return err
		}
		em := metaOf(m)
		switch {
		case em.Service != nil, em.Acts != nil && em.Acts.Deleted, m.Body == "":
			return detailf(ErrInvalid, "this message has no text to forward")
		case em.Acts != nil && em.Acts.Forwarded != "":
			origin = em.Acts.Forwarded // the first sender, not the last forwarder
		default:
			origin = e.dir.nameOf(tx, m.SenderAccount, nameCache{})
		}
		body = m.Body
		preview = em.Preview.shownWith(m.Body) // as it was sent: the first sender's claim
		return nil
	})
	if err != nil {
		return Message{}, err
	}
	if chatcrypto.CheckSenderName(origin) != nil {
		origin = "Unknown"
	}
	if preview != nil {
		if preview, err = e.send.fitPreview(body, *preview); err != nil {
			preview = nil
		}
	}
	out, err := e.send.sendWith(ctx, to, body, nil, origin, nil, preview)
	if preview != nil && errors.Is(err, ErrTooLong) {
		// The original sender's name took the room the preview had.
		out, err = e.send.sendWith(ctx, to, body, nil, origin, nil, nil)
	}
	if err == nil {
		e.clearDraft(ctx, to, out.SentAt)
	}
	return out, err
}
