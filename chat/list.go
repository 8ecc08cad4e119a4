package chat

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"hush/ids"
	"hush/policy"
	"hush/vault"
)

// The chat list and each chat's history, as the UI reads them: the vault is the
// source of truth, and every part that changes a chat reports it through the same
// summary built here. It has no state of its own.
type chatList struct {
	v     *vault.Vault
	chats *chatStore
	dir   *directory
	meID  ids.Account
	obs   Observer
	log   *slog.Logger
	// receipts says whether the others' read positions show (receipts.go).
	receipts *receiptSwitch
	// attachDir is where attachment files are (Config.AttachmentsDir).
	attachDir string
}

// Sizes of what the list shows.
const (
	// maxPreviewRunes is the length of the last-message preview in the chat list.
	maxPreviewRunes = 100
	// defaultPageSize and maxPageSize bound Messages.
	defaultPageSize = 50
	maxPageSize     = 200
)

// statusOf derives a message's state: own relayed messages are delivered or read
// once another member's position passed them — read only where reads is set (this
// account shows the others' read positions only while it shares its own, and in
// secret chats: receipts.go).
func statusOf(m vault.Message, meta chatMeta, me ids.Account, reads bool) policy.Status {
	switch {
	case m.Status == policy.StatusFailed:
		return policy.StatusFailed
	case m.Seq == 0:
		return policy.StatusPending
	case m.SenderAccount != me:
		if uint64(m.Seq) <= meta.MyRead {
			return policy.StatusRead
		}
		return policy.StatusDelivered
	case reads && uint64(m.Seq) <= meta.PeerRead:
		return policy.StatusRead
	case uint64(m.Seq) <= max(meta.PeerDelivered, meta.PeerRead):
		return policy.StatusDelivered
	}
	return policy.StatusSent
}

// message describes a stored message of a cloud chat.
func (l *chatList) message(tx *vault.Tx, m vault.Message, meta *chatMeta, names nameCache) Message {
	return l.describe(tx, m, meta, names, l.receipts.on())
}

// secretMessage describes a stored message of a secret chat, whose read receipts
// always show.
func (l *chatList) secretMessage(tx *vault.Tx, m vault.Message, meta *chatMeta, names nameCache) Message {
	return l.describe(tx, m, meta, names, true)
}

// describe describes a stored message; reads says whether the others' read
// positions show in its status.
func (l *chatList) describe(tx *vault.Tx, m vault.Message, meta *chatMeta, names nameCache, reads bool) Message {
	em := metaOf(m)
	out := Message{
		ID:          m.ID,
		Chat:        m.ChatID,
		Sender:      m.SenderAccount,
		SenderName:  l.dir.nameOf(tx, m.SenderAccount, names),
		Outgoing:    m.SenderAccount == l.meID,
		Body:        m.Body,
		Placeholder: em.Placeholder,
		SentAt:      m.SentAt,
		Seq:         m.Seq,
		Status:      statusOf(m, *meta, l.meID, reads),
		ClockOff:    em.ClockOff,
		TTL:         time.Duration(em.TTL) * time.Second,
	}
	if em.ExpiresAt != 0 {
		out.ExpiresAt = time.UnixMilli(em.ExpiresAt)
	}
	if m.ReplyTo != nil {
		out.ReplyTo = *m.ReplyTo
	}
	out.Edited = m.EditedAt
	if a := em.Acts; a != nil {
		out.Pinned, out.ForwardedFrom = a.Pinned, a.Forwarded
		out.Reactions = reactionsOf(a, l.meID, func(id ids.Account) string { return l.dir.nameOf(tx, id, names) })
	}
	out.Preview = em.Preview.shownWith(m.Body)
	if em.Files > 0 && em.Service == nil {
		as, err := tx.AttachmentsOf(m.ID)
		if err != nil {
			l.log.Warn("read a message's attachments", "err", err)
		}
		out.Files = attachmentsView(as, l.attachDir)
	}
	if line := em.Service; line != nil {
		// Outgoing stays: the UI words a line this account wrote as "You …".
		out.Status = policy.StatusSent
		out.Service = &Service{
			Kind: line.Kind, Role: line.Role, Title: line.Title, Count: int(line.Count),
			By: Person{Account: m.SenderAccount, Name: out.SenderName, IsMe: out.Outgoing},
		}
		for _, t := range line.Targets {
			a := ids.Account(t)
			out.Service.Targets = append(out.Service.Targets, Person{Account: a, Name: l.dir.nameOf(tx, a, names), IsMe: a == l.meID})
		}
	}
	return out
}

