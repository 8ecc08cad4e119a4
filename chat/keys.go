package chat

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"time"

	"hush/chatcrypto"
	"hush/clock"
	"hush/identity"
	"hush/ids"
	"hush/membership"
	"hush/sync/wire"
	"hush/vault"
)

// The keyring holds each chat's epoch keys (docs/SECURITY.md, "Keys"). A new epoch
// key is wrapped to every member account the verified membership log lists — never
// to whoever the relay lists — each envelope signed by the rotating device and bound
// to the log's head; it is accepted from the relay only when its signer's account
// was allowed to sign at that head (policy.CanSignEpoch), and kept write-once: a
// relay cannot swap a key. After a record removes a member, nothing is sent under an
// epoch made before it: the outbox waits for the next key, made here when this
// account may, and no refusal of the relay's makes it fall back. Its lock serialises
// the rotations of each chat; its membership operations are in membership.go.
type keyring struct {
	v      *vault.Vault
	link   *link
	chats  *chatStore
	dir    *directory
	roster *roster
	me     *identity.AccountKey
	meID   ids.Account
	sealer *chatcrypto.Sender
	clk    clock.Clock
	log    *slog.Logger
	obs    Observer
	warn   func(Warning)
	checks *checks
	// part is how many envelopes a PutEpoch frame carries (0: epochPart); tests
	// lower it to send small rotations in parts.
	part int
	// forget are the parts told when a chat is gone from this device.
	forget []chatForgetter
	view   *chatList
	// marks sends this account's positions where the relay holds older ones (a
	// device that died before its marks left, a relay that died before it stored
	// them).
	marks *marker

	mu       sync.Mutex
	rotating map[ids.Chat]*sync.Mutex
}

// chatForgetter is a part that holds state per chat, told when a chat is gone from
// this device.
type chatForgetter interface {
	forget(ids.Chat)
}

// Rotation.
const (
	// maxRotateAttempts bounds the retries of a PutEpoch that raced a membership
	// change or another device's rotation.
	maxRotateAttempts = 3
	// epochPart is how many envelopes one PutEpoch frame carries: a post-quantum
	// envelope is about 1.5 KiB, so a rotation of a large group takes several frames.
	epochPart = 128
	// rotationPeriod is how old an epoch key may grow before a member who may sign
	// makes the next one with its next message, so one leaked key reads a bounded
	// stretch of a chat.
	rotationPeriod = 7 * 24 * time.Hour
)

// chatKey is the key a chat's next message is sealed with.
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
// fails a check is dropped with a warning; it never replaces a stored key.
func (k *keyring) storeEpoch(ctx context.Context, id ids.Chat, key wire.EpochKey) error {
	if key.Epoch > math.MaxInt64 {
		k.warn(Warning{Chat: id, Kind: WarnImpossibleEpoch})
		return nil
	}
	if have, err := k.haveEpoch(ctx, id, key.Epoch); err != nil || have {
		return err
	}
	entry, err := chatcrypto.ParseKeyLogEntry(key.Envelope, id, key.Epoch, k.meID)
	if err != nil {
		k.log.Info("epoch key failed verification", "chat", id.String(), "epoch", key.Epoch, "err", err)
		k.warn(Warning{Chat: id, Kind: WarnKeyUnverified})
		return nil
	}
	signer := entry.Signer.Account.ID()
	if signer != key.ByAccount || entry.Signer.Device.ID() != key.ByDevice {
		k.warn(Warning{Chat: id, Kind: WarnKeySignerMismatch})
		return nil
	}
	if signer != k.meID {
		pinned, err := k.dir.pinAccount(ctx, signer)
		if err != nil {
			k.log.Info("pin the signer of an epoch", "account", signer.String(), "err", err)
			return nil // tried again with the next fetch
		}
		if !pinned.Equal(entry.Signer.Account) {
			k.warn(Warning{Chat: id, Kind: WarnKeyUnverified})
			return nil
		}
	}
	boundLen, verdict, err := k.allowedSigner(ctx, id, entry)
	switch {
	case err != nil:
		return err
	case verdict != 0:
		k.log.Info("epoch key refused", "chat", id.String(), "epoch", key.Epoch, "signer", signer.String(), "kind", verdict.String())
		k.warn(Warning{Chat: id, Kind: verdict, Account: signer})
		return nil
	}
	epochKey, err := entry.Open(k.me)
	if err != nil {
		k.log.Info("epoch key does not open", "chat", id.String(), "epoch", key.Epoch, "err", err)
		k.warn(Warning{Chat: id, Kind: WarnKeyUnverified})
		return nil
	}
	return k.keep(ctx, id, key.Epoch, epochKey, boundLen)
}

