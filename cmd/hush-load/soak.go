package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"hush/cmd/hush-load/internal/ledger"
	"hush/cmd/hush-load/internal/loadclient"
	"hush/cmd/hush-load/internal/relayproc"
	"hush/ids"
	"hush/policy"
	"hush/sync/wire"
)

// Bounds of the soak.
const (
	maxKills          = 100000
	maxPushQueue      = 1 << 20               // pushes a receiver may have queued before it gives up
	requestTimeout    = 30 * time.Second      // one fetch or setup request
	restartAttempts   = 50                    // tries to rebind the relay's port after a kill
	restartRetryDelay = 20 * time.Millisecond // between those tries
	reconnectMin      = 5 * time.Millisecond  // client backoff after a failed connect…
	reconnectMax      = 100 * time.Millisecond
	maxStall          = 100 * time.Millisecond // a paced sender never bursts more than this behind
	afterLastKill     = 300 * time.Millisecond // load on the last relay before draining
	soakDrainTimeout  = 60 * time.Second       // for every sent message to be acknowledged at the end
	maxListedProblems = 10                     // problems quoted in the report
)

type soakConfig struct {
	kills          int
	minGap, maxGap time.Duration
	senders        int
	receivers      int
	chats          int
	window         int
	rate           float64
	size           int
	seed           uint64
	timeout        time.Duration

	// acksPerLife, if set, holds each kill until that many messages were
	// acknowledged in the relay's life (tests of what a kill loses need some).
	acksPerLife int
	// beforeRestart, if set, runs after kill k (1-based) while the relay is down;
	// tests use it to damage the database and check that the soak notices.
	beforeRestart func(k int, db string) error
	// dbEvery, on PostgreSQL, makes every dbEvery-th kill one of the database
	// (pg_ctl stop -m immediate, then start) instead of a relay; 0: none.
	dbEvery int

	// clientKills is how many client kills fall among the relay's (marks.go).
	clientKills int
	// noMarkResync leaves out reading the positions again after a reconnection:
	// what the app did before; tests use it to check that the soak notices.
	noMarkResync bool
	// receiptsWait bounds the wait for senders to be told the final read
	// positions (0: receiptsTimeout).
	receiptsWait time.Duration
}

func setupSoak(fs *flag.FlagSet, c *common) func(context.Context, *report) error {
	var cfg soakConfig
	fs.IntVar(&cfg.kills, "kills", 100, "SIGKILLs of the relay (each followed by a restart on the same database)")
	fs.IntVar(&cfg.clientKills, "client-kills", 100, "kills of clients meanwhile (a sender's connection, or a receiver with the read marks it had not sent yet); each receiver also dies once after storing its final marks when this is not 0")
	fs.DurationVar(&cfg.minGap, "min-interval", 50*time.Millisecond, "shortest time between the relay listening and its next kill")
	fs.DurationVar(&cfg.maxGap, "max-interval", 500*time.Millisecond, "longest such time (each gap is uniformly random in between)")
	fs.IntVar(&cfg.senders, "senders", 4, "sending devices (each its own account), spread over the chats")
	fs.IntVar(&cfg.receivers, "receivers", 2, "receiving devices, members of every chat, applying pushes and catching up after each reconnect")
	fs.IntVar(&cfg.chats, "chats", 2, "group chats")
	fs.IntVar(&cfg.window, "window", 32, "sends in flight per sender")
	fs.Float64Var(&cfg.rate, "rate", 0, "total offered `msgs/s` (0: as fast as the windows allow, so every kill lands with about senders×window sends in flight)")
	fs.IntVar(&cfg.size, "size", 256, "ciphertext `bytes` per message")
	fs.Uint64Var(&cfg.seed, "seed", 0, "seed of the kill intervals (0: random; printed, so a run can be repeated)")
	fs.DurationVar(&cfg.timeout, "timeout", 15*time.Minute, "bound of the whole run")
	fs.IntVar(&cfg.dbEvery, "db-every", 0, "with --store postgres: every `N`th kill crashes the database server instead (pg_ctl stop -m immediate, then start: it recovers from its WAL); 0: only relays are killed")
	return func(ctx context.Context, r *report) error {
		switch {
		case cfg.kills < 0 || cfg.kills > maxKills:
			return usagef("--kills must be 0..%d", maxKills)
		case cfg.clientKills < 0 || cfg.clientKills > maxKills:
			return usagef("--client-kills must be 0..%d", maxKills)
		case cfg.minGap <= 0 || cfg.maxGap < cfg.minGap || cfg.maxGap > time.Minute:
			return usagef("need 0 < --min-interval ≤ --max-interval ≤ 1m")
		case cfg.senders < 1 || cfg.senders > 256 || cfg.receivers < 1 || cfg.receivers > 16 || cfg.chats < 1 || cfg.chats > cfg.senders:
			return usagef("need 1 ≤ --chats ≤ --senders ≤ 256 and 1 ≤ --receivers ≤ 16")
		case cfg.window < 1 || cfg.window > 4096 || cfg.rate < 0 || cfg.rate > 1e6:
			return usagef("--window must be 1..4096 and --rate 0..1e6")
		case cfg.size < 1 || cfg.size > wire.MaxCiphertextSize:
			return usagef("--size must be 1..%d", wire.MaxCiphertextSize)
		case cfg.timeout <= 0:
			return usagef("--timeout must be positive")
		case cfg.dbEvery < 0 || cfg.dbEvery > 0 && c.store != storePostgres:
			return usagef("--db-every needs --store postgres, and must not be negative")
		}
		if cfg.seed == 0 {
			cfg.seed = rand.Uint64()
		}
		return runSoak(ctx, r, c, cfg)
	}
}

