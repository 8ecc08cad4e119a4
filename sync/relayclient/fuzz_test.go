package relayclient

import (
	"errors"
	"testing"
)

// FuzzParseURL: any input is either refused with ErrInvalidURL or yields a canonical
// address that parses to itself.
func FuzzParseURL(f *testing.F) {
	for _, s := range []string{"ws://127.0.0.1:8443", "wss://relay.example.org/v1/ws", "ws://[::1]:1", "http://x", "ws:x", "", "ws://a:b@c/?d#e"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := ParseURL(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidURL) {
				t.Fatalf("ParseURL(%q) = %v, not ErrInvalidURL", s, err)
			}
			return
		}
		again, err := ParseURL(u.String())
		if err != nil || again.String() != u.String() {
			t.Fatalf("canonical %q does not round-trip: %v, %v", u, again, err)
		}
	})
}
