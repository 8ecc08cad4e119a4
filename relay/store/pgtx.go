//go:build !hush_omit_postgres

package store

import (
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"hush/ids"
	"hush/policy"
	"hush/sync/wire"
)

// pgErr wraps err with context, as ErrConflict too when PostgreSQL aborted the
// transaction for a conflict with another writer.
func pgErr(what string, err error) error {
	if err == nil {
		return nil
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) && (pe.Code == "40P01" || pe.Code == "40001") {
		return fmt.Errorf("%s: %w: %w", what, ErrConflict, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// pgTx implements Tx in one PostgreSQL transaction. Where a write extends a
// numbering — a chat's messages, an account's log, a device's inbox — it first locks
// what owns it (the chat's row, SELECT … FOR UPDATE; an advisory lock for an
// account's log or a device) and only then reads the last number, in a statement of
// its own: under READ COMMITTED that statement sees every commit of the relay that
// held the lock before.
type pgTx struct {
	tx     pgx.Tx
	locked map[int64]struct{} // advisory locks held
}

func (t *pgTx) exec(ctx context.Context, what, query string, args ...any) error {
	if _, err := t.tx.Exec(ctx, query, args...); err != nil {
		return pgErr(what, err)
	}
	return nil
}

// Kinds of the advisory locks a write takes on what it numbers, so one object's
// id names a lock per kind.
const (
	lockAccountLog byte = 1 // an account's log
	lockDevice     byte = 2 // a device's inbox and prekeys
	lockQuota      byte = 3 // an account's quota: its used bytes, checked then charged
)

// advisoryKey is the 64-bit key of an advisory lock: the kind, then 56 bits of
// the id. Two ids that share a key only wait on each other.
func advisoryKey(kind byte, id []byte) int64 {
	return int64(binary.BigEndian.Uint64(append([]byte{kind}, id[:7]...)))
}

// lockFor takes the transaction's advisory lock on one object, once. Advisory
// locks, not row locks: rows such as a device's last-seen time or an account's
// quota are updated by other writes in other orders, and must not deadlock with
// numbering.
func (t *pgTx) lockFor(ctx context.Context, kind byte, id []byte) error {
	key := advisoryKey(kind, id)
	if _, held := t.locked[key]; held {
		return nil
	}
	if err := t.exec(ctx, "lock", "SELECT pg_advisory_xact_lock($1)", key); err != nil {
		return err
	}
	if t.locked == nil {
		t.locked = map[int64]struct{}{}
	}
	t.locked[key] = struct{}{}
	return nil
}

func (t *pgTx) lockDevice(ctx context.Context, device ids.Device) error {
	return t.lockFor(ctx, lockDevice, device[:])
}

// LockDevices takes the locks an inbox insert or a prekey count or bundle takes,
// for several devices at once and in one order: a writer that takes them first
// never waits in a cycle with another relay's.
func (t *pgTx) LockDevices(ctx context.Context, devices []ids.Device) error {
	sorted := slices.SortedFunc(slices.Values(devices), func(a, b ids.Device) int {
		return cmp.Compare(advisoryKey(lockDevice, a[:]), advisoryKey(lockDevice, b[:]))
	})
	for _, d := range sorted {
		if err := t.lockDevice(ctx, d); err != nil {
			return err
		}
	}
	return nil
}

// LockQuotas takes the locks that make several relays check the quotas of accounts
// one transaction at a time, in one order: a batch that charges an account reads
// its used bytes only once it holds that account's lock, so what another relay
// charged is committed and seen, and two relays' writes cannot both pass a check
// that only one of them fits.
func (t *pgTx) LockQuotas(ctx context.Context, accounts []ids.Account) error {
	sorted := slices.SortedFunc(slices.Values(accounts), func(a, b ids.Account) int {
		return cmp.Compare(advisoryKey(lockQuota, a[:]), advisoryKey(lockQuota, b[:]))
	})
	for _, a := range sorted {
		if err := t.lockFor(ctx, lockQuota, a[:]); err != nil {
			return err
		}
	}
	return nil
}

// Notify sends payload to every relay listening on the database once, and only if,
// this transaction commits; notifications arrive in commit order.
func (t *pgTx) Notify(ctx context.Context, payload string) error {
	if len(payload) > MaxNotifyPayload {
		return fmt.Errorf("%w: %d bytes", ErrPayloadTooLarge, len(payload))
	}
	return t.exec(ctx, "notify", "SELECT pg_notify($1, $2)", NotifyChannel, payload)
}

func (t *pgTx) Account(ctx context.Context, id ids.Account) (Account, error) {
	return scanAccount(t.tx.QueryRow(ctx, selectAccount+" WHERE id = $1", id[:]))
}

func (t *pgTx) Device(ctx context.Context, id ids.Device) (Device, error) {
	return scanDevice(t.tx.QueryRow(ctx, selectDevice+" WHERE id = $1", id[:]))
}

func (t *pgTx) ActiveDeviceCount(ctx context.Context, account ids.Account) (int, error) {
	var n int
	if err := t.tx.QueryRow(ctx, "SELECT count(*) FROM devices WHERE account_id = $1 AND revoked_at IS NULL", account[:]).Scan(&n); err != nil {
		return 0, pgErr("count devices", err)
	}
	return n, nil
}

func (t *pgTx) HandleOwner(ctx context.Context, handle string) (ids.Account, error) {
	var id []byte
	err := t.tx.QueryRow(ctx, "SELECT id FROM accounts WHERE handle = $1", handle).Scan(&id)
	if noRows(err) {
		return ids.Account{}, ErrNotFound
	}
	if err != nil {
		return ids.Account{}, pgErr("read handle", err)
	}
	var a ids.Account
	return a, scanID(a[:], id, "account id")
}

// AccountLogSeq locks the account's log, then reads its last seq.
func (t *pgTx) AccountLogSeq(ctx context.Context, account ids.Account) (uint64, error) {
	if err := t.lockFor(ctx, lockAccountLog, account[:]); err != nil {
		return 0, err
	}
	var seq uint64
	if err := t.tx.QueryRow(ctx, "SELECT coalesce(max(seq), 0) FROM account_log WHERE account_id = $1", account[:]).Scan(&seq); err != nil {
		return 0, pgErr("read account log seq", err)
	}
	return seq, nil
}

// Chat locks the chat's row, then reads its last seq and members.
func (t *pgTx) Chat(ctx context.Context, id ids.Chat) (*Chat, error) {
	c := &Chat{ID: id, Members: map[ids.Account]*Member{}}
	var by, head []byte
	err := t.tx.QueryRow(ctx, "SELECT no, kind, created_by, epoch, rotate_pending, log_len, coalesce(log_head, ''::bytea), head_op FROM chats WHERE id = $1 FOR UPDATE",
		id[:]).Scan(&c.no, &c.Kind, &by, &c.Epoch, &c.RotatePending, &c.LogLen, &head, &c.HeadOp)
	if noRows(err) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, pgErr("read chat", err)
	}
	if err := scanID(c.CreatedBy[:], by, "account id"); err != nil {
		return nil, err
	}
	if c.LogLen > 0 {
		if err := scanID(c.LogHead[:], head, "log head"); err != nil {
			return nil, err
		}
	}
	if err := t.tx.QueryRow(ctx, "SELECT coalesce(max(seq), 0) FROM messages WHERE chat_no = $1", c.no).Scan(&c.LastSeq); err != nil {
		return nil, pgErr("read chat seq", err)
	}
	rs, err := t.tx.Query(ctx, "SELECT "+memberColumns+" FROM members WHERE chat_no = $1", c.no)
	if err != nil {
		return nil, pgErr("read members", err)
	}
	defer rs.Close()
	ms, err := scanAll(rs, "members", scanMember)
	if err != nil {
		return nil, err
	}
	for _, m := range ms {
		c.Members[m.account] = &m.Member
	}
	return c, nil
}

func (t *pgTx) EpochAuthor(ctx context.Context, c *Chat, epoch uint64) (ids.Device, error) {
	var dev []byte
	err := t.tx.QueryRow(ctx, "SELECT by_device FROM epochs WHERE chat_no = $1 AND epoch = $2", c.no, epoch).Scan(&dev)
	if noRows(err) {
		return ids.Device{}, ErrNotFound
	}
	if err != nil {
		return ids.Device{}, pgErr("read epoch", err)
	}
	var d ids.Device
	return d, scanID(d[:], dev, "device id")
}

func (t *pgTx) CreateAccount(ctx context.Context, a Account) error {
	return t.exec(ctx, "create account", "INSERT INTO accounts (id, public_key, handle, used_bytes, created_at) VALUES ($1, $2, NULLIF($3, ''), $4, $5)",
		a.ID[:], a.PublicKey, a.Handle, a.UsedBytes, a.CreatedAt)
}

func (t *pgTx) CreateDevice(ctx context.Context, d Device) error {
	return t.exec(ctx, "create device", "INSERT INTO devices (id, account_id, cert, created_at, revoked_at) VALUES ($1, $2, $3, $4, NULLIF($5, 0))",
		d.ID[:], d.AccountID[:], d.Cert, d.CreatedAt, d.RevokedAt)
}

func (t *pgTx) RevokeDevice(ctx context.Context, id ids.Device, at int64) error {
	return t.exec(ctx, "revoke device", "UPDATE devices SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL", at, id[:])
}

func (t *pgTx) SetHandle(ctx context.Context, account ids.Account, handle string) error {
	return t.exec(ctx, "set handle", "UPDATE accounts SET handle = NULLIF($1, '') WHERE id = $2", handle, account[:])
}

func (t *pgTx) AddUsage(ctx context.Context, account ids.Account, delta int64) error {
	return t.exec(ctx, "update usage", "UPDATE accounts SET used_bytes = greatest(0, used_bytes + $1) WHERE id = $2", delta, account[:])
}

func (t *pgTx) CreateChat(ctx context.Context, c *Chat, createdAt int64) error {
	err := t.tx.QueryRow(ctx, "INSERT INTO chats (id, kind, created_by, epoch, rotate_pending, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING no",
		c.ID[:], c.Kind, c.CreatedBy[:], c.Epoch, c.RotatePending, createdAt).Scan(&c.no)
	if err != nil {
		return pgErr("create chat", err)
	}
	for a, m := range c.Members {
		if err := t.SetMember(ctx, c, a, m.Role); err != nil {
			return err
		}
	}
	return nil
}

func (t *pgTx) SetMember(ctx context.Context, c *Chat, account ids.Account, role policy.Role) error {
	return t.exec(ctx, "set member", `INSERT INTO members (chat_no, account_id, role) VALUES ($1, $2, $3)
		ON CONFLICT (chat_no, account_id) DO UPDATE SET role = excluded.role`, c.no, account[:], role)
}

func (t *pgTx) RemoveMember(ctx context.Context, c *Chat, account ids.Account) error {
	return t.exec(ctx, "remove member", "DELETE FROM members WHERE chat_no = $1 AND account_id = $2", c.no, account[:])
}

func (t *pgTx) SetEpoch(ctx context.Context, c *Chat) error {
	return t.exec(ctx, "set epoch", "UPDATE chats SET epoch = $1, rotate_pending = $2 WHERE no = $3", c.Epoch, c.RotatePending, c.no)
}

func (t *pgTx) InsertEpoch(ctx context.Context, c *Chat, key wire.EpochKey, wrapped []wire.WrappedKey) error {
	if err := t.exec(ctx, "insert epoch", "INSERT INTO epochs (chat_no, epoch, by_device, by_account, server_time) VALUES ($1, $2, $3, $4, $5)",
		c.no, key.Epoch, key.ByDevice[:], key.ByAccount[:], key.ServerTime); err != nil {
		return err
	}
	b := &pgx.Batch{}
	for _, w := range wrapped {
		b.Queue("INSERT INTO epoch_keys (chat_no, account_id, epoch, envelope) VALUES ($1, $2, $3, $4)", c.no, w.AccountID[:], key.Epoch, w.Envelope)
	}
	if err := t.tx.SendBatch(ctx, b).Close(); err != nil {
		return pgErr("insert epoch key", err)
	}
	return nil
}

func (t *pgTx) SetMark(ctx context.Context, c *Chat, account ids.Account, delivered, read, shared uint64) error {
	return t.exec(ctx, "set mark", "UPDATE members SET delivered_seq = $1, read_seq = $2, shared_read_seq = $3 WHERE chat_no = $4 AND account_id = $5",
		delivered, read, shared, c.no, account[:])
}

// seqAt reads the seq and server time of a stored row, or ErrNotFound.
func (t *pgTx) seqAt(ctx context.Context, what, query string, args ...any) (uint64, int64, error) {
	var seq uint64
	var at int64
	err := t.tx.QueryRow(ctx, query, args...).Scan(&seq, &at)
	if noRows(err) {
		return 0, 0, ErrNotFound
	}
	if err != nil {
		return 0, 0, pgErr("read "+what, err)
	}
	return seq, at, nil
}

const (
	pgMessageByID = "SELECT seq, server_time FROM messages WHERE chat_no = $1 AND msg_id = $2"
	pgRecordByID  = "SELECT seq, server_time FROM account_log WHERE account_id = $1 AND record_id = $2"
)

func (t *pgTx) MessageSeq(ctx context.Context, c *Chat, msg ids.Message) (uint64, int64, error) {
	return t.seqAt(ctx, "message", pgMessageByID, c.no, msg[:])
}

// insertOrFind inserts a row unless its id is taken, then reports the stored row's
// seq and time and whether this insert stored it.
func (t *pgTx) insertOrFind(ctx context.Context, what string, seq uint64, at int64, insert string, args []any, find string, findArgs ...any) (uint64, int64, bool, error) {
	tag, err := t.tx.Exec(ctx, insert, args...)
	if err != nil {
		return 0, 0, false, pgErr("insert "+what, err)
	}
	if tag.RowsAffected() == 1 {
		return seq, at, true, nil
	}
	seq, at, err = t.seqAt(ctx, "duplicate "+what, find, findArgs...)
	return seq, at, false, err
}

func (t *pgTx) InsertMessage(ctx context.Context, c *Chat, e wire.Entry) (uint64, int64, bool, error) {
	return t.insertOrFind(ctx, "message", e.Seq, e.ServerTime, `INSERT INTO messages (chat_no, seq, msg_id, sender_account, sender_device, epoch, server_time, ciphertext)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (chat_no, msg_id) DO NOTHING`,
		[]any{c.no, e.Seq, e.MsgID[:], e.SenderAccount[:], e.SenderDevice[:], e.Epoch, e.ServerTime, e.Ciphertext},
		pgMessageByID, c.no, e.MsgID[:])
}

func (t *pgTx) RecordSeq(ctx context.Context, account ids.Account, record ids.Record) (uint64, int64, error) {
	return t.seqAt(ctx, "account record", pgRecordByID, account[:], record[:])
}

func (t *pgTx) InsertAccountRecord(ctx context.Context, account ids.Account, e wire.AccountEntry) (uint64, int64, bool, error) {
	return t.insertOrFind(ctx, "account record", e.Seq, e.ServerTime, `INSERT INTO account_log (account_id, seq, record_id, sender_device, server_time, ciphertext)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (account_id, record_id) DO NOTHING`,
		[]any{account[:], e.Seq, e.RecordID[:], e.SenderDevice[:], e.ServerTime, e.Ciphertext},
		pgRecordByID, account[:], e.RecordID[:])
}

// InsertInboxItem locks the device first, so the device's items take their
// numbers in the order they commit.
func (t *pgTx) InsertInboxItem(ctx context.Context, device ids.Device, it wire.InboxItem) (wire.InboxItem, bool, error) {
	if err := t.lockDevice(ctx, device); err != nil {
		return wire.InboxItem{}, false, err
	}
	err := t.tx.QueryRow(ctx, `INSERT INTO inbox (device_id, item_id, from_account, from_device, server_time, ciphertext)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (device_id, item_id) DO NOTHING RETURNING seq`,
		device[:], it.ItemID[:], it.FromAccount[:], it.FromDevice[:], it.ServerTime, it.Ciphertext).Scan(&it.Seq)
	if err == nil {
		return it, true, nil
	}
	if !noRows(err) {
		return wire.InboxItem{}, false, pgErr("insert inbox item", err)
	}
	stored, err := scanInboxItem(t.tx.QueryRow(ctx, "SELECT seq, item_id, from_account, from_device, server_time, ciphertext FROM inbox WHERE device_id = $1 AND item_id = $2", device[:], it.ItemID[:]))
	if err != nil {
		return wire.InboxItem{}, false, pgErr("read duplicate inbox item", err)
	}
	return stored, false, nil
}

func (t *pgTx) DeleteInboxItems(ctx context.Context, device ids.Device, items []ids.InboxItem) (map[ids.Account]int64, error) {
	return deleteItems(items, func(id ids.InboxItem) row {
		return t.tx.QueryRow(ctx, "DELETE FROM inbox WHERE device_id = $1 AND item_id = $2 RETURNING from_account, length(ciphertext)", device[:], id[:])
	})
}

// ExpireInboxItems skips items another relay's sweep has locked: that sweep
// deletes them, and each item's bytes are freed once.
func (t *pgTx) ExpireInboxItems(ctx context.Context, before int64, limit int) (int, map[ids.Account]int64, error) {
	rs, err := t.tx.Query(ctx, `DELETE FROM inbox WHERE seq IN (
			SELECT seq FROM inbox WHERE server_time < $1 ORDER BY server_time, seq LIMIT $2 FOR UPDATE SKIP LOCKED)
		RETURNING from_account, length(ciphertext)`, before, limit)
	if err != nil {
		return 0, nil, pgErr("expire inbox items", err)
	}
	defer rs.Close()
	return expiredItems(rs)
}

func (t *pgTx) SetAccountKeys(ctx context.Context, account ids.Account, keys []byte) error {
	return t.exec(ctx, "set account keys", "UPDATE accounts SET keys = $1 WHERE id = $2", keys, account[:])
}

func (t *pgTx) SetDeviceList(ctx context.Context, account ids.Account, list []byte, version uint64) error {
	return t.exec(ctx, "set device list", "UPDATE accounts SET device_list = $1, device_list_version = $2 WHERE id = $3", list, version, account[:])
}

func (t *pgTx) SetLastSeen(ctx context.Context, device ids.Device, at int64) error {
	return t.exec(ctx, "set last seen", "UPDATE devices SET last_seen = $1 WHERE id = $2", at, device[:])
}

func (t *pgTx) LogRecord(ctx context.Context, c *Chat, seq uint64) ([]byte, error) {
	var rec []byte
	err := t.tx.QueryRow(ctx, "SELECT record FROM chat_log WHERE chat_no = $1 AND seq = $2", c.no, seq).Scan(&rec)
	if noRows(err) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, pgErr("read log record", err)
	}
	return rec, nil
}

func (t *pgTx) AppendLog(ctx context.Context, c *Chat, record []byte, head [32]byte, op uint8) error {
	if err := t.exec(ctx, "append log record", "INSERT INTO chat_log (chat_no, seq, record) VALUES ($1, $2, $3)", c.no, c.LogLen, record); err != nil {
		return err
	}
	if err := t.exec(ctx, "append log record", "UPDATE chats SET log_len = $1, log_head = $2, head_op = $3 WHERE no = $4", c.LogLen+1, head[:], op, c.no); err != nil {
		return err
	}
	c.LogLen, c.LogHead, c.HeadOp = c.LogLen+1, head, op
	return nil
}

func (t *pgTx) SetFormer(ctx context.Context, c *Chat, account ids.Account, logUntil uint64) error {
	if logUntil == 0 {
		return t.exec(ctx, "set former member", "DELETE FROM former_members WHERE chat_no = $1 AND account_id = $2", c.no, account[:])
	}
	return t.exec(ctx, "set former member", `INSERT INTO former_members (chat_no, account_id, log_until) VALUES ($1, $2, $3)
		ON CONFLICT (chat_no, account_id) DO UPDATE SET log_until = excluded.log_until`, c.no, account[:], logUntil)
}

func (t *pgTx) DirectChat(ctx context.Context, a, b ids.Account) (ids.Chat, error) {
	low, high := pair(a, b)
	var id []byte
	err := t.tx.QueryRow(ctx, "SELECT c.id FROM direct_pairs p JOIN chats c ON c.no = p.chat_no WHERE p.low = $1 AND p.high = $2", low, high).Scan(&id)
	if noRows(err) {
		return ids.Chat{}, ErrNotFound
	}
	if err != nil {
		return ids.Chat{}, pgErr("read direct chat", err)
	}
	var c ids.Chat
	return c, scanID(c[:], id, "chat id")
}

func (t *pgTx) SetDirectPair(ctx context.Context, c *Chat, a, b ids.Account) error {
	low, high := pair(a, b)
	return t.exec(ctx, "set direct pair", "INSERT INTO direct_pairs (low, high, chat_no) VALUES ($1, $2, $3)", low, high, c.no)
}

func (t *pgTx) ReplacePrekey(ctx context.Context, device ids.Device, kind PrekeyKind, p wire.Prekey) error {
	if err := t.exec(ctx, "replace prekey", "DELETE FROM prekeys WHERE device_id = $1 AND kind = $2", device[:], kind); err != nil {
		return err
	}
	return t.exec(ctx, "replace prekey", "INSERT INTO prekeys (device_id, kind, id, key) VALUES ($1, $2, $3, $4)", device[:], kind, p.ID[:], p.Signed)
}

func (t *pgTx) AddPrekeys(ctx context.Context, device ids.Device, kind PrekeyKind, ps []wire.Prekey) error {
	b := &pgx.Batch{}
	for _, p := range ps {
		b.Queue("INSERT INTO prekeys (device_id, kind, id, key) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING", device[:], kind, p.ID[:], p.Signed)
	}
	if err := t.tx.SendBatch(ctx, b).Close(); err != nil {
		return pgErr("add prekeys", err)
	}
	return nil
}

// PrekeyCounts locks the device first: the count is what a publish checks
// its cap against, and what a fetch reports after taking keys.
func (t *pgTx) PrekeyCounts(ctx context.Context, device ids.Device) (int, int, error) {
	if err := t.lockDevice(ctx, device); err != nil {
		return 0, 0, err
	}
	var one, pq int
	if err := t.tx.QueryRow(ctx, "SELECT count(*) FILTER (WHERE kind = 3), count(*) FILTER (WHERE kind = 4) FROM prekeys WHERE device_id = $1 AND kind IN (3, 4)",
		device[:]).Scan(&one, &pq); err != nil {
		return 0, 0, pgErr("count prekeys", err)
	}
	return one, pq, nil
}

// TakePrekeys locks the device first, so two relays never hand out one
// one-time prekey twice.
func (t *pgTx) TakePrekeys(ctx context.Context, device ids.Device) (wire.PrekeyBundle, error) {
	if err := t.lockDevice(ctx, device); err != nil {
		return wire.PrekeyBundle{}, err
	}
	read := func(kind PrekeyKind) (wire.Prekey, error) {
		return scanPrekey(t.tx.QueryRow(ctx, "SELECT id, key FROM prekeys WHERE device_id = $1 AND kind = $2", device[:], kind))
	}
	take := func(kind PrekeyKind) (wire.Prekey, error) {
		return scanPrekey(t.tx.QueryRow(ctx, `DELETE FROM prekeys WHERE device_id = $1 AND kind = $2 AND id = (
			SELECT id FROM prekeys WHERE device_id = $1 AND kind = $2 ORDER BY id LIMIT 1) RETURNING id, key`, device[:], kind))
	}
	return bundle(device, read, take)
}
