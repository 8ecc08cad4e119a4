package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"hush/ids"
	"hush/policy"
)

// This file is what `hush-relay admin` does to a store (docs/RELAY.md,
// "Administration"): list accounts with their usage, disable one, delete one,
// export what the relay holds of one. The queries are written once, in SQL both
// engines take, and run in one transaction of either.

// ErrNotDisabled is returned by DeleteAccount for an account that is not disabled:
// deleting is for an account already cut off, so that no device of it is writing
// while its data goes.
var ErrNotDisabled = errors.New("store: the account is not disabled; disable it first")

// AccountUsage is one account as `hush-relay admin accounts` lists it.
type AccountUsage struct {
	ID         ids.Account
	Handle     string // "" if none
	Devices    int    // not revoked
	UsedBytes  int64  // ciphertext counted against its quota
	CreatedAt  int64  // Unix milliseconds
	DisabledAt int64  // Unix milliseconds; 0 while enabled
}

// AccountExport is what the relay holds of one account, for its holder
// (`hush-relay admin export`): its records and, of what it stored, counts and
// ciphertext sizes — never the ciphertext, which only its devices can read and
// which they already hold.
type AccountExport struct {
	Account struct {
		ID                ids.Account `json:"id"`
		Handle            string      `json:"handle,omitempty"`
		PublicKey         []byte      `json:"public_key"`
		CreatedAt         time.Time   `json:"created_at"`
		DisabledAt        time.Time   `json:"disabled_at,omitzero"`
		UsedBytes         int64       `json:"used_bytes"`
		DeviceListVersion uint64      `json:"device_list_version"`
		KeysBytes         int         `json:"keys_record_bytes"`
	} `json:"account"`
	Devices []ExportedDevice `json:"devices"`
	Chats   []ExportedChat   `json:"chats"`
	// Inbox counts the items waiting for the account's devices; SentInbox those
	// it sent that wait for other devices.
	Inbox      Sizes `json:"inbox"`
	SentInbox  Sizes `json:"sent_inbox"`
	AccountLog Sizes `json:"account_log"`
}

// ExportedDevice is one device of an exported account.
type ExportedDevice struct {
	ID        ids.Device `json:"id"`
	Cert      []byte     `json:"certificate"` // signed by the account; public to its contacts anyway
	CreatedAt time.Time  `json:"created_at"`
	LastSeen  time.Time  `json:"last_seen,omitzero"`
	RevokedAt time.Time  `json:"revoked_at,omitzero"`
	Prekeys   int        `json:"prekeys"`
}

// ExportedChat is one chat an exported account is a member of, with what it
// posted there.
type ExportedChat struct {
	ID           ids.Chat `json:"id"`
	Kind         string   `json:"kind"` // policy.ChatKind's name
	Role         string   `json:"role"` // policy.Role's name
	DeliveredSeq uint64   `json:"delivered_seq"`
	ReadSeq      uint64   `json:"read_seq"`
	// SharedReadSeq is the read position the other members are shown (behind
	// ReadSeq while the account keeps its reads private).
	SharedReadSeq uint64 `json:"shared_read_seq"`
	Sent          Sizes  `json:"sent"`
}

// Sizes counts stored ciphertexts and their bytes.
type Sizes struct {
	Count int64 `json:"count"`
	Bytes int64 `json:"bytes"`
}

// DeleteCounts says what DeleteAccount deleted.
type DeleteCounts struct {
	Devices, InboxItems, AccountLog, Memberships, Prekeys int64
}

// adminReader runs queries of either engine, written with ? placeholders.
type adminReader interface {
	query(ctx context.Context, q string, args ...any) (adminRows, error)
}

// adminQuerier is a transaction of either engine: it reads and writes.
type adminQuerier interface {
	adminReader
	exec(ctx context.Context, q string, args ...any) (int64, error)
}

type adminRows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close()
}

// sqliteReader reads through a SQLite transaction or the read pool.
type sqliteReader struct {
	q interface {
		QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	}
}

type sqliteRows struct{ *sql.Rows }

func (r sqliteRows) Close() { r.Rows.Close() }

