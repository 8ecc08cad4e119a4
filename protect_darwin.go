//go:build darwin

package main

import "hush/app"

// windowProtector reports what macOS allows through Wails v2: content protection
// set when the window opens (mac.Options.ContentProtection, which runDesktop sets),
// so the window is left out of screen capture always, not only while a secret chat
// is open. This file compiles only on macOS, which cannot be built here.
type windowProtector struct{}

func newScreenProtector() app.ScreenProtector { return windowProtector{} }

func (windowProtector) Support() app.ProtectionSupport { return app.ProtectionAlways }

func (windowProtector) SetProtected(bool) error { return nil }
