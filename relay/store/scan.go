package store

import (
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"

	"hush/ids"
	"hush/sync/wire"
)

// What the engines share: the shape of their rows, so each read is written once
// whatever engine ran the query, and the numbered migrations.

// row is one result row: *sql.Row and pgx.Row.
type row interface{ Scan(dest ...any) error }

// rows is a result set: *sql.Rows and pgx.Rows. The caller closes it.
type rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// noRows reports the "no row" error of either engine's driver.
func noRows(err error) bool {
	return errors.Is(err, sql.ErrNoRows) || pgNoRows(err)
}

// scanID copies a stored id into dst, refusing one of another length.
func scanID(dst []byte, src []byte, what string) error {
	if len(src) != len(dst) {
		return fmt.Errorf("stored %s has %d bytes", what, len(src))
	}
	copy(dst, src)
	return nil
}

// selectAccount lists the columns scanAccount reads; the caller adds the WHERE.
const selectAccount = "SELECT id, public_key, coalesce(handle, ''), used_bytes, created_at, keys, device_list, device_list_version, coalesce(disabled_at, 0) FROM accounts"

func scanAccount(r row) (Account, error) {
	var a Account
	var id []byte
	if err := r.Scan(&id, &a.PublicKey, &a.Handle, &a.UsedBytes, &a.CreatedAt, &a.Keys, &a.DeviceList, &a.DeviceListVersion, &a.DisabledAt); err != nil {
		if noRows(err) {
			return Account{}, ErrNotFound
		}
		return Account{}, fmt.Errorf("read account: %w", err)
	}
	return a, scanID(a.ID[:], id, "account id")
}

// selectDevice lists the columns scanDevice reads; the caller adds the WHERE.
const selectDevice = "SELECT id, account_id, cert, created_at, coalesce(revoked_at, 0) FROM devices"

func scanDevice(r row) (Device, error) {
	var d Device
	var id, acct []byte
	if err := r.Scan(&id, &acct, &d.Cert, &d.CreatedAt, &d.RevokedAt); err != nil {
		if noRows(err) {
			return Device{}, ErrNotFound
		}
		return Device{}, fmt.Errorf("read device: %w", err)
	}
	if err := scanID(d.ID[:], id, "device id"); err != nil {
		return Device{}, err
	}
	return d, scanID(d.AccountID[:], acct, "account id")
}

// scanAll reads every row with scan, naming what in errors.
func scanAll[T any](rs rows, what string, scan func(row) (T, error)) ([]T, error) {
	var out []T
	for rs.Next() {
		v, err := scan(rs)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", what, err)
		}
		out = append(out, v)
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", what, err)
	}
	return out, nil
}

// scanPage reads at most limit rows with scan, and not much more than maxBytes (but
// at least one) as size counts them; more reports a row beyond the page. The query
// asks for limit+1 rows.
func scanPage[T any](rs rows, what string, limit, maxBytes int, scan func(row) (T, error), size func(T) int) (out []T, more bool, err error) {
	total := 0
	for rs.Next() {
		if len(out) == limit {
			return out, true, nil
		}
		v, err := scan(rs)
		if err != nil {
			return nil, false, fmt.Errorf("read %s: %w", what, err)
		}
		if total += size(v); len(out) > 0 && total > maxBytes {
			return out, true, nil
		}
		out = append(out, v)
	}
	if err := rs.Err(); err != nil {
		return nil, false, fmt.Errorf("read %s: %w", what, err)
	}
	return out, false, nil
}

func scanCert(r row) ([]byte, error) {
	var c []byte
	return c, r.Scan(&c)
}

func scanSeen(r row) (wire.DeviceSeen, error) {
	var b []byte
	var d wire.DeviceSeen
	if err := r.Scan(&b, &d.At); err != nil {
		return d, err
	}
	return d, scanID(d.DeviceID[:], b, "device id")
}

func scanAccountID(r row) (ids.Account, error) {
	var b []byte
	var id ids.Account
	if err := r.Scan(&b); err != nil {
		return id, err
	}
	return id, scanID(id[:], b, "account id")
}

func scanChatSummary(r row) (wire.ChatSummary, error) {
	var c wire.ChatSummary
	var id []byte
	if err := r.Scan(&id, &c.Kind, &c.Role, &c.Epoch, &c.LastSeq, &c.ReadSeq, &c.LogLen, &c.LastTime); err != nil {
		return c, err
	}
	return c, scanID(c.ChatID[:], id, "chat id")
}

func scanRecord(r row) ([]byte, error) {
	var rec []byte
	return rec, r.Scan(&rec)
}

func recordSize(r []byte) int { return len(r) }

func scanEntry(r row) (wire.Entry, error) {
	var e wire.Entry
	var msg, acct, dev []byte
	if err := r.Scan(&e.Seq, &msg, &acct, &dev, &e.Epoch, &e.ServerTime, &e.Ciphertext); err != nil {
		return e, err
	}
	return e, errors.Join(scanID(e.MsgID[:], msg, "message id"), scanID(e.SenderAccount[:], acct, "account id"), scanID(e.SenderDevice[:], dev, "device id"))
}

func entrySize(e wire.Entry) int { return len(e.Ciphertext) + entryOverhead }

