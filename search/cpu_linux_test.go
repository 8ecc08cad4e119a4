//go:build linux

package search

import (
	"runtime"
	"time"

	"golang.org/x/sys/unix"
)

// threadCPU runs fn on one OS thread and returns the CPU time that thread
// spent in it (CLOCK_THREAD_CPUTIME_ID, in nanoseconds): unlike the wall
// time, it hardly depends on what else the machine runs (other processes
// only make it wait its turn).
func threadCPU(fn func()) time.Duration {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var before, after unix.Timespec
	unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &before)
	fn()
	unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &after)
	return time.Duration(after.Nano() - before.Nano())
}