func (k *keyring) haveEpoch(ctx context.Context, id ids.Chat, epoch uint64) (bool, error) {
	have := false
	err := k.v.View(ctx, func(tx *vault.Tx) error {
		_, err := tx.EpochKey(id, epoch)
		have = err == nil
		if errors.Is(err, vault.ErrNotFound) {
			return nil
		}
		return err
	})
	return have, err
}

// allowedSigner decides whether entry's signer could put the epoch, by the log at
// the head the entry names (version 2), which must be the head this device holds
// there; or, for an epoch made before the chat had a log (version 1), by the chat's
// first record or the members held before it. It returns the log length the key is
// bound to, or the warning that refuses it.
func (k *keyring) allowedSigner(ctx context.Context, id ids.Chat, entry chatcrypto.KeyLogEntryInfo) (uint64, WarningKind, error) {
	signer := entry.Signer.Account.ID()
	st, err := k.roster.state(ctx, id)
	if err != nil {
		return 0, 0, err
	}
	if entry.Version < 2 {
		return 0, k.legacySigner(ctx, id, st, entry.Epoch, signer), nil
	}
	head := entry.Head
	if head.Seq >= st.Len {
		// Made for records this device has not fetched: fetch them first.
		if err := k.syncLog(ctx, id); err != nil {
			return 0, 0, err
		}
		if st, err = k.roster.state(ctx, id); err != nil {
			return 0, 0, err
		}
		if head.Seq >= st.Len {
			return 0, WarnKeyUnverified, nil
		}
	}
	at, err := k.roster.stateAt(ctx, id, head.Seq+1)
	if err != nil {
		return 0, 0, err
	}
	switch {
	case at.Head != membership.Hash(head.Hash):
		k.roster.tampered(ctx, id, WarnLogFork, fmt.Errorf("an epoch key names record %d with another hash", head.Seq))
		return 0, WarnLogFork, nil
	case at.Role(k.meID) == 0:
		return 0, WarnKeyUnverified, nil
	case !k.checks.anySigner && !at.MaySignEpoch(signer):
		return 0, WarnKeySignerNotAllowed, nil
	case k.checks.anySigner && at.Role(signer) == 0:
		return 0, WarnKeySignerNotAllowed, nil
	}
	return head.Seq + 1, 0, nil
}

// legacySigner applies the rules of epochs made before a chat had a log: any
// member of the chat as its first record lists it (or as this device held it, while
// the chat has no log), and only for epochs up to the first record's.
func (k *keyring) legacySigner(ctx context.Context, id ids.Chat, st membership.State, epoch uint64, signer ids.Account) WarningKind {
	if st.Len > 0 {
		first, err := k.roster.stateAt(ctx, id, 1)
		if err != nil || epoch > first.LegacyEpoch || first.Role(signer) == 0 {
			return WarnKeySignerNotAllowed
		}
		return 0
	}
	var member bool
	_ = k.v.View(ctx, func(tx *vault.Tx) error {
		c, err := tx.Chat(id)
		member = err == nil && roleOf(&c, signer) != 0
		return err
	})
	if !member {
		return WarnKeySignerNotAllowed
	}
	return 0
}

