package chat

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"hush/accountlog"
	"hush/chatcrypto"
	"hush/clock"
	"hush/identity"
	"hush/ids"
	"hush/policy"
	"hush/secretsession"
	"hush/sync/wire"
	"hush/vault"
)

// Secret chats (docs/SECURITY.md, "Secret chats"): one chat between this device and
// one device of a contact, never in a relay's chat log. Frames go from device inbox
// to device inbox (item kind 2, then the frame of package secretsession: the PQXDH
// handshake, then the Double Ratchet); the relay deletes each once the target
// device has acknowledged it. The ratchet state is sealed in the vault (one session
// per peer device, so one secret chat per pair of devices), saved in the same
// transaction as what a frame changed. Nothing of a secret chat goes to the account
// log, to the account's other devices or into backups.
//
// Inside the ratchet each frame carries one secretContent: a text (with the
// self-destruct time the sender's chat had when it was sent), a receipt (delivered,
// read), the chat's new timer, a hello that opens the chat on the other side, or a
// close that wipes it there. A text's countdown starts when it is read: the
// recipient's when the user reads it (MarkRead, which the UI calls for a chat on
// screen in a focused, unlocked window), the sender's when the read receipt comes.

// inboxSecret is the inbox item kind of a secret chat frame.
const inboxSecret byte = 2

// Vault settings of secret chats.
const (
	secretStatePrefix   = "secret/chat/" // + chat id: secretState
	secretOutboxSetting = "secret/outbox"
	// maxSecretOutbox bounds frames waiting for the relay; a send past it fails.
	maxSecretOutbox = 1000
)

// SecretTimers are the self-destruct times a secret chat offers, the first "off".
var SecretTimers = []time.Duration{0, time.Second, 5 * time.Second, 30 * time.Second, time.Minute,
	5 * time.Minute, time.Hour, 24 * time.Hour, 7 * 24 * time.Hour}

// secretState is a secret chat's own state, beside its chat row.
type secretState struct {
	_           struct{} `cbor:",toarray"`
	Version     uint8
	PeerAccount ids.Account
	PeerDevice  ids.Device
	// Timer is the self-destruct time of the messages sent now (seconds, 0 off).
	Timer uint32
	// NextSeq numbers the chat's messages on this device, in the order they were
	// sent or arrived (secret messages have no relay sequence number).
	NextSeq int64
}

const secretStateVersion = 1

// Kinds of secretContent.
const (
	secretText      uint8 = 1
	secretDelivered uint8 = 2
	secretRead      uint8 = 3
	secretTimer     uint8 = 4
	secretClose     uint8 = 5
	secretHello     uint8 = 6
)

// secretContent is what one ratchet message of a secret chat says.
type secretContent struct {
	_       struct{} `cbor:",toarray"`
	Version uint8
	Kind    uint8
	ID      ids.Message // the text's id; zero for the others
	At      int64       // when the sender made it, Unix milliseconds
	Text    string
	// TTL is a text's self-destruct time after it is read, and a timer change's
	// new time (seconds).
	TTL  uint32
	Refs []ids.Message // the texts a receipt is about
	// ReplyTo is the message of the chat a text answers (zero: none).
	ReplyTo ids.Message
	// Files are a text's attachments, as chatcrypto.EncodeAttachments encodes
	// them (a cloud text's content key 6): each file's id, key, name, type, size
	// and thumbnail. Only in version 2; nil in version 1.
	Files []byte

	// files are Files decoded (not encoded: unexported).
	files []chatcrypto.Attachment
}

// secretContentV1 is a secretContent without files: what version 1 clients read
// and write. A content without files is still sent so, so that they read every
// frame but a text with files.
type secretContentV1 struct {
	_       struct{} `cbor:",toarray"`
	Version uint8
	Kind    uint8
	ID      ids.Message
	At      int64
	Text    string
	TTL     uint32
	Refs    []ids.Message
	ReplyTo ids.Message
}

const (
	// secretContentVersion is that of a content without files: version 1.
	secretContentVersion = 1
	// secretContentFiles is that of a text with files.
	secretContentFiles = 2
	// maxSecretRefs bounds the texts one receipt names.
	maxSecretRefs = 1000
)

