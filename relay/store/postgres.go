//go:build !hush_omit_postgres

package store

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"hush/ids"
	"hush/sync/wire"
)

//go:embed pgmigrations/*.sql
var pgMigrationFiles embed.FS

func pgMigrations() ([]migration, error) { return readMigrations(pgMigrationFiles, "pgmigrations") }

// pgNoRows reports pgx's "no row" error ([noRows]).
func pgNoRows(err error) bool { return errors.Is(err, pgx.ErrNoRows) }

// PostgresSchemaVersion is the schema version this code writes to PostgreSQL: the
// number of the last embedded migration of pgmigrations/.
func PostgresSchemaVersion() int {
	ms, err := pgMigrations()
	if err != nil {
		return 0
	}
	return len(ms)
}

// migrationLock is the key of the advisory lock under which a relay migrates, so
// relays that start together on one database migrate it once ("hush" in ASCII).
const migrationLock int64 = 0x68757368

// NotifyChannel is the channel of LISTEN/NOTIFY on which relays sharing a database
// tell each other what they committed (docs/RELAY.md, "Several relays").
const NotifyChannel = "hush_relay"

// ErrPayloadTooLarge reports a notification too long for PostgreSQL.
var ErrPayloadTooLarge = errors.New("store: notification payload too large")

// relistenDelay is how long Listen waits before it connects again after losing
// its connection.
const relistenDelay = time.Second

// Postgres is the relay store in a PostgreSQL database, which several relays may
// share: each write transaction locks the rows whose numbering it extends (a chat,
// an account's log, a device's inbox), so their sequence numbers stay gap-free and
// in commit order whichever relay writes.
type Postgres struct {
	pool *pgxpool.Pool
	log  *slog.Logger
}

// OpenPostgres connects to the PostgreSQL database at dsn (a postgres:// URL or a
// key=value string, as libpq takes) and brings its schema up to date under an
// advisory lock.
func OpenPostgres(ctx context.Context, dsn string, log *slog.Logger) (*Postgres, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("open relay store: %w", err)
	}
	// A Write returns only once its commit is on disk, whatever the server's default.
	cfg.ConnConfig.RuntimeParams["synchronous_commit"] = "on"
	cfg.ConnConfig.RuntimeParams["application_name"] = "hush-relay"
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open relay store: %w", err)
	}
	p := &Postgres{pool: pool, log: log}
	if err := p.migrate(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open relay store: %w", err)
	}
	return p, nil
}

// Close closes the connections. Callers must have stopped writing and listening.
func (p *Postgres) Close() error {
	p.pool.Close()
	return nil
}

func (p *Postgres) migrate(ctx context.Context) error {
	ms, err := pgMigrations()
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	conn, err := p.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer conn.Release()
	// A session lock: released by the unlock below, or by the server when this
	// connection dies, so a relay killed while migrating blocks nobody.
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", migrationLock); err != nil {
		return fmt.Errorf("migration lock: %w", err)
	}
	defer func() {
		if _, err := conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", migrationLock); err != nil {
			conn.Conn().Close(context.WithoutCancel(ctx)) // drops the lock with the session
		}
	}()
	if _, err := conn.Exec(ctx, "CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL)"); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	var current int
	if err := conn.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM schema_version").Scan(&current); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if current > len(ms) {
		return fmt.Errorf("%w: database has version %d, this relay knows up to %d", ErrSchemaTooNew, current, len(ms))
	}
	if current == len(ms) {
		return nil
	}
	return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		for _, m := range ms[current:] {
			if _, err := tx.Exec(ctx, m.sql); err != nil {
				return fmt.Errorf("migration %s: %w", m.name, err)
			}
			p.log.InfoContext(ctx, "relay store migrated", "migration", m.name)
		}
		if _, err := tx.Exec(ctx, "DELETE FROM schema_version"); err != nil {
			return fmt.Errorf("set schema version: %w", err)
		}
		if _, err := tx.Exec(ctx, "INSERT INTO schema_version (version) VALUES ($1)", len(ms)); err != nil {
			return fmt.Errorf("set schema version: %w", err)
		}
		return nil
	})
}

