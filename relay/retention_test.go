package relay_test

import (
	"testing"
	"time"

	"hush/ids"
	"hush/internal/testutil"
	"hush/relay/relaytest"
	"hush/sync/wire"
)

// TestInboxRetention checks, on each engine, that an undelivered inbox item is
// deleted once older than the retention, that a younger one stays, and that the
// sender's quota gets the expired item's bytes back.
func TestInboxRetention(t *testing.T) {
	eachEngine(t, func(t *testing.T, o relaytest.Options, _ string) {
		const retention = 48 * time.Hour
		clk := fakeClock()
		o.Clock, o.InboxRetention = clk, retention
		r := relaytest.Start(t, &o)
		alice, bob := relaytest.NewAccount(t), relaytest.NewAccount(t)
		a := relaytest.Dial(t, r, alice)
		relaytest.Dial(t, r, bob).Close()
		ctx := testCtx(t)

		old := []byte("sent first, never fetched")
		request[*wire.OK](t, a, &wire.InboxSend{ToDevice: bob.DeviceID(), ItemID: ids.New[ids.InboxItem](), Ciphertext: old})
		clk.Advance(retention / 2)
		young := []byte("sent later")
		request[*wire.OK](t, a, &wire.InboxSend{ToDevice: bob.DeviceID(), ItemID: ids.New[ids.InboxItem](), Ciphertext: young})
		used := func() int64 {
			acct, err := r.Store.Account(ctx, alice.AccountID())
			if err != nil {
				t.Fatal(err)
			}
			return acct.UsedBytes
		}
		inbox := func() []wire.InboxItem {
			items, _, err := r.Store.Inbox(ctx, bob.DeviceID(), 0, 100, 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			return items
		}
		if n := len(inbox()); n != 2 {
			t.Fatalf("inbox holds %d items before the sweep, want 2", n)
		}
		before := used()

		clk.Advance(retention/2 + time.Hour) // the first item is past the retention
		testutil.Eventually(t, 10*time.Second, "the expired item deleted", func() bool { return len(inbox()) == 1 })
		if got := inbox()[0].Ciphertext; string(got) != string(young) {
			t.Errorf("the sweep kept %q, want the younger item", got)
		}
		if got, want := used(), before-int64(len(old)); got != want {
			t.Errorf("alice uses %d bytes after the sweep, want %d", got, want)
		}
		if v := scrape(t, r.Server)["hush_relay_inbox_expired_total"]; v != 1 {
			t.Errorf("hush_relay_inbox_expired_total = %v, want 1", v)
		}

		clk.Advance(retention)
		testutil.Eventually(t, 10*time.Second, "the second item deleted", func() bool { return len(inbox()) == 0 })
	})
}
