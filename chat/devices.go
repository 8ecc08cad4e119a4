package chat

import (
	"context"
	"errors"
	"fmt"
	"time"

	"hush/identity"
	"hush/ids"
	"hush/sync/wire"
	"hush/vault"
)

// Device revocation. The relay lists an account's devices that are not revoked
// (LookupAccount, LookupHandle) and pushes DeviceRevoked to the account's own other
// devices; it never lists a revoked device again. The engine keeps what it learns in
// the vault (vault.Device, Revoked set for good) and drops every incoming message
// whose sender device is revoked:
//
//   - a device the vault knows that a fresh list no longer names is revoked;
//   - a device that sent a message but is not in a fresh list was revoked before
//     this device ever saw it (a device must have authenticated, so be listed, to
//     post);
//   - a device list is fresh for deviceListMaxAge within one connection: the first
//     message of each sender after a (re)connection looks its account up again, so
//     a contact's revocation is learned at the latest on the next connection;
//     revocations of this account's own devices arrive at once (DeviceRevoked).
//
// Messages stored before the revocation was learned stay; the relay gives no
// trustworthy time of revocation to tell older messages from newer ones.

// deviceListMaxAge is how long a looked-up device list is trusted before the next
// message from that account looks it up again.
const deviceListMaxAge = 15 * time.Minute

// maxFreshLists bounds the accounts whose list freshness is remembered; beyond it
// the memory is cleared and lists are looked up again.
const maxFreshLists = 4096

// devicesFresh reports whether account's device list was looked up recently on
// this connection.
func (e *Engine) devicesFresh(account ids.Account) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	at, ok := e.devFresh[account]
	return ok && e.clk.Now().Sub(at) < deviceListMaxAge
}

func (e *Engine) markDevicesFresh(account ids.Account) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.devFresh) >= maxFreshLists {
		clear(e.devFresh)
	}
	e.devFresh[account] = e.clk.Now()
}

// forgetDeviceLists makes every device list stale, after a (re)connection: what
// was revoked while offline is learned from the next lookup.
func (e *Engine) forgetDeviceLists() {
	e.mu.Lock()
	defer e.mu.Unlock()
	clear(e.devFresh)
}

// refreshDevices looks account up at the relay, pins its key on first use and
// stores its device list. It returns the pinned key.
func (e *Engine) refreshDevices(ctx context.Context, account ids.Account) (identity.AccountPublicKey, error) {
	a, err := doAs[*wire.Account](ctx, e, &wire.LookupAccount{AccountID: ids.Account(account)})
	if err != nil {
		return identity.AccountPublicKey{}, fmt.Errorf("look up account %s: %w", account, err)
	}
	return e.applyAccount(ctx, account, a)
}

// applyAccount stores what the relay said about account: its key, pinned if it was
// not, and its device list. A key other than the pinned one changes nothing (the
// pinned key stays; AddContact flags the change).
func (e *Engine) applyAccount(ctx context.Context, account ids.Account, a *wire.Account) (identity.AccountPublicKey, error) {
	k, err := identity.ParseAccountPublicKey(a.AccountKey)
	if err != nil {
		return identity.AccountPublicKey{}, fmt.Errorf("account %s: %w", account, err)
	}
	if k.ID() != account {
		return identity.AccountPublicKey{}, fmt.Errorf("account %s: the relay returned the key of another account", account)
	}
	var pinned identity.AccountPublicKey
	var revoked []ids.Device
	err = e.v.Update(ctx, func(tx *vault.Tx) error {
		revoked = nil
		var err error
		pinned, err = e.accountKey(tx, account)
		if errors.Is(err, vault.ErrNotFound) {
			pinned = k
			err = tx.PutContact(newContact(account, a.Handle, k, e.clk.Now()))
		}
		if err != nil {
			return err
		}
		if !pinned.Equal(k) {
			return nil
		}
		revoked, err = e.syncDevices(tx, account, k, a.Devices)
		return err
	})
	if err != nil {
		return identity.AccountPublicKey{}, fmt.Errorf("store account %s: %w", account, err)
	}
	if !pinned.Equal(k) {
		e.log.Warn("the relay returned another key than the pinned one; device list ignored", "account", account.String())
	}
	for _, d := range revoked {
		e.log.Info("device revoked", "account", account.String(), "device", d.String())
	}
	e.markDevicesFresh(account)
	return pinned, nil
}

