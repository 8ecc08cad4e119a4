package chat

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"

	"hush/ids"
	"hush/membership"
	"hush/policy"
	"hush/sync/wire"
	"hush/vault"
)

// Membership is the keyring's other half: the requests that change who is in a chat
// — each one a record of the chat's membership log, signed here and checked by every
// member (roster.go) — and what the relay says of a chat it routes: receipt
// positions, the newest epoch, whether it serves the chat at all. None of that
// decides who is a member; a chat the relay stops serving is marked, never deleted
// (docs/SECURITY.md, "History belongs to the user").

// adopt brings a chat the relay describes up to date: its membership log first, then
// what the relay routes, its epoch keys and a key that is due. It reports whether
// the chat is held here (the log makes this account a member, or made it one).
func (k *keyring) adopt(ctx context.Context, info wire.ChatInfo) (bool, error) {
	id := info.ChatID
	held, err := k.roster.sync(ctx, id, info.LogLen)
	if err != nil || !held {
		if !held && err == nil && info.LogLen == 0 {
			held, err = k.chats.has(ctx, id) // a chat held from before logs existed
		}
		if err != nil || !held {
			return held, err
		}
	}
	if err := k.observeRelay(ctx, info); err != nil {
		return true, err
	}
	if info.LogLen == 0 {
		if err := k.roster.adoptLegacy(ctx, id, info); err != nil {
			k.log.Info("secure an older chat", "chat", id.String(), "err", err)
		}
	}
	if !k.member(ctx, id) {
		return true, nil
	}
	if err := k.fetchEpochs(ctx, id); err != nil {
		return true, err
	}
	k.rotateIfDue(ctx, id)
	return true, nil
}

// member reports whether this account is a member of a chat held here.
func (k *keyring) member(ctx context.Context, id ids.Chat) bool {
	in := false
	_ = k.v.View(ctx, func(tx *vault.Tx) error {
		c, err := tx.Chat(id)
		in = err == nil && roleOf(&c, k.meID) != 0
		return err
	})
	return in
}

// observeRelay records what the relay says of a chat held here: this account's and
// the others' positions, the newest epoch, and that it serves the chat. A member the
// relay lists without a record is reported (roster.checkRelayMembers).
func (k *keyring) observeRelay(ctx context.Context, info wire.ChatInfo) error {
	id := info.ChatID
	var mine *wire.MemberInfo
	for i := range info.Members {
		if info.Members[i].AccountID == k.meID {
			mine = &info.Members[i]
		}
	}
	var sum Chat
	var moved bool
	var lo uint64
	var after chatMeta
	var behind bool
	err := k.v.Update(ctx, func(tx *vault.Tx) error {
		moved, lo, behind = false, math.MaxUint64, false
		c, err := k.chats.updateMeta(tx, id, func(c *vault.Chat, meta *chatMeta) {
			meta.Epoch = max(meta.Epoch, info.Epoch)
			// The relay serves the chat: it is available, whatever its member
			// list says. Only a signed record removes this account (roster.go);
			// a list that leaves it out is the relay's word alone.
			meta.Unavailable = k.checks.relayRemoves && mine == nil && roleOf(c, k.meID) != 0
			if meta.LogLen == 0 && c.Kind == 0 {
				c.Kind = info.Kind
			}
			for _, m := range info.Members {
				if m.AccountID != k.meID {
					// The receipts that moved these may have been lost with a
					// relay that died before pushing them.
					if ok, from := meta.movePeer(m.DeliveredSeq, m.ReadSeq); ok {
						moved, lo = true, min(lo, from)
					}
				}
			}
			if mine != nil {
				meta.MyRead = max(meta.MyRead, mine.ReadSeq)
				meta.MyDelivered = max(meta.MyDelivered, mine.DeliveredSeq, meta.MyRead)
				// Positions marked here that never reached the relay: the
				// marker's queue lives in memory and dies with the process.
				behind = meta.MyRead > mine.ReadSeq || meta.MyDelivered > mine.DeliveredSeq
			}
			after = *meta
		})
		if err != nil {
			return err
		}
		sum, err = k.view.summary(tx, c)
		return err
	})
	if err != nil {
		return fmt.Errorf("store chat %s: %w", id, err)
	}
	k.obs.ChatUpdated(sum)
	if moved {
		k.view.reportStatuses(ctx, id, lo, max(after.PeerDelivered, after.PeerRead), after)
	}
	if behind && k.marks != nil {
		k.marks.queue(id) // a request's positions stay here: the marker holds them back
	}
	k.roster.checkRelayMembers(ctx, id, info)
	return nil
}

