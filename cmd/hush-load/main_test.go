package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hush/cmd/hush-load/internal/relayproc"
)

// TestMain lets the test binary stand in for the relay child, as hush-load does.
func TestMain(m *testing.M) {
	relayproc.RunChildIfAsked()
	os.Exit(m.Run())
}

func runCmd(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out, errOut bytes.Buffer
	code = run(ctx, args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// runJSON runs a mode with --json and decodes its report.
func runJSON(t *testing.T, args ...string) (int, *report, string) {
	t.Helper()
	code, out, errOut := runCmd(t, append(args, "--json", "--db-dir", t.TempDir())...)
	var r report
	if out != "" {
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatalf("report is not JSON: %v\n%s", err, out)
		}
	}
	return code, &r, errOut
}

func (r *report) value(t *testing.T, name string) float64 {
	t.Helper()
	for _, m := range r.Metrics {
		if m.Name == name {
			return m.Value
		}
	}
	t.Fatalf("no figure %q in %+v", name, r.Metrics)
	return 0
}

func TestUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no mode", nil, 2, "Usage: hush-load MODE"},
		{"help", []string{"--help"}, 0, "soak"},
		{"unknown mode", []string{"bench"}, 2, `unknown mode "bench"`},
		{"mode help", []string{"soak", "--help"}, 0, "-kills"},
		{"unknown flag", []string{"idle", "--bogus"}, 2, "flag provided but not defined"},
		{"extra argument", []string{"latency", "now"}, 2, `unexpected argument "now"`},
		{"relay off loopback", []string{"throughput", "--relay", "ws://10.0.0.1:8443/v1/ws"}, 2, "not a loopback address"},
		{"relay flag on a mode that starts its own", []string{"onechat", "--relay", "ws://127.0.0.1:1/v1/ws"}, 2, "flag provided but not defined"},
		{"missing relay binary", []string{"soak", "--relay-bin", "/no/such/hush-relay"}, 2, "--relay-bin"},
		{"negative kills", []string{"soak", "--kills", "-1"}, 2, "--kills"},
		{"intervals reversed", []string{"soak", "--min-interval", "1s", "--max-interval", "10ms"}, 2, "--min-interval"},
		{"more chats than senders", []string{"soak", "--chats", "5", "--senders", "2"}, 2, "--chats"},
		{"zero duration", []string{"throughput", "--duration", "0"}, 2, "--duration"},
		{"one connection", []string{"throughput", "--conns", "1"}, 2, "--conns"},
		{"idle sources", []string{"idle", "--sources", "0"}, 2, "--sources"},
		{"several nodes on SQLite", []string{"throughput", "--nodes", "2"}, 2, "--store postgres"},
		{"unknown store", []string{"latency", "--store", "mysql"}, 2, "--store must be"},
		{"database kills on SQLite", []string{"soak", "--db-every", "2"}, 2, "--db-every needs --store postgres"},
		{"nodes beside --relay", []string{"latency", "--relay", "ws://127.0.0.1:1/v1/ws", "--nodes", "2", "--store", "postgres"}, 2, "--store and --nodes are for started ones"},
		{"one of several relays off loopback", []string{"latency", "--relay", "ws://127.0.0.1:1/v1/ws,ws://10.0.0.1:8443/v1/ws"}, 2, "not a loopback address"},
		{"store on a mode without it", []string{"idle", "--store", "postgres"}, 2, "flag provided but not defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := runCmd(t, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tt.code, errOut)
			}
			if !strings.Contains(errOut, tt.want) {
				t.Errorf("stderr does not mention %q:\n%s", tt.want, errOut)
			}
		})
	}
}

