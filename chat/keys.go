package chat

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"

	"hush/chatcrypto"
	"hush/clock"
	"hush/identity"
	"hush/ids"
	"hush/policy"
	"hush/sync/wire"
	"hush/vault"
)

// The keyring holds each chat's epoch keys and the membership they are wrapped to.
// Epoch keys are wrapped to each member account's X25519 key, each envelope signed
// by the rotating device (chatcrypto.NewKeyLogEntry, chatcrypto.SignKeyLogEntry),
// published with PutEpoch, and rotated when a member leaves or is removed — to the
// remaining members only. Keys from the relay are verified before they are kept, and
// kept write-once: a relay cannot swap a key. Its lock serialises the rotations of
// each chat; its membership operations are in membership.go.
type keyring struct {
	v      *vault.Vault
	link   *link
	chats  *chatStore
	dir    *directory
	me     *identity.AccountKey
	meID   ids.Account
	sealer *chatcrypto.Sender
	clk    clock.Clock
	log    *slog.Logger
	obs    Observer
	warn   func(Warning)
	titles titleQueue // the outbox, which carries titles as messages
	// forget are the parts told when a chat is gone from this device.
	forget []chatForgetter
	view   *chatList

	mu       sync.Mutex
	rotating map[ids.Chat]*sync.Mutex
}

// titleQueue is the outbox as the keyring needs it: a chat's title travels as a
// message, queued in the transaction that stores it.
type titleQueue interface {
	queueTitle(tx *vault.Tx, chat ids.Chat, title string) error
	kick()
}

// chatForgetter is a part that holds state per chat, told when a chat is gone from
// this device.
type chatForgetter interface {
	forget(ids.Chat)
}

// maxRotateAttempts bounds the retries of a PutEpoch that raced a membership change
// or another device's rotation.
const maxRotateAttempts = 3

// errNotMember reports that the relay no longer lists this account in a chat.
var errNotMember = errors.New("chat: no longer a member")

// chatKey is a chat's newest epoch key.
type chatKey struct {
	epoch uint64
	key   chatcrypto.EpochKey
}

// fetchEpochs fetches, verifies and stores the chat's epoch keys newer than the
// newest one in the vault.
func (k *keyring) fetchEpochs(ctx context.Context, id ids.Chat) error {
	from, err := k.latestEpoch(ctx, id)
	if err != nil {
		return err
	}
	from++
	for {
		page, err := doAs[*wire.Epochs](ctx, k.link, &wire.FetchEpochs{ChatID: id, FromEpoch: from})
		if err != nil {
			return err
		}
		for _, key := range page.Keys {
			if err := k.storeEpoch(ctx, id, key); err != nil {
				return err
			}
			from = max(from, key.Epoch+1)
		}
		if !page.More || len(page.Keys) == 0 {
			return nil
		}
	}
}

// latestEpoch is the newest epoch with a key in the vault, 0 if none.
func (k *keyring) latestEpoch(ctx context.Context, id ids.Chat) (uint64, error) {
	var ep uint64
	err := k.v.View(ctx, func(tx *vault.Tx) error {
		var err error
		ep, err = tx.LatestEpoch(id)
		if errors.Is(err, vault.ErrNotFound) {
			ep, err = 0, nil
		}
		return err
	})
	return ep, err
}

// newEpoch stores a pushed epoch key; epochs skipped meanwhile (a push lost) are
// fetched in order instead.
func (k *keyring) newEpoch(ctx context.Context, id ids.Chat, key wire.EpochKey) error {
	latest, err := k.latestEpoch(ctx, id)
	if err != nil {
		return err
	}
	if key.Epoch > latest+1 {
		return k.fetchEpochs(ctx, id)
	}
	return k.storeEpoch(ctx, id, key)
}

