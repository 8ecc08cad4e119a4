package identity

import (
	"bytes"
	"sync"
	"testing"
)

// TestAccountKEMRotation follows an account's ML-KEM keys through a revocation: a
// new key is made and held but not current until published; the other devices
// learn it is current before they hold its seed, then receive the seed.
func TestAccountKEMRotation(t *testing.T) {
	a := testAccount(t, 1)
	first := a.Public().KEMKey().Bytes()
	if !a.HoldsCurrentKEM() || len(a.KEMKeys()) != 1 {
		t.Fatal("a fresh key holds its one current ML-KEM key")
	}
	next, err := a.NewKEM()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Public().KEMKey().Bytes(), first) {
		t.Fatal("a new ML-KEM key became current before it was published")
	}
	if got := len(a.KEMSeeds()); got != 2 {
		t.Fatalf("%d seeds held, want 2", got)
	}

	// Another device of the account: same seeds as before the rotation.
	sign, enc, kem := a.Seeds()
	b, err := AccountKeyFromSeeds(sign, enc, kem)
	if err != nil {
		t.Fatal(err)
	}
	if held := b.UseKEM(next); held {
		t.Fatal("the other device holds a seed it was never given")
	}
	if b.HoldsCurrentKEM() || b.KEMKey() != nil {
		t.Fatal("KEMKey returned a key that is not the current one")
	}
	if !bytes.Equal(b.Public().KEMKey().Bytes(), next.Bytes()) {
		t.Fatal("the other device does not wrap to the published key")
	}
	if _, _, s := b.Seeds(); s != nil {
		t.Fatal("Seeds returned a current seed the device does not hold")
	}
	added, err := b.AddKEMSeeds(a.KEMSeeds())
	if err != nil || added != 1 {
		t.Fatalf("added %d, %v; want the one new seed", added, err)
	}
	if !b.HoldsCurrentKEM() || !bytes.Equal(b.KEMKey().EncapsulationKey().Bytes(), next.Bytes()) {
		t.Fatal("the seed arrived but is not used as current")
	}
	if again, _ := b.AddKEMSeeds(a.KEMSeeds()); again != 0 {
		t.Fatalf("the same seeds added twice: %d new", again)
	}

	// The device that made it publishes it: current first, the old one kept.
	if !a.UseKEM(next) {
		t.Fatal("the device that made the key does not hold it")
	}
	keys := a.KEMKeys()
	if len(keys) != 2 || !bytes.Equal(keys[0].EncapsulationKey().Bytes(), next.Bytes()) || !bytes.Equal(keys[1].EncapsulationKey().Bytes(), first) {
		t.Fatal("KEMKeys: want the current key first, then the older one")
	}
	if _, err := a.AddKEMSeeds([][]byte{make([]byte, 10)}); err == nil {
		t.Fatal("a seed of the wrong size was accepted")
	}
}

// TestAccountKEMConcurrent: the set changes while other goroutines read it (run with
// -race); no update is lost.
func TestAccountKEMConcurrent(t *testing.T) {
	a := testAccount(t, 1)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for range 5 {
				if _, err := a.NewKEM(); err != nil {
					t.Error(err)
				}
			}
		}()
		go func() {
			defer wg.Done()
			for range 50 {
				_ = a.Public().KEMKey()
				_ = a.KEMKeys()
			}
		}()
	}
	wg.Wait()
	if got := len(a.KEMKeys()); got != 21 {
		t.Fatalf("%d keys held, want 21", got)
	}
}
