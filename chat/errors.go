package chat

import (
	"errors"
	"fmt"
	"time"

	"hush/chatcrypto"
	"hush/sync/relayclient"
	"hush/sync/wire"
)

// Sentinel errors callers branch on. An error from the relay is wrapped in the
// sentinel it means here, with the relay's own error kept in the chain for logs; the
// UI words the sentinel, never the text.
var (
	// ErrClosed: the engine was closed (the vault is locked).
	ErrClosed = errors.New("chat: engine closed")
	// ErrOffline: the request needs the relay and there is no connection.
	ErrOffline = errors.New("chat: not connected to the relay")
	// ErrNotFound: no such chat, contact or message — or, from the relay, this
	// account is no longer a member.
	ErrNotFound = errors.New("chat: not found")
	// ErrFileDeleted: the relay no longer holds an attachment's file (its sender
	// deleted it, or its auto-delete time passed); it matches ErrNotFound too.
	ErrFileDeleted = errors.New("chat: the file was deleted from the relay")
	// ErrInvalid: an argument is malformed (an id, an empty message, a bad role).
	ErrInvalid = errors.New("chat: invalid input")
	// ErrTooLong: a message or title is over the size limit.
	ErrTooLong = errors.New("chat: too long")
	// ErrForbidden: this account's role does not allow it (a channel subscriber
	// posting, a member changing roles).
	ErrForbidden = errors.New("chat: not allowed")
	// ErrUnknownHandle: no account holds the handle at this relay.
	ErrUnknownHandle = errors.New("chat: unknown handle")
	// ErrHandleTaken: another account holds the handle.
	ErrHandleTaken = errors.New("chat: handle taken")
	// ErrInvalidHandle: the handle breaks the rules of [CheckHandle].
	ErrInvalidHandle = errors.New("chat: invalid handle")
	// ErrInvalidRelayURL: the relay address is malformed; nothing changed.
	ErrInvalidRelayURL = errors.New("chat: invalid relay address")
	// ErrInsecureRelayURL: the relay address is plain ws:// to another computer,
	// which is only allowed for a relay on this one; it comes with
	// [ErrInvalidRelayURL].
	ErrInsecureRelayURL = errors.New("chat: plain ws:// relay address for another computer")
	// ErrRateLimited: the relay asks to slow down; [RetryAfter] says for how long.
	ErrRateLimited = errors.New("chat: rate limited")
	// ErrTooManyChats: this account created as many chats in the last hour as the
	// relay allows; [RetryAfter] says when it may create the next.
	ErrTooManyChats = errors.New("chat: too many new chats")
	// ErrTooManyToStrangers: this account sent the relay's hourly allowance of
	// inbox items to people it shares no chat with; [RetryAfter] says when it may
	// send the next.
	ErrTooManyToStrangers = errors.New("chat: too many items to strangers")
	// ErrQuotaExceeded: the relay's storage quota for this account is used up.
	ErrQuotaExceeded = errors.New("chat: quota exceeded")
	// ErrRelay: the relay refused for another reason; [RelayReason] names it.
	ErrRelay = errors.New("chat: refused by the relay")
	// ErrTampered: the relay showed this chat a membership log that fails
	// verification or forks from the one held here; the chat is frozen.
	ErrTampered = errors.New("chat: the relay tampered with the chat's members")
	// ErrNotSecured: the chat was created before membership logs and its owner has
	// not given it one yet; its members cannot change until then.
	ErrNotSecured = errors.New("chat: not secured yet")
	// ErrUncertified: the relay returned an account's keys without the account's
	// signature over them; they are not pinned.
	ErrUncertified = errors.New("chat: account keys not certified")
	// ErrBlocked: the user blocked the account; unblock it first.
	ErrBlocked = errors.New("chat: blocked")

	// ErrUnreachable: the relay could not be reached (in [Connection.Err]).
	ErrUnreachable = errors.New("chat: relay unreachable")
	// ErrConnectionLost: the connection to the relay ended (in [Connection.Err]).
	ErrConnectionLost = errors.New("chat: connection lost")
	// ErrRefused: the relay refused this device's connection (in
	// [Connection.Err]); [RelayReason] names why.
	ErrRefused = errors.New("chat: connection refused")
	// ErrTooManyAccounts: the relay refused to register this new account because
	// its network registered as many as the relay allows in the last hour (in
	// [Connection.Err], with [ErrRefused]); [RetryAfter] says when the link tries
	// again.
	ErrTooManyAccounts = errors.New("chat: too many new accounts from this network")
	// ErrUntrustedCertificate: the relay's TLS certificate did not verify (in
	// [Connection.Err], with [ErrUnreachable]).
	ErrUntrustedCertificate = errors.New("chat: the relay's certificate is not trusted")
)

// detailError is a sentinel error with what exactly was wrong: a short phrase the
// UI may show after its own sentence for the sentinel ("at most 256 bytes").
type detailError struct {
	sentinel error
	detail   string
	cause    error // the lower-level error, for logs; may be nil
}

func (e *detailError) Error() string {
	if e.cause != nil {
		return e.sentinel.Error() + ": " + e.detail + ": " + e.cause.Error()
	}
	return e.sentinel.Error() + ": " + e.detail
}

func (e *detailError) Unwrap() []error { return []error{e.sentinel, e.cause} }

// detailf returns an error matching sentinel whose [Detail] is the formatted phrase.
func detailf(sentinel error, format string, args ...any) error {
	return &detailError{sentinel: sentinel, detail: fmt.Sprintf(format, args...)}
}

