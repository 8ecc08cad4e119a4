//go:build !linux && !windows && !(darwin && cgo)

package badge

import (
	"context"
	"fmt"
	"runtime"
)

// platform has no badge to show on this system (macOS without cgo among them).
type platform struct{}

func (platform) set(context.Context, Options, int) error {
	return fmt.Errorf("%s: %w", runtime.GOOS, ErrUnavailable)
}

func (platform) close() error { return nil }