// unavailable marks a chat held here that the relay does not serve (it stopped
// listing it, or answers that it does not exist): it stays, readable, until the user
// deletes it, and comes back when the relay serves it again.
func (k *keyring) unavailable(ctx context.Context, id ids.Chat) {
	if k.checks.obeyRelay {
		k.removeLocal(ctx, id) // weakened for tests: what older versions did
		return
	}
	var sum *Chat
	err := k.v.Update(ctx, func(tx *vault.Tx) error {
		sum = nil
		c, meta, err := chatWithMeta(tx, id)
		if err != nil || meta.Unavailable || roleOf(&c, k.meID) == 0 {
			return err
		}
		c, err = k.chats.updateMeta(tx, id, func(_ *vault.Chat, m *chatMeta) { m.Unavailable = true })
		if err != nil {
			return err
		}
		s, err := k.view.summary(tx, c)
		sum = &s
		return err
	})
	if err != nil && !errors.Is(err, vault.ErrNotFound) {
		k.log.Warn("mark chat unavailable", "chat", id.String(), "err", err)
	}
	if sum != nil {
		k.log.Info("the relay does not serve a chat; kept here", "chat", id.String())
		k.obs.ChatUpdated(*sum)
	}
}

// removeLocal deletes a chat from this device: only ever on the user's action
// (leaving, deleting, declining).
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
	k.roster.forget(id)
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

// openDirect returns the 1:1 chat with account, creating it if needed. The relay
// keeps one per pair: if the other side made it first, its answer names that one.
func (k *keyring) openDirect(ctx context.Context, account ids.Account) (*wire.ChatInfo, error) {
	if account == k.meID {
		return nil, detailf(ErrInvalid, "a chat with yourself")
	}
	if _, err := k.dir.pinAccount(ctx, account); err != nil {
		return nil, err
	}
	if err := k.dir.choose(ctx, account); err != nil {
		return nil, err
	}
	return k.roster.create(ctx, policy.KindDirect, "", []membership.Member{{Account: account, Role: policy.RoleMember}})
}

// validTitle applies the one rule for titles (policy.CheckTitle), so a title accepted
// here can always be signed, and one received is held to the same rule.
func validTitle(t string) error {
	switch err := policy.CheckTitle(t); {
	case strings.TrimSpace(t) == "":
		return detailf(ErrInvalid, "enter a title")
	case errors.Is(err, policy.ErrTitleTooLong):
		return detailf(ErrTooLong, "titles have at most %d bytes", policy.MaxTitleBytes)
	case err != nil:
		return detailf(ErrInvalid, "the title must be one line of text")
	}
	return nil
}

// create creates a group or channel with this account as owner and the given
// members: its first record carries the title.
func (k *keyring) create(ctx context.Context, kind policy.ChatKind, title string, accounts []ids.Account) (*wire.ChatInfo, error) {
	title = strings.TrimSpace(title)
	if err := validTitle(title); err != nil {
		return nil, err
	}
	list, err := k.memberList(ctx, accounts, policy.RoleMember)
	if err != nil {
		return nil, err
	}
	return k.roster.create(ctx, kind, title, list)
}

