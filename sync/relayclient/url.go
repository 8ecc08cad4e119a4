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

// URLError says what is wrong with a relay address; it matches [ErrInvalidURL].
type URLError struct {
	// Reason is a short phrase: "scheme \"http\"; use ws:// or wss://".
	Reason string
}

func (e *URLError) Error() string { return ErrInvalidURL.Error() + ": " + e.Reason }

// Is reports that a URLError is an [ErrInvalidURL].
func (e *URLError) Is(target error) bool { return target == ErrInvalidURL }

func invalidURL(format string, args ...any) error {
	return &URLError{Reason: fmt.Sprintf(format, args...)}
}

// ParseURL checks a relay address as a person typed it and returns its canonical
// form: scheme ws or wss, a host with an optional port, and no path (or exactly
// [wire.Path]), user, query or fragment. Every failure is a [*URLError], which
// matches [ErrInvalidURL] and says what is wrong, so the UI can show it before anything is dialled.
func ParseURL(s string) (*url.URL, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, invalidURL("enter an address such as ws://127.0.0.1:8443")
	}
	if len(s) > maxURLLength {
		return nil, invalidURL("the address is %d characters long", len(s))
	}
	if !strings.Contains(s, "://") {
		if l := strings.ToLower(s); strings.HasPrefix(l, "ws:") || strings.HasPrefix(l, "wss:") {
			return nil, invalidURL("%q has no host", s)
		}
		return nil, invalidURL("%q has no scheme; use ws://host:port or wss://host", s)
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, invalidURL("%q is not a URL", s)
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "ws" && scheme != "wss" {
		if scheme == "" {
			return nil, invalidURL("%q has no scheme; use ws://host:port or wss://host", s)
		}
		return nil, invalidURL("scheme %q; use ws:// or wss://", u.Scheme)
	}
	if u.Opaque != "" || u.Host == "" || u.Hostname() == "" {
		return nil, invalidURL("%q has no host", s)
	}
	if u.User != nil {
		return nil, invalidURL("a relay address carries no user name or password")
	}
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return nil, invalidURL("a relay address has no query or fragment")
	}
	if p := u.Path; p != "" && p != "/" && p != wire.Path {
		return nil, invalidURL("unexpected path %q", p)
	}
	if port := u.Port(); port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 {
			return nil, invalidURL("port %q", port)
		}
	} else if strings.HasSuffix(u.Host, ":") {
		return nil, invalidURL("empty port")
	}
	return &url.URL{Scheme: scheme, Host: strings.ToLower(u.Host)}, nil
}
