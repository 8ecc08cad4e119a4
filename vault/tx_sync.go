package vault

import (
	"fmt"
	"hush/ids"
)

// SetCursor records how far a sync scope has been read (a chat log, the
// account log, a device inbox; the scope name is the caller's). The scope
// name is stored only as a keyed lookup tag and inside the sealed record.
func (tx *Tx) SetCursor(scope string, seq int64) error {
	if err := tx.begin(true); err != nil {
		return err
	}
	if scope == "" || seq < 0 {
		return fmt.Errorf("%w: cursor %q at %d", ErrInvalid, scope, seq)
	}
	if err := checkText("cursor scope", scope); err != nil {
		return err
	}
	tag := tx.lookupTag(tableCursors, scope)
	blob, err := tx.seal(tableCursors, tag, &cursorRecord{Scope: scope, Seq: seq})
	if err != nil {
		return wrap("set cursor", err)
	}
	_, err = tx.exec(`INSERT INTO cursors (scope_tag, data) VALUES (?1, ?2)
		ON CONFLICT (scope_tag) DO UPDATE SET data = excluded.data`, tag, blob)
	return wrap("set cursor", err)
}

// Cursor returns a scope's position, 0 if it was never set.
func (tx *Tx) Cursor(scope string) (int64, error) {
	if err := tx.begin(false); err != nil {
		return 0, err
	}
	tag := tx.lookupTag(tableCursors, scope)
	var blob []byte
	err := tx.queryRow(`SELECT data FROM cursors WHERE scope_tag = ?1`, tag).Scan(&blob)
	if notFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, wrap("cursor", err)
	}
	r, err := openRecord[cursorRecord](tx, tableCursors, tag, blob)
	if err != nil {
		return 0, wrap("cursor", err)
	}
	if r.Scope != scope {
		return 0, fmt.Errorf("vault: cursor %q: %w: record names %q", scope, ErrCorrupt, r.Scope)
	}
	return r.Seq, nil
}

// PutSession stores the Double Ratchet state for a peer device, replacing
// the previous state. The row is found by the peer's graph index tag.
func (tx *Tx) PutSession(peerDevice ids.Device, state []byte) error {
	return putKey(tx, tableSessions, "peer_tag", peerDevice, tx.sessionTag, state)
}

// Session returns the ratchet state for a peer device, or ErrNotFound.
func (tx *Tx) Session(peerDevice ids.Device) ([]byte, error) {
	return key(tx, tableSessions, "peer_tag", peerDevice, tx.sessionTag)
}

// DeleteSession wipes a ratchet session (forward secrecy needs the old
// state gone, so the WAL is checkpointed after commit).
func (tx *Tx) DeleteSession(peerDevice ids.Device) error {
	return deleteKey(tx, tableSessions, "peer_tag", peerDevice, tx.sessionTag)
}

// PutPrekey stores the private half of one of this device's prekeys.
func (tx *Tx) PutPrekey(id ids.Prekey, private []byte) error {
	return putKey(tx, tablePrekeys, "id", id, rawRow, private)
}

// Prekey returns a prekey's private half, or ErrNotFound.
func (tx *Tx) Prekey(id ids.Prekey) ([]byte, error) {
	return key(tx, tablePrekeys, "id", id, rawRow)
}

// DeletePrekey wipes a prekey, as a one-time prekey must be once used.
func (tx *Tx) DeletePrekey(id ids.Prekey) error {
	return deleteKey(tx, tablePrekeys, "id", id, rawRow)
}

// rawRow keys a row by the id itself: prekey ids are random and name
// nothing anyone else knows.
func rawRow(id ids.Prekey) []byte { return id[:] }

// putKey, key and deleteKey serve the tables that map an id to one sealed
// secret; row turns the id into the stored key (the id itself, or its graph
// index tag). table and column are constants from this package, never input.
func putKey[T ids.Any](tx *Tx, table, column string, id T, row func(T) []byte, secret []byte) error {
	if err := tx.begin(true); err != nil {
		return err
	}
	if err := requireID(table+" id", id); err != nil {
		return err
	}
	if len(secret) == 0 {
		return fmt.Errorf("%w: empty %s value", ErrInvalid, table)
	}
	r := row(id)
	blob, err := tx.seal(table, r, &keyRecord{Key: secret})
	if err != nil {
		return wrap("put "+table, err)
	}
	_, err = tx.exec(`INSERT INTO `+table+` (`+column+`, data) VALUES (?1, ?2)
		ON CONFLICT (`+column+`) DO UPDATE SET data = excluded.data`, r, blob)
	return wrap("put "+table, err)
}

func key[T ids.Any](tx *Tx, table, column string, id T, row func(T) []byte) ([]byte, error) {
	if err := tx.begin(false); err != nil {
		return nil, err
	}
	r := row(id)
	var blob []byte
	err := tx.queryRow(`SELECT data FROM `+table+` WHERE `+column+` = ?1`, r).Scan(&blob)
	if notFound(err) {
		return nil, fmt.Errorf("vault: %s %s: %w", table, id.String(), ErrNotFound)
	}
	if err != nil {
		return nil, wrap(table, err)
	}
	rec, err := openRecord[keyRecord](tx, table, r, blob)
	if err != nil {
		return nil, wrap(table, err)
	}
	return rec.Key, nil
}

func deleteKey[T ids.Any](tx *Tx, table, column string, id T, row func(T) []byte) error {
	if err := tx.begin(true); err != nil {
		return err
	}
	if err := tx.execOne(`DELETE FROM `+table+` WHERE `+column+` = ?1`, row(id)); err != nil {
		return wrap(fmt.Sprintf("delete %s %s", table, id.String()), err)
	}
	tx.wiped = true
	return nil
}
