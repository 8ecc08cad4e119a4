package chat

import (
	"bytes"
	"context"
	"slices"
	"time"

	"hush/chatcrypto"
	"hush/ids"
	"hush/policy"
	"hush/sync/wire"
	"hush/vault"
)

// Auto-delete in cloud chats (docs/SECURITY.md, "Auto-delete"). A chat's timer is a
// setting its members send into the chat like a pin (content kind 8), applied by
// every device from a member who may set it, the later signed one winning. It
// applies to a message through the message itself: the sender seals the chat's
// timer into each text it writes (chatcrypto.Text.AutoDelete), and every device
// that stores the text keeps its expiry — the earlier of its signed time and the
// relay's, plus its timer — as a vault timer, which the expirer (expiry.go, the
// sweep of secret chats) honours. A text that arrives already expired is never
// stored. So no setting heard before or after a message changes how long it lives.

// AutoDeleteTimes are the auto-delete times a cloud chat offers, the first "off": a
// day, a week and a month (31 days).
var AutoDeleteTimes = []time.Duration{0, 24 * time.Hour, 7 * 24 * time.Hour, 31 * 24 * time.Hour}

// autoDeleteState is a chat's auto-delete setting as applied (chatMeta.AutoDelete).
type autoDeleteState struct {
	_ struct{} `cbor:",toarray"`
	// TTL is the time, in seconds (0: off).
	TTL uint32
	// At is the time of the setting applied (Unix milliseconds): its signed time,
	// capped at the relay's time of receipt plus clockTolerance.
	At int64
	// By is the id of the message that set it (empty before any).
	By []byte
}

// take applies a setting of ttl made at at by message id and reports whether it
// changed the chat's setting: only a setting signed later than the one held does,
// or one signed in the same millisecond with a shorter time (off counting as the
// longest), so every device settles on one setting whatever order they come in.
// The setting held, heard again (its sender's own copy, back from the relay), only
// takes the earlier of its two times.
func (s *autoDeleteState) take(ttl uint32, at int64, id ids.Message) bool {
	switch {
	case bytes.Equal(s.By, id[:]):
		s.At = min(s.At, at)
		return false
	case at < s.At, at == s.At && !shorterTTL(ttl, s.TTL):
		return false
	}
	s.TTL, s.At, s.By = ttl, at, append([]byte(nil), id[:]...)
	return true
}

// shorterTTL reports whether auto-delete time a is shorter than b, 0 (off) being
// the longest.
func shorterTTL(a, b uint32) bool { return a != 0 && (b == 0 || a < b) }

// mayAutoDelete reports whether who may set c's auto-delete time: either member of
// a direct chat; the owner and admins of a group or channel. Secret chats have
// their own timer.
func mayAutoDelete(c *vault.Chat, who ids.Account) bool {
	switch c.Kind {
	case policy.KindDirect:
		return roleOf(c, who) != 0
	case policy.KindGroup, policy.KindChannel:
		return policy.CanManage(c.Kind, roleOf(c, who))
	}
	return false
}

// settingTime is when a setting counts as made: its signed time, but no later than
// the relay's time of receipt plus clockTolerance, so that a forged time in the
// future cannot keep a setting in place; the relay's when it carries none.
func settingTime(signed, relay time.Time) time.Time {
	if signed.IsZero() {
		return relay
	}
	if limit := relay.Add(clockTolerance); signed.After(limit) {
		return limit
	}
	return signed
}

// expiryOf is when a received text with its own auto-delete time goes: the earlier
// of its signed time and the relay's time of receipt, plus that time — neither a
// sender's forged future time nor the relay's later one extends it. The zero time
// when the text has none.
func expiryOf(c chatcrypto.Content, relay time.Time) time.Time {
	if c.Text == nil || c.Text.AutoDelete <= 0 {
		return time.Time{}
	}
	sent := relay
	if !c.SentAt.IsZero() && c.SentAt.Before(relay) {
		sent = c.SentAt
	}
	return sent.Add(c.Text.AutoDelete)
}

// autoDeleteLine is the line a setting of ttl seconds shows.
func autoDeleteLine(ttl uint32) ([]byte, error) {
	return encodeMessageMeta(messageMeta{Service: &serviceLine{Kind: ServiceAutoDelete, Count: uint64(ttl)}})
}

// SetAutoDelete sets a cloud chat's auto-delete time (one of [AutoDeleteTimes]; 0
// turns it off) for the messages sent from now on, on every member's devices:
// either member of a direct chat may, the owner and admins of a group or channel
// ([ErrForbidden] otherwise). Every member's chat shows a line.
func (e *Engine) SetAutoDelete(ctx context.Context, chat ids.Chat, d time.Duration) (Chat, error) {
	if !slices.Contains(AutoDeleteTimes, d) {
		return Chat{}, detailf(ErrInvalid, "an auto-delete time of %v is not offered", d)
	}
	if e.isSecret(ctx, chat) {
		return Chat{}, detailf(ErrInvalid, "a secret chat has its own self-destruct timer")
	}
	return e.send.setAutoDelete(ctx, chat, uint32(d/time.Second))
}

