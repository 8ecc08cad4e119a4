//go:build windows

package main

import (
	"fmt"
	"sync"
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
//
// The EnumWindows callback is made once: Go never frees a syscall.NewCallback and
// allows a process about 2000 of them, so one per switch would end in a panic
// after enough secret chats were opened and closed.
type windowProtector struct {
	mu    sync.Mutex // one enumeration at a time: found is shared
	found []windows.HWND
	enum  uintptr
}

func newScreenProtector() app.ScreenProtector {
	p := &windowProtector{}
	p.enum = syscall.NewCallback(p.collect)
	return p
}

// collect is EnumWindows' callback: it keeps this process's windows.
func (p *windowProtector) collect(h windows.HWND, _ uintptr) uintptr {
	var owner uint32
	if _, err := windows.GetWindowThreadProcessId(h, &owner); err == nil && owner == windows.GetCurrentProcessId() {
		p.found = append(p.found, h)
	}
	return 1 // go on
}

func (*windowProtector) Support() app.ProtectionSupport { return app.ProtectionSwitchable }

func (p *windowProtector) SetProtected(on bool) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.found = p.found[:0]
	if err := windows.EnumWindows(p.enum, unsafe.Pointer(nil)); err != nil {
		return fmt.Errorf("list windows: %w", err)
	}
	hwnds := p.found
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
