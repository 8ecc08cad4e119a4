package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"hush/chat"
	"hush/ids"
	"hush/vault"
)

// Theme is the colour scheme the UI uses.
type Theme string

// Themes the UI offers.
const (
	ThemeSystem Theme = "system" // follow the operating system
	ThemeDark   Theme = "dark"
	ThemeLight  Theme = "light"
)

// Values lists every theme, for the generated UI contract.
func (Theme) Values() []string {
	return []string{string(ThemeSystem), string(ThemeDark), string(ThemeLight)}
}

// AutoLockChoices are the auto-lock delays offered, in minutes; 0 means never.
var autoLockChoices = []int{0, 1, 5, 15, 30, 60, 240}

// defaultAutoLockMinutes balances safety and the annoyance of unlocking often.
const defaultAutoLockMinutes = 15

// preferencesKey names the sealed setting that holds [preferences].
const preferencesKey = "preferences"

// preferences are the user's choices stored (sealed) in the vault.
type preferences struct {
	Theme           Theme `json:"theme"`
	AutoLockMinutes int   `json:"autoLockMinutes"`
	// Notifications: a native notification for each message that arrives while
	// the window is unfocused, naming the sender; NotificationPreview adds the
	// text, which is off by default because notifications outlive the lock.
	Notifications       bool `json:"notifications"`
	NotificationPreview bool `json:"notificationPreview"`
	// ScreenProtection hides the window from screen capture while a secret chat is
	// open, where the system allows it; on by default (a vault written before it
	// reads as on).
	ScreenProtection bool `json:"screenProtection"`
	// TypingIndicators: tell the others while this user types, and show when they
	// do. On by default (a vault written before it reads as on); off works both
	// ways, as in Signal: who does not send them does not see them.
	TypingIndicators bool `json:"typingIndicators"`
	// LinkPreviews: this device may fetch a preview (title, description) of a
	// link in a message it sends. Off by default, and a vault written before it
	// reads as off: the fetch tells the linked site this device's address.
	LinkPreviews bool `json:"linkPreviews"`
}

func defaultPreferences() preferences {
	return preferences{Theme: ThemeSystem, AutoLockMinutes: defaultAutoLockMinutes, Notifications: true, ScreenProtection: true, TypingIndicators: true}
}

func putPreferences(tx *vault.Tx, p preferences) error {
	b, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("encode preferences: %w", err)
	}
	return tx.PutSetting(preferencesKey, b)
}

func getPreferences(tx *vault.Tx) (preferences, error) {
	p := defaultPreferences()
	b, err := tx.Setting(preferencesKey)
	if errors.Is(err, vault.ErrNotFound) {
		return p, nil
	}
	if err != nil {
		return p, err
	}
	if err := json.Unmarshal(b, &p); err != nil {
		return defaultPreferences(), fmt.Errorf("decode preferences: %w", err)
	}
	return p, nil
}

// Settings is everything the settings screen shows: the preferences stored in the
// vault, and facts about this account, device and installation.
type Settings struct {
	Theme Theme `json:"theme"`
	// AutoLockMinutes is the idle time before Hush locks itself; 0 means never.
	AutoLockMinutes int `json:"autoLockMinutes"`
	// Notifications: tell the user of messages that arrive while the window does
	// not have their attention.
	Notifications bool `json:"notifications"`
	// NotificationPreview puts the message text in those notifications (off: the
	// sender's name only, because a notification outlives the lock).
	NotificationPreview bool `json:"notificationPreview"`
	// DeviceName is this device's name.
	DeviceName string `json:"deviceName"`
	// DisplayName is the name other people see.
	DisplayName string `json:"displayName"`
	// AccountFingerprint identifies the account key.
	AccountFingerprint string `json:"accountFingerprint"`
	// DeviceFingerprint identifies this device's key.
	DeviceFingerprint string `json:"deviceFingerprint"`
	// DataDir is the folder that holds the vault.
	DataDir string `json:"dataDir"`
	// Portable is true when the data lives next to the executable (a USB stick).
	Portable bool `json:"portable"`
	// ScreenProtection: hide the window from screen capture while a secret chat is
	// open. ScreenProtectionSupport says what this system allows.
	ScreenProtection        bool              `json:"screenProtection"`
	ScreenProtectionSupport ProtectionSupport `json:"screenProtectionSupport"`
	// TypingIndicators: this user's typing is shown to the others, and theirs to
	// this user; off, neither.
	TypingIndicators bool `json:"typingIndicators"`
	// ReadReceipts: the others are shown what this user read, and this user what
	// they read; off, neither, except in secret chats. The account's choice, the
	// same on all its devices.
	ReadReceipts bool `json:"readReceipts"`
	// LinkPreviews: a message this device sends with a link may carry a preview
	// of the linked page, fetched by this device (which tells that site its
	// address). Off by default.
	LinkPreviews bool `json:"linkPreviews"`
	// Version is this build of Hush.
	Version string `json:"version"`
}

