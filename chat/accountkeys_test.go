package chat

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"hush/chatcrypto"
	"hush/identity"
	"hush/ids"
	"hush/internal/testutil"
	"hush/sync/wire"
	"hush/vault"
)

// TestAttackRevokedDeviceReadsLaterEpochs is the colluding relay of
// docs/SECURITY.md ("Revocation and the account's keys"): after Alice revokes her
// laptop, the relay hands the laptop the key-log entries wrapped to Alice's account
// since — by Alice in her chat with Bob (rotated for the revocation) and by Bob in
// a group he makes afterwards. The laptop still holds the account key. With the
// protection, those entries are wrapped to a new ML-KEM key whose seed only Alice's
// remaining devices got, and the laptop opens none of them while her phone opens
// all; without it (the account keeps its ML-KEM key), the laptop opens them.
func TestAttackRevokedDeviceReadsLaterEpochs(t *testing.T) {
	for _, weak := range []bool{true, false} {
		name := "protected"
		if weak {
			name = "account keeps its ML-KEM key"
		}
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			_, alice, bob, chatID := twoPeople(t)
			alice.engine.checks.keepKEM = weak
			phone, laptop := devicesWithPrekeys(t, alice)
			testutil.Eventually(t, 20*time.Second, "Alice lists three devices", func() bool {
				ds, err := alice.engine.Devices(ctx)
				return err == nil && len(ds) == 3
			})
			oldKEM := alice.acct.Public().KEMKey().Bytes()

			if err := alice.engine.RevokeDevice(ctx, laptop.dev.ID()); err != nil {
				t.Fatal(err)
			}
			newKEM := alice.acct.Public().KEMKey().Bytes()
			if rotated := !bytes.Equal(oldKEM, newKEM); rotated == weak {
				t.Fatalf("ML-KEM key rotated: %v", rotated)
			}
			if !weak {
				testutil.Eventually(t, 20*time.Second, "the phone receives the new seed", func() bool {
					return phone.acct.HoldsCurrentKEM() && bytes.Equal(phone.acct.Public().KEMKey().Bytes(), newKEM)
				})
				testutil.Eventually(t, 20*time.Second, "Bob pins Alice's new ML-KEM key from her list", func() bool {
					return bytes.Equal(contactKEM(t, bob, alice), newKEM)
				})
				if bytes.Equal(laptop.acct.Public().KEMKey().Bytes(), newKEM) && laptop.acct.HoldsCurrentKEM() {
					t.Fatal("the revoked laptop holds the new seed")
				}
			}
			group, err := bob.engine.CreateGroup(ctx, "after the revocation", []ids.Account{alice.id()})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := alice.engine.Send(ctx, chatID, "after the revocation", nil); err != nil {
				t.Fatal(err)
			}
			testutil.Eventually(t, 20*time.Second, "the phone reads what Alice wrote after the revocation", func() bool {
				return hasBodies(phone, chatID, "after the revocation")
			})

			// A draft Alice types now follows her to the phone, through the account log.
			if _, err := alice.engine.SetDraft(ctx, chatID, "a draft after the revocation"); err != nil {
				t.Fatal(err)
			}
			testutil.Eventually(t, 20*time.Second, "the phone has Alice's draft", func() bool {
				c, err := phone.engine.Summary(ctx, chatID)
				return err == nil && c.Draft == "a draft after the revocation"
			})
			// The relay hands the laptop the account-log record of that draft.
			log, err := doAs[*wire.AccountPage](ctx, alice.engine.link, &wire.AccountFetch{})
			if err != nil || len(log.Entries) == 0 {
				t.Fatalf("account log: %v", err)
			}
			last := log.Entries[len(log.Entries)-1]
			draft, err := laptop.engine.acct.key.Open(last.RecordID, last.Ciphertext)
			if opened := err == nil && draft.Text == "a draft after the revocation"; opened != weak {
				t.Fatalf("the revoked laptop opened the draft record: %v (%v)", opened, err)
			}

			// The relay's key-log entries for Alice made after the revocation.
			laptopHeld := laptop.epochKeys(t, chatID)
			entries := map[ids.Chat][]wire.EpochKey{
				chatID:   epochsAfter(t, alice, chatID, newest(laptopHeld)),
				group.ID: epochsAfter(t, alice, group.ID, 0),
			}
			opened := 0
			for c, es := range entries {
				if len(es) == 0 {
					t.Fatalf("chat %v: no epoch after the revocation", c)
				}
				for _, e := range es {
					info, err := chatcrypto.ParseKeyLogEntry(e.Envelope, c, e.Epoch, alice.id())
					if err != nil {
						t.Fatal(err)
					}
					if _, err := info.Open(phone.acct); err != nil {
						t.Errorf("the phone cannot open epoch %d of %v: %v", e.Epoch, c, err)
					}
					_, err = info.Open(laptop.acct)
					switch {
					case err == nil:
						opened++
					case !errors.Is(err, chatcrypto.ErrDecrypt):
						t.Fatalf("epoch %d of %v: %v", e.Epoch, c, err)
					}
				}
			}
			if weak && opened == 0 {
				t.Fatal("without the protection the laptop opened nothing: the attack is not shown")
			}
			if !weak && opened != 0 {
				t.Fatalf("the revoked laptop opened %d epoch keys made after its revocation", opened)
			}
		})
	}
}

