package chat

import (
	"context"
	"errors"
	"fmt"
	"math"

	"hush/chatcrypto"
	"hush/ids"
	"hush/policy"
	"hush/sync/relayclient"
	"hush/sync/wire"
	"hush/vault"
)

// handler is the engine seen as the relay client's handler.
type handler Engine

// Connected catches up every chat after a (re)connection.
func (h *handler) Connected(ctx context.Context, s relayclient.Session) {
	e := (*Engine)(h)
	e.log.Info("relay session", "account", s.Account.String(), "device", s.Device.String(), "new_account", s.NewAccount)
	e.forgetDeviceLists()
	e.refreshHandle(ctx)
	e.catchUp(ctx)
	e.kick(e.kickFlush)
	e.kick(e.kickMark)
}

// Missed catches up after pushes were dropped.
func (h *handler) Missed(ctx context.Context) { (*Engine)(h).catchUp(ctx) }

// Pushes applies pushes in order; consecutive messages of one chat go into one vault
// transaction.
func (h *handler) Pushes(ctx context.Context, pushes []wire.Body) {
	e := (*Engine)(h)
	for i := 0; i < len(pushes); i++ {
		switch b := pushes[i].(type) {
		case *wire.Push:
			entries := []wire.Entry{b.Entry}
			for i+1 < len(pushes) {
				next, ok := pushes[i+1].(*wire.Push)
				if !ok || next.ChatID != b.ChatID {
					break
				}
				entries = append(entries, next.Entry)
				i++
			}
			e.receive(ctx, b.ChatID, entries)
		case *wire.ChatChanged:
			e.onChatChanged(ctx, b.Chat)
		case *wire.NewEpoch:
			e.onNewEpoch(ctx, b)
		case *wire.Receipt:
			e.onReceipt(ctx, b)
		case *wire.TypingPush:
			e.onTyping(ctx, b)
		case *wire.DeviceRevoked:
			e.onDeviceRevoked(ctx, b.DeviceID)
		default:
			e.log.Debug("push ignored", "type", b.Type())
		}
	}
}

// refreshHandle learns this account's handle and device list from the relay
// (another device may have registered the handle, or revoked a device meanwhile).
func (e *Engine) refreshHandle(ctx context.Context) {
	a, err := doAs[*wire.Account](ctx, e, &wire.LookupAccount{AccountID: ids.Account(e.meID)})
	if err != nil {
		e.log.Debug("look up own account", "err", err)
		return
	}
	if _, err := e.applyAccount(ctx, e.meID, a); err != nil {
		e.log.Warn("own device list", "err", err)
	}
	e.mu.Lock()
	same := e.handle == a.Handle
	e.mu.Unlock()
	if !same && a.Handle != "" {
		if err := e.storeHandle(ctx, a.Handle); err != nil {
			e.log.Warn("store handle", "err", err)
			return
		}
		e.obs.ConnectionChanged(e.Connection())
	}
}

// catchUp brings every chat up to date with the relay: membership, epoch keys and
// messages after the vault cursor. Chats the relay no longer lists for this account
// were left or removed meanwhile and are deleted here.
func (e *Engine) catchUp(ctx context.Context) {
	remote := map[ids.Chat]bool{}
	var order []ids.Chat
	var after ids.Chat
	for {
		page, err := doAs[*wire.Chats](ctx, e, &wire.ChatList{After: after, Limit: wire.MaxPageEntries})
		if err != nil {
			e.log.Info("catch-up: chat list", "err", err)
			return
		}
		for _, c := range page.Chats {
			if !remote[c.ChatID] {
				remote[c.ChatID] = true
				order = append(order, c.ChatID)
			}
		}
		if !page.More || len(page.Chats) == 0 {
			break
		}
		after = page.Chats[len(page.Chats)-1].ChatID
	}
	var local []vault.Chat
	if err := e.v.View(ctx, func(tx *vault.Tx) error {
		var err error
		local, err = tx.Chats()
		return err
	}); err != nil {
		e.log.Warn("catch-up: local chats", "err", err)
		return
	}
	for _, c := range local {
		if c.Kind != policy.KindSecret && !remote[c.ID] {
			e.removeLocal(ctx, c.ID)
		}
	}
	for _, id := range order {
		if err := e.syncChat(ctx, id); err != nil {
			if errors.Is(err, ErrOffline) || errors.Is(err, ErrClosed) || ctx.Err() != nil {
				return
			}
			e.log.Warn("catch-up: chat", "chat", id.String(), "err", err)
		}
	}
}

