package app

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"hush/chat"
	"hush/internal/testutil"
	"hush/relay"
	"hush/relay/relaytest"
)

// dataRecorder is an Emitter that keeps names and payloads.
type dataRecorder struct {
	mu     sync.Mutex
	events []struct {
		name string
		data any
	}
}

func (r *dataRecorder) Emit(name string, data any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, struct {
		name string
		data any
	}{name, data})
}

func (r *dataRecorder) count(name string, match func(any) bool) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, e := range r.events {
		if e.name == name && (match == nil || match(e.data)) {
			n++
		}
	}
	return n
}

// person is one app Core with its services, against a relay.
type person struct {
	core     *Core
	account  *AccountService
	conn     *ConnectionService
	contacts *ContactService
	chats    *ChatService
	events   *dataRecorder
	dir      string // the data folder
}

func newPerson(t *testing.T, relayURL, name string) *person {
	t.Helper()
	dir := t.TempDir()
	c, err := New(Config{
		VaultPath:       filepath.Join(dir, "vault.db"),
		DataDir:         dir,
		Version:         "test",
		VaultOptions:    testVaultOptions(),
		DefaultRelayURL: relayURL,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Shutdown)
	rec := &dataRecorder{}
	c.SetEmitter(rec)
	svc := c.Services()
	p := &person{core: c, account: svc[0].(*AccountService), conn: svc[2].(*ConnectionService),
		contacts: svc[3].(*ContactService), chats: svc[4].(*ChatService), events: rec, dir: dir}
	if _, err := p.account.Create(name, pass); err != nil {
		t.Fatal(err)
	}
	return p
}

func (p *person) online(t *testing.T) {
	t.Helper()
	testutil.Eventually(t, 20*time.Second, "online", func() bool {
		c, err := p.conn.Status()
		return err == nil && c.State == ConnectionOnline
	})
}

// chatting is the start of the messaging tests: a relay, Alice and Bob online with
// the handles alice and bob, and the direct chat Alice opened with Bob, which Bob's
// device holds too.
func chatting(t *testing.T) (alice, bob *person, chat ChatSummary) {
	t.Helper()
	return chattingOn(t, startTestRelay(t))
}

// chattingOn is chatting on the relay r.
func chattingOn(t *testing.T, r *relaytest.Relay) (alice, bob *person, chat ChatSummary) {
	t.Helper()
	alice = newPerson(t, "ws://"+r.Addr, "Alice")
	bob = newPerson(t, "ws://"+r.Addr, "Bob")
	alice.online(t)
	bob.online(t)
	for _, p := range []struct {
		who    *person
		handle string
	}{{alice, "alice"}, {bob, "bob"}} {
		if _, err := p.who.contacts.RegisterHandle(p.handle); err != nil {
			t.Fatal(err)
		}
	}
	// Bob knows Alice too: her chat is no request for him.
	if _, err := bob.contacts.Add("alice"); err != nil {
		t.Fatal(err)
	}
	contact, err := alice.contacts.Add("bob")
	if err != nil {
		t.Fatal(err)
	}
	if chat, err = alice.chats.OpenDirect(contact.AccountID); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 20*time.Second, "Bob has the chat", func() bool {
		l, _ := bob.chats.List()
		return len(l) == 1
	})
	return alice, bob, chat
}

func startTestRelay(t *testing.T) *relaytest.Relay {
	return relaytest.Start(t, &relaytest.Options{Limits: relay.Limits{RatePerSecond: 10000, Burst: 10000}})
}

func TestServicesOrder(t *testing.T) {
	c, err := New(Config{VaultPath: filepath.Join(t.TempDir(), "v")})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range c.Services() {
		names = append(names, fmt.Sprintf("%T", s))
	}
	want := []string{"*app.AccountService", "*app.SettingsService", "*app.ConnectionService", "*app.ContactService", "*app.ChatService", "*app.DeviceService", "*app.WindowService", "*app.BackupService", "*app.FileService"}
	if !slices.Equal(names, want) {
		t.Errorf("services = %v, want %v", names, want)
	}
}

