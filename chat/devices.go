package chat

import (
	"bytes"
	"context"
	"crypto/mlkem"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"hush/identity"
	"hush/ids"
	"hush/sync/wire"
	"hush/vault"
)

// Device lists (docs/SECURITY.md, "Device lists"). Which devices belong to an
// account is what the account signs in its device list, never what the relay says:
//
//   - the directory holds, for this account and every pinned contact, the newest
//     list it verified (signed by the pinned key) and replaces it only with one that
//     supersedes it (identity.DeviceList.Supersedes): a relay that replays an older
//     list, hides a revocation by withholding the newer one, or shows a list that
//     un-revokes a device raises a warning and changes nothing;
//   - a device is trusted once a held list names it; every other device of the
//     account the vault knows is revoked, for good, when such a list arrives;
//   - an account that has published no list yet (made before device lists) is
//     known by the certificates its account key signed, as before, and no device of
//     it is ever taken as revoked because the relay stopped listing it.
//
// Lists arrive with every account lookup and are pushed by the relay when an
// account that shares a chat with this one publishes a new one.

// deviceListSetting names the vault setting holding account's newest verified list.
func deviceListSetting(account ids.Account) string { return "devices/list/" + account.String() }

// heldList returns the verified list held for account; ok is false if none is.
func heldList(tx *vault.Tx, account ids.Account) (l identity.DeviceList, raw []byte, ok bool, err error) {
	raw, err = tx.Setting(deviceListSetting(account))
	if errors.Is(err, vault.ErrNotFound) {
		return identity.DeviceList{}, nil, false, nil
	}
	if err != nil {
		return identity.DeviceList{}, nil, false, err
	}
	l, err = identity.ParseDeviceList(raw)
	if err != nil {
		return identity.DeviceList{}, nil, false, fmt.Errorf("held device list of %s: %w", account, err)
	}
	return l, raw, true, nil
}

// listOutcome is what applying a device list changed.
type listOutcome struct {
	revoked []ids.Device // devices newly taken as revoked
	warning WarningKind  // 0, or what the relay tried
	// removed is true when this device's own account no longer lists it.
	removed bool
	// changed is true when a new list was stored.
	changed bool
}

// storeDevices stores what the relay said about account's devices (a is its lookup
// answer, key its pinned key): the signed list if there is one, the certificates of
// an account that has none.
func (d *directory) storeDevices(tx *vault.Tx, account ids.Account, key identity.AccountPublicKey, a *wire.Account) (listOutcome, error) {
	if len(a.DeviceList) > 0 {
		return d.applyList(tx, account, key, a.DeviceList)
	}
	_, _, held, err := heldList(tx, account)
	if err != nil {
		return listOutcome{}, err
	}
	if held {
		// The relay stopped returning a list it returned before: the held one
		// stands, and so do its revocations.
		return listOutcome{warning: WarnDeviceListWithheld}, nil
	}
	return listOutcome{}, d.storeCertified(tx, account, key, a.Devices)
}

// applyList verifies raw as account's device list and, if it supersedes the held
// one, stores it and the devices it names, and revokes every other device of the
// account.
func (d *directory) applyList(tx *vault.Tx, account ids.Account, key identity.AccountPublicKey, raw []byte) (listOutcome, error) {
	next, err := identity.ParseDeviceList(raw)
	if d.checks.relayDevices && err == nil {
		if err := tx.PutSetting(deviceListSetting(account), raw); err != nil {
			return listOutcome{}, err
		}
		return d.syncListed(tx, account, next)
	}
	if err != nil || !next.Account.Equal(key) {
		d.log.Warn("ignored a device list the account did not sign", "account", account.String(), "err", err)
		return listOutcome{warning: WarnDeviceListInvalid}, nil
	}
	held, heldRaw, ok, err := heldList(tx, account)
	if err != nil {
		return listOutcome{}, err
	}
	if ok {
		if bytes.Equal(raw, heldRaw) {
			return listOutcome{}, nil
		}
		if err := held.Supersedes(next); err != nil {
			d.log.Warn("ignored a device list that does not supersede the held one", "account", account.String(),
				"held", held.Version, "got", next.Version, "err", err)
			if next.Version == held.Version && !errors.Is(err, identity.ErrDeviceListRollback) {
				return listOutcome{warning: WarnDeviceListFork}, nil
			}
			return listOutcome{warning: WarnDeviceListRollback}, nil
		}
	}
	if err := tx.PutSetting(deviceListSetting(account), raw); err != nil {
		return listOutcome{}, err
	}
	if err := d.adoptKEM(tx, account, next); err != nil {
		return listOutcome{}, err
	}
	out, err := d.syncListed(tx, account, next)
	out.changed = true
	return out, err
}

