//go:build linux && cgo

package main

import (
	"os"
	"strings"
	"testing"
)

// The EGL dispatcher of this process reads an empty vendor list, so Mesa's EGL
// never loads here, and the variable that emptied it is gone again before any
// child process could inherit it. The end-to-end check, with the real window,
// is scripts/smoke-desktop.sh.
func TestKeepGLOutOfWindowProcess(t *testing.T) {
	if err := keepGLOutOfWindowProcess(os.Getenv); err != nil {
		t.Fatal(err)
	}
	if v, ok := os.LookupEnv("__EGL_VENDOR_LIBRARY_FILENAMES"); ok {
		t.Errorf("__EGL_VENDOR_LIBRARY_FILENAMES=%q left for the web process to inherit", v)
	}
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(maps), "libEGL.so.1") {
		t.Fatal("libEGL.so.1 was not loaded: the dispatcher never read its vendor list")
	}
	for _, driver := range []string{"libEGL_mesa", "libLLVM", "_dri.so"} {
		if strings.Contains(string(maps), driver) {
			t.Errorf("%s was loaded into the window's process", driver)
		}
	}
}
