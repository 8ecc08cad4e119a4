//go:build unix

package chat

import (
	"syscall"
	"time"
)

// processCPU returns the CPU time (user and system) this process has used, so a
// benchmark can report CPU per message, which depends far less than latency on
// what else the machine runs.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
