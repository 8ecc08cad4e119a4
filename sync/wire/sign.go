package wire

import (
	"hush/ids"
	"net"
	"strings"
)

// Signature purposes (identity labels). Each names exactly one kind of signed
// statement, so a signature made for one can never be replayed as another.
const (
	// AuthLabel: the device key signs [AuthMessage] to authenticate a connection.
	AuthLabel = "relay-auth"
	// HandleLabel: the account key signs [HandleMessage] to bind a handle.
	HandleLabel = "relay-handle"
	// RevokeLabel: the account key signs [RevokeMessage] to revoke a device.
	RevokeLabel = "relay-revoke"
)

// Handle length bounds, after normalisation (without the "@").
const (
	MinHandleLen = 3
	MaxHandleLen = 32
)

// AuthMessage is what a device signs (label [AuthLabel]) to answer the relay's
// challenge: the challenge, a zero byte, then the relay's canonical host (see
// [CanonicalHost]). Binding the host means a malicious relay cannot pass a challenge
// from another relay to a client and replay the answer there.
func AuthMessage(c Challenge, host string) []byte {
	b := make([]byte, 0, len(c)+1+len(host))
	b = append(b, c[:]...)
	b = append(b, 0)
	return append(b, CanonicalHost(host)...)
}

// HandleMessage is what the account key signs (label [HandleLabel]) to bind handle,
// already normalised by [NormalizeHandle], to the account.
func HandleMessage(account ids.Account, handle string) []byte {
	b := make([]byte, 0, ids.Size+len(handle))
	b = append(b, account[:]...)
	return append(b, handle...)
}

// RevokeMessage is what the account key signs (label [RevokeLabel]) to revoke device.
func RevokeMessage(account ids.Account, device ids.Device) []byte {
	b := make([]byte, 0, 2*ids.Size)
	b = append(b, account[:]...)
	return append(b, device[:]...)
}

// CanonicalHost returns the form of a relay's host[:port] that both sides sign: lower
// case, without a port of 80 or 443 (the defaults of ws and wss), IPv6 literals in
// brackets. A client passes the host of the URL it dialled; a relay its configured
// public host, or the HTTP Host header when none is configured.
func CanonicalHost(hostport string) string {
	hostport = strings.ToLower(strings.TrimSpace(hostport))
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		// No port: a bare name or a bracketed IPv6 literal.
		return hostport
	}
	if port == "80" || port == "443" || port == "" {
		if strings.Contains(host, ":") {
			return "[" + host + "]"
		}
		return host
	}
	return net.JoinHostPort(host, port)
}

// NormalizeHandle checks a handle as a person typed it and returns the form the relay
// stores and compares: without a leading "@", in lower case. A valid handle has 3 to 32
// characters, each a–z, 0–9 or _; anything else returns [ErrInvalidHandle].
func NormalizeHandle(s string) (string, error) {
	s = strings.TrimPrefix(s, "@")
	if len(s) < MinHandleLen || len(s) > MaxHandleLen {
		return "", Errorf(CodeInvalidHandle, "a handle has %d to %d characters", MinHandleLen, MaxHandleLen)
	}
	b := []byte(s)
	for i, c := range b {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '_':
		case c >= 'A' && c <= 'Z':
			b[i] = c + ('a' - 'A')
		default:
			return "", Errorf(CodeInvalidHandle, "a handle may hold only a-z, 0-9 and _")
		}
	}
	return string(b), nil
}