// encodeSecretContent encodes what one frame says: version 2 for a text with
// files, version 1 otherwise.
func encodeSecretContent(c secretContent) ([]byte, error) {
	if len(c.Files) > 0 {
		c.Version = secretContentFiles
		return stateEnc.Marshal(c)
	}
	return stateEnc.Marshal(secretContentV1{Version: secretContentVersion, Kind: c.Kind, ID: c.ID, At: c.At, Text: c.Text, TTL: c.TTL, Refs: c.Refs, ReplyTo: c.ReplyTo})
}

// secretOut is a sealed frame waiting for the relay to take it.
type secretOut struct {
	_     struct{} `cbor:",toarray"`
	Item  ids.InboxItem
	To    ids.Device
	Frame []byte
	// Msg is the text the frame carries, whose state changes once it is sent;
	// zero for frames that carry no text.
	Msg  ids.Message
	Chat ids.Chat
}

// Errors of secret chats.
var (
	// ErrSecretClosed: the secret chat was closed (on either side) or its device
	// removed; nothing more can be sent in it.
	ErrSecretClosed = errors.New("chat: this secret chat is closed")
)

// secrets is the engine part of secret chats.
type secrets struct {
	v       *vault.Vault
	link    *link
	dir     *directory
	chats   *chatStore
	list    *chatList
	prekeys *prekeys
	expiry  *expirer
	shred   *shredder
	dev     *identity.DeviceKey
	meID    ids.Account
	clk     clock.Clock
	log     *slog.Logger
	obs     Observer
	warn    func(Warning)

	// wake has run flush the frames waiting for the relay (capacity 1).
	wake chan struct{}

	mu      sync.Mutex // frames are sealed and opened one at a time: sessions change with each
	flushMu sync.Mutex // one flush at a time, in order
}

// run flushes the frames waiting for the relay each time one is queued, until ctx
// ends (the engine closes).
func (s *secrets) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
			s.flush(ctx)
		}
	}
}

func secretStateSetting(id ids.Chat) string { return secretStatePrefix + id.String() }

func (s *secrets) state(tx *vault.Tx, id ids.Chat) (secretState, error) {
	b, err := tx.Setting(secretStateSetting(id))
	if err != nil {
		return secretState{}, err
	}
	return decodeSecretState(b)
}

// decodeSecretState reads a secret chat's stored state.
func decodeSecretState(b []byte) (secretState, error) {
	var st secretState
	if err := stateDec.Unmarshal(b, &st); err != nil || st.Version != secretStateVersion || st.NextSeq < 1 {
		return secretState{}, fmt.Errorf("%w: secret chat state: %v", errBadRecord, err)
	}
	return st, nil
}

func (s *secrets) putState(tx *vault.Tx, id ids.Chat, st secretState) error {
	st.Version = secretStateVersion
	b, err := stateEnc.Marshal(st)
	if err != nil {
		return err
	}
	return tx.PutSetting(secretStateSetting(id), b)
}

// session loads the session with the chat's peer device.
func (s *secrets) session(tx *vault.Tx, st secretState) (*secretsession.Session, error) {
	b, err := tx.Session(st.PeerDevice)
	if err != nil {
		return nil, fmt.Errorf("secret session: %w", err)
	}
	defer clear(b)
	sess := new(secretsession.Session)
	if err := sess.UnmarshalBinary(b); err != nil {
		return nil, err
	}
	return sess, nil
}

func (s *secrets) putSession(tx *vault.Tx, peer ids.Device, sess *secretsession.Session) error {
	b, err := sess.MarshalBinary()
	if err != nil {
		return err
	}
	defer clear(b)
	return tx.PutSession(peer, b)
}

// chatWith returns the secret chat with a peer device, the zero id if none.
func (s *secrets) chatWith(tx *vault.Tx, peer ids.Device) (ids.Chat, error) {
	chats, err := tx.Chats()
	if err != nil {
		return ids.Chat{}, err
	}
	for _, c := range chats {
		if c.Kind != policy.KindSecret {
			continue
		}
		st, err := s.state(tx, c.ID)
		if err == nil && st.PeerDevice == peer {
			return c.ID, nil
		}
	}
	return ids.Chat{}, nil
}

