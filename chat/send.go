package chat

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"hush/chatcrypto"
	"hush/clock"
	"hush/ids"
	"hush/policy"
	"hush/sync/relayclient"
	"hush/sync/wire"
	"hush/vault"
)

// The sender takes what the user writes to the relay. Send writes the message
// (pending) and its outbox item in one vault transaction and hands the item to the
// flusher in memory; the flusher seals each item under the chat's newest epoch just
// before it goes out (so messages written offline use the key current when they
// leave), keeps up to sendWindow sends in flight — the relay commits the writes of
// one connection in the order they arrive — and hands each acknowledgement, in
// order, to the acker (acks.go). Client-chosen message ids make every resend
// idempotent, so a message is never shown twice.
//
// Its lock guards what Send caches of each chat between changes to it, so a burst of
// messages does not re-read and re-write the chat row each time.
type sender struct {
	v      *vault.Vault
	chats  *chatStore
	link   *link
	keys   *keyring
	list   *chatList
	ahead  *aheadSet
	meID   ids.Account
	device ids.Device
	sealer *chatcrypto.Sender
	// name is this account's display name: shown with its own messages, and sent
	// with them (profile.go).
	name *ownName
	// expiry deletes this device's own messages when their auto-delete time
	// comes (autodelete.go).
	expiry *expirer
	// blobs deletes this account's files from the relay (blobdelete.go).
	blobs *blobDeleter
	clk   clock.Clock
	log   *slog.Logger
	obs   Observer
	warn  func(Warning)

	wake    chan struct{} // one token: flush now
	handoff handoff       // Send → flusher
	acks    ackQueue      // flusher → acker

	mu sync.Mutex
	// cache keeps what Send needs of a chat; gen counts the changes to each chat, so
	// a cache entry computed before a change is never stored after it.
	cache map[ids.Chat]sendInfo
	gen   map[ids.Chat]uint64
}

// Tuning of the sending pipeline.
const (
	// sendWindow is how many sends the flusher keeps in flight.
	sendWindow = 64
	// flushRetry is the wait before the flusher tries again after a relay failure.
	flushRetry = 2 * time.Second
	// activityStep is how stale a chat's stored last activity may get during a burst
	// of sends: the chat list is ordered by it, which needs no finer grain.
	activityStep = time.Second
	// maxSealedContent keeps a message in the 16 KiB padding bucket, the largest
	// whose sealed form fits the relay's ciphertext limit (64 KiB).
	maxSealedContent = 16<<10 - 1
)

// sendInfo is what Send remembers of a chat.
type sendInfo struct {
	canPost  bool
	summary  Chat
	activity time.Time // the chat's stored LastActivity
	// next is the counter of this device's next message in the chat
	// (chatcrypto.Content.Counter); the chat row holds at least the value it had
	// when this entry was made, and each message its own.
	next uint64
	// autoDelete is the chat's auto-delete time in seconds (0: off), which each
	// message is sent with (autodelete.go).
	autoDelete uint32
}

// invalidate forgets what Send cached of a chat: the chat store calls it for every
// write of a chat row, inside the writing transaction.
func (s *sender) invalidate(id ids.Chat) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.cache, id)
	s.gen[id]++
}

// kick asks the flusher to go through the outbox.
func (s *sender) kick() { kick(s.wake) }

// checkBody applies the limits of a message text, sent with the display name name,
// before anything is stored.
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

// send writes a message and its outbox item in one transaction and returns it
// pending; the flusher sends it when the relay is reachable.
func (s *sender) send(ctx context.Context, id ids.Chat, body string, replyTo *ids.Message) (Message, error) {
	return s.sendWith(ctx, id, body, replyTo, "", nil, nil)
}

