package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"

	"hush/ids"
	"hush/policy"
	"hush/sync/wire"
)

// writeStmts are the statements of the write path, prepared once on the single write
// connection: the hot ones (InsertMessage) would otherwise be parsed per row.
type writeStmts struct {
	insertMessage, messageByID            *sql.Stmt
	insertRecord, recordByID              *sql.Stmt
	insertInbox, inboxByID, deleteInbox   *sql.Stmt
	expireInbox                           *sql.Stmt
	addUsage                              *sql.Stmt
	account, device, handleOwner          *sql.Stmt
	activeDevices, accountLogSeq          *sql.Stmt
	chat, chatMembers, chatLastSeq        *sql.Stmt
	epochAuthor                           *sql.Stmt
	createAccount, createDevice, revoke   *sql.Stmt
	clearHandle, setHandle                *sql.Stmt
	createChat, setMember, removeMember   *sql.Stmt
	setEpoch, insertEpoch, insertEpochKey *sql.Stmt
	setMark                               *sql.Stmt
	setAccountKeys, logRecord, appendLog  *sql.Stmt
	setLogHead, setFormer, clearFormer    *sql.Stmt
	directChat, setDirectPair             *sql.Stmt
	setDeviceList, setLastSeen            *sql.Stmt
	putPrekey, addPrekey, prekeyCounts    *sql.Stmt
	prekey, firstPrekey, deletePrekey     *sql.Stmt
	deleteKind                            *sql.Stmt
	all                                   []*sql.Stmt
}

