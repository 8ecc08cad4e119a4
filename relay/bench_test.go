package relay_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"hush/ids"
	"hush/policy"
	"hush/relay"
	"hush/relay/relaytest"
	"hush/sync/wire"
)

// benchPair is one direct chat with both members connected: every send costs the
// relay an ack to the sender and a push to the peer.
type benchPair struct {
	sender, peer *relaytest.Conn
	chat         ids.Chat
}

func setupPairs(b *testing.B, url string, n int) []benchPair {
	b.Helper()
	pairs := make([]benchPair, n)
	for i := range pairs {
		alice, bob := relaytest.NewAccount(b), relaytest.NewAccount(b)
		a := relaytest.DialURL(b, url, alice)
		p := relaytest.DialURL(b, url, bob)
		id := directChat(b, a, alice, bob)
		pairs[i] = benchPair{sender: a, peer: p, chat: id}
		// The peers only count pushes; keep their queues from growing.
		go func() {
			for {
				if _, err := p.NextPush(context.Background()); err != nil {
					return
				}
			}
		}()
	}
	return pairs
}

// directChat creates the direct chat of alice (connected as a) and bob, with its
// first epoch.
func directChat(b *testing.B, a *relaytest.Conn, alice, bob *relaytest.Device) ids.Chat {
	l, create := relaytest.NewChat(b, alice, policy.KindDirect, "", relaytest.Member(bob, policy.RoleMember))
	ctx := context.Background()
	if _, err := a.Request(ctx, create); err != nil {
		b.Fatal(err)
	}
	epoch := &wire.PutEpoch{ChatID: l.ID(), Epoch: 1, LogLen: l.Len(), Wrapped: []wire.WrappedKey{{AccountID: alice.AccountID(), Envelope: []byte("k")}, {AccountID: bob.AccountID(), Envelope: []byte("k")}}}
	if _, err := a.Request(ctx, epoch); err != nil {
		b.Fatal(err)
	}
	return l.ID()
}

func benchRelay(b *testing.B) *relaytest.Relay {
	return relaytest.Start(b, &relaytest.Options{Limits: relay.Limits{RatePerSecond: 1e9, Burst: 1e9, QuotaBytes: 1 << 40, SendQueue: 4096, MaxInFlight: 256,
		NewAccountsPerHour: relay.NoLimit, NewChatsPerHour: relay.NoLimit}})
}

// BenchmarkSendAck measures messages per second accepted with an acknowledgement
// after a durable commit: 1 KiB ciphertexts, 32 sending connections each keeping up
// to 64 sends in flight, each message also pushed to the chat's other member.
// The load generator runs in the same process, on the same cores.
func BenchmarkSendAck(b *testing.B) {
	r := benchRelay(b)
	before := r.Server.Stats()
	runSendLoad(b, setupPairs(b, r.URL, 32), 64)
	after := r.Server.Stats()
	if c := after.Commits - before.Commits; c > 0 {
		b.ReportMetric(float64(after.Writes-before.Writes)/float64(c), "msgs/commit")
	}
}

// BenchmarkSendAckProcess is BenchmarkSendAck with the relay in its own process, so
// the relay's own CPU time per message can be read from /proc (Linux) apart from the
// load generator's: "relay-cpu-us/msg" is what bounds the relay's throughput on a
// machine with spare cores for clients, and it is far less sensitive to other load
// on a shared machine than msgs/s.
func BenchmarkSendAckProcess(b *testing.B) {
	if runtime.GOOS != "linux" {
		b.Skip("reads /proc")
	}
	cmd, url := startChildArgs(b, filepath.Join(b.TempDir(), "relay.db"), "--quota-mb", "1000000", "--send-queue", "4096", "--max-in-flight", "256", "--new-accounts-per-hour", "0")
	pairs := setupPairs(b, url, 32)
	cpu0 := procCPU(b, cmd.Process.Pid)
	runSendLoad(b, pairs, 64)
	cpu := procCPU(b, cmd.Process.Pid) - cpu0
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "relay-cpu-us/msg")
}

// procCPU returns a process's user+system CPU time from /proc/PID/stat.
func procCPU(b *testing.B, pid int) time.Duration {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatal(err)
	}
	// Fields after the parenthesised command name; utime and stime are 14 and 15.
	f := strings.Fields(string(raw[strings.LastIndexByte(string(raw), ')')+2:]))
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	const ticksPerSecond = 100 // USER_HZ on Linux
	return time.Duration(ut+st) * time.Second / ticksPerSecond
}

