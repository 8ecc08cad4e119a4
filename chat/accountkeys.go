package chat

import (
	"bytes"
	"context"
	"crypto/mlkem"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"hush/clock"
	"hush/identity"
	"hush/ids"
	"hush/pqxdh"
	"hush/seedbox"
	"hush/sync/wire"
	"hush/vault"
)

// Revocation and the account's keys (docs/SECURITY.md): every device of an account
// holds the account key, so a revoked device keeps it. What is wrapped to the
// account after a revocation must need something the revoked device lacks: a new
// ML-KEM key, which the device list that revokes it publishes (signed by the
// account, so contacts cannot be made to keep the old one while they accept the
// revocation) and whose seed goes to each remaining device alone, sealed to its own
// device key and prekeys (package seedbox) through its relay inbox. Hybrid
// envelopes need both the X25519 and the ML-KEM share, so the revoked device, which
// holds the X25519 key, opens nothing wrapped to the new key.

// errRevokeSelf refuses to revoke the device the engine runs on.
var errRevokeSelf = detailf(ErrInvalid, "this device cannot remove itself; remove it from another of your devices")

// kemDeliveriesSetting names the vault setting that lists the account's devices
// still owed the account's ML-KEM seeds (CBOR array of device ids).
const kemDeliveriesSetting = "account/kem-deliveries"

// Retries of owed seeds: a device may have no prekeys at the relay yet (linked, not
// connected since), and gets its box once it has.
const (
	kemRetryMin = 5 * time.Second
	kemRetryMax = 10 * time.Minute
)

// Inbox item kinds: the first byte of an item's ciphertext, before the sealed body.
const (
	inboxKEMSeeds byte = 1 // a seedbox with the account's ML-KEM seeds
)

// adoptKEM takes the ML-KEM key a newer device list of account names as current:
// for this account, what everything is wrapped to from now on (its seed may still
// be on its way from the device that made it: kemCourier); for a contact, the
// ML-KEM part of its pinned key. Nothing warns: the account signed the list, and its
// Ed25519 and X25519 keys are the pinned ones (applyList checked).
func (d *directory) adoptKEM(tx *vault.Tx, account ids.Account, l identity.DeviceList) error {
	if l.KEM == nil {
		return nil
	}
	if account == d.meID {
		if !d.me.UseKEM(l.KEM) {
			d.log.Info("the account has a new ML-KEM key; its seed comes from the device that made it")
		}
		return nil
	}
	c, err := tx.Contact(account)
	if errors.Is(err, vault.ErrNotFound) {
		return nil // pinned later, with this list
	}
	if err != nil {
		return err
	}
	if kem := l.KEM.Bytes(); !bytes.Equal(c.KEMKey, kem) {
		c.KEMKey = kem
		return tx.PutContact(c)
	}
	return nil
}

// useHeldKEM makes current the ML-KEM key this account's held device list names,
// when the engine starts: the vault keeps the seeds, the list says which is current.
func (d *directory) useHeldKEM(ctx context.Context) error {
	l, ok, err := d.ownList(ctx)
	if err != nil || !ok || l.KEM == nil {
		return err
	}
	d.me.UseKEM(l.KEM)
	return nil
}

// storeKEMSeeds writes every ML-KEM seed the account key holds into its vault row.
func storeKEMSeeds(tx *vault.Tx, k *identity.AccountKey) error {
	a, err := tx.Account(k.ID())
	if err != nil {
		return err
	}
	a.KEMSeed, a.OtherKEMSeeds = k.StoredKEMSeeds()
	defer clear(a.KEMSeed)
	defer func() {
		for _, s := range a.OtherKEMSeeds {
			clear(s)
		}
	}()
	return tx.PutAccount(a)
}

// kemCourier is the engine part that hands the account's ML-KEM seeds to its other
// devices: it owes them to every device listed when the key changed, until each has
// been sent a box, and opens the boxes other devices send this one.
type kemCourier struct {
	v       *vault.Vault
	link    *link
	dir     *directory
	prekeys *prekeys
	me      *identity.AccountKey
	dev     *identity.DeviceKey
	log     *slog.Logger
	clk     clock.Clock
	wake    chan struct{} // capacity 1: seeds are owed, retry them

	mu sync.Mutex // one delivery round at a time
}

// run retries owed seeds, less often each time, until none is owed.
func (c *kemCourier) run(ctx context.Context) {
	delay, owed := kemRetryMin, false
	for {
		var retry chan struct{}
		var t clock.Timer
		if owed {
			retry = make(chan struct{})
			t = c.clk.AfterFunc(delay, func() { close(retry) })
		}
		select {
		case <-ctx.Done():
			if t != nil {
				t.Stop()
			}
			return
		case <-c.wake:
			if t != nil {
				t.Stop()
			}
			delay, owed = kemRetryMin, true
			continue
		case <-retry:
		}
		owed = c.deliver(ctx) > 0
		delay = min(2*delay, kemRetryMax)
	}
}

// deliverNow delivers owed seeds at once, and has run retry what is left.
func (c *kemCourier) deliverNow(ctx context.Context) {
	if c.deliver(ctx) > 0 {
		select {
		case c.wake <- struct{}{}:
		default:
		}
	}
}

