package chat

import (
	"context"
	"math"

	"hush/sync/wire"
)

// RelayUsage is what the relay says it counts against this account, and its limits
// (docs/PROTOCOL.md, "Usage"). It is the relay's word, for the user to read: the
// engine decides nothing on it. A send the relay refuses for the quota waits in
// the outbox whatever these figures say ([WarnQuotaExceeded]).
type RelayUsage struct {
	// UsedBytes is the ciphertext the relay stores for the account: the messages
	// it posted, its account log, and the inbox items it sent that are not yet
	// acknowledged.
	UsedBytes int64
	// QuotaBytes is the most the relay stores for it; a write past it is refused.
	QuotaBytes int64
	// Devices is how many non-revoked devices the account has at the relay, and
	// MaxDevices how many it may have.
	Devices    int
	MaxDevices int
	// BlobUsedBytes is the ciphertext of the account's attachments the relay
	// keeps, counted against BlobQuotaBytes apart from UsedBytes; a quota of 0
	// means the relay takes no attachments.
	BlobUsedBytes  int64
	BlobQuotaBytes int64
}

// RelayUsage asks the relay what it counts against this account; [ErrOffline]
// without a connection.
func (e *Engine) RelayUsage(ctx context.Context) (RelayUsage, error) {
	u, err := doAs[*wire.Usage](ctx, e.link, &wire.GetUsage{})
	if err != nil {
		return RelayUsage{}, err
	}
	return RelayUsage{
		UsedBytes:  clampInt64(u.UsedBytes),
		QuotaBytes: clampInt64(u.QuotaBytes),
		Devices:    int(u.Devices),
		MaxDevices: int(u.MaxDevices),

		BlobUsedBytes:  clampInt64(u.BlobUsedBytes),
		BlobQuotaBytes: clampInt64(u.BlobQuotaBytes),
	}, nil
}

// clampInt64 converts a count from the relay, which may say anything, without
// wrapping to a negative number.
func clampInt64(n uint64) int64 { return int64(min(n, math.MaxInt64)) }