// keep stores an epoch key (write-once) and notes it in the chat's state: boundLen
// is the log length it was made for (0 before logs).
func (k *keyring) keep(ctx context.Context, id ids.Chat, epoch uint64, key chatcrypto.EpochKey, boundLen uint64) error {
	raw := key.Bytes()
	defer clear(raw)
	conflict := false
	var sum *Chat
	err := k.v.Update(ctx, func(tx *vault.Tx) error {
		conflict, sum = false, nil
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
		c, err := k.chats.updateMeta(tx, id, func(_ *vault.Chat, meta *chatMeta) {
			if meta.FirstEpoch == 0 || epoch < meta.FirstEpoch {
				meta.FirstEpoch = epoch
			}
			if epoch >= meta.Epoch || meta.KeyAt == 0 {
				meta.KeyLogLen, meta.KeyAt = boundLen, k.clk.Now().UnixMilli()
			}
			meta.Epoch = max(meta.Epoch, epoch)
		})
		if err != nil {
			return err
		}
		s, err := k.view.summary(tx, c)
		sum = &s
		return err
	})
	if err != nil {
		return fmt.Errorf("store epoch %d of %s: %w", epoch, id, err)
	}
	if conflict {
		k.warn(Warning{Chat: id, Kind: WarnKeyConflict})
	}
	if sum != nil {
		k.obs.ChatUpdated(*sum)
	}
	return nil
}

// syncLog brings the chat's membership log up to what the relay holds.
func (k *keyring) syncLog(ctx context.Context, id ids.Chat) error {
	info, err := doAs[*wire.ChatInfo](ctx, k.link, &wire.GetChat{ChatID: id})
	if err != nil {
		return err
	}
	_, err = k.roster.sync(ctx, id, info.LogLen)
	return err
}

// refresh brings a chat's log and epoch keys up to what the relay holds, and makes
// the next key when one is due and this account may.
func (k *keyring) refresh(ctx context.Context, id ids.Chat) error {
	if err := k.syncLog(ctx, id); err != nil {
		return err
	}
	if err := k.fetchEpochs(ctx, id); err != nil {
		return err
	}
	k.rotateIfDue(ctx, id)
	return nil
}

// keyNeed says what a chat's next message needs of its key.
type keyNeed uint8

const (
	keyReady   keyNeed = iota // the newest key will do
	keyBetter                 // a new key is due (members added, the key is old): make one if allowed, else go on
	keyMust                   // no key, or a removal follows it: nothing goes out until a new one arrives
	keyBlocked                // the chat is frozen or not ours to send to
)

// rotateIfDue puts a new epoch when one is due and this account may sign it.
func (k *keyring) rotateIfDue(ctx context.Context, id ids.Chat) {
	_, need, err := k.loadKey(ctx, id)
	if err != nil || need == keyReady || need == keyBlocked {
		return
	}
	st, err := k.roster.state(ctx, id)
	if err != nil || !st.MaySignEpoch(k.meID) {
		return
	}
	if err := k.rotate(ctx, id, false); err != nil {
		k.log.Info("rotate chat key", "chat", id.String(), "err", err)
	}
}

