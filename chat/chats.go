package chat

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"hush/chatcrypto"
	"hush/ids"
	"hush/policy"
	"hush/sync/wire"
	"hush/vault"
)

// directChatLabel derives the id of the 1:1 chat of two accounts, so both sides
// open the same chat instead of racing to create two.
const directChatLabel = "hush/v1/direct-chat-id"

// Message sizes.
const (
	// maxPreviewRunes is the length of the last-message preview in the chat list.
	maxPreviewRunes = 100
	// maxSealedContent keeps a message in the 16 KiB padding bucket, the largest
	// whose sealed form fits the relay's ciphertext limit (64 KiB).
	maxSealedContent = 16<<10 - 1
	// defaultPageSize and maxPageSize bound Messages.
	defaultPageSize = 50
	maxPageSize     = 200
)

func directChatID(a, b ids.Account) ids.Chat {
	if bytes.Compare(a[:], b[:]) > 0 {
		a, b = b, a
	}
	h := sha256.New()
	h.Write([]byte(directChatLabel))
	h.Write(a[:])
	h.Write(b[:])
	var id ids.Chat
	copy(id[:], h.Sum(nil))
	return id
}

// statusOf derives a message's state: own relayed messages are delivered or read
// once another member's position passed them.
func statusOf(m vault.Message, meta chatMeta, me ids.Account) policy.Status {
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
	case uint64(m.Seq) <= meta.PeerRead:
		return policy.StatusRead
	case uint64(m.Seq) <= meta.PeerDelivered:
		return policy.StatusDelivered
	}
	return policy.StatusSent
}

// nameOf returns an account's display name, "" when unknown.
func (e *Engine) nameOf(tx *vault.Tx, id ids.Account, cache nameCache) string {
	if id == e.meID {
		return e.name
	}
	if n, ok := cache[id]; ok {
		return n
	}
	n := ""
	if c, err := tx.Contact(id); err == nil {
		n = toContact(c).DisplayName
	}
	cache[id] = n
	return n
}

func (e *Engine) toMessage(tx *vault.Tx, m vault.Message, meta *chatMeta, names nameCache) Message {
	out := Message{
		ID:          m.ID,
		Chat:        m.ChatID,
		Sender:      m.SenderAccount,
		SenderName:  e.nameOf(tx, m.SenderAccount, names),
		Outgoing:    m.SenderAccount == e.meID,
		Body:        m.Body,
		Placeholder: placeholderOf(m),
		SentAt:      m.SentAt,
		Seq:         m.Seq,
		Status:      statusOf(m, *meta, e.meID),
	}
	if m.ReplyTo != nil {
		out.ReplyTo = *m.ReplyTo
	}
	return out
}

// summary builds the chat list row of c.
func (e *Engine) summary(tx *vault.Tx, c vault.Chat) (Chat, error) {
	return e.summaryWith(tx, c, nil, nameCache{})
}

