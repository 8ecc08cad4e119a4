package datadir

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// Lock is the one-writer lock on a data directory, held from [Acquire] until
// [Lock.Release] or the process ends. The OS drops it when the process dies,
// so a crash leaves no stale lock behind.
type Lock struct {
	dir string

	mu sync.Mutex
	f  *os.File // nil once released
}

// inUseError carries the directory for the message while matching
// [ErrInUse] with errors.Is.
type inUseError struct{ dir string }

func (e *inUseError) Error() string        { return "another Hush is already using " + e.dir }
func (e *inUseError) Is(target error) bool { return target == ErrInUse }

// Acquire takes an exclusive, non-blocking OS lock on <dir>/hush.lock
// (flock on Unix, LockFileEx on Windows). If another process, or another
// Acquire in this one, holds it, the error matches [ErrInUse] and its
// message names dir. The lock file is left in place on release: removing it
// would race with a process that has just opened it.
func Acquire(dir string) (*Lock, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("lock data directory %s: %w", dir, err)
	}
	name := filepath.Join(abs, lockFileName)
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock data directory: open %s: %w", name, err)
	}
	held, err := tryLock(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock data directory: %s: %w", name, err)
	}
	if !held {
		f.Close()
		return nil, &inUseError{dir: abs}
	}
	return &Lock{dir: abs, f: f}, nil
}

// Release drops the lock. Calling it again is a no-op.
func (l *Lock) Release() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	f := l.f
	l.f = nil
	uerr := unlock(f)
	cerr := f.Close() // closing drops the lock too, so a failed unlock is harmless
	if uerr != nil {
		return fmt.Errorf("unlock data directory %s: %w", l.dir, uerr)
	}
	if cerr != nil {
		return fmt.Errorf("unlock data directory %s: %w", l.dir, cerr)
	}
	return nil
}
