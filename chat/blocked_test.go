package chat

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"hush/ids"
	"hush/internal/testutil"
)

// TestBlockAndUnblock: Bob, a stranger to Alice, writes to her; she declines it.
// Declining alone is no block: she may still write to him, and the 1:1 chat comes
// back. Blocked — though now her contact — he is on her list with his name, his
// next group is declined without asking, and she cannot write to him until she
// unblocks him; unblocked, his next group arrives as a contact's.
func TestBlockAndUnblock(t *testing.T) {
	_, alice, bob := registered(t)
	ctx := context.Background()
	if _, err := bob.engine.AddContact(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	dm, err := bob.engine.OpenDirect(ctx, alice.id())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bob.engine.Send(ctx, dm.ID, "hi, remember me?", nil); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 20*time.Second, "Alice has Bob's request", func() bool {
		s, err := alice.engine.Summary(ctx, dm.ID)
		return err == nil && s.Hold == HoldRequest && len(alice.allMessages(t, dm.ID)) == 1
	})
	if err := alice.engine.Decline(ctx, dm.ID, false); err != nil {
		t.Fatal(err)
	}
	if list := listed(t, alice); list[dm.ID] {
		t.Fatal("the declined chat is listed")
	}
	// She changes her mind and writes to him: the same chat, an ordinary one.
	back, err := alice.engine.OpenDirect(ctx, bob.id())
	if err != nil {
		t.Fatal(err)
	}
	if back.ID != dm.ID || back.Hold != HoldNone || !listed(t, alice)[dm.ID] {
		t.Fatalf("writing to Bob after declining: %+v", back)
	}
	if _, err := alice.engine.Send(ctx, dm.ID, "sorry, I do", nil); err != nil {
		t.Fatalf("writing to Bob after declining: %v", err)
	}
	waitDelivered(t, bob, dm.ID, alice, 1)

	if err := alice.engine.SetBlocked(ctx, alice.id(), true); !errors.Is(err, ErrInvalid) {
		t.Errorf("blocking oneself: %v, want ErrInvalid", err)
	}
	before := time.Now()
	if err := alice.engine.SetBlocked(ctx, bob.id(), true); err != nil {
		t.Fatal(err)
	}
	if err := alice.engine.SetBlocked(ctx, bob.id(), true); err != nil {
		t.Fatalf("blocking twice: %v", err)
	}
	list, err := alice.engine.Blocked(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].Account != bob.id() || list[0].Name != "Bob" || list[0].Since.Before(before.Add(-time.Second)) {
		t.Fatalf("blocked = %+v, want Bob, blocked now", list)
	}
	if _, err := alice.engine.OpenDirect(ctx, bob.id()); !errors.Is(err, ErrBlocked) {
		t.Errorf("writing to a blocked account: %v, want ErrBlocked", err)
	}
	spam, err := bob.engine.CreateGroup(ctx, "Party", []ids.Account{alice.id()})
	if err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 20*time.Second, "Alice's device declined it", func() bool {
		_, meta, err := alice.engine.keys.roster.held(ctx, spam.ID)
		return err == nil && meta.Request == requestDeclined
	})
	if listed(t, alice)[spam.ID] {
		t.Error("a blocked account's group is listed")
	}

	if err := alice.engine.SetBlocked(ctx, bob.id(), false); err != nil {
		t.Fatal(err)
	}
	if list, err := alice.engine.Blocked(ctx); err != nil || len(list) != 0 {
		t.Fatalf("blocked after unblocking = %+v, %v", list, err)
	}
	again, err := bob.engine.CreateGroup(ctx, "Party, again", []ids.Account{alice.id()})
	if err != nil {
		t.Fatal(err)
	}
	// He is her contact again (she wrote to him): his group arrives as any contact's.
	testutil.Eventually(t, 20*time.Second, "Bob's next group arrives", func() bool {
		s, err := alice.engine.Summary(ctx, again.ID)
		return err == nil && s.Hold == HoldNone && listed(t, alice)[again.ID]
	})
	if _, err := alice.engine.OpenDirect(ctx, bob.id()); err != nil {
		t.Errorf("writing to Bob once unblocked: %v", err)
	}
}

// listed is the set of chats p's chat list shows.
func listed(t *testing.T, p *peer) map[ids.Chat]bool {
	t.Helper()
	cs, err := p.engine.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[ids.Chat]bool{}
	for _, c := range cs {
		out[c.ID] = true
	}
	return out
}

func TestBlockListCodec(t *testing.T) {
	l := blockList{Accounts: []blockedEntry{{Account: make([]byte, ids.Size), Name: "Bob", At: 1}}}
	b, err := encodeBlockList(l)
	if err != nil {
		t.Fatal(err)
	}
	back, err := decodeBlockList(b)
	if err != nil || len(back.Accounts) != 1 || back.Accounts[0].Name != "Bob" || back.Version != blockListVersion {
		t.Fatalf("round trip: %+v, %v", back, err)
	}
	bad := []blockList{
		{Version: blockListVersion, Accounts: []blockedEntry{{Account: make([]byte, 15)}}},
		{Version: 2},
		{Version: blockListVersion, Accounts: make([]blockedEntry, maxBlocked+1)},
	}
	for i := range bad[2].Accounts {
		bad[2].Accounts[i].Account = make([]byte, ids.Size)
	}
	for _, l := range bad {
		b, err := modes.enc.Marshal(l)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := decodeBlockList(b); !errors.Is(err, errBadRecord) {
			t.Errorf("version %d, %d accounts: %v, want errBadRecord", l.Version, len(l.Accounts), err)
		}
	}
}

func FuzzDecodeBlockList(f *testing.F) {
	b, _ := encodeBlockList(blockList{Accounts: []blockedEntry{{Account: make([]byte, ids.Size), Name: "Bob", At: 1}}})
	f.Add(b)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := decodeBlockList(b)
		if err != nil {
			if !errors.Is(err, errBadRecord) {
				t.Fatalf("error %v is not errBadRecord", err)
			}
			return
		}
		out, err := encodeBlockList(l)
		if err != nil {
			t.Fatal(err)
		}
		again, err := decodeBlockList(out)
		if err != nil {
			t.Fatalf("re-encoded list does not decode: %v", err)
		}
		if out2, _ := encodeBlockList(again); !bytes.Equal(out, out2) {
			t.Fatal("encoding is not stable")
		}
	})
}