// byID reads stored messages of one chat by id and describes them.
func (l *chatList) byID(tx *vault.Tx, msgs []ids.Message, meta *chatMeta) ([]Message, error) {
	names := nameCache{}
	out := make([]Message, 0, len(msgs))
	for _, id := range msgs {
		m, err := tx.Message(id)
		if err != nil {
			return nil, err
		}
		out = append(out, l.message(tx, m, meta, names))
	}
	return out, nil
}

// hold says what keeps c from taking messages as usual, by its state.
func (l *chatList) hold(tx *vault.Tx, c *vault.Chat, meta *chatMeta) (Hold, error) {
	switch {
	case meta.Forked:
		return HoldTampered, nil
	case meta.RemovedBy != nil:
		return HoldRemoved, nil
	case meta.Unavailable:
		return HoldUnavailable, nil
	case meta.Request == requestPending:
		return HoldRequest, nil
	case c.Kind == policy.KindSecret:
		return HoldNone, nil // its keys are the session's, not epochs
	case meta.LogLen == 0 && c.Kind.Cloud():
		return HoldNotSecured, nil
	case roleOf(c, l.meID) == 0:
		return HoldNone, nil
	}
	latest, err := tx.LatestEpoch(c.ID)
	switch {
	case errors.Is(err, vault.ErrNotFound):
		return HoldNewKey, nil
	case err != nil:
		return HoldNone, err
	case meta.KeyLogLen < meta.Removal || meta.Epoch > latest:
		return HoldNewKey, nil
	}
	return HoldNone, nil
}

// summary builds the chat list row of c.
func (l *chatList) summary(tx *vault.Tx, c vault.Chat) (Chat, error) {
	return l.summaryWith(tx, c, nil, nameCache{})
}

// summaryWith builds the chat list row of c; last, when given, is its newest message,
// which saves looking it up, and names holds the names the transaction looked up.
func (l *chatList) summaryWith(tx *vault.Tx, c vault.Chat, last *vault.Message, names nameCache) (Chat, error) {
	role := roleOf(&c, l.meID)
	s := Chat{
		ID:          c.ID,
		Kind:        c.Kind,
		Title:       c.Title,
		Unread:      c.Unread,
		Pinned:      c.Pinned,
		MyRole:      role,
		CanPost:     policy.CanPost(c.Kind, role),
		MemberCount: len(c.Members),
	}
	meta, err := decodeMeta(c.Extra)
	if err != nil {
		return Chat{}, err
	}
	s.Archived, s.Muted, s.Draft = meta.Shelf.Archived, meta.Shelf.Muted, meta.Shelf.Draft
	if c.Kind.Cloud() {
		s.AutoDelete = time.Duration(meta.AutoDelete.TTL) * time.Second
		s.CanSetAutoDelete = mayAutoDelete(&c, l.meID) && meta.RemovedBy == nil && meta.Request == requestNone && !meta.Forked
	}
	if s.Hold, err = l.hold(tx, &c, &meta); err != nil {
		return Chat{}, err
	}
	if meta.RemovedBy != nil {
		s.RemovedBy = ids.Account(meta.RemovedBy)
		s.RemovedByName = l.dir.nameOf(tx, s.RemovedBy, names)
	}
	if s.Hold == HoldRequest && len(meta.RequestBy) == ids.Size {
		s.RequestBy = ids.Account(meta.RequestBy)
		s.RequestByName = l.dir.nameOf(tx, s.RequestBy, names)
	}
	if c.Kind == policy.KindSecret {
		if err := l.secretSummary(tx, c.ID, &s); err != nil {
			return Chat{}, err
		}
	}
	if c.Kind == policy.KindDirect || c.Kind == policy.KindSecret {
		for _, m := range c.Members {
			if m.AccountID != l.meID {
				s.Peer = m.AccountID
				s.Title = l.dir.nameOf(tx, m.AccountID, names)
			}
		}
	}
	if last == nil {
		page, _, err := tx.Messages(c.ID, vault.PageCursor{}, 1)
		if err != nil {
			return Chat{}, err
		}
		if len(page) == 1 {
			last = &page[0]
		}
	}
	if last != nil {
		lm := l.message(tx, *last, &meta, names)
		s.LastMessage = preview(last.Body)
		s.LastPlaceholder = lm.Placeholder
		s.LastMessageAt = last.SentAt
		s.LastService = lm.Service
		if lm.Placeholder == AttachmentOnly && len(lm.Files) > 0 {
			s.LastMessage = preview(fileNames(lm.Files))
		}
	} else {
		s.LastMessageAt = c.LastActivity
	}
	return s, nil
}