func (w *writeStmts) prepare(ctx context.Context, c *sql.Conn) error {
	defs := []struct {
		dst **sql.Stmt
		sql string
	}{
		{&w.insertMessage, `INSERT INTO messages (chat_no, seq, msg_id, sender_account, sender_device, epoch, server_time, ciphertext)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (chat_no, msg_id) DO NOTHING`},
		{&w.messageByID, "SELECT seq, server_time FROM messages WHERE chat_no = ? AND msg_id = ?"},
		{&w.insertRecord, `INSERT INTO account_log (account_id, seq, record_id, sender_device, server_time, ciphertext)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (account_id, record_id) DO NOTHING`},
		{&w.recordByID, "SELECT seq, server_time FROM account_log WHERE account_id = ? AND record_id = ?"},
		{&w.insertInbox, `INSERT INTO inbox (device_id, item_id, from_account, from_device, server_time, ciphertext)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (device_id, item_id) DO NOTHING`},
		{&w.inboxByID, "SELECT seq, from_account, from_device, server_time, ciphertext FROM inbox WHERE device_id = ? AND item_id = ?"},
		{&w.deleteInbox, "DELETE FROM inbox WHERE device_id = ? AND item_id = ? RETURNING from_account, length(ciphertext)"},
		{&w.expireInbox, `DELETE FROM inbox WHERE seq IN (SELECT seq FROM inbox WHERE server_time < ? ORDER BY server_time, seq LIMIT ?)
			RETURNING from_account, length(ciphertext)`},
		{&w.addUsage, "UPDATE accounts SET used_bytes = max(0, used_bytes + ?) WHERE id = ?"},
		{&w.account, selectAccount + " WHERE id = ?"},
		{&w.device, selectDevice + " WHERE id = ?"},
		{&w.handleOwner, "SELECT id FROM accounts WHERE handle = ?"},
		{&w.activeDevices, "SELECT count(*) FROM devices WHERE account_id = ? AND revoked_at IS NULL"},
		{&w.accountLogSeq, "SELECT coalesce(max(seq), 0) FROM account_log WHERE account_id = ?"},
		{&w.chat, "SELECT no, kind, created_by, epoch, rotate_pending, log_len, coalesce(log_head, x''), head_op FROM chats WHERE id = ?"},
		{&w.chatMembers, "SELECT " + memberColumns + " FROM members WHERE chat_no = ?"},
		{&w.chatLastSeq, "SELECT coalesce(max(seq), 0) FROM messages WHERE chat_no = ?"},
		{&w.epochAuthor, "SELECT by_device FROM epochs WHERE chat_no = ? AND epoch = ?"},
		{&w.createAccount, "INSERT INTO accounts (id, public_key, handle, used_bytes, created_at) VALUES (?, ?, NULLIF(?, ''), ?, ?)"},
		{&w.createDevice, "INSERT INTO devices (id, account_id, cert, created_at, revoked_at) VALUES (?, ?, ?, ?, NULLIF(?, 0))"},
		{&w.revoke, "UPDATE devices SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL"},
		{&w.clearHandle, "UPDATE accounts SET handle = NULL WHERE id = ?"},
		{&w.setHandle, "UPDATE accounts SET handle = ? WHERE id = ?"},
		{&w.createChat, "INSERT INTO chats (id, kind, created_by, epoch, rotate_pending, created_at) VALUES (?, ?, ?, ?, ?, ?)"},
		{&w.setMember, `INSERT INTO members (chat_no, account_id, role) VALUES (?, ?, ?)
			ON CONFLICT (chat_no, account_id) DO UPDATE SET role = excluded.role`},
		{&w.removeMember, "DELETE FROM members WHERE chat_no = ? AND account_id = ?"},
		{&w.setEpoch, "UPDATE chats SET epoch = ?, rotate_pending = ? WHERE no = ?"},
		{&w.insertEpoch, "INSERT INTO epochs (chat_no, epoch, by_device, by_account, server_time) VALUES (?, ?, ?, ?, ?)"},
		{&w.insertEpochKey, "INSERT INTO epoch_keys (chat_no, account_id, epoch, envelope) VALUES (?, ?, ?, ?)"},
		{&w.setMark, "UPDATE members SET delivered_seq = ?, read_seq = ?, shared_read_seq = ? WHERE chat_no = ? AND account_id = ?"},
		{&w.setAccountKeys, "UPDATE accounts SET keys = ? WHERE id = ?"},
		{&w.setDeviceList, "UPDATE accounts SET device_list = ?, device_list_version = ? WHERE id = ?"},
		{&w.setLastSeen, "UPDATE devices SET last_seen = ? WHERE id = ?"},
		{&w.logRecord, "SELECT record FROM chat_log WHERE chat_no = ? AND seq = ?"},
		{&w.appendLog, "INSERT INTO chat_log (chat_no, seq, record) VALUES (?, ?, ?)"},
		{&w.setLogHead, "UPDATE chats SET log_len = ?, log_head = ?, head_op = ? WHERE no = ?"},
		{&w.setFormer, `INSERT INTO former_members (chat_no, account_id, log_until) VALUES (?, ?, ?)
			ON CONFLICT (chat_no, account_id) DO UPDATE SET log_until = excluded.log_until`},
		{&w.clearFormer, "DELETE FROM former_members WHERE chat_no = ? AND account_id = ?"},
		{&w.directChat, "SELECT c.id FROM direct_pairs p JOIN chats c ON c.no = p.chat_no WHERE p.low = ? AND p.high = ?"},
		{&w.setDirectPair, "INSERT INTO direct_pairs (low, high, chat_no) VALUES (?, ?, ?)"},
		{&w.putPrekey, `INSERT INTO prekeys (device_id, kind, id, key) VALUES (?, ?, ?, ?)`},
		{&w.addPrekey, `INSERT INTO prekeys (device_id, kind, id, key) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`},
		{&w.prekeyCounts, "SELECT coalesce(sum(kind = 3), 0), coalesce(sum(kind = 4), 0) FROM prekeys WHERE device_id = ? AND kind IN (3, 4)"},
		{&w.prekey, "SELECT id, key FROM prekeys WHERE device_id = ? AND kind = ?"},
		{&w.firstPrekey, "SELECT id, key FROM prekeys WHERE device_id = ? AND kind = ? ORDER BY id LIMIT 1"},
		{&w.deleteKind, "DELETE FROM prekeys WHERE device_id = ? AND kind = ?"},
		{&w.deletePrekey, "DELETE FROM prekeys WHERE device_id = ? AND kind = ? AND id = ?"},
	}
	for _, d := range defs {
		st, err := c.PrepareContext(ctx, d.sql)
		if err != nil {
			w.close()
			return fmt.Errorf("prepare %q: %w", d.sql, err)
		}
		*d.dst = st
		w.all = append(w.all, st)
	}
	return nil
}

func (w *writeStmts) close() {
	for _, st := range w.all {
		st.Close()
	}
	w.all = nil
}

// sqliteTx implements Tx on the write connection inside BEGIN IMMEDIATE … COMMIT.
type sqliteTx struct {
	s *writeStmts
}

func (t *sqliteTx) Account(ctx context.Context, id ids.Account) (Account, error) {
	return scanAccount(t.s.account.QueryRowContext(ctx, id[:]))
}