// Write runs fn in one transaction (READ COMMITTED) and commits it; it returns
// once the commit is durable (synchronous_commit on). If fn or the commit fails,
// nothing of the batch is stored and the error is returned. Several relays may
// Write at once: the Tx locks what it numbers.
func (p *Postgres) Write(ctx context.Context, fn func(Tx) error) error {
	tx, err := p.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin write: %w", err)
	}
	if err := fn(&pgTx{tx: tx}); err != nil {
		if rerr := tx.Rollback(context.WithoutCancel(ctx)); rerr != nil {
			err = errors.Join(err, fmt.Errorf("rollback: %w", rerr))
		}
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// Notify sends payload to every relay listening on the database ([Postgres.Listen]),
// at once: for what is not stored (a typing signal). What a write stores is
// announced with the write's own Tx.Notify.
func (p *Postgres) Notify(ctx context.Context, payload string) error {
	if len(payload) > MaxNotifyPayload {
		return fmt.Errorf("%w: %d bytes", ErrPayloadTooLarge, len(payload))
	}
	if _, err := p.pool.Exec(ctx, "SELECT pg_notify($1, $2)", NotifyChannel, payload); err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	return nil
}

// Listen calls fn with the payload of each notification on [NotifyChannel], in the
// order their transactions committed, until ctx ends; then it returns nil. It
// listens on a connection of its own and calls ready each time it starts
// listening — first, and again after a lost connection was replaced (whatever was
// sent meanwhile is lost; the store still has it). fn runs on Listen's goroutine
// and should not block.
func (p *Postgres) Listen(ctx context.Context, ready func(), fn func(payload string)) error {
	for {
		err := p.listenOnce(ctx, ready, fn)
		if ctx.Err() != nil {
			return nil
		}
		p.log.WarnContext(ctx, "relay store: listening for other relays failed; retrying", "err", err)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(relistenDelay):
		}
	}
}

func (p *Postgres) listenOnce(ctx context.Context, ready func(), fn func(string)) error {
	conn, err := pgx.ConnectConfig(ctx, p.pool.Config().ConnConfig.Copy())
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{NotifyChannel}.Sanitize()); err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	ready()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return fmt.Errorf("listen: %w", err)
		}
		fn(n.Payload)
	}
}

// Account returns an account, or ErrNotFound.
func (p *Postgres) Account(ctx context.Context, id ids.Account) (Account, error) {
	return scanAccount(p.pool.QueryRow(ctx, selectAccount+" WHERE id = $1", id[:]))
}

// AccountByHandle returns the account holding a normalised handle, or ErrNotFound.
func (p *Postgres) AccountByHandle(ctx context.Context, handle string) (Account, error) {
	return scanAccount(p.pool.QueryRow(ctx, selectAccount+" WHERE handle = $1", handle))
}

// Device returns a device, or ErrNotFound.
func (p *Postgres) Device(ctx context.Context, id ids.Device) (Device, error) {
	return scanDevice(p.pool.QueryRow(ctx, selectDevice+" WHERE id = $1", id[:]))
}

// pgQuerier is what the pool and a transaction share.
type pgQuerier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func pgQueryAll[T any](ctx context.Context, q pgQuerier, what string, scan func(row) (T, error), query string, args ...any) ([]T, error) {
	rs, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", what, err)
	}
	defer rs.Close()
	return scanAll(rs, what, scan)
}

func pgQueryPage[T any](ctx context.Context, q pgQuerier, what string, limit, maxBytes int, scan func(row) (T, error), size func(T) int, query string, args ...any) ([]T, bool, error) {
	rs, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, false, fmt.Errorf("read %s: %w", what, err)
	}
	defer rs.Close()
	return scanPage(rs, what, limit, maxBytes, scan, size)
}

// ActiveDeviceCerts returns the certificates of an account's non-revoked devices, in
// the order they were first seen.
func (p *Postgres) ActiveDeviceCerts(ctx context.Context, account ids.Account) ([][]byte, error) {
	return pgQueryAll(ctx, p.pool, "devices", scanCert, "SELECT cert FROM devices WHERE account_id = $1 AND revoked_at IS NULL ORDER BY created_at, id", account[:])
}

// LastSeen returns when each non-revoked device of account last authenticated.
func (p *Postgres) LastSeen(ctx context.Context, account ids.Account) ([]wire.DeviceSeen, error) {
	return pgQueryAll(ctx, p.pool, "devices", scanSeen, "SELECT id, last_seen FROM devices WHERE account_id = $1 AND revoked_at IS NULL", account[:])
}

// Peers returns the accounts that share at least one chat with account, itself
// excluded.
func (p *Postgres) Peers(ctx context.Context, account ids.Account) ([]ids.Account, error) {
	return pgQueryAll(ctx, p.pool, "peers", scanAccountID, `SELECT DISTINCT o.account_id FROM members m
		JOIN members o ON o.chat_no = m.chat_no AND o.account_id <> m.account_id
		WHERE m.account_id = $1`, account[:])
}

// ChatMembers returns the accounts of a chat's members; none for a chat that does
// not exist. It answers no reader: a relay asks it to fan out what a member did on
// another relay.
func (p *Postgres) ChatMembers(ctx context.Context, chat ids.Chat) ([]ids.Account, error) {
	return pgQueryAll(ctx, p.pool, "members", scanAccountID, "SELECT m.account_id FROM members m JOIN chats c ON c.no = m.chat_no WHERE c.id = $1", chat[:])
}