// memberList checks account ids for a membership change and pins each one's
// certified keys: an account whose keys cannot be pinned cannot be a member.
func (k *keyring) memberList(ctx context.Context, accounts []ids.Account, role policy.Role) ([]membership.Member, error) {
	if len(accounts) >= policy.MaxChatMembers {
		return nil, detailf(ErrTooLong, "at most %d members", policy.MaxChatMembers-1)
	}
	seen := map[ids.Account]bool{}
	out := make([]membership.Member, 0, len(accounts))
	for _, id := range accounts {
		if id.IsZero() || id == k.meID || seen[id] {
			continue
		}
		seen[id] = true
		if _, err := k.dir.pinAccount(ctx, id); err != nil {
			return nil, err
		}
		out = append(out, membership.Member{Account: id, Role: role})
	}
	return out, nil
}

// members returns a chat's members, as its verified log lists them.
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

// changeMembers signs and appends a change of a group's or channel's log.
func (k *keyring) changeMembers(ctx context.Context, id ids.Chat, c membership.Change) error {
	var kind policy.ChatKind
	err := k.v.View(ctx, func(tx *vault.Tx) error {
		ch, err := tx.Chat(id)
		kind = ch.Kind
		return err
	})
	if err != nil {
		return notFound(err, "chat", id)
	}
	if kind == policy.KindDirect {
		return detailf(ErrForbidden, "the members of a 1:1 chat cannot change")
	}
	_, err = k.roster.change(ctx, id, c, nil)
	return err
}

// addMembers adds accounts to a group or channel. A new key follows, so the new
// members read what comes next (not what came before).
func (k *keyring) addMembers(ctx context.Context, id ids.Chat, accounts []ids.Account) ([]Member, error) {
	list, err := k.memberList(ctx, accounts, policy.RoleMember)
	if err != nil {
		return nil, err
	}
	if len(list) > 0 {
		if err := k.changeMembers(ctx, id, membership.Change{Op: membership.OpAdd, Members: list}); err != nil {
			return nil, err
		}
		k.rotateIfDue(ctx, id)
		// Sealed under the new key, so the new members learn the title and the
		// auto-delete setting too.
		if err := k.roster.shareTitle(ctx, id); err != nil {
			k.log.Info("share the title with new members", "chat", id.String(), "err", err)
		}
		if err := k.roster.titles.shareAutoDelete(ctx, id); err != nil {
			k.log.Info("share the auto-delete setting with new members", "chat", id.String(), "err", err)
		}
	}
	return k.members(ctx, id)
}

// removeMember removes an account. Nothing more is sent under the key it holds: a new
// one is made now, and if that fails the outbox waits for it.
func (k *keyring) removeMember(ctx context.Context, id ids.Chat, account ids.Account) ([]Member, error) {
	if account == k.meID {
		return nil, detailf(ErrInvalid, "use Leave to leave a chat")
	}
	if err := k.changeMembers(ctx, id, membership.Change{Op: membership.OpRemove, Accounts: []ids.Account{account}}); err != nil {
		return nil, err
	}
	k.rotateIfDue(ctx, id)
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
	change := membership.Change{Op: membership.OpSetRole, Members: []membership.Member{{Account: account, Role: role}}}
	if err := k.changeMembers(ctx, id, change); err != nil {
		return nil, err
	}
	return k.members(ctx, id)
}

// setTitle renames a group or channel.
func (k *keyring) setTitle(ctx context.Context, id ids.Chat, title string) error {
	title = strings.TrimSpace(title)
	if err := validTitle(title); err != nil {
		return err
	}
	known, commit := newTitle(id, title)
	var kind policy.ChatKind
	err := k.v.View(ctx, func(tx *vault.Tx) error {
		c, err := tx.Chat(id)
		kind = c.Kind
		return err
	})
	if err != nil {
		return notFound(err, "chat", id)
	}
	if kind == policy.KindDirect {
		return detailf(ErrForbidden, "a 1:1 chat has no title")
	}
	_, err = k.roster.change(ctx, id, membership.Change{Op: membership.OpTitle, Title: commit}, known)
	return err
}

// leave leaves a group or channel and deletes it on this device. A member that
// remains makes the next key.
func (k *keyring) leave(ctx context.Context, id ids.Chat) error {
	if err := k.changeMembers(ctx, id, membership.Change{Op: membership.OpLeave}); err != nil {
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
