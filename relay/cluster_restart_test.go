package relay_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os/exec"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"hush/ids"
	"hush/internal/pgtest"
	"hush/policy"
	"hush/relay/relaytest"
	"hush/sync/wire"
)

// nodeSet is a cluster of relay processes on one database, whose addresses stay
// the same when a node is restarted (as behind a load balancer).
type nodeSet struct {
	mu   sync.Mutex
	urls []string
	cmds []*exec.Cmd
}

func (n *nodeSet) url(i int) string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.urls[i]
}

// dialNode connects and authenticates d at node i, without failing the test: the
// node may be down.
func dialNode(ctx context.Context, n *nodeSet, i int, d *relaytest.Device) (*relaytest.Conn, error) {
	dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	c, err := relaytest.DialRaw(dctx, n.url(i))
	if err != nil {
		return nil, err
	}
	if _, err := c.Auth(dctx, d); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// clusterSender sends its planned messages, each once acknowledged, through
// whatever node it can reach, resending what was not acknowledged in order with
// the same id, as the app's outbox does.
type clusterSender struct {
	dev   *relaytest.Device
	home  int
	moves bool // on a failure, try the next node instead of waiting for this one
	chats []ids.Chat
	msgs  []ids.Message
	seqs  []atomic.Uint64 // acknowledged seq per message; 0 until acknowledged
	dials int
}

func (s *clusterSender) chat(k int) ids.Chat { return s.chats[k%len(s.chats)] }

func (s *clusterSender) run(t *testing.T, ctx context.Context, n *nodeSet, nodes int, acked *atomic.Int64) {
	node := s.home
	for first := 0; ; {
		for first < len(s.msgs) && s.seqs[first].Load() != 0 {
			first++
		}
		if first == len(s.msgs) {
			return
		}
		if ctx.Err() != nil {
			t.Errorf("sender %v: %d of %d messages acknowledged when time ran out", s.dev.DeviceID(), first, len(s.msgs))
			return
		}
		c, err := dialNode(ctx, n, node, s.dev)
		if err != nil {
			if s.moves {
				node = (node + 1) % nodes
			}
			time.Sleep(20 * time.Millisecond)
			continue
		}
		s.dials++
		s.sendFrom(t, ctx, c, first, acked)
		c.Close()
	}
}

// sendFrom pipelines every unacknowledged message from first on, at most 32 in
// flight, until all are answered or the connection fails.
func (s *clusterSender) sendFrom(t *testing.T, ctx context.Context, c *relaytest.Conn, first int, acked *atomic.Int64) {
	window := make(chan struct{}, 32)
	var wg sync.WaitGroup
	defer wg.Wait()
	for k := first; k < len(s.msgs); k++ {
		if s.seqs[k].Load() != 0 {
			continue
		}
		window <- struct{}{}
		ch, err := c.Start(ctx, &wire.Send{ChatID: s.chat(k), MsgID: s.msgs[k], Epoch: 1, Ciphertext: fmt.Appendf(nil, "%v/%d", s.dev.DeviceID(), k)})
		if err != nil {
			<-window
			return
		}
		wg.Go(func() {
			defer func() { <-window }()
			resp, err := c.Wait(ctx, ch)
			var we *wire.Error
			switch {
			case errors.As(err, &we) && we.Code != wire.CodeShuttingDown && we.Code != wire.CodeInternal:
				t.Errorf("send refused: %v", err)
			case err != nil:
				// The node died or lost a conflict with another node: resent later.
			default:
				seq := resp.(*wire.Ack).Seq
				if old := s.seqs[k].Swap(seq); old == 0 {
					acked.Add(1)
				} else if old != seq {
					t.Errorf("message %v acknowledged with seq %d, then %d", s.msgs[k], old, seq)
				}
			}
		})
	}
}

// errWrongLog marks what a watcher saw that no connection failure excuses.
var errWrongLog = errors.New("wrong log")

// clusterWatcher is a device that only reads: it follows every chat by push, and
// after a reconnection catches up with Fetch from its cursor (PROTOCOL.md, "Catch-up
// then live").
type clusterWatcher struct {
	dev  *relaytest.Device
	node int
	got  map[ids.Chat][]ids.Message // index seq-1
	// ready is closed once the watcher first caught up and follows by push.
	ready     chan struct{}
	readyOnce sync.Once

	byPush, byFetch, repeats, gaps, dials int
}

func (w *clusterWatcher) total() int {
	n := 0
	for _, l := range w.got {
		n += len(l)
	}
	return n
}

// fetch appends what chat holds after the watcher's cursor.
func (w *clusterWatcher) fetch(ctx context.Context, c *relaytest.Conn, chat ids.Chat) error {
	for {
		resp, err := c.Request(ctx, &wire.Fetch{ChatID: chat, AfterSeq: uint64(len(w.got[chat])), Limit: wire.MaxPageEntries})
		if err != nil {
			return err
		}
		p := resp.(*wire.Page)
		for _, e := range p.Entries {
			if e.Seq != uint64(len(w.got[chat])+1) {
				return fmt.Errorf("%w: fetch of %v after %d gave seq %d", errWrongLog, chat, len(w.got[chat]), e.Seq)
			}
			w.got[chat] = append(w.got[chat], e.MsgID)
			w.byFetch++
		}
		if !p.More {
			return nil
		}
	}
}

// run reads until it holds want messages in all.
func (w *clusterWatcher) run(t *testing.T, ctx context.Context, n *nodeSet, chats []ids.Chat, want int) {
	for w.total() < want {
		if ctx.Err() != nil {
			t.Errorf("watcher on node %d: %d of %d messages when time ran out", w.node, w.total(), want)
			return
		}
		c, err := dialNode(ctx, n, w.node, w.dev)
		if err != nil {
			time.Sleep(20 * time.Millisecond)
			continue
		}
		w.dials++
		if err := w.follow(ctx, c, chats, want); err != nil && ctx.Err() == nil {
			if errors.Is(err, errWrongLog) {
				t.Errorf("watcher on node %d: %v", w.node, err)
				c.Close()
				return
			}
			select {
			case <-c.Done(): // the node died: reconnect
				t.Logf("watcher on node %d: %v (close status %v)", w.node, err, c.CloseStatus())
			default:
				t.Errorf("watcher on node %d: %v", w.node, err)
				c.Close()
				return
			}
		}
		c.Close()
	}
}

func (w *clusterWatcher) follow(ctx context.Context, c *relaytest.Conn, chats []ids.Chat, want int) error {
	for _, chat := range chats {
		if err := w.fetch(ctx, c, chat); err != nil {
			return err
		}
	}
	w.readyOnce.Do(func() { close(w.ready) })
	for w.total() < want {
		f, err := c.NextPush(ctx)
		if err != nil {
			return err
		}
		p, ok := f.Body.(*wire.Push)
		if !ok {
			continue
		}
		l := w.got[p.ChatID]
		switch {
		case p.Entry.Seq <= uint64(len(l)):
			// A push may repeat what the catch-up fetch returned (PROTOCOL.md);
			// never a different message at that seq.
			w.repeats++
			if l[p.Entry.Seq-1] != p.Entry.MsgID {
				return fmt.Errorf("%w: chat %v seq %d was %v, now pushed as %v", errWrongLog, p.ChatID, p.Entry.Seq, l[p.Entry.Seq-1], p.Entry.MsgID)
			}
		case p.Entry.Seq == uint64(len(l)+1):
			w.got[p.ChatID] = append(l, p.Entry.MsgID)
			w.byPush++
		default:
			w.gaps++
			if err := w.fetch(ctx, c, p.ChatID); err != nil {
				return err
			}
		}
	}
	return nil
}

// TestClusterTenThousandMessagesNodeKilledAndRestarted is issue 12's multi-node
// test: three relay processes on one PostgreSQL database, six senders and three
// watchers spread over them, 10 000 messages in four chats. A third of the way in,
// the first node is killed (SIGKILL) and restarted on its address; its senders
// either wait for it or move to another node, and resend what was not
// acknowledged. Every message ends up stored exactly once, at the seq its
// acknowledgement named, each sender's messages in the order it sent them; every
// watcher holds exactly each chat's log, in order; the watchers on the nodes that
// were not killed got all of it by push, none repeated, none skipped.
func TestClusterTenThousandMessagesNodeKilledAndRestarted(t *testing.T) {
	if testing.Short() {
		t.Skip("runs relay processes")
	}
	const nodes, senders, chats, total = 3, 6, 4, 10000
	dsn := pgtest.Database(t)
	// A deep push queue: a watcher's reader, starved for a moment on 2 shared
	// cores, must not be closed as a slow consumer, or the test would not show
	// that push alone delivers everything on a node that stays up.
	args := []string{"--send-queue", "8192", "--quota-mb", "1000000"}
	n := &nodeSet{}
	for range nodes {
		cmd, u := startChildArgs(t, dsn, args...)
		n.urls, n.cmds = append(n.urls, u), append(n.cmds, cmd)
	}
	var ss []*clusterSender
	var ws []*clusterWatcher
	var all []*relaytest.Device
	for i := range senders {
		d := relaytest.NewAccount(t)
		ss = append(ss, &clusterSender{dev: d, home: i % nodes, moves: i >= nodes})
		all = append(all, d)
	}
	for i := range nodes {
		d := relaytest.NewAccount(t)
		ws = append(ws, &clusterWatcher{dev: d, node: i, got: map[ids.Chat][]ids.Message{}, ready: make(chan struct{})})
		all = append(all, d)
	}
	for _, d := range all[1:] { // registers each account
		relaytest.DialURL(t, n.url(1), d).Close()
	}
	owner := relaytest.DialURL(t, n.url(0), all[0])
	var chatIDs []ids.Chat
	for range chats {
		chatIDs = append(chatIDs, chatWith(t, owner, policy.KindGroup, all[0], all[1:]...))
	}
	owner.Close()
	for i, s := range ss {
		per := total / senders
		if i < total%senders {
			per++
		}
		// Each sender starts in another chat, so every chat has all six writing.
		s.chats = append(chatIDs[i%chats:], chatIDs[:i%chats]...)
		for range per {
			// Half the senders make time-ordered ids, half random ones, as older
			// clients did: both kinds share the chats.
			id := ids.NewOrdered[ids.Message](time.Now())
			if i%2 == 1 {
				id = ids.New[ids.Message]()
			}
			s.msgs = append(s.msgs, id)
		}
		s.seqs = make([]atomic.Uint64, per)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var acked atomic.Int64
	var wg sync.WaitGroup
	for _, w := range ws {
		wg.Go(func() { w.run(t, ctx, n, chatIDs, total) })
	}
	for _, w := range ws { // so what the watchers get, they get by push
		select {
		case <-w.ready:
		case <-ctx.Done():
			t.Fatal("the watchers did not connect")
		}
	}
	for _, s := range ss {
		wg.Go(func() { s.run(t, ctx, n, nodes, &acked) })
	}

	// Midway: kill the first node, and restart it on the same address.
	for acked.Load() < total/3 && ctx.Err() == nil {
		time.Sleep(5 * time.Millisecond)
	}
	atKill := acked.Load()
	if err := n.cmds[0].Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	n.cmds[0].Wait()
	time.Sleep(300 * time.Millisecond)
	u, err := url.Parse(n.url(0))
	if err != nil {
		t.Fatal(err)
	}
	cmd, restarted := startChildArgs(t, dsn, append(args, "--listen", u.Host)...)
	if restarted != n.url(0) {
		t.Fatalf("the node came back at %s, not %s", restarted, n.url(0))
	}
	n.mu.Lock()
	n.cmds[0] = cmd
	n.mu.Unlock()
	wg.Wait()
	if t.Failed() {
		return
	}

	// The store: every chat's log whole, each message once, at its acked seq.
	check := relaytest.DialURL(t, n.url(1), all[len(all)-1])
	stored := map[ids.Message]uint64{}
	logs := map[ids.Chat][]ids.Message{}
	for _, chat := range chatIDs {
		for more := true; more; {
			p := request[*wire.Page](t, check, &wire.Fetch{ChatID: chat, AfterSeq: uint64(len(logs[chat])), Limit: wire.MaxPageEntries})
			for _, e := range p.Entries {
				if e.Seq != uint64(len(logs[chat])+1) {
					t.Fatalf("chat %v: seq %d follows %d", chat, e.Seq, len(logs[chat]))
				}
				if _, dup := stored[e.MsgID]; dup {
					t.Fatalf("message %v stored twice", e.MsgID)
				}
				stored[e.MsgID] = e.Seq
				logs[chat] = append(logs[chat], e.MsgID)
			}
			more = p.More
		}
	}
	if len(stored) != total {
		t.Errorf("%d messages stored, want %d", len(stored), total)
	}
	for _, s := range ss {
		last := map[ids.Chat]uint64{}
		for k, id := range s.msgs {
			seq, ok := stored[id]
			switch {
			case !ok:
				t.Errorf("acknowledged message %v lost", id)
			case seq != s.seqs[k].Load():
				t.Errorf("message %v stored at seq %d, acknowledged with %d", id, seq, s.seqs[k].Load())
			case seq <= last[s.chat(k)]:
				t.Errorf("sender %v's message %d at seq %d, after one at %d", s.dev.DeviceID(), k, seq, last[s.chat(k)])
			}
			last[s.chat(k)] = seq
		}
	}
	for _, w := range ws {
		for _, chat := range chatIDs {
			if got, want := w.got[chat], logs[chat]; !slices.Equal(got, want) {
				t.Errorf("watcher on node %d holds %d messages of chat %v, which differ from its %d-entry log", w.node, len(got), chat, len(want))
			}
		}
		if w.node != 0 && (w.dials != 1 || w.byPush != total || w.repeats != 0 || w.gaps != 0) {
			t.Errorf("watcher on node %d, never cut off: %d dials, %d by push, %d repeats, %d gaps; want 1, %d, 0, 0", w.node, w.dials, w.byPush, w.repeats, w.gaps, total)
		}
		t.Logf("watcher on node %d: %d connections, %d by push, %d by fetch, %d repeated pushes dropped, %d gaps fetched", w.node, w.dials, w.byPush, w.byFetch, w.repeats, w.gaps)
	}
	if ws[0].dials < 2 {
		t.Errorf("the watcher on the killed node connected %d times; the kill did not reach it", ws[0].dials)
	}
	dials := 0
	for _, s := range ss {
		dials += s.dials
	}
	if dials <= senders {
		t.Errorf("the senders connected %d times; the kill did not reach them", dials)
	}
	t.Logf("node killed at %d acknowledged; %d messages in %d chats, %d sender connections", atKill, total, chats, dials)
}
