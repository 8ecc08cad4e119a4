package chat

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"hush/chatcrypto"
	"hush/clock"
	"hush/identity"
	"hush/ids"
	"hush/policy"
	"hush/sync/wire"
	"hush/vault"
)

// The directory knows the other accounts: their pinned keys (contacts), their
// devices and which of those are revoked, their handles and the names they give
// themselves — and this account's own handle. Its lock guards the handle and when
// each device list was last looked up.
//
// Keys are pinned on first use, and only as the account certified them: an account
// id is a hash of the account's signing key, and its encryption keys (X25519 and
// ML-KEM) are pinned only under that key's signature (certifiedKey), so the relay
// can substitute none of them. A handle that moves to another key, or a relay that
// returns another key for a pinned id, raises a warning and changes no pinned key.
// An account met in a chat is pinned as a stranger: listed among the contacts only
// once the user adds it, writes to it or accepts its request.
//
// Devices. Which devices an account has, and which it revoked, comes from the
// device list it signs (devices.go); the receiver drops every message whose sender
// device is revoked or, once the account has a list, not listed. A list is fresh
// for deviceListMaxAge within one connection: the first message of each sender
// after a (re)connection looks its account up again, and the relay pushes a new
// list of any account sharing a chat with this one as it is published.
//
// Messages stored before the revocation was learned stay; the relay gives no
// trustworthy time of revocation to tell older messages from newer ones.
//
// Display names travel inside every text message (chatcrypto.Text.SenderName), so
// readers show the name a person chose rather than their @handle, and the relay never
// learns it. A received name is authentic only as "what that account calls itself":
// anyone may call themselves "Alice". So a name updates the sender's own contact
// record and nothing else — never the handle, the pinned key, the verification or a
// key-change warning — and the UI keeps the handle beside it where a person is
// identified.
type directory struct {
	v      *vault.Vault
	link   *link
	chats  *chatStore
	me     *identity.AccountKey
	meID   ids.Account
	device ids.Device
	// name is this account's display name (profile.go).
	name *ownName
	// deviceKey, deviceName and platform describe this device in the account's
	// first device list.
	deviceKey  identity.DevicePublicKey
	deviceName string
	platform   string
	// onRemoved is called when this account's device list no longer names this
	// device (it was revoked from another device).
	onRemoved func()
	// onOwnChanged is called when a new list of this account arrived (a device
	// linked, renamed or revoked elsewhere).
	onOwnChanged func()
	clk          clock.Clock
	log          *slog.Logger
	warn         func(Warning)
	checks       *checks

	mu     sync.Mutex
	handle string
	// fresh is when each account's device list was last looked up on this
	// connection.
	fresh map[ids.Account]time.Time
	// seen is when each of this account's devices last connected, as the relay
	// said in the latest look-up of this account.
	seen map[ids.Device]time.Time
}

// deviceListMaxAge is how long a looked-up device list is trusted before the next
// message from that account looks it up again.
const deviceListMaxAge = 15 * time.Minute

// maxFreshLists bounds the accounts whose list freshness is remembered; beyond it
// the memory is cleared and lists are looked up again.
const maxFreshLists = 4096

// nameAtSetting prefixes the vault setting that records, per contact, the relay
// time of the message whose name the contact record holds. Messages of different
// chats arrive in any order during a catch-up; the newest name wins, not the last
// one read.
const nameAtSetting = "chat/contact-name-at/"

// ownHandle returns this account's handle, "" before one is registered.
func (d *directory) ownHandle() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.handle
}

// loadAccount reads this account's handle and display name from the vault.
func (d *directory) loadAccount(ctx context.Context) error {
	return d.v.View(ctx, func(tx *vault.Tx) error {
		a, err := tx.Account(d.meID)
		if err != nil {
			return err
		}
		d.mu.Lock()
		d.handle = a.Handle
		d.mu.Unlock()
		if a.DisplayName != "" {
			d.name.set(a.DisplayName) // the vault's, changed since the caller read it
		}
		return nil
	})
}