// peerDevice returns the key of device of account, from the account's device list
// as held (looked up first if the device is not in it).
func (s *secrets) peerDevice(ctx context.Context, account ids.Account, device ids.Device) (identity.ListedDevice, error) {
	find := func() (identity.ListedDevice, bool, error) {
		var d identity.ListedDevice
		var ok bool
		err := s.v.View(ctx, func(tx *vault.Tx) error {
			l, _, held, err := heldList(tx, account)
			if err != nil || !held {
				return err
			}
			d, ok = l.Device(device)
			return nil
		})
		return d, ok, err
	}
	d, ok, err := find()
	if err != nil || ok {
		return d, err
	}
	if _, err := s.dir.refreshDevices(ctx, account); err != nil {
		return identity.ListedDevice{}, err
	}
	if d, ok, err = find(); err != nil {
		return identity.ListedDevice{}, err
	}
	if !ok {
		return identity.ListedDevice{}, detailf(ErrNotFound, "device %s of account %s", device, account)
	}
	return d, nil
}

// start opens a secret chat with one device of a contact, or returns the one open
// with it.
func (s *secrets) start(ctx context.Context, account ids.Account, device ids.Device) (Chat, error) {
	if account == s.meID {
		return Chat{}, detailf(ErrInvalid, "a secret chat is with someone else")
	}
	var contact vault.Contact
	err := s.v.View(ctx, func(tx *vault.Tx) error {
		var err error
		contact, err = tx.Contact(account)
		return err
	})
	if errors.Is(err, vault.ErrNotFound) || (err == nil && contact.Stranger) {
		return Chat{}, detailf(ErrNotFound, "%s is not one of your contacts", account)
	}
	if err != nil {
		return Chat{}, err
	}
	listed, err := s.peerDevice(ctx, account, device)
	if err != nil {
		return Chat{}, err
	}
	var existing ids.Chat
	if err := s.v.View(ctx, func(tx *vault.Tx) (err error) { existing, err = s.chatWith(tx, device); return err }); err != nil {
		return Chat{}, err
	}
	if !existing.IsZero() {
		return s.list.get(ctx, existing)
	}
	b, err := doAs[*wire.PrekeyBundle](ctx, s.link, &wire.FetchPrekeys{Device: device})
	if errors.Is(err, ErrNotFound) {
		return Chat{}, detailf(ErrUnreachable, "this device has not connected since it was linked; try another")
	}
	if err != nil {
		return Chat{}, err
	}
	bundle, err := bundleFrom(listed.Key, b)
	if err != nil {
		return Chat{}, fmt.Errorf("the relay's prekeys for this device do not verify: %w", err)
	}
	id := ids.New[ids.Chat]()
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, err := secretsession.Start(s.dev, listed.Key, bundle, id)
	if err != nil {
		return Chat{}, err
	}
	defer sess.Destroy()
	now := s.clk.Now()
	var sum Chat
	err = s.v.Update(ctx, func(tx *vault.Tx) error {
		c := vault.Chat{ID: id, Kind: policy.KindSecret, LastActivity: now, Members: []vault.Member{
			{AccountID: s.meID, Role: policy.RoleMember}, {AccountID: account, Role: policy.RoleMember}}}
		if err := s.chats.put(tx, c); err != nil {
			return err
		}
		st := secretState{PeerAccount: account, PeerDevice: device, NextSeq: 1}
		if err := s.line(tx, &st, id, s.meID, serviceLine{Kind: ServiceSecret}, now); err != nil {
			return err
		}
		if err := s.seal(tx, id, &st, sess, secretContent{Kind: secretHello, At: now.UnixMilli()}, ids.Message{}); err != nil {
			return err
		}
		var err error
		sum, err = s.list.summary(tx, c)
		return err
	})
	if err != nil {
		return Chat{}, err
	}
	s.obs.ChatUpdated(sum)
	kick(s.wake)
	return sum, nil
}

