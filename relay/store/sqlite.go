package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"

	"hush/ids"
	"hush/policy"
	"hush/sync/wire"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// readConns is the size of the read-only connection pool.
const readConns = 4

// entryOverhead is a generous bound on what one entry adds to an encoded page beyond
// its ciphertext, used to keep pages under the frame size.
const entryOverhead = 128

// SQLite is the relay store in one SQLite database file.
type SQLite struct {
	path string
	log  *slog.Logger

	rdb *sql.DB // read-only pool

	acquainted acquaintedStmt // Acquainted's statement, prepared on first use

	wmu   sync.Mutex // serialises Write; the relay has one writer anyway
	wdb   *sql.DB
	wconn *sql.Conn
	stmts writeStmts
}

// Open opens (creating if needed) the relay database at path and brings its schema up
// to date.
func Open(ctx context.Context, path string, log *slog.Logger) (*SQLite, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &SQLite{path: path, log: log}
	var err error
	s.wdb, err = sql.Open("sqlite", dsn(path, false))
	if err != nil {
		return nil, fmt.Errorf("open relay store: %w", err)
	}
	s.wdb.SetMaxOpenConns(1)
	s.wconn, err = s.wdb.Conn(ctx)
	if err != nil {
		s.wdb.Close()
		return nil, fmt.Errorf("open relay store %s: %w", path, err)
	}
	if err := s.migrate(ctx); err != nil {
		s.closeWriter()
		return nil, fmt.Errorf("open relay store %s: %w", path, err)
	}
	if err := s.stmts.prepare(ctx, s.wconn); err != nil {
		s.closeWriter()
		return nil, fmt.Errorf("open relay store %s: %w", path, err)
	}
	s.rdb, err = sql.Open("sqlite", dsn(path, true))
	if err != nil {
		s.closeWriter()
		return nil, fmt.Errorf("open relay store %s: %w", path, err)
	}
	s.rdb.SetMaxOpenConns(readConns)
	s.rdb.SetMaxIdleConns(readConns)
	if err := s.rdb.PingContext(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("open relay store %s: %w", path, err)
	}
	return s, nil
}

func dsn(path string, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	// FULL: the WAL is fsynced at every commit, so an acknowledged write survives a
	// power cut, not just a process crash.
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", "cache_size(-16000)") // 16 MB per connection
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	} else {
		q.Add("_txlock", "immediate")
	}
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
}

func (s *SQLite) closeWriter() {
	s.stmts.close()
	if s.wconn != nil {
		s.wconn.Close()
	}
	s.wdb.Close()
}

// Close closes the database. Callers must have stopped writing.
func (s *SQLite) Close() error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	var errs []error
	if s.rdb != nil {
		errs = append(errs, s.rdb.Close())
	}
	s.stmts.close()
	errs = append(errs, s.wconn.Close(), s.wdb.Close())
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close relay store: %w", err)
	}
	return nil
}

// migration is one numbered schema step.
type migration struct {
	version int
	name    string
	sql     string
}

func migrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
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
		b, err := migrationFiles.ReadFile("migrations/" + e.Name())
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

// SchemaVersion is the schema version this code writes: the number of the last
// embedded migration.
func SchemaVersion() int {
	ms, err := migrations()
	if err != nil {
		return 0
	}
	return len(ms)
}

