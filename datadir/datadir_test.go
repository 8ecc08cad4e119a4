package datadir

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// layout is a fake install: an executable's folder and the path of the
// executable in it (the file itself need not exist for Resolve).
type layout struct {
	exeDir string
	exe    string
}

func newLayout(t *testing.T) layout {
	t.Helper()
	d := filepath.Join(t.TempDir(), "usb")
	mustMkdir(t, d)
	return layout{exeDir: d, exe: filepath.Join(d, "hush")}
}

func mustMkdir(t *testing.T, p string) {
	t.Helper()
	if err := os.MkdirAll(p, 0o700); err != nil {
		t.Fatal(err)
	}
}

func mustWrite(t *testing.T, p string) {
	t.Helper()
	if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
}

// isolateHost points os.UserConfigDir at an empty folder, so no test can
// touch the real profile, and returns where Hush's host folder would be.
func isolateHost(t *testing.T) (home, hostDir string) {
	t.Helper()
	home = t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, "config"))
	t.Setenv("AppData", filepath.Join(home, "appdata"))
	cfg, err := os.UserConfigDir()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(cfg, home) {
		t.Fatalf("UserConfigDir %s escaped the test home %s", cfg, home)
	}
	return home, filepath.Join(cfg, hostDirName)
}

// unwritableDir makes dir (which exists) unwritable. chmod 0500 does that
// for ordinary users; as root it does not, so then dir is replaced by a
// symlink to a path under a regular file, which nobody can create or write.
func unwritableDir(t *testing.T, dir string) {
	t.Helper()
	if err := os.Chmod(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(dir, 0o700) })
	probe, err := os.CreateTemp(dir, "probe-*")
	if err != nil {
		return // chmod is enough here
	}
	probe.Close()
	os.Remove(probe.Name())
	t.Logf("chmod 0500 does not stop writes here (root?); using a path under a regular file instead")
	os.Chmod(dir, 0o700)
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	blocker := filepath.Join(t.TempDir(), "regular-file")
	mustWrite(t, blocker)
	if err := os.Symlink(filepath.Join(blocker, "sub"), dir); err != nil {
		t.Fatal(err)
	}
}

func TestResolveFlag(t *testing.T) {
	_, hostDir := isolateHost(t)
	l := newLayout(t)
	mustMkdir(t, filepath.Join(l.exeDir, portableDirName)) // the flag wins over portable mode
	flag := filepath.Join(t.TempDir(), "a", "b", "data")

	d, err := Resolve(flag, l.exe)
	if err != nil {
		t.Fatalf("Resolve: %v", err)
	}
	if d.Path != flag || d.Portable {
		t.Fatalf("Resolve = %+v, want {%s false}", d, flag)
	}
	st, err := os.Stat(flag)
	if err != nil || !st.IsDir() {
		t.Fatalf("flag dir not created: %v", err)
	}
	if runtime.GOOS != "windows" && st.Mode().Perm() != 0o700 {
		t.Errorf("flag dir mode %v, want 0700", st.Mode().Perm())
	}
	assertNoLeftovers(t, flag)
	if _, err := os.Stat(hostDir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the host profile folder was touched: %v", err)
	}
}

func TestResolveFlagRelative(t *testing.T) {
	isolateHost(t)
	t.Chdir(t.TempDir())
	d, err := Resolve("rel/data", "")
	if err != nil {
		t.Fatal(err)
	}
	if !filepath.IsAbs(d.Path) || filepath.Base(d.Path) != "data" {
		t.Fatalf("Path = %q, want an absolute path ending in data", d.Path)
	}
}

func TestResolveFlagNotWritable(t *testing.T) {
	isolateHost(t)
	tests := []struct {
		name  string
		setup func(t *testing.T) string
	}{
		{"under a regular file", func(t *testing.T) string {
			f := filepath.Join(t.TempDir(), "file")
			mustWrite(t, f)
			return filepath.Join(f, "data")
		}},
		{"is a regular file", func(t *testing.T) string {
			f := filepath.Join(t.TempDir(), "file")
			mustWrite(t, f)
			return f
		}},
		{"read-only directory", func(t *testing.T) string {
			d := filepath.Join(t.TempDir(), "ro")
			mustMkdir(t, d)
			unwritableDir(t, d)
			return d
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			flag := tt.setup(t)
			_, err := Resolve(flag, "")
			if !errors.Is(err, ErrNotWritable) {
				t.Fatalf("Resolve error = %v, want ErrNotWritable", err)
			}
			if !strings.Contains(err.Error(), flag) {
				t.Errorf("error %q does not name %s", err, flag)
			}
		})
	}
}

