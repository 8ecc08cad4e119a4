// Package testutil holds what the module's tests share. It is for _test.go files
// only; the layering test keeps it out of the packages' own code.
//
// Where no real socket or child process is involved, a test should not poll at
// all: testing/synctest runs it with a fake clock, and synctest.Wait returns once
// every goroutine has settled. [Eventually] is for the rest: a real relay on
// loopback, an HTTP server, a process.
package testutil

import (
	"bytes"
	"context"
	"encoding/hex"
	"runtime"
	"testing"
	"time"
)

// Context returns a context that ends after timeout, or when the test's cleanup
// runs, so that a test waiting on a socket fails instead of hanging.
func Context(t testing.TB, timeout time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel)
	return ctx
}

// maxPollInterval bounds the wait between two checks of [Eventually]: short enough
// that a test does not sit idle long after its condition came true, long enough
// that a slow condition does not keep a shared machine busy.
const maxPollInterval = 20 * time.Millisecond

// Eventually checks cond until it returns true, first at once and then at
// intervals growing from a millisecond to maxPollInterval, and fails the test
// (t.Fatalf, so only from the test's goroutine) if timeout passes first. what
// names the awaited state in the failure message ("Bob online").
func Eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	wait := time.Millisecond
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(wait)
		wait = min(2*wait, maxPollInterval)
	}
}

// Hex decodes s, from a known-answer file or a literal; a test whose vector does
// not decode fails there.
func Hex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("vector %q: %v", s, err)
	}
	return b
}

// EachBitFlip calls f with every single-bit change of b, except inside the opaque
// bytes [from, to) — ciphertext, key material, bytes that are only hashed — where
// it flips one bit per byte, a different one from byte to byte: every byte still
// changes, in an eighth of the time. With -short it does that everywhere.
func EachBitFlip(b []byte, from, to int, f func(bad []byte, i, bit int)) {
	for i := range b {
		for bit := range 8 {
			if bit != i%8 && (testing.Short() || (i >= from && i < to)) {
				continue
			}
			bad := bytes.Clone(b)
			bad[i] ^= 1 << bit
			f(bad, i, bit)
		}
	}
}

// HeapInUse returns the bytes of live heap after two garbage collections, so a
// benchmark can report what a structure it built keeps alive (the difference
// between two calls).
func HeapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
