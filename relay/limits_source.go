package relay

import (
	"net/http"
	"net/netip"
	"strings"
)

// maxForwardedHops bounds how many X-Forwarded-For entries the relay walks, from the
// right, looking for the client: a chain of trusted proxies longer than this is a
// misconfiguration, and the walk stops at the last trusted hop it reached.
const maxForwardedHops = 16

// clientAddr returns the address of the client behind a request: the TCP peer, or —
// only when the peer is one of the trusted proxies — the rightmost address in
// X-Forwarded-For that is not a trusted proxy. Entries left of it are whatever the
// client chose to send, so they are never read. A peer that is not an IP address
// (an unusual listener) is the zero address, which all such clients share.
func clientAddr(r *http.Request, trusted []netip.Prefix) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	peer := ap.Addr().Unmap().WithZone("")
	if !isTrusted(peer, trusted) {
		return peer
	}
	return forwardedClient(peer, strings.Join(r.Header.Values("X-Forwarded-For"), ","), trusted)
}

// forwardedClient walks the comma-separated list xff (as appended to by each proxy,
// the nearest last) from the right, starting from the trusted peer, and returns the
// first address that is not trusted. An entry that is not an address ends the walk
// at the last trusted hop: a proxy always appends a well-formed address, so a
// malformed one was never checked by anyone we trust.
func forwardedClient(peer netip.Addr, xff string, trusted []netip.Prefix) netip.Addr {
	last := peer
	for range maxForwardedHops {
		if strings.TrimSpace(xff) == "" {
			return last
		}
		entry := xff
		if i := strings.LastIndexByte(xff, ','); i >= 0 {
			entry, xff = xff[i+1:], xff[:i]
		} else {
			xff = ""
		}
		a, ok := parseForwarded(strings.TrimSpace(entry))
		if !ok {
			return last
		}
		if !isTrusted(a, trusted) {
			return a
		}
		last = a
	}
	return last
}

// parseForwarded parses one X-Forwarded-For entry: an IP address, possibly with a
// port ("192.0.2.1:5000", "[2001:db8::1]:5000"), as some proxies write it.
func parseForwarded(s string) (netip.Addr, bool) {
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap().WithZone(""), true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap().WithZone(""), true
	}
	return netip.Addr{}, false
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// sourceNetwork is what per-network limits count against: an IPv4 address alone,
// an IPv6 address's /64 (one subscriber usually holds a whole /64, and picks
// addresses in it at will).
func sourceNetwork(a netip.Addr) netip.Prefix {
	switch {
	case a.Is4():
		return netip.PrefixFrom(a, 32)
	case a.Is6():
		p, _ := a.Prefix(64)
		return p
	}
	return netip.Prefix{}
}
