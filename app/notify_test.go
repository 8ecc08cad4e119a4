package app

import (
	"hush/chat"
	"hush/ids"
	"hush/internal/testutil"
	"hush/policy"
	"strings"
	"sync"
	"testing"
	"time"
)

// notes is a Notifier that keeps what it was asked to show.
type notes struct {
	mu        sync.Mutex
	list      []Notification
	withdrawn []string
}

func (n *notes) Withdraw(chatID string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.withdrawn = append(n.withdrawn, chatID)
}

func (n *notes) withdrawnChats() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.withdrawn...)
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
	alice, bob, chatSummary := chatting(t)
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
		{"unfocused: sender only", func() { window.SetFocused(false) }, "two", true, "Alice"},
		{"preview chosen: with text", func() { settings.SetNotifications(true, true) }, "three", true, "three"},
		{"turned off: none", func() { settings.SetNotifications(false, true) }, "four", false, ""},
		{"muted chat: none", func() {
			settings.SetNotifications(true, true)
			if _, err := bob.chats.SetMuted(chatSummary.ID, true); err != nil {
				t.Fatal(err)
			}
		}, "muted", false, ""},
		{"unmuted: again", func() {
			if _, err := bob.chats.SetMuted(chatSummary.ID, false); err != nil {
				t.Fatal(err)
			}
		}, "unmuted", true, "unmuted"},
	}
	for _, st := range steps {
		st.setup()
		before := len(got.all())
		if _, err := alice.chats.Send(chatSummary.ID, st.text, ""); err != nil {
			t.Fatal(err)
		}
		// The notification is decided before the event reaches the UI.
		testutil.Eventually(t, 20*time.Second, "Bob receives "+st.text, func() bool {
			return bob.events.count("message:new", func(d any) bool { return d.(MessageNew).Body == st.text }) == 1
		})
		n := got.all()[before:]
		if (len(n) == 1) != st.want || len(n) > 1 {
			t.Fatalf("%s: notifications %+v", st.name, n)
		}
		if st.want && (n[0].Title != "Alice" || n[0].Body != st.wantBody || n[0].ChatID != chatSummary.ID) {
			t.Fatalf("%s: notification %+v", st.name, n[0])
		}
		// The same notification reaches the page as an event, for browser mode.
		if st.want {
			if events := bob.events.count("notify", func(d any) bool { return Notification(d.(Notify)) == n[0] }); events != 1 {
				t.Fatalf("%s: %d notify events for %+v", st.name, events, n[0])
			}
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

func TestNotificationWording(t *testing.T) {
	group := chat.Chat{ID: ids.New[ids.Chat](), Kind: policy.KindGroup, Title: "Book club"}
	direct := chat.Chat{ID: ids.New[ids.Chat](), Kind: policy.KindDirect, Title: "Bob", Peer: ids.New[ids.Account]()}
	untitled := chat.Chat{ID: ids.New[ids.Chat](), Kind: policy.KindGroup}
	channel := chat.Chat{ID: ids.New[ids.Chat](), Kind: policy.KindChannel, Title: "News"}
	msg := func(sender, body string) Message { return Message{ChatID: "c", SenderName: sender, Body: body} }
	long := strings.Repeat("word ", 100)
	for _, c := range []struct {
		name    string
		chat    chat.Chat
		m       Message
		preview bool
		title   string
		body    string
	}{
		{"direct, sender only", direct, msg("Bob", "secret"), false, "Bob", "Bob"},
		{"direct, preview", direct, msg("Bob", "see   you\nsoon"), true, "Bob", "see you soon"},
		{"group, preview names the sender", group, msg("Carol", "hi all"), true, "Book club", "Carol: hi all"},
		{"group, sender only", group, msg("Carol", "hi all"), false, "Book club", "Carol"},
		{"untitled group", untitled, msg("Carol", "x"), false, "Untitled group", "Carol"},
		{"channel, preview names the sender", channel, msg("News", "Release 1.0"), true, "News", "News: Release 1.0"},
		{"chat unreadable, preview names the sender", chat.Chat{}, msg("Dan", "hi"), true, "Dan", "Dan: hi"},
		{"no name, preview: the text alone", group, msg("", "hi"), true, "Book club", "hi"},
		{"chat unreadable: the sender names it", chat.Chat{}, msg("Dan", "x"), false, "Dan", "Dan"},
		{"nothing known", chat.Chat{}, msg("", "x"), false, "Hush", "New message"},
		{"long text is cut", direct, msg("Bob", long), true, "Bob", strings.TrimSpace(long[:199]) + "…"},
	} {
		t.Run(c.name, func(t *testing.T) {
			n := notificationFor(c.chat, c.m, c.preview)
			if n.Title != c.title || n.Body != c.body || n.ChatID != "c" {
				t.Errorf("notification = %+v, want title %q body %q", n, c.title, c.body)
			}
		})
	}
}

// TestNotificationForRequest: a notification of a stranger's chat shows nothing of
// it — not its title, not the name its sender chose, not its text — whatever the
// preview setting; a request's content is for after the user accepts it.
func TestNotificationForRequest(t *testing.T) {
	for _, kind := range []policy.ChatKind{policy.KindDirect, policy.KindGroup} {
		for _, preview := range []bool{false, true} {
			req := chat.Chat{ID: ids.New[ids.Chat](), Kind: kind, Title: "Free prizes", Hold: chat.HoldRequest}
			n := notificationFor(req, Message{ChatID: "c", SenderName: "Your bank", Body: "click here"}, preview)
			text := n.Title + " " + n.Body
			for _, leak := range []string{"Free prizes", "Your bank", "click here"} {
				if strings.Contains(text, leak) {
					t.Errorf("%v, preview %v: %+v shows %q", kind, preview, n, leak)
				}
			}
			if n.ChatID != "c" || n.Title != "New message request" {
				t.Errorf("%v, preview %v: %+v", kind, preview, n)
			}
		}
	}
}