// Detail returns the phrase saying what exactly was wrong with the input or the
// request, "" when err carries none.
func Detail(err error) string {
	var d *detailError
	if errors.As(err, &d) {
		return d.detail
	}
	return ""
}

// Handle length bounds, after normalisation (without the "@"). A handle holds only
// HandleCharacters; upper case is folded to lower case.
const (
	MinHandleLength = wire.MinHandleLen
	MaxHandleLength = wire.MaxHandleLen
	// HandleCharacters is what a normalised handle is made of, as a regular
	// expression character class (TestHandleCharacters holds it to CheckHandle).
	HandleCharacters = "[a-z0-9_]"
)

// Limits of what a person writes, in bytes of UTF-8.
const (
	// MaxMessageBytes caps a message's text.
	MaxMessageBytes = chatcrypto.MaxBodyBytes
	// MaxTitleBytes caps a group's or channel's title.
	MaxTitleBytes = chatcrypto.MaxTitleBytes
)

// CheckHandle returns the stored form of a handle as a person typed it ("@" and
// upper case allowed), or an error matching [ErrInvalidHandle].
func CheckHandle(handle string) (string, error) {
	h, err := wire.NormalizeHandle(handle)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrInvalidHandle, err)
	}
	return h, nil
}

// CheckRelayURL returns the canonical form of a relay address as a person typed it,
// or an error matching [ErrInvalidRelayURL] whose text says what is wrong.
func CheckRelayURL(url string) (string, error) {
	u, err := relayclient.ParseURL(url)
	if err != nil {
		return "", invalidRelayURL(err)
	}
	return u.String(), nil
}

func invalidRelayURL(err error) error {
	var ue *relayclient.URLError
	switch {
	case errors.As(err, &ue) && errors.Is(err, relayclient.ErrInsecureURL):
		return fmt.Errorf("%w: %w", ErrInsecureRelayURL, &detailError{sentinel: ErrInvalidRelayURL, detail: ue.Reason})
	case errors.As(err, &ue):
		return &detailError{sentinel: ErrInvalidRelayURL, detail: ue.Reason}
	}
	return fmt.Errorf("%w: %w", ErrInvalidRelayURL, err)
}

// RetryAfter returns how long the relay asked to wait, for an error matching
// [ErrRateLimited], [ErrTooManyChats], [ErrTooManyToStrangers] or
// [ErrTooManyAccounts]; 0 otherwise.
func RetryAfter(err error) time.Duration {
	var we *wire.Error
	if errors.As(err, &we) {
		return we.RetryAfter
	}
	return 0
}

// RelayReason returns the relay's reason for a refusal ([ErrRelay], [ErrRefused]):
// the protocol's name of its error code ("device revoked") and the relay's detail
// text, which may be empty. ok is false when err holds no relay error.
func RelayReason(err error) (reason, detail string, ok bool) {
	var we *wire.Error
	if !errors.As(err, &we) {
		return "", "", false
	}
	return we.Code.String(), we.Message, true
}

// relayError wraps an error from a request to the relay in the sentinel it means.
func relayError(err error) error {
	var we *wire.Error
	switch {
	case err == nil:
		return nil
	case errors.Is(err, relayclient.ErrOffline), errors.Is(err, relayclient.ErrConnectionLost):
		return fmt.Errorf("%w: %w", ErrOffline, err)
	case errors.Is(err, relayclient.ErrClosed):
		return ErrClosed
	case !errors.As(err, &we):
		return err
	}
	var sentinel error
	switch we.Code {
	case wire.CodeNotFound:
		sentinel = ErrNotFound
	case wire.CodeForbidden:
		sentinel = ErrForbidden
	case wire.CodeHandleTaken:
		sentinel = ErrHandleTaken
	case wire.CodeInvalidHandle:
		sentinel = ErrInvalidHandle
	case wire.CodeRateLimited:
		sentinel = ErrRateLimited
	case wire.CodeChatLimit:
		sentinel = ErrTooManyChats
	case wire.CodeStrangerLimit:
		sentinel = ErrTooManyToStrangers
	case wire.CodeAccountLimit:
		sentinel = ErrTooManyAccounts
	case wire.CodeQuotaExceeded:
		sentinel = ErrQuotaExceeded
	case wire.CodeTooLarge:
		sentinel = ErrTooLong
	default:
		sentinel = ErrRelay
	}
	return fmt.Errorf("%w: %w", sentinel, err)
}

// linkError wraps why the link is down in the sentinel it means.
func linkError(err error) error {
	switch {
	case err == nil, errors.Is(err, relayclient.ErrClosed):
		return nil
	case errors.Is(err, relayclient.ErrRefused) && errors.Is(err, wire.ErrAccountLimit):
		return fmt.Errorf("%w: %w: %w", ErrRefused, ErrTooManyAccounts, err)
	case errors.Is(err, relayclient.ErrRefused):
		return fmt.Errorf("%w: %w", ErrRefused, err)
	case errors.Is(err, relayclient.ErrUntrustedCertificate):
		return fmt.Errorf("%w: %w: %w", ErrUnreachable, ErrUntrustedCertificate, err)
	case errors.Is(err, relayclient.ErrUnreachable):
		return fmt.Errorf("%w: %w", ErrUnreachable, err)
	case errors.Is(err, relayclient.ErrConnectionLost):
		return fmt.Errorf("%w: %w", ErrConnectionLost, err)
	}
	return err
}
