package chat

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"

	"hush/chatcrypto"
	"hush/ids"
	"hush/policy"
	"hush/sync/wire"
	"hush/vault"
)

// Membership is the keyring's other half: who is in a chat, with which role, as the
// relay reports it — and the requests that change it. A member who leaves is
// remembered with the first epoch it no longer holds, so its earlier messages still
// verify; the key rotates to leave it out. The policy of who may do what is package
// policy's, which the relay enforces too.

// directChatLabel derives the id of the 1:1 chat of two accounts, so both sides open
// the same chat instead of racing to create two.
const directChatLabel = "hush/v1/direct-chat-id"

// directChatID is the id of the 1:1 chat of accounts a and b.
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

// applyChatInfo stores what the relay says about a chat's kind, members and
// positions. It reports false when this account is no longer a member, in which case
// the chat was deleted locally.
func (k *keyring) applyChatInfo(ctx context.Context, info wire.ChatInfo) (bool, error) {
	id := info.ChatID
	var mine *wire.MemberInfo
	for i := range info.Members {
		if info.Members[i].AccountID == k.meID {
			mine = &info.Members[i]
		}
	}
	if mine == nil {
		k.removeLocal(ctx, id)
		return false, nil
	}
	if !info.Kind.Cloud() {
		return false, fmt.Errorf("chat %s: unknown kind %d", id, info.Kind)
	}
	for _, m := range info.Members {
		if m.AccountID != k.meID {
			if _, err := k.dir.pinAccount(ctx, m.AccountID); err != nil {
				// Its messages cannot be verified until it is pinned; a later catch-up
				// tries again.
				k.log.Info("pin member", "account", m.AccountID.String(), "err", err)
			}
		}
	}
	var sum Chat
	err := k.v.Update(ctx, func(tx *vault.Tx) error {
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
			c = vault.Chat{ID: id, LastActivity: k.clk.Now()}
		}
		c.Members = k.mergeMembers(&meta, c.Members, info, !fresh)
		meta.Epoch = max(meta.Epoch, info.Epoch)
		meta.MyRead = max(meta.MyRead, mine.ReadSeq)
		meta.MyDelivered = max(meta.MyDelivered, mine.DeliveredSeq, meta.MyRead)
		c.Kind = info.Kind
		if c.Extra, err = encodeMeta(meta); err != nil {
			return err
		}
		if err := k.chats.put(tx, c); err != nil {
			return err
		}
		sum, err = k.view.summary(tx, c)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("store chat %s: %w", id, err)
	}
	k.obs.ChatUpdated(sum)
	return true, nil
}

// mergeMembers returns the member list the relay reports and notes in meta what
// changed against the stored one (was, when known): the others' positions, who left
// (a rotation is due, and their earlier messages stay valid) and who came back.
func (k *keyring) mergeMembers(meta *chatMeta, was []vault.Member, info wire.ChatInfo, known bool) []vault.Member {
	now := map[ids.Account]bool{}
	members := make([]vault.Member, 0, len(info.Members))
	for _, m := range info.Members {
		now[m.AccountID] = true
		members = append(members, vault.Member{AccountID: m.AccountID, Role: m.Role})
		if m.AccountID != k.meID {
			meta.PeerDelivered = max(meta.PeerDelivered, m.DeliveredSeq)
			meta.PeerRead = max(meta.PeerRead, m.ReadSeq)
		}
	}
	if !known {
		return members
	}
	before := map[ids.Account]bool{}
	for _, m := range was {
		before[m.AccountID] = true
		if !now[m.AccountID] {
			meta.addFormer(m.AccountID, info.Epoch+1)
			meta.NeedEpoch = max(meta.NeedEpoch, info.Epoch+1)
		}
	}
	for account := range now {
		if !before[account] {
			meta.dropFormer(account)
		}
	}
	return members
}

// removeLocal deletes a chat this account left or was removed from.
func (k *keyring) removeLocal(ctx context.Context, id ids.Chat) {
	err := k.v.Update(ctx, func(tx *vault.Tx) error {
		if err := k.chats.delete(tx, id); err != nil {
			return err
		}
		// If this account is added again, its history starts over.
		return tx.SetCursor(scope(id), 0)
	})
	if errors.Is(err, vault.ErrNotFound) {
		return
	}
	if err != nil {
		k.log.Warn("delete chat", "chat", id.String(), "err", err)
		return
	}
	for _, f := range k.forget {
		f.forget(id)
	}
	k.obs.ChatRemoved(id)
}

// isMemberAt reports whether account may have sent a message in epoch: a current
// member, or a former one that left after that epoch.
func isMemberAt(c *vault.Chat, meta *chatMeta, account ids.Account, epoch uint64) bool {
	if roleOf(c, account) != 0 {
		return true
	}
	left, ok := meta.formerLeft(account)
	return ok && epoch < left
}

