package chat

import (
	"bytes"
	"context"
	"crypto/hpke"
	"encoding/binary"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"hush/chatcrypto"
	"hush/identity"
	"hush/ids"
	"hush/internal/testutil"
	"hush/membership"
	"hush/policy"
	"hush/relay/relaytest"
	"hush/sync/wire"
	"hush/vault"

	"github.com/fxamacker/cbor/v2"
)

// The attacks of docs/SECURITY.md's threat table, tried by a relay run by an
// attacker (relaytest.Malicious: the real relay behind a man in the middle who sees,
// rewrites, adds, drops and refuses frames, and who has an account of its own,
// Mallory). Each test first runs the attack against engines with the protection
// switched off (checks.go) and watches it succeed — so the test attacks for real —
// then against the real engine, and watches it fail.

// attackWorld is three friends (each has the others as contacts) on a relay run by
// an attacker, and the attacker's own account there.
type attackWorld struct {
	evil              *relaytest.Malicious
	alice, bob, carol *peer
	mallory           *relaytest.Device
}

func newAttackWorld(t *testing.T, weaken func(*checks)) *attackWorld {
	t.Helper()
	w := &attackWorld{evil: relaytest.StartMalicious(t, &relaytest.Options{Limits: testLimits()})}
	w.alice = newWeakPeer(t, "Alice", w.evil.URL, weaken)
	w.bob = newWeakPeer(t, "Bob", w.evil.URL, weaken)
	w.carol = newWeakPeer(t, "Carol", w.evil.URL, weaken)
	for _, p := range []struct {
		p      *peer
		handle string
	}{{w.alice, "alice"}, {w.bob, "bob"}, {w.carol, "carol"}} {
		p.p.register(t, p.handle)
	}
	for _, c := range []struct {
		p       *peer
		handles []string
	}{{w.alice, []string{"bob", "carol"}}, {w.bob, []string{"alice", "carol"}}, {w.carol, []string{"alice", "bob"}}} {
		for _, h := range c.handles {
			if _, err := c.p.engine.AddContact(context.Background(), h); err != nil {
				t.Fatal(err)
			}
		}
	}
	w.mallory = relaytest.NewAccount(t)
	relaytest.DialURL(t, w.evil.URL, w.mallory) // known to the relay, as its operator's account would be
	return w
}

// weakIf returns weaken when weak, else nil (every protection on).
func weakIf(weak bool, weaken func(*checks)) func(*checks) {
	if weak {
		return weaken
	}
	return nil
}

// runs names the two runs of an attack test.
var runs = []struct {
	name string
	weak bool
}{{"protection off: the attack succeeds", true}, {"protection on: the attack fails", false}}

// group creates a group of the three, owned by Alice, and waits until everyone
// can read it.
func (w *attackWorld) group(t *testing.T, kind policy.ChatKind) ids.Chat {
	t.Helper()
	ctx := context.Background()
	var s Chat
	var err error
	if kind == policy.KindChannel {
		s, err = w.alice.engine.CreateChannel(ctx, "News", []ids.Account{w.bob.id(), w.carol.id()})
	} else {
		s, err = w.alice.engine.CreateGroup(ctx, "Friends", []ids.Account{w.bob.id(), w.carol.id()})
	}
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.alice.engine.Send(ctx, s.ID, "welcome", nil); err != nil {
		t.Fatal(err)
	}
	waitDelivered(t, w.bob, s.ID, w.alice, 1)
	waitDelivered(t, w.carol, s.ID, w.alice, 1)
	return s.ID
}

// messagesAtRelay reads what the relay stores of a chat: the attacker has its store.
func (w *attackWorld) messagesAtRelay(t *testing.T, chat ids.Chat) []wire.Entry {
	t.Helper()
	entries, _, err := w.evil.Store.Messages(context.Background(), chat, w.alice.id(), 0, wire.MaxPageEntries, 1<<24)
	if err != nil {
		t.Fatal(err)
	}
	return entries
}

// stolenKey is an epoch key the attacker holds.
type stolenKey struct {
	epoch uint64
	key   chatcrypto.EpochKey
}

// held turns a peer's epoch keys into what the attacker holds when that peer helps.
func held(keys map[uint64]chatcrypto.EpochKey) []stolenKey {
	var out []stolenKey
	for ep, k := range keys {
		out = append(out, stolenKey{ep, k})
	}
	return out
}

// readsWith reports whether any of keys opens a message of Alice's saying text.
func readsWith(w *attackWorld, entries []wire.Entry, chat ids.Chat, text string, keys []stolenKey) bool {
	for _, en := range entries {
		for _, sk := range keys {
			if sk.epoch != en.Epoch {
				continue
			}
			pt, err := chatcrypto.Open(en.Ciphertext, chatcrypto.OpenParams{ChatID: chat, Epoch: en.Epoch, EpochKey: sk.key, MessageID: en.MsgID, Sender: w.alice.acct.Public()})
			if err == nil && pt.Content.Text != nil && pt.Content.Text.Body == text {
				return true
			}
		}
	}
	return false
}

// stolen collects what the attacker takes off the wire.
type stolen struct {
	mu   sync.Mutex
	envs []stolenEnvelope
	sent []*wire.Send
}

// stolenEnvelope is an envelope of one epoch taken from a rotation, which may have
// lost the race to another device's.
type stolenEnvelope struct {
	epoch uint64
	env   []byte
}

func (s *stolen) envelope(epoch uint64, env []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.envs = append(s.envs, stolenEnvelope{epoch, env})
}

func (s *stolen) envelopes() []stolenEnvelope {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]stolenEnvelope(nil), s.envs...)
}

func (s *stolen) send(m *wire.Send) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sent = append(s.sent, m)
}

func (s *stolen) sends() []*wire.Send {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*wire.Send(nil), s.sent...)
}

