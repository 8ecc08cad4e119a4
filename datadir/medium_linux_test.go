package datadir

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// mountTmpfs mounts a tmpfs with opts at dir, or skips when this process may not
// mount (not root, or a container without the capability).
func mountTmpfs(t *testing.T, dir, opts string) {
	t.Helper()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, opts); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v); TestMediumProblemWords covers the wording", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
}

// Real media: a read-only and a full file system under hush-data/ stop Hush with
// an error that says which, and never fall back to the host profile.
func TestResolvePortableOnReadOnlyAndFullMedia(t *testing.T) {
	t.Run("read-only", func(t *testing.T) {
		_, hostDir := isolateHost(t)
		l := newLayout(t)
		p := filepath.Join(l.exeDir, portableDirName)
		mustMkdir(t, p)
		mountTmpfs(t, p, "ro,size=1m")
		_, err := Resolve("", l.exe)
		if !errors.Is(err, ErrPortableNotWritable) || !errors.Is(err, syscall.EROFS) || !strings.Contains(err.Error(), "read-only") {
			t.Fatalf("Resolve on a read-only medium: %v", err)
		}
		if _, err := os.Stat(hostDir); err == nil {
			t.Fatal("fell back to the host profile")
		}
	})
	t.Run("full", func(t *testing.T) {
		_, hostDir := isolateHost(t)
		l := newLayout(t)
		p := filepath.Join(l.exeDir, portableDirName)
		mustMkdir(t, p)
		mountTmpfs(t, p, "size=256k")
		// Fill it up, as a stick full of photos would be.
		f, err := os.Create(filepath.Join(p, "photos"))
		if err != nil {
			t.Fatal(err)
		}
		for {
			if _, err := f.Write(make([]byte, 4096)); err != nil {
				break
			}
		}
		f.Close()
		_, err = Resolve("", l.exe)
		if !errors.Is(err, ErrPortableNotWritable) || !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), "full") {
			t.Fatalf("Resolve on a full medium: %v", err)
		}
		if _, err := os.Stat(hostDir); err == nil {
			t.Fatal("fell back to the host profile")
		}
	})
}
