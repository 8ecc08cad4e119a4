package relayproc

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"hush/internal/testutil"
)

func TestMain(m *testing.M) {
	RunChildIfAsked()
	os.Exit(m.Run())
}

func TestStartKillRestart(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "relay.db")
	var log strings.Builder
	p, err := Start(ctx, Options{DB: db, Log: &syncWriter{w: &log}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Kill() })
	if !strings.HasPrefix(p.URL, "ws://127.0.0.1:") || !strings.HasSuffix(p.URL, "/v1/ws") {
		t.Fatalf("URL %q", p.URL)
	}
	resp, err := http.Get("http://" + p.Addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("healthz %d", resp.StatusCode)
	}
	m, err := p.Memory()
	if err != nil {
		t.Fatal(err)
	}
	if m.RSS < 1<<20 || m.PSS <= 0 || m.PSS > m.RSS || m.PeakRSS < m.RSS {
		t.Errorf("implausible memory %+v", m)
	}
	if _, err := p.CPU(); err != nil {
		t.Fatal(err)
	}
	if err := p.Kill(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.Exited():
	default:
		t.Fatal("Kill returned before the process ended")
	}
	if err := p.Kill(); err != nil {
		t.Errorf("a second Kill: %v", err)
	}

	// Restart on the same address and database, then stop gracefully.
	q, err := Start(ctx, Options{DB: db, Listen: p.Addr})
	if err != nil {
		t.Fatal(err)
	}
	if q.Addr != p.Addr {
		t.Errorf("restarted on %s, want %s", q.Addr, p.Addr)
	}
	if err := q.Stop(20 * time.Second); err != nil {
		t.Errorf("graceful stop: %v", err)
	}
}

func TestHeapDump(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("signals a child")
	}
	dir := t.TempDir()
	heap := filepath.Join(dir, "heap.pprof")
	var log strings.Builder
	w := &syncWriter{w: &log}
	p, err := Start(context.Background(), Options{DB: filepath.Join(dir, "r.db"), Log: w, Env: []string{HeapProfileEnv + "=" + heap}})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Kill()
	if err := p.DumpHeap(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if t.Failed() {
			t.Logf("log:\n%s", p.LogTail())
		}
	}()
	testutil.Eventually(t, 10*time.Second, "a heap profile and statistics after SIGUSR1", func() bool {
		w.mu.Lock()
		logged := strings.Contains(log.String(), "relay child memory (KiB): heap in use")
		w.mu.Unlock()
		fi, err := os.Stat(heap)
		return err == nil && fi.Size() > 0 && logged
	})
}

func TestStartFails(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		o    Options
		want string
	}{
		{"no database", Options{}, "no database"},
		{"bad flag", Options{DB: filepath.Join(t.TempDir(), "r.db"), Args: []string{"--no-such-flag"}}, "flag provided but not defined"},
		{"database in a missing directory", Options{DB: filepath.Join(t.TempDir(), "no", "dir", "r.db")}, "relay exited"},
		{"missing program", Options{DB: filepath.Join(t.TempDir(), "r.db"), Command: []string{filepath.Join(t.TempDir(), "nothing")}}, "start relay"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Start(ctx, tt.o)
			if err == nil {
				p.Kill()
				t.Fatal("started")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
		})
	}
}

func TestParseListening(t *testing.T) {
	tests := []struct {
		line, want string
		ok         bool
	}{
		{"hush-relay listening on ws://127.0.0.1:4321/v1/ws\n", "ws://127.0.0.1:4321/v1/ws", true},
		{"hush-relay listening on wss://h/v1/ws", "", false},
		{"something else", "", false},
		{"hush-relay listening on ws://a b", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, err := ParseListening(tt.line)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseListening(%q) = %q, %v", tt.line, got, err)
		}
	}
}

func TestParseSmapsRollup(t *testing.T) {
	const sample = `55d0c0a00000-7ffd6a5fe000 ---p 00000000 00:00 0                          [rollup]
Rss:               12344 kB
Pss:                9876 kB
Pss_Anon:           8000 kB
Shared_Clean:       2000 kB
`
	tests := []struct {
		name     string
		in       string
		rss, pss int64
		ok       bool
	}{
		{"sample", sample, 12344 << 10, 9876 << 10, true},
		{"no pss", "Rss: 1 kB\n", 0, 0, false},
		{"bad unit", "Rss: 1 MB\nPss: 1 kB\n", 0, 0, false},
		{"negative", "Rss: -1 kB\nPss: 1 kB\n", 0, 0, false},
		{"empty", "", 0, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rss, pss, err := ParseSmapsRollup([]byte(tt.in))
			if (err == nil) != tt.ok || rss != tt.rss || pss != tt.pss {
				t.Errorf("got %d, %d, %v", rss, pss, err)
			}
		})
	}
}