// rotateAll gives every chat this account may make keys for a new epoch (after a
// device of the account was revoked). Chats where it may not are left to their
// owner and admins; a failure is logged and the next chat tried.
func (k *keyring) rotateAll(ctx context.Context) {
	var chats []vault.Chat
	if err := k.v.View(ctx, func(tx *vault.Tx) error {
		var err error
		chats, err = tx.Chats()
		return err
	}); err != nil {
		k.log.Warn("rotate after revocation: chats", "err", err)
		return
	}
	for _, c := range chats {
		if !c.Kind.Cloud() {
			continue
		}
		st, err := k.roster.state(ctx, c.ID)
		if err != nil || !st.MaySignEpoch(k.meID) {
			continue
		}
		if err := k.rotate(ctx, c.ID, true); err != nil {
			k.log.Info("rotate after revocation", "chat", c.ID.String(), "err", err)
		}
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

// rotate puts the chat's next epoch: a fresh key wrapped to every member the
// verified log lists, each envelope signed by this device and bound to the log's
// head. The relay refuses it when the log moved on meanwhile or another device
// rotated first; then rotate looks again, a few times. Unless force is set, a chat
// whose key is not due (keyReady) is left alone; with force (a device of this
// account was revoked), any epoch newer than the one held at the call will do.
func (k *keyring) rotate(ctx context.Context, id ids.Chat, force bool) error {
	l := k.rotationLock(id)
	l.Lock()
	defer l.Unlock()
	from, err := k.latestEpoch(ctx, id)
	if err != nil {
		return err
	}
	for attempt := 0; ; attempt++ {
		info, err := doAs[*wire.ChatInfo](ctx, k.link, &wire.GetChat{ChatID: id})
		if err != nil {
			return err
		}
		if _, err := k.roster.sync(ctx, id, info.LogLen); err != nil {
			return err
		}
		if err := k.fetchEpochs(ctx, id); err != nil {
			return err
		}
		if _, need, err := k.loadKey(ctx, id); err != nil || (need == keyReady && !force) {
			return err // someone else rotated meanwhile
		}
		if latest, err := k.latestEpoch(ctx, id); err != nil || (force && latest > from) {
			return err // someone else rotated meanwhile
		}
		st, err := k.roster.state(ctx, id)
		if err != nil {
			return err
		}
		if err := k.mayRotate(ctx, id, st, info); err != nil {
			return err
		}
		err = k.putEpoch(ctx, id, info, st)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, wire.ErrConflict) && attempt+1 < maxRotateAttempts:
			continue
		default:
			return err
		}
	}
}

// mayRotate checks that this account may sign the chat's next epoch now.
func (k *keyring) mayRotate(ctx context.Context, id ids.Chat, st membership.State, info *wire.ChatInfo) error {
	_, meta, err := k.roster.held(ctx, id)
	switch {
	case err != nil:
		return err
	case meta.Forked:
		return detailf(ErrTampered, "the relay changed this chat's member list")
	case st.Len == 0:
		return detailf(ErrNotSecured, "the chat's owner has not secured it yet")
	case info.LogLen != st.Len:
		return fmt.Errorf("%w: the relay's log (%d records) is not the verified one (%d)", ErrTampered, info.LogLen, st.Len)
	case !st.MaySignEpoch(k.meID):
		return detailf(ErrForbidden, "only the owner and admins make new keys now")
	}
	return nil
}

// putEpoch makes and sends the next epoch for the log state st.
func (k *keyring) putEpoch(ctx context.Context, id ids.Chat, info *wire.ChatInfo, st membership.State) error {
	members, err := k.recipients(ctx, id, st, info)
	if err != nil {
		return err
	}
	epoch := info.Epoch + 1
	key, err := chatcrypto.NewEpochKey()
	if err != nil {
		return err
	}
	head := chatcrypto.LogHead{Seq: st.Len - 1, Hash: st.Head}
	entry, err := chatcrypto.NewKeyLogEntry(key, id, epoch, head, members)
	if err != nil {
		return fmt.Errorf("rotate %s: %w", id, err)
	}
	signed, err := chatcrypto.SignKeyLogEntry(entry, k.sealer)
	if err != nil {
		return fmt.Errorf("rotate %s: %w", id, err)
	}
	wrapped := make([]wire.WrappedKey, 0, len(signed.Envelopes))
	for _, env := range signed.Envelopes {
		wrapped = append(wrapped, wire.WrappedKey{AccountID: env.Recipient, Envelope: env.Signed})
	}
	part := k.part
	if part == 0 {
		part = epochPart
	}
	for start := 0; start < len(wrapped); start += part {
		end := min(start+part, len(wrapped))
		part := &wire.PutEpoch{ChatID: id, Epoch: epoch, LogLen: st.Len, Wrapped: wrapped[start:end], More: end < len(wrapped)}
		if _, err := doAs[*wire.OK](ctx, k.link, part); err != nil {
			return err
		}
	}
	k.log.Info("chat key rotated", "chat", id.String(), "epoch", epoch, "members", len(wrapped))
	return k.keep(ctx, id, epoch, key, st.Len)
}

