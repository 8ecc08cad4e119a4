package chat

import (
	"context"
	"strings"
	"testing"
	"time"

	"hush/ids"
	"hush/relay/relaytest"
	"hush/sync/wire"
	"hush/vault"
)

// revoke revokes dev, a device of p's account, through a raw connection of p's
// device, as the relay protocol does it (signed by the account key).
func revoke(t *testing.T, r *relaytest.Relay, p, dev *peer) {
	t.Helper()
	raw := relaytest.Dial(t, r, p.device())
	id := ids.Device(dev.dev.ID())
	sig := p.acct.Sign(wire.RevokeLabel, wire.RevokeMessage(ids.Account(p.acct.ID()), id))
	if _, err := raw.Request(context.Background(), &wire.RevokeDevice{DeviceID: id, Signature: sig}); err != nil {
		t.Fatalf("revoke %s: %v", dev.name, err)
	}
	raw.Close()
}

// deviceIn reads what p's vault holds about dev's device.
func deviceIn(t *testing.T, p, dev *peer) (vault.Device, bool) {
	t.Helper()
	var d vault.Device
	var found bool
	err := p.vault.View(context.Background(), func(tx *vault.Tx) error {
		var err error
		d, err = tx.Device(dev.dev.ID())
		found = err == nil
		if !found {
			return nil
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return d, found
}

// sendAcked sends a message from p and waits until the relay has acknowledged it.
func sendAcked(t *testing.T, p *peer, chatID ids.Chat, text string) {
	t.Helper()
	m, err := p.engine.Send(context.Background(), chatID, text, nil)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, p.name+"'s message acknowledged", func() bool {
		for _, x := range p.allMessages(t, chatID) {
			if x.ID == m.ID && x.Seq > 0 {
				return true
			}
		}
		return false
	})
}

func bodiesOf(msgs []Message) []string {
	out := make([]string, 0, len(msgs))
	for _, m := range msgs {
		out = append(out, m.Body)
	}
	return out
}

// TestRevokedDeviceDropped revokes two of Alice's devices at a real relay: one that
// Bob had seen post (he learns of the revocation from the device list at his next
// connection), and one that nobody saw before it was revoked. Messages those devices
// left in the chat log are dropped, with a warning, by every device that reads them
// after learning of the revocation; Alice's first device learns of one revocation
// from the relay's DeviceRevoked push and of the other from her own device list.
func TestRevokedDeviceDropped(t *testing.T) {
	r := startRelay(t)
	alice := newPeer(t, "Alice", "ws://"+r.Addr)
	bob := newPeer(t, "Bob", "ws://"+r.Addr)
	alice.register(t, "alice")
	bob.register(t, "bob")
	chatID := direct(t, alice, bob, "bob")
	ctx := context.Background()

	// Alice's laptop posts while it is hers; everyone accepts it.
	laptop := newDevice(t, alice, "Alice's laptop")
	laptop.online(t)
	waitFor(t, 20*time.Second, "the laptop has the chat", func() bool {
		_, err := laptop.engine.Summary(ctx, chatID)
		return err == nil
	})
	sendAcked(t, laptop, chatID, "hello from the laptop")
	for _, p := range []*peer{alice, bob} {
		waitFor(t, 20*time.Second, p.name+" reads the laptop", func() bool { return len(p.allMessages(t, chatID)) == 1 })
	}
	if d, ok := deviceIn(t, bob, laptop); !ok || d.Revoked || d.AccountID != alice.id() {
		t.Fatalf("Bob's record of the laptop: %+v, %v", d, ok)
	}

	// Bob is offline while the laptop (stolen, say) posts, then Alice revokes it.
	// Alice's first device is online: it takes the laptop's post live, and learns of
	// the revocation from the relay's push.
	bob.stop()
	sendAcked(t, laptop, chatID, "laptop spam")
	waitFor(t, 20*time.Second, "Alice has the laptop's post", func() bool { return len(alice.allMessages(t, chatID)) == 2 })
	revoke(t, r, alice, laptop)
	waitFor(t, 10*time.Second, "Alice records the revocation pushed to her", func() bool {
		d, ok := deviceIn(t, alice, laptop)
		return ok && d.Revoked
	})
	laptop.stop()

	// A phone of Alice's posts while Alice's first device and Bob are offline, and
	// is revoked before either ever saw it.
	alice.stop()
	phone := newDevice(t, alice, "Alice's phone")
	phone.online(t)
	waitFor(t, 20*time.Second, "the phone has the chat", func() bool {
		_, err := phone.engine.Summary(ctx, chatID)
		return err == nil
	})
	sendAcked(t, phone, chatID, "phone spam")
	revoke(t, r, phone, phone) // any device of the account may revoke; here itself
	phone.stop()

	alice.start(t)
	bob.start(t)
	alice.online(t)
	bob.online(t)
	waitFor(t, 20*time.Second, "Bob's warnings", func() bool { return len(of[Warning](bob.events)) >= 2 })
	waitFor(t, 20*time.Second, "Alice's warning", func() bool { return len(of[Warning](alice.events)) >= 1 })

	// Everything after a revocation still works, and is read by both.
	if _, err := alice.engine.Send(ctx, chatID, "still here", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.engine.Send(ctx, chatID, "me too", nil); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "Bob reads Alice", func() bool { return len(bob.allMessages(t, chatID)) == 3 })
	waitFor(t, 20*time.Second, "Alice reads Bob", func() bool { return len(alice.allMessages(t, chatID)) == 4 })

	if got := bodiesOf(bob.allMessages(t, chatID)); strings.Join(got, "|") != "hello from the laptop|still here|me too" &&
		strings.Join(got, "|") != "hello from the laptop|me too|still here" {
		t.Errorf("Bob holds %q, want nothing the revoked devices posted after he last read", got)
	}
	if got := bodiesOf(alice.allMessages(t, chatID)); len(got) != 4 || got[0] != "hello from the laptop" || got[1] != "laptop spam" {
		t.Errorf("Alice holds %q, want the laptop's posts she took before the revocation, and not the phone's", got)
	}
	for _, c := range []struct {
		p    *peer
		want int
	}{{bob, 2}, {alice, 1}} {
		w := of[Warning](c.p.events)
		if len(w) != c.want {
			t.Errorf("%s: %d warnings %+v, want %d", c.p.name, len(w), w, c.want)
		}
		for _, x := range w {
			if x.Chat != chatID || x.Kind != WarnRevokedDevice {
				t.Errorf("%s: warning %+v, want one about a revoked device", c.p.name, x)
			}
		}
		for _, dev := range []*peer{laptop, phone} {
			if d, ok := deviceIn(t, c.p, dev); !ok || !d.Revoked || d.AccountID != alice.id() {
				t.Errorf("%s's record of %s: %+v (found %v), want revoked", c.p.name, dev.name, d, ok)
			}
		}
	}
	// Alice's own device is never marked revoked by her own lists.
	if d, ok := deviceIn(t, alice, alice); !ok || d.Revoked || !d.Own {
		t.Errorf("Alice's own device: %+v", d)
	}
}