func (s *SQLite) migrate(ctx context.Context) error {
	ms, err := migrations()
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	var current int
	if err := s.wconn.QueryRowContext(ctx, "PRAGMA user_version").Scan(&current); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if current > len(ms) {
		return fmt.Errorf("%w: database has version %d, this relay knows up to %d", ErrSchemaTooNew, current, len(ms))
	}
	if current == len(ms) {
		return nil
	}
	tx, err := s.wconn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer tx.Rollback()
	for _, m := range ms[current:] {
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
		s.log.InfoContext(ctx, "relay store migrated", "migration", m.name)
	}
	// PRAGMA takes no parameters; the value is an integer we computed.
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", len(ms))); err != nil {
		return fmt.Errorf("set schema version: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// rollback ends the write transaction after a failure. SQLite may have rolled it
// back already (a failed COMMIT can), in which case ROLLBACK fails; a BEGIN that
// succeeds then proves no transaction is left open. ctx must not be cancelled: a
// failed rollback must not leave the transaction open.
func (s *SQLite) rollback(ctx context.Context) error {
	_, rerr := s.wconn.ExecContext(ctx, "ROLLBACK")
	if rerr == nil {
		return nil
	}
	if _, err := s.wconn.ExecContext(ctx, "BEGIN"); err != nil {
		return fmt.Errorf("rollback: %w", rerr) // a transaction is still open
	}
	if _, err := s.wconn.ExecContext(ctx, "ROLLBACK"); err != nil {
		return fmt.Errorf("rollback: %w", err)
	}
	return nil
}

// Write runs fn in one write transaction and commits it durably. If fn or the commit
// fails, nothing of the batch is stored and the error is returned.
func (s *SQLite) Write(ctx context.Context, fn func(Tx) error) (err error) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if _, err := s.wconn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return fmt.Errorf("begin write: %w", err)
	}
	defer func() {
		if err != nil {
			if rerr := s.rollback(context.WithoutCancel(ctx)); rerr != nil {
				err = errors.Join(err, rerr)
			}
		}
	}()
	if err := fn(&sqliteTx{s: &s.stmts}); err != nil {
		return err
	}
	if _, err := s.wconn.ExecContext(ctx, "COMMIT"); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

func scanID(dst []byte, src []byte, what string) error {
	if len(src) != len(dst) {
		return fmt.Errorf("stored %s has %d bytes", what, len(src))
	}
	copy(dst, src)
	return nil
}

// Account returns an account, or ErrNotFound.
func (s *SQLite) Account(ctx context.Context, id ids.Account) (Account, error) {
	return scanAccount(s.rdb.QueryRowContext(ctx, selectAccount+" WHERE id = ?", id[:]))
}

// AccountByHandle returns the account holding a normalised handle, or ErrNotFound.
func (s *SQLite) AccountByHandle(ctx context.Context, handle string) (Account, error) {
	return scanAccount(s.rdb.QueryRowContext(ctx, selectAccount+" WHERE handle = ?", handle))
}

const selectAccount = "SELECT id, public_key, coalesce(handle, ''), used_bytes, created_at, keys, device_list, device_list_version FROM accounts"

func scanAccount(row *sql.Row) (Account, error) {
	var a Account
	var id []byte
	if err := row.Scan(&id, &a.PublicKey, &a.Handle, &a.UsedBytes, &a.CreatedAt, &a.Keys, &a.DeviceList, &a.DeviceListVersion); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return Account{}, ErrNotFound
		}
		return Account{}, fmt.Errorf("read account: %w", err)
	}
	return a, scanID(a.ID[:], id, "account id")
}

// Device returns a device, or ErrNotFound.
func (s *SQLite) Device(ctx context.Context, id ids.Device) (Device, error) {
	return scanDevice(s.rdb.QueryRowContext(ctx, selectDevice, id[:]))
}

const selectDevice = "SELECT id, account_id, cert, created_at, coalesce(revoked_at, 0) FROM devices WHERE id = ?"

func scanDevice(row *sql.Row) (Device, error) {
	var d Device
	var id, acct []byte
	if err := row.Scan(&id, &acct, &d.Cert, &d.CreatedAt, &d.RevokedAt); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return Device{}, ErrNotFound
		}
		return Device{}, fmt.Errorf("read device: %w", err)
	}
	if err := scanID(d.ID[:], id, "device id"); err != nil {
		return Device{}, err
	}
	return d, scanID(d.AccountID[:], acct, "account id")
}