// registerHandle claims @handle for this account at the relay.
func (d *directory) registerHandle(ctx context.Context, handle string) error {
	h, err := CheckHandle(handle)
	if err != nil {
		return err
	}
	sig := d.me.Sign(wire.HandleLabel, wire.HandleMessage(d.meID, h))
	if _, err := doAs[*wire.OK](ctx, d.link, &wire.RegisterHandle{Handle: h, Signature: sig}); err != nil {
		return err
	}
	return d.storeHandle(ctx, h)
}

// removeHandle drops this account's handle at the relay: people no longer find the
// account by it, and anyone may register it. Contacts who added the account keep it
// under its pinned key, as before.
func (d *directory) removeHandle(ctx context.Context) error {
	sig := d.me.Sign(wire.HandleLabel, wire.HandleMessage(d.meID, ""))
	if _, err := doAs[*wire.OK](ctx, d.link, &wire.RegisterHandle{Handle: "", Signature: sig}); err != nil {
		return err
	}
	return d.storeHandle(ctx, "")
}

func (d *directory) storeHandle(ctx context.Context, h string) error {
	err := d.v.Update(ctx, func(tx *vault.Tx) error {
		a, err := tx.Account(d.meID)
		if err != nil {
			return err
		}
		if a.Handle == h {
			return nil
		}
		a.Handle = h
		return tx.PutAccount(a)
	})
	if err != nil {
		return fmt.Errorf("chat: store handle: %w", err)
	}
	d.mu.Lock()
	d.handle = h
	d.mu.Unlock()
	return nil
}

// refreshOwn learns this account's handle and device list from the relay (another
// device may have registered, changed or removed the handle, or revoked a device
// meanwhile). It reports whether the handle changed.
func (d *directory) refreshOwn(ctx context.Context) bool {
	a, err := doAs[*wire.Account](ctx, d.link, &wire.LookupAccount{AccountID: d.meID})
	if err != nil {
		d.log.Debug("look up own account", "err", err)
		return false
	}
	if _, err := d.applyAccount(ctx, d.meID, a); err != nil {
		d.log.Warn("own device list", "err", err)
	}
	d.noteSeen(a)
	if err := d.ensureOwnList(ctx, a); err != nil {
		d.log.Warn("publish device list", "err", err)
	}
	if err := d.publishKeys(ctx, a); err != nil {
		d.log.Warn("publish account keys", "err", err)
	}
	if a.Handle == d.ownHandle() {
		return false
	}
	// A handle registered, changed or removed on another device of the account.
	if err := d.storeHandle(ctx, a.Handle); err != nil {
		d.log.Warn("store handle", "err", err)
		return false
	}
	return true
}

// publishKeys publishes this account's signed keys record (its ML-KEM key with the
// others, under the account's signature) when the relay holds none, or another: then
// contacts wrap chat keys to it post-quantum (docs/SECURITY.md, "Account keys").
func (d *directory) publishKeys(ctx context.Context, own *wire.Account) error {
	if !d.me.HasKEM() {
		return nil
	}
	if len(own.Keys) > 0 {
		if held, err := identity.ParseAccountKeys(own.Keys); err == nil && held.Public.Equal(d.me.Public()) && held.Public.KEMKey() != nil {
			return nil
		}
	}
	return d.putKeys(ctx)
}

// putKeys publishes this account's signed keys record with its current keys.
func (d *directory) putKeys(ctx context.Context) error {
	keys, err := identity.IssueAccountKeys(d.me, d.clk.Now())
	if err != nil {
		return err
	}
	_, err = doAs[*wire.OK](ctx, d.link, &wire.PutAccountKeys{Keys: keys})
	return err
}

// pinAccount returns the pinned key of id, looking the account up at the relay and
// pinning it on first use (with its device list).
func (d *directory) pinAccount(ctx context.Context, id ids.Account) (identity.AccountPublicKey, error) {
	var k identity.AccountPublicKey
	err := d.v.View(ctx, func(tx *vault.Tx) error {
		var err error
		k, err = d.accountKey(tx, id)
		return err
	})
	if err == nil || !errors.Is(err, vault.ErrNotFound) {
		return k, err
	}
	return d.refreshDevices(ctx, id)
}

