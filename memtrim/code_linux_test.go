//go:build linux

package memtrim

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// A sample of /proc/PID/smaps: a Go executable's five mappings (the fourth, the
// relocations the dynamic linker wrote before making it read-only, holds a
// written page), a shared library, the heap and a shared file mapping.
const sampleSmaps = `00400000-00408000 r--p 00000000 fe:00 10028514                           /work/hush
Size:                 32 kB
Rss:                  32 kB
Anonymous:             0 kB
VmFlags: rd mr mw me sd 
00408000-00de3000 r-xp 00008000 fe:00 10028514                           /work/hush
Size:              10092 kB
Rss:                9260 kB
Anonymous:             0 kB
VmFlags: rd ex mr mw me sd 
00de3000-019a1000 r--p 009e3000 fe:00 10028514                           /work/hush
Rss:                9268 kB
Anonymous:             0 kB
019a1000-019a2000 r--p 015a0000 fe:00 10028514                           /work/hush
Rss:                   4 kB
Anonymous:             4 kB
019a2000-01b16000 rw-p 015a1000 fe:00 10028514                           /work/hush
Rss:                 764 kB
Anonymous:           204 kB
01b16000-0204c000 rw-p 00000000 00:00 0                                  [heap]
Rss:                3100 kB
Anonymous:          3100 kB
7f0000000000-7f0000100000 r-xp 00000000 fe:00 4242                       /usr/lib/libc.so.6
Rss:                 600 kB
Anonymous:             0 kB
7f0000200000-7f0000300000 r--s 00000000 fe:00 10028514                   /work/hush
Rss:                   0 kB
Anonymous:             0 kB
`

func TestParseSmaps(t *testing.T) {
	maps, err := parseSmaps(strings.NewReader(sampleSmaps))
	if err != nil {
		t.Fatal(err)
	}
	if len(maps) != 8 {
		t.Fatalf("%d mappings, want 8", len(maps))
	}
	text := maps[1]
	if text.start != 0x408000 || text.end != 0xde3000 || text.perms != "r-xp" || text.major != 0xfe || text.minor != 0 ||
		text.inode != 10028514 || text.rss != 9260*1024 || text.anonymous != 0 {
		t.Errorf("text mapping read as %+v", text)
	}
	if maps[3].anonymous != 4096 || maps[5].inode != 0 {
		t.Errorf("relocations %+v, heap %+v", maps[3], maps[5])
	}
}

// What releasable picks decides what MADV_DONTNEED may drop: only the
// executable's read-only, private mappings with no written page. The written
// one would lose the dynamic linker's relocations, writable data its values.
func TestReleasable(t *testing.T) {
	maps, err := parseSmaps(strings.NewReader(sampleSmaps))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name         string
		major, minor uint32
		inode        uint64
		want         []span
	}{
		{"the executable", 0xfe, 0, 10028514, []span{{0x400000, 0x408000}, {0x408000, 0xde3000}, {0xde3000, 0x19a1000}}},
		{"same inode, other device", 0xfd, 0, 10028514, nil},
		{"a library by its inode", 0xfe, 0, 4242, []span{{0x7f0000000000, 0x7f0000100000}}},
		{"anonymous memory never", 0, 0, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := releasable(maps, tt.major, tt.minor, tt.inode)
			if len(got) != len(tt.want) {
				t.Fatalf("got %x, want %x", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("got %x, want %x", got, tt.want)
				}
			}
		})
	}
}

