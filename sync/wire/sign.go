package wire

import (
	"encoding/binary"
	"strings"

	"hush/ids"
)

// Signature purposes (identity labels). Each names exactly one kind of signed
// statement, so a signature made for one can never be replayed as another.
const (
	// AuthLabel: the device key signs [AuthMessage] to authenticate a connection.
	// It replaced "relay-auth", whose message bound only a host the relay might take
	// from the request: a signature made under the old label never verifies under
	// this one.
	AuthLabel = "relay-auth-origin"
	// HandleLabel: the account key signs [HandleMessage] to bind a handle.
	HandleLabel = "relay-handle"
)

// Handle length bounds, after normalisation (without the "@").
const (
	MinHandleLen = 3
	MaxHandleLen = 32
)

// AuthMessage is what a device signs (label [AuthLabel]) to answer the relay's
// challenge: the 32-byte challenge, the origin's length as two bytes big-endian, then
// the origin. The origin is the one the device was configured with, never one the
// relay names; the relay checks the signature against its own origin (its public URL,
// or its loopback listening address). So a malicious relay that passes another relay's
// challenge to a device gets back a signature for its own origin, which the other
// relay refuses (docs/PROTOCOL.md, "Authentication").
func AuthMessage(c Challenge, o Origin) []byte {
	b := make([]byte, 0, len(c)+2+len(o))
	b = append(b, c[:]...)
	b = binary.BigEndian.AppendUint16(b, uint16(len(o)))
	return append(b, o...)
}

// HandleMessage is what the account key signs (label [HandleLabel]) to bind handle,
// already normalised by [NormalizeHandle], to the account.
func HandleMessage(account ids.Account, handle string) []byte {
	b := make([]byte, 0, ids.Size+len(handle))
	b = append(b, account[:]...)
	return append(b, handle...)
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
