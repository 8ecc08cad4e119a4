package vault

import (
	"fmt"

	"hush/ids"
)

// ScanPosition marks how far [Tx.ScanMessages] has read; the zero value
// starts at the first message stored.
type ScanPosition struct{ localSeq int64 }

// ScanMessages returns up to limit messages of every chat in the order they
// were stored, after pos, and the position to continue from; fewer than
// limit means the end. Unlike [Tx.EachMessage] it lets a long read (the
// search index's build after unlock) go in short transactions, so the
// vault's other callers are not kept waiting behind it. limit is clamped to
// MaxPageSize.
func (tx *Tx) ScanMessages(pos ScanPosition, limit int) ([]Message, ScanPosition, error) {
	if err := tx.begin(false); err != nil {
		return nil, pos, err
	}
	limit = max(1, min(limit, MaxPageSize))
	rows, err := tx.query(`SELECT local_seq, id, chat_tag, seq, data FROM messages
		WHERE local_seq > ?1 ORDER BY local_seq LIMIT ?2`, pos.localSeq, limit)
	if err != nil {
		return nil, pos, wrap("scan messages", err)
	}
	defer rows.Close()
	var out []Message
	for rows.Next() {
		var rawID, chatTag, blob []byte
		var local, seq int64
		if err := rows.Scan(&local, &rawID, &chatTag, &seq, &blob); err != nil {
			return nil, pos, wrap("scan messages", err)
		}
		id, err := idFrom[ids.Message](rawID)
		if err != nil {
			return nil, pos, wrap("scan messages", err)
		}
		m, err := tx.message(id, seq, blob)
		if err != nil {
			return nil, pos, err
		}
		if !sameTag(chatTag, tx.chatTag(m.ChatID)) {
			return nil, pos, fmt.Errorf("vault: message %s: %w: stored under another chat", id, ErrCorrupt)
		}
		out = append(out, m)
		pos.localSeq = local
	}
	return out, pos, wrap("scan messages", rows.Err())
}