// SettingsService reads and changes the preferences stored in the vault. All methods
// need the vault unlocked; every change emits [SettingsChanged], so other windows
// follow.
type SettingsService struct{ c *Core }

func (c *Core) settingsLocked(s *session) Settings {
	return Settings{
		Theme:                   s.prefs.Theme,
		AutoLockMinutes:         s.prefs.AutoLockMinutes,
		Notifications:           s.prefs.Notifications,
		NotificationPreview:     s.prefs.NotificationPreview,
		ScreenProtection:        s.prefs.ScreenProtection,
		ScreenProtectionSupport: c.protectionSupport(),
		TypingIndicators:        s.prefs.TypingIndicators,
		ReadReceipts:            s.engine == nil || s.engine.ReadReceipts(),
		LinkPreviews:            s.prefs.LinkPreviews,
		DeviceName:              s.profile.DeviceName,
		DisplayName:             s.profile.DisplayName,
		AccountFingerprint:      s.profile.AccountFingerprint,
		DeviceFingerprint:       s.device.Public().Fingerprint(),
		DataDir:                 c.cfg.DataDir,
		Portable:                c.cfg.Portable,
		Version:                 c.cfg.Version,
	}
}

// Get returns the current settings.
func (s *SettingsService) Get() (Settings, error) {
	var out Settings
	err := s.c.withSession(func(sess *session) error {
		out = s.c.settingsLocked(sess)
		return nil
	})
	return out, err
}

// SetTheme chooses the colour scheme: system, dark or light.
func (s *SettingsService) SetTheme(theme Theme) (Settings, error) {
	if theme != ThemeSystem && theme != ThemeDark && theme != ThemeLight {
		return Settings{}, invalid(fmt.Sprintf("Unknown theme %q.", theme))
	}
	return s.update(func(p *preferences) { p.Theme = theme })
}

// SetAutoLock sets the idle time before Hush locks itself, in minutes: one of
// Rules.AutoLockMinutes, where 0 means never.
func (s *SettingsService) SetAutoLock(minutes int) (Settings, error) {
	if !slices.Contains(autoLockChoices, minutes) {
		return Settings{}, invalid(fmt.Sprintf("Auto-lock must be one of %v minutes.", autoLockChoices))
	}
	return s.update(func(p *preferences) { p.AutoLockMinutes = minutes })
}

// SetNotifications chooses whether messages that arrive while the window is
// unfocused raise a notification, and whether it shows the message text; preview
// is stored as false while enabled is false.
func (s *SettingsService) SetNotifications(enabled, preview bool) (Settings, error) {
	return s.update(func(p *preferences) { p.Notifications = enabled; p.NotificationPreview = preview && enabled })
}

// SetTypingIndicators turns typing indicators on or off, both ways: off, this
// device neither tells the others that the user is typing nor shows when they
// are.
func (s *SettingsService) SetTypingIndicators(on bool) (Settings, error) {
	return s.update(func(p *preferences) { p.TypingIndicators = on })
}

// SetReadReceipts turns read receipts on or off for the account, on all its
// devices, both ways: off, the others are not shown what this user read (their
// messages stay "delivered" for them), and this user is not shown what they read.
// Secret chats keep theirs, which their self-destruct timers need.
func (s *SettingsService) SetReadReceipts(on bool) (Settings, error) {
	if err := s.c.withEngine(func(ctx context.Context, e *chat.Engine) error { return e.SetReadReceipts(ctx, on) }); err != nil {
		return Settings{}, err
	}
	return s.c.settingsChanged(func(*session) {})
}

