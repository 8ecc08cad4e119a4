package chat

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"hush/chatcrypto"
	"hush/ids"
	"hush/policy"
	"hush/pqxdh"
	"hush/secretsession"
	"hush/sync/wire"
	"hush/vault"
)

// secretEvents is what opening one frame has to tell the observer, after commit.
type secretEvents struct {
	news     []Message
	statuses []StatusChange
	summary  *Chat
	removed  ids.Chat
	files    doomedFiles // of a chat wiped, to shred
	timers   bool        // a countdown started: the sweep must look again
	reply    bool        // a receipt was queued: flush
}

func (ev *secretEvents) emit(ctx context.Context, s *secrets) {
	s.shred.shred(ctx, ev.files)
	for _, m := range ev.news {
		s.obs.MessageNew(m)
	}
	for _, c := range ev.statuses {
		s.obs.MessageStatus(c)
	}
	if ev.summary != nil {
		s.obs.ChatUpdated(*ev.summary)
	}
	if !ev.removed.IsZero() {
		s.obs.ChatRemoved(ev.removed)
	}
	if ev.timers {
		s.expiry.wake()
	}
}

// receive opens a frame from this device's inbox. It reports whether the item is
// done with (to acknowledge): false only when the vault failed and it may open
// later.
func (s *secrets) receive(ctx context.Context, it wire.InboxItem, frame []byte) bool {
	info, err := secretsession.ReadFrameInfo(frame)
	if err != nil || info.To != s.dev.ID() || info.From != it.FromDevice {
		s.log.Warn("secret chat: a malformed or misrouted frame dropped", "from", it.FromDevice.String(), "err", err)
		return true
	}
	var exists bool
	if err := s.v.View(ctx, func(tx *vault.Tx) error {
		_, err := s.state(tx, info.Chat)
		exists = err == nil
		if errors.Is(err, vault.ErrNotFound) {
			return nil
		}
		return err
	}); err != nil {
		return false
	}
	var ev secretEvents
	if exists {
		err = s.withSession(ctx, info.Chat, func(tx *vault.Tx, c vault.Chat, st *secretState, sess *secretsession.Session) error {
			if st.PeerDevice != info.From {
				return secretsession.ErrWrongPeer
			}
			pt, err := sess.Open(frame)
			if err != nil {
				return err
			}
			defer clear(pt)
			if err := s.putSession(tx, st.PeerDevice, sess); err != nil {
				return err
			}
			wiped, err := s.apply(tx, c, st, sess, pt, &ev)
			if err != nil || wiped {
				return err
			}
			return s.putState(tx, c.ID, *st)
		})
	} else {
		err = s.accept(ctx, it, info, frame, &ev)
	}
	switch {
	case err == nil:
	case errors.Is(err, secretsession.ErrReplay):
		return true // delivered once already
	case errors.Is(err, errSecretDropped), errors.Is(err, ErrSecretClosed),
		errors.Is(err, secretsession.ErrMalformed), errors.Is(err, secretsession.ErrDecrypt),
		errors.Is(err, secretsession.ErrWrongPeer), errors.Is(err, secretsession.ErrWrongChat),
		errors.Is(err, secretsession.ErrOtherSession), errors.Is(err, secretsession.ErrNoSession),
		errors.Is(err, secretsession.ErrTooManySkipped), errors.Is(err, errBadRecord),
		errors.Is(err, pqxdh.ErrUnknownPrekey), errors.Is(err, pqxdh.ErrPrekeyUsed):
		s.log.Warn("secret chat: a frame that does not open dropped", "chat", info.Chat.String(), "from", it.FromDevice.String(), "err", err)
		return true
	default:
		s.log.Warn("secret chat: keep a frame", "err", err)
		return false
	}
	ev.emit(ctx, s)
	if ev.reply {
		kick(s.wake)
	}
	return true
}

// errSecretDropped refuses a frame that must not start a chat.
var errSecretDropped = errors.New("chat: secret frame dropped")

