package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"

	"log/slog"
	"math"
	"net/url"

	"sync"

	"hush/ids"
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

func migrations() ([]migration, error) { return readMigrations(migrationFiles, "migrations") }

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

// Account returns an account, or ErrNotFound.
func (s *SQLite) Account(ctx context.Context, id ids.Account) (Account, error) {
	return scanAccount(s.rdb.QueryRowContext(ctx, selectAccount+" WHERE id = ?", id[:]))
}

// AccountByHandle returns the account holding a normalised handle, or ErrNotFound.
func (s *SQLite) AccountByHandle(ctx context.Context, handle string) (Account, error) {
	return scanAccount(s.rdb.QueryRowContext(ctx, selectAccount+" WHERE handle = ?", handle))
}

// Device returns a device, or ErrNotFound.
func (s *SQLite) Device(ctx context.Context, id ids.Device) (Device, error) {
	return scanDevice(s.rdb.QueryRowContext(ctx, selectDevice+" WHERE id = ?", id[:]))
}

// queryAll runs a query on the read pool and reads every row with scan.
func queryAll[T any](ctx context.Context, db *sql.DB, what string, scan func(row) (T, error), query string, args ...any) ([]T, error) {
	rs, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", what, err)
	}
	defer rs.Close()
	return scanAll(rs, what, scan)
}

// queryPage runs a query in tx and reads a page of its rows, as scanPage does.
func queryPage[T any](ctx context.Context, tx interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, what string, limit, maxBytes int, scan func(row) (T, error), size func(T) int, query string, args ...any) ([]T, bool, error) {
	rs, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, false, fmt.Errorf("read %s: %w", what, err)
	}
	defer rs.Close()
	return scanPage(rs, what, limit, maxBytes, scan, size)
}

// ActiveDeviceCerts returns the certificates of an account's non-revoked devices, in
// the order they were first seen.
func (s *SQLite) ActiveDeviceCerts(ctx context.Context, account ids.Account) ([][]byte, error) {
	return queryAll(ctx, s.rdb, "devices", scanCert, "SELECT cert FROM devices WHERE account_id = ? AND revoked_at IS NULL ORDER BY created_at, id", account[:])
}

// LastSeen returns when each non-revoked device of account last authenticated
// (Unix milliseconds).
func (s *SQLite) LastSeen(ctx context.Context, account ids.Account) ([]wire.DeviceSeen, error) {
	return queryAll(ctx, s.rdb, "devices", scanSeen, "SELECT id, last_seen FROM devices WHERE account_id = ? AND revoked_at IS NULL", account[:])
}

// Peers returns the accounts that share at least one chat with account, itself
// excluded: those a change of its device list is pushed to.
func (s *SQLite) Peers(ctx context.Context, account ids.Account) ([]ids.Account, error) {
	return queryAll(ctx, s.rdb, "peers", scanAccountID, `SELECT DISTINCT o.account_id FROM members m
		JOIN members o ON o.chat_no = m.chat_no AND o.account_id != m.account_id
		WHERE m.account_id = ?`, account[:])
}

// ChatMembers returns the accounts of a chat's members; none for a chat that does
// not exist. It answers no reader: a relay asks it to fan out what a member did.
func (s *SQLite) ChatMembers(ctx context.Context, chat ids.Chat) ([]ids.Account, error) {
	return queryAll(ctx, s.rdb, "members", scanAccountID, `SELECT m.account_id FROM members m JOIN chats c ON c.no = m.chat_no WHERE c.id = ?`, chat[:])
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
func memberChatNo(ctx context.Context, tx *sql.Tx, chat ids.Chat, reader ids.Account) (no int64, err error) {
	err = tx.QueryRowContext(ctx, `SELECT c.no FROM chats c JOIN members m ON m.chat_no = c.no
		WHERE c.id = ? AND m.account_id = ?`, chat[:], reader[:]).Scan(&no)
	if noRows(err) {
		return 0, ErrNotFound
	}
	if err != nil {
		return 0, fmt.Errorf("read membership: %w", err)
	}
	return no, nil
}

// ChatInfo returns a chat as its member reader is shown it (its own read position,
// the others' shared ones), or ErrNotFound if the chat does not exist or reader is
// not a member.
func (s *SQLite) ChatInfo(ctx context.Context, chat ids.Chat, reader ids.Account) (wire.ChatInfo, error) {
	var v ChatViews
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		no, err := memberChatNo(ctx, tx, chat, reader)
		if err != nil {
			return err
		}
		v, err = chatViews(ctx, tx, chat, no)
		return err
	})
	return v.For(reader), err
}

