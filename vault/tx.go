package vault

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"

	"hush/ids"
	"hush/vault/internal/field"
	"hush/vault/internal/subkey"
)

// Table names: the SQL tables and the first part of every blob's
// associated data.
const (
	tableAccounts    = "accounts"
	tableDevices     = "devices"
	tableContacts    = "contacts"
	tableChats       = "chats"
	tableChatMembers = "chat_members"
	tableMessages    = "messages"
	tableOutbox      = "outbox"
	tableCursors     = "cursors"
	tableEpochKeys   = "epoch_keys"
	tableSessions    = "sessions"
	tablePrekeys     = "prekeys"
	tableAttachments = "attachments"
	tableSettings    = "settings"
	tableDrafts      = "drafts"
	tableLog         = "membership_log"
)

// columnData is the purpose of each table's one sealed column, the second
// part of the associated data.
const columnData = "data"

// Tx is one transaction, handed to the function given to [Vault.Update] or
// [Vault.View]. It carries that call's context and is valid only until the
// function returns; it is not safe for concurrent use.
type Tx struct {
	ctx      context.Context
	sqlTx    *sql.Tx
	keys     *keySet
	codec    codec
	stmts    *stmtCache
	bound    map[string]*sql.Stmt   // prepared statements bound to this transaction
	busy     map[string]bool        // statements whose rows are open
	tags     map[tagKey]*subkey.Tag // graph index tags computed in this transaction
	opened   []byte                 // openRecord's plaintext buffer, cleared after each record
	writable bool
	done     bool
	wiped    bool // a delete happened: checkpoint after commit
	// changes are the writes to messages and chats, reported to watchers
	// after the commit (watch.go).
	changes []Change
}

// begin checks that tx may be used for a read (write == false) or a write.
func (tx *Tx) begin(write bool) error {
	if tx.done {
		return fmt.Errorf("%w: transaction used after its function returned", ErrClosed)
	}
	if write && !tx.writable {
		return ErrReadOnly
	}
	return nil
}

func (tx *Tx) exec(q string, args ...any) (sql.Result, error) {
	var res sql.Result
	var err error
	if st := tx.stmt(q); st != nil {
		res, err = st.ExecContext(tx.ctx, args...)
	} else {
		res, err = tx.sqlTx.ExecContext(tx.ctx, q, args...)
	}
	return res, classify(err)
}

// execOne runs a statement that must touch exactly one row; zero rows is
// ErrNotFound.
func (tx *Tx) execOne(q string, args ...any) error {
	res, err := tx.exec(q, args...)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

// queryRow runs a query for one row; the caller scans it at once.
func (tx *Tx) queryRow(q string, args ...any) *sql.Row {
	if st := tx.stmt(q); st != nil {
		return st.QueryRowContext(tx.ctx, args...)
	}
	return tx.sqlTx.QueryRowContext(tx.ctx, q, args...)
}

// query runs a query for many rows; the caller must close them.
func (tx *Tx) query(q string, args ...any) (*stmtRows, error) {
	st := tx.stmt(q)
	if st == nil {
		r, err := tx.sqlTx.QueryContext(tx.ctx, q, args...)
		if err != nil {
			return nil, classify(err)
		}
		return &stmtRows{Rows: r}, nil
	}
	r, err := st.QueryContext(tx.ctx, args...)
	if err != nil {
		return nil, classify(err)
	}
	if tx.busy == nil {
		tx.busy = map[string]bool{}
	}
	tx.busy[q] = true
	return &stmtRows{Rows: r, release: func() { delete(tx.busy, q) }}, nil
}

// seal encodes rec and seals it for (table, data, row).
func (tx *Tx) seal(table string, row []byte, rec any) ([]byte, error) {
	pt, err := tx.codec.enc.Marshal(rec)
	if err != nil {
		return nil, fmt.Errorf("encode %s record: %w", table, err)
	}
	defer clear(pt)
	if len(pt) > maxRecordSize {
		return nil, fmt.Errorf("%w: %s record of %d bytes, limit %d", ErrTooLarge, table, len(pt), maxRecordSize)
	}
	blob, err := tx.keys.sealer.Seal(rand.Reader, field.Location{Table: table, Column: columnData, Row: row}, recordVersion, pt)
	if err != nil {
		return nil, fmt.Errorf("seal %s record: %w", table, err)
	}
	return blob, nil
}

// openRecord opens a blob read from (table, data, row) and decodes it. A
// blob that does not authenticate there (moved, altered) is ErrCorrupt.
func openRecord[T any, P record[T]](tx *Tx, table string, row, blob []byte) (T, error) {
	version, pt, err := tx.keys.sealer.Open(tx.opened[:0], field.Location{Table: table, Column: columnData, Row: row}, blob)
	if err != nil {
		var zero T
		return zero, fmt.Errorf("%w: %s row %x: %w", ErrCorrupt, table, row, err)
	}
	defer func() {
		clear(pt)
		tx.opened = pt[:0]
	}()
	rec, err := decodeRecord[T, P](tx.codec, version, pt)
	if err != nil {
		return rec, fmt.Errorf("%s row %x: %w", table, row, err)
	}
	return rec, nil
}

// lookupTag hides a secret row name (setting name, cursor scope).
func (tx *Tx) lookupTag(table, name string) []byte {
	return subkey.LookupTag(&tx.keys.lookup, table, name)
}

// wrap adds the operation to an error, turning a missing parent row into
// ErrNotFound.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	if isForeignKeyViolation(err) {
		return fmt.Errorf("vault: %s: parent row missing: %w", op, ErrNotFound)
	}
	return fmt.Errorf("vault: %s: %w", op, err)
}

// notFound reports whether a single-row query found nothing.
func notFound(err error) bool { return errors.Is(err, sql.ErrNoRows) }

// requireID rejects the zero ID for keys.
func requireID[T ids.Any](what string, id T) error {
	var zero T
	if id == zero {
		return fmt.Errorf("%w: zero %s", ErrInvalid, what)
	}
	return nil
}

// pairRow is the row id of a composite key: its clear columns in order
// (chat tag || member tag for members; chat tag || big-endian epoch or
// sequence number for epoch keys and log records).
func pairRow(a, b []byte) []byte {
	row := make([]byte, 0, len(a)+len(b))
	row = append(row, a...)
	return append(row, b...)
}

// seqRow is the row id of an epoch key or a log record: chat tag || u64 BE.
func seqRow(chatTag []byte, n uint64) []byte {
	return binary.BigEndian.AppendUint64(pairRow(chatTag, nil), n)
}