// syncDevices stores the devices the relay lists for account (certificates checked
// against its pinned key; others are ignored) and marks revoked, for good, every
// device of the account the vault knows that the list no longer names. It returns
// the devices it marked revoked. This device itself is never marked.
func (e *Engine) syncDevices(tx *vault.Tx, account ids.Account, key identity.AccountPublicKey, certs [][]byte) ([]ids.Device, error) {
	listed := make(map[ids.Device]bool, len(certs))
	now := e.clk.Now()
	for _, raw := range certs {
		cert, err := identity.ParseCertificate(raw)
		if err != nil || !cert.Account.Equal(key) {
			e.log.Info("ignored a device certificate that does not verify", "account", account.String(), "err", err)
			continue
		}
		id := cert.Device.ID()
		listed[id] = true
		d, err := tx.Device(id)
		switch {
		case errors.Is(err, vault.ErrNotFound):
			if err := tx.PutDevice(deviceOf(account, cert, raw, now)); err != nil {
				return nil, err
			}
		case err != nil:
			return nil, err
		case d.AccountID != account:
			e.log.Warn("a device certificate names a device stored for another account", "account", account.String(), "device", id.String())
		}
	}
	known, err := tx.DevicesOf(account)
	if err != nil {
		return nil, err
	}
	var revoked []ids.Device
	for _, d := range known {
		if d.Revoked || d.Own || d.ID == e.devID || listed[d.ID] {
			continue
		}
		d.Revoked = true
		if err := tx.PutDevice(d); err != nil {
			return nil, err
		}
		revoked = append(revoked, d.ID)
	}
	return revoked, nil
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

// onDeviceRevoked records that one of this account's own devices was revoked.
func (e *Engine) onDeviceRevoked(ctx context.Context, id ids.Device) {
	if id == e.devID {
		// The relay closes a revoked device's connections rather than telling it.
		e.log.Warn("the relay says this device was revoked")
		return
	}
	err := e.v.Update(ctx, func(tx *vault.Tx) error {
		d, err := tx.Device(id)
		switch {
		case errors.Is(err, vault.ErrNotFound):
			d = vault.Device{ID: id, AccountID: e.meID, CreatedAt: e.clk.Now()}
		case err != nil:
			return err
		case d.AccountID != e.meID || d.Own || d.Revoked:
			return nil
		}
		d.Revoked = true
		return tx.PutDevice(d)
	})
	if err != nil {
		e.log.Warn("store device revocation", "device", id.String(), "err", err)
		return
	}
	e.log.Info("a device of this account was revoked", "device", id.String())
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
// verified certificate). prep is nil on the first, optimistic pass; then anything
// that needs the relay asks for a look-up.
func (e *Engine) checkDevice(tx *vault.Tx, account ids.Account, cert identity.Certificate, prep *prepared) (deviceVerdict, error) {
	id := cert.Device.ID()
	if id == e.devID {
		return deviceOK, nil
	}
	if prep == nil && !e.devicesFresh(account) {
		return deviceLookup, nil
	}
	d, err := tx.Device(id)
	switch {
	case err == nil && d.AccountID != account:
		return deviceForeign, nil
	case err == nil && d.Revoked:
		return deviceRevoked, nil
	case err == nil:
		return deviceOK, nil
	case !errors.Is(err, vault.ErrNotFound):
		return 0, err
	case prep == nil:
		return deviceLookup, nil
	case !prep.devicesLooked[account]:
		return deviceWait, nil
	}
	// The relay lists every device that is not revoked, and a device must have
	// authenticated (so be listed) to post: not listed means revoked before this
	// device ever saw it. Remember it, so it is not looked up again.
	d = deviceOf(account, cert, nil, e.clk.Now())
	d.Revoked = true
	if err := tx.PutDevice(d); err != nil {
		return 0, err
	}
	return deviceRevoked, nil
}
