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

// portableOnTmpfs is a layout whose hush-data/ is a fresh tmpfs mounted with
// opts, and where the host profile folder would be.
func portableOnTmpfs(t *testing.T, opts string) (l layout, dataDir, hostDir string) {
	t.Helper()
	_, hostDir = isolateHost(t)
	l = newLayout(t)
	dataDir = filepath.Join(l.exeDir, portableDirName)
	mustMkdir(t, dataDir)
	mountTmpfs(t, dataDir, opts)
	return l, dataDir, hostDir
}

// Real media: a read-only and a full file system under hush-data/ stop Hush with
// an error that says which, and never fall back to the host profile.
func TestResolvePortableOnReadOnlyAndFullMedia(t *testing.T) {
	cases := []struct {
		name, opts string
		fill       bool // write until the medium is full, as a stick full of photos
		errno      syscall.Errno
		words      string
	}{
		{"read-only", "ro,size=1m", false, syscall.EROFS, "read-only"},
		{"full", "size=256k", true, syscall.ENOSPC, "full"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l, p, hostDir := portableOnTmpfs(t, c.opts)
			if c.fill {
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
			}
			_, err := Resolve("", l.exe)
			if !errors.Is(err, ErrPortableNotWritable) || !errors.Is(err, c.errno) || !strings.Contains(err.Error(), c.words) {
				t.Fatalf("Resolve on a %s medium: %v", c.name, err)
			}
			if _, err := os.Stat(hostDir); err == nil {
				t.Fatal("fell back to the host profile")
			}
		})
	}
}
