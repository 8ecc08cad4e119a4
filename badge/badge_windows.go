package badge

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"syscall"
	"unsafe"

	"golang.org/x/sys/windows"
)

// Windows shows a count on a taskbar button as an overlay icon over the
// application's, set with ITaskbarList3::SetOverlayIcon — COM called through
// syscall, so hush.exe still builds without cgo.

// wailsWindowClass is the class of the window Wails v2 opens
// (options.Windows.WindowClassName, which Hush leaves at its default).
const wailsWindowClass = "wailsWindow"

var (
	user32                 = windows.NewLazySystemDLL("user32.dll")
	procFindWindowExW      = user32.NewProc("FindWindowExW")
	procCreateIconIndirect = user32.NewProc("CreateIconIndirect")
	procDestroyIcon        = user32.NewProc("DestroyIcon")
	procGetDpiForWindow    = user32.NewProc("GetDpiForWindow") // Windows 10 1607 and later
	gdi32                  = windows.NewLazySystemDLL("gdi32.dll")
	procCreateDIBSection   = gdi32.NewProc("CreateDIBSection")
	procCreateBitmap       = gdi32.NewProc("CreateBitmap")
	procDeleteObject       = gdi32.NewProc("DeleteObject")
	ole32                  = windows.NewLazySystemDLL("ole32.dll")
	procCoCreateInstance   = ole32.NewProc("CoCreateInstance")
)

// clsidTaskbarList is CLSID_TaskbarList, {56FDF344-FD6D-11d0-958A-006097C9A090}.
func clsidTaskbarList() windows.GUID {
	return windows.GUID{Data1: 0x56FDF344, Data2: 0xFD6D, Data3: 0x11D0, Data4: [8]byte{0x95, 0x8A, 0x00, 0x60, 0x97, 0xC9, 0xA0, 0x90}}
}

// iidTaskbarList3 is IID_ITaskbarList3, {EA1AFB91-9E28-4B86-90E9-9E9F8A5EEFAF}.
func iidTaskbarList3() windows.GUID {
	return windows.GUID{Data1: 0xEA1AFB91, Data2: 0x9E28, Data3: 0x4B86, Data4: [8]byte{0x90, 0xE9, 0x9E, 0x9F, 0x8A, 0x5E, 0xEF, 0xAF}}
}

// Slots of ITaskbarList3's vtable (shobjidl_core.h): IUnknown, ITaskbarList,
// ITaskbarList2, then its own methods in order.
const (
	slotRelease        = 2
	slotHrInit         = 3
	slotSetOverlayIcon = 18
)

// rpcEChangedMode is RPC_E_CHANGED_MODE: COM is already set up on this thread
// in the other threading model, which serves as well.
const rpcEChangedMode = syscall.Errno(0x80010106)

// comObject is a COM interface pointer: a pointer to its vtable.
type comObject struct {
	vtbl *[slotSetOverlayIcon + 1]uintptr
}

func (o *comObject) call(slot int, args ...uintptr) uintptr {
	r, _, _ := syscall.SyscallN(o.vtbl[slot], append([]uintptr{uintptr(unsafe.Pointer(o))}, args...)...)
	return r
}

// platform remembers the window found last, so the windows are not searched on
// every count.
type platform struct {
	mu   sync.Mutex
	hwnd windows.HWND
}

func (p *platform) set(_ context.Context, _ Options, count int) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.hwnd == 0 || !windows.IsWindow(p.hwnd) {
		p.hwnd = findWindow()
		if p.hwnd == 0 {
			return fmt.Errorf("no %s window in this process: %w", wailsWindowClass, ErrUnavailable)
		}
	}

	// COM wants the thread it was set up on: keep this goroutine on it.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	switch err := windows.CoInitializeEx(0, windows.COINIT_APARTMENTTHREADED); {
	case err == nil, errors.Is(err, syscall.Errno(1)): // S_OK, S_FALSE (already set up): balance it
		defer windows.CoUninitialize()
	case errors.Is(err, rpcEChangedMode):
	default:
		return fmt.Errorf("badge: set up COM: %w", err)
	}

	clsid, iid := clsidTaskbarList(), iidTaskbarList3()
	var tb *comObject
	if r, _, _ := procCoCreateInstance.Call(uintptr(unsafe.Pointer(&clsid)), 0, windows.CLSCTX_INPROC_SERVER,
		uintptr(unsafe.Pointer(&iid)), uintptr(unsafe.Pointer(&tb))); r != 0 || tb == nil {
		return fmt.Errorf("badge: no taskbar (%w): %w", syscall.Errno(r), ErrUnavailable)
	}
	defer tb.call(slotRelease)
	if r := tb.call(slotHrInit); r != 0 {
		return fmt.Errorf("badge: taskbar: %w", syscall.Errno(r))
	}

	var icon uintptr
	var desc *uint16 // read by the taskbar as the button's accessible text
	if count > 0 {
		h, err := overlayIcon(count, iconSize(p.hwnd))
		if err != nil {
			return err
		}
		// The taskbar keeps its own copy of the icon.
		defer procDestroyIcon.Call(h)
		icon = h
		if desc, err = windows.UTF16PtrFromString(Label(count) + " unread"); err != nil {
			return fmt.Errorf("badge: %w", err)
		}
	}
	r := tb.call(slotSetOverlayIcon, uintptr(p.hwnd), icon, uintptr(unsafe.Pointer(desc)))
	runtime.KeepAlive(desc)
	if r != 0 {
		return fmt.Errorf("badge: set overlay icon: %w", syscall.Errno(r))
	}
	return nil
}

