package relayclient

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"hush/sync/wire"
)

// maxURLLength bounds a relay address as typed, so a pasted blob is refused before
// it is parsed.
const maxURLLength = 2048

// ParseURL checks a relay address as a person typed it and returns its canonical
// form: scheme ws or wss, a host with an optional port, and no path (or exactly
// [wire.Path]), user, query or fragment. Every failure matches [ErrInvalidURL] and
// says what is wrong, so the UI can show it before anything is dialled.
func ParseURL(s string) (*url.URL, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, fmt.Errorf("%w: enter an address such as ws://127.0.0.1:8443", ErrInvalidURL)
	}
	if len(s) > maxURLLength {
		return nil, fmt.Errorf("%w: the address is %d characters long", ErrInvalidURL, len(s))
	}
	if !strings.Contains(s, "://") {
		if l := strings.ToLower(s); strings.HasPrefix(l, "ws:") || strings.HasPrefix(l, "wss:") {
			return nil, fmt.Errorf("%w: %q has no host", ErrInvalidURL, s)
		}
		return nil, fmt.Errorf("%w: %q has no scheme; use ws://host:port or wss://host", ErrInvalidURL, s)
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %q is not a URL", ErrInvalidURL, s)
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "ws" && scheme != "wss" {
		if scheme == "" {
			return nil, fmt.Errorf("%w: %q has no scheme; use ws://host:port or wss://host", ErrInvalidURL, s)
		}
		return nil, fmt.Errorf("%w: scheme %q; use ws:// or wss://", ErrInvalidURL, u.Scheme)
	}
	if u.Opaque != "" || u.Host == "" || u.Hostname() == "" {
		return nil, fmt.Errorf("%w: %q has no host", ErrInvalidURL, s)
	}
	if u.User != nil {
		return nil, fmt.Errorf("%w: a relay address carries no user name or password", ErrInvalidURL)
	}
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return nil, fmt.Errorf("%w: a relay address has no query or fragment", ErrInvalidURL)
	}
	if p := u.Path; p != "" && p != "/" && p != wire.Path {
		return nil, fmt.Errorf("%w: unexpected path %q", ErrInvalidURL, p)
	}
	if port := u.Port(); port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("%w: port %q", ErrInvalidURL, port)
		}
	} else if strings.HasSuffix(u.Host, ":") {
		return nil, fmt.Errorf("%w: empty port", ErrInvalidURL)
	}
	return &url.URL{Scheme: scheme, Host: strings.ToLower(u.Host)}, nil
}
