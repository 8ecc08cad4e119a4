//go:build unix

package cputime

import (
	"crypto/sha256"
	"testing"
	"time"
)

// Burning CPU must show up in Process, and it never runs backwards.
func TestProcessCounts(t *testing.T) {
	before := Process()
	sum := sha256.Sum256(nil)
	for start := time.Now(); time.Since(start) < 50*time.Millisecond; {
		sum = sha256.Sum256(sum[:])
	}
	after := Process()
	if after-before < 20*time.Millisecond {
		t.Errorf("50 ms of hashing used %v of CPU by Process", after-before)
	}
}
