//go:build !unix

package relay

import (
	"errors"
	"syscall"
)

// rawReads says whether corkConn may read a socket through its file descriptor: not
// on this system, where it reads through net.Conn (and an idle connection's read
// holds a small buffer).
const rawReads = false

var errNoRawReads = errors.New("relay: raw socket reads are not supported here")

func readFD(uintptr, []byte) (int, bool, error) { return 0, false, errNoRawReads }

func rawReadErr(_ int, err error) error { return err }

func readRaw(syscall.RawConn, []byte) (int, error) { return 0, errNoRawReads }
