package app

import (
	"time"

	"hush/chat"
)

// Rules are what the UI checks as the user types, so it can say at once what is
// wrong. Go decides them — here, from the packages that enforce them — and checks
// every one again when called; the UI's copy is generated from this value
// (docs/API.md, "Rules"), so the two cannot disagree.
type Rules struct {
	// AutoLockMinutes are the auto-lock delays SettingsService.SetAutoLock accepts,
	// in minutes; 0 means never.
	AutoLockMinutes []int `json:"autoLockMinutes"`
	// MinPassphraseLength is the shortest passphrase accepted, in characters.
	MinPassphraseLength int `json:"minPassphraseLength"`
	// MaxNameLength caps display and device names, in characters (at least one).
	MaxNameLength int `json:"maxNameLength"`
	// HandleMinLength is the shortest handle, in characters without its "@".
	HandleMinLength int `json:"handleMinLength"`
	// HandleMaxLength is the longest handle, in characters without its "@".
	HandleMaxLength int `json:"handleMaxLength"`
	// HandleCharacters is the set a handle is made of, as a regular-expression
	// character class; upper case is folded to lower case.
	HandleCharacters string `json:"handleCharacters"`
	// MaxMessageBytes caps a message's text, in bytes of UTF-8.
	MaxMessageBytes int `json:"maxMessageBytes"`
	// MaxTitleBytes caps a group's or channel's title, in bytes of UTF-8.
	MaxTitleBytes int `json:"maxTitleBytes"`
	// SecretTimerSeconds are the self-destruct times a secret chat offers, in
	// seconds; 0 means off.
	SecretTimerSeconds []int `json:"secretTimerSeconds"`
	// AutoDeleteSeconds are the auto-delete times a cloud chat offers
	// (ChatService.SetAutoDelete), in seconds; 0 means off.
	AutoDeleteSeconds []int `json:"autoDeleteSeconds"`
	// MaxFolders caps the user's chat folders.
	MaxFolders int `json:"maxFolders"`
	// MaxFolderNameLength caps a folder's name, in characters.
	MaxFolderNameLength int `json:"maxFolderNameLength"`
	// MaxFileBytes caps a file sent, in bytes.
	MaxFileBytes int64 `json:"maxFileBytes"`
	// MaxFilesPerMessage caps the files of one message.
	MaxFilesPerMessage int `json:"maxFilesPerMessage"`
	// MaxPastedBytes caps a file pasted into the desktop window
	// (FileService.StageData), in bytes.
	MaxPastedBytes int `json:"maxPastedBytes"`
	// MaxImageViewBytes caps an image FileService.Image shows, in bytes.
	MaxImageViewBytes int `json:"maxImageViewBytes"`
}

// UIRules returns the rules the UI applies before calling Go.
func UIRules() Rules {
	return Rules{
		AutoLockMinutes:     append([]int(nil), autoLockChoices...),
		MinPassphraseLength: MinPassphraseLength,
		MaxNameLength:       maxDisplayNameLength,
		HandleMinLength:     chat.MinHandleLength,
		HandleMaxLength:     chat.MaxHandleLength,
		HandleCharacters:    chat.HandleCharacters,
		MaxMessageBytes:     chat.MaxMessageBytes,
		MaxTitleBytes:       chat.MaxTitleBytes,
		SecretTimerSeconds:  seconds(chat.SecretTimers),
		AutoDeleteSeconds:   seconds(chat.AutoDeleteTimes),
		MaxFolders:          chat.MaxFolders,
		MaxFolderNameLength: chat.MaxFolderNameChars,
		MaxFileBytes:        chat.MaxAttachmentSize,
		MaxFilesPerMessage:  chat.MaxFilesPerMessage,
		MaxPastedBytes:      maxPastedBytes,
		MaxImageViewBytes:   maxImageViewBytes,
	}
}

// seconds is a list of times in whole seconds.
func seconds(ds []time.Duration) []int {
	out := make([]int, 0, len(ds))
	for _, d := range ds {
		out = append(out, int(d/time.Second))
	}
	return out
}
