package chat

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"

	"hush/chatcrypto"
	"hush/identity"
	"hush/ids"
	"hush/policy"
	"hush/sync/wire"
	"hush/vault"
)

// maxRotateAttempts bounds the retries of a PutEpoch that raced a membership change
// or another device's rotation.
const maxRotateAttempts = 3

// fetchEpochs fetches, verifies and stores the chat's epoch keys newer than the
// newest one in the vault.
func (e *Engine) fetchEpochs(ctx context.Context, id ids.Chat) error {
	from, err := e.latestEpoch(ctx, id)
	if err != nil {
		return err
	}
	from++
	for {
		page, err := doAs[*wire.Epochs](ctx, e, &wire.FetchEpochs{ChatID: ids.Chat(id), FromEpoch: from})
		if err != nil {
			return err
		}
		for _, k := range page.Keys {
			if err := e.storeEpoch(ctx, id, k); err != nil {
				return err
			}
			from = max(from, k.Epoch+1)
		}
		if !page.More || len(page.Keys) == 0 {
			return nil
		}
	}
}

// latestEpoch is the newest epoch with a key in the vault, 0 if none.
func (e *Engine) latestEpoch(ctx context.Context, id ids.Chat) (uint64, error) {
	var ep uint64
	err := e.v.View(ctx, func(tx *vault.Tx) error {
		var err error
		ep, err = tx.LatestEpoch(id)
		if errors.Is(err, vault.ErrNotFound) {
			ep, err = 0, nil
		}
		return err
	})
	return ep, err
}

// onNewEpoch stores a pushed epoch key, then retries what waited for it: messages
// of that epoch and sends.
func (e *Engine) onNewEpoch(ctx context.Context, n *wire.NewEpoch) {
	id := n.ChatID
	known, err := e.hasChat(ctx, id)
	if err != nil {
		return
	}
	if !known {
		if err := e.syncChat(ctx, id); err != nil {
			e.log.Info("new epoch of an unknown chat", "chat", id.String(), "err", err)
		}
		return
	}
	// Epochs may have been skipped (a push lost meanwhile): fetch fills them in order.
	latest, err := e.latestEpoch(ctx, id)
	if err != nil {
		return
	}
	if n.Key.Epoch > latest+1 {
		err = e.fetchEpochs(ctx, id)
	} else {
		err = e.storeEpoch(ctx, id, n.Key)
	}
	if err != nil {
		e.log.Info("new epoch", "chat", id.String(), "err", err)
		return
	}
	if err := e.fetchMessages(ctx, id); err != nil {
		e.log.Info("messages after new epoch", "chat", id.String(), "err", err)
	}
	e.kick(e.kickFlush)
}

// storeEpoch verifies one epoch key from the relay and keeps it. An envelope that
// fails verification is dropped with a warning; it never replaces a stored key.
func (e *Engine) storeEpoch(ctx context.Context, id ids.Chat, k wire.EpochKey) error {
	if k.Epoch > math.MaxInt64 {
		e.warn(Warning{Chat: id, Kind: WarnImpossibleEpoch})
		return nil
	}
	have := false
	if err := e.v.View(ctx, func(tx *vault.Tx) error {
		_, err := tx.EpochKey(id, k.Epoch)
		have = err == nil
		if errors.Is(err, vault.ErrNotFound) {
			return nil
		}
		return err
	}); err != nil {
		return err
	}
	if have {
		return nil
	}
	if by := k.ByAccount; by != e.meID {
		if _, err := e.pinAccount(ctx, by); err != nil {
			e.log.Info("pin the author of an epoch", "account", by.String(), "err", err)
		}
	}
	var authorized []identity.AccountPublicKey
	err := e.v.View(ctx, func(tx *vault.Tx) error {
		c, meta, err := chatWithMeta(tx, id)
		if err != nil {
			return err
		}
		authorized = e.signersAt(tx, &c, &meta, k.Epoch)
		return nil
	})
	if err != nil {
		return err
	}
	key, cert, err := chatcrypto.VerifyKeyLogEntry(k.Envelope, ids.Chat(id), k.Epoch, e.acct, authorized)
	if err != nil {
		e.log.Info("epoch key failed verification", "chat", id.String(), "epoch", k.Epoch, "err", err)
		e.warn(Warning{Chat: id, Kind: WarnKeyUnverified})
		return nil
	}
	if cert.Account.ID() != k.ByAccount || cert.Device.ID() != k.ByDevice {
		e.warn(Warning{Chat: id, Kind: WarnKeySignerMismatch})
		return nil
	}
	return e.keepEpoch(ctx, id, k.Epoch, key)
}

