package store_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"

	"hush/ids"
	"hush/relay/store"
	"hush/sync/wire"
)

// adminStore is what `hush-relay admin` uses of a store; both engines have it.
type adminStore interface {
	testStore
	Accounts(ctx context.Context, fn func(store.AccountUsage) error) error
	SetDisabled(ctx context.Context, id ids.Account, at int64) error
	DeleteAccount(ctx context.Context, id ids.Account) (store.DeleteCounts, error)
	ExportAccount(ctx context.Context, id ids.Account) (store.AccountExport, error)
}

func TestAdmin(t *testing.T) { eachEngine(t, testAdmin) }

func testAdmin(t *testing.T, e engine) {
	ctx := context.Background()
	s := open(t, e, "").(adminStore)
	alice, bob, chat := setup(t, s)
	aliceDev, bobDev := ids.Device{10}, ids.Device{20}
	item := []byte("for alice, from bob")
	write(t, s, func(tx store.Tx) error {
		for dev, acct := range map[ids.Device]ids.Account{aliceDev: alice, bobDev: bob} {
			if err := tx.CreateDevice(ctx, store.Device{ID: dev, AccountID: acct, Cert: []byte("cert"), CreatedAt: 5}); err != nil {
				return err
			}
		}
		if err := tx.SetHandle(ctx, alice, "alice"); err != nil {
			return err
		}
		if _, _, err := tx.InsertInboxItem(ctx, aliceDev, wire.InboxItem{ItemID: ids.InboxItem{1}, FromAccount: bob, FromDevice: bobDev, ServerTime: 6, Ciphertext: item}); err != nil {
			return err
		}
		if err := tx.AddUsage(ctx, bob, int64(len(item))); err != nil {
			return err
		}
		if _, _, _, err := tx.InsertAccountRecord(ctx, alice, wire.AccountEntry{Seq: 1, RecordID: ids.Record{1}, SenderDevice: aliceDev, ServerTime: 7, Ciphertext: []byte("settings")}); err != nil {
			return err
		}
		if err := tx.AddPrekeys(ctx, aliceDev, store.PrekeyOneTime, []wire.Prekey{{ID: ids.Prekey{1}, Signed: []byte("k1")}, {ID: ids.Prekey{2}, Signed: []byte("k2")}}); err != nil {
			return err
		}
		c, err := tx.Chat(ctx, chat)
		if err != nil {
			return err
		}
		_, _, _, err = tx.InsertMessage(ctx, c, wire.Entry{Seq: 1, MsgID: ids.Message{1}, SenderAccount: alice, SenderDevice: aliceDev, Epoch: 0, ServerTime: 8, Ciphertext: []byte("hello bob")})
		return err
	})

	var listed []store.AccountUsage
	if err := s.Accounts(ctx, func(a store.AccountUsage) error { listed = append(listed, a); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(listed) != 2 || listed[0].ID != alice || listed[0].Handle != "alice" || listed[0].Devices != 1 || listed[1].UsedBytes != int64(len(item)) {
		t.Errorf("Accounts = %+v", listed)
	}

	ex, err := s.ExportAccount(ctx, alice)
	if err != nil {
		t.Fatal(err)
	}
	if ex.Account.ID != alice || ex.Account.Handle != "alice" || len(ex.Devices) != 1 || ex.Devices[0].ID != aliceDev || ex.Devices[0].Prekeys != 2 {
		t.Errorf("export account and devices: %+v %+v", ex.Account, ex.Devices)
	}
	if len(ex.Chats) != 1 || ex.Chats[0].ID != chat || ex.Chats[0].Kind != "direct" || ex.Chats[0].Role != "owner" || ex.Chats[0].Sent != (store.Sizes{Count: 1, Bytes: int64(len("hello bob"))}) {
		t.Errorf("export chats: %+v", ex.Chats)
	}
	if ex.Inbox != (store.Sizes{Count: 1, Bytes: int64(len(item))}) || ex.SentInbox != (store.Sizes{}) || ex.AccountLog != (store.Sizes{Count: 1, Bytes: int64(len("settings"))}) {
		t.Errorf("export sizes: inbox %+v, sent %+v, log %+v", ex.Inbox, ex.SentInbox, ex.AccountLog)
	}

	if _, err := s.DeleteAccount(ctx, alice); !errors.Is(err, store.ErrNotDisabled) {
		t.Fatalf("DeleteAccount of an enabled account: %v, want ErrNotDisabled", err)
	}
	if err := s.SetDisabled(ctx, alice, 99); err != nil {
		t.Fatal(err)
	}
	if a, err := s.Account(ctx, alice); err != nil || !a.Disabled() || a.DisabledAt != 99 {
		t.Errorf("after SetDisabled: %+v, %v", a, err)
	}
	if got, newest, err := s.DisabledSince(ctx, 0, 10); err != nil || len(got) != 1 || got[0] != alice || newest != 99 {
		t.Errorf("DisabledSince(0) = %v, %d, %v", got, newest, err)
	}
	if got, newest, err := s.DisabledSince(ctx, 99, 10); err != nil || len(got) != 0 || newest != 99 {
		t.Errorf("DisabledSince(99) = %v, %d, %v", got, newest, err)
	}
	counts, err := s.DeleteAccount(ctx, alice)
	if err != nil {
		t.Fatal(err)
	}
	if want := (store.DeleteCounts{Devices: 1, InboxItems: 1, AccountLog: 1, Memberships: 1, Prekeys: 2}); counts != want {
		t.Errorf("DeleteAccount = %+v, want %+v", counts, want)
	}
	if _, err := s.Account(ctx, alice); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleted account: %v", err)
	}
	if _, err := s.AccountByHandle(ctx, "alice"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the deleted account's handle is still held: %v", err)
	}
	if b, err := s.Account(ctx, bob); err != nil || b.UsedBytes != 0 {
		t.Errorf("bob's quota after his undelivered item was deleted: %+v, %v", b, err)
	}
	if m, err := s.ChatMembers(ctx, chat); err != nil || len(m) != 1 || m[0] != bob {
		t.Errorf("chat members after delete = %v, %v", m, err)
	}
	// What alice posted stays in bob's history, whose numbering has no gaps.
	if msgs, _, err := s.Messages(ctx, chat, bob, 0, 10, 1<<20); err != nil || len(msgs) != 1 {
		t.Errorf("bob's messages after delete = %d, %v", len(msgs), err)
	}

	for name, err := range map[string]error{
		"SetDisabled": s.SetDisabled(ctx, alice, 1),
		"Export":      func() error { _, err := s.ExportAccount(ctx, alice); return err }(),
		"Delete":      func() error { _, err := s.DeleteAccount(ctx, alice); return err }(),
	} {
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s of a deleted account: %v, want ErrNotFound", name, err)
		}
	}
	// Enabling again clears the mark.
	if err := s.SetDisabled(ctx, bob, 5); err != nil {
		t.Fatal(err)
	}
	if err := s.SetDisabled(ctx, bob, 0); err != nil {
		t.Fatal(err)
	}
	if b, err := s.Account(ctx, bob); err != nil || b.Disabled() {
		t.Errorf("bob after enabling: %+v, %v", b, err)
	}
}

