//go:build unix

package relay

import (
	"errors"
	"io"
	"os"
	"syscall"
)

// rawReads says whether corkConn may read a socket through its file descriptor.
const rawReads = true

// readFD reads from a non-blocking socket once; again reports that it had nothing to
// read yet (EAGAIN), so the caller should wait for readability.
func readFD(fd uintptr, p []byte) (n int, again bool, err error) {
	for {
		n, err = syscall.Read(int(fd), p)
		if err != syscall.EINTR {
			break
		}
	}
	if errors.Is(err, syscall.EAGAIN) {
		return 0, true, nil
	}
	return n, false, err
}

// rawReadErr turns the result of a read that returned nothing into an error.
func rawReadErr(n int, err error) error {
	if err != nil {
		return os.NewSyscallError("read", err)
	}
	if n == 0 {
		return io.EOF
	}
	return nil
}

// readRaw reads from the socket straight into p, waiting for readability.
func readRaw(raw syscall.RawConn, p []byte) (int, error) {
	var n int
	var rerr error
	err := raw.Read(func(fd uintptr) bool {
		var again bool
		n, again, rerr = readFD(fd, p)
		return !again
	})
	if err != nil {
		return 0, err
	}
	if rerr != nil || n == 0 {
		return 0, rawReadErr(n, rerr)
	}
	return n, nil
}