// TestHandleChangedAndRemovedThroughServices: ContactService changes the username
// (the old one finds nobody) and removes it; the UI hears the link without one.
func TestHandleChangedAndRemovedThroughServices(t *testing.T) {
	r := startTestRelay(t)
	alice := newPerson(t, "ws://"+r.Addr, "Alice")
	bob := newPerson(t, "ws://"+r.Addr, "Bob")
	alice.online(t)
	bob.online(t)
	if _, err := bob.contacts.RegisterHandle("bob"); err != nil {
		t.Fatal(err)
	}
	if c, err := bob.contacts.RegisterHandle("@Robert"); err != nil || c.Handle != "robert" {
		t.Fatalf("change = %+v, %v", c, err)
	}
	if _, err := alice.contacts.Add("bob"); err == nil {
		t.Error("the old username still finds Bob")
	}
	if _, err := alice.contacts.Add("robert"); err != nil {
		t.Errorf("the new username: %v", err)
	}
	noHandle := func(d any) bool { return d.(ConnectionChanged).Handle == "" }
	before := bob.events.count("connection:changed", noHandle)
	c, err := bob.contacts.RemoveHandle()
	if err != nil || c.Handle != "" {
		t.Fatalf("RemoveHandle = %+v, %v", c, err)
	}
	if _, err := alice.contacts.Add("robert"); err == nil {
		t.Error("the removed username still finds Bob")
	}
	if n := bob.events.count("connection:changed", noHandle); n <= before {
		t.Error("no connection:changed without the handle after the removal")
	}
}

