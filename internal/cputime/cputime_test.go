//go:build unix

package cputime

import (
	"crypto/sha256"
	"testing"
	"time"
)

// Burning CPU must show up in Process: hashing goes on until Process has counted
// 20 ms of it, which a working clock does within moments however busy the machine
// (CPU time accrues only while the test runs); a broken one, never, and the test
// gives up after 10 s of wall time. Process never runs backwards.
func TestProcessCounts(t *testing.T) {
	before := Process()
	sum := sha256.Sum256(nil)
	deadline := time.Now().Add(10 * time.Second)
	last := before
	for last-before < 20*time.Millisecond {
		if time.Now().After(deadline) {
			t.Fatalf("10 s of hashing: Process counted %v", last-before)
		}
		for range 1000 {
			sum = sha256.Sum256(sum[:])
		}
		now := Process()
		if now < last {
			t.Fatalf("Process ran backwards: %v after %v", now, last)
		}
		last = now
	}
}