// TestReady: a store at this code's schema is ready; one whose schema is older
// (a migration not yet run) is not.
func TestReady(t *testing.T) {
	lower := map[string]func(t *testing.T, place string){
		"sqlite": func(t *testing.T, path string) {
			db, err := sql.Open("sqlite", path)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := db.Exec("PRAGMA user_version = 1"); err != nil {
				t.Fatal(err)
			}
		},
		"postgres": func(t *testing.T, dsn string) {
			withConn(t, dsn, func(ctx context.Context, conn *pgx.Conn) error {
				_, err := conn.Exec(ctx, "UPDATE schema_version SET version = 1")
				return err
			})
		},
	}
	eachEngine(t, func(t *testing.T, e engine) {
		place := e.place(t)
		s := open(t, e, place)
		if err := s.Ready(context.Background()); err != nil {
			t.Fatalf("Ready = %v", err)
		}
		lower[e.name](t, place)
		if err := s.Ready(context.Background()); !errors.Is(err, store.ErrNotMigrated) {
			t.Errorf("Ready with an old schema = %v, want ErrNotMigrated", err)
		}
	})
}

// TestExpireInboxItems: items stored before the cutoff go, oldest first, at most
// limit per call, and each sender gets back what its items took.
func TestExpireInboxItems(t *testing.T) { eachEngine(t, testExpireInboxItems) }

func testExpireInboxItems(t *testing.T, e engine) {
	ctx := context.Background()
	s := open(t, e, "")
	alice, bob, _ := setup(t, s)
	dev := ids.Device{10}
	write(t, s, func(tx store.Tx) error {
		if err := tx.CreateDevice(ctx, store.Device{ID: dev, AccountID: bob, Cert: []byte("cert"), CreatedAt: 1}); err != nil {
			return err
		}
		for i, at := range []int64{30, 10, 20} { // stored out of time order
			from := alice
			if at == 20 {
				from = bob
			}
			it := wire.InboxItem{ItemID: ids.InboxItem{byte(i + 1)}, FromAccount: from, ServerTime: at, Ciphertext: make([]byte, at)}
			if _, _, err := tx.InsertInboxItem(ctx, dev, it); err != nil {
				return err
			}
		}
		return nil
	})
	steps := []struct {
		before int64
		limit  int
		n      int
		freed  map[ids.Account]int64
	}{
		{before: 25, limit: 1, n: 1, freed: map[ids.Account]int64{alice: 10}}, // the oldest only
		{before: 25, limit: 5, n: 1, freed: map[ids.Account]int64{bob: 20}},
		{before: 25, limit: 5, n: 0, freed: map[ids.Account]int64{}}, // the one at 30 is younger
		{before: 31, limit: 5, n: 1, freed: map[ids.Account]int64{alice: 30}},
	}
	for i, st := range steps {
		write(t, s, func(tx store.Tx) error {
			n, freed, err := tx.ExpireInboxItems(ctx, st.before, st.limit)
			if err != nil {
				return err
			}
			if n != st.n || len(freed) != len(st.freed) {
				t.Errorf("step %d: %d items, freed %v; want %d, %v", i, n, freed, st.n, st.freed)
			}
			for a, want := range st.freed {
				if freed[a] != want {
					t.Errorf("step %d: freed %d of %v, want %d", i, freed[a], a, want)
				}
			}
			return nil
		})
	}
}
