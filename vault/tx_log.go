package vault

import (
	"fmt"

	"hush/ids"
)

// Limits of the membership log.
const (
	// MaxLogRecordSize caps one membership log record.
	MaxLogRecordSize = 64 << 10
	// MaxLogRecords caps one LogRecords call (at most 8 MiB of records);
	// larger limits are clamped, and the caller reads on from the last seq.
	MaxLogRecords = 128
)

// LogRecord is one record of a chat's membership log.
type LogRecord struct {
	Seq    uint64
	Record []byte
}

// PutLogRecord stores the record at seq in the membership log of chat. Log
// records are write-once: if seq already holds one, it returns ErrExists and
// keeps the first. The chat must exist (else ErrNotFound); deleting it
// deletes its log. A record is 1 to MaxLogRecordSize bytes (else ErrInvalid
// or ErrTooLarge), opaque to the vault, and stored sealed under the chat's
// graph index tag and seq.
func (tx *Tx) PutLogRecord(chat ids.Chat, seq uint64, record []byte) error {
	if err := tx.begin(true); err != nil {
		return err
	}
	if err := requireID("log chat id", chat); err != nil {
		return err
	}
	if seq > maxSeq {
		return fmt.Errorf("%w: log seq %d", ErrInvalid, seq)
	}
	if len(record) == 0 {
		return fmt.Errorf("%w: empty log record", ErrInvalid)
	}
	if len(record) > MaxLogRecordSize {
		return fmt.Errorf("%w: log record of %d bytes, limit %d", ErrTooLarge, len(record), MaxLogRecordSize)
	}
	tag := tx.chatTag(chat)
	blob, err := tx.seal(tableLog, seqRow(tag, seq), &logRecord{Record: record})
	if err != nil {
		return wrap("put log record", err)
	}
	res, err := tx.exec(`INSERT INTO membership_log (chat_tag, seq, data) VALUES (?1, ?2, ?3)
		ON CONFLICT (chat_tag, seq) DO NOTHING`, tag, int64(seq), blob)
	if err != nil {
		return wrap("put log record", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return fmt.Errorf("vault: log record %d of chat %s: %w", seq, chat, ErrExists)
	}
	return nil
}

// LogRecord returns the record at seq in the membership log of chat, or
// ErrNotFound.
func (tx *Tx) LogRecord(chat ids.Chat, seq uint64) ([]byte, error) {
	if err := tx.begin(false); err != nil {
		return nil, err
	}
	if seq > maxSeq {
		return nil, fmt.Errorf("%w: log seq %d", ErrInvalid, seq)
	}
	tag := tx.chatTag(chat)
	var blob []byte
	err := tx.queryRow(`SELECT data FROM membership_log WHERE chat_tag = ?1 AND seq = ?2`, tag, int64(seq)).Scan(&blob)
	if notFound(err) {
		return nil, fmt.Errorf("vault: log record %d of chat %s: %w", seq, chat, ErrNotFound)
	}
	if err != nil {
		return nil, wrap("log record", err)
	}
	r, err := openRecord[logRecord](tx, tableLog, seqRow(tag, seq), blob)
	if err != nil {
		return nil, wrap("log record", err)
	}
	return r.Record, nil
}

// LogRecords returns up to limit records of the membership log of chat with
// Seq >= from, in ascending order of Seq; limit is clamped to MaxLogRecords.
// Fewer than limit records means the log has no more from there.
func (tx *Tx) LogRecords(chat ids.Chat, from uint64, limit int) ([]LogRecord, error) {
	if err := tx.begin(false); err != nil {
		return nil, err
	}
	if limit <= 0 {
		return nil, fmt.Errorf("%w: log page size %d", ErrInvalid, limit)
	}
	if from > maxSeq {
		return nil, nil
	}
	tag := tx.chatTag(chat)
	rows, err := tx.query(`SELECT seq, data FROM membership_log WHERE chat_tag = ?1 AND seq >= ?2
		ORDER BY seq LIMIT ?3`, tag, int64(from), min(limit, MaxLogRecords))
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
		if seq < 0 {
			return nil, fmt.Errorf("vault: log records: %w: seq %d", ErrCorrupt, seq)
		}
		r, err := openRecord[logRecord](tx, tableLog, seqRow(tag, uint64(seq)), blob)
		if err != nil {
			return nil, wrap("log records", err)
		}
		out = append(out, LogRecord{Seq: uint64(seq), Record: r.Record})
	}
	return out, wrap("log records", rows.Err())
}

// LogHead returns the highest seq stored in the membership log of chat, or
// ErrNotFound when the chat has no log records.
func (tx *Tx) LogHead(chat ids.Chat) (uint64, error) {
	if err := tx.begin(false); err != nil {
		return 0, err
	}
	var seq int64
	err := tx.queryRow(`SELECT seq FROM membership_log WHERE chat_tag = ?1 ORDER BY seq DESC LIMIT 1`, tx.chatTag(chat)).Scan(&seq)
	if notFound(err) {
		return 0, fmt.Errorf("vault: log of chat %s: %w", chat, ErrNotFound)
	}
	if err != nil {
		return 0, wrap("log head", err)
	}
	if seq < 0 {
		return 0, fmt.Errorf("vault: log head: %w: seq %d", ErrCorrupt, seq)
	}
	return uint64(seq), nil
}