// keepEpoch stores an epoch key (write-once) and notes it in the chat's state.
func (e *Engine) keepEpoch(ctx context.Context, id ids.Chat, epoch uint64, key chatcrypto.EpochKey) error {
	raw := key.Bytes()
	defer clear(raw)
	conflict := false
	err := e.v.Update(ctx, func(tx *vault.Tx) error {
		conflict = false
		c, meta, err := chatWithMeta(tx, id)
		if err != nil {
			return err
		}
		switch err := tx.PutEpochKey(id, epoch, raw); {
		case errors.Is(err, vault.ErrExists):
			stored, err := tx.EpochKey(id, epoch)
			if err != nil {
				return err
			}
			old, err := chatcrypto.EpochKeyFromBytes(stored)
			clear(stored)
			if err != nil {
				return err
			}
			conflict = !old.Equal(key)
			return nil
		case err != nil:
			return err
		}
		if meta.FirstEpoch == 0 || epoch < meta.FirstEpoch {
			meta.FirstEpoch = epoch
		}
		meta.Epoch = max(meta.Epoch, epoch)
		if c.Extra, err = encodeMeta(meta); err != nil {
			return err
		}
		return e.updateChat(tx, c)
	})
	if err != nil {
		return fmt.Errorf("store epoch %d of %s: %w", epoch, id, err)
	}
	if conflict {
		e.warn(Warning{Chat: id, Kind: WarnKeyConflict})
	}
	return nil
}

// signersAt returns the pinned keys of the accounts that may have put an epoch: this
// account, the current members and those that left after it.
func (e *Engine) signersAt(tx *vault.Tx, c *vault.Chat, meta *chatMeta, epoch uint64) []identity.AccountPublicKey {
	keys := []identity.AccountPublicKey{e.me}
	add := func(id ids.Account) {
		if id == e.meID {
			return
		}
		if k, err := e.accountKey(tx, id); err == nil {
			keys = append(keys, k)
		}
	}
	for _, m := range c.Members {
		add(m.AccountID)
	}
	for _, f := range meta.Former {
		if epoch < f.LeftEpoch {
			add(ids.Account(f.Account))
		}
	}
	return keys
}

// rotateIfDue puts a new epoch when the chat needs one and this account may put it:
// the chat has no key yet, or a member left since the current epoch. Eager callers
// (membership changes) leave a pending rotation to the owner and admins; senders
// rotate whatever their role.
func (e *Engine) rotateIfDue(ctx context.Context, id ids.Chat, eager bool) {
	var due, allowed bool
	err := e.v.View(ctx, func(tx *vault.Tx) error {
		c, meta, err := chatWithMeta(tx, id)
		if err != nil {
			return err
		}
		due = meta.Epoch == 0 || meta.NeedEpoch > meta.Epoch
		role := roleOf(&c, e.meID)
		allowed = c.Kind == policy.KindDirect || role == policy.RoleOwner || role == policy.RoleAdmin || !eager
		return nil
	})
	if err != nil || !due || !allowed {
		return
	}
	if err := e.rotate(ctx, id); err != nil && !errors.Is(err, ErrForbidden) {
		e.log.Info("rotate chat key", "chat", id.String(), "err", err)
	}
}

func (e *Engine) rotationLock(id ids.Chat) *sync.Mutex {
	e.rotMu.Lock()
	defer e.rotMu.Unlock()
	m := e.rotating[id]
	if m == nil {
		m = &sync.Mutex{}
		e.rotating[id] = m
	}
	return m
}

