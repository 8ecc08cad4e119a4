package relay_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"hush/ids"
	"hush/policy"
	"hush/relay"
	"hush/relay/relaytest"
	"hush/sync/wire"
)

// ledger records every acknowledgement a sender received.
type ledger struct {
	mu    sync.Mutex
	acked map[ids.Message]uint64
}

func (l *ledger) record(t *testing.T, id ids.Message, seq uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if old, ok := l.acked[id]; ok && old != seq {
		t.Errorf("message %v acked with seq %d, then %d", id, old, seq)
	}
	l.acked[id] = seq
}

// sendUntilClosed pipelines sends on c until the connection fails, recording acks.
func sendUntilClosed(t *testing.T, c *relaytest.Conn, chat ids.Chat, l *ledger) {
	ctx := context.Background()
	window := make(chan struct{}, 32)
	var wg sync.WaitGroup
	for i := 0; ; i++ {
		window <- struct{}{}
		id := ids.New[ids.Message]()
		ch, err := c.Start(ctx, &wire.Send{ChatID: chat, MsgID: id, Epoch: 1, Ciphertext: fmt.Appendf(nil, "msg %d", i)})
		if err != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-window }()
			resp, err := c.Wait(ctx, ch)
			if err != nil {
				var we *wire.Error
				if errors.As(err, &we) && we.Code != wire.CodeShuttingDown {
					t.Errorf("send refused: %v", err)
				}
				return
			}
			l.record(t, id, resp.(*wire.Ack).Seq)
		}()
	}
	wg.Wait()
}

// checkLedger fetches the whole chat and checks every acknowledged message is there
// once, with its acknowledged seq, and that seqs run 1..n without gaps.
func checkLedger(t *testing.T, c *relaytest.Conn, chat ids.Chat, l *ledger) int {
	t.Helper()
	seen := map[ids.Message]uint64{}
	after := uint64(0)
	for more := true; more; {
		p := request[*wire.Page](t, c, &wire.Fetch{ChatID: chat, AfterSeq: after, Limit: wire.MaxPageEntries})
		for _, e := range p.Entries {
			if e.Seq != after+1 {
				t.Fatalf("seq %d follows %d", e.Seq, after)
			}
			if _, dup := seen[e.MsgID]; dup {
				t.Fatalf("message %v stored twice", e.MsgID)
			}
			seen[e.MsgID] = e.Seq
			after = e.Seq
		}
		more = p.More
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for id, seq := range l.acked {
		got, ok := seen[id]
		if !ok {
			t.Errorf("acknowledged message %v (seq %d) lost", id, seq)
		} else if got != seq {
			t.Errorf("acknowledged message %v has seq %d, was acked with %d", id, got, seq)
		}
	}
	return len(seen)
}

func TestRestartMidStreamLosesNoAckedMessage(t *testing.T) {
	limits := relay.Limits{RatePerSecond: 1e6, Burst: 1e6}
	r := relaytest.Start(t, &relaytest.Options{Limits: limits})
	devs := []*relaytest.Device{relaytest.NewAccount(t), relaytest.NewAccount(t), relaytest.NewAccount(t), relaytest.NewAccount(t)}
	conns := make([]*relaytest.Conn, len(devs))
	for i, d := range devs {
		conns[i] = relaytest.Dial(t, r, d)
	}
	chat := chatWith(t, conns[0], policy.KindGroup, devs[0], devs[1:]...)
	l := &ledger{acked: map[ids.Message]uint64{}}

	for round := range 3 {
		var wg sync.WaitGroup
		for _, c := range conns {
			wg.Add(1)
			go func() { defer wg.Done(); sendUntilClosed(t, c, chat, l) }()
		}
		time.Sleep(300 * time.Millisecond)
		r = r.Restart(t) // graceful stop while everyone is sending, then reopen the store
		wg.Wait()
		for i, d := range devs {
			conns[i] = relaytest.Dial(t, r, d)
		}
		n := checkLedger(t, conns[0], chat, l)
		t.Logf("round %d: %d acknowledged, %d stored", round, len(l.acked), n)
	}
	if len(l.acked) < 100 {
		t.Errorf("only %d messages were acknowledged; the test did not stress anything", len(l.acked))
	}
}