func (p *platform) close() error { return nil }

// findWindow returns this process's Wails window (0 if there is none yet): the
// top-level windows of its class, walked with FindWindowEx (no callback, which
// Go could never free), the first that belongs to this process.
func findWindow() windows.HWND {
	class, err := windows.UTF16PtrFromString(wailsWindowClass)
	if err != nil {
		return 0
	}
	pid := windows.GetCurrentProcessId()
	var h uintptr
	for {
		h, _, _ = procFindWindowExW.Call(0, h, uintptr(unsafe.Pointer(class)), 0)
		if h == 0 {
			return 0
		}
		var owner uint32
		if _, err := windows.GetWindowThreadProcessId(windows.HWND(h), &owner); err == nil && owner == pid {
			return windows.HWND(h)
		}
	}
}

// iconSize is the small icon size for the window's display: 16 pixels at 96
// DPI, scaled with it.
func iconSize(hwnd windows.HWND) int {
	dpi := uintptr(96)
	if procGetDpiForWindow.Find() == nil {
		if d, _, _ := procGetDpiForWindow.Call(uintptr(hwnd)); d != 0 {
			dpi = d
		}
	}
	return int(16 * dpi / 96)
}

// bitmapInfoHeader is BITMAPINFOHEADER (wingdi.h).
type bitmapInfoHeader struct {
	Size          uint32
	Width         int32
	Height        int32
	Planes        uint16
	BitCount      uint16
	Compression   uint32
	SizeImage     uint32
	XPelsPerMeter int32
	YPelsPerMeter int32
	ClrUsed       uint32
	ClrImportant  uint32
}

// iconInfo is ICONINFO (winuser.h).
type iconInfo struct {
	FIcon    int32
	XHotspot uint32
	YHotspot uint32
	HbmMask  uintptr
	HbmColor uintptr
}

// overlayIcon makes an HICON of [Icon](count, size): a 32-bit top-down DIB
// with straight alpha (as icons take it) and an empty mask, which the alpha
// overrides. The caller destroys it.
func overlayIcon(count, size int) (uintptr, error) {
	img := Icon(count, size)
	if img == nil {
		return 0, fmt.Errorf("badge: no icon for %d at %d pixels", count, size)
	}
	bi := bitmapInfoHeader{Size: uint32(unsafe.Sizeof(bitmapInfoHeader{})), Width: int32(size), Height: -int32(size), Planes: 1, BitCount: 32}
	var bits unsafe.Pointer
	color, _, _ := procCreateDIBSection.Call(0, uintptr(unsafe.Pointer(&bi)), 0 /* DIB_RGB_COLORS */, uintptr(unsafe.Pointer(&bits)), 0, 0)
	if color == 0 || bits == nil {
		return 0, errors.New("badge: create the icon's bitmap")
	}
	defer procDeleteObject.Call(color)
	dst := unsafe.Slice((*byte)(bits), size*size*4)
	for i := 0; i < size*size; i++ {
		r, g, b, a := img.Pix[4*i], img.Pix[4*i+1], img.Pix[4*i+2], img.Pix[4*i+3]
		dst[4*i], dst[4*i+1], dst[4*i+2], dst[4*i+3] = b, g, r, a
	}
	mask := make([]byte, ((size+15)/16)*2*size) // 1 bit a pixel, rows WORD-aligned
	hmask, _, _ := procCreateBitmap.Call(uintptr(size), uintptr(size), 1, 1, uintptr(unsafe.Pointer(&mask[0])))
	if hmask == 0 {
		return 0, errors.New("badge: create the icon's mask")
	}
	defer procDeleteObject.Call(hmask)
	ii := iconInfo{FIcon: 1, HbmMask: hmask, HbmColor: color}
	h, _, err := procCreateIconIndirect.Call(uintptr(unsafe.Pointer(&ii)))
	if h == 0 {
		return 0, fmt.Errorf("badge: create the icon: %w", err)
	}
	return h, nil
}