func TestResolvePortable(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, l layout)
	}{
		{"hush-data folder", func(t *testing.T, l layout) {
			mustMkdir(t, filepath.Join(l.exeDir, portableDirName))
		}},
		{"portable marker", func(t *testing.T, l layout) {
			mustWrite(t, filepath.Join(l.exeDir, portableMarkerName))
		}},
		{"marker and folder", func(t *testing.T, l layout) {
			mustWrite(t, filepath.Join(l.exeDir, portableMarkerName))
			mustMkdir(t, filepath.Join(l.exeDir, portableDirName))
		}},
		{"hush-data symlink to a folder", func(t *testing.T, l layout) {
			target := filepath.Join(t.TempDir(), "elsewhere")
			mustMkdir(t, target)
			if err := os.Symlink(target, filepath.Join(l.exeDir, portableDirName)); err != nil {
				t.Skipf("symlinks unavailable: %v", err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, hostDir := isolateHost(t)
			l := newLayout(t)
			tt.setup(t, l)
			d, err := Resolve("", l.exe)
			if err != nil {
				t.Fatalf("Resolve: %v", err)
			}
			want := filepath.Join(l.exeDir, portableDirName)
			if d.Path != want || !d.Portable {
				t.Fatalf("Resolve = %+v, want {%s true}", d, want)
			}
			if st, err := os.Stat(d.TempDir()); err != nil || !st.IsDir() {
				t.Errorf("portable tmp folder %s not created: %v", d.TempDir(), err)
			}
			assertNoLeftovers(t, d.Path)
			// Portable mode writes nothing to the host profile.
			if _, err := os.Stat(hostDir); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("portable mode touched the host profile folder: %v", err)
			}
		})
	}
}

func TestResolvePortableMarkerCreatesPrivateFolder(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Unix permission bits")
	}
	isolateHost(t)
	l := newLayout(t)
	mustWrite(t, filepath.Join(l.exeDir, portableMarkerName))
	d, err := Resolve("", l.exe)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(d.Path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o700 {
		t.Errorf("created portable folder mode %v, want 0700", st.Mode().Perm())
	}
}

func TestResolvePortableNotWritable(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, l layout)
	}{
		{"read-only hush-data", func(t *testing.T, l layout) {
			p := filepath.Join(l.exeDir, portableDirName)
			mustMkdir(t, p)
			unwritableDir(t, p)
		}},
		{"marker but hush-data is a file", func(t *testing.T, l layout) {
			mustWrite(t, filepath.Join(l.exeDir, portableMarkerName))
			mustWrite(t, filepath.Join(l.exeDir, portableDirName))
		}},
		{"hush-data is a file", func(t *testing.T, l layout) {
			mustWrite(t, filepath.Join(l.exeDir, portableDirName))
		}},
		{"hush-data points under a regular file", func(t *testing.T, l layout) {
			blocker := filepath.Join(t.TempDir(), "regular-file")
			mustWrite(t, blocker)
			if err := os.Symlink(filepath.Join(blocker, "sub"), filepath.Join(l.exeDir, portableDirName)); err != nil {
				t.Fatal(err)
			}
		}},
		{"dangling hush-data symlink", func(t *testing.T, l layout) {
			if err := os.Symlink(filepath.Join(t.TempDir(), "gone", "x"), filepath.Join(l.exeDir, portableDirName)); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, hostDir := isolateHost(t)
			l := newLayout(t)
			tt.setup(t, l)
			_, err := Resolve("", l.exe)
			if !errors.Is(err, ErrPortableNotWritable) {
				t.Fatalf("Resolve error = %v, want ErrPortableNotWritable", err)
			}
			if want := filepath.Join(l.exeDir, portableDirName); !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not name %s", err, want)
			}
			// Never a silent fallback to the host profile.
			if _, err := os.Stat(hostDir); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("fell back to the host profile folder: %v", err)
			}
		})
	}
}

