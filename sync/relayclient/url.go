package relayclient

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"hush/sync/wire"
)

// maxURLLength bounds a relay address as typed, so a pasted blob is refused before
// it is parsed.
const maxURLLength = 2048

// ErrInsecureURL: the address is plain ws:// to another computer. Plain ws:// is only
// for a relay on this computer (loopback); anywhere else anyone on the path could
// read and change the connection, so the address must be wss://. A [*URLError]
// carrying it matches it with errors.Is.
var ErrInsecureURL = errors.New("plain ws:// is only for a relay on this computer")

// URLError says what is wrong with a relay address; it matches [ErrInvalidURL], and
// [ErrInsecureURL] when that is the problem.
type URLError struct {
	// Reason is a short phrase: "scheme \"http\"; use ws:// or wss://".
	Reason string
	// Err is a sentinel naming the kind of problem when callers branch on it
	// ([ErrInsecureURL]); nil otherwise.
	Err error
}

func (e *URLError) Error() string { return ErrInvalidURL.Error() + ": " + e.Reason }

// Is reports that a URLError is an [ErrInvalidURL].
func (e *URLError) Is(target error) bool { return target == ErrInvalidURL }

// Unwrap returns the sentinel naming the kind of problem, if any.
func (e *URLError) Unwrap() error { return e.Err }

func invalidURL(format string, args ...any) error {
	return &URLError{Reason: fmt.Sprintf(format, args...)}
}

// ParseURL checks a relay address as a person typed it and returns its canonical
// form: scheme ws or wss, a host with an optional port, and no path (or exactly
// [wire.Path]), user, query or fragment — the relay's [wire.Origin], which is what
// the device signs when it authenticates. Plain ws:// is accepted only for a host on
// this computer (127.0.0.0/8, ::1, localhost); anything else must be wss://.
//
// Every failure is a [*URLError], which matches [ErrInvalidURL] and says what is
// wrong, so the UI can show it before anything is dialled.
func ParseURL(s string) (*url.URL, error) {
	o, err := parseOrigin(s)
	if err != nil {
		return nil, err
	}
	return &url.URL{Scheme: o.Scheme(), Host: o.Host()}, nil
}

func parseOrigin(s string) (wire.Origin, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", invalidURL("enter an address such as ws://127.0.0.1:8443")
	}
	if len(s) > maxURLLength {
		return "", invalidURL("the address is %d characters long", len(s))
	}
	o, err := wire.ParseOrigin(s)
	var oe *wire.OriginError
	if errors.As(err, &oe) {
		return "", &URLError{Reason: oe.Reason}
	}
	if err != nil {
		return "", invalidURL("%v", err)
	}
	if o.Insecure() {
		return "", &URLError{Reason: "plain ws:// is only for a relay on this computer; use wss://" + o.Host(), Err: ErrInsecureURL}
	}
	return o, nil
}
