package app

// Event is a payload the UI receives; EventName is the name it travels under (Wails
// events in the desktop window, the event WebSocket in browser mode). Every event
// type is listed by [Events], from which the UI's contract is generated.
type Event interface {
	EventName() string
}

// Events returns one value of every event type, in the order docs/API.md lists them.
func Events() []Event {
	return []Event{
		VaultLocked{}, SettingsChanged{},
		ConnectionChanged{}, ChatUpdated{}, ChatRemoved{}, MessageNew{}, MessageStatusChanged{},
		MessageExpired{}, MessageChanged{}, MessageHidden{}, TypingStarted{}, Warning{}, Notify{}, DevicesChanged{}, LinkProgress{}, SyncProgress{}, BackupProgress{},
		FoldersChanged{}, FileProgress{}, FilesDropped{},
	}
}

// VaultLocked: the vault was locked; show the unlock screen.
type VaultLocked struct {
	Reason LockReason `json:"reason"`
}

// SettingsChanged: a setting changed (in any window).
type SettingsChanged Settings

// ConnectionChanged: the link to the relay is connecting, online or offline (with
// the time of the next attempt).
type ConnectionChanged Connection

// ChatUpdated: a chat was created, renamed, got a message or its unread count
// changed.
type ChatUpdated ChatSummary

// ChatRemoved: this account left a chat or was removed from it.
type ChatRemoved struct {
	ChatID string `json:"chatId"`
}

// MessageNew: a message arrived, was sent from another device, or is a message
// of files this device sent (FileService.SendFiles).
type MessageNew Message

// MessageStatusChanged: a message moved on (pending → sent → delivered → read, or
// failed).
type MessageStatusChanged struct {
	ChatID    string        `json:"chatId"`
	MessageID string        `json:"messageId"`
	Status    MessageStatus `json:"status"`
	Seq       int64         `json:"seq"`
	// ExpiresAt is set (Unix milliseconds) when a secret message's countdown
	// started with this change: it was read.
	ExpiresAt int64 `json:"expiresAt"`
}

// MessageExpired: a secret message self-destructed, or a cloud chat's message
// auto-deleted at its time; it is gone from the vault and must go from the screen.
type MessageExpired struct {
	ChatID    string `json:"chatId"`
	MessageID string `json:"messageId"`
}

// TypingStarted: someone is typing in a chat (the UI lets it expire after 5 s).
type TypingStarted struct {
	ChatID    string `json:"chatId"`
	AccountID string `json:"accountId"`
	Name      string `json:"name"`
}

// Warning: something the user should know that is no error of theirs — a message
// dropped because it failed verification, a contact's key that changed, a message
// that can never be sent. ChatID is "" when it belongs to no chat.
type Warning struct {
	ChatID string `json:"chatId"`
	Text   string `json:"text"`
}

// Notify: a message arrived while the window was not in the user's view, and the
// user wants to be told. Browser mode shows it with the browser's notifications; the
// desktop window shows a native one from Go instead and ignores this event.
type Notify Notification

// EventName implements [Event].
func (VaultLocked) EventName() string { return "vault:locked" }

// EventName implements [Event].
func (SettingsChanged) EventName() string { return "settings:changed" }

// EventName implements [Event].
func (ConnectionChanged) EventName() string { return "connection:changed" }

// EventName implements [Event].
func (ChatUpdated) EventName() string { return "chat:updated" }

// EventName implements [Event].
func (ChatRemoved) EventName() string { return "chat:removed" }

// EventName implements [Event].
func (MessageNew) EventName() string { return "message:new" }

// EventName implements [Event].
func (MessageStatusChanged) EventName() string { return "message:status" }

// EventName implements [Event].
func (MessageExpired) EventName() string { return "message:expired" }

// EventName implements [Event].
func (TypingStarted) EventName() string { return "typing" }

// EventName implements [Event].
func (Warning) EventName() string { return "warning" }

// EventName implements [Event].
func (Notify) EventName() string { return "notify" }

// EventName implements [Event].
func (DevicesChanged) EventName() string { return "devices:changed" }
