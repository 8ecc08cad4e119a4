package app

import (
	"context"
	"errors"
	"os"
	"strings"

	"hush/chat"
	"hush/ids"
)

// Device is one device of this account, as the account's signed device list names
// it (docs/SECURITY.md, "Device lists").
type Device struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Platform string `json:"platform"`
	// LinkedAt is when it joined the account, in Unix milliseconds.
	LinkedAt int64 `json:"linkedAt"`
	// This is true for the device the UI runs on.
	This bool `json:"this"`
	// LastSeen is when it last connected to the relay, in Unix milliseconds (0:
	// unknown), as the relay says.
	LastSeen int64 `json:"lastSeen"`
}

func devicesView(ds []chat.OwnDevice) []Device {
	out := make([]Device, 0, len(ds))
	for _, d := range ds {
		var seen int64
		if !d.LastSeen.IsZero() {
			seen = d.LastSeen.UnixMilli()
		}
		out = append(out, Device{ID: d.ID.String(), Name: d.Name, Platform: d.Platform, LinkedAt: d.LinkedAt.UnixMilli(), This: d.This, LastSeen: seen})
	}
	return out
}

// DevicesChanged: this account's devices changed (one linked, renamed or removed).
// ThisDeviceRemoved is true when this device itself was removed from the account:
// the UI shows the removal screen. Verified says how Hush knows: from the account's
// signed device list (true), or only because the relay refuses this device as
// revoked (false), which a relay could also claim falsely.
type DevicesChanged struct {
	ThisDeviceRemoved bool `json:"thisDeviceRemoved"`
	Verified          bool `json:"verified"`
}

// How this device knows it was removed (Core.removed).
const (
	notRemoved int32 = iota
	removedSaysRelay
	removedSigned
)

func (o *observer) DevicesChanged(c chat.DevicesChange) {
	if c.Removed {
		o.c.removed.Store(removedSigned)
	}
	o.c.emit(DevicesChanged{ThisDeviceRemoved: c.Removed, Verified: c.Removed})
}

// noteRefusal tells the UI, once, that the relay refuses this device as revoked.
func (c *Core) noteRefusal(conn chat.Connection) {
	reason, _, ok := chat.RelayReason(conn.Err)
	if !ok || reason != "device revoked" || !errors.Is(conn.Err, chat.ErrRefused) {
		return
	}
	if c.removed.CompareAndSwap(notRemoved, removedSaysRelay) {
		c.emit(DevicesChanged{ThisDeviceRemoved: true})
	}
}

// EraseDevice deletes everything of the account on this device — the vault and the
// window's own data and cache where Hush keeps them (docs/SECURITY.md, "Device
// lists") — after it was removed from its account. The vault is locked first; the
// welcome screen follows. It refuses on a device that was not removed.
func (s *AccountService) EraseDevice() error {
	c := s.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.removed.Load() == notRemoved {
		return invalid("Only a device that was removed from its account can be erased here.")
	}
	c.lockLocked()
	removeVaultFiles(c.cfg.VaultPath)
	var failed []string
	for _, dir := range c.cfg.EraseDirs {
		if err := os.RemoveAll(dir); err != nil {
			c.log.Warn("erase device data", "dir", dir, "err", err)
			failed = append(failed, dir)
		}
	}
	if _, err := os.Stat(c.cfg.VaultPath); err == nil {
		return &userError{msg: "The vault could not be deleted. Close Hush and delete " + c.cfg.VaultPath + " yourself."}
	}
	c.removed.Store(notRemoved)
	c.log.Info("device erased after its removal")
	if len(failed) > 0 {
		return &userError{msg: "The vault is deleted, but some of the window's data could not be: " + strings.Join(failed, ", ") + ". Close Hush and delete them yourself."}
	}
	return nil
}

// DeviceService lists this account's devices, renames and removes them. All
// methods need the vault unlocked and the relay reachable for changes.
type DeviceService struct{ c *Core }

// List returns this account's devices in the order they were linked.
func (s *DeviceService) List() ([]Device, error) {
	return engineView(s.c, devicesView, func(ctx context.Context, e *chat.Engine) ([]chat.OwnDevice, error) {
		return e.Devices(ctx)
	})
}

// Rename gives one of this account's devices a new name (1 to 64 bytes). Renaming
// this device also renames it in Settings.
func (s *DeviceService) Rename(deviceID, name string) error {
	id, err := parseID[ids.Device](deviceID)
	if err != nil {
		return err
	}
	if err := s.c.withEngine(func(ctx context.Context, e *chat.Engine) error { return e.RenameDevice(ctx, id, name) }); err != nil {
		return err
	}
	return s.c.renamedThisDevice(id, strings.TrimSpace(name))
}

// Revoke removes a device from this account for good: the relay refuses it at
// once, contacts ignore what it sends, and chats get new keys. This device cannot
// remove itself.
func (s *DeviceService) Revoke(deviceID string) error {
	id, err := parseID[ids.Device](deviceID)
	if err != nil {
		return err
	}
	return s.c.withEngine(func(ctx context.Context, e *chat.Engine) error { return e.RevokeDevice(ctx, id) })
}

// SyncProgress: a catch-up with much history to fetch moved on (a newly linked
// device fetching the whole history, or one back after long offline). Running is
// false in the last one; Paused when the user paused it.
type SyncProgress struct {
	ChatsDone     int  `json:"chatsDone"`
	ChatsTotal    int  `json:"chatsTotal"`
	MessagesDone  int  `json:"messagesDone"`
	MessagesTotal int  `json:"messagesTotal"`
	Running       bool `json:"running"`
	Paused        bool `json:"paused"`
}

// EventName implements [Event].
func (SyncProgress) EventName() string { return "sync:progress" }

func (o *observer) SyncProgress(p chat.SyncProgress) {
	o.c.emit(SyncProgress{ChatsDone: p.ChatsDone, ChatsTotal: p.ChatsTotal, MessagesDone: p.MessagesDone,
		MessagesTotal: p.MessagesTotal, Running: p.Running, Paused: p.Paused})
}

// SyncPaused reports whether fetching history is paused (PauseSync), so a UI that
// reloads can offer Resume.
func (s *DeviceService) SyncPaused() (bool, error) {
	var paused bool
	err := s.c.withEngine(func(ctx context.Context, e *chat.Engine) error {
		paused = e.SyncPaused()
		return nil
	})
	return paused, err
}

// PauseSync pauses fetching history (true) or resumes it where it stopped (false).
// Messages of chats already fetched still arrive meanwhile.
func (s *DeviceService) PauseSync(paused bool) error {
	return s.c.withEngine(func(ctx context.Context, e *chat.Engine) error {
		e.PauseSync(paused)
		return nil
	})
}

// renamedThisDevice keeps Settings' name of this device in step with the list's.
func (c *Core) renamedThisDevice(id ids.Device, name string) error {
	var out Settings
	changed := false
	err := c.withSession(func(sess *session) error {
		if sess.device.ID() != id || sess.profile.DeviceName == name {
			return nil
		}
		if err := storeDeviceName(sess, name); err != nil {
			return err
		}
		out, changed = c.settingsLocked(sess), true
		return nil
	})
	if changed {
		c.emit(SettingsChanged(out))
	}
	return err
}