// setAutoDelete applies this account's setting at once, with its line, and queues it
// for the relay in the same transaction; the line's id is the outbox item's.
func (s *sender) setAutoDelete(ctx context.Context, chat ids.Chat, ttl uint32) (Chat, error) {
	now := s.clk.Now()
	var sum Chat
	var q *queued
	var line Message
	err := s.v.Update(ctx, func(tx *vault.Tx) error {
		q = nil
		c, meta, err := chatWithMeta(tx, chat)
		if err != nil {
			return notFound(err, "chat", chat)
		}
		switch {
		case meta.RemovedBy != nil || roleOf(&c, s.meID) == 0:
			return detailf(ErrForbidden, "you are not a member of this chat")
		case meta.Request != requestNone:
			return detailf(ErrForbidden, "accept the request first")
		case meta.Forked:
			return detailf(ErrForbidden, "nothing more is sent in this chat")
		case !mayAutoDelete(&c, s.meID):
			return detailf(ErrForbidden, "only the owner and admins set auto-delete in a %v", c.Kind)
		case meta.AutoDelete.TTL == ttl:
			sum, err = s.list.summary(tx, c)
			return err
		}
		at := max(now.UnixMilli(), meta.AutoDelete.At+1)
		m := vault.Message{ID: ids.NewOrdered[ids.Message](now), ChatID: chat, SenderAccount: s.meID, SenderDevice: s.device,
			SentAt: now, Status: policy.StatusPending}
		meta.AutoDelete.take(ttl, at, m.ID)
		if c.Extra, err = encodeMeta(meta); err != nil {
			return err
		}
		if err := s.chats.update(tx, c); err != nil {
			return err
		}
		if m.Extra, err = autoDeleteLine(ttl); err != nil {
			return err
		}
		if err := tx.InsertMessage(m); err != nil {
			return err
		}
		payload, err := encodeOutbox(outboxPayload{Kind: chatcrypto.KindAutoDelete, TTL: ttl, At: at})
		if err != nil {
			return err
		}
		q = &queued{item: vault.OutboxItem{ID: m.ID, ChatID: chat, Payload: payload}, msg: &m}
		if err := tx.Enqueue(q.item); err != nil {
			return err
		}
		names := nameCache{}
		line = s.list.message(tx, m, &meta, names)
		sum, err = s.list.summaryWith(tx, c, &m, names)
		return err
	})
	if err != nil {
		return Chat{}, err
	}
	if q != nil {
		s.handoff.push(*q)
		s.obs.MessageNew(line)
	}
	s.obs.ChatUpdated(sum)
	return sum, nil
}

// shareAutoDelete sends a chat's auto-delete setting again, with the time it was
// made, for members added since: they hold no key of the epoch it was sent in. The
// others see a repeat and change nothing.
func (s *sender) shareAutoDelete(ctx context.Context, chat ids.Chat) error {
	err := s.v.Update(ctx, func(tx *vault.Tx) error {
		_, meta, err := chatWithMeta(tx, chat)
		if err != nil || meta.AutoDelete.TTL == 0 {
			return err
		}
		payload, err := encodeOutbox(outboxPayload{Kind: chatcrypto.KindAutoDelete, TTL: meta.AutoDelete.TTL, At: meta.AutoDelete.At})
		if err != nil {
			return err
		}
		return tx.Enqueue(vault.OutboxItem{ID: ids.NewOrdered[ids.Message](s.clk.Now()), ChatID: chat, Payload: payload})
	})
	s.kick()
	return err
}

// autoDeleteContent is what an auto-delete item of the outbox seals.
func autoDeleteContent(p outboxPayload) chatcrypto.Content {
	return chatcrypto.Content{Kind: chatcrypto.KindAutoDelete, SentAt: time.UnixMilli(p.At).UTC(),
		AutoDelete: &chatcrypto.AutoDelete{TTL: time.Duration(p.TTL) * time.Second}}
}

// autoDelete applies an authentic auto-delete setting received in c: refused from a
// member who may not set it, ignored when older than the one held, else applied
// with its line (stored like a message, so a copy heard again changes nothing).
func (r *receiver) autoDelete(tx *vault.Tx, c *vault.Chat, meta *chatMeta, en *wire.Entry, content chatcrypto.Content, names nameCache, out *batch) (WarningKind, error) {
	if !mayAutoDelete(c, en.SenderAccount) && !r.checks.anyAutoDelete {
		r.log.Info("auto-delete setting refused", "chat", c.ID.String(), "seq", en.Seq)
		return WarnAutoDeleteNotAllowed, nil
	}
	relay := wire.Time(en.ServerTime)
	ttl := uint32(content.AutoDelete.TTL / time.Second)
	own := bytes.Equal(meta.AutoDelete.By, en.MsgID[:]) // this device's own, back from the relay
	if !meta.AutoDelete.take(ttl, settingTime(content.SentAt, relay).UnixMilli(), en.MsgID) && !own {
		return 0, nil
	}
	m := vault.Message{ID: en.MsgID, ChatID: c.ID, Seq: int64(en.Seq), SenderAccount: en.SenderAccount,
		SenderDevice: en.SenderDevice, Status: policy.StatusSent}
	m.SentAt, _ = sentAt(content.SentAt, relay)
	var err error
	if m.Extra, err = autoDeleteLine(ttl); err != nil {
		return 0, err
	}
	return r.store(tx, c, meta, en, m, nil, "", names, out)
}