// summaryWith builds the chat list row of c; last, when given, is its newest message,
// which saves looking it up, and names holds the names the transaction looked up.
func (e *Engine) summaryWith(tx *vault.Tx, c vault.Chat, last *vault.Message, names nameCache) (Chat, error) {
	role := roleOf(&c, e.meID)
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
	if c.Kind == policy.KindDirect {
		for _, m := range c.Members {
			if m.AccountID != e.meID {
				s.Peer = m.AccountID
				s.Title = e.nameOf(tx, m.AccountID, names)
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
		s.LastMessage = preview(last.Body)
		s.LastPlaceholder = placeholderOf(*last)
		s.LastMessageAt = last.SentAt
	} else {
		s.LastMessageAt = c.LastActivity
	}
	return s, nil
}

func preview(body string) string {
	body = strings.Join(strings.Fields(body), " ")
	if utf8.RuneCountInString(body) <= maxPreviewRunes {
		return body
	}
	r := []rune(body)
	return string(r[:maxPreviewRunes-1]) + "…"
}

// List returns the chat list: pinned chats first, then by latest activity.
func (e *Engine) List(ctx context.Context) ([]Chat, error) {
	var out []Chat
	err := e.v.View(ctx, func(tx *vault.Tx) error {
		chats, err := tx.Chats()
		if err != nil {
			return err
		}
		out = make([]Chat, 0, len(chats))
		for _, c := range chats {
			if c.Kind == policy.KindSecret {
				continue
			}
			s, err := e.summary(tx, c)
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

// Summary returns one chat's list row.
func (e *Engine) Summary(ctx context.Context, id ids.Chat) (Chat, error) {
	var s Chat
	err := e.v.View(ctx, func(tx *vault.Tx) error {
		c, err := tx.Chat(id)
		if err != nil {
			return err
		}
		s, err = e.summary(tx, c)
		return err
	})
	return s, notFound(err, "chat", id)
}

func notFound(err error, what string, id fmt.Stringer) error {
	if errors.Is(err, vault.ErrNotFound) {
		return detailf(ErrNotFound, "%s %s", what, id)
	}
	return err
}

// OpenDirect returns the 1:1 chat with account, creating it at the relay if needed.
func (e *Engine) OpenDirect(ctx context.Context, account ids.Account) (Chat, error) {
	if account == e.meID {
		return Chat{}, detailf(ErrInvalid, "a chat with yourself")
	}
	if id := e.directChatWith(ctx, account); !id.IsZero() {
		return e.Summary(ctx, id)
	}
	if _, err := e.pinAccount(ctx, account); err != nil {
		return Chat{}, err
	}
	id := directChatID(e.meID, account)
	create := &wire.CreateChat{ChatID: ids.Chat(id), Kind: policy.KindDirect, Members: []wire.Member{{AccountID: ids.Account(account), Role: policy.RoleMember}}}
	info, err := doAs[*wire.ChatInfo](ctx, e, create)
	if errors.Is(err, wire.ErrConflict) {
		// The other side created it first, or someone squats the id.
		info, err = doAs[*wire.ChatInfo](ctx, e, &wire.GetChat{ChatID: ids.Chat(id)})
		if err != nil || !isDirectPair(info, e.meID, account) {
			create.ChatID = ids.New[ids.Chat]()
			info, err = doAs[*wire.ChatInfo](ctx, e, create)
		}
	}
	if err != nil {
		return Chat{}, err
	}
	return e.adopt(ctx, *info)
}

func isDirectPair(info *wire.ChatInfo, a, b ids.Account) bool {
	if info == nil || info.Kind != policy.KindDirect || len(info.Members) != 2 {
		return false
	}
	seen := 0
	for _, m := range info.Members {
		if id := m.AccountID; id == a || id == b {
			seen++
		}
	}
	return seen == 2
}

// adopt stores a chat just created or joined and gives it its first epoch.
func (e *Engine) adopt(ctx context.Context, info wire.ChatInfo) (Chat, error) {
	id := info.ChatID
	present, err := e.applyChatInfo(ctx, info)
	if err != nil {
		return Chat{}, err
	}
	if !present {
		return Chat{}, detailf(ErrNotFound, "chat %s", id)
	}
	if err := e.fetchEpochs(ctx, id); err != nil {
		return Chat{}, err
	}
	e.rotateIfDue(ctx, id, true)
	if err := e.fetchMessages(ctx, id); err != nil {
		e.log.Info("messages of a new chat", "chat", id.String(), "err", err)
	}
	return e.Summary(ctx, id)
}

// CreateGroup creates a group with this account as owner and the given members.
func (e *Engine) CreateGroup(ctx context.Context, title string, members []ids.Account) (Chat, error) {
	return e.create(ctx, policy.KindGroup, title, members)
}

// CreateChannel creates a channel: this account (owner) posts, subscribers read.
func (e *Engine) CreateChannel(ctx context.Context, title string, subscribers []ids.Account) (Chat, error) {
	return e.create(ctx, policy.KindChannel, title, subscribers)
}

// validTitle applies e2e's rules for titles (one line of text, at most
// chatcrypto.MaxTitleBytes), so a title accepted here can always be sent, and a received
// one is held to the same rules.
func validTitle(t string) error {
	if strings.TrimSpace(t) == "" {
		return detailf(ErrInvalid, "enter a title")
	}
	_, err := chatcrypto.EncodeContent(chatcrypto.Content{Kind: chatcrypto.KindChatMeta, ChatMeta: &chatcrypto.ChatMeta{Title: t}})
	switch {
	case errors.Is(err, chatcrypto.ErrTooLarge):
		return detailf(ErrTooLong, "titles have at most %d bytes", maxTitleBytes)
	case err != nil:
		return detailf(ErrInvalid, "the title must be one line of text")
	}
	return nil
}

func (e *Engine) create(ctx context.Context, kind policy.ChatKind, title string, members []ids.Account) (Chat, error) {
	title = strings.TrimSpace(title)
	if err := validTitle(title); err != nil {
		return Chat{}, err
	}
	list, err := e.memberList(members, policy.RoleMember)
	if err != nil {
		return Chat{}, err
	}
	for _, m := range list {
		if _, err := e.pinAccount(ctx, m.AccountID); err != nil {
			return Chat{}, err
		}
	}
	id := ids.New[ids.Chat]()
	info, err := doAs[*wire.ChatInfo](ctx, e, &wire.CreateChat{ChatID: ids.Chat(id), Kind: kind, Members: list})
	if err != nil {
		return Chat{}, err
	}
	if err := e.setTitle(ctx, id, title, *info); err != nil {
		return Chat{}, err
	}
	return e.adopt(ctx, *info)
}

// memberList checks account ids for a membership request.
func (e *Engine) memberList(accounts []ids.Account, role policy.Role) ([]wire.Member, error) {
	if len(accounts) >= wire.MaxChatMembers {
		return nil, detailf(ErrTooLong, "at most %d members", wire.MaxChatMembers-1)
	}
	seen := map[ids.Account]bool{}
	out := make([]wire.Member, 0, len(accounts))
	for _, id := range accounts {
		if id.IsZero() || id == e.meID || seen[id] {
			continue
		}
		seen[id] = true
		out = append(out, wire.Member{AccountID: ids.Account(id), Role: role})
	}
	return out, nil
}

// setTitle stores the chat with its title and queues the message that tells the
// members.
func (e *Engine) setTitle(ctx context.Context, id ids.Chat, title string, info wire.ChatInfo) error {
	if _, err := e.applyChatInfo(ctx, info); err != nil {
		return err
	}
	payload, err := encodeOutbox(outboxPayload{Kind: outboxTitle, Title: title})
	if err != nil {
		return err
	}
	item := ids.New[ids.Message]()
	err = e.v.Update(ctx, func(tx *vault.Tx) error {
		c, err := tx.Chat(id)
		if err != nil {
			return err
		}
		c.Title = title
		if err := e.updateChat(tx, c); err != nil {
			return err
		}
		return tx.Enqueue(vault.OutboxItem{ID: item, ChatID: id, Payload: payload})
	})
	if err != nil {
		return fmt.Errorf("store title: %w", err)
	}
	e.kick(e.kickFlush)
	return nil
}

// Members returns a chat's members.
func (e *Engine) Members(ctx context.Context, id ids.Chat) ([]Member, error) {
	var out []Member
	err := e.v.View(ctx, func(tx *vault.Tx) error {
		c, err := tx.Chat(id)
		if err != nil {
			return err
		}
		names := nameCache{}
		out = make([]Member, 0, len(c.Members))
		for _, m := range c.Members {
			mm := Member{Account: m.AccountID, Role: m.Role, IsMe: m.AccountID == e.meID, DisplayName: e.nameOf(tx, m.AccountID, names)}
			if mm.IsMe {
				e.mu.Lock()
				mm.Handle = e.handle
				e.mu.Unlock()
			} else if ct, err := tx.Contact(m.AccountID); err == nil {
				mm.Handle = ct.Handle
			}
			out = append(out, mm)
		}
		return nil
	})
	return out, notFound(err, "chat", id)
}

// chatRole returns the chat's kind and this account's role in it.
func (e *Engine) chatRole(ctx context.Context, id ids.Chat) (policy.ChatKind, policy.Role, error) {
	var kind policy.ChatKind
	var role policy.Role
	err := e.v.View(ctx, func(tx *vault.Tx) error {
		c, err := tx.Chat(id)
		if err != nil {
			return err
		}
		kind, role = c.Kind, roleOf(&c, e.meID)
		return nil
	})
	return kind, role, notFound(err, "chat", id)
}

// updateMembers sends a membership change and stores the result.
func (e *Engine) updateMembers(ctx context.Context, id ids.Chat, u *wire.UpdateMembers) (*wire.ChatInfo, error) {
	kind, _, err := e.chatRole(ctx, id)
	if err != nil {
		return nil, err
	}
	if kind == policy.KindDirect {
		return nil, detailf(ErrForbidden, "the members of a 1:1 chat cannot change")
	}
	u.ChatID = ids.Chat(id)
	info, err := doAs[*wire.ChatInfo](ctx, e, u)
	if errors.Is(err, wire.ErrForbidden) {
		return nil, fmt.Errorf("%w: %w", ErrForbidden, err)
	}
	if err != nil {
		return nil, err
	}
	if _, err := e.applyChatInfo(ctx, *info); err != nil {
		return nil, err
	}
	return info, nil
}

// AddMembers adds accounts to a group or channel. The chat key rotates so the new
// members can read what follows (not what came before), and they are told the title.
func (e *Engine) AddMembers(ctx context.Context, id ids.Chat, accounts []ids.Account) ([]Member, error) {
	list, err := e.memberList(accounts, policy.RoleMember)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return e.Members(ctx, id)
	}
	for _, m := range list {
		if _, err := e.pinAccount(ctx, m.AccountID); err != nil {
			return nil, err
		}
	}
	info, err := e.updateMembers(ctx, id, &wire.UpdateMembers{Add: list})
	if err != nil {
		return nil, err
	}
	if err := e.requireEpoch(ctx, id, info.Epoch+1); err != nil {
		return nil, err
	}
	if err := e.rotate(ctx, id); err != nil {
		e.log.Info("rotate after adding members", "chat", id.String(), "err", err)
	}
	var title string
	if err := e.v.View(ctx, func(tx *vault.Tx) error {
		c, err := tx.Chat(id)
		title = c.Title
		return err
	}); err != nil {
		return nil, err
	}
	if title != "" {
		if err := e.setTitle(ctx, id, title, *info); err != nil {
			return nil, err
		}
	}
	return e.Members(ctx, id)
}

// requireEpoch notes that the next message must use at least epoch.
func (e *Engine) requireEpoch(ctx context.Context, id ids.Chat, epoch uint64) error {
	return e.v.Update(ctx, func(tx *vault.Tx) error {
		c, meta, err := chatWithMeta(tx, id)
		if err != nil {
			return err
		}
		meta.NeedEpoch = max(meta.NeedEpoch, epoch)
		if c.Extra, err = encodeMeta(meta); err != nil {
			return err
		}
		return e.updateChat(tx, c)
	})
}

// RemoveMember removes an account and rotates the chat key to leave it out.
func (e *Engine) RemoveMember(ctx context.Context, id ids.Chat, account ids.Account) ([]Member, error) {
	if account == e.meID {
		return nil, detailf(ErrInvalid, "use Leave to leave a chat")
	}
	if _, err := e.updateMembers(ctx, id, &wire.UpdateMembers{Remove: []ids.Account{ids.Account(account)}}); err != nil {
		return nil, err
	}
	if err := e.rotate(ctx, id); err != nil {
		// The removal stands; the next send (or another admin) rotates.
		e.log.Warn("rotate after removal", "chat", id.String(), "err", err)
	}
	return e.Members(ctx, id)
}

// SetRole changes a member's role (owner only; there is one owner).
func (e *Engine) SetRole(ctx context.Context, id ids.Chat, account ids.Account, role policy.Role) ([]Member, error) {
	switch role {
	case policy.RoleAdmin, policy.RoleMember:
	case policy.RoleOwner:
		return nil, detailf(ErrForbidden, "a chat has one owner")
	default:
		return nil, detailf(ErrInvalid, "unknown role %v", role)
	}
	if _, err := e.updateMembers(ctx, id, &wire.UpdateMembers{Add: []wire.Member{{AccountID: account, Role: role}}}); err != nil {
		return nil, err
	}
	return e.Members(ctx, id)
}

// Leave leaves a group or channel and deletes it on this device. The remaining
// admins rotate the key.
func (e *Engine) Leave(ctx context.Context, id ids.Chat) error {
	if _, err := e.updateMembers(ctx, id, &wire.UpdateMembers{Remove: []ids.Account{ids.Account(e.meID)}}); err != nil {
		return err
	}
	e.removeLocal(ctx, id)
	return nil
}

// SetPinned pins or unpins a chat in the list.
func (e *Engine) SetPinned(ctx context.Context, id ids.Chat, pinned bool) (Chat, error) {
	var s Chat
	err := e.v.Update(ctx, func(tx *vault.Tx) error {
		c, err := tx.Chat(id)
		if err != nil {
			return err
		}
		c.Pinned = pinned
		if err := e.updateChat(tx, c); err != nil {
			return err
		}
		s, err = e.summary(tx, c)
		return err
	})
	if err != nil {
		return Chat{}, notFound(err, "chat", id)
	}
	e.obs.ChatUpdated(s)
	return s, nil
}

// MarkRead marks everything received in a chat as read, here and at the relay.
func (e *Engine) MarkRead(ctx context.Context, id ids.Chat) error {
	var s Chat
	err := e.v.Update(ctx, func(tx *vault.Tx) error {
		c, meta, err := chatWithMeta(tx, id)
		if err != nil {
			return err
		}
		cur, err := tx.Cursor(scope(id))
		if err != nil {
			return err
		}
		meta.MyRead = max(meta.MyRead, uint64(cur))
		meta.MyDelivered = max(meta.MyDelivered, meta.MyRead)
		c.Unread = 0
		if c.Extra, err = encodeMeta(meta); err != nil {
			return err
		}
		if err := e.updateChat(tx, c); err != nil {
			return err
		}
		s, err = e.summary(tx, c)
		return err
	})
	if err != nil {
		return notFound(err, "chat", id)
	}
	e.queueMark(id)
	e.obs.ChatUpdated(s)
	return nil
}

// Messages returns a page of a chat's messages, newest first. before is "" for the
// newest page, or the NextBefore of the previous page: the vault's page cursor as
// text, so paging keeps no state here and survives a lock.
func (e *Engine) Messages(ctx context.Context, id ids.Chat, before string, limit int) (MessagePage, error) {
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
	err := e.v.View(ctx, func(tx *vault.Tx) error {
		_, meta, err := chatWithMeta(tx, id)
		if err != nil {
			return err
		}
		var msgs []vault.Message
		msgs, next, err = tx.Messages(id, cur, limit)
		if err != nil {
			return err
		}
		names := nameCache{}
		page.Messages = make([]Message, 0, len(msgs))
		for _, m := range msgs {
			page.Messages = append(page.Messages, e.toMessage(tx, m, &meta, names))
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

// checkBody applies the limits of a message text, sent with the display name
// name, before anything is stored.
func checkBody(body, name string) error {
	switch {
	case strings.TrimSpace(body) == "":
		return detailf(ErrInvalid, "the message is empty")
	case !utf8.ValidString(body):
		return detailf(ErrInvalid, "the message is not valid text")
	case len(body) > chatcrypto.MaxBodyBytes:
		return detailf(ErrTooLong, "at most %d bytes", chatcrypto.MaxBodyBytes)
	}
	enc, err := chatcrypto.EncodeContent(chatcrypto.Content{Kind: chatcrypto.KindText, Text: &chatcrypto.Text{Body: body, ReplyTo: ids.Message{1}, SenderName: name}})
	if err != nil {
		return &detailError{sentinel: ErrInvalid, detail: "the message cannot be encoded", cause: err}
	}
	if len(enc) >= maxSealedContent {
		return detailf(ErrTooLong, "the message is too long to send (%d bytes encoded, the limit is %d)", len(enc), maxSealedContent-1)
	}
	return nil
}

// Send writes a message and its outbox item in one transaction and returns it
// pending; the flusher sends it when the relay is reachable.
func (e *Engine) Send(ctx context.Context, id ids.Chat, body string, replyTo *ids.Message) (Message, error) {
	if e.nameErr != nil {
		return Message{}, fmt.Errorf("your display name cannot be sent with messages: %w", e.nameErr)
	}
	if err := checkBody(body, e.sendName); err != nil {
		return Message{}, err
	}
	msgID := ids.New[ids.Message]()
	payload, err := encodeOutbox(outboxPayload{Kind: outboxMessage})
	if err != nil {
		return Message{}, err
	}
	now := e.clk.Now()
	e.mu.Lock()
	cached, hit := e.sendCache[id]
	e.mu.Unlock()
	hit = hit && now.Sub(cached.activity) < activityStep && !now.Before(cached.activity)
	m := vault.Message{
		ID:            msgID,
		ChatID:        id,
		SenderAccount: e.meID,
		SenderDevice:  e.dev.ID(),
		SentAt:        now,
		Body:          body,
		ReplyTo:       replyTo,
		Status:        policy.StatusPending,
	}
	var fresh sendInfo
	var gen uint64
	err = e.v.Update(ctx, func(tx *vault.Tx) error {
		if hit {
			if !cached.canPost {
				return detailf(ErrForbidden, "only the owner and admins post in a channel")
			}
		} else {
			c, err := tx.Chat(id)
			if err != nil {
				return notFound(err, "chat", id)
			}
			fresh.canPost = policy.CanPost(c.Kind, roleOf(&c, e.meID))
			if !fresh.canPost {
				return detailf(ErrForbidden, "only the owner and admins post in a channel")
			}
			c.LastActivity, fresh.activity = now, now
			if err := e.updateChat(tx, c); err != nil {
				return err
			}
			if fresh.summary, err = e.summaryWith(tx, c, &m, nameCache{}); err != nil {
				return err
			}
			e.mu.Lock()
			gen = e.chatGen[id]
			e.mu.Unlock()
		}
		if replyTo != nil {
			r, err := tx.Message(*replyTo)
			if err != nil || r.ChatID != id {
				return detailf(ErrNotFound, "the message replied to is not in this chat")
			}
		}
		if err := tx.InsertMessage(m); err != nil {
			return notFound(err, "chat", id)
		}
		return tx.Enqueue(vault.OutboxItem{ID: msgID, ChatID: id, Payload: payload})
	})
	if err != nil {
		return Message{}, err
	}
	sum := fresh.summary
	e.mu.Lock()
	if hit {
		sum = cached.summary
		sum.LastMessage, sum.LastPlaceholder, sum.LastMessageAt = preview(body), NoPlaceholder, now
		if cur, ok := e.sendCache[id]; ok {
			cur.summary = sum
			e.sendCache[id] = cur
		}
	} else if e.chatGen[id] == gen {
		e.sendCache[id] = fresh
	}
	e.mu.Unlock()
	out := Message{
		ID: msgID, Chat: id, Sender: e.meID, SenderName: e.name,
		Outgoing: true, Body: body, SentAt: now, Status: policy.StatusPending,
	}
	if replyTo != nil {
		out.ReplyTo = *replyTo
	}
	stored := m
	e.handoff.push(queued{item: vault.OutboxItem{ID: msgID, ChatID: id, Payload: payload}, msg: &stored})
	e.obs.ChatUpdated(sum)
	return out, nil
}
