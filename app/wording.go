package app

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"hush/backup"
	"hush/backup/vaultbackup"
	"hush/chat"
	"hush/ids"
	"hush/policy"
	"hush/vault"
)

// Every sentence the UI shows about messaging is made here, from the engine's
// domain values and sentinel errors: the engine (package chat) never words anything.

// unknownName is how the UI names an account whose name is unknown.
func unknownName(account ids.Account) string { return "Unknown " + account.String()[:8] }

// nameOr returns name, or the unknown-account name when it is "".
func nameOr(name string, account ids.Account) string {
	if name != "" {
		return name
	}
	return unknownName(account)
}

// chatTitle is the title the chat list shows.
func chatTitle(c chat.Chat) string {
	switch {
	case c.Title != "":
		return c.Title
	case c.Kind == policy.KindDirect && !c.Peer.IsZero():
		return unknownName(c.Peer)
	}
	return "Untitled " + c.Kind.String()
}

// holdText words why a chat does not take messages as usual, for its banner; "" for
// an ordinary chat.
func holdText(c chat.Chat) string {
	switch c.Hold {
	case chat.HoldTampered:
		return "The relay changed this chat's member list in a way no member signed. To keep your messages from the wrong people, nothing more is sent here."
	case chat.HoldRemoved:
		by := "An admin"
		if !c.RemovedBy.IsZero() {
			by = nameOr(c.RemovedByName, c.RemovedBy)
		}
		return by + " removed you from this chat. Its history stays on this device until you delete it."
	case chat.HoldUnavailable:
		return "This chat is not available on this relay. Its history stays on this device until you delete it."
	case chat.HoldRequest:
		// Named as they named themselves: the qualifier says no contact vouches for it.
		by := "Someone who is not in your contacts"
		if !c.RequestBy.IsZero() {
			by = nameOr(c.RequestByName, c.RequestBy) + ", who is not in your contacts,"
		}
		if c.Kind == policy.KindDirect {
			return by + " wants to chat. Accept to read and answer, or decline."
		}
		return by + " added you to this " + c.Kind.String() + ". Accept to join, or decline."
	case chat.HoldNotSecured:
		return "This chat was made with an older version of Hush. Its member list is locked until its owner's device secures it."
	case chat.HoldNewKey:
		return "A member left or was removed. New messages wait until an admin shares a new key."
	}
	return ""
}

// serviceText words a line a chat shows about itself, in the chat and as the chat
// list's preview alike.
func serviceText(l *chat.Service) string {
	by := nameOr(l.By.Name, l.By.Account)
	if l.By.IsMe {
		by = "You"
	}
	targets := peopleText(l.Targets)
	switch l.Kind {
	case chat.ServiceCreated:
		return by + " created " + quoteTitle(l.Title)
	case chat.ServiceAdded:
		return by + " added " + targets
	case chat.ServiceRemoved:
		return by + " removed " + targets
	case chat.ServiceLeft:
		return by + " left"
	case chat.ServiceRole:
		return by + " made " + targets + " " + article(l.Role)
	case chat.ServiceTitle:
		return by + " renamed the chat to " + quoteTitle(l.Title)
	case chat.ServiceSecret:
		return by + " started the secret chat"
	case chat.ServiceTimer:
		if l.Count == 0 {
			return by + " turned off self-destruct"
		}
		return by + " set messages to self-destruct " + durationText(l.Count) + " after they are read"
	case chat.ServiceAutoDelete:
		if l.Count == 0 {
			return by + " turned off auto-delete"
		}
		return by + " set messages to auto-delete after " + autoDeleteText(l.Count)
	case chat.ServiceGap:
		if l.Count == 1 {
			return "A message from " + targets + " never arrived: the relay may have withheld it."
		}
		return fmt.Sprintf("%d messages from %s never arrived: the relay may have withheld them.", l.Count, targets)
	}
	return by + " changed the chat"
}

// durationText words a self-destruct time given in seconds: "5 seconds", "1 minute",
// "1 day", "1 week".
func durationText(seconds int) string {
	units := []struct {
		n    int
		name string
	}{{7 * 24 * 3600, "week"}, {24 * 3600, "day"}, {3600, "hour"}, {60, "minute"}, {1, "second"}}
	for _, u := range units {
		if seconds >= u.n && seconds%u.n == 0 {
			n := seconds / u.n
			if n == 1 {
				return "1 " + u.name
			}
			return fmt.Sprintf("%d %ss", n, u.name)
		}
	}
	return fmt.Sprintf("%d seconds", seconds)
}