// syncChat brings one chat up to date: members, epoch keys, rotation, messages.
func (e *Engine) syncChat(ctx context.Context, id ids.Chat) error {
	info, err := doAs[*wire.ChatInfo](ctx, e, &wire.GetChat{ChatID: ids.Chat(id)})
	if errors.Is(err, wire.ErrNotFound) {
		e.removeLocal(ctx, id)
		return nil
	}
	if err != nil {
		return err
	}
	present, err := e.applyChatInfo(ctx, *info)
	if err != nil || !present {
		return err
	}
	if err := e.fetchEpochs(ctx, id); err != nil {
		return err
	}
	e.rotateIfDue(ctx, id, true)
	return e.fetchMessages(ctx, id)
}

// onChatChanged applies a membership push; a chat this device did not know is
// caught up at once.
func (e *Engine) onChatChanged(ctx context.Context, info wire.ChatInfo) {
	id := info.ChatID
	known, err := e.hasChat(ctx, id)
	if err != nil {
		e.log.Warn("chat changed", "err", err)
		return
	}
	present, err := e.applyChatInfo(ctx, info)
	if err != nil {
		e.log.Warn("chat changed", "chat", id.String(), "err", err)
		return
	}
	if !present {
		return
	}
	if !known {
		if err := e.fetchEpochs(ctx, id); err != nil {
			e.log.Info("new chat: epochs", "err", err)
		}
		if err := e.fetchMessages(ctx, id); err != nil {
			e.log.Info("new chat: messages", "err", err)
		}
	}
	e.rotateIfDue(ctx, id, true)
}

func (e *Engine) hasChat(ctx context.Context, id ids.Chat) (bool, error) {
	found := false
	err := e.v.View(ctx, func(tx *vault.Tx) error {
		_, err := tx.Chat(id)
		if errors.Is(err, vault.ErrNotFound) {
			return nil
		}
		found = err == nil
		return err
	})
	return found, err
}

