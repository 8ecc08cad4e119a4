//go:build linux && cgo

package main

/*
#cgo LDFLAGS: -ldl
#include <dlfcn.h>
#include <stddef.h>

// hush_egl_load_vendors has libglvnd's EGL dispatcher (libEGL.so.1) read its
// list of vendor libraries now. It reads it once per process, on its first
// use, from __EGL_VENDOR_LIBRARY_FILENAMES among others. Returns 0 when there
// is no libEGL.so.1 to load. The handle is never closed: unloading the library
// would let it read the list again.
static int hush_egl_load_vendors(void) {
	void *h = dlopen("libEGL.so.1", RTLD_NOW | RTLD_GLOBAL);
	if (h == NULL) return 0;
	void *query = dlsym(h, "eglQueryString");
	if (query == NULL) return 0;
	// eglQueryString(EGL_NO_DISPLAY, EGL_EXTENSIONS): the client extensions,
	// which libglvnd gathers from every vendor, loading them first.
	((const char *(*)(void *, int))query)(NULL, 0x3055);
	return 1;
}
*/
import "C"

import (
	"fmt"
	"os"
)

// noEGLVendors names a vendor file that does not exist, so that libglvnd's
// EGL loads none.
const noEGLVendors = "/nonexistent/hush-no-egl-vendor.json"

// keepGLOutOfWindowProcess keeps the GPU drivers (Mesa, and with it libLLVM)
// out of the window's own process, which never draws with OpenGL: the window
// runs without GPU compositing (WebviewGpuPolicyNever), so the web process
// paints the page in software and this process copies its bitmaps to the
// screen with cairo. WebKit and GDK would still open an EGL and a GLX display
// here, and loading the driver costs ~20 MB of this process's memory (docs/
// PERFORMANCE.md, "Desktop cold start and memory").
//
// EGL: libglvnd reads the vendor list once per process, so it is made to read
// an empty one now and the variable is removed again before WebKit starts its
// web process, which needs the driver (WebKitGTK stops without an EGL display)
// and inherits this process's environment. GLX: GDK_GL=disable, set by
// webkitEnv, stops GDK from probing it.
//
// It does nothing where the user has chosen EGL vendors themselves.
func keepGLOutOfWindowProcess(getenv func(string) string) error {
	if getenv("__EGL_VENDOR_LIBRARY_FILENAMES") != "" || getenv("__EGL_VENDOR_LIBRARY_DIRS") != "" {
		return nil
	}
	if err := os.Setenv("__EGL_VENDOR_LIBRARY_FILENAMES", noEGLVendors); err != nil {
		return fmt.Errorf("keep EGL out: %w", err)
	}
	C.hush_egl_load_vendors()
	if err := os.Unsetenv("__EGL_VENDOR_LIBRARY_FILENAMES"); err != nil {
		return fmt.Errorf("keep EGL out: %w", err)
	}
	return nil
}
