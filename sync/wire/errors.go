package wire

import (
	"fmt"
	"time"
)

// Code says why a request failed. Codes are stable: a client branches on them, and
// shows the [Error.Message] only as detail.
type Code uint16

// Error codes. docs/PROTOCOL.md says which request can answer which.
const (
	// CodeBadFrame: the frame is not valid CBOR, has the wrong shape, an unknown type,
	// or breaks a limit of this package. Repeated bad frames close the connection.
	CodeBadFrame Code = 1
	// CodeUnsupportedVersion: the frame's protocol version is not one the relay speaks.
	CodeUnsupportedVersion Code = 2
	// CodeUnauthenticated: a request arrived before [AuthOK].
	CodeUnauthenticated Code = 3
	// CodeAuthFailed: the certificate or the challenge signature did not verify, or
	// the device belongs to another account.
	CodeAuthFailed Code = 4
	// CodeAuthTimeout: no valid [Auth] arrived in time; the connection is closed.
	CodeAuthTimeout Code = 5
	// CodeDeviceRevoked: the device was revoked by its account; it can never connect
	// again.
	CodeDeviceRevoked Code = 6
	// CodeRateLimited: the connection sent requests faster than the relay allows; try
	// again after [Error.RetryAfter].
	CodeRateLimited Code = 7
	// CodeQuotaExceeded: the account's storage quota (or device limit) is used up.
	CodeQuotaExceeded Code = 8
	// CodeTooLarge: a frame exceeds [MaxFrameSize] or a ciphertext exceeds
	// [MaxCiphertextSize].
	CodeTooLarge Code = 9
	// CodeNotFound: no such handle, account, device, chat or item — or the caller may
	// not know it exists.
	CodeNotFound Code = 10
	// CodeForbidden: the caller's role does not allow the request (a channel
	// subscriber sending, a member changing roles, a non-member fetching).
	CodeForbidden Code = 11
	// CodeHandleTaken: another account holds the handle.
	CodeHandleTaken Code = 12
	// CodeInvalidHandle: the handle is not 3–32 characters of a–z, 0–9 and _.
	CodeInvalidHandle Code = 13
	// CodeTooManyConnections: the account already has the maximum number of open
	// connections; the new one is closed.
	CodeTooManyConnections Code = 14
	// CodeConflict: the request contradicts the relay's state (a chat id already in
	// use, an epoch that is not the next one, an epoch that misses a member).
	CodeConflict Code = 15
	// CodeStaleEpoch: a [Send] used an epoch other than the chat's current one; fetch
	// the new epoch key, encrypt again and resend with the same message id.
	CodeStaleEpoch Code = 16
	// CodeBadRequest: a well-formed frame whose content makes no sense (a frame type
	// that only the relay sends, an unknown chat kind or role).
	CodeBadRequest Code = 17
	// CodeShuttingDown: the relay is stopping; reconnect (with backoff) and retry.
	CodeShuttingDown Code = 18
	// CodeInternal: the relay failed (for example its disk); retry later.
	CodeInternal Code = 19
	// CodeAccountLimit: too many new accounts came from the caller's network (its
	// address, or its /64 for IPv6) in the last hour; [Error.RetryAfter] says when
	// one more is allowed. It answers [Auth], and the connection is closed.
	CodeAccountLimit Code = 20
	// CodeChatLimit: the account created too many chats in the last hour;
	// [Error.RetryAfter] says when it may create one more.
	CodeChatLimit Code = 21
	// CodeStrangerLimit: the account sent too many inbox items in the last hour to
	// devices of accounts it shares no chat with; [Error.RetryAfter] says when it
	// may send one more.
	CodeStrangerLimit Code = 22
)

var codeNames = [...]string{
	CodeBadFrame:           "bad frame",
	CodeUnsupportedVersion: "unsupported version",
	CodeUnauthenticated:    "unauthenticated",
	CodeAuthFailed:         "authentication failed",
	CodeAuthTimeout:        "authentication timeout",
	CodeDeviceRevoked:      "device revoked",
	CodeRateLimited:        "rate limited",
	CodeQuotaExceeded:      "quota exceeded",
	CodeTooLarge:           "too large",
	CodeNotFound:           "not found",
	CodeForbidden:          "forbidden",
	CodeHandleTaken:        "handle taken",
	CodeInvalidHandle:      "invalid handle",
	CodeTooManyConnections: "too many connections",
	CodeConflict:           "conflict",
	CodeStaleEpoch:         "stale epoch",
	CodeBadRequest:         "bad request",
	CodeShuttingDown:       "shutting down",
	CodeInternal:           "internal error",
	CodeAccountLimit:       "too many new accounts",
	CodeChatLimit:          "too many new chats",
	CodeStrangerLimit:      "too many items to strangers",
}

