package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5"

	"hush/ids"
	"hush/internal/pgtest"
	"hush/relay/store"
	"hush/sync/wire"
)

// readOf returns the read position info shows of account.
func readOf(t *testing.T, info wire.ChatInfo, account ids.Account) uint64 {
	t.Helper()
	m, ok := info.Member(account)
	if !ok {
		t.Fatalf("%s is not listed in %+v", account, info)
	}
	return m.ReadSeq
}

// TestOwnAndSharedReadPositions: a member's own read position and the one it shares are
// kept apart; the member is shown its own, every other member the shared one.
func TestOwnAndSharedReadPositions(t *testing.T) { eachEngine(t, testOwnAndSharedReadPositions) }

func testOwnAndSharedReadPositions(t *testing.T, e engine) {
	ctx := context.Background()
	s := open(t, e, "")
	alice, bob, chat := setup(t, s)
	writeChat(t, s, chat, func(tx store.Tx, c *store.Chat) error {
		return tx.SetMark(ctx, c, bob, 5, 5, 2)
	})
	writeChat(t, s, chat, func(tx store.Tx, c *store.Chat) error {
		if m := *c.Members[bob]; m.DeliveredSeq != 5 || m.ReadSeq != 5 || m.SharedReadSeq != 2 {
			return fmt.Errorf("bob as the writer reads him: %+v; want delivered 5, read 5, shared 2", m)
		}
		return nil
	})
	for _, tt := range []struct {
		reader ids.Account
		want   uint64
	}{{bob, 5}, {alice, 2}} {
		info, err := s.ChatInfo(ctx, chat, tt.reader)
		if err != nil {
			t.Fatal(err)
		}
		if got := readOf(t, info, bob); got != tt.want {
			t.Errorf("ChatInfo for %s shows bob's read position %d, want %d", tt.reader, got, tt.want)
		}
	}
	v, err := s.ChatViews(ctx, chat)
	if err != nil {
		t.Fatal(err)
	}
	if readOf(t, v.Shared, bob) != 2 || len(v.Own) != 1 || v.Own[bob] != 5 {
		t.Errorf("ChatViews = %+v", v)
	}
	if readOf(t, v.For(bob), bob) != 5 || readOf(t, v.For(alice), bob) != 2 || readOf(t, v.Shared, bob) != 2 {
		t.Errorf("ChatViews.For changed the shared view: %+v", v)
	}
	if _, err := s.ChatViews(ctx, ids.Chat{99}); err != store.ErrNotFound {
		t.Errorf("ChatViews of no chat: %v, want ErrNotFound", err)
	}
	chats, _, err := s.Chats(ctx, bob, ids.Chat{}, 10)
	if err != nil || len(chats) != 1 || chats[0].ReadSeq != 5 {
		t.Errorf("bob's chat list = %+v, %v; want his own read position 5", chats, err)
	}
}

// TestSharedReadMigration: a database from before the shared read position gets
// one equal to each member's read position, since every read was shared then.
func TestSharedReadMigration(t *testing.T) {
	alice, bob, chat := ids.Account{1}, ids.Account{2}, ids.Chat{3}
	// rows are the rows of an older relay; blob writes a byte string as the
	// engine's SQL does.
	rows := func(blob func([]byte) string) []string {
		return []string{
			fmt.Sprintf("INSERT INTO accounts (id, public_key, created_at) VALUES (%s, %s, 1)", blob(alice[:]), blob([]byte{0})),
			fmt.Sprintf("INSERT INTO accounts (id, public_key, created_at) VALUES (%s, %s, 1)", blob(bob[:]), blob([]byte{0})),
			fmt.Sprintf("INSERT INTO chats (id, kind, created_by, epoch, created_at) VALUES (%s, 1, %s, 1, 1)", blob(chat[:]), blob(alice[:])),
			fmt.Sprintf("INSERT INTO members (chat_no, account_id, role, delivered_seq, read_seq) VALUES (1, %s, 1, 4, 3)", blob(alice[:])),
			fmt.Sprintf("INSERT INTO members (chat_no, account_id, role, delivered_seq, read_seq) VALUES (1, %s, 3, 7, 6)", blob(bob[:])),
		}
	}
	check := func(t *testing.T, s testStore) {
		t.Helper()
		info, err := s.ChatInfo(context.Background(), chat, alice)
		if err != nil {
			t.Fatal(err)
		}
		if got := readOf(t, info, bob); got != 6 {
			t.Errorf("after the migration alice is shown bob's read position %d, want 6", got)
		}
		v, err := s.ChatViews(context.Background(), chat)
		if err != nil || len(v.Own) != 0 {
			t.Errorf("after the migration some read position is private: %+v, %v", v, err)
		}
	}
	t.Run("sqlite", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "relay.db")
		db, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		n := applyMigrations(t, "migrations", 6, func(q string) error { _, err := db.Exec(q); return err })
		sqliteBlob := func(b []byte) string { return fmt.Sprintf("X'%x'", b) }
		for _, q := range append([]string{fmt.Sprintf("PRAGMA user_version = %d", n)}, rows(sqliteBlob)...) {
			if _, err := db.Exec(q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		db.Close()
		check(t, open(t, engines[0], path))
	})
	t.Run("postgres", func(t *testing.T) {
		dsn := pgtest.Database(t)
		withConn(t, dsn, func(ctx context.Context, conn *pgx.Conn) error {
			n := applyMigrations(t, "pgmigrations", 4, func(q string) error { _, err := conn.Exec(ctx, q); return err })
			pgBlob := func(b []byte) string { return fmt.Sprintf("'\\x%x'::bytea", b) }
			for _, q := range append([]string{"CREATE TABLE schema_version (version integer NOT NULL)",
				fmt.Sprintf("INSERT INTO schema_version VALUES (%d)", n)}, rows(pgBlob)...) {
				if _, err := conn.Exec(ctx, q); err != nil {
					return fmt.Errorf("%s: %w", q, err)
				}
			}
			return nil
		})
		check(t, open(t, engines[1], dsn))
	})
}

// applyMigrations runs the first n migrations of dir with exec and returns n.
func applyMigrations(t *testing.T, dir string, n int, exec func(string) error) int {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.sql"))
	if err != nil || len(files) <= n {
		t.Fatalf("%s: %d migrations (%v), want more than %d", dir, len(files), err, n)
	}
	for _, f := range files[:n] {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := exec(string(b)); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
	return n
}
