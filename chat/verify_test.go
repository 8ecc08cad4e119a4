package chat

import (
	"context"
	"strings"
	"testing"
	"time"

	"hush/chatcrypto"
	"hush/ids"
	"hush/relay/relaytest"
	"hush/sync/wire"
)

// TestBadMessagesDropped injects, through the real relay, messages that a relay or a
// member could forge, and checks that each is dropped with a warning while the chat
// keeps working.
func TestBadMessagesDropped(t *testing.T) {
	r := startRelay(t)
	alice := newPeer(t, "Alice", "ws://"+r.Addr)
	bob := newPeer(t, "Bob", "ws://"+r.Addr)
	alice.register(t, "alice")
	bob.register(t, "bob")
	chatID := direct(t, alice, bob, "bob")
	ctx := context.Background()
	if _, err := alice.engine.Send(ctx, chatID, "genuine", nil); err != nil {
		t.Fatal(err)
	}
	waitDelivered(t, bob, chatID, alice, 1)

	keys := alice.epochKeys(t, chatID)
	var epoch uint64
	for ep := range keys {
		epoch = max(epoch, ep)
	}
	sender, err := chatcrypto.NewSender(alice.dev, alice.cert)
	if err != nil {
		t.Fatal(err)
	}
	seal := func(s *chatcrypto.Sender, id ids.Message, text string) []byte {
		t.Helper()
		b, err := chatcrypto.Seal(chatcrypto.SealParams{Sender: s, ChatID: ids.Chat(chatID), Epoch: epoch, EpochKey: keys[epoch],
			MessageID: ids.Message(id), Content: chatcrypto.Content{Kind: chatcrypto.KindText, Text: &chatcrypto.Text{Body: text}}})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	// Mallory: a real account that is not Alice, signing as herself.
	mallory := relaytest.NewAccount(t)
	malSender, err := chatcrypto.NewSender(mallory.Key, mallory.Cert)
	if err != nil {
		t.Fatal(err)
	}
	raw := relaytest.Dial(t, r, alice.device())
	page, err := raw.Request(ctx, &wire.Fetch{ChatID: ids.Chat(chatID)})
	if err != nil {
		t.Fatal(err)
	}
	genuine := page.(*wire.Page).Entries[0]

	bad := []struct {
		name string
		ct   func(id ids.Message) []byte
		want WarningKind
	}{
		{"tampered ciphertext", func(id ids.Message) []byte {
			b := seal(sender, id, "tampered")
			b[len(b)/2] ^= 0x40
			return b
		}, WarnBadSignature},
		{"forged signature", func(id ids.Message) []byte {
			b := seal(sender, id, "forged")
			b[len(b)-1] ^= 0x01 // the signature is the last field
			return b
		}, WarnBadSignature},
		{"signed by another account", func(id ids.Message) []byte { return seal(malSender, id, "I am Alice") }, WarnWrongSender},
		{"replayed under a new id", func(ids.Message) []byte { return genuine.Ciphertext }, WarnMisfiled},
		{"garbage", func(ids.Message) []byte { return []byte("not a sealed message") }, WarnMalformed},
	}
	for _, b := range bad {
		id := ids.New[ids.Message]()
		if _, err := raw.Request(ctx, &wire.Send{ChatID: ids.Chat(chatID), MsgID: id, Epoch: epoch, Ciphertext: b.ct(id)}); err != nil {
			t.Fatalf("%s: relay refused: %v", b.name, err)
		}
	}
	waitFor(t, 10*time.Second, "Bob's warnings", func() bool { return len(of[Warning](bob.events)) >= len(bad) })
	warnings := of[Warning](bob.events)
	for i, b := range bad {
		if i >= len(warnings) || warnings[i].Chat != chatID || warnings[i].Kind != b.want {
			t.Errorf("%s: warning %+v, want %v", b.name, warnings[min(i, len(warnings)-1)], b.want)
		}
	}
	// The chat keeps working, and nothing forged was stored.
	if _, err := alice.engine.Send(ctx, chatID, "still here", nil); err != nil {
		t.Fatal(err)
	}
	waitDelivered(t, bob, chatID, alice, 2)
	msgs := bob.allMessages(t, chatID)
	if len(msgs) != 2 || msgs[0].Body != "genuine" || msgs[1].Body != "still here" {
		t.Fatalf("Bob holds %+v, want only the two genuine messages", msgs)
	}
	if len(of[Warning](bob.events)) != len(bad) {
		t.Errorf("more warnings than bad messages: %+v", of[Warning](bob.events))
	}
}

func TestContactKeyChange(t *testing.T) {
	r := startRelay(t)
	alice := newPeer(t, "Alice", "ws://"+r.Addr)
	bob := newPeer(t, "Bob", "ws://"+r.Addr)
	alice.register(t, "alice")
	bob.register(t, "bob")
	ctx := context.Background()
	c, err := alice.engine.AddContact(ctx, "bob")
	if err != nil {
		t.Fatal(err)
	}
	if c.KeyChanged || c.Verified || c.Handle != "bob" || c.Fingerprint != bob.acct.Public().Fingerprint() {
		t.Errorf("first contact = %+v", c)
	}
	sn, err := alice.engine.SafetyNumber(ctx, bob.id())
	if err != nil {
		t.Fatal(err)
	}
	if len(sn.Emoji) != 8 || len(strings.ReplaceAll(sn.Digits, " ", "")) != 60 {
		t.Errorf("safety number = %+v", sn)
	}
	if c, err = alice.engine.MarkVerified(ctx, bob.id(), true); err != nil || !c.Verified {
		t.Fatalf("MarkVerified = %+v, %v", c, err)
	}
	// Adding again with nothing changed is quiet.
	if c, err = alice.engine.AddContact(ctx, "bob"); err != nil || c.KeyChanged || !c.Verified {
		t.Fatalf("re-add = %+v, %v", c, err)
	}

	// Bob's handle moves to a new account (new keys, or an impostor).
	if _, err := bob.engine.RegisterHandle(ctx, "bob_old"); err != nil {
		t.Fatal(err)
	}
	bob2 := newPeer(t, "Bobby", "ws://"+r.Addr)
	bob2.register(t, "bob")
	c, err = alice.engine.AddContact(ctx, "@bob")
	if err != nil {
		t.Fatal(err)
	}
	if !c.KeyChanged || c.Verified || c.Account != bob2.id() {
		t.Errorf("contact after the key change = %+v, want keyChanged for the new account", c)
	}
	w := of[Warning](alice.events)
	if len(w) != 1 || w[0].Kind != WarnHandleMoved || w[0].Handle != "bob" {
		t.Errorf("warnings = %+v", w)
	}
	sn2, err := alice.engine.SafetyNumber(ctx, bob2.id())
	if err != nil {
		t.Fatal(err)
	}
	if sn2.Digits == sn.Digits {
		t.Error("the safety number did not change with the key")
	}
	all, err := alice.engine.Contacts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 {
		t.Errorf("contacts = %+v", all)
	}
	if c, err = alice.engine.MarkVerified(ctx, bob2.id(), true); err != nil || c.KeyChanged {
		t.Errorf("after re-verifying: %+v, %v", c, err)
	}
	if _, err := alice.engine.AddContact(ctx, "nobody_here"); err == nil {
		t.Error("an unknown handle was added")
	}
	if _, err := alice.engine.SafetyNumber(ctx, ids.Account{1}); err == nil {
		t.Error("safety number of a stranger")
	}
}