// secretSummary fills what the row of a secret chat says about it: the device it
// is with and its self-destruct time.
func (l *chatList) secretSummary(tx *vault.Tx, id ids.Chat, s *Chat) error {
	b, err := tx.Setting(secretStateSetting(id))
	if errors.Is(err, vault.ErrNotFound) {
		return nil // being wiped
	}
	if err != nil {
		return err
	}
	st, err := decodeSecretState(b)
	if err != nil {
		return err
	}
	s.SecretDevice = st.PeerDevice
	s.SecretTimer = time.Duration(st.Timer) * time.Second
	if list, _, held, err := heldList(tx, st.PeerAccount); err == nil && held {
		if d, ok := list.Device(st.PeerDevice); ok {
			s.SecretDeviceName = d.Name
		}
	}
	return nil
}

// preview is a message's text on one line, cut to maxPreviewRunes.
func preview(body string) string {
	body = strings.Join(strings.Fields(body), " ")
	if utf8.RuneCountInString(body) <= maxPreviewRunes {
		return body
	}
	r := []rune(body)
	return string(r[:maxPreviewRunes-1]) + "…"
}

// list returns the chat list: pinned chats first, then by latest activity.
func (l *chatList) list(ctx context.Context) ([]Chat, error) {
	var out []Chat
	err := l.v.View(ctx, func(tx *vault.Tx) error {
		chats, err := tx.Chats()
		if err != nil {
			return err
		}
		out = make([]Chat, 0, len(chats))
		for _, c := range chats {
			if !c.Kind.Cloud() || declined(c) {
				continue
			}
			s, err := l.summary(tx, c)
			if err != nil {
				return err
			}
			out = append(out, s)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list chats: %w", err)
	}
	return out, nil
}

// declined reports whether the user declined the chat: it is not listed.
func declined(c vault.Chat) bool {
	meta, err := decodeMeta(c.Extra)
	return err == nil && meta.Request == requestDeclined
}

// get returns one chat's list row.
func (l *chatList) get(ctx context.Context, id ids.Chat) (Chat, error) {
	var s Chat
	err := l.v.View(ctx, func(tx *vault.Tx) error {
		c, err := tx.Chat(id)
		if err != nil {
			return err
		}
		s, err = l.summary(tx, c)
		return err
	})
	return s, notFound(err, "chat", id)
}

// setPinned pins or unpins a chat in the list.
func (l *chatList) setPinned(ctx context.Context, id ids.Chat, pinned bool) (Chat, error) {
	var s Chat
	err := l.v.Update(ctx, func(tx *vault.Tx) error {
		c, err := tx.Chat(id)
		if err != nil {
			return err
		}
		c.Pinned = pinned
		if err := l.chats.update(tx, c); err != nil {
			return err
		}
		s, err = l.summary(tx, c)
		return err
	})
	if err != nil {
		return Chat{}, notFound(err, "chat", id)
	}
	l.obs.ChatUpdated(s)
	return s, nil
}

// shelve changes how the user keeps a chat (archived, muted, its draft) and
// reports whether anything changed.
func (l *chatList) shelve(ctx context.Context, id ids.Chat, change func(*chatShelf) bool) (Chat, bool, error) {
	var s Chat
	changed := false
	err := l.v.Update(ctx, func(tx *vault.Tx) error {
		c, meta, err := chatWithMeta(tx, id)
		if err != nil {
			return err
		}
		if changed = change(&meta.Shelf); changed {
			if c.Extra, err = encodeMeta(meta); err != nil {
				return err
			}
			if err := l.chats.update(tx, c); err != nil {
				return err
			}
		}
		s, err = l.summary(tx, c)
		return err
	})
	if err != nil {
		return Chat{}, false, notFound(err, "chat", id)
	}
	if changed {
		l.obs.ChatUpdated(s)
	}
	return s, changed, nil
}

// messages returns a page of a chat's messages, newest first. before is "" for the
// newest page, or the NextBefore of the previous page: the vault's page cursor as
// text, so paging keeps no state here and survives a lock.
func (l *chatList) messages(ctx context.Context, id ids.Chat, before string, limit int) (MessagePage, error) {
	if limit <= 0 {
		limit = defaultPageSize
	}
	limit = min(limit, maxPageSize)
	var cur vault.PageCursor
	if err := cur.UnmarshalText([]byte(before)); err != nil {
		return MessagePage{}, &detailError{sentinel: ErrInvalid, detail: "malformed page position; start again from the newest", cause: err}
	}
	var page MessagePage
	var next vault.PageCursor
	err := l.v.View(ctx, func(tx *vault.Tx) error {
		c, meta, err := chatWithMeta(tx, id)
		if err != nil {
			return err
		}
		var msgs []vault.Message
		msgs, next, err = tx.Messages(id, cur, limit)
		if err != nil {
			return err
		}
		names := nameCache{}
		reads := c.Kind == policy.KindSecret || l.receipts.on()
		page.Messages = make([]Message, 0, len(msgs))
		for _, m := range msgs {
			page.Messages = append(page.Messages, l.describe(tx, m, &meta, names, reads))
		}
		return nil
	})
	if err != nil {
		return MessagePage{}, notFound(err, "chat", id)
	}
	if len(page.Messages) == limit {
		text, err := next.MarshalText()
		if err != nil {
			return MessagePage{}, fmt.Errorf("messages of %s: %w", id, err)
		}
		page.NextBefore = string(text)
	}
	return page, nil
}

// emitRetitled tells the UI of the direct chats a contact's rename retitled, except
// chat done, whose row the caller reports anyway.
func (l *chatList) emitRetitled(ctx context.Context, chats []ids.Chat, done ids.Chat) {
	for _, id := range chats {
		if id == done {
			continue
		}
		s, err := l.get(ctx, id)
		if err != nil {
			l.log.Warn("summary of a renamed contact's chat", "chat", id.String(), "err", err)
			continue
		}
		l.obs.ChatUpdated(s)
	}
}

// reportStatuses tells the UI the state of this account's messages with sequence
// numbers in (lo, hi], looking at most maxStatusScan messages back from the newest:
// whatever moved the positions (a receipt, the relay's chat description after a
// reconnect) reports the messages it changed, so no tick is left behind.
func (l *chatList) reportStatuses(ctx context.Context, id ids.Chat, lo, hi uint64, meta chatMeta) {
	var events []StatusChange
	err := l.v.View(ctx, func(tx *vault.Tx) error {
		var cur vault.PageCursor
		for scanned := 0; scanned < maxStatusScan; {
			page, next, err := tx.Messages(id, cur, 200)
			if err != nil {
				return err
			}
			for _, m := range page {
				if m.Seq == 0 {
					continue
				}
				if uint64(m.Seq) <= lo {
					return nil
				}
				if m.SenderAccount == l.meID && uint64(m.Seq) <= hi {
					events = append(events, StatusChange{Chat: id, Message: m.ID, Status: statusOf(m, meta, l.meID, l.receipts.on()), Seq: m.Seq})
				}
			}
			scanned += len(page)
			if len(page) < 200 {
				return nil
			}
			cur = next
		}
		return nil
	})
	if err != nil {
		l.log.Warn("message states", "chat", id.String(), "err", err)
		return
	}
	for i := len(events) - 1; i >= 0; i-- {
		l.obs.MessageStatus(events[i])
	}
}