// soakRun is the shared state of one soak.
type soakRun struct {
	cfg    soakConfig
	urls   []string // one per relay node; a node's address never changes across restarts
	dialer *loadclient.Dialer
	led    *ledger.Ledger

	draining atomic.Bool
	drainWG  sync.WaitGroup // one per sender: everything it sent is acknowledged
	// receiptsDone is closed when senders may stop listening for receipts.
	receiptsDone chan struct{}
	reconnects   atomic.Int64
	resends      atomic.Int64
	// ackedOld counts resends the relay answered with a message committed in an
	// earlier life: the relay died after the commit, before the Ack reached us.
	ackedOld atomic.Int64

	errMu      sync.Mutex
	sendErrors map[string]int
	readErrors map[string]int // fetches refused while the database was down
}

// url is the node the idx-th client of a kind uses: clients are spread over the
// nodes in turn.
func (s *soakRun) url(idx int) string { return s.urls[idx%len(s.urls)] }

func (s *soakRun) readError(err error) {
	s.errMu.Lock()
	defer s.errMu.Unlock()
	s.readErrors[err.Error()]++
}

func (s *soakRun) sendError(err error) {
	s.errMu.Lock()
	defer s.errMu.Unlock()
	key := err.Error()
	var we *wire.Error
	if errors.As(err, &we) {
		key = we.Code.String()
	}
	s.sendErrors[key]++
}

// backoff is a client's reconnect delay: exponential with full jitter, as the app's
// client does, but with a small cap so a restarted relay is loaded again at once.
type backoff struct {
	rng *rand.Rand
	cur time.Duration
}

func newBackoff(seed uint64) *backoff {
	return &backoff{rng: rand.New(rand.NewPCG(seed, 0x5eed)), cur: reconnectMin}
}

func (b *backoff) wait(ctx context.Context) {
	d := time.Duration(b.rng.Int64N(int64(b.cur))) + time.Millisecond
	b.cur = min(2*b.cur, reconnectMax)
	sleepUntil(ctx, time.Now().Add(d))
}

func (b *backoff) reset() { b.cur = reconnectMin }

