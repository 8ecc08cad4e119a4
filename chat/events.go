package chat

import (
	"hush/ids"
	"hush/policy"
	"time"
)

// Observer is told what changed, as it happens; package app implements it and turns
// each call into an event for the UI. Calls come from the engine's goroutines, after
// the change is committed to the vault, and must not block: an observer that needs
// to call back into the engine does so on its own goroutine.
type Observer interface {
	ConnectionChanged(Connection)
	ChatUpdated(Chat)
	ChatRemoved(ids.Chat)
	MessageNew(Message)
	// MessageChanged reports a message an action changed: edited, deleted for
	// everyone, reacted to, pinned or unpinned (actions.go). The message is given
	// as it stands now.
	MessageChanged(Message)
	// MessageHidden reports a message deleted for this account only (on this
	// device or another of the account's): it must go from the screen.
	MessageHidden(MessageExpiry)
	MessageStatus(StatusChange)
	Typing(Typing)
	Warning(Warning)
	// DevicesChanged reports that this account's device list changed.
	DevicesChanged(DevicesChange)
	// SyncProgress reports a catch-up with much history to fetch.
	SyncProgress(SyncProgress)
	// DisplayNameChanged reports the account's new display name, chosen on another
	// of its devices.
	DisplayNameChanged(string)
	// MessageExpired reports a message whose time came — a secret message's
	// self-destruct, a cloud message's auto-delete: it is gone from the vault, and
	// must go from the screen and the notifications.
	MessageExpired(MessageExpiry)
	// FoldersChanged reports that the user's chat folders changed, here or on
	// another device of the account ([Engine.Folders] has them).
	FoldersChanged()
	// ReadReceiptsChanged reports the account's read receipts switch, turned on
	// another of its devices ([Engine.ReadReceipts]).
	ReadReceiptsChanged(on bool)
}

// MessageExpiry names a message that self-destructed.
type MessageExpiry struct {
	Chat    ids.Chat
	Message ids.Message
}

// DevicesChange says what changed in this account's devices.
type DevicesChange struct {
	// Removed is true when the account's list no longer names this device: it was
	// revoked from another device and the relay will refuse it.
	Removed bool
}

// StatusChange reports a message's new delivery state.
type StatusChange struct {
	Chat    ids.Chat
	Message ids.Message
	Status  policy.Status
	Seq     int64
	// ExpiresAt is set when a secret message's countdown started with this change
	// (it was read).
	ExpiresAt time.Time
}

// Typing reports that a member is typing.
type Typing struct {
	Chat    ids.Chat
	Account ids.Account
	// Name is the member's display name; "" when unknown.
	Name string
}

// Warning reports something the user should know that is no error of theirs: a
// message dropped because it failed verification, a contact's key that changed, a
// message that can never be sent.
type Warning struct {
	// Chat is the chat concerned; zero when none.
	Chat ids.Chat
	Kind WarningKind
	// Handle is the handle concerned (WarnHandleMoved, WarnKeyChanged).
	Handle string
	// Cause says why (WarnSendFailed): it matches [ErrForbidden], [ErrNotFound],
	// [ErrTooLong] or another of the package's sentinel errors.
	Cause error
	// Account is the account concerned (WarnUnverifiedMember, WarnMessagesMissing,
	// WarnKeySignerNotAllowed); zero when none.
	Account ids.Account
	// Name is that account's display name, "" when unknown; Count how many messages
	// (WarnMessagesMissing).
	Name  string
	Count int
}

// WarningKind says what a [Warning] is about.
type WarningKind uint8

