// Command hush-pss prints the proportional set size (PSS) of a group of
// processes as if they were alone on the machine: every resident page counts
// once, split only between the given processes that map it. The kernel's PSS
// also splits a page with every other process that maps it (another user's
// WebKit window, say), so it moves with whatever else runs; this does not,
// which makes before/after comparisons on a shared machine meaningful
// (scripts/measure-window.sh; docs/PERFORMANCE.md, "Desktop cold start and
// memory"). Reading page frame numbers from /proc/PID/pagemap needs root
// (CAP_SYS_ADMIN); without it the kernel reports every frame as 0 and this
// command refuses to guess.
//
//	hush-pss PID...    one line per process (pid, name, MiB), then "total MiB"
package main

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
)

const pageSize = 4096

// errNoFrames means pagemap hid the frame numbers (not root).
var errNoFrames = errors.New("pagemap shows no page frame numbers (run as root)")

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "hush-pss:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 {
		return errors.New("usage: hush-pss PID...")
	}
	type proc struct {
		pid   int
		name  string
		pages map[uint64]int // page frame -> times this process maps it
	}
	var procs []proc
	users := map[uint64]int{} // page frame -> mappings of it across the group
	for _, a := range args {
		pid, err := strconv.Atoi(a)
		if err != nil {
			return fmt.Errorf("bad pid %q", a)
		}
		pages, err := residentFrames(pid)
		if err != nil {
			return fmt.Errorf("pid %d: %w", pid, err)
		}
		for f, n := range pages {
			users[f] += n
		}
		comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		procs = append(procs, proc{pid: pid, name: strings.TrimSpace(string(comm)), pages: pages})
	}
	total := 0.0
	for _, p := range procs {
		share := 0.0
		for f, n := range p.pages {
			share += float64(n) / float64(users[f])
		}
		mib := share * pageSize / (1 << 20)
		total += mib
		fmt.Printf("%d %s %.1f\n", p.pid, p.name, mib)
	}
	fmt.Printf("total %.1f\n", total)
	return nil
}

// residentFrames maps the page frame of every resident page of pid to the
// number of times the process maps it. Only mappings whose smaps entry shows
// resident pages are read.
func residentFrames(pid int) (map[uint64]int, error) {
	smaps, err := os.Open(fmt.Sprintf("/proc/%d/smaps", pid))
	if err != nil {
		return nil, err
	}
	defer smaps.Close()
	pagemap, err := os.Open(fmt.Sprintf("/proc/%d/pagemap", pid))
	if err != nil {
		return nil, err
	}
	defer pagemap.Close()
	frames := map[uint64]int{}
	present := 0
	var lo, hi uint64
	buf := make([]byte, 8*1024)
	sc := bufio.NewScanner(smaps)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		if r, ok := addressRange(f[0]); ok {
			lo, hi = r[0], r[1]
			continue
		}
		if f[0] != "Rss:" || len(f) < 2 || f[1] == "0" {
			continue
		}
		for a := lo; a < hi; {
			n := min((hi-a)/pageSize, uint64(len(buf)/8))
			b := buf[:n*8]
			if _, err := pagemap.ReadAt(b, int64(a/pageSize*8)); err != nil {
				break // [vsyscall] and the like cannot be read
			}
			for i := range n {
				e := binary.LittleEndian.Uint64(b[i*8:])
				if e&(1<<63) == 0 { // not present
					continue
				}
				present++
				if pfn := e & (1<<55 - 1); pfn != 0 {
					frames[pfn]++
				}
			}
			a += n * pageSize
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if present > 0 && len(frames) == 0 {
		return nil, errNoFrames
	}
	return frames, nil
}

// addressRange parses the "lo-hi" that starts a mapping's entry in smaps.
func addressRange(s string) ([2]uint64, bool) {
	l, h, ok := strings.Cut(s, "-")
	if !ok {
		return [2]uint64{}, false
	}
	lo, err1 := strconv.ParseUint(l, 16, 64)
	hi, err2 := strconv.ParseUint(h, 16, 64)
	return [2]uint64{lo, hi}, err1 == nil && err2 == nil
}
