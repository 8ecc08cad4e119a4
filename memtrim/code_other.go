//go:build !linux

package memtrim

// Code is the running executable's read-only mappings; only Linux has them here.
type Code struct{}

// Open returns ErrUnsupported: releasing pages of a mapping is done on Linux
// only (Windows trims a working set by itself when memory is short).
func Open() (*Code, error) { return nil, ErrUnsupported }

// Release does nothing.
func (c *Code) Release() error { return ErrUnsupported }

// Resident returns 0.
func (c *Code) Resident() (int64, error) { return 0, ErrUnsupported }
