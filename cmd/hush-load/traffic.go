package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"hush/cmd/hush-load/internal/histogram"
	"hush/cmd/hush-load/internal/loadclient"
	"hush/cmd/hush-load/internal/relayproc"
	"hush/ids"
	"hush/membership"
	"hush/policy"
	"hush/sync/wire"
)

// Targets from issue 4, "Benchmarks".
const (
	targetThroughput   = 25000                  // acknowledged msgs/s, 1 KiB, 2 cores
	targetP99          = 5 * time.Millisecond   // ack latency p99 at 10k msgs/s
	targetOneChat      = 5000                   // durable msgs/s in one chat
	targetOneChatRSS   = 60e6 / (1 << 20)       // 60 MB (decimal, read strictly) of relay resident memory under that load, in MiB
	targetIdlePerConn  = 24                     // KiB of relay memory per idle connection
	targetIdleConns    = 50000                  // connections the idle figure is for
	maxDuration        = 10 * time.Minute       // bound of any measured phase
	setupTimeout       = 2 * time.Minute        // bound of connecting and creating chats
	drainTimeout       = 30 * time.Second       // bound of waiting for outstanding acks
	maxOutstandingOpen = 4096                   // open-loop sends awaiting an ack, per connection
	memSampleEvery     = 100 * time.Millisecond // relay memory sampling during onechat
)

// newDevices makes n device identities (each its own account), using every core.
func newDevices(n int) ([]*loadclient.Device, error) {
	devs := make([]*loadclient.Device, n)
	errs := make([]error, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for w := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += len(errs) {
				if devs[i], errs[w] = loadclient.NewDevice(); errs[w] != nil {
					return
				}
			}
		}()
	}
	wg.Wait()
	return devs, errors.Join(errs...)
}

// connectAll dials and authenticates one connection per device, concurrency at a
// time, device i to urls[i mod len(urls)]; on error it closes what it opened.
func connectAll(ctx context.Context, d *loadclient.Dialer, urls []string, devs []*loadclient.Device, concurrency int) ([]*loadclient.Conn, error) {
	conns := make([]*loadclient.Conn, len(devs))
	var next atomic.Int64
	var firstErr error
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range min(concurrency, len(devs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(devs) {
					return
				}
				c, err := dialAuth(ctx, d, urls[i%len(urls)], devs[i])
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = fmt.Errorf("connection %d: %w", i, err)
					}
					mu.Unlock()
					next.Store(int64(len(devs))) // stop the others
					return
				}
				conns[i] = c
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		closeAll(conns)
		return nil, firstErr
	}
	return conns, nil
}

func dialAuth(ctx context.Context, d *loadclient.Dialer, url string, dev *loadclient.Device) (*loadclient.Conn, error) {
	c, err := d.Dial(ctx, url)
	if err != nil {
		return nil, err
	}
	if _, err := c.Auth(ctx, dev); err != nil {
		c.CloseNow()
		return nil, err
	}
	return c, nil
}

func closeAll(conns []*loadclient.Conn) {
	for _, c := range conns {
		if c != nil {
			c.CloseNow()
		}
	}
}

