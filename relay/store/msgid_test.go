package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"hush/ids"
	"hush/policy"
	"hush/relay/store"
	"hush/sync/wire"
)

func TestMessageIDsIdempotentPerChat(t *testing.T) { eachEngine(t, testMessageIDsIdempotentPerChat) }

// testMessageIDsIdempotentPerChat: with the index keyed by message id first, a
// resend is still found in its chat — time-ordered and random ids alike — and the
// same id in another chat is another message.
func testMessageIDsIdempotentPerChat(t *testing.T, e engine) {
	ctx := context.Background()
	s := open(t, e, "")
	alice, bob, chat := setup(t, s)
	other := ids.Chat{4}
	write(t, s, func(tx store.Tx) error {
		return tx.CreateChat(ctx, &store.Chat{ID: other, Kind: policy.KindGroup, CreatedBy: bob, Members: map[ids.Account]*store.Member{
			alice: {Role: policy.RoleMember}, bob: {Role: policy.RoleOwner},
		}}, 1)
	})
	now := time.Now()
	msgs := []ids.Message{
		ids.NewOrdered[ids.Message](now), ids.New[ids.Message](), ids.NewOrdered[ids.Message](now.Add(time.Millisecond)),
		ids.NewOrdered[ids.Message](now.Add(-time.Hour)), // a clock behind, or an old outbox item
	}
	insert := func(chat ids.Chat, id ids.Message, at int64) (seq uint64, inserted bool) {
		t.Helper()
		writeChat(t, s, chat, func(tx store.Tx, c *store.Chat) error {
			var err error
			seq, _, inserted, err = tx.InsertMessage(ctx, c, wire.Entry{Seq: c.LastSeq + 1, MsgID: id, SenderAccount: alice, Epoch: 1, ServerTime: at, Ciphertext: []byte("x")})
			return err
		})
		return seq, inserted
	}
	for i, id := range msgs {
		if seq, ok := insert(chat, id, int64(i)); !ok || seq != uint64(i+1) {
			t.Fatalf("message %d: seq %d, inserted %v", i, seq, ok)
		}
	}
	for i, id := range msgs {
		if seq, ok := insert(chat, id, 99); ok || seq != uint64(i+1) {
			t.Errorf("resend of message %d: seq %d, inserted %v; want %d, not inserted", i, seq, ok, i+1)
		}
		if seq, ok := insert(other, id, 99); !ok || seq != uint64(i+1) {
			t.Errorf("message %d's id in another chat: seq %d, inserted %v; want a message of its own", i, seq, ok)
		}
	}
	if got, _, err := s.Messages(ctx, chat, alice, 0, 100, 1<<20); err != nil || len(got) != len(msgs) {
		t.Fatalf("the chat holds %d messages (%v), want %d", len(got), err, len(msgs))
	}
}

// TestMigrationKeepsOldIDsIdempotent: a database of schema 5, whose messages carry
// random ids, is migrated to the index keyed by id first; resending a stored
// message still returns its seq instead of storing it again.
func TestMigrationKeepsOldIDsIdempotent(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "relay.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob("migrations/000[1-5]_*.sql")
	if err != nil || len(files) != 5 {
		t.Fatalf("migrations 1–5: %v %v", files, err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(string(b)); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
	old := ids.New[ids.Message]()
	alice, chat := ids.Account{1}, ids.Chat{3}
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{fmt.Sprintf("PRAGMA user_version = %d", len(files)), nil},
		{"INSERT INTO accounts (id, public_key, created_at) VALUES (?, x'00', 1)", []any{alice[:]}},
		{"INSERT INTO chats (id, kind, created_by, epoch, created_at) VALUES (?, ?, ?, 1, 1)", []any{chat[:], policy.KindDirect, alice[:]}},
		{"INSERT INTO members (chat_no, account_id, role) VALUES (1, ?, ?)", []any{alice[:], policy.RoleOwner}},
		{"INSERT INTO messages (chat_no, seq, msg_id, sender_account, sender_device, epoch, server_time, ciphertext) VALUES (1, 1, ?, ?, ?, 1, 5, x'00')", []any{old[:], alice[:], alice[:]}},
	} {
		if _, err := db.Exec(q.sql, q.args...); err != nil {
			t.Fatalf("%s: %v", q.sql, err)
		}
	}
	db.Close()

	s, err := store.Open(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	writeChat(t, s, chat, func(tx store.Tx, c *store.Chat) error {
		seq, at, inserted, err := tx.InsertMessage(ctx, c, wire.Entry{Seq: c.LastSeq + 1, MsgID: old, SenderAccount: alice, Epoch: 1, ServerTime: 9, Ciphertext: []byte("again")})
		if err != nil || inserted || seq != 1 || at != 5 {
			return fmt.Errorf("resend after the migration: seq %d at %d inserted %v, %v; want seq 1 at 5, not inserted", seq, at, inserted, err)
		}
		return nil
	})
}
