// Package app is the API the Hush UI calls. It is plain Go with no Wails import: the
// desktop shell binds its services into the window, and browser mode serves the same
// services over HTTP (see docs/API.md for the contract).
//
// [Core] owns the state behind the services: whether the vault is unlocked, the keys
// held while it is, the auto-lock timer and the back-off after wrong passphrases.
// The services ([AccountService], [SettingsService]) are thin, bound views of it.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"hush/backup"
	"hush/chat"
	"hush/clock"
	"hush/identity"
	"hush/linkpreview"
	"hush/vault"
)

// VaultState is the vault's lock state, which decides the UI's first screen.
type VaultState string

// Lock states reported by [AccountService.Status].
const (
	StateNew      VaultState = "new"      // no vault yet: show the welcome screen
	StateLocked   VaultState = "locked"   // a vault exists: show the unlock screen
	StateUnlocked VaultState = "unlocked" // keys are in memory
)

// Values lists every state, for the generated UI contract.
func (VaultState) Values() []string {
	return []string{string(StateNew), string(StateLocked), string(StateUnlocked)}
}

// MinPassphraseLength is the shortest passphrase accepted, in characters. The UI adds
// a strength estimate on top; length is the floor Go enforces.
const MinPassphraseLength = 10

// maxDisplayNameLength and maxPassphraseLength bound user input.
const (
	maxDisplayNameLength = 64
	maxPassphraseLength  = 1024
)

// Sentinel errors callers and tests branch on. Their messages are written for people:
// the UI shows them as they are.
var (
	ErrLocked          = errors.New("Hush is locked. Unlock it first.")
	ErrAlreadyExists   = errors.New("An account already exists on this device.")
	ErrNoAccount       = errors.New("There is no account on this device yet.")
	ErrWrongPassphrase = errors.New("Wrong passphrase.")
	ErrThrottled       = errors.New("Too many wrong passphrases.")
	ErrInvalidInput    = errors.New("Invalid input.")
)

// Emitter delivers events to the UI: the Wails runtime in the desktop window, the
// WebSocket hub in browser mode. name is the event's [Event.EventName].
type Emitter interface {
	Emit(name string, data any)
}

// Config is what [New] needs to know about its environment.
type Config struct {
	VaultPath string // the vault file inside the data directory
	DataDir   string
	Portable  bool
	Version   string
	Clock     clock.Clock  // nil: the real clock
	Logger    *slog.Logger // nil: discard
	// VaultOptions are passed to vault.Create and vault.Open; tests use them to pick
	// cheap KDF parameters.
	VaultOptions vault.Options
	// DefaultRelayURL is the relay used until the user sets one; "" means
	// chat.DefaultRelayURL (a relay on this machine).
	DefaultRelayURL string
	// TempDir holds backups on their way to or from a browser (the data
	// directory's in portable mode); "" means os.TempDir().
	TempDir string
	// BackupOptions tune the backup writer; tests lower the scrypt work factor.
	BackupOptions backup.Options
	// EraseDirs are the folders of the window's own data and cache that
	// AccountService.EraseDevice deletes with the vault (the WebView's, in
	// portable mode).
	EraseDirs []string
}

// Core holds the application state. Its zero value is not usable; call [New].
type Core struct {
	cfg Config
	log *slog.Logger
	clk clock.Clock

	emitMu  sync.Mutex
	emitter Emitter

	notify  notifyState
	protect protectState
	links   atomic.Pointer[LinkOpener] // how links leave the window (links.go)
	badge   badgeState                 // the unread count on the icon (badge.go)
	// typing: the user sends and sees typing indicators (preferences); read on
	// the engine's event path, which must not take mu.
	typing atomic.Bool

	backup backupState // backup.go
	files  fileState   // files.go
	// started is when this Core was made: files prepared to send before it were
	// prepared by an earlier process, whose keys are gone (chat.Config.PreparedSince).
	started time.Time

	mu       sync.Mutex // guards everything below
	session  *session   // nil while locked
	idle     clock.Timer
	storage  clock.Timer // the vault file's presence check (storage.go)
	failures int
	notUntil time.Time // no unlock attempt before this time
	joining  *joining  // this device linking itself to an account (link.go)

	// removed says whether, and how, this device learned it was removed from its
	// account (devices.go); the observer sets it without Core.mu.
	removed atomic.Int32

	// storageLost is set when the vault file vanished while unlocked (a removed
	// drive) and cleared once it is back (storage.go).
	storageLost atomic.Bool

	// linkWait guards linkCancel, which ends a DeviceService.Link waiting for the
	// new device (it runs without Core.mu).
	linkWait   sync.Mutex
	linkCancel context.CancelFunc

	// fetch fetches link previews (linkpreview.go); set once by New.
	fetch fetchPreview
}

// session is what exists only while the vault is unlocked.
type session struct {
	vault   *vault.Vault
	account *identity.AccountKey
	device  *identity.DeviceKey
	profile Profile
	prefs   preferences
	engine  *chat.Engine // nil if messaging failed to start
}

