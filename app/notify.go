package app

import (
	"strings"
	"sync/atomic"
	"unicode/utf8"

	"hush/chat"
	"hush/ids"
	"hush/policy"
)

// Notifier shows a native desktop notification. The desktop shell provides one;
// browser mode has none: there the page shows the [Notify] event with the browser's
// notifications instead.
type Notifier interface {
	Notify(n Notification)
	// Withdraw takes a chat's notification away (its secret message expired).
	Withdraw(chatID string)
}

// Notification is what a notification shows: the chat's title, and under it the
// sender's name — or, if the user chose previews, the message text (prefixed with
// the sender in groups and channels).
type Notification struct {
	// ChatID is the chat to open when the user clicks the notification.
	ChatID string `json:"chatId"`
	// Title is the chat's title.
	Title string `json:"title"`
	// Body is the sender's name, or with previews on the text.
	Body string `json:"body"`
}

// notificationTextMax caps the message text a notification shows, in characters.
const notificationTextMax = 200

// notifyState is read on the engine's event path, which must not take Core.mu (an
// engine call made under Core.mu may emit), so it lives in atomics.
type notifyState struct {
	notifier atomic.Pointer[Notifier]
	focused  atomic.Bool // the window has focus: no notification needed
	enabled  atomic.Bool // the user wants notifications
	preview  atomic.Bool // ... with message text
}

// SetNotifier sets how native notifications are shown (nil: not at all).
func (c *Core) SetNotifier(n Notifier) {
	if n == nil {
		c.notify.notifier.Store(nil)
		return
	}
	c.notify.notifier.Store(&n)
}

func (c *Core) applyNotifyPrefs(p preferences) {
	c.notify.enabled.Store(p.Notifications)
	c.notify.preview.Store(p.NotificationPreview)
	c.protect.wanted.Store(p.ScreenProtection)
	c.typing.Store(p.TypingIndicators)
}

// maybeNotify tells the user of an incoming message while the window is not in
// view, unless its chat is muted: natively where the shell can, and always as a [Notify] event, which the page
// shows in browser mode. e is the engine that received the message; it names the
// chat.
func (c *Core) maybeNotify(e *chat.Engine, chatID ids.Chat, m Message) {
	if c.notify.focused.Load() || !c.notify.enabled.Load() {
		return
	}
	ctx, cancel := defaultContext()
	defer cancel()
	var summary chat.Chat
	if e != nil {
		if s, err := e.Summary(ctx, chatID); err == nil {
			summary = s
		}
	}
	if summary.Muted {
		return // the user muted the chat, here or on another device
	}
	n := notificationFor(summary, m, c.notify.preview.Load())
	if np := c.notify.notifier.Load(); np != nil {
		(*np).Notify(n)
	}
	c.emit(Notify(n))
}

// notificationFor words the notification of message m in chat s (zero if the chat
// could not be read).
func notificationFor(s chat.Chat, m Message, preview bool) Notification {
	if s.Kind == policy.KindSecret {
		// Nothing of a secret chat shows outside it: not who wrote, not what.
		return Notification{ChatID: m.ChatID, Title: "Hush", Body: "New secret message"}
	}
	if s.Hold == chat.HoldRequest {
		// Nothing of a stranger's chat shows before the user accepts it: not its
		// title, not the name its sender chose, not its text.
		return Notification{ChatID: m.ChatID, Title: "New message request", Body: "Open Hush to accept or decline it."}
	}
	n := Notification{ChatID: m.ChatID, Title: m.SenderName}
	if !s.ID.IsZero() {
		n.Title = chatTitle(s)
	}
	if n.Title == "" {
		n.Title = "Hush"
	}
	if !preview {
		n.Body = m.SenderName
		if n.Body == "" {
			n.Body = "New message"
		}
		return n
	}
	text := truncate(strings.Join(strings.Fields(m.Body), " "), notificationTextMax)
	if s.Kind == policy.KindDirect || m.SenderName == "" {
		n.Body = text
	} else {
		n.Body = m.SenderName + ": " + text
	}
	return n
}

// withdrawNotification takes a chat's native notification away; the page closes
// its own on the [MessageExpired] event that follows.
func (c *Core) withdrawNotification(chatID ids.Chat) {
	if np := c.notify.notifier.Load(); np != nil {
		(*np).Withdraw(chatID.String())
	}
}

// truncate cuts s to at most max characters, with an ellipsis when it cut.
func truncate(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	return strings.TrimRight(string(r[:max-1]), " ") + "…"
}

// WindowService receives what the window knows and Go cannot see by itself.
type WindowService struct{ c *Core }

// SetFocused tells Hush whether its window has the user's attention (focused and
// visible); notifications are raised only while it has not. The desktop window
// and browser mode both report it.
func (s *WindowService) SetFocused(focused bool) error {
	s.c.notify.focused.Store(focused)
	return nil
}

// ProtectionSupport says how this system lets Hush hide its window from screen
// capture: "switchable" (Windows: while a secret chat is open, if the user wants
// it), "always" (macOS: the whole window, always — the system sets it when the
// window opens) or "unavailable" (Linux, where no compositor honours such a
// request, and browser mode).
type ProtectionSupport string

// Screen protection support.
const (
	ProtectionSwitchable  ProtectionSupport = "switchable"
	ProtectionAlways      ProtectionSupport = "always"
	ProtectionUnavailable ProtectionSupport = "unavailable"
)

// Values lists every kind of support, for the generated UI contract.
func (ProtectionSupport) Values() []string {
	return []string{string(ProtectionSwitchable), string(ProtectionAlways), string(ProtectionUnavailable)}
}

// ScreenProtector hides the window from screen capture or shows it again. The
// desktop shell provides one where the system allows it.
type ScreenProtector interface {
	// Support says what the system allows.
	Support() ProtectionSupport
	// SetProtected hides the window from capture (true) or not.
	SetProtected(on bool) error
}

// SetScreenProtector sets how the window is hidden from screen capture (nil: it
// cannot be).
func (c *Core) SetScreenProtector(p ScreenProtector) {
	if p == nil {
		c.protect.protector.Store(nil)
		return
	}
	c.protect.protector.Store(&p)
}

// protectState is what decides whether the window is hidden from capture: read
// on the UI's calls, which must not wait for Core.mu.
type protectState struct {
	protector  atomic.Pointer[ScreenProtector]
	secretOpen atomic.Bool // a secret chat is on screen
	wanted     atomic.Bool // the user's preference
	applied    atomic.Bool
}

func (c *Core) protectionSupport() ProtectionSupport {
	if p := c.protect.protector.Load(); p != nil {
		return (*p).Support()
	}
	return ProtectionUnavailable
}

// applyScreenProtection hides the window while a secret chat is open and the user
// wants it, and shows it otherwise (a lock closes the chat).
func (c *Core) applyScreenProtection() {
	p := c.protect.protector.Load()
	if p == nil || (*p).Support() != ProtectionSwitchable {
		return
	}
	on := c.protect.secretOpen.Load() && c.protect.wanted.Load()
	if c.protect.applied.Swap(on) == on {
		return
	}
	if err := (*p).SetProtected(on); err != nil {
		c.log.Warn("screen protection", "on", on, "err", err)
	}
}

// SetSecretOpen tells Hush whether a secret chat is on screen: while one is, the
// window is hidden from screen capture where the system allows it and the user
// wants it (Settings.ScreenProtection).
func (s *WindowService) SetSecretOpen(open bool) error {
	s.c.protect.secretOpen.Store(open)
	s.c.applyScreenProtection()
	return nil
}
