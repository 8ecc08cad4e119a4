package chat

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"hush/chatcrypto"
	"hush/ids"
	"hush/internal/testutil"
	"hush/policy"
	"hush/sync/wire"
	"hush/vault"
)

// previewChat is a 1:1 chat between Alice and Bob on a real relay.
func previewChat(t *testing.T) (alice, bob *peer, chatID ids.Chat) {
	t.Helper()
	r := startRelay(t)
	alice, bob = newPeer(t, "Alice", r.URL), newPeer(t, "Bob", r.URL)
	alice.register(t, "alice")
	bob.register(t, "bob")
	return alice, bob, direct(t, alice, bob, "bob")
}

// TestLinkPreview: a preview sent with a text reaches the other member inside the
// sealed message, is stored (sealed) with it on both devices, and goes when an edit
// takes its link out of the text.
func TestLinkPreview(t *testing.T) {
	ctx := context.Background()
	alice, bob, chatID := previewChat(t)

	body := "read this: https://example.com/post?id=1."
	preview := LinkPreview{URL: "https://example.com/post?id=1", Title: "A post", Description: "About things", SiteName: "Example", Thumbnail: []byte{0xff, 0xd8, 0xff, 0xd9}}
	if _, err := alice.engine.SendWithPreview(ctx, chatID, "no link", nil, preview); !errors.Is(err, ErrInvalid) {
		t.Fatalf("a preview of a link the text lacks: %v, want ErrInvalid", err)
	}
	sent, err := alice.engine.SendWithPreview(ctx, chatID, body, nil, preview)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(sent.Preview, &preview) {
		t.Fatalf("sent %+v", sent.Preview)
	}
	var got Message
	testutil.Eventually(t, 20*time.Second, "Bob has the message", func() bool {
		for _, m := range bob.allMessages(t, chatID) {
			if m.ID == sent.ID {
				got = m
				return true
			}
		}
		return false
	})
	if !reflect.DeepEqual(got.Preview, &preview) {
		t.Fatalf("Bob's copy carries %+v, want %+v", got.Preview, preview)
	}
	for _, p := range []*peer{alice, bob} {
		if ms := p.allMessages(t, chatID); !reflect.DeepEqual(ms[len(ms)-1].Preview, &preview) {
			t.Errorf("%s reads back %+v", p.name, ms[len(ms)-1].Preview)
		}
	}

	// Forwarded, it keeps its preview, as its first sender made it.
	fwd, err := bob.engine.Forward(ctx, chatID, sent.ID, chatID)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(fwd.Preview, &preview) {
		t.Fatalf("forwarded with %+v, want the original's preview", fwd.Preview)
	}
	testutil.Eventually(t, 20*time.Second, "Alice gets the forward with its preview", func() bool {
		for _, m := range alice.allMessages(t, chatID) {
			if m.ID == fwd.ID {
				return reflect.DeepEqual(m.Preview, &preview)
			}
		}
		return false
	})

	if _, err := alice.engine.EditMessage(ctx, chatID, sent.ID, "never mind"); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 20*time.Second, "Bob sees the edit without the preview", func() bool {
		for _, m := range bob.allMessages(t, chatID) {
			if m.ID == sent.ID {
				return m.Body == "never mind" && m.Preview == nil
			}
		}
		return false
	})
}

// TestLinkPreviewFitsTheMessage: a thumbnail that would take the text past the
// largest message is left out, the rest of the preview kept.
func TestLinkPreviewFitsTheMessage(t *testing.T) {
	ctx := context.Background()
	alice, _, chatID := previewChat(t)
	long := "https://example.com/ "
	for len(long) < 12<<10 {
		long += "words and more words "
	}
	thumb := make([]byte, chatcrypto.MaxThumbnailBytes)
	m, err := alice.engine.SendWithPreview(ctx, chatID, long, nil, LinkPreview{URL: "https://example.com/", Title: "t", Thumbnail: thumb})
	if err != nil {
		t.Fatal(err)
	}
	if m.Preview == nil || m.Preview.Thumbnail != nil || m.Preview.Title != "t" {
		t.Fatalf("preview sent: %+v", m.Preview)
	}
	sendAcked(t, alice, chatID, "after")
}

// TestLinkPreviewNeverInSecretChats: a secret chat's message is never sent with a
// preview, and a cloud text arriving with one for a chat this device holds as
// secret would not keep it (apply.go).
func TestLinkPreviewNeverInSecretChats(t *testing.T) {
	ctx := context.Background()
	alice, bob, _, _ := secretPeers(t)
	c, err := alice.engine.StartSecret(ctx, bob.id(), bob.dev.ID())
	if err != nil {
		t.Fatal(err)
	}
	_, err = alice.engine.SendWithPreview(ctx, c.ID, "https://example.com/", nil, LinkPreview{URL: "https://example.com/", Title: "t"})
	if !errors.Is(err, ErrForbidden) {
		t.Fatalf("SendWithPreview in a secret chat: %v, want ErrForbidden", err)
	}
	// The receiving rule, on a chat row of the secret kind.
	rcv := alice.engine.recv
	en := &wire.Entry{MsgID: ids.New[ids.Message](), SenderAccount: bob.id(), SenderDevice: bob.dev.ID(), ServerTime: time.Now().UnixMilli()}
	content := chatcrypto.Content{Kind: chatcrypto.KindText, Text: &chatcrypto.Text{Body: "https://example.com/", Preview: &chatcrypto.LinkPreview{URL: "https://example.com/", Title: "t"}}}
	for _, kind := range []policy.ChatKind{policy.KindDirect, policy.KindSecret} {
		m, _, _, err := rcv.content(&vault.Chat{ID: c.ID, Kind: kind}, &chatMeta{}, en, opened{pt: chatcrypto.Plaintext{Content: content}})
		if err != nil {
			t.Fatal(err)
		}
		if kept := metaOf(*m).Preview != nil; kept != (kind != policy.KindSecret) {
			t.Errorf("chat kind %v: preview kept %v", kind, kept)
		}
	}
}