func runSoak(ctx context.Context, r *report, c *common, cfg soakConfig) error {
	ctx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel()
	dir, cleanup, err := c.workDir()
	if err != nil {
		return err
	}
	kept := false
	defer func() { cleanup(kept) }()
	if c.relayLog == "" {
		c.relayLog = filepath.Join(dir, "relay.log")
	}
	database, err := c.openDatabase(ctx, dir)
	if err != nil {
		return err
	}
	defer func() {
		if err := database.close(); err != nil {
			r.note("database stop: %v", err)
		}
	}()
	db := database.url
	kills := fmt.Sprintf("%d, each %v–%v after the relay listens (seed %d)", cfg.kills, cfg.minGap, cfg.maxGap, cfg.seed)
	if c.nodes > 1 {
		kills += "; relay nodes killed in turn"
	}
	if cfg.dbEvery > 0 {
		kills += fmt.Sprintf("; of every %d kills, the last crashes the database instead (pg_ctl stop -m immediate, then start)", cfg.dbEvery)
	}
	r.param("kills", kills)
	r.param("load", fmt.Sprintf("%d senders in %d group chats, %d receivers in every chat; window %d; %s; %d B messages", cfg.senders, cfg.chats, cfg.receivers, cfg.window, rateText(cfg.rate), cfg.size))
	r.param("database", database.describe())
	r.param("relay log", c.relayLog)

	procs := make([]*relayproc.Process, max(c.nodes, 1)) // a zero common is one relay
	defer func() {
		for _, p := range procs {
			if p != nil {
				p.Kill()
			}
		}
	}()
	var urls []string
	for i := range procs {
		if procs[i], err = c.startRelay(ctx, db, "", loadRelayArgs()...); err != nil {
			return err
		}
		urls = append(urls, procs[i].URL)
		r.param(fmt.Sprintf("relay %d", i+1), describeRelay(c, procs[i], loadRelayArgs()))
	}
	dialer, err := loadclient.NewDialer(nil)
	if err != nil {
		return err
	}
	run := &soakRun{cfg: cfg, urls: urls, dialer: dialer, led: ledger.New(), sendErrors: map[string]int{}, readErrors: map[string]int{}, receiptsDone: make(chan struct{})}
	senders, receivers, err := setupSoakChats(ctx, run)
	if err != nil {
		return err
	}
	run.drainWG.Add(len(senders))

	loadCtx, stopLoad := context.WithCancel(ctx)
	defer stopLoad()
	var sendWG, recvWG sync.WaitGroup
	sendErrs := make([]error, len(senders))
	for i, s := range senders {
		sendWG.Add(1)
		go func() { defer sendWG.Done(); sendErrs[i] = s.loop(loadCtx) }()
	}
	for _, rc := range receivers {
		recvWG.Add(1)
		go func() { defer recvWG.Done(); rc.err = rc.loop(loadCtx) }()
	}

	// Clients die meanwhile, as long as the relay does.
	killClients, stopKillingClients := context.WithCancel(loadCtx)
	defer stopKillingClients()
	clientKills := make(chan int, 1)
	go func() { clientKills <- clientKiller(killClients, cfg, senders, receivers) }()

	// The killer: wait a random gap after the relay listens, SIGKILL it, restart it.
	rng := rand.New(rand.NewPCG(cfg.seed, cfg.seed^0x9e3779b97f4a7c15))
	var underLoad, withAcks, dbKills int
	var inflightSum, inflightMax int
	var restartSum, restartMax, dbRestartSum, dbRestartMax time.Duration
	killErr := func() error {
		for k := 0; k < cfg.kills; k++ {
			gap := cfg.minGap + time.Duration(rng.Int64N(int64(cfg.maxGap-cfg.minGap)+1))
			ackedBefore := run.led.AckedCount()
			sleepUntil(ctx, time.Now().Add(gap))
			// A kill that must fall after acknowledgements waits for them, on a
			// loaded machine too.
			for run.led.AckedCount() < ackedBefore+cfg.acksPerLife && ctx.Err() == nil {
				sleepUntil(ctx, time.Now().Add(10*time.Millisecond))
			}
			if ctx.Err() != nil {
				return fmt.Errorf("after %d kills: %w", k, ctx.Err())
			}
			inflight := 0
			for _, s := range senders {
				inflight += s.outstanding()
			}
			ackedAtKill := run.led.AckedCount()
			if inflight > 0 {
				underLoad++
			}
			if ackedAtKill > ackedBefore {
				withAcks++
			}
			inflightSum += inflight
			inflightMax = max(inflightMax, inflight)
			if cfg.dbEvery > 0 && (k+1)%cfg.dbEvery == 0 {
				if err := database.pg.Crash(ctx); err != nil {
					return fmt.Errorf("kill %d, of the database: %w", k+1, err)
				}
				crashed := time.Now()
				if err := database.pg.Restart(ctx); err != nil {
					return fmt.Errorf("restart of the database after kill %d: %w", k+1, err)
				}
				dbKills++
				d := time.Since(crashed)
				dbRestartSum += d
				dbRestartMax = max(dbRestartMax, d)
				continue
			}
			node := k % len(procs)
			proc := procs[node]
			if err := proc.Kill(); err != nil {
				return err
			}
			killed := time.Now()
			if cfg.beforeRestart != nil {
				if err := cfg.beforeRestart(k+1, db); err != nil {
					return err
				}
			}
			next, err := restartRelay(ctx, c, db, proc.Addr)
			if err != nil {
				return fmt.Errorf("restart after kill %d: %w", k+1, err)
			}
			procs[node] = next
			d := time.Since(killed)
			restartSum += d
			restartMax = max(restartMax, d)
		}
		return nil
	}()
	stopKillingClients()
	clientKilled := <-clientKills
	if killErr == nil {
		sleepUntil(ctx, time.Now().Add(afterLastKill))
	}

	// Drain: no new messages; every sent one must be acknowledged.
	run.draining.Store(true)
	drained := killErr == nil && waitTimeout(&run.drainWG, soakDrainTimeout)
	if !drained {
		stopLoad()
		sendWG.Wait()
	}
	// Fetch every chat log whole, then let the receivers catch up once more.
	var logs map[ids.Chat][]wire.Entry
	fetchErr := errors.New("skipped: the relay did not come back")
	if killErr == nil {
		logs, fetchErr = fetchLogs(ctx, run, receivers[0].dev, senders)
	}
	for _, rc := range receivers {
		close(rc.finish)
	}
	if !waitTimeout(&recvWG, soakDrainTimeout) {
		stopLoad()
		recvWG.Wait()
	}
	// The read marks: at the relay, and as the senders were told them.
	var marks markResult
	marksErr := errors.New("skipped: the logs were not read")
	if fetchErr == nil {
		marks, marksErr = checkMarks(ctx, run, senders, receivers, logs)
	}
	close(run.receiptsDone)
	stopLoad()
	sendWG.Wait()
	for i, p := range procs {
		if err := p.Stop(30 * time.Second); err != nil {
			r.note("final stop of relay %d: %v", i+1, err)
		}
	}

	// The books.
	res := ledger.Result{}
	if fetchErr == nil {
		res = run.led.Check(logs)
	}
	var viaPush, viaFetch, repeats int
	for _, rc := range receivers {
		viaPush += rc.viaPush
		viaFetch += rc.viaFetch
		res.Merge(rc.extra)
		for chat, v := range rc.views {
			repeats += v.Repeats()
			res.Merge(v.Problems())
			if fetchErr == nil {
				res.Merge(v.Compare(logs[chat], rc.err == nil))
			}
		}
	}
	unacked := 0
	for _, s := range senders {
		unacked += s.outstanding()
	}

	r.add("relay kills (SIGKILL)", float64(cfg.kills-dbKills), "")
	if cfg.dbEvery > 0 {
		r.add("database crashes (pg_ctl stop -m immediate)", float64(dbKills), "")
		if dbKills > 0 {
			r.add("database restart (crash → accepting), mean", float64(dbRestartSum/time.Duration(dbKills))/float64(time.Millisecond), "ms")
			r.add("database restart (crash → accepting), max", float64(dbRestartMax)/float64(time.Millisecond), "ms")
		}
	}
	r.add("kills with unacknowledged sends", float64(underLoad), "")
	r.add("kills after acknowledgements in that relay's life", float64(withAcks), "")
	if cfg.kills > 0 {
		r.add("unacknowledged sends at a kill, mean", float64(inflightSum)/float64(cfg.kills), "")
		r.add("unacknowledged sends at a kill, max", float64(inflightMax), "")
	}
	if relayKills := cfg.kills - dbKills; relayKills > 0 {
		r.add("restart (kill → listening), mean", float64(restartSum/time.Duration(relayKills))/float64(time.Millisecond), "ms")
		r.add("restart (kill → listening), max", float64(restartMax)/float64(time.Millisecond), "ms")
	}
	r.add("messages sent", float64(run.led.SentCount()), "")
	r.add("messages acknowledged", float64(res.Acked), "")
	r.add("entries in the chat logs", float64(res.Stored), "")
	r.add("stored, never acknowledged", float64(res.Unacked), "")
	r.add("sent, still unacknowledged at the end", float64(unacked), "")
	r.add("resends after reconnecting", float64(run.resends.Load()), "")
	r.add("resends answered from an earlier relay life (ack lost in a kill)", float64(run.ackedOld.Load()), "")
	r.add("client reconnections", float64(run.reconnects.Load()), "")
	r.atMost("acknowledged messages lost", float64(res.Count(ledger.Lost)), "", 0)
	r.atMost("duplicate message ids (logs and devices)", float64(res.Count(ledger.Duplicate)), "", 0)
	r.atMost("seq gaps", float64(res.Count(ledger.Gap)+res.Count(ledger.BadSeq)), "", 0)
	r.atMost("seq mismatches (ack vs log vs device)", float64(res.Count(ledger.SeqMismatch)+res.Count(ledger.AckConflict)), "", 0)
	r.atMost("one sender's messages out of order", float64(res.Count(ledger.OutOfOrder)), "", 0)
	r.atMost("unknown ids in the logs", float64(res.Count(ledger.Unknown)), "", 0)
	r.add("client kills during the load", float64(clientKilled), "")
	r.add("receiver deaths (each also once after storing its final marks)", float64(marks.receiverDeaths), "")
	r.add("read marks acknowledged by the relay", float64(marks.marksSent), "")
	r.atMost("read marks behind at the relay at the end", float64(marks.relayBehind), "", 0)
	r.atMost("receivers not read to the end", float64(marks.unread), "", 0)
	r.atMost("senders never told a final read position", float64(marks.sendersBehind), "", 0)
	r.add("entries given to receivers by push", float64(viaPush), "")
	r.add("entries given to receivers by fetch", float64(viaFetch), "")
	r.add("repeated deliveries dropped by (chat, seq)", float64(repeats), "")

	var failures []string
	if killErr != nil {
		failures = append(failures, killErr.Error())
	}
	if !drained && killErr == nil {
		failures = append(failures, fmt.Sprintf("%d sent messages were still unacknowledged %v after the last kill", unacked, soakDrainTimeout))
	}
	for i, err := range sendErrs {
		if err != nil && !errors.Is(err, context.Canceled) {
			failures = append(failures, fmt.Sprintf("sender %d: %v", i, err))
		}
	}
	for i, rc := range receivers {
		if rc.err != nil {
			failures = append(failures, fmt.Sprintf("receiver %d: %v", i, rc.err))
		}
	}
	if fetchErr != nil {
		failures = append(failures, "final fetch: "+fetchErr.Error())
	} else if marksErr != nil {
		failures = append(failures, "read marks: "+marksErr.Error())
	}
	if res.Acked == 0 {
		failures = append(failures, "no message was acknowledged: the soak loaded nothing")
	}
	if len(run.sendErrors) > 0 {
		r.note("sends refused by the relay (each followed by a reconnect and an in-order resend): %s", countList(run.sendErrors))
	}
	if len(run.readErrors) > 0 {
		r.note("fetches refused by the relay (each followed by a reconnect and a catch-up): %s", countList(run.readErrors))
	}
	for i, p := range res.Problems {
		if i == maxListedProblems {
			r.note("… %d more problems", len(res.Problems)-i)
			break
		}
		r.note("%v", p)
	}
	for i, p := range marks.problems {
		if i == maxListedProblems {
			r.note("… %d more problems with read marks", len(marks.problems)-i)
			break
		}
		r.note("%s", p)
	}
	if !res.OK() || len(failures) > 0 || len(marks.problems) > 0 {
		r.Failed = true
		kept = true
		for _, f := range failures {
			r.note("failure: %s", f)
		}
		r.note("database and relay log kept in %s", dir)
	}
	return nil
}