// createChat creates a chat of kind owned by creator's device with the other
// devices' accounts as members — its first membership record signed as a client
// signs it, so the relay does the checks it does for real clients — and puts epoch
// 1 with a dummy envelope per member (the relay never opens envelopes). It uses the
// synchronous calls: before Run. A direct chat of a pair that has one already is
// that one.
func createChat(ctx context.Context, creator *loadclient.Conn, owner *loadclient.Device, kind policy.ChatKind, others []*loadclient.Device) (ids.Chat, error) {
	members := []membership.Member{{Account: owner.AccountID(), Role: policy.RoleOwner}}
	wrapped := []wire.WrappedKey{{AccountID: owner.AccountID(), Envelope: dummyEnvelope()}}
	seen := map[ids.Account]bool{owner.AccountID(): true}
	for _, o := range others {
		if seen[o.AccountID()] {
			continue
		}
		seen[o.AccountID()] = true
		members = append(members, membership.Member{Account: o.AccountID(), Role: policy.RoleMember})
		wrapped = append(wrapped, wire.WrappedKey{AccountID: o.AccountID(), Envelope: dummyEnvelope()})
	}
	signer, err := membership.NewSigner(owner.Key, owner.Cert)
	if err != nil {
		return ids.Chat{}, err
	}
	id := ids.New[ids.Chat]()
	change := membership.Change{Op: membership.OpCreate, Kind: kind, Members: members}
	if kind != policy.KindDirect {
		// The relay sees only a commitment to a title; any will do for load.
		change.Title = membership.TitleCommitment(id, [membership.TitleSaltSize]byte{1}, "load")
	}
	rec, err := signer.Sign(id, 0, membership.Hash{}, time.Now(), change)
	if err != nil {
		return ids.Chat{}, fmt.Errorf("create chat: %w", err)
	}
	resp, err := creator.RoundTrip(ctx, &wire.CreateChat{Record: rec.Raw})
	if err != nil {
		return ids.Chat{}, fmt.Errorf("create chat: %w", err)
	}
	info, ok := resp.(*wire.ChatInfo)
	if !ok {
		return ids.Chat{}, fmt.Errorf("create chat: answered %v", resp.Type())
	}
	if info.ChatID != rec.Chat {
		return info.ChatID, nil // the pair's direct chat, made before
	}
	if _, err := creator.RoundTrip(ctx, &wire.PutEpoch{ChatID: info.ChatID, Epoch: 1, LogLen: info.LogLen, Wrapped: wrapped}); err != nil {
		return info.ChatID, fmt.Errorf("put epoch: %w", err)
	}
	return info.ChatID, nil
}

// dummyEnvelope stands for an HPKE-wrapped epoch key: 32 random bytes plus the
// overhead of a real envelope.
func dummyEnvelope() []byte {
	b := make([]byte, 32+48)
	rand.Read(b)
	return b
}

