package app

import (
	"context"
	"fmt"

	"hush/chat"
	"hush/devicelink"
	"hush/ids"
)

// Linking a device to an existing account (docs/SECURITY.md, "Linking a device").
// The new device calls [AccountService.LinkStart] and shows the code; the existing
// one calls [DeviceService.Link] with it; both show the same string, and the user
// confirms on the existing one ([DeviceService.ConfirmLink]). The new device learns
// how it went from [LinkProgress] events.

// LinkCode is what the new device shows: the text code (also drawn as a QR code)
// and when it expires.
type LinkCode struct {
	Code string `json:"code"`
	// ExpiresAt is in Unix milliseconds.
	ExpiresAt int64 `json:"expiresAt"`
}

// SasEmoji is one symbol of the string the two devices compare, with its name for
// screen readers.
type SasEmoji struct {
	Char string `json:"char"`
	Name string `json:"name"`
}

// LinkCheck is what the existing device shows to compare with the new one.
type LinkCheck struct {
	SessionID string     `json:"sessionId"`
	Emoji     []SasEmoji `json:"emoji"`
	Digits    string     `json:"digits"`
}

// LinkStage is where linking stands on the new device.
type LinkStage string

// Stages of [LinkProgress].
const (
	LinkStageCompare LinkStage = "compare" // show Emoji and Digits; the user confirms on the other device
	LinkStageLinked  LinkStage = "linked"  // the account is on this device, unlocked
	LinkStageFailed  LinkStage = "failed"  // Error says why; nothing was kept
)

// Values lists every stage, for the generated UI contract.
func (LinkStage) Values() []string {
	return []string{string(LinkStageCompare), string(LinkStageLinked), string(LinkStageFailed)}
}

// LinkProgress: linking this new device moved on.
type LinkProgress struct {
	Stage  LinkStage  `json:"stage"`
	Emoji  []SasEmoji `json:"emoji"`
	Digits string     `json:"digits"`
	Error  string     `json:"error"`
}

// EventName implements [Event].
func (LinkProgress) EventName() string { return "link:progress" }

func sasView(s devicelink.SAS) ([]SasEmoji, string) {
	var out []SasEmoji
	for _, e := range s.Emoji() {
		out = append(out, SasEmoji{Char: e.Char, Name: e.Name})
	}
	return out, s.Digits()
}

// joining is a link in progress on this new device.
type joining struct {
	j      *chat.Joiner
	cancel context.CancelFunc
}