// accept starts a secret chat another device opened with this one: only a contact
// may (a stranger's frame is dropped), from a device its signed list names, with
// this device's prekeys.
func (s *secrets) accept(ctx context.Context, it wire.InboxItem, info secretsession.FrameInfo, frame []byte, ev *secretEvents) error {
	if !info.Initial {
		return errSecretDropped // of a chat closed here, or lost
	}
	var contact vault.Contact
	err := s.v.View(ctx, func(tx *vault.Tx) (err error) { contact, err = tx.Contact(it.FromAccount); return err })
	if errors.Is(err, vault.ErrNotFound) || (err == nil && contact.Stranger) {
		s.warn(Warning{Kind: WarnSecretFromStranger, Account: it.FromAccount})
		return errSecretDropped
	}
	if err != nil {
		return err
	}
	listed, err := s.peerDevice(ctx, it.FromAccount, info.From)
	if errors.Is(err, ErrNotFound) {
		return errSecretDropped
	}
	if err != nil {
		return err
	}
	s.prekeys.mu.Lock()
	defer s.prekeys.mu.Unlock()
	store, err := s.prekeys.load(ctx)
	if err != nil {
		return err
	}
	if store == nil {
		return errSecretDropped
	}
	defer store.Destroy()
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, pt, err := secretsession.Accept(s.dev, store, frame)
	if err != nil {
		return err
	}
	defer sess.Destroy()
	defer clear(pt)
	if !sess.Peer().Equal(listed.Key) {
		return secretsession.ErrWrongPeer
	}
	enc, err := pqxdh.EncodeStore(store)
	if err != nil {
		return err
	}
	defer clear(enc)
	now := s.clk.Now()
	return s.v.Update(ctx, func(tx *vault.Tx) error {
		if err := tx.PutSetting(prekeySetting, enc); err != nil {
			return err
		}
		// One secret chat per pair of devices: a new one from the same device
		// replaces the one held (its device started over).
		if old, err := s.chatWith(tx, info.From); err != nil {
			return err
		} else if !old.IsZero() {
			ev.files = doomedFiles{}
			if err := s.wipe(tx, old, info.From, false, &ev.files); err != nil {
				return err
			}
			ev.removed = old
		}
		c := vault.Chat{ID: info.Chat, Kind: policy.KindSecret, LastActivity: now, Members: []vault.Member{
			{AccountID: s.meID, Role: policy.RoleMember}, {AccountID: it.FromAccount, Role: policy.RoleMember}}}
		if err := s.chats.put(tx, c); err != nil {
			return err
		}
		st := secretState{PeerAccount: it.FromAccount, PeerDevice: info.From, NextSeq: 1}
		if err := s.line(tx, &st, c.ID, it.FromAccount, serviceLine{Kind: ServiceSecret}, now); err != nil {
			return err
		}
		if err := s.putSession(tx, info.From, sess); err != nil {
			return err
		}
		wiped, err := s.apply(tx, c, &st, sess, pt, ev)
		if err != nil || wiped {
			return err
		}
		return s.putState(tx, c.ID, st)
	})
}