func runSendLoad(b *testing.B, pairs []benchPair, window int) {
	conns := len(pairs)
	ct := make([]byte, 1024)
	b.SetBytes(int64(len(ct)))
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for i, p := range pairs {
		n := b.N / conns
		if i < b.N%conns {
			n++
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := context.Background()
			inflight := make(chan (<-chan wire.Frame), window)
			done := make(chan struct{})
			go func() {
				defer close(done)
				for ch := range inflight {
					if _, err := p.sender.Wait(ctx, ch); err != nil {
						b.Error(err)
						return
					}
				}
			}()
			for range n {
				ch, err := p.sender.Start(ctx, &wire.Send{ChatID: p.chat, MsgID: ids.New[ids.Message](), Epoch: 1, Ciphertext: ct})
				if err != nil {
					b.Error(err)
					break
				}
				inflight <- ch
			}
			close(inflight)
			<-done
		}()
	}
	wg.Wait()
	el := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/el.Seconds(), "msgs/s")
}

// BenchmarkAckLatency sends 1 KiB messages at a fixed 10,000 per second over 20
// connections (relay and load generator in one process) and reports the latency from send to acknowledgement (after the
// durable commit) at p50 and p99.
func BenchmarkAckLatency(b *testing.B) {
	r := benchRelay(b)
	runLatency(b, setupPairs(b, r.URL, 20), 10000)
}

// BenchmarkAckLatencyProcess is BenchmarkAckLatency with the relay in its own process.
func BenchmarkAckLatencyProcess(b *testing.B) {
	_, url := startChildArgs(b, filepath.Join(b.TempDir(), "relay.db"), "--quota-mb", "1000000", "--send-queue", "4096", "--max-in-flight", "256", "--new-accounts-per-hour", "0")
	runLatency(b, setupPairs(b, url, 20), 10000)
}

func runLatency(b *testing.B, pairs []benchPair, rate int) {
	conns := len(pairs)
	ct := make([]byte, 1024)
	lat := make([]time.Duration, b.N)
	var wg sync.WaitGroup
	type pending struct {
		ch <-chan wire.Frame
		i  int
		at time.Time
	}
	queues := make([]chan pending, conns)
	for k := range queues {
		queues[k] = make(chan pending, 4096)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range queues[k] {
				if _, err := pairs[k].sender.Wait(context.Background(), p.ch); err != nil {
					b.Error(err)
					return
				}
				lat[p.i] = time.Since(p.at)
			}
		}()
	}
	b.ResetTimer()
	start := time.Now()
	interval := time.Second / time.Duration(rate)
	for i := range b.N {
		if d := time.Until(start.Add(time.Duration(i) * interval)); d > 0 {
			time.Sleep(d)
		}
		k := i % conns
		at := time.Now()
		ch, err := pairs[k].sender.Start(context.Background(), &wire.Send{ChatID: pairs[k].chat, MsgID: ids.New[ids.Message](), Epoch: 1, Ciphertext: ct})
		if err != nil {
			b.Fatal(err)
		}
		queues[k] <- pending{ch: ch, i: i, at: at}
	}
	for _, q := range queues {
		close(q)
	}
	wg.Wait()
	el := time.Since(start)
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(b.N)/el.Seconds(), "msgs/s")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}

// BenchmarkOneChatProcess puts all load into one chat with two members, both
// sending 1 KiB messages (each pushed to the other), with the relay in its own
// process; it reports the relay's CPU per message and its peak resident memory.
func BenchmarkOneChatProcess(b *testing.B) {
	if runtime.GOOS != "linux" {
		b.Skip("reads /proc")
	}
	cmd, url := startChildArgs(b, filepath.Join(b.TempDir(), "relay.db"), "--quota-mb", "1000000", "--send-queue", "4096", "--max-in-flight", "256", "--new-accounts-per-hour", "0")
	alice, bob := relaytest.NewAccount(b), relaytest.NewAccount(b)
	a := relaytest.DialURL(b, url, alice)
	c := relaytest.DialURL(b, url, bob)
	id := directChat(b, a, alice, bob)
	for _, x := range []*relaytest.Conn{a, c} {
		go func() {
			for {
				if _, err := x.NextPush(context.Background()); err != nil {
					return
				}
			}
		}()
	}
	pairs := []benchPair{{sender: a, chat: id}, {sender: c, chat: id}}
	cpu0 := procCPU(b, cmd.Process.Pid)
	runSendLoad(b, pairs, 256)
	cpu := procCPU(b, cmd.Process.Pid) - cpu0
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "relay-cpu-us/msg")
	b.ReportMetric(procPeakRSSMB(b, cmd.Process.Pid), "relay-peak-rss-MB")
}

// procPeakRSSMB returns a process's peak resident set (VmHWM) in MiB.
func procPeakRSSMB(b *testing.B, pid int) float64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	b.Fatal("no VmHWM")
	return 0
}
