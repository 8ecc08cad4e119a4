package devicelink

import (
	"encoding/base32"
	"fmt"
	"math"
	"net/url"
	"strings"
	"time"

	"hush/ids"
)

// CodeLifetime is how long a link code is valid after the newcomer made it: long
// enough to carry it to another device, short enough that a photo of the screen is
// soon worthless. The relay also lets a session be used only once.
const CodeLifetime = 5 * time.Minute

// Limits of a link code.
const (
	// MaxCodeLength caps the text [ParseCode] reads, before spaces are dropped. A
	// real code is under 560 characters.
	MaxCodeLength = 1024
	// MaxRelayURLSize caps the relay address in a code, in bytes.
	MaxRelayURLSize = 256
)

// codePrefix starts the text form, so a code pasted in the wrong field is recognised
// at once. It and the upper-case base32 after it are all QR "alphanumeric"
// characters, which a QR code stores in 5.5 bits each instead of 8.
const codePrefix = "HUSH:"

// codeVersion is the only code layout this code writes and reads.
const codeVersion = 1

// codeEncoding is RFC 4648 base32 without padding: upper-case letters and 2–7 only.
var codeEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// Code is what the newcomer shows, as a QR code and as text, for the user to give to
// the sponsor. It is not secret — anyone who sees it and reaches the relay first
// could start the exchange — but a stranger who does ends with a different SAS,
// which the user sees before any key is sent.
type Code struct {
	// Session is the one-time id the newcomer registered at the relay.
	Session ids.LinkSession
	// KeyHash is [KeyHash] of the newcomer's link public key, so the relay cannot
	// hand the sponsor another key.
	KeyHash [32]byte
	// Expires is when the code stops working, in whole seconds: [CodeLifetime] after
	// the newcomer made it.
	Expires time.Time
	// Relay is the address of the relay the newcomer is connected to, ws:// or
	// wss://, where the sponsor finds the session.
	Relay string
}

// codeBody is the encoded code: CBOR [version, session (16-byte bstr), key hash
// (32-byte bstr), expiry (Unix seconds, uint), relay (tstr)].
type codeBody struct {
	_       struct{} `cbor:",toarray"`
	Version uint8
	Session ids.LinkSession
	KeyHash []byte
	Expires uint64
	Relay   string
}

// NewCode returns the code for a link session the newcomer registered at relay,
// for its link public key pub, expiring [CodeLifetime] after now.
func NewCode(session ids.LinkSession, pub []byte, relay string, now time.Time) (Code, error) {
	if _, err := parsePublicKey(pub); err != nil {
		return Code{}, fmt.Errorf("new link code: %w", err)
	}
	if err := checkRelay(relay); err != nil {
		return Code{}, fmt.Errorf("new link code: %w", err)
	}
	if session.IsZero() {
		return Code{}, fmt.Errorf("new link code: no session")
	}
	return Code{
		Session: session,
		KeyHash: KeyHash(pub),
		Expires: now.Add(CodeLifetime).Truncate(time.Second).UTC(),
		Relay:   relay,
	}, nil
}

// String returns the text form: "HUSH:" and the unpadded upper-case base32 of the
// encoded code. Every character of it is in the QR alphanumeric set, so the QR code
// stays small. A time before 1970 is written as 0.
func (c Code) String() string {
	b, err := enc.Marshal(c.body())
	if err != nil {
		// Only unencodable Go values fail, and codeBody has none.
		panic("devicelink: encode code: " + err.Error())
	}
	return codePrefix + codeEncoding.EncodeToString(b)
}

func (c Code) body() codeBody {
	return codeBody{
		Version: codeVersion,
		Session: c.Session,
		KeyHash: c.KeyHash[:],
		Expires: uint64(max(c.Expires.Unix(), 0)),
		Relay:   c.Relay,
	}
}

// Expired reports whether the code no longer works at now. Both sides check it: the
// sponsor before it commits ([NewSponsor]), the newcomer before it replies
// ([Newcomer.OnCommit]).
func (c Code) Expired(now time.Time) bool { return !now.Before(c.Expires) }

