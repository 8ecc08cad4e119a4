package relay

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"hush/relay/store"
)

// DefaultInboxRetention is how long `hush-relay` keeps an undelivered inbox item
// unless --inbox-retention says otherwise: a device offline for a month has been
// replaced or lost, and its items only cost their senders quota.
const DefaultInboxRetention = 30 * 24 * time.Hour

// Bounds of the retention sweep. It runs at most hourly (an item lives at most an
// hour past its retention), and deletes at most expireBatch items per group
// commit, so a backlog (the first sweep after lowering the retention) never
// holds the commit loop long; a full batch is followed at once by another.
const (
	maxSweepInterval = time.Hour
	expireBatch      = 1000
)

// sweeper deletes inbox items older than the retention, in the commit loop, so
// their senders' quota is freed through the loop's own accounting.
type sweeper struct {
	s         *Server
	retention time.Duration
}

// startSweeper schedules the sweeps, unless items are kept until acknowledged.
func startSweeper(s *Server, retention time.Duration) {
	if retention <= 0 {
		return
	}
	sw := &sweeper{s: s, retention: retention}
	s.every(min(maxSweepInterval, max(retention/2, time.Second)), func() { _ = s.submit(&expireOp{sw: sw}) })
}

// expireOp deletes one batch of expired inbox items.
type expireOp struct {
	sw *sweeper
	n  int
}

func (o *expireOp) apply(ctx context.Context, w *writer, tx store.Tx) error {
	before := w.now - o.sw.retention.Milliseconds()
	n, freed, err := tx.ExpireInboxItems(ctx, before, expireBatch)
	if err != nil {
		return err
	}
	for id, bytes := range freed {
		a, err := w.account(ctx, tx, id)
		if err != nil {
			if errors.Is(err, store.ErrNotFound) {
				continue // the sender's account was deleted since
			}
			return err
		}
		w.charge(id, a, -bytes)
	}
	o.n = n
	return nil
}

func (o *expireOp) finish(w *writer, err error) {
	if err != nil {
		return // logged by the commit loop; the next tick tries again
	}
	w.s.metrics.inboxExpired.Add(float64(o.n))
	if o.n > 0 {
		w.s.log.Log(context.Background(), slog.LevelInfo, "expired undelivered inbox items", "items", o.n, "retention", o.sw.retention.String())
	}
	if o.n == expireBatch {
		go func() { _ = w.s.submit(&expireOp{sw: o.sw}) }() // more are waiting
	}
}
