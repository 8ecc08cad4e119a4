package chat

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"
	"golang.org/x/crypto/chacha20poly1305"
	"golang.org/x/crypto/hkdf"

	"hush/chatcrypto"
	"hush/ids"
	"hush/relay/relaytest"
	"hush/sync/wire"
	"hush/vault"
)

// contactOf returns p's contact record of q, as the UI gets it.
func (p *peer) contactOf(t testing.TB, q *peer) Contact {
	t.Helper()
	cs, err := p.engine.Contacts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if c.Account == q.id() {
			return c
		}
	}
	t.Fatalf("%s has no contact %s", p.name, q.name)
	return Contact{}
}

// titleOf returns the chat list title of a chat on p.
func (p *peer) titleOf(t testing.TB, chatID ids.Chat) string {
	t.Helper()
	list, err := p.engine.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range list {
		if s.ID == chatID {
			return s.Title
		}
	}
	t.Fatalf("%s has no chat %s in its list", p.name, chatID)
	return ""
}

// TestDisplayNamesTravel: Alice's chosen name reaches Bob inside her messages (the
// relay carries only ciphertext), names his copy of her messages, the chat and her
// contact, follows her when she renames herself, and changes nothing that
// identifies her.
func TestDisplayNamesTravel(t *testing.T) {
	r := startRelay(t)
	alice := newPeer(t, "Alice", "ws://"+r.Addr)
	bob := newPeer(t, "Bob", "ws://"+r.Addr)
	alice.register(t, "alice")
	bob.register(t, "bob")
	chatID := direct(t, alice, bob, "bob")
	ctx := context.Background()

	// Before Alice writes, Bob knows her only by handle.
	if c := bob.contactOf(t, alice); c.DisplayName != "@alice" || c.Handle != "alice" {
		t.Errorf("Bob's contact before any message = %+v", c)
	}
	if _, err := bob.engine.MarkVerified(ctx, alice.id(), true); err != nil {
		t.Fatal(err)
	}
	snBefore, err := bob.engine.SafetyNumber(ctx, alice.id())
	if err != nil {
		t.Fatal(err)
	}

	if _, err := alice.engine.Send(ctx, chatID, "hello Bob", nil); err != nil {
		t.Fatal(err)
	}
	waitDelivered(t, bob, chatID, alice, 1)
	if got := bob.allMessages(t, chatID); got[0].SenderName != "Alice" {
		t.Errorf("Bob's copy names the sender %q, want Alice", got[0].SenderName)
	}
	if news := of[Message](bob.events); len(news) != 1 || news[0].SenderName != "Alice" {
		t.Errorf("message:new = %+v, want one from Alice", news)
	}
	if got := bob.titleOf(t, chatID); got != "Alice" {
		t.Errorf("Bob's chat list title = %q, want Alice", got)
	}
	c := bob.contactOf(t, alice)
	if c.DisplayName != "Alice" || c.Handle != "alice" || !c.Verified || c.KeyChanged || c.Fingerprint != alice.acct.Public().Fingerprint() {
		t.Errorf("Bob's contact = %+v, want Alice (@alice), still verified, same key", c)
	}
	members, err := bob.engine.Members(ctx, chatID)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(members, func(m Member) bool { return m.Account == alice.id() })
	if i < 0 || members[i].DisplayName != "Alice" || members[i].Handle != "alice" {
		t.Errorf("members = %+v, want Alice with handle alice", members)
	}
	// Bob's own name comes from his profile, not from the network.
	if j := slices.IndexFunc(members, func(m Member) bool { return m.IsMe }); j < 0 || members[j].DisplayName != "Bob" {
		t.Errorf("members = %+v, want Bob as himself", members)
	}

	// Alice renames herself (a new session with another profile name); her next
	// message renames her on Bob's side.
	alice.stop()
	alice.name = "Alice Liddell 🐇"
	alice.start(t)
	if _, err := alice.engine.Send(ctx, chatID, "new name", nil); err != nil {
		t.Fatal(err)
	}
	waitDelivered(t, bob, chatID, alice, 2)
	waitFor(t, 10*time.Second, "the renamed title", func() bool { return bob.titleOf(t, chatID) == "Alice Liddell 🐇" })
	c = bob.contactOf(t, alice)
	if c.DisplayName != "Alice Liddell 🐇" || c.Handle != "alice" || !c.Verified || c.KeyChanged {
		t.Errorf("Bob's contact after the rename = %+v", c)
	}
	for _, m := range bob.allMessages(t, chatID) {
		if m.SenderName != "Alice Liddell 🐇" {
			t.Errorf("message %q names its sender %q, want her current name", m.Body, m.SenderName)
		}
	}
	ups := of[Chat](bob.events)
	if len(ups) == 0 || ups[len(ups)-1].Title != "Alice Liddell 🐇" {
		t.Errorf("last chat:updated = %+v, want the new title", ups)
	}
	if sn, err := bob.engine.SafetyNumber(ctx, alice.id()); err != nil || sn.Digits != snBefore.Digits {
		t.Errorf("safety number changed with the name: %+v, %v", sn, err)
	}
	// Looking her handle up again keeps the name she gave.
	if c, err := bob.engine.AddContact(ctx, "alice"); err != nil || c.DisplayName != "Alice Liddell 🐇" || c.Handle != "alice" {
		t.Errorf("re-adding @alice = %+v, %v", c, err)
	}
	if w := of[Warning](bob.events); len(w) != 0 {
		t.Errorf("warnings = %+v, want none", w)
	}
}