// countList writes counts by kind as "kind ×n, …", sorted.
func countList(counts map[string]int) string {
	var parts []string
	for k, n := range counts {
		parts = append(parts, fmt.Sprintf("%s ×%d", k, n))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

func rateText(rate float64) string {
	if rate == 0 {
		return "as fast as acknowledgements allow"
	}
	return fmt.Sprintf("%.0f msgs/s offered in total", rate)
}

// restartRelay starts the relay again on the same database and address; the port
// may take a moment to be free again.
func restartRelay(ctx context.Context, c *common, db, addr string) (*relayproc.Process, error) {
	var err error
	for range restartAttempts {
		var p *relayproc.Process
		p, err = c.startRelay(ctx, db, addr, loadRelayArgs()...)
		if err == nil {
			return p, nil
		}
		// A relay that exits before it listens most often found the port still
		// held by the one just killed.
		if !errors.Is(err, relayproc.ErrExited) || ctx.Err() != nil {
			return nil, err
		}
		sleepUntil(ctx, time.Now().Add(restartRetryDelay))
	}
	return nil, err
}

func waitTimeout(wg *sync.WaitGroup, d time.Duration) bool {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
		return true
	case <-time.After(d):
		return false
	}
}

// setupSoakChats makes the devices and the group chats: chat i has the senders
// i, i+chats, i+2·chats, … and every receiver.
func setupSoakChats(ctx context.Context, run *soakRun) ([]*soakSender, []*soakReceiver, error) {
	cfg := run.cfg
	ctx, cancel := context.WithTimeout(ctx, setupTimeout)
	defer cancel()
	devs, err := newDevices(cfg.senders + cfg.receivers)
	if err != nil {
		return nil, nil, err
	}
	sendDevs, recvDevs := devs[:cfg.senders], devs[cfg.senders:]
	// Every device authenticates once so the relay knows its account.
	conns, err := connectAll(ctx, run.dialer, run.urls, devs, 8)
	if err != nil {
		return nil, nil, fmt.Errorf("setup: %w", err)
	}
	defer closeAll(conns)
	chats := make([]ids.Chat, cfg.chats)
	for i := range chats {
		var members []*loadclient.Device
		for j := i + cfg.chats; j < cfg.senders; j += cfg.chats {
			members = append(members, sendDevs[j])
		}
		members = append(members, recvDevs...)
		if chats[i], err = createChat(ctx, conns[i], sendDevs[i], policy.KindGroup, members); err != nil {
			return nil, nil, fmt.Errorf("setup: %w", err)
		}
	}
	var interval time.Duration
	if cfg.rate > 0 {
		interval = time.Duration(float64(time.Second) * float64(cfg.senders) / cfg.rate)
	}
	senders := make([]*soakSender, cfg.senders)
	for i, d := range sendDevs {
		senders[i] = &soakSender{run: run, idx: i, dev: d, chat: chats[i%cfg.chats], payload: randomPayload(cfg.size), interval: interval, unacked: map[ids.Message]struct{}{}}
	}
	receivers := make([]*soakReceiver, cfg.receivers)
	for i, d := range recvDevs {
		rc := &soakReceiver{run: run, idx: i, dev: d, chats: chats, views: map[ids.Chat]*ledger.View{}, finish: make(chan struct{}), kill: make(chan struct{}, 1), marks: newMarkState()}
		for _, c := range chats {
			rc.views[c] = ledger.NewView(c)
		}
		receivers[i] = rc
	}
	return senders, receivers, nil
}

// soakSender sends into one chat, keeps every unacknowledged message in an
// outbox, and after each reconnect resends the outbox in order with the same ids —
// what the app's client does with its vault outbox.
type soakSender struct {
	run      *soakRun
	idx      int
	dev      *loadclient.Device
	chat     ids.Chat
	payload  []byte
	interval time.Duration // between sends; 0 for a closed loop

	mu      sync.Mutex
	order   []ids.Message // first-send order; may still hold acknowledged ids
	unacked map[ids.Message]struct{}

	conn     atomic.Pointer[loadclient.Conn] // the current connection, for client kills
	receipts receipts
	drained  sync.Once
}

func (s *soakSender) add(id ids.Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.order = append(s.order, id)
	s.unacked[id] = struct{}{}
}

func (s *soakSender) ack(id ids.Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.unacked, id)
	if len(s.order) > 2*len(s.unacked)+64 {
		s.compactLocked()
	}
}

