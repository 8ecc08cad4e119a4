//go:build !unix && !windows

package datadir

import (
	"errors"
	"os"
)

// errLockUnsupported is returned on platforms without a file lock we trust.
var errLockUnsupported = errors.New("file locking is not supported on this platform")

// tryLock refuses where no OS lock is wired up: running two writers on one
// vault unnoticed is worse than not running.
func tryLock(*os.File) (bool, error) { return false, errLockUnsupported }

func unlock(*os.File) error { return errLockUnsupported }
