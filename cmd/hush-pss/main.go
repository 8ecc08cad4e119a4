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
//	hush-pss PID...               one line per process (pid, name, MiB), then "total MiB"
//	hush-pss -by-mapping PID...   also, under each process, its share per mapping
//	                              (a file, [anon], [heap], …) from 0.1 MiB up, largest first
package main

import (
	"bufio"
	"cmp"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
)

const pageSize = 4096

// errNoFrames means pagemap hid the frame numbers (not root).
var errNoFrames = errors.New("pagemap shows no page frame numbers (run as root)")

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "hush-pss:", err)
		os.Exit(1)
	}
}

func run(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("hush-pss", flag.ContinueOnError)
	byMapping := fs.Bool("by-mapping", false, "also print each process's share per mapping")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return errors.New("usage: hush-pss [-by-mapping] PID...")
	}
	type proc struct {
		pid   int
		name  string
		pages []page
	}
	var procs []proc
	users := map[uint64]int{} // page frame -> mappings of it across the group
	for _, a := range fs.Args() {
		pid, err := strconv.Atoi(a)
		if err != nil {
			return fmt.Errorf("bad pid %q", a)
		}
		pages, err := residentPages(pid)
		if err != nil {
			return fmt.Errorf("pid %d: %w", pid, err)
		}
		for _, p := range pages {
			users[p.frame]++
		}
		comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		procs = append(procs, proc{pid: pid, name: strings.TrimSpace(string(comm)), pages: pages})
	}
	total := 0.0
	for _, p := range procs {
		share := 0.0
		perMapping := map[string]float64{}
		for _, pg := range p.pages {
			s := 1 / float64(users[pg.frame])
			share += s
			perMapping[pg.mapping] += s
		}
		mib := share * pageSize / (1 << 20)
		total += mib
		fmt.Fprintf(out, "%d %s %.1f\n", p.pid, p.name, mib)
		if *byMapping {
			for _, m := range largest(perMapping, 0.1*(1<<20)/pageSize) {
				fmt.Fprintf(out, "  %7.2f %s\n", perMapping[m]*pageSize/(1<<20), m)
			}
		}
	}
	fmt.Fprintf(out, "total %.1f\n", total)
	return nil
}

// largest returns the keys of shares whose value is at least min, largest
// first (by name between equals, so the output is stable).
func largest(shares map[string]float64, min float64) []string {
	var keys []string
	for k, v := range shares {
		if v >= min {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b string) int {
		return cmp.Or(cmp.Compare(shares[b], shares[a]), strings.Compare(a, b))
	})
	return keys
}

// page is one resident page of a process: its page frame and the mapping
// ([mappingName]) it lies in. A frame mapped twice is two pages.
type page struct {
	frame   uint64
	mapping string
}

// mappingName names a mapping from the fields of its first line in smaps: the
// file or pseudo-name ([heap], [stack], /memfd:…), or [anon] for none. A name
// with spaces ("… (deleted)") is kept whole.
func mappingName(fields []string) string {
	if len(fields) < 6 {
		return "[anon]"
	}
	return strings.Join(fields[5:], " ")
}

// residentPages lists every resident page of pid. Only mappings whose smaps
// entry shows resident pages are read.
func residentPages(pid int) ([]page, error) {
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
	var pages []page
	present := 0
	var lo, hi uint64
	var name string
	buf := make([]byte, 8*1024)
	sc := bufio.NewScanner(smaps)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		if r, ok := addressRange(f[0]); ok {
			lo, hi = r[0], r[1]
			name = mappingName(f)
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
					pages = append(pages, page{pfn, name})
				}
			}
			a += n * pageSize
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if present > 0 && len(pages) == 0 {
		return nil, errNoFrames
	}
	return pages, nil
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