// SetLinkPreviews lets this device fetch previews of the links in the messages it
// sends, or not (the default): the linked site learns the device's address.
func (s *SettingsService) SetLinkPreviews(on bool) (Settings, error) {
	return s.update(func(p *preferences) { p.LinkPreviews = on })
}

// SetScreenProtection turns on or off hiding the window from screen capture while
// a secret chat is open (where ScreenProtectionSupport is "switchable").
func (s *SettingsService) SetScreenProtection(on bool) (Settings, error) {
	out, err := s.update(func(p *preferences) { p.ScreenProtection = on })
	if err == nil {
		s.c.applyScreenProtection()
	}
	return out, err
}

func (s *SettingsService) update(change func(*preferences)) (Settings, error) {
	var out Settings
	err := s.c.withSession(func(sess *session) error {
		next := sess.prefs
		change(&next)
		ctx, cancel := defaultContext()
		defer cancel()
		if err := sess.vault.Update(ctx, func(tx *vault.Tx) error { return putPreferences(tx, next) }); err != nil {
			return fmt.Errorf("save settings: %w", err)
		}
		sess.prefs = next
		s.c.applyNotifyPrefs(next)
		s.c.armIdleLocked()
		out = s.c.settingsLocked(sess)
		return nil
	})
	if err == nil {
		s.c.emit(SettingsChanged(out))
	}
	return out, err
}

// SetDeviceName renames this device: 1 to Rules.MaxNameLength characters.
func (s *SettingsService) SetDeviceName(name string) (Settings, error) {
	if err := checkName("device name", name); err != nil {
		return Settings{}, err
	}
	var out Settings
	var engine *chat.Engine
	var self ids.Device
	err := s.c.withSession(func(sess *session) error {
		if err := storeDeviceName(sess, name); err != nil {
			return err
		}
		out = s.c.settingsLocked(sess)
		engine, self = sess.engine, sess.device.ID()
		return nil
	})
	if err == nil {
		s.c.emit(SettingsChanged(out))
		if engine != nil {
			// The account's device list carries the name the other devices show;
			// outside the lock, since it asks the relay.
			ctx, cancel := defaultContext()
			defer cancel()
			if err := engine.RenameDevice(ctx, self, name); err != nil {
				s.c.log.Info("rename this device in the account's list", "err", err)
			}
		}
	}
	return out, err
}

// SetDisplayName changes the name other people see with this account's messages,
// on every device of the account: one line of 1 to Rules.MaxNameLength characters.
func (s *SettingsService) SetDisplayName(name string) (Settings, error) {
	if err := checkName("display name", name); err != nil {
		return Settings{}, err
	}
	if err := s.c.withEngine(func(ctx context.Context, e *chat.Engine) error { return e.SetDisplayName(ctx, name) }); err != nil {
		return Settings{}, err
	}
	return s.c.displayNameChanged()
}

// displayNameChanged takes the engine's display name into the session and tells
// every window.
func (c *Core) displayNameChanged() (Settings, error) {
	return c.settingsChanged(func(sess *session) {
		if sess.engine != nil {
			sess.profile.DisplayName = sess.engine.DisplayName()
		}
	})
}

// settingsChanged lets take bring the session up to date with the engine, then
// tells every window of the settings as they are.
func (c *Core) settingsChanged(take func(*session)) (Settings, error) {
	var out Settings
	err := c.withSession(func(sess *session) error {
		take(sess)
		out = c.settingsLocked(sess)
		return nil
	})
	if err == nil {
		c.emit(SettingsChanged(out))
	}
	return out, err
}

// storeDeviceName keeps name as this device's in the vault and the session.
func storeDeviceName(sess *session, name string) error {
	ctx, cancel := defaultContext()
	defer cancel()
	err := sess.vault.Update(ctx, func(tx *vault.Tx) error {
		d, err := tx.Device(sess.device.ID())
		if err != nil {
			return err
		}
		d.Name = name
		return tx.PutDevice(d)
	})
	if err != nil {
		return fmt.Errorf("rename device: %w", err)
	}
	sess.profile.DeviceName = name
	return nil
}