func (s *soakSender) compactLocked() {
	kept := s.order[:0]
	for _, id := range s.order {
		if _, ok := s.unacked[id]; ok {
			kept = append(kept, id)
		}
	}
	clear(s.order[len(kept):])
	s.order = kept
}

func (s *soakSender) outstanding() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.unacked)
}

// pending returns the unacknowledged ids in send order.
func (s *soakSender) pending() []ids.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.compactLocked()
	return append([]ids.Message(nil), s.order...)
}

// loop connects, sends and reconnects until, once draining, nothing is left
// unacknowledged.
func (s *soakSender) loop(ctx context.Context) error {
	bo := newBackoff(uint64(s.idx) + 1)
	for ctx.Err() == nil {
		if s.run.draining.Load() && s.outstanding() == 0 {
			s.drained.Do(s.run.drainWG.Done)
			select {
			case <-s.run.receiptsDone:
				return nil
			default: // stay connected: receipts still come
			}
		}
		conn, err := dialAuth(ctx, s.run.dialer, s.run.url(s.idx), s.dev)
		if err != nil {
			bo.wait(ctx)
			continue
		}
		bo.reset()
		s.session(ctx, conn)
		conn.CloseNow()
		<-conn.Done()
		s.run.reconnects.Add(1)
	}
	return ctx.Err()
}