func scanEpochKey(r row) (wire.EpochKey, error) {
	var k wire.EpochKey
	var dev, acct []byte
	if err := r.Scan(&k.Epoch, &k.Envelope, &dev, &acct, &k.ServerTime); err != nil {
		return k, err
	}
	return k, errors.Join(scanID(k.ByDevice[:], dev, "device id"), scanID(k.ByAccount[:], acct, "account id"))
}

func epochKeySize(k wire.EpochKey) int { return len(k.Envelope) + epochOverhead }

func scanAccountEntry(r row) (wire.AccountEntry, error) {
	var e wire.AccountEntry
	var rec, dev []byte
	if err := r.Scan(&e.Seq, &rec, &dev, &e.ServerTime, &e.Ciphertext); err != nil {
		return e, err
	}
	return e, errors.Join(scanID(e.RecordID[:], rec, "record id"), scanID(e.SenderDevice[:], dev, "device id"))
}

func accountEntrySize(e wire.AccountEntry) int { return len(e.Ciphertext) + entryOverhead }

func scanInboxItem(r row) (wire.InboxItem, error) {
	var it wire.InboxItem
	var item, acct, dev []byte
	if err := r.Scan(&it.Seq, &item, &acct, &dev, &it.ServerTime, &it.Ciphertext); err != nil {
		return it, err
	}
	return it, errors.Join(scanID(it.ItemID[:], item, "item id"), scanID(it.FromAccount[:], acct, "account id"), scanID(it.FromDevice[:], dev, "device id"))
}

func inboxItemSize(it wire.InboxItem) int { return len(it.Ciphertext) + entryOverhead }

// scanPrekey reads a prekey's id and signed bytes.
func scanPrekey(r row) (wire.Prekey, error) {
	var p wire.Prekey
	var id []byte
	if err := r.Scan(&id, &p.Signed); err != nil {
		if noRows(err) {
			return wire.Prekey{}, ErrNotFound
		}
		return wire.Prekey{}, fmt.Errorf("read prekey: %w", err)
	}
	return p, scanID(p.ID[:], id, "prekey id")
}

// deleteItems deletes inbox items one by one with del, whose row is the deleted
// item's sender and ciphertext length, and reports the bytes freed per sender.
func deleteItems(items []ids.InboxItem, del func(ids.InboxItem) row) (map[ids.Account]int64, error) {
	freed := map[ids.Account]int64{}
	for _, id := range items {
		var acct []byte
		var n int64
		err := del(id).Scan(&acct, &n)
		if noRows(err) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("delete inbox item: %w", err)
		}
		var a ids.Account
		if err := scanID(a[:], acct, "account id"); err != nil {
			return nil, err
		}
		freed[a] += n
	}
	return freed, nil
}

// expiredItems reads the rows a sweep of expired inbox items returned (sender
// account, ciphertext length): how many, and the bytes freed per sender.
func expiredItems(rs interface {
	Next() bool
	Scan(...any) error
	Err() error
}) (int, map[ids.Account]int64, error) {
	n, freed := 0, map[ids.Account]int64{}
	for rs.Next() {
		var acct []byte
		var size int64
		if err := rs.Scan(&acct, &size); err != nil {
			return 0, nil, fmt.Errorf("expire inbox items: %w", err)
		}
		var a ids.Account
		if err := scanID(a[:], acct, "account id"); err != nil {
			return 0, nil, err
		}
		n++
		freed[a] += size
	}
	if err := rs.Err(); err != nil {
		return 0, nil, fmt.Errorf("expire inbox items: %w", err)
	}
	return n, freed, nil
}

// bundle assembles a device's prekey bundle from its signed and last-resort
// prekeys (read) and one one-time prekey of each kind (take, which deletes it):
// the post-quantum one falls back to the last-resort key when none is left, the
// X25519 one is left out. ErrNotFound when the device lacks a signed or
// last-resort prekey.
func bundle(device ids.Device, read, take func(PrekeyKind) (wire.Prekey, error)) (wire.PrekeyBundle, error) {
	b := wire.PrekeyBundle{Device: device}
	var err error
	if b.Signed, err = read(PrekeySigned); err != nil {
		return wire.PrekeyBundle{}, err
	}
	lastResort, err := read(PrekeyLastResort)
	if err != nil {
		return wire.PrekeyBundle{}, err
	}
	b.PQ, err = take(PrekeyPQOneTime)
	switch {
	case errors.Is(err, ErrNotFound):
		b.PQ = lastResort
	case err != nil:
		return wire.PrekeyBundle{}, err
	default:
		b.PQOneTime = true
	}
	b.OneTime, err = take(PrekeyOneTime)
	if errors.Is(err, ErrNotFound) {
		b.OneTime, err = wire.Prekey{}, nil
	}
	return b, err
}

// migration is one numbered schema step.
type migration struct {
	version int
	name    string
	sql     string
}

// readMigrations returns the numbered files NNNN_name.sql of dir, in order, checked
// to count from 1 without gaps.
func readMigrations(fsys fs.FS, dir string) ([]migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration %s: name must start with a number", e.Name())
		}
		b, err := fs.ReadFile(fsys, dir+"/"+e.Name())
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: e.Name(), sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %s: expected number %d", m.name, i+1)
		}
	}
	return ms, nil
}