func (t *sqliteTx) Device(ctx context.Context, id ids.Device) (Device, error) {
	return scanDevice(t.s.device.QueryRowContext(ctx, id[:]))
}

func (t *sqliteTx) ActiveDeviceCount(ctx context.Context, account ids.Account) (int, error) {
	var n int
	if err := t.s.activeDevices.QueryRowContext(ctx, account[:]).Scan(&n); err != nil {
		return 0, fmt.Errorf("count devices: %w", err)
	}
	return n, nil
}

func (t *sqliteTx) HandleOwner(ctx context.Context, handle string) (ids.Account, error) {
	var id []byte
	err := t.s.handleOwner.QueryRowContext(ctx, handle).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return ids.Account{}, ErrNotFound
	}
	if err != nil {
		return ids.Account{}, fmt.Errorf("read handle: %w", err)
	}
	var a ids.Account
	return a, scanID(a[:], id, "account id")
}

func (t *sqliteTx) AccountLogSeq(ctx context.Context, account ids.Account) (uint64, error) {
	var seq uint64
	if err := t.s.accountLogSeq.QueryRowContext(ctx, account[:]).Scan(&seq); err != nil {
		return 0, fmt.Errorf("read account log seq: %w", err)
	}
	return seq, nil
}

func (t *sqliteTx) Chat(ctx context.Context, id ids.Chat) (*Chat, error) {
	c := &Chat{ID: id, Members: map[ids.Account]*Member{}}
	var by, head []byte
	err := t.s.chat.QueryRowContext(ctx, id[:]).Scan(&c.no, &c.Kind, &by, &c.Epoch, &c.RotatePending, &c.LogLen, &head, &c.HeadOp)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read chat: %w", err)
	}
	if err := scanID(c.CreatedBy[:], by, "account id"); err != nil {
		return nil, err
	}
	if c.LogLen > 0 {
		if err := scanID(c.LogHead[:], head, "log head"); err != nil {
			return nil, err
		}
	}
	if err := t.s.chatLastSeq.QueryRowContext(ctx, c.no).Scan(&c.LastSeq); err != nil {
		return nil, fmt.Errorf("read chat seq: %w", err)
	}
	rows, err := t.s.chatMembers.QueryContext(ctx, c.no)
	if err != nil {
		return nil, fmt.Errorf("read members: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		m, err := scanMember(rows)
		if err != nil {
			return nil, fmt.Errorf("read members: %w", err)
		}
		c.Members[m.account] = &m.Member
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read members: %w", err)
	}
	return c, nil
}

func (t *sqliteTx) EpochAuthor(ctx context.Context, c *Chat, epoch uint64) (ids.Device, error) {
	var dev []byte
	err := t.s.epochAuthor.QueryRowContext(ctx, c.no, epoch).Scan(&dev)
	if errors.Is(err, sql.ErrNoRows) {
		return ids.Device{}, ErrNotFound
	}
	if err != nil {
		return ids.Device{}, fmt.Errorf("read epoch: %w", err)
	}
	var d ids.Device
	return d, scanID(d[:], dev, "device id")
}

func (t *sqliteTx) CreateAccount(ctx context.Context, a Account) error {
	if _, err := t.s.createAccount.ExecContext(ctx, a.ID[:], a.PublicKey, a.Handle, a.UsedBytes, a.CreatedAt); err != nil {
		return fmt.Errorf("create account: %w", err)
	}
	return nil
}

func (t *sqliteTx) CreateDevice(ctx context.Context, d Device) error {
	if _, err := t.s.createDevice.ExecContext(ctx, d.ID[:], d.AccountID[:], d.Cert, d.CreatedAt, d.RevokedAt); err != nil {
		return fmt.Errorf("create device: %w", err)
	}
	return nil
}

func (t *sqliteTx) RevokeDevice(ctx context.Context, id ids.Device, at int64) error {
	if _, err := t.s.revoke.ExecContext(ctx, at, id[:]); err != nil {
		return fmt.Errorf("revoke device: %w", err)
	}
	return nil
}

func (t *sqliteTx) SetHandle(ctx context.Context, account ids.Account, handle string) error {
	if handle == "" {
		_, err := t.s.clearHandle.ExecContext(ctx, account[:])
		if err != nil {
			return fmt.Errorf("clear handle: %w", err)
		}
		return nil
	}
	if _, err := t.s.setHandle.ExecContext(ctx, handle, account[:]); err != nil {
		return fmt.Errorf("set handle: %w", err)
	}
	return nil
}

