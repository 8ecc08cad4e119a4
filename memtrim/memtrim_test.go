package memtrim

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The detector releases at the first quiet reading after work, once per burst:
// never while busy, never twice without work in between. Start-up is work.
func TestDetector(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name string
		used []time.Duration // CPU time used between readings
		want string          // per reading: R released, . not
	}{
		{"start-up then quiet", []time.Duration{0, 0, 0}, "R.."},
		{"busy start-up", []time.Duration{300 * ms, 50 * ms, 1 * ms, 0}, "..R."},
		{"each burst once", []time.Duration{1 * ms, 40 * ms, 2 * ms, 2 * ms, 25 * ms, 30 * ms, 0, 0}, "R.R...R."},
		{"just under busy is quiet", []time.Duration{19 * ms, 19 * ms}, "R."},
		{"busy is busy", []time.Duration{20 * ms, 20 * ms, 19 * ms}, "..R"},
		{"never quiet", []time.Duration{50 * ms, 50 * ms, 50 * ms}, "..."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := detector{busy: 20 * ms, worked: true}
			var cpu time.Duration
			var got strings.Builder
			for _, u := range tt.used {
				cpu += u
				if d.sample(cpu) {
					got.WriteByte('R')
				} else {
					got.WriteByte('.')
				}
			}
			if got.String() != tt.want {
				t.Errorf("releases %q, want %q", got.String(), tt.want)
			}
		})
	}
}

// Watch drives the detector from a ticker and stops with its context: a burst
// of (fake) CPU time after start-up gives a second release, and none follow
// while the process stays quiet — not even after a release that itself used
// more CPU than a burst (each of these uses 100 ms).
func TestWatch(t *testing.T) {
	var cpu atomic.Int64
	var mu sync.Mutex
	var releasedAt []int64
	released := make(chan struct{}, 10)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		Watch(ctx, WatchConfig{
			Every: time.Millisecond,
			Busy:  20 * time.Millisecond,
			CPU:   func() time.Duration { return time.Duration(cpu.Load()) },
			Release: func() {
				mu.Lock()
				releasedAt = append(releasedAt, cpu.Load())
				mu.Unlock()
				cpu.Add(int64(100 * time.Millisecond))
				select {
				case released <- struct{}{}:
				default: // a test that fails must not hang
				}
			},
		})
	}()
	wait := func() {
		t.Helper()
		select {
		case <-released:
		case <-time.After(10 * time.Second):
			t.Fatal("no release within 10 s")
		}
	}
	wait() // start-up
	cpu.Add(int64(time.Second))
	wait() // the burst
	time.Sleep(50 * time.Millisecond)
	cancel()
	<-done
	mu.Lock()
	defer mu.Unlock()
	if len(releasedAt) != 2 || releasedAt[0] != 0 || releasedAt[1] != int64(1100*time.Millisecond) {
		t.Errorf("released at CPU times %v, want [0 1.1s]", releasedAt)
	}
}

// fakeReleaser counts releases and readings; its mapped size halves with each
// release.
type fakeReleaser struct {
	resident int64
	err      error
	releases int
	readings int
}

func (f *fakeReleaser) Release() error {
	f.releases++
	if f.err != nil {
		return f.err
	}
	f.resident /= 2
	return nil
}

func (f *fakeReleaser) Resident() (int64, error) {
	f.readings++
	return f.resident, nil
}

func TestLogged(t *testing.T) {
	var out strings.Builder
	log := slog.New(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelDebug}))
	f := &fakeReleaser{resident: 8 << 20}
	Logged(f, log)()
	if f.releases != 1 || !strings.Contains(out.String(), `msg="code pages released" mappedKiB=8192 nowKiB=4096`) {
		t.Errorf("releases %d, log %q", f.releases, out.String())
	}
	out.Reset()
	f.err = ErrUnsupported
	Logged(f, log)()
	if !strings.Contains(out.String(), `msg="code pages not released"`) {
		t.Errorf("log %q", out.String())
	}
}

// Without debug logging nothing reads the mapped size: a release costs only
// itself.
func TestLoggedReadsNothingUnlessDebug(t *testing.T) {
	var out strings.Builder
	log := slog.New(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelInfo}))
	f := &fakeReleaser{resident: 8 << 20}
	Logged(f, log)()
	if f.releases != 1 || f.readings != 0 || out.Len() != 0 {
		t.Errorf("releases %d, readings %d, log %q", f.releases, f.readings, out.String())
	}
}
