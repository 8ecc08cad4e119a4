package app

import (
	"crypto/tls"
	"errors"
	"fmt"
	"math"
	"time"

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

// bodyText is a message's text as the UI shows it.
func bodyText(body string, p chat.Placeholder) string {
	switch p {
	case chat.AttachmentOnly:
		return "(attachment)"
	case chat.Unsupported:
		return "This message needs a newer version of Hush."
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

// warningText words a warning from the engine.
func warningText(w chat.Warning) string {
	switch w.Kind {
	case chat.WarnQuotaExceeded:
		return "The relay's storage quota for this account is used up; messages wait in the outbox."
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
	case errors.Is(err, chat.ErrForbidden):
		msg = "Your role in this chat does not allow that."
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
		msg = "The relay's storage quota for this account is used up."
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
