package chat

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"sync"
	"testing"
	"time"

	"hush/ids"
	"hush/internal/cputime"
	"hush/internal/testutil"
	"hush/policy"
	"hush/relay"
	"hush/relay/relaytest"
	"hush/vault"
)

// arrivals is an Observer that notes when each MessageNew was called, which is
// right after the recipient's vault transaction committed.
type arrivals struct {
	nopObserver
	mu    sync.Mutex
	at    map[ids.Message]time.Time // MessageNew
	acked map[ids.Message]time.Time // MessageStatus "sent"
}

func (a *arrivals) MessageNew(m Message) {
	now := time.Now()
	a.mu.Lock()
	defer a.mu.Unlock()
	a.at[m.ID] = now
}

func (a *arrivals) MessageStatus(st StatusChange) {
	now := time.Now()
	a.mu.Lock()
	defer a.mu.Unlock()
	if st.Status == policy.StatusSent && a.acked != nil {
		a.acked[st.Message] = now
	}
}

func percentile(d []time.Duration, p float64) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, int(float64(len(s))*p))]
}

// BenchmarkFullPath measures send → receive through a real relay on loopback, at a
// paced 1,000 messages per second: the sender's vault write and outbox, sealing,
// the relay's durable commit, the push, verification, decryption and the
// recipient's vault commit. Each iteration sends benchMessages messages.
//
//	go test -run '^$' -bench FullPath -benchtime 3x ./chat
func BenchmarkFullPath(b *testing.B) {
	const benchMessages = 3000
	const rate = time.Millisecond // one message per millisecond
	r := startRelay(b)
	alice := newPeer(b, "Alice", "ws://"+r.Addr)
	bob := newPeer(b, "Bob", "ws://"+r.Addr)
	alice.register(b, "alice")
	bob.register(b, "bob")
	chatID := direct(b, alice, bob, "bob")
	arr := &arrivals{at: map[ids.Message]time.Time{}}
	bob.stop()
	bob.startWith(b, arr)
	bob.online(b)
	sender := &arrivals{at: map[ids.Message]time.Time{}, acked: map[ids.Message]time.Time{}}
	alice.stop()
	alice.startWith(b, sender)
	alice.online(b)
	ctx := context.Background()
	var lat, toAck, afterAck, sendCall []time.Duration
	var elapsed, cpu time.Duration
	b.ResetTimer()
	for range b.N {
		sent := make(map[ids.Message]time.Time, benchMessages)
		cpu0 := cputime.Process()
		start := time.Now()
		next := start
		for i := range benchMessages {
			if d := time.Until(next); d > 0 {
				time.Sleep(d)
			}
			next = next.Add(rate)
			t0 := time.Now()
			m, err := alice.engine.Send(ctx, chatID, fmt.Sprintf("benchmark message %d with a little text", i), nil)
			if err != nil {
				b.Fatal(err)
			}
			sendCall = append(sendCall, time.Since(t0))
			sent[m.ID] = t0
		}
		elapsed += time.Since(start)
		deadline := time.Now().Add(2 * time.Minute)
		for {
			arr.mu.Lock()
			got := 0
			for id := range sent {
				if _, ok := arr.at[id]; ok {
					got++
				}
			}
			arr.mu.Unlock()
			if got == len(sent) {
				break
			}
			if time.Now().After(deadline) {
				b.Fatalf("only %d of %d arrived", got, len(sent))
			}
			time.Sleep(10 * time.Millisecond)
		}
		cpu += cputime.Process() - cpu0
		arr.mu.Lock()
		sender.mu.Lock()
		for id, t0 := range sent {
			lat = append(lat, arr.at[id].Sub(t0))
			if a, ok := sender.acked[id]; ok {
				toAck = append(toAck, a.Sub(t0))
				afterAck = append(afterAck, arr.at[id].Sub(a))
			}
		}
		sender.mu.Unlock()
		arr.mu.Unlock()
	}
	b.StopTimer()
	b.ReportMetric(float64(percentile(lat, 0.50).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(percentile(lat, 0.99).Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(percentile(lat, 0.999).Microseconds())/1000, "p99.9-ms")
	b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "sent-msgs/s")
	// Relay, both engines and the load in this process: CPU per message end to end.
	b.ReportMetric(float64(cpu.Microseconds())/float64(len(lat)), "cpu-µs/msg")
	if testing.Verbose() {
		b.Logf("Send call p50 %v p99 %v; send→ack p50 %v p99 %v; ack→received p50 %v p99 %v",
			percentile(sendCall, .5), percentile(sendCall, .99), percentile(toAck, .5), percentile(toAck, .99),
			percentile(afterAck, .5), percentile(afterAck, .99))
	}
}

// BenchmarkOpenLargeChat measures opening a chat of 100,000 messages as the UI does:
// the first page of 50 (vault read and field decryption, names, states) and each
// further page, walking back through the whole history.
//
//	go test -run '^$' -bench OpenLargeChat -benchtime 3x ./chat
func BenchmarkOpenLargeChat(b *testing.B) {
	const total = 100_000
	const pageSize = 50
	const pages = total/pageSize - 1
	r := startRelay(b)
	alice := newPeer(b, "Alice", "ws://"+r.Addr)
	bob := newPeer(b, "Bob", "ws://"+r.Addr)
	alice.register(b, "alice")
	bob.register(b, "bob")
	chatID := direct(b, alice, bob, "bob")
	ctx := context.Background()
	// Fill Bob's vault as if the history had been synced.
	now := time.Now()
	for base := 0; base < total; base += 2000 {
		err := bob.vault.Update(ctx, func(tx *vault.Tx) error {
			for i := base; i < base+2000; i++ {
				id := ids.New[ids.Message]()
				from := alice.id()
				if i%3 == 0 {
					from = bob.id()
				}
				if err := tx.InsertMessage(vault.Message{
					ID: id, ChatID: chatID, Seq: int64(i + 1), SenderAccount: from,
					SentAt: now.Add(time.Duration(i-total) * time.Second),
					Body:   fmt.Sprintf("history message %d, a line of ordinary length for a chat", i),
					Status: policy.StatusSent,
				}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	var first, further []time.Duration
	b.ResetTimer()
	for range b.N {
		t0 := time.Now()
		page, err := bob.engine.Messages(ctx, chatID, "", pageSize)
		if err != nil || len(page.Messages) != pageSize {
			b.Fatalf("first page: %d, %v", len(page.Messages), err)
		}
		first = append(first, time.Since(t0))
		for range pages {
			t0 := time.Now()
			page, err = bob.engine.Messages(ctx, chatID, page.NextBefore, pageSize)
			if err != nil || len(page.Messages) != pageSize {
				b.Fatalf("page: %d, %v", len(page.Messages), err)
			}
			further = append(further, time.Since(t0))
		}
		if last := page.Messages[pageSize-1]; last.Seq != 1 {
			b.Fatalf("the walk ended at seq %d, not at the first message", last.Seq)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(percentile(first, 0.5).Microseconds())/1000, "first-p50-ms")
	b.ReportMetric(float64(percentile(first, 0.99).Microseconds())/1000, "first-p99-ms")
	b.ReportMetric(float64(percentile(further, 0.5).Microseconds())/1000, "page-p50-ms")
	b.ReportMetric(float64(percentile(further, 0.99).Microseconds())/1000, "page-p99-ms")
}

// BenchmarkSendOffline measures Send alone (the vault transaction that writes the
// message and its outbox item), with the relay away so nothing else runs.
//
//	go test -run '^$' -bench SendOffline -benchtime 2000x ./chat
func BenchmarkSendOffline(b *testing.B) {
	r := startRelay(b)
	alice := newPeer(b, "Alice", "ws://"+r.Addr)
	bob := newPeer(b, "Bob", "ws://"+r.Addr)
	alice.register(b, "alice")
	bob.register(b, "bob")
	chatID := direct(b, alice, bob, "bob")
	r.Stop()
	testutil.Eventually(b, 1e10, "offline", func() bool { return alice.engine.Connection().State != LinkOnline })
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := alice.engine.Send(ctx, chatID, "benchmark message with a little text", nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReceiveChecks measures what the engine checks on each received message
// beyond chatcrypto.Open and the vault since membership logs (docs/SECURITY.md,
// "Gaps and times"): the sender's counter, in a chat that tracks the most senders
// it may, and the signed time against the relay's. "busy" is one sender talking
// (found at once); "round" is every sender in turn (the least recently heard each
// time: the whole list searched and moved). Compare with chatcrypto's
// BenchmarkOpen1KiB.
func BenchmarkReceiveChecks(b *testing.B) {
	signed, relay := time.UnixMilli(1_700_000_000_000), time.UnixMilli(1_700_000_000_500)
	for _, round := range []bool{false, true} {
		name := "busy"
		if round {
			name = "round"
		}
		b.Run(name, func(b *testing.B) {
			var meta chatMeta
			for i := range maxSenderCounters {
				noteCounter(&meta, ids.Device{byte(i), byte(i >> 8)}, ids.Account{1}, 1)
			}
			n, i, last := uint64(1), 0, maxSenderCounters-1
			for b.Loop() {
				dev := ids.Device{byte(last), byte(last >> 8)}
				if round {
					dev = ids.Device{byte(i), byte(i >> 8)}
					i = (i + 1) % maxSenderCounters
				}
				n++
				noteCounter(&meta, dev, ids.Account{1}, n)
				sentAt(signed, relay)
			}
		})
	}
}

// First-sync size: the full figure of docs/PERFORMANCE.md is
// -firstsync.chats=1000 -firstsync.messages=100000; the defaults keep `make bench`
// short.
var (
	firstSyncChats    = flag.Int("firstsync.chats", 10, "chats for BenchmarkFirstSync")
	firstSyncMessages = flag.Int("firstsync.messages", 1000, "messages for BenchmarkFirstSync, spread over the chats")
	firstSyncProfile  = flag.String("firstsync.cpuprofile", "", "write a CPU profile of the timed part of BenchmarkFirstSync to this file")
	firstSyncHeap     = flag.String("firstsync.memprofile", "", "write a heap profile taken while BenchmarkFirstSync's heap peaks to this file")
)

// syncWatch is an Observer that notes when a catch-up ended.
type syncWatch struct {
	nopObserver
	done chan SyncProgress
}

func (w *syncWatch) SyncProgress(p SyncProgress) {
	if !p.Running {
		select {
		case w.done <- p:
		default:
		}
	}
}

// BenchmarkFirstSync measures a newly linked device fetching the whole cloud
// history: every chat's log, keys and messages, verified, decrypted and stored,
// from a real relay on loopback. The heap is sampled every 20 ms while it runs
// (the relay and the account's first device live in the same process, idle).
//
//	go test ./chat -run '^$' -bench FirstSync -benchtime 1x -timeout 60m -args -firstsync.chats=1000 -firstsync.messages=100000
func BenchmarkFirstSync(b *testing.B) {
	r := relaytest.Start(b, &relaytest.Options{Limits: relay.Limits{RatePerSecond: 1e6, Burst: 1e6, NewChatsPerHour: relay.NoLimit}})
	alice := newPeer(b, "Alice", "ws://"+r.Addr)
	bob := newPeer(b, "Bob", "ws://"+r.Addr)
	alice.register(b, "alice")
	bob.register(b, "bob")
	ctx := context.Background()
	if _, err := alice.engine.AddContact(ctx, "bob"); err != nil {
		b.Fatal(err)
	}
	bob.stop() // a member who does not read along
	chats := make([]ids.Chat, *firstSyncChats)
	for i := range chats {
		c, err := alice.engine.CreateGroup(ctx, fmt.Sprint("group ", i), []ids.Account{bob.id()})
		if err != nil {
			b.Fatal(err)
		}
		chats[i] = c.ID
	}
	for i := range *firstSyncMessages {
		if _, err := alice.engine.Send(ctx, chats[i%len(chats)], fmt.Sprintf("history message %d with a little text in it", i), nil); err != nil {
			b.Fatal(err)
		}
	}
	testutil.Eventually(b, 30*time.Minute, "the history at the relay", func() bool { return alice.outboxLen(b) == 0 })
	alice.events.reset() // the events of sending the history would count as the new device's heap
	testutil.Eventually(b, 20*time.Second, "Alice's device list", func() bool {
		_, err := alice.engine.Devices(ctx)
		return err == nil
	})
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		joined := linkNewDevice(b, alice)
		watch := &syncWatch{done: make(chan SyncProgress, 1)}
		// The device starts once paused (it names itself, fetches nothing), then
		// again, timed, to fetch everything.
		tablet := newLinkedPeerPaused(b, "tablet", alice.url, joined)
		testutil.Eventually(b, time.Minute, "the paused start", func() bool {
			for _, p := range of[SyncProgress](tablet.events) {
				if p.Paused {
					return true
				}
			}
			return false
		})
		tablet.stop()
		tablet.tune = nil
		runtime.GC()
		var peak uint64
		stop := make(chan struct{})
		sampled := make(chan struct{})
		go func() {
			defer close(sampled)
			var ms runtime.MemStats
			for {
				runtime.ReadMemStats(&ms)
				if *firstSyncHeap != "" && ms.HeapInuse > peak+peak/8 {
					writeHeapProfile(b, *firstSyncHeap)
				}
				peak = max(peak, ms.HeapInuse)
				select {
				case <-stop:
					return
				case <-time.After(20 * time.Millisecond):
				}
			}
		}()
		stopProfile := startProfile(b, *firstSyncProfile)
		b.StartTimer()
		start := time.Now()
		tablet.startWith(b, watch)
		var p SyncProgress
		select {
		case p = <-watch.done:
		case <-time.After(30 * time.Minute):
			b.Fatal("the first sync did not finish")
		}
		elapsed := time.Since(start)
		b.StopTimer()
		stopProfile()
		close(stop)
		<-sampled
		// Each group's log also carries its title, sealed like a message.
		if p.MessagesDone != *firstSyncMessages+len(chats) || p.ChatsDone != len(chats) {
			b.Fatalf("synced %+v, want %d messages and %d titles in %d chats", p, *firstSyncMessages, len(chats), len(chats))
		}
		b.ReportMetric(elapsed.Seconds(), "sync-s")
		b.ReportMetric(float64(p.MessagesDone)/elapsed.Seconds(), "msgs/s")
		b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
		tablet.stop()
	}
}

// startProfile starts a CPU profile into path, if one is asked for, and returns
// what stops it: the setup of a benchmark (sending the history) would otherwise
// drown what it measures.
func startProfile(tb testing.TB, path string) (stop func()) {
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		tb.Fatal(err)
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			tb.Error(err)
		}
	}
}

// writeHeapProfile writes the heap profile (what the last collection found live,
// and where it was allocated) to path.
func writeHeapProfile(tb testing.TB, path string) {
	f, err := os.Create(path)
	if err != nil {
		tb.Error(err)
		return
	}
	defer f.Close()
	if err := pprof.WriteHeapProfile(f); err != nil {
		tb.Error(err)
	}
}
