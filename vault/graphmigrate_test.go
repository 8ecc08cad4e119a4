package vault

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"hush/ids"
)

// The version 1 fixture: testdata/v1/vault.db.gz was written by the vault of
// commit f7bda20 (testdata/v1/genfixture_test.go), and contents.json is what
// it holds. These types mirror the generator's.
type v1Contents struct {
	Passphrase    string
	AccountPublic [][]byte
	Accounts      []Account
	Devices       []Device
	Contacts      []Contact
	Chats         []Chat
	DirectChat    ids.Chat
	Messages      []Message
	Attachments   []Attachment
	Timers        []v1Timer
	Drafts        map[ids.Chat]string
	EpochKeys     []v1EpochKey
	Outbox        []OutboxItem
	Cursors       map[string]int64
	Settings      map[string][]byte
	Sessions      []v1Session
	Prekeys       []v1Prekey
	SearchTokens  int
}

type v1Timer struct {
	Message   ids.Message
	ExpiresAt time.Time
}

type v1EpochKey struct {
	Chat  ids.Chat
	Epoch uint64
	Key   []byte
}

type v1Session struct {
	Peer  ids.Device
	State []byte
}

type v1Prekey struct {
	ID      ids.Prekey
	Private []byte
}

// loadV1Fixture unpacks the version 1 vault into a temporary directory and
// returns its path and contents.
func loadV1Fixture(t testing.TB) (string, v1Contents) {
	t.Helper()
	f, err := os.Open("testdata/v1/vault.db.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	db, err := io.ReadAll(io.LimitReader(zr, 16<<20))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "v1.db")
	if err := os.WriteFile(path, db, 0o600); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile("testdata/v1/contents.json")
	if err != nil {
		t.Fatal(err)
	}
	var c v1Contents
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	if len(c.Accounts) == 0 || len(c.Messages) == 0 || c.Passphrase != testPassphrase {
		t.Fatal("contents.json is not the fixture's")
	}
	return path, c
}

// readContents reads back, through the vault's API, everything want says the
// vault holds, in want's shape: a vault that lost, altered or mixed up
// anything reads back differently.
func readContents(t *testing.T, v *Vault, want v1Contents) v1Contents {
	t.Helper()
	got := v1Contents{Passphrase: want.Passphrase, AccountPublic: want.AccountPublic, DirectChat: want.DirectChat,
		Drafts: map[ids.Chat]string{}, Cursors: map[string]int64{}, Settings: map[string][]byte{}}
	view(t, v, func(tx *Tx) error {
		return errors.Join(readPeople(t, tx, want, &got), readChats(t, tx, want, &got), readSync(tx, want, &got))
	})
	return got
}

// readPeople reads accounts, devices and contacts.
func readPeople(t *testing.T, tx *Tx, want v1Contents, got *v1Contents) error {
	var err error
	if got.Accounts, err = tx.Accounts(); err != nil {
		return err
	}
	for _, d := range want.Devices {
		one, err := tx.Device(d.ID)
		if err != nil {
			return err
		}
		got.Devices = append(got.Devices, one)
	}
	// DevicesOf lists each account's devices in the order they were stored.
	for _, owner := range slices.Compact(deviceOwners(want.Devices)) {
		list, err := tx.DevicesOf(owner)
		if err != nil {
			return err
		}
		var wantList []Device
		for _, d := range want.Devices {
			if d.AccountID == owner {
				wantList = append(wantList, d)
			}
		}
		if jsonOf(t, list) != jsonOf(t, wantList) {
			t.Errorf("DevicesOf(%s) = %s\nwant %s", owner, jsonOf(t, list), jsonOf(t, wantList))
		}
	}
	if got.Contacts, err = tx.Contacts(); err != nil {
		return err
	}
	for _, c := range want.Contacts {
		one, err := tx.Contact(c.AccountID)
		if err != nil || jsonOf(t, one) != jsonOf(t, c) {
			t.Errorf("Contact(%s) = %+v, %v", c.AccountID, one, err)
		}
	}
	return nil
}

// readChats reads chats, messages, attachments and timers.
func readChats(t *testing.T, tx *Tx, want v1Contents, got *v1Contents) error {
	// Chats come in chat-list order; compare them in want's order.
	chats, err := tx.Chats()
	if err != nil {
		return err
	}
	for _, c := range want.Chats {
		i := slices.IndexFunc(chats, func(x Chat) bool { return x.ID == c.ID })
		if i < 0 {
			return fmt.Errorf("chat %s missing from Chats", c.ID)
		}
		got.Chats = append(got.Chats, chats[i])
		one, err := tx.Chat(c.ID)
		if err != nil || jsonOf(t, one) != jsonOf(t, chats[i]) {
			t.Errorf("Chat(%s) = %+v, %v; Chats has %+v", c.ID, one, err, chats[i])
		}
	}
	for _, m := range want.Messages {
		one, err := tx.Message(m.ID)
		if err != nil {
			return err
		}
		got.Messages = append(got.Messages, one)
	}
	for _, c := range want.Chats {
		page, _, err := tx.Messages(c.ID, PageCursor{}, MaxPageSize)
		if err != nil {
			return err
		}
		var n int
		for _, m := range want.Messages {
			if m.ChatID == c.ID {
				n++
			}
		}
		if len(page) != n {
			t.Errorf("Messages(%s) = %d messages, want %d", c.ID, len(page), n)
		}
	}
	for _, a := range want.Attachments {
		one, err := tx.Attachment(a.ID)
		if err != nil {
			return err
		}
		got.Attachments = append(got.Attachments, one)
	}
	due, err := tx.DueTimers(time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		return err
	}
	for _, id := range due {
		i := slices.IndexFunc(want.Timers, func(x v1Timer) bool { return x.Message == id })
		if i < 0 {
			return fmt.Errorf("unexpected timer of %s", id)
		}
		got.Timers = append(got.Timers, want.Timers[i]) // the expiry itself is checked below
	}
	for _, tm := range want.Timers {
		early, err := tx.DueTimers(tm.ExpiresAt.Add(-time.Microsecond))
		if err != nil || slices.Contains(early, tm.Message) {
			t.Errorf("timer of %s due before %v: %v", tm.Message, tm.ExpiresAt, err)
		}
	}
	return nil
}

// readSync reads drafts, epoch keys, the outbox, cursors, settings, sessions,
// prekeys and the number of search tokens.
func readSync(tx *Tx, want v1Contents, got *v1Contents) error {
	var err error
	for chat := range want.Drafts {
		if got.Drafts[chat], err = tx.Draft(chat); err != nil {
			return err
		}
	}
	for _, k := range want.EpochKeys {
		key, err := tx.EpochKey(k.Chat, k.Epoch)
		if err != nil {
			return err
		}
		got.EpochKeys = append(got.EpochKeys, v1EpochKey{Chat: k.Chat, Epoch: k.Epoch, Key: key})
		if latest, err := tx.LatestEpoch(k.Chat); err != nil || latest < k.Epoch {
			return fmt.Errorf("LatestEpoch(%s) = %d, %v", k.Chat, latest, err)
		}
	}
	if got.Outbox, err = tx.Outbox(MaxPageSize); err != nil {
		return err
	}
	for scope := range want.Cursors {
		if got.Cursors[scope], err = tx.Cursor(scope); err != nil {
			return err
		}
	}
	for name := range want.Settings {
		if got.Settings[name], err = tx.Setting(name); err != nil {
			return err
		}
	}
	for _, s := range want.Sessions {
		state, err := tx.Session(s.Peer)
		if err != nil {
			return err
		}
		got.Sessions = append(got.Sessions, v1Session{Peer: s.Peer, State: state})
	}
	for _, p := range want.Prekeys {
		key, err := tx.Prekey(p.ID)
		if err != nil {
			return err
		}
		got.Prekeys = append(got.Prekeys, v1Prekey{ID: p.ID, Private: key})
	}
	return tx.sqlTx.QueryRowContext(tx.ctx, `SELECT count(*) FROM search_index`).Scan(&got.SearchTokens)
}

func deviceOwners(ds []Device) []ids.Account {
	var out []ids.Account
	for _, d := range ds {
		out = append(out, d.AccountID)
	}
	slices.SortFunc(out, func(a, b ids.Account) int { return bytes.Compare(a[:], b[:]) })
	return out
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// firstDiff names the first line where two texts differ.
func firstDiff(a, b string) string {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(la), len(lb)) {
		if la[i] != lb[i] {
			return fmt.Sprintf("line %d: got %q, want %q", i+1, la[i], lb[i])
		}
	}
	return fmt.Sprintf("got %d lines, want %d", len(la), len(lb))
}

// TestMigrateV1Fixture opens a vault written by the code before the graph
// index. Before: the file answers "does this person talk to Bob?" from public
// keys alone (the attack succeeds). Open migrates it in one transaction;
// after: everything reads back exactly, the schema is version 2, and the
// same attack finds nothing, in the database or the WAL.
func TestMigrateV1Fixture(t *testing.T) {
	path, want := loadV1Fixture(t)
	needles := graphNeedles(t, want)
	// The attack on the version 1 layout: every id, and the 1:1 chat id
	// computed from two public keys, is in the file in clear.
	before := findNeedles(t, path, needles)
	var idNeedles []string
	for name := range needles {
		if strings.Contains(name, " id") && !strings.HasSuffix(name, "(hex)") {
			idNeedles = append(idNeedles, name)
		}
	}
	for _, name := range idNeedles {
		if name == "1:1 chat id with contact 1" || name == "1:1 chat id with contact 2" {
			continue // no such chat in the fixture
		}
		if !slices.ContainsFunc(before, func(s string) bool { return strings.HasPrefix(s, name+" in ") }) {
			t.Errorf("the version 1 fixture does not hold the %s in clear; the attack below proves nothing", name)
		}
	}
	t.Logf("version 1 layout: %d of %d graph needles found in clear, e.g. %s", len(before), len(needles), before[0])

	v := reopen(t, path, testPassphrase)
	var version int
	if err := v.db.QueryRowContext(t.Context(), "PRAGMA user_version").Scan(&version); err != nil || version != 2 {
		t.Fatalf("schema version after Open = %d, %v; want 2", version, err)
	}
	got := readContents(t, v, want)
	if g, w := jsonOf(t, got), jsonOf(t, want); g != w {
		t.Errorf("read back after migration differs: %s", firstDiff(g, w))
	}
	var fkProblems int
	if err := v.db.QueryRowContext(t.Context(), "SELECT count(*) FROM pragma_foreign_key_check").Scan(&fkProblems); err != nil || fkProblems != 0 {
		t.Errorf("foreign_key_check = %d, %v", fkProblems, err)
	}
	if err := v.Check(t.Context()); err != nil {
		t.Errorf("Check after migration: %v", err)
	}
	t.Run("open", func(t *testing.T) {
		if found := findNeedles(t, path, needles); len(found) > 0 {
			t.Errorf("after migration, in clear: %v", found)
		}
	})
	// Writes after the migration go through the new code and stay hidden.
	update(t, v, func(tx *Tx) error {
		c := want.Chats[1]
		c.Members = c.Members[:1]
		if err := tx.PutChat(c); err != nil {
			return err
		}
		return tx.PutLogRecord(c.ID, 1, []byte("log record"))
	})
	if err := v.Close(); err != nil {
		t.Fatal(err)
	}
	t.Run("closed", func(t *testing.T) {
		if found := findNeedles(t, path, needles); len(found) > 0 {
			t.Errorf("after migration and Close, in clear: %v", found)
		}
	})

	// A second Open finds version 2 and migrates nothing.
	v = reopen(t, path, testPassphrase)
	again := readContents(t, v, want)
	again.Chats[1].Members = want.Chats[1].Members
	if g, w := jsonOf(t, again), jsonOf(t, want); g != w {
		t.Errorf("read back after a second Open differs: %s", firstDiff(g, w))
	}
}

// TestMigrateV1IsOneTransaction makes the migration fail at its last table
// (a damaged session row, rewritten after every other) and checks that the
// vault is left exactly as version 1 had it: the rows rewritten before the
// failure are rolled back with it. A crash at that point is the same
// uncommitted transaction to SQLite. Repaired, the same file migrates.
func TestMigrateV1IsOneTransaction(t *testing.T) {
	path, want := loadV1Fixture(t)
	db := rawDB(t, path)
	var rowid int64
	var blob []byte
	if err := db.QueryRowContext(t.Context(), `SELECT rowid, data FROM sessions ORDER BY rowid DESC LIMIT 1`).Scan(&rowid, &blob); err != nil {
		t.Fatal(err)
	}
	damaged := bytes.Clone(blob)
	damaged[len(damaged)-1] ^= 1
	if _, err := db.ExecContext(t.Context(), `UPDATE sessions SET data = ?2 WHERE rowid = ?1`, rowid, damaged); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(t.Context(), `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	dumpBefore, hashBefore := dumpTables(t, path), fileHash(t, path)

	_, err := Open(t.Context(), path, []byte(testPassphrase), testOptions(t))
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Open of a version 1 vault with a damaged row = %v, want ErrCorrupt", err)
	}
	if fileHash(t, path) != hashBefore {
		t.Error("the failed migration changed the main database file")
	}
	if d := dumpTables(t, path); d != dumpBefore {
		t.Errorf("the failed migration left changes: %s", firstDiff(d, dumpBefore))
	}

	db = rawDB(t, path)
	if _, err := db.ExecContext(t.Context(), `UPDATE sessions SET data = ?2 WHERE rowid = ?1`, rowid, blob); err != nil {
		t.Fatal(err)
	}
	db.Close()
	v := reopen(t, path, testPassphrase)
	if g, w := jsonOf(t, readContents(t, v, want)), jsonOf(t, want); g != w {
		t.Errorf("read back after the repaired migration differs: %s", firstDiff(g, w))
	}
}

// dumpTables returns every row of every table and the schema version, as
// text, read with a plain SQLite connection.
func dumpTables(t *testing.T, path string) string {
	t.Helper()
	db := rawDB(t, path)
	defer db.Close()
	var out strings.Builder
	var version int
	if err := db.QueryRowContext(t.Context(), "PRAGMA user_version").Scan(&version); err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&out, "user_version %d\n", version)
	rows, err := db.QueryContext(t.Context(), `SELECT name, sql FROM sqlite_schema ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	schema := map[string]string{}
	for rows.Next() {
		var name string
		var sql *string
		if err := rows.Scan(&name, &sql); err != nil {
			t.Fatal(err)
		}
		if sql != nil {
			schema[name] = *sql
		}
	}
	rows.Close()
	for _, name := range slices.Sorted(maps.Keys(schema)) {
		fmt.Fprintf(&out, "%s: %s\n", name, schema[name])
		if !strings.HasPrefix(schema[name], "CREATE TABLE") {
			continue
		}
		rows, err := db.QueryContext(t.Context(), `SELECT * FROM "`+name+`"`)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&out, "  %x\n", sha256.Sum256([]byte(fmt.Sprint(vals...))))
		}
		rows.Close()
	}
	return out.String()
}