// accountKey returns the pinned account key of id (this account's own for itself).
func (d *directory) accountKey(tx *vault.Tx, id ids.Account) (identity.AccountPublicKey, error) {
	if id == d.meID {
		return d.me.Public(), nil
	}
	c, err := tx.Contact(id)
	if err != nil {
		return identity.AccountPublicKey{}, err
	}
	return contactKey(c)
}

// contactKey rebuilds a pinned key from its stored parts (verified when pinned; the
// vault authenticates what it returns).
func contactKey(c vault.Contact) (identity.AccountPublicKey, error) {
	b := make([]byte, 0, identity.PublicKeySize)
	b = append(append(b, c.SigningKey...), c.EncryptionKey...)
	k, err := identity.ParseAccountPublicKey(b)
	if err == nil && len(c.KEMKey) > 0 {
		k, err = k.WithKEM(c.KEMKey)
	}
	if err != nil {
		return identity.AccountPublicKey{}, fmt.Errorf("pinned key of %s: %w", c.AccountID, err)
	}
	return k, nil
}

// newContact pins k. Until the account's messages bring the name it chose, its
// @handle stands in for its display name. A stranger is an account met in a chat,
// not one the user chose: it is not listed among the contacts.
func newContact(id ids.Account, handle string, k identity.AccountPublicKey, now time.Time, stranger bool) vault.Contact {
	c := vault.Contact{
		AccountID:     id,
		Handle:        handle,
		DisplayName:   displayHandle(handle),
		SigningKey:    k.SigningKey(),
		EncryptionKey: k.EncryptionKey().Bytes(),
		PinnedAt:      now,
		Stranger:      stranger,
	}
	if kem := k.KEMKey(); kem != nil {
		c.KEMKey = kem.Bytes()
	}
	return c
}

// certifiedKey returns the account key the relay returned, only if the account
// certified it (docs/SECURITY.md, "Account keys"): its signed keys record — the
// Ed25519, X25519 and ML-KEM keys under the account's signature — or, for an account
// that has published none yet, one of its device certificates, which the account
// signs over its Ed25519 and X25519 keys. The id is a hash of the signing key, so the
// relay cannot substitute any of them.
func (d *directory) certifiedKey(account ids.Account, a *wire.Account) (identity.AccountPublicKey, error) {
	bare, err := identity.ParseAccountPublicKey(a.AccountKey)
	if err != nil {
		return identity.AccountPublicKey{}, fmt.Errorf("account %s: %w", account, err)
	}
	if bare.ID() != account {
		return identity.AccountPublicKey{}, fmt.Errorf("account %s: the relay returned the key of another account", account)
	}
	if d.checks.bareKeys {
		return bare, nil // weakened for tests: the relay's word
	}
	if len(a.Keys) > 0 {
		keys, err := identity.ParseAccountKeys(a.Keys)
		if err != nil || keys.Public.ID() != account {
			return identity.AccountPublicKey{}, detailf(ErrUncertified, "the keys of account %s do not verify", account)
		}
		return keys.Public, nil
	}
	for _, raw := range a.Devices {
		if cert, err := identity.ParseCertificate(raw); err == nil && cert.Account.ID() == account {
			return cert.Account, nil
		}
	}
	return identity.AccountPublicKey{}, detailf(ErrUncertified, "no signature of account %s over its keys", account)
}

// standing says what the user decided about an account: blocked, or chosen as a
// contact (listed).
func (d *directory) standing(tx *vault.Tx, account ids.Account) (blocked, listed bool, err error) {
	if blocked, err = isBlocked(tx, account); err != nil {
		return false, false, err
	}
	c, err := tx.Contact(account)
	switch {
	case errors.Is(err, vault.ErrNotFound):
		return blocked, false, nil
	case err != nil:
		return false, false, err
	}
	return blocked, !c.Stranger, nil
}