func TestParseStatCPU(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want time.Duration
		ok   bool
	}{
		{"plain", "123 (hush-relay) S 1 123 123 0 -1 4194560 1000 0 0 0 250 50 0 0 20 0 9 0 100 0 0", 3 * time.Second, true},
		{"name with spaces and parens", "7 (a) b) (c) R 1 7 7 0 -1 0 0 0 0 0 1 2 0 0", 30 * time.Millisecond, true},
		{"short", "7 (x) R 1 2 3", 0, false},
		{"no name", "7 x R", 0, false},
		{"bad number", "7 (x) R 1 7 7 0 -1 0 0 0 0 0 zz 2 0", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseStatCPU([]byte(tt.in))
			if (err == nil) != tt.ok || got != tt.want {
				t.Errorf("got %v, %v", got, err)
			}
		})
	}
}

func TestParseStatPPID(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want int
		ok   bool
	}{
		{"plain", "123 (postgres) S 77 123 123 0 -1", 77, true},
		{"name with spaces and parens", "7 (a) b) (c) R 1 7 7", 1, true},
		{"no parent", "7 (x) R", 0, false},
		{"no name", "7 x R 1", 0, false},
		{"negative", "7 (x) R -3", 0, false},
		{"not a number", "7 (x) R p", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseStatPPID([]byte(tt.in))
			if (err == nil) != tt.ok || got != tt.want {
				t.Errorf("got %v, %v", got, err)
			}
		})
	}
}

// TestReadTreeCPU: a process's tree holds at least the process itself.
func TestReadTreeCPU(t *testing.T) {
	own, err := ReadCPU(os.Getpid())
	if errors.Is(err, ErrNoProc) {
		t.Skip("no /proc here")
	}
	tree, err := ReadTreeCPU(os.Getpid())
	if err != nil || tree < own {
		t.Errorf("tree CPU %v, %v; the process alone had %v", tree, err, own)
	}
	if _, err := ReadTreeCPU(-1); err == nil {
		t.Error("the tree of no process was read")
	}
}

func TestParseLoadAvg(t *testing.T) {
	if v, err := ParseLoadAvg([]byte("5.05 3.92 3.60 3/456 7890\n")); err != nil || v != 5.05 {
		t.Errorf("got %v, %v", v, err)
	}
	for _, bad := range []string{"", "x 1 2", "-1 2 3"} {
		if _, err := ParseLoadAvg([]byte(bad)); err == nil {
			t.Errorf("ParseLoadAvg(%q) accepted", bad)
		}
	}
}

func TestReadMissingProcess(t *testing.T) {
	if _, err := ReadMemory(-1); !errors.Is(err, ErrNoProc) {
		t.Errorf("ReadMemory(-1) = %v, want ErrNoProc", err)
	}
}

func FuzzParseSmapsRollup(f *testing.F) {
	f.Add([]byte("Rss: 1 kB\nPss: 1 kB\n"))
	f.Add([]byte("Rss:\nPss: kB"))
	f.Fuzz(func(t *testing.T, b []byte) {
		rss, pss, err := ParseSmapsRollup(b)
		if err == nil && (rss < 0 || pss < 0) {
			t.Fatalf("negative memory %d %d", rss, pss)
		}
	})
}

func FuzzParseStatCPU(f *testing.F) {
	f.Add([]byte("1 (x) S 1 1 1 0 -1 0 0 0 0 0 5 5 0 0"))
	f.Add([]byte(")))"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if d, err := ParseStatCPU(b); err == nil && d < 0 {
			t.Fatalf("negative cpu time %v", d)
		}
	})
}

func FuzzParseStatPPID(f *testing.F) {
	f.Add([]byte("1 (x) S 1 1 1 0 -1"))
	f.Add([]byte(")))"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if p, err := ParseStatPPID(b); err == nil && p < 0 {
			t.Fatalf("negative parent pid %d", p)
		}
	})
}

func FuzzParseLoadAvg(f *testing.F) {
	f.Add([]byte("0.50 0.40 0.30 1/100 42\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if v, err := ParseLoadAvg(b); err == nil && (v < 0 || v > 1e6) {
			t.Fatalf("accepted load %v", v)
		}
	})
}

func FuzzParseListening(f *testing.F) {
	f.Add("hush-relay listening on ws://127.0.0.1:1/v1/ws\n")
	f.Fuzz(func(t *testing.T, s string) {
		if u, err := ParseListening(s); err == nil && !strings.HasPrefix(u, "ws://") {
			t.Fatalf("accepted %q", u)
		}
	})
}

// syncWriter serialises writes to w.
type syncWriter struct {
	mu sync.Mutex
	w  *strings.Builder
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