func (s *soakSender) session(ctx context.Context, conn *loadclient.Conn) {
	// Messages of the other senders are dropped; receipts kept; a relay's CatchUp
	// (it missed other relays' announcements) reads the positions again, as a
	// device does.
	conn.Run(func(f wire.Frame) {
		s.onPush(f)
		if _, ok := f.Body.(*wire.CatchUp); ok {
			go s.resyncReceipts(ctx, conn)
		}
	})
	s.conn.Store(conn)
	defer s.conn.Store(nil)
	if err := s.resyncReceipts(ctx, conn); err != nil {
		return
	}
	sem := make(chan struct{}, s.run.cfg.window)
	release := func() { <-sem }
	acquire := func() bool {
		select {
		case sem <- struct{}{}:
			return true
		case <-conn.Done():
		case <-ctx.Done():
		}
		return false
	}
	started := wire.Millis(time.Now())
	for _, id := range s.pending() {
		if !acquire() {
			return
		}
		s.run.resends.Add(1)
		if !s.send(ctx, conn, id, started, release) {
			return
		}
	}
	next := time.Now()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for !s.run.draining.Load() {
		if s.interval > 0 {
			if now := time.Now(); next.Before(now.Add(-maxStall)) {
				next = now
			}
			if d := time.Until(next); d > 0 {
				timer.Reset(d)
				select {
				case <-timer.C:
				case <-conn.Done():
					return
				case <-ctx.Done():
					return
				}
			}
			next = next.Add(s.interval)
		}
		if !acquire() {
			return
		}
		id := ids.NewOrdered[ids.Message](time.Now())
		s.run.led.Sent(s.idx, ledger.Ref{Chat: s.chat, ID: id})
		s.add(id)
		if !s.send(ctx, conn, id, 0, release) {
			return
		}
	}
	for s.outstanding() > 0 {
		select {
		case <-conn.Done():
			return
		case <-ctx.Done():
			return
		case <-time.After(5 * time.Millisecond):
		}
	}
	s.drained.Do(s.run.drainWG.Done)
	select {
	case <-s.run.receiptsDone:
	case <-conn.Done():
	case <-ctx.Done():
	}
}

