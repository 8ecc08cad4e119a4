package chat

import (
	"context"
	"errors"
	"testing"
	"time"

	"hush/ids"
	"hush/policy"
	"hush/vault"
)

func TestDirectChatLive(t *testing.T) {
	r := startRelay(t)
	alice := newPeer(t, "Alice", "ws://"+r.Addr)
	bob := newPeer(t, "Bob", "ws://"+r.Addr)
	alice.register(t, "alice")
	bob.register(t, "Bob_1")
	if got := bob.engine.Connection().Handle; got != "bob_1" {
		t.Errorf("handle = %q, want the normalised bob_1", got)
	}
	chatID := direct(t, alice, bob, "@BOB_1")
	ctx := context.Background()

	m, err := alice.engine.Send(ctx, chatID, "hello Bob", nil)
	if err != nil {
		t.Fatal(err)
	}
	if m.Status != policy.StatusPending || !m.Outgoing || m.Seq != 0 {
		t.Errorf("sent message = %+v, want pending outgoing without seq", m)
	}
	waitFor(t, 10*time.Second, "Bob receives", func() bool { return bob.countFrom(t, chatID, alice) == 1 })
	got := bob.allMessages(t, chatID)
	if got[0].Body != "hello Bob" || got[0].Outgoing || got[0].SenderName != "Alice" || got[0].Seq != 1 {
		t.Errorf("Bob's copy = %+v", got[0])
	}
	news := of[Message](bob.events)
	if len(news) != 1 || news[0].ID != m.ID {
		t.Errorf("Bob's message:new events = %+v, want one for %s", news, m.ID)
	}
	waitFor(t, 10*time.Second, "Alice's message marked sent", func() bool {
		msgs := alice.allMessages(t, chatID)
		return len(msgs) == 1 && msgs[0].Seq == 1 && msgs[0].Status != policy.StatusPending
	})

	// Bob answers with a reply; Alice's unread count goes up, then down when read.
	reply := got[0].ID
	if _, err := bob.engine.Send(ctx, chatID, "hi Alice", &reply); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "Alice receives the reply", func() bool { return alice.countFrom(t, chatID, bob) == 1 })
	am := alice.allMessages(t, chatID)
	if am[1].ReplyTo != m.ID || am[1].Body != "hi Alice" {
		t.Errorf("reply = %+v, want a reply to %s", am[1], m.ID)
	}
	s, err := alice.engine.Summary(ctx, chatID)
	if err != nil {
		t.Fatal(err)
	}
	if s.Unread != 1 || s.Kind != policy.KindDirect || s.Title != "Bob" || !s.CanPost || s.MemberCount != 2 || s.LastMessage != "hi Alice" {
		t.Errorf("Alice's summary = %+v", s)
	}
	if err := alice.engine.MarkRead(ctx, chatID); err != nil {
		t.Fatal(err)
	}
	if s, _ := alice.engine.Summary(ctx, chatID); s.Unread != 0 {
		t.Errorf("unread after MarkRead = %d", s.Unread)
	}
	// Bob's message becomes "read" on Bob's side once Alice's mark arrives.
	waitFor(t, 10*time.Second, "Bob sees his message read", func() bool {
		for _, st := range of[StatusChange](bob.events) {
			if st.Status == policy.StatusRead && st.Seq == 2 {
				return true
			}
		}
		return false
	})
	// Alice's first message is delivered/read on her side too.
	waitFor(t, 10*time.Second, "Alice's message delivered", func() bool {
		msgs := alice.allMessages(t, chatID)
		return msgs[0].Status == policy.StatusDelivered || msgs[0].Status == policy.StatusRead
	})

	// Typing is forwarded, never stored.
	if err := alice.engine.Typing(ctx, chatID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "Bob sees Alice typing", func() bool {
		ty := of[Typing](bob.events)
		return len(ty) > 0 && ty[0].Chat == chatID && ty[0].Name == "Alice"
	})

	// Opening the chat again from either side finds the same chat.
	s2, err := bob.engine.OpenDirect(ctx, alice.id())
	if err != nil {
		t.Fatal(err)
	}
	if s2.ID != chatID {
		t.Errorf("Bob's OpenDirect = %s, want the existing %s", s2.ID, chatID)
	}
	if n := len(of[Warning](alice.events)) + len(of[Warning](bob.events)); n != 0 {
		t.Errorf("%d warnings in a clean exchange: %+v %+v", n, of[Warning](alice.events), of[Warning](bob.events))
	}
}

// TestMessagesPagingIsStateless pages a chat with NextBefore across an engine
// restart (as after a lock): the position lives in the text the UI holds, not in the
// engine.
func TestMessagesPagingIsStateless(t *testing.T) {
	r := startRelay(t)
	alice := newPeer(t, "Alice", "ws://"+r.Addr)
	bob := newPeer(t, "Bob", "ws://"+r.Addr)
	alice.register(t, "alice")
	bob.register(t, "bob")
	chatID := direct(t, alice, bob, "bob")
	ctx := context.Background()
	const total = 25
	err := bob.vault.Update(ctx, func(tx *vault.Tx) error {
		for i := range total {
			id := ids.New[ids.Message]()
			if err := tx.InsertMessage(vault.Message{ID: id, ChatID: chatID, Seq: int64(i + 1), SenderAccount: alice.id(),
				SentAt: time.Now(), Body: body("history", i), Status: policy.StatusSent}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	first, err := bob.engine.Messages(ctx, chatID, "", 10)
	if err != nil || len(first.Messages) != 10 || first.NextBefore == "" {
		t.Fatalf("first page: %d messages, next %q, %v", len(first.Messages), first.NextBefore, err)
	}
	bob.stop()
	bob.start(t)
	var got []string
	for _, m := range first.Messages {
		got = append(got, m.Body)
	}
	before := first.NextBefore
	for before != "" {
		page, err := bob.engine.Messages(ctx, chatID, before, 10)
		if err != nil {
			t.Fatalf("page after %q: %v", before, err)
		}
		for _, m := range page.Messages {
			got = append(got, m.Body)
		}
		before = page.NextBefore
		if len(got) > total {
			t.Fatal("paging does not end")
		}
	}
	if len(got) != total || got[0] != body("history", total-1) || got[total-1] != body("history", 0) {
		t.Errorf("paged %d messages, %q … %q", len(got), got[0], got[len(got)-1])
	}
	for _, bad := range []string{"00112233445566778899aabbccddeeff", "not a page", first.NextBefore + "x"} {
		if _, err := bob.engine.Messages(ctx, chatID, bad, 10); !errors.Is(err, ErrInvalid) {
			t.Errorf("Messages(before %q) = %v, want ErrInvalid", bad, err)
		}
	}
}
