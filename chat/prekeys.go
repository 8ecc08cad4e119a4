package chat

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"hush/clock"
	"hush/identity"
	"hush/pqxdh"
	"hush/sync/wire"
	"hush/vault"
)

// Prekeys for secret chats (docs/PROTOCOL.md, "Prekeys"): each device keeps its
// private prekeys sealed in its vault and its public ones at its relay, so that a
// contact can start a secret chat with it while it is offline. The device makes
// them once, sends its signed prekeys at every connection (a relay that lost them
// gets them back), makes as many one-time prekeys as the relay says it lacks, and
// renews its signed prekeys weekly. The relay keeps them opaque: a contact checks
// each signature against the device's certified key (package pqxdh).

const (
	// prekeySetting names the vault setting that holds the private prekeys.
	prekeySetting = "secret/prekeys"
	// prekeyTarget is how many one-time prekeys of each kind the relay should hold
	// for this device: one per secret chat started while it is offline. The relay
	// pushes a count when fewer than wire.LowPrekeys are left.
	prekeyTarget = 50
	// prekeyRotation is how long a signed prekey is used before a new one is made.
	prekeyRotation = 7 * 24 * time.Hour
)

// prekeys is the engine part that keeps this device's prekeys at its relay.
type prekeys struct {
	v    *vault.Vault
	link *link
	dev  *identity.DeviceKey
	clk  clock.Clock
	log  *slog.Logger

	mu sync.Mutex // one publication at a time: the store changes with each
}

