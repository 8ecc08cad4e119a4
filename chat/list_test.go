package chat

import (
	"context"
	"errors"
	"hush/ids"
	"hush/policy"
	"hush/vault"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// TestMessagesPagingIsStateless pages a chat with NextBefore across an engine
// restart (as after a lock): the position lives in the text the UI holds, not in the
// engine.
func TestMessagesPagingIsStateless(t *testing.T) {
	_, alice, bob, chatID := twoPeople(t)
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

// TestStatusOf: an own message is sent once the relay has it, delivered and read
// as another member's positions pass it — read only while the others' read
// positions show, else it stays delivered; someone else's is delivered, and read
// once this account's read position passes it, whatever the switch.
func TestStatusOf(t *testing.T) {
	me, other := ids.New[ids.Account](), ids.New[ids.Account]()
	meta := chatMeta{PeerDelivered: 10, PeerRead: 6, MyRead: 4}
	for _, c := range []struct {
		name    string
		m       vault.Message
		want    policy.Status
		noReads policy.Status // with the others' read positions hidden
	}{
		{"own, pending", vault.Message{SenderAccount: me}, policy.StatusPending, policy.StatusPending},
		{"own, failed", vault.Message{SenderAccount: me, Status: policy.StatusFailed}, policy.StatusFailed, policy.StatusFailed},
		{"own, read", vault.Message{SenderAccount: me, Seq: 6}, policy.StatusRead, policy.StatusDelivered},
		{"own, delivered", vault.Message{SenderAccount: me, Seq: 7}, policy.StatusDelivered, policy.StatusDelivered},
		{"own, sent", vault.Message{SenderAccount: me, Seq: 11}, policy.StatusSent, policy.StatusSent},
		{"theirs, read", vault.Message{SenderAccount: other, Seq: 4}, policy.StatusRead, policy.StatusRead},
		{"theirs, unread", vault.Message{SenderAccount: other, Seq: 5}, policy.StatusDelivered, policy.StatusDelivered},
	} {
		if got := statusOf(c.m, meta, me, true); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
		if got := statusOf(c.m, meta, me, false); got != c.noReads {
			t.Errorf("%s, reads hidden: %v, want %v", c.name, got, c.noReads)
		}
	}
}

// TestPreview: one line, whitespace collapsed, cut with an ellipsis at
// maxPreviewRunes characters, never inside a character.
func TestPreview(t *testing.T) {
	if got := preview("  hello\n\n  world\t!"); got != "hello world !" {
		t.Errorf("preview = %q", got)
	}
	long := strings.Repeat("李", maxPreviewRunes+5)
	got := preview(long)
	if utf8.RuneCountInString(got) != maxPreviewRunes || !strings.HasSuffix(got, "…") || !utf8.ValidString(got) {
		t.Errorf("long preview = %q (%d characters)", got, utf8.RuneCountInString(got))
	}
}