func TestParseSmapsRejects(t *testing.T) {
	for _, bad := range []string{
		"Rss: 4 kB\n",                      // a field before any mapping
		"00400000 r--p 00000000 fe:00 1\n", // no range
		"00500000-00400000 r--p 00000000 fe:00 1 /x\n",
		"00400000-00408000 r--p 00000000 fe00 1 /x\n",
		"00400000-00408000 rp 00000000 fe:00 1 /x\n",
		"00400000-00408000 r--p 00000000 fe:00 x /x\n",
		"00400000-00408000 r--p 00000000 fe:00 1 /x\nRss: 4 MB\n",
		"00400000-00408000 r--p 00000000 fe:00 1 /x\nAnonymous: -4 kB\n",
	} {
		if _, err := parseSmaps(strings.NewReader(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

// In this test binary: with all of its code and read-only data mapped in
// (MADV_POPULATE_READ), a release leaves at most three quarters of it mapped (the
// test's own code maps back at once, a folio at a time, in so small a binary) — the
// first and a later one alike — and the program goes on reading what was
// released as it was: a table in its read-only data hashes the same. The first
// release evicts the pages from the page cache unless told to keep them
// (mincore counts the cached ones). KeepFileCache runs first: once evicted, the
// file is read back a page at a time.
func TestReleaseUnmapsExecutable(t *testing.T) {
	// The test binary was just linked: its pages may still wait to be written,
	// and no reclaim takes a page before it is. An installed program's are.
	exe, err := os.Open("/proc/self/exe")
	if err != nil {
		t.Fatal(err)
	}
	if err := exe.Sync(); err != nil {
		t.Fatal(err)
	}
	exe.Close()
	for _, keep := range []bool{true, false} {
		t.Run(fmt.Sprintf("KeepFileCache=%v", keep), func(t *testing.T) {
			c, err := Open(Options{KeepFileCache: keep})
			if err != nil {
				t.Fatal(err)
			}
			var total int64
			for _, s := range c.spans {
				total += int64(s.end - s.start)
			}
			sum := sha256.Sum256([]byte(table))
			for round := range 2 {
				for _, s := range c.spans {
					if err := madvise(s, unix.MADV_POPULATE_READ); err != nil {
						if errors.Is(err, unix.EINVAL) {
							t.Skip("MADV_POPULATE_READ needs Linux 5.14")
						}
						t.Fatal(err)
					}
				}
				before, err := c.Resident()
				if err != nil {
					t.Fatal(err)
				}
				if before < total*9/10 {
					t.Fatalf("round %d: %d of %d bytes mapped after populating", round, before, total)
				}
				if err := c.Release(); err != nil {
					t.Fatal(err)
				}
				cached := cachedBytes(t, c.spans)
				after, err := c.Resident()
				if err != nil {
					t.Fatal(err)
				}
				t.Logf("round %d: %d KiB mapped of %d KiB, %d KiB after the release, %d KiB in the page cache",
					round, before>>10, total>>10, after>>10, cached>>10)
				if after > before*3/4 {
					t.Errorf("round %d: %d bytes still mapped of %d", round, after, before)
				}
				if round == 0 && keep && cached < total*9/10 {
					t.Errorf("kept the cache, yet only %d of %d bytes are cached", cached, total)
				}
				if round == 0 && !keep && cached > total*3/4 {
					t.Errorf("evicted, yet %d of %d bytes are cached", cached, total)
				}
				if sha256.Sum256([]byte(table)) != sum {
					t.Fatalf("round %d: read-only data changed", round)
				}
			}
		})
	}
}

// cachedBytes counts the bytes of spans in the page cache (mincore(2)).
func cachedBytes(t *testing.T, spans []span) int64 {
	t.Helper()
	page := uintptr(os.Getpagesize())
	var n int64
	for _, s := range spans {
		vec := make([]byte, (s.end-s.start+page-1)/page)
		if _, _, e := unix.Syscall(unix.SYS_MINCORE, s.start, s.end-s.start, uintptr(unsafe.Pointer(&vec[0]))); e != 0 {
			t.Fatalf("mincore: %v", e)
		}
		for _, v := range vec {
			if v&1 != 0 {
				n += int64(page)
			}
		}
	}
	return n
}

// Open picks no mapping the process can write or has written.
func TestOpenLeavesWrittenMappings(t *testing.T) {
	c, err := Open(Options{})
	if err != nil {
		t.Fatal(err)
	}
	maps := readSelf(t)
	for _, s := range c.spans {
		for _, m := range maps {
			if m.start == s.start && (m.perms[1] == 'w' || m.anonymous != 0) {
				t.Errorf("picked %x-%x %s with %d written bytes", m.start, m.end, m.perms, m.anonymous)
			}
		}
	}
}

func FuzzParseSmaps(f *testing.F) {
	f.Add(sampleSmaps)
	f.Add("00400000-00408000 r--p 00000000 fe:00 1 /x\nRss: 4 kB\n")
	f.Fuzz(func(t *testing.T, s string) {
		maps, err := parseSmaps(strings.NewReader(s))
		if err != nil {
			return
		}
		for _, m := range maps {
			if m.end <= m.start || len(m.perms) != 4 || m.rss < 0 || m.anonymous < 0 {
				t.Fatalf("accepted %+v", m)
			}
		}
		_ = releasable(maps, 0xfe, 0, 1)
	})
}

// table is a constant, so it lives in the test binary's read-only data: a page
// of it that was released reads back from the file.
const (
	row16  = "Hush keeps what it wrote, byte for byte, after a release. 0123456789abcdef\n"
	row64  = row16 + row16 + row16 + row16
	row256 = row64 + row64 + row64 + row64
	table  = row256 + row256 + row256 + row256
)

func readSelf(t *testing.T) []mapping {
	t.Helper()
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	maps, err := parseSmaps(f)
	if err != nil {
		t.Fatal(err)
	}
	return maps
}

// The libraries paged out once are the other files' clean read-only mappings:
// not the executable's (released on their own), not anonymous memory, not a
// shared mapping, not a written one.
func TestLibraries(t *testing.T) {
	maps, err := parseSmaps(strings.NewReader(sampleSmaps))
	if err != nil {
		t.Fatal(err)
	}
	exe := releasable(maps, 0xfe, 0, 10028514)
	got := libraries(maps, exe)
	if len(got) != 1 || got[0] != (span{0x7f0000000000, 0x7f0000100000}) {
		t.Errorf("libraries %x, want only libc's", got)
	}
}