// TestDisplayNameInGroups: a name heard in a group names the sender there and
// retitles the direct chat with them.
func TestDisplayNameInGroups(t *testing.T) {
	r := startRelay(t)
	alice := newPeer(t, "Alice", "ws://"+r.Addr)
	bob := newPeer(t, "Bob", "ws://"+r.Addr)
	alice.register(t, "alice")
	bob.register(t, "bob")
	dm := direct(t, bob, alice, "alice")
	ctx := context.Background()
	g, err := alice.engine.CreateGroup(ctx, "Tea party", []ids.Account{bob.id()})
	if err != nil {
		t.Fatal(err)
	}
	gid := g.ID
	waitFor(t, 20*time.Second, "Bob sees the group", func() bool { _, err := bob.engine.Summary(ctx, gid); return err == nil })
	if got := bob.titleOf(t, dm); got != "@alice" {
		t.Fatalf("direct chat title before = %q", got)
	}
	if _, err := alice.engine.Send(ctx, gid, "welcome", nil); err != nil {
		t.Fatal(err)
	}
	waitDelivered(t, bob, gid, alice, 1)
	if got := bob.allMessages(t, gid); got[0].SenderName != "Alice" {
		t.Errorf("group message from %q", got[0].SenderName)
	}
	if got := bob.titleOf(t, dm); got != "Alice" {
		t.Errorf("direct chat title after = %q, want Alice", got)
	}
	if got := bob.titleOf(t, gid); got != "Tea party" {
		t.Errorf("the group kept its own title? %q", got)
	}
	waitFor(t, 10*time.Second, "a chat:updated for the direct chat", func() bool {
		for _, s := range of[Chat](bob.events) {
			if s.ID == dm && s.Title == "Alice" {
				return true
			}
		}
		return false
	})
}

