package app

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"hush/internal/testutil"
)

// linkEvent returns the newest link:progress event, if any.
func (r *dataRecorder) linkEvent() (LinkProgress, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := len(r.events) - 1; i >= 0; i-- {
		if p, ok := r.events[i].data.(LinkProgress); ok {
			return p, true
		}
	}
	return LinkProgress{}, false
}

// newcomer is a Core with no vault yet, against relayURL.
func newcomer(t *testing.T, relayURL string) (*Core, *AccountService, *dataRecorder) {
	t.Helper()
	dir := t.TempDir()
	c, err := New(Config{VaultPath: filepath.Join(dir, "vault.db"), DataDir: dir, Version: "test", VaultOptions: testVaultOptions(), DefaultRelayURL: relayURL})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Shutdown)
	rec := &dataRecorder{}
	c.SetEmitter(rec)
	return c, c.Services()[0].(*AccountService), rec
}

// Linking through the app: the new device shows a code, the existing one enters it,
// both show the same string, the user confirms, and the new device is unlocked with
// the account and its chat.
func TestLinkThroughTheApp(t *testing.T) {
	alice, _, chat := chatting(t)
	st, err := alice.conn.Status()
	if err != nil {
		t.Fatal(err)
	}
	devices := alice.core.Services()[5].(*DeviceService)
	testutil.Eventually(t, 20*time.Second, "Alice's device list", func() bool {
		ds, err := devices.List()
		return err == nil && len(ds) == 1 && ds[0].This
	})

	c, account, rec := newcomer(t, st.RelayURL)
	if _, err := account.LinkStart(st.RelayURL, "short"); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("a short passphrase: %v", err)
	}
	code, err := account.LinkStart(st.RelayURL, pass)
	if err != nil {
		t.Fatal(err)
	}
	if code.ExpiresAt <= time.Now().UnixMilli() {
		t.Errorf("the code expires at %d", code.ExpiresAt)
	}
	if _, err := devices.Link("HUSH:NOTACODE"); err == nil || err.Error() == "" {
		t.Errorf("a bad code: %v", err)
	}
	check, err := devices.Link(code.Code)
	if err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 20*time.Second, "the new device shows the string", func() bool {
		p, ok := rec.linkEvent()
		return ok && p.Stage == LinkStageCompare
	})
	p, _ := rec.linkEvent()
	if p.Digits != check.Digits || len(p.Emoji) != 5 || len(check.Emoji) != 5 || p.Emoji[0] != check.Emoji[0] {
		t.Fatalf("the devices show %v %s and %v %s", p.Emoji, p.Digits, check.Emoji, check.Digits)
	}
	if err := devices.ConfirmLink(check.SessionID, true); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 30*time.Second, "the new device is linked", func() bool {
		p, ok := rec.linkEvent()
		return ok && p.Stage == LinkStageLinked
	})
	s, err := account.Status()
	if err != nil || s.State != StateUnlocked {
		t.Fatalf("status after linking: %+v, %v", s, err)
	}
	chats := c.Services()[4].(*ChatService)
	testutil.Eventually(t, 30*time.Second, "the new device has the chat", func() bool {
		l, err := chats.List()
		return err == nil && len(l) == 1 && l[0].ID == chat.ID
	})
	testutil.Eventually(t, 20*time.Second, "Alice lists two devices", func() bool {
		ds, err := devices.List()
		return err == nil && len(ds) == 2
	})

	// Nothing to erase on a device that was not removed.
	if err := account.EraseDevice(); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("erasing a device still in its account: %v", err)
	}
	// Alice removes it: it learns so from the signed list, and can erase itself.
	ds, _ := devices.List()
	if err := devices.Revoke(ds[1].ID); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 20*time.Second, "the new device learns it was removed", func() bool {
		return rec.count("devices:changed", func(d any) bool {
			e := d.(DevicesChanged)
			return e.ThisDeviceRemoved && e.Verified
		}) > 0
	})
	if err := account.EraseDevice(); err != nil {
		t.Fatal(err)
	}
	if s, err := account.Status(); err != nil || s.State != StateNew {
		t.Fatalf("after erasing: %+v, %v", s, err)
	}
	if _, err := os.Stat(c.cfg.VaultPath); !os.IsNotExist(err) {
		t.Fatalf("the vault is still there: %v", err)
	}
}

// linkToAlice takes a new device through linking to Alice's account up to the
// comparison: Alice's devices, the new device's account service and events, and
// what Alice compares.
func linkToAlice(t *testing.T) (*DeviceService, *AccountService, *dataRecorder, LinkCheck) {
	t.Helper()
	alice, _, _ := chatting(t)
	st, _ := alice.conn.Status()
	devices := alice.core.Services()[5].(*DeviceService)
	testutil.Eventually(t, 20*time.Second, "Alice's device list", func() bool {
		_, err := devices.List()
		return err == nil
	})
	_, account, rec := newcomer(t, st.RelayURL)
	code, err := account.LinkStart(st.RelayURL, pass)
	if err != nil {
		t.Fatal(err)
	}
	check, err := devices.Link(code.Code)
	if err != nil {
		t.Fatal(err)
	}
	return devices, account, rec, check
}

// The new device is told when the user declines on the existing one.
func TestLinkDeclinedThroughTheApp(t *testing.T) {
	devices, account, rec, check := linkToAlice(t)
	if err := devices.ConfirmLink(check.SessionID, false); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 20*time.Second, "the new device hears no", func() bool {
		p, ok := rec.linkEvent()
		return ok && p.Stage == LinkStageFailed && p.Error != ""
	})
	if s, _ := account.Status(); s.State != StateNew {
		t.Errorf("a vault was made after a decline: %+v", s)
	}
}

// A device removed while it was locked learns it only from the relay's refusal when
// it unlocks: the removal shows, marked as the relay's word alone.
func TestRemovedWhileLocked(t *testing.T) {
	devices, account, rec, check := linkToAlice(t)
	if err := devices.ConfirmLink(check.SessionID, true); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 30*time.Second, "linked", func() bool {
		p, ok := rec.linkEvent()
		return ok && p.Stage == LinkStageLinked
	})
	if err := account.Lock(); err != nil {
		t.Fatal(err)
	}
	ds, _ := devices.List()
	if len(ds) != 2 {
		t.Fatalf("devices %+v", ds)
	}
	if err := devices.Revoke(ds[1].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := account.Unlock(pass); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 20*time.Second, "the removal, on the relay's word", func() bool {
		s, err := account.Status()
		return err == nil && s.Removed && !s.RemovedVerified
	})
	if rec.count("devices:changed", func(d any) bool { e := d.(DevicesChanged); return e.ThisDeviceRemoved && !e.Verified }) != 1 {
		t.Error("want one unverified removal event")
	}
}
