package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	_ "modernc.org/sqlite"

	"hush/ids"
	"hush/policy"
	"hush/relay/store"
	"hush/sync/wire"
)

func open(t *testing.T, path string) *store.SQLite {
	t.Helper()
	s, err := store.Open(context.Background(), path, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func write(t *testing.T, s *store.SQLite, fn func(tx store.Tx) error) {
	t.Helper()
	if err := s.Write(context.Background(), fn); err != nil {
		t.Fatal(err)
	}
}

// setup creates two accounts and a chat of both, returning the chat.
func setup(t *testing.T, s *store.SQLite) (alice, bob ids.Account, chat ids.Chat) {
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

func TestWriteIsAtomicAndDurable(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "relay.db")
	s := open(t, path)
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
	write(t, s, func(tx store.Tx) error {
		c, err := tx.Chat(ctx, chat)
		if err != nil {
			return err
		}
		_, _, _, err = tx.InsertMessage(ctx, c, wire.Entry{Seq: 1, MsgID: ids.Message{1}, SenderAccount: alice, Epoch: 1, Ciphertext: []byte("x")})
		return err
	})
	// A second handle on the file (as after a restart) sees the commit.
	s2, err := store.Open(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if e, _, err := s2.Messages(ctx, chat, alice, 0, 10, 1<<20); err != nil || len(e) != 1 {
		t.Fatalf("reopened store: %d entries, %v", len(e), err)
	}
}

func TestMessagesIdempotentAndPaged(t *testing.T) {
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "relay.db"))
	alice, bob, chat := setup(t, s)
	write(t, s, func(tx store.Tx) error {
		c, err := tx.Chat(ctx, chat)
		if err != nil {
			return err
		}
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

func TestInboxSeqNeverReused(t *testing.T) {
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "relay.db"))
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

func TestAccountsDevicesHandles(t *testing.T) {
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "relay.db"))
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