func (t *sqliteTx) AddUsage(ctx context.Context, account ids.Account, delta int64) error {
	if _, err := t.s.addUsage.ExecContext(ctx, delta, account[:]); err != nil {
		return fmt.Errorf("update usage: %w", err)
	}
	return nil
}

func (t *sqliteTx) CreateChat(ctx context.Context, c *Chat, createdAt int64) error {
	res, err := t.s.createChat.ExecContext(ctx, c.ID[:], c.Kind, c.CreatedBy[:], c.Epoch, c.RotatePending, createdAt)
	if err != nil {
		return fmt.Errorf("create chat: %w", err)
	}
	if c.no, err = res.LastInsertId(); err != nil {
		return fmt.Errorf("create chat: %w", err)
	}
	for a, m := range c.Members {
		if err := t.SetMember(ctx, c, a, m.Role); err != nil {
			return err
		}
	}
	return nil
}

func (t *sqliteTx) SetMember(ctx context.Context, c *Chat, account ids.Account, role policy.Role) error {
	if _, err := t.s.setMember.ExecContext(ctx, c.no, account[:], role); err != nil {
		return fmt.Errorf("set member: %w", err)
	}
	return nil
}

func (t *sqliteTx) RemoveMember(ctx context.Context, c *Chat, account ids.Account) error {
	if _, err := t.s.removeMember.ExecContext(ctx, c.no, account[:]); err != nil {
		return fmt.Errorf("remove member: %w", err)
	}
	return nil
}

func (t *sqliteTx) SetEpoch(ctx context.Context, c *Chat) error {
	if _, err := t.s.setEpoch.ExecContext(ctx, c.Epoch, c.RotatePending, c.no); err != nil {
		return fmt.Errorf("set epoch: %w", err)
	}
	return nil
}

func (t *sqliteTx) InsertEpoch(ctx context.Context, c *Chat, key wire.EpochKey, wrapped []wire.WrappedKey) error {
	if _, err := t.s.insertEpoch.ExecContext(ctx, c.no, key.Epoch, key.ByDevice[:], key.ByAccount[:], key.ServerTime); err != nil {
		return fmt.Errorf("insert epoch: %w", err)
	}
	for _, w := range wrapped {
		if _, err := t.s.insertEpochKey.ExecContext(ctx, c.no, w.AccountID[:], key.Epoch, w.Envelope); err != nil {
			return fmt.Errorf("insert epoch key: %w", err)
		}
	}
	return nil
}

func (t *sqliteTx) SetMark(ctx context.Context, c *Chat, account ids.Account, delivered, read, shared uint64) error {
	if _, err := t.s.setMark.ExecContext(ctx, delivered, read, shared, c.no, account[:]); err != nil {
		return fmt.Errorf("set mark: %w", err)
	}
	return nil
}

func (t *sqliteTx) MessageSeq(ctx context.Context, c *Chat, msg ids.Message) (uint64, int64, error) {
	var seq uint64
	var at int64
	err := t.s.messageByID.QueryRowContext(ctx, c.no, msg[:]).Scan(&seq, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, 0, ErrNotFound
	}
	if err != nil {
		return 0, 0, fmt.Errorf("read message: %w", err)
	}
	return seq, at, nil
}