// choose makes a pinned account one of the user's contacts: the user added it,
// wrote to it, or accepted its request.
func (d *directory) choose(ctx context.Context, account ids.Account) error {
	if _, err := d.pinAccount(ctx, account); err != nil {
		return err
	}
	return d.v.Update(ctx, func(tx *vault.Tx) error {
		c, err := tx.Contact(account)
		if err != nil || !c.Stranger {
			return err
		}
		c.Stranger = false
		return tx.PutContact(c)
	})
}

func displayHandle(h string) string {
	if h == "" {
		return ""
	}
	return "@" + h
}

// addContact looks a handle up at the relay and pins the account's key on first
// use. If the handle now names another key than the one pinned for it, the contact
// is marked keyChanged and a warning is raised.
func (d *directory) addContact(ctx context.Context, handle string) (Contact, error) {
	h, err := CheckHandle(handle)
	if err != nil {
		return Contact{}, err
	}
	a, err := doAs[*wire.Account](ctx, d.link, &wire.LookupHandle{Handle: h})
	if errors.Is(err, ErrNotFound) {
		return Contact{}, detailf(ErrUnknownHandle, "@%s", h)
	}
	if err != nil {
		return Contact{}, err
	}
	bare, err := identity.ParseAccountPublicKey(a.AccountKey)
	if err != nil {
		return Contact{}, fmt.Errorf("the relay returned a malformed key for @%s: %w", h, err)
	}
	id := bare.ID()
	k, err := d.certifiedKey(id, a)
	if err != nil {
		d.warn(Warning{Kind: WarnUncertifiedKeys, Handle: h, Account: id})
		return Contact{}, err
	}
	if id == d.meID {
		return Contact{}, detailf(ErrInvalid, "@%s is this account", h)
	}
	now := d.clk.Now()
	var out vault.Contact
	var warning WarningKind
	var devicesStored bool
	var devices listOutcome
	err = d.v.Update(ctx, func(tx *vault.Tx) error {
		warning, devicesStored = 0, false
		moved, err := d.unbindHandle(tx, h, id)
		if err != nil {
			return err
		}
		if moved {
			// The handle moved to another account: the person behind it may have
			// new keys, or the relay lies. Either way, say so loudly.
			warning = WarnHandleMoved
		}
		old, err := tx.Contact(id)
		switch {
		case errors.Is(err, vault.ErrNotFound):
			out = newContact(id, h, k, now, false)
			if moved {
				out.KeyChangedAt = now
			}
		case err != nil:
			return err
		default:
			pinned, err := contactKey(old)
			if err != nil {
				return err
			}
			out = old
			if old.DisplayName == "" || old.DisplayName == displayHandle(old.Handle) {
				// No name heard yet: the handle stands in for it.
				out.DisplayName = displayHandle(h)
			}
			out.Handle, out.Stranger = h, false
			if sameKey(pinned, k) && len(out.KEMKey) == 0 && k.KEMKey() != nil {
				out.KEMKey = k.KEMKey().Bytes() // certified since it was pinned
			}
			if !sameKey(pinned, k) {
				// Same id, other key: impossible for an honest relay (the id is a
				// hash of the signing key). Keep the pinned key; flag it.
				out.KeyChangedAt, out.Verified = now, false
				warning = WarnKeyChanged
			}
		}
		if err := tx.PutContact(out); err != nil {
			return err
		}
		if pinned, err := contactKey(out); err != nil || !sameKey(pinned, k) {
			return err // the relay's device list is for a key that is not pinned
		}
		devices, err = d.storeDevices(tx, id, k, a)
		devicesStored = err == nil
		return err
	})
	if err != nil {
		return Contact{}, fmt.Errorf("save contact: %w", err)
	}
	if devicesStored {
		d.markFresh(id)
		d.report(id, devices)
	}
	if warning != 0 {
		d.warn(Warning{Chat: d.chats.directChatWith(ctx, id), Kind: warning, Handle: h})
	}
	return toContact(out), nil
}