// syncListed makes the vault's devices of account match list l.
func (d *directory) syncListed(tx *vault.Tx, account ids.Account, l identity.DeviceList) (listOutcome, error) {
	var out listOutcome
	listed := make(map[ids.Device]bool, len(l.Devices))
	for _, ld := range l.Devices {
		id := ld.ID()
		listed[id] = true
		dev, err := tx.Device(id)
		switch {
		case errors.Is(err, vault.ErrNotFound):
			dev = vault.Device{
				ID:               id,
				AccountID:        account,
				SigningPublic:    ld.Key.SigningKey(),
				EncryptionPublic: ld.Key.EncryptionKey().Bytes(),
				CreatedAt:        ld.LinkedAt,
			}
		case err != nil:
			return out, err
		case dev.AccountID != account:
			d.log.Warn("a device list names a device stored for another account", "account", account.String(), "device", id.String())
			continue
		}
		// A device the relay once stopped listing (before lists) is back: the
		// account's signature says it is not revoked.
		dev.Name, dev.Revoked = ld.Name, false
		if err := tx.PutDevice(dev); err != nil {
			return out, err
		}
	}
	known, err := tx.DevicesOf(account)
	if err != nil {
		return out, err
	}
	for _, dev := range known {
		if listed[dev.ID] || dev.Revoked {
			continue
		}
		if dev.ID == d.device {
			out.removed = true
			continue
		}
		dev.Revoked = true
		if err := tx.PutDevice(dev); err != nil {
			return out, err
		}
		out.revoked = append(out.revoked, dev.ID)
	}
	if account == d.meID && !listed[d.device] {
		out.removed = true
	}
	return out, nil
}

// storeCertified stores the devices of an account without a device list: those
// whose certificate its pinned key signed. Nothing is revoked.
func (d *directory) storeCertified(tx *vault.Tx, account ids.Account, key identity.AccountPublicKey, certs [][]byte) error {
	now := d.clk.Now()
	for _, raw := range certs {
		cert, err := identity.ParseCertificate(raw)
		if err != nil || !cert.Account.Equal(key) {
			d.log.Info("ignored a device certificate that does not verify", "account", account.String(), "err", err)
			continue
		}
		id := cert.Device.ID()
		dev, err := tx.Device(id)
		switch {
		case errors.Is(err, vault.ErrNotFound):
			if err := tx.PutDevice(deviceOf(account, cert, raw, now)); err != nil {
				return err
			}
		case err != nil:
			return err
		case dev.AccountID != account:
			d.log.Warn("a device certificate names a device stored for another account", "account", account.String(), "device", id.String())
		}
	}
	return nil
}

// report logs and reports what applying a list changed.
func (d *directory) report(account ids.Account, out listOutcome) {
	for _, dev := range out.revoked {
		d.log.Info("device revoked", "account", account.String(), "device", dev.String())
	}
	if out.warning != 0 {
		d.warn(Warning{Kind: out.warning, Account: account})
	}
	switch {
	case out.removed && d.onRemoved != nil:
		d.onRemoved()
	case out.changed && account == d.meID && d.onOwnChanged != nil:
		d.onOwnChanged()
	}
}

// onDeviceList applies a device list the relay pushed: for this account or a pinned
// contact; an account the vault does not know is looked up when it is met.
func (d *directory) onDeviceList(ctx context.Context, account ids.Account, raw []byte) {
	var out listOutcome
	err := d.v.Update(ctx, func(tx *vault.Tx) error {
		out = listOutcome{}
		key := d.me.Public()
		if account != d.meID {
			c, err := tx.Contact(account)
			if errors.Is(err, vault.ErrNotFound) {
				return nil
			}
			if err != nil {
				return err
			}
			if key, err = contactKey(c); err != nil {
				return err
			}
		}
		var err error
		out, err = d.applyList(tx, account, key, raw)
		return err
	})
	if err != nil {
		d.log.Warn("store pushed device list", "account", account.String(), "err", err)
		return
	}
	d.report(account, out)
}

