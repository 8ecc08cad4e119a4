package app

import (
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"hush/clock"
	"hush/vault"
)

// recorder is an Emitter that keeps what it was sent.
type recorder struct {
	mu     sync.Mutex
	events []string
}

func (r *recorder) Emit(name string, data any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if e, ok := data.(VaultLocked); ok {
		name += ":" + string(e.Reason)
	}
	r.events = append(r.events, name)
}

// list returns the vault and settings events; the messaging engine's events
// (connection:changed, ...) are checked in chat_test.go.
func (r *recorder) list() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, e := range r.events {
		if strings.HasPrefix(e, "vault:") || strings.HasPrefix(e, "settings:") {
			out = append(out, e)
		}
	}
	return out
}

type fixture struct {
	core     *Core
	account  *AccountService
	settings *SettingsService
	clock    *clock.Fake
	events   *recorder
	dir      string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	return newFixtureIn(t, t.TempDir(), false)
}

// newFixtureIn is newFixture with the data folder at dir (which exists), portable
// or not.
func newFixtureIn(t *testing.T, dir string, portable bool) *fixture {
	t.Helper()
	clk := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	c, err := New(Config{
		VaultPath:    filepath.Join(dir, "vault.db"),
		DataDir:      dir,
		Portable:     portable,
		Version:      "test",
		Clock:        clk,
		VaultOptions: testVaultOptions(),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Shutdown)
	rec := &recorder{}
	c.SetEmitter(rec)
	svc := c.Services()
	return &fixture{core: c, account: svc[0].(*AccountService), settings: svc[1].(*SettingsService), clock: clk, events: rec, dir: dir}
}

const pass = "correct horse battery"

func (f *fixture) create(t *testing.T) Profile {
	t.Helper()
	p, err := f.account.Create("Alice", pass)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (f *fixture) state(t *testing.T) string {
	t.Helper()
	st, err := f.account.Status()
	if err != nil {
		t.Fatal(err)
	}
	return string(st.State)
}

func TestCreateLockUnlock(t *testing.T) {
	f := newFixture(t)
	if got := f.state(t); got != string(StateNew) {
		t.Fatalf("fresh state = %q", got)
	}
	p := f.create(t)
	if p.DisplayName != "Alice" || p.AccountFingerprint == "" || len(p.DeviceID) != 32 {
		t.Fatalf("profile = %+v", p)
	}
	if got := f.state(t); got != string(StateUnlocked) {
		t.Fatalf("after create: %q", got)
	}
	if _, err := f.account.Create("Alice", pass); !errors.Is(err, ErrAlreadyExists) {
		t.Fatalf("second Create: %v", err)
	}
	if err := f.account.Lock(); err != nil {
		t.Fatal(err)
	}
	if got := f.state(t); got != string(StateLocked) {
		t.Fatalf("after lock: %q", got)
	}
	if _, err := f.settings.Get(); !errors.Is(err, ErrLocked) {
		t.Fatalf("settings while locked: %v", err)
	}
	p2, err := f.account.Unlock(pass)
	if err != nil {
		t.Fatal(err)
	}
	if p2 != p {
		t.Fatalf("profile after unlock %+v, want %+v", p2, p)
	}
	if ev := f.events.list(); len(ev) != 1 || ev[0] != "vault:locked:manual" {
		t.Fatalf("events = %v", ev)
	}
}

func TestCreateValidation(t *testing.T) {
	tests := []struct {
		name, display, pass, want string
	}{
		{"empty name", "", pass, "display name"},
		{"long name", strings.Repeat("x", 65), pass, "too long"},
		{"name of two lines", "Alice\nAdmin", pass, "one line"},
		{"name with a text-direction override", "\u202eecilA", pass, "text-direction"},
		{"name not UTF-8", "Al\xffce", pass, "display name"},
		{"empty passphrase", "A", "", "Enter a passphrase"},
		{"short passphrase", "A", "short", "too short"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			_, err := f.account.Create(tt.display, tt.pass)
			if !errors.Is(err, ErrInvalidInput) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want invalid input mentioning %q", err, tt.want)
			}
			if got := f.state(t); got != string(StateNew) {
				t.Fatalf("a failed create left state %q", got)
			}
		})
	}
}