// ParseCode reads the text form [Code.String] returns, as a user pastes or types it:
// it ignores spaces, line breaks and hyphens anywhere, accepts lower case, and the
// "HUSH:" prefix may be missing. Every failure wraps [ErrBadCode]. It does not check
// expiry: that needs the time ([Code.Expired]).
func ParseCode(s string) (Code, error) {
	if len(s) > MaxCodeLength {
		return Code{}, fmt.Errorf("%w: %d characters, the limit is %d", ErrBadCode, len(s), MaxCodeLength)
	}
	text, err := normaliseCode(s)
	if err != nil {
		return Code{}, err
	}
	b, err := codeEncoding.DecodeString(text)
	if err != nil {
		return Code{}, fmt.Errorf("%w: %v", ErrBadCode, err)
	}
	// Base32 can spell the last few bits several ways; only the one that encodes
	// back to the same text is a code, so one code has one text.
	if codeEncoding.EncodeToString(b) != text {
		return Code{}, fmt.Errorf("%w: non-canonical base32", ErrBadCode)
	}
	var body codeBody
	if err := dec.Unmarshal(b, &body); err != nil {
		return Code{}, fmt.Errorf("%w: %v", ErrBadCode, err)
	}
	if body.Version != codeVersion {
		return Code{}, fmt.Errorf("%w: unknown version %d", ErrBadCode, body.Version)
	}
	if len(body.KeyHash) != len(Code{}.KeyHash) {
		return Code{}, fmt.Errorf("%w: key hash of %d bytes", ErrBadCode, len(body.KeyHash))
	}
	if body.Session.IsZero() {
		return Code{}, fmt.Errorf("%w: no session", ErrBadCode)
	}
	if body.Expires > math.MaxInt64 {
		return Code{}, fmt.Errorf("%w: expiry out of range", ErrBadCode)
	}
	if err := checkRelay(body.Relay); err != nil {
		return Code{}, fmt.Errorf("%w: %v", ErrBadCode, err)
	}
	c := Code{
		Session: body.Session,
		KeyHash: [32]byte(body.KeyHash),
		Expires: time.Unix(int64(body.Expires), 0).UTC(),
		Relay:   body.Relay,
	}
	// The decoder accepts longer-than-needed integer and length headers; refusing
	// them keeps one code to one encoding.
	if again, _ := enc.Marshal(c.body()); string(again) != string(b) {
		return Code{}, fmt.Errorf("%w: non-canonical encoding", ErrBadCode)
	}
	return c, nil
}

// normaliseCode drops what a user may add around or inside a code (spaces, line
// breaks, hyphens), upper-cases it and strips the prefix. It refuses anything
// outside ASCII first: Unicode case mapping would otherwise turn some letters
// ("ſ", "ı") into ASCII ones and accept text that is not a code.
func normaliseCode(s string) (string, error) {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 0x80:
			return "", fmt.Errorf("%w: non-ASCII character at %d", ErrBadCode, i)
		case c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '-':
			continue
		case 'a' <= c && c <= 'z':
			c -= 'a' - 'A'
		}
		b = append(b, c)
	}
	t := string(b)
	t = strings.TrimPrefix(t, codePrefix)
	if t == "" {
		return "", fmt.Errorf("%w: empty", ErrBadCode)
	}
	return t, nil
}

// checkRelay accepts a relay address in the one form the newcomer writes: ws:// or
// wss://, a host, an optional path, nothing else (no user, query or fragment), and
// that the URL parser prints back unchanged.
func checkRelay(s string) error {
	if len(s) > MaxRelayURLSize {
		return fmt.Errorf("relay address of %d bytes, the limit is %d", len(s), MaxRelayURLSize)
	}
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("relay address: %v", err)
	}
	if u.Scheme != "ws" && u.Scheme != "wss" {
		return fmt.Errorf("relay address %q is not ws:// or wss://", s)
	}
	if u.Hostname() == "" || u.Opaque != "" || u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return fmt.Errorf("relay address %q must be a host and a path only", s)
	}
	if u.String() != s {
		return fmt.Errorf("relay address %q is not in its canonical form", s)
	}
	return nil
}