// autoDeleteText words an auto-delete time given in seconds: "1 day", "1 week",
// "1 month" (31 days, as chat.AutoDeleteTimes has it), else as durationText.
func autoDeleteText(seconds int) string {
	if seconds == 31*24*3600 {
		return "1 month"
	}
	return durationText(seconds)
}

// peopleText names people for a sentence: "Ann", "Ann and Bob", "Ann, Bob and 3
// others".
func peopleText(ps []chat.Person) string {
	names := make([]string, 0, len(ps))
	for _, p := range ps {
		switch {
		case p.IsMe:
			names = append(names, "you")
		default:
			names = append(names, nameOr(p.Name, p.Account))
		}
	}
	switch n := len(names); {
	case n == 0:
		return "no one"
	case n == 1:
		return names[0]
	case n <= 3:
		return strings.Join(names[:n-1], ", ") + " and " + names[n-1]
	default:
		return fmt.Sprintf("%s, %s and %d others", names[0], names[1], n-2)
	}
}

func quoteTitle(t string) string {
	if t == "" {
		return "the chat"
	}
	return "“" + t + "”"
}

// article names a role with its article: "an admin", "a member", "the owner".
func article(r policy.Role) string {
	switch r {
	case policy.RoleAdmin:
		return "an admin"
	case policy.RoleOwner:
		return "the owner"
	}
	return "a member"
}

// sizeUnits are the units of sizeText, each 1024 of the one before.
var sizeUnits = [...]string{"KB", "MB", "GB", "TB"}

// sizeText is a byte count as the UI writes it (frontend/src/lib/bytes.ts):
// powers of 1024, as file managers show them, one decimal below 10 of a unit.
func sizeText(n int64) string {
	if n < 1024 {
		if n == 1 {
			return "1 byte"
		}
		return fmt.Sprintf("%d bytes", max(n, 0))
	}
	v := float64(n) / 1024
	u := 0
	for v >= 1024 && u < len(sizeUnits)-1 {
		v /= 1024
		u++
	}
	if v < 10 {
		return strings.TrimSuffix(fmt.Sprintf("%.1f", v), ".0") + " " + sizeUnits[u]
	}
	return fmt.Sprintf("%.0f %s", v, sizeUnits[u])
}

// bodyText is a message's text as the UI shows it.
func bodyText(body string, p chat.Placeholder) string {
	switch p {
	case chat.AttachmentOnly:
		if body != "" {
			return "📎 " + body // a chat list's preview: the files' names
		}
		return "(attachment)"
	case chat.Unsupported:
		return "This message needs a newer version of Hush."
	case chat.Deleted:
		return "Message deleted"
	}
	return body
}

// linkErrorText says why the link to the relay is down.
func linkErrorText(err error) string {
	switch {
	case errors.Is(err, chat.ErrTooManyAccounts):
		return fmt.Sprintf("This relay lets only a few new accounts in from one network per hour, and yours has had them. Hush tries again in %s.", waitText(chat.RetryAfter(err)))
	case errors.Is(err, chat.ErrRefused):
		reason, detail, _ := chat.RelayReason(err)
		if detail == "" {
			return "The relay refused the connection: " + reason + "."
		}
		return "The relay refused the connection: " + reason + " (" + detail + ")."
	case errors.Is(err, chat.ErrUntrustedCertificate):
		var cve *tls.CertificateVerificationError
		if errors.As(err, &cve) && cve.Err != nil {
			return "The relay's certificate is not trusted, so Hush did not connect (" + cve.Err.Error() + ")."
		}
		return "The relay's certificate is not trusted, so Hush did not connect."
	case errors.Is(err, chat.ErrUnreachable):
		return "The relay is unreachable."
	case errors.Is(err, chat.ErrConnectionLost):
		return "The connection to the relay was lost."
	}
	return err.Error()
}

// clockSkewText warns that this device's clock is off the relay's by skew.
func clockSkewText(skew time.Duration) string {
	return fmt.Sprintf("This device's clock is %v off the relay's; check the date and time settings.", skew.Round(time.Second))
}

// quotaFullText says that the relay refused a write for the account's quota.
const quotaFullText = "The relay's storage for your account is full."