// TestNewestNameWins: during a catch-up, chats are read in any order; a name from
// an older message read late does not undo a newer one.
func TestNewestNameWins(t *testing.T) {
	r := startRelay(t)
	alice := newPeer(t, "Alice", "ws://"+r.Addr)
	bob := newPeer(t, "Bob", "ws://"+r.Addr)
	alice.register(t, "alice")
	bob.register(t, "bob")
	direct(t, alice, bob, "bob")
	ctx := context.Background()
	dir := bob.engine.dir
	batches := []struct {
		name string
		at   int64
		want string
	}{
		{"Alicia", 2000, "Alicia"},
		{"Alice (old)", 1000, "Alicia"}, // older: ignored
		{"Alicia", 3000, "Alicia"},
		{"Alice (older)", 2500, "Alicia"}, // older than the last time she said Alicia
		{"Alice", 4000, "Alice"},
	}
	for _, b := range batches {
		err := bob.vault.Update(ctx, func(tx *vault.Tx) error {
			var out batch
			out.hearName(alice.id(), b.name, b.at)
			_, err := dir.learnNames(tx, out.heard, nameCache{})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if got := bob.contactOf(t, alice).DisplayName; got != b.want {
			t.Fatalf("after %q at %d: name %q, want %q", b.name, b.at, got, b.want)
		}
	}
	// Within one batch, the newest message's name is the one kept.
	var out batch
	out.hearName(alice.id(), "Late", 9000)
	out.hearName(alice.id(), "Early", 5000)
	if out.heard[alice.id()].name != "Late" {
		t.Errorf("batch kept %+v", out.heard)
	}
	// A name heard for this account itself is never stored on a contact.
	err := bob.vault.Update(ctx, func(tx *vault.Tx) error {
		var out batch
		out.hearName(bob.id(), "Mallory", 9999)
		_, err := dir.learnNames(tx, out.heard, nameCache{})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := bob.vault.View(ctx, func(tx *vault.Tx) error {
		_, err := tx.Contact(bob.id())
		return err
	}); !errors.Is(err, vault.ErrNotFound) {
		t.Errorf("own account as a contact: %v", err)
	}
}

// TestBadDisplayNameRefusedAtSend: a name that may not travel is refused before
// anything is stored or sent, with an error the UI can show.
func TestBadDisplayNameRefusedAtSend(t *testing.T) {
	r := startRelay(t)
	bob := newPeer(t, "Bob", "ws://"+r.Addr)
	bob.register(t, "bob")
	tests := []struct {
		name string
		want error
	}{
		{"Eve\nAdmin", ErrInvalid},
		{"Eve\x00", ErrInvalid},
		{"\u202eEve", ErrInvalid},
		{strings.Repeat("E", chatcrypto.MaxSenderNameChars+1), ErrTooLong},
		{strings.Repeat("李", chatcrypto.MaxSenderNameChars+1), ErrTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := CheckDisplayName(tt.name); !errors.Is(err, tt.want) {
				t.Errorf("CheckDisplayName = %v, want %v", err, tt.want)
			}
			eve := newPeer(t, tt.name, "ws://"+r.Addr)
			eve.online(t)
			chatID := direct(t, eve, bob, "bob")
			before := len(bob.allMessages(t, chatID))
			_, err := eve.engine.Send(context.Background(), chatID, "hi", nil)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Send = %v, want %v", err, tt.want)
			}
			if n := eve.outboxLen(t); n != 0 {
				t.Errorf("outbox holds %d items", n)
			}
			if got := eve.allMessages(t, chatID); len(got) != before {
				t.Errorf("stored %+v", got)
			}
		})
	}
	for _, ok := range []string{"Eve", strings.Repeat("李", chatcrypto.MaxSenderNameChars), "@eve"} {
		if err := CheckDisplayName(ok); err != nil {
			t.Errorf("CheckDisplayName(%q) = %v", ok, err)
		}
	}
}

// forgeText seals content, a CBOR map that chatcrypto.Seal would refuse, by following
// docs/SECURITY.md ("Messages") by hand: a modified client's message, correctly
// encrypted and signed by p's device.
func forgeText(t *testing.T, p *peer, chatID ids.Chat, epoch uint64, key chatcrypto.EpochKey, id ids.Message, content map[int]any) []byte {
	t.Helper()
	enc, err := cbor.CoreDetEncOptions().EncMode()
	if err != nil {
		t.Fatal(err)
	}
	pt, err := enc.Marshal(content)
	if err != nil {
		t.Fatal(err)
	}
	padded := make([]byte, 256)
	if len(pt) >= len(padded) {
		t.Fatalf("forged content of %d bytes does not fit the first bucket", len(pt))
	}
	copy(padded, pt)
	padded[len(pt)] = 0x80
	mk := make([]byte, 32)
	if _, err := hkdf.New(sha256.New, key.Bytes(), id[:], []byte("hush/v1/message-key")).Read(mk); err != nil {
		t.Fatal(err)
	}
	acct, dev := p.acct.ID(), p.dev.ID()
	ad := append([]byte("hush/v1/message-ad"), 1)
	ad = append(ad, chatID[:]...)
	ad = binary.BigEndian.AppendUint64(ad, epoch)
	ad = append(ad, id[:]...)
	ad = append(ad, acct[:]...)
	ad = append(ad, dev[:]...)
	aead, err := chacha20poly1305.NewX(mk)
	if err != nil {
		t.Fatal(err)
	}
	nonce := make([]byte, chacha20poly1305.NonceSizeX)
	rand.Read(nonce)
	body, err := enc.Marshal([]any{1, chatID[:], epoch, id[:], acct[:], dev[:], p.cert, nonce, aead.Seal(nil, nonce, padded, ad)})
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := enc.Marshal([]any{body, p.dev.Sign("cloud-message", body)})
	if err != nil {
		t.Fatal(err)
	}
	return sealed
}

// TestBadDisplayNameDroppedAtReceive: a modified client that sends a name with
// control characters or over the limit gets its message dropped with a warning;
// the name is not applied and the chat keeps working.
func TestBadDisplayNameDroppedAtReceive(t *testing.T) {
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
	waitFor(t, 10*time.Second, "Bob's warnings", func() bool { return len(of[Warning](bob.events)) >= len(bad) })
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
