package chat

import (
	"bytes"
	"context"
	"hush/chatcrypto"
	"hush/identity"
	"hush/ids"
	"hush/internal/testutil"
	"hush/relay/relaytest"
	"hush/sync/wire"
	"hush/vault"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestBadDisplayNameDroppedAtReceive: a modified client that sends a name with
// control characters or over the limit gets its message dropped with a warning;
// the name is not applied and the chat keeps working.
func TestBadDisplayNameDroppedAtReceive(t *testing.T) {
	r, alice, bob, chatID := twoPeople(t)
	ctx := context.Background()
	if _, err := alice.engine.Send(ctx, chatID, "genuine", nil); err != nil {
		t.Fatal(err)
	}
	waitDelivered(t, bob, chatID, alice, 1)
	keys := alice.epochKeys(t, chatID)
	epoch := newest(keys)
	raw := relaytest.Dial(t, r, alice.device())

	// The forger itself works: a valid name sealed by hand is accepted.
	okID := ids.New[ids.Message]()
	if _, err := raw.Request(ctx, &wire.Send{ChatID: ids.Chat(chatID), MsgID: okID, Epoch: epoch,
		Ciphertext: forgeText(t, alice, chatID, epoch, keys[epoch], okID, map[int]any{0: 1, 1: "forged but fine", 11: "Alice"})}); err != nil {
		t.Fatal(err)
	}
	waitDelivered(t, bob, chatID, alice, 2)

	bad := []string{
		"Alice\nverified by Hush",
		"Ali\x00ce",
		"\u202eecilA",
		strings.Repeat("A", chatcrypto.MaxSenderNameChars+1),
		strings.Repeat("A", 200),
	}
	for _, name := range bad {
		id := ids.New[ids.Message]()
		ct := forgeText(t, alice, chatID, epoch, keys[epoch], id, map[int]any{0: 1, 1: "renamed?", 11: name})
		if _, err := raw.Request(ctx, &wire.Send{ChatID: ids.Chat(chatID), MsgID: id, Epoch: epoch, Ciphertext: ct}); err != nil {
			t.Fatalf("relay refused: %v", err)
		}
	}
	testutil.Eventually(t, 10*time.Second, "Bob's warnings", func() bool { return len(of[Warning](bob.events)) >= len(bad) })
	for i, w := range of[Warning](bob.events) {
		if w.Chat != chatID || w.Kind != WarnMalformed {
			t.Errorf("warning %d = %+v, want a malformed message dropped", i, w)
		}
	}
	if _, err := alice.engine.Send(ctx, chatID, "still here", nil); err != nil {
		t.Fatal(err)
	}
	waitDelivered(t, bob, chatID, alice, 3)
	var bodies []string
	for _, m := range bob.allMessages(t, chatID) {
		bodies = append(bodies, m.Body)
	}
	if !slices.Equal(bodies, []string{"genuine", "forged but fine", "still here"}) {
		t.Errorf("Bob holds %q", bodies)
	}
	if c := bob.contactOf(t, alice); c.DisplayName != "Alice" {
		t.Errorf("contact name %q, want Alice", c.DisplayName)
	}
}

// TestBadMessagesDropped injects, through the real relay, messages that a relay or a
// member could forge, and checks that each is dropped with a warning while the chat
// keeps working.
func TestBadMessagesDropped(t *testing.T) {
	r, alice, bob, chatID := twoPeople(t)
	ctx := context.Background()
	if _, err := alice.engine.Send(ctx, chatID, "genuine", nil); err != nil {
		t.Fatal(err)
	}
	waitDelivered(t, bob, chatID, alice, 1)

	keys := alice.epochKeys(t, chatID)
	epoch := newest(keys)
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
	testutil.Eventually(t, 10*time.Second, "Bob's warnings", func() bool { return len(of[Warning](bob.events)) >= len(bad) })
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

	// A device of Bob's that joins now reads the whole log as one page, opened on
	// every core before its transaction (preopen.go): the same entries are refused
	// with the same warnings, and no early result lets a forgery through.
	for i := range minPreopen {
		if _, err := alice.engine.Send(ctx, chatID, body("later", i), nil); err != nil {
			t.Fatal(err)
		}
	}
	waitDelivered(t, bob, chatID, alice, 2+minPreopen)
	tablet := newDevice(t, bob, "Bob's tablet")
	testutil.Eventually(t, 10*time.Second, "the tablet's history", func() bool {
		s, err := tablet.engine.Summary(ctx, chatID)
		return err == nil && s.LastMessage == body("later", minPreopen-1)
	})
	if n := tablet.engine.recv.early.Load(); n < minPreopen {
		t.Fatalf("%d entries opened early, want the page (at least %d)", n, minPreopen)
	}
	// Warnings are reported after the transaction that stored the page commits.
	testutil.Eventually(t, 10*time.Second, "the tablet's warnings", func() bool { return len(of[Warning](tablet.events)) >= len(bad) })
	var kinds, want []WarningKind
	for _, w := range of[Warning](tablet.events) {
		kinds = append(kinds, w.Kind)
	}
	for _, b := range bad {
		want = append(want, b.want)
	}
	if !slices.Equal(kinds, want) {
		t.Errorf("the tablet warned %v, want %v", kinds, want)
	}
	if got := bodiesOf(tablet.allMessages(t, chatID)); len(got) != 2+minPreopen || got[0] != "genuine" || got[1] != "still here" {
		t.Errorf("the tablet holds %q, want only the genuine messages", got)
	}
}

// TestEarlyResultNeedsTheSameKeys: an entry opened before its transaction counts only
// if the transaction reads the keys it was opened with.
func TestEarlyResultNeedsTheSameKeys(t *testing.T) {
	key := func(b byte) chatcrypto.EpochKey {
		k, err := chatcrypto.EpochKeyFromBytes(bytes.Repeat([]byte{b}, 32))
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	alice, bob := relaytest.NewAccount(t).Account.Public(), relaytest.NewAccount(t).Account.Public()
	en, other := &wire.Entry{Seq: 1}, &wire.Entry{Seq: 1}
	pre := preopened{en: {key: key(1), sender: alice, pt: chatcrypto.Plaintext{Content: chatcrypto.Content{Counter: 7}}}}
	cases := []struct {
		name   string
		en     *wire.Entry
		key    chatcrypto.EpochKey
		sender identity.AccountPublicKey
		want   bool
	}{
		{"same keys", en, key(1), alice, true},
		{"another epoch key", en, key(2), alice, false},
		{"another sender key", en, key(1), bob, false},
		{"an equal entry elsewhere", other, key(1), alice, false},
	}
	for _, c := range cases {
		pt, err, ok := pre.result(c.en, c.key, c.sender)
		if ok != c.want || (ok && (err != nil || pt.Content.Counter != 7)) {
			t.Errorf("%s: result %v, %v, %v; want used=%v", c.name, pt.Content.Counter, err, ok, c.want)
		}
	}
	if _, _, ok := preopened(nil).result(en, key(1), alice); ok {
		t.Error("an empty set gave a result")
	}
}

// TestReceipts: positions only move forward; another member's move reports the
// lowest position that moved, this account's own (from another device) clears the
// unread count once it reaches the cursor.
func TestReceipts(t *testing.T) {
	meta := chatMeta{PeerDelivered: 10, PeerRead: 6}
	for _, c := range []struct {
		name            string
		delivered, read uint64
		moved           bool
		lo              uint64
	}{
		{"nothing new", 10, 6, false, 0},
		{"older", 3, 2, false, 0},
		{"read moves", 10, 8, true, 6},
		{"both move", 12, 9, true, 8},
	} {
		moved, lo := peerReceipt(&meta, &wire.Receipt{DeliveredSeq: c.delivered, ReadSeq: c.read})
		if moved != c.moved || lo != c.lo {
			t.Errorf("%s: moved %v from %d, want %v from %d", c.name, moved, lo, c.moved, c.lo)
		}
	}
	if meta.PeerDelivered != 12 || meta.PeerRead != 9 {
		t.Errorf("peer positions %d/%d, want 12/9", meta.PeerDelivered, meta.PeerRead)
	}
	c := vault.Chat{Unread: 4}
	mine := chatMeta{MyDelivered: 5, MyRead: 5}
	if ownReceipt(&c, &mine, &wire.Receipt{DeliveredSeq: 5, ReadSeq: 5}, 9) {
		t.Error("an old own receipt moved something")
	}
	if !ownReceipt(&c, &mine, &wire.Receipt{DeliveredSeq: 9, ReadSeq: 8}, 9) || c.Unread != 4 {
		t.Errorf("read below the cursor: unread %d, want 4", c.Unread)
	}
	if !ownReceipt(&c, &mine, &wire.Receipt{DeliveredSeq: 9, ReadSeq: 9}, 9) || c.Unread != 0 {
		t.Errorf("read up to the cursor: unread %d, want 0", c.Unread)
	}
}