// New returns a Core for the vault at cfg.VaultPath. It does not open the vault.
func New(cfg Config) (*Core, error) {
	if cfg.VaultPath == "" {
		return nil, errors.New("app: no vault path")
	}
	c := &Core{cfg: cfg, log: cfg.Logger, clk: cfg.Clock}
	c.backup.exports = map[string]string{}
	c.backup.uploads = map[string]string{}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.clk == nil {
		c.clk = clock.Real()
	}
	c.started = c.clk.Now()
	c.fetch = linkpreview.New().Fetch
	// Until the window says otherwise, assume the user is looking at it.
	c.notify.focused.Store(true)
	return c, nil
}

// SetEmitter sets where events go. The desktop shell only has its emitter once the
// window has started, hence a setter rather than a Config field.
func (c *Core) SetEmitter(e Emitter) {
	c.emitMu.Lock()
	defer c.emitMu.Unlock()
	c.emitter = e
}

func (c *Core) emit(ev Event) {
	c.emitMu.Lock()
	e := c.emitter
	c.emitMu.Unlock()
	if e != nil {
		e.Emit(ev.EventName(), ev)
	}
}

// Services returns the bound services, in the order the UI's client expects.
func (c *Core) Services() []any {
	return []any{&AccountService{c: c}, &SettingsService{c: c},
		&ConnectionService{c: c}, &ContactService{c: c}, &ChatService{c: c}, &DeviceService{c: c}, &WindowService{c: c}, &BackupService{c: c}, &FileService{c: c}}
}

// Shutdown locks the vault and releases everything. It is safe to call twice.
func (c *Core) Shutdown() {
	c.dropTransfers()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stopJoiningLocked()
	c.lockLocked()
}

func (c *Core) vaultExists() (bool, error) {
	_, err := os.Stat(c.cfg.VaultPath)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, os.ErrNotExist):
		return false, nil
	default:
		return false, fmt.Errorf("look for vault: %w", err)
	}
}

// lockLocked drops the session: the vault closes (zeroing its keys) and the identity
// keys are destroyed. It reports whether anything was unlocked.
func (c *Core) lockLocked() bool {
	if c.idle != nil {
		c.idle.Stop()
		c.idle = nil
	}
	if c.storage != nil {
		c.storage.Stop()
		c.storage = nil
	}
	s := c.session
	if s == nil {
		return false
	}
	c.session = nil
	// A running export or import ends with the session: it would hold the
	// vault's Close (and so this lock) until its last record.
	c.cancelBackup()
	c.files.drop(s.engine) // files staged to send are unreadable without their keys anyway
	stopEngineLocked(s)    // before the keys and the vault go
	c.showUnread(0)        // after the engine's last event: nothing to read while locked
	s.account.Destroy()
	s.device.Destroy()
	if err := s.vault.Close(); err != nil {
		c.log.Error("close vault", "err", err)
	}
	// What the session decrypted (the search index, pages of messages) is
	// garbage now: collect it and hand the freed pages back to the system, so
	// that most of it is no longer in this process's memory while it is locked
	// (docs/SECURITY.md, "Search").
	releaseMemory()
	return true
}

// lock locks on behalf of reason and tells the UI.
func (c *Core) lock(reason LockReason) {
	c.mu.Lock()
	locked := c.lockLocked()
	c.mu.Unlock()
	if locked {
		c.log.Info("vault locked", "reason", string(reason))
		c.protect.secretOpen.Store(false) // no chat is on screen any more
		c.applyScreenProtection()
		c.emit(VaultLocked{Reason: reason})
	}
}

// armIdleLocked restarts the auto-lock countdown from now.
func (c *Core) armIdleLocked() {
	if c.idle != nil {
		c.idle.Stop()
		c.idle = nil
	}
	if c.session == nil || c.session.prefs.AutoLockMinutes == 0 {
		return
	}
	s := c.session
	c.idle = c.clk.AfterFunc(time.Duration(s.prefs.AutoLockMinutes)*time.Minute, func() {
		c.mu.Lock()
		current := c.session == s
		c.mu.Unlock()
		if current {
			c.lock(LockReasonIdle)
		}
	})
}

// withSession runs fn with the unlocked session, or returns ErrLocked.
func (c *Core) withSession(fn func(*session) error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.session == nil {
		return ErrLocked
	}
	return fn(c.session)
}

// userError carries a message for people while keeping the cause for errors.Is.
type userError struct {
	msg   string
	cause error
}

func (e *userError) Error() string { return e.msg }
func (e *userError) Unwrap() error { return e.cause }

func invalid(msg string) error { return &userError{msg: msg, cause: ErrInvalidInput} }

func checkPassphrase(p string) error {
	n := utf8.RuneCountInString(p)
	switch {
	case n == 0:
		return invalid("Enter a passphrase.")
	case n < MinPassphraseLength:
		return invalid(fmt.Sprintf("The passphrase is too short: use at least %d characters.", MinPassphraseLength))
	case len(p) > maxPassphraseLength:
		return invalid("The passphrase is too long.")
	}
	return nil
}

func checkName(what, name string) error {
	switch n := utf8.RuneCountInString(name); {
	case n == 0:
		return invalid(fmt.Sprintf("Enter a %s.", what))
	case n > maxDisplayNameLength:
		return invalid(fmt.Sprintf("The %s is too long (at most %d characters).", what, maxDisplayNameLength))
	}
	return nil
}

// defaultContext bounds service calls that the UI makes without a context.
func defaultContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), time.Minute)
}