// readTx runs fn in one REPEATABLE READ transaction, so its queries see one
// snapshot.
func (p *Postgres) readTx(ctx context.Context, fn func(pgx.Tx) error) error {
	return pgx.BeginTxFunc(ctx, p.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, fn)
}

// pgMemberChatNo returns the local key of chat if reader is a member, else
// ErrNotFound.
func pgMemberChatNo(ctx context.Context, q pgQuerier, chat ids.Chat, reader ids.Account) (int64, error) {
	var no int64
	err := q.QueryRow(ctx, `SELECT c.no FROM chats c JOIN members m ON m.chat_no = c.no
		WHERE c.id = $1 AND m.account_id = $2`, chat[:], reader[:]).Scan(&no)
	if noRows(err) {
		return 0, ErrNotFound
	}
	if err != nil {
		return 0, fmt.Errorf("read membership: %w", err)
	}
	return no, nil
}

// ChatInfo returns a chat as its member reader is shown it, or ErrNotFound, as
// [SQLite.ChatInfo].
func (p *Postgres) ChatInfo(ctx context.Context, chat ids.Chat, reader ids.Account) (wire.ChatInfo, error) {
	var v ChatViews
	err := p.readTx(ctx, func(tx pgx.Tx) error {
		no, err := pgMemberChatNo(ctx, tx, chat, reader)
		if err != nil {
			return err
		}
		v, err = pgChatViews(ctx, tx, chat, no)
		return err
	})
	return v.For(reader), err
}

// ChatViews returns a chat as each of its members is shown it, or ErrNotFound: what
// a relay reads to push another relay's change of the chat.
func (p *Postgres) ChatViews(ctx context.Context, chat ids.Chat) (ChatViews, error) {
	var v ChatViews
	err := p.readTx(ctx, func(tx pgx.Tx) error {
		var no int64
		err := tx.QueryRow(ctx, "SELECT no FROM chats WHERE id = $1", chat[:]).Scan(&no)
		if noRows(err) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("read chat: %w", err)
		}
		v, err = pgChatViews(ctx, tx, chat, no)
		return err
	})
	return v, err
}

// pgChatViews reads the chat of local key no in tx.
func pgChatViews(ctx context.Context, tx pgx.Tx, chat ids.Chat, no int64) (ChatViews, error) {
	v := ChatViews{Shared: wire.ChatInfo{ChatID: chat}}
	info := &v.Shared
	if err := tx.QueryRow(ctx, `SELECT kind, epoch, (SELECT coalesce(max(seq), 0) FROM messages WHERE chat_no = $1), log_len
		FROM chats WHERE no = $1`, no).Scan(&info.Kind, &info.Epoch, &info.LastSeq, &info.LogLen); err != nil {
		return v, fmt.Errorf("read chat: %w", err)
	}
	ms, err := pgQueryAll(ctx, tx, "members", scanMember, "SELECT "+memberColumns+" FROM members WHERE chat_no = $1 ORDER BY account_id", no)
	v.setMembers(ms)
	return v, err
}

// Chats returns up to limit chats of account with ids above after, in id order, and
// whether more follow.
func (p *Postgres) Chats(ctx context.Context, account ids.Account, after ids.Chat, limit int) ([]wire.ChatSummary, bool, error) {
	return pgQueryPage(ctx, p.pool, "chats", limit, math.MaxInt, scanChatSummary, func(wire.ChatSummary) int { return 0 }, `SELECT c.id, c.kind, m.role, c.epoch,
			(SELECT coalesce(max(seq), 0) FROM messages WHERE chat_no = c.no), m.read_seq, c.log_len,
			coalesce((SELECT server_time FROM messages WHERE chat_no = c.no ORDER BY seq DESC LIMIT 1), 0)
		FROM members m JOIN chats c ON c.no = m.chat_no
		WHERE m.account_id = $1 AND c.id > $2 ORDER BY c.id LIMIT $3`, account[:], after[:], limit+1)
}