// TestAttackRelayListsAMember (docs/SECURITY.md, threat "the relay chooses
// members"): the relay lists its own account, Mallory, as a member of Alice's chats
// — a 1:1 chat and a group — and takes Mallory's envelope off every new epoch on its
// way in (the real relay, which checks envelopes against its own member list, never
// sees it). An engine that wraps keys to whoever the relay lists hands Mallory the
// chat key, and Mallory reads what Alice writes next. The real engine wraps only to
// the members its verified log lists, and warns that the relay lists someone no
// member added.
func TestAttackRelayListsAMember(t *testing.T) {
	for _, kind := range []policy.ChatKind{policy.KindDirect, policy.KindGroup} {
		for _, run := range runs {
			t.Run(kind.String()+"/"+run.name, func(t *testing.T) {
				w := newAttackWorld(t, weakIf(run.weak, func(c *checks) { c.relayMembers = true }))
				mallory := w.mallory.AccountID()
				var loot stolen
				w.evil.SetHook(func(tap *relaytest.Tap, dir relaytest.Direction, f wire.Frame) []wire.Frame {
					switch b := f.Body.(type) {
					case *wire.ChatInfo:
						b.Members = append(b.Members, wire.MemberInfo{AccountID: mallory, Role: policy.RoleMember})
					case *wire.ChatChanged:
						b.Chat.Members = append(b.Chat.Members, wire.MemberInfo{AccountID: mallory, Role: policy.RoleMember})
					case *wire.PutEpoch:
						keep := make([]wire.WrappedKey, 0, len(b.Wrapped))
						for _, wk := range b.Wrapped {
							if wk.AccountID == mallory {
								loot.envelope(b.Epoch, wk.Envelope)
								continue
							}
							keep = append(keep, wk)
						}
						b.Wrapped = keep
					}
					return []wire.Frame{f}
				})
				ctx := context.Background()
				var chat ids.Chat
				if kind == policy.KindDirect {
					s, err := w.alice.engine.OpenDirect(ctx, w.bob.id())
					if err != nil {
						t.Fatal(err)
					}
					chat = s.ID
				} else {
					chat = w.group(t, kind)
				}
				if _, err := w.alice.engine.Send(ctx, chat, "meet at noon", nil); err != nil {
					t.Fatal(err)
				}
				waitDelivered(t, w.bob, chat, w.alice, 1)

				var keys []stolenKey
				for _, e := range loot.envelopes() {
					entry, err := chatcrypto.ParseKeyLogEntry(e.env, chat, e.epoch, mallory)
					if err != nil {
						t.Fatal(err)
					}
					k, err := entry.Open(w.mallory.Account)
					if err != nil {
						t.Fatal(err)
					}
					keys = append(keys, stolenKey{e.epoch, k})
				}
				read := readsWith(w, w.messagesAtRelay(t, chat), chat, "meet at noon", keys)
				if run.weak {
					if !read {
						t.Fatal("the attack did not work even without the protection: this test proves nothing")
					}
					return
				}
				if read || len(keys) > 0 {
					t.Fatalf("Mallory got %d chat keys and read Alice: %v", len(keys), read)
				}
				ms, err := w.alice.engine.Members(ctx, chat)
				if err != nil || roleIn(ms, mallory) != 0 {
					t.Errorf("Alice's members %+v (%v) include the relay's account", ms, err)
				}
				found := false
				for _, warn := range of[Warning](w.alice.events) {
					found = found || (warn.Kind == WarnUnverifiedMember && warn.Account == mallory && warn.Chat == chat)
				}
				if !found {
					t.Errorf("Alice was not told the relay lists someone no member added: %+v", of[Warning](w.alice.events))
				}
			})
		}
	}
}

// TestAttackRefusedRotation (threat "a removal undone by refusing a rotation"):
// Alice removes Carol; the relay refuses every new epoch and accepts, for itself,
// whatever Alice sends. An engine that falls back to the current key sends the next
// message under a key Carol holds. The real engine sends nothing until the new key
// exists — the chat says why — and sends it once the relay lets the rotation through.
func TestAttackRefusedRotation(t *testing.T) {
	for _, run := range runs {
		t.Run(run.name, func(t *testing.T) {
			w := newAttackWorld(t, weakIf(run.weak, func(c *checks) { c.fallBack = true }))
			chat := w.group(t, policy.KindGroup)
			carolKeys := w.carol.epochKeys(t, chat)
			var loot stolen
			var refusing sync.Mutex
			refuse := true
			w.evil.SetHook(func(tap *relaytest.Tap, dir relaytest.Direction, f wire.Frame) []wire.Frame {
				refusing.Lock()
				on := refuse
				refusing.Unlock()
				switch b := f.Body.(type) {
				case *wire.PutEpoch:
					if on && b.ChatID == chat {
						return tap.Refuse(f, wire.CodeForbidden, "no new keys here")
					}
				case *wire.Send:
					if on && b.ChatID == chat && dir == relaytest.ToRelay {
						// The relay keeps it for the removed member and tells Alice it is stored.
						loot.send(b)
						tap.Inject(relaytest.ToDevice, wire.Frame{ReqID: f.ReqID, Body: &wire.Ack{ChatID: b.ChatID, MsgID: b.MsgID, Seq: 1000, ServerTime: time.Now().UnixMilli()}})
						return nil
					}
				}
				return []wire.Frame{f}
			})
			ctx := context.Background()
			if _, err := w.alice.engine.RemoveMember(ctx, chat, w.carol.id()); err != nil {
				t.Fatal(err)
			}
			if _, err := w.alice.engine.Send(ctx, chat, "now that Carol is gone", nil); err != nil {
				t.Fatal(err)
			}
			carolReads := func() bool {
				for _, s := range loot.sends() {
					for ep, k := range carolKeys {
						if ep != s.Epoch {
							continue
						}
						pt, err := chatcrypto.Open(s.Ciphertext, chatcrypto.OpenParams{ChatID: chat, Epoch: s.Epoch, EpochKey: k, MessageID: s.MsgID, Sender: w.alice.acct.Public()})
						if err == nil && pt.Content.Text.Body == "now that Carol is gone" {
							return true
						}
					}
				}
				return false
			}
			if run.weak {
				testutil.Eventually(t, 20*time.Second, "Alice falls back to the old key", carolReads)
				return
			}
			testutil.Eventually(t, 20*time.Second, "Alice's chat waits for a new key", func() bool {
				return summaryOf(t, w.alice, chat).Hold == HoldNewKey
			})
			time.Sleep(2*flushRetry + 500*time.Millisecond) // the flusher tries again meanwhile, and again refuses to fall back
			if n := len(loot.sends()); n != 0 || carolReads() {
				t.Fatalf("Alice sent %d messages while the rotation was refused", n)
			}
			if ms := w.alice.allMessages(t, chat); ms[len(ms)-1].Status != policy.StatusPending {
				t.Fatalf("the message is %v, want pending", ms[len(ms)-1].Status)
			}
			// The relay gives in: the key rotates, the message goes out in the new epoch.
			refusing.Lock()
			refuse = false
			refusing.Unlock()
			waitDelivered(t, w.bob, chat, w.alice, 2)
			if carolReads() || readsWith(w, w.messagesAtRelay(t, chat), chat, "now that Carol is gone", held(carolKeys)) {
				t.Fatal("Carol's keys open what Alice sent after removing her")
			}
		})
	}
}

