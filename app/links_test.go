package app

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

type linkRecorder struct {
	opened []string
	err    error
}

func (r *linkRecorder) OpenLink(link string) error {
	r.opened = append(r.opened, link)
	return r.err
}

// Only what the UI draws as a link reaches the program that opens it: the
// address ends up on another program's command line.
func TestOpenLink(t *testing.T) {
	tests := []struct {
		link string
		ok   bool
	}{
		{"https://www.example.com/", true},
		{"https://example.com/a/b?q=1&r=2#part", true},
		{"http://intranet/", true},
		{"https://xn--bcher-kva.example/", true},
		{"mailto:ada@example.com", true},
		{"mailto:jos%C3%A9@example.com", true},
		{"", false},
		{"example.com", false},
		{"file:///etc/passwd", false},
		{"javascript:alert(1)", false},
		{"ftp://example.com/", false},
		{"https:///nohost", false},
		{"https:example.com", false},
		{"https://user:secret@example.com/", false},
		{"https://example.com/ --new-window", false},
		{"https://example.com/\n", false},
		{"--help", false},
		{"mailto:ada@example.com?cc=eve@example.com", false},
		{"mailto:ada@example.com,eve@example.com", false},
		{"mailto:ada@example.com#x", false},
		{"mailto:ada", false},
		{"mailto:@example.com", false},
		{"mailto:ada@localhost", false},
		{"https://example.com/" + strings.Repeat("a", maxLinkChars), false},
	}
	f := newFixture(t)
	window := &WindowService{c: f.core}
	rec := &linkRecorder{}
	f.core.SetLinkOpener(rec)
	for _, tt := range tests {
		t.Run(tt.link, func(t *testing.T) {
			rec.opened = nil
			err := window.OpenLink(tt.link)
			if tt.ok {
				if err != nil {
					t.Fatalf("OpenLink(%q) = %v, want it opened", tt.link, err)
				}
				if !slices.Equal(rec.opened, []string{tt.link}) {
					t.Errorf("opened %q, want exactly %q", rec.opened, tt.link)
				}
				return
			}
			if !errors.Is(err, ErrInvalidInput) {
				t.Errorf("OpenLink(%q) = %v, want ErrInvalidInput", tt.link, err)
			}
			if len(rec.opened) != 0 {
				t.Errorf("%q was handed to the opener", rec.opened)
			}
		})
	}
}

func TestOpenLinkFailures(t *testing.T) {
	f := newFixture(t)
	window := &WindowService{c: f.core}
	if err := window.OpenLink("https://example.com/"); err == nil || !strings.Contains(err.Error(), "cannot open links") {
		t.Errorf("no opener: %v, want that the window cannot open links", err)
	}
	f.core.SetLinkOpener(&linkRecorder{err: errors.New("xdg-open: not found")})
	err := window.OpenLink("https://example.com/")
	if err == nil || err.Error() != "The link could not be opened." {
		t.Errorf("opener failed: %v, want a plain message", err)
	}
}
