package vault

import (
	"encoding/binary"
	"fmt"

	"hush/ids"
)

// LogRecord is one record of a chat's membership log.
type LogRecord struct {
	Seq    uint64
	Record []byte
}

// maxLogPage caps the records LogRecords returns at once.
const maxLogPage = 1024

func logRow(chatID ids.Chat, seq uint64) []byte {
	return pairRow(chatID, binary.BigEndian.AppendUint64(nil, seq))
}

// PutLogRecord stores the record at seq of a chat's membership log. Records are
// write-once: a second record at the same seq returns ErrExists and keeps the first
// (the caller compares them to detect a fork).
func (tx *Tx) PutLogRecord(chatID ids.Chat, seq uint64, record []byte) error {
	if err := tx.begin(true); err != nil {
		return err
	}
	if seq > maxSeq || len(record) == 0 {
		return fmt.Errorf("%w: log record %d of %d bytes", ErrInvalid, seq, len(record))
	}
	blob, err := tx.seal(tableChatLog, logRow(chatID, seq), &keyRecord{Key: record})
	if err != nil {
		return wrap("put log record", err)
	}
	res, err := tx.exec(`INSERT INTO chat_log (chat_id, seq, data) VALUES (?1, ?2, ?3)
		ON CONFLICT (chat_id, seq) DO NOTHING`, chatID[:], int64(seq), blob)
	if err != nil {
		return wrap("put log record", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return fmt.Errorf("vault: log record %d of chat %s: %w", seq, chatID, ErrExists)
	}
	return nil
}

// LogRecord returns the record at seq of a chat's membership log, or ErrNotFound.
func (tx *Tx) LogRecord(chatID ids.Chat, seq uint64) ([]byte, error) {
	if err := tx.begin(false); err != nil {
		return nil, err
	}
	if seq > maxSeq {
		return nil, fmt.Errorf("%w: log record %d", ErrInvalid, seq)
	}
	var blob []byte
	err := tx.queryRow(`SELECT data FROM chat_log WHERE chat_id = ?1 AND seq = ?2`, chatID[:], int64(seq)).Scan(&blob)
	if notFound(err) {
		return nil, fmt.Errorf("vault: log record %d of chat %s: %w", seq, chatID, ErrNotFound)
	}
	if err != nil {
		return nil, wrap("log record", err)
	}
	r, err := openRecord[keyRecord](tx, tableChatLog, logRow(chatID, seq), blob)
	if err != nil {
		return nil, wrap("log record", err)
	}
	return r.Key, nil
}

// LogRecords returns up to limit records of a chat's membership log with Seq >=
// from, in order.
func (tx *Tx) LogRecords(chatID ids.Chat, from uint64, limit int) ([]LogRecord, error) {
	if err := tx.begin(false); err != nil {
		return nil, err
	}
	if from > maxSeq {
		return nil, nil
	}
	limit = min(max(limit, 1), maxLogPage)
	rows, err := tx.query(`SELECT seq, data FROM chat_log WHERE chat_id = ?1 AND seq >= ?2 ORDER BY seq LIMIT ?3`, chatID[:], int64(from), limit)
	if err != nil {
		return nil, wrap("log records", err)
	}
	defer rows.Close()
	var out []LogRecord
	for rows.Next() {
		var seq int64
		var blob []byte
		if err := rows.Scan(&seq, &blob); err != nil {
			return nil, wrap("log records", err)
		}
		r, err := openRecord[keyRecord](tx, tableChatLog, logRow(chatID, uint64(seq)), blob)
		if err != nil {
			return nil, wrap("log records", err)
		}
		out = append(out, LogRecord{Seq: uint64(seq), Record: r.Key})
	}
	return out, wrap("log records", rows.Err())
}

// LogHead returns the highest seq stored of a chat's membership log, or ErrNotFound
// when it has none.
func (tx *Tx) LogHead(chatID ids.Chat) (uint64, error) {
	if err := tx.begin(false); err != nil {
		return 0, err
	}
	var seq int64
	err := tx.queryRow(`SELECT seq FROM chat_log WHERE chat_id = ?1 ORDER BY seq DESC LIMIT 1`, chatID[:]).Scan(&seq)
	if notFound(err) {
		return 0, fmt.Errorf("vault: log of chat %s: %w", chatID, ErrNotFound)
	}
	if err != nil {
		return 0, wrap("log head", err)
	}
	return uint64(seq), nil
}
