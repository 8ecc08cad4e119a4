package chat

import (
	"context"
	"log/slog"
	"sync"

	"hush/ids"
	"hush/sync/wire"
)

// maxInboxPages bounds one catch-up of the inbox; what is left comes with the next.
const maxInboxPages = 64

// inbox is the engine part that reads this device's relay inbox: items another
// device put there for this device alone (docs/PROTOCOL.md, "Device inboxes"). The
// first byte of an item says what it is; the rest is sealed to this device. Each
// item is acknowledged — deleted at the relay — once handled, or once found
// unusable; one that may be usable later (the vault failed) stays.
type inbox struct {
	link    *link
	courier *kemCourier
	secrets *secrets
	log     *slog.Logger

	mu sync.Mutex // items are handled one at a time, in order
}

// catchUp handles every item waiting in the inbox, after a connection. It reports
// whether new account seeds arrived.
func (b *inbox) catchUp(ctx context.Context) (seeds bool) {
	var after uint64
	for range maxInboxPages {
		page, err := doAs[*wire.InboxPage](ctx, b.link, &wire.InboxFetch{AfterSeq: after})
		if err != nil {
			b.log.Info("inbox: fetch", "err", err)
			return seeds
		}
		if b.handle(ctx, page.Items) {
			seeds = true
		}
		if !page.More || len(page.Items) == 0 {
			return seeds
		}
		after = page.Items[len(page.Items)-1].Seq
	}
	return seeds
}

// handle handles items in order and acknowledges those done with. It reports
// whether new account seeds arrived.
func (b *inbox) handle(ctx context.Context, items []wire.InboxItem) (seeds bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	var done []ids.InboxItem
	for _, it := range items {
		ok, added := b.handleOne(ctx, it)
		if ok {
			done = append(done, it.ItemID)
		}
		seeds = seeds || added
	}
	if len(done) > 0 {
		if _, err := doAs[*wire.OK](ctx, b.link, &wire.InboxAck{ItemIDs: done}); err != nil {
			b.log.Info("inbox: acknowledge", "err", err) // handled again next time: idempotent
		}
	}
	return seeds
}

func (b *inbox) handleOne(ctx context.Context, it wire.InboxItem) (done, seeds bool) {
	if len(it.Ciphertext) == 0 {
		return true, false
	}
	switch it.Ciphertext[0] {
	case inboxKEMSeeds:
		return b.courier.open(ctx, it, it.Ciphertext[1:])
	case inboxSecret:
		return b.secrets.receive(ctx, it, it.Ciphertext[1:]), false
	default:
		b.log.Warn("inbox: an item of an unknown kind dropped", "kind", it.Ciphertext[0], "from", it.FromDevice.String())
		return true, false
	}
}
