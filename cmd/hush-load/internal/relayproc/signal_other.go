//go:build !unix

package relayproc

import "os"

// heapDumpSignal is nil where there is no SIGUSR1: no heap dumps on request.
func heapDumpSignal() os.Signal { return nil }
