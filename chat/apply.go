package chat

import (
	"errors"
	"slices"
	"time"

	"hush/chatcrypto"
	"hush/identity"
	"hush/ids"
	"hush/policy"
	"hush/sync/wire"
	"hush/vault"
)

// Applying one chat log entry: the receiver's checks, in order. The sender's device
// certificate must chain to the sender's pinned account key and the sender must be a
// member at that epoch (chatcrypto.Open checks the signature, the context and the
// ciphertext); its device must not be revoked; and only then does the content apply.

// verdict is what the checks of an entry decided.
type verdict int

const (
	entryOpened verdict = iota // authentic: apply it
	entrySkip                  // not for this account (an epoch before it joined)
	entryStall                 // not yet: the cursor stays before it
	entryDrop                  // refused: drop it with a warning
)

// opened is an entry that passed the checks.
type opened struct {
	pt          chatcrypto.Plaintext
	unsupported bool // content of a kind a newer version sent
}

// apply handles one entry that directly follows the cursor. It reports stall when the
// entry cannot be handled yet (its epoch key has not arrived) and the cursor must stay
// before it.
func (r *receiver) apply(tx *vault.Tx, c *vault.Chat, meta *chatMeta, en *wire.Entry, names nameCache, out *batch, prep *prepared) (stall bool, err error) {
	o, v, warn, err := r.check(tx, c, meta, en, prep, out)
	switch {
	case err != nil:
		return false, err
	case v == entryStall:
		return true, nil
	case v == entrySkip:
		return false, nil
	case v == entryDrop:
		out.warnings = append(out.warnings, warn)
		return false, nil
	}
	if !r.checks.noCounters && en.SenderDevice != r.device {
		noteCounter(meta, en.SenderDevice, en.SenderAccount, o.pt.Content.Counter)
	}
	if cm := o.pt.Content.ChatMeta; cm != nil && meta.LogLen > 0 && !o.unsupported {
		// A title in a chat with a log: applied if it matches the log (titles.go).
		_, line, err := learnTitle(tx, c, meta, cm.Title, cm.Salt)
		if line != nil {
			// The line was shown before its title arrived: shown again, complete.
			out.news = append(out.news, r.list.message(tx, *line, meta, names))
		}
		return false, err
	}
	if content := o.pt.Content; content.Kind == chatcrypto.KindAutoDelete && !o.unsupported {
		warn, err := r.autoDelete(tx, c, meta, en, content, names, out) // autodelete.go
		if warn != 0 {
			out.warnings = append(out.warnings, warn)
		}
		return false, err
	}
	if content := o.pt.Content; isAction(content.Kind) && !o.unsupported {
		warn, err := r.act(tx, c, meta, actionOf(en.SenderAccount, content, wire.Time(en.ServerTime)), names, out)
		if warn != 0 {
			out.warnings = append(out.warnings, warn)
		}
		return false, err
	}
	m, senderName, warn, err := r.content(c, meta, en, o)
	if err != nil {
		return false, err
	}
	if warn != 0 {
		out.warnings = append(out.warnings, warn)
	}
	if m == nil {
		return false, nil
	}
	expires := expiryOf(o.pt.Content, wire.Time(en.ServerTime)) // autodelete.go
	if !expires.IsZero() && r.expiry.due(expires) {
		// Gone already (a device that was away, history fetched late): opened in
		// memory and counted, never stored.
		return false, nil
	}
	warn, err = r.store(tx, c, meta, en, *m, &o.pt.Content, senderName, names, out)
	if err == nil && warn == 0 && !expires.IsZero() {
		err = tx.PutTimer(m.ID, expires)
		out.timed = true
	}
	if warn != 0 {
		out.warnings = append(out.warnings, warn)
	}
	return false, err
}

