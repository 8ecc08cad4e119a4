package relay_test

import (
	"fmt"
	"testing"
	"time"

	"hush/ids"
	"hush/relay"
	"hush/relay/relaytest"
	"hush/sync/wire"
)

// prekey returns a prekey whose id is n in its last bytes (so ids order as numbers).
func prekey(n int, what string) wire.Prekey {
	var id ids.Prekey
	id[14], id[15] = byte(n>>8), byte(n)
	return wire.Prekey{ID: id, Signed: fmt.Appendf(nil, "%s %d", what, n)}
}

// A device publishes its prekeys; others fetch bundles, each one-time prekey handed
// out once (lowest id first), the post-quantum one falling back to the last-resort
// key when none is left; the device hears when its one-time prekeys run low.
func TestPrekeys(t *testing.T) {
	r := relaytest.Start(t, nil)
	alice, bob, carol := relaytest.NewAccount(t), relaytest.NewAccount(t), relaytest.NewAccount(t)
	a, b, c := relaytest.Dial(t, r, alice), relaytest.Dial(t, r, bob), relaytest.Dial(t, r, carol)
	fetch := &wire.FetchPrekeys{Device: bob.DeviceID()}

	// Nothing published yet: no bundle, and no allowance used up.
	requestErr(t, a, fetch, wire.CodeNotFound)
	requestErr(t, a, &wire.FetchPrekeys{Device: ids.New[ids.Device]()}, wire.CodeNotFound)

	put := &wire.PutPrekeys{Signed: prekey(1, "signed"), LastResort: prekey(2, "last resort"),
		OneTime: []wire.Prekey{prekey(12, "otk"), prekey(11, "otk"), prekey(13, "otk")}, PQOneTime: []wire.Prekey{prekey(22, "pq"), prekey(21, "pq")}}
	if got := request[*wire.PrekeyCount](t, b, put); *got != (wire.PrekeyCount{OneTime: 3, PQOneTime: 2}) {
		t.Fatalf("count after publishing = %+v", got)
	}
	// A resend adds nothing.
	if got := request[*wire.PrekeyCount](t, b, put); *got != (wire.PrekeyCount{OneTime: 3, PQOneTime: 2}) {
		t.Fatalf("count after a resend = %+v", got)
	}

	want := []struct {
		fetcher *relaytest.Conn
		pq      wire.Prekey
		pqOne   bool
		oneTime wire.Prekey
		leftOne uint32
		leftPQ  uint32
	}{
		{a, prekey(21, "pq"), true, prekey(11, "otk"), 2, 1},
		{c, prekey(22, "pq"), true, prekey(12, "otk"), 1, 0},
		{a, prekey(2, "last resort"), false, prekey(13, "otk"), 0, 0},
		{c, prekey(2, "last resort"), false, wire.Prekey{}, 0, 0},
	}
	for i, w := range want {
		got := request[*wire.PrekeyBundle](t, w.fetcher, fetch)
		if got.Device != bob.DeviceID() || !equalPrekey(got.Signed, prekey(1, "signed")) || !equalPrekey(got.PQ, w.pq) ||
			got.PQOneTime != w.pqOne || !equalPrekey(got.OneTime, w.oneTime) {
			t.Fatalf("bundle %d = %+v", i, got)
		}
		// Below LowPrekeys the device is told what is left.
		if p := nextPush[*wire.PrekeyCount](t, b); p.OneTime != w.leftOne || p.PQOneTime != w.leftPQ {
			t.Fatalf("push after bundle %d = %+v, want %d/%d", i, p, w.leftOne, w.leftPQ)
		}
	}
	noPush(t, a)

	// A new signed prekey replaces the old one.
	request[*wire.PrekeyCount](t, b, &wire.PutPrekeys{Signed: prekey(3, "signed")})
	if got := request[*wire.PrekeyBundle](t, a, fetch); !equalPrekey(got.Signed, prekey(3, "signed")) || !equalPrekey(got.PQ, prekey(2, "last resort")) {
		t.Fatalf("bundle after replacing the signed prekey = %+v", got)
	}
}

func equalPrekey(a, b wire.Prekey) bool { return a.ID == b.ID && string(a.Signed) == string(b.Signed) }

// A device holds at most MaxOneTimePrekeys of each kind; a batch that would pass the
// cap is refused whole, and nothing of it is stored.
func TestPrekeyCap(t *testing.T) {
	r := relaytest.Start(t, nil)
	bob := relaytest.NewAccount(t)
	b := relaytest.Dial(t, r, bob)
	batch := func(from, n int) []wire.Prekey {
		out := make([]wire.Prekey, n)
		for i := range out {
			out[i] = prekey(from+i, "otk")
		}
		return out
	}
	if got := request[*wire.PrekeyCount](t, b, &wire.PutPrekeys{OneTime: batch(1, wire.MaxOneTimePrekeys-2)}); got.OneTime != wire.MaxOneTimePrekeys-2 {
		t.Fatalf("count = %+v", got)
	}
	requestErr(t, b, &wire.PutPrekeys{Signed: prekey(1, "signed"), OneTime: batch(1000, 3)}, wire.CodeQuotaExceeded)
	if got := request[*wire.PrekeyCount](t, b, &wire.PutPrekeys{PQOneTime: batch(1, 1)}); got.OneTime != wire.MaxOneTimePrekeys-2 || got.PQOneTime != 1 {
		t.Fatalf("after a refused batch: %+v", got)
	}
	// The refused batch's signed prekey was not stored either: still no bundle.
	a := relaytest.Dial(t, r, relaytest.NewAccount(t))
	requestErr(t, a, &wire.FetchPrekeys{Device: bob.DeviceID()}, wire.CodeNotFound)
}

// Fetching bundles uses up another device's one-time prekeys, so an account may
// fetch only so many an hour.
func TestPrekeyBundlesPerHour(t *testing.T) {
	clk := fakeClock()
	r := relaytest.Start(t, &relaytest.Options{Clock: clk, Limits: relay.Limits{PrekeyBundlesPerHour: 2}})
	bob := relaytest.NewAccount(t)
	b := relaytest.Dial(t, r, bob)
	request[*wire.PrekeyCount](t, b, &wire.PutPrekeys{Signed: prekey(1, "signed"), LastResort: prekey(2, "last resort")})
	a := relaytest.Dial(t, r, relaytest.NewAccount(t))
	fetch := &wire.FetchPrekeys{Device: bob.DeviceID()}
	request[*wire.PrekeyBundle](t, a, fetch)
	request[*wire.PrekeyBundle](t, a, fetch)
	we := requestErr(t, a, fetch, wire.CodeRateLimited)
	if we.RetryAfter <= 0 || we.RetryAfter > time.Hour+5*time.Minute {
		t.Errorf("RetryAfter = %v", we.RetryAfter)
	}
	clk.Advance(we.RetryAfter)
	request[*wire.PrekeyBundle](t, a, fetch)
}
