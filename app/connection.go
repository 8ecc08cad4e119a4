package app

import (
	"context"
	"errors"
	"fmt"

	"hush/chat"
	"hush/ids"
	"hush/vault"
)

// relayURLSetting names the sealed setting that holds the relay address.
const relayURLSetting = "relay-url"

// ConnectionService shows and changes the link to the relay. All methods need the
// vault unlocked.
type ConnectionService struct{ c *Core }

// Status returns the state of the link; [ConnectionChanged] reports changes.
func (s *ConnectionService) Status() (Connection, error) {
	e, err := s.c.chatEngine()
	if err != nil {
		return Connection{}, err
	}
	return s.c.connectionView(e.Connection()), nil
}

// SetRelay switches to another relay address (wss://host[:port], or
// ws://127.0.0.1:port for a relay on this computer) and reconnects; the address is
// kept in the vault. A malformed address, or plain ws:// to another computer, is an
// error that says what is wrong with it, and changes nothing.
func (s *ConnectionService) SetRelay(url string) (Connection, error) {
	canonical, err := chat.CheckRelayURL(url)
	if err != nil {
		return Connection{}, messagingError(err)
	}
	e, v, err := s.c.chatEngineAndVault()
	if err != nil {
		return Connection{}, err
	}
	ctx, cancel := defaultContext()
	defer cancel()
	if err := v.PutSetting(ctx, relayURLSetting, []byte(canonical)); err != nil {
		return Connection{}, messagingError(fmt.Errorf("save relay address: %w", err))
	}
	conn, err := e.SetRelay(canonical)
	if err != nil {
		return Connection{}, messagingError(err)
	}
	return s.c.connectionView(conn), nil
}

// Retry reconnects now instead of waiting for the back-off.
func (s *ConnectionService) Retry() error {
	e, err := s.c.chatEngine()
	if err != nil {
		return err
	}
	e.Retry()
	return nil
}

// Usage asks the relay how much it stores for this account against its quota, for
// Settings ("Storage on the relay"). The figures are the relay's word, shown and
// never acted on; offline it is an error that says so.
func (s *ConnectionService) Usage() (RelayUsage, error) {
	return engineView(s.c, relayUsageView, func(ctx context.Context, e *chat.Engine) (chat.RelayUsage, error) {
		return e.RelayUsage(ctx)
	})
}

func relayUsageView(u chat.RelayUsage) RelayUsage {
	return RelayUsage{UsedBytes: u.UsedBytes, QuotaBytes: u.QuotaBytes, Devices: u.Devices, MaxDevices: u.MaxDevices,
		FilesUsedBytes: u.BlobUsedBytes, FilesQuotaBytes: u.BlobQuotaBytes}
}

// connectionView words the link's state with the Core's clock.
func (c *Core) connectionView(conn chat.Connection) Connection {
	return connectionView(conn, func() int64 { return c.clk.Now().UnixMilli() })
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
	if _, err := chat.CheckRelayURL(string(b)); err != nil {
		c.log.Warn("stored relay address is invalid; using the default", "err", err)
		return def
	}
	return string(b)
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