// line stores a service line of the chat.
func (s *secrets) line(tx *vault.Tx, st *secretState, chat ids.Chat, by ids.Account, l serviceLine, at time.Time) error {
	extra, err := encodeMessageMeta(messageMeta{Service: &l})
	if err != nil {
		return err
	}
	m := vault.Message{ID: ids.New[ids.Message](), ChatID: chat, Seq: st.NextSeq, SenderAccount: by, SentAt: at, Status: policy.StatusSent, Extra: extra}
	st.NextSeq++
	return tx.InsertMessage(m)
}

// seal seals content as the next frame of the chat, queues it, and stores the
// session and the state: one transaction, so a frame is never sealed twice
// under one key nor lost.
func (s *secrets) seal(tx *vault.Tx, chat ids.Chat, st *secretState, sess *secretsession.Session, content secretContent, msg ids.Message) error {
	pt, err := encodeSecretContent(content)
	if err != nil {
		return err
	}
	frame, err := sess.Seal(pt)
	clear(pt)
	if errors.Is(err, secretsession.ErrTooLarge) {
		return detailf(ErrTooLong, "the message is too long to send")
	}
	if err != nil {
		return err
	}
	if len(frame)+1 > wire.MaxCiphertextSize {
		// The relay would refuse it for good, and the frames after it would wait
		// behind it: refuse it here (a long text with many files' previews).
		return detailf(ErrTooLong, "the message is too long to send (%d bytes sealed, the limit is %d)", len(frame)+1, wire.MaxCiphertextSize)
	}
	out, err := settingList[secretOut](tx, secretOutboxSetting)
	if err != nil {
		return err
	}
	if len(out) >= maxSecretOutbox {
		return detailf(ErrRateLimited, "too many secret messages wait for the relay")
	}
	out = append(out, secretOut{Item: ids.New[ids.InboxItem](), To: st.PeerDevice, Frame: frame, Msg: msg, Chat: chat})
	if err := putSettingList(tx, secretOutboxSetting, out); err != nil {
		return err
	}
	if err := s.putSession(tx, st.PeerDevice, sess); err != nil {
		return err
	}
	return s.putState(tx, chat, *st)
}

// withSession runs fn with the chat's state and session in one write transaction,
// storing what fn changed.
func (s *secrets) withSession(ctx context.Context, chat ids.Chat, fn func(tx *vault.Tx, c vault.Chat, st *secretState, sess *secretsession.Session) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.v.Update(ctx, func(tx *vault.Tx) error {
		c, err := tx.Chat(chat)
		if err != nil {
			return notFound(err, "chat", chat)
		}
		if c.Kind != policy.KindSecret {
			return detailf(ErrInvalid, "not a secret chat")
		}
		st, err := s.state(tx, chat)
		if errors.Is(err, vault.ErrNotFound) {
			return ErrSecretClosed
		}
		if err != nil {
			return err
		}
		sess, err := s.session(tx, st)
		if errors.Is(err, vault.ErrNotFound) {
			return ErrSecretClosed
		}
		if err != nil {
			return err
		}
		defer sess.Destroy()
		return fn(tx, c, &st, sess)
	})
}

