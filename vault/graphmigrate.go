package vault

import (
	"fmt"
	"math"

	"hush/ids"
)

// migrateBatch is how many rows the graph index migration reads before it
// writes them back, so a vault of a million messages is not read into
// memory at once.
const migrateBatch = 256

// migrateGraphIndex is the Go part of migration 2 (0002_graph_index.sql),
// run in its transaction after the columns were renamed: every account,
// device and chat id in a clear column becomes its graph index tag, the ids
// move into the sealed records, and every row whose associated data bound an
// id is sealed again under its tag. Rows are rewritten in place (their rowids
// and so their order stay); secure_delete zeroes the old cells, and Open
// checkpoints and truncates the WAL after a migration.
//
// A row that does not open (damage) fails the migration, and with it Open,
// with ErrCorrupt: the vault is left at version 1 as it was, rather than
// losing the row or keeping its id in clear.
func migrateGraphIndex(tx *Tx) error {
	// Chats change their key before the rows that reference them do;
	// foreign keys are checked at commit instead of after each statement.
	if _, err := tx.sqlTx.ExecContext(tx.ctx, `PRAGMA defer_foreign_keys = ON`); err != nil {
		return fmt.Errorf("defer foreign keys: %w", err)
	}
	for _, step := range graphIndexSteps() {
		if err := step.run(tx); err != nil {
			return fmt.Errorf("%s: %w", step.table, err)
		}
	}
	return nil
}

// tableStep rewrites one table.
type tableStep struct {
	table string
	run   func(*Tx) error
}

// graphIndexSteps are migration 2's tables in the order it rewrites them:
// chats before the tables that reference them (the order does not matter
// for correctness, the foreign keys being checked at commit).
func graphIndexSteps() []tableStep {
	return []tableStep{
		{tableAccounts, func(tx *Tx) error {
			return migrateRekeyed(tx, tableAccounts, "tag", domainAccount, func(r *accountRecord, id [ids.Size]byte) { r.ID = id })
		}},
		{tableDevices, migrateDevices},
		{tableContacts, func(tx *Tx) error {
			return migrateRekeyed(tx, tableContacts, "tag", domainContact, func(r *contactRecord, id [ids.Size]byte) { r.AccountID = id })
		}},
		{tableChats, func(tx *Tx) error {
			return migrateRekeyed(tx, tableChats, "tag", domainChat, func(r *chatRecord, id [ids.Size]byte) { r.ID = id })
		}},
		{tableChatMembers, migrateMembers},
		{tableMessages, migrateMessages},
		{tableOutbox, migrateOutbox},
		{tableEpochKeys, migrateEpochKeys},
		{tableDrafts, func(tx *Tx) error {
			return migrateRekeyed[draftRecord](tx, tableDrafts, "chat_tag", domainChat, nil)
		}},
		{tableSessions, func(tx *Tx) error {
			return migrateRekeyed[keyRecord](tx, tableSessions, "peer_tag", domainSessionPeer, nil)
		}},
	}
}

// v1Row is one row as version 1 stored it: its rowid, the ids in its clear
// columns (b may be nil) and its blob.
type v1Row struct {
	rowid int64
	a, b  []byte
	data  []byte
}

// rewriteRows reads the rows of selectSQL (rowid, up to two id columns,
// data; ?1 the last rowid seen, ?2 the batch size) in rowid order, batch by
// batch, and writes each back with updateSQL and the arguments rewrite
// returns. Each batch is read completely before any of it is written, so an
// update never disturbs the scan.
func rewriteRows(tx *Tx, selectSQL, updateSQL string, rewrite func(v1Row) ([]any, error)) error {
	update, err := tx.sqlTx.PrepareContext(tx.ctx, updateSQL)
	if err != nil {
		return classify(err)
	}
	defer update.Close()
	last := int64(math.MinInt64)
	for {
		batch, err := readRows(tx, selectSQL, last)
		if err != nil {
			return err
		}
		for _, r := range batch {
			args, err := rewrite(r)
			if err != nil {
				return err
			}
			if _, err := update.ExecContext(tx.ctx, args...); err != nil {
				return classify(err)
			}
			last = r.rowid
		}
		if len(batch) < migrateBatch {
			return nil
		}
	}
}

