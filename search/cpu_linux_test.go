//go:build linux

package search

import (
	"runtime"
	"syscall"
	"time"
)

// threadCPU runs fn on one OS thread and returns the CPU time that thread
// spent in it: unlike the wall time, it hardly depends on what else the
// machine runs (other processes only wait their turn).
func threadCPU(fn func()) time.Duration {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	const rusageThread = 1 // RUSAGE_THREAD
	var before, after syscall.Rusage
	syscall.Getrusage(rusageThread, &before)
	fn()
	syscall.Getrusage(rusageThread, &after)
	return time.Duration(after.Utime.Nano() + after.Stime.Nano() - before.Utime.Nano() - before.Stime.Nano())
}
