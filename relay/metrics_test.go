package relay_test

import (
	"bufio"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"hush/ids"
	"hush/policy"
	"hush/relay"
	"hush/relay/relaytest"
	"hush/relay/store"
	"hush/sync/wire"
)

// scrape reads s's metrics as the text format, by series (name and labels).
func scrape(t *testing.T, s *relay.Server) map[string]float64 {
	t.Helper()
	rec := httptest.NewRecorder()
	s.MetricsHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("metrics: status %d", rec.Code)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(rec.Body)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	return out
}

// TestMetrics checks that the listed metrics count what happened on one relay, and
// that a second relay in the same process counts apart (a registry per server).
func TestMetrics(t *testing.T) {
	r := relaytest.Start(t, nil)
	other := relaytest.Start(t, nil)
	alice, bob := relaytest.NewAccount(t), relaytest.NewAccount(t)
	a := relaytest.Dial(t, r, alice)
	relaytest.Dial(t, r, bob)
	chat := chatWith(t, a, policy.KindDirect, alice, bob)
	const sent = 3
	for range sent {
		request[*wire.Ack](t, a, &wire.Send{ChatID: chat, MsgID: ids.New[ids.Message](), Epoch: 1, Ciphertext: []byte("x")})
	}
	requestErr(t, a, &wire.LookupHandle{Handle: "nobody"}, wire.CodeNotFound)
	requestErr(t, a, &wire.LookupHandle{Handle: "no one"}, wire.CodeInvalidHandle)

	got := scrape(t, r.Server)
	tests := []struct {
		series string
		want   func(float64) bool
		say    string
	}{
		{"hush_relay_messages_total", func(v float64) bool { return v == sent }, "3"},
		{"hush_relay_connections", func(v float64) bool { return v == 2 }, "2"},
		{`hush_relay_errors_total{code="` + wire.CodeNotFound.String() + `"}`, func(v float64) bool { return v == 1 }, "1"},
		{`hush_relay_errors_total{code="` + wire.CodeInvalidHandle.String() + `"}`, func(v float64) bool { return v == 1 }, "1"},
		// Registrations, seen marks, the chat, its epoch and the messages: at least
		// one commit each for the messages, sent one after another.
		{"hush_relay_commit_duration_seconds_count", func(v float64) bool { return v >= sent }, ">= 3"},
		{"hush_relay_commit_batch_writes_sum", func(v float64) bool { return v >= sent+3 }, ">= 6"},
		{"hush_relay_commit_failures_total", func(v float64) bool { return v == 0 }, "0"},
		{`hush_relay_store_read_duration_seconds_count{query="device"}`, func(v float64) bool { return v >= 2 }, ">= 2"},
		{"hush_relay_commit_queue_writes", func(v float64) bool { return v >= 0 }, "present"},
		{"hush_relay_send_queue_pushes", func(v float64) bool { return v >= 0 }, "present"},
		{"hush_relay_inbox_expired_total", func(v float64) bool { return v == 0 }, "0"},
		{"go_goroutines", func(v float64) bool { return v > 0 }, "> 0"},
	}
	for _, tt := range tests {
		v, ok := got[tt.series]
		if !ok {
			t.Errorf("%s missing", tt.series)
			continue
		}
		if !tt.want(v) {
			t.Errorf("%s = %v, want %s", tt.series, v, tt.say)
		}
	}

	if v := scrape(t, other.Server)["hush_relay_messages_total"]; v != 0 {
		t.Errorf("another relay in the process counts %v messages: the registry is shared", v)
	}
}

// TestHealthAndReady checks /healthz and /readyz on the devices' listener, and
// that the metrics are not served there.
func TestHealthAndReady(t *testing.T) {
	r := relaytest.Start(t, nil)
	base := "http://" + strings.TrimSuffix(strings.TrimPrefix(r.URL, "ws://"), wire.Path)
	tests := []struct {
		path string
		code int
		body string
	}{
		{"/healthz", http.StatusOK, "ok\n"},
		{"/readyz", http.StatusOK, "ready\n"},
		{"/metrics", http.StatusNotFound, ""},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			resp, err := http.Get(base + tt.path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b := new(strings.Builder)
			if _, err := bufio.NewReader(resp.Body).WriteTo(b); err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.code || (tt.body != "" && b.String() != tt.body) {
				t.Errorf("GET %s = %d %q, want %d %q", tt.path, resp.StatusCode, b.String(), tt.code, tt.body)
			}
		})
	}
	// A relay whose store does not answer is alive but not ready.
	st, err := store.Open(testCtx(t), filepath.Join(t.TempDir(), "relay.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	srv, err := relay.New(relay.Config{Store: unready{st}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Shutdown(context.Background()) })
	for path, want := range map[string]int{"/healthz": http.StatusOK, "/readyz": http.StatusServiceUnavailable} {
		rec := httptest.NewRecorder()
		srv.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != want {
			t.Errorf("%s with the store unreachable = %d, want %d", path, rec.Code, want)
		}
	}
}

// unready is a store whose readiness check fails, as one whose database is down.
type unready struct{ *store.SQLite }

func (unready) Ready(context.Context) error { return errors.New("connection refused") }
