// Package datadir decides where Hush keeps its data (docs/ARCHITECTURE.md, "Where
// data lives") and enforces
// the one-writer rule: one Hush process per data directory.
//
// [Resolve] picks the directory: the --data-dir flag, else a portable folder
// next to the executable, else the per-user config directory. A portable
// folder that cannot be written is an error ([ErrPortableNotWritable]), never
// a silent move to the host's profile: a user who runs Hush from a USB stick
// has asked that nothing be written to the host; for the same reason a
// portable process sets [Dir.Env] before its window starts. [Acquire] then
// takes the directory's lock; a second process gets [ErrInUse].
package datadir

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
)

// Names inside and next to the data directory.
const (
	portableDirName    = "hush-data" // the portable folder, next to the executable
	portableMarkerName = "portable"  // a file next to the executable that asks for portable mode
	hostDirName        = "Hush"      // under os.UserConfigDir()
	vaultFileName      = "vault.db"
	lockFileName       = "hush.lock"
	webViewDirName     = "webview"
	tmpDirName         = "tmp"
	dirPerm            = 0o700
	// probeSize is what the writability probe writes: enough that a full
	// medium says so at start rather than at the first message (an empty file
	// needs only a directory entry, which a full FAT stick still has).
	probeSize = 64 << 10
)

var (
	// ErrPortableNotWritable reports a portable folder (or a portable marker
	// whose folder cannot be created) that Hush cannot write. The caller
	// should tell the user and stop rather than fall back to the host.
	ErrPortableNotWritable = errors.New("portable data folder is not writable")

	// ErrNotWritable reports a data directory from the flag or the host
	// profile that Hush cannot create or write.
	ErrNotWritable = errors.New("data directory is not writable")

	// ErrInUse reports a data directory whose lock another Hush process
	// holds. The error's message names the directory.
	ErrInUse = errors.New("another Hush is already using this data directory")
)

// Dir is a resolved data directory.
type Dir struct {
	// Path is absolute and exists.
	Path string
	// Portable is true when Path is the folder next to the executable; then
	// the WebView's data and temporary files live inside it too.
	Portable bool

	// goos is the system whose WebView folders apply: runtime.GOOS unless a test
	// sets another.
	goos string
}

// system returns the operating system the directory's WebView folders follow.
func (d Dir) system() string {
	if d.goos != "" {
		return d.goos
	}
	return runtime.GOOS
}

// Resolve decides the data directory and makes sure it exists and can be
// written. flagDir is the --data-dir value ("" when not given); exePath is
// the running executable, from os.Executable() at the call site. In this
// order:
//
//  1. flagDir, created 0700 if missing.
//  2. A directory "hush-data" next to the executable, or a file "portable"
//     next to it (then "hush-data" is created): portable mode. In portable
//     mode Resolve also creates the tmp folder [Dir.TempDir] names.
//  3. os.UserConfigDir()/Hush, created 0700 if missing.
//
// Writability is tested by creating and removing a file, since permission
// bits do not tell (read-only media, ACLs, root).
func Resolve(flagDir, exePath string) (Dir, error) {
	if flagDir != "" {
		p, err := filepath.Abs(flagDir)
		if err != nil {
			return Dir{}, fmt.Errorf("data directory %s: %w", flagDir, err)
		}
		if err := ensureWritable(p); err != nil {
			return Dir{}, fmt.Errorf("%w: %s: %w", ErrNotWritable, p, err)
		}
		return Dir{Path: p}, nil
	}

	if exePath != "" {
		d, ok, err := resolvePortable(exePath)
		if err != nil || ok {
			return d, err
		}
	}

	cfg, err := os.UserConfigDir()
	if err != nil {
		return Dir{}, fmt.Errorf("find the user config directory: %w", err)
	}
	p := filepath.Join(cfg, hostDirName)
	if err := ensureWritable(p); err != nil {
		return Dir{}, fmt.Errorf("%w: %s: %w", ErrNotWritable, p, err)
	}
	return Dir{Path: p}, nil
}

// resolvePortable reports whether the executable asks for portable mode and,
// if so, the ready folder. Anything next to the executable that cannot be
// inspected is an error, not a reason to fall back to the host: the user
// may have asked for portable mode and we could not tell.
func resolvePortable(exePath string) (Dir, bool, error) {
	exeDir, err := filepath.Abs(filepath.Dir(exePath))
	if err != nil {
		return Dir{}, false, fmt.Errorf("executable directory of %s: %w", exePath, err)
	}
	p := filepath.Join(exeDir, portableDirName)

	_, dirErr := os.Lstat(p)
	_, markErr := os.Lstat(filepath.Join(exeDir, portableMarkerName))
	for _, err := range []error{dirErr, markErr} {
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return Dir{}, false, fmt.Errorf("%w: %s: cannot check for portable mode: %w", ErrPortableNotWritable, p, err)
		}
	}
	if dirErr != nil && markErr != nil {
		return Dir{}, false, nil // neither: not portable
	}

	if err := ensureWritable(p); err != nil {
		return Dir{}, true, fmt.Errorf("%w: %s: %w", ErrPortableNotWritable, p, err)
	}
	if err := os.MkdirAll(filepath.Join(p, tmpDirName), dirPerm); err != nil {
		return Dir{}, true, fmt.Errorf("%w: %s: %w", ErrPortableNotWritable, p, err)
	}
	return Dir{Path: p, Portable: true}, true, nil
}

