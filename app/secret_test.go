package app

import (
	"bytes"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hush/internal/testutil"
)

// notifiedAway has p's window out of focus with notifications and their text on,
// and returns what its notifier is then given.
func notifiedAway(t *testing.T, p *person) *notes {
	t.Helper()
	got := &notes{}
	p.core.SetNotifier(got)
	(&WindowService{c: p.core}).SetFocused(false)
	if _, err := (&SettingsService{c: p.core}).SetNotifications(true, true); err != nil {
		t.Fatal(err)
	}
	return got
}

// startSecret has alice open a secret chat with the one device of direct's peer, as
// the UI does it, once that device's prekeys are out.
func startSecret(t *testing.T, alice *person, direct ChatSummary) ChatSummary {
	t.Helper()
	var devices []Device
	testutil.Eventually(t, 20*time.Second, "the peer's device is listed", func() bool {
		var err error
		devices, err = alice.chats.ContactDevices(direct.PeerID)
		return err == nil && len(devices) == 1
	})
	var secret ChatSummary
	testutil.Eventually(t, 20*time.Second, "the secret chat starts once the peer's prekeys are out", func() bool {
		var err error
		secret, err = alice.chats.StartSecret(direct.PeerID, devices[0].ID)
		return err == nil
	})
	if secret.Kind != KindSecret || secret.SecretDeviceID != devices[0].ID || secret.PeerID != direct.PeerID {
		t.Fatalf("the secret chat as the UI gets it: %+v", secret)
	}
	return secret
}

// TestSecretChatThroughTheApp: a secret chat opened with one of Bob's devices, as the
// UI does it; its notification says nothing of who wrote or what; a message read
// with a 1 s timer goes on both sides, with the events the UI needs and the native
// notification withdrawn.
func TestSecretChatThroughTheApp(t *testing.T) {
	alice, bob, direct := chatting(t)
	got := notifiedAway(t, bob)
	if _, err := alice.chats.StartSecret(direct.PeerID, "not an id"); err == nil {
		t.Fatal("a malformed device id was taken")
	}
	secret := startSecret(t, alice, direct)
	if _, err := alice.chats.SetSecretTimer(secret.ID, 2); err == nil {
		t.Fatal("a timer not offered was taken")
	}
	if s, err := alice.chats.SetSecretTimer(secret.ID, 1); err != nil || s.SecretTimer != 1 {
		t.Fatalf("timer: %+v, %v", s, err)
	}
	testutil.Eventually(t, 20*time.Second, "Bob sees the line", func() bool {
		return bob.events.count("message:new", func(d any) bool {
			m := d.(MessageNew)
			return m.Service && strings.Contains(m.Body, "self-destruct 1 second after they are read")
		}) == 1
	})
	if _, err := alice.chats.Send(secret.ID, "hidden text", ""); err != nil {
		t.Fatal(err)
	}
	var msg MessageNew
	testutil.Eventually(t, 20*time.Second, "Bob receives it", func() bool {
		return bob.events.count("message:new", func(d any) bool {
			if m := d.(MessageNew); m.Body == "hidden text" {
				msg = m
				return true
			}
			return false
		}) == 1
	})
	if msg.TTL != 1 || msg.ExpiresAt != 0 {
		t.Fatalf("unread message: ttl %d, expires %d", msg.TTL, msg.ExpiresAt)
	}
	for _, n := range got.all() {
		if n.ChatID == secret.ID && (n.Title != "Hush" || n.Body != "New secret message") {
			t.Fatalf("a secret chat's notification shows %+v", n)
		}
	}
	if len(got.all()) == 0 {
		t.Fatal("no notification for the secret message")
	}
	if err := bob.chats.MarkRead(secret.ID); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 20*time.Second, "gone on both sides", func() bool {
		gone := func(p *person) bool {
			return p.events.count("message:expired", func(d any) bool { return d.(MessageExpired).MessageID == msg.ID }) == 1
		}
		return gone(alice) && gone(bob)
	})
	if alice.events.count("message:status", func(d any) bool {
		s := d.(MessageStatusChanged)
		return s.MessageID == msg.ID && s.Status == "read" && s.ExpiresAt > 0
	}) != 1 {
		t.Fatal("Alice was not told the countdown started")
	}
	page, err := bob.chats.Messages(secret.ID, "", 50)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range page.Messages {
		if m.Body == "hidden text" {
			t.Fatal("the expired message is still listed")
		}
	}
	if w := got.withdrawnChats(); len(w) == 0 || w[0] != secret.ID {
		t.Fatalf("notifications withdrawn: %v", w)
	}
	if err := bob.chats.Delete(secret.ID); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 20*time.Second, "closed on Alice's side too", func() bool {
		return alice.events.count("chat:removed", func(d any) bool { return d.(ChatRemoved).ChatID == secret.ID }) == 1
	})

	// The apps close: nothing in either data folder (vault, WAL, shared memory,
	// logs, anything else written there) holds the text or the message's id.
	id, err := hex.DecodeString(msg.ID)
	if err != nil {
		t.Fatal(err)
	}
	alice.core.Shutdown()
	bob.core.Shutdown()
	for _, p := range []*person{alice, bob} {
		files := 0
		err := filepath.WalkDir(p.dir, func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			files++
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			for name, needle := range map[string][]byte{"text": []byte("hidden text"), "message id": id} {
				if bytes.Contains(b, needle) {
					t.Errorf("%s holds the secret message's %s", path, name)
				}
			}
			return nil
		})
		if err != nil || files == 0 {
			t.Fatalf("scan of %s: %d files, %v", p.dir, files, err)
		}
	}
}