// warningText words a warning from the engine.
func warningText(w chat.Warning) string {
	switch w.Kind {
	case chat.WarnQuotaExceeded:
		return quotaFullText + " Your messages are kept here as pending and go out by themselves once it has room; Settings shows how much is used."
	case chat.WarnSendFailed:
		return "A message could not be sent: " + sendFailureText(w.Cause)
	case chat.WarnNotMember:
		return "A message from someone who is not a member of this chat was dropped."
	case chat.WarnSenderUnknown:
		return "A message from an account whose keys could not be looked up was dropped."
	case chat.WarnBadSignature:
		return "A message with a bad signature was dropped."
	case chat.WarnWrongSender:
		return "A message signed by a key that does not match the sender's pinned key was dropped."
	case chat.WarnMisfiled:
		return "A replayed or misfiled message was dropped."
	case chat.WarnUndecryptable:
		return "A message that could not be decrypted was dropped."
	case chat.WarnMalformed:
		return "A malformed message was dropped."
	case chat.WarnUnverified:
		return "A message that failed verification was dropped."
	case chat.WarnSenderMismatch:
		return "A message whose sender does not match the relay's record was dropped."
	case chat.WarnRevokedDevice:
		return "A message from a device its owner revoked was dropped."
	case chat.WarnForeignDevice:
		return "A message from a device registered to another account was dropped."
	case chat.WarnTitleInDirect:
		return "A title sent to a 1:1 chat was ignored."
	case chat.WarnActionNotAllowed:
		return "A change to a message from a member who may not make it (an edit of someone else's message, a deletion or a pin) was refused."
	case chat.WarnAutoDeleteNotAllowed:
		return "An auto-delete setting from a member who may not change it was ignored."
	case chat.WarnTitleNotAllowed:
		return "A title change from a member who may not rename this chat was ignored."
	case chat.WarnTitleInvalid:
		return "A title change with an invalid title was ignored."
	case chat.WarnReplayedFromOtherChat:
		return "A message replayed from another chat was dropped."
	case chat.WarnReplayed:
		return "A replayed message was dropped."
	case chat.WarnImpossibleSeq:
		return "The relay sent a message with an impossible sequence number; it was dropped."
	case chat.WarnImpossibleEpoch:
		return "The relay sent a chat key with an impossible epoch; it was ignored."
	case chat.WarnKeyUnverified:
		return "A chat key that failed verification was ignored; messages sent with it cannot be read."
	case chat.WarnKeySignerMismatch:
		return "A chat key whose signer does not match the relay's record was ignored."
	case chat.WarnKeyConflict:
		return "The relay offered a second, different key for a chat epoch; the first one was kept."
	case chat.WarnHandleMoved:
		return fmt.Sprintf("@%s now belongs to a different key. Compare safety numbers before trusting it.", w.Handle)
	case chat.WarnKeyChanged:
		return fmt.Sprintf("The relay returned a different key for @%s than the one pinned. The pinned key is kept; compare safety numbers.", w.Handle)
	case chat.WarnLogInvalid:
		return "The relay sent a change to this chat's members that no member signed. Nothing more is sent here until you check with the members."
	case chat.WarnLogFork:
		return "The relay showed this chat a different member history than before: some members may see other members than you do. Nothing more is sent here until you check with the members."
	case chat.WarnUnverifiedMember:
		return "The relay lists " + nameOr(w.Name, w.Account) + " as a member of this chat, but no member added them. Nothing is encrypted to them."
	case chat.WarnKeySignerNotAllowed:
		return "A chat key from someone not allowed to make one was ignored."
	case chat.WarnMessagesMissing:
		if w.Count == 1 {
			return "A message from " + nameOr(w.Name, w.Account) + " never arrived: the relay may have withheld it."
		}
		return fmt.Sprintf("%d messages from %s never arrived: the relay may have withheld them.", w.Count, nameOr(w.Name, w.Account))
	case chat.WarnUncertifiedKeys:
		if w.Handle != "" {
			return fmt.Sprintf("The relay returned keys for @%s that the account did not sign. They were not trusted.", w.Handle)
		}
		return "The relay returned keys for an account that the account did not sign. They were not trusted."
	case chat.WarnDeviceListInvalid:
		return "The relay returned a list of " + nameOr(w.Name, w.Account) + "'s devices that the account did not sign. It was ignored."
	case chat.WarnDeviceListRollback:
		return "The relay returned an older list of " + nameOr(w.Name, w.Account) + "'s devices than the one Hush holds, which could hide a removed device. It was ignored."
	case chat.WarnDeviceListFork:
		return nameOr(w.Name, w.Account) + " signed two different lists of devices. Hush keeps the first; check with them that all their devices are theirs."
	case chat.WarnDeviceListWithheld:
		return "The relay no longer returns the list of " + nameOr(w.Name, w.Account) + "'s devices. Hush keeps the one it holds, with its removed devices."
	case chat.WarnSecretFromStranger:
		return "Someone who is not one of your contacts (" + nameOr(w.Name, w.Account) + ") tried to open a secret chat with this device. It was refused; add them as a contact first."
	}
	return "Something in this chat needs your attention (" + w.Kind.String() + ")."
}

