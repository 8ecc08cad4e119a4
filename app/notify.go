package app

import (
	"sync/atomic"

	"hush/chat"
)

// Notifier shows a native desktop notification. The desktop shell provides one;
// browser mode has none, and its page uses the browser's own notifications.
type Notifier interface {
	Notify(n Notification)
}

// Notification is what a native notification shows. Body is empty unless the user
// chose to see message text in notifications.
type Notification struct {
	ChatID string `json:"chatId"`
	Title  string `json:"title"`
	Body   string `json:"body"`
}

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
}

// maybeNotify raises a native notification for an incoming message while the
// window is not focused.
func (c *Core) maybeNotify(m chat.Message) {
	np := c.notify.notifier.Load()
	if np == nil || m.Outgoing || c.notify.focused.Load() || !c.notify.enabled.Load() {
		return
	}
	n := Notification{ChatID: m.ChatID, Title: m.SenderName}
	if n.Title == "" {
		n.Title = "New message"
	}
	if c.notify.preview.Load() {
		n.Body = m.Body
	}
	(*np).Notify(n)
}

// WindowService receives what the window knows and Go cannot see by itself.
type WindowService struct{ c *Core }

// SetFocused tells Hush whether its window has the user's focus; notifications are
// raised only while it has not.
func (s *WindowService) SetFocused(focused bool) error {
	s.c.notify.focused.Store(focused)
	return nil
}