// ensureWritable creates dir (0700) if missing and proves it writable by
// writing, syncing and removing a file in it. Its errors say in words what is
// wrong with the medium ([mediumProblem]).
func ensureWritable(dir string) error {
	if err := os.MkdirAll(dir, dirPerm); err != nil {
		return mediumProblem(err)
	}
	st, err := os.Stat(dir)
	if err != nil {
		return mediumProblem(err)
	}
	if !st.IsDir() {
		return fmt.Errorf("%s is not a directory", dir)
	}
	f, err := os.CreateTemp(dir, ".hush-write-test-*")
	if err != nil {
		return mediumProblem(err)
	}
	name := f.Name()
	_, werr := f.Write(make([]byte, probeSize))
	if werr == nil {
		werr = f.Sync()
	}
	cerr := f.Close()
	if err := os.Remove(name); err != nil {
		return mediumProblem(err)
	}
	return mediumProblem(errors.Join(werr, cerr))
}

// mediumProblem puts the likely cause of a failed write first, in the words a
// person who plugged in a stick understands; nil stays nil.
func mediumProblem(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, syscall.EROFS):
		return fmt.Errorf("the drive is read-only (is its write-protect switch on?): %w", err)
	case errors.Is(err, syscall.ENOSPC):
		return fmt.Errorf("the drive is full: %w", err)
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("no permission to write there: %w", err)
	}
	return err
}

// Env returns the environment variables a portable Hush sets for itself before
// the WebView starts, as KEY=value pairs; nil when not portable. WebKitGTK and
// the libraries under it (GLib, GTK, fontconfig, Mesa) choose their folders from
// the XDG base directories at their first use, so pointing those inside the
// portable folder keeps the website data, caches, the GPU shader cache, GTK's
// recently-used list and temporary files off the host. NVIDIA's driver ignores
// XDG and gets its own variable. On Windows TEMP and TMP matter; WebView2's
// folder is set through Wails ([Dir.WebViewDirs]).
func (d Dir) Env() []string {
	if !d.Portable {
		return nil
	}
	web := filepath.Join(d.Path, webViewDirName)
	data, cache := d.WebViewDirs()
	tmp := d.TempDir()
	return []string{
		"XDG_DATA_HOME=" + data,
		"XDG_CACHE_HOME=" + cache,
		"XDG_CONFIG_HOME=" + filepath.Join(web, "config"),
		"XDG_STATE_HOME=" + filepath.Join(web, "state"),
		"MESA_SHADER_CACHE_DIR=" + filepath.Join(cache, "mesa_shader_cache"),
		"__GL_SHADER_DISK_CACHE_PATH=" + filepath.Join(cache, "nvidia"),
		"TMPDIR=" + tmp,
		"TMP=" + tmp,
		"TEMP=" + tmp,
	}
}

// VaultPath is the encrypted vault's file.
func (d Dir) VaultPath() string { return filepath.Join(d.Path, vaultFileName) }

// WebViewDirs returns the folders the WebView should keep its own data and
// cache in (WebView2's user data folder; WebKitGTK's data and cache
// directories). In portable mode they are inside the portable folder, so
// the host keeps nothing; on Windows they are inside the data directory too, so
// that erasing a removed device can find them. Elsewhere both are "" and the
// WebView uses its default, named after [ProgramName] on Linux. The folders are
// not created here; the WebView creates them.
func (d Dir) WebViewDirs() (data, cache string) {
	if !d.Portable && d.system() != "windows" {
		return "", ""
	}
	return filepath.Join(d.Path, webViewDirName, "data"), filepath.Join(d.Path, webViewDirName, "cache")
}

// ProgramName is the name the desktop shell gives the process; WebKitGTK names
// its default data and cache folders after it ($XDG_DATA_HOME/hush,
// $XDG_CACHE_HOME/hush), so they are Hush's alone.
const ProgramName = "hush"

// EraseDirs are the folders of the WebView's data and of temporary files, which
// erasing a removed device deletes with the vault: in portable mode, the webview
// and tmp folders inside the portable folder; on Windows the webview folder of
// the data directory; on Linux and the BSDs WebKitGTK's folders named after
// [ProgramName]. None on macOS, whose WebView keeps its data where the system
// decides (docs/SECURITY.md says so).
func (d Dir) EraseDirs() []string {
	switch {
	case d.Portable:
		return []string{filepath.Join(d.Path, webViewDirName), filepath.Join(d.Path, tmpDirName)}
	case d.system() == "windows":
		return []string{filepath.Join(d.Path, webViewDirName)}
	case d.system() == "darwin":
		return nil
	}
	var out []string
	if data := xdgDir("XDG_DATA_HOME", ".local/share"); data != "" {
		out = append(out, filepath.Join(data, ProgramName))
	}
	if cache, err := os.UserCacheDir(); err == nil {
		out = append(out, filepath.Join(cache, ProgramName))
	}
	return out
}

// xdgDir returns the XDG base directory of env (an absolute path; a relative one
// is ignored, as the specification says), else fallback under the home folder;
// "" when neither is known.
func xdgDir(env, fallback string) string {
	if dir := os.Getenv(env); filepath.IsAbs(dir) {
		return dir
	}
	home, err := os.UserHomeDir()
	if err != nil || home == "" {
		return ""
	}
	return filepath.Join(home, fallback)
}

// TempDir is where temporary files go: inside the portable folder in
// portable mode (created by [Resolve]), else os.TempDir().
func (d Dir) TempDir() string {
	if d.Portable {
		return filepath.Join(d.Path, tmpDirName)
	}
	return os.TempDir()
}
