package chat

import (
	"context"
	"errors"
	"testing"
	"time"

	"hush/chatcrypto"
	"hush/identity"
	"hush/ids"
	"hush/internal/testutil"
	"hush/sync/wire"
)

// A new account publishes its first device list naming its device; rename and
// revoke publish the next versions, which the account's other device and a contact
// sharing a chat apply from the relay's push.
func TestOwnDeviceList(t *testing.T) {
	_, alice, bob, chatID := twoPeople(t)
	ctx := context.Background()
	testutil.Eventually(t, 20*time.Second, "Alice's first list", func() bool {
		ds, err := alice.engine.Devices(ctx)
		return err == nil && len(ds) == 1 && ds[0].This && ds[0].ID == alice.dev.ID()
	})
	laptop := newDevice(t, alice, "Alice's laptop")
	laptop.online(t)
	testutil.Eventually(t, 20*time.Second, "Alice's device sees the laptop", func() bool {
		ds, err := alice.engine.Devices(ctx)
		return err == nil && len(ds) == 2
	})
	testutil.Eventually(t, 20*time.Second, "the relay says when each device was last seen", func() bool {
		ds, err := alice.engine.Devices(ctx)
		return err == nil && len(ds) == 2 && !ds[0].LastSeen.IsZero() && !ds[1].LastSeen.IsZero()
	})
	if err := alice.engine.RenameDevice(ctx, laptop.dev.ID(), "  Work laptop "); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 20*time.Second, "the laptop sees its new name", func() bool {
		ds, err := laptop.engine.Devices(ctx)
		if err != nil || len(ds) != 2 {
			return false
		}
		return ds[1].Name == "Work laptop" && ds[1].This && !ds[0].This
	})

	for _, c := range []struct {
		name string
		id   ids.Device
		new  string
		want error
	}{
		{"empty name", laptop.dev.ID(), "  ", ErrInvalid},
		{"unknown device", ids.Device{1}, "x", ErrNotFound},
	} {
		if err := alice.engine.RenameDevice(ctx, c.id, c.new); !errors.Is(err, c.want) {
			t.Errorf("%s: RenameDevice = %v, want %v", c.name, err, c.want)
		}
	}
	if err := alice.engine.RevokeDevice(ctx, alice.dev.ID()); !errors.Is(err, ErrInvalid) {
		t.Errorf("revoking this device = %v, want ErrInvalid", err)
	}

	// Revoking the laptop: Bob learns it from the push; the laptop is told and refused.
	keysBefore := laptop.epochKeys(t, chatID)
	if err := alice.engine.RevokeDevice(ctx, laptop.dev.ID()); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 20*time.Second, "Bob applies the revocation", func() bool {
		d, ok := deviceIn(t, bob, laptop)
		return ok && d.Revoked
	})
	testutil.Eventually(t, 20*time.Second, "the laptop learns it was removed", func() bool {
		for _, c := range of[DevicesChange](laptop.events) {
			if c.Removed {
				return true
			}
		}
		return errors.Is(laptop.engine.Connection().Err, ErrRefused)
	})
	testutil.Eventually(t, 20*time.Second, "the laptop refused", func() bool {
		return errors.Is(laptop.engine.Connection().Err, ErrRefused)
	})

	// The chat has a new key that the laptop never held, and what Alice writes now
	// opens with none of the laptop's keys.
	after := alice.epochKeys(t, chatID)
	if newest(after) <= newest(keysBefore) {
		t.Fatalf("no new epoch after the revocation: %d, the laptop holds up to %d", newest(after), newest(keysBefore))
	}
	if _, err := alice.engine.Send(ctx, chatID, "after the revocation", nil); err != nil {
		t.Fatal(err)
	}
	waitDelivered(t, bob, chatID, alice, 1)
	entries := relayEntries(t, alice, chatID)
	last := entries[len(entries)-1]
	for ep, k := range laptop.epochKeys(t, chatID) {
		if _, err := chatcrypto.Open(last.Ciphertext, chatcrypto.OpenParams{ChatID: chatID, Epoch: ep, EpochKey: k, MessageID: last.MsgID, Sender: alice.acct.Public()}); err == nil {
			t.Fatalf("the revoked laptop opens a message sent after the revocation with its key of epoch %d", ep)
		}
	}
}

// A device list that the account's other device published meanwhile (a conflict at
// the relay) is looked up and the change made on top of it.
func TestPublishListConflict(t *testing.T) {
	_, alice, _ := registered(t)
	ctx := context.Background()
	testutil.Eventually(t, 20*time.Second, "Alice's first list", func() bool {
		_, err := alice.engine.Devices(ctx)
		return err == nil
	})
	extra, err := identity.NewDeviceKey()
	if err != nil {
		t.Fatal(err)
	}
	// Another device (raw) publishes version 2 behind the engine's back.
	publishRaw(t, alice, func(l *identity.DeviceList) {
		l.Devices = append(l.Devices, identity.ListedDevice{Key: extra.Public(), Name: "tablet", Platform: "linux"})
	})
	if err := alice.engine.RenameDevice(ctx, alice.dev.ID(), "Desk"); err != nil {
		t.Fatal(err)
	}
	ds, err := alice.engine.Devices(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 2 || ds[0].Name != "Desk" || ds[1].Name != "tablet" {
		t.Fatalf("devices after the conflict: %+v", ds)
	}
}

// relayEntries reads a chat's log as the relay holds it, through p's connection.
func relayEntries(t *testing.T, p *peer, chatID ids.Chat) []wire.Entry {
	t.Helper()
	page, err := doAs[*wire.Page](context.Background(), p.engine.link, &wire.Fetch{ChatID: chatID})
	if err != nil {
		t.Fatal(err)
	}
	return page.Entries
}