// ownList returns this account's held device list.
func (d *directory) ownList(ctx context.Context) (identity.DeviceList, bool, error) {
	var l identity.DeviceList
	var ok bool
	err := d.v.View(ctx, func(tx *vault.Tx) error {
		var err error
		l, _, ok, err = heldList(tx, d.meID)
		return err
	})
	return l, ok, err
}

// ensureOwnList runs after each connection (own is the relay's answer about this
// account, already applied): an account without a list publishes its first, naming
// this device; a list the relay lost or rolled back is published again.
func (d *directory) ensureOwnList(ctx context.Context, own *wire.Account) error {
	var raw []byte
	err := d.v.View(ctx, func(tx *vault.Tx) error {
		var err error
		_, raw, _, err = heldList(tx, d.meID)
		return err
	})
	if err != nil {
		return err
	}
	switch {
	case raw != nil && bytes.Equal(raw, own.DeviceList):
		return d.nameThisDevice(ctx)
	case raw != nil:
		_, err := doAs[*wire.OK](ctx, d.link, &wire.PutDeviceList{List: raw})
		if errors.Is(err, wire.ErrConflict) {
			return nil // the relay holds a newer one, applied from the lookup
		}
		return err
	case len(own.DeviceList) > 0:
		return nil // applied from the lookup
	}
	_, err = d.publishList(ctx, func(l *identity.DeviceList) error {
		l.Devices = []identity.ListedDevice{{Key: d.deviceKey, Name: d.deviceName, Platform: d.platform, LinkedAt: d.clk.Now()}}
		return nil
	})
	return err
}

// addDevice publishes the next list with dev added, unnamed (the device names
// itself once it connects: ensureOwnList), and returns the list as signed.
func (d *directory) addDevice(ctx context.Context, dev identity.DevicePublicKey) ([]byte, error) {
	_, raw, err := d.publishListRaw(ctx, func(l *identity.DeviceList) error {
		if _, ok := l.Device(dev.ID()); ok || l.IsRevoked(dev.ID()) {
			return detailf(ErrInvalid, "this device was linked before")
		}
		if len(l.Devices) >= identity.MaxListedDevices {
			return detailf(ErrInvalid, "the account has %d devices; remove one first", len(l.Devices))
		}
		l.Devices = append(l.Devices, identity.ListedDevice{Key: dev, LinkedAt: d.clk.Now()})
		return nil
	})
	return raw, err
}

// nameThisDevice gives this device its name and platform in the account's list if
// the list has none for it: a linked device is listed unnamed by the device that
// linked it, which does not know them.
func (d *directory) nameThisDevice(ctx context.Context) error {
	l, ok, err := d.ownList(ctx)
	if err != nil || !ok {
		return err
	}
	if me, listed := l.Device(d.device); !listed || me.Name != "" {
		return nil
	}
	_, err = d.publishList(ctx, func(l *identity.DeviceList) error {
		for i := range l.Devices {
			if l.Devices[i].ID() == d.device {
				l.Devices[i].Name, l.Devices[i].Platform = d.deviceName, d.platform
			}
		}
		return nil
	})
	return err
}

// ErrNoDeviceList reports a device change attempted before this account's device
// list is known (not yet connected once since it was made or linked).
var ErrNoDeviceList = errors.New("chat: this account's device list is not known yet")

// publishList publishes this account's next device list: the held one (or an empty
// one, version 0, if none is held) changed by edit, one version up. A relay that
// holds a newer list (another device published meanwhile) answers Conflict: the list
// is looked up and the change made again, once.
func (d *directory) publishList(ctx context.Context, edit func(*identity.DeviceList) error) (identity.DeviceList, error) {
	l, _, err := d.publishListRaw(ctx, edit)
	return l, err
}