// recipients returns the pinned keys of the members an epoch is wrapped to: those
// the verified log lists. Each key is pinned only from its account's certified keys.
func (k *keyring) recipients(ctx context.Context, id ids.Chat, st membership.State, info *wire.ChatInfo) ([]identity.AccountPublicKey, error) {
	accounts := make([]ids.Account, 0, len(st.Members))
	for a := range st.Members {
		accounts = append(accounts, a)
	}
	if k.checks.relayMembers {
		// Weakened for tests: wrap to whoever the relay lists.
		accounts = accounts[:0]
		for _, m := range info.Members {
			accounts = append(accounts, m.AccountID)
		}
	}
	keys := make([]identity.AccountPublicKey, 0, len(accounts))
	for _, a := range accounts {
		key, err := k.dir.pinAccount(ctx, a)
		if err != nil {
			return nil, fmt.Errorf("rotate %s: the keys of member %s: %w", id, a, err)
		}
		keys = append(keys, key)
	}
	return keys, nil
}

// currentKey returns the key the chat's next message is sealed with, making a new
// one first when one is due and this account may. It fails with errPermanent when
// the chat can never be sent to, and errWait while it has no key it may use: after a
// removal, until the next epoch arrives.
func (k *keyring) currentKey(ctx context.Context, id ids.Chat) (*chatKey, error) {
	ck, need, err := k.loadKey(ctx, id)
	switch {
	case errors.Is(err, vault.ErrNotFound):
		return nil, fmt.Errorf("%w: the chat is gone", errPermanent)
	case err != nil:
		return nil, err
	case need == keyReady:
		return ck, nil
	case need == keyBlocked:
		return nil, errWait
	}
	if err := k.fetchEpochs(ctx, id); err != nil {
		return nil, err
	}
	if ck2, need2, err := k.loadKey(ctx, id); err == nil && need2 == keyReady {
		return ck2, nil
	}
	st, err := k.roster.state(ctx, id)
	if err != nil {
		return nil, err
	}
	if st.MaySignEpoch(k.meID) {
		err := k.rotate(ctx, id, false)
		switch {
		case err == nil:
			ck, need, err = k.loadKey(ctx, id)
			if err != nil {
				return nil, err
			}
		case need == keyMust && !k.checks.fallBack:
			// No answer of the relay's makes the message go out under the old key.
			return nil, err
		default:
			k.log.Info("new chat key not made; the current one will do", "chat", id.String(), "err", err)
		}
	}
	if ck == nil || (need == keyMust && !k.checks.fallBack) {
		return nil, errWait
	}
	return ck, nil
}

// loadKey reads the chat's newest epoch key (nil if none) and what the next message
// needs of it.
func (k *keyring) loadKey(ctx context.Context, id ids.Chat) (*chatKey, keyNeed, error) {
	var ck *chatKey
	var need keyNeed
	err := k.v.View(ctx, func(tx *vault.Tx) error {
		_, meta, err := chatWithMeta(tx, id)
		if err != nil {
			return err
		}
		ep, err := tx.LatestEpoch(id)
		if errors.Is(err, vault.ErrNotFound) {
			need = keyMust
			if meta.Forked || meta.Request != requestNone || meta.RemovedBy != nil {
				need = keyBlocked
			}
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
		need = k.keyNeed(meta, ep)
		return nil
	})
	return ck, need, err
}

// keyNeed applies the rules of docs/SECURITY.md ("Membership log") to the chat's
// newest key, of epoch ep.
func (k *keyring) keyNeed(meta chatMeta, ep uint64) keyNeed {
	switch {
	case meta.Forked, meta.RemovedBy != nil, meta.Request != requestNone:
		return keyBlocked
	case meta.LogLen == 0:
		return keyReady // a chat without a log keeps its key until its owner adopts it
	case meta.Epoch > ep:
		return keyMust // a newer epoch exists that this device has not got
	case meta.KeyLogLen < meta.Removal:
		return keyMust
	case meta.KeyLogLen < meta.KeyChange:
		return keyBetter
	case k.clk.Now().Sub(time.UnixMilli(meta.KeyAt)) > rotationPeriod:
		return keyBetter
	}
	return keyReady
}
