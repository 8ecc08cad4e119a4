package vault

import (
	"database/sql"
	"fmt"
	"time"

	"hush/ids"
)

// Whole-table reads for backups (package backup/vaultbackup): the other reads
// find rows by a key the caller knows, but a backup must find every row,
// including settings and cursors whose names are only sealed. Each calls fn once
// per row while the rows stay open, so memory stays flat however many there
// are; fn must not use tx.

// EachMessage calls fn with every message of every chat, in the order they were
// stored (which keeps the order of pending messages when they are inserted
// again in it), and the time its timer deletes it (zero: none; see PutTimer).
//
// SQLite's stepping and the opening of each sealed row cost about the same, so
// they run on two goroutines: one reads rows in batches while the caller's
// opens the batch before and calls fn — with fn's own work (a backup's writer
// runs on a third) the export uses every core of a small machine.
func (tx *Tx) EachMessage(fn func(m Message, expiresAt time.Time) error) error {
	if err := tx.begin(false); err != nil {
		return err
	}
	rows, err := tx.query(`SELECT m.id, m.chat_tag, m.seq, m.data, t.expires_at FROM messages m
		LEFT JOIN timers t ON t.message_id = m.id ORDER BY m.local_seq`)
	if err != nil {
		return wrap("each message", err)
	}
	batches := make(chan []sealedMessage, eachMessageDepth)
	stop := make(chan struct{})
	scanned := make(chan error, 1)
	go func() {
		err := scanMessages(rows, batches, stop)
		rows.Close() // before the close of batches, which the caller waits for
		close(batches)
		scanned <- err
	}()
	err = tx.openMessages(batches, fn)
	close(stop)
	for range batches { // until the reader has seen stop and closed rows
	}
	if serr := <-scanned; err == nil {
		err = serr
	}
	return err
}

// scanMessages reads rows into batches until the rows end or stop is closed.
func scanMessages(rows *stmtRows, batches chan<- []sealedMessage, stop <-chan struct{}) error {
	batch := make([]sealedMessage, 0, eachMessageBatch)
	send := func() bool {
		select {
		case batches <- batch:
			batch = make([]sealedMessage, 0, eachMessageBatch)
			return true
		case <-stop:
			return false
		}
	}
	for rows.Next() {
		var r sealedMessage
		var expires sql.NullInt64
		if err := rows.Scan(&r.id, &r.chatTag, &r.seq, &r.blob, &expires); err != nil {
			return wrap("each message", err)
		}
		if expires.Valid {
			r.expires = fromMicros(expires.Int64)
		}
		if batch = append(batch, r); len(batch) == eachMessageBatch && !send() {
			return nil
		}
	}
	if err := rows.Err(); err != nil {
		return wrap("each message", err)
	}
	if len(batch) > 0 {
		send()
	}
	return nil
}

// eachMessageBatch and eachMessageDepth bound what EachMessage's reader may run
// ahead: 4 batches of 64 rows, a few hundred KiB of sealed messages.
const (
	eachMessageBatch = 64
	eachMessageDepth = 4
)

// sealedMessage is a row of messages as EachMessage's reader scans it.
type sealedMessage struct {
	id, chatTag, blob []byte
	seq               int64
	expires           time.Time
}

// openMessages opens every row of every batch and calls fn with it, until the
// batches end or fn or a row fails.
func (tx *Tx) openMessages(batches <-chan []sealedMessage, fn func(Message, time.Time) error) error {
	for batch := range batches {
		for _, r := range batch {
			id, err := idFrom[ids.Message](r.id)
			if err != nil {
				return wrap("each message", err)
			}
			m, err := tx.message(id, r.seq, r.blob)
			if err != nil {
				return err
			}
			if !sameTag(r.chatTag, tx.chatTag(m.ChatID)) {
				return fmt.Errorf("vault: message %s: %w: stored under another chat", id, ErrCorrupt)
			}
			if err := fn(m, r.expires); err != nil {
				return err
			}
		}
	}
	return nil
}