// send writes a text in a secret chat, with files (uploaded already; body may
// then be empty): their keys travel inside the ratchet, never in a relay's log.
func (s *secrets) send(ctx context.Context, chat ids.Chat, body string, replyTo *ids.Message, files []vault.Attachment) (Message, error) {
	if len(files) == 0 || body != "" {
		if err := checkBody(body, "message"); err != nil {
			return Message{}, err
		}
	}
	attached, err := toContentAttachments(files)
	if err != nil {
		return Message{}, err
	}
	encFiles, err := chatcrypto.EncodeAttachments(attached)
	if err != nil {
		return Message{}, err
	}
	now := s.clk.Now()
	var out Message
	var sum Chat
	err = s.withSession(ctx, chat, func(tx *vault.Tx, c vault.Chat, st *secretState, sess *secretsession.Session) error {
		extra, err := encodeMessageMeta(messageMeta{TTL: st.Timer, Placeholder: placeholderFor(body), Files: uint8(len(files))})
		if err != nil {
			return err
		}
		m := vault.Message{ID: ids.New[ids.Message](), ChatID: chat, SenderAccount: s.meID, SenderDevice: s.dev.ID(),
			SentAt: now, Body: body, Status: policy.StatusPending, Extra: extra}
		content := secretContent{Kind: secretText, ID: m.ID, At: now.UnixMilli(), Text: body, TTL: st.Timer, Files: encFiles}
		if replyTo != nil {
			r, err := tx.Message(*replyTo)
			if err != nil || r.ChatID != chat {
				return detailf(ErrInvalid, "the message replied to is not in this chat")
			}
			m.ReplyTo, content.ReplyTo = replyTo, *replyTo
		}
		if err := tx.InsertMessage(m); err != nil {
			return err
		}
		for _, f := range files {
			f.MessageID = m.ID
			if err := tx.PutAttachment(f); err != nil {
				return err
			}
		}
		if err := s.seal(tx, chat, st, sess, content, m.ID); err != nil {
			return err
		}
		c.LastActivity = now
		if err := s.chats.update(tx, c); err != nil {
			return err
		}
		meta, err := decodeMeta(c.Extra)
		if err != nil {
			return err
		}
		out = s.list.secretMessage(tx, m, &meta, nameCache{})
		sum, err = s.list.summaryWith(tx, c, &m, nameCache{})
		return err
	})
	if err != nil {
		return Message{}, err
	}
	s.obs.ChatUpdated(sum)
	kick(s.wake)
	return out, nil
}

// setTimer changes the chat's self-destruct time for the messages sent from now
// on; both sides show a line.
func (s *secrets) setTimer(ctx context.Context, chat ids.Chat, d time.Duration) (Chat, error) {
	if !slices.Contains(SecretTimers, d) {
		return Chat{}, detailf(ErrInvalid, "a self-destruct time of %v is not offered", d)
	}
	now := s.clk.Now()
	var sum Chat
	var line Message
	err := s.withSession(ctx, chat, func(tx *vault.Tx, c vault.Chat, st *secretState, sess *secretsession.Session) error {
		st.Timer = uint32(d / time.Second)
		seq := st.NextSeq
		if err := s.line(tx, st, chat, s.meID, serviceLine{Kind: ServiceTimer, Count: uint64(st.Timer)}, now); err != nil {
			return err
		}
		if err := s.seal(tx, chat, st, sess, secretContent{Kind: secretTimer, At: now.UnixMilli(), TTL: st.Timer}, ids.Message{}); err != nil {
			return err
		}
		var err error
		if line, err = s.lineAt(tx, c, seq); err != nil {
			return err
		}
		sum, err = s.list.summary(tx, c)
		return err
	})
	if err != nil {
		return Chat{}, err
	}
	s.obs.MessageNew(line)
	s.obs.ChatUpdated(sum)
	kick(s.wake)
	return sum, nil
}

// lineAt describes the newest message of c, the line just stored at seq.
func (s *secrets) lineAt(tx *vault.Tx, c vault.Chat, seq int64) (Message, error) {
	page, _, err := tx.Messages(c.ID, vault.PageCursor{}, 1)
	if err != nil || len(page) == 0 || page[0].Seq != seq {
		return Message{}, fmt.Errorf("secret chat line: %w", err)
	}
	meta, err := decodeMeta(c.Extra)
	if err != nil {
		return Message{}, err
	}
	return s.list.secretMessage(tx, page[0], &meta, nameCache{}), nil
}