// String returns the code's name.
func (c Code) String() string {
	if int(c) < len(codeNames) && codeNames[c] != "" {
		return codeNames[c]
	}
	return fmt.Sprintf("code %d", uint16(c))
}

// Sentinel errors to branch on with errors.Is: an [*Error] matches the sentinel with
// the same code, whatever its message.
var (
	ErrBadFrame           = &Error{Code: CodeBadFrame}
	ErrUnsupportedVersion = &Error{Code: CodeUnsupportedVersion}
	ErrUnauthenticated    = &Error{Code: CodeUnauthenticated}
	ErrAuthFailed         = &Error{Code: CodeAuthFailed}
	ErrAuthTimeout        = &Error{Code: CodeAuthTimeout}
	ErrDeviceRevoked      = &Error{Code: CodeDeviceRevoked}
	ErrRateLimited        = &Error{Code: CodeRateLimited}
	ErrQuotaExceeded      = &Error{Code: CodeQuotaExceeded}
	ErrTooLarge           = &Error{Code: CodeTooLarge}
	ErrNotFound           = &Error{Code: CodeNotFound}
	ErrForbidden          = &Error{Code: CodeForbidden}
	ErrHandleTaken        = &Error{Code: CodeHandleTaken}
	ErrInvalidHandle      = &Error{Code: CodeInvalidHandle}
	ErrTooManyConnections = &Error{Code: CodeTooManyConnections}
	ErrConflict           = &Error{Code: CodeConflict}
	ErrStaleEpoch         = &Error{Code: CodeStaleEpoch}
	ErrBadRequest         = &Error{Code: CodeBadRequest}
	ErrShuttingDown       = &Error{Code: CodeShuttingDown}
	ErrInternal           = &Error{Code: CodeInternal}
	ErrAccountLimit       = &Error{Code: CodeAccountLimit}
	ErrChatLimit          = &Error{Code: CodeChatLimit}
	ErrStrangerLimit      = &Error{Code: CodeStrangerLimit}
)

// Error is both the body of an error frame and a Go error. The relay sends one in
// answer to a failed request (ReqID set) or before closing a connection (ReqID 0).
type Error struct {
	Code    Code
	Message string // for people and logs; never contains secrets
	// RetryAfter says when to try again; set with [CodeRateLimited],
	// [CodeShuttingDown], [CodeAccountLimit], [CodeChatLimit] and
	// [CodeStrangerLimit]. Carried in whole milliseconds.
	RetryAfter time.Duration
}

// errorWire is the CBOR layout of an Error.
type errorWire struct {
	_            struct{} `cbor:",toarray"`
	Code         Code
	Message      string
	RetryAfterMs uint32
}

// maxRetryAfter is the longest RetryAfter the wire carries (about 49 days).
const maxRetryAfter = time.Duration(^uint32(0)) * time.Millisecond

// Errorf returns an [*Error] with a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	msg := fmt.Sprintf(format, args...)
	if len(msg) > MaxErrorMessage {
		msg = msg[:MaxErrorMessage]
	}
	return &Error{Code: code, Message: msg}
}

// Error implements the error interface.
func (e *Error) Error() string {
	s := "relay: " + e.Code.String()
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.RetryAfter > 0 {
		s += fmt.Sprintf(" (retry after %v)", e.RetryAfter)
	}
	return s
}

// Is reports whether target is an *Error with the same code, so errors.Is(err,
// wire.ErrRateLimited) holds for every rate-limit error.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// Type implements [Body].
func (*Error) Type() Type { return TypeError }

func (e *Error) validate() error {
	if e.Code == 0 {
		return badFrame("error frame without a code")
	}
	if len(e.Message) > MaxErrorMessage {
		return badFrame("error message of %d bytes exceeds %d", len(e.Message), MaxErrorMessage)
	}
	if e.RetryAfter < 0 || e.RetryAfter > maxRetryAfter {
		return badFrame("retry-after %v out of range", e.RetryAfter)
	}
	return nil
}

// MarshalCBOR encodes the error in its wire layout.
func (e *Error) MarshalCBOR() ([]byte, error) {
	return theCodec.enc.Marshal(errorWire{Code: e.Code, Message: e.Message, RetryAfterMs: uint32(e.RetryAfter / time.Millisecond)})
}

// UnmarshalCBOR decodes the error from its wire layout.
func (e *Error) UnmarshalCBOR(b []byte) error {
	var w errorWire
	if err := theCodec.dec.Unmarshal(b, &w); err != nil {
		return err
	}
	*e = Error{Code: w.Code, Message: w.Message, RetryAfter: time.Duration(w.RetryAfterMs) * time.Millisecond}
	return nil
}