// MessageCount is the number of messages stored in a chat whose timer, if they
// have one, is not due at now: those a sweep at now would keep.
func (tx *Tx) MessageCount(chatID ids.Chat, now time.Time) (int64, error) {
	if err := tx.begin(false); err != nil {
		return 0, err
	}
	var n int64
	err := tx.queryRow(`SELECT count(*) FROM messages m WHERE m.chat_tag = ?1
		AND NOT EXISTS (SELECT 1 FROM timers t WHERE t.message_id = m.id AND t.expires_at <= ?2)`,
		tx.chatTag(chatID), micros(now)).Scan(&n)
	return n, wrap("message count", err)
}

// EachSetting calls fn with every setting's name and value.
func (tx *Tx) EachSetting(fn func(name string, value []byte) error) error {
	if err := tx.begin(false); err != nil {
		return err
	}
	rows, err := tx.query(`SELECT name_tag, data FROM settings ORDER BY rowid`)
	if err != nil {
		return wrap("each setting", err)
	}
	defer rows.Close()
	for rows.Next() {
		var tag, blob []byte
		if err := rows.Scan(&tag, &blob); err != nil {
			return wrap("each setting", err)
		}
		r, err := openRecord[settingRecord](tx, tableSettings, tag, blob)
		if err != nil {
			return wrap("each setting", err)
		}
		if !sameTag(tag, tx.lookupTag(tableSettings, r.Name)) {
			return fmt.Errorf("vault: setting %q: %w: stored under another name", r.Name, ErrCorrupt)
		}
		if r.Value == nil {
			r.Value = []byte{}
		}
		if err := fn(r.Name, r.Value); err != nil {
			return err
		}
	}
	return wrap("each setting", rows.Err())
}

// EachCursor calls fn with every sync cursor's scope and position.
func (tx *Tx) EachCursor(fn func(scope string, seq int64) error) error {
	if err := tx.begin(false); err != nil {
		return err
	}
	rows, err := tx.query(`SELECT scope_tag, data FROM cursors ORDER BY rowid`)
	if err != nil {
		return wrap("each cursor", err)
	}
	defer rows.Close()
	for rows.Next() {
		var tag, blob []byte
		if err := rows.Scan(&tag, &blob); err != nil {
			return wrap("each cursor", err)
		}
		r, err := openRecord[cursorRecord](tx, tableCursors, tag, blob)
		if err != nil {
			return wrap("each cursor", err)
		}
		if !sameTag(tag, tx.lookupTag(tableCursors, r.Scope)) {
			return fmt.Errorf("vault: cursor %q: %w: stored under another scope", r.Scope, ErrCorrupt)
		}
		if err := fn(r.Scope, r.Seq); err != nil {
			return err
		}
	}
	return wrap("each cursor", rows.Err())
}

// EachEpochKey calls fn with every epoch key of a chat, by ascending epoch.
func (tx *Tx) EachEpochKey(chatID ids.Chat, fn func(epoch uint64, key []byte) error) error {
	if err := tx.begin(false); err != nil {
		return err
	}
	tag := tx.chatTag(chatID)
	rows, err := tx.query(`SELECT epoch, data FROM epoch_keys WHERE chat_tag = ?1 ORDER BY epoch`, tag)
	if err != nil {
		return wrap("each epoch key", err)
	}
	defer rows.Close()
	for rows.Next() {
		var epoch int64
		var blob []byte
		if err := rows.Scan(&epoch, &blob); err != nil {
			return wrap("each epoch key", err)
		}
		r, err := openRecord[keyRecord](tx, tableEpochKeys, seqRow(tag, uint64(epoch)), blob)
		if err != nil {
			return wrap("each epoch key", err)
		}
		if err := fn(uint64(epoch), r.Key); err != nil {
			return err
		}
	}
	return wrap("each epoch key", rows.Err())
}
