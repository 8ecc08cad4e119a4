package main

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"hush/cmd/hush-load/internal/loadclient"
	"hush/ids"
	"hush/sync/wire"
)

// Read marks in the soak. Receivers mark what they were given as delivered and,
// a tick later, as read — storing the positions first (the app's vault) and sending
// them on the next tick (the app's marker, which coalesces marks and keeps its queue
// in memory). Client kills drop that queue and the connection, as a device that dies
// does; each receiver also dies once right after storing its final positions. After
// every (re)connection a receiver compares what the relay holds of its positions with
// what it stored and sends them again when the relay is behind, and a sender reads
// the chat's positions again, since receipts pushed while it was away are lost — what
// the app does (chat/membership.go, observeRelay). At the end the relay must hold
// every receiver's stored positions, and every sender must have been told them.

// Bounds of the marks part of the soak.
const (
	markEvery       = 20 * time.Millisecond // a receiver's mark tick: store, then send on the next
	receiptsTimeout = 15 * time.Second      // for senders to be told the final positions
)

// positions are a receiver's delivered and read positions in one chat.
type positions struct {
	delivered, read uint64
}

// markState is a receiver's marks: stored survives a kill, unsent does not. Only
// the receiver's loop touches it.
type markState struct {
	stored map[ids.Chat]positions
	unsent map[ids.Chat]bool
	sent   int // marks the relay acknowledged
	kills  int // client kills this receiver took
}

func newMarkState() markState {
	return markState{stored: map[ids.Chat]positions{}, unsent: map[ids.Chat]bool{}}
}

// storeMarks stores every chat's positions: delivered is the view's cursor; read
// the previous delivered position (the user reads what arrived a tick ago) but
// never the newest message until the end, when final reads everything — so the
// final marks are always new, and a device dying right after storing them loses
// them unless the relay's positions are compared after it reconnects.
func (rc *soakReceiver) storeMarks(final bool) {
	for _, chat := range rc.chats {
		old := rc.marks.stored[chat]
		p := positions{delivered: rc.views[chat].Cursor()}
		p.read = max(old.read, min(old.delivered, max(p.delivered, 1)-1))
		if final {
			p.read = p.delivered
		}
		if p != old {
			rc.marks.stored[chat] = p
			rc.marks.unsent[chat] = true
		}
	}
}

// flushMarks sends the stored positions of the chats waiting for it; a failure
// leaves the rest waiting.
func (rc *soakReceiver) flushMarks(ctx context.Context, conn *loadclient.Conn) error {
	for _, chat := range rc.chats {
		if !rc.marks.unsent[chat] {
			continue
		}
		p := rc.marks.stored[chat]
		rctx, cancel := context.WithTimeout(ctx, requestTimeout)
		_, err := conn.Request(rctx, &wire.Mark{ChatID: chat, DeliveredSeq: p.delivered, ReadSeq: p.read})
		cancel()
		if err != nil {
			return fmt.Errorf("mark: %w", err)
		}
		delete(rc.marks.unsent, chat)
		rc.marks.sent++
	}
	return nil
}

// resyncMarks queues the chats whose positions at the relay are behind the stored
// ones: marks that died with an earlier process or relay.
func (rc *soakReceiver) resyncMarks(ctx context.Context, conn *loadclient.Conn) error {
	if rc.run.cfg.noMarkResync {
		return nil
	}
	for _, chat := range rc.chats {
		info, err := getChat(ctx, conn, chat)
		if err != nil {
			return err
		}
		at := memberPositions(info)[rc.dev.AccountID()]
		p := rc.marks.stored[chat]
		if at.read < p.read || at.delivered < p.delivered {
			rc.marks.unsent[chat] = true
		}
	}
	return nil
}

// die is a client kill: what was stored stays, what waited in memory is gone.
func (rc *soakReceiver) die() {
	clear(rc.marks.unsent)
	rc.marks.kills++
}

func getChat(ctx context.Context, conn *loadclient.Conn, chat ids.Chat) (*wire.ChatInfo, error) {
	rctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	resp, err := conn.Request(rctx, &wire.GetChat{ChatID: chat})
	if err != nil {
		return nil, fmt.Errorf("get chat: %w", err)
	}
	info, ok := resp.(*wire.ChatInfo)
	if !ok {
		return nil, fmt.Errorf("get chat answered with %v", resp.Type())
	}
	return info, nil
}

func memberPositions(info *wire.ChatInfo) map[ids.Account]positions {
	out := make(map[ids.Account]positions, len(info.Members))
	for _, m := range info.Members {
		out[m.AccountID] = positions{delivered: m.DeliveredSeq, read: m.ReadSeq}
	}
	return out
}

// receipts is what a sender was told of the members' read positions in its chat:
// by Receipt pushes, and by reading the chat again after each (re)connection.
type receipts struct {
	mu   sync.Mutex
	read map[ids.Account]uint64
}

