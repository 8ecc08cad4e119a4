package vault

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"hush/ids"
)

func logRecordOf(chat ids.Chat, seq uint64) []byte {
	return fmt.Appendf(nil, "record %d of %s", seq, chat)
}

func TestMembershipLog(t *testing.T) {
	v, _ := newVault(t)
	a, b := newChat(t, v), newChat(t, v)
	update(t, v, func(tx *Tx) error {
		for _, seq := range []uint64{0, 1, 2, 5, 9} {
			if err := tx.PutLogRecord(a, seq, logRecordOf(a, seq)); err != nil {
				return err
			}
		}
		return tx.PutLogRecord(b, 1, logRecordOf(b, 1))
	})
	view(t, v, func(tx *Tx) error {
		for _, seq := range []uint64{0, 1, 2, 5, 9} {
			got, err := tx.LogRecord(a, seq)
			if err != nil || !bytes.Equal(got, logRecordOf(a, seq)) {
				t.Errorf("LogRecord(a, %d) = %q, %v", seq, got, err)
			}
		}
		for _, seq := range []uint64{3, 10} {
			if _, err := tx.LogRecord(a, seq); !errors.Is(err, ErrNotFound) {
				t.Errorf("LogRecord(a, %d) = %v, want ErrNotFound", seq, err)
			}
		}
		tests := []struct {
			from  uint64
			limit int
			want  []uint64
		}{
			{0, 10, []uint64{0, 1, 2, 5, 9}},
			{0, 2, []uint64{0, 1}},
			{2, 2, []uint64{2, 5}},
			{3, 10, []uint64{5, 9}},
			{9, 10, []uint64{9}},
			{10, 10, nil},
			{maxSeq + 1, 10, nil},
		}
		for _, tt := range tests {
			got, err := tx.LogRecords(a, tt.from, tt.limit)
			if err != nil {
				return err
			}
			var seqs []uint64
			for _, r := range got {
				seqs = append(seqs, r.Seq)
				if !bytes.Equal(r.Record, logRecordOf(a, r.Seq)) {
					t.Errorf("LogRecords: record %d = %q", r.Seq, r.Record)
				}
			}
			if fmt.Sprint(seqs) != fmt.Sprint(tt.want) {
				t.Errorf("LogRecords(a, %d, %d) = %v, want %v", tt.from, tt.limit, seqs, tt.want)
			}
		}
		if head, err := tx.LogHead(a); err != nil || head != 9 {
			t.Errorf("LogHead(a) = %d, %v; want 9", head, err)
		}
		if head, err := tx.LogHead(b); err != nil || head != 1 {
			t.Errorf("LogHead(b) = %d, %v; want 1", head, err)
		}
		if _, err := tx.LogHead(ids.New[ids.Chat]()); !errors.Is(err, ErrNotFound) {
			t.Errorf("LogHead of a chat without a log = %v, want ErrNotFound", err)
		}
		if _, err := tx.LogRecords(a, 0, 0); !errors.Is(err, ErrInvalid) {
			t.Errorf("LogRecords limit 0 = %v, want ErrInvalid", err)
		}
		if err := tx.PutLogRecord(a, 20, []byte("x")); !errors.Is(err, ErrReadOnly) {
			t.Errorf("PutLogRecord in View = %v, want ErrReadOnly", err)
		}
		return nil
	})

	// Write-once: a second record at a seq is refused and the first kept.
	err := v.Update(t.Context(), func(tx *Tx) error { return tx.PutLogRecord(a, 2, []byte("a forgery")) })
	if !errors.Is(err, ErrExists) {
		t.Errorf("second record at seq 2 = %v, want ErrExists", err)
	}
	view(t, v, func(tx *Tx) error {
		if got, err := tx.LogRecord(a, 2); err != nil || !bytes.Equal(got, logRecordOf(a, 2)) {
			t.Errorf("after the refused overwrite: %q, %v", got, err)
		}
		return nil
	})

	for _, tt := range []struct {
		name   string
		chat   ids.Chat
		seq    uint64
		record []byte
		want   error
	}{
		{"unknown chat", ids.New[ids.Chat](), 0, []byte("r"), ErrNotFound},
		{"zero chat", ids.Chat{}, 0, []byte("r"), ErrInvalid},
		{"empty record", a, 30, nil, ErrInvalid},
		{"seq beyond int64", a, maxSeq + 1, []byte("r"), ErrInvalid},
		{"record over the limit", a, 30, make([]byte, MaxLogRecordSize+1), ErrTooLarge},
	} {
		err := v.Update(t.Context(), func(tx *Tx) error { return tx.PutLogRecord(tt.chat, tt.seq, tt.record) })
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}

	// A record of exactly the limit is stored whole.
	big := bytes.Repeat([]byte{0xb1}, MaxLogRecordSize)
	update(t, v, func(tx *Tx) error { return tx.PutLogRecord(a, 30, big) })
	view(t, v, func(tx *Tx) error {
		got, err := tx.LogRecord(a, 30)
		if err != nil || !bytes.Equal(got, big) {
			t.Errorf("record of %d bytes read back as %d bytes, %v", len(big), len(got), err)
		}
		return nil
	})

	// The log goes with its chat.
	update(t, v, func(tx *Tx) error { return tx.DeleteChat(a) })
	var n int
	if err := v.db.QueryRowContext(t.Context(), `SELECT count(*) FROM membership_log`).Scan(&n); err != nil || n != 1 {
		t.Errorf("%d log rows after deleting chat a, want b's one (%v)", n, err)
	}
	view(t, v, func(tx *Tx) error {
		if _, err := tx.LogHead(a); !errors.Is(err, ErrNotFound) {
			t.Errorf("LogHead of a deleted chat = %v, want ErrNotFound", err)
		}
		return nil
	})
}

