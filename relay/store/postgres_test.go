package store_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"hush/ids"
	"hush/internal/pgtest"
	"hush/policy"
	"hush/relay/store"
	"hush/sync/wire"
)

func openPostgres(t *testing.T, dsn string) *store.Postgres {
	t.Helper()
	s, err := store.OpenPostgres(context.Background(), dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// withConn runs fn on a connection of its own to a database, as an operator would.
func withConn(t *testing.T, dsn string, fn func(ctx context.Context, conn *pgx.Conn) error) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if err := fn(ctx, conn); err != nil {
		t.Fatal(err)
	}
}

func schemaVersion(t *testing.T, dsn string) (v int) {
	t.Helper()
	withConn(t, dsn, func(ctx context.Context, conn *pgx.Conn) error {
		return conn.QueryRow(ctx, "SELECT version FROM schema_version").Scan(&v)
	})
	return v
}

func TestPostgresOpenMigratesAndRefusesNewer(t *testing.T) {
	dsn := pgtest.Database(t)
	for range 2 { // reopening a current database changes nothing
		s, err := store.OpenPostgres(context.Background(), dsn, nil)
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
		if v := schemaVersion(t, dsn); v != store.PostgresSchemaVersion() {
			t.Fatalf("schema version %d, want %d", v, store.PostgresSchemaVersion())
		}
	}
	newer := store.PostgresSchemaVersion() + 1
	withConn(t, dsn, func(ctx context.Context, conn *pgx.Conn) error {
		_, err := conn.Exec(ctx, "UPDATE schema_version SET version = $1", newer)
		return err
	})
	if _, err := store.OpenPostgres(context.Background(), dsn, nil); !errors.Is(err, store.ErrSchemaTooNew) {
		t.Fatalf("Open of a newer schema: %v, want ErrSchemaTooNew", err)
	}
	if v := schemaVersion(t, dsn); v != newer {
		t.Errorf("schema version = %d after refusal; the database must be left alone", v)
	}
}

// migrationCounter counts the migrations a store logs having applied.
type migrationCounter struct {
	mu sync.Mutex
	n  int
}

func (c *migrationCounter) Enabled(context.Context, slog.Level) bool { return true }
func (c *migrationCounter) WithAttrs([]slog.Attr) slog.Handler       { return c }
func (c *migrationCounter) WithGroup(string) slog.Handler            { return c }
func (c *migrationCounter) Handle(_ context.Context, r slog.Record) error {
	if r.Message == "relay store migrated" {
		c.mu.Lock()
		c.n++
		c.mu.Unlock()
	}
	return nil
}

// TestPostgresMigrationRace: relays that start together on an empty database all
// open it, and its schema is made once — the others wait on the advisory lock and
// find it done.
func TestPostgresMigrationRace(t *testing.T) {
	const relays = 6
	dsn := pgtest.Database(t)
	var count migrationCounter
	log := slog.New(&count)
	start := make(chan struct{})
	errs := make(chan error, relays)
	var wg sync.WaitGroup
	for range relays {
		wg.Go(func() {
			<-start
			s, err := store.OpenPostgres(context.Background(), dsn, log)
			if err == nil {
				s.Close()
			}
			errs <- err
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("Open: %v", err)
		}
	}
	if count.n != store.PostgresSchemaVersion() {
		t.Errorf("%d migrations applied by %d relays; want each of the %d once", count.n, relays, store.PostgresSchemaVersion())
	}
	if v := schemaVersion(t, dsn); v != store.PostgresSchemaVersion() {
		t.Errorf("schema version %d", v)
	}
}

// TestPostgresWritersNumberGapFree: two stores on one database — two relays —
// write into one chat, one account log and one device's inbox at once, each taking
// the next number from what it reads in its transaction. The row locks make every
// numbering gap-free and without a repeat, in commit order.
func TestPostgresWritersNumberGapFree(t *testing.T) {
	const perWriter = 40
	ctx := context.Background()
	dsn := pgtest.Database(t)
	a, b := openPostgres(t, dsn), openPostgres(t, dsn)
	alice, _, chat := setup(t, a)
	dev := ids.Device{7}
	write(t, a, func(tx store.Tx) error {
		return tx.CreateDevice(ctx, store.Device{ID: dev, AccountID: alice, Cert: []byte("c"), CreatedAt: 1})
	})
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for w, s := range []*store.Postgres{a, b} {
		wg.Go(func() {
			for i := range perWriter {
				err := s.Write(ctx, func(tx store.Tx) error {
					c, err := tx.Chat(ctx, chat)
					if err != nil {
						return err
					}
					id := ids.Message{byte(w), byte(i)}
					if _, _, _, err := tx.InsertMessage(ctx, c, wire.Entry{Seq: c.LastSeq + 1, MsgID: id, SenderAccount: alice, Epoch: 1, Ciphertext: []byte("x")}); err != nil {
						return err
					}
					seq, err := tx.AccountLogSeq(ctx, alice)
					if err != nil {
						return err
					}
					if _, _, _, err := tx.InsertAccountRecord(ctx, alice, wire.AccountEntry{Seq: seq + 1, RecordID: ids.Record{byte(w), byte(i)}, Ciphertext: []byte("r")}); err != nil {
						return err
					}
					_, _, err = tx.InsertInboxItem(ctx, dev, wire.InboxItem{ItemID: ids.InboxItem{byte(w), byte(i)}, FromAccount: alice, Ciphertext: []byte("i")})
					return err
				})
				if err != nil {
					errs <- fmt.Errorf("writer %d, write %d: %w", w, i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	msgs, _, err := a.Messages(ctx, chat, alice, 0, 1000, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	recs, _, err := b.AccountLog(ctx, alice, 0, 1000, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	items, _, err := b.Inbox(ctx, dev, 0, 1000, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 2*perWriter || len(recs) != 2*perWriter || len(items) != 2*perWriter {
		t.Fatalf("%d messages, %d records, %d items; want %d each", len(msgs), len(recs), len(items), 2*perWriter)
	}
	for i := range msgs {
		if msgs[i].Seq != uint64(i+1) || recs[i].Seq != uint64(i+1) {
			t.Fatalf("position %d: message seq %d, record seq %d", i, msgs[i].Seq, recs[i].Seq)
		}
	}
	if !slices.IsSortedFunc(items, func(x, y wire.InboxItem) int { return int(x.Seq) - int(y.Seq) }) {
		t.Error("inbox items out of order")
	}
}

// TestPostgresNotifyOnCommitOnly: what a write announces reaches listeners when it
// commits, in commit order, and never when it rolls back; Notify outside a write
// goes at once.
func TestPostgresNotifyOnCommitOnly(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s := openPostgres(t, pgtest.Database(t))
	got := make(chan string, 16)
	ready := make(chan struct{}, 1)
	lctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- s.Listen(lctx, func() { ready <- struct{}{} }, func(p string) { got <- p }) }()
	<-ready
	notify := func(payload string, fail error) error {
		return s.Write(ctx, func(tx store.Tx) error {
			if err := tx.(interface {
				Notify(context.Context, string) error
			}).Notify(ctx, payload); err != nil {
				return err
			}
			return fail
		})
	}
	boom := errors.New("boom")
	if err := notify("rolled back", boom); !errors.Is(err, boom) {
		t.Fatal(err)
	}
	for _, p := range []string{"one", "two"} {
		if err := notify(p, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Notify(ctx, "three"); err != nil {
		t.Fatal(err)
	}
	if err := s.Notify(ctx, strings.Repeat("x", store.MaxNotifyPayload+1)); !errors.Is(err, store.ErrPayloadTooLarge) {
		t.Errorf("oversized payload: %v", err)
	}
	for _, want := range []string{"one", "two", "three"} {
		select {
		case p := <-got:
			if p != want {
				t.Fatalf("notification %q, want %q", p, want)
			}
		case <-ctx.Done():
			t.Fatalf("no notification %q", want)
		}
	}
	stop()
	if err := <-done; err != nil {
		t.Errorf("Listen = %v", err)
	}
}

// TestPrekeysStore: prekeys are replaced, added without repeats, counted, and
// handed out once each, the last-resort key when no one-time PQ key is left.
func TestPrekeysStore(t *testing.T) { eachEngine(t, testPrekeysStore) }

func testPrekeysStore(t *testing.T, e engine) {
	ctx := context.Background()
	s := open(t, e, "")
	dev := ids.Device{9}
	key := func(id byte) wire.Prekey { return wire.Prekey{ID: ids.Prekey{id}, Signed: []byte{id}} }
	write(t, s, func(tx store.Tx) error {
		if _, err := tx.TakePrekeys(ctx, dev); !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("bundle of a device without prekeys: %v", err)
		}
		for _, p := range []struct {
			kind store.PrekeyKind
			key  wire.Prekey
		}{{store.PrekeySigned, key(1)}, {store.PrekeySigned, key(2)}, {store.PrekeyLastResort, key(3)}} {
			if err := tx.ReplacePrekey(ctx, dev, p.kind, p.key); err != nil {
				return err
			}
		}
		if err := tx.AddPrekeys(ctx, dev, store.PrekeyOneTime, []wire.Prekey{key(20), key(10), key(10)}); err != nil {
			return err
		}
		if err := tx.AddPrekeys(ctx, dev, store.PrekeyPQOneTime, []wire.Prekey{key(30)}); err != nil {
			return err
		}
		if one, pq, err := tx.PrekeyCounts(ctx, dev); err != nil || one != 2 || pq != 1 {
			return fmt.Errorf("PrekeyCounts = %d, %d, %v", one, pq, err)
		}
		return nil
	})
	tests := []struct {
		signed, pq, oneTime byte // ids; 0: none
		pqOneTime           bool
	}{
		{2, 30, 10, true},
		{2, 3, 20, false},
		{2, 3, 0, false},
	}
	for i, tt := range tests {
		write(t, s, func(tx store.Tx) error {
			b, err := tx.TakePrekeys(ctx, dev)
			if err != nil {
				return err
			}
			var one wire.Prekey
			if tt.oneTime != 0 {
				one = key(tt.oneTime)
			}
			if b.Device != dev || b.Signed.ID != key(tt.signed).ID || b.PQ.ID != key(tt.pq).ID || b.PQOneTime != tt.pqOneTime || b.OneTime.ID != one.ID {
				t.Errorf("bundle %d = %+v", i, b)
			}
			return nil
		})
	}
}

// TestFanOutReads: what a relay reads to pass on another relay's commit — the
// members of a chat, the peers of an account, epochs and account log records.
func TestFanOutReads(t *testing.T) { eachEngine(t, testFanOutReads) }

func testFanOutReads(t *testing.T, e engine) {
	ctx := context.Background()
	s := open(t, e, "")
	alice, bob, chat := setup(t, s)
	writeChat(t, s, chat, func(tx store.Tx, c *store.Chat) (err error) {
		key := wire.EpochKey{Epoch: 1, ByDevice: ids.Device{1}, ByAccount: alice, ServerTime: 5}
		if err := tx.InsertEpoch(ctx, c, key, []wire.WrappedKey{{AccountID: alice, Envelope: []byte("a")}, {AccountID: bob, Envelope: []byte("b")}}); err != nil {
			return err
		}
		c.Epoch = 1
		if err := tx.SetEpoch(ctx, c); err != nil {
			return err
		}
		_, _, _, err = tx.InsertAccountRecord(ctx, bob, wire.AccountEntry{Seq: 1, RecordID: ids.Record{1}, Ciphertext: []byte("r")})
		return err
	})
	members, err := s.ChatMembers(ctx, chat)
	slices.SortFunc(members, func(x, y ids.Account) int { return strings.Compare(x.String(), y.String()) })
	if err != nil || !slices.Equal(members, []ids.Account{alice, bob}) {
		t.Errorf("ChatMembers = %v, %v", members, err)
	}
	if m, err := s.ChatMembers(ctx, ids.Chat{99}); err != nil || len(m) != 0 {
		t.Errorf("members of no chat = %v, %v", m, err)
	}
	if p, err := s.Peers(ctx, alice); err != nil || !slices.Equal(p, []ids.Account{bob}) {
		t.Errorf("Peers = %v, %v", p, err)
	}
	keys, more, err := s.Epochs(ctx, chat, bob, 1, 10, 1<<20)
	if err != nil || more || len(keys) != 1 || string(keys[0].Envelope) != "b" || keys[0].ByAccount != alice {
		t.Errorf("Epochs = %+v, %v, %v", keys, more, err)
	}
	if _, _, err := s.Epochs(ctx, chat, ids.Account{9}, 1, 10, 1<<20); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("epochs of a stranger: %v", err)
	}
	recs, _, err := s.AccountLog(ctx, bob, 0, 10, 1<<20)
	if err != nil || len(recs) != 1 || recs[0].Seq != 1 {
		t.Errorf("AccountLog = %+v, %v", recs, err)
	}
	info, err := s.ChatInfo(ctx, chat, alice)
	if err != nil || info.Epoch != 1 || info.Kind != policy.KindDirect {
		t.Errorf("ChatInfo = %+v, %v", info, err)
	}
}
