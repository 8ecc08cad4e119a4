package wire

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

func TestParseOrigin(t *testing.T) {
	good := []struct{ in, want string }{
		{"ws://127.0.0.1:8443", "ws://127.0.0.1:8443"},
		{"WS://Relay.Example.ORG:8443/", "ws://relay.example.org:8443"},
		{"wss://relay.example.org", "wss://relay.example.org"},
		{"wss://relay.example.org:443", "wss://relay.example.org"},
		{"wss://relay.example.org:0443/v1/ws", "wss://relay.example.org"},
		{"ws://relay.example.org:80", "ws://relay.example.org"},
		{"ws://relay.example.org:443", "ws://relay.example.org:443"},      // not ws's default
		{"wss://relay.example.org:80", "wss://relay.example.org:80"},      // not wss's default
		{"wss://relay.example.org.:8443", "wss://relay.example.org:8443"}, // trailing dot
		{"ws://[::1]:8443", "ws://[::1]:8443"},
		{"ws://[0:0:0:0:0:0:0:1]:8443", "ws://[::1]:8443"},
		{"wss://[2001:DB8::1]", "wss://[2001:db8::1]"},
		{"ws://localhost:1", "ws://localhost:1"},
		{"ws://my_relay-1.lan:9", "ws://my_relay-1.lan:9"},
	}
	for _, g := range good {
		o, err := ParseOrigin(g.in)
		if err != nil || o.String() != g.want {
			t.Errorf("ParseOrigin(%q) = %q, %v; want %q", g.in, o, err, g.want)
			continue
		}
		if again, err := ParseOrigin(o.String()); err != nil || again != o {
			t.Errorf("ParseOrigin(%q) = %q, %v; the canonical form must parse to itself", o, again, err)
		}
		if again, err := ParseOrigin(o.URL()); err != nil || again != o {
			t.Errorf("ParseOrigin(%q) = %q, %v; the dial URL must parse to its origin", o.URL(), again, err)
		}
	}
	bad := []struct{ in, why string }{
		{"", "no scheme"},
		{"relay.example.org", "no scheme"},
		{"127.0.0.1:8443", "no scheme"},
		{"ws:relay", "no host"},
		{"https://relay.example.org", `scheme "https"`},
		{"://relay", "not a URL"},
		{"ws://", "no host"},
		{"ws://:8443", "no host"},
		{"ws://host:0", "port"},
		{"ws://host:65536", "port"},
		{"ws://host:", "empty port"},
		{"ws://user:pw@host", "user name"},
		{"ws://host/?x", "query"},
		{"ws://host/#x", "fragment"},
		{"ws://host/chat", "path"},
		{"ws://host\x7f", "not a URL"},
		{"ws://[fe80::1%25eth0]:1", "zone"},
		{"ws://[relay.example.org]:1", "not a URL"},
		{"ws://a..b", "not a valid name"},
		{"ws://.a", "not a valid name"},
		{"ws://00..", "not a valid name"},
		{"ws://a*b", "not a valid name"},
		{"ws://" + strings.Repeat("a", 254), "not a valid name"},
	}
	for _, b := range bad {
		o, err := ParseOrigin(b.in)
		var oe *OriginError
		if !errors.As(err, &oe) || !strings.Contains(oe.Reason, b.why) {
			t.Errorf("ParseOrigin(%q) = %q, %v; want an OriginError mentioning %q", b.in, o, err, b.why)
		}
	}
}

func TestOriginParts(t *testing.T) {
	tests := []struct {
		in               string
		scheme, host     string
		loopback, unsafe bool
	}{
		{"ws://127.0.0.1:8443", "ws", "127.0.0.1:8443", true, false},
		{"ws://127.9.9.9:1", "ws", "127.9.9.9:1", true, false},
		{"ws://localhost:8443", "ws", "localhost:8443", true, false},
		{"ws://LOCALHOST.", "ws", "localhost", true, false},
		{"ws://[::1]:8443", "ws", "[::1]:8443", true, false},
		{"ws://[::ffff:127.0.0.1]:1", "ws", "[::ffff:127.0.0.1]:1", true, false},
		{"wss://127.0.0.1:8443", "wss", "127.0.0.1:8443", true, false},
		{"ws://relay.example.org", "ws", "relay.example.org", false, true},
		{"ws://10.0.0.1:8443", "ws", "10.0.0.1:8443", false, true},
		{"ws://localhost.example.org", "ws", "localhost.example.org", false, true},
		{"ws://128.0.0.1", "ws", "128.0.0.1", false, true},
		{"ws://[::2]:1", "ws", "[::2]:1", false, true},
		{"wss://relay.example.org", "wss", "relay.example.org", false, false},
	}
	for _, tt := range tests {
		o, err := ParseOrigin(tt.in)
		if err != nil {
			t.Fatalf("ParseOrigin(%q): %v", tt.in, err)
		}
		if o.Scheme() != tt.scheme || o.Host() != tt.host || o.Loopback() != tt.loopback || o.Insecure() != tt.unsafe {
			t.Errorf("%q: scheme %q host %q loopback %v insecure %v; want %q %q %v %v",
				tt.in, o.Scheme(), o.Host(), o.Loopback(), o.Insecure(), tt.scheme, tt.host, tt.loopback, tt.unsafe)
		}
	}
}

// TestAuthMessageKnownAnswer pins the signed message's layout as docs/PROTOCOL.md
// describes it: challenge (32) ‖ origin length (2, big-endian) ‖ origin.
func TestAuthMessageKnownAnswer(t *testing.T) {
	var c Challenge
	for i := range c {
		c[i] = byte(i)
	}
	got := AuthMessage(c, "wss://relay.example.org")
	want, _ := hex.DecodeString("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f" +
		"0017" + hex.EncodeToString([]byte("wss://relay.example.org")))
	if !bytes.Equal(got, want) {
		t.Errorf("AuthMessage = %x\nwant          %x", got, want)
	}
	if bytes.Equal(AuthMessage(c, "ws://127.0.0.1:1"), AuthMessage(c, "ws://127.0.0.1:2")) {
		t.Error("AuthMessage does not bind the port")
	}
	if bytes.Equal(AuthMessage(c, "ws://127.0.0.1:1"), AuthMessage(c, "wss://127.0.0.1:1")) {
		t.Error("AuthMessage does not bind the scheme")
	}
}

// FuzzParseOrigin: any input is refused with an OriginError, or yields an origin
// that parses to itself, whose dial URL parses to it too, and that is short enough
// for AuthMessage's length field.
func FuzzParseOrigin(f *testing.F) {
	for _, s := range []string{"ws://127.0.0.1:8443", "wss://relay.example.org/v1/ws", "ws://[::1]:1", "WSS://A.B.:443", "http://x", "ws:x", "", "ws://a:b@c/?d#e", "ws://[fe80::1%25x]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		o, err := ParseOrigin(s)
		if err != nil {
			var oe *OriginError
			if !errors.As(err, &oe) {
				t.Fatalf("ParseOrigin(%q) = %v, not an OriginError", s, err)
			}
			return
		}
		if again, err := ParseOrigin(o.String()); err != nil || again != o {
			t.Fatalf("origin %q does not round-trip: %q, %v", o, again, err)
		}
		if again, err := ParseOrigin(o.URL()); err != nil || again != o {
			t.Fatalf("dial URL %q does not parse to %q: %q, %v", o.URL(), o, again, err)
		}
		if len(o) > 0xffff || strings.ToLower(string(o)) != string(o) {
			t.Fatalf("origin %q: too long or not lower case", o)
		}
	})
}
