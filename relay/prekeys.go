package relay

import (
	"context"
	"errors"
	"fmt"

	"hush/ids"
	"hush/relay/store"
	"hush/sync/wire"
)

// Prekeys for secret chats (docs/PROTOCOL.md, "Prekeys"). A device publishes its
// signed prekey, its post-quantum last-resort prekey and batches of one-time
// prekeys; another device fetches a bundle to start a secret chat, which uses up
// one one-time prekey of each kind. The relay keeps every prekey opaque — the
// device that fetches one checks its signature against the device list it holds —
// so what the relay can do is withhold or replay, never forge (docs/SECURITY.md).

// putPrekeysOp stores a device's prekeys and answers how many one-time ones it holds.
type putPrekeysOp struct {
	base
	m     *wire.PutPrekeys
	count wire.PrekeyCount
}

func (o *putPrekeysOp) apply(ctx context.Context, w *writer, tx store.Tx) error {
	dev := o.c.device
	one, pq, err := tx.PrekeyCounts(ctx, dev)
	if err != nil {
		return err
	}
	// Refused before anything is written: an id already held counts too, so a
	// device near the cap publishes after its keys are used, not before.
	if one+len(o.m.OneTime) > wire.MaxOneTimePrekeys || pq+len(o.m.PQOneTime) > wire.MaxOneTimePrekeys {
		return wire.Errorf(wire.CodeQuotaExceeded, "a device holds at most %d one-time prekeys of each kind (%d and %d held)", wire.MaxOneTimePrekeys, one, pq)
	}
	for _, p := range []struct {
		kind store.PrekeyKind
		key  wire.Prekey
	}{{store.PrekeySigned, o.m.Signed}, {store.PrekeyLastResort, o.m.LastResort}} {
		if !p.key.IsZero() {
			if err := tx.ReplacePrekey(ctx, dev, p.kind, p.key); err != nil {
				return err
			}
		}
	}
	if err := tx.AddPrekeys(ctx, dev, store.PrekeyOneTime, o.m.OneTime); err != nil {
		return err
	}
	if err := tx.AddPrekeys(ctx, dev, store.PrekeyPQOneTime, o.m.PQOneTime); err != nil {
		return err
	}
	if one, pq, err = tx.PrekeyCounts(ctx, dev); err != nil {
		return err
	}
	o.count = wire.PrekeyCount{OneTime: uint32(one), PQOneTime: uint32(pq)}
	return nil
}

func (o *putPrekeysOp) finish(w *writer, err error) { o.answer(err, &o.count) }

// fetchPrekeysOp hands out one device's bundle and tells that device when its
// one-time prekeys run low.
type fetchPrekeysOp struct {
	base
	m      *wire.FetchPrekeys
	bundle wire.PrekeyBundle
	target ids.Account
	left   wire.PrekeyCount
}

func (o *fetchPrekeysOp) apply(ctx context.Context, w *writer, tx store.Tx) error {
	d, err := tx.Device(ctx, o.m.Device)
	if errors.Is(err, store.ErrNotFound) || (err == nil && d.Revoked()) {
		return wire.Errorf(wire.CodeNotFound, "no such device")
	}
	if err != nil {
		return err
	}
	if err := w.allowBundle(o.c.account, w.s.clock.Now()); err != nil {
		return err
	}
	b, err := tx.TakePrekeys(ctx, o.m.Device)
	if errors.Is(err, store.ErrNotFound) {
		w.s.hourly.bundles.giveBack(o.c.account, w.s.clock.Now())
		return wire.Errorf(wire.CodeNotFound, "the device has published no prekeys")
	}
	if err != nil {
		return fmt.Errorf("take prekeys: %w", err)
	}
	one, pq, err := tx.PrekeyCounts(ctx, o.m.Device)
	if err != nil {
		return err
	}
	o.bundle, o.target = b, d.AccountID
	o.left = wire.PrekeyCount{OneTime: uint32(one), PQOneTime: uint32(pq)}
	return nil
}

// low reports whether the device fetched from runs low on one-time prekeys, and
// should be told.
func (o *fetchPrekeysOp) low() bool {
	return o.left.OneTime < wire.LowPrekeys || o.left.PQOneTime < wire.LowPrekeys
}

func (o *fetchPrekeysOp) finish(w *writer, err error) {
	o.answer(err, &o.bundle)
	if err != nil || !o.low() {
		return
	}
	w.s.pushToDevice(o.target, o.m.Device, &o.left)
}