func readRows(tx *Tx, selectSQL string, after int64) ([]v1Row, error) {
	rows, err := tx.sqlTx.QueryContext(tx.ctx, selectSQL, after, migrateBatch)
	if err != nil {
		return nil, classify(err)
	}
	defer rows.Close()
	var out []v1Row
	for rows.Next() {
		var r v1Row
		if err := rows.Scan(&r.rowid, &r.a, &r.b, &r.data); err != nil {
			return nil, classify(err)
		}
		out = append(out, r)
	}
	return out, classify(rows.Err())
}

// migrateRekeyed rewrites a table keyed by one id, which becomes its tag in
// domain d: the blob is opened where version 1 sealed it (at the id), given
// the id (setID, unless the table's reads never need it back) and sealed at
// the tag. table and column are constants of this package.
func migrateRekeyed[R any, P record[R]](tx *Tx, table, column string, d domain, setID func(P, [ids.Size]byte)) error {
	return rewriteRows(tx,
		`SELECT rowid, `+column+`, NULL, data FROM `+table+` WHERE rowid > ?1 ORDER BY rowid LIMIT ?2`,
		`UPDATE `+table+` SET `+column+` = ?2, data = ?3 WHERE rowid = ?1`,
		func(r v1Row) ([]any, error) {
			if len(r.a) != ids.Size {
				return nil, fmt.Errorf("%w: stored id of %d bytes", ErrCorrupt, len(r.a))
			}
			rec, err := openRecord[R, P](tx, table, r.a, r.data)
			if err != nil {
				return nil, err
			}
			id := [ids.Size]byte(r.a)
			if setID != nil {
				setID(&rec, id)
			}
			tag := tx.tag(d, id, [ids.Size]byte{})
			blob, err := tx.seal(table, tag, P(&rec))
			return []any{r.rowid, tag, blob}, err
		})
}

func migrateDevices(tx *Tx) error {
	return rewriteRows(tx,
		`SELECT rowid, tag, owner_tag, data FROM devices WHERE rowid > ?1 ORDER BY rowid LIMIT ?2`,
		`UPDATE devices SET tag = ?2, owner_tag = ?3, data = ?4 WHERE rowid = ?1`,
		func(r v1Row) ([]any, error) {
			id, err := idFrom[ids.Device](r.a)
			if err != nil {
				return nil, err
			}
			account, err := idFrom[ids.Account](r.b)
			if err != nil {
				return nil, err
			}
			rec, err := openRecord[deviceRecord](tx, tableDevices, r.a, r.data)
			if err != nil {
				return nil, err
			}
			rec.ID, rec.AccountID = id, account
			tag := tx.deviceTag(id)
			blob, err := tx.seal(tableDevices, tag, &rec)
			return []any{r.rowid, tag, tx.ownerTag(account), blob}, err
		})
}

func migrateMembers(tx *Tx) error {
	return rewriteRows(tx,
		`SELECT rowid, chat_tag, member_tag, data FROM chat_members WHERE rowid > ?1 ORDER BY rowid LIMIT ?2`,
		`UPDATE chat_members SET chat_tag = ?2, member_tag = ?3, data = ?4 WHERE rowid = ?1`,
		func(r v1Row) ([]any, error) {
			chat, err := idFrom[ids.Chat](r.a)
			if err != nil {
				return nil, err
			}
			account, err := idFrom[ids.Account](r.b)
			if err != nil {
				return nil, err
			}
			rec, err := openRecord[memberRecord](tx, tableChatMembers, pairRow(r.a, r.b), r.data)
			if err != nil {
				return nil, err
			}
			// Written again in policy's numbering, whichever key held the role.
			next := memberRecord{Role: rec.role(), AccountID: account}
			chatTag, member := tx.chatTag(chat), tx.memberTag(chat, account)
			blob, err := tx.seal(tableChatMembers, pairRow(chatTag, member), &next)
			return []any{r.rowid, chatTag, member, blob}, err
		})
}

