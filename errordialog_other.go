//go:build !(linux && cgo) && !windows

package main

// showStartupError does nothing here: stderr carries the error (macOS builds
// are not produced by CI; Linux without cgo has no window either).
func showStartupError(title, msg string) {}