func TestMessagingThroughServices(t *testing.T) {
	r := startTestRelay(t)
	alice := newPerson(t, "ws://"+r.Addr, "Alice")
	bob := newPerson(t, "ws://"+r.Addr, "Bob")
	alice.online(t)
	bob.online(t)
	if c, err := alice.contacts.RegisterHandle("alice"); err != nil || c.Handle != "alice" {
		t.Fatalf("register = %+v, %v", c, err)
	}
	if _, err := bob.contacts.RegisterHandle("bob"); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.contacts.RegisterHandle("alice"); err == nil || !strings.Contains(err.Error(), "taken") {
		t.Errorf("taken handle: %v", err)
	}
	if _, err := alice.contacts.Add("x"); err == nil || !strings.Contains(err.Error(), "handle") {
		t.Errorf("invalid handle: %v", err)
	}
	if _, err := alice.contacts.Add("nobody"); err == nil || !strings.Contains(err.Error(), "No one has that handle") {
		t.Errorf("unknown handle: %v", err)
	}
	contact, err := alice.contacts.Add("@bob")
	if err != nil {
		t.Fatal(err)
	}
	if contact.Handle != "bob" || contact.KeyChanged || contact.Fingerprint == "" {
		t.Errorf("contact = %+v", contact)
	}
	sn, err := alice.contacts.SafetyNumber(contact.AccountID)
	if err != nil || len(sn.Emoji) != 8 {
		t.Errorf("safety number = %+v, %v", sn, err)
	}
	summary, err := alice.chats.OpenDirect(contact.AccountID)
	if err != nil {
		t.Fatal(err)
	}
	m, err := alice.chats.Send(summary.ID, "hello from the app", "")
	if err != nil {
		t.Fatal(err)
	}
	if m.Status != "pending" || !m.Outgoing || m.SenderName != "Alice" {
		t.Errorf("sent = %+v", m)
	}
	testutil.Eventually(t, 20*time.Second, "Bob's message:new", func() bool {
		return bob.events.count("message:new", func(d any) bool { return d.(MessageNew).Body == "hello from the app" }) == 1
	})
	list, err := bob.chats.List()
	if err != nil || len(list) != 1 || list[0].ID != summary.ID || list[0].Unread != 1 || list[0].Title != "Alice" {
		t.Fatalf("Bob's list = %+v, %v", list, err)
	}
	page, err := bob.chats.Messages(summary.ID, "", 50)
	if err != nil || len(page.Messages) != 1 || page.NextBefore != "" {
		t.Fatalf("Bob's page = %+v, %v", page, err)
	}
	// Alice is no contact of Bob's: her chat is a request, neither answered nor read
	// before Bob accepts it.
	if list[0].Hold != HoldRequest || list[0].HoldText != "Alice, who is not in your contacts, wants to chat. Accept to read and answer, or decline." {
		t.Errorf("Bob's chat from a stranger: hold %q, %q; want a request naming Alice", list[0].Hold, list[0].HoldText)
	}
	if _, err := bob.chats.Send(summary.ID, "hi", page.Messages[0].ID); err == nil || err.Error() != "Not allowed: accept the request first." {
		t.Errorf("answering a request: %v", err)
	}
	if err := bob.chats.MarkRead(summary.ID); err == nil || err.Error() != "Not allowed: accept the request first." {
		t.Errorf("marking a request read: %v", err)
	}
	if _, err := bob.chats.Accept(summary.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.chats.Send(summary.ID, "hi", page.Messages[0].ID); err != nil {
		t.Fatal(err)
	}
	if err := bob.chats.MarkRead(summary.ID); err != nil {
		t.Fatal(err)
	}
	if err := bob.chats.Typing(summary.ID); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 20*time.Second, "Alice sees her message read", func() bool {
		return alice.events.count("message:status", func(d any) bool {
			s := d.(MessageStatusChanged)
			return s.MessageID == m.ID && s.Status == "read"
		}) > 0
	})
	pinned, err := alice.chats.SetPinned(summary.ID, true)
	if err != nil || !pinned.Pinned {
		t.Errorf("pin = %+v, %v", pinned, err)
	}
	members, err := alice.chats.Members(summary.ID)
	if err != nil || len(members) != 2 {
		t.Errorf("members = %+v, %v", members, err)
	}
	// Bad input gets a clear error, not a crash.
	for _, call := range []func() error{
		func() error { _, err := alice.chats.Send("nope", "x", ""); return err },
		func() error { _, err := alice.chats.Send(summary.ID, "x", "bad"); return err },
		func() error { _, err := alice.chats.OpenDirect(""); return err },
		func() error { _, err := alice.chats.CreateGroup("g", []string{"zz"}); return err },
		func() error { _, err := alice.contacts.SafetyNumber("12"); return err },
	} {
		if err := call(); !errors.Is(err, ErrInvalidInput) {
			t.Errorf("bad id: %v, want ErrInvalidInput", err)
		}
	}
	if _, err := alice.chats.Send(summary.ID, "   ", ""); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Errorf("empty message: %v", err)
	}
	if _, err := alice.chats.Send(summary.ID, strings.Repeat("x", 17<<10), ""); err == nil || !strings.HasPrefix(err.Error(), "Too long") {
		t.Errorf("oversize message: %v", err)
	}
	if _, err := alice.chats.Messages("00000000000000000000000000000001", "", 10); err == nil || !strings.HasPrefix(err.Error(), "Not found") {
		t.Errorf("unknown chat: %v", err)
	}
	// The JSON field names are the contract's.
	b, _ := json.Marshal(m)
	for _, k := range []string{"id", "chatId", "senderId", "senderName", "outgoing", "body", "sentAt", "seq", "status", "replyTo"} {
		if !strings.Contains(string(b), `"`+k+`":`) {
			t.Errorf("Message JSON %s lacks %q", b, k)
		}
	}
	b, _ = json.Marshal(pinned)
	for _, k := range []string{"id", "kind", "title", "lastMessage", "lastMessageAt", "unread", "pinned", "myRole", "canPost", "memberCount"} {
		if !strings.Contains(string(b), `"`+k+`":`) {
			t.Errorf("ChatSummary JSON %s lacks %q", b, k)
		}
	}
	c, err := alice.conn.Status()
	if err != nil {
		t.Fatal(err)
	}
	b, _ = json.Marshal(c)
	if !strings.Contains(string(b), `"state":"online"`) || !strings.Contains(string(b), `"handle":"alice"`) || !strings.Contains(string(b), `"retryInMs":0`) {
		t.Errorf("Connection JSON = %s", b)
	}
}

