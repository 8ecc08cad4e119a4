package vault

import (
	"database/sql"
	"fmt"
	"time"

	"hush/ids"
)

func validateMessage(m Message) error {
	if err := requireID("message id", m.ID); err != nil {
		return err
	}
	if err := requireID("message chat id", m.ChatID); err != nil {
		return err
	}
	if m.Seq < 0 {
		return fmt.Errorf("%w: sequence number %d", ErrInvalid, m.Seq)
	}
	if !m.Status.Valid() {
		return fmt.Errorf("%w: message status %d", ErrInvalid, m.Status)
	}
	if m.ReplyTo != nil && m.ReplyTo.IsZero() {
		return fmt.Errorf("%w: reply to the zero id", ErrInvalid)
	}
	return checkText("message body", m.Body)
}

func (tx *Tx) sealMessage(m Message) ([]byte, error) {
	r := &messageRecord{
		SenderAccount: idBytes(m.SenderAccount),
		SenderDevice:  idBytes(m.SenderDevice),
		SentAt:        micros(m.SentAt),
		Body:          m.Body,
		Status:        m.Status,
		EditedAt:      micros(m.EditedAt),
		Extra:         m.Extra,
		ChatID:        m.ChatID,
	}
	if m.ReplyTo != nil {
		r.ReplyTo = m.ReplyTo[:]
	}
	return tx.seal(tableMessages, m.ID[:], r)
}