// TestLogRecordsLimit fills a log past MaxLogRecords: one call returns at
// most that many, and the caller reads on from the last seq.
func TestLogRecordsLimit(t *testing.T) {
	v, _ := newVault(t)
	chat := newChat(t, v)
	const total = MaxLogRecords + 5
	update(t, v, func(tx *Tx) error {
		for seq := range uint64(total) {
			if err := tx.PutLogRecord(chat, seq, logRecordOf(chat, seq)); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, v, func(tx *Tx) error {
		first, err := tx.LogRecords(chat, 0, 10*MaxLogRecords)
		if err != nil {
			return err
		}
		if len(first) != MaxLogRecords {
			t.Fatalf("one call returned %d records, want the cap %d", len(first), MaxLogRecords)
		}
		rest, err := tx.LogRecords(chat, first[len(first)-1].Seq+1, 10*MaxLogRecords)
		if err != nil {
			return err
		}
		if len(rest) != total-MaxLogRecords || rest[0].Seq != MaxLogRecords {
			t.Errorf("the rest = %d records from %d", len(rest), rest[0].Seq)
		}
		return nil
	})
}

// TestLogRecordBoundToItsPlace moves a sealed log record to another seq and
// to another chat with raw SQL: its blob is sealed for chat tag || seq, so
// it opens nowhere else, and a relay-fed record cannot be replayed into
// another position of the log through the file.
func TestLogRecordBoundToItsPlace(t *testing.T) {
	v, _ := newVault(t)
	a, b := newChat(t, v), newChat(t, v)
	update(t, v, func(tx *Tx) error {
		if err := tx.PutLogRecord(a, 1, []byte("one")); err != nil {
			return err
		}
		return tx.PutLogRecord(b, 1, []byte("b one"))
	})
	tagA, tagB := v.keys.graphTag(domainChat, a), v.keys.graphTag(domainChat, b)
	for _, q := range []string{
		`INSERT INTO membership_log (chat_tag, seq, data) SELECT chat_tag, 2, data FROM membership_log WHERE chat_tag = ?1 AND seq = 1`,
		`UPDATE membership_log SET data = (SELECT data FROM membership_log WHERE chat_tag = ?1 AND seq = 1) WHERE chat_tag = ?2`,
	} {
		if _, err := v.db.ExecContext(t.Context(), q, tagA, tagB); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range []struct {
		name string
		read func(tx *Tx) error
	}{
		{"copied to seq 2", func(tx *Tx) error { _, err := tx.LogRecord(a, 2); return err }},
		{"copied to another chat", func(tx *Tx) error { _, err := tx.LogRecord(b, 1); return err }},
		{"listed", func(tx *Tx) error { _, err := tx.LogRecords(a, 0, 10); return err }},
	} {
		if err := v.View(t.Context(), tt.read); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: %v, want ErrCorrupt", tt.name, err)
		}
	}
	view(t, v, func(tx *Tx) error {
		got, err := tx.LogRecord(a, 1)
		if err != nil || string(got) != "one" {
			t.Errorf("the original record: %q, %v", got, err)
		}
		return nil
	})
}
