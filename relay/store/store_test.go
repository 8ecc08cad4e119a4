package store_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	_ "modernc.org/sqlite"

	"hush/ids"
	"hush/internal/pgtest"
	"hush/policy"
	"hush/relay"
	"hush/relay/store"
	"hush/sync/wire"
)

// testStore is what the suite uses of a store: what the relay needs, which every
// engine has, and what a relay sharing its store reads to fan out.
type testStore interface {
	relay.Store
	ChatMembers(ctx context.Context, chat ids.Chat) ([]ids.Account, error)
	ChatViews(ctx context.Context, chat ids.Chat) (store.ChatViews, error)
	Close() error
}

// engine is one database engine the suite runs on.
type engine struct {
	name string
	// place returns where a fresh, empty store lives: a file or a database URL.
	place func(t *testing.T) string
	open  func(ctx context.Context, place string) (testStore, error)
}

// engines are every engine the relay runs on. The PostgreSQL one needs the
// cluster TestMain started (internal/pgtest).
var engines = []engine{
	{"sqlite", func(t *testing.T) string { return filepath.Join(t.TempDir(), "relay.db") },
		func(ctx context.Context, path string) (testStore, error) { return store.Open(ctx, path, nil) }},
	{"postgres", func(t *testing.T) string { return pgtest.Database(t) },
		func(ctx context.Context, dsn string) (testStore, error) { return store.OpenPostgres(ctx, dsn, nil) }},
}

func TestMain(m *testing.M) { pgtest.Main(m) }

// eachEngine runs test once per engine, as a subtest named after it.
func eachEngine(t *testing.T, test func(t *testing.T, e engine)) {
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) { test(t, e) })
	}
}

