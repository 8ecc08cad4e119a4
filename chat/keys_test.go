package chat

import (
	"context"
	"math"
	"testing"
	"time"

	"hush/chatcrypto"
	"hush/clock"
	"hush/identity"
	"hush/ids"
	"hush/sync/wire"
)

// envelopeFor wraps a fresh key of chat's epoch to bob, signed by p's device for the
// membership log as bob holds it, as the relay would hand it to bob.
func envelopeFor(t *testing.T, p *peer, bob *peer, chat ids.Chat, epoch uint64) (chatcrypto.EpochKey, wire.EpochKey) {
	t.Helper()
	key, err := chatcrypto.NewEpochKey()
	if err != nil {
		t.Fatal(err)
	}
	st, err := bob.engine.keys.roster.state(context.Background(), chat)
	if err != nil {
		t.Fatal(err)
	}
	head := chatcrypto.LogHead{Seq: st.Len - 1, Hash: st.Head}
	entry, err := chatcrypto.NewKeyLogEntry(key, chat, epoch, head, []identity.AccountPublicKey{bob.acct.Public()})
	if err != nil {
		t.Fatal(err)
	}
	sealer, err := chatcrypto.NewSender(p.dev, p.cert)
	if err != nil {
		t.Fatal(err)
	}
	signed, err := chatcrypto.SignKeyLogEntry(entry, sealer)
	if err != nil {
		t.Fatal(err)
	}
	env, _ := signed.Envelope(bob.id())
	return key, wire.EpochKey{Epoch: epoch, ByDevice: p.dev.ID(), ByAccount: p.id(), Envelope: env}
}

// TestStoreEpochRefuses hands Bob's keyring epoch keys as a relay could: a genuine
// one from Alice (kept, to show the checks let the real thing through), then keys
// signed by an outsider the log does not list, attributed to another device, of an
// impossible epoch, and a second key for an epoch already held. Each is refused with
// its warning and none replaces a key.
func TestStoreEpochRefuses(t *testing.T) {
	r, alice, bob, chat := twoPeople(t)
	mallory := newPeer(t, "Mallory", "ws://"+r.Addr)
	mallory.online(t)
	ctx := context.Background()
	keys := bob.engine.keys
	next := func() uint64 {
		latest, err := keys.latestEpoch(ctx, chat)
		if err != nil {
			t.Fatal(err)
		}
		return latest + 1
	}
	warned := func(want WarningKind) {
		t.Helper()
		w := of[Warning](bob.events)
		if len(w) == 0 || w[len(w)-1].Kind != want || w[len(w)-1].Chat != chat {
			t.Fatalf("warnings %+v, want the last to be %v", w, want)
		}
	}

	epoch := next()
	genuine, k := envelopeFor(t, alice, bob, chat, epoch)
	if err := keys.storeEpoch(ctx, chat, k); err != nil {
		t.Fatal(err)
	}
	if got := bob.epochKeys(t, chat)[epoch]; !got.Equal(genuine) {
		t.Fatalf("Alice's genuine key of epoch %d was not kept", epoch)
	}

	_, forged := envelopeFor(t, mallory, bob, chat, epoch+1)
	if err := keys.storeEpoch(ctx, chat, forged); err != nil {
		t.Fatal(err)
	}
	warned(WarnKeySignerNotAllowed)

	_, k = envelopeFor(t, alice, bob, chat, epoch+1)
	k.ByDevice = ids.New[ids.Device]()
	if err := keys.storeEpoch(ctx, chat, k); err != nil {
		t.Fatal(err)
	}
	warned(WarnKeySignerMismatch)

	_, k = envelopeFor(t, alice, bob, chat, epoch+1)
	k.Epoch = math.MaxInt64 + 1
	if err := keys.storeEpoch(ctx, chat, k); err != nil {
		t.Fatal(err)
	}
	warned(WarnImpossibleEpoch)
	if got := next(); got != epoch+1 {
		t.Fatalf("a refused key was stored: the latest epoch is %d", got-1)
	}

	other, err := chatcrypto.NewEpochKey()
	if err != nil {
		t.Fatal(err)
	}
	if err := keys.keep(ctx, chat, epoch, other, 1); err != nil {
		t.Fatal(err)
	}
	warned(WarnKeyConflict)
	if got := bob.epochKeys(t, chat)[epoch]; !got.Equal(genuine) {
		t.Error("a second key for an epoch replaced the first")
	}
}

