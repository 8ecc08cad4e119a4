package chat

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"hush/identity"
	"hush/ids"
	"hush/policy"
	"hush/sync/wire"
	"hush/vault"
)

// pinAccount returns the pinned key of id, looking the account up at the relay and
// pinning it on first use (with its device list). The relay cannot substitute a key
// for an id: an account id is a hash of the account's signing key, and the answer is
// checked against it.
func (e *Engine) pinAccount(ctx context.Context, id ids.Account) (identity.AccountPublicKey, error) {
	var k identity.AccountPublicKey
	err := e.v.View(ctx, func(tx *vault.Tx) error {
		var err error
		k, err = e.accountKey(tx, id)
		return err
	})
	if err == nil || !errors.Is(err, vault.ErrNotFound) {
		return k, err
	}
	return e.refreshDevices(ctx, id)
}

// newContact pins k. Until the account's messages bring the name it chose
// (names.go), its @handle stands in for its display name.
func newContact(id ids.Account, handle string, k identity.AccountPublicKey, now time.Time) vault.Contact {
	return vault.Contact{
		AccountID:     id,
		Handle:        handle,
		DisplayName:   displayHandle(handle),
		SigningKey:    k.SigningKey(),
		EncryptionKey: k.EncryptionKey().Bytes(),
		PinnedAt:      now,
	}
}

func displayHandle(h string) string {
	if h == "" {
		return ""
	}
	return "@" + h
}

// AddContact looks a handle up at the relay and pins the account's key on first
// use. If the handle now names another key than the one pinned for it, the contact
// is marked keyChanged and a warning is emitted.
func (e *Engine) AddContact(ctx context.Context, handle string) (Contact, error) {
	h, err := CheckHandle(handle)
	if err != nil {
		return Contact{}, err
	}
	a, err := doAs[*wire.Account](ctx, e, &wire.LookupHandle{Handle: h})
	if errors.Is(err, wire.ErrNotFound) {
		return Contact{}, detailf(ErrUnknownHandle, "@%s", h)
	}
	if err != nil {
		return Contact{}, err
	}
	k, err := identity.ParseAccountPublicKey(a.AccountKey)
	if err != nil {
		return Contact{}, fmt.Errorf("the relay returned a malformed key for @%s: %w", h, err)
	}
	id := k.ID()
	if id == e.meID {
		return Contact{}, detailf(ErrInvalid, "@%s is this account", h)
	}
	now := e.clk.Now()
	var out vault.Contact
	var warning WarningKind
	var devicesStored bool
	err = e.v.Update(ctx, func(tx *vault.Tx) error {
		warning, devicesStored = 0, false
		all, err := tx.Contacts()
		if err != nil {
			return err
		}
		for _, c := range all {
			if c.AccountID != id && c.Handle == h {
				// The handle moved to another account: the person behind it may
				// have new keys, or the relay lies. Either way, say so loudly.
				warning = WarnHandleMoved
				c.Handle = ""
				if err := tx.PutContact(c); err != nil {
					return err
				}
			}
		}
		old, err := tx.Contact(id)
		switch {
		case errors.Is(err, vault.ErrNotFound):
			out = newContact(id, h, k, now)
			if warning != 0 {
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
			out.Handle = h
			if !pinned.Equal(k) {
				// Same id, other key: impossible for an honest relay (the id is a
				// hash of the signing key). Keep the pinned key; flag it.
				out.KeyChangedAt, out.Verified = now, false
				warning = WarnKeyChanged
			}
		}
		if err := tx.PutContact(out); err != nil {
			return err
		}
		if pinned, err := contactKey(out); err != nil || !pinned.Equal(k) {
			return err // the relay's device list is for a key that is not pinned
		}
		revoked, err := e.syncDevices(tx, id, k, a.Devices)
		for _, d := range revoked {
			e.log.Info("device revoked", "account", id.String(), "device", d.String())
		}
		devicesStored = err == nil
		return err
	})
	if err != nil {
		return Contact{}, fmt.Errorf("save contact: %w", err)
	}
	if devicesStored {
		e.markDevicesFresh(id)
	}
	if warning != 0 {
		e.warn(Warning{Chat: e.directChatWith(ctx, id), Kind: warning, Handle: h})
	}
	return toContact(out), nil
}

// directChatWith returns the id of the 1:1 chat with account, or the zero id.
func (e *Engine) directChatWith(ctx context.Context, account ids.Account) ids.Chat {
	var found ids.Chat
	_ = e.v.View(ctx, func(tx *vault.Tx) error {
		chats, err := tx.Chats()
		if err != nil {
			return err
		}
		for _, c := range chats {
			if c.Kind == policy.KindDirect && roleOf(&c, account) != 0 {
				found = c.ID
				return nil
			}
		}
		return nil
	})
	return found
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

// Contacts returns every pinned account, by display name.
func (e *Engine) Contacts(ctx context.Context) ([]Contact, error) {
	var out []Contact
	err := e.v.View(ctx, func(tx *vault.Tx) error {
		all, err := tx.Contacts()
		if err != nil {
			return err
		}
		out = make([]Contact, 0, len(all))
		for _, c := range all {
			out = append(out, toContact(c))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list contacts: %w", err)
	}
	slices.SortFunc(out, func(a, b Contact) int { return strings.Compare(a.DisplayName, b.DisplayName) })
	return out, nil
}

// SafetyNumber returns the number this account and a contact compare out of band.
func (e *Engine) SafetyNumber(ctx context.Context, account ids.Account) (SafetyNumber, error) {
	var k identity.AccountPublicKey
	err := e.v.View(ctx, func(tx *vault.Tx) error {
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
	sn := identity.ComputeSafetyNumber(e.me, k)
	return SafetyNumber{Digits: sn.Digits, Emoji: sn.Emoji}, nil
}

// MarkVerified records that the user compared the safety number (or withdraws it).
// Verifying also acknowledges a key change.
func (e *Engine) MarkVerified(ctx context.Context, account ids.Account, verified bool) (Contact, error) {
	var out vault.Contact
	err := e.v.Update(ctx, func(tx *vault.Tx) error {
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
