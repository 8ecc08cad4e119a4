//go:build unix

package relayproc

import (
	"os"
	"syscall"
)

// heapDumpSignal asks a relay child for a heap profile.
func heapDumpSignal() os.Signal { return syscall.SIGUSR1 }
