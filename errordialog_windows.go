package main

import "golang.org/x/sys/windows"

// showStartupError puts an error that stopped the window from opening in a
// message box: a program started from Explorer has no console for stderr.
func showStartupError(title, msg string) {
	t, err1 := windows.UTF16PtrFromString(title)
	m, err2 := windows.UTF16PtrFromString(msg)
	if err1 != nil || err2 != nil {
		return // a NUL in the text; stderr still has it
	}
	windows.MessageBox(0, m, t, windows.MB_OK|windows.MB_ICONERROR)
}