// TestKeyNeed: what the next message needs of a chat's newest key, by the chat's
// state (docs/SECURITY.md, "Membership log").
func TestKeyNeed(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	k := &keyring{clk: clock.NewFake(now)}
	fresh := now.UnixMilli()
	for _, c := range []struct {
		name string
		meta chatMeta
		ep   uint64
		want keyNeed
	}{
		{"an ordinary chat", chatMeta{LogLen: 3, Epoch: 2, KeyLogLen: 3, KeyChange: 1, KeyAt: fresh}, 2, keyReady},
		{"frozen", chatMeta{LogLen: 3, Forked: true, KeyAt: fresh}, 2, keyBlocked},
		{"removed", chatMeta{LogLen: 3, RemovedBy: make([]byte, 16), KeyAt: fresh}, 2, keyBlocked},
		{"a request", chatMeta{LogLen: 3, Request: requestPending, KeyAt: fresh}, 2, keyBlocked},
		{"declined", chatMeta{LogLen: 3, Request: requestDeclined, KeyAt: fresh}, 2, keyBlocked},
		{"no log yet: its key until adopted", chatMeta{Epoch: 5, KeyAt: fresh}, 5, keyReady},
		{"a newer epoch exists", chatMeta{LogLen: 3, Epoch: 3, KeyLogLen: 3, KeyAt: fresh}, 2, keyMust},
		{"a removal after the key", chatMeta{LogLen: 4, Epoch: 2, KeyLogLen: 3, Removal: 4, KeyChange: 4, KeyAt: fresh}, 2, keyMust},
		{"the key made for the removal", chatMeta{LogLen: 4, Epoch: 3, KeyLogLen: 4, Removal: 4, KeyChange: 4, KeyAt: fresh}, 3, keyReady},
		{"members added after the key", chatMeta{LogLen: 4, Epoch: 2, KeyLogLen: 3, KeyChange: 4, KeyAt: fresh}, 2, keyBetter},
		{"a title after the key", chatMeta{LogLen: 4, Epoch: 2, KeyLogLen: 3, KeyChange: 3, KeyAt: fresh}, 2, keyReady},
		{"a week old", chatMeta{LogLen: 3, Epoch: 2, KeyLogLen: 3, KeyChange: 1, KeyAt: now.Add(-rotationPeriod - time.Minute).UnixMilli()}, 2, keyBetter},
	} {
		if got := k.keyNeed(c.meta, c.ep); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

// TestRotationInParts: a rotation bigger than one frame goes in parts, and every
// member gets the key.
func TestRotationInParts(t *testing.T) {
	r, _, bob, carol := threePeople(t)
	alice := newTunedPeer(t, "Alice", "ws://"+r.Addr, func(e *Engine) { e.keys.part = 1 })
	alice.register(t, "alice2")
	ctx := context.Background()
	for _, p := range []*peer{bob, carol} {
		if _, err := p.engine.AddContact(ctx, "alice2"); err != nil {
			t.Fatal(err)
		}
	}
	for _, h := range []string{"bob", "carol"} {
		if _, err := alice.engine.AddContact(ctx, h); err != nil {
			t.Fatal(err)
		}
	}
	s, err := alice.engine.CreateGroup(ctx, "Parts", []ids.Account{bob.id(), carol.id()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := alice.engine.Send(ctx, s.ID, "in three parts", nil); err != nil {
		t.Fatal(err)
	}
	waitDelivered(t, bob, s.ID, alice, 1)
	waitDelivered(t, carol, s.ID, alice, 1)
	noWarnings(t, alice, bob, carol)
}
