package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"hush/badge"
)

// fakeIcon is an iconBadge that records what it was set to; while gate is
// open (non-nil), Set waits on it, as a slow desktop would.
type fakeIcon struct {
	mu      sync.Mutex
	set     []int
	closed  bool
	err     error
	gate    chan struct{}
	entered chan struct{}
}

func (f *fakeIcon) Set(_ context.Context, n int) error {
	if f.gate != nil {
		f.entered <- struct{}{}
		<-f.gate
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	f.set = append(f.set, n)
	return nil
}

func (f *fakeIcon) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	return nil
}

// TestBadgeShowerCollapsesCounts: counts that come while the desktop is busy
// end as one update to the latest, and Close waits for the last (the 0 of a
// lock) before the badge is released.
func TestBadgeShowerCollapsesCounts(t *testing.T) {
	f := &fakeIcon{gate: make(chan struct{}), entered: make(chan struct{})}
	s := newBadgeShower(f, slog.New(slog.DiscardHandler))
	s.SetCount(1)
	<-f.entered // busy showing 1
	for n := 2; n <= 50; n++ {
		s.SetCount(n) // never blocks
	}
	f.gate <- struct{}{}
	<-f.entered // then 50, once
	f.gate <- struct{}{}
	s.SetCount(0)
	go func() {
		<-f.entered
		f.gate <- struct{}{}
	}()
	s.Close()
	s.Close()
	if want := []int{1, 50, 0}; !slices.Equal(f.set, want) || !f.closed {
		t.Fatalf("set %v closed %v, want %v and closed", f.set, f.closed, want)
	}
}

// TestBadgeShowerWithoutADock: no session bus is no error worth a warning; it
// is logged at debug level and tried again with the next count.
func TestBadgeShowerWithoutADock(t *testing.T) {
	var logs bytes.Buffer
	f := &fakeIcon{err: fmt.Errorf("no session bus: %w", badge.ErrUnavailable)}
	s := newBadgeShower(f, slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	s.SetCount(3)
	s.Close()
	if out := logs.String(); !strings.Contains(out, "level=DEBUG") || strings.Contains(out, "level=WARN") {
		t.Fatalf("logs:\n%s", out)
	}
}

// TestDebDesktopFileMatchesTheBadge: docks match the badge's
// application://NAME to the installed desktop file of that name, so the .deb
// must install it under the name the badge signals.
func TestDebDesktopFileMatchesTheBadge(t *testing.T) {
	cfg, err := os.ReadFile("build/nfpm.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := "dst: /usr/share/applications/" + badge.DefaultDesktopID
	if !slices.ContainsFunc(strings.Split(string(cfg), "\n"), func(l string) bool { return strings.TrimSpace(l) == want }) {
		t.Fatalf("build/nfpm.yaml installs no %q", want)
	}
}
