//go:build !linux

package memtrim

// Code is the running executable's read-only mappings; only Linux has them here.
type Code struct{}

// Open returns ErrUnsupported: pages are released on Linux only, the one
// platform whose window is measured (docs/PERFORMANCE.md).
func Open(Options) (*Code, error) { return nil, ErrUnsupported }

// Release does nothing.
func (c *Code) Release() error { return ErrUnsupported }

// Resident returns 0.
func (c *Code) Resident() (int64, error) { return 0, ErrUnsupported }
