package app

import (
	"runtime"
	"testing"
)

// TestLockHandsMemoryBack: locking collects what the session decrypted and
// hands the freed pages back to the system (docs/SECURITY.md, "Search").
func TestLockHandsMemoryBack(t *testing.T) {
	f := newFixture(t)
	f.create(t)
	forced := func() uint32 {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.NumForcedGC
	}
	n := forced()
	if err := f.account.Lock(); err != nil {
		t.Fatal(err)
	}
	if got := forced(); got == n {
		t.Fatal("no collection forced at lock")
	}
}
