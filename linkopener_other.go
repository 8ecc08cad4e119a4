//go:build !linux

package main

import (
	"context"
	"log/slog"

	wruntime "github.com/wailsapp/wails/v2/pkg/runtime"
)

// newLinkOpener returns how the window opens links.
func newLinkOpener(ctx context.Context, _ *slog.Logger, _ []string) wailsLinkOpener {
	return wailsLinkOpener{ctx: ctx}
}

// wailsLinkOpener opens links in the system's browser through Wails (the
// shell's default handler on Windows and macOS, which start it as the shell
// would, not as a child with Hush's environment).
type wailsLinkOpener struct{ ctx context.Context }

// OpenLink hands link to the system.
func (o wailsLinkOpener) OpenLink(link string) error {
	wruntime.BrowserOpenURL(o.ctx, link)
	return nil
}