func (r *receipts) saw(account ids.Account, read uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.read == nil {
		r.read = map[ids.Account]uint64{}
	}
	r.read[account] = max(r.read[account], read)
}

func (r *receipts) of(account ids.Account) uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.read[account]
}

// onPush records the receipts among a sender's pushes (on the read goroutine).
func (s *soakSender) onPush(f wire.Frame) {
	if r, ok := f.Body.(*wire.Receipt); ok && r.ChatID == s.chat {
		s.receipts.saw(r.AccountID, r.ReadSeq)
	}
}

// resyncReceipts reads the chat's positions again after a (re)connection.
func (s *soakSender) resyncReceipts(ctx context.Context, conn *loadclient.Conn) error {
	if s.run.cfg.noMarkResync {
		return nil
	}
	info, err := getChat(ctx, conn, s.chat)
	if err != nil {
		return err
	}
	for a, p := range memberPositions(info) {
		s.receipts.saw(a, p.read)
	}
	return nil
}

// clientKiller kills clients — a random sender's connection, or a random receiver
// with its unsent marks — at random gaps spread over the relay's kills, until ctx
// ends (the relay's last kill) or cfg.clientKills are done; it returns how many.
func clientKiller(ctx context.Context, cfg soakConfig, senders []*soakSender, receivers []*soakReceiver) int {
	if cfg.clientKills == 0 {
		return 0
	}
	rng := rand.New(rand.NewPCG(cfg.seed^0xc11e47, cfg.seed))
	// The relay's kills take about kills × the mean gap; the clients' share it.
	mean := time.Duration(max(cfg.kills, 1)) * (cfg.minGap + cfg.maxGap) / 2 / time.Duration(cfg.clientKills)
	done := 0
	for done < cfg.clientKills {
		sleepUntil(ctx, time.Now().Add(mean/2+time.Duration(rng.Int64N(int64(mean)+1))))
		if ctx.Err() != nil {
			break
		}
		if i := rng.IntN(len(senders) + len(receivers)); i < len(senders) {
			if c := senders[i].conn.Load(); c != nil {
				c.CloseNow()
			}
		} else {
			select {
			case receivers[i-len(senders)].kill <- struct{}{}:
			default: // one is waiting already
			}
		}
		done++
	}
	return done
}

// markResult is the end state of the marks.
type markResult struct {
	relayBehind    int // (receiver, chat) whose positions at the relay differ from the stored ones
	unread         int // (receiver, chat) not read to the end of the log
	sendersBehind  int // (sender, receiver) whose receipts never told the final read position
	marksSent      int
	receiverDeaths int
	problems       []string
}

// checkMarks compares what the relay holds (read over a fresh connection of a member
// device) with what each receiver stored, and waits a bounded time for every sender
// to have been told each receiver's final read position.
func checkMarks(ctx context.Context, run *soakRun, senders []*soakSender, receivers []*soakReceiver, logs map[ids.Chat][]wire.Entry) (markResult, error) {
	var res markResult
	for _, rc := range receivers {
		res.marksSent += rc.marks.sent
		res.receiverDeaths += rc.marks.kills
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	conn, err := dialAuth(ctx, run.dialer, run.url(0), receivers[0].dev)
	if err != nil {
		return res, err
	}
	defer conn.CloseNow()
	conn.Run(nil)
	for _, chat := range receivers[0].chats {
		info, err := getChat(ctx, conn, chat)
		if err != nil {
			return res, err
		}
		at := memberPositions(info)
		last := uint64(len(logs[chat]))
		for _, rc := range receivers {
			p := rc.marks.stored[chat]
			if got := at[rc.dev.AccountID()]; got != p {
				res.relayBehind++
				res.problems = append(res.problems, fmt.Sprintf("chat %v: receiver %d stored delivered %d / read %d, the relay holds %d / %d", chat, rc.idx, p.delivered, p.read, got.delivered, got.read))
			}
			if p.read != last {
				res.unread++
				res.problems = append(res.problems, fmt.Sprintf("chat %v: receiver %d read to %d of %d", chat, rc.idx, p.read, last))
			}
		}
	}
	behind := func(report bool) int {
		n := 0
		for _, s := range senders {
			for _, rc := range receivers {
				want, got := rc.marks.stored[s.chat].read, s.receipts.of(rc.dev.AccountID())
				if got != want {
					n++
					if report {
						res.problems = append(res.problems, fmt.Sprintf("sender %d was told receiver %d read to %d, not %d", s.idx, rc.idx, got, want))
					}
				}
			}
		}
		return n
	}
	deadline := time.Now().Add(cmp.Or(run.cfg.receiptsWait, receiptsTimeout))
	for behind(false) > 0 && time.Now().Before(deadline) && ctx.Err() == nil {
		sleepUntil(ctx, time.Now().Add(10*time.Millisecond))
	}
	res.sendersBehind = behind(true)
	return res, nil
}
