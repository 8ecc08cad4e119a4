//go:build linux

package main

import (
	"context"
	"fmt"
	"log/slog"
	"os/exec"
)

// newLinkOpener returns how the window opens links; env is the environment
// Hush was started with.
func newLinkOpener(_ context.Context, log *slog.Logger, env []string) xdgLinkOpener {
	return xdgLinkOpener{log: log, command: "xdg-open", env: env}
}

// xdgLinkOpener opens links with xdg-open, the desktop's own choice of browser
// or mail program, in the environment Hush was started with: none of what Hush
// set for itself (its WebKit settings, webkitEnv; a portable Hush's XDG
// folders, datadir.Dir.Env) reaches the program, so a browser started from a
// link keeps its JIT and GPU and its profile where it always is.
type xdgLinkOpener struct {
	log     *slog.Logger
	command string // "xdg-open"; a test points it elsewhere
	env     []string
}

// OpenLink starts xdg-open on link without waiting for it: xdg-open may wait
// for the program it starts.
func (o xdgLinkOpener) OpenLink(link string) error {
	// No "--": xdg-open knows none. The link was checked to be an http(s) or
	// mailto address (app.WindowService.OpenLink), so it cannot start with "-".
	// No context either: the program opened outlives the window that opened it.
	cmd := exec.Command(o.command, link)
	cmd.Env = o.env
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("open link: %w", err)
	}
	go func() {
		if err := cmd.Wait(); err != nil {
			o.log.Warn("xdg-open failed", "err", err)
		}
	}()
	return nil
}
