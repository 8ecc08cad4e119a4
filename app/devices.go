package app

import (
	"context"

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
}

func devicesView(ds []chat.OwnDevice) []Device {
	out := make([]Device, 0, len(ds))
	for _, d := range ds {
		out = append(out, Device{ID: d.ID.String(), Name: d.Name, Platform: d.Platform, LinkedAt: d.LinkedAt.UnixMilli(), This: d.This})
	}
	return out
}

// DevicesChanged: this account's devices changed (one linked, renamed or removed).
// ThisDeviceRemoved is true when this device itself was removed from the account
// on another device: the UI shows the removal screen.
type DevicesChanged struct {
	ThisDeviceRemoved bool `json:"thisDeviceRemoved"`
}

func (o *observer) DevicesChanged(c chat.DevicesChange) {
	o.c.emit(DevicesChanged{ThisDeviceRemoved: c.Removed})
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

// Rename gives one of this account's devices a new name (1 to 64 bytes).
func (s *DeviceService) Rename(deviceID, name string) error {
	id, err := parseID[ids.Device](deviceID)
	if err != nil {
		return err
	}
	return s.c.withEngine(func(ctx context.Context, e *chat.Engine) error { return e.RenameDevice(ctx, id, name) })
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

// PauseSync pauses fetching history (true) or resumes it where it stopped (false).
// Messages of chats already fetched still arrive meanwhile.
func (s *DeviceService) PauseSync(paused bool) error {
	return s.c.withEngine(func(ctx context.Context, e *chat.Engine) error {
		e.PauseSync(paused)
		return nil
	})
}
