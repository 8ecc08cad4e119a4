package relay_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"hush/ids"
	"hush/internal/pgtest"
	"hush/internal/testutil"
	"hush/policy"
	"hush/relay"
	"hush/relay/relaytest"
	"hush/sync/wire"
)

// twoRelays starts two relays on one fresh PostgreSQL database, as two nodes of
// one service.
func twoRelays(t *testing.T) (a, b *relaytest.Relay) {
	t.Helper()
	dsn := pgtest.Database(t)
	opts := &relaytest.Options{Postgres: dsn, Limits: relay.Limits{RatePerSecond: 1e6, Burst: 1e6}}
	return relaytest.Start(t, opts), relaytest.Start(t, opts)
}

// pushesOf reads n pushes of type T from c, failing on anything else.
func pushesOf[T wire.Body](t *testing.T, c *relaytest.Conn, n int) []T {
	t.Helper()
	out := make([]T, 0, n)
	for range n {
		out = append(out, nextPush[T](t, c))
	}
	return out
}

// TestClusterMessagesInOrderExactlyOnce: messages sent on one relay reach a device
// on the other in order, once each; with senders on both relays writing into one
// chat at once, every device, on either relay, gets every message once, in
// sequence order, and the sequence numbers have no gap.
func TestClusterMessagesInOrderExactlyOnce(t *testing.T) {
	const first, each = 30, 60
	ra, rb := twoRelays(t)
	alice, bob, carol := relaytest.NewAccount(t), relaytest.NewAccount(t), relaytest.NewAccount(t)
	carolB := relaytest.Sibling(t, carol)
	a, b := relaytest.Dial(t, ra, alice), relaytest.Dial(t, rb, bob)
	ca, cb := relaytest.Dial(t, ra, carol), relaytest.Dial(t, rb, carolB)
	chat := chatWith(t, a, policy.KindGroup, alice, bob, carol)
	for _, c := range []*relaytest.Conn{b, ca, cb} {
		if cc := nextPush[*wire.ChatChanged](t, c); cc.Chat.ChatID != chat {
			t.Fatalf("ChatChanged of %v", cc.Chat.ChatID)
		}
		if ne := nextPush[*wire.NewEpoch](t, c); ne.ChatID != chat || ne.Key.Epoch != 1 {
			t.Fatalf("NewEpoch %+v", ne)
		}
	}

	// One sender, on relay A.
	for i := range first {
		request[*wire.Ack](t, a, &wire.Send{ChatID: chat, MsgID: ids.New[ids.Message](), Epoch: 1, Ciphertext: fmt.Appendf(nil, "a%d", i)})
	}
	for _, c := range []*relaytest.Conn{b, ca, cb} {
		for i, p := range pushesOf[*wire.Push](t, c, first) {
			if p.Entry.Seq != uint64(i+1) || string(p.Entry.Ciphertext) != fmt.Sprintf("a%d", i) {
				t.Fatalf("push %d: seq %d %q", i, p.Entry.Seq, p.Entry.Ciphertext)
			}
		}
	}

	// Two senders, one on each relay, at once.
	var mu sync.Mutex
	var acked []uint64
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for _, sender := range []*relaytest.Conn{a, b} {
		wg.Go(func() {
			for i := range each {
				resp, err := sender.Request(testCtx(t), &wire.Send{ChatID: chat, MsgID: ids.New[ids.Message](), Epoch: 1, Ciphertext: fmt.Appendf(nil, "%d", i)})
				ack, ok := resp.(*wire.Ack)
				if err != nil || !ok {
					errs <- fmt.Errorf("send %d: %v %v", i, resp, err)
					return
				}
				mu.Lock()
				acked = append(acked, ack.Seq)
				mu.Unlock()
			}
		})
	}
	// Carol's two devices read while the senders send, so no queue overflows.
	got := make([][]uint64, 2)
	for i, c := range []*relaytest.Conn{ca, cb} {
		wg.Go(func() {
			for range 2 * each {
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				f, err := c.NextPush(ctx)
				cancel()
				p, ok := f.Body.(*wire.Push)
				if err != nil || !ok {
					errs <- fmt.Errorf("carol's device %d: %v %v", i, f.Type, err)
					return
				}
				got[i] = append(got[i], p.Entry.Seq)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	want := make([]uint64, 2*each)
	for i := range want {
		want[i] = uint64(first + 1 + i)
	}
	slices.Sort(acked)
	if !slices.Equal(acked, want) {
		t.Errorf("acknowledged sequence numbers %v, want %d…%d without gap or repeat", acked, want[0], want[len(want)-1])
	}
	for i := range got {
		if !slices.Equal(got[i], want) {
			t.Errorf("carol's device on relay %c got %v, want %d…%d in order", 'A'+i, got[i], want[0], want[len(want)-1])
		}
	}
	// Each sender got the other's messages, in order, and not its own.
	for i, c := range []*relaytest.Conn{a, b} {
		var seqs []uint64
		for _, p := range pushesOf[*wire.Push](t, c, each) {
			seqs = append(seqs, p.Entry.Seq)
		}
		if !slices.IsSorted(seqs) {
			t.Errorf("sender on relay %c got %v out of order", 'A'+i, seqs)
		}
	}
	for _, c := range []*relaytest.Conn{a, b, ca, cb} {
		noPush(t, c)
	}
}

// TestClusterPushesEveryKind: whatever one relay pushes to the devices connected
// to it, the other relay pushes to its own — chat changes, epochs, receipts,
// account log records, inbox items, typing, prekey counts, device lists — and a
// device revoked on one relay is cut off on the other.
func TestClusterPushesEveryKind(t *testing.T) {
	ra, rb := twoRelays(t)
	alice, bob, carol := relaytest.NewAccount(t), relaytest.NewAccount(t), relaytest.NewAccount(t)
	laptop := relaytest.Sibling(t, alice)
	a, al := relaytest.Dial(t, ra, alice), relaytest.Dial(t, rb, laptop)

	// Alice's first device list, put on A, reaches her laptop on B. (Bob and carol
	// connect after: sharing no chat with alice yet, they are not told.)
	v1 := deviceList(t, alice, 1, []*relaytest.Device{alice, laptop})
	request[*wire.OK](t, a, v1)
	for _, x := range []*relaytest.Conn{a, al} {
		if p := nextPush[*wire.DeviceListPush](t, x); !bytes.Equal(p.List, v1.List) {
			t.Error("alice's device did not get her list")
		}
	}
	b, c := relaytest.Dial(t, rb, bob), relaytest.Dial(t, rb, carol)

	// Membership: a chat made on A, then carol added on A.
	l := logWith(t, a, policy.KindGroup, alice, bob)
	if cc := nextPush[*wire.ChatChanged](t, b); cc.Chat.ChatID != l.ID() || len(cc.Chat.Members) != 2 {
		t.Errorf("bob's ChatChanged = %+v", cc.Chat)
	}
	if ne := nextPush[*wire.NewEpoch](t, b); ne.Key.Epoch != 1 || string(ne.Key.Envelope) != "key for "+bob.AccountID().String() || ne.Key.ByDevice != alice.DeviceID() {
		t.Errorf("bob's NewEpoch = %+v", ne.Key)
	}
	drain(al)
	request[*wire.ChatInfo](t, a, l.Next(t, alice, relaytest.Add(carol)))
	for _, x := range []*relaytest.Conn{b, c} {
		if cc := nextPush[*wire.ChatChanged](t, x); len(cc.Chat.Members) != 3 {
			t.Errorf("ChatChanged after adding carol = %+v", cc.Chat)
		}
	}
	drain(al)

	// A message and bob's receipt for it, across.
	request[*wire.Ack](t, a, &wire.Send{ChatID: l.ID(), MsgID: ids.New[ids.Message](), Epoch: 1, Ciphertext: []byte("hi")})
	for _, x := range []*relaytest.Conn{b, c, al} {
		nextPush[*wire.Push](t, x)
	}
	request[*wire.OK](t, b, &wire.Mark{ChatID: l.ID(), DeliveredSeq: 1, ReadSeq: 1})
	if r := nextPush[*wire.Receipt](t, a); r.AccountID != bob.AccountID() || r.ReadSeq != 1 {
		t.Errorf("receipt = %+v", r)
	}
	nextPush[*wire.Receipt](t, al)
	nextPush[*wire.Receipt](t, c)
	noPush(t, b) // not to the device that marked

	// Typing on A, seen on B.
	if _, err := a.Start(testCtx(t), &wire.Typing{ChatID: l.ID()}); err != nil {
		t.Fatal(err)
	}
	if tp := nextPush[*wire.TypingPush](t, b); tp.AccountID != alice.AccountID() || tp.DeviceID != alice.DeviceID() {
		t.Errorf("typing = %+v", tp)
	}
	nextPush[*wire.TypingPush](t, c)
	noPush(t, al) // not to the typist's own devices, as on one relay

	// Alice's account log record reaches her laptop on B.
	request[*wire.AccountAck](t, a, &wire.AccountAppend{RecordID: ids.New[ids.Record](), Ciphertext: []byte("pinned")})
	if p := nextPush[*wire.AccountPush](t, al); p.Entry.Seq != 1 || string(p.Entry.Ciphertext) != "pinned" || p.Entry.SenderDevice != alice.DeviceID() {
		t.Errorf("account push = %+v", p.Entry)
	}

	// An inbox item from A to bob's device on B.
	request[*wire.OK](t, a, &wire.InboxSend{ToDevice: bob.DeviceID(), ItemID: ids.New[ids.InboxItem](), Ciphertext: []byte("secret")})
	if p := nextPush[*wire.InboxPush](t, b); string(p.Item.Ciphertext) != "secret" || p.Item.FromDevice != alice.DeviceID() {
		t.Errorf("inbox push = %+v", p.Item)
	}

	// Bob publishes prekeys on B; Alice's fetch on A leaves him low, and he hears.
	request[*wire.PrekeyCount](t, b, &wire.PutPrekeys{Signed: prekey(1, "signed"), LastResort: prekey(2, "last resort"), OneTime: []wire.Prekey{prekey(3, "otk")}})
	request[*wire.PrekeyBundle](t, a, &wire.FetchPrekeys{Device: bob.DeviceID()})
	if p := nextPush[*wire.PrekeyCount](t, b); p.OneTime != 0 || p.PQOneTime != 0 {
		t.Errorf("prekey count push = %+v", p)
	}

	// A device list revoking the laptop, put on A: the laptop on B gets it and is
	// closed; bob and carol, who share a chat with alice, get it on B.
	v2 := deviceList(t, alice, 2, []*relaytest.Device{alice}, laptop)
	request[*wire.OK](t, a, v2)
	revokedBy(t, al, v2)
	for _, x := range []*relaytest.Conn{b, c} {
		if p := nextPush[*wire.DeviceListPush](t, x); !bytes.Equal(p.List, v2.List) {
			t.Error("a peer on B did not get the revocation")
		}
	}

	// Bob removed on A: he hears it on B, with the chat as it is without him.
	request[*wire.ChatInfo](t, a, l.Next(t, alice, relaytest.Remove(bob)))
	if cc := nextPush[*wire.ChatChanged](t, b); len(cc.Chat.Members) != 2 || slices.ContainsFunc(cc.Chat.Members, func(m wire.MemberInfo) bool { return m.AccountID == bob.AccountID() }) {
		t.Errorf("removed bob's ChatChanged = %+v", cc.Chat)
	}
	nextPush[*wire.ChatChanged](t, c)
	for _, x := range []*relaytest.Conn{b, c} {
		noPush(t, x)
	}
}

// TestClusterMissedNotificationCostsLatency: a relay that lost its connection to
// the database misses what other relays commit meanwhile; once it listens again,
// the chat's next message makes it read the missed one from the store (it knows
// the last one it pushed), and its device gets both, in order.
func TestClusterMissedNotificationCostsLatency(t *testing.T) {
	dsn := pgtest.Database(t)
	opts := &relaytest.Options{Postgres: dsn}
	ra, rb := relaytest.Start(t, opts), relaytest.Start(t, opts)
	alice, bob := relaytest.NewAccount(t), relaytest.NewAccount(t)
	a, b := relaytest.Dial(t, ra, alice), relaytest.Dial(t, rb, bob)
	chat := chatWith(t, a, policy.KindDirect, alice, bob)
	nextPush[*wire.ChatChanged](t, b)
	nextPush[*wire.NewEpoch](t, b)

	ctx := testCtx(t)
	db, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(ctx)
	const listening = "FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%' AND pid <> pg_backend_pid()"
	listeners := func() int {
		var n int
		if err := db.QueryRow(ctx, "SELECT count(*) "+listening).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	testutil.Eventually(t, 10*time.Second, "both relays listening", func() bool { return listeners() == 2 })

	send := func(text string) {
		request[*wire.Ack](t, a, &wire.Send{ChatID: chat, MsgID: ids.New[ids.Message](), Epoch: 1, Ciphertext: []byte(text)})
	}
	send("first")
	if p := nextPush[*wire.Push](t, b); p.Entry.Seq != 1 {
		t.Fatalf("first push has seq %d", p.Entry.Seq)
	}
	if _, err := db.Exec(ctx, "SELECT pg_terminate_backend(pid) "+listening); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 10*time.Second, "the listening connections gone", func() bool { return listeners() == 0 })
	send("missed")
	// A read position has no later entry to bring it: only the relay's CatchUp
	// tells Bob's device to read it from the store.
	request[*wire.OK](t, a, &wire.Mark{ChatID: chat, DeliveredSeq: 2, ReadSeq: 2})
	if listeners() != 0 {
		t.Fatal("a relay listened again before the message and the mark committed; the test proves nothing")
	}
	noPush(t, b)
	testutil.Eventually(t, 10*time.Second, "both relays listening again", func() bool { return listeners() == 2 })
	nextPush[*wire.CatchUp](t, b)
	info := request[*wire.ChatInfo](t, b, &wire.GetChat{ChatID: chat})
	if i := slices.IndexFunc(info.Members, func(m wire.MemberInfo) bool { return m.AccountID == alice.AccountID() }); i < 0 || info.Members[i].ReadSeq != 2 {
		t.Fatalf("after catching up, Alice's read position in %+v", info.Members)
	}
	send("next")
	for i, want := range []string{"missed", "next"} {
		if p := nextPush[*wire.Push](t, b); p.Entry.Seq != uint64(i+2) || string(p.Entry.Ciphertext) != want {
			t.Errorf("push %d: seq %d %q, want %q", i, p.Entry.Seq, p.Entry.Ciphertext, want)
		}
	}
	noPush(t, b)
}

// TestClusterBatchesDoNotDeadlock: devices on two relays write at once into
// several chats, their account logs and each other's inboxes, in different
// orders, so both relays' batches hold many of the same chats, logs and devices;
// every write is acknowledged — none lost to a deadlock between the relays.
func TestClusterBatchesDoNotDeadlock(t *testing.T) {
	const accounts, chats, rounds = 4, 3, 30
	ra, rb := twoRelays(t)
	var devs []*relaytest.Device
	var conns []*relaytest.Conn
	for range accounts {
		d := relaytest.NewAccount(t)
		sib := relaytest.Sibling(t, d)
		devs = append(devs, d, sib)
		conns = append(conns, relaytest.Dial(t, ra, d), relaytest.Dial(t, rb, sib))
	}
	var ids_ []ids.Chat
	for range chats {
		ids_ = append(ids_, chatWith(t, conns[0], policy.KindGroup, devs[0], devs[2], devs[4], devs[6]))
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(conns))
	for i, c := range conns {
		wg.Go(func() {
			var waits []<-chan wire.Frame
			for r := range rounds {
				bodies := []wire.Body{
					&wire.Send{ChatID: ids_[(i+r)%chats], MsgID: ids.New[ids.Message](), Epoch: 1, Ciphertext: []byte("m")},
					&wire.AccountAppend{RecordID: ids.New[ids.Record](), Ciphertext: []byte("r")},
					&wire.InboxSend{ToDevice: devs[(i+r+1)%len(devs)].DeviceID(), ItemID: ids.New[ids.InboxItem](), Ciphertext: []byte("i")},
				}
				for _, b := range bodies {
					ch, err := c.Start(testCtx(t), b)
					if err != nil {
						errs <- err
						return
					}
					waits = append(waits, ch)
				}
			}
			for _, ch := range waits {
				if _, err := c.Wait(testCtx(t), ch); err != nil {
					errs <- fmt.Errorf("device %d: %w", i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	stats := []relay.Stats{ra.Server.Stats(), rb.Server.Stats()}
	t.Logf("commits/writes: A %d/%d, B %d/%d", stats[0].Commits, stats[0].Writes, stats[1].Commits, stats[1].Writes)
}

// TestClusterKillOneRelayLosesNoAckedMessage: three relay processes on one
// PostgreSQL database, a sender on each, all sending into one chat, and a watcher
// on the second. The first relay is killed (SIGKILL) at a random moment; its sender
// moves to the third and goes on. No acknowledged message is lost, the chat's
// sequence numbers run without a gap, and the watcher got every message by push
// in order, once — those the killed relay committed too — or by the fetch that a
// gap in its pushes calls for.
func TestClusterKillOneRelayLosesNoAckedMessage(t *testing.T) {
	if testing.Short() {
		t.Skip("runs relay processes")
	}
	dsn := pgtest.Database(t)
	var cmds []*exec.Cmd
	var urls []string
	for range 3 {
		// A deep push queue, as in TestClusterTenThousandMessagesNodeKilledAndRestarted:
		// the relay's writer, starved for a moment on a busy machine, must not close the
		// watcher as a slow consumer (which a client survives by fetching after it
		// reconnects), or the count below would measure the machine, not the fan-out.
		cmd, url := startChildArgs(t, dsn, "--send-queue", "8192")
		cmds, urls = append(cmds, cmd), append(urls, url)
	}
	devs := []*relaytest.Device{relaytest.NewAccount(t), relaytest.NewAccount(t), relaytest.NewAccount(t), relaytest.NewAccount(t)}
	conns := make([]*relaytest.Conn, 3)
	for i := range conns {
		conns[i] = relaytest.DialURL(t, urls[i], devs[i])
	}
	watcher := relaytest.DialURL(t, urls[1], devs[3])
	chat := chatWith(t, conns[0], policy.KindGroup, devs[0], devs[1:]...)
	drain(watcher)

	l := &ledger{acked: map[ids.Message]uint64{}}
	// The watcher reads its pushes while the others send, as a client does.
	var sent atomic.Bool
	watched := make(chan []uint64, 1)
	go func() { watched <- watch(watcher, &sent) }()
	var wg sync.WaitGroup
	for _, c := range conns {
		wg.Go(func() { sendUntilClosed(t, c, chat, l) })
	}
	time.Sleep(time.Duration(200+rand.IntN(300)) * time.Millisecond)
	if err := cmds[0].Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmds[0].Wait()
	moved := relaytest.DialURL(t, urls[2], devs[0])
	wg.Go(func() { sendUntilClosed(t, moved, chat, l) })
	time.Sleep(300 * time.Millisecond)
	for _, c := range []*relaytest.Conn{conns[1], conns[2], moved} {
		c.Close()
	}
	wg.Wait()
	sent.Store(true)

	// The pushes first, until 2 s pass without one after the senders stopped: a
	// request a sender wrote just before closing may still commit after it closed,
	// and is then pushed too. Only then is the store's count final.
	pushed := <-watched
	n := checkLedger(t, relaytest.DialURL(t, urls[1], devs[1]), chat, l)
	// Pushes come in order and once. A relay that meets a chat for the first time
	// through its own commit may push that one before the notifications of the
	// other relays' earlier commits reach it; they are then not pushed, and the
	// client fills the gap with a fetch, as it does after any missed push (a
	// latency cost, never a lost message: docs/RELAY.md).
	var prev uint64
	gaps := 0
	for i, seq := range pushed {
		if seq <= prev {
			t.Fatalf("the watcher's push %d has seq %d (after %v)", i, seq, pushed[max(0, i-3):i])
		}
		gaps += int(seq - prev - 1)
		prev = seq
	}
	if prev != uint64(n) {
		t.Errorf("the watcher's last push has seq %d of %d stored", prev, n)
	}
	t.Logf("%d acknowledged, %d stored, %d pushed to the watcher, %d filled by fetch", len(l.acked), n, len(pushed), gaps)
	if len(l.acked) < 100 {
		t.Errorf("only %d messages acknowledged; the test did not stress anything", len(l.acked))
	}
}

// TestClusterQuotaOneCheckAtATime attacks the quota through two relays at once:
// alice's two devices, one on each relay, each send a message that fits her quota
// alone but not together. The test holds both chats' rows so that both relays'
// batches are in their transactions at the same moment, then lets go: one message
// is stored and the other refused, and her count never passes the quota, because
// the relays check an account's quota one transaction at a time.
func TestClusterQuotaOneCheckAtATime(t *testing.T) {
	const quota = 1000
	dsn := pgtest.Database(t)
	opts := &relaytest.Options{Postgres: dsn, Limits: relay.Limits{QuotaBytes: quota}}
	ra, rb := relaytest.Start(t, opts), relaytest.Start(t, opts)
	alice, bob, carol := relaytest.NewAccount(t), relaytest.NewAccount(t), relaytest.NewAccount(t)
	a1, a2 := relaytest.Dial(t, ra, alice), relaytest.Dial(t, rb, relaytest.Sibling(t, alice))
	relaytest.Dial(t, ra, bob)
	relaytest.Dial(t, rb, carol)
	withBob := chatWith(t, a1, policy.KindDirect, alice, bob)
	withCarol := chatWith(t, a1, policy.KindDirect, alice, carol)

	ctx := testCtx(t)
	db, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(ctx)
	hold, err := db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := hold.Exec(ctx, "SELECT 1 FROM chats WHERE id = ANY($1) FOR UPDATE", [][]byte{withBob[:], withCarol[:]}); err != nil {
		t.Fatal(err)
	}
	type call struct {
		c  *relaytest.Conn
		ch <-chan wire.Frame
	}
	var calls []call
	for _, s := range []struct {
		c    *relaytest.Conn
		chat ids.Chat
	}{{a1, withBob}, {a2, withCarol}} {
		ch, err := s.c.Start(ctx, &wire.Send{ChatID: s.chat, MsgID: ids.New[ids.Message](), Epoch: 1, Ciphertext: make([]byte, 600)})
		if err != nil {
			t.Fatal(err)
		}
		calls = append(calls, call{s.c, ch})
	}
	testutil.Eventually(t, 10*time.Second, "both relays' batches waiting in their transactions", func() bool {
		var n int
		if err := db.QueryRow(ctx, "SELECT count(*) FROM pg_locks WHERE NOT granted").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n >= 2
	})
	if err := hold.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	acks, refusals := 0, 0
	for i, call := range calls {
		body, err := call.c.Wait(ctx, call.ch)
		var we *wire.Error
		switch {
		case err == nil:
			if _, ok := body.(*wire.Ack); ok {
				acks++
			}
		case errors.As(err, &we) && we.Code == wire.CodeQuotaExceeded:
			refusals++
		default:
			t.Errorf("send %d: %v", i, err)
		}
	}
	u := request[*wire.Usage](t, a1, &wire.GetUsage{})
	if acks != 1 || refusals != 1 || u.UsedBytes > quota {
		t.Errorf("%d stored, %d refused, %d bytes counted against a quota of %d; want 1, 1 and at most the quota", acks, refusals, u.UsedBytes, quota)
	}
}

// watch collects the sequence numbers pushed to c until, once sent is set, 2 s
// pass without a push (or the connection ends).
func watch(c *relaytest.Conn, sent *atomic.Bool) []uint64 {
	var pushed []uint64
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		f, err := c.NextPush(ctx)
		cancel()
		if errors.Is(err, context.DeadlineExceeded) && !sent.Load() {
			continue
		}
		if err != nil {
			return pushed
		}
		if p, ok := f.Body.(*wire.Push); ok {
			pushed = append(pushed, p.Entry.Seq)
		}
	}
}