// ActiveDeviceCerts returns the certificates of an account's non-revoked devices, in
// the order they were first seen.
func (s *SQLite) ActiveDeviceCerts(ctx context.Context, account ids.Account) ([][]byte, error) {
	rows, err := s.rdb.QueryContext(ctx, "SELECT cert FROM devices WHERE account_id = ? AND revoked_at IS NULL ORDER BY created_at, id", account[:])
	if err != nil {
		return nil, fmt.Errorf("read devices: %w", err)
	}
	defer rows.Close()
	var certs [][]byte
	for rows.Next() {
		var c []byte
		if err := rows.Scan(&c); err != nil {
			return nil, fmt.Errorf("read devices: %w", err)
		}
		certs = append(certs, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read devices: %w", err)
	}
	return certs, nil
}

// LastSeen returns when each non-revoked device of account last authenticated
// (Unix milliseconds).
func (s *SQLite) LastSeen(ctx context.Context, account ids.Account) ([]wire.DeviceSeen, error) {
	rows, err := s.rdb.QueryContext(ctx, "SELECT id, last_seen FROM devices WHERE account_id = ? AND revoked_at IS NULL", account[:])
	if err != nil {
		return nil, fmt.Errorf("read devices: %w", err)
	}
	defer rows.Close()
	var out []wire.DeviceSeen
	for rows.Next() {
		var b []byte
		var d wire.DeviceSeen
		if err := rows.Scan(&b, &d.At); err != nil {
			return nil, fmt.Errorf("read devices: %w", err)
		}
		if err := scanID(d.DeviceID[:], b, "device id"); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read devices: %w", err)
	}
	return out, nil
}

// Peers returns the accounts that share at least one chat with account, itself
// excluded: those a change of its device list is pushed to.
func (s *SQLite) Peers(ctx context.Context, account ids.Account) ([]ids.Account, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT DISTINCT o.account_id FROM members m
		JOIN members o ON o.chat_no = m.chat_no AND o.account_id != m.account_id
		WHERE m.account_id = ?`, account[:])
	if err != nil {
		return nil, fmt.Errorf("read peers: %w", err)
	}
	defer rows.Close()
	var out []ids.Account
	for rows.Next() {
		var b []byte
		var id ids.Account
		if err := rows.Scan(&b); err != nil {
			return nil, fmt.Errorf("read peers: %w", err)
		}
		if err := scanID(id[:], b, "account id"); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read peers: %w", err)
	}
	return out, nil
}

// readTx runs fn in one read transaction, so its queries see one snapshot.
func (s *SQLite) readTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.rdb.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("begin read: %w", err)
	}
	defer tx.Rollback()
	return fn(tx)
}

// memberChatNo returns the local key of chat if reader is a member, else ErrNotFound.
func memberChatNo(ctx context.Context, tx *sql.Tx, chat ids.Chat, reader ids.Account) (no int64, role policy.Role, err error) {
	err = tx.QueryRowContext(ctx, `SELECT c.no, m.role FROM chats c JOIN members m ON m.chat_no = c.no
		WHERE c.id = ? AND m.account_id = ?`, chat[:], reader[:]).Scan(&no, &role)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, 0, ErrNotFound
	}
	if err != nil {
		return 0, 0, fmt.Errorf("read membership: %w", err)
	}
	return no, role, nil
}

// ChatInfo returns a chat as its member reader sees it, or ErrNotFound if the chat
// does not exist or reader is not a member.
func (s *SQLite) ChatInfo(ctx context.Context, chat ids.Chat, reader ids.Account) (wire.ChatInfo, error) {
	var info wire.ChatInfo
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		no, _, err := memberChatNo(ctx, tx, chat, reader)
		if err != nil {
			return err
		}
		info.ChatID = chat
		if err := tx.QueryRowContext(ctx, `SELECT kind, epoch, (SELECT coalesce(max(seq), 0) FROM messages WHERE chat_no = ?), log_len
			FROM chats WHERE no = ?`, no, no).Scan(&info.Kind, &info.Epoch, &info.LastSeq, &info.LogLen); err != nil {
			return fmt.Errorf("read chat: %w", err)
		}
		rows, err := tx.QueryContext(ctx, "SELECT account_id, role, delivered_seq, read_seq FROM members WHERE chat_no = ? ORDER BY account_id", no)
		if err != nil {
			return fmt.Errorf("read members: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var m wire.MemberInfo
			var id []byte
			if err := rows.Scan(&id, &m.Role, &m.DeliveredSeq, &m.ReadSeq); err != nil {
				return fmt.Errorf("read members: %w", err)
			}
			if err := scanID(m.AccountID[:], id, "account id"); err != nil {
				return err
			}
			info.Members = append(info.Members, m)
		}
		return rows.Err()
	})
	return info, err
}

// Chats returns up to limit chats of account with ids above after, in id order, and
// whether more follow.
func (s *SQLite) Chats(ctx context.Context, account ids.Account, after ids.Chat, limit int) ([]wire.ChatSummary, bool, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT c.id, c.kind, m.role, c.epoch,
			(SELECT coalesce(max(seq), 0) FROM messages WHERE chat_no = c.no), m.read_seq, c.log_len,
			coalesce((SELECT server_time FROM messages WHERE chat_no = c.no ORDER BY seq DESC LIMIT 1), 0)
		FROM members m JOIN chats c ON c.no = m.chat_no
		WHERE m.account_id = ? AND c.id > ? ORDER BY c.id LIMIT ?`, account[:], after[:], limit+1)
	if err != nil {
		return nil, false, fmt.Errorf("read chats: %w", err)
	}
	defer rows.Close()
	var out []wire.ChatSummary
	for rows.Next() {
		var c wire.ChatSummary
		var id []byte
		if err := rows.Scan(&id, &c.Kind, &c.Role, &c.Epoch, &c.LastSeq, &c.ReadSeq, &c.LogLen, &c.LastTime); err != nil {
			return nil, false, fmt.Errorf("read chats: %w", err)
		}
		if err := scanID(c.ChatID[:], id, "chat id"); err != nil {
			return nil, false, err
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("read chats: %w", err)
	}
	if len(out) > limit {
		return out[:limit], true, nil
	}
	return out, false, nil
}

// Log returns records of chat's membership log from seq from on, at most limit of
// them and not much more than maxBytes (but at least one), and whether more follow. A
// member reads every record; a former member the records before the one after its
// removal; anyone else gets ErrNotFound.
func (s *SQLite) Log(ctx context.Context, chat ids.Chat, reader ids.Account, from uint64, limit, maxBytes int) ([][]byte, bool, error) {
	var out [][]byte
	var more bool
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		var no int64
		var until uint64
		err := tx.QueryRowContext(ctx, `SELECT c.no, CASE WHEN m.account_id IS NOT NULL THEN c.log_len ELSE f.log_until END
			FROM chats c
			LEFT JOIN members m ON m.chat_no = c.no AND m.account_id = ?
			LEFT JOIN former_members f ON f.chat_no = c.no AND f.account_id = ?
			WHERE c.id = ? AND (m.account_id IS NOT NULL OR f.account_id IS NOT NULL)`,
			reader[:], reader[:], chat[:]).Scan(&no, &until)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("read log access: %w", err)
		}
		rows, err := tx.QueryContext(ctx, "SELECT record FROM chat_log WHERE chat_no = ? AND seq >= ? AND seq < ? ORDER BY seq LIMIT ?",
			no, from, until, limit+1)
		if err != nil {
			return fmt.Errorf("read log: %w", err)
		}
		defer rows.Close()
		size := 0
		for rows.Next() {
			var r []byte
			if err := rows.Scan(&r); err != nil {
				return fmt.Errorf("read log: %w", err)
			}
			if len(out) == limit || (len(out) > 0 && size+len(r) > maxBytes) {
				more = true
				break
			}
			out = append(out, r)
			size += len(r)
		}
		return rows.Err()
	})
	return out, more, err
}