// LinkStart makes this device, which has no account yet, ready to join one: it
// opens a link session at the relay at relayURL and returns the code to enter on a
// device of the account. passphrase protects this device's vault, made when the
// account keys arrive. Progress comes as [LinkProgress] events.
func (s *AccountService) LinkStart(relayURL, passphrase string) (LinkCode, error) {
	c := s.c
	if err := checkPassphrase(passphrase); err != nil {
		return LinkCode{}, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.session != nil {
		return LinkCode{}, ErrAlreadyExists
	}
	if exists, err := c.vaultExists(); err != nil {
		return LinkCode{}, err
	} else if exists {
		return LinkCode{}, ErrAlreadyExists
	}
	c.stopJoiningLocked()
	ctx, cancel := defaultContext()
	defer cancel()
	j, err := chat.NewJoiner(ctx, relayURL, nil, c.clk)
	if err != nil {
		return LinkCode{}, messagingError(err)
	}
	run, stop := context.WithCancel(context.Background())
	c.joining = &joining{j: j, cancel: stop}
	pass := []byte(passphrase)
	go c.runJoin(run, j, relayURL, pass)
	code := j.Code()
	return LinkCode{Code: code.String(), ExpiresAt: code.Expires.UnixMilli()}, nil
}

// LinkCancel abandons linking this device; the other device is told.
func (s *AccountService) LinkCancel() error {
	c := s.c
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stopJoiningLocked()
	return nil
}

// stopJoiningLocked ends a link of this device in progress; the caller holds c.mu.
func (c *Core) stopJoiningLocked() {
	if c.joining != nil {
		c.joining.cancel()
		c.joining.j.Close()
		c.joining = nil
	}
}

// runJoin waits for the exchange to end and, when the keys arrived, makes the
// vault and unlocks it as Create does.
func (c *Core) runJoin(ctx context.Context, j *chat.Joiner, relayURL string, pass []byte) {
	defer clear(pass)
	joined, err := j.Run(ctx, func(s devicelink.SAS) {
		emoji, digits := sasView(s)
		c.emit(LinkProgress{Stage: LinkStageCompare, Emoji: emoji, Digits: digits})
	})
	j.Close()
	if err == nil {
		err = c.finishJoin(joined, relayURL, pass)
	}
	c.mu.Lock()
	if c.joining != nil && c.joining.j == j {
		c.joining = nil
	}
	c.mu.Unlock()
	if err != nil {
		if ctx.Err() != nil {
			return // cancelled here: the UI knows
		}
		c.log.Info("linking this device failed", "err", err)
		c.emit(LinkProgress{Stage: LinkStageFailed, Error: messagingError(err).Error()})
		return
	}
	c.emit(LinkProgress{Stage: LinkStageLinked})
}

func (c *Core) finishJoin(joined chat.Joined, relayURL string, pass []byte) error {
	defer joined.Account.Destroy()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.session != nil {
		return ErrAlreadyExists
	}
	ctx, cancel := defaultContext()
	defer cancel()
	sess, err := c.createVault(ctx, joined.DisplayName, pass, &joined)
	if err != nil {
		return fmt.Errorf("create the vault of a linked device: %w", err)
	}
	if url, err := chat.CheckRelayURL(relayURL); err == nil {
		if err := sess.vault.PutSetting(ctx, relayURLSetting, []byte(url)); err != nil {
			c.log.Warn("store relay address", "err", err)
		}
	}
	c.session = sess
	c.applyNotifyPrefs(sess.prefs)
	c.startEngineLocked(ctx, sess)
	c.armIdleLocked()
	releaseMemory()
	c.log.Info("device linked to its account", "device", sess.profile.DeviceID)
	return nil
}

// Link starts linking a new device to this account with the code it shows, and
// returns the string to compare with the one the new device shows. It waits for
// the new device's answer; CancelLink("") ends the wait.
func (s *DeviceService) Link(code string) (LinkCheck, error) {
	return engineView(s.c, func(lc chat.LinkCheck) LinkCheck {
		emoji, digits := sasView(lc.SAS)
		return LinkCheck{SessionID: lc.Session.String(), Emoji: emoji, Digits: digits}
	}, func(ctx context.Context, e *chat.Engine) (chat.LinkCheck, error) {
		// The user is at the new device: waiting for its answer may take longer
		// than one request.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), devicelink.CodeLifetime)
		defer cancel()
		s.c.linkWait.Lock()
		s.c.linkCancel = cancel
		s.c.linkWait.Unlock()
		defer func() {
			s.c.linkWait.Lock()
			s.c.linkCancel = nil
			s.c.linkWait.Unlock()
		}()
		return e.BeginLink(ctx, code)
	})
}

// ConfirmLink answers whether the two strings match: if they do, the new device
// joins the account and receives its keys; if not, it is told and nothing is linked.
func (s *DeviceService) ConfirmLink(sessionID string, match bool) error {
	id, err := parseID[ids.LinkSession](sessionID)
	if err != nil {
		return err
	}
	return s.c.withEngine(func(ctx context.Context, e *chat.Engine) error { return e.FinishLink(ctx, id, match) })
}

// CancelLink abandons a link started with Link; the new device is told. An empty
// sessionID ends a Link still waiting for the new device's answer.
func (s *DeviceService) CancelLink(sessionID string) error {
	if sessionID == "" {
		s.c.linkWait.Lock()
		if s.c.linkCancel != nil {
			s.c.linkCancel()
		}
		s.c.linkWait.Unlock()
		return nil
	}
	id, err := parseID[ids.LinkSession](sessionID)
	if err != nil {
		return err
	}
	return s.c.withEngine(func(ctx context.Context, e *chat.Engine) error {
		e.CancelLink(ctx, id)
		return nil
	})
}
