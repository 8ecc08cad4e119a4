package app

import (
	"sync"
	"testing"
	"time"

	"hush/chat"
)

// notes is a Notifier that keeps what it was asked to show.
type notes struct {
	mu   sync.Mutex
	list []Notification
}

func (n *notes) Notify(x Notification) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.list = append(n.list, x)
}

func (n *notes) all() []Notification {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]Notification(nil), n.list...)
}

func TestNotifications(t *testing.T) {
	r := startTestRelay(t)
	alice := newPerson(t, "ws://"+r.Addr, "Alice")
	bob := newPerson(t, "ws://"+r.Addr, "Bob")
	alice.online(t)
	bob.online(t)
	if _, err := alice.contacts.RegisterHandle("alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.contacts.RegisterHandle("bob"); err != nil {
		t.Fatal(err)
	}
	contact, err := alice.contacts.Add("bob")
	if err != nil {
		t.Fatal(err)
	}
	chatSummary, err := alice.chats.OpenDirect(contact.AccountID)
	if err != nil {
		t.Fatal(err)
	}
	got := &notes{}
	bob.core.SetNotifier(got)
	window := &WindowService{c: bob.core}
	settings := &SettingsService{c: bob.core}

	steps := []struct {
		name     string
		setup    func()
		text     string
		want     bool
		wantBody string
	}{
		{"focused window: none", func() { window.SetFocused(true) }, "one", false, ""},
		{"unfocused: sender only", func() { window.SetFocused(false) }, "two", true, ""},
		{"preview chosen: with text", func() { settings.SetNotifications(true, true) }, "three", true, "three"},
		{"turned off: none", func() { settings.SetNotifications(false, true) }, "four", false, ""},
	}
	for _, st := range steps {
		st.setup()
		before := len(got.all())
		if _, err := alice.chats.Send(chatSummary.ID, st.text, ""); err != nil {
			t.Fatal(err)
		}
		// The notification is decided before the event reaches the UI.
		eventually(t, "Bob receives "+st.text, func() bool {
			return bob.events.count(chat.EventMessageNew, func(d any) bool { return d.(chat.Message).Body == st.text }) == 1
		})
		n := got.all()[before:]
		if (len(n) == 1) != st.want || len(n) > 1 {
			t.Fatalf("%s: notifications %+v", st.name, n)
		}
		if st.want && (n[0].Title != "Alice" || n[0].Body != st.wantBody || n[0].ChatID != chatSummary.ID) {
			t.Fatalf("%s: notification %+v", st.name, n[0])
		}
	}
	// Alice's own messages never notify her.
	mine := &notes{}
	alice.core.SetNotifier(mine)
	(&WindowService{c: alice.core}).SetFocused(false)
	alice.chats.Send(chatSummary.ID, "five", "")
	time.Sleep(100 * time.Millisecond)
	if len(mine.all()) != 0 {
		t.Fatalf("own message notified: %+v", mine.all())
	}
}
