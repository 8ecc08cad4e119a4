package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// windowState is the window's size as the user left it, kept in the data
// directory (windowStateFile) so that the next start opens the same. It holds
// no secret and is read before any unlock.
type windowState struct {
	Width     int  `json:"width"`
	Height    int  `json:"height"`
	Maximised bool `json:"maximised,omitempty"`
}

const (
	windowStateFile = "window.json"

	// The first start's size: room for the chat list and a conversation, and
	// the size of the bare WebKitGTK window Hush is measured against
	// (docs/PERFORMANCE.md). Memory grows with the window: its backing surfaces
	// and X upload buffers.
	defaultWindowWidth  = 900
	defaultWindowHeight = 640
	minWindowWidth      = 720
	minWindowHeight     = 480
	// Larger than any screen; a bigger figure is a damaged file.
	maxWindowSide = 16384
)

// loadWindowState reads the size saved in dir. Without a saved size it returns
// the default size; with a file it cannot use (damaged, a size out of bounds) it
// returns the default size and says why, so the window opens either way.
func loadWindowState(dir string) (windowState, error) {
	def := windowState{Width: defaultWindowWidth, Height: defaultWindowHeight}
	b, err := os.ReadFile(filepath.Join(dir, windowStateFile))
	if errors.Is(err, fs.ErrNotExist) {
		return def, nil
	}
	if err != nil {
		return def, fmt.Errorf("read window size: %w", err)
	}
	var s windowState
	if err := json.Unmarshal(b, &s); err != nil {
		return def, fmt.Errorf("read window size: %s: %w", windowStateFile, err)
	}
	if s.Width < minWindowWidth || s.Height < minWindowHeight || s.Width > maxWindowSide || s.Height > maxWindowSide {
		return def, fmt.Errorf("read window size: %s: %d×%d is out of bounds", windowStateFile, s.Width, s.Height)
	}
	return s, nil
}

// saveWindowState writes s into dir through a temporary file and a rename, so
// that a crash leaves the old size or the new one, never half a file.
func saveWindowState(dir string, s windowState) error {
	b, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("save window size: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".window-*.json")
	if err != nil {
		return fmt.Errorf("save window size: %w", err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename, nothing to remove
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("save window size: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("save window size: %w", err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, windowStateFile)); err != nil {
		return fmt.Errorf("save window size: %w", err)
	}
	return nil
}

// closingState is what to save when the window closes at width×height: a
// maximised window keeps the size it had before (prev) and reopens maximised,
// so that un-maximising it later gives the user's size back.
func closingState(prev windowState, width, height int, maximised bool) windowState {
	if maximised {
		prev.Maximised = true
		return prev
	}
	return windowState{Width: width, Height: height}
}
