package store

import (
	"context"
	"fmt"

	"hush/ids"
)

// Acquainted reports whether device belongs to account, or to an account that
// shares at least one chat with account. The relay counts inbox items to devices
// that are not acquainted against the sender's hourly limit for strangers. A device
// the store does not know is not acquainted.
func (s *SQLite) Acquainted(ctx context.Context, account ids.Account, device ids.Device) (bool, error) {
	// members_account finds the device's account's chats; the primary key then
	// checks each for account.
	var ok bool
	err := s.rdb.QueryRowContext(ctx, `SELECT EXISTS (
		SELECT 1 FROM devices d WHERE d.id = ?1 AND (d.account_id = ?2 OR EXISTS (
			SELECT 1 FROM members b JOIN members a ON a.chat_no = b.chat_no AND a.account_id = ?2
			WHERE b.account_id = d.account_id)))`, device[:], account[:]).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("read acquaintance: %w", err)
	}
	return ok, nil
}