// unbindHandle takes handle h from every contact but id, reporting whether one held
// it.
func (d *directory) unbindHandle(tx *vault.Tx, h string, id ids.Account) (bool, error) {
	all, err := tx.Contacts()
	if err != nil {
		return false, err
	}
	moved := false
	for _, c := range all {
		if c.AccountID != id && c.Handle == h {
			moved = true
			c.Handle = ""
			if err := tx.PutContact(c); err != nil {
				return false, err
			}
		}
	}
	return moved, nil
}

func toContact(c vault.Contact) Contact {
	out := Contact{
		Account:     c.AccountID,
		Handle:      c.Handle,
		DisplayName: c.DisplayName,
		Verified:    c.Verified,
		KeyChanged:  !c.KeyChangedAt.IsZero(),
	}
	if out.DisplayName == "" {
		out.DisplayName = displayHandle(c.Handle)
	}
	if k, err := contactKey(c); err == nil {
		out.Fingerprint = k.Fingerprint()
	}
	return out
}

// contacts returns every pinned account, by display name.
func (d *directory) contacts(ctx context.Context) ([]Contact, error) {
	var out []Contact
	err := d.v.View(ctx, func(tx *vault.Tx) error {
		all, err := tx.Contacts()
		if err != nil {
			return err
		}
		out = make([]Contact, 0, len(all))
		for _, c := range all {
			if !c.Stranger {
				out = append(out, toContact(c))
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list contacts: %w", err)
	}
	slices.SortFunc(out, func(a, b Contact) int { return strings.Compare(a.DisplayName, b.DisplayName) })
	return out, nil
}

// safetyNumber returns the number this account and a contact compare out of band.
func (d *directory) safetyNumber(ctx context.Context, account ids.Account) (SafetyNumber, error) {
	var k identity.AccountPublicKey
	err := d.v.View(ctx, func(tx *vault.Tx) error {
		c, err := tx.Contact(account)
		if err != nil {
			return err
		}
		k, err = contactKey(c)
		return err
	})
	if errors.Is(err, vault.ErrNotFound) {
		return SafetyNumber{}, detailf(ErrNotFound, "contact %s", account)
	}
	if err != nil {
		return SafetyNumber{}, err
	}
	sn := identity.ComputeSafetyNumber(d.me.Public(), k)
	return SafetyNumber{Digits: sn.Digits, Emoji: sn.Emoji}, nil
}

// markVerified records that the user compared the safety number (or withdraws it).
// Verifying also acknowledges a key change.
func (d *directory) markVerified(ctx context.Context, account ids.Account, verified bool) (Contact, error) {
	var out vault.Contact
	err := d.v.Update(ctx, func(tx *vault.Tx) error {
		c, err := tx.Contact(account)
		if err != nil {
			return err
		}
		c.Verified = verified
		if verified {
			c.KeyChangedAt = time.Time{}
		}
		out = c
		return tx.PutContact(c)
	})
	if errors.Is(err, vault.ErrNotFound) {
		return Contact{}, detailf(ErrNotFound, "contact %s", account)
	}
	if err != nil {
		return Contact{}, err
	}
	return toContact(out), nil
}

// nameCache remembers display names looked up within one transaction.
type nameCache map[ids.Account]string

// nameOf returns an account's display name, "" when unknown.
func (d *directory) nameOf(tx *vault.Tx, id ids.Account, cache nameCache) string {
	if id == d.meID {
		return d.name.get().shown
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

// CheckDisplayName reports whether name can travel with messages: what the welcome
// screen accepts must pass it, or every send would be refused. The error matches
// [ErrInvalid] or [ErrTooLong].
func CheckDisplayName(name string) error {
	err := chatcrypto.CheckSenderName(name)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, chatcrypto.ErrTooLarge):
		return detailf(ErrTooLong, "a display name has at most %d characters", chatcrypto.MaxSenderNameChars)
	}
	return detailf(ErrInvalid, "a display name is one line of text without control or text-direction characters")
}

// heardName is the newest sender name one batch of entries carried for an account.
type heardName struct {
	name string
	at   int64 // relay time, Unix milliseconds
}

// learnNames stores the names a batch carried on their senders' contact records,
// unless a newer message already set another, and forgets them in names so that what
// the same transaction builds next shows them. It runs inside the transaction that
// stored the batch, and returns the direct chats whose title (the contact's name)
// changed.
func (d *directory) learnNames(tx *vault.Tx, heard map[ids.Account]heardName, names nameCache) ([]ids.Chat, error) {
	var retitled []ids.Chat
	for id, h := range heard {
		if id == d.meID {
			continue // our own name comes from our profile, not from the network
		}
		c, err := tx.Contact(id)
		if errors.Is(err, vault.ErrNotFound) {
			continue // verified messages come from pinned accounts; nothing to update
		}
		if err != nil {
			return nil, err
		}
		key := nameAtSetting + id.String()
		var last int64
		switch b, err := tx.Setting(key); {
		case err == nil && len(b) == 8:
			last = int64(binary.BigEndian.Uint64(b))
		case err != nil && !errors.Is(err, vault.ErrNotFound):
			return nil, err
		}
		if h.at < last {
			continue // an older message, read late: its name is stale
		}
		if err := tx.PutSetting(key, binary.BigEndian.AppendUint64(nil, uint64(h.at))); err != nil {
			return nil, err
		}
		if c.DisplayName == h.name {
			continue
		}
		d.log.Info("contact changed display name", "account", id.String())
		c.DisplayName = h.name
		if err := tx.PutContact(c); err != nil {
			return nil, err
		}
		delete(names, id)
		// A direct chat is titled by the contact's name.
		chats, err := tx.Chats()
		if err != nil {
			return nil, err
		}
		for _, ch := range chats {
			if ch.Kind == policy.KindDirect && roleOf(&ch, id) != 0 {
				d.chats.changed(ch.ID)
				retitled = append(retitled, ch.ID)
			}
		}
	}
	return retitled, nil
}

// fresh reports whether account's device list was looked up recently on this
// connection.
func (d *directory) isFresh(account ids.Account) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	at, ok := d.fresh[account]
	return ok && d.clk.Now().Sub(at) < deviceListMaxAge
}

func (d *directory) markFresh(account ids.Account) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.fresh) >= maxFreshLists {
		clear(d.fresh)
	}
	d.fresh[account] = d.clk.Now()
}