// ourGoroutines lists goroutines running code of the messaging packages.
func ourGoroutines() []string {
	buf := make([]byte, 1<<22)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "hush/chat.") || strings.Contains(g, "hush/sync/relayclient.") {
			out = append(out, g)
		}
	}
	return out
}

func TestLockStopsMessagingAndUnlockCatchesUp(t *testing.T) {
	alice, bob, s := chatting(t)
	if len(ourGoroutines()) == 0 {
		t.Fatal("no engine goroutines while unlocked: the check below would prove nothing")
	}
	if err := alice.account.Lock(); err != nil {
		t.Fatal(err)
	}
	// Bob's engine still runs; only Alice's may not. Stop Bob's too to check cleanly.
	if err := bob.account.Lock(); err != nil {
		t.Fatal(err)
	}
	if g := ourGoroutines(); len(g) != 0 {
		t.Fatalf("%d messaging goroutines survived the lock:\n%s", len(g), strings.Join(g, "\n\n"))
	}
	if _, err := alice.chats.List(); !errors.Is(err, ErrLocked) {
		t.Errorf("List while locked: %v", err)
	}
	if _, err := alice.conn.Status(); !errors.Is(err, ErrLocked) {
		t.Errorf("Status while locked: %v", err)
	}
	if _, err := bob.account.Unlock(pass); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if _, err := bob.chats.Send(s.ID, "while you were away "+string(rune('a'+i)), ""); err != nil {
			t.Fatal(err)
		}
	}
	testutil.Eventually(t, 20*time.Second, "Bob's outbox sent", func() bool {
		page, err := bob.chats.Messages(s.ID, "", 10)
		if err != nil || len(page.Messages) != 5 {
			return false
		}
		for _, m := range page.Messages {
			if m.Seq == 0 {
				return false
			}
		}
		return true
	})
	if _, err := alice.account.Unlock(pass); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 20*time.Second, "Alice catches up", func() bool {
		page, err := alice.chats.Messages(s.ID, "", 10)
		return err == nil && len(page.Messages) == 5
	})
	page, _ := alice.chats.Messages(s.ID, "", 10)
	for i, m := range page.Messages {
		if want := "while you were away " + string(rune('a'+4-i)); m.Body != want {
			t.Errorf("message %d = %q, want %q (newest first)", i, m.Body, want)
		}
	}
}