// load returns the stored prekeys, or nil when there are none yet.
func (p *prekeys) load(ctx context.Context) (*pqxdh.Store, error) {
	b, err := p.v.Setting(ctx, prekeySetting)
	if errors.Is(err, vault.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer clear(b)
	return pqxdh.ParseStore(b)
}

// save keeps s in the vault. It runs before anything made is published, so the
// private half of every prekey the relay may hand out is on disk first.
func (p *prekeys) save(ctx context.Context, s *pqxdh.Store) error {
	b, err := pqxdh.EncodeStore(s)
	if err != nil {
		return err
	}
	defer clear(b)
	return p.v.PutSetting(ctx, prekeySetting, b)
}

// ensure publishes this device's prekeys after a connection: makes them the first
// time, renews the signed ones when due, sends them, and tops the one-time ones up.
func (p *prekeys) ensure(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	s, err := p.load(ctx)
	if err != nil {
		return fmt.Errorf("read prekeys: %w", err)
	}
	now := p.clk.Now()
	changed := true
	switch {
	case s == nil:
		if s, err = pqxdh.NewStore(p.dev, now); err != nil {
			return err
		}
	case now.Sub(s.SignedPrekeyCreated()) >= prekeyRotation:
		if _, err := s.Rotate(p.dev, now); err != nil {
			return err
		}
	default:
		changed = false // a connection like any other: nothing new to keep
	}
	if changed {
		if err := p.save(ctx, s); err != nil {
			return fmt.Errorf("keep prekeys: %w", err)
		}
	}
	defer s.Destroy()
	pub, err := s.Publication(p.dev)
	if err != nil {
		return err
	}
	put, err := putSigned(pub)
	if err != nil {
		return err
	}
	count, err := doAs[*wire.PrekeyCount](ctx, p.link, put)
	if err != nil {
		return fmt.Errorf("publish signed prekeys: %w", err)
	}
	return p.topUpLocked(ctx, s, *count)
}

// onCount tops the one-time prekeys up after the relay said it runs low.
func (p *prekeys) onCount(ctx context.Context, count wire.PrekeyCount) {
	p.mu.Lock()
	defer p.mu.Unlock()
	s, err := p.load(ctx)
	if err != nil || s == nil {
		if err != nil {
			p.log.Warn("prekeys: read", "err", err)
		}
		return // not made yet: the next connection makes and publishes them
	}
	defer s.Destroy()
	if err := p.topUpLocked(ctx, s, count); err != nil {
		p.log.Info("prekeys: top up", "err", err)
	}
}

// topUpLocked makes and publishes the one-time prekeys the relay lacks.
func (p *prekeys) topUpLocked(ctx context.Context, s *pqxdh.Store, held wire.PrekeyCount) error {
	low := int(min(held.OneTime, held.PQOneTime))
	if low >= prekeyTarget/2 {
		return nil // enough for now: top up in batches, not one by one
	}
	n := prekeyTarget - low
	pub, err := s.Replenish(p.dev, n, p.clk.Now())
	if err != nil {
		return err
	}
	if err := p.save(ctx, s); err != nil {
		return fmt.Errorf("keep prekeys: %w", err)
	}
	put := &wire.PutPrekeys{}
	for _, k := range pub.OneTime {
		b, err := pqxdh.EncodeOneTimePrekey(k)
		if err != nil {
			return err
		}
		put.OneTime = append(put.OneTime, wire.Prekey{ID: k.ID, Signed: b})
	}
	for _, k := range pub.PQOneTime {
		b, err := pqxdh.EncodePQPrekey(k)
		if err != nil {
			return err
		}
		put.PQOneTime = append(put.PQOneTime, wire.Prekey{ID: k.ID, Signed: b})
	}
	// The relay holds at most wire.MaxOneTimePrekeys of a kind: send only what
	// fits beside what it holds of each.
	put.OneTime = put.OneTime[:min(len(put.OneTime), wire.MaxOneTimePrekeys-int(held.OneTime))]
	put.PQOneTime = put.PQOneTime[:min(len(put.PQOneTime), wire.MaxOneTimePrekeys-int(held.PQOneTime))]
	if _, err := doAs[*wire.PrekeyCount](ctx, p.link, put); err != nil {
		return fmt.Errorf("publish one-time prekeys: %w", err)
	}
	return nil
}

// putSigned is the request that sends a publication's signed prekeys alone.
func putSigned(pub pqxdh.Publication) (*wire.PutPrekeys, error) {
	signed, err := pqxdh.EncodeSignedPrekey(pub.SignedPrekey)
	if err != nil {
		return nil, err
	}
	last, err := pqxdh.EncodePQPrekey(pub.LastResort)
	if err != nil {
		return nil, err
	}
	return &wire.PutPrekeys{
		Signed:     wire.Prekey{ID: pub.SignedPrekey.ID, Signed: signed},
		LastResort: wire.Prekey{ID: pub.LastResort.ID, Signed: last},
	}, nil
}

// bundleFrom checks a bundle the relay served for device dev (whose key the
// caller took from the account's certified device list) and returns it as the
// handshake takes it: every signed prekey verifies under dev's key and names the
// id the relay filed it under.
func bundleFrom(dev identity.DevicePublicKey, b *wire.PrekeyBundle) (pqxdh.Bundle, error) {
	if b.Device != dev.ID() {
		return pqxdh.Bundle{}, fmt.Errorf("%w: a bundle of device %v, asked for %v", pqxdh.ErrWrongPeer, b.Device, dev.ID())
	}
	out := pqxdh.Bundle{Device: dev}
	var err error
	if out.SignedPrekey, err = pqxdh.ParseSignedPrekey(dev, b.Signed.Signed); err != nil {
		return pqxdh.Bundle{}, err
	}
	if out.PQPrekey, err = pqxdh.ParsePQPrekey(dev, b.PQ.Signed); err != nil {
		return pqxdh.Bundle{}, err
	}
	if out.SignedPrekey.ID != b.Signed.ID || out.PQPrekey.ID != b.PQ.ID || out.PQPrekey.LastResort == b.PQOneTime {
		return pqxdh.Bundle{}, fmt.Errorf("%w: prekeys filed under other ids or kinds", pqxdh.ErrInvalidBundle)
	}
	if !b.OneTime.IsZero() {
		ot, err := pqxdh.ParseOneTimePrekey(b.OneTime.Signed)
		if err != nil {
			return pqxdh.Bundle{}, err
		}
		if ot.ID != b.OneTime.ID {
			return pqxdh.Bundle{}, fmt.Errorf("%w: a one-time prekey filed under another id", pqxdh.ErrInvalidBundle)
		}
		out.OneTime = &ot
	}
	return out, nil
}