// randomPayload is an opaque stand-in for a message ciphertext: the relay never
// decrypts, so random bytes of the right size cost it exactly what ciphertext does.
func randomPayload(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// stream is one sending connection of a traffic mode.
type stream struct {
	conn    *loadclient.Conn
	chat    ids.Chat
	payload []byte
	t0, t1  time.Time // the measured window: acks arriving in [t0, t1) count
	// randomIDs sends random message ids, as clients did before time-ordered ones.
	randomIDs bool

	inflight sync.WaitGroup
	hist     histogram.Histogram // written only by the read goroutine's callbacks
	acked    atomic.Int64        // acks in the window
	total    atomic.Int64        // all acks
	pushes   atomic.Int64        // pushes received in the window
	refused  atomic.Int64        // sends answered with an error
	firstErr atomic.Pointer[error]
}

func newStream(c *loadclient.Conn, chat ids.Chat, size int, randomIDs bool) *stream {
	return &stream{conn: c, chat: chat, payload: randomPayload(size), randomIDs: randomIDs}
}

// start runs the read loop, counting the pushes that arrive in the window.
func (s *stream) start() {
	s.conn.Run(func(f wire.Frame) {
		if f.Type == wire.TypePush {
			if now := time.Now(); !now.Before(s.t0) && now.Before(s.t1) {
				s.pushes.Add(1)
			}
		}
	})
}

func (s *stream) fail(err error) {
	s.firstErr.CompareAndSwap(nil, &err)
}

func (s *stream) err() error {
	if p := s.firstErr.Load(); p != nil {
		return *p
	}
	return nil
}

// send issues one Send; from is the time its latency counts from. release runs
// after the answer (or failure) is handled.
func (s *stream) send(ctx context.Context, from time.Time, release func()) bool {
	s.inflight.Add(1)
	id := ids.NewOrdered[ids.Message](time.Now())
	if s.randomIDs {
		id = ids.New[ids.Message]()
	}
	err := s.conn.Go(ctx, &wire.Send{ChatID: s.chat, MsgID: id, Epoch: 1, Ciphertext: s.payload}, func(b wire.Body, err error) {
		defer s.inflight.Done()
		defer release()
		now := time.Now()
		if err != nil {
			s.refused.Add(1)
			s.fail(err)
			return
		}
		if _, ok := b.(*wire.Ack); !ok {
			s.refused.Add(1)
			s.fail(fmt.Errorf("send answered with %v", b.Type()))
			return
		}
		s.total.Add(1)
		if !now.Before(s.t0) && now.Before(s.t1) {
			s.acked.Add(1)
			s.hist.Record(now.Sub(from))
		}
	})
	if err != nil {
		s.inflight.Done()
		release()
		s.fail(err)
		return false
	}
	return true
}

// closedLoop sends as fast as acknowledgements allow, with at most window sends
// unanswered, until t1.
func (s *stream) closedLoop(ctx context.Context, window int) {
	sem := make(chan struct{}, window)
	release := func() { <-sem }
	for time.Now().Before(s.t1) {
		select {
		case sem <- struct{}{}:
		case <-s.conn.Done():
			return
		case <-ctx.Done():
			return
		}
		if !s.send(ctx, time.Now(), release) {
			return
		}
	}
}

// openLoop sends one message every interval from start until t1, whatever the
// acknowledgements do (an open loop, as independent devices would); latency counts
// from when each send was due, so a generator that falls behind shows up in the
// figures instead of hiding the relay's slowness. It returns the worst lag behind
// the schedule.
func (s *stream) openLoop(ctx context.Context, start time.Time, interval time.Duration) time.Duration {
	sem := make(chan struct{}, maxOutstandingOpen)
	release := func() { <-sem }
	timer := time.NewTimer(0)
	defer timer.Stop()
	<-timer.C
	var worst time.Duration
	for k := int64(0); ; k++ {
		due := start.Add(time.Duration(k) * interval)
		if !due.Before(s.t1) {
			return worst
		}
		if d := time.Until(due); d > 0 {
			timer.Reset(d)
			select {
			case <-timer.C:
			case <-ctx.Done():
				return worst
			}
		}
		select {
		case sem <- struct{}{}:
		case <-s.conn.Done():
			return worst
		case <-ctx.Done():
			return worst
		}
		if lag := time.Since(due); lag > worst && due.After(s.t0) {
			worst = lag
		}
		if !s.send(ctx, due, release) {
			return worst
		}
	}
}

// wait waits (bounded) for every outstanding send to be answered.
func (s *stream) wait() error {
	done := make(chan struct{})
	go func() { s.inflight.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-time.After(drainTimeout):
		s.conn.CloseNow()
		<-done // closing answers every pending callback with an error
		return fmt.Errorf("acknowledgements still outstanding %v after the end", drainTimeout)
	}
}

// trafficConfig describes the traffic of throughput, latency and onechat.
type trafficConfig struct {
	pairs         int // direct chats; each has two connected members that both send
	perMember     int // connections per member account (onechat)
	size          int
	window        int     // closed loop: sends in flight per connection
	rate          float64 // open loop: total msgs/s; 0 for a closed loop
	warmup        time.Duration
	duration      time.Duration
	sampleMemory  bool
	connectionsGo int // dial concurrency
	randomIDs     bool
}

// trafficResult is what a traffic run measured.
type trafficResult struct {
	streams   []*stream
	hist      histogram.Histogram
	acked     int64
	pushes    int64
	refused   int64
	window    time.Duration
	relayCPU  time.Duration // every relay child's
	dbCPU     time.Duration // the PostgreSQL server's
	pg        pgStats       // its counters' growth over the window
	pgOK      bool
	selfCPU   time.Duration
	peakMem   relayproc.Memory // highest RSS and PSS sampled during the window
	endMem    relayproc.Memory
	worstLag  time.Duration
	firstErr  error
	connCount int
}

// runTraffic sets up the chats and connections of cfg against t's relays and runs
// them, measuring t's relay children and database.
func runTraffic(ctx context.Context, t *relayTarget, cfg trafficConfig) (*trafficResult, error) {
	proc := t.proc()
	if cfg.duration <= 0 || cfg.duration > maxDuration || cfg.warmup < 0 || cfg.warmup > maxDuration {
		return nil, usagef("--duration must be in (0, %v] and --warmup in [0, %v]", maxDuration, maxDuration)
	}
	if cfg.size < 1 || cfg.size > wire.MaxCiphertextSize {
		return nil, usagef("--size must be 1..%d bytes", wire.MaxCiphertextSize)
	}
	perMember := max(cfg.perMember, 1)
	setupCtx, cancel := context.WithTimeout(ctx, setupTimeout)
	defer cancel()
	accounts, err := newDevices(2 * cfg.pairs)
	if err != nil {
		return nil, err
	}
	// Devices: per pair, member A's devices then member B's.
	var devs []*loadclient.Device
	for _, a := range accounts {
		devs = append(devs, a)
		for range perMember - 1 {
			sib, err := a.Sibling()
			if err != nil {
				return nil, err
			}
			devs = append(devs, sib)
		}
	}
	dialer, err := loadclient.NewDialer(nil)
	if err != nil {
		return nil, err
	}
	conns, err := connectAll(setupCtx, dialer, t.urls, devs, max(cfg.connectionsGo, 1))
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	res := &trafficResult{connCount: len(conns)}
	for p := range cfg.pairs {
		a, b := 2*p*perMember, (2*p+1)*perMember
		chat, err := createChat(setupCtx, conns[a], devs[a], policy.KindDirect, []*loadclient.Device{devs[b]})
		if err != nil {
			closeAll(conns)
			return nil, err
		}
		for i := a; i < b+perMember; i++ {
			res.streams = append(res.streams, newStream(conns[i], chat, cfg.size, cfg.randomIDs))
		}
	}
	defer closeAll(conns)

	start := time.Now().Add(50 * time.Millisecond)
	t0 := start.Add(cfg.warmup)
	t1 := t0.Add(cfg.duration)
	for _, s := range res.streams {
		s.t0, s.t1 = t0, t1
		s.start()
	}
	var lagMu sync.Mutex
	var wg sync.WaitGroup
	for i, s := range res.streams {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if cfg.rate > 0 {
				interval := time.Duration(float64(time.Second) * float64(len(res.streams)) / cfg.rate)
				// Stagger the connections across one interval.
				lag := s.openLoop(ctx, start.Add(interval*time.Duration(i)/time.Duration(len(res.streams))), interval)
				lagMu.Lock()
				res.worstLag = max(res.worstLag, lag)
				lagMu.Unlock()
			} else {
				time.Sleep(time.Until(start))
				s.closedLoop(ctx, cfg.window)
			}
		}()
	}

	// Measure the relay around the window.
	sleepUntil(ctx, t0)
	var self0 time.Duration
	cpu0, db0 := relaysCPU(t.procs), t.db.cpu()
	pg0, pgOK0 := t.db.stats(ctx)
	self0, _ = relayproc.ReadCPU(os.Getpid())
	memDone := make(chan struct{})
	if proc != nil && cfg.sampleMemory {
		go func() {
			defer close(memDone)
			tick := time.NewTicker(memSampleEvery)
			defer tick.Stop()
			for time.Now().Before(t1) {
				if m, err := proc.Memory(); err == nil {
					res.peakMem.RSS = max(res.peakMem.RSS, m.RSS)
					res.peakMem.PSS = max(res.peakMem.PSS, m.PSS)
					res.peakMem.PeakRSS = m.PeakRSS
				}
				select {
				case <-tick.C:
				case <-ctx.Done():
					return
				}
			}
		}()
	} else {
		close(memDone)
	}
	sleepUntil(ctx, t1)
	res.relayCPU, res.dbCPU = relaysCPU(t.procs)-cpu0, t.db.cpu()-db0
	if pg1, ok := t.db.stats(ctx); ok && pgOK0 {
		res.pg = pgStats{walBytes: pg1.walBytes - pg0.walBytes, walSyncs: pg1.walSyncs - pg0.walSyncs, walRecords: pg1.walRecords - pg0.walRecords, walFPI: pg1.walFPI - pg0.walFPI, commits: pg1.commits - pg0.commits}
		res.pgOK = true
	}
	if proc != nil {
		res.endMem, _ = proc.Memory()
	}
	self1, _ := relayproc.ReadCPU(os.Getpid())
	res.selfCPU = self1 - self0
	res.window = cfg.duration
	<-memDone
	wg.Wait()
	var errs []error
	for _, s := range res.streams {
		if err := s.wait(); err != nil {
			errs = append(errs, err)
		}
		res.hist.Merge(&s.hist)
		res.acked += s.acked.Load()
		res.pushes += s.pushes.Load()
		res.refused += s.refused.Load()
		if err := s.err(); err != nil && res.firstErr == nil {
			res.firstErr = err
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return res, errors.Join(errs...)
}

// relaysCPU adds up the relay children's CPU time.
func relaysCPU(procs []*relayproc.Process) time.Duration {
	var sum time.Duration
	for _, p := range procs {
		d, _ := p.CPU()
		sum += d
	}
	return sum
}

func sleepUntil(ctx context.Context, t time.Time) {
	timer := time.NewTimer(time.Until(t))
	defer timer.Stop()
	select {
	case <-timer.C:
	case <-ctx.Done():
	}
}

// reportTraffic adds what every traffic mode reports.
func reportTraffic(r *report, res *trafficResult, t *relayTarget) {
	secs := res.window.Seconds()
	proc := t.proc()
	r.add("pushes delivered/s", float64(res.pushes)/secs, "msgs/s")
	if res.acked > 0 {
		if len(t.procs) > 0 {
			r.add("relay CPU per message (all relays)", float64(res.relayCPU.Microseconds())/float64(res.acked), "µs")
			r.add("relay CPU, share of one core (all relays)", res.relayCPU.Seconds()/secs, "cores")
		}
		if t.db != nil && t.db.pg != nil {
			r.add("PostgreSQL CPU per message", float64(res.dbCPU.Microseconds())/float64(res.acked), "µs")
			r.add("PostgreSQL CPU, share of one core", res.dbCPU.Seconds()/secs, "cores")
		}
		if res.pgOK {
			// Counted over the window, reads of the counters included (two
			// transactions, a few bytes of WAL).
			r.add("PostgreSQL transactions committed/s", float64(res.pg.commits)/secs, "/s")
			r.add("PostgreSQL WAL fsyncs/s", float64(res.pg.walSyncs)/secs, "/s")
			r.add("PostgreSQL WAL bytes per message", float64(res.pg.walBytes)/float64(res.acked), "B")
			r.add("PostgreSQL WAL bytes per transaction", float64(res.pg.walBytes)/float64(max(res.pg.commits, 1)), "B")
			// Full-page images: the first change to a page after a checkpoint
			// writes the whole 8 KiB page; random index inserts touch many pages.
			r.add("PostgreSQL WAL full-page images per message", float64(res.pg.walFPI)/float64(res.acked), "")
		}
		r.add("load generator CPU per message", float64(res.selfCPU.Microseconds())/float64(res.acked), "µs")
	}
	if proc != nil {
		r.add("relay RSS at end", mib(res.endMem.RSS), "MiB")
	}
	r.add("sends refused or failed", float64(res.refused), "")
	if res.firstErr != nil {
		r.note("first failure: %v", res.firstErr)
		r.Failed = true
	}
}

func idKind(random bool) string {
	if random {
		return "random"
	}
	return "time-ordered"
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

func setupThroughput(fs *flag.FlagSet, c *common) func(context.Context, *report) error {
	conns := fs.Int("conns", 64, "authenticated `connections`, paired in direct chats; every one sends")
	window := fs.Int("window", 32, "sends in flight per connection (the relay answers up to its --max-in-flight, default 128, and stops reading beyond)")
	size := fs.Int("size", 1024, "ciphertext `bytes` per message")
	duration := fs.Duration("duration", 10*time.Second, "measured time")
	warmup := fs.Duration("warmup", 2*time.Second, "load before measuring")
	randomIDs := fs.Bool("random-ids", false, "send random message ids, as clients did before time-ordered ones (docs/PERFORMANCE.md, \"Time-ordered message ids\")")
	return func(ctx context.Context, r *report) error {
		if *conns < 2 || *conns > 4096 || *window < 1 || *window > 4096 {
			return usagef("--conns must be 2..4096 and --window 1..4096")
		}
		pairs := (*conns + 1) / 2
		t, err := c.target(ctx, r)
		if err != nil {
			return err
		}
		defer t.stop()
		r.param("connections", 2*pairs)
		r.param("chats", fmt.Sprintf("%d direct chats, both members sending", pairs))
		r.param("window", *window)
		r.param("message", fmt.Sprintf("%d B random ciphertext, %s ids", *size, idKind(*randomIDs)))
		r.param("measured", fmt.Sprintf("%v after %v warm-up", *duration, *warmup))
		res, err := runTraffic(ctx, t, trafficConfig{pairs: pairs, size: *size, window: *window, warmup: *warmup, duration: *duration, connectionsGo: 16, randomIDs: *randomIDs})
		if err != nil {
			return err
		}
		r.atLeast("acknowledged msgs/s", float64(res.acked)/res.window.Seconds(), "msgs/s", targetThroughput)
		r.latencies("ack latency", &res.hist, 0, false)
		reportTraffic(r, res, t)
		return nil
	}
}

func setupLatency(fs *flag.FlagSet, c *common) func(context.Context, *report) error {
	rate := fs.Float64("rate", 10000, "offered `msgs/s`, spread evenly over the connections")
	conns := fs.Int("conns", 20, "authenticated `connections`, paired in direct chats; every one sends")
	size := fs.Int("size", 1024, "ciphertext `bytes` per message")
	duration := fs.Duration("duration", 10*time.Second, "measured time")
	warmup := fs.Duration("warmup", 2*time.Second, "load before measuring")
	randomIDs := fs.Bool("random-ids", false, "send random message ids, as clients did before time-ordered ones (docs/PERFORMANCE.md, \"Time-ordered message ids\")")
	return func(ctx context.Context, r *report) error {
		if *conns < 2 || *conns > 4096 || *rate <= 0 || *rate > 1e6 {
			return usagef("--conns must be 2..4096 and --rate in (0, 1e6]")
		}
		pairs := (*conns + 1) / 2
		t, err := c.target(ctx, r)
		if err != nil {
			return err
		}
		defer t.stop()
		r.param("connections", 2*pairs)
		r.param("chats", fmt.Sprintf("%d direct chats, both members sending", pairs))
		r.param("offered rate", fmt.Sprintf("%.0f msgs/s (open loop; latency counts from when each send was due)", *rate))
		r.param("message", fmt.Sprintf("%d B random ciphertext, %s ids", *size, idKind(*randomIDs)))
		r.param("measured", fmt.Sprintf("%v after %v warm-up", *duration, *warmup))
		res, err := runTraffic(ctx, t, trafficConfig{pairs: pairs, size: *size, rate: *rate, warmup: *warmup, duration: *duration, connectionsGo: 16, randomIDs: *randomIDs})
		if err != nil {
			return err
		}
		r.add("acknowledged msgs/s", float64(res.acked)/res.window.Seconds(), "msgs/s")
		r.latencies("ack latency", &res.hist, targetP99, true)
		r.add("worst generator lag behind schedule", float64(res.worstLag)/float64(time.Millisecond), "ms")
		reportTraffic(r, res, t)
		return nil
	}
}

func setupOneChat(fs *flag.FlagSet, c *common) func(context.Context, *report) error {
	perMember := fs.Int("conns-per-member", 1, "connected devices of each of the two members (each send is pushed to every other one)")
	window := fs.Int("window", 128, "sends in flight per connection")
	size := fs.Int("size", 1024, "ciphertext `bytes` per message")
	duration := fs.Duration("duration", 10*time.Second, "measured time")
	warmup := fs.Duration("warmup", 2*time.Second, "load before measuring")
	return func(ctx context.Context, r *report) error {
		if *perMember < 1 || *perMember > 16 || *window < 1 || *window > 4096 {
			return usagef("--conns-per-member must be 1..16 and --window 1..4096")
		}
		t, err := c.target(ctx, r)
		if err != nil {
			return err
		}
		defer t.stop()
		base, _ := t.proc().Memory()
		r.param("chat", fmt.Sprintf("one direct chat, 2 members × %d connected devices, all sending", *perMember))
		r.param("window", *window)
		r.param("message", fmt.Sprintf("%d B random ciphertext", *size))
		r.param("measured", fmt.Sprintf("%v after %v warm-up", *duration, *warmup))
		res, err := runTraffic(ctx, t, trafficConfig{pairs: 1, perMember: *perMember, size: *size, window: *window, warmup: *warmup, duration: *duration, sampleMemory: true, connectionsGo: 4})
		if err != nil {
			return err
		}
		r.atLeast("durable msgs/s in one chat", float64(res.acked)/res.window.Seconds(), "msgs/s", targetOneChat)
		r.latencies("ack latency", &res.hist, 0, false)
		r.add("relay RSS before load", mib(base.RSS), "MiB")
		r.atMost("relay peak RSS under load", mib(res.peakMem.RSS), "MiB", targetOneChatRSS)
		r.add("relay peak PSS under load", mib(res.peakMem.PSS), "MiB")
		r.add("relay VmHWM (peak since start)", mib(res.peakMem.PeakRSS), "MiB")
		reportTraffic(r, res, t)
		return nil
	}
}