// markRead marks what arrived in a secret chat as read: the countdown of each
// message with a self-destruct time starts, and the sender is told.
func (s *secrets) markRead(ctx context.Context, chat ids.Chat) error {
	now := s.clk.Now()
	var sum Chat
	var started []StatusChange
	err := s.withSession(ctx, chat, func(tx *vault.Tx, c vault.Chat, st *secretState, sess *secretsession.Session) error {
		meta, err := decodeMeta(c.Extra)
		if err != nil {
			return err
		}
		var refs []ids.Message
		var cur vault.PageCursor
		for done := false; !done; {
			page, next, err := tx.Messages(chat, cur, vault.MaxPageSize)
			if err != nil {
				return err
			}
			for _, m := range page {
				if m.Seq != 0 && uint64(m.Seq) <= meta.MyRead {
					done = true
					break
				}
				em := metaOf(m)
				if m.SenderAccount == s.meID || em.Service != nil {
					continue
				}
				refs = append(refs, m.ID)
				if em.TTL > 0 && em.ExpiresAt == 0 {
					at := now.Add(time.Duration(em.TTL) * time.Second)
					if err := s.startCountdown(tx, &m, em, at); err != nil {
						return err
					}
					started = append(started, StatusChange{Chat: chat, Message: m.ID, Status: policy.StatusRead, Seq: m.Seq, ExpiresAt: at})
				}
			}
			if len(page) < vault.MaxPageSize {
				done = true
			}
			cur = next
		}
		meta.MyRead = uint64(st.NextSeq - 1)
		meta.MyDelivered = meta.MyRead
		c.Unread = 0
		if c.Extra, err = encodeMeta(meta); err != nil {
			return err
		}
		if err := s.chats.update(tx, c); err != nil {
			return err
		}
		for len(refs) > 0 {
			n := min(len(refs), maxSecretRefs)
			if err := s.seal(tx, chat, st, sess, secretContent{Kind: secretRead, At: now.UnixMilli(), Refs: refs[:n]}, ids.Message{}); err != nil {
				return err
			}
			refs = refs[n:]
		}
		sum, err = s.list.summary(tx, c)
		return err
	})
	if err != nil {
		return err
	}
	for _, c := range started {
		s.obs.MessageStatus(c)
	}
	s.obs.ChatUpdated(sum)
	if len(started) > 0 {
		s.expiry.wake()
	}
	kick(s.wake)
	return nil
}

// startCountdown sets a message's self-destruct time: kept with it (for the UI)
// and as a vault timer (for the sweep).
func (s *secrets) startCountdown(tx *vault.Tx, m *vault.Message, em messageMeta, at time.Time) error {
	em.ExpiresAt = at.UnixMilli()
	extra, err := encodeMessageMeta(em)
	if err != nil {
		return err
	}
	m.Extra = extra
	if err := tx.UpdateMessage(*m); err != nil {
		return err
	}
	return tx.PutTimer(m.ID, at)
}

// close closes a secret chat: the other device is told to wipe it, and it is wiped
// here at once.
func (s *secrets) close(ctx context.Context, chat ids.Chat) error {
	now := s.clk.Now()
	var files doomedFiles
	err := s.withSession(ctx, chat, func(tx *vault.Tx, c vault.Chat, st *secretState, sess *secretsession.Session) error {
		files = doomedFiles{}
		if err := s.seal(tx, chat, st, sess, secretContent{Kind: secretClose, At: now.UnixMilli()}, ids.Message{}); err != nil {
			return err
		}
		return s.wipe(tx, chat, st.PeerDevice, true, &files)
	})
	if errors.Is(err, ErrSecretClosed) {
		err = s.v.Update(ctx, func(tx *vault.Tx) error {
			files = doomedFiles{}
			return s.wipe(tx, chat, ids.Device{}, true, &files)
		})
	}
	if err != nil {
		return err
	}
	s.shred.shred(ctx, files)
	s.obs.ChatRemoved(chat)
	kick(s.wake)
	return nil
}