// Messages returns the entries of chat with Seq > after, at most limit of them and
// not much more than maxBytes (but at least one), and whether more follow. It returns
// ErrNotFound unless reader is a member, checked in the same snapshot.
func (s *SQLite) Messages(ctx context.Context, chat ids.Chat, reader ids.Account, after uint64, limit, maxBytes int) ([]wire.Entry, bool, error) {
	var out []wire.Entry
	var more bool
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		no, _, err := memberChatNo(ctx, tx, chat, reader)
		if err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT seq, msg_id, sender_account, sender_device, epoch, server_time, ciphertext
			FROM messages WHERE chat_no = ? AND seq > ? ORDER BY seq LIMIT ?`, no, after, limit+1)
		if err != nil {
			return fmt.Errorf("read messages: %w", err)
		}
		defer rows.Close()
		size := 0
		for rows.Next() {
			var e wire.Entry
			var msg, acct, dev []byte
			if err := rows.Scan(&e.Seq, &msg, &acct, &dev, &e.Epoch, &e.ServerTime, &e.Ciphertext); err != nil {
				return fmt.Errorf("read messages: %w", err)
			}
			size += len(e.Ciphertext) + entryOverhead
			if len(out) == limit || (len(out) > 0 && size > maxBytes) {
				more = true
				break
			}
			if err := errors.Join(scanID(e.MsgID[:], msg, "message id"), scanID(e.SenderAccount[:], acct, "account id"), scanID(e.SenderDevice[:], dev, "device id")); err != nil {
				return err
			}
			out = append(out, e)
		}
		return rows.Err()
	})
	return out, more, err
}

// Epochs returns reader's envelopes of the chat's epochs from from on, at most limit,
// and whether more follow; ErrNotFound unless reader is a member.
func (s *SQLite) Epochs(ctx context.Context, chat ids.Chat, reader ids.Account, from uint64, limit, maxBytes int) ([]wire.EpochKey, bool, error) {
	var out []wire.EpochKey
	var more bool
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		no, _, err := memberChatNo(ctx, tx, chat, reader)
		if err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT k.epoch, k.envelope, e.by_device, e.by_account, e.server_time
			FROM epoch_keys k JOIN epochs e ON e.chat_no = k.chat_no AND e.epoch = k.epoch
			WHERE k.chat_no = ? AND k.account_id = ? AND k.epoch >= ? ORDER BY k.epoch LIMIT ?`, no, reader[:], from, limit+1)
		if err != nil {
			return fmt.Errorf("read epochs: %w", err)
		}
		defer rows.Close()
		size := 0
		for rows.Next() {
			if len(out) == limit {
				more = true
				break
			}
			var k wire.EpochKey
			var dev, acct []byte
			if err := rows.Scan(&k.Epoch, &k.Envelope, &dev, &acct, &k.ServerTime); err != nil {
				return fmt.Errorf("read epochs: %w", err)
			}
			if size += len(k.Envelope) + epochOverhead; len(out) > 0 && size > maxBytes {
				more = true
				break
			}
			if err := errors.Join(scanID(k.ByDevice[:], dev, "device id"), scanID(k.ByAccount[:], acct, "account id")); err != nil {
				return err
			}
			out = append(out, k)
		}
		return rows.Err()
	})
	return out, more, err
}