// publishListRaw is publishList, also returning the list as signed.
func (d *directory) publishListRaw(ctx context.Context, edit func(*identity.DeviceList) error) (identity.DeviceList, []byte, error) {
	for attempt := 0; ; attempt++ {
		l, _, err := d.ownList(ctx)
		if err != nil {
			return identity.DeviceList{}, nil, err
		}
		next := identity.DeviceList{
			Version:  l.Version + 1,
			IssuedAt: d.clk.Now(),
			Devices:  slices.Clone(l.Devices),
			Revoked:  slices.Clone(l.Revoked),
			KEM:      d.me.Public().KEMKey(),
		}
		if err := edit(&next); err != nil {
			return identity.DeviceList{}, nil, err
		}
		raw, err := identity.IssueDeviceList(d.me, next)
		if err != nil {
			return identity.DeviceList{}, nil, err
		}
		_, err = doAs[*wire.OK](ctx, d.link, &wire.PutDeviceList{List: raw})
		if errors.Is(err, wire.ErrConflict) && attempt == 0 {
			if _, err := d.refreshDevices(ctx, d.meID); err != nil {
				return identity.DeviceList{}, nil, err
			}
			continue
		}
		if err != nil {
			return identity.DeviceList{}, nil, fmt.Errorf("publish device list: %w", err)
		}
		var out listOutcome
		if err := d.v.Update(ctx, func(tx *vault.Tx) error {
			var err error
			out, err = d.applyList(tx, d.meID, d.me.Public(), raw)
			return err
		}); err != nil {
			return identity.DeviceList{}, nil, err
		}
		d.report(d.meID, out)
		l, err = identity.ParseDeviceList(raw)
		return l, raw, err
	}
}

// OwnDevice is one device of this account, as its device list names it.
type OwnDevice struct {
	ID       ids.Device
	Name     string
	Platform string
	LinkedAt time.Time
	// This is true for the device this engine runs on.
	This bool
	// LastSeen is when it last connected to the relay, as the relay says (zero:
	// unknown); for this device, now while online.
	LastSeen time.Time
}

// noteSeen keeps when this account's devices last connected, from the relay's
// answer about the account.
func (d *directory) noteSeen(a *wire.Account) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.seen = make(map[ids.Device]time.Time, len(a.Seen))
	for _, s := range a.Seen {
		if s.At > 0 {
			d.seen[s.DeviceID] = time.UnixMilli(s.At)
		}
	}
}

// devices returns this account's devices, in the order they were linked.
func (d *directory) devices(ctx context.Context) ([]OwnDevice, error) {
	l, ok, err := d.ownList(ctx)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, ErrNoDeviceList
	}
	// A fresh look-up for when the devices were last seen, if the relay answers soon.
	lctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	if a, err := doAs[*wire.Account](lctx, d.link, &wire.LookupAccount{AccountID: d.meID}); err == nil {
		d.noteSeen(a)
	}
	cancel()
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]OwnDevice, 0, len(l.Devices))
	for _, ld := range l.Devices {
		od := OwnDevice{ID: ld.ID(), Name: ld.Name, Platform: ld.Platform, LinkedAt: ld.LinkedAt, This: ld.ID() == d.device, LastSeen: d.seen[ld.ID()]}
		out = append(out, od)
	}
	return out, nil
}

// renameDevice publishes the next list with device id named name.
func (d *directory) renameDevice(ctx context.Context, id ids.Device, name string) error {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > identity.MaxDeviceNameSize {
		return detailf(ErrInvalid, "a device name has 1 to %d bytes", identity.MaxDeviceNameSize)
	}
	_, err := d.publishList(ctx, func(l *identity.DeviceList) error {
		for i := range l.Devices {
			if l.Devices[i].ID() == id {
				l.Devices[i].Name = name
				return nil
			}
		}
		return detailf(ErrNotFound, "no such device in this account")
	})
	return err
}

// revokeDevice publishes the next list without device id and with it revoked, for
// good, naming kem as the account's ML-KEM key when it is not nil (a new one, whose
// seed the revoked device never gets). This device cannot revoke itself: another
// device of the account does.
func (d *directory) revokeDevice(ctx context.Context, id ids.Device, kem *mlkem.EncapsulationKey768) error {
	if id == d.device {
		return errRevokeSelf
	}
	_, err := d.publishList(ctx, func(l *identity.DeviceList) error {
		if kem != nil {
			l.KEM = kem
		}
		i := slices.IndexFunc(l.Devices, func(ld identity.ListedDevice) bool { return ld.ID() == id })
		if i < 0 {
			return detailf(ErrNotFound, "no such device in this account")
		}
		l.Devices = slices.Delete(l.Devices, i, i+1)
		l.Revoked = append(l.Revoked, id)
		return nil
	})
	return err
}