// wipe deletes a secret chat with everything of it: messages (with their timers
// and attachment keys), session, state and, unless keepOutbox (the close frame
// still has to go), frames waiting for the relay. The messages' files go into
// files, for the caller to shred once the transaction commits. The vault
// checkpoints its WAL after the commit (secure_delete zeroed the freed cells).
func (s *secrets) wipe(tx *vault.Tx, chat ids.Chat, peer ids.Device, keepOutbox bool, files *doomedFiles) error {
	if err := files.addChat(tx, chat, true, s.meID); err != nil {
		return err
	}
	if err := s.chats.delete(tx, chat); err != nil && !errors.Is(err, vault.ErrNotFound) {
		return err
	}
	if !peer.IsZero() {
		if err := tx.DeleteSession(peer); err != nil && !errors.Is(err, vault.ErrNotFound) {
			return err
		}
	}
	if err := tx.DeleteSetting(secretStateSetting(chat)); err != nil && !errors.Is(err, vault.ErrNotFound) {
		return err
	}
	out, err := settingList[secretOut](tx, secretOutboxSetting)
	if err != nil {
		return err
	}
	kept := out[:0]
	for _, o := range out {
		if o.Chat != chat || (keepOutbox && o.Msg.IsZero()) {
			kept = append(kept, o)
		}
	}
	return putSettingList(tx, secretOutboxSetting, kept)
}

// safetyNumber is the number the two devices of a secret chat compare.
func (s *secrets) safetyNumber(ctx context.Context, chat ids.Chat) (SafetyNumber, error) {
	var sn identity.SafetyNumber
	err := s.v.View(ctx, func(tx *vault.Tx) error {
		st, err := s.state(tx, chat)
		if err != nil {
			return notFound(err, "secret chat", chat)
		}
		sess, err := s.session(tx, st)
		if err != nil {
			return err
		}
		defer sess.Destroy()
		sn, err = sess.SafetyNumber()
		return err
	})
	if err != nil {
		return SafetyNumber{}, err
	}
	return SafetyNumber{Digits: sn.Digits, Emoji: sn.Emoji}, nil
}

// flush hands the relay the frames waiting for it, in order. A frame the relay
// refuses for good (the device is gone) fails its text; the others wait for the
// next connection.
func (s *secrets) flush(ctx context.Context) {
	s.flushMu.Lock()
	defer s.flushMu.Unlock()
	for {
		var out []secretOut
		if err := s.v.View(ctx, func(tx *vault.Tx) (err error) {
			out, err = settingList[secretOut](tx, secretOutboxSetting)
			return err
		}); err != nil || len(out) == 0 {
			return
		}
		o := out[0]
		item := append([]byte{inboxSecret}, o.Frame...)
		_, err := doAs[*wire.OK](ctx, s.link, &wire.InboxSend{ToDevice: o.To, ItemID: o.Item, Ciphertext: item})
		gone := errors.Is(err, ErrNotFound)
		if err != nil && !gone {
			s.log.Info("secret chat: frame waits for the relay", "err", err)
			return
		}
		var change *StatusChange
		if err := s.v.Update(ctx, func(tx *vault.Tx) error {
			change = nil
			out, err := settingList[secretOut](tx, secretOutboxSetting)
			if err != nil {
				return err
			}
			out = slices.DeleteFunc(out, func(x secretOut) bool { return x.Item == o.Item })
			if err := putSettingList(tx, secretOutboxSetting, out); err != nil {
				return err
			}
			if o.Msg.IsZero() {
				return nil
			}
			change, err = s.sent(tx, o, gone)
			return err
		}); err != nil {
			s.log.Warn("secret chat: record a sent frame", "err", err)
			return
		}
		if change != nil {
			s.obs.MessageStatus(*change)
		}
	}
}

// sent records that the relay took (or, gone, refused for good) a text's frame:
// the text gets its place in the chat.
func (s *secrets) sent(tx *vault.Tx, o secretOut, gone bool) (*StatusChange, error) {
	m, err := tx.Message(o.Msg)
	if errors.Is(err, vault.ErrNotFound) {
		return nil, nil // expired or wiped meanwhile
	}
	if err != nil {
		return nil, err
	}
	if gone {
		m.Status = policy.StatusFailed
		if err := tx.UpdateMessage(m); err != nil {
			return nil, err
		}
		return &StatusChange{Chat: o.Chat, Message: m.ID, Status: policy.StatusFailed}, nil
	}
	st, err := s.state(tx, o.Chat)
	if err != nil {
		return nil, nil // the chat was closed meanwhile
	}
	seq := st.NextSeq
	st.NextSeq++
	if err := tx.SetMessageSeq(m.ID, seq); err != nil {
		return nil, err
	}
	if err := s.putState(tx, o.Chat, st); err != nil {
		return nil, err
	}
	return &StatusChange{Chat: o.Chat, Message: m.ID, Status: policy.StatusSent, Seq: seq}, nil
}

