//go:build linux

package memtrim

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// Code is the running executable's read-only mappings.
type Code struct {
	spans     []span
	keepCache bool // Options.KeepFileCache

	mu    sync.Mutex
	first bool // no release has been done yet
}

// span is one mapping: [start, end).
type span struct{ start, end uintptr }

// Open finds the running executable's mappings that can be released: those it
// maps read-only and has never written to (code, read-only data, Go's tables).
// The one the dynamic linker wrote to (relocations, then made read-only) is
// left alone, as is all writable data.
func Open(opts Options) (*Code, error) {
	var st unix.Stat_t
	if err := unix.Stat("/proc/self/exe", &st); err != nil {
		return nil, fmt.Errorf("memtrim: %w", err)
	}
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		return nil, fmt.Errorf("memtrim: %w", err)
	}
	defer f.Close()
	maps, err := parseSmaps(f)
	if err != nil {
		return nil, fmt.Errorf("memtrim: read /proc/self/smaps: %w", err)
	}
	c := &Code{spans: releasable(maps, unix.Major(st.Dev), unix.Minor(st.Dev), st.Ino), keepCache: opts.KeepFileCache, first: true}
	if len(c.spans) == 0 {
		return nil, errors.New("memtrim: the executable's mappings were not found")
	}
	return c, nil
}

// Release unmaps the executable's pages from this process; the kernel maps back
// what runs next. Pages stay in the system's page cache (MADV_DONTNEED on a
// mapping with no written page only drops this process's page table entries),
// so a page used again costs a minor fault, no read.
//
// The first release does more. The page cache may hold the binary in large
// folios (from readahead, or from the write that installed it), and a fault maps
// its whole folio; so the first release evicts the executable's pages that only
// this process maps and asks for faults page by page from then on
// (MADV_PAGEOUT, MADV_RANDOM, the file's cache dropped): pages read back one by
// one are mapped one by one. With Options.KeepFileCache it does not: the pages
// are only unmapped. And it has the kernel reclaim the libraries' pages that
// only this process maps (pageOutLibraries).
func (c *Code) Release() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var errs []error
	if c.first && !c.keepCache {
		for _, s := range c.spans {
			if err := madvise(s, unix.MADV_RANDOM); err != nil {
				errs = append(errs, err)
			}
			// Kernels before 5.4 have no MADV_PAGEOUT: the release below
			// still unmaps.
			_ = madvise(s, unix.MADV_PAGEOUT)
		}
		if f, err := os.Open("/proc/self/exe"); err == nil {
			// Only pages no process maps leave the cache.
			_ = unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED)
			f.Close()
		}
	}
	if c.first {
		c.first = false
		c.pageOutLibraries()
	}
	for _, s := range c.spans {
		if err := madvise(s, unix.MADV_DONTNEED); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("memtrim: release: %w", err)
	}
	return nil
}

// pageOutLibraries asks the kernel to reclaim the pages of the libraries'
// read-only mappings that no other process maps (MADV_PAGEOUT skips the
// others): what GTK, WebKit and the rest ran only to start. Done once: a page
// reclaimed leaves the page cache, and what runs again is read back from the
// file. MADV_DONTNEED, which the executable gets, is not safe here: a library
// loaded or unloaded between reading the mappings and the call could put
// written memory where a read-only mapping was, and MADV_DONTNEED would drop
// it; MADV_PAGEOUT never drops data (a written page goes to swap or stays).
func (c *Code) pageOutLibraries() {
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		return
	}
	maps, err := parseSmaps(f)
	f.Close()
	if err != nil {
		return
	}
	for _, s := range libraries(maps, c.spans) {
		_ = madvise(s, unix.MADV_PAGEOUT)
	}
}

// libraries picks the read-only, private file mappings with no written page
// that are not the executable's (exe).
func libraries(maps []mapping, exe []span) []span {
	var spans []span
next:
	for _, m := range maps {
		if m.inode == 0 || !m.cleanReadOnly() {
			continue
		}
		for _, s := range exe {
			if m.start == s.start {
				continue next
			}
		}
		spans = append(spans, span{m.start, m.end})
	}
	return spans
}

// Resident returns how many bytes of the executable's releasable mappings are
// mapped into the process now.
func (c *Code) Resident() (int64, error) {
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		return 0, fmt.Errorf("memtrim: %w", err)
	}
	defer f.Close()
	maps, err := parseSmaps(f)
	if err != nil {
		return 0, fmt.Errorf("memtrim: read /proc/self/smaps: %w", err)
	}
	var n int64
	for _, m := range maps {
		for _, s := range c.spans {
			if m.start == s.start && m.end == s.end {
				n += m.rss
			}
		}
	}
	return n, nil
}