func sendFailureText(cause error) string {
	switch {
	case errors.Is(cause, chat.ErrForbidden):
		return "your role in this chat does not allow posting."
	case errors.Is(cause, chat.ErrNotFound):
		return "you are no longer a member of this chat."
	case errors.Is(cause, chat.ErrTooLong):
		return "it is too large for the relay."
	}
	return "the relay refused it."
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
	msg := ""
	switch {
	case errors.Is(err, chat.ErrClosed), errors.Is(err, vault.ErrClosed):
		return ErrLocked
	case errors.Is(err, chat.ErrLinkCode):
		msg = withDetail("This link code cannot be used", err)
	case errors.Is(err, chat.ErrLinkDeclined):
		msg = "Linking was declined on the other device (" + chat.Detail(err) + "). Nothing was linked."
	case errors.Is(err, chat.ErrLinkTampered):
		msg = "Linking stopped: a message between the two devices failed its security check, so someone may have interfered. Nothing was linked; start again."
	case errors.Is(err, chat.ErrLinkEnded):
		msg = withDetail("Linking ended before it finished: the other device left, the code expired or the connection dropped. Nothing was linked", err)
	case errors.Is(err, chat.ErrOffline):
		msg = "You are offline: the relay cannot be reached. Try again when Hush is connected."
	case errors.Is(err, chat.ErrUnknownHandle):
		msg = "No one has that handle on this relay."
	case errors.Is(err, chat.ErrHandleTaken):
		msg = "That handle is taken. Choose another."
	case errors.Is(err, chat.ErrInvalidHandle):
		msg = fmt.Sprintf("A handle has %d to %d characters: letters a–z, digits and _.", chat.MinHandleLength, chat.MaxHandleLength)
	case errors.Is(err, chat.ErrInsecureRelayURL):
		msg = "Use a wss:// address: plain ws:// is only for a relay on this computer."
	case errors.Is(err, chat.ErrInvalidRelayURL):
		msg = "The relay address is not valid: " + chat.Detail(err) + "."
	case errors.Is(err, chat.ErrTampered):
		msg = "The relay changed this chat's member list in a way no member signed, so nothing more is sent or changed here."
	case errors.Is(err, chat.ErrNotSecured):
		msg = "This chat was made with an older version of Hush; its members cannot change until its owner's device secures it."
	case errors.Is(err, chat.ErrBlocked):
		msg = "You blocked this account. Unblock it in Settings to write to it."
	case errors.Is(err, chat.ErrUncertified):
		msg = "The relay returned keys for that account that the account did not sign, so they are not trusted."
	case errors.Is(err, chat.ErrForbidden):
		msg = "Your role in this chat does not allow that."
		if d := chat.Detail(err); d != "" {
			msg = "Not allowed: " + d + "."
		}
	case errors.Is(err, chat.ErrNotFound):
		msg = withDetail("Not found", err)
	case errors.Is(err, chat.ErrTooLong):
		msg = withDetail("Too long", err)
	case errors.Is(err, chat.ErrInvalid):
		msg = withDetail("Invalid input", err)
	case errors.Is(err, chat.ErrRateLimited):
		msg = fmt.Sprintf("The relay is busy. Try again in %s.", roundWait(chat.RetryAfter(err)))
	case errors.Is(err, chat.ErrTooManyChats):
		msg = fmt.Sprintf("You created many chats in the last hour. Try again in %s.", waitText(chat.RetryAfter(err)))
	case errors.Is(err, chat.ErrTooManyToStrangers):
		msg = fmt.Sprintf("You wrote to many people you share no chat with in the last hour. Try again in %s.", waitText(chat.RetryAfter(err)))
	case errors.Is(err, chat.ErrTooManyAccounts):
		msg = fmt.Sprintf("This relay lets only a few new accounts in from one network per hour. Try again in %s.", waitText(chat.RetryAfter(err)))
	case errors.Is(err, chat.ErrQuotaExceeded):
		msg = quotaFullText
	case errors.Is(err, chat.ErrRelay):
		reason, _, _ := chat.RelayReason(err)
		msg = "The relay refused: " + reason + "."
	default:
		msg = "Something went wrong: " + rootCause(err)
	}
	return &userError{msg: msg, cause: err}
}