func (r sqliteReader) query(ctx context.Context, q string, args ...any) (adminRows, error) {
	rs, err := r.q.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return sqliteRows{rs}, nil
}

// sqliteAdmin is a SQLite transaction as an adminQuerier.
type sqliteAdmin struct {
	sqliteReader
	tx *sql.Tx
}

func (a sqliteAdmin) exec(ctx context.Context, q string, args ...any) (int64, error) {
	res, err := a.tx.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// admin runs fn in one write transaction, serialised with the relay's commits
// when the relay runs in this process.
func (s *SQLite) admin(ctx context.Context, fn func(adminQuerier) error) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	tx, err := s.wconn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	if err := fn(sqliteAdmin{sqliteReader{tx}, tx}); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// withAdmin runs f in one admin transaction of run and returns its result.
func withAdmin[T any](ctx context.Context, run func(context.Context, func(adminQuerier) error) error, f func(adminQuerier) (T, error)) (T, error) {
	var v T
	err := run(ctx, func(q adminQuerier) (err error) { v, err = f(q); return err })
	return v, err
}

// Accounts calls fn with every account, oldest first, one at a time so a large
// relay's list is never held in memory.
func (s *SQLite) Accounts(ctx context.Context, fn func(AccountUsage) error) error {
	return s.admin(ctx, func(q adminQuerier) error { return accounts(ctx, q, fn) })
}

// SetDisabled disables an account from the given time (Unix milliseconds), or
// enables it again with 0; ErrNotFound if there is no such account.
func (s *SQLite) SetDisabled(ctx context.Context, id ids.Account, at int64) error {
	return s.admin(ctx, func(q adminQuerier) error { return setDisabled(ctx, q, id, at) })
}

// DeleteAccount deletes a disabled account and everything the relay keeps for it
// alone (docs/RELAY.md, "Administration"); ErrNotFound if there is none,
// ErrNotDisabled if it is enabled.
func (s *SQLite) DeleteAccount(ctx context.Context, id ids.Account) (DeleteCounts, error) {
	return withAdmin(ctx, s.admin, func(q adminQuerier) (DeleteCounts, error) { return deleteAccount(ctx, q, id) })
}

// ExportAccount returns what the relay holds of an account, or ErrNotFound.
func (s *SQLite) ExportAccount(ctx context.Context, id ids.Account) (AccountExport, error) {
	return withAdmin(ctx, s.admin, func(q adminQuerier) (AccountExport, error) { return exportAccount(ctx, q, id) })
}

// DisabledSince returns up to limit accounts disabled after the given time (Unix
// milliseconds), oldest first, and the newest one's time (after if none): what a
// running relay polls to cut off accounts disabled while connected.
func (s *SQLite) DisabledSince(ctx context.Context, after int64, limit int) ([]ids.Account, int64, error) {
	return disabledSince(ctx, sqliteReader{s.rdb}, after, limit)
}

func disabledSince(ctx context.Context, q adminReader, after int64, limit int) ([]ids.Account, int64, error) {
	var out []ids.Account
	newest := after
	err := each(ctx, q, "disabled accounts", func(rs adminRows) error {
		var raw []byte
		var a ids.Account
		if err := rs.Scan(&raw, &newest); err != nil {
			return err
		}
		out = append(out, a)
		return scanID(out[len(out)-1][:], raw, "account id")
	}, "SELECT id, disabled_at FROM accounts WHERE disabled_at > ? ORDER BY disabled_at LIMIT ?", after, limit)
	return out, newest, err
}

// each runs a query and calls scan for every row.
func each(ctx context.Context, q adminReader, what string, scan func(adminRows) error, query string, args ...any) error {
	rs, err := q.query(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("read %s: %w", what, err)
	}
	defer rs.Close()
	for rs.Next() {
		if err := scan(rs); err != nil {
			return fmt.Errorf("read %s: %w", what, err)
		}
	}
	if err := rs.Err(); err != nil {
		return fmt.Errorf("read %s: %w", what, err)
	}
	return nil
}

func accounts(ctx context.Context, q adminQuerier, fn func(AccountUsage) error) error {
	return each(ctx, q, "accounts", func(rs adminRows) error {
		var a AccountUsage
		var id []byte
		if err := rs.Scan(&id, &a.Handle, &a.Devices, &a.UsedBytes, &a.CreatedAt, &a.DisabledAt); err != nil {
			return err
		}
		if err := scanID(a.ID[:], id, "account id"); err != nil {
			return err
		}
		return fn(a)
	}, `SELECT a.id, coalesce(a.handle, ''),
			(SELECT count(*) FROM devices d WHERE d.account_id = a.id AND d.revoked_at IS NULL),
			a.used_bytes, a.created_at, coalesce(a.disabled_at, 0)
		FROM accounts a ORDER BY a.created_at, a.id`)
}

func setDisabled(ctx context.Context, q adminQuerier, id ids.Account, at int64) error {
	var v any
	if at != 0 {
		v = at
	}
	n, err := q.exec(ctx, "UPDATE accounts SET disabled_at = ? WHERE id = ?", v, id[:])
	if err != nil {
		return fmt.Errorf("disable account: %w", err)
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

// sizes reads one row of count and byte sum.
func sizes(ctx context.Context, q adminQuerier, what, query string, args ...any) (Sizes, error) {
	var s Sizes
	err := each(ctx, q, what, func(rs adminRows) error { return rs.Scan(&s.Count, &s.Bytes) }, query, args...)
	return s, err
}

// adminAccount reads the account row the admin commands start from.
func adminAccount(ctx context.Context, q adminQuerier, id ids.Account) (Account, error) {
	var a Account
	found := false
	err := each(ctx, q, "account", func(rs adminRows) error {
		found = true
		var raw []byte
		if err := rs.Scan(&raw, &a.PublicKey, &a.Handle, &a.UsedBytes, &a.CreatedAt, &a.Keys, &a.DeviceList, &a.DeviceListVersion, &a.DisabledAt); err != nil {
			return err
		}
		return scanID(a.ID[:], raw, "account id")
	}, selectAccount+" WHERE id = ?", id[:])
	if err == nil && !found {
		err = ErrNotFound
	}
	return a, err
}

func deleteAccount(ctx context.Context, q adminQuerier, id ids.Account) (DeleteCounts, error) {
	var c DeleteCounts
	a, err := adminAccount(ctx, q, id)
	if err != nil {
		return c, err
	}
	if !a.Disabled() {
		return c, ErrNotDisabled
	}
	// Items waiting for its devices were counted against their senders' quotas:
	// give the bytes back.
	freed := map[ids.Account]int64{}
	err = each(ctx, q, "inbox", func(rs adminRows) error {
		var from []byte
		var n int64
		if err := rs.Scan(&from, &n); err != nil {
			return err
		}
		var sender ids.Account
		if err := scanID(sender[:], from, "account id"); err != nil {
			return err
		}
		freed[sender] += n
		c.InboxItems++
		return nil
	}, "SELECT from_account, length(ciphertext) FROM inbox WHERE device_id IN (SELECT id FROM devices WHERE account_id = ?)", id[:])
	if err != nil {
		return c, err
	}
	for sender, n := range freed {
		if _, err := q.exec(ctx, "UPDATE accounts SET used_bytes = CASE WHEN used_bytes > ? THEN used_bytes - ? ELSE 0 END WHERE id = ?", n, n, sender[:]); err != nil {
			return c, fmt.Errorf("give back quota: %w", err)
		}
	}
	steps := []struct {
		count *int64
		query string
		args  int // how many times the id is bound
	}{
		{nil, "DELETE FROM inbox WHERE device_id IN (SELECT id FROM devices WHERE account_id = ?)", 1},
		{&c.Prekeys, "DELETE FROM prekeys WHERE device_id IN (SELECT id FROM devices WHERE account_id = ?)", 1},
		{&c.Devices, "DELETE FROM devices WHERE account_id = ?", 1},
		{&c.AccountLog, "DELETE FROM account_log WHERE account_id = ?", 1},
		{nil, "DELETE FROM epoch_keys WHERE account_id = ?", 1},
		{&c.Memberships, "DELETE FROM members WHERE account_id = ?", 1},
		{nil, "DELETE FROM former_members WHERE account_id = ?", 1},
		{nil, "DELETE FROM direct_pairs WHERE low = ? OR high = ?", 2},
		{nil, "DELETE FROM accounts WHERE id = ?", 1},
	}
	for _, st := range steps {
		args := make([]any, st.args)
		for i := range args {
			args[i] = id[:]
		}
		n, err := q.exec(ctx, st.query, args...)
		if err != nil {
			return c, fmt.Errorf("delete account: %s: %w", st.query, err)
		}
		if st.count != nil {
			*st.count = n
		}
	}
	return c, nil
}

// millisTime turns Unix milliseconds into a time, 0 into the zero time.
func millisTime(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

func exportAccount(ctx context.Context, q adminQuerier, id ids.Account) (AccountExport, error) {
	var e AccountExport
	a, err := adminAccount(ctx, q, id)
	if err != nil {
		return e, err
	}
	e.Account.ID, e.Account.Handle, e.Account.PublicKey = a.ID, a.Handle, a.PublicKey
	e.Account.CreatedAt, e.Account.DisabledAt = millisTime(a.CreatedAt), millisTime(a.DisabledAt)
	e.Account.UsedBytes, e.Account.DeviceListVersion, e.Account.KeysBytes = a.UsedBytes, a.DeviceListVersion, len(a.Keys)
	e.Devices, e.Chats = []ExportedDevice{}, []ExportedChat{}
	err = each(ctx, q, "devices", func(rs adminRows) error {
		var d ExportedDevice
		var raw []byte
		var created, seen, revoked int64
		if err := rs.Scan(&raw, &d.Cert, &created, &seen, &revoked, &d.Prekeys); err != nil {
			return err
		}
		d.CreatedAt, d.LastSeen, d.RevokedAt = millisTime(created), millisTime(seen), millisTime(revoked)
		if err := scanID(d.ID[:], raw, "device id"); err != nil {
			return err
		}
		e.Devices = append(e.Devices, d)
		return nil
	}, `SELECT d.id, d.cert, d.created_at, d.last_seen, coalesce(d.revoked_at, 0),
			(SELECT count(*) FROM prekeys p WHERE p.device_id = d.id)
		FROM devices d WHERE d.account_id = ? ORDER BY d.created_at, d.id`, id[:])
	if err != nil {
		return e, err
	}
	err = each(ctx, q, "chats", func(rs adminRows) error {
		var c ExportedChat
		var raw []byte
		var kind policy.ChatKind
		var role policy.Role
		if err := rs.Scan(&raw, &kind, &role, &c.DeliveredSeq, &c.ReadSeq, &c.SharedReadSeq, &c.Sent.Count, &c.Sent.Bytes); err != nil {
			return err
		}
		c.Kind, c.Role = kind.String(), role.String()
		if err := scanID(c.ID[:], raw, "chat id"); err != nil {
			return err
		}
		e.Chats = append(e.Chats, c)
		return nil
	}, `SELECT c.id, c.kind, m.role, m.delivered_seq, m.read_seq, m.shared_read_seq,
			(SELECT count(*) FROM messages x WHERE x.chat_no = c.no AND x.sender_account = m.account_id),
			(SELECT CAST(coalesce(sum(length(x.ciphertext)), 0) AS bigint) FROM messages x WHERE x.chat_no = c.no AND x.sender_account = m.account_id)
		FROM members m JOIN chats c ON c.no = m.chat_no WHERE m.account_id = ? ORDER BY c.id`, id[:])
	if err != nil {
		return e, err
	}
	const sumBytes = "SELECT count(*), CAST(coalesce(sum(length(ciphertext)), 0) AS bigint) FROM "
	if e.Inbox, err = sizes(ctx, q, "inbox", sumBytes+"inbox WHERE device_id IN (SELECT id FROM devices WHERE account_id = ?)", id[:]); err != nil {
		return e, err
	}
	if e.SentInbox, err = sizes(ctx, q, "sent inbox", sumBytes+"inbox WHERE from_account = ?", id[:]); err != nil {
		return e, err
	}
	if e.AccountLog, err = sizes(ctx, q, "account log", sumBytes+"account_log WHERE account_id = ?", id[:]); err != nil {
		return e, err
	}
	return e, nil
}
