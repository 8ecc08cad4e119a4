//go:build unix

package main

import (
	"fmt"
	"syscall"
)

// raiseFileLimit raises this process's soft limit on open files to its hard limit
// (which only a privileged process could raise). A relay child started afterwards
// inherits the raised limit. It returns the limits after the change.
func raiseFileLimit() (soft, hard uint64, err error) {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return 0, 0, fmt.Errorf("read the open-files limit: %w", err)
	}
	if l.Cur < l.Max {
		l.Cur = l.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
			return 0, 0, fmt.Errorf("raise the open-files limit to %d: %w", l.Max, err)
		}
	}
	return uint64(l.Cur), uint64(l.Max), nil
}