// apply takes one opened content into the chat; the caller stores the state after
// it, unless it wiped the chat (a close).
func (s *secrets) apply(tx *vault.Tx, c vault.Chat, st *secretState, sess *secretsession.Session, pt []byte, ev *secretEvents) (wiped bool, err error) {
	content, err := decodeSecretContent(pt)
	if err != nil {
		return false, err
	}
	now := s.clk.Now()
	meta, err := decodeMeta(c.Extra)
	if err != nil {
		return false, err
	}
	switch content.Kind {
	case secretHello:
	case secretText:
		if content.ID.IsZero() || (len(content.files) == 0 || content.Text != "") && checkBody(content.Text, "message") != nil {
			return false, errBadRecord
		}
		if _, err := tx.Message(content.ID); err == nil {
			return false, nil // the same text again: it opened before
		}
		extra, err := encodeMessageMeta(messageMeta{TTL: content.TTL, Placeholder: placeholderFor(content.Text), Files: uint8(len(content.files))})
		if err != nil {
			return false, err
		}
		m := vault.Message{ID: content.ID, ChatID: c.ID, Seq: st.NextSeq, SenderAccount: st.PeerAccount, SenderDevice: st.PeerDevice,
			SentAt: time.UnixMilli(content.At), Body: content.Text, Status: policy.StatusDelivered, Extra: extra}
		if !content.ReplyTo.IsZero() {
			if r, err := tx.Message(content.ReplyTo); err == nil && r.ChatID == c.ID {
				m.ReplyTo = &content.ReplyTo // only to a message of this chat still here
			}
		}
		st.NextSeq++
		if err := tx.InsertMessage(m); err != nil {
			return false, err
		}
		// Guarded: a peer cannot re-point a file of another message to a key of
		// its own, nor take it into this chat's wipe.
		if err := storeFiles(tx, m.ID, content.files, true); err != nil {
			return false, err
		}
		c.Unread++
		c.LastActivity = now
		ev.news = append(ev.news, s.list.secretMessage(tx, m, &meta, nameCache{}))
		if err := s.seal(tx, c.ID, st, sess, secretContent{Kind: secretDelivered, At: now.UnixMilli(), Refs: []ids.Message{m.ID}}, ids.Message{}); err != nil {
			return false, err
		}
		ev.reply = true
	case secretDelivered, secretRead:
		for _, id := range content.Refs {
			m, err := tx.Message(id)
			if err != nil || m.ChatID != c.ID || m.SenderAccount != s.meID || m.Seq == 0 {
				continue // expired meanwhile, or not ours
			}
			status := policy.StatusDelivered
			meta.PeerDelivered = max(meta.PeerDelivered, uint64(m.Seq))
			change := StatusChange{Chat: c.ID, Message: m.ID, Seq: m.Seq}
			if content.Kind == secretRead {
				status = policy.StatusRead
				meta.PeerRead = max(meta.PeerRead, uint64(m.Seq))
				if em := metaOf(m); em.TTL > 0 && em.ExpiresAt == 0 {
					change.ExpiresAt = now.Add(time.Duration(em.TTL) * time.Second)
					if err := s.startCountdown(tx, &m, em, change.ExpiresAt); err != nil {
						return false, err
					}
					ev.timers = true
				}
			}
			change.Status = status
			ev.statuses = append(ev.statuses, change)
		}
		if c.Extra, err = encodeMeta(meta); err != nil {
			return false, err
		}
	case secretTimer:
		if !slices.Contains(SecretTimers, time.Duration(content.TTL)*time.Second) {
			return false, errBadRecord
		}
		st.Timer = content.TTL
		seq := st.NextSeq
		if err := s.line(tx, st, c.ID, st.PeerAccount, serviceLine{Kind: ServiceTimer, Count: uint64(content.TTL)}, time.UnixMilli(content.At)); err != nil {
			return false, err
		}
		c.LastActivity = now
		if err := s.chats.update(tx, c); err != nil {
			return false, err
		}
		line, err := s.lineAt(tx, c, seq)
		if err != nil {
			return false, err
		}
		ev.news = append(ev.news, line)
	case secretClose:
		ev.files = doomedFiles{}
		if err := s.wipe(tx, c.ID, st.PeerDevice, false, &ev.files); err != nil {
			return false, err
		}
		ev.removed = c.ID
		return true, nil
	default:
		return false, errBadRecord
	}
	if err := s.chats.update(tx, c); err != nil {
		return false, err
	}
	// The summary reads the state: store it first (the caller stores it again).
	if err := s.putState(tx, c.ID, *st); err != nil {
		return false, err
	}
	sum, err := s.list.summary(tx, c)
	if err != nil {
		return false, err
	}
	ev.summary = &sum
	return false, nil
}

// decodeSecretContent reads what a frame of a secret chat says; anything the
// sending code does not write is errBadRecord.
func decodeSecretContent(pt []byte) (secretContent, error) {
	var c secretContent
	if err := stateDec.Unmarshal(pt, &c); err != nil {
		var v1 secretContentV1
		if stateDec.Unmarshal(pt, &v1) != nil {
			return secretContent{}, fmt.Errorf("%w: secret content: %v", errBadRecord, err)
		}
		if v1.Version != secretContentVersion || len(v1.Refs) > maxSecretRefs || v1.Kind < secretText || v1.Kind > secretHello {
			return secretContent{}, fmt.Errorf("%w: secret content version %d, kind %d, %d refs", errBadRecord, v1.Version, v1.Kind, len(v1.Refs))
		}
		return secretContent{Version: v1.Version, Kind: v1.Kind, ID: v1.ID, At: v1.At, Text: v1.Text, TTL: v1.TTL, Refs: v1.Refs, ReplyTo: v1.ReplyTo}, nil
	}
	if c.Version != secretContentFiles || len(c.Refs) > maxSecretRefs || c.Kind != secretText {
		return secretContent{}, fmt.Errorf("%w: secret content version %d, kind %d, %d refs", errBadRecord, c.Version, c.Kind, len(c.Refs))
	}
	files, err := chatcrypto.DecodeAttachments(c.Files)
	if err != nil || len(files) == 0 {
		return secretContent{}, fmt.Errorf("%w: secret text's files: %v", errBadRecord, err)
	}
	c.files = files
	return c, nil
}