// check runs the checks of an entry; a drop comes with the warning to raise. On the
// first, optimistic pass (prep nil) anything that needs the relay fails with
// errNeedPrep.
func (r *receiver) check(tx *vault.Tx, c *vault.Chat, meta *chatMeta, en *wire.Entry, prep *prepared, out *batch) (opened, verdict, WarningKind, error) {
	sender := en.SenderAccount
	// The key first: a message of an epoch this account never held a key for was
	// sent before it joined, and is skipped whoever sent it.
	key, v, err := r.epochKey(tx, c.ID, meta, en.Epoch, prep)
	if err != nil || v != entryOpened {
		return opened{}, v, 0, err
	}
	if !isMemberAt(c, meta, sender, en.Epoch) {
		return opened{}, entryDrop, WarnNotMember, nil
	}
	senderKey, err := r.dir.accountKey(tx, sender)
	if errors.Is(err, vault.ErrNotFound) {
		if prep == nil {
			return opened{}, 0, 0, errNeedPrep
		}
		return opened{}, entryDrop, WarnSenderUnknown, nil
	}
	if err != nil {
		return opened{}, 0, 0, err
	}
	pt, err, early := out.pre.result(en, key, senderKey)
	if !early {
		pt, err = chatcrypto.Open(en.Ciphertext, chatcrypto.OpenParams{
			ChatID:    c.ID,
			Epoch:     en.Epoch,
			EpochKey:  key,
			MessageID: en.MsgID,
			Sender:    senderKey,
			Certs:     r.certs,
		})
	}
	unsupported := errors.Is(err, chatcrypto.ErrUnsupportedKind)
	if err != nil && !unsupported {
		r.log.Info("message failed verification", "chat", c.ID.String(), "seq", en.Seq, "err", err)
		return opened{}, entryDrop, openFailure(err), nil
	}
	if pt.Header.SenderDevice != en.SenderDevice || pt.Header.SenderAccount != sender {
		return opened{}, entryDrop, WarnSenderMismatch, nil
	}
	switch dv, err := r.deviceOf(tx, sender, pt.Sender, prep, out); {
	case err != nil:
		return opened{}, 0, 0, err
	case dv == deviceLookup:
		return opened{}, 0, 0, errNeedPrep
	case dv == deviceWait:
		// The sender's device list could not be looked up; try again later.
		return opened{}, entryStall, 0, nil
	case dv == deviceRevoked:
		r.log.Info("message from a revoked device dropped", "chat", c.ID.String(), "seq", en.Seq, "device", pt.Header.SenderDevice.String())
		return opened{}, entryDrop, WarnRevokedDevice, nil
	case dv == deviceForeign:
		return opened{}, entryDrop, WarnForeignDevice, nil
	}
	return opened{pt: pt, unsupported: unsupported}, entryOpened, 0, nil
}

// deviceOf checks the sending device, once per transaction for a device found good:
// a page is mostly one or two devices' messages, and the verdict cannot change
// within the transaction.
func (r *receiver) deviceOf(tx *vault.Tx, account ids.Account, cert identity.Certificate, prep *prepared, out *batch) (deviceVerdict, error) {
	k := sentBy{account: account, device: cert.Device.ID()}
	if dv, ok := out.devices[k]; ok {
		return dv, nil
	}
	dv, err := r.dir.checkDevice(tx, account, cert, prep == nil, prep != nil && prep.devicesLooked[account])
	if err == nil && dv == deviceOK {
		if out.devices == nil {
			out.devices = map[sentBy]deviceVerdict{}
		}
		out.devices[k] = dv
	}
	return dv, err
}

// epochKey returns the key of an entry's epoch, or says why there is none: an epoch
// before this account joined (skip), or a key that has not arrived yet (stall; a
// NewEpoch push refetches).
func (r *receiver) epochKey(tx *vault.Tx, chat ids.Chat, meta *chatMeta, epoch uint64, prep *prepared) (chatcrypto.EpochKey, verdict, error) {
	raw, err := tx.EpochKey(chat, epoch)
	if errors.Is(err, vault.ErrNotFound) {
		latest, lerr := tx.LatestEpoch(chat)
		switch {
		case lerr == nil && (epoch < meta.FirstEpoch || epoch < latest):
			// Sent in an epoch this account was not part of (before it joined): not
			// for us to read, and not a forgery either.
			r.log.Debug("skipped a message of an epoch without our key", "chat", chat.String(), "epoch", epoch)
			return chatcrypto.EpochKey{}, entrySkip, nil
		case lerr != nil && !errors.Is(lerr, vault.ErrNotFound):
			return chatcrypto.EpochKey{}, 0, lerr
		case prep == nil:
			return chatcrypto.EpochKey{}, 0, errNeedPrep
		}
		return chatcrypto.EpochKey{}, entryStall, nil
	}
	if err != nil {
		return chatcrypto.EpochKey{}, 0, err
	}
	key, err := chatcrypto.EpochKeyFromBytes(raw)
	clear(raw)
	if err != nil {
		return chatcrypto.EpochKey{}, 0, err
	}
	return key, entryOpened, nil
}