func (t *sqliteTx) InsertMessage(ctx context.Context, c *Chat, e wire.Entry) (uint64, int64, bool, error) {
	res, err := t.s.insertMessage.ExecContext(ctx, c.no, e.Seq, e.MsgID[:], e.SenderAccount[:], e.SenderDevice[:], e.Epoch, e.ServerTime, e.Ciphertext)
	if err != nil {
		return 0, 0, false, fmt.Errorf("insert message: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return 0, 0, false, fmt.Errorf("insert message: %w", err)
	} else if n == 1 {
		return e.Seq, e.ServerTime, true, nil
	}
	var seq uint64
	var at int64
	if err := t.s.messageByID.QueryRowContext(ctx, c.no, e.MsgID[:]).Scan(&seq, &at); err != nil {
		return 0, 0, false, fmt.Errorf("read duplicate message: %w", err)
	}
	return seq, at, false, nil
}

func (t *sqliteTx) RecordSeq(ctx context.Context, account ids.Account, record ids.Record) (uint64, int64, error) {
	var seq uint64
	var at int64
	err := t.s.recordByID.QueryRowContext(ctx, account[:], record[:]).Scan(&seq, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, 0, ErrNotFound
	}
	if err != nil {
		return 0, 0, fmt.Errorf("read account record: %w", err)
	}
	return seq, at, nil
}

func (t *sqliteTx) InsertAccountRecord(ctx context.Context, account ids.Account, e wire.AccountEntry) (uint64, int64, bool, error) {
	res, err := t.s.insertRecord.ExecContext(ctx, account[:], e.Seq, e.RecordID[:], e.SenderDevice[:], e.ServerTime, e.Ciphertext)
	if err != nil {
		return 0, 0, false, fmt.Errorf("insert account record: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return 0, 0, false, fmt.Errorf("insert account record: %w", err)
	} else if n == 1 {
		return e.Seq, e.ServerTime, true, nil
	}
	var seq uint64
	var at int64
	if err := t.s.recordByID.QueryRowContext(ctx, account[:], e.RecordID[:]).Scan(&seq, &at); err != nil {
		return 0, 0, false, fmt.Errorf("read duplicate account record: %w", err)
	}
	return seq, at, false, nil
}

func (t *sqliteTx) InsertInboxItem(ctx context.Context, device ids.Device, it wire.InboxItem) (wire.InboxItem, bool, error) {
	res, err := t.s.insertInbox.ExecContext(ctx, device[:], it.ItemID[:], it.FromAccount[:], it.FromDevice[:], it.ServerTime, it.Ciphertext)
	if err != nil {
		return wire.InboxItem{}, false, fmt.Errorf("insert inbox item: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return wire.InboxItem{}, false, fmt.Errorf("insert inbox item: %w", err)
	}
	if n == 1 {
		seq, err := res.LastInsertId()
		if err != nil {
			return wire.InboxItem{}, false, fmt.Errorf("insert inbox item: %w", err)
		}
		it.Seq = uint64(seq)
		return it, true, nil
	}
	var acct, dev []byte
	stored := wire.InboxItem{ItemID: it.ItemID}
	if err := t.s.inboxByID.QueryRowContext(ctx, device[:], it.ItemID[:]).Scan(&stored.Seq, &acct, &dev, &stored.ServerTime, &stored.Ciphertext); err != nil {
		return wire.InboxItem{}, false, fmt.Errorf("read duplicate inbox item: %w", err)
	}
	if err := errors.Join(scanID(stored.FromAccount[:], acct, "account id"), scanID(stored.FromDevice[:], dev, "device id")); err != nil {
		return wire.InboxItem{}, false, err
	}
	return stored, false, nil
}

func (t *sqliteTx) DeleteInboxItems(ctx context.Context, device ids.Device, items []ids.InboxItem) (map[ids.Account]int64, error) {
	return deleteItems(items, func(id ids.InboxItem) row { return t.s.deleteInbox.QueryRowContext(ctx, device[:], id[:]) })
}

func (t *sqliteTx) ExpireInboxItems(ctx context.Context, before int64, limit int) (int, map[ids.Account]int64, error) {
	rs, err := t.s.expireInbox.QueryContext(ctx, before, limit)
	if err != nil {
		return 0, nil, fmt.Errorf("expire inbox items: %w", err)
	}
	defer rs.Close()
	return expiredItems(rs)
}

func (t *sqliteTx) SetAccountKeys(ctx context.Context, account ids.Account, keys []byte) error {
	if _, err := t.s.setAccountKeys.ExecContext(ctx, keys, account[:]); err != nil {
		return fmt.Errorf("set account keys: %w", err)
	}
	return nil
}

func (t *sqliteTx) SetDeviceList(ctx context.Context, account ids.Account, list []byte, version uint64) error {
	if _, err := t.s.setDeviceList.ExecContext(ctx, list, version, account[:]); err != nil {
		return fmt.Errorf("set device list: %w", err)
	}
	return nil
}

func (t *sqliteTx) SetLastSeen(ctx context.Context, device ids.Device, at int64) error {
	if _, err := t.s.setLastSeen.ExecContext(ctx, at, device[:]); err != nil {
		return fmt.Errorf("set last seen: %w", err)
	}
	return nil
}

func (t *sqliteTx) LogRecord(ctx context.Context, c *Chat, seq uint64) ([]byte, error) {
	var rec []byte
	err := t.s.logRecord.QueryRowContext(ctx, c.no, seq).Scan(&rec)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read log record: %w", err)
	}
	return rec, nil
}

func (t *sqliteTx) AppendLog(ctx context.Context, c *Chat, record []byte, head [32]byte, op uint8) error {
	if _, err := t.s.appendLog.ExecContext(ctx, c.no, c.LogLen, record); err != nil {
		return fmt.Errorf("append log record: %w", err)
	}
	if _, err := t.s.setLogHead.ExecContext(ctx, c.LogLen+1, head[:], op, c.no); err != nil {
		return fmt.Errorf("append log record: %w", err)
	}
	c.LogLen, c.LogHead, c.HeadOp = c.LogLen+1, head, op
	return nil
}

func (t *sqliteTx) SetFormer(ctx context.Context, c *Chat, account ids.Account, logUntil uint64) error {
	var err error
	if logUntil == 0 {
		_, err = t.s.clearFormer.ExecContext(ctx, c.no, account[:])
	} else {
		_, err = t.s.setFormer.ExecContext(ctx, c.no, account[:], logUntil)
	}
	if err != nil {
		return fmt.Errorf("set former member: %w", err)
	}
	return nil
}

// pair orders two account ids as direct_pairs stores them.
func pair(a, b ids.Account) (low, high []byte) {
	if bytes.Compare(a[:], b[:]) > 0 {
		a, b = b, a
	}
	return a[:], b[:]
}

func (t *sqliteTx) DirectChat(ctx context.Context, a, b ids.Account) (ids.Chat, error) {
	low, high := pair(a, b)
	var id []byte
	err := t.s.directChat.QueryRowContext(ctx, low, high).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return ids.Chat{}, ErrNotFound
	}
	if err != nil {
		return ids.Chat{}, fmt.Errorf("read direct chat: %w", err)
	}
	var c ids.Chat
	return c, scanID(c[:], id, "chat id")
}

func (t *sqliteTx) SetDirectPair(ctx context.Context, c *Chat, a, b ids.Account) error {
	low, high := pair(a, b)
	if _, err := t.s.setDirectPair.ExecContext(ctx, low, high, c.no); err != nil {
		return fmt.Errorf("set direct pair: %w", err)
	}
	return nil
}

func (t *sqliteTx) ReplacePrekey(ctx context.Context, device ids.Device, kind PrekeyKind, p wire.Prekey) error {
	if _, err := t.s.deleteKind.ExecContext(ctx, device[:], kind); err != nil {
		return fmt.Errorf("replace prekey: %w", err)
	}
	if _, err := t.s.putPrekey.ExecContext(ctx, device[:], kind, p.ID[:], p.Signed); err != nil {
		return fmt.Errorf("replace prekey: %w", err)
	}
	return nil
}

func (t *sqliteTx) AddPrekeys(ctx context.Context, device ids.Device, kind PrekeyKind, ps []wire.Prekey) error {
	for _, p := range ps {
		if _, err := t.s.addPrekey.ExecContext(ctx, device[:], kind, p.ID[:], p.Signed); err != nil {
			return fmt.Errorf("add prekeys: %w", err)
		}
	}
	return nil
}

func (t *sqliteTx) PrekeyCounts(ctx context.Context, device ids.Device) (int, int, error) {
	var one, pq int
	if err := t.s.prekeyCounts.QueryRowContext(ctx, device[:]).Scan(&one, &pq); err != nil {
		return 0, 0, fmt.Errorf("count prekeys: %w", err)
	}
	return one, pq, nil
}

func (t *sqliteTx) TakePrekeys(ctx context.Context, device ids.Device) (wire.PrekeyBundle, error) {
	read := func(st *sql.Stmt, kind PrekeyKind) (wire.Prekey, error) {
		return scanPrekey(st.QueryRowContext(ctx, device[:], kind))
	}
	take := func(kind PrekeyKind) (wire.Prekey, error) {
		p, err := read(t.s.firstPrekey, kind)
		if err != nil {
			return wire.Prekey{}, err
		}
		if _, err := t.s.deletePrekey.ExecContext(ctx, device[:], kind, p.ID[:]); err != nil {
			return wire.Prekey{}, fmt.Errorf("take prekey: %w", err)
		}
		return p, nil
	}
	return bundle(device, func(kind PrekeyKind) (wire.Prekey, error) { return read(t.s.prekey, kind) }, take)
}
