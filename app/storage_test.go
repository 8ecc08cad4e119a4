package app

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// storageFixture is a Core whose data folder sits on a "stick" that a test can
// pull out (rename away or delete) while the vault is unlocked.
func storageFixture(t *testing.T) (*fixture, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "stick", "hush-data")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	return newFixtureIn(t, dir, true), dir
}

// A stick pulled out while unlocked: the app locks within one check, says why,
// refuses to create or unlock anything at the vanished path, and once the stick
// is back everything committed before is there.
func TestDataFolderVanishesLocksAndKeepsCommitted(t *testing.T) {
	f, dir := storageFixture(t)
	f.create(t)
	if _, err := f.settings.SetDeviceName("usb laptop"); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(storageCheckEvery) // still there: nothing happens
	if got := f.state(t); got != string(StateUnlocked) {
		t.Fatalf("state with the folder present = %q", got)
	}

	away := dir + "-pulled"
	if err := os.Rename(dir, away); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(storageCheckEvery)
	if got := f.state(t); got != string(StateLocked) {
		t.Fatalf("state after the folder vanished = %q, want locked (never the welcome screen)", got)
	}
	if ev := f.events.list(); !slices.Contains(ev, "vault:locked:storage") {
		t.Fatalf("events %q, want vault:locked:storage", ev)
	}
	if _, err := f.settings.Get(); !errors.Is(err, ErrLocked) {
		t.Fatalf("settings while the folder is gone: %v, want ErrLocked", err)
	}
	if _, err := f.account.Create("Mallory", pass); !errors.Is(err, errStorageGone) {
		t.Fatalf("Create while the folder is gone: %v, want errStorageGone", err)
	}
	if _, err := f.account.Unlock(pass); !errors.Is(err, errStorageGone) {
		t.Fatalf("Unlock while the folder is gone: %v, want errStorageGone", err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("something recreated the vanished folder: %v", err)
	}

	// The stick comes back: the committed device name is there.
	if err := os.Rename(away, dir); err != nil {
		t.Fatal(err)
	}
	if _, err := f.account.Unlock(pass); err != nil {
		t.Fatalf("Unlock after the folder came back: %v", err)
	}
	s, err := f.settings.Get()
	if err != nil {
		t.Fatal(err)
	}
	if s.DeviceName != "usb laptop" {
		t.Fatalf("device name after the stick came back = %q, want the committed one", s.DeviceName)
	}
}

// A folder deleted outright (or a stick that comes back empty at the same mount
// point) locks too, and no new vault is made in its place.
func TestDataFolderRemovedLocksAndWritesNothing(t *testing.T) {
	f, dir := storageFixture(t)
	f.create(t)
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(storageCheckEvery)
	if got := f.state(t); got != string(StateLocked) {
		t.Fatalf("state after the folder was removed = %q, want locked", got)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil { // an empty mount point
		t.Fatal(err)
	}
	if _, err := f.account.Create("Alice", pass); !errors.Is(err, errStorageGone) {
		t.Fatalf("Create at an empty mount point: %v, want errStorageGone", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("files written at the empty mount point: %v", entries)
	}
}