// send sends one message; false means the connection is gone. A resend gives the
// time (Unix ms) its session started: an Ack with an older ServerTime was committed
// by an earlier relay process.
func (s *soakSender) send(ctx context.Context, conn *loadclient.Conn, id ids.Message, resentAt int64, release func()) bool {
	err := conn.Go(ctx, &wire.Send{ChatID: s.chat, MsgID: id, Epoch: 1, Ciphertext: s.payload}, func(b wire.Body, err error) {
		defer release()
		if err != nil {
			if !errors.Is(err, loadclient.ErrClosed) {
				// A refusal: stop this connection so the resend starts from the
				// first unacknowledged message and the order holds.
				s.run.sendError(err)
				conn.CloseNow()
			}
			return
		}
		ack, ok := b.(*wire.Ack)
		if !ok || ack.MsgID != id || ack.ChatID != s.chat {
			s.run.sendError(fmt.Errorf("send answered with %v for another message", b.Type()))
			conn.CloseNow()
			return
		}
		s.run.led.Acked(ledger.Ref{Chat: s.chat, ID: id}, ack.Seq)
		if ack.ServerTime < resentAt {
			s.run.ackedOld.Add(1)
		}
		s.ack(id)
	})
	if err != nil {
		release()
		return false
	}
	return true
}

// soakReceiver is a device in every chat: it catches up by fetching after each
// (re)connect, applies pushes, and fetches when a push shows a gap — what
// PROTOCOL.md asks of a client. Its views record what it was given.
type soakReceiver struct {
	run    *soakRun
	idx    int
	dev    *loadclient.Device
	chats  []ids.Chat
	views  map[ids.Chat]*ledger.View // owned by the loop until it returns
	finish chan struct{}             // closed: catch up once more and stop
	kill   chan struct{}             // a client kill
	marks  markState                 // owned by the loop until it returns
	// finishing is set once the final positions are stored: the next session
	// sends what is unsent and ends.
	finishing bool

	extra    ledger.Result // problems the receiver itself found
	viaPush  int
	viaFetch int
	err      error // why the loop ended, if not asked to
}

// pushQueue holds pushes between the read loop and the receiver.
type pushQueue struct {
	mu       sync.Mutex
	frames   []wire.Frame
	overflow bool
	wake     chan struct{}
}

