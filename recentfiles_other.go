//go:build !(linux && cgo)

package main

// keepOutOfRecentFiles does nothing here: Wails's dialogs on Windows and macOS
// give no such option (on Windows the shell may list the files in its recent
// items; docs/SECURITY.md, "Attachments", says so).
func keepOutOfRecentFiles() {}