func TestWrongPassphraseBackoff(t *testing.T) {
	f := newFixture(t)
	f.create(t)
	f.account.Lock()
	// The free attempts fail plainly.
	for i := 0; i < freeAttempts; i++ {
		if _, err := f.account.Unlock("wrong passphrase"); !errors.Is(err, ErrWrongPassphrase) {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	// Then each failure costs a growing wait, which Status reports.
	for i, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second} {
		_, err := f.account.Unlock("wrong passphrase")
		if !errors.Is(err, ErrWrongPassphrase) || !strings.Contains(err.Error(), "Try again in") {
			t.Fatalf("failure %d: %v", i, err)
		}
		st, _ := f.account.Status()
		if st.RetryAfterMs != want.Milliseconds() {
			t.Fatalf("failure %d: retryAfterMs = %d, want %d", i, st.RetryAfterMs, want.Milliseconds())
		}
		// Even the right passphrase must wait.
		if _, err := f.account.Unlock(pass); !errors.Is(err, ErrThrottled) {
			t.Fatalf("during back-off: %v", err)
		}
		f.clock.Advance(want)
	}
	// The wait is over: Status says 0, never a negative wait (the UI shows it as is).
	if st, _ := f.account.Status(); st.RetryAfterMs != 0 {
		t.Fatalf("after waiting: retryAfterMs = %d", st.RetryAfterMs)
	}
	if _, err := f.account.Unlock(pass); err != nil {
		t.Fatalf("after waiting: %v", err)
	}
	f.account.Lock()
	// Success resets the count.
	if _, err := f.account.Unlock("wrong passphrase"); err == nil || strings.Contains(err.Error(), "Try again") {
		t.Fatalf("after a success the first failure should be free: %v", err)
	}
}

func TestAutoLock(t *testing.T) {
	f := newFixture(t)
	f.create(t)
	s, err := f.settings.SetAutoLock(5)
	if err != nil || s.AutoLockMinutes != 5 {
		t.Fatalf("SetAutoLock: %+v %v", s, err)
	}
	f.clock.Advance(4 * time.Minute)
	if err := f.account.Activity(); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(4 * time.Minute) // 8 minutes since unlock, 4 since activity
	if got := f.state(t); got != string(StateUnlocked) {
		t.Fatalf("locked despite activity: %q", got)
	}
	f.clock.Advance(time.Minute + time.Second)
	if got := f.state(t); got != string(StateLocked) {
		t.Fatalf("not locked after idling: %q", got)
	}
	ev := f.events.list()
	if ev[len(ev)-1] != "vault:locked:idle" {
		t.Fatalf("events = %v", ev)
	}
	// Never means never.
	f.account.Unlock(pass)
	f.settings.SetAutoLock(0)
	f.clock.Advance(1000 * time.Hour)
	if got := f.state(t); got != string(StateUnlocked) {
		t.Fatalf("auto-lock 'never' locked: %q", got)
	}
	if _, err := f.settings.SetAutoLock(7); !errors.Is(err, ErrInvalidInput) {
		t.Fatalf("SetAutoLock(7): %v", err)
	}
}

func TestSettingsPersist(t *testing.T) {
	f := newFixture(t)
	f.create(t)
	if _, err := f.settings.SetTheme("dark"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.settings.SetDeviceName("Work laptop"); err != nil {
		t.Fatal(err)
	}
	if s, err := f.settings.Get(); err != nil || s.LinkPreviews {
		t.Fatalf("link previews must start off: %+v, %v", s, err)
	}
	if s, err := f.settings.SetLinkPreviews(true); err != nil || !s.LinkPreviews {
		t.Fatalf("SetLinkPreviews(true) = %+v, %v", s, err)
	}
	if _, err := f.settings.SetTheme("purple"); !errors.Is(err, ErrInvalidInput) {
		t.Fatalf("bad theme: %v", err)
	}
	if _, err := f.settings.SetDeviceName(""); !errors.Is(err, ErrInvalidInput) {
		t.Fatalf("empty device name: %v", err)
	}
	f.account.Lock()
	p, err := f.account.Unlock(pass)
	if err != nil {
		t.Fatal(err)
	}
	s, err := f.settings.Get()
	if err != nil {
		t.Fatal(err)
	}
	if s.Theme != "dark" || s.DeviceName != "Work laptop" || p.DeviceName != "Work laptop" || !s.LinkPreviews {
		t.Fatalf("settings after unlock: %+v", s)
	}
	if s.AccountFingerprint == "" || s.DeviceFingerprint == "" || s.AccountFingerprint == s.DeviceFingerprint {
		t.Fatalf("fingerprints: %+v", s)
	}
}

func TestChangePassphrase(t *testing.T) {
	f := newFixture(t)
	f.create(t)
	const next = "a much better passphrase"
	if err := f.account.ChangePassphrase("not the passphrase", next); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("wrong current: %v", err)
	}
	if err := f.account.ChangePassphrase(pass, "short"); !errors.Is(err, ErrInvalidInput) {
		t.Fatalf("short next: %v", err)
	}
	if err := f.account.ChangePassphrase(pass, next); err != nil {
		t.Fatal(err)
	}
	f.account.Lock()
	if _, err := f.account.Unlock(pass); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("old passphrase still works: %v", err)
	}
	if _, err := f.account.Unlock(next); err != nil {
		t.Fatalf("new passphrase: %v", err)
	}
}

func TestLockedOperations(t *testing.T) {
	f := newFixture(t)
	if _, err := f.account.Unlock(pass); !errors.Is(err, ErrNoAccount) {
		t.Fatalf("unlock without account: %v", err)
	}
	if err := f.account.ChangePassphrase(pass, pass+"x"); !errors.Is(err, ErrLocked) {
		t.Fatalf("change while locked: %v", err)
	}
	if err := f.account.Activity(); !errors.Is(err, ErrLocked) {
		t.Fatalf("activity while locked: %v", err)
	}
}

// testVaultOptions keeps Argon2id cheap: these tests are about the app's behaviour,
// the vault's own tests cover its key derivation.
func testVaultOptions() vault.Options {
	return vault.Options{InsecureTestKDF: &vault.KDFParams{Memory: 256, Time: 1, Threads: 1}}
}