// open opens a store at place (a fresh one if place is ""), closed at cleanup.
func open(t *testing.T, e engine, place string) testStore {
	t.Helper()
	if place == "" {
		place = e.place(t)
	}
	s, err := e.open(context.Background(), place)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func write(t *testing.T, s testStore, fn func(tx store.Tx) error) {
	t.Helper()
	if err := s.Write(context.Background(), fn); err != nil {
		t.Fatal(err)
	}
}

// writeChat writes in a chat, locked and read in the transaction.
func writeChat(t *testing.T, s testStore, chat ids.Chat, fn func(tx store.Tx, c *store.Chat) error) {
	t.Helper()
	write(t, s, func(tx store.Tx) error {
		c, err := tx.Chat(context.Background(), chat)
		if err != nil {
			return err
		}
		return fn(tx, c)
	})
}

// setup creates two accounts and a chat of both, returning the chat.
func setup(t *testing.T, s testStore) (alice, bob ids.Account, chat ids.Chat) {
	t.Helper()
	ctx := context.Background()
	alice, bob, chat = ids.Account{1}, ids.Account{2}, ids.Chat{3}
	write(t, s, func(tx store.Tx) error {
		for _, a := range []ids.Account{alice, bob} {
			if err := tx.CreateAccount(ctx, store.Account{ID: a, PublicKey: make([]byte, 64), CreatedAt: 1}); err != nil {
				return err
			}
		}
		return tx.CreateChat(ctx, &store.Chat{ID: chat, Kind: policy.KindDirect, CreatedBy: alice, Members: map[ids.Account]*store.Member{
			alice: {Role: policy.RoleOwner}, bob: {Role: policy.RoleMember},
		}}, 1)
	})
	return alice, bob, chat
}

func TestOpenMigratesAndRefusesNewer(t *testing.T) {
	path := filepath.Join(t.TempDir(), "relay.db")
	s, err := store.Open(context.Background(), path, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	// Reopening a current database changes nothing.
	s, err = store.Open(context.Background(), path, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()

	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(fmt.Sprintf("PRAGMA user_version = %d", store.SchemaVersion()+1)); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := store.Open(context.Background(), path, nil); !errors.Is(err, store.ErrSchemaTooNew) {
		t.Fatalf("Open of a newer schema: %v, want ErrSchemaTooNew", err)
	}
	db, _ = sql.Open("sqlite", path)
	defer db.Close()
	var v int
	if err := db.QueryRow("PRAGMA user_version").Scan(&v); err != nil || v != store.SchemaVersion()+1 {
		t.Errorf("user_version = %d, %v after refusal; the database must be left alone", v, err)
	}
}

func TestWriteIsAtomicAndDurable(t *testing.T) { eachEngine(t, testWriteIsAtomicAndDurable) }

func testWriteIsAtomicAndDurable(t *testing.T, e engine) {
	ctx := context.Background()
	place := e.place(t)
	s := open(t, e, place)
	alice, _, chat := setup(t, s)

	boom := errors.New("boom")
	err := s.Write(ctx, func(tx store.Tx) error {
		c, err := tx.Chat(ctx, chat)
		if err != nil {
			return err
		}
		if _, _, _, err := tx.InsertMessage(ctx, c, wire.Entry{Seq: 1, MsgID: ids.Message{1}, SenderAccount: alice, Epoch: 1, Ciphertext: []byte("x")}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Write = %v, want boom", err)
	}
	if e, _, err := s.Messages(ctx, chat, alice, 0, 10, 1<<20); err != nil || len(e) != 0 {
		t.Fatalf("after a failed batch: %d entries, %v", len(e), err)
	}
	writeChat(t, s, chat, func(tx store.Tx, c *store.Chat) (err error) {
		_, _, _, err = tx.InsertMessage(ctx, c, wire.Entry{Seq: 1, MsgID: ids.Message{1}, SenderAccount: alice, Epoch: 1, Ciphertext: []byte("x")})
		return err
	})
	// A second handle on the database (as after a restart) sees the commit.
	s2 := open(t, e, place)
	if e, _, err := s2.Messages(ctx, chat, alice, 0, 10, 1<<20); err != nil || len(e) != 1 {
		t.Fatalf("reopened store: %d entries, %v", len(e), err)
	}
}

func TestMessagesIdempotentAndPaged(t *testing.T) { eachEngine(t, testMessagesIdempotentAndPaged) }

func testMessagesIdempotentAndPaged(t *testing.T, e engine) {
	ctx := context.Background()
	s := open(t, e, "")
	alice, bob, chat := setup(t, s)
	writeChat(t, s, chat, func(tx store.Tx, c *store.Chat) (err error) {
		for i := 1; i <= 10; i++ {
			seq, _, inserted, err := tx.InsertMessage(ctx, c, wire.Entry{Seq: uint64(i), MsgID: ids.Message{byte(i)}, SenderAccount: alice, Epoch: 1, ServerTime: int64(i), Ciphertext: make([]byte, 1000)})
			if err != nil || !inserted || seq != uint64(i) {
				return fmt.Errorf("insert %d: seq %d inserted %v: %v", i, seq, inserted, err)
			}
		}
		// The same message id again, proposed with another seq: the stored one wins.
		seq, at, inserted, err := tx.InsertMessage(ctx, c, wire.Entry{Seq: 11, MsgID: ids.Message{3}, SenderAccount: alice, Epoch: 1, ServerTime: 99, Ciphertext: []byte("x")})
		if err != nil || inserted || seq != 3 || at != 3 {
			return fmt.Errorf("duplicate: seq %d at %d inserted %v: %v", seq, at, inserted, err)
		}
		if seq, _, err := tx.MessageSeq(ctx, c, ids.Message{7}); err != nil || seq != 7 {
			return fmt.Errorf("MessageSeq = %d, %v", seq, err)
		}
		if _, _, err := tx.MessageSeq(ctx, c, ids.Message{77}); !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("MessageSeq of unknown id: %v", err)
		}
		return nil
	})
	write(t, s, func(tx store.Tx) error {
		c, err := tx.Chat(ctx, chat)
		if err != nil || c.LastSeq != 10 || len(c.Members) != 2 || c.Members[bob].Role != policy.RoleMember {
			return fmt.Errorf("Chat = %+v, %v", c, err)
		}
		return nil
	})
	tests := []struct {
		after           uint64
		limit, maxBytes int
		want            int
		more            bool
	}{
		{0, 100, 1 << 20, 10, false},
		{0, 4, 1 << 20, 4, true},
		{6, 4, 1 << 20, 4, false},
		{0, 100, 3000, 2, true}, // cut by size
		{0, 100, 10, 1, true},   // but never empty
		{10, 100, 1 << 20, 0, false},
	}
	for _, tt := range tests {
		e, more, err := s.Messages(ctx, chat, bob, tt.after, tt.limit, tt.maxBytes)
		if err != nil || len(e) != tt.want || more != tt.more {
			t.Errorf("Messages(after %d, limit %d, %d bytes) = %d entries, more %v, %v; want %d, %v", tt.after, tt.limit, tt.maxBytes, len(e), more, err, tt.want, tt.more)
		}
		for i, x := range e {
			if x.Seq != tt.after+uint64(i)+1 {
				t.Errorf("entry %d has seq %d", i, x.Seq)
			}
		}
	}
	if _, _, err := s.Messages(ctx, chat, ids.Account{9}, 0, 10, 1<<20); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a non-member reads messages: %v", err)
	}
	if _, err := s.ChatInfo(ctx, chat, ids.Account{9}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a non-member reads the chat: %v", err)
	}
	if info, err := s.ChatInfo(ctx, chat, bob); err != nil || info.LastSeq != 10 || len(info.Members) != 2 {
		t.Errorf("ChatInfo = %+v, %v", info, err)
	}
}

func TestInboxSeqNeverReused(t *testing.T) { eachEngine(t, testInboxSeqNeverReused) }

func testInboxSeqNeverReused(t *testing.T, e engine) {
	ctx := context.Background()
	s := open(t, e, "")
	alice, _, _ := setup(t, s)
	dev := ids.Device{5}
	var first wire.InboxItem
	write(t, s, func(tx store.Tx) error {
		var err error
		first, _, err = tx.InsertInboxItem(ctx, dev, wire.InboxItem{ItemID: ids.InboxItem{1}, FromAccount: alice, Ciphertext: make([]byte, 100)})
		if err != nil {
			return err
		}
		again, inserted, err := tx.InsertInboxItem(ctx, dev, wire.InboxItem{ItemID: ids.InboxItem{1}, FromAccount: alice, Ciphertext: []byte("other")})
		if err != nil || inserted || again.Seq != first.Seq || len(again.Ciphertext) != 100 {
			return fmt.Errorf("duplicate inbox item: %+v inserted %v: %v", again, inserted, err)
		}
		freed, err := tx.DeleteInboxItems(ctx, dev, []ids.InboxItem{{1}, {2}})
		if err != nil || freed[alice] != 100 || len(freed) != 1 {
			return fmt.Errorf("freed %v: %v", freed, err)
		}
		return nil
	})
	write(t, s, func(tx store.Tx) error {
		next, _, err := tx.InsertInboxItem(ctx, dev, wire.InboxItem{ItemID: ids.InboxItem{1}, FromAccount: alice, Ciphertext: []byte("y")})
		if err != nil || next.Seq <= first.Seq {
			return fmt.Errorf("seq %d after deleted %d: %v", next.Seq, first.Seq, err)
		}
		return nil
	})
	items, _, err := s.Inbox(ctx, dev, first.Seq, 10, 1<<20)
	if err != nil || len(items) != 1 {
		t.Fatalf("Inbox = %+v, %v", items, err)
	}
}

func TestAccountsDevicesHandles(t *testing.T) { eachEngine(t, testAccountsDevicesHandles) }

func testAccountsDevicesHandles(t *testing.T, e engine) {
	ctx := context.Background()
	s := open(t, e, "")
	alice, bob, _ := setup(t, s)
	write(t, s, func(tx store.Tx) error {
		for i, a := range []ids.Account{alice, alice, bob} {
			if err := tx.CreateDevice(ctx, store.Device{ID: ids.Device{byte(10 + i)}, AccountID: a, Cert: []byte{byte(i)}, CreatedAt: int64(i)}); err != nil {
				return err
			}
		}
		if err := tx.RevokeDevice(ctx, ids.Device{11}, 50); err != nil {
			return err
		}
		if n, err := tx.ActiveDeviceCount(ctx, alice); err != nil || n != 1 {
			return fmt.Errorf("ActiveDeviceCount = %d, %v", n, err)
		}
		if err := tx.SetHandle(ctx, alice, "alice"); err != nil {
			return err
		}
		if err := tx.AddUsage(ctx, alice, 500); err != nil {
			return err
		}
		return tx.AddUsage(ctx, alice, -800) // never below zero
	})
	// A second account cannot take the handle: the unique constraint fails the batch.
	if err := s.Write(ctx, func(tx store.Tx) error { return tx.SetHandle(ctx, bob, "alice") }); err == nil {
		t.Error("two accounts hold one handle")
	}
	a, err := s.AccountByHandle(ctx, "alice")
	if err != nil || a.ID != alice || a.Handle != "alice" || a.UsedBytes != 0 {
		t.Errorf("AccountByHandle = %+v, %v", a, err)
	}
	if d, err := s.Device(ctx, ids.Device{11}); err != nil || !d.Revoked() || d.AccountID != alice {
		t.Errorf("Device = %+v, %v", d, err)
	}
	certs, err := s.ActiveDeviceCerts(ctx, alice)
	if err != nil || len(certs) != 1 || certs[0][0] != 0 {
		t.Errorf("ActiveDeviceCerts = %v, %v", certs, err)
	}
	if _, err := s.Account(ctx, ids.Account{42}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown account: %v", err)
	}
}

// TestHandleChangedAndRemoved: a new handle replaces the old, which another account
// may then take; "" removes the handle, and the account is found by none.
func TestHandleChangedAndRemoved(t *testing.T) { eachEngine(t, testHandleChangedAndRemoved) }

func testHandleChangedAndRemoved(t *testing.T, e engine) {
	ctx := context.Background()
	s := open(t, e, "")
	alice, bob, _ := setup(t, s)
	write(t, s, func(tx store.Tx) error { return tx.SetHandle(ctx, alice, "alice") })
	write(t, s, func(tx store.Tx) error { return tx.SetHandle(ctx, alice, "ada") })
	if _, err := s.AccountByHandle(ctx, "alice"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the old handle still finds an account: %v", err)
	}
	if a, err := s.AccountByHandle(ctx, "ada"); err != nil || a.ID != alice {
		t.Errorf("AccountByHandle(ada) = %+v, %v", a, err)
	}
	// The freed handle is anyone's.
	write(t, s, func(tx store.Tx) error { return tx.SetHandle(ctx, bob, "alice") })
	if a, err := s.AccountByHandle(ctx, "alice"); err != nil || a.ID != bob {
		t.Errorf("AccountByHandle(alice) after the change = %+v, %v", a, err)
	}
	for range 2 { // removing twice is no error
		write(t, s, func(tx store.Tx) error { return tx.SetHandle(ctx, alice, "") })
	}
	if a, err := s.Account(ctx, alice); err != nil || a.Handle != "" {
		t.Errorf("Account after removal = %+v, %v", a, err)
	}
	if _, err := s.AccountByHandle(ctx, "ada"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the removed handle still finds an account: %v", err)
	}
	// An empty handle is never looked up as one (several accounts hold none).
	write(t, s, func(tx store.Tx) error { return tx.SetHandle(ctx, bob, "") })
	if _, err := s.AccountByHandle(ctx, ""); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("AccountByHandle(\"\") = %v", err)
	}
}

// TestMigrationFindsDirectPairs: a database of schema 1 with a direct chat opens at
// the current schema with that chat as its pair's, so a second create for the pair
// finds it.
func TestMigrationFindsDirectPairs(t *testing.T) {
	path := filepath.Join(t.TempDir(), "relay.db")
	init, err := os.ReadFile(filepath.Join("migrations", "0001_init.sql"))
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	alice, bob, chat := ids.Account{1}, ids.Account{2}, ids.Chat{9}
	for _, q := range []string{string(init),
		fmt.Sprintf("INSERT INTO chats (no, id, kind, created_by, created_at) VALUES (7, x'%x', 1, x'%x', 1)", chat[:], alice[:]),
		fmt.Sprintf("INSERT INTO members (chat_no, account_id, role) VALUES (7, x'%x', 1), (7, x'%x', 3)", alice[:], bob[:]),
		"PRAGMA user_version = 1",
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	s := open(t, engines[0], path)
	write(t, s, func(tx store.Tx) error {
		for _, pair := range [][2]ids.Account{{alice, bob}, {bob, alice}} {
			got, err := tx.DirectChat(context.Background(), pair[0], pair[1])
			if err != nil || got != chat {
				t.Errorf("DirectChat(%v) = %v, %v; want the migrated chat", pair, got, err)
			}
		}
		return nil
	})
}

// TestMembershipLogStore: records append at the log's head, a member reads them all,
// a former member up to the record that removed it, anyone else nothing.
func TestMembershipLogStore(t *testing.T) { eachEngine(t, testMembershipLogStore) }

func testMembershipLogStore(t *testing.T, e engine) {
	s := open(t, e, "")
	alice, bob, chat := setup(t, s)
	ctx := context.Background()
	carol := ids.Account{4}
	writeChat(t, s, chat, func(tx store.Tx, c *store.Chat) (err error) {
		for i := range 4 {
			if err := tx.AppendLog(ctx, c, []byte{byte(i)}, [32]byte{byte(i)}, uint8(i)); err != nil {
				return err
			}
		}
		if c.LogLen != 4 || c.LogHead != ([32]byte{3}) || c.HeadOp != 3 {
			t.Errorf("chat after four records: %+v", c)
		}
		if rec, err := tx.LogRecord(ctx, c, 2); err != nil || !bytes.Equal(rec, []byte{2}) {
			t.Errorf("record 2 = %x, %v", rec, err)
		}
		if _, err := tx.LogRecord(ctx, c, 4); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("record 4: %v", err)
		}
		return tx.SetFormer(ctx, c, carol, 2)
	})
	for _, c := range []struct {
		reader ids.Account
		from   uint64
		want   int
		err    error
	}{
		{alice, 0, 4, nil}, {bob, 1, 3, nil}, {carol, 0, 2, nil}, {carol, 2, 0, nil}, {ids.Account{5}, 0, 0, store.ErrNotFound},
	} {
		recs, more, err := s.Log(ctx, chat, c.reader, c.from, 100, 1<<20)
		if len(recs) != c.want || more || !errors.Is(err, c.err) {
			t.Errorf("%v reads from %d: %d records, more %v, %v; want %d, %v", c.reader, c.from, len(recs), more, err, c.want, c.err)
		}
	}
	if recs, more, err := s.Log(ctx, chat, alice, 0, 3, 1<<20); len(recs) != 3 || !more || err != nil {
		t.Errorf("a page of 3: %d, more %v, %v", len(recs), more, err)
	}
	writeChat(t, s, chat, func(tx store.Tx, c *store.Chat) (err error) {
		return tx.SetFormer(ctx, c, carol, 0)
	})
	if _, _, err := s.Log(ctx, chat, carol, 0, 100, 1<<20); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a former member forgotten still reads: %v", err)
	}
}