// Log returns records of chat's membership log from seq from on, as [SQLite.Log].
func (p *Postgres) Log(ctx context.Context, chat ids.Chat, reader ids.Account, from uint64, limit, maxBytes int) (out [][]byte, more bool, err error) {
	err = p.readTx(ctx, func(tx pgx.Tx) error {
		var no int64
		var until uint64
		err := tx.QueryRow(ctx, `SELECT c.no, CASE WHEN m.account_id IS NOT NULL THEN c.log_len ELSE f.log_until END
			FROM chats c
			LEFT JOIN members m ON m.chat_no = c.no AND m.account_id = $1
			LEFT JOIN former_members f ON f.chat_no = c.no AND f.account_id = $1
			WHERE c.id = $2 AND (m.account_id IS NOT NULL OR f.account_id IS NOT NULL)`,
			reader[:], chat[:]).Scan(&no, &until)
		if noRows(err) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("read log access: %w", err)
		}
		out, more, err = pgQueryPage(ctx, tx, "log", limit, maxBytes, scanRecord, recordSize,
			"SELECT record FROM chat_log WHERE chat_no = $1 AND seq >= $2 AND seq < $3 ORDER BY seq LIMIT $4", no, from, until, limit+1)
		return err
	})
	return out, more, err
}

// Messages returns the entries of chat with Seq > after, as [SQLite.Messages].
func (p *Postgres) Messages(ctx context.Context, chat ids.Chat, reader ids.Account, after uint64, limit, maxBytes int) (out []wire.Entry, more bool, err error) {
	err = p.readTx(ctx, func(tx pgx.Tx) error {
		no, err := pgMemberChatNo(ctx, tx, chat, reader)
		if err != nil {
			return err
		}
		out, more, err = pgQueryPage(ctx, tx, "messages", limit, maxBytes, scanEntry, entrySize, `SELECT seq, msg_id, sender_account, sender_device, epoch, server_time, ciphertext
			FROM messages WHERE chat_no = $1 AND seq > $2 ORDER BY seq LIMIT $3`, no, after, limit+1)
		return err
	})
	return out, more, err
}

// Epochs returns reader's envelopes of the chat's epochs from from on, as
// [SQLite.Epochs].
func (p *Postgres) Epochs(ctx context.Context, chat ids.Chat, reader ids.Account, from uint64, limit, maxBytes int) (out []wire.EpochKey, more bool, err error) {
	err = p.readTx(ctx, func(tx pgx.Tx) error {
		no, err := pgMemberChatNo(ctx, tx, chat, reader)
		if err != nil {
			return err
		}
		out, more, err = pgQueryPage(ctx, tx, "epochs", limit, maxBytes, scanEpochKey, epochKeySize, `SELECT k.epoch, k.envelope, e.by_device, e.by_account, e.server_time
			FROM epoch_keys k JOIN epochs e ON e.chat_no = k.chat_no AND e.epoch = k.epoch
			WHERE k.chat_no = $1 AND k.account_id = $2 AND k.epoch >= $3 ORDER BY k.epoch LIMIT $4`, no, reader[:], from, limit+1)
		return err
	})
	return out, more, err
}

// AccountLog returns records of an account log with Seq > after, like Messages.
func (p *Postgres) AccountLog(ctx context.Context, account ids.Account, after uint64, limit, maxBytes int) ([]wire.AccountEntry, bool, error) {
	return pgQueryPage(ctx, p.pool, "account log", limit, maxBytes, scanAccountEntry, accountEntrySize, `SELECT seq, record_id, sender_device, server_time, ciphertext
		FROM account_log WHERE account_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`, account[:], after, limit+1)
}

// Inbox returns a device's inbox items with Seq > after, like Messages.
func (p *Postgres) Inbox(ctx context.Context, device ids.Device, after uint64, limit, maxBytes int) ([]wire.InboxItem, bool, error) {
	return pgQueryPage(ctx, p.pool, "inbox", limit, maxBytes, scanInboxItem, inboxItemSize, `SELECT seq, item_id, from_account, from_device, server_time, ciphertext
		FROM inbox WHERE device_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`, device[:], after, limit+1)
}

// Acquainted reports whether device belongs to account, or to an account that
// shares at least one chat with account, as [SQLite.Acquainted].
func (p *Postgres) Acquainted(ctx context.Context, account ids.Account, device ids.Device) (bool, error) {
	var ok bool
	err := p.pool.QueryRow(ctx, `SELECT EXISTS (
		SELECT 1 FROM devices d WHERE d.id = $1 AND (d.account_id = $2 OR EXISTS (
			SELECT 1 FROM members b JOIN members a ON a.chat_no = b.chat_no AND a.account_id = $2
			WHERE b.account_id = d.account_id)))`, device[:], account[:]).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("read acquaintance: %w", err)
	}
	return ok, nil
}

// Ready reads the schema version: it proves a connection to the database answers,
// and that the schema is the one this code writes.
func (p *Postgres) Ready(ctx context.Context) error {
	var v int
	if err := p.pool.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM schema_version").Scan(&v); err != nil {
		return fmt.Errorf("relay store ready: %w", err)
	}
	return checkVersion(v, PostgresSchemaVersion())
}