// Warning kinds. Each names one check that refused something, so the UI can word it
// and tests can tell them apart.
const (
	_ WarningKind = iota
	// WarnQuotaExceeded: the relay's storage quota for this account is used up;
	// messages wait in the outbox.
	WarnQuotaExceeded
	// WarnSendFailed: a message can never be sent; Cause says why.
	WarnSendFailed
	// WarnNotMember: a message from an account that is not a member was dropped.
	WarnNotMember
	// WarnSenderUnknown: a message from an account whose keys could not be looked
	// up was dropped.
	WarnSenderUnknown
	// WarnBadSignature: a message with a bad signature was dropped.
	WarnBadSignature
	// WarnWrongSender: a message signed by another key than the sender's pinned one
	// was dropped.
	WarnWrongSender
	// WarnMisfiled: a message sealed for another chat, epoch or id was dropped.
	WarnMisfiled
	// WarnUndecryptable: a message that could not be decrypted was dropped.
	WarnUndecryptable
	// WarnMalformed: a malformed message was dropped.
	WarnMalformed
	// WarnUnverified: a message failed verification for another reason.
	WarnUnverified
	// WarnSenderMismatch: a message whose signed sender is not the relay's record
	// of it was dropped.
	WarnSenderMismatch
	// WarnRevokedDevice: a message from a device its owner revoked was dropped.
	WarnRevokedDevice
	// WarnForeignDevice: a message from a device registered to another account was
	// dropped.
	WarnForeignDevice
	// WarnTitleInDirect: a title sent to a 1:1 chat was ignored.
	WarnTitleInDirect
	// WarnTitleNotAllowed: a title change from a member who may not rename the chat
	// was ignored.
	WarnTitleNotAllowed
	// WarnTitleInvalid: a title change with an invalid title was ignored.
	WarnTitleInvalid
	// WarnReplayedFromOtherChat: a message replayed from another chat was dropped.
	WarnReplayedFromOtherChat
	// WarnReplayed: a replayed message was dropped.
	WarnReplayed
	// WarnImpossibleSeq: the relay sent a message with an impossible sequence
	// number; it was dropped.
	WarnImpossibleSeq
	// WarnImpossibleEpoch: the relay sent a chat key with an impossible epoch; it
	// was ignored.
	WarnImpossibleEpoch
	// WarnKeyUnverified: a chat key that failed verification was ignored; messages
	// sent with it cannot be read.
	WarnKeyUnverified
	// WarnKeySignerMismatch: a chat key whose signer is not the relay's record of
	// it was ignored.
	WarnKeySignerMismatch
	// WarnKeyConflict: the relay offered a second, different key for a chat epoch;
	// the first one was kept.
	WarnKeyConflict
	// WarnHandleMoved: Handle now belongs to another account's key.
	WarnHandleMoved
	// WarnKeyChanged: the relay returned another key for Handle than the pinned
	// one; the pinned key is kept.
	WarnKeyChanged
	// WarnLogInvalid: the relay served a membership record that fails verification
	// (a forged signature, a change its signer may not make); the chat is frozen.
	WarnLogInvalid
	// WarnLogFork: the relay showed a membership log that does not continue the one
	// held here (two records at one place): some members see another history; the
	// chat is frozen.
	WarnLogFork
	// WarnUnverifiedMember: the relay lists Account as a member, but no record of
	// the log added it; nothing is encrypted to it.
	WarnUnverifiedMember
	// WarnKeySignerNotAllowed: a chat key signed by an account the log does not
	// allow to make keys (a subscriber, a member outside a change) was ignored.
	WarnKeySignerNotAllowed
	// WarnMessagesMissing: Count messages from Account never arrived: the relay
	// withheld them (their senders' numbering skips them).
	WarnMessagesMissing
	// WarnUncertifiedKeys: the relay returned an account's keys without the
	// account's signature over them; they were not pinned.
	WarnUncertifiedKeys
	// WarnDeviceListInvalid: the relay returned a device list for Account that the
	// account did not sign; it was ignored.
	WarnDeviceListInvalid
	// WarnDeviceListRollback: the relay returned an older device list for Account
	// than one held, or one that brings back a revoked device; it was ignored.
	WarnDeviceListRollback
	// WarnDeviceListFork: Account signed two different device lists with one
	// version; the one held first stays.
	WarnDeviceListFork
	// WarnDeviceListWithheld: the relay no longer returns Account's device list;
	// the one held stays, with its revocations.
	WarnDeviceListWithheld
	// WarnSecretFromStranger: Account, who is not one of the user's contacts,
	// tried to open a secret chat with this device; it was refused.
	WarnSecretFromStranger
	// WarnActionNotAllowed: an edit, deletion or pin from a member who may not make
	// it (someone else's edit, a member deleting another's message) was refused.
	WarnActionNotAllowed
	// WarnAutoDeleteNotAllowed: an auto-delete setting from a member who may not
	// set it (not an admin of a group or channel) was refused.
	WarnAutoDeleteNotAllowed
)

// String names the kind, for logs.
func (k WarningKind) String() string {
	if int(k) < len(warningNames) && warningNames[k] != "" {
		return warningNames[k]
	}
	return "warning"
}

var warningNames = [...]string{
	WarnQuotaExceeded: "quota exceeded", WarnSendFailed: "send failed", WarnNotMember: "not a member",
	WarnSenderUnknown: "sender unknown", WarnBadSignature: "bad signature", WarnWrongSender: "wrong sender",
	WarnMisfiled: "misfiled", WarnUndecryptable: "undecryptable", WarnMalformed: "malformed",
	WarnUnverified: "unverified", WarnSenderMismatch: "sender mismatch", WarnRevokedDevice: "revoked device",
	WarnForeignDevice: "foreign device", WarnTitleInDirect: "title in a direct chat",
	WarnTitleNotAllowed: "title not allowed", WarnTitleInvalid: "invalid title",
	WarnReplayedFromOtherChat: "replayed from another chat", WarnReplayed: "replayed",
	WarnImpossibleSeq: "impossible sequence number", WarnImpossibleEpoch: "impossible epoch",
	WarnKeyUnverified: "chat key unverified", WarnKeySignerMismatch: "chat key signer mismatch",
	WarnKeyConflict: "chat key conflict", WarnHandleMoved: "handle moved", WarnKeyChanged: "key changed",
	WarnLogInvalid: "membership log invalid", WarnLogFork: "membership log forked",
	WarnUnverifiedMember: "unverified member", WarnKeySignerNotAllowed: "chat key signer not allowed",
	WarnMessagesMissing: "messages missing", WarnUncertifiedKeys: "uncertified account keys",
	WarnDeviceListInvalid: "device list invalid", WarnDeviceListRollback: "device list rolled back",
	WarnDeviceListFork: "device list forked", WarnDeviceListWithheld: "device list withheld",
	WarnSecretFromStranger: "secret chat from a stranger", WarnActionNotAllowed: "action not allowed",
	WarnAutoDeleteNotAllowed: "auto-delete not allowed",
}