// openDirect asks the relay for the 1:1 chat with account, creating it if needed.
func (k *keyring) openDirect(ctx context.Context, account ids.Account) (*wire.ChatInfo, error) {
	if account == k.meID {
		return nil, detailf(ErrInvalid, "a chat with yourself")
	}
	if _, err := k.dir.pinAccount(ctx, account); err != nil {
		return nil, err
	}
	id := directChatID(k.meID, account)
	create := &wire.CreateChat{ChatID: id, Kind: policy.KindDirect, Members: []wire.Member{{AccountID: account, Role: policy.RoleMember}}}
	info, err := doAs[*wire.ChatInfo](ctx, k.link, create)
	if errors.Is(err, wire.ErrConflict) {
		// The other side created it first, or someone squats the id.
		info, err = doAs[*wire.ChatInfo](ctx, k.link, &wire.GetChat{ChatID: id})
		if err != nil || !isDirectPair(info, k.meID, account) {
			create.ChatID = ids.New[ids.Chat]()
			info, err = doAs[*wire.ChatInfo](ctx, k.link, create)
		}
	}
	return info, err
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
func (k *keyring) adopt(ctx context.Context, info wire.ChatInfo) error {
	id := info.ChatID
	present, err := k.applyChatInfo(ctx, info)
	if err != nil {
		return err
	}
	if !present {
		return detailf(ErrNotFound, "chat %s", id)
	}
	if err := k.fetchEpochs(ctx, id); err != nil {
		return err
	}
	k.rotateIfDue(ctx, id, true)
	return nil
}

// validTitle applies chatcrypto's rules for titles (one line of text, at most
// chatcrypto.MaxTitleBytes), so a title accepted here can always be sent, and a
// received one is held to the same rules.
func validTitle(t string) error {
	if strings.TrimSpace(t) == "" {
		return detailf(ErrInvalid, "enter a title")
	}
	_, err := chatcrypto.EncodeContent(chatcrypto.Content{Kind: chatcrypto.KindChatMeta, ChatMeta: &chatcrypto.ChatMeta{Title: t}})
	switch {
	case errors.Is(err, chatcrypto.ErrTooLarge):
		return detailf(ErrTooLong, "titles have at most %d bytes", chatcrypto.MaxTitleBytes)
	case err != nil:
		return detailf(ErrInvalid, "the title must be one line of text")
	}
	return nil
}

// create creates a group or channel with this account as owner, and announces its
// title.
func (k *keyring) create(ctx context.Context, kind policy.ChatKind, title string, members []ids.Account) (*wire.ChatInfo, error) {
	title = strings.TrimSpace(title)
	if err := validTitle(title); err != nil {
		return nil, err
	}
	list, err := k.memberList(members, policy.RoleMember)
	if err != nil {
		return nil, err
	}
	for _, m := range list {
		if _, err := k.dir.pinAccount(ctx, m.AccountID); err != nil {
			return nil, err
		}
	}
	info, err := doAs[*wire.ChatInfo](ctx, k.link, &wire.CreateChat{ChatID: ids.New[ids.Chat](), Kind: kind, Members: list})
	if err != nil {
		return nil, err
	}
	if err := k.setTitle(ctx, info.ChatID, title, *info); err != nil {
		return nil, err
	}
	return info, nil
}

// memberList checks account ids for a membership request.
func (k *keyring) memberList(accounts []ids.Account, role policy.Role) ([]wire.Member, error) {
	if len(accounts) >= wire.MaxChatMembers {
		return nil, detailf(ErrTooLong, "at most %d members", wire.MaxChatMembers-1)
	}
	seen := map[ids.Account]bool{}
	out := make([]wire.Member, 0, len(accounts))
	for _, id := range accounts {
		if id.IsZero() || id == k.meID || seen[id] {
			continue
		}
		seen[id] = true
		out = append(out, wire.Member{AccountID: id, Role: role})
	}
	return out, nil
}

// setTitle stores the chat with its title and queues the message that tells the
// members.
func (k *keyring) setTitle(ctx context.Context, id ids.Chat, title string, info wire.ChatInfo) error {
	if _, err := k.applyChatInfo(ctx, info); err != nil {
		return err
	}
	err := k.v.Update(ctx, func(tx *vault.Tx) error {
		c, err := tx.Chat(id)
		if err != nil {
			return err
		}
		c.Title = title
		if err := k.chats.update(tx, c); err != nil {
			return err
		}
		return k.titles.queueTitle(tx, id, title)
	})
	if err != nil {
		return fmt.Errorf("store title: %w", err)
	}
	k.titles.kick()
	return nil
}

// members returns a chat's members.
func (k *keyring) members(ctx context.Context, id ids.Chat) ([]Member, error) {
	var out []Member
	err := k.v.View(ctx, func(tx *vault.Tx) error {
		c, err := tx.Chat(id)
		if err != nil {
			return err
		}
		names := nameCache{}
		out = make([]Member, 0, len(c.Members))
		for _, m := range c.Members {
			mm := Member{Account: m.AccountID, Role: m.Role, IsMe: m.AccountID == k.meID, DisplayName: k.dir.nameOf(tx, m.AccountID, names)}
			if mm.IsMe {
				mm.Handle = k.dir.ownHandle()
			} else if ct, err := tx.Contact(m.AccountID); err == nil {
				mm.Handle = ct.Handle
			}
			out = append(out, mm)
		}
		return nil
	})
	return out, notFound(err, "chat", id)
}

// updateMembers sends a membership change and stores the result.
func (k *keyring) updateMembers(ctx context.Context, id ids.Chat, u *wire.UpdateMembers) (*wire.ChatInfo, error) {
	var kind policy.ChatKind
	err := k.v.View(ctx, func(tx *vault.Tx) error {
		c, err := tx.Chat(id)
		kind = c.Kind
		return err
	})
	if err != nil {
		return nil, notFound(err, "chat", id)
	}
	if kind == policy.KindDirect {
		return nil, detailf(ErrForbidden, "the members of a 1:1 chat cannot change")
	}
	u.ChatID = id
	info, err := doAs[*wire.ChatInfo](ctx, k.link, u)
	if err != nil {
		return nil, err
	}
	if _, err := k.applyChatInfo(ctx, *info); err != nil {
		return nil, err
	}
	return info, nil
}

// addMembers adds accounts to a group or channel. The chat key rotates so the new
// members can read what follows (not what came before), and they are told the title.
func (k *keyring) addMembers(ctx context.Context, id ids.Chat, accounts []ids.Account) ([]Member, error) {
	list, err := k.memberList(accounts, policy.RoleMember)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return k.members(ctx, id)
	}
	for _, m := range list {
		if _, err := k.dir.pinAccount(ctx, m.AccountID); err != nil {
			return nil, err
		}
	}
	info, err := k.updateMembers(ctx, id, &wire.UpdateMembers{Add: list})
	if err != nil {
		return nil, err
	}
	if err := k.requireEpoch(ctx, id, info.Epoch+1); err != nil {
		return nil, err
	}
	if err := k.rotate(ctx, id); err != nil {
		k.log.Info("rotate after adding members", "chat", id.String(), "err", err)
	}
	var title string
	if err := k.v.View(ctx, func(tx *vault.Tx) error {
		c, err := tx.Chat(id)
		title = c.Title
		return err
	}); err != nil {
		return nil, err
	}
	if title != "" {
		if err := k.setTitle(ctx, id, title, *info); err != nil {
			return nil, err
		}
	}
	return k.members(ctx, id)
}

