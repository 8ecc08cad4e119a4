package chat

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"hush/ids"
	"hush/vault"
)

// Blocking (docs/SECURITY.md, "Consent"): what a blocked account starts, or adds
// this account to, is declined without asking. The accounts are one list in one
// sealed vault setting, so the user can see whom they blocked and unblock them.

// blockedSetting names the vault setting that holds the blocked accounts.
const blockedSetting = "chat/blocked"

// maxBlocked caps the list; blocking more asks the user to unblock someone first
// rather than silently unblocking the oldest.
const maxBlocked = 1000

const blockListVersion = 1

// blockList is the stored list, oldest first.
type blockList struct {
	_        struct{} `cbor:",toarray"`
	Version  uint8
	Accounts []blockedEntry
}

// blockedEntry is one blocked account, with the name it had when blocked (it may
// be no contact, so nothing else keeps it) and when.
type blockedEntry struct {
	_       struct{} `cbor:",toarray"`
	Account []byte
	Name    string
	At      int64 // Unix milliseconds
}

// Blocked is a blocked account as the blocked list shows it.
type Blocked struct {
	Account ids.Account
	// Name is its display name as known now, else as it was when blocked; "" when
	// never known.
	Name  string
	Since time.Time
}

func encodeBlockList(l blockList) ([]byte, error) {
	l.Version = blockListVersion
	b, err := modes.enc.Marshal(l)
	if err != nil {
		return nil, fmt.Errorf("encode blocked accounts: %w", err)
	}
	return b, nil
}

func decodeBlockList(b []byte) (blockList, error) {
	if len(b) > maxRecordSize {
		return blockList{}, fmt.Errorf("%w: blocked accounts of %d bytes", errBadRecord, len(b))
	}
	var l blockList
	if err := modes.dec.Unmarshal(b, &l); err != nil {
		return blockList{}, fmt.Errorf("%w: blocked accounts: %v", errBadRecord, err)
	}
	if l.Version != blockListVersion {
		return blockList{}, fmt.Errorf("%w: blocked accounts of version %d", errBadRecord, l.Version)
	}
	if len(l.Accounts) > maxBlocked {
		return blockList{}, fmt.Errorf("%w: %d blocked accounts", errBadRecord, len(l.Accounts))
	}
	for _, e := range l.Accounts {
		if len(e.Account) != ids.Size {
			return blockList{}, fmt.Errorf("%w: a blocked account id of %d bytes", errBadRecord, len(e.Account))
		}
	}
	return l, nil
}

// readBlocked reads the list; none stored is an empty list.
func readBlocked(tx *vault.Tx) (blockList, error) {
	b, err := tx.Setting(blockedSetting)
	switch {
	case errors.Is(err, vault.ErrNotFound):
		return blockList{Version: blockListVersion}, nil
	case err != nil:
		return blockList{}, err
	}
	return decodeBlockList(b)
}

// index is where account stands in the list, -1 if it is not blocked.
func (l *blockList) index(account ids.Account) int {
	return slices.IndexFunc(l.Accounts, func(e blockedEntry) bool { return bytes.Equal(e.Account, account[:]) })
}

// isBlocked reports whether the user blocked account.
func isBlocked(tx *vault.Tx, account ids.Account) (bool, error) {
	l, err := readBlocked(tx)
	if err != nil {
		return false, err
	}
	return l.index(account) >= 0, nil
}

// isBlocked reports whether the user blocked account.
func (d *directory) isBlocked(ctx context.Context, account ids.Account) (bool, error) {
	var blocked bool
	err := d.v.View(ctx, func(tx *vault.Tx) error {
		var err error
		blocked, err = isBlocked(tx, account)
		return err
	})
	return blocked, err
}

// block blocks an account (or unblocks it): chats it starts or adds this account to
// are declined without asking. Blocking one already blocked, or unblocking one that
// is not, changes nothing.
func (d *directory) block(ctx context.Context, account ids.Account, blocked bool) error {
	if blocked && account == d.meID {
		return detailf(ErrInvalid, "you cannot block yourself")
	}
	return d.v.Update(ctx, func(tx *vault.Tx) error {
		l, err := readBlocked(tx)
		if err != nil {
			return err
		}
		switch i := l.index(account); {
		case blocked && i >= 0, !blocked && i < 0:
			return nil
		case !blocked:
			l.Accounts = slices.Delete(l.Accounts, i, i+1)
		case len(l.Accounts) >= maxBlocked:
			return detailf(ErrInvalid, "at most %d accounts can be blocked: unblock someone first", maxBlocked)
		default:
			l.Accounts = append(l.Accounts, blockedEntry{
				Account: bytes.Clone(account[:]), Name: d.nameOf(tx, account, nameCache{}), At: d.clk.Now().UnixMilli(),
			})
		}
		b, err := encodeBlockList(l)
		if err != nil {
			return err
		}
		return tx.PutSetting(blockedSetting, b)
	})
}

// blocked lists the blocked accounts, the most recently blocked first.
func (d *directory) blocked(ctx context.Context) ([]Blocked, error) {
	var out []Blocked
	err := d.v.View(ctx, func(tx *vault.Tx) error {
		l, err := readBlocked(tx)
		if err != nil {
			return err
		}
		names := nameCache{}
		out = make([]Blocked, 0, len(l.Accounts))
		for i := len(l.Accounts) - 1; i >= 0; i-- {
			e := l.Accounts[i]
			b := Blocked{Account: ids.Account(e.Account), Name: e.Name, Since: time.UnixMilli(e.At)}
			if n := d.nameOf(tx, b.Account, names); n != "" {
				b.Name = n
			}
			out = append(out, b)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read blocked accounts: %w", err)
	}
	return out, nil
}
