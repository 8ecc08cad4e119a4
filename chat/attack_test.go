package chat

import (
	"bytes"
	"context"
	"crypto/hpke"
	"encoding/binary"
	"errors"
	"sync"
	"testing"
	"time"

	"hush/chatcrypto"
	"hush/ids"
	"hush/internal/testutil"
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

// readsWith reports whether any of keys opens a message of Alice's saying text.
func readsWith(w *attackWorld, entries []wire.Entry, chat ids.Chat, text string, keys map[uint64]chatcrypto.EpochKey) bool {
	for _, en := range entries {
		for ep, k := range keys {
			if ep != en.Epoch {
				continue
			}
			pt, err := chatcrypto.Open(en.Ciphertext, chatcrypto.OpenParams{ChatID: chat, Epoch: en.Epoch, EpochKey: k, MessageID: en.MsgID, Sender: w.alice.acct.Public()})
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
	envs map[uint64][]byte // Mallory's envelope of each epoch
	sent []*wire.Send
}

func (s *stolen) envelope(epoch uint64, env []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.envs == nil {
		s.envs = map[uint64][]byte{}
	}
	s.envs[epoch] = env
}

func (s *stolen) envelopes() map[uint64][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[uint64][]byte{}
	for k, v := range s.envs {
		out[k] = v
	}
	return out
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

				keys := map[uint64]chatcrypto.EpochKey{}
				for epoch, env := range loot.envelopes() {
					entry, err := chatcrypto.ParseKeyLogEntry(env, chat, epoch, mallory)
					if err != nil {
						t.Fatal(err)
					}
					if keys[epoch], err = entry.Open(w.mallory.Account); err != nil {
						t.Fatal(err)
					}
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
			if carolReads() || readsWith(w, w.messagesAtRelay(t, chat), chat, "now that Carol is gone", carolKeys) {
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
			keys := map[uint64]chatcrypto.EpochKey{}
			for epoch, env := range loot.envelopes() {
				entry, err := chatcrypto.ParseKeyLogEntry(env, s.ID, epoch, w.bob.id())
				if err != nil {
					t.Fatal(err)
				}
				if entry.Version != 2 {
					t.Fatalf("entry of version %d", entry.Version)
				}
				if k, ok := openV1As(t, env, s.ID, epoch, w.bob.id(), w.mallory); ok {
					keys[epoch] = k
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
