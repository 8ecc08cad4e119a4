package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadWindowState(t *testing.T) {
	def := windowState{Width: defaultWindowWidth, Height: defaultWindowHeight}
	tests := []struct {
		name    string
		file    string // "" : no file
		want    windowState
		wantErr string
	}{
		{"first start", "", def, ""},
		{"saved size", `{"width":1280,"height":800}`, windowState{Width: 1280, Height: 800}, ""},
		{"saved maximised", `{"width":1000,"height":700,"maximised":true}`, windowState{Width: 1000, Height: 700, Maximised: true}, ""},
		{"damaged", `{"width":12`, def, "window.json"},
		{"not json", "\x00\x01", def, "window.json"},
		{"too small", `{"width":100,"height":100}`, def, "out of bounds"},
		{"too large", `{"width":1000,"height":99999}`, def, "out of bounds"},
		{"missing height", `{"width":1000}`, def, "out of bounds"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.file != "" {
				if err := os.WriteFile(filepath.Join(dir, windowStateFile), []byte(tt.file), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			got, err := loadWindowState(dir)
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("error %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("error %v, want one naming %q", err, tt.wantErr)
			}
		})
	}
}

// What the window saves when it closes comes back at the next start, and the
// save leaves no temporary file behind.
func TestSaveWindowStateRoundTrip(t *testing.T) {
	dir := t.TempDir()
	for _, s := range []windowState{{Width: 1400, Height: 900}, {Width: 1000, Height: 700, Maximised: true}} {
		if err := saveWindowState(dir, s); err != nil {
			t.Fatal(err)
		}
		got, err := loadWindowState(dir)
		if err != nil || got != s {
			t.Errorf("saved %+v, loaded %+v (%v)", s, got, err)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != windowStateFile {
		t.Errorf("data directory holds %v", entries)
	}
}

func TestSaveWindowStateUnwritable(t *testing.T) {
	if err := saveWindowState(filepath.Join(t.TempDir(), "gone"), windowState{Width: 900, Height: 640}); err == nil {
		t.Error("saved into a folder that does not exist")
	}
}

func TestClosingState(t *testing.T) {
	prev := windowState{Width: 1000, Height: 700}
	tests := []struct {
		name          string
		width, height int
		maximised     bool
		want          windowState
	}{
		{"resized", 1200, 800, false, windowState{Width: 1200, Height: 800}},
		{"maximised keeps the size before", 1920, 1080, true, windowState{Width: 1000, Height: 700, Maximised: true}},
		{"un-maximised", 1000, 700, false, windowState{Width: 1000, Height: 700}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := closingState(prev, tt.width, tt.height, tt.maximised); got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}