func (q *pushQueue) add(f wire.Frame) {
	if f.Type != wire.TypePush {
		return
	}
	q.mu.Lock()
	if len(q.frames) >= maxPushQueue {
		q.overflow = true
	} else {
		q.frames = append(q.frames, f)
	}
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

func (q *pushQueue) take() ([]wire.Frame, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	f := q.frames
	q.frames = nil
	return f, q.overflow
}

func (rc *soakReceiver) loop(ctx context.Context) error {
	bo := newBackoff(uint64(rc.idx) + 1000)
	for ctx.Err() == nil {
		// Receivers start one node further than senders, so that with several
		// nodes what a sender commits reaches them through another relay.
		conn, err := dialAuth(ctx, rc.run.dialer, rc.run.url(rc.idx+1), rc.dev)
		if err != nil {
			bo.wait(ctx)
			continue
		}
		bo.reset()
		done, err := rc.session(ctx, conn)
		conn.CloseNow()
		<-conn.Done()
		if done || err != nil {
			return err
		}
	}
	return ctx.Err()
}

// session runs one connection; done reports that the final catch-up finished. A
// connection that dies returns (false, nil): the loop reconnects.
func (rc *soakReceiver) session(ctx context.Context, conn *loadclient.Conn) (done bool, err error) {
	q := &pushQueue{wake: make(chan struct{}, 1)}
	conn.Run(q.add)
	for _, chat := range rc.chats {
		if err := rc.catchUp(ctx, conn, chat); err != nil {
			return false, rc.fatal(err)
		}
	}
	if err := rc.resyncMarks(ctx, conn); err != nil {
		return false, rc.fatal(err)
	}
	if rc.finishing {
		if err := rc.flushMarks(ctx, conn); err != nil {
			return false, rc.fatal(err)
		}
		return true, nil
	}
	tick := time.NewTicker(markEvery)
	defer tick.Stop()
	handle := func() error {
		frames, overflow := q.take()
		if overflow {
			return fmt.Errorf("more than %d pushes queued", maxPushQueue)
		}
		for _, f := range frames {
			if err := rc.handle(ctx, conn, f); err != nil {
				return err
			}
		}
		return nil
	}
	for {
		select {
		case <-q.wake:
			if err := handle(); err != nil {
				return false, rc.fatal(err)
			}
		case <-tick.C:
			// Send what the last tick stored, then store what came since.
			if err := rc.flushMarks(ctx, conn); err != nil {
				return false, rc.fatal(err)
			}
			rc.storeMarks(false)
		case <-rc.kill:
			rc.die()
			return false, nil
		case <-conn.Done():
			return false, nil
		case <-rc.finish:
			if err := handle(); err != nil {
				return false, rc.fatal(err)
			}
			for _, chat := range rc.chats {
				if err := rc.catchUp(ctx, conn, chat); err != nil {
					return false, rc.fatal(err)
				}
			}
			rc.storeMarks(true)
			rc.finishing = true
			if rc.run.cfg.clientKills > 0 {
				// The device dies with its last marks stored and unsent: the
				// next session must find the relay behind and send them.
				rc.die()
				return false, nil
			}
			if err := rc.flushMarks(ctx, conn); err != nil {
				return false, rc.fatal(err)
			}
			return true, nil
		case <-ctx.Done():
			return true, ctx.Err()
		}
	}
}

// fatal keeps the errors that reconnecting cannot cure: a closed connection
// (the relay was killed) is normal in a soak.
func (rc *soakReceiver) fatal(err error) error {
	if errors.Is(err, loadclient.ErrClosed) {
		return nil
	}
	var we *wire.Error
	if errors.As(err, &we) && we.Code == wire.CodeShuttingDown {
		return nil
	}
	if errors.As(err, &we) && we.Code == wire.CodeInternal {
		// The relay's store failed: the database was crashed on purpose. The
		// catch-up after reconnecting reads what was missed.
		rc.run.readError(err)
		return nil
	}
	return err
}

func (rc *soakReceiver) handle(ctx context.Context, conn *loadclient.Conn, f wire.Frame) error {
	p, ok := f.Body.(*wire.Push)
	if !ok {
		return nil
	}
	v := rc.views[p.ChatID]
	if v == nil {
		return nil
	}
	switch v.Apply(p.Entry.Seq, p.Entry.MsgID) {
	case ledger.Applied:
		rc.viaPush++
	case ledger.Ahead:
		if err := rc.catchUp(ctx, conn, p.ChatID); err != nil {
			return err
		}
		if v.Apply(p.Entry.Seq, p.Entry.MsgID) == ledger.Ahead {
			rc.extra.Merge(problem(ledger.Gap, p.ChatID, p.Entry.MsgID, p.Entry.Seq, fmt.Sprintf("pushed, but a fetch after it ends at seq %d", v.Cursor())))
		}
	}
	return nil
}

// catchUp fetches a chat from the view's cursor until the relay says there is no
// more.
func (rc *soakReceiver) catchUp(ctx context.Context, conn *loadclient.Conn, chat ids.Chat) error {
	v := rc.views[chat]
	for {
		rctx, cancel := context.WithTimeout(ctx, requestTimeout)
		resp, err := conn.Request(rctx, &wire.Fetch{ChatID: chat, AfterSeq: v.Cursor(), Limit: wire.MaxPageEntries})
		cancel()
		if err != nil {
			return fmt.Errorf("fetch: %w", err)
		}
		page, ok := resp.(*wire.Page)
		if !ok {
			return fmt.Errorf("fetch answered with %v", resp.Type())
		}
		for _, e := range page.Entries {
			switch v.Apply(e.Seq, e.MsgID) {
			case ledger.Applied:
				rc.viaFetch++
			case ledger.Ahead:
				rc.extra.Merge(problem(ledger.Gap, chat, e.MsgID, e.Seq, fmt.Sprintf("a fetch after seq %d returned seq %d", v.Cursor(), e.Seq)))
				return nil
			}
		}
		if !page.More || len(page.Entries) == 0 {
			return nil
		}
	}
}

// problem makes a result holding one problem, to merge into another.
func problem(k ledger.Kind, chat ids.Chat, id ids.Message, seq uint64, detail string) ledger.Result {
	return ledger.Result{Counts: map[ledger.Kind]int{k: 1}, Problems: []ledger.Problem{{Kind: k, Chat: chat, ID: id, Seq: seq, Detail: detail}}}
}

// fetchLogs reads every chat log whole over a fresh connection of a member device.
func fetchLogs(ctx context.Context, run *soakRun, member *loadclient.Device, senders []*soakSender) (map[ids.Chat][]wire.Entry, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	conn, err := dialAuth(ctx, run.dialer, run.url(0), member)
	if err != nil {
		return nil, err
	}
	defer conn.CloseNow()
	conn.Run(nil)
	logs := map[ids.Chat][]wire.Entry{}
	for _, s := range senders {
		if _, done := logs[s.chat]; done {
			continue
		}
		var entries []wire.Entry
		after := uint64(0)
		for {
			resp, err := conn.Request(ctx, &wire.Fetch{ChatID: s.chat, AfterSeq: after, Limit: wire.MaxPageEntries})
			if err != nil {
				return nil, fmt.Errorf("fetch chat %v after %d: %w", s.chat, after, err)
			}
			page, ok := resp.(*wire.Page)
			if !ok {
				return nil, fmt.Errorf("fetch answered with %v", resp.Type())
			}
			for _, e := range page.Entries {
				e.Ciphertext = nil // the books need ids and seqs only
				entries = append(entries, e)
			}
			if !page.More || len(page.Entries) == 0 {
				break
			}
			after = page.Entries[len(page.Entries)-1].Seq
		}
		logs[s.chat] = entries
	}
	return logs, nil
}
