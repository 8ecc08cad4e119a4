package chat

import (
	"context"
	"fmt"
	"sync/atomic"

	"hush/accountlog"
	"hush/ids"
	"hush/vault"
)

// The read receipts switch (docs/SECURITY.md, "Read receipts") belongs to the
// account: it travels to the account's other devices as an account-log record
// (accountlog.KindReadReceipts, the newest wins) and is read back from the held
// state when the engine starts. Off, the marker sends every mark Private — the
// relay keeps the reads for this account's own devices and shows the other members
// only what it shared before — and, as Signal does, the others' read positions are
// not shown either: this account's messages stop at "delivered". Secret chats keep
// their receipts both ways, because a self-destructing message's countdown on the
// sender's device starts on its read receipt.

// receiptSwitch is the account's read receipts setting as the engine's parts read
// it; a nil switch is on, the default.
type receiptSwitch struct{ off atomic.Bool }

// on reports whether this account shares its read positions and is shown the
// other members'.
func (r *receiptSwitch) on() bool { return r == nil || !r.off.Load() }

// set turns the switch and reports whether it changed.
func (r *receiptSwitch) set(on bool) bool { return r.off.Swap(!on) != !on }

// ReadReceipts reports whether this account shares its read positions with the
// other members of its chats and is shown theirs (on by default).
func (e *Engine) ReadReceipts() bool { return e.receipts.on() }

// SetReadReceipts turns read receipts on or off for the account, on every one of
// its devices. Off, what the user reads is marked read for the account's own
// devices but not shown to the others, and the others' read positions are not
// shown here; secret chats keep theirs both ways.
func (e *Engine) SetReadReceipts(ctx context.Context, on bool) error {
	if err := e.acct.keep(ctx, accountlog.Record{Kind: accountlog.KindReadReceipts, Value: on}); err != nil {
		return fmt.Errorf("read receipts: %w", err)
	}
	e.receipts.set(on)
	e.acct.flush(ctx)
	return nil
}

// applyReadReceipts takes the switch another device of the account set.
func (e *Engine) applyReadReceipts(on bool) {
	if e.receipts.set(on) {
		e.obs.ReadReceiptsChanged(on)
	}
}

// loadReadReceipts sets the switch as the account log's held state has it.
func (e *Engine) loadReadReceipts(ctx context.Context) error {
	return e.list.v.View(ctx, func(tx *vault.Tx) error {
		held, err := e.acct.load(tx)
		if err != nil {
			return err
		}
		if h, ok := held[stateKey{kind: accountlog.KindReadReceipts, target: [ids.Size]byte{}}]; ok {
			e.receipts.set(h.Value)
		}
		return nil
	})
}
