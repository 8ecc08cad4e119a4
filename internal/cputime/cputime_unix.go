//go:build unix

// Package cputime reads the CPU time this process has used, so that a benchmark
// can report CPU per operation beside wall time: on a shared, busy machine CPU
// time depends far less than latency or throughput on what else is running
// (docs/PERFORMANCE.md).
package cputime

import (
	"syscall"
	"time"
)

// Process returns the CPU time (user and system) this process has used, or 0
// where it cannot be read.
func Process() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
