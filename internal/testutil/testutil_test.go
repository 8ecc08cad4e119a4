package testutil

import (
	"bytes"
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// recorder is a testing.TB whose Fatalf records the failure and ends only the
// goroutine that called it, as t.Fatalf does, so Eventually's failure can be
// checked without failing the test.
type recorder struct {
	testing.TB
	failed string
}

func (r *recorder) Helper() {}

func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func TestEventually(t *testing.T) {
	tests := []struct {
		name      string
		trueAfter int // calls of cond before it returns true; -1: never
		wantCalls int
		wantFail  string
	}{
		{"already true", 0, 1, ""},
		{"true on the fifth check", 4, 5, ""},
		// Checks at 0, 1, 3, 7, 15, 31 and 51 ms: the last is past the deadline.
		{"never true", -1, 7, "timed out after 50ms waiting for the thing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				r := &recorder{TB: t}
				var calls atomic.Int32
				start := time.Now()
				done := make(chan struct{})
				go func() {
					defer close(done)
					Eventually(r, 50*time.Millisecond, "the thing", func() bool {
						n := int(calls.Add(1)) - 1
						return tt.trueAfter >= 0 && n >= tt.trueAfter
					})
				}()
				<-done
				if got := int(calls.Load()); got != tt.wantCalls {
					t.Errorf("cond called %d times, want %d", got, tt.wantCalls)
				}
				if r.failed != tt.wantFail {
					t.Errorf("failure %q, want %q", r.failed, tt.wantFail)
				}
				if el := time.Since(start); tt.wantFail != "" && el > 50*time.Millisecond+maxPollInterval {
					t.Errorf("gave up after %v", el)
				}
			})
		})
	}
}

func TestContext(t *testing.T) {
	var ctx context.Context
	synctest.Test(t, func(t *testing.T) {
		ctx = Context(t, time.Minute)
		if d, ok := ctx.Deadline(); !ok || time.Until(d) != time.Minute {
			t.Errorf("deadline %v (%v), want in a minute", d, ok)
		}
		if ctx.Err() != nil {
			t.Errorf("ended early: %v", ctx.Err())
		}
	})
	// The bubble's cleanup has run.
	if ctx.Err() != context.Canceled {
		t.Errorf("after the cleanup: %v, want context.Canceled", ctx.Err())
	}
}

// TestEachBitFlip checks every bit outside the opaque bytes changes, one bit per
// opaque byte, and each call flips exactly one bit.
func TestEachBitFlip(t *testing.T) {
	if testing.Short() {
		t.Skip("-short flips one bit per byte everywhere")
	}
	b := []byte{0x00, 0xff, 0x5a, 0xa5}
	for _, c := range []struct{ from, to, want int }{{0, 0, 32}, {0, 2, 2 + 16}, {1, 4, 8 + 3}} {
		seen := map[[2]int]bool{}
		EachBitFlip(b, c.from, c.to, func(bad []byte, i, bit int) {
			if bad[i]^b[i] != 1<<bit || !bytes.Equal(bad[:i], b[:i]) || !bytes.Equal(bad[i+1:], b[i+1:]) {
				t.Errorf("byte %d bit %d: %x from %x", i, bit, bad, b)
			}
			seen[[2]int{i, bit}] = true
		})
		if len(seen) != c.want {
			t.Errorf("opaque [%d,%d): %d flips, want %d", c.from, c.to, len(seen), c.want)
		}
	}
}

func TestHex(t *testing.T) {
	if got := Hex(t, "00ff10"); !bytes.Equal(got, []byte{0, 0xff, 0x10}) {
		t.Errorf("Hex = %x", got)
	}
}
