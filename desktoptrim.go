package main

import (
	"context"
	"errors"
	"log/slog"
	"runtime/debug"
	"time"

	"hush/internal/cputime"
	"hush/memtrim"
)

// How often the window's process looks at its CPU time, and how much of it in
// one look counts as work: an idle window uses a few milliseconds per look
// (timers, the relay connection), an unlock or a start-up hundreds.
const (
	trimEvery = 2 * time.Second
	trimBusy  = 40 * time.Millisecond
)

// releaseCodeWhenQuiet has what a burst of work left behind (start-up, an
// unlock, opening a chat, a backup) handed back each time the process goes
// quiet again, until stop is called: the executable's pages it mapped (package
// memtrim) and the Go heap's garbage and free pages (docs/PERFORMANCE.md,
// "Desktop cold start and memory"). HUSH_RELEASE_CODE=0 turns it off, to
// compare.
func releaseCodeWhenQuiet(getenv func(string) string, portable bool, log *slog.Logger) (stop func()) {
	if getenv("HUSH_RELEASE_CODE") == "0" {
		return func() {}
	}
	// Run from a USB stick, code released and run again should not be read
	// back from the stick page by page.
	code, err := memtrim.Open(memtrim.Options{KeepFileCache: portable})
	if err != nil {
		if !errors.Is(err, memtrim.ErrUnsupported) {
			log.Debug("code pages will not be released", "err", err)
		}
		return func() {}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		memtrim.Watch(ctx, memtrim.WatchConfig{
			Every:   trimEvery,
			Busy:    trimBusy,
			CPU:     cputime.Process,
			Release: settle(memtrim.Logged(code, log)),
		})
	}()
	return func() {
		cancel()
		<-done
	}
}

// settle wraps releaseCode: the Go heap first, since a collection runs code and
// reads Go's tables, which the release then drops again.
func settle(releaseCode func()) func() {
	return func() {
		debug.FreeOSMemory()
		releaseCode()
	}
}
