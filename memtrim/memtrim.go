// Package memtrim gives back the memory that the program's own code occupies
// after a burst of work, once the process has gone quiet.
//
// The kernel maps an executable's pages into the process as its code runs, and
// on Linux it maps whole folios of the page cache around each fault: a 24 MB
// Hush binary had 19 MiB of itself mapped with a chat open, most of it code that
// ran once (package initialisation, the vault's opening, Argon2id) or merely
// shared a folio with code that ran. Those pages count in the window's memory
// (PSS) until the process exits. Released, the kernel maps back only what runs
// next (docs/PERFORMANCE.md, "Desktop cold start and memory").
//
// The executable's read-only mappings are released after every burst; once,
// the libraries' read-only pages that no other process maps are paged out. A
// page the process wrote to is never touched: nothing is lost, and the cost is
// a page fault the next time released code runs.
package memtrim

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// ErrUnsupported is returned by [Open] where the operating system has no way to
// release a mapping's pages that Hush uses (everywhere but Linux).
var ErrUnsupported = errors.New("memtrim: not supported on this platform")

// Options says how [Code] releases.
type Options struct {
	// KeepFileCache leaves the executable's pages in the system's page cache:
	// released code that runs again is then mapped back without a read. For an
	// executable on a slow medium (a USB stick, in portable mode), where each
	// page read back would be felt. Otherwise the first release evicts them,
	// so that what is read back comes a page at a time (see Release).
	KeepFileCache bool
}

// WatchConfig says when [Watch] releases.
type WatchConfig struct {
	// Every is how often the process's CPU time is read.
	Every time.Duration
	// Busy is the CPU time used within one Every above which the process
	// counts as working. Below it, the process is quiet.
	Busy time.Duration
	// CPU returns the CPU time the process has used so far.
	CPU func() time.Duration
	// Release is called at the first quiet reading after a busy one (and once
	// after the first reading: start-up is work).
	Release func()
}

// Watch reads the process's CPU time every cfg.Every and calls cfg.Release once
// the process has gone quiet after working, until ctx ends. Releasing after
// every burst, not on a timer, keeps what a burst mapped no longer than it is
// used, and never releases in the middle of one.
func Watch(ctx context.Context, cfg WatchConfig) {
	t := time.NewTicker(cfg.Every)
	defer t.Stop()
	d := detector{busy: cfg.Busy, last: cfg.CPU(), worked: true}
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if d.sample(cfg.CPU()) {
				cfg.Release()
				// The release's own work (a collection, reading the
				// mappings) is not a burst to release after.
				d.last = cfg.CPU()
			}
		}
	}
}

// detector turns readings of CPU time into release points: the first quiet
// reading after work.
type detector struct {
	busy   time.Duration
	last   time.Duration
	worked bool // some reading since the last release was busy
}

// sample takes the process's CPU time now and reports whether to release.
func (d *detector) sample(cpu time.Duration) bool {
	used := cpu - d.last
	d.last = cpu
	if used >= d.busy {
		d.worked = true
		return false
	}
	if !d.worked {
		return false
	}
	d.worked = false
	return true
}

// Releaser releases the executable's pages and says how many were mapped, for
// the log line each release writes.
type Releaser interface {
	Release() error
	Resident() (int64, error)
}

// Logged returns a Release function for [WatchConfig] that releases r and logs,
// at debug level, the executable's mapped size before and after. The sizes are
// read (from /proc, twice) only when that level is on.
func Logged(r Releaser, log *slog.Logger) func() {
	return func() {
		debug := log.Enabled(context.Background(), slog.LevelDebug)
		var before int64
		if debug {
			before, _ = r.Resident()
		}
		if err := r.Release(); err != nil {
			log.Debug("code pages not released", "err", err)
			return
		}
		if debug {
			after, _ := r.Resident()
			log.Debug("code pages released", "mappedKiB", before/1024, "nowKiB", after/1024)
		}
	}
}
