//go:build !windows && !darwin

package main

import "hush/app"

// newScreenProtector returns nil: on Linux no compositor honours a request to keep
// a window out of screen capture, so Hush cannot hide its window there and the
// secret chat's header says so.
func newScreenProtector() app.ScreenProtector { return nil }