// InsertMessage stores a new message. It is idempotent on m.ID: if a
// message with that id exists (a redelivery), it returns ErrExists and
// changes nothing. The chat must exist (else ErrNotFound).
func (tx *Tx) InsertMessage(m Message) error {
	if err := tx.begin(true); err != nil {
		return err
	}
	if err := validateMessage(m); err != nil {
		return err
	}
	blob, err := tx.sealMessage(m)
	if err != nil {
		return wrap("insert message", err)
	}
	res, err := tx.exec(`INSERT INTO messages (id, chat_tag, seq, data) VALUES (?1, ?2, ?3, ?4)
		ON CONFLICT (id) DO NOTHING`, m.ID[:], tx.chatTag(m.ChatID), m.Seq, blob)
	if err != nil {
		return wrap("insert message", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return fmt.Errorf("vault: message %s: %w", m.ID, ErrExists)
	}
	tx.record(Change{Kind: ChangeMessagePut, Message: m})
	return nil
}

// UpdateMessage replaces a stored message's sealed fields and sequence
// number (an edit, a status change). The chat cannot change; a message
// that does not exist in m.ChatID is ErrNotFound.
func (tx *Tx) UpdateMessage(m Message) error {
	if err := tx.begin(true); err != nil {
		return err
	}
	if err := validateMessage(m); err != nil {
		return err
	}
	blob, err := tx.sealMessage(m)
	if err != nil {
		return wrap("update message", err)
	}
	err = tx.execOne(`UPDATE messages SET seq = ?3, data = ?4 WHERE id = ?1 AND chat_tag = ?2`,
		m.ID[:], tx.chatTag(m.ChatID), m.Seq, blob)
	if err != nil {
		return wrap("update message "+m.ID.String(), err)
	}
	tx.record(Change{Kind: ChangeMessagePut, Message: m})
	return nil
}

// SetMessageSeq records the relay's sequence number for a message once the
// relay has accepted it; the message moves from the pending tail into
// sequence order.
func (tx *Tx) SetMessageSeq(id ids.Message, seq int64) error {
	if err := tx.begin(true); err != nil {
		return err
	}
	if seq < 0 {
		return fmt.Errorf("%w: sequence number %d", ErrInvalid, seq)
	}
	return wrap("set message seq "+id.String(), tx.execOne(`UPDATE messages SET seq = ?2 WHERE id = ?1`, id[:], seq))
}

// Message returns one message, or ErrNotFound.
func (tx *Tx) Message(id ids.Message) (Message, error) {
	if err := tx.begin(false); err != nil {
		return Message{}, err
	}
	var chatTag, blob []byte
	var seq int64
	err := tx.queryRow(`SELECT chat_tag, seq, data FROM messages WHERE id = ?1`, id[:]).Scan(&chatTag, &seq, &blob)
	if notFound(err) {
		return Message{}, fmt.Errorf("vault: message %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return Message{}, wrap("message", err)
	}
	m, err := tx.message(id, seq, blob)
	if err != nil {
		return Message{}, err
	}
	if !sameTag(chatTag, tx.chatTag(m.ChatID)) {
		return Message{}, fmt.Errorf("vault: message %s: %w: stored under another chat", id, ErrCorrupt)
	}
	return m, nil
}

// message opens a message row. The chat comes from the sealed record; the
// caller checks it against the row's clear chat tag (or the chat it asked
// for), which the blob's associated data does not bind.
func (tx *Tx) message(id ids.Message, seq int64, blob []byte) (Message, error) {
	r, err := openRecord[messageRecord](tx, tableMessages, id[:], blob)
	if err != nil {
		return Message{}, wrap("message", err)
	}
	chatID, err := sealedID[ids.Chat]("message chat", r.ChatID)
	if err != nil {
		return Message{}, wrap("message", err)
	}
	m := Message{
		ID:            id,
		ChatID:        chatID,
		Seq:           seq,
		SenderAccount: idOf[ids.Account](r.SenderAccount),
		SenderDevice:  idOf[ids.Device](r.SenderDevice),
		SentAt:        fromMicros(r.SentAt),
		Body:          r.Body,
		Status:        r.Status,
		EditedAt:      fromMicros(r.EditedAt),
		Extra:         r.Extra,
	}
	if r.ReplyTo != nil {
		reply := idOf[ids.Message](r.ReplyTo)
		m.ReplyTo = &reply
	}
	return m, nil
}

// DeleteMessage wipes a message together with its attachments' keys, its
// timer and its search tokens. After the commit the WAL is checkpointed
// and truncated (see Update). The attachment files themselves are the
// caller's to delete; read them with AttachmentsOf first.
func (tx *Tx) DeleteMessage(id ids.Message) error {
	if err := tx.begin(true); err != nil {
		return err
	}
	if err := tx.execOne(`DELETE FROM messages WHERE id = ?1`, id[:]); err != nil {
		return wrap("delete message "+id.String(), err)
	}
	tx.wiped = true
	tx.record(Change{Kind: ChangeMessageDeleted, MessageID: id})
	return nil
}

// Messages returns up to limit messages of a chat, newest first, starting
// after the position before (the zero PageCursor starts at the newest).
// The order is: pending messages (Seq 0), latest written first, then
// relayed messages by Seq, highest first. Pass the returned cursor to get
// the next, older page; a page shorter than limit is the last. limit is
// clamped to MaxPageSize.
func (tx *Tx) Messages(chatID ids.Chat, before PageCursor, limit int) ([]Message, PageCursor, error) {
	if err := tx.begin(false); err != nil {
		return nil, before, err
	}
	if limit <= 0 {
		return nil, before, fmt.Errorf("%w: page size %d", ErrInvalid, limit)
	}
	limit = min(limit, MaxPageSize)
	const cols = `SELECT id, seq, pending, local_seq, data FROM messages WHERE chat_tag = ?1`
	const order = ` ORDER BY pending DESC, seq DESC, local_seq DESC LIMIT ?2`
	q, args := cols+order, []any{tx.chatTag(chatID), limit}
	if before.set {
		q = cols + ` AND (pending, seq, local_seq) < (?3, ?4, ?5)` + order
		args = append(args, before.pending, before.seq, before.localSeq)
	}
	rows, err := tx.query(q, args...)
	if err != nil {
		return nil, before, wrap("messages", err)
	}
	defer rows.Close()
	var out []Message
	next := before
	for rows.Next() {
		var rawID, blob []byte
		var seq, pending, local int64
		if err := rows.Scan(&rawID, &seq, &pending, &local, &blob); err != nil {
			return nil, before, wrap("messages", err)
		}
		id, err := idFrom[ids.Message](rawID)
		if err != nil {
			return nil, before, wrap("messages", err)
		}
		m, err := tx.message(id, seq, blob)
		if err != nil {
			return nil, before, err
		}
		if m.ChatID != chatID {
			return nil, before, fmt.Errorf("vault: message %s: %w: stored under another chat", id, ErrCorrupt)
		}
		out = append(out, m)
		next = PageCursor{set: true, pending: pending, seq: seq, localSeq: local}
	}
	if err := rows.Err(); err != nil {
		return nil, before, wrap("messages", err)
	}
	return out, next, nil
}

// PutAttachment stores an attachment's metadata and file key, replacing one
// with the same ID. The message must exist (else ErrNotFound).
func (tx *Tx) PutAttachment(a Attachment) error {
	if err := tx.begin(true); err != nil {
		return err
	}
	if err := requireID("attachment id", a.ID); err != nil {
		return err
	}
	if err := requireID("attachment message id", a.MessageID); err != nil {
		return err
	}
	if a.Size < 0 {
		return fmt.Errorf("%w: attachment size %d", ErrInvalid, a.Size)
	}
	if err := checkText("attachment name", a.Name); err != nil {
		return err
	}
	if err := checkText("attachment type", a.MIME); err != nil {
		return err
	}
	blob, err := tx.seal(tableAttachments, a.ID[:], &attachmentRecord{
		FileKey:   a.FileKey,
		Name:      a.Name,
		MIME:      a.MIME,
		Size:      a.Size,
		Thumbnail: a.Thumbnail,
	})
	if err != nil {
		return wrap("put attachment", err)
	}
	_, err = tx.exec(`INSERT INTO attachments (id, message_id, data) VALUES (?1, ?2, ?3)
		ON CONFLICT (id) DO UPDATE SET message_id = excluded.message_id, data = excluded.data`,
		a.ID[:], a.MessageID[:], blob)
	return wrap("put attachment", err)
}

// Attachment returns one attachment, or ErrNotFound.
func (tx *Tx) Attachment(id ids.File) (Attachment, error) {
	if err := tx.begin(false); err != nil {
		return Attachment{}, err
	}
	var rawMessage, blob []byte
	err := tx.queryRow(`SELECT message_id, data FROM attachments WHERE id = ?1`, id[:]).Scan(&rawMessage, &blob)
	if notFound(err) {
		return Attachment{}, fmt.Errorf("vault: attachment %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return Attachment{}, wrap("attachment", err)
	}
	return tx.attachment(id, rawMessage, blob)
}

func (tx *Tx) attachment(id ids.File, rawMessage, blob []byte) (Attachment, error) {
	messageID, err := idFrom[ids.Message](rawMessage)
	if err != nil {
		return Attachment{}, wrap("attachment", err)
	}
	r, err := openRecord[attachmentRecord](tx, tableAttachments, id[:], blob)
	if err != nil {
		return Attachment{}, wrap("attachment", err)
	}
	return Attachment{ID: id, MessageID: messageID, FileKey: r.FileKey, Name: r.Name, MIME: r.MIME, Size: r.Size, Thumbnail: r.Thumbnail}, nil
}

// AttachmentsOf returns a message's attachments in the order they were
// first stored.
func (tx *Tx) AttachmentsOf(messageID ids.Message) ([]Attachment, error) {
	if err := tx.begin(false); err != nil {
		return nil, err
	}
	rows, err := tx.query(`SELECT id, message_id, data FROM attachments WHERE message_id = ?1 ORDER BY rowid`, messageID[:])
	if err != nil {
		return nil, wrap("attachments", err)
	}
	defer rows.Close()
	var out []Attachment
	for rows.Next() {
		var rawID, rawMessage, blob []byte
		if err := rows.Scan(&rawID, &rawMessage, &blob); err != nil {
			return nil, wrap("attachments", err)
		}
		id, err := idFrom[ids.File](rawID)
		if err != nil {
			return nil, wrap("attachments", err)
		}
		a, err := tx.attachment(id, rawMessage, blob)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, wrap("attachments", rows.Err())
}

// DeleteAttachment wipes one attachment's row and with it the file key.
func (tx *Tx) DeleteAttachment(id ids.File) error {
	if err := tx.begin(true); err != nil {
		return err
	}
	if err := tx.execOne(`DELETE FROM attachments WHERE id = ?1`, id[:]); err != nil {
		return wrap("delete attachment "+id.String(), err)
	}
	tx.wiped = true
	return nil
}

// PutTimer sets (or moves) a message's self-destruct time. The message must
// exist (else ErrNotFound); deleting it deletes the timer.
func (tx *Tx) PutTimer(messageID ids.Message, expiresAt time.Time) error {
	if err := tx.begin(true); err != nil {
		return err
	}
	if expiresAt.IsZero() {
		return fmt.Errorf("%w: zero expiry time", ErrInvalid)
	}
	_, err := tx.exec(`INSERT INTO timers (message_id, expires_at) VALUES (?1, ?2)
		ON CONFLICT (message_id) DO UPDATE SET expires_at = excluded.expires_at`,
		messageID[:], micros(expiresAt))
	return wrap("put timer", err)
}

// DueTimers returns the ids of messages whose timers expire at or before
// now, earliest first, at most MaxDueTimers of them: call again until
// fewer come back. Deleting the messages deletes their timers.
func (tx *Tx) DueTimers(now time.Time) ([]ids.Message, error) {
	if err := tx.begin(false); err != nil {
		return nil, err
	}
	rows, err := tx.query(`SELECT message_id FROM timers WHERE expires_at <= ?1
		ORDER BY expires_at, message_id LIMIT ?2`, micros(now), MaxDueTimers)
	if err != nil {
		return nil, wrap("due timers", err)
	}
	defer rows.Close()
	var out []ids.Message
	for rows.Next() {
		var raw []byte
		if err := rows.Scan(&raw); err != nil {
			return nil, wrap("due timers", err)
		}
		id, err := idFrom[ids.Message](raw)
		if err != nil {
			return nil, wrap("due timers", err)
		}
		out = append(out, id)
	}
	return out, wrap("due timers", rows.Err())
}

// NextTimer returns the earliest self-destruct time set; ok is false when no
// timer is set. The caller sleeps until then and calls DueTimers.
func (tx *Tx) NextTimer() (at time.Time, ok bool, err error) {
	if err := tx.begin(false); err != nil {
		return time.Time{}, false, err
	}
	var us sql.NullInt64
	if err := tx.queryRow(`SELECT MIN(expires_at) FROM timers`).Scan(&us); err != nil {
		return time.Time{}, false, wrap("next timer", err)
	}
	if !us.Valid {
		return time.Time{}, false, nil
	}
	return fromMicros(us.Int64), true, nil
}

// Timer returns a message's self-destruct time, or ErrNotFound when it has none.
func (tx *Tx) Timer(messageID ids.Message) (time.Time, error) {
	if err := tx.begin(false); err != nil {
		return time.Time{}, err
	}
	var us int64
	err := tx.queryRow(`SELECT expires_at FROM timers WHERE message_id = ?1`, messageID[:]).Scan(&us)
	if notFound(err) {
		return time.Time{}, fmt.Errorf("vault: timer of %s: %w", messageID, ErrNotFound)
	}
	if err != nil {
		return time.Time{}, wrap("timer "+messageID.String(), err)
	}
	return fromMicros(us), nil
}

// DeleteTimer cancels a message's timer, or returns ErrNotFound.
func (tx *Tx) DeleteTimer(messageID ids.Message) error {
	if err := tx.begin(true); err != nil {
		return err
	}
	return wrap("delete timer "+messageID.String(), tx.execOne(`DELETE FROM timers WHERE message_id = ?1`, messageID[:]))
}

// Enqueue appends an item to the outbox. Items come out of Outbox in the
// order they were enqueued. A second item with the same ID is ErrExists.
func (tx *Tx) Enqueue(item OutboxItem) error {
	if err := tx.begin(true); err != nil {
		return err
	}
	if err := requireID("outbox item id", item.ID); err != nil {
		return err
	}
	blob, err := tx.seal(tableOutbox, item.ID[:], &outboxRecord{Payload: item.Payload, ChatID: item.ChatID})
	if err != nil {
		return wrap("enqueue", err)
	}
	res, err := tx.exec(`INSERT INTO outbox (id, chat_tag, data) VALUES (?1, ?2, ?3) ON CONFLICT (id) DO NOTHING`,
		item.ID[:], tx.chatTagOrNil(item.ChatID), blob)
	if err != nil {
		return wrap("enqueue", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return fmt.Errorf("vault: outbox item %s: %w", item.ID, ErrExists)
	}
	return nil
}

// Outbox returns up to limit queued items, oldest first (limit is clamped
// to MaxPageSize).
func (tx *Tx) Outbox(limit int) ([]OutboxItem, error) {
	if err := tx.begin(false); err != nil {
		return nil, err
	}
	if limit <= 0 {
		return nil, fmt.Errorf("%w: outbox limit %d", ErrInvalid, limit)
	}
	rows, err := tx.query(`SELECT id, chat_tag, data FROM outbox ORDER BY local_seq LIMIT ?1`, min(limit, MaxPageSize))
	if err != nil {
		return nil, wrap("outbox", err)
	}
	defer rows.Close()
	var out []OutboxItem
	for rows.Next() {
		var rawID, chatTag, blob []byte
		if err := rows.Scan(&rawID, &chatTag, &blob); err != nil {
			return nil, wrap("outbox", err)
		}
		id, err := idFrom[ids.Message](rawID)
		if err != nil {
			return nil, wrap("outbox", err)
		}
		r, err := openRecord[outboxRecord](tx, tableOutbox, id[:], blob)
		if err != nil {
			return nil, wrap("outbox", err)
		}
		// A chat's item carries its chat sealed and the chat's tag in clear;
		// an account-log item has neither.
		chatID := r.ChatID
		if !sameTag(chatTag, tx.chatTagOrNil(chatID)) {
			return nil, fmt.Errorf("vault: outbox item %s: %w: stored under another chat", id, ErrCorrupt)
		}
		out = append(out, OutboxItem{ID: id, ChatID: chatID, Payload: r.Payload})
	}
	return out, wrap("outbox", rows.Err())
}

// RemoveOutbox drops an item once the relay has acknowledged it, or
// returns ErrNotFound.
func (tx *Tx) RemoveOutbox(id ids.Message) error {
	if err := tx.begin(true); err != nil {
		return err
	}
	return wrap("remove outbox item "+id.String(), tx.execOne(`DELETE FROM outbox WHERE id = ?1`, id[:]))
}