// TestSoakShort is the short soak: the relay is killed twice under load and
// restarted; nothing acknowledged may be lost or duplicated.
func TestSoakShort(t *testing.T) {
	start := time.Now()
	code, r, errOut := runJSON(t, "soak", "--kills", "2", "--senders", "3", "--receivers", "1", "--chats", "2", "--window", "16", "--min-interval", "100ms", "--max-interval", "300ms", "--seed", "42")
	if code != 0 || r.Failed {
		t.Fatalf("soak failed (exit %d):\n%s\nnotes: %v", code, errOut, r.Notes)
	}
	if got := r.value(t, "relay kills (SIGKILL)"); got != 2 {
		t.Errorf("kills %v", got)
	}
	acked := r.value(t, "messages acknowledged")
	if acked < 100 {
		t.Errorf("only %v messages acknowledged: the soak did not load the relay", acked)
	}
	if stored := r.value(t, "entries in the chat logs"); stored != acked {
		t.Errorf("%v entries stored, %v acknowledged (everything sent is acknowledged after the drain)", stored, acked)
	}
	for _, name := range []string{"acknowledged messages lost", "duplicate message ids (logs and devices)", "seq gaps", "seq mismatches (ack vs log vs device)",
		"read marks behind at the relay at the end", "receivers not read to the end", "senders never told a final read position"} {
		if v := r.value(t, name); v != 0 {
			t.Errorf("%s: %v", name, v)
		}
	}
	if r.value(t, "receiver deaths (each also once after storing its final marks)") < 1 || r.value(t, "read marks acknowledged by the relay") == 0 {
		t.Errorf("no receiver died or no read mark was sent: the marks were not tried")
	}
	if r.value(t, "entries given to receivers by push")+r.value(t, "entries given to receivers by fetch") < acked {
		t.Errorf("the receiver was not given every message")
	}
	t.Logf("%v acknowledged, 2 kills, %v", acked, time.Since(start).Round(time.Millisecond))
}

// TestSoakPostgresShort is the short soak on PostgreSQL: two relay nodes on one
// durable throwaway server (internal/pgcluster), each killed once under load and
// restarted on its address, then the database crashed (pg_ctl stop -m immediate)
// and restarted; nothing acknowledged may be lost or duplicated, and the receivers,
// on the other node than the senders, get every message.
func TestSoakPostgresShort(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a PostgreSQL server and relay processes")
	}
	start := time.Now()
	code, r, errOut := runJSON(t, "soak", "--store", "postgres", "--nodes", "2", "--kills", "3", "--db-every", "3",
		"--senders", "4", "--receivers", "1", "--chats", "2", "--window", "16", "--min-interval", "200ms", "--max-interval", "400ms", "--seed", "42")
	if code != 0 || r.Failed {
		t.Fatalf("soak failed (exit %d):\n%s\nnotes: %v", code, errOut, r.Notes)
	}
	if got, db := r.value(t, "relay kills (SIGKILL)"), r.value(t, "database crashes (pg_ctl stop -m immediate)"); got != 2 || db != 1 {
		t.Errorf("%v relay kills and %v database crashes, want 2 and 1", got, db)
	}
	acked := r.value(t, "messages acknowledged")
	if acked < 100 {
		t.Errorf("only %v messages acknowledged: the soak did not load the relays", acked)
	}
	if stored := r.value(t, "entries in the chat logs"); stored != acked {
		t.Errorf("%v entries stored, %v acknowledged (everything sent is acknowledged after the drain)", stored, acked)
	}
	for _, name := range []string{"acknowledged messages lost", "duplicate message ids (logs and devices)", "seq gaps", "seq mismatches (ack vs log vs device)", "one sender's messages out of order"} {
		if v := r.value(t, name); v != 0 {
			t.Errorf("%s: %v", name, v)
		}
	}
	if r.value(t, "entries given to receivers by push") == 0 {
		t.Error("no message reached the receiver by push from the other node")
	}
	if v := r.value(t, "read marks behind at the relay at the end"); v != 0 {
		t.Errorf("read marks behind at the relay: %v", v)
	}
	// After the database crash the relays listen again and tell their devices to
	// catch up: the senders on the other relay learn the receiver's last positions.
	if v := r.value(t, "senders never told a final read position"); v != 0 {
		t.Errorf("senders never told a final read position: %v", v)
	}
	t.Logf("%v acknowledged, 2 relay kills and a database crash, %v", acked, time.Since(start).Round(time.Millisecond))
}

