package relay

import (
	"context"
	"time"

	"github.com/coder/websocket"
)

// Watching for accounts disabled while their devices are connected
// (`hush-relay admin disable`, possibly from another process or host): the relay
// asks its store every disabledPoll for the accounts disabled since the newest it
// has seen, and closes their connections; their devices are then refused at
// authentication. So a disabled account is cut off within disabledPoll on every
// relay of a store, with no message between the admin command and the relays.
const (
	disabledPoll    = 30 * time.Second
	disabledTimeout = 10 * time.Second
	disabledBatch   = 1000 // accounts per read
)

// startReread makes a single relay's commit loop forget what it caches of
// accounts and chats every disabledPoll. `hush-relay admin delete` changes them
// behind the loop's back: the undelivered items other accounts sent to the deleted
// one go, and with them the bytes counted against those accounts' quotas; a loop
// that kept the counts it checks from one batch to the next would refuse their
// writes for bytes no longer stored until it restarted. Relays sharing a store
// re-read every batch anyway.
func startReread(s *Server) {
	if s.fan != nil {
		return
	}
	s.every(disabledPoll, func() { s.writer.reread.Store(true) })
}

// startDisabledWatch schedules the poll. The first one reads every disabled
// account, a page at a time; none of them should have a connection, so closing
// any it finds is right whenever it was disabled.
func startDisabledWatch(s *Server) {
	var newest int64
	s.every(disabledPoll, func() {
		ctx, cancel := context.WithTimeout(s.baseCtx, disabledTimeout)
		defer cancel()
		for {
			accounts, last, err := s.store.DisabledSince(ctx, newest, disabledBatch)
			if err != nil {
				s.log.WarnContext(ctx, "reading disabled accounts", "err", err)
				return
			}
			for _, a := range accounts {
				s.hub.each(a, func(c *conn) {
					c.pushBody(errAccountDisabled())
					c.close(websocket.StatusPolicyViolation, "account disabled")
				})
			}
			newest = max(newest, last)
			if len(accounts) < disabledBatch {
				return
			}
		}
	})
}