// TestAttackSubscriberSignsKey (threat "any member may sign epoch keys"): Bob, a
// channel's subscriber working with the relay, signs the channel's next epoch key
// and the relay hands it to Carol. An engine that takes keys from any member keeps
// it; the real engine takes keys in a channel only from its owner and admins.
func TestAttackSubscriberSignsKey(t *testing.T) {
	for _, run := range runs {
		t.Run(run.name, func(t *testing.T) {
			w := newAttackWorld(t, weakIf(run.weak, func(c *checks) { c.anySigner = true }))
			chat := w.group(t, policy.KindChannel)
			epoch := newest(w.carol.epochKeys(t, chat)) + 1
			key, k := envelopeFor(t, w.bob, w.carol, chat, epoch)
			w.evil.Push(w.carol.id(), &wire.NewEpoch{ChatID: chat, Key: k})
			if run.weak {
				testutil.Eventually(t, 20*time.Second, "Carol keeps Bob's key", func() bool {
					got, ok := w.carol.epochKeys(t, chat)[epoch]
					return ok && got.Equal(key)
				})
				return
			}
			testutil.Eventually(t, 20*time.Second, "Carol refuses Bob's key", func() bool {
				for _, warn := range of[Warning](w.carol.events) {
					if warn.Kind == WarnKeySignerNotAllowed && warn.Chat == chat {
						return true
					}
				}
				return false
			})
			if _, ok := w.carol.epochKeys(t, chat)[epoch]; ok {
				t.Fatal("Carol kept a key a subscriber signed")
			}
		})
	}
}