// applyChatInfo stores what the relay says about a chat's kind, members and
// positions. It reports false when this account is no longer a member, in which case
// the chat was deleted locally.
func (e *Engine) applyChatInfo(ctx context.Context, info wire.ChatInfo) (bool, error) {
	id := info.ChatID
	var mine *wire.MemberInfo
	for i := range info.Members {
		if info.Members[i].AccountID == e.meID {
			mine = &info.Members[i]
		}
	}
	if mine == nil {
		e.removeLocal(ctx, id)
		return false, nil
	}
	kind := info.Kind
	if !kind.Cloud() {
		return false, fmt.Errorf("chat %s: unknown kind %d", id, info.Kind)
	}
	for _, m := range info.Members {
		if m.AccountID != e.meID {
			if _, err := e.pinAccount(ctx, m.AccountID); err != nil {
				// Its messages cannot be verified until it is pinned; a later catch-up
				// tries again.
				e.log.Info("pin member", "account", m.AccountID.String(), "err", err)
			}
		}
	}
	var sum Chat
	err := e.v.Update(ctx, func(tx *vault.Tx) error {
		c, err := tx.Chat(id)
		fresh := errors.Is(err, vault.ErrNotFound)
		if err != nil && !fresh {
			return err
		}
		meta, err := decodeMeta(c.Extra)
		if err != nil {
			return err
		}
		if fresh {
			c = vault.Chat{ID: id, LastActivity: e.clk.Now()}
		}
		now := map[ids.Account]bool{}
		members := make([]vault.Member, 0, len(info.Members))
		for _, m := range info.Members {
			aid := m.AccountID
			now[aid] = true
			members = append(members, vault.Member{AccountID: aid, Role: m.Role})
			if aid != e.meID {
				meta.PeerDelivered = max(meta.PeerDelivered, m.DeliveredSeq)
				meta.PeerRead = max(meta.PeerRead, m.ReadSeq)
			}
		}
		if !fresh {
			was := map[ids.Account]bool{}
			for _, m := range c.Members {
				was[m.AccountID] = true
				if !now[m.AccountID] {
					meta.addFormer(m.AccountID, info.Epoch+1)
					meta.NeedEpoch = max(meta.NeedEpoch, info.Epoch+1)
				}
			}
			for aid := range now {
				if !was[aid] {
					meta.dropFormer(aid)
				}
			}
		}
		meta.Epoch = max(meta.Epoch, info.Epoch)
		meta.MyRead = max(meta.MyRead, mine.ReadSeq)
		meta.MyDelivered = max(meta.MyDelivered, mine.DeliveredSeq, meta.MyRead)
		c.Kind, c.Members = kind, members
		if c.Extra, err = encodeMeta(meta); err != nil {
			return err
		}
		if err := e.putChat(tx, c); err != nil {
			return err
		}
		sum, err = e.summary(tx, c)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("store chat %s: %w", id, err)
	}
	e.obs.ChatUpdated(sum)
	return true, nil
}

// removeLocal deletes a chat this account left or was removed from.
func (e *Engine) removeLocal(ctx context.Context, id ids.Chat) {
	err := e.v.Update(ctx, func(tx *vault.Tx) error {
		if err := e.deleteChat(tx, id); err != nil {
			return err
		}
		// If this account is added again, its history starts over.
		return tx.SetCursor(scope(id), 0)
	})
	if errors.Is(err, vault.ErrNotFound) {
		return
	}
	if err != nil {
		e.log.Warn("delete chat", "chat", id.String(), "err", err)
		return
	}
	e.mu.Lock()
	delete(e.ahead, id)
	delete(e.marks, id)
	e.mu.Unlock()
	e.obs.ChatRemoved(id)
}

// fetchMessages pages through the chat log from the vault cursor until the relay
// has nothing more, or processing stops making progress.
func (e *Engine) fetchMessages(ctx context.Context, id ids.Chat) error {
	for {
		cursor, err := e.cursor(ctx, id)
		if err != nil {
			return err
		}
		page, err := doAs[*wire.Page](ctx, e, &wire.Fetch{ChatID: ids.Chat(id), AfterSeq: cursor, Limit: fetchPage})
		if errors.Is(err, wire.ErrNotFound) {
			e.removeLocal(ctx, id)
			return nil
		}
		if err != nil {
			return err
		}
		if len(page.Entries) == 0 {
			return nil
		}
		next, _, err := e.process(ctx, id, page.Entries)
		if err != nil {
			return err
		}
		if next <= cursor || !page.More {
			return nil
		}
	}
}

func scope(id ids.Chat) string { return "chat:" + id.String() }

func (e *Engine) cursor(ctx context.Context, id ids.Chat) (uint64, error) {
	var c int64
	err := e.v.View(ctx, func(tx *vault.Tx) error {
		var err error
		c, err = tx.Cursor(scope(id))
		return err
	})
	return uint64(c), err
}

// receive applies pushed entries; a gap in the sequence numbers is filled by
// fetching.
func (e *Engine) receive(ctx context.Context, id ids.Chat, entries []wire.Entry) {
	_, gap, err := e.process(ctx, id, entries)
	if errors.Is(err, errUnknownChat) {
		if err := e.syncChat(ctx, id); err != nil {
			e.log.Info("receive: unknown chat", "chat", id.String(), "err", err)
		}
		return
	}
	if err != nil {
		e.log.Warn("receive", "chat", id.String(), "err", err)
		return
	}
	if gap {
		if err := e.fetchMessages(ctx, id); err != nil {
			e.log.Info("receive: fill gap", "chat", id.String(), "err", err)
		}
	}
}

// outcome is what processing did, to tell the UI after the commit.
type outcome struct {
	news     []Message
	statuses []StatusChange
	warnings []WarningKind
	summary  *Chat
	marked   bool
	last     *vault.Message            // the newest message stored
	names    map[ids.Account]heardName // the newest sender name of each account
	retitled []ids.Chat                // direct chats whose contact was renamed
}

// process verifies, decrypts and stores entries of one chat that follow its cursor,
// advancing the cursor in the same transaction. It returns the new cursor and
// whether an entry beyond cursor+1 showed a gap.
func (e *Engine) process(ctx context.Context, id ids.Chat, entries []wire.Entry) (uint64, bool, error) {
	// Optimistically in one transaction; if an entry needs network work first (a
	// key to fetch, a sender to pin, a device list to look up), do it and go again.
	cursor, gap, err := e.processOnce(ctx, id, entries, nil)
	if !errors.Is(err, errNeedPrep) {
		return cursor, gap, err
	}
	prep, err := e.prepareEntries(ctx, id, entries)
	if err != nil {
		return 0, false, err
	}
	return e.processOnce(ctx, id, entries, prep)
}

// prepared is what prepareEntries did before the second processing pass.
type prepared struct {
	// devicesLooked holds the accounts whose device lists were looked up.
	devicesLooked map[ids.Account]bool
}

// errNeedPrep aborts a processing transaction that needs network work first.
var errNeedPrep = errors.New("chat: entries need keys fetched first")

// errUnknownChat reports entries of a chat this device does not have yet.
var errUnknownChat = errors.New("chat: unknown chat")

func (e *Engine) processOnce(ctx context.Context, id ids.Chat, entries []wire.Entry, prep *prepared) (uint64, bool, error) {
	var out outcome
	var cursor uint64
	var gap bool
	err := e.v.Update(ctx, func(tx *vault.Tx) error {
		out = outcome{}
		gap = false
		c, err := tx.Chat(id)
		if errors.Is(err, vault.ErrNotFound) {
			return errUnknownChat
		}
		if err != nil {
			return err
		}
		meta, err := decodeMeta(c.Extra)
		if err != nil {
			return err
		}
		cur, err := tx.Cursor(scope(id))
		if err != nil {
			return err
		}
		start := uint64(cur)
		cursor = e.catchForward(id, start)
		names := nameCache{}
		fromOthers := false
		for i := range entries {
			en := &entries[i]
			if en.Seq <= cursor {
				continue
			}
			if en.Seq != cursor+1 {
				gap = true
				break
			}
			if en.Seq > math.MaxInt64 {
				out.warnings = append(out.warnings, WarnImpossibleSeq)
				cursor = en.Seq
				continue
			}
			stall, err := e.apply(tx, &c, &meta, en, names, &out, prep)
			if err != nil {
				return err
			}
			if stall {
				break
			}
			if en.SenderAccount != e.meID {
				fromOthers = true
			}
			cursor = e.catchForward(id, en.Seq)
		}
		if cursor == start {
			return nil
		}
		if err := tx.SetCursor(scope(id), int64(cursor)); err != nil {
			return err
		}
		if err := e.learnNames(tx, &out, names); err != nil {
			return err
		}
		if fromOthers && cursor > meta.MyDelivered {
			meta.MyDelivered = cursor
			out.marked = true
		}
		if c.Extra, err = encodeMeta(meta); err != nil {
			return err
		}
		if err := e.updateChat(tx, c); err != nil {
			return err
		}
		sum, err := e.summaryWith(tx, c, out.last, names)
		if err != nil {
			return err
		}
		out.summary = &sum
		return nil
	})
	if errors.Is(err, errNeedPrep) || errors.Is(err, errUnknownChat) {
		return 0, false, err
	}
	if err != nil {
		return 0, false, fmt.Errorf("store messages of %s: %w", id, err)
	}
	for _, k := range out.warnings {
		e.warn(Warning{Chat: id, Kind: k})
	}
	for _, m := range out.news {
		e.obs.MessageNew(m)
	}
	for _, s := range out.statuses {
		e.obs.MessageStatus(s)
	}
	if out.summary != nil {
		e.obs.ChatUpdated(*out.summary)
	}
	e.emitRetitled(ctx, out.retitled, id)
	if out.marked {
		e.queueMark(id)
	}
	return cursor, gap, nil
}

// prepareEntries does the network work process cannot do inside a transaction:
// fetching epoch keys it lacks, pinning senders it has not met, and looking up the
// device lists of senders whose list is stale or who sent from a device the vault
// does not know.
func (e *Engine) prepareEntries(ctx context.Context, id ids.Chat, entries []wire.Entry) (*prepared, error) {
	epochs := map[uint64]bool{}
	devices := map[ids.Device]ids.Account{} // device → account
	for _, en := range entries {
		epochs[en.Epoch] = true
		if d := en.SenderDevice; d != e.devID {
			devices[d] = en.SenderAccount
		}
	}
	missingEpoch := false
	lookup := map[ids.Account]bool{}
	err := e.v.View(ctx, func(tx *vault.Tx) error {
		for ep := range epochs {
			if ep > math.MaxInt64 {
				continue
			}
			_, err := tx.EpochKey(id, ep)
			if errors.Is(err, vault.ErrNotFound) {
				missingEpoch = true
			} else if err != nil {
				return err
			}
		}
		for d, a := range devices {
			if lookup[a] {
				continue
			}
			if !e.devicesFresh(a) {
				lookup[a] = true
				continue
			}
			if _, err := tx.Device(d); errors.Is(err, vault.ErrNotFound) {
				lookup[a] = true
			} else if err != nil {
				return err
			}
			if _, err := e.accountKey(tx, a); errors.Is(err, vault.ErrNotFound) {
				lookup[a] = true
			} else if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if missingEpoch {
		if err := e.fetchEpochs(ctx, id); err != nil {
			e.log.Info("fetch epochs for incoming messages", "chat", id.String(), "err", err)
		}
	}
	prep := &prepared{devicesLooked: map[ids.Account]bool{}}
	for a := range lookup {
		if _, err := e.refreshDevices(ctx, a); err != nil {
			e.log.Info("look up sender", "account", a.String(), "err", err)
			continue
		}
		prep.devicesLooked[a] = true
	}
	return prep, nil
}

// catchForward moves a cursor over this device's own messages that the relay
// acknowledged beyond it, so they do not look like a gap.
func (e *Engine) catchForward(id ids.Chat, cursor uint64) uint64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	set := e.ahead[id]
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
		delete(e.ahead, id)
	}
	return cursor
}

// nameCache remembers display names looked up within one transaction.
type nameCache map[ids.Account]string

// apply handles one entry that directly follows the cursor. It reports stall when
// the entry cannot be handled yet (its epoch key has not arrived) and the cursor must
// stay before it.
func (e *Engine) apply(tx *vault.Tx, c *vault.Chat, meta *chatMeta, en *wire.Entry, names nameCache, out *outcome, prep *prepared) (stall bool, err error) {
	sender := en.SenderAccount
	chatID := c.ID
	drop := func(w WarningKind) (bool, error) {
		out.warnings = append(out.warnings, w)
		return false, nil
	}
	// The key first: a message of an epoch this account never held a key for was
	// sent before it joined, and is skipped whoever sent it.
	raw, err := tx.EpochKey(chatID, en.Epoch)
	if errors.Is(err, vault.ErrNotFound) {
		latest, lerr := tx.LatestEpoch(chatID)
		switch {
		case lerr == nil && (en.Epoch < meta.FirstEpoch || en.Epoch < latest):
			// Sent in an epoch this account was not part of (before it joined): not
			// for us to read, and not a forgery either.
			e.log.Debug("skipped a message of an epoch without our key", "chat", chatID.String(), "epoch", en.Epoch)
			return false, nil
		case lerr != nil && !errors.Is(lerr, vault.ErrNotFound):
			return false, lerr
		case prep == nil:
			return false, errNeedPrep
		}
		// The key has not arrived yet; wait for it (a NewEpoch push refetches).
		return true, nil
	}
	if err != nil {
		return false, err
	}
	key, err := chatcrypto.EpochKeyFromBytes(raw)
	clear(raw)
	if err != nil {
		return false, err
	}
	if !e.isMemberAt(c, meta, sender, en.Epoch) {
		return drop(WarnNotMember)
	}
	senderKey, err := e.accountKey(tx, sender)
	if errors.Is(err, vault.ErrNotFound) {
		if prep == nil {
			return false, errNeedPrep
		}
		return drop(WarnSenderUnknown)
	}
	if err != nil {
		return false, err
	}
	pt, err := chatcrypto.Open(en.Ciphertext, chatcrypto.OpenParams{
		ChatID:    ids.Chat(chatID),
		Epoch:     en.Epoch,
		EpochKey:  key,
		MessageID: ids.Message(en.MsgID),
		Sender:    senderKey,
		Certs:     e.certs,
	})
	unsupported := errors.Is(err, chatcrypto.ErrUnsupportedKind)
	if err != nil && !unsupported {
		e.log.Info("message failed verification", "chat", chatID.String(), "seq", en.Seq, "err", err)
		return drop(openFailure(err))
	}
	if pt.Header.SenderDevice != en.SenderDevice || pt.Header.SenderAccount != sender {
		return drop(WarnSenderMismatch)
	}
	switch v, err := e.checkDevice(tx, sender, pt.Sender, prep); {
	case err != nil:
		return false, err
	case v == deviceLookup:
		return false, errNeedPrep
	case v == deviceWait:
		// The sender's device list could not be looked up; try again later.
		return true, nil
	case v == deviceRevoked:
		e.log.Info("message from a revoked device dropped", "chat", chatID.String(), "seq", en.Seq, "device", pt.Header.SenderDevice.String())
		return drop(WarnRevokedDevice)
	case v == deviceForeign:
		return drop(WarnForeignDevice)
	}
	var body, senderName string
	var replyTo *ids.Message
	placeholder := NoPlaceholder
	switch {
	case unsupported:
		placeholder = Unsupported
	case pt.Content.Kind == chatcrypto.KindChatMeta:
		// Authentic (Open checked it like any message); applied only from the
		// owner or an admin of a group or channel.
		title := pt.Content.ChatMeta.Title
		switch {
		case c.Kind == policy.KindDirect:
			return drop(WarnTitleInDirect)
		case !e.canManage(c, sender):
			return drop(WarnTitleNotAllowed)
		case validTitle(title) != nil:
			return drop(WarnTitleInvalid)
		}
		c.Title = title
		return false, nil
	case pt.Content.Kind == chatcrypto.KindText:
		body = pt.Content.Text.Body
		if sender != e.meID {
			// Checked by e2e (a text with an invalid name does not open); the
			// name is the sender's word about itself, nothing more.
			senderName = pt.Content.Text.SenderName
		}
		if r := pt.Content.Text.ReplyTo; !r.IsZero() {
			id := r
			replyTo = &id
		}
		if body == "" {
			placeholder = AttachmentOnly
		}
	default:
		// Edits, deletions, reactions and membership messages are authentic but not
		// applied by this version of the engine.
		e.log.Debug("content kind not applied", "kind", pt.Content.Kind.String())
		return false, nil
	}
	msgID := en.MsgID
	sentAt := wire.Time(en.ServerTime)
	extra, err := encodeMessageMeta(placeholder)
	if err != nil {
		return false, err
	}
	m := vault.Message{
		ID:            msgID,
		ChatID:        chatID,
		Seq:           int64(en.Seq),
		SenderAccount: sender,
		SenderDevice:  en.SenderDevice,
		SentAt:        sentAt,
		Body:          body,
		ReplyTo:       replyTo,
		Status:        policy.StatusSent,
		Extra:         extra,
	}
	err = tx.InsertMessage(m) // idempotent on the id: a second copy is ErrExists
	if err == nil {
		if sender != e.meID && en.Seq > meta.MyRead {
			c.Unread++
		}
		if sentAt.After(c.LastActivity) {
			c.LastActivity = sentAt
		}
		msg := e.toMessage(tx, m, meta, names)
		if senderName != "" {
			msg.SenderName = senderName
			out.hearName(sender, senderName, en.ServerTime)
		}
		out.news = append(out.news, msg)
		out.last = &m
		return false, nil
	}
	if !errors.Is(err, vault.ErrExists) {
		return false, err
	}
	existing, err := tx.Message(msgID)
	switch {
	case err != nil:
		return false, err
	case existing.ChatID != chatID:
		return drop(WarnReplayedFromOtherChat)
	case existing.Seq == 0 && sender == e.meID:
		// Our own message whose acknowledgement was lost: the log is the proof.
		existing.Seq, existing.Status, existing.SentAt = int64(en.Seq), policy.StatusSent, sentAt
		if err := tx.UpdateMessage(existing); err != nil {
			return false, err
		}
		if err := tx.RemoveOutbox(msgID); err != nil && !errors.Is(err, vault.ErrNotFound) {
			return false, err
		}
		out.statuses = append(out.statuses, StatusChange{Chat: chatID, Message: msgID, Status: statusOf(existing, *meta, e.meID), Seq: existing.Seq})
	case existing.Seq == int64(en.Seq):
		// Already stored (our own message, acknowledged): nothing to do.
	default:
		return drop(WarnReplayed)
	}
	return false, nil
}

// openFailure says which check of chatcrypto.Open refused a message.
func openFailure(err error) WarningKind {
	switch {
	case errors.Is(err, chatcrypto.ErrBadSignature):
		return WarnBadSignature
	case errors.Is(err, chatcrypto.ErrWrongSender):
		return WarnWrongSender
	case errors.Is(err, chatcrypto.ErrWrongContext):
		return WarnMisfiled
	case errors.Is(err, chatcrypto.ErrDecrypt):
		return WarnUndecryptable
	case errors.Is(err, chatcrypto.ErrMalformed):
		return WarnMalformed
	}
	return WarnUnverified
}

// isMemberAt reports whether account may have sent a message in epoch: a current
// member, or a former one that left after that epoch.
func (e *Engine) isMemberAt(c *vault.Chat, meta *chatMeta, account ids.Account, epoch uint64) bool {
	for _, m := range c.Members {
		if m.AccountID == account {
			return true
		}
	}
	left, ok := meta.formerLeft(account)
	return ok && epoch < left
}

// canManage reports whether account is the owner or an admin of the chat.
func (e *Engine) canManage(c *vault.Chat, account ids.Account) bool {
	for _, m := range c.Members {
		if m.AccountID == account {
			return m.Role == policy.RoleOwner || m.Role == policy.RoleAdmin
		}
	}
	return false
}

// onTyping tells the UI someone is typing.
func (e *Engine) onTyping(ctx context.Context, t *wire.TypingPush) {
	id := t.ChatID
	var name string
	err := e.v.View(ctx, func(tx *vault.Tx) error {
		if _, err := tx.Chat(id); err != nil {
			return err
		}
		name = e.nameOf(tx, t.AccountID, nameCache{})
		return nil
	})
	if err != nil {
		return
	}
	e.obs.Typing(Typing{Chat: id, Account: t.AccountID, Name: name})
}

// onReceipt records a member's delivered/read positions and tells the UI which of
// this account's messages changed state.
func (e *Engine) onReceipt(ctx context.Context, r *wire.Receipt) {
	id := r.ChatID
	var sum Chat
	var changed bool
	var lo uint64
	var meta chatMeta
	err := e.v.Update(ctx, func(tx *vault.Tx) error {
		changed = false
		c, err := tx.Chat(id)
		if err != nil {
			return err
		}
		meta, err = decodeMeta(c.Extra)
		if err != nil {
			return err
		}
		if r.AccountID == e.meID {
			if r.ReadSeq <= meta.MyRead && r.DeliveredSeq <= meta.MyDelivered {
				return nil
			}
			meta.MyRead = max(meta.MyRead, r.ReadSeq)
			meta.MyDelivered = max(meta.MyDelivered, r.DeliveredSeq)
			cur, err := tx.Cursor(scope(id))
			if err != nil {
				return err
			}
			if meta.MyRead >= uint64(cur) {
				c.Unread = 0
			}
		} else {
			if r.DeliveredSeq <= meta.PeerDelivered && r.ReadSeq <= meta.PeerRead {
				return nil
			}
			// Messages above the lower of the positions that moved may change state.
			lo = math.MaxUint64
			if r.DeliveredSeq > meta.PeerDelivered {
				lo = meta.PeerDelivered
			}
			if r.ReadSeq > meta.PeerRead {
				lo = min(lo, meta.PeerRead)
			}
			meta.PeerDelivered = max(meta.PeerDelivered, r.DeliveredSeq)
			meta.PeerRead = max(meta.PeerRead, r.ReadSeq)
		}
		changed = true
		if c.Extra, err = encodeMeta(meta); err != nil {
			return err
		}
		if err := e.updateChat(tx, c); err != nil {
			return err
		}
		sum, err = e.summary(tx, c)
		return err
	})
	if err != nil {
		if !errors.Is(err, vault.ErrNotFound) {
			e.log.Warn("receipt", "chat", id.String(), "err", err)
		}
		return
	}
	if !changed {
		return
	}
	if r.AccountID == e.meID {
		e.obs.ChatUpdated(sum)
		return
	}
	e.emitStatuses(ctx, id, lo, max(meta.PeerDelivered, meta.PeerRead), meta)
}

// emitStatuses tells the UI the state of this account's messages with sequence
// numbers in (lo, hi], looking at most maxStatusScan messages back from the newest.
func (e *Engine) emitStatuses(ctx context.Context, id ids.Chat, lo, hi uint64, meta chatMeta) {
	var events []StatusChange
	err := e.v.View(ctx, func(tx *vault.Tx) error {
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
				if m.SenderAccount == e.meID && uint64(m.Seq) <= hi {
					events = append(events, StatusChange{Chat: id, Message: m.ID, Status: statusOf(m, meta, e.meID), Seq: m.Seq})
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
		e.log.Warn("message states", "chat", id.String(), "err", err)
		return
	}
	for i := len(events) - 1; i >= 0; i-- {
		e.obs.MessageStatus(events[i])
	}
}
