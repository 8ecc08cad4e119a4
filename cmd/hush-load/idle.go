package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/netip"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"hush/cmd/hush-load/internal/loadclient"
	"hush/ids"
	"hush/sync/wire"
)

// fdReserve is how many descriptors each process keeps for everything but the
// connections: the relay's database, WAL and listener, our own files.
const fdReserve = 128

// maxIdleConns bounds the idle mode.
const maxIdleConns = 1 << 20

// idlePhaseTimeout bounds each phase of the idle mode (registering, connecting,
// checking).
const idlePhaseTimeout = 10 * time.Minute

func setupIdle(fs *flag.FlagSet, c *common) func(context.Context, *report) error {
	conns := fs.Int("conns", targetIdleConns, "idle authenticated `connections` to open (capped by the open-files hard limit of this process and the relay)")
	sources := fs.Int("sources", 8, "spread the client side over this many source addresses 127.0.0.2, 127.0.0.3, … (each gives about 28k ephemeral ports)")
	perAccount := fs.Int("devices-per-account", 1, "devices per account (the relay allows 16 connections per account)")
	concurrency := fs.Int("dial-concurrency", 32, "connections opened at once")
	settle := fs.Duration("settle", 5*time.Second, "wait after the last connection before measuring the relay's memory")
	fs.StringVar(&c.heapProfile, "relay-heapprofile", "", "after measuring, have the relay child write its heap profile to this `file` and its runtime memory statistics to its log (--relay-log); only for the default relay child")
	return func(ctx context.Context, r *report) error {
		if *conns < 1 || *conns > maxIdleConns || *sources < 1 || *sources > 250 || *perAccount < 1 || *perAccount > 16 || *concurrency < 1 || *concurrency > 1024 {
			return usagef("--conns must be 1..%d, --sources 1..250, --devices-per-account 1..16, --dial-concurrency 1..1024", maxIdleConns)
		}
		if *settle < 0 || *settle > maxDuration {
			return usagef("--settle must be in [0, %v]", maxDuration)
		}
		return runIdle(ctx, r, c, *conns, *sources, *perAccount, *concurrency, *settle)
	}
}

func runIdle(ctx context.Context, r *report, c *common, n, sources, perAccount, concurrency int, settle time.Duration) error {
	soft, hard, err := raiseFileLimit()
	if err != nil {
		return err
	}
	r.param("open-files limit", fmt.Sprintf("soft raised to %d (hard %d); the relay child inherits it", soft, hard))
	asked := n
	if capacity := int(soft) - fdReserve; n > capacity {
		n = capacity
		r.note("asked for %d connections; the open-files hard limit of %d (RLIMIT_NOFILE, which only a process with CAP_SYS_RESOURCE can raise) caps both the load generator and the relay at about %d, so %d were opened", asked, hard, capacity, n)
	}
	var srcs []netip.Addr
	a := netip.MustParseAddr("127.0.0.1")
	for range sources {
		a = a.Next()
		srcs = append(srcs, a)
	}
	r.param("connections", n)
	r.param("source addresses", fmt.Sprintf("%v … %v (%d)", srcs[0], srcs[len(srcs)-1], len(srcs)))
	r.param("devices per account", perAccount)

	devs, err := idleDevices(n, perAccount)
	if err != nil {
		return err
	}
	dialer, err := loadclient.NewDialer(srcs)
	if err != nil {
		return err
	}
	dir, cleanup, err := c.workDir()
	if err != nil {
		return err
	}
	defer cleanup(false)
	db := filepath.Join(dir, "relay.db")
	r.param("database", db)

	// Phase 1: register every account and device with a first relay process, so the
	// measured relay only authenticates known devices: its memory then holds
	// connections, not first-registration state (write-path caches, a growing
	// database cache).
	p, err := c.startRelay(ctx, db, "")
	if err != nil {
		return err
	}
	regStart := time.Now()
	done, err := eachConn(ctx, dialer, p.URL, devs, concurrency, func(conn *loadclient.Conn) error { return conn.CloseNow() })
	regTime := time.Since(regStart)
	if serr := p.Stop(30 * time.Second); serr != nil && err == nil {
		err = serr
	}
	if err != nil {
		return fmt.Errorf("register devices (%d done): %w", done, err)
	}
	r.add("first authentications (registering) per second", float64(n)/regTime.Seconds(), "conns/s")

	// Phase 2: a fresh relay on that database; baseline, then n idle connections.
	p, err = c.startRelay(ctx, db, "")
	if err != nil {
		return err
	}
	defer p.Stop(30 * time.Second)
	r.param("relay", describeRelay(c, p, nil)+" (default limits)")
	sleepUntil(ctx, time.Now().Add(time.Second))
	base, err := p.Memory()
	if err != nil {
		return err
	}
	open := make([]*loadclient.Conn, n)
	var idx atomic.Int64
	connStart := time.Now()
	opened, err := eachConn(ctx, dialer, p.URL, devs, concurrency, func(conn *loadclient.Conn) error {
		open[idx.Add(1)-1] = conn
		return nil
	})
	connTime := time.Since(connStart)
	defer closeAll(open)
	if err != nil {
		return fmt.Errorf("open idle connections (%d open): %w", opened, err)
	}
	r.add("authenticated connections per second", float64(n)/connTime.Seconds(), "conns/s")
	sleepUntil(ctx, time.Now().Add(settle))
	if ctx.Err() != nil {
		return ctx.Err()
	}
	mem, err := p.Memory()
	if err != nil {
		return err
	}

	if c.heapProfile != "" {
		if err := p.DumpHeap(); err != nil {
			return err
		}
		sleepUntil(ctx, time.Now().Add(2*time.Second))
	}

	// Every connection must still be open and authenticated when measured: ask each
	// for a chat that does not exist and expect "not found" (not "unauthenticated",
	// not a closed socket).
	alive, err := checkAlive(ctx, open, concurrency)
	if err != nil {
		return err
	}
	r.add("relay RSS before connections", mib(base.RSS), "MiB")
	r.add("relay RSS with the connections", mib(mem.RSS), "MiB")
	r.add("relay PSS with the connections", mib(mem.PSS), "MiB")
	r.add("connections alive and authenticated after measuring", float64(alive), "")
	perConn := float64(mem.RSS-base.RSS) / float64(n) / 1024
	r.atMost("relay RSS per idle connection", perConn, "KiB", targetIdlePerConn)
	r.add("relay PSS per idle connection", float64(mem.PSS-base.PSS)/float64(n)/1024, "KiB")
	if alive != n {
		r.note("%d of %d connections were not alive after the measurement", n-alive, n)
		r.Failed = true
	}
	if n < targetIdleConns {
		r.note("the target is stated for %d connections; this run had %d", targetIdleConns, n)
	}
	return nil
}