func TestSetRelay(t *testing.T) {
	r := startTestRelay(t)
	r2 := startTestRelay(t)
	alice := newPerson(t, "ws://"+r.Addr, "Alice")
	alice.online(t)
	if _, err := alice.conn.SetRelay("localhost:8443"); err == nil || !strings.HasPrefix(err.Error(), "The relay address is not valid") {
		t.Errorf("bad address: %v", err)
	}
	// A refused address changes nothing.
	if c, _ := alice.conn.Status(); c.RelayURL != "ws://"+r.Addr || c.State != ConnectionOnline {
		t.Errorf("after a refused address: %+v", c)
	}
	c, err := alice.conn.SetRelay("ws://" + r2.Addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	if c.RelayURL != "ws://"+r2.Addr {
		t.Errorf("relay = %q", c.RelayURL)
	}
	alice.online(t)
	if err := alice.conn.Retry(); err != nil {
		t.Fatal(err)
	}
	// The address is kept in the vault.
	if err := alice.account.Lock(); err != nil {
		t.Fatal(err)
	}
	if _, err := alice.account.Unlock(pass); err != nil {
		t.Fatal(err)
	}
	if c, _ := alice.conn.Status(); c.RelayURL != "ws://"+r2.Addr {
		t.Errorf("relay after unlock = %q", c.RelayURL)
	}
	alice.online(t)
	// Offline: a reason and a retry time.
	r2.Stop()
	testutil.Eventually(t, 20*time.Second, "offline with a reason", func() bool {
		c, _ := alice.conn.Status()
		return c.State == ConnectionOffline && c.Error != ""
	})
}

// TestSetRelayWording checks what the Settings screen shows under the relay
// address: SetRelay refuses a malformed address before anything else, saying what
// is wrong with it, and accepts the forms people type. (The UI has no check of
// its own; it shows this error inline.)
func TestSetRelayWording(t *testing.T) {
	c, err := New(Config{VaultPath: filepath.Join(t.TempDir(), "v")})
	if err != nil {
		t.Fatal(err)
	}
	conn := &ConnectionService{c: c}
	for _, tc := range []struct{ typed, want string }{
		{"", "The relay address is not valid: enter an address such as ws://127.0.0.1:8443."},
		{"   ", "The relay address is not valid: enter an address such as ws://127.0.0.1:8443."},
		{"relay.example.org", `The relay address is not valid: "relay.example.org" has no scheme; use ws://host:port or wss://host.`},
		{"https://relay.example.org", `The relay address is not valid: scheme "https"; use ws:// or wss://.`},
		{"ws://user:pw@relay.example.org", "The relay address is not valid: a relay address carries no user name or password."},
		{"ws://relay.example.org/?x=1", "The relay address is not valid: a relay address has no query or fragment."},
		{"ws://relay.example.org/#top", "The relay address is not valid: a relay address has no query or fragment."},
		{"ws://", `The relay address is not valid: "ws://" has no host.`},
		{"ws://relay.example.org:99999", `The relay address is not valid: port "99999".`},
		{"ws://relay.example.org/chat", `The relay address is not valid: unexpected path "/chat".`},
		{"ws://relay.example.org", "Use a wss:// address: plain ws:// is only for a relay on this computer."},
	} {
		_, err := conn.SetRelay(tc.typed)
		if err == nil || err.Error() != tc.want || !errors.Is(err, chat.ErrInvalidRelayURL) {
			t.Errorf("SetRelay(%q) = %v, want %q", tc.typed, err, tc.want)
		}
	}
	// Well-formed addresses pass the check; here the locked vault is what refuses.
	for _, ok := range []string{"ws://127.0.0.1:8443", "ws://localhost:8443", "wss://relay.example.org", "ws://127.0.0.1:8443/v1/ws", " WSS://Relay.Example.org/ "} {
		if _, err := conn.SetRelay(ok); !errors.Is(err, ErrLocked) {
			t.Errorf("SetRelay(%q) = %v, want ErrLocked", ok, err)
		}
	}
}

// TestBlockedAccounts: the user's list of blocked accounts, named as the contacts are;
// writing to one is refused in words that say how to undo it; unblocking empties
// the list.
func TestBlockedAccounts(t *testing.T) {
	alice, _, _ := chatting(t)
	contacts, err := alice.contacts.List()
	if err != nil || len(contacts) != 1 || contacts[0].Handle != "bob" {
		t.Fatalf("contacts = %+v, %v", contacts, err)
	}
	bobID := contacts[0].AccountID
	if list, err := alice.contacts.Blocked(); err != nil || len(list) != 0 {
		t.Fatalf("blocked at first = %+v, %v", list, err)
	}
	if err := alice.contacts.SetBlocked(bobID, true); err != nil {
		t.Fatal(err)
	}
	list, err := alice.contacts.Blocked()
	if err != nil || len(list) != 1 || list[0].AccountID != bobID || list[0].DisplayName != contacts[0].DisplayName || list[0].BlockedAt == 0 {
		t.Fatalf("blocked = %+v, %v", list, err)
	}
	_, err = alice.chats.OpenDirect(bobID)
	if err == nil || err.Error() != "You blocked this account. Unblock it in Settings to write to it." {
		t.Errorf("writing to a blocked account: %v", err)
	}
	if err := alice.contacts.SetBlocked(bobID, false); err != nil {
		t.Fatal(err)
	}
	if list, err := alice.contacts.Blocked(); err != nil || len(list) != 0 {
		t.Fatalf("blocked after unblocking = %+v, %v", list, err)
	}
	if _, err := alice.chats.OpenDirect(bobID); err != nil {
		t.Errorf("writing once unblocked: %v", err)
	}
}