// rotate puts the chat's next epoch: a fresh key wrapped to every current member,
// each envelope signed by this device. The relay refuses it when membership changed
// meanwhile or another device rotated first; then rotate looks again, a few times.
func (e *Engine) rotate(ctx context.Context, id ids.Chat) error {
	l := e.rotationLock(id)
	l.Lock()
	defer l.Unlock()
	for attempt := 0; ; attempt++ {
		info, err := doAs[*wire.ChatInfo](ctx, e, &wire.GetChat{ChatID: ids.Chat(id)})
		if err != nil {
			return err
		}
		present, err := e.applyChatInfo(ctx, *info)
		if err != nil {
			return err
		}
		if !present {
			return ErrNotFound
		}
		if err := e.fetchEpochs(ctx, id); err != nil {
			return err
		}
		var meta chatMeta
		var members []identity.AccountPublicKey
		var missing []ids.Account
		err = e.v.View(ctx, func(tx *vault.Tx) error {
			c, err := tx.Chat(id)
			if err != nil {
				return err
			}
			if meta, err = decodeMeta(c.Extra); err != nil {
				return err
			}
			for _, m := range c.Members {
				k, err := e.accountKey(tx, m.AccountID)
				if errors.Is(err, vault.ErrNotFound) {
					missing = append(missing, m.AccountID)
					continue
				}
				if err != nil {
					return err
				}
				members = append(members, k)
			}
			return nil
		})
		if err != nil {
			return err
		}
		latest, err := e.latestEpoch(ctx, id)
		if err != nil {
			return err
		}
		if info.Epoch > 0 && meta.NeedEpoch <= info.Epoch && latest == info.Epoch {
			return nil // someone else rotated; we hold the key
		}
		if len(missing) > 0 {
			return fmt.Errorf("rotate %s: %d members' keys are not pinned", id, len(missing))
		}
		epoch := info.Epoch + 1
		key, err := chatcrypto.NewEpochKey()
		if err != nil {
			return err
		}
		entry, err := chatcrypto.NewKeyLogEntry(key, ids.Chat(id), epoch, members)
		if err != nil {
			return fmt.Errorf("rotate %s: %w", id, err)
		}
		signed, err := chatcrypto.SignKeyLogEntry(entry, e.sender)
		if err != nil {
			return fmt.Errorf("rotate %s: %w", id, err)
		}
		wrapped := make([]wire.WrappedKey, 0, len(signed.Envelopes))
		for _, env := range signed.Envelopes {
			wrapped = append(wrapped, wire.WrappedKey{AccountID: ids.Account(env.Recipient), Envelope: env.Signed})
		}
		_, err = doAs[*wire.OK](ctx, e, &wire.PutEpoch{ChatID: ids.Chat(id), Epoch: epoch, Wrapped: wrapped})
		switch {
		case err == nil:
			e.log.Info("chat key rotated", "chat", id.String(), "epoch", epoch, "members", len(wrapped))
			return e.keepEpoch(ctx, id, epoch, key)
		case errors.Is(err, wire.ErrForbidden):
			return fmt.Errorf("%w: %w", ErrForbidden, err)
		case errors.Is(err, wire.ErrConflict) && attempt+1 < maxRotateAttempts:
			continue
		default:
			return err
		}
	}
}

// accountKey returns the pinned account key of id (this account's own for itself).
func (e *Engine) accountKey(tx *vault.Tx, id ids.Account) (identity.AccountPublicKey, error) {
	if id == e.meID {
		return e.me, nil
	}
	c, err := tx.Contact(id)
	if err != nil {
		return identity.AccountPublicKey{}, err
	}
	return contactKey(c)
}

// contactKey rebuilds a pinned key from its stored halves.
func contactKey(c vault.Contact) (identity.AccountPublicKey, error) {
	b := make([]byte, 0, identity.PublicKeySize)
	b = append(append(b, c.SigningKey...), c.EncryptionKey...)
	k, err := identity.ParseAccountPublicKey(b)
	if err != nil {
		return identity.AccountPublicKey{}, fmt.Errorf("pinned key of %s: %w", c.AccountID, err)
	}
	return k, nil
}

func roleOf(c *vault.Chat, id ids.Account) policy.Role {
	for _, m := range c.Members {
		if m.AccountID == id {
			return m.Role
		}
	}
	return 0
}
