package main

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"hush/app"
	"hush/badge"
)

// Time limits of the badge: one update of the desktop, and the wait at quit for
// the last one (the icon cleared), so a stuck bus cannot hold up quitting.
const (
	badgeSetTimeout   = 5 * time.Second
	badgeCloseTimeout = 2 * time.Second
)

// iconBadge is what badgeShower drives: a [badge.Badge], or a fake in tests.
type iconBadge interface {
	Set(ctx context.Context, count int) error
	Close() error
}

// badgeShower puts the app's unread count on the window's icon. The app calls
// SetCount on the engine's event path, which must not wait for D-Bus or COM, so
// the count is handed to a goroutine of its own; counts that come faster than
// the desktop takes them collapse into the latest.
type badgeShower struct {
	b   iconBadge
	log *slog.Logger

	mu   sync.Mutex
	want int

	kick chan struct{} // one token: there is a count to show
	stop chan struct{}
	done chan struct{}
	once sync.Once
}

func newBadgeShower(b iconBadge, log *slog.Logger) *badgeShower {
	s := &badgeShower{b: b, log: log, kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go s.run()
	return s
}

// SetCount implements [app.Badge]: it never blocks.
func (s *badgeShower) SetCount(n int) {
	s.mu.Lock()
	s.want = n
	s.mu.Unlock()
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

func (s *badgeShower) run() {
	defer close(s.done)
	shown := 0 // the icon starts without a badge
	for {
		select {
		case <-s.kick:
			shown = s.show(shown)
		case <-s.stop:
			s.show(shown) // the last count: 0 once the app has locked
			return
		}
	}
}

// show puts the wanted count on the icon unless it is there already, and
// returns what the icon shows.
func (s *badgeShower) show(shown int) int {
	s.mu.Lock()
	n := s.want
	s.mu.Unlock()
	if n == shown {
		return shown
	}
	ctx, cancel := context.WithTimeout(context.Background(), badgeSetTimeout)
	defer cancel()
	switch err := s.b.Set(ctx, n); {
	case err == nil:
		return n
	case errors.Is(err, badge.ErrUnavailable):
		// No dock to show it on (no session bus: a bare X server, CI): the
		// title still carries the count.
		s.log.Debug("no unread badge", "err", err)
	default:
		s.log.Warn("unread badge not shown", "err", err)
	}
	return shown
}

// Close shows the last count given (call it after the app's Shutdown, which
// gives 0), waiting for it at most badgeCloseTimeout, and releases the badge.
// It is safe to call twice.
func (s *badgeShower) Close() {
	s.once.Do(func() {
		close(s.stop)
		select {
		case <-s.done:
		case <-time.After(badgeCloseTimeout):
			// Set still waits: closing under it would wait as long.
			s.log.Warn("unread badge: the desktop did not answer; quitting without clearing it")
			return
		}
		if err := s.b.Close(); err != nil {
			s.log.Debug("unread badge: close", "err", err)
		}
	})
}

var _ app.Badge = (*badgeShower)(nil)
