package relayproc

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"
)

// maxProcFile caps what is read of one /proc file.
const maxProcFile = 64 << 10

// clockTicks is USER_HZ, the unit of CPU times in /proc/PID/stat; it is 100 on
// every Linux architecture Go supports.
const clockTicks = 100

// ErrNoProc is returned where /proc is not available (not Linux).
var ErrNoProc = errors.New("/proc is not available")

// Memory is a process's resident memory in bytes.
type Memory struct {
	RSS     int64 // resident set: every page of the process in RAM
	PSS     int64 // proportional set: shared pages divided among their sharers
	PeakRSS int64 // the highest RSS since the process started (VmHWM)
}

// Memory reads the relay's resident memory.
func (p *Process) Memory() (Memory, error) { return ReadMemory(p.PID()) }

// CPU returns the relay's user+system CPU time so far.
func (p *Process) CPU() (time.Duration, error) { return ReadCPU(p.PID()) }

// ReadMemory reads a process's resident memory from /proc/PID/smaps_rollup and
// /proc/PID/status.
func ReadMemory(pid int) (Memory, error) {
	rollup, err := readProc(pid, "smaps_rollup")
	if err != nil {
		return Memory{}, err
	}
	var m Memory
	if m.RSS, m.PSS, err = ParseSmapsRollup(rollup); err != nil {
		return Memory{}, fmt.Errorf("read memory of %d: %w", pid, err)
	}
	status, err := readProc(pid, "status")
	if err != nil {
		return Memory{}, err
	}
	if m.PeakRSS, err = parseKBField(status, "VmHWM:"); err != nil {
		return Memory{}, fmt.Errorf("read memory of %d: %w", pid, err)
	}
	return m, nil
}

// ReadCPU reads a process's user+system CPU time from /proc/PID/stat.
func ReadCPU(pid int) (time.Duration, error) {
	b, err := readProc(pid, "stat")
	if err != nil {
		return 0, err
	}
	d, err := ParseStatCPU(b)
	if err != nil {
		return 0, fmt.Errorf("read cpu time of %d: %w", pid, err)
	}
	return d, nil
}

// LoadAvg returns the 1-minute load average, so every figure can be printed with
// how busy the machine was.
func LoadAvg() (float64, error) {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0, fmt.Errorf("%w: %w", ErrNoProc, err)
	}
	return ParseLoadAvg(b)
}

func readProc(pid int, name string) ([]byte, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/%s", pid, name))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNoProc, err)
	}
	defer f.Close()
	b := make([]byte, maxProcFile)
	n, err := f.Read(b)
	if err != nil && n == 0 {
		return nil, fmt.Errorf("read /proc/%d/%s: %w", pid, name, err)
	}
	return b[:n], nil
}

// ParseSmapsRollup returns the Rss and Pss fields (in bytes) of a smaps_rollup file.
func ParseSmapsRollup(b []byte) (rss, pss int64, err error) {
	if rss, err = parseKBField(b, "Rss:"); err != nil {
		return 0, 0, err
	}
	if pss, err = parseKBField(b, "Pss:"); err != nil {
		return 0, 0, err
	}
	return rss, pss, nil
}

// parseKBField finds the line starting with name ("Rss:") and returns its value,
// given in kB, in bytes.
func parseKBField(b []byte, name string) (int64, error) {
	for line := range bytes.Lines(b) {
		rest, ok := bytes.CutPrefix(line, []byte(name))
		if !ok {
			continue
		}
		f := bytes.Fields(rest)
		if len(f) != 2 || string(f[1]) != "kB" {
			return 0, fmt.Errorf("field %s: unexpected %.80q", name, line)
		}
		kb, err := strconv.ParseInt(string(f[0]), 10, 64)
		if err != nil || kb < 0 || kb > 1<<40 {
			return 0, fmt.Errorf("field %s: bad value %.40q", name, f[0])
		}
		return kb << 10, nil
	}
	return 0, fmt.Errorf("no field %s", name)
}

// ParseStatCPU returns utime+stime of a /proc/PID/stat file.
func ParseStatCPU(b []byte) (time.Duration, error) {
	// The command name is in parentheses and may hold spaces or parentheses itself:
	// the fields start after the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, errors.New("stat: no command name")
	}
	f := bytes.Fields(b[i+1:])
	// After the name: state(3) ppid(4) … utime(14) stime(15), so indexes 11 and 12.
	if len(f) < 13 {
		return 0, fmt.Errorf("stat: %d fields after the name, want at least 13", len(f))
	}
	var ticks int64
	for _, s := range f[11:13] {
		v, err := strconv.ParseInt(string(s), 10, 64)
		if err != nil || v < 0 || v > 1<<50 {
			return 0, fmt.Errorf("stat: bad cpu time %.40q", s)
		}
		ticks += v
	}
	return time.Duration(ticks) * (time.Second / clockTicks), nil
}

// ParseLoadAvg returns the first field of /proc/loadavg.
func ParseLoadAvg(b []byte) (float64, error) {
	f := bytes.Fields(b)
	if len(f) == 0 {
		return 0, errors.New("loadavg: empty")
	}
	v, err := strconv.ParseFloat(string(f[0]), 64)
	if err != nil || v < 0 || v > 1e6 {
		return 0, fmt.Errorf("loadavg: bad value %.40q", f[0])
	}
	return v, nil
}

// ReadTreeCPU returns the user+system CPU time of a process and all its living
// descendants — a PostgreSQL server: the postmaster and its backends.
func ReadTreeCPU(root int) (time.Duration, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, fmt.Errorf("%w: %w", ErrNoProc, err)
	}
	children := map[int][]int{}
	cpu := map[int]time.Duration{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := readProc(pid, "stat")
		if err != nil {
			continue // exited meanwhile
		}
		ppid, err := ParseStatPPID(b)
		if err != nil {
			continue
		}
		d, err := ParseStatCPU(b)
		if err != nil {
			continue
		}
		children[ppid] = append(children[ppid], pid)
		cpu[pid] = d
	}
	if _, ok := cpu[root]; !ok {
		return 0, fmt.Errorf("read cpu time of %d: no such process", root)
	}
	var total time.Duration
	for todo := []int{root}; len(todo) > 0; {
		p := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		total += cpu[p]
		todo = append(todo, children[p]...)
	}
	return total, nil
}

// ParseStatPPID returns the parent process id of a /proc/PID/stat file.
func ParseStatPPID(b []byte) (int, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, errors.New("stat: no command name")
	}
	f := bytes.Fields(b[i+1:])
	if len(f) < 2 {
		return 0, errors.New("stat: no parent pid")
	}
	v, err := strconv.Atoi(string(f[1]))
	if err != nil || v < 0 {
		return 0, fmt.Errorf("stat: bad parent pid %.40q", f[1])
	}
	return v, nil
}