func TestResolveFallback(t *testing.T) {
	for _, exe := range []string{"with exe", "no exe"} {
		t.Run(exe, func(t *testing.T) {
			home, hostDir := isolateHost(t)
			exePath := ""
			if exe == "with exe" {
				l := newLayout(t)
				// Near misses do not make Hush portable.
				mustWrite(t, filepath.Join(l.exeDir, "portable.txt"))
				mustMkdir(t, filepath.Join(l.exeDir, "hush-data-old"))
				exePath = l.exe
			}
			d, err := Resolve("", exePath)
			if err != nil {
				t.Fatalf("Resolve: %v", err)
			}
			if d.Path != hostDir || d.Portable {
				t.Fatalf("Resolve = %+v, want {%s false}", d, hostDir)
			}
			if !strings.HasPrefix(d.Path, home) {
				t.Fatalf("fallback %s is not under the test HOME %s", d.Path, home)
			}
			st, err := os.Stat(hostDir)
			if err != nil || !st.IsDir() {
				t.Fatalf("host folder not created: %v", err)
			}
			if runtime.GOOS != "windows" && st.Mode().Perm() != 0o700 {
				t.Errorf("host folder mode %v, want 0700", st.Mode().Perm())
			}
			// Resolving again finds the same folder.
			if d2, err := Resolve("", exePath); err != nil || d2 != d {
				t.Fatalf("second Resolve = %+v, %v", d2, err)
			}
		})
	}
}

func TestResolveFallbackNotWritable(t *testing.T) {
	if runtime.GOOS == "darwin" {
		t.Skip("darwin ignores XDG_CONFIG_HOME")
	}
	home := t.TempDir()
	blocker := filepath.Join(home, "config")
	mustWrite(t, blocker) // XDG_CONFIG_HOME is a file: nothing can be made under it
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", blocker)
	t.Setenv("AppData", blocker)
	_, err := Resolve("", "")
	if !errors.Is(err, ErrNotWritable) {
		t.Fatalf("Resolve error = %v, want ErrNotWritable", err)
	}
}

func TestDirPaths(t *testing.T) {
	t.Parallel()
	root := filepath.Join(string(filepath.Separator), "media", "usb", "hush-data")
	portable := Dir{Path: root, Portable: true}
	host := Dir{Path: filepath.Join(string(filepath.Separator), "home", "u", ".config", "Hush")}

	if got, want := portable.VaultPath(), filepath.Join(root, "vault.db"); got != want {
		t.Errorf("VaultPath = %s, want %s", got, want)
	}
	if got, want := host.VaultPath(), filepath.Join(host.Path, "vault.db"); got != want {
		t.Errorf("VaultPath = %s, want %s", got, want)
	}
	data, cache := portable.WebViewDirs()
	if data != filepath.Join(root, "webview", "data") || cache != filepath.Join(root, "webview", "cache") {
		t.Errorf("portable WebViewDirs = %s, %s", data, cache)
	}
	if data, cache := (Dir{Path: host.Path, goos: "linux"}).WebViewDirs(); data != "" || cache != "" {
		t.Errorf("host WebViewDirs on Linux = %q, %q, want the OS default (empty)", data, cache)
	}
	if data, _ := (Dir{Path: host.Path, goos: "windows"}).WebViewDirs(); data != filepath.Join(host.Path, "webview", "data") {
		t.Errorf("host WebViewDirs on Windows = %q, want inside the data directory", data)
	}
	if got, want := portable.TempDir(), filepath.Join(root, "tmp"); got != want {
		t.Errorf("portable TempDir = %s, want %s", got, want)
	}
	if got := host.TempDir(); got != os.TempDir() {
		t.Errorf("host TempDir = %s, want %s", got, os.TempDir())
	}
}

// assertNoLeftovers checks the writability probe cleaned up after itself.
func assertNoLeftovers(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".hush-write-test") {
			t.Errorf("writability probe %s left behind", e.Name())
		}
	}
}