// storeEpoch verifies one epoch key from the relay and keeps it. An envelope that
// fails verification is dropped with a warning; it never replaces a stored key.
func (k *keyring) storeEpoch(ctx context.Context, id ids.Chat, key wire.EpochKey) error {
	if key.Epoch > math.MaxInt64 {
		k.warn(Warning{Chat: id, Kind: WarnImpossibleEpoch})
		return nil
	}
	have := false
	if err := k.v.View(ctx, func(tx *vault.Tx) error {
		_, err := tx.EpochKey(id, key.Epoch)
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
	if by := key.ByAccount; by != k.meID {
		if _, err := k.dir.pinAccount(ctx, by); err != nil {
			k.log.Info("pin the author of an epoch", "account", by.String(), "err", err)
		}
	}
	var authorized []identity.AccountPublicKey
	err := k.v.View(ctx, func(tx *vault.Tx) error {
		c, meta, err := chatWithMeta(tx, id)
		if err != nil {
			return err
		}
		authorized = k.signersAt(tx, &c, &meta, key.Epoch)
		return nil
	})
	if err != nil {
		return err
	}
	epochKey, cert, err := chatcrypto.VerifyKeyLogEntry(key.Envelope, id, key.Epoch, k.me, authorized)
	if err != nil {
		k.log.Info("epoch key failed verification", "chat", id.String(), "epoch", key.Epoch, "err", err)
		k.warn(Warning{Chat: id, Kind: WarnKeyUnverified})
		return nil
	}
	if cert.Account.ID() != key.ByAccount || cert.Device.ID() != key.ByDevice {
		k.warn(Warning{Chat: id, Kind: WarnKeySignerMismatch})
		return nil
	}
	return k.keep(ctx, id, key.Epoch, epochKey)
}

// keep stores an epoch key (write-once) and notes it in the chat's state.
func (k *keyring) keep(ctx context.Context, id ids.Chat, epoch uint64, key chatcrypto.EpochKey) error {
	raw := key.Bytes()
	defer clear(raw)
	conflict := false
	err := k.v.Update(ctx, func(tx *vault.Tx) error {
		conflict = false
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
		_, err := k.chats.updateMeta(tx, id, func(_ *vault.Chat, meta *chatMeta) {
			if meta.FirstEpoch == 0 || epoch < meta.FirstEpoch {
				meta.FirstEpoch = epoch
			}
			meta.Epoch = max(meta.Epoch, epoch)
		})
		return err
	})
	if err != nil {
		return fmt.Errorf("store epoch %d of %s: %w", epoch, id, err)
	}
	if conflict {
		k.warn(Warning{Chat: id, Kind: WarnKeyConflict})
	}
	return nil
}

// signersAt returns the pinned keys of the accounts that may have put an epoch: this
// account, the current members and those that left after it.
func (k *keyring) signersAt(tx *vault.Tx, c *vault.Chat, meta *chatMeta, epoch uint64) []identity.AccountPublicKey {
	keys := []identity.AccountPublicKey{k.me.Public()}
	add := func(id ids.Account) {
		if id == k.meID {
			return
		}
		if key, err := k.dir.accountKey(tx, id); err == nil {
			keys = append(keys, key)
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
func (k *keyring) rotateIfDue(ctx context.Context, id ids.Chat, eager bool) {
	var due, allowed bool
	err := k.v.View(ctx, func(tx *vault.Tx) error {
		c, meta, err := chatWithMeta(tx, id)
		if err != nil {
			return err
		}
		due = meta.Epoch == 0 || meta.NeedEpoch > meta.Epoch
		allowed = !eager || policy.CanSignEpoch(c.Kind, roleOf(&c, k.meID), false)
		return nil
	})
	if err != nil || !due || !allowed {
		return
	}
	if err := k.rotate(ctx, id); err != nil && !errors.Is(err, ErrForbidden) {
		k.log.Info("rotate chat key", "chat", id.String(), "err", err)
	}
}

func (k *keyring) rotationLock(id ids.Chat) *sync.Mutex {
	k.mu.Lock()
	defer k.mu.Unlock()
	m := k.rotating[id]
	if m == nil {
		m = &sync.Mutex{}
		k.rotating[id] = m
	}
	return m
}

// rotate puts the chat's next epoch: a fresh key wrapped to every current member,
// each envelope signed by this device. The relay refuses it when membership changed
// meanwhile or another device rotated first; then rotate looks again, a few times.
func (k *keyring) rotate(ctx context.Context, id ids.Chat) error {
	l := k.rotationLock(id)
	l.Lock()
	defer l.Unlock()
	for attempt := 0; ; attempt++ {
		info, err := doAs[*wire.ChatInfo](ctx, k.link, &wire.GetChat{ChatID: id})
		if err != nil {
			return err
		}
		present, err := k.applyChatInfo(ctx, *info)
		if err != nil {
			return err
		}
		if !present {
			return errNotMember
		}
		if err := k.fetchEpochs(ctx, id); err != nil {
			return err
		}
		meta, members, missing, err := k.memberKeys(ctx, id)
		if err != nil {
			return err
		}
		latest, err := k.latestEpoch(ctx, id)
		if err != nil {
			return err
		}
		if info.Epoch > 0 && meta.NeedEpoch <= info.Epoch && latest == info.Epoch {
			return nil // someone else rotated; we hold the key
		}
		if missing > 0 {
			return fmt.Errorf("rotate %s: %d members' keys are not pinned", id, missing)
		}
		epoch := info.Epoch + 1
		key, err := chatcrypto.NewEpochKey()
		if err != nil {
			return err
		}
		wrapped, err := k.wrap(key, id, epoch, members)
		if err != nil {
			return err
		}
		_, err = doAs[*wire.OK](ctx, k.link, &wire.PutEpoch{ChatID: id, Epoch: epoch, Wrapped: wrapped})
		switch {
		case err == nil:
			k.log.Info("chat key rotated", "chat", id.String(), "epoch", epoch, "members", len(wrapped))
			return k.keep(ctx, id, epoch, key)
		case errors.Is(err, wire.ErrConflict) && attempt+1 < maxRotateAttempts:
			continue
		default:
			return err
		}
	}
}

// memberKeys reads a chat's sync state and its members' pinned keys, counting the
// members whose keys are not pinned.
func (k *keyring) memberKeys(ctx context.Context, id ids.Chat) (chatMeta, []identity.AccountPublicKey, int, error) {
	var meta chatMeta
	var keys []identity.AccountPublicKey
	missing := 0
	err := k.v.View(ctx, func(tx *vault.Tx) error {
		c, m, err := chatWithMeta(tx, id)
		if err != nil {
			return err
		}
		meta = m
		for _, mem := range c.Members {
			key, err := k.dir.accountKey(tx, mem.AccountID)
			if errors.Is(err, vault.ErrNotFound) {
				missing++
				continue
			}
			if err != nil {
				return err
			}
			keys = append(keys, key)
		}
		return nil
	})
	return meta, keys, missing, err
}

// wrap wraps key to every member and signs each envelope with this device.
func (k *keyring) wrap(key chatcrypto.EpochKey, id ids.Chat, epoch uint64, members []identity.AccountPublicKey) ([]wire.WrappedKey, error) {
	// Version 1 envelopes (X25519 only) until the relay takes version 2 signed
	// envelopes (about 1.5 KiB; wire.MaxEnvelopeSize is 1 KiB), and no membership
	// log head yet.
	v1 := make([]identity.AccountPublicKey, len(members))
	for i, m := range members {
		v1[i] = m.WithoutKEM()
	}
	entry, err := chatcrypto.NewKeyLogEntry(key, id, epoch, chatcrypto.LogHead{}, v1)
	if err != nil {
		return nil, fmt.Errorf("rotate %s: %w", id, err)
	}
	signed, err := chatcrypto.SignKeyLogEntry(entry, k.sealer)
	if err != nil {
		return nil, fmt.Errorf("rotate %s: %w", id, err)
	}
	wrapped := make([]wire.WrappedKey, 0, len(signed.Envelopes))
	for _, env := range signed.Envelopes {
		wrapped = append(wrapped, wire.WrappedKey{AccountID: env.Recipient, Envelope: env.Signed})
	}
	return wrapped, nil
}

// currentKey returns the chat's newest epoch key, rotating first when the chat has
// none or a member left since, and this account may rotate. It fails with
// errPermanent when the chat can never be sent to, and errWait when it has no usable
// key yet.
func (k *keyring) currentKey(ctx context.Context, id ids.Chat) (*chatKey, error) {
	ck, due, err := k.loadKey(ctx, id)
	if errors.Is(err, vault.ErrNotFound) {
		return nil, fmt.Errorf("%w: the chat is gone", errPermanent)
	}
	if err != nil || !due {
		return ck, err
	}
	if err := k.fetchEpochs(ctx, id); err != nil {
		return nil, err
	}
	if ck2, due, err := k.loadKey(ctx, id); err == nil && !due {
		return ck2, nil
	}
	switch err := k.rotate(ctx, id); {
	case err == nil:
	case errors.Is(err, ErrForbidden):
		// Not ours to rotate; if the relay is satisfied with the current epoch, the
		// relay's Send says so.
		if err := k.forgetRotation(ctx, id); err != nil {
			return nil, err
		}
	case errors.Is(err, errNotMember):
		return nil, fmt.Errorf("%w: no longer a member", errPermanent)
	default:
		return nil, err
	}
	ck, _, err = k.loadKey(ctx, id)
	if err != nil {
		return nil, err
	}
	if ck == nil {
		return nil, errWait
	}
	return ck, nil
}

// loadKey reads the chat's newest epoch key (nil if none) and whether a newer epoch
// is due.
func (k *keyring) loadKey(ctx context.Context, id ids.Chat) (*chatKey, bool, error) {
	var ck *chatKey
	var due bool
	err := k.v.View(ctx, func(tx *vault.Tx) error {
		_, meta, err := chatWithMeta(tx, id)
		if err != nil {
			return err
		}
		ep, err := tx.LatestEpoch(id)
		if errors.Is(err, vault.ErrNotFound) {
			due = true
			return nil
		}
		if err != nil {
			return err
		}
		raw, err := tx.EpochKey(id, ep)
		if err != nil {
			return err
		}
		key, err := chatcrypto.EpochKeyFromBytes(raw)
		clear(raw)
		if err != nil {
			return err
		}
		ck = &chatKey{epoch: ep, key: key}
		due = meta.NeedEpoch > ep || meta.Epoch > ep
		return nil
	})
	return ck, due, err
}

// forgetRotation drops a pending rotation this account may not do (the relay
// refused it: someone else already rotated, or the role does not allow it).
func (k *keyring) forgetRotation(ctx context.Context, id ids.Chat) error {
	return k.v.Update(ctx, func(tx *vault.Tx) error {
		_, err := k.chats.updateMeta(tx, id, func(_ *vault.Chat, meta *chatMeta) { meta.NeedEpoch = 0 })
		return err
	})
}

// requireEpoch notes that the next message must use at least epoch.
func (k *keyring) requireEpoch(ctx context.Context, id ids.Chat, epoch uint64) error {
	return k.v.Update(ctx, func(tx *vault.Tx) error {
		_, err := k.chats.updateMeta(tx, id, func(_ *vault.Chat, meta *chatMeta) { meta.NeedEpoch = max(meta.NeedEpoch, epoch) })
		return err
	})
}