// TestSoakDetectsLoss rolls the database back to an older copy during one restart,
// as a disk that lied about fsync would: the soak must report the acknowledged
// messages that vanished and fail.
func TestSoakDetectsLoss(t *testing.T) {
	snap := t.TempDir()
	files := []string{"", "-wal"}
	cfg := soakConfig{kills: 2, minGap: 150 * time.Millisecond, maxGap: 200 * time.Millisecond, senders: 2, receivers: 1, chats: 1, window: 8, size: 64, seed: 7, timeout: 90 * time.Second, acksPerLife: 1}
	cfg.beforeRestart = func(k int, db string) error {
		for _, suffix := range files {
			from, to := db+suffix, filepath.Join(snap, "db"+suffix)
			if k == 2 {
				from, to = to, from
			}
			if err := copyFile(from, to); err != nil {
				return err
			}
		}
		return os.Remove(db + "-shm")
	}
	c := &common{dbDir: t.TempDir()}
	r := newReport("soak")
	if err := runSoak(context.Background(), r, c, cfg); err != nil {
		t.Fatal(err)
	}
	if !r.Failed {
		t.Fatalf("a rolled-back database went unnoticed: %+v", r.Metrics)
	}
	if lost := r.value(t, "acknowledged messages lost"); lost == 0 {
		t.Errorf("no acknowledged message reported lost; notes: %v", r.Notes)
	}
	var buf bytes.Buffer
	r.writeTable(&buf)
	t.Logf("the report of the damaged run:\n%s", buf.String())
	var kept bool
	for _, n := range r.Notes {
		kept = kept || strings.Contains(n, "kept in")
	}
	if !kept {
		t.Error("the failed soak did not keep its database")
	}
}

// TestSoakDetectsStaleMarks runs the soak with clients that do not read the chat's
// positions again after reconnecting (what the app did before): each receiver dies
// once with its final read marks stored but unsent, and the soak must report that
// the relay, and so the senders, never got them.
func TestSoakDetectsStaleMarks(t *testing.T) {
	cfg := soakConfig{kills: 1, minGap: 100 * time.Millisecond, maxGap: 150 * time.Millisecond, senders: 2, receivers: 2, chats: 1, window: 8, size: 64, seed: 9, timeout: 90 * time.Second, clientKills: 2, noMarkResync: true, receiptsWait: time.Second}
	c := &common{dbDir: t.TempDir()}
	r := newReport("soak")
	if err := runSoak(context.Background(), r, c, cfg); err != nil {
		t.Fatal(err)
	}
	if !r.Failed {
		t.Fatalf("read marks lost with a dying client went unnoticed: %+v", r.Metrics)
	}
	if v := r.value(t, "read marks behind at the relay at the end"); v != 2 {
		t.Errorf("%v receivers' marks behind at the relay, want both; notes: %v", v, r.Notes)
	}
	if v := r.value(t, "senders never told a final read position"); v == 0 {
		t.Errorf("no sender reported behind; notes: %v", r.Notes)
	}
	for _, name := range []string{"acknowledged messages lost", "seq gaps"} {
		if v := r.value(t, name); v != 0 {
			t.Errorf("%s: %v (only the marks were meant to go wrong)", name, v)
		}
	}
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if errors.Is(err, os.ErrNotExist) {
		return os.Remove(to) // restoring a snapshot without that file: drop it
	}
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// The benchmark modes, briefly: each must produce its figures against a real
// relay child. The figures themselves are measured with the commands in
// docs/PERFORMANCE.md, not here.
func TestModesSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("starts relay processes")
	}
	tests := []struct {
		args    []string
		figure  string
		atLeast float64
	}{
		{[]string{"throughput", "--conns", "4", "--window", "8", "--duration", "700ms", "--warmup", "100ms"}, "acknowledged msgs/s", 10},
		{[]string{"latency", "--conns", "4", "--rate", "400", "--duration", "700ms", "--warmup", "100ms"}, "acknowledged msgs/s", 100},
		{[]string{"onechat", "--window", "16", "--duration", "700ms", "--warmup", "100ms"}, "durable msgs/s in one chat", 10},
		{[]string{"idle", "--conns", "40", "--sources", "3", "--settle", "0s"}, "connections alive and authenticated after measuring", 40},
	}
	for _, tt := range tests {
		t.Run(tt.args[0], func(t *testing.T) {
			code, r, errOut := runJSON(t, tt.args...)
			if code != 0 || r.Failed {
				t.Fatalf("exit %d, failed %v:\n%s\nnotes: %v", code, r.Failed, errOut, r.Notes)
			}
			if v := r.value(t, tt.figure); v < tt.atLeast {
				t.Errorf("%s = %v, want at least %v", tt.figure, v, tt.atLeast)
			}
			if r.LoadStart <= 0 && r.LoadEnd <= 0 {
				t.Error("no load average recorded")
			}
		})
	}
}