// idleDevices makes n devices, perAccount per account.
func idleDevices(n, perAccount int) ([]*loadclient.Device, error) {
	accounts, err := newDevices((n + perAccount - 1) / perAccount)
	if err != nil {
		return nil, err
	}
	devs := make([]*loadclient.Device, 0, n)
	for _, a := range accounts {
		devs = append(devs, a)
		for range perAccount - 1 {
			if len(devs) == n {
				break
			}
			s, err := a.Sibling()
			if err != nil {
				return nil, err
			}
			devs = append(devs, s)
		}
	}
	return devs[:n], nil
}

// eachConn dials and authenticates every device, concurrency at a time, and hands
// each connection to fn. It returns how many succeeded and the first failure.
func eachConn(ctx context.Context, d *loadclient.Dialer, url string, devs []*loadclient.Device, concurrency int, fn func(*loadclient.Conn) error) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, idlePhaseTimeout)
	defer cancel()
	var next, ok atomic.Int64
	var mu sync.Mutex
	var firstErr error
	var wg sync.WaitGroup
	for range min(concurrency, len(devs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= len(devs) {
					return
				}
				c, err := dialAuth(ctx, d, url, devs[i])
				if err == nil {
					err = fn(c)
				}
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = fmt.Errorf("connection %d: %w", i, err)
						cancel()
					}
					mu.Unlock()
					return
				}
				ok.Add(1)
			}
		}()
	}
	wg.Wait()
	if firstErr == nil && ctx.Err() != nil {
		firstErr = ctx.Err()
	}
	return int(ok.Load()), firstErr
}

// checkAlive asks every connection for an unknown chat and counts the ones that
// answer "not found".
func checkAlive(ctx context.Context, conns []*loadclient.Conn, concurrency int) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, idlePhaseTimeout)
	defer cancel()
	var next, alive atomic.Int64
	var wg sync.WaitGroup
	for range min(concurrency, len(conns)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= len(conns) {
					return
				}
				_, err := conns[i].RoundTrip(ctx, &wire.GetChat{ChatID: ids.New[ids.Chat]()})
				if errors.Is(err, wire.ErrNotFound) {
					alive.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	return int(alive.Load()), ctx.Err()
}