// ChatViews returns a chat as each of its members is shown it, or ErrNotFound: what
// a relay sharing its store reads to push another relay's change of the chat.
func (s *SQLite) ChatViews(ctx context.Context, chat ids.Chat) (ChatViews, error) {
	var v ChatViews
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		var no int64
		err := tx.QueryRowContext(ctx, "SELECT no FROM chats WHERE id = ?", chat[:]).Scan(&no)
		if noRows(err) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("read chat: %w", err)
		}
		v, err = chatViews(ctx, tx, chat, no)
		return err
	})
	return v, err
}

// chatViews reads the chat of local key no in tx.
func chatViews(ctx context.Context, tx *sql.Tx, chat ids.Chat, no int64) (ChatViews, error) {
	v := ChatViews{Shared: wire.ChatInfo{ChatID: chat}}
	info := &v.Shared
	if err := tx.QueryRowContext(ctx, `SELECT kind, epoch, (SELECT coalesce(max(seq), 0) FROM messages WHERE chat_no = ?), log_len
		FROM chats WHERE no = ?`, no, no).Scan(&info.Kind, &info.Epoch, &info.LastSeq, &info.LogLen); err != nil {
		return v, fmt.Errorf("read chat: %w", err)
	}
	rs, err := tx.QueryContext(ctx, "SELECT "+memberColumns+" FROM members WHERE chat_no = ? ORDER BY account_id", no)
	if err != nil {
		return v, fmt.Errorf("read members: %w", err)
	}
	defer rs.Close()
	ms, err := scanAll(rs, "members", scanMember)
	v.setMembers(ms)
	return v, err
}

// Chats returns up to limit chats of account with ids above after, in id order, and
// whether more follow.
func (s *SQLite) Chats(ctx context.Context, account ids.Account, after ids.Chat, limit int) ([]wire.ChatSummary, bool, error) {
	return queryPage(ctx, s.rdb, "chats", limit, math.MaxInt, scanChatSummary, func(wire.ChatSummary) int { return 0 }, `SELECT c.id, c.kind, m.role, c.epoch,
			(SELECT coalesce(max(seq), 0) FROM messages WHERE chat_no = c.no), m.read_seq, c.log_len,
			coalesce((SELECT server_time FROM messages WHERE chat_no = c.no ORDER BY seq DESC LIMIT 1), 0)
		FROM members m JOIN chats c ON c.no = m.chat_no
		WHERE m.account_id = ? AND c.id > ? ORDER BY c.id LIMIT ?`, account[:], after[:], limit+1)
}

// Log returns records of chat's membership log from seq from on, at most limit of
// them and not much more than maxBytes (but at least one), and whether more follow. A
// member reads every record; a former member the records before the one after its
// removal; anyone else gets ErrNotFound.
func (s *SQLite) Log(ctx context.Context, chat ids.Chat, reader ids.Account, from uint64, limit, maxBytes int) (out [][]byte, more bool, err error) {
	err = s.readTx(ctx, func(tx *sql.Tx) error {
		var no int64
		var until uint64
		err := tx.QueryRowContext(ctx, `SELECT c.no, CASE WHEN m.account_id IS NOT NULL THEN c.log_len ELSE f.log_until END
			FROM chats c
			LEFT JOIN members m ON m.chat_no = c.no AND m.account_id = ?
			LEFT JOIN former_members f ON f.chat_no = c.no AND f.account_id = ?
			WHERE c.id = ? AND (m.account_id IS NOT NULL OR f.account_id IS NOT NULL)`,
			reader[:], reader[:], chat[:]).Scan(&no, &until)
		if noRows(err) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("read log access: %w", err)
		}
		out, more, err = queryPage(ctx, tx, "log", limit, maxBytes, scanRecord, recordSize,
			"SELECT record FROM chat_log WHERE chat_no = ? AND seq >= ? AND seq < ? ORDER BY seq LIMIT ?", no, from, until, limit+1)
		return err
	})
	return out, more, err
}

