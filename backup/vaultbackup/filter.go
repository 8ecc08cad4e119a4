package vaultbackup

import (
	"strings"
	"time"

	"hush/ids"
	"hush/policy"
)

// included is the one place that decides what of a vault goes into a backup,
// and what of a backup goes into a vault (both directions ask it).
//
// Secret chats are excluded here. A secret chat lives on two devices only and
// its keys must never leave them (docs/SECURITY.md, "Backups"): chats whose kind
// is not a cloud kind (policy.KindSecret, issue 10) are left out with their
// messages, drafts, epoch keys, membership logs and cursors; the vault's
// secret-chat tables (ratchet sessions, prekeys) are never read; and settings
// under secretSettingPrefix, where the secret-chat code keeps its state, are
// left out too. When secret chats store anything new, exclude it here.
type included struct {
	chats map[ids.Chat]bool // the chats in the backup
}

// secretSettingPrefix names the settings of secret chats (chat/prekeys.go keeps
// its prekey state under "secret/prekeys").
const secretSettingPrefix = "secret/"

// chatCursorPrefix is the scope of a chat's cursor (chat/store.go, scope).
const chatCursorPrefix = "chat:"

func newIncluded() *included { return &included{chats: map[ids.Chat]bool{}} }

// chat says whether a chat of this kind is backed up: cloud chats only.
func (in *included) chat(k policy.ChatKind) bool { return k.Cloud() }

// add records a chat that is in the backup.
func (in *included) add(id ids.Chat) { in.chats[id] = true }

// has says whether a record that belongs to a chat goes with it.
func (in *included) has(id ids.Chat) bool { return in.chats[id] }

// expired says whether a message whose timer is at expires (zero: none) has gone
// by now: such a message is neither exported nor imported (a cloud chat's
// auto-delete, docs/SECURITY.md "Auto-delete"), nor are its attachments.
func expired(expires, now time.Time) bool { return !expires.IsZero() && !expires.After(now) }

// setting says whether a setting is backed up.
func (in *included) setting(name string) bool { return !strings.HasPrefix(name, secretSettingPrefix) }

// cursor says whether a cursor is backed up: a chat's only with its chat.
func (in *included) cursor(scope string) bool {
	if rest, ok := strings.CutPrefix(scope, chatCursorPrefix); ok {
		id, err := ids.Parse[ids.Chat](rest)
		return err == nil && in.has(id)
	}
	return !strings.HasPrefix(scope, secretSettingPrefix)
}
