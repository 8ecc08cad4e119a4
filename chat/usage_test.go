package chat

import (
	"context"
	"errors"
	"testing"
	"time"

	"hush/ids"
	"hush/internal/testutil"
	"hush/policy"
	"hush/relay/relaytest"
	"hush/sync/wire"
)

// TestQuotaReachedMessageWaits: a relay whose quota this account has used up
// refuses its next message; the message stays pending in the outbox (nothing is
// lost), the chat is warned with WarnQuotaExceeded, RelayUsage shows the account
// at its quota, and once the relay has room (here: restarted with a larger quota)
// the same message goes out and reaches Bob.
func TestQuotaReachedMessageWaits(t *testing.T) {
	ctx := context.Background()
	r, alice, bob, chatID := twoPeople(t)
	u, err := alice.engine.RelayUsage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if u.UsedBytes <= 0 || u.QuotaBytes != relay1GiB || u.Devices != 1 || u.MaxDevices != wire.MaxDevicesPerAccount {
		t.Fatalf("usage after setting up = %+v", u)
	}

	// The relay comes back with a quota of exactly what Alice stores.
	full := restartRelay(t, r, u.UsedBytes)
	alice.online(t)
	m, err := alice.engine.Send(ctx, chatID, "over the quota", nil)
	if err != nil {
		t.Fatalf("Send over the quota = %v; it should be queued", err)
	}
	testutil.Eventually(t, 30*time.Second, "the quota warning", func() bool {
		for _, w := range of[Warning](alice.events) {
			if w.Kind == WarnQuotaExceeded && w.Chat == chatID {
				return true
			}
		}
		return false
	})
	if got := messageStatus(t, alice, chatID, m.ID); got != policy.StatusPending {
		t.Errorf("the refused message is %v, want pending", got)
	}
	if n := alice.outboxLen(t); n != 1 {
		t.Errorf("the outbox holds %d items, want the refused message", n)
	}
	u, err = alice.engine.RelayUsage(ctx)
	if err != nil || u.UsedBytes != u.QuotaBytes {
		t.Errorf("usage at the quota = %+v, %v", u, err)
	}

	roomy := restartRelay(t, full, relay1GiB)
	waitDelivered(t, bob, chatID, alice, 1)
	testutil.Eventually(t, 30*time.Second, "the message sent", func() bool {
		return messageStatus(t, alice, chatID, m.ID) != policy.StatusPending
	})

	// Offline, the engine says so instead of a figure.
	if err := roomy.Stop(); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 10*time.Second, "Alice offline", func() bool { return alice.engine.Connection().State == LinkOffline })
	if _, err := alice.engine.RelayUsage(ctx); !errors.Is(err, ErrOffline) {
		t.Errorf("RelayUsage offline = %v, want ErrOffline", err)
	}
}

// messageStatus is the status of one of p's messages.
func messageStatus(t *testing.T, p *peer, chatID ids.Chat, id ids.Message) policy.Status {
	t.Helper()
	for _, m := range p.allMessages(t, chatID) {
		if m.ID == id {
			return m.Status
		}
	}
	t.Fatalf("%s holds no message %v", p.name, id)
	return 0
}

// relay1GiB is the relay's default quota.
const relay1GiB = 1 << 30

// restartRelay stops r and starts a relay on its address and database with a
// quota of quota bytes.
func restartRelay(t *testing.T, r *relaytest.Relay, quota int64) *relaytest.Relay {
	t.Helper()
	if err := r.Stop(); err != nil {
		t.Fatal(err)
	}
	lim := testLimits()
	lim.QuotaBytes = quota
	return relaytest.Start(t, &relaytest.Options{Addr: r.Addr, DBPath: r.DBPath, Limits: lim})
}

// TestQuotaErrorSentinel: the relay's CodeQuotaExceeded reaches callers as
// ErrQuotaExceeded (and no other sentinel), with the relay's error in the chain.
func TestQuotaErrorSentinel(t *testing.T) {
	err := relayError(wire.Errorf(wire.CodeQuotaExceeded, "the account's storage quota is used up"))
	if !errors.Is(err, ErrQuotaExceeded) || !errors.Is(err, wire.ErrQuotaExceeded) {
		t.Errorf("quota refusal = %v, want ErrQuotaExceeded wrapping the relay's error", err)
	}
	for _, other := range []error{ErrRelay, ErrRateLimited, ErrTooLong, ErrForbidden} {
		if errors.Is(err, other) {
			t.Errorf("quota refusal matches %v", other)
		}
	}
}