// forgetDeviceLists makes every device list stale, after a (re)connection: what was
// revoked while offline is learned from the next lookup.
func (d *directory) forgetDeviceLists() {
	d.mu.Lock()
	defer d.mu.Unlock()
	clear(d.fresh)
}

// refreshDevices looks account up at the relay, pins its key on first use and
// stores its device list. It returns the pinned key.
func (d *directory) refreshDevices(ctx context.Context, account ids.Account) (identity.AccountPublicKey, error) {
	a, err := doAs[*wire.Account](ctx, d.link, &wire.LookupAccount{AccountID: account})
	if err != nil {
		return identity.AccountPublicKey{}, fmt.Errorf("look up account %s: %w", account, err)
	}
	return d.applyAccount(ctx, account, a)
}

// applyAccount stores what the relay said about account: its key, pinned if it was
// not, and its device list. A key other than the pinned one changes nothing (the
// pinned key stays; addContact flags the change).
func (d *directory) applyAccount(ctx context.Context, account ids.Account, a *wire.Account) (identity.AccountPublicKey, error) {
	k, err := d.certifiedKey(account, a)
	if err != nil {
		if account != d.meID {
			d.warn(Warning{Kind: WarnUncertifiedKeys, Account: account})
		}
		return identity.AccountPublicKey{}, err
	}
	var pinned identity.AccountPublicKey
	var out listOutcome
	err = d.v.Update(ctx, func(tx *vault.Tx) error {
		out = listOutcome{}
		var err error
		pinned, err = d.pin(tx, account, a.Handle, k)
		if err != nil {
			return err
		}
		if !sameKey(pinned, k) {
			return nil
		}
		if out, err = d.storeDevices(tx, account, k, a); err != nil {
			return err
		}
		// The list may have named a newer ML-KEM key: return the key as pinned now.
		pinned, err = d.accountKey(tx, account)
		return err
	})
	if err != nil {
		return identity.AccountPublicKey{}, fmt.Errorf("store account %s: %w", account, err)
	}
	if !sameKey(pinned, k) {
		d.log.Warn("the relay returned another key than the pinned one; device list ignored", "account", account.String())
	}
	d.report(account, out)
	d.markFresh(account)
	return pinned, nil
}