// TestNewAccountKeySurvives: the seeds a device received are in its vault (an app
// restarting loads them), a device linked later gets every seed in its bundle, and
// the history wrapped to the old key still opens everywhere.
func TestNewAccountKeySurvives(t *testing.T) {
	ctx := context.Background()
	_, alice, bob, chatID := twoPeople(t)
	sendAcked(t, bob, chatID, "before the revocation")
	phone, laptop := devicesWithPrekeys(t, alice)
	if err := alice.engine.RevokeDevice(ctx, laptop.dev.ID()); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 20*time.Second, "the phone receives the new seed", func() bool {
		return phone.acct.HoldsCurrentKEM() && bytes.Equal(phone.acct.Public().KEMKey().Bytes(), alice.acct.Public().KEMKey().Bytes())
	})
	for _, p := range []*peer{alice, phone} {
		k := vaultAccountKey(t, p)
		if got := len(k.KEMSeeds()); got != 2 {
			t.Fatalf("%s's vault holds %d ML-KEM seeds, want the old and the new", p.name, got)
		}
	}
	if owed := owedSeeds(t, alice); len(owed) != 0 {
		t.Fatalf("still owed after delivery: %v", owed)
	}

	// A device linked afterwards: the whole history, old epochs included, and
	// what is written now.
	tablet := newLinkedPeer(t, "Alice's tablet", alice.url, linkNewDevice(t, alice))
	if got := len(tablet.acct.KEMSeeds()); got != 2 {
		t.Fatalf("the tablet got %d ML-KEM seeds, want 2", got)
	}
	sendAcked(t, bob, chatID, "after the revocation")
	testutil.Eventually(t, 30*time.Second, "the tablet reads both", func() bool {
		return hasBodies(tablet, chatID, "before the revocation", "after the revocation")
	})
	noWarnings(t, phone, tablet)
}

