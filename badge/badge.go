// Package badge shows the number of unread messages on Hush's icon in the
// taskbar or dock, where the desktop offers it:
//
//   - Linux: the com.canonical.Unity.LauncherEntry D-Bus signal on the session
//     bus, which GNOME's Ubuntu Dock and Dash to Dock, KDE Plasma's task manager
//     and Plank read; the icon is the one of the desktop file named in
//     [Options.DesktopID].
//   - Windows: an overlay icon on the window's taskbar button
//     (ITaskbarList3::SetOverlayIcon), drawn by [Icon].
//   - macOS: the dock tile's badge label.
//
// Elsewhere, and where the desktop has no such place (no session bus, no
// taskbar), [Badge.Set] returns an error wrapping [ErrUnavailable], which callers
// treat as "no badge here" rather than as a failure. Browser mode needs none: the
// tab's title carries the count.
//
// [Badge.Set] talks to the desktop directly and may block for a moment (a D-Bus
// write, a COM call); call it off any path that must not wait.
package badge

import (
	"context"
	"errors"
)

// ErrUnavailable reports that this desktop offers no badge: no session bus on
// Linux, no taskbar window on Windows, an unsupported system.
var ErrUnavailable = errors.New("badge: not available on this desktop")

// DefaultDesktopID is the desktop file the .deb installs
// (/usr/share/applications/hush.desktop), which docks match the badge to.
const DefaultDesktopID = "hush.desktop"

// Options say which application the badge is for. The zero value is Hush's.
type Options struct {
	// DesktopID names the application's desktop file on Linux; ""
	// means [DefaultDesktopID]. Unused elsewhere.
	DesktopID string
	// BusAddress is the D-Bus address to signal on Linux; "" means the session
	// bus of the environment (DBUS_SESSION_BUS_ADDRESS, else
	// $XDG_RUNTIME_DIR/bus). Tests point it at a bus of their own. Unused
	// elsewhere.
	BusAddress string
}

// Badge shows a count on the application's icon. Make one with [New]; its
// methods are safe for concurrent use.
type Badge struct {
	opts Options
	p    platform // the system's part (badge_linux.go, badge_windows.go, …)
}

// New returns a badge for the application opts names. It does not touch the
// desktop until the first [Badge.Set].
func New(opts Options) *Badge {
	if opts.DesktopID == "" {
		opts.DesktopID = DefaultDesktopID
	}
	return &Badge{opts: opts}
}

// Set shows count on the icon, or no badge at all when count is 0 (or less).
func (b *Badge) Set(ctx context.Context, count int) error {
	return b.p.set(ctx, b.opts, max(count, 0))
}

// Close clears nothing (call Set(ctx, 0) first) and releases what the badge
// holds: the D-Bus connection on Linux.
func (b *Badge) Close() error { return b.p.close() }