// epochOverhead bounds what an epoch key adds to a page beside its envelope: its
// epoch, device, account and time.
const epochOverhead = 64

// AccountLog returns records of an account log with Seq > after, like Messages.
func (s *SQLite) AccountLog(ctx context.Context, account ids.Account, after uint64, limit, maxBytes int) ([]wire.AccountEntry, bool, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT seq, record_id, sender_device, server_time, ciphertext
		FROM account_log WHERE account_id = ? AND seq > ? ORDER BY seq LIMIT ?`, account[:], after, limit+1)
	if err != nil {
		return nil, false, fmt.Errorf("read account log: %w", err)
	}
	defer rows.Close()
	var out []wire.AccountEntry
	size := 0
	for rows.Next() {
		var e wire.AccountEntry
		var rec, dev []byte
		if err := rows.Scan(&e.Seq, &rec, &dev, &e.ServerTime, &e.Ciphertext); err != nil {
			return nil, false, fmt.Errorf("read account log: %w", err)
		}
		size += len(e.Ciphertext) + entryOverhead
		if len(out) == limit || (len(out) > 0 && size > maxBytes) {
			return out, true, nil
		}
		if err := errors.Join(scanID(e.RecordID[:], rec, "record id"), scanID(e.SenderDevice[:], dev, "device id")); err != nil {
			return nil, false, err
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("read account log: %w", err)
	}
	return out, false, nil
}

// Inbox returns a device's inbox items with Seq > after, like Messages.
func (s *SQLite) Inbox(ctx context.Context, device ids.Device, after uint64, limit, maxBytes int) ([]wire.InboxItem, bool, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT seq, item_id, from_account, from_device, server_time, ciphertext
		FROM inbox WHERE device_id = ? AND seq > ? ORDER BY seq LIMIT ?`, device[:], after, limit+1)
	if err != nil {
		return nil, false, fmt.Errorf("read inbox: %w", err)
	}
	defer rows.Close()
	var out []wire.InboxItem
	size := 0
	for rows.Next() {
		var it wire.InboxItem
		var item, acct, dev []byte
		if err := rows.Scan(&it.Seq, &item, &acct, &dev, &it.ServerTime, &it.Ciphertext); err != nil {
			return nil, false, fmt.Errorf("read inbox: %w", err)
		}
		size += len(it.Ciphertext) + entryOverhead
		if len(out) == limit || (len(out) > 0 && size > maxBytes) {
			return out, true, nil
		}
		if err := errors.Join(scanID(it.ItemID[:], item, "item id"), scanID(it.FromAccount[:], acct, "account id"), scanID(it.FromDevice[:], dev, "device id")); err != nil {
			return nil, false, err
		}
		out = append(out, it)
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("read inbox: %w", err)
	}
	return out, false, nil
}