// sameKey reports whether two keys of one account are the same identity: the
// Ed25519 and X25519 keys. The ML-KEM key is left out: it changes, signed by the
// account in its device list, each time the account revokes a device
// (docs/SECURITY.md, "Revocation and the account's keys"), so a relay serving an
// older keys record is not a key change; which ML-KEM key is current only a newer
// device list decides (adoptKEM).
func sameKey(a, b identity.AccountPublicKey) bool { return a.WithoutKEM().Equal(b.WithoutKEM()) }

// pin returns the key pinned for account, pinning k (as a stranger's) if none is.
// An ML-KEM key the account certified later is added to the pinned key it extends.
func (d *directory) pin(tx *vault.Tx, account ids.Account, handle string, k identity.AccountPublicKey) (identity.AccountPublicKey, error) {
	if account == d.meID {
		return d.me.Public(), nil
	}
	c, err := tx.Contact(account)
	if errors.Is(err, vault.ErrNotFound) {
		return k, tx.PutContact(newContact(account, handle, k, d.clk.Now(), !d.checks.noConsent))
	}
	if err != nil {
		return identity.AccountPublicKey{}, err
	}
	pinned, err := contactKey(c)
	if err != nil {
		return identity.AccountPublicKey{}, err
	}
	if pinned.KEMKey() == nil && k.KEMKey() != nil && pinned.Equal(k) {
		c.KEMKey = k.KEMKey().Bytes()
		return k, tx.PutContact(c)
	}
	return pinned, nil
}

// deviceOf is the vault record of another device, from its verified certificate
// (raw, its encoding, may be nil when only the parsed form is at hand).
func deviceOf(account ids.Account, cert identity.Certificate, raw []byte, now time.Time) vault.Device {
	return vault.Device{
		ID:               cert.Device.ID(),
		AccountID:        account,
		SigningPublic:    cert.Device.SigningKey(),
		EncryptionPublic: cert.Device.EncryptionKey().Bytes(),
		Certificate:      raw,
		CreatedAt:        now,
	}
}

// deviceVerdict is what the sender device of an authentic message allows.
type deviceVerdict int

const (
	deviceOK      deviceVerdict = iota
	deviceRevoked               // drop the message
	deviceForeign               // stored for another account: drop
	deviceLookup                // unknown and the list is not fresh: look it up first
	deviceWait                  // unknown and the look-up failed: try again later
)

// checkDevice decides about the sender device of an authentic message (cert is its
// verified certificate). On the first, optimistic pass (firstPass) anything that
// needs the relay asks for a look-up; on the second, looked says whether the
// account's list was looked up in between.
func (d *directory) checkDevice(tx *vault.Tx, account ids.Account, cert identity.Certificate, firstPass, looked bool) (deviceVerdict, error) {
	id := cert.Device.ID()
	if id == d.device {
		return deviceOK, nil
	}
	if firstPass && !d.isFresh(account) {
		return deviceLookup, nil
	}
	dev, err := tx.Device(id)
	switch {
	case err == nil && dev.AccountID != account:
		return deviceForeign, nil
	case err == nil && dev.Revoked:
		return deviceRevoked, nil
	case err == nil:
		return deviceOK, nil
	case !errors.Is(err, vault.ErrNotFound):
		return 0, err
	case firstPass:
		return deviceLookup, nil
	case !looked:
		return deviceWait, nil
	}
	// Looked up, and still unknown: the account's signed list does not name it
	// (revoked, or never linked), or the account has no list and the relay does not
	// list it. Remember it, so it is not looked up again; a later list that names
	// it brings it back.
	dev = deviceOf(account, cert, nil, d.clk.Now())
	dev.Revoked = true
	if err := tx.PutDevice(dev); err != nil {
		return 0, err
	}
	return deviceRevoked, nil
}
