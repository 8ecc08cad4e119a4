package relay_test

import (
	"bytes"
	"runtime"
	"testing"
	"time"

	"hush/ids"
	"hush/internal/testutil"
	"hush/relay"
	"hush/relay/relaytest"
	"hush/sync/wire"
)

// goroutinesIn counts the goroutines whose stack passes through any of funcs.
func goroutinesIn(funcs ...string) map[string]int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	counts := map[string]int{}
	for _, g := range bytes.Split(buf, []byte("\n\n")) {
		for _, f := range funcs {
			if bytes.Contains(g, []byte(f)) {
				counts[f]++
			}
		}
	}
	return counts
}

// TestIdleConnectionHoldsOneGoroutine checks what an idle authenticated connection
// costs the relay in goroutines: its read loop only. The write loop runs only while
// something is queued, and the HTTP handler that accepted the connection has
// returned (its stack, the request and net/http's connection state are freed).
func TestIdleConnectionHoldsOneGoroutine(t *testing.T) {
	const (
		readLoop   = "hush/relay.(*conn).readLoop"
		writeLoop  = "hush/relay.(*conn).writeLoop"
		httpServer = "net/http.(*conn).serve"
	)
	// Twenty accounts from one address: more than the hourly limit lets in.
	r := relaytest.Start(t, &relaytest.Options{Limits: relay.Limits{NewAccountsPerHour: relay.NoLimit}})
	const n = 20
	conns := make([]*relaytest.Conn, n)
	for i := range conns {
		conns[i] = relaytest.Dial(t, r, relaytest.NewAccount(t))
	}
	// Each connection is used once, so its write loop has run and ended.
	for _, c := range conns {
		requestErr(t, c, &wire.GetChat{ChatID: ids.New[ids.Chat]()}, wire.CodeNotFound)
	}
	var got map[string]int
	defer func() {
		if t.Failed() {
			t.Logf("with %d idle connections: %d read loops (want %d), %d write loops (want 0), %d HTTP handlers (want 0)",
				n, got[readLoop], n, got[writeLoop], got[httpServer])
		}
	}()
	testutil.Eventually(t, 10*time.Second, "one goroutine per idle connection", func() bool {
		got = goroutinesIn(readLoop, writeLoop, httpServer)
		return got[readLoop] == n && got[writeLoop] == 0 && got[httpServer] == 0
	})
}