// TestAttackSwappedEncryptionKey (threat "the relay chooses a contact's encryption
// key"): looking Bob up, Alice gets Bob's signing key with the relay's own X25519
// key, and neither Bob's signed keys record nor his device certificates. An engine
// that pins the key the relay returns wraps the 1:1 chat's key to the relay, which
// reads Alice. The real engine refuses keys the account did not certify; and when
// the relay leaves a device certificate in, it pins the key the certificate names.
func TestAttackSwappedEncryptionKey(t *testing.T) {
	for _, run := range runs {
		t.Run(run.name, func(t *testing.T) {
			w := newAttackWorld(t, weakIf(run.weak, func(c *checks) { c.bareKeys = true }))
			bob := w.bob.acct.Public()
			swapped := append(bytes.Clone(bob.SigningKey()), w.mallory.Account.EncryptionKey().PublicKey().Bytes()...)
			keepCerts := false
			var mu sync.Mutex
			var loot stolen
			w.evil.SetHook(func(tap *relaytest.Tap, dir relaytest.Direction, f wire.Frame) []wire.Frame {
				mu.Lock()
				defer mu.Unlock()
				switch b := f.Body.(type) {
				case *wire.Account:
					if tap.Account() == w.alice.id() && bytes.HasPrefix(b.AccountKey, bob.SigningKey()) {
						b.AccountKey, b.Keys = swapped, nil
						if !keepCerts {
							b.Devices = nil
						}
					}
				case *wire.PutEpoch:
					if tap.Account() != w.alice.id() {
						// The relay lets Alice make the 1:1 chat's key, not Bob.
						return tap.Refuse(f, wire.CodeConflict, "someone else rotated")
					}
					for _, wk := range b.Wrapped {
						if wk.AccountID == w.bob.id() {
							loot.envelope(b.Epoch, wk.Envelope)
						}
					}
				}
				return []wire.Frame{f}
			})
			// Alice forgets Bob first, as a device that never met him.
			if err := w.alice.vault.Update(context.Background(), func(tx *vault.Tx) error { return tx.DeleteContact(w.bob.id()) }); err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			_, err := w.alice.engine.AddContact(ctx, "bob")
			if !run.weak {
				if !errors.Is(err, ErrUncertified) {
					t.Fatalf("Alice pins keys Bob never signed: %v", err)
				}
				mu.Lock()
				keepCerts = true
				mu.Unlock()
				c, err := w.alice.engine.AddContact(ctx, "bob")
				if err != nil {
					t.Fatal(err)
				}
				if c.Fingerprint != bob.Fingerprint() {
					t.Fatalf("Alice pinned %s, Bob's key is %s", c.Fingerprint, bob.Fingerprint())
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			s, err := w.alice.engine.OpenDirect(ctx, w.bob.id())
			if err != nil {
				t.Fatal(err)
			}
			if _, err := w.alice.engine.Send(ctx, s.ID, "for Bob only", nil); err != nil {
				t.Fatal(err)
			}
			testutil.Eventually(t, 20*time.Second, "Alice sends", func() bool { return len(w.messagesAtRelay(t, s.ID)) > 0 })
			var keys []stolenKey
			for _, e := range loot.envelopes() {
				if k, ok := openV1As(t, e.env, s.ID, e.epoch, w.bob.id(), w.mallory); ok {
					keys = append(keys, stolenKey{e.epoch, k})
				}
			}
			if !readsWith(w, w.messagesAtRelay(t, s.ID), s.ID, "for Bob only", keys) {
				t.Fatal("the attack did not work even without the protection: this test proves nothing")
			}
		})
	}
}

// openV1As opens the version 1 envelope inside a signed key-log entry "for"
// recipient with the X25519 key of attacker, following docs/SECURITY.md ("Keys"):
// what the relay does once a client has wrapped to its key.
func openV1As(t *testing.T, signed []byte, chat ids.Chat, epoch uint64, recipient ids.Account, attacker *relaytest.Device) (chatcrypto.EpochKey, bool) {
	t.Helper()
	// signed = [2, envelope, certificate, head seq, head hash, signature]
	var fields []cbor.RawMessage
	var env []byte
	if err := cbor.Unmarshal(signed, &fields); err != nil || len(fields) != 6 {
		t.Fatalf("signed entry: %v", err)
	}
	if err := cbor.Unmarshal(fields[1], &env); err != nil {
		t.Fatal(err)
	}
	if len(env) == 0 || env[0] != 1 {
		return chatcrypto.EpochKey{}, false
	}
	priv, err := hpke.NewDHKEMPrivateKey(attacker.Account.EncryptionKey())
	if err != nil {
		t.Fatal(err)
	}
	info := append([]byte("hush/v1/epoch-key-wrap"), chat[:]...)
	info = binary.BigEndian.AppendUint64(info, epoch)
	info = append(info, recipient[:]...)
	raw, err := hpke.Open(priv, hpke.HKDFSHA256(), hpke.ChaCha20Poly1305(), info, env[1:])
	if err != nil {
		return chatcrypto.EpochKey{}, false
	}
	k, err := chatcrypto.EpochKeyFromBytes(raw)
	return k, err == nil
}

// TestAttackErasesHistory (threat "the relay erases local history"): the relay stops
// listing Alice's chat with Bob and answers that it does not exist. An engine that
// obeys deletes the chat and everything in it; the real engine keeps it, readable,
// and marks it unavailable on this relay.
func TestAttackErasesHistory(t *testing.T) {
	for _, run := range runs {
		t.Run(run.name, func(t *testing.T) {
			w := newAttackWorld(t, weakIf(run.weak, func(c *checks) { c.obeyRelay = true }))
			ctx := context.Background()
			s, err := w.alice.engine.OpenDirect(ctx, w.bob.id())
			if err != nil {
				t.Fatal(err)
			}
			for i := range 3 {
				if _, err := w.bob.engine.Send(ctx, s.ID, body("Bob", i), nil); err != nil {
					t.Fatal(err)
				}
			}
			waitDelivered(t, w.alice, s.ID, w.bob, 3)
			w.evil.SetHook(func(tap *relaytest.Tap, dir relaytest.Direction, f wire.Frame) []wire.Frame {
				if tap.Account() != w.alice.id() {
					return []wire.Frame{f}
				}
				switch b := f.Body.(type) {
				case *wire.Chats:
					b.Chats = nil
				case *wire.GetChat, *wire.Fetch, *wire.FetchLog, *wire.FetchEpochs:
					return tap.Refuse(f, wire.CodeNotFound, "no such chat")
				}
				return []wire.Frame{f}
			})
			w.evil.Disconnect(w.alice.id()) // Alice reconnects and catches up
			if run.weak {
				testutil.Eventually(t, 20*time.Second, "Alice's chat deleted", func() bool {
					_, err := w.alice.engine.Summary(ctx, s.ID)
					return errors.Is(err, ErrNotFound)
				})
				return
			}
			testutil.Eventually(t, 20*time.Second, "Alice's chat marked unavailable", func() bool {
				return summaryOf(t, w.alice, s.ID).Hold == HoldUnavailable
			})
			if n := len(w.alice.allMessages(t, s.ID)); n != 3 {
				t.Fatalf("Alice holds %d messages, want the 3 she had", n)
			}
			// The relay serves it again: the chat is ordinary again.
			w.evil.SetHook(nil)
			w.evil.Disconnect(w.alice.id())
			testutil.Eventually(t, 20*time.Second, "Alice's chat available again", func() bool {
				return summaryOf(t, w.alice, s.ID).Hold == HoldNone
			})
			// Only the user deletes it: refused while it is an ordinary chat.
			if err := w.alice.engine.Delete(ctx, s.ID); !errors.Is(err, ErrForbidden) {
				t.Errorf("deleting a live chat: %v, want ErrForbidden", err)
			}
		})
	}
}

// TestAttackStrangerChat (threat "unwanted chats"): Mallory, whom Alice never added,
// puts her in a group. An engine without consent shows it like any chat and lists
// its members among her contacts; the real engine holds it as a request, lists no
// one, and declining with a block keeps Mallory's next group away.
func TestAttackStrangerChat(t *testing.T) {
	for _, run := range runs {
		t.Run(run.name, func(t *testing.T) {
			w := newAttackWorld(t, weakIf(run.weak, func(c *checks) { c.noConsent = true }))
			mallory := newPeer(t, "Mallory", w.evil.URL)
			mallory.register(t, "mallory")
			ctx := context.Background()
			if _, err := mallory.engine.AddContact(ctx, "alice"); err != nil {
				t.Fatal(err)
			}
			spam, err := mallory.engine.CreateGroup(ctx, "Free prizes", []ids.Account{w.alice.id()})
			if err != nil {
				t.Fatal(err)
			}
			testutil.Eventually(t, 20*time.Second, "Alice has the group", func() bool {
				_, err := w.alice.engine.Summary(ctx, spam.ID)
				return err == nil
			})
			// Delivered and read marks would tell Mallory the group reached Alice and
			// was seen before she chose to accept it.
			var mu sync.Mutex
			marked := map[ids.Chat]bool{}
			w.evil.SetHook(func(tap *relaytest.Tap, dir relaytest.Direction, f wire.Frame) []wire.Frame {
				if mk, ok := f.Body.(*wire.Mark); ok && dir == relaytest.ToRelay && tap.Account() == w.alice.id() {
					mu.Lock()
					marked[mk.ChatID] = true
					mu.Unlock()
				}
				return []wire.Frame{f}
			})
			sawMark := func(id ids.Chat) bool {
				mu.Lock()
				defer mu.Unlock()
				return marked[id]
			}
			if _, err := mallory.engine.Send(ctx, spam.ID, "Claim your prize", nil); err != nil {
				t.Fatal(err)
			}
			testutil.Eventually(t, 20*time.Second, "Alice has Mallory's message", func() bool {
				return len(w.alice.allMessages(t, spam.ID)) == 1
			})
			readErr := w.alice.engine.MarkRead(ctx, spam.ID)
			w.alice.engine.marks.queue(spam.ID)
			w.alice.engine.marks.send(ctx)
			if run.weak {
				if readErr != nil {
					t.Fatalf("marking read: %v", readErr)
				}
				testutil.Eventually(t, 20*time.Second, "Alice's marks reach the relay", func() bool { return sawMark(spam.ID) })
			} else {
				if !errors.Is(readErr, ErrForbidden) {
					t.Errorf("marking a request read: %v, want ErrForbidden", readErr)
				}
				if sawMark(spam.ID) {
					t.Error("Alice's device marked a request delivered or read")
				}
				if _, err := w.alice.engine.Send(ctx, spam.ID, "who are you?", nil); !errors.Is(err, ErrForbidden) {
					t.Errorf("answering a request: %v, want ErrForbidden", err)
				}
			}
			listed := func() bool {
				cs, err := w.alice.engine.Contacts(ctx)
				if err != nil {
					t.Fatal(err)
				}
				for _, c := range cs {
					if c.Account == mallory.id() {
						return true
					}
				}
				return false
			}
			if run.weak {
				testutil.Eventually(t, 20*time.Second, "the group shown as Alice's own, its owner listed", func() bool {
					return summaryOf(t, w.alice, spam.ID).Hold != HoldRequest && listed()
				})
				return
			}
			sum := summaryOf(t, w.alice, spam.ID)
			if sum.RequestBy != mallory.id() || sum.RequestByName != "Mallory" {
				t.Errorf("the request names %v %q, want Mallory", sum.RequestBy, sum.RequestByName)
			}
			hold := sum.Hold
			if hold != HoldRequest || listed() {
				t.Fatalf("Alice's group from a stranger: hold %v, Mallory listed %v; want a request and no contact", hold, listed())
			}
			// A request accepted is delivered, and Mallory hears so.
			swap, err := mallory.engine.CreateGroup(ctx, "Book swap", []ids.Account{w.alice.id()})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := mallory.engine.Send(ctx, swap.ID, "Any thrillers?", nil); err != nil {
				t.Fatal(err)
			}
			testutil.Eventually(t, 20*time.Second, "Alice has the second group's message", func() bool {
				_, err := w.alice.engine.Summary(ctx, swap.ID)
				return err == nil && len(w.alice.allMessages(t, swap.ID)) == 1
			})
			if _, err := w.alice.engine.Accept(ctx, swap.ID); err != nil {
				t.Fatal(err)
			}
			testutil.Eventually(t, 20*time.Second, "Mallory's message delivered once accepted", func() bool {
				ms := mallory.allMessages(t, swap.ID)
				return sawMark(swap.ID) && len(ms) == 1 && ms[0].Status >= policy.StatusDelivered
			})
			if err := w.alice.engine.Decline(ctx, spam.ID, true); err != nil {
				t.Fatal(err)
			}
			if _, err := w.alice.engine.Summary(ctx, spam.ID); !errors.Is(err, ErrNotFound) {
				t.Errorf("the declined group is still here: %v", err)
			}
			again, err := mallory.engine.CreateGroup(ctx, "Free prizes, again", []ids.Account{w.alice.id()})
			if err != nil {
				t.Fatal(err)
			}
			testutil.Eventually(t, 20*time.Second, "Alice's device saw it", func() bool {
				_, meta, err := w.alice.engine.keys.roster.held(ctx, again.ID)
				return err == nil && meta.Request == requestDeclined
			})
			list, err := w.alice.engine.List(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range list {
				if c.ID == again.ID || c.ID == spam.ID {
					t.Errorf("a blocked account's group is listed: %+v", c)
				}
			}
		})
	}
}

// TestAttackWithheldMessage (threat "drops are undetectable"): the relay accepts
// Bob's second message — it answers Bob that the message is stored — and keeps it
// from everyone. An engine that ignores the senders' counters never knows; the real
// engine says a message from Bob never arrived, at its next catch-up.
func TestAttackWithheldMessage(t *testing.T) {
	for _, run := range runs {
		t.Run(run.name, func(t *testing.T) {
			w := newAttackWorld(t, weakIf(run.weak, func(c *checks) { c.noCounters = true }))
			ctx := context.Background()
			s, err := w.alice.engine.OpenDirect(ctx, w.bob.id())
			if err != nil {
				t.Fatal(err)
			}
			var mu sync.Mutex
			sends := 0
			w.evil.SetHook(func(tap *relaytest.Tap, dir relaytest.Direction, f wire.Frame) []wire.Frame {
				b, ok := f.Body.(*wire.Send)
				if !ok || tap.Account() != w.bob.id() {
					return []wire.Frame{f}
				}
				mu.Lock()
				sends++
				n := sends
				mu.Unlock()
				if n != 2 {
					return []wire.Frame{f}
				}
				tap.Inject(relaytest.ToDevice, wire.Frame{ReqID: f.ReqID, Body: &wire.Ack{ChatID: b.ChatID, MsgID: b.MsgID, Seq: 1000, ServerTime: time.Now().UnixMilli()}})
				return nil
			})
			for i := range 3 {
				if _, err := w.bob.engine.Send(ctx, s.ID, body("Bob", i), nil); err != nil {
					t.Fatal(err)
				}
			}
			waitDelivered(t, w.alice, s.ID, w.bob, 2)
			w.evil.Disconnect(w.alice.id()) // the next catch-up
			missing := func() bool {
				for _, warn := range of[Warning](w.alice.events) {
					if warn.Kind == WarnMessagesMissing && warn.Account == w.bob.id() && warn.Count == 1 {
						return true
					}
				}
				return false
			}
			if run.weak {
				time.Sleep(time.Second)
				if missing() {
					t.Fatal("noticed without the counters")
				}
				if n := len(w.alice.allMessages(t, s.ID)); n != 2 {
					t.Fatalf("Alice holds %d messages, want 2", n)
				}
				return
			}
			testutil.Eventually(t, 20*time.Second, "Alice told a message never arrived", missing)
			lines := w.alice.allLines(t, s.ID)
			if len(lines) != 1 || lines[0].Service.Kind != ServiceGap || lines[0].Service.Count != 1 || lines[0].Service.Targets[0].Account != w.bob.id() {
				t.Fatalf("Alice's lines %+v, want one gap line for Bob", lines)
			}
		})
	}
}

// TestAttackRelayTime (threat "the displayed time is the relay's"): the relay
// dates Bob's message three days back. An engine that shows the relay's time shows
// it three days old; the real engine shows when Bob wrote it, and marks that the
// relay's clock disagrees.
func TestAttackRelayTime(t *testing.T) {
	for _, run := range runs {
		t.Run(run.name, func(t *testing.T) {
			w := newAttackWorld(t, weakIf(run.weak, func(c *checks) { c.relayTime = true }))
			ctx := context.Background()
			s, err := w.alice.engine.OpenDirect(ctx, w.bob.id())
			if err != nil {
				t.Fatal(err)
			}
			back := func(e *wire.Entry) { e.ServerTime -= (72 * time.Hour).Milliseconds() }
			w.evil.SetHook(func(tap *relaytest.Tap, dir relaytest.Direction, f wire.Frame) []wire.Frame {
				if tap.Account() == w.alice.id() {
					switch b := f.Body.(type) {
					case *wire.Push:
						back(&b.Entry)
					case *wire.Page:
						for i := range b.Entries {
							back(&b.Entries[i])
						}
					}
				}
				return []wire.Frame{f}
			})
			sent := time.Now()
			if _, err := w.bob.engine.Send(ctx, s.ID, "written just now", nil); err != nil {
				t.Fatal(err)
			}
			waitDelivered(t, w.alice, s.ID, w.bob, 1)
			m := w.alice.allMessages(t, s.ID)[0]
			off := m.SentAt.Sub(sent).Abs()
			if run.weak {
				if off < 71*time.Hour {
					t.Fatalf("the attack did not work without the protection: shown %v off", off)
				}
				return
			}
			if off > time.Minute || !m.ClockOff {
				t.Fatalf("shown %v off the time Bob wrote it, clock off %v; want Bob's time, marked", off, m.ClockOff)
			}
		})
	}
}

// TestForgedAndForkedLogs: the relay puts a record into the chat's log that no
// member may sign (its own account adding itself), and, in another chat, shows one
// member a record that continues another history than the one it holds. Both chats
// freeze with their warnings; members, roles and keys stay as the verified log says.
// (These are attacks on the membership log itself, which earlier versions did not
// have: there is no weaker engine to show them working against.)
func TestForgedAndForkedLogs(t *testing.T) {
	w := newAttackWorld(t, nil)
	ctx := context.Background()
	forged := w.group(t, policy.KindGroup)
	st, err := w.bob.engine.keys.roster.state(ctx, forged)
	if err != nil {
		t.Fatal(err)
	}
	mallorySigner := relaytest.Signer(t, w.mallory)
	rec, err := mallorySigner.Sign(forged, st.Len, st.Head, time.Now(), membership.Change{Op: membership.OpAdd,
		Members: []membership.Member{{Account: w.mallory.AccountID(), Role: policy.RoleAdmin}}})
	if err != nil {
		t.Fatal(err)
	}
	w.evil.SetHook(func(tap *relaytest.Tap, dir relaytest.Direction, f wire.Frame) []wire.Frame {
		switch b := f.Body.(type) {
		case *wire.ChatInfo:
			if b.ChatID == forged {
				b.LogLen = st.Len + 1
			}
		case *wire.Log:
			if b.ChatID == forged && b.From == st.Len {
				b.Records, b.More = [][]byte{rec.Raw}, false
			}
		}
		return []wire.Frame{f}
	})
	w.evil.Push(w.bob.id(), &wire.ChatChanged{Chat: wire.ChatInfo{ChatID: forged, Kind: policy.KindGroup, LogLen: st.Len + 1}})
	testutil.Eventually(t, 20*time.Second, "Bob's chat frozen", func() bool { return summaryOf(t, w.bob, forged).Hold == HoldTampered })
	if ms, err := w.bob.engine.Members(ctx, forged); err != nil || roleIn(ms, w.mallory.AccountID()) != 0 || len(ms) != 3 {
		t.Errorf("Bob's members after a forged record: %+v, %v", ms, err)
	}
	if _, err := w.bob.engine.Send(ctx, forged, "anyone?", nil); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	if n := w.bob.outboxLen(t); n != 1 {
		t.Errorf("Bob's outbox holds %d, want the message kept back", n)
	}

	// A fork: Carol is shown a record at the next place that follows another head
	// than hers (Alice signed it, so it verifies on its own).
	w.evil.SetHook(nil)
	other := w.group(t, policy.KindGroup)
	cst, err := w.carol.engine.keys.roster.state(ctx, other)
	if err != nil {
		t.Fatal(err)
	}
	aliceSigner, err := membership.NewSigner(w.alice.dev, w.alice.cert)
	if err != nil {
		t.Fatal(err)
	}
	branch, err := aliceSigner.Sign(other, cst.Len, membership.Hash{7}, time.Now(), membership.Change{Op: membership.OpTitle, Title: relaytest.Title(other, "Another history")})
	if err != nil {
		t.Fatal(err)
	}
	w.evil.SetHook(func(tap *relaytest.Tap, dir relaytest.Direction, f wire.Frame) []wire.Frame {
		if b, ok := f.Body.(*wire.Log); ok && b.ChatID == other && b.From == cst.Len {
			b.Records, b.More = [][]byte{branch.Raw}, false
		}
		if b, ok := f.Body.(*wire.ChatInfo); ok && b.ChatID == other {
			b.LogLen = cst.Len + 1
		}
		return []wire.Frame{f}
	})
	w.evil.Push(w.carol.id(), &wire.ChatChanged{Chat: wire.ChatInfo{ChatID: other, Kind: policy.KindGroup, LogLen: cst.Len + 1}})
	testutil.Eventually(t, 20*time.Second, "Carol's chat frozen", func() bool {
		for _, warn := range of[Warning](w.carol.events) {
			if warn.Kind == WarnLogFork && warn.Chat == other {
				return summaryOf(t, w.carol, other).Hold == HoldTampered
			}
		}
		return false
	})
	if got := summaryOf(t, w.carol, other).Title; got != "Friends" {
		t.Errorf("Carol's title %q after a forked record", got)
	}
}

// TestAttackDeviceLists (threats "the relay adds a device", "the relay hides a
// revocation"): Alice links a laptop, Bob reads it, Alice revokes it. The relay then
// shows Bob the list from before the revocation (replay), and a list of its own that
// names a device of the operator's as Alice's. An engine that takes the relay's word
// un-revokes the laptop and adopts the operator's device; the real engine keeps the
// revocation, adopts nothing, and warns.
func TestAttackDeviceLists(t *testing.T) {
	for _, run := range runs {
		t.Run(run.name, func(t *testing.T) {
			w := newAttackWorld(t, weakIf(run.weak, func(c *checks) { c.relayDevices = true }))
			ctx := context.Background()
			var mu sync.Mutex
			var lists [][]byte // Alice's lists as the relay pushed them to Bob
			w.evil.SetHook(func(tap *relaytest.Tap, dir relaytest.Direction, f wire.Frame) []wire.Frame {
				if p, ok := f.Body.(*wire.DeviceListPush); ok && tap.Account() == w.bob.id() && p.AccountID == w.alice.id() {
					mu.Lock()
					lists = append(lists, bytes.Clone(p.List))
					mu.Unlock()
				}
				return []wire.Frame{f}
			})
			s, err := w.alice.engine.OpenDirect(ctx, w.bob.id())
			if err != nil {
				t.Fatal(err)
			}
			if _, err := w.bob.engine.Accept(ctx, s.ID); err != nil {
				t.Fatal(err)
			}
			laptop := newDevice(t, w.alice, "Alice's laptop")
			laptop.online(t)
			testutil.Eventually(t, 20*time.Second, "Bob learns of the laptop", func() bool {
				d, ok := deviceIn(t, w.bob, laptop)
				return ok && !d.Revoked
			})
			if err := w.alice.engine.RevokeDevice(ctx, laptop.dev.ID()); err != nil {
				t.Fatal(err)
			}
			testutil.Eventually(t, 20*time.Second, "Bob learns of the revocation", func() bool {
				d, ok := deviceIn(t, w.bob, laptop)
				return ok && d.Revoked
			})
			mu.Lock()
			if len(lists) < 2 {
				mu.Unlock()
				t.Fatalf("the relay saw %d lists of Alice's go to Bob, want the one naming the laptop and the revocation", len(lists))
			}
			beforeRevocation := lists[len(lists)-2]
			mu.Unlock()

			operatorsIsAlices := func(id ids.Device) bool {
				var d vault.Device
				err := w.bob.vault.View(ctx, func(tx *vault.Tx) error {
					var err error
					d, err = tx.Device(id)
					return err
				})
				return err == nil && d.AccountID == w.alice.id() && !d.Revoked
			}

			// Replay: the list that still names the laptop.
			w.evil.Push(w.bob.id(), &wire.DeviceListPush{AccountID: w.alice.id(), List: beforeRevocation})
			if run.weak {
				testutil.Eventually(t, 20*time.Second, "the replay to bring the laptop back", func() bool {
					d, ok := deviceIn(t, w.bob, laptop)
					return ok && !d.Revoked
				})
			}
			// Forgery: the operator's own device, in a list its own key signed.
			mine := relaytest.Sibling(t, w.mallory)
			forged, err := identity.IssueDeviceList(w.mallory.Account, identity.DeviceList{
				Version: 99, IssuedAt: time.Now(),
				Devices: []identity.ListedDevice{{Key: mine.Key.Public(), Name: "Alice's new phone", Platform: "linux"}},
			})
			if err != nil {
				t.Fatal(err)
			}
			w.evil.Push(w.bob.id(), &wire.DeviceListPush{AccountID: w.alice.id(), List: forged})
			if run.weak {
				testutil.Eventually(t, 20*time.Second, "the forged list to add the operator's device", func() bool {
					return operatorsIsAlices(mine.DeviceID())
				})
				return
			}
			testutil.Eventually(t, 20*time.Second, "Bob's warnings", func() bool {
				var rollback, invalid bool
				for _, wn := range of[Warning](w.bob.events) {
					rollback = rollback || (wn.Kind == WarnDeviceListRollback && wn.Account == w.alice.id())
					invalid = invalid || (wn.Kind == WarnDeviceListInvalid && wn.Account == w.alice.id())
				}
				return rollback && invalid
			})
			if d, ok := deviceIn(t, w.bob, laptop); !ok || !d.Revoked {
				t.Errorf("Bob's record of the revoked laptop after the replay: %+v", d)
			}
			if operatorsIsAlices(mine.DeviceID()) {
				t.Error("Bob took the operator's device for Alice's")
			}
		})
	}
}

// TestAttackRefusedRevocation: the relay refuses to store Alice's revocation of her
// laptop (it answers the new list with an error and drops it). Alice is told — the
// revocation fails with the relay's error — and nothing half-done remains: her
// device still lists the laptop as hers, and neither she nor Bob holds it as
// revoked. Once the relay takes the list, the revocation goes through.
func TestAttackRefusedRevocation(t *testing.T) {
	w := newAttackWorld(t, nil)
	ctx := context.Background()
	s, err := w.alice.engine.OpenDirect(ctx, w.bob.id())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.bob.engine.Accept(ctx, s.ID); err != nil {
		t.Fatal(err)
	}
	laptop := newDevice(t, w.alice, "Alice's laptop")
	laptop.online(t)
	testutil.Eventually(t, 20*time.Second, "Bob learns of the laptop", func() bool {
		d, ok := deviceIn(t, w.bob, laptop)
		return ok && !d.Revoked
	})
	var refused atomic.Int32
	w.evil.SetHook(func(tap *relaytest.Tap, dir relaytest.Direction, f wire.Frame) []wire.Frame {
		if _, ok := f.Body.(*wire.PutDeviceList); ok && dir == relaytest.ToRelay && tap.Account() == w.alice.id() {
			refused.Add(1)
			if err := tap.Inject(relaytest.ToDevice, wire.Frame{ReqID: f.ReqID, Body: &wire.Error{Code: wire.CodeInternal, Message: "not today"}}); err != nil {
				t.Error(err)
			}
			return nil
		}
		return []wire.Frame{f}
	})
	err = w.alice.engine.RevokeDevice(ctx, laptop.dev.ID())
	if err == nil || refused.Load() == 0 {
		t.Fatalf("revocation against a refusing relay: %v (%d lists refused)", err, refused.Load())
	}
	listed := func(p *peer) bool {
		ds, err := p.engine.Devices(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return slices.ContainsFunc(ds, func(d OwnDevice) bool { return d.ID == laptop.dev.ID() })
	}
	if !listed(w.alice) {
		t.Error("after the refusal Alice's device no longer lists the laptop")
	}
	if d, ok := deviceIn(t, w.alice, laptop); !ok || d.Revoked {
		t.Errorf("after the refusal Alice holds the laptop as %+v", d)
	}
	if d, ok := deviceIn(t, w.bob, laptop); !ok || d.Revoked {
		t.Errorf("after the refusal Bob holds the laptop as %+v", d)
	}

	w.evil.SetHook(nil)
	if err := w.alice.engine.RevokeDevice(ctx, laptop.dev.ID()); err != nil {
		t.Fatal(err)
	}
	if listed(w.alice) {
		t.Error("the revocation went through, and the laptop is still listed")
	}
	testutil.Eventually(t, 20*time.Second, "Bob learns of the revocation", func() bool {
		d, ok := deviceIn(t, w.bob, laptop)
		return ok && d.Revoked
	})
}

// TestAttackRelayClaimsRemoval (threat "the relay removes a member"): the relay tells
// Carol, in every chat description it gives her, that she is no longer a member of
// a group — though no member signed her removal — and goes on serving her the chat.
// An engine that takes the relay's member list as its word holds the chat, read-only;
// the real engine shows no removal (no line, no "removed" hold), and Carol writes on.
func TestAttackRelayClaimsRemoval(t *testing.T) {
	for _, run := range runs {
		t.Run(run.name, func(t *testing.T) {
			w := newAttackWorld(t, weakIf(run.weak, func(c *checks) { c.relayRemoves = true }))
			ctx := context.Background()
			chat := w.group(t, policy.KindGroup)
			carol := w.carol.id()
			without := func(ms []wire.MemberInfo) []wire.MemberInfo {
				return slices.DeleteFunc(ms, func(m wire.MemberInfo) bool { return m.AccountID == carol })
			}
			var claims atomic.Int64
			w.evil.SetHook(func(tap *relaytest.Tap, dir relaytest.Direction, f wire.Frame) []wire.Frame {
				if dir != relaytest.ToDevice || tap.Account() != carol {
					return []wire.Frame{f}
				}
				switch b := f.Body.(type) {
				case *wire.ChatInfo:
					if b.ChatID == chat {
						b.Members = without(b.Members)
						claims.Add(1)
					}
				case *wire.ChatChanged:
					b.Chat.Members = without(b.Chat.Members)
				}
				return []wire.Frame{f}
			})
			w.carol.events.reset()
			w.evil.Disconnect(carol) // Carol reconnects and reads the chat's description
			testutil.Eventually(t, 20*time.Second, "Carol reads the relay's claim", func() bool {
				if claims.Load() == 0 {
					return false
				}
				for _, c := range of[Chat](w.carol.events) {
					if c.ID == chat {
						return true // what she made of it is stored
					}
				}
				return false
			})
			if run.weak {
				testutil.Eventually(t, 20*time.Second, "Carol's chat held read-only", func() bool {
					return summaryOf(t, w.carol, chat).Hold == HoldUnavailable
				})
				return
			}
			s := summaryOf(t, w.carol, chat)
			if s.Hold != HoldNone || !s.CanPost || s.RemovedBy != (ids.Account{}) {
				t.Fatalf("Carol's chat after the relay's claim: hold %v, can post %v, removed by %v", s.Hold, s.CanPost, s.RemovedBy)
			}
			for _, l := range w.carol.allLines(t, chat) {
				if l.Service.Kind == ServiceRemoved {
					t.Fatalf("Carol's chat shows a removal no one signed: %+v", l)
				}
			}
			if _, err := w.carol.engine.Send(ctx, chat, "I am still here", nil); err != nil {
				t.Fatal(err)
			}
			waitDelivered(t, w.bob, chat, w.carol, 1)
		})
	}
}