// isSecret reports whether chat is a secret chat held here.
func (e *Engine) isSecret(ctx context.Context, chat ids.Chat) bool {
	secret := false
	_ = e.dir.v.View(ctx, func(tx *vault.Tx) error {
		c, err := tx.Chat(chat)
		secret = err == nil && c.Kind == policy.KindSecret
		return nil
	})
	return secret
}

// publishChat publishes a record about a chat to the account log, unless the chat
// is a secret one: those stay on this device.
func (e *Engine) publishChat(ctx context.Context, r accountlog.Record) {
	if !e.isSecret(ctx, ids.Chat(r.Target)) {
		e.acct.publish(ctx, r)
	}
}

// StartSecret opens a secret chat with one device of a contact (from its signed
// device list), or returns the one already open with that device.
func (e *Engine) StartSecret(ctx context.Context, account ids.Account, device ids.Device) (Chat, error) {
	return e.secrets.start(ctx, account, device)
}

// SetSecretTimer sets a secret chat's self-destruct time for the messages sent from
// now on (one of SecretTimers); both sides show a line.
func (e *Engine) SetSecretTimer(ctx context.Context, chat ids.Chat, d time.Duration) (Chat, error) {
	return e.secrets.setTimer(ctx, chat, d)
}

// SecretSafetyNumber is the number the two devices of a secret chat compare.
func (e *Engine) SecretSafetyNumber(ctx context.Context, chat ids.Chat) (SafetyNumber, error) {
	return e.secrets.safetyNumber(ctx, chat)
}

// ContactDevices lists a contact's devices as its signed device list names them,
// the most recently active first (LastSeen: when the newest message this device
// holds from it was sent; zero when none), then the most recently linked: the
// devices a secret chat can be opened with.
func (e *Engine) ContactDevices(ctx context.Context, account ids.Account) ([]OwnDevice, error) {
	if _, err := e.dir.refreshDevices(ctx, account); err != nil {
		e.log.Info("look up a contact's devices", "account", account.String(), "err", err)
	}
	var out []OwnDevice
	err := e.dir.v.View(ctx, func(tx *vault.Tx) error {
		l, _, held, err := heldList(tx, account)
		if err != nil || !held {
			return err
		}
		for _, d := range l.Devices {
			out = append(out, OwnDevice{ID: d.ID(), Name: d.Name, Platform: d.Platform, LinkedAt: d.LinkedAt})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, detailf(ErrNotFound, "no devices known for %s", account)
	}
	// The most recently active first. The relay tells no one else when a device
	// was last seen; what this device knows is when each wrote last, from the
	// newest messages of the chats it shares with the account.
	last, err := e.lastWritten(ctx, account)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].LastSeen = last[out[i].ID]
	}
	slices.SortStableFunc(out, func(a, b OwnDevice) int {
		if c := b.LastSeen.Compare(a.LastSeen); c != 0 {
			return c
		}
		return b.LinkedAt.Compare(a.LinkedAt)
	})
	return out, nil
}

// lastWritten returns, per device of account, when its newest message this device
// holds was sent, from the newest page of each chat the two accounts share.
func (e *Engine) lastWritten(ctx context.Context, account ids.Account) (map[ids.Device]time.Time, error) {
	last := map[ids.Device]time.Time{}
	err := e.dir.v.View(ctx, func(tx *vault.Tx) error {
		chats, err := tx.Chats()
		if err != nil {
			return err
		}
		for _, c := range chats {
			if roleOf(&c, account) == 0 {
				continue
			}
			page, _, err := tx.Messages(c.ID, vault.PageCursor{}, maxPageSize)
			if err != nil {
				return err
			}
			for _, m := range page {
				if m.SenderAccount == account && m.SentAt.After(last[m.SenderDevice]) {
					last[m.SenderDevice] = m.SentAt
				}
			}
		}
		return nil
	})
	return last, err
}
