package app

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"hush/chat"
	"hush/ids"
	"hush/sync/relayclient"
	"hush/sync/wire"
	"hush/vault"
)

// Messaging types, as docs/API.md ("Messaging") describes them; the engine in
// package chat defines them.
type (
	Connection   = chat.Connection
	Contact      = chat.Contact
	SafetyNumber = chat.SafetyNumber
	ChatSummary  = chat.ChatSummary
	Member       = chat.Member
	Message      = chat.Message
	MessagePage  = chat.MessagePage
)

// relayURLSetting names the sealed setting that holds the relay address.
const relayURLSetting = "relay-url"

// ConnectionService shows and changes the link to the relay. All methods need the
// vault unlocked.
type ConnectionService struct{ c *Core }

// Status returns the state of the link.
func (s *ConnectionService) Status() (Connection, error) {
	e, err := s.c.chatEngine()
	if err != nil {
		return Connection{}, err
	}
	return e.Connection(), nil
}

// SetRelay switches to another relay address (ws://host:port or wss://host) and
// reconnects; the address is kept in the vault. A malformed address changes nothing.
func (s *ConnectionService) SetRelay(url string) (Connection, error) {
	if _, err := relayclient.ParseURL(url); err != nil {
		return Connection{}, &userError{msg: "The relay address is not valid: " + strings.TrimPrefix(rootCause(err), "invalid relay address: "), cause: err}
	}
	e, v, err := s.c.chatEngineAndVault()
	if err != nil {
		return Connection{}, err
	}
	u, _ := relayclient.ParseURL(url)
	ctx, cancel := defaultContext()
	defer cancel()
	if err := v.PutSetting(ctx, relayURLSetting, []byte(u.String())); err != nil {
		return Connection{}, messagingError(fmt.Errorf("save relay address: %w", err))
	}
	conn, err := e.SetRelay(u.String())
	if err != nil {
		return Connection{}, messagingError(err)
	}
	return conn, nil
}

// Retry reconnects now instead of waiting for the backoff.
func (s *ConnectionService) Retry() error {
	e, err := s.c.chatEngine()
	if err != nil {
		return err
	}
	e.Retry()
	return nil
}

// relayURL reads the relay address from the vault, or the default.
func (c *Core) relayURL(ctx context.Context, v *vault.Vault) string {
	def := c.cfg.DefaultRelayURL
	if def == "" {
		def = chat.DefaultRelayURL
	}
	b, err := v.Setting(ctx, relayURLSetting)
	if err != nil {
		if !errors.Is(err, vault.ErrNotFound) {
			c.log.Warn("read relay address", "err", err)
		}
		return def
	}
	if _, err := relayclient.ParseURL(string(b)); err != nil {
		c.log.Warn("stored relay address is invalid; using the default", "err", err)
		return def
	}
	return string(b)
}

// messagingError words an engine error for people, keeping the cause for errors.Is.
func messagingError(err error) error {
	if err == nil {
		return nil
	}
	var ue *userError
	if errors.As(err, &ue) {
		return err
	}
	var we *wire.Error
	msg := ""
	switch {
	case errors.Is(err, chat.ErrClosed), errors.Is(err, vault.ErrClosed):
		return ErrLocked
	case errors.Is(err, chat.ErrOffline):
		msg = "You are offline: the relay cannot be reached. Try again when Hush is connected."
	case errors.Is(err, chat.ErrUnknownHandle), errors.Is(err, wire.ErrNotFound) && strings.Contains(err.Error(), "handle"):
		msg = "No one has that handle on this relay."
	case errors.Is(err, wire.ErrHandleTaken):
		msg = "That handle is taken. Choose another."
	case errors.Is(err, wire.ErrInvalidHandle):
		msg = fmt.Sprintf("A handle has %d to %d characters: letters a–z, digits and _.", wire.MinHandleLen, wire.MaxHandleLen)
	case errors.Is(err, chat.ErrForbidden), errors.Is(err, wire.ErrForbidden):
		msg = "Your role in this chat does not allow that."
	case errors.Is(err, chat.ErrNotFound):
		msg = "Not found: " + detail(err)
	case errors.Is(err, chat.ErrTooLong):
		msg = "Too long: " + detail(err)
	case errors.Is(err, chat.ErrInvalid):
		msg = "Invalid input: " + detail(err)
	case errors.Is(err, wire.ErrRateLimited) && errors.As(err, &we):
		msg = fmt.Sprintf("The relay is busy. Try again in %s.", roundWait(we.RetryAfter))
	case errors.Is(err, wire.ErrQuotaExceeded):
		msg = "The relay's storage quota for this account is used up."
	case errors.As(err, &we):
		msg = "The relay refused: " + we.Code.String() + "."
	default:
		msg = "Something went wrong: " + rootCause(err)
	}
	return &userError{msg: msg, cause: err}
}

// detail is the engine's explanation without its package prefix.
func detail(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 {
		return s[i+2:]
	}
	return s
}

// parseID parses an id the UI sent, wording a bad one for people.
func parseID[T ids.Any](s string) (T, error) {
	id, err := ids.Parse[T](s)
	if err != nil || id == (T{}) {
		return T{}, invalid(fmt.Sprintf("%q is not a valid %s id.", s, id.Kind()))
	}
	return id, nil
}

func parseIDs[T ids.Any](ss []string) ([]T, error) {
	out := make([]T, 0, len(ss))
	for _, s := range ss {
		id, err := parseID[T](s)
		if err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, nil
}