func madvise(s span, advice int) error {
	// unix.Madvise takes a []byte; the spans are the program's own code, not
	// Go memory, so the raw call is the honest one.
	_, _, e := unix.Syscall(unix.SYS_MADVISE, s.start, s.end-s.start, uintptr(advice))
	if e != 0 {
		return fmt.Errorf("madvise %#x-%#x: %w", s.start, s.end, e)
	}
	return nil
}

// mapping is one entry of /proc/PID/smaps: what releasable needs.
type mapping struct {
	start, end   uintptr
	perms        string
	major, minor uint32
	inode        uint64
	rss          int64 // bytes
	anonymous    int64 // bytes: pages the process wrote to (copied on write)
}

// parseSmaps reads /proc/PID/smaps (proc(5)). A line it cannot read is an
// error: releasing a mapping that was misread could drop data.
func parseSmaps(r io.Reader) ([]mapping, error) {
	var maps []mapping
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		b := sc.Bytes()
		key, value, ok := bytes.Cut(b, []byte(":"))
		if ok && len(key) > 0 && !bytes.ContainsAny(key, " -") {
			// A field of the current mapping: "Rss:   12 kB", "VmFlags: rd ex".
			if len(maps) == 0 {
				return nil, fmt.Errorf("line %d: field before any mapping", line)
			}
			m := &maps[len(maps)-1]
			switch string(key) {
			case "Rss", "Anonymous":
				kb, err := parseKB(value)
				if err != nil {
					return nil, fmt.Errorf("line %d: %s: %w", line, key, err)
				}
				if string(key) == "Rss" {
					m.rss = kb * 1024
				} else {
					m.anonymous = kb * 1024
				}
			}
			continue
		}
		m, err := parseHeader(string(b))
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		maps = append(maps, m)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return maps, nil
}

// parseHeader reads a mapping's first line:
// "00408000-00de3000 r-xp 00008000 fe:00 10028514   /path".
func parseHeader(s string) (mapping, error) {
	f := strings.Fields(s)
	if len(f) < 5 {
		return mapping{}, fmt.Errorf("not a mapping: %q", s)
	}
	lo, hi, ok := strings.Cut(f[0], "-")
	start, err1 := strconv.ParseUint(lo, 16, 64)
	end, err2 := strconv.ParseUint(hi, 16, 64)
	if !ok || err1 != nil || err2 != nil || end <= start {
		return mapping{}, fmt.Errorf("bad address range %q", f[0])
	}
	if len(f[1]) != 4 {
		return mapping{}, fmt.Errorf("bad permissions %q", f[1])
	}
	maj, min, ok := strings.Cut(f[3], ":")
	major, err1 := strconv.ParseUint(maj, 16, 32)
	minor, err2 := strconv.ParseUint(min, 16, 32)
	if !ok || err1 != nil || err2 != nil {
		return mapping{}, fmt.Errorf("bad device %q", f[3])
	}
	inode, err := strconv.ParseUint(f[4], 10, 64)
	if err != nil {
		return mapping{}, fmt.Errorf("bad inode %q", f[4])
	}
	return mapping{start: uintptr(start), end: uintptr(end), perms: f[1], major: uint32(major), minor: uint32(minor), inode: inode}, nil
}

func parseKB(v []byte) (int64, error) {
	s, ok := strings.CutSuffix(strings.TrimSpace(string(v)), " kB")
	if !ok {
		return 0, fmt.Errorf("not a size in kB: %q", v)
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("not a size in kB: %q", v)
	}
	return n, nil
}

// releasable picks the mappings of the file (major:minor, inode) that are
// read-only and hold no page the process wrote to: unmapping those loses
// nothing, since every page reads back from the file as it was.
func releasable(maps []mapping, major, minor uint32, inode uint64) []span {
	var spans []span
	for _, m := range maps {
		if m.inode != inode || m.major != major || m.minor != minor || inode == 0 || !m.cleanReadOnly() {
			continue
		}
		spans = append(spans, span{m.start, m.end})
	}
	return spans
}

// cleanReadOnly reports whether m is a private mapping the process can only
// read and has not written to: every page of it reads back from its file.
func (m mapping) cleanReadOnly() bool {
	return m.perms[0] == 'r' && m.perms[1] == '-' && m.perms[3] == 'p' && m.anonymous == 0
}