// withDetail is what, followed by the engine's phrase for what exactly was wrong
// when it gave one.
func withDetail(what string, err error) string {
	if d := chat.Detail(err); d != "" {
		return what + ": " + d
	}
	return what + "."
}

// waitText words a wait of minutes or more for people: "12 minutes", "1 hour";
// shorter waits in seconds, as [roundWait] does. Minutes round up, so the wait is
// never said to be shorter than it is; an hour or more is said in whole hours.
func waitText(d time.Duration) string {
	minutes := int(math.Ceil(d.Minutes()))
	switch {
	case d < time.Minute:
		return roundWait(d)
	case minutes == 1:
		return "1 minute"
	case minutes < 60:
		return fmt.Sprintf("%d minutes", minutes)
	}
	if hours := int(math.Round(d.Hours())); hours > 1 {
		return fmt.Sprintf("%d hours", hours)
	}
	return "1 hour"
}

// BackupErrorText words why a backup could not be made, imported or restored,
// for the UI and the command line alike. The file's own faults say that the vault
// was not changed: an import reads the whole file in one transaction first
// (docs/BACKUP-FORMAT.md).
func BackupErrorText(err error) string {
	switch {
	case errors.Is(err, backup.ErrWrongPassphrase):
		return "Wrong backup passphrase. Nothing was changed."
	case errors.Is(err, backup.ErrNotBackup):
		return "This file is not a Hush backup. Nothing was changed."
	case errors.Is(err, backup.ErrCorrupt):
		return "The backup is incomplete or damaged (truncated, or altered after it was written). Nothing was changed."
	case errors.Is(err, backup.ErrNewerFormat):
		return "This backup was made by a newer version of Hush. Update Hush to import it. Nothing was changed."
	case errors.Is(err, vaultbackup.ErrOtherAccount):
		return "This backup is of another account. A backup can be imported only into the account it was made from. Nothing was changed."
	case errors.Is(err, vaultbackup.ErrNoDeviceKey):
		return "This backup holds no keys to restore a device from. Nothing was changed."
	case errors.Is(err, vaultbackup.ErrVaultExists):
		return "There is already an account on this device. Import the backup from Settings instead."
	case errors.Is(err, vaultbackup.ErrNoAccount):
		return "There is no account on this device to back up."
	case errors.Is(err, vault.ErrWrongPassphrase):
		return "Wrong vault passphrase."
	case errors.Is(err, context.Canceled):
		return "Cancelled. Nothing was written or changed."
	}
	return "The backup failed: " + rootCause(err)
}

// BackupCountsText says what a backup holds, or what an import added: "1 account,
// 3 contacts, 2 chats and 1,204 messages".
func BackupCountsText(c backup.Counts) string {
	parts := []string{}
	for _, p := range []struct {
		n   uint64
		one string
	}{{c.Accounts, "account"}, {c.Contacts, "contact"}, {c.Chats, "chat"}, {c.Messages, "message"}} {
		if p.n == 0 {
			continue
		}
		noun := p.one
		if p.n != 1 {
			noun += "s"
		}
		parts = append(parts, groupDigits(p.n)+" "+noun)
	}
	switch n := len(parts); n {
	case 0:
		return "nothing"
	case 1:
		return parts[0]
	default:
		return strings.Join(parts[:n-1], ", ") + " and " + parts[n-1]
	}
}

// BackupFilesText says which attachment files a backup holds and which it
// leaves to the relay, as a sentence with its trailing space: "3 files (2.5 MB)
// included; 2 left to the relay. ", or "" for a backup without attachments.
func BackupFilesText(c backup.Counts) string {
	if c.Attachments == 0 {
		return ""
	}
	files := "files"
	if c.Files == 1 {
		files = "file"
	}
	text := fmt.Sprintf("%s %s (%s) included", groupDigits(c.Files), files, sizeText(int64(c.FileBytes)))
	if c.Files == 0 {
		text = "No files included"
	}
	if left := c.Attachments - c.Files; left > 0 {
		text += "; " + groupDigits(left) + " left to the relay"
	}
	return text + ". "
}

// groupDigits writes n with thousands separators: 1,204.
func groupDigits(n uint64) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