// Messages returns the entries of chat with Seq > after, at most limit of them and
// not much more than maxBytes (but at least one), and whether more follow. It returns
// ErrNotFound unless reader is a member, checked in the same snapshot.
func (s *SQLite) Messages(ctx context.Context, chat ids.Chat, reader ids.Account, after uint64, limit, maxBytes int) (out []wire.Entry, more bool, err error) {
	err = s.readTx(ctx, func(tx *sql.Tx) error {
		no, err := memberChatNo(ctx, tx, chat, reader)
		if err != nil {
			return err
		}
		out, more, err = queryPage(ctx, tx, "messages", limit, maxBytes, scanEntry, entrySize, `SELECT seq, msg_id, sender_account, sender_device, epoch, server_time, ciphertext
			FROM messages WHERE chat_no = ? AND seq > ? ORDER BY seq LIMIT ?`, no, after, limit+1)
		return err
	})
	return out, more, err
}

// Epochs returns reader's envelopes of the chat's epochs from from on, at most limit,
// and whether more follow; ErrNotFound unless reader is a member.
func (s *SQLite) Epochs(ctx context.Context, chat ids.Chat, reader ids.Account, from uint64, limit, maxBytes int) (out []wire.EpochKey, more bool, err error) {
	err = s.readTx(ctx, func(tx *sql.Tx) error {
		no, err := memberChatNo(ctx, tx, chat, reader)
		if err != nil {
			return err
		}
		out, more, err = queryPage(ctx, tx, "epochs", limit, maxBytes, scanEpochKey, epochKeySize, `SELECT k.epoch, k.envelope, e.by_device, e.by_account, e.server_time
			FROM epoch_keys k JOIN epochs e ON e.chat_no = k.chat_no AND e.epoch = k.epoch
			WHERE k.chat_no = ? AND k.account_id = ? AND k.epoch >= ? ORDER BY k.epoch LIMIT ?`, no, reader[:], from, limit+1)
		return err
	})
	return out, more, err
}

// epochOverhead bounds what an epoch key adds to a page beside its envelope: its
// epoch, device, account and time.
const epochOverhead = 64

// AccountLog returns records of an account log with Seq > after, like Messages.
func (s *SQLite) AccountLog(ctx context.Context, account ids.Account, after uint64, limit, maxBytes int) ([]wire.AccountEntry, bool, error) {
	return queryPage(ctx, s.rdb, "account log", limit, maxBytes, scanAccountEntry, accountEntrySize, `SELECT seq, record_id, sender_device, server_time, ciphertext
		FROM account_log WHERE account_id = ? AND seq > ? ORDER BY seq LIMIT ?`, account[:], after, limit+1)
}

// Inbox returns a device's inbox items with Seq > after, like Messages.
func (s *SQLite) Inbox(ctx context.Context, device ids.Device, after uint64, limit, maxBytes int) ([]wire.InboxItem, bool, error) {
	return queryPage(ctx, s.rdb, "inbox", limit, maxBytes, scanInboxItem, inboxItemSize, `SELECT seq, item_id, from_account, from_device, server_time, ciphertext
		FROM inbox WHERE device_id = ? AND seq > ? ORDER BY seq LIMIT ?`, device[:], after, limit+1)
}

// Ready reads the schema version on the read pool: it proves the file opens and
// answers, and that the schema is the one this code writes.
func (s *SQLite) Ready(ctx context.Context) error {
	var v int
	if err := s.rdb.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return fmt.Errorf("relay store ready: %w", err)
	}
	return checkVersion(v, SchemaVersion())
}
