package chat

import (
	"context"
	"math"
	"testing"

	"hush/chatcrypto"
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