// What erasing a removed device deletes besides the vault: the WebView's folders
// wherever Hush can name them, and nothing of anyone else's.
func TestEraseDirs(t *testing.T) {
	data, cache := t.TempDir(), t.TempDir()
	t.Setenv("XDG_DATA_HOME", data)
	t.Setenv("XDG_CACHE_HOME", cache)
	root := filepath.Join(t.TempDir(), "Hush")
	cases := []struct {
		name string
		dir  Dir
		want []string
	}{
		{"portable", Dir{Path: root, Portable: true, goos: "linux"}, []string{filepath.Join(root, "webview"), filepath.Join(root, "tmp")}},
		{"linux: WebKitGTK's folders, named after the program", Dir{Path: root, goos: "linux"}, []string{filepath.Join(data, "hush"), filepath.Join(cache, "hush")}},
		{"windows: the WebView2 folder Hush chose", Dir{Path: root, goos: "windows"}, []string{filepath.Join(root, "webview")}},
		{"macOS: none Hush can name", Dir{Path: root, goos: "darwin"}, nil},
	}
	for _, c := range cases {
		if got := c.dir.EraseDirs(); !slices.Equal(got, c.want) {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
	// A relative XDG_DATA_HOME is ignored (the XDG specification): the default
	// under the home folder applies, never a folder relative to where Hush runs.
	t.Setenv("XDG_DATA_HOME", "relative/share")
	home := t.TempDir() // a home folder of the test's own, so the case always runs
	t.Setenv("HOME", home)
	if got := (Dir{Path: root, goos: "linux"}).EraseDirs(); len(got) == 0 || got[0] != filepath.Join(home, ".local", "share", "hush") {
		t.Errorf("with a relative XDG_DATA_HOME: %q", got)
	}
}

// Portable mode points every folder the WebView and its libraries pick by
// themselves inside the portable folder; outside portable mode nothing changes.
func TestEnvPortable(t *testing.T) {
	t.Parallel()
	root := filepath.Join(string(filepath.Separator), "media", "usb", "hush-data")
	env := Dir{Path: root, Portable: true}.Env()
	got := map[string]string{}
	for _, kv := range env {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			t.Fatalf("pair %q has no =", kv)
		}
		got[k] = v
	}
	for _, k := range []string{"XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "TMPDIR", "TMP", "TEMP", "MESA_SHADER_CACHE_DIR", "__GL_SHADER_DISK_CACHE_PATH"} {
		v, ok := got[k]
		if !ok {
			t.Errorf("%s not set in portable mode", k)
			continue
		}
		if !strings.HasPrefix(v, root+string(filepath.Separator)) {
			t.Errorf("%s=%s is outside the portable folder %s", k, v, root)
		}
	}
	data, cache := Dir{Path: root, Portable: true}.WebViewDirs()
	if got["XDG_DATA_HOME"] != data || got["XDG_CACHE_HOME"] != cache {
		t.Errorf("XDG data/cache %s, %s differ from WebViewDirs %s, %s (EraseDirs would miss them)", got["XDG_DATA_HOME"], got["XDG_CACHE_HOME"], data, cache)
	}
	if env := (Dir{Path: root}).Env(); env != nil {
		t.Errorf("non-portable Env = %q, want nil", env)
	}
}

// A read-only or full medium is named as such, with the cause kept for errors.Is.
func TestMediumProblemWords(t *testing.T) {
	t.Parallel()
	cases := []struct {
		err  error
		want string
	}{
		{&fs.PathError{Op: "open", Path: "/media/usb/hush-data/x", Err: syscall.EROFS}, "read-only"},
		{&fs.PathError{Op: "write", Path: "/media/usb/hush-data/x", Err: syscall.ENOSPC}, "full"},
		{&fs.PathError{Op: "open", Path: "/media/usb/hush-data/x", Err: syscall.EACCES}, "no permission"},
	}
	for _, c := range cases {
		got := mediumProblem(c.err)
		if !strings.Contains(got.Error(), c.want) || !errors.Is(got, c.err.(*fs.PathError).Err) {
			t.Errorf("mediumProblem(%v) = %v, want it to say %q and keep the cause", c.err, got, c.want)
		}
	}
	if mediumProblem(nil) != nil {
		t.Error("mediumProblem(nil) != nil")
	}
}

// A read-only portable folder stops Hush with an error that says why, in words.
func TestResolvePortableReadOnlySaysSo(t *testing.T) {
	_, _ = isolateHost(t)
	l := newLayout(t)
	p := filepath.Join(l.exeDir, portableDirName)
	mustMkdir(t, p)
	if err := os.Chmod(p, 0o500); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(p, 0o700) })
	if f, err := os.CreateTemp(p, "probe-*"); err == nil {
		f.Close()
		os.Remove(f.Name())
		t.Skip("chmod 0500 does not stop writes here (root); TestResolvePortableNotWritable covers the refusal")
	}
	_, err := Resolve("", l.exe)
	if !errors.Is(err, ErrPortableNotWritable) || !strings.Contains(err.Error(), "no permission") {
		t.Fatalf("Resolve on a read-only folder: %v, want ErrPortableNotWritable saying no permission", err)
	}
}