// content applies an authentic entry's content: a title changes the chat (c); a
// text becomes the message returned, with the name its sender gave itself. Other
// kinds return no message.
func (r *receiver) content(c *vault.Chat, meta *chatMeta, en *wire.Entry, o opened) (*vault.Message, string, WarningKind, error) {
	sender := en.SenderAccount
	m := &vault.Message{
		ID:            en.MsgID,
		ChatID:        c.ID,
		Seq:           int64(en.Seq),
		SenderAccount: sender,
		SenderDevice:  en.SenderDevice,
		Status:        policy.StatusSent,
	}
	content := o.pt.Content
	var clockOff bool
	m.SentAt, clockOff = sentAt(content.SentAt, wire.Time(en.ServerTime))
	if r.checks.relayTime {
		m.SentAt, clockOff = wire.Time(en.ServerTime), false // weakened for tests: the relay's word
	}
	placeholder := NoPlaceholder
	var files uint8 // attachments the content carries
	senderName := ""
	var acts *messageActs
	var autoDelete uint32
	var preview *previewRecord
	switch {
	case o.unsupported:
		placeholder = Unsupported
	case content.Kind == chatcrypto.KindChatMeta:
		// In a chat without a membership log (apply handles the others): authentic
		// (Open checked it like any message), applied only from the owner or an admin
		// of a group or channel.
		title := content.ChatMeta.Title
		switch {
		case c.Kind == policy.KindDirect:
			return nil, "", WarnTitleInDirect, nil
		case !policy.CanManage(c.Kind, roleOf(c, sender)):
			return nil, "", WarnTitleNotAllowed, nil
		case validTitle(title) != nil:
			return nil, "", WarnTitleInvalid, nil
		}
		c.Title = title
		return nil, "", 0, nil
	case content.Kind == chatcrypto.KindText:
		m.Body = content.Text.Body
		if sender != r.meID {
			// Checked by chatcrypto (a text with an invalid name does not open); the
			// name is the sender's word about itself, nothing more.
			senderName = content.Text.SenderName
		}
		if reply := content.Text.ReplyTo; !reply.IsZero() {
			m.ReplyTo = &reply
		}
		if f := content.Text.ForwardedFrom; f != "" {
			acts = &messageActs{Forwarded: f}
		}
		if m.Body == "" {
			placeholder = AttachmentOnly
		}
		files = uint8(min(len(content.Text.Attachments), 255))
		autoDelete = uint32(content.Text.AutoDelete / time.Second)
		if c.Kind != policy.KindSecret { // never in a secret chat (linkpreview.go)
			preview = previewFromContent(content.Text.Preview)
		}
	default:
		// Membership messages come through the membership log (roster.go); the
		// message itself changes nothing.
		r.log.Debug("content kind not applied", "kind", content.Kind.String())
		return nil, "", 0, nil
	}
	var err error
	if m.Extra, err = encodeMessageMeta(messageMeta{Placeholder: placeholder, ClockOff: clockOff, Acts: acts, AutoDelete: autoDelete, Files: files, Preview: preview}); err != nil {
		return nil, "", 0, err
	}
	return m, senderName, 0, nil
}

