package chat

import (
	"context"
	"errors"
	"testing"
	"time"

	"hush/internal/testutil"
	"hush/pqxdh"
	"hush/sync/wire"
)

// A device publishes its prekeys when it connects; a bundle another device fetches
// from the relay checks out against the device's key and starts a handshake the
// device completes with the private keys it kept in its vault; the same signed
// prekey is still published after a restart; the relay's one-time prekeys are
// topped up when fetches use them up.
func TestPrekeysPublishedAndUsed(t *testing.T) {
	_, alice, bob := registered(t)
	ctx := context.Background()
	raw := rawConn(t, alice)
	fetch := func() *wire.PrekeyBundle {
		t.Helper()
		resp, err := raw.Request(ctx, &wire.FetchPrekeys{Device: bob.dev.ID()})
		if err != nil {
			t.Fatalf("fetch Bob's bundle: %v", err)
		}
		return resp.(*wire.PrekeyBundle)
	}
	testutil.Eventually(t, 20*time.Second, "Bob's prekeys at the relay", func() bool {
		s, err := bob.engine.recv.prekeys.load(ctx)
		return err == nil && s != nil
	})
	var first *wire.PrekeyBundle
	testutil.Eventually(t, 20*time.Second, "a bundle of Bob's", func() bool {
		resp, err := raw.Request(ctx, &wire.FetchPrekeys{Device: bob.dev.ID()})
		if err == nil {
			first = resp.(*wire.PrekeyBundle)
		}
		return err == nil && first.PQOneTime && !first.OneTime.IsZero()
	})
	bundle, err := bundleFrom(bob.dev.Public(), first)
	if err != nil {
		t.Fatal(err)
	}
	m, mine, err := pqxdh.Initiate(alice.dev, bob.dev.Public(), bundle)
	if err != nil {
		t.Fatal(err)
	}
	store, err := bob.engine.recv.prekeys.load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := pqxdh.Respond(bob.dev, store, m)
	if err != nil {
		t.Fatalf("Bob's kept prekeys do not answer the handshake: %v", err)
	}
	if mine.SharedKey != theirs.SharedKey {
		t.Fatal("the two sides derived different keys")
	}

	// Checked against Bob's key: another device's key, or prekeys filed under other
	// ids, are refused.
	if _, err := bundleFrom(alice.dev.Public(), first); !errors.Is(err, pqxdh.ErrWrongPeer) {
		t.Errorf("a bundle checked against another device: %v", err)
	}
	swapped := *first
	swapped.Signed.ID[0] ^= 1
	if _, err := bundleFrom(bob.dev.Public(), &swapped); !errors.Is(err, pqxdh.ErrInvalidBundle) {
		t.Errorf("a signed prekey under another id: %v", err)
	}
	forged := *first
	forged.Signed.Signed = append([]byte(nil), first.Signed.Signed...)
	forged.Signed.Signed[len(forged.Signed.Signed)-1] ^= 1
	if _, err := bundleFrom(bob.dev.Public(), &forged); err == nil {
		t.Error("a signed prekey with a broken signature was taken")
	}

	// A restart publishes the same signed prekey, not a new one.
	bob.stop()
	bob.start(t)
	bob.online(t)
	if again := fetch(); again.Signed.ID != first.Signed.ID {
		t.Errorf("after a restart the signed prekey is %v, was %v", again.Signed.ID, first.Signed.ID)
	}

	// Fetches use the one-time prekeys up; below wire.LowPrekeys the relay tells
	// Bob, who makes more: fetching past the first batch still gets one-time keys.
	for range prekeyTarget - wire.LowPrekeys {
		fetch()
	}
	testutil.Eventually(t, 20*time.Second, "Bob's top-up", func() bool {
		s, err := bob.engine.recv.prekeys.load(ctx)
		if err != nil || s == nil {
			return false
		}
		one, pq := s.Remaining()
		if one < prekeyTarget+prekeyTarget/2 || pq < prekeyTarget+prekeyTarget/2 {
			return false
		}
		// Made and kept; published under the same lock, right after.
		bob.engine.recv.prekeys.mu.Lock()
		bob.engine.recv.prekeys.mu.Unlock()
		return true
	})
	for i := range prekeyTarget / 2 {
		if b := fetch(); !b.PQOneTime || b.OneTime.IsZero() {
			t.Fatalf("bundle %d after the top-up has no one-time prekeys: %+v", i, b)
		}
	}
	noWarnings(t, alice, bob)
}