// TestSeedsOwedUntilPrekeys: a device without prekeys at the relay when the key
// changes (listed, never connected since) is owed the seeds until it has some, and
// then gets them without the revoking device reconnecting; an account-log record
// it could not open meanwhile waits for them and is applied then.
func TestSeedsOwedUntilPrekeys(t *testing.T) {
	ctx := context.Background()
	_, alice, _, chatID := twoPeople(t)
	laptop := newDevice(t, alice, "Alice's laptop")
	laptop.online(t)
	phoneKey, err := identity.NewDeviceKey()
	if err != nil {
		t.Fatal(err)
	}
	phoneCert, err := identity.IssueCertificate(alice.acct, phoneKey.Public(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	publishRaw(t, alice, func(l *identity.DeviceList) {
		l.Devices = append(l.Devices, identity.ListedDevice{Key: phoneKey.Public(), Name: "Alice's phone", Platform: "linux", LinkedAt: time.Now()})
	})
	testutil.Eventually(t, 20*time.Second, "Alice lists three devices", func() bool {
		ds, err := alice.engine.Devices(ctx)
		return err == nil && len(ds) == 3
	})
	before := copyAccountKey(t, alice.acct) // what the phone's vault got when it was linked
	if err := alice.engine.RevokeDevice(ctx, laptop.dev.ID()); err != nil {
		t.Fatal(err)
	}
	if owed := owedSeeds(t, alice); len(owed) != 1 || owed[0] != phoneKey.ID() {
		t.Fatalf("owed %v, want the phone alone", owed)
	}
	if _, err := alice.engine.SetDraft(ctx, chatID, "written while the phone was away"); err != nil {
		t.Fatal(err)
	}
	phone := newPeerOfDevice(t, "Alice's phone", alice.url, before, phoneKey, phoneCert, nil, nil)
	if len(phone.acct.KEMSeeds()) != 1 {
		t.Fatal("the phone starts with the new seed")
	}
	phone.online(t)
	testutil.Eventually(t, 30*time.Second, "the phone gets the seeds once it has prekeys", func() bool {
		return len(phone.acct.KEMSeeds()) == 2 && phone.acct.HoldsCurrentKEM()
	})
	testutil.Eventually(t, 10*time.Second, "nothing owed any more", func() bool { return len(owedSeeds(t, alice)) == 0 })
	testutil.Eventually(t, 20*time.Second, "the draft that waited for the seeds", func() bool {
		c, err := phone.engine.Summary(ctx, chatID)
		return err == nil && c.Draft == "written while the phone was away"
	})
}

// devicesWithPrekeys adds a phone and a laptop to p's account, online and with
// prekeys at the relay (a seed box can be sealed to them).
func devicesWithPrekeys(t *testing.T, p *peer) (phone, laptop *peer) {
	t.Helper()
	phone = newDevice(t, p, p.name+"'s phone")
	laptop = newDevice(t, p, p.name+"'s laptop")
	for _, d := range []*peer{phone, laptop} {
		d.online(t)
		testutil.Eventually(t, 20*time.Second, d.name+" has prekeys", func() bool {
			s, err := d.engine.recv.prekeys.load(context.Background())
			return err == nil && s != nil
		})
	}
	return phone, laptop
}

// hasBodies reports whether p holds messages with every one of bodies in chatID
// (false while it does not hold the chat yet).
func hasBodies(p *peer, chatID ids.Chat, bodies ...string) bool {
	page, err := p.engine.Messages(context.Background(), chatID, "", 200)
	if err != nil {
		return false
	}
	seen := map[string]bool{}
	for _, m := range page.Messages {
		seen[m.Body] = true
	}
	for _, b := range bodies {
		if !seen[b] {
			return false
		}
	}
	return true
}

// contactKEM is the ML-KEM key p pinned for q.
func contactKEM(t *testing.T, p, q *peer) []byte {
	t.Helper()
	var kem []byte
	err := p.vault.View(context.Background(), func(tx *vault.Tx) error {
		c, err := tx.Contact(q.id())
		kem = c.KEMKey
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return kem
}

// epochsAfter returns the key-log entries for p's account of chatID's epochs after
// epoch, as the relay hands them out.
func epochsAfter(t *testing.T, p *peer, chatID ids.Chat, epoch uint64) []wire.EpochKey {
	t.Helper()
	page, err := doAs[*wire.Epochs](context.Background(), p.engine.link, &wire.FetchEpochs{ChatID: chatID, FromEpoch: epoch + 1})
	if err != nil {
		t.Fatal(err)
	}
	return page.Keys
}

// vaultAccountKey loads p's account key from its vault, as the app does at unlock.
func vaultAccountKey(t *testing.T, p *peer) *identity.AccountKey {
	t.Helper()
	var k *identity.AccountKey
	err := p.vault.View(context.Background(), func(tx *vault.Tx) error {
		a, err := tx.Account(p.id())
		if err != nil {
			return err
		}
		if k, err = identity.AccountKeyFromSeeds(a.SigningSeed, a.EncryptionKey, a.KEMSeed); err != nil {
			return err
		}
		_, err = k.AddKEMSeeds(a.OtherKEMSeeds)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// owedSeeds lists the devices p still owes the account's seeds.
func owedSeeds(t *testing.T, p *peer) []ids.Device {
	t.Helper()
	var out []ids.Device
	err := p.vault.View(context.Background(), func(tx *vault.Tx) error {
		var err error
		out, err = p.engine.courier.owed(tx)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