// store inserts a message, idempotently: a copy already stored (a redelivery, or
// this device's own message) changes nothing, except that an own message whose
// acknowledgement was lost takes its sequence number from the log. The
// attachments content carries (nil: none) are stored with a new message, before
// the actions parked for it apply (a delete for everyone takes them) and before
// it is described to the UI (with them).
func (r *receiver) store(tx *vault.Tx, c *vault.Chat, meta *chatMeta, en *wire.Entry, m vault.Message, content *chatcrypto.Content, senderName string, names nameCache, out *batch) (WarningKind, error) {
	err := tx.InsertMessage(m) // idempotent on the id: a second copy is ErrExists
	if err == nil {
		if content != nil {
			if err := storeAttachments(tx, m.ID, *content, !r.checks.sharedFileIDs); err != nil { // attachments.go
				return 0, err
			}
		}
		// Actions that came before it (parked) apply now.
		if m, err = r.unpark(tx, c, m, out); err != nil {
			return 0, err
		}
		if m.SenderAccount != r.meID && en.Seq > meta.MyRead && metaOf(m).Service == nil {
			c.Unread++ // a line the chat shows about itself is not a message to read
		}
		if m.SentAt.After(c.LastActivity) {
			c.LastActivity = m.SentAt
		}
		msg := r.list.message(tx, m, meta, names)
		if senderName != "" {
			msg.SenderName = senderName
			out.hearName(m.SenderAccount, senderName, en.ServerTime)
		}
		out.news = append(out.news, msg)
		out.last = &m
		return 0, nil
	}
	if !errors.Is(err, vault.ErrExists) {
		return 0, err
	}
	existing, err := tx.Message(m.ID)
	switch {
	case err != nil:
		return 0, err
	case existing.ChatID != m.ChatID:
		return WarnReplayedFromOtherChat, nil
	case existing.Seq == 0 && m.SenderAccount == r.meID:
		// Our own message whose acknowledgement was lost: the log is the proof.
		existing.Seq, existing.Status, existing.SentAt = m.Seq, policy.StatusSent, m.SentAt
		if err := tx.UpdateMessage(existing); err != nil {
			return 0, err
		}
		if err := tx.RemoveOutbox(m.ID); err != nil && !errors.Is(err, vault.ErrNotFound) {
			return 0, err
		}
		out.statuses = append(out.statuses, StatusChange{Chat: m.ChatID, Message: m.ID, Status: statusOf(existing, *meta, r.meID, r.list.receipts.on()), Seq: existing.Seq})
	case existing.Seq == m.Seq:
		// Already stored (our own message, acknowledged): nothing to do.
	default:
		return WarnReplayed, nil
	}
	return 0, nil
}

// openFailure says which check of chatcrypto.Open refused a message.
func openFailure(err error) WarningKind {
	switch {
	case errors.Is(err, chatcrypto.ErrBadSignature):
		return WarnBadSignature
	case errors.Is(err, chatcrypto.ErrWrongSender):
		return WarnWrongSender
	case errors.Is(err, chatcrypto.ErrWrongContext):
		return WarnMisfiled
	case errors.Is(err, chatcrypto.ErrDecrypt):
		return WarnUndecryptable
	case errors.Is(err, chatcrypto.ErrMalformed):
		return WarnMalformed
	}
	return WarnUnverified
}

// clockTolerance is how far a sender's signed time may run ahead of the relay's
// before it is not believed: a message cannot be written after the relay got it,
// beyond two clocks' disagreement. (Earlier is fine: a message written offline is
// sent when the device is back.)
const clockTolerance = 5 * time.Minute

// sentAt is the time a message shows: the sender's signed time — the relay's word
// alone never sets it — checked against the relay's (docs/SECURITY.md, "Gaps and
// times"). It reports clockOff when the sender says it wrote the message after the
// relay says it got it, beyond the tolerance: one of the two clocks is wrong, or the
// relay lies, and the UI says so. A message without a signed time (older clients)
// shows the relay's.
func sentAt(signed, relay time.Time) (time.Time, bool) {
	if signed.IsZero() {
		return relay, false
	}
	return signed, signed.After(relay.Add(clockTolerance))
}

// noteCounter records a sending device's counter in a chat: a number beyond the next
// one expected leaves those between missing until they arrive; what is still missing
// when a catch-up ends was withheld (reportGaps). A counter of 0 (older clients) is
// not counted.
func noteCounter(meta *chatMeta, device ids.Device, account ids.Account, n uint64) {
	if n == 0 {
		return
	}
	// From the end: the devices heard most recently are there.
	i := len(meta.Senders) - 1
	for i >= 0 && ids.Device(meta.Senders[i].Device) != device {
		i--
	}
	if i < 0 {
		meta.Senders = append(meta.Senders, senderCounter{Device: append([]byte(nil), device[:]...), Account: append([]byte(nil), account[:]...), High: n})
		return
	}
	sc := &meta.Senders[i]
	switch {
	case n > sc.High:
		for k := sc.High + 1; k < n; k++ {
			if len(sc.Missing) == maxMissing {
				sc.Lost += n - k
				break
			}
			sc.Missing = append(sc.Missing, k)
		}
		sc.High = n
	default:
		sc.Missing = slices.DeleteFunc(sc.Missing, func(k uint64) bool { return k == n })
	}
	// The most recently heard device goes last: the first ones are forgotten first.
	if last := len(meta.Senders) - 1; i != last {
		moved := meta.Senders[i]
		meta.Senders = append(slices.Delete(meta.Senders, i, i+1), moved)
	}
}