// sendWith is send of a message forwarded from someone named forwarded ("" for a
// message of one's own), with attachments already uploaded (attachments.go);
// with files, body may be empty.
//
// preview, if not nil, is a link preview of body that checkPreview accepted.
func (s *sender) sendWith(ctx context.Context, id ids.Chat, body string, replyTo *ids.Message, forwarded string, files []vault.Attachment, preview *LinkPreview) (Message, error) {
	name := s.name.get()
	if name.err != nil {
		return Message{}, fmt.Errorf("your display name cannot be sent with messages: %w", name.err)
	}
	if len(files) == 0 || body != "" {
		if err := checkBody(body, name.sent); err != nil {
			return Message{}, err
		}
	}
	now := s.clk.Now()
	s.mu.Lock()
	cached, hit := s.cache[id]
	hit = hit && now.Sub(cached.activity) < activityStep && !now.Before(cached.activity)
	counter, ttl := cached.next, cached.autoDelete
	if hit && cached.canPost {
		// Taken under the lock, so two sends never share a number.
		entry := cached
		entry.next++
		s.cache[id] = entry
	}
	s.mu.Unlock()
	m := vault.Message{
		ID:            ids.NewOrdered[ids.Message](now),
		ChatID:        id,
		SenderAccount: s.meID,
		SenderDevice:  s.device,
		SentAt:        now,
		Body:          body,
		ReplyTo:       replyTo,
		Status:        policy.StatusPending,
	}
	var fresh sendInfo
	var gen uint64
	var payload []byte
	err := s.v.Update(ctx, func(tx *vault.Tx) error {
		if hit {
			if !cached.canPost {
				return detailf(ErrForbidden, "only the owner and admins post in a channel")
			}
		} else {
			var err error
			if fresh, gen, err = s.touch(tx, id, &m); err != nil {
				return err
			}
			counter, ttl = fresh.next, fresh.autoDelete
			fresh.next++
		}
		var err error
		if payload, err = encodeOutbox(outboxPayload{Kind: chatcrypto.KindText, Counter: counter}); err != nil {
			return err
		}
		var acts *messageActs
		if forwarded != "" {
			acts = &messageActs{Forwarded: forwarded}
		}
		if m.Extra, err = encodeMessageMeta(messageMeta{Placeholder: placeholderFor(body), Counter: counter, Acts: acts, AutoDelete: ttl, Files: uint8(len(files)), Preview: recordOf(preview)}); err != nil {
			return err
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
		for _, f := range files {
			f.MessageID = m.ID
			if err := tx.PutAttachment(f); err != nil {
				return err
			}
		}
		if ttl > 0 {
			expires := now.Add(time.Duration(ttl) * time.Second)
			if err := tx.PutTimer(m.ID, expires); err != nil {
				return err
			}
			// The relay deletes the files then even if no device of this account
			// is online; clockTolerance covers a relay clock behind this one's.
			if err := queueBlobJobs(tx, fileIDs(files), expires.Add(clockTolerance).UnixMilli()); err != nil {
				return err
			}
		}
		return tx.Enqueue(vault.OutboxItem{ID: m.ID, ChatID: id, Payload: payload})
	})
	if err != nil {
		if hit {
			s.invalidate(id) // the number taken goes to the next message instead
		}
		return Message{}, err
	}
	if ttl > 0 && len(files) > 0 {
		s.blobs.kick()
	}
	shown := body
	if body == "" && len(files) > 0 {
		shown = fileNames(attachmentsView(files, ""))
	}
	sum := s.remember(id, hit, cached, fresh, gen, body, shown, now)
	out := Message{
		ID: m.ID, Chat: id, Sender: s.meID, SenderName: name.shown,
		Outgoing: true, Body: body, Placeholder: placeholderFor(body), SentAt: now, Status: policy.StatusPending, ForwardedFrom: forwarded,
		Preview: preview,
	}
	if replyTo != nil {
		out.ReplyTo = *replyTo
	}
	if len(files) > 0 {
		out.Files = attachmentsView(files, s.list.attachDir)
		for i := range out.Files {
			out.Files[i].Message = m.ID
		}
	}
	stored := m
	s.handoff.push(queued{item: vault.OutboxItem{ID: m.ID, ChatID: id, Payload: payload}, msg: &stored, files: files})
	if ttl > 0 {
		s.expiry.wake()
	}
	s.obs.ChatUpdated(sum)
	return out, nil
}

// touch reads the chat Send writes to, checks this account may post, moves its last
// activity and returns what Send caches of it, with the chat's change count as
// read.
func (s *sender) touch(tx *vault.Tx, id ids.Chat, m *vault.Message) (sendInfo, uint64, error) {
	c, meta, err := chatWithMeta(tx, id)
	if err != nil {
		return sendInfo{}, 0, notFound(err, "chat", id)
	}
	info := sendInfo{canPost: policy.CanPost(c.Kind, roleOf(&c, s.meID)), activity: m.SentAt, autoDelete: meta.AutoDelete.TTL}
	switch {
	case !info.canPost && meta.RemovedBy != nil:
		return sendInfo{}, 0, detailf(ErrForbidden, "you were removed from this chat")
	case !info.canPost && roleOf(&c, s.meID) == 0:
		return sendInfo{}, 0, detailf(ErrForbidden, "you are not a member of this chat")
	case !info.canPost:
		return sendInfo{}, 0, detailf(ErrForbidden, "only the owner and admins post in a channel")
	case meta.Request == requestDeclined:
		return sendInfo{}, 0, detailf(ErrForbidden, "you declined this chat")
	case meta.Request == requestPending:
		return sendInfo{}, 0, detailf(ErrForbidden, "accept the request first")
	}
	if info.next, err = s.nextCounter(tx, id, meta); err != nil {
		return sendInfo{}, 0, err
	}
	// The row keeps a counter no lower than any this entry hands out before the next
	// touch; what the cache hands out meanwhile is in each message's own record.
	meta.NextCounter = info.next + 1
	c.LastActivity = m.SentAt
	if c.Extra, err = encodeMeta(meta); err != nil {
		return sendInfo{}, 0, err
	}
	if err := s.chats.update(tx, c); err != nil {
		return sendInfo{}, 0, err
	}
	if info.summary, err = s.list.summaryWith(tx, c, m, nameCache{}); err != nil {
		return sendInfo{}, 0, err
	}
	s.mu.Lock()
	gen := s.gen[id]
	s.mu.Unlock()
	return info, gen, nil
}

// placeholderFor is what stands for the text of a message sent with body: only
// a message of files may have none.
func placeholderFor(body string) Placeholder {
	if body == "" {
		return AttachmentOnly
	}
	return NoPlaceholder
}

// remember updates the cache after a send and returns the chat's new summary,
// whose preview is shown (the text, or the names of the files sent alone).
func (s *sender) remember(id ids.Chat, hit bool, cached, fresh sendInfo, gen uint64, body, shown string, now time.Time) Chat {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !hit {
		// Summed up before the message was whole (its files, its record).
		fresh.summary.LastMessage, fresh.summary.LastPlaceholder = preview(shown), placeholderFor(body)
		if s.gen[id] == gen {
			s.cache[id] = fresh
		}
		return fresh.summary
	}
	sum := cached.summary
	sum.LastMessage, sum.LastPlaceholder, sum.LastService, sum.LastMessageAt = preview(shown), placeholderFor(body), nil, now
	if cur, ok := s.cache[id]; ok {
		cur.summary = sum
		s.cache[id] = cur
	}
	return sum
}

// ownCounterScan bounds how many of a chat's newest messages nextCounter reads for
// this device's newest counter.
const ownCounterScan = 200

// nextCounter returns the counter of this device's next message in a chat: one more
// than any it gave before — the chat row's, or, when messages sent between two
// touches were the last before a restart, the newest of its own messages'.
func (s *sender) nextCounter(tx *vault.Tx, id ids.Chat, meta chatMeta) (uint64, error) {
	next := max(meta.NextCounter, 1)
	page, _, err := tx.Messages(id, vault.PageCursor{}, ownCounterScan)
	if err != nil {
		return 0, err
	}
	for _, m := range page {
		if m.SenderDevice == s.device {
			if c := metaOf(m).Counter; c >= next {
				next = c + 1
			}
		}
	}
	return next, nil
}

// queueTitle queues the sealed message that tells the members a chat's title, with
// the salt of its commitment in the log (titles.go), in tx.
func (s *sender) queueTitle(tx *vault.Tx, chat ids.Chat, title string, salt []byte) error {
	payload, err := encodeOutbox(outboxPayload{Kind: chatcrypto.KindChatMeta, Title: title, Salt: salt})
	if err != nil {
		return err
	}
	return tx.Enqueue(vault.OutboxItem{ID: ids.NewOrdered[ids.Message](s.clk.Now()), ChatID: chat, Payload: payload})
}

// errWait means an item cannot go out yet (its chat has no usable key); later items
// of the same chat wait behind it, other chats go on.
var errWait = errors.New("chat: waiting for a chat key")

// errPermanent marks an item that can never be sent; its message is marked failed.
var errPermanent = errors.New("chat: cannot be sent")

// errWithdrawn marks an item whose message was deleted for everyone before it went
// out: it is dropped quietly, the placeholder stays.
var errWithdrawn = errors.New("chat: deleted before it was sent")

// sending is one outbox item on its way.
type sending struct {
	item    vault.OutboxItem
	kind    chatcrypto.Kind
	req     *wire.Send
	call    *relayclient.Call
	started time.Time
}

// queued is an outbox item with what it sends: its message, read in the same
// transaction.
type queued struct {
	item vault.OutboxItem
	msg  *vault.Message // text items; nil if the message is gone
	// files are the message's attachments (attachments.go).
	files []vault.Attachment
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
	kick(h.ready)
}

// take returns what is waiting, and whether items were dropped since the last take.
func (h *handoff) take() ([]queued, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	items, overflow := h.items, h.overflow
	h.items, h.overflow = nil, false
	return items, overflow
}

// outbox reads the oldest n items (at most a vault page) with their messages,
// leaving out those already issued; more says the page was full.
func (s *sender) outbox(ctx context.Context, n int, issued map[ids.Message]bool) (_ []queued, more bool, _ error) {
	var out []queued
	n = min(n, vault.MaxPageSize)
	err := s.v.View(ctx, func(tx *vault.Tx) error {
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
				if q.files, err = tx.AttachmentsOf(it.ID); err != nil {
					return err
				}
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
func (s *sender) prepare(ctx context.Context, q queued, keys map[ids.Chat]*chatKey) (*sending, error) {
	it := q.item
	p, err := decodeOutbox(it.Payload)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errPermanent, err)
	}
	ck := keys[it.ChatID]
	if ck == nil {
		if ck, err = s.keys.currentKey(ctx, it.ChatID); err != nil {
			return nil, err
		}
		keys[it.ChatID] = ck
	}
	var content chatcrypto.Content
	switch {
	case p.Kind == chatcrypto.KindChatMeta:
		content = chatcrypto.Content{Kind: chatcrypto.KindChatMeta, ChatMeta: &chatcrypto.ChatMeta{Title: p.Title, Salt: p.Salt}}
	case isAction(p.Kind):
		if content, err = actionContent(p); err != nil {
			return nil, err
		}
	case p.Kind == chatcrypto.KindAutoDelete:
		content = autoDeleteContent(p) // autodelete.go
	case q.msg == nil:
		return nil, fmt.Errorf("%w: the message was deleted", errPermanent)
	default:
		em := metaOf(*q.msg)
		if em.Acts != nil && em.Acts.Deleted {
			return nil, fmt.Errorf("%w: %w", errPermanent, errWithdrawn)
		}
		t := &chatcrypto.Text{Body: q.msg.Body, SenderName: s.name.get().sent, AutoDelete: time.Duration(em.AutoDelete) * time.Second}
		if em.Acts != nil {
			t.ForwardedFrom = em.Acts.Forwarded
		}
		t.Preview = em.Preview.content()
		if q.msg.ReplyTo != nil {
			t.ReplyTo = *q.msg.ReplyTo
		}
		if t.Attachments, err = toContentAttachments(q.files); err != nil {
			return nil, fmt.Errorf("%w: %w", errPermanent, err)
		}
		content = chatcrypto.Content{Kind: chatcrypto.KindText, Text: t, Counter: p.Counter, SentAt: q.msg.SentAt}
	}
	sealed, err := chatcrypto.Seal(chatcrypto.SealParams{
		Sender:    s.sealer,
		ChatID:    it.ChatID,
		Epoch:     ck.epoch,
		EpochKey:  ck.key,
		MessageID: it.ID,
		Content:   content,
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errPermanent, err)
	}
	if len(sealed) > wire.MaxCiphertextSize {
		return nil, fmt.Errorf("%w: sealed message of %d bytes exceeds the relay's limit", errPermanent, len(sealed))
	}
	return &sending{item: it, kind: p.Kind, req: &wire.Send{
		ChatID: it.ChatID, MsgID: it.ID, Epoch: ck.epoch, Ciphertext: sealed,
	}}, nil
}

// failItem drops an item that can never be sent and marks its message failed.
func (s *sender) failItem(ctx context.Context, it vault.OutboxItem, why error) {
	s.log.Warn("outbox item cannot be sent", "item", it.ID.String(), "err", why)
	var ev *StatusChange
	err := s.v.Update(ctx, func(tx *vault.Tx) error {
		ev = nil
		if err := tx.RemoveOutbox(it.ID); err != nil && !errors.Is(err, vault.ErrNotFound) {
			return err
		}
		m, err := tx.Message(it.ID)
		if errors.Is(err, vault.ErrNotFound) || errors.Is(why, errWithdrawn) {
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
		s.log.Warn("mark message failed", "err", err)
		return
	}
	if ev != nil {
		s.obs.MessageStatus(*ev)
		s.warn(Warning{Chat: it.ChatID, Kind: WarnSendFailed, Cause: relayError(why)})
	}
}
