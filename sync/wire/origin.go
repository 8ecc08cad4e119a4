package wire

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// Origin is a relay's origin in the one form both sides sign (docs/PROTOCOL.md,
// "Authentication"): the scheme "ws" or "wss", "://", the host in lower case, and
// ":port" unless the port is the scheme's default (80 for ws, 443 for wss). An IPv6
// literal is written in brackets in its canonical form ("[::1]"); a name loses a
// trailing dot. Examples: "wss://relay.example.org", "ws://127.0.0.1:8443".
//
// Build one with [ParseOrigin]; an Origin made otherwise may not be canonical, and a
// relay compares origins byte for byte.
type Origin string

// Default ports, left out of an [Origin].
const (
	defaultPortWS  = 80
	defaultPortWSS = 443
)

// maxHostLength bounds a relay's host name (a DNS name has at most 253 characters).
const maxHostLength = 253

// OriginError says what is wrong with a relay address given to [ParseOrigin].
type OriginError struct {
	// Reason is a short phrase: "scheme \"http\"; use ws:// or wss://".
	Reason string
}

// Error names the problem.
func (e *OriginError) Error() string { return "invalid relay address: " + e.Reason }

func originError(format string, args ...any) error {
	return &OriginError{Reason: fmt.Sprintf(format, args...)}
}

// ParseOrigin checks a relay address and returns its canonical [Origin]. The address
// is a URL with scheme ws or wss (any case), a host and an optional port, and no
// path but "/" or [Path], no user, query or fragment. Every failure is an
// [*OriginError] saying what is wrong.
//
// ParseOrigin decides the syntax only. Whether plain ws:// may be used for the host
// is [Origin.Insecure]'s question.
func ParseOrigin(s string) (Origin, error) {
	if !strings.Contains(s, "://") {
		if l := strings.ToLower(s); strings.HasPrefix(l, "ws:") || strings.HasPrefix(l, "wss:") {
			return "", originError("%q has no host", s)
		}
		return "", originError("%q has no scheme; use ws://host:port or wss://host", s)
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", originError("%q is not a URL", s)
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "ws" && scheme != "wss" {
		if scheme == "" {
			return "", originError("%q has no scheme; use ws://host:port or wss://host", s)
		}
		return "", originError("scheme %q; use ws:// or wss://", u.Scheme)
	}
	if u.Opaque != "" || u.Host == "" || u.Hostname() == "" {
		return "", originError("%q has no host", s)
	}
	if u.User != nil {
		return "", originError("a relay address carries no user name or password")
	}
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return "", originError("a relay address has no query or fragment")
	}
	if p := u.Path; p != "" && p != "/" && p != Path {
		return "", originError("unexpected path %q", p)
	}
	port := 0
	if ps := u.Port(); ps != "" {
		n, err := strconv.Atoi(ps)
		if err != nil || n < 1 || n > 65535 {
			return "", originError("port %q", ps)
		}
		port = n
	} else if strings.HasSuffix(u.Host, ":") {
		return "", originError("empty port")
	}
	host, err := canonicalHostname(u.Hostname(), strings.HasPrefix(u.Host, "["))
	if err != nil {
		return "", err
	}
	if (scheme == "ws" && port == defaultPortWS) || (scheme == "wss" && port == defaultPortWSS) {
		port = 0
	}
	o := scheme + "://" + host
	if port != 0 {
		o += ":" + strconv.Itoa(port)
	}
	return Origin(o), nil
}

// canonicalHostname returns the host part of an origin: an IP address in its
// canonical form (IPv6 in brackets), or a name of letters, digits, "-", "_" and "."
// in lower case without a trailing dot.
func canonicalHostname(h string, bracketed bool) (string, error) {
	if a, err := netip.ParseAddr(h); err == nil {
		if a.Zone() != "" {
			return "", originError("host %q has a zone; use an address without one", h)
		}
		if a.Is6() {
			if !bracketed {
				return "", originError("host %q: write an IPv6 address in brackets", h)
			}
			return "[" + a.String() + "]", nil
		}
		return a.String(), nil
	}
	if bracketed {
		return "", originError("host %q is not an IPv6 address", h)
	}
	name := strings.TrimSuffix(strings.ToLower(h), ".")
	if name == "" || len(name) > maxHostLength || strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".") || strings.Contains(name, "..") {
		return "", originError("host %q is not a valid name", h)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return "", originError("host %q is not a valid name", h)
		}
	}
	return name, nil
}

// String returns the origin as text.
func (o Origin) String() string { return string(o) }

// Scheme returns "ws" or "wss".
func (o Origin) Scheme() string {
	s, _, _ := strings.Cut(string(o), "://")
	return s
}

// Host returns the host with its port, if the origin has one: "relay.example.org",
// "127.0.0.1:8443", "[::1]:8443" — what a URL's Host field holds.
func (o Origin) Host() string {
	_, h, _ := strings.Cut(string(o), "://")
	return h
}

// URL returns the address a device dials: the origin followed by [Path].
func (o Origin) URL() string { return string(o) + Path }

// Loopback reports whether the origin's host is this computer: "localhost", an
// address in 127.0.0.0/8, or ::1 (also written as an IPv4-mapped IPv6 address).
func (o Origin) Loopback() bool {
	h := o.Host()
	if host, _, err := net.SplitHostPort(h); err == nil {
		h = host
	}
	return IsLoopbackHost(h)
}

// Insecure reports whether the origin is plain ws:// to another computer: then
// anyone on the path reads and changes the traffic, including the relay's Hello, and
// a device refuses to use it (docs/PROTOCOL.md, "Transport").
func (o Origin) Insecure() bool { return o.Scheme() != "wss" && !o.Loopback() }

// IsLoopbackHost reports whether host (without a port; an IPv6 address with or
// without brackets) names this computer: "localhost" (any case, with or without a
// trailing dot), an address in 127.0.0.0/8, or ::1. Other names are not loopback
// even if they resolve to it, since what a name resolves to can change after the
// check.
func IsLoopbackHost(host string) bool {
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(strings.TrimSuffix(host, "."), "localhost") {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.Zone() == "" && a.Unmap().IsLoopback()
}