// removeMember removes an account and rotates the chat key to leave it out.
func (k *keyring) removeMember(ctx context.Context, id ids.Chat, account ids.Account) ([]Member, error) {
	if account == k.meID {
		return nil, detailf(ErrInvalid, "use Leave to leave a chat")
	}
	if _, err := k.updateMembers(ctx, id, &wire.UpdateMembers{Remove: []ids.Account{account}}); err != nil {
		return nil, err
	}
	if err := k.rotate(ctx, id); err != nil {
		// The removal stands; the next send (or another admin) rotates.
		k.log.Warn("rotate after removal", "chat", id.String(), "err", err)
	}
	return k.members(ctx, id)
}

// setRole changes a member's role (owner only; there is one owner).
func (k *keyring) setRole(ctx context.Context, id ids.Chat, account ids.Account, role policy.Role) ([]Member, error) {
	switch role {
	case policy.RoleAdmin, policy.RoleMember:
	case policy.RoleOwner:
		return nil, detailf(ErrForbidden, "a chat has one owner")
	default:
		return nil, detailf(ErrInvalid, "unknown role %v", role)
	}
	if _, err := k.updateMembers(ctx, id, &wire.UpdateMembers{Add: []wire.Member{{AccountID: account, Role: role}}}); err != nil {
		return nil, err
	}
	return k.members(ctx, id)
}

// leave leaves a group or channel and deletes it on this device. The remaining
// admins rotate the key.
func (k *keyring) leave(ctx context.Context, id ids.Chat) error {
	if _, err := k.updateMembers(ctx, id, &wire.UpdateMembers{Remove: []ids.Account{k.meID}}); err != nil {
		return err
	}
	k.removeLocal(ctx, id)
	return nil
}

// notFound turns the vault's ErrNotFound into the package's, naming what is missing.
func notFound(err error, what string, id fmt.Stringer) error {
	if errors.Is(err, vault.ErrNotFound) {
		return detailf(ErrNotFound, "%s %s", what, id)
	}
	return err
}
