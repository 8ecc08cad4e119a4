package store

import (
	"context"
	"database/sql"
	"fmt"
	"sync"

	"hush/ids"
)

// acquaintedSQL is true when ?1 is a device of account ?2, or of an account that
// shares a chat with ?2: members_account finds the device's account's chats, the
// primary key then checks each for ?2.
const acquaintedSQL = `SELECT EXISTS (
	SELECT 1 FROM devices d WHERE d.id = ?1 AND (d.account_id = ?2 OR EXISTS (
		SELECT 1 FROM members b JOIN members a ON a.chat_no = b.chat_no AND a.account_id = ?2
		WHERE b.account_id = d.account_id)))`

// acquaintedStmt is acquaintedSQL prepared once on the read pool: it runs for every
// inbox item to another account, and parsing it each time cost more than running it.
type acquaintedStmt struct {
	once sync.Once
	stmt *sql.Stmt
	err  error
}

// Acquainted reports whether device belongs to account, or to an account that
// shares at least one chat with account. The relay counts inbox items to devices
// that are not acquainted against the sender's hourly limit for strangers. A device
// the store does not know is not acquainted.
func (s *SQLite) Acquainted(ctx context.Context, account ids.Account, device ids.Device) (bool, error) {
	a := &s.acquainted
	a.once.Do(func() { a.stmt, a.err = s.rdb.PrepareContext(context.WithoutCancel(ctx), acquaintedSQL) })
	if a.err != nil {
		return false, fmt.Errorf("prepare acquaintance: %w", a.err)
	}
	var ok bool
	if err := a.stmt.QueryRowContext(ctx, device[:], account[:]).Scan(&ok); err != nil {
		return false, fmt.Errorf("read acquaintance: %w", err)
	}
	return ok, nil
}
