package relay_test

import (
	"context"
	"testing"

	"hush/ids"
	"hush/relay"
	"hush/relay/relaytest"
	"hush/sync/wire"
)

// BenchmarkInboxSendToStranger measures one InboxSend at a time, acknowledged after
// its durable commit, to a device of an account that shares no chat with the
// sender: what the stranger check (a read of the store) and the hourly window add
// to the inbox path. The limit is set far above b.N so every item is counted and
// none refused.
func BenchmarkInboxSendToStranger(b *testing.B) {
	r := relaytest.Start(b, &relaytest.Options{Limits: relay.Limits{RatePerSecond: 1e9, Burst: 1e9, QuotaBytes: 1 << 40, StrangerItemsPerHour: 1 << 30}})
	alice, carol := relaytest.NewAccount(b), relaytest.NewAccount(b)
	a := relaytest.Dial(b, r, alice)
	relaytest.Dial(b, r, carol)
	ctx := context.Background()
	ct := make([]byte, 1024)
	b.ResetTimer()
	for range b.N {
		if _, err := a.Request(ctx, &wire.InboxSend{ToDevice: carol.DeviceID(), ItemID: ids.New[ids.InboxItem](), Ciphertext: ct}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAuthenticate measures a device's whole handshake with a loopback relay
// it is registered at: dial, Hello, Auth, AuthOK.
func BenchmarkAuthenticate(b *testing.B) {
	r := relaytest.Start(b, nil)
	alice := relaytest.NewAccount(b)
	relaytest.Dial(b, r, alice).Close()
	ctx := context.Background()
	b.ResetTimer()
	for range b.N {
		c, err := relaytest.DialRaw(ctx, r.URL)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.Auth(ctx, alice); err != nil {
			b.Fatal(err)
		}
		c.Close()
		<-c.Done()
	}
}
