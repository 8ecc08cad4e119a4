//go:build windows

package main

import (
	"fmt"
	"syscall"
	"unsafe"

	"golang.org/x/sys/windows"

	"hush/app"
)

// Display affinities of SetWindowDisplayAffinity (winuser.h).
const (
	wdaNone               = 0x00
	wdaMonitor            = 0x01 // older than Windows 10 2004: shown black in captures
	wdaExcludeFromCapture = 0x11 // Windows 10 2004 and later: left out of captures
)

var procSetWindowDisplayAffinity = windows.NewLazySystemDLL("user32.dll").NewProc("SetWindowDisplayAffinity")

// windowProtector hides this process's top-level windows from screen capture while
// a secret chat is open (docs/SECURITY.md, "Secret chats"). Wails v2 sets content
// protection only when the window opens; this switches it as chats open and close.
type windowProtector struct{}

func newScreenProtector() app.ScreenProtector { return windowProtector{} }

func (windowProtector) Support() app.ProtectionSupport { return app.ProtectionSwitchable }

func (windowProtector) SetProtected(on bool) error {
	pid := windows.GetCurrentProcessId()
	var hwnds []windows.HWND
	cb := syscall.NewCallback(func(h windows.HWND, _ uintptr) uintptr {
		var owner uint32
		if _, err := windows.GetWindowThreadProcessId(h, &owner); err == nil && owner == pid {
			hwnds = append(hwnds, h)
		}
		return 1 // go on
	})
	if err := windows.EnumWindows(cb, unsafe.Pointer(nil)); err != nil {
		return fmt.Errorf("list windows: %w", err)
	}
	for _, h := range hwnds {
		affinity := uintptr(wdaNone)
		if on {
			affinity = wdaExcludeFromCapture
		}
		if r, _, err := procSetWindowDisplayAffinity.Call(uintptr(h), affinity); r == 0 {
			if !on {
				return fmt.Errorf("set display affinity: %w", err)
			}
			if r, _, err = procSetWindowDisplayAffinity.Call(uintptr(h), wdaMonitor); r == 0 {
				return fmt.Errorf("set display affinity: %w", err)
			}
		}
	}
	return nil
}