func migrateMessages(tx *Tx) error {
	return rewriteRows(tx,
		`SELECT local_seq, id, chat_tag, data FROM messages WHERE local_seq > ?1 ORDER BY local_seq LIMIT ?2`,
		`UPDATE messages SET chat_tag = ?2, data = ?3 WHERE local_seq = ?1`,
		func(r v1Row) ([]any, error) {
			chat, err := idFrom[ids.Chat](r.b)
			if err != nil {
				return nil, err
			}
			rec, err := openRecord[messageRecord](tx, tableMessages, r.a, r.data)
			if err != nil {
				return nil, err
			}
			rec.ChatID = chat
			blob, err := tx.seal(tableMessages, r.a, &rec)
			return []any{r.rowid, tx.chatTag(chat), blob}, err
		})
}

func migrateOutbox(tx *Tx) error {
	return rewriteRows(tx,
		`SELECT local_seq, id, chat_tag, data FROM outbox WHERE local_seq > ?1 ORDER BY local_seq LIMIT ?2`,
		`UPDATE outbox SET chat_tag = ?2, data = ?3 WHERE local_seq = ?1`,
		func(r v1Row) ([]any, error) {
			rec, err := openRecord[outboxRecord](tx, tableOutbox, r.a, r.data)
			if err != nil {
				return nil, err
			}
			var chatTag []byte // NULL: a record of no chat
			if r.b != nil {
				chat, err := idFrom[ids.Chat](r.b)
				if err != nil {
					return nil, err
				}
				rec.ChatID, chatTag = chat, tx.chatTag(chat)
			}
			blob, err := tx.seal(tableOutbox, r.a, &rec)
			return []any{r.rowid, chatTag, blob}, err
		})
}

// migrateEpochKeys rewrites epoch_keys, a WITHOUT ROWID table keyed by
// (chat, epoch): it has no rowid to page by, and paging by its key would meet
// rows already rewritten under their new tags, so the table is read whole
// first (a few rows per chat).
func migrateEpochKeys(tx *Tx) error {
	rows, err := tx.sqlTx.QueryContext(tx.ctx, `SELECT chat_tag, epoch, data FROM epoch_keys`)
	if err != nil {
		return classify(err)
	}
	type epochRow struct {
		chat  []byte
		epoch int64
		data  []byte
	}
	var all []epochRow
	for rows.Next() {
		var r epochRow
		if err := rows.Scan(&r.chat, &r.epoch, &r.data); err != nil {
			rows.Close()
			return classify(err)
		}
		all = append(all, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return classify(err)
	}
	update, err := tx.sqlTx.PrepareContext(tx.ctx,
		`UPDATE epoch_keys SET chat_tag = ?3, data = ?4 WHERE chat_tag = ?1 AND epoch = ?2`)
	if err != nil {
		return classify(err)
	}
	defer update.Close()
	for _, r := range all {
		chat, err := idFrom[ids.Chat](r.chat)
		if err != nil {
			return err
		}
		if r.epoch < 0 {
			return fmt.Errorf("%w: epoch %d", ErrCorrupt, r.epoch)
		}
		rec, err := openRecord[keyRecord](tx, tableEpochKeys, seqRow(r.chat, uint64(r.epoch)), r.data)
		if err != nil {
			return err
		}
		tag := tx.chatTag(chat)
		blob, err := tx.seal(tableEpochKeys, seqRow(tag, uint64(r.epoch)), &rec)
		if err != nil {
			return err
		}
		if _, err := update.ExecContext(tx.ctx, r.chat, r.epoch, tag, blob); err != nil {
			return classify(err)
		}
	}
	return nil
}