// rekey makes a new ML-KEM key for a revocation of device revoked: the seed is
// stored with the others and owed to every other remaining device before the list
// that names it is published, so no device is left without a key it is told to use.
func (c *kemCourier) rekey(ctx context.Context, revoked ids.Device) (*mlkem.EncapsulationKey768, error) {
	l, ok, err := c.dir.ownList(ctx)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, ErrNoDeviceList
	}
	pub, err := c.me.NewKEM()
	if err != nil {
		return nil, err
	}
	var owed []ids.Device
	for _, d := range l.Devices {
		if id := d.ID(); id != revoked && id != c.dev.ID() {
			owed = append(owed, id)
		}
	}
	return pub, c.v.Update(ctx, func(tx *vault.Tx) error {
		if err := storeKEMSeeds(tx, c.me); err != nil {
			return err
		}
		held, err := c.owed(tx)
		if err != nil {
			return err
		}
		for _, id := range owed {
			if !slices.Contains(held, id) {
				held = append(held, id)
			}
		}
		return c.putOwed(tx, held)
	})
}

func (c *kemCourier) owed(tx *vault.Tx) ([]ids.Device, error) {
	return settingList[ids.Device](tx, kemDeliveriesSetting)
}

func (c *kemCourier) putOwed(tx *vault.Tx, owed []ids.Device) error {
	return putSettingList(tx, kemDeliveriesSetting, owed)
}

// deliver sends every owed device a box with all the account's seeds and returns
// how many are still owed. A device that cannot be served now (without prekeys at
// the relay: not connected since it was linked) stays owed; one no longer listed is
// dropped.
func (c *kemCourier) deliver(ctx context.Context) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	var owed []ids.Device
	if err := c.v.View(ctx, func(tx *vault.Tx) error {
		var err error
		owed, err = c.owed(tx)
		return err
	}); err != nil || len(owed) == 0 {
		if err != nil {
			c.log.Warn("owed ML-KEM seeds", "err", err)
		}
		return len(owed)
	}
	l, _, err := c.dir.ownList(ctx)
	if err != nil {
		c.log.Warn("owed ML-KEM seeds: device list", "err", err)
		return len(owed)
	}
	var left []ids.Device
	for _, id := range owed {
		d, listed := l.Device(id)
		if !listed {
			continue
		}
		if err := c.send(ctx, d.Key); err != nil {
			c.log.Info("ML-KEM seeds not delivered yet", "device", id.String(), "err", err)
			left = append(left, id)
		}
	}
	if err := c.v.Update(ctx, func(tx *vault.Tx) error { return c.putOwed(tx, left) }); err != nil {
		c.log.Warn("owed ML-KEM seeds", "err", err)
		return len(owed)
	}
	return len(left)
}

// send seals the account's seeds to device to and puts them in its inbox.
func (c *kemCourier) send(ctx context.Context, to identity.DevicePublicKey) error {
	b, err := doAs[*wire.PrekeyBundle](ctx, c.link, &wire.FetchPrekeys{Device: to.ID()})
	if err != nil {
		return fmt.Errorf("fetch prekeys: %w", err)
	}
	bundle, err := bundleFrom(to, b)
	if err != nil {
		return err
	}
	seeds := c.me.KEMSeeds()
	defer func() {
		for _, s := range seeds {
			clear(s)
		}
	}()
	box, err := seedbox.Seal(c.dev, c.me.ID(), to, bundle, seeds)
	if err != nil {
		return err
	}
	item := append([]byte{inboxKEMSeeds}, box...)
	_, err = doAs[*wire.OK](ctx, c.link, &wire.InboxSend{ToDevice: to.ID(), ItemID: ids.New[ids.InboxItem](), Ciphertext: item})
	return err
}

// open takes the seeds of a box another device of this account sent: opened with
// this device's prekeys, from a device the account lists. The prekeys the box used
// up and the seeds are stored in one transaction, so a failure leaves the box
// openable again. It reports whether the item is done with (to acknowledge) —
// false only when it may open later — and whether it brought seeds this device
// lacked (what waited for them, epoch keys wrapped to the new key, is then fetched
// again).
func (c *kemCourier) open(ctx context.Context, it wire.InboxItem, box []byte) (done, added bool) {
	if it.FromAccount != c.me.ID() {
		c.log.Warn("ML-KEM seeds from another account dropped", "from", it.FromAccount.String())
		return true, false
	}
	c.prekeys.mu.Lock()
	defer c.prekeys.mu.Unlock()
	store, err := c.prekeys.load(ctx)
	if err != nil {
		c.log.Warn("ML-KEM seeds: read prekeys", "err", err)
		return false, false
	}
	if store == nil {
		c.log.Warn("ML-KEM seeds dropped: this device has no prekeys")
		return true, false
	}
	defer store.Destroy()
	from, seeds, err := seedbox.Open(c.dev, c.me.ID(), store, box)
	if err != nil {
		c.log.Warn("ML-KEM seeds that do not open dropped", "from", it.FromDevice.String(), "err", err)
		return true, false // the prekeys it named are kept: nothing was stored
	}
	defer func() {
		for _, s := range seeds {
			clear(s)
		}
	}()
	l, ok, err := c.dir.ownList(ctx)
	if err != nil {
		return false, false
	}
	if _, listed := l.Device(from.ID()); !ok || !listed {
		c.log.Warn("ML-KEM seeds from a device the account does not list dropped", "from", from.ID().String())
		return true, false
	}
	n, err := c.me.AddKEMSeeds(seeds)
	if err != nil {
		c.log.Warn("ML-KEM seeds malformed", "err", err)
		return true, false
	}
	enc, err := pqxdh.EncodeStore(store)
	if err != nil {
		return false, false
	}
	defer clear(enc)
	if err := c.v.Update(ctx, func(tx *vault.Tx) error {
		if err := tx.PutSetting(prekeySetting, enc); err != nil {
			return err
		}
		return storeKEMSeeds(tx, c.me)
	}); err != nil {
		c.log.Warn("store ML-KEM seeds", "err", err)
		return false, false
	}
	c.log.Info("received the account's ML-KEM seeds", "from", from.ID().String(), "new", n)
	return true, n > 0
}
