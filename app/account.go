package app

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"runtime/debug"
	"time"

	"hush/chat"
	"hush/identity"
	"hush/vault"
)

// LockReason says why the vault locked.
type LockReason string

// Reasons given with [VaultLocked].
const (
	LockReasonManual  LockReason = "manual"  // the user locked
	LockReasonIdle    LockReason = "idle"    // auto-lock after the chosen idle time
	LockReasonStorage LockReason = "storage" // the data folder vanished while unlocked (a pulled USB stick)
)

// Values lists every reason, for the generated UI contract.
func (LockReason) Values() []string {
	return []string{string(LockReasonManual), string(LockReasonIdle), string(LockReasonStorage)}
}

// Back-off after wrong passphrases: the first freeAttempts failures cost nothing
// beyond the key derivation itself; after that each failure doubles the wait, up
// to maxBackoff. It only slows guessing through the UI — someone holding the file
// can guess offline, which is what Argon2id's cost is for.
const (
	freeAttempts = 2
	maxBackoff   = 5 * time.Minute
)

// Status is what the UI needs to choose its first screen.
type Status struct {
	// State says which screen to show: welcome, unlock or the main window.
	State VaultState `json:"state"`
	// RetryAfterMs is how long the unlock screen must wait before the next try
	// after wrong passphrases; 0 means now.
	RetryAfterMs int64 `json:"retryAfterMs"`
	// DefaultRelayURL is the relay a new account (or a device being linked) uses
	// unless the user says otherwise.
	DefaultRelayURL string `json:"defaultRelayUrl"`
	// Removed is true once this device learned it was removed from its account
	// (the removal screen); RemovedVerified as in [DevicesChanged].
	Removed         bool `json:"removed"`
	RemovedVerified bool `json:"removedVerified"`
}

// Profile describes the unlocked account on this device.
type Profile struct {
	// DisplayName is the name other people see.
	DisplayName string `json:"displayName"`
	// AccountFingerprint identifies the account key, for comparing out of band.
	AccountFingerprint string `json:"accountFingerprint"`
	// DeviceID is this device's id.
	DeviceID string `json:"deviceId"`
	// DeviceName is this device's name, chosen by the user (the host name at first).
	DeviceName string `json:"deviceName"`
}

// AccountService creates the account, unlocks and locks the vault: what screen the
// UI shows depends on it.
type AccountService struct{ c *Core }

// Status reports whether there is a vault, whether it is unlocked, and how long
// the unlock screen must wait. It works in every state.
func (s *AccountService) Status() (Status, error) {
	c := s.c
	c.mu.Lock()
	defer c.mu.Unlock()
	var st Status
	defer func() { c.log.Debug("status", "state", st.State) }()
	st.DefaultRelayURL = cmp.Or(c.cfg.DefaultRelayURL, chat.DefaultRelayURL)
	switch c.removed.Load() {
	case removedSigned:
		st.Removed, st.RemovedVerified = true, true
	case removedSaysRelay:
		st.Removed = true
	}
	if c.session != nil {
		st.State = StateUnlocked
		return st, nil
	}
	exists, err := c.vaultExists()
	if err != nil {
		return Status{}, err
	}
	st.State = StateNew
	// A vault that vanished with its drive is still this device's account: the
	// unlock screen, never the welcome screen that would create one elsewhere.
	if exists || c.storageLost.Load() {
		st.State = StateLocked
	}
	if wait := c.notUntil.Sub(c.clk.Now()); wait > 0 {
		st.RetryAfterMs = wait.Milliseconds()
	}
	return st, nil
}

// Create makes the vault, the account keys and this device's keys, and leaves the
// vault unlocked: the first start only; it fails if an account already exists.
// displayName is one line of at most Rules.MaxNameLength characters; passphrase
// has at least Rules.MinPassphraseLength.
func (s *AccountService) Create(displayName, passphrase string) (Profile, error) {
	c := s.c
	if err := checkName("display name", displayName); err != nil {
		return Profile{}, err
	}
	// The name travels with every message; one that could not would make every
	// send fail.
	if err := chat.CheckDisplayName(displayName); err != nil {
		return Profile{}, invalid("The display name must be one line of text, without control or text-direction characters.")
	}
	if err := checkPassphrase(passphrase); err != nil {
		return Profile{}, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.session != nil {
		return Profile{}, ErrAlreadyExists
	}
	if err := c.storageMissingLocked(); err != nil {
		return Profile{}, err
	}
	if exists, err := c.vaultExists(); err != nil {
		return Profile{}, err
	} else if exists {
		return Profile{}, ErrAlreadyExists
	}
	ctx, cancel := defaultContext()
	defer cancel()
	pass := []byte(passphrase)
	defer clear(pass)
	sess, err := c.createVault(ctx, displayName, pass, nil)
	if err != nil {
		c.log.Error("create account", "err", err)
		return Profile{}, &userError{msg: "Could not create the vault: " + rootCause(err), cause: err}
	}
	c.session = sess
	c.applyNotifyPrefs(sess.prefs)
	c.startEngineLocked(ctx, sess)
	c.armIdleLocked()
	releaseMemory()
	c.log.Info("account created", "device", sess.profile.DeviceID)
	return sess.profile, nil
}

// createVault makes the vault of a new account, or of a device linked to one when
// linked holds what linking brought (its keys are then used, not new ones).
func (c *Core) createVault(ctx context.Context, displayName string, pass []byte, linked *chat.Joined) (_ *session, err error) {
	v, err := vault.Create(ctx, c.cfg.VaultPath, pass, c.cfg.VaultOptions)
	if err != nil {
		return nil, fmt.Errorf("create vault: %w", err)
	}
	defer func() {
		if err != nil {
			// Nothing was ever stored in it: remove it so the user can try again.
			v.Close()
			removeVaultFiles(c.cfg.VaultPath)
		}
	}()
	now := c.clk.Now()
	acct, dev, cert, err := accountKeys(linked, now)
	if err != nil {
		return nil, err
	}
	handle := ""
	if linked != nil {
		handle = linked.Handle
	}
	deviceName := defaultDeviceName()
	prefs := defaultPreferences()
	aSign, aEnc, _ := acct.Seeds()
	aKEM, aOtherKEM := acct.StoredKEMSeeds()
	dSign, dEnc := dev.Seeds()
	defer clear(aSign)
	defer clear(aEnc)
	defer clear(aKEM)
	defer clear(dSign)
	defer clear(dEnc)
	err = v.Update(ctx, func(tx *vault.Tx) error {
		if err := tx.PutAccount(vault.Account{
			ID:            acct.ID(),
			DisplayName:   displayName,
			Handle:        handle,
			SigningSeed:   aSign,
			EncryptionKey: aEnc,
			KEMSeed:       aKEM,
			OtherKEMSeeds: aOtherKEM,
			CreatedAt:     now,
		}); err != nil {
			return err
		}
		dp := dev.Public()
		if err := tx.PutDevice(vault.Device{
			ID:               dev.ID(),
			AccountID:        acct.ID(),
			Name:             deviceName,
			SigningPublic:    dp.SigningKey(),
			EncryptionPublic: dp.EncryptionKey().Bytes(),
			SigningSeed:      dSign,
			EncryptionKey:    dEnc,
			Certificate:      cert,
			Own:              true,
			CreatedAt:        now,
		}); err != nil {
			return err
		}
		if linked != nil {
			if err := chat.StoreLinked(tx, *linked); err != nil {
				return err
			}
		}
		return putPreferences(tx, prefs)
	})
	if err != nil {
		return nil, fmt.Errorf("store keys: %w", err)
	}
	return &session{
		vault:   v,
		account: acct,
		device:  dev,
		prefs:   prefs,
		profile: Profile{
			DisplayName:        displayName,
			AccountFingerprint: acct.Public().Fingerprint(),
			DeviceID:           dev.ID().String(),
			DeviceName:         deviceName,
		},
	}, nil
}

// accountKeys returns the keys of a new account, or those linking brought.
func accountKeys(linked *chat.Joined, now time.Time) (*identity.AccountKey, *identity.DeviceKey, []byte, error) {
	if linked != nil {
		// The session keeps the account key; the caller destroys linked's copy.
		signing, enc, _ := linked.Account.Seeds()
		kem, others := linked.Account.StoredKEMSeeds()
		defer clear(signing)
		defer clear(enc)
		defer clear(kem)
		acct, err := identity.AccountKeyFromSeeds(signing, enc, kem)
		if err == nil {
			_, err = acct.AddKEMSeeds(others)
		}
		return acct, linked.Device, linked.Certificate, err
	}
	acct, err := identity.NewAccountKey()
	if err != nil {
		return nil, nil, nil, err
	}
	dev, err := identity.NewDeviceKey()
	if err != nil {
		return nil, nil, nil, err
	}
	cert, err := identity.IssueCertificate(acct, dev.Public(), now)
	if err != nil {
		return nil, nil, nil, err
	}
	return acct, dev, cert, nil
}

// Unlock opens the vault with passphrase. A wrong passphrase is an error; after
// repeated failures the error names the wait (see Status.RetryAfterMs).
func (s *AccountService) Unlock(passphrase string) (Profile, error) {
	c := s.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.session != nil {
		return c.session.profile, nil
	}
	if wait := c.notUntil.Sub(c.clk.Now()); wait > 0 {
		return Profile{}, throttled(wait)
	}
	if passphrase == "" {
		return Profile{}, invalid("Enter your passphrase.")
	}
	if err := c.storageMissingLocked(); err != nil {
		return Profile{}, err
	}
	if exists, err := c.vaultExists(); err != nil {
		return Profile{}, err
	} else if !exists {
		return Profile{}, ErrNoAccount
	}
	ctx, cancel := defaultContext()
	defer cancel()
	pass := []byte(passphrase)
	defer clear(pass)
	v, err := vault.Open(ctx, c.cfg.VaultPath, pass, c.cfg.VaultOptions)
	if errors.Is(err, vault.ErrWrongPassphrase) {
		c.failures++
		c.notUntil = c.clk.Now().Add(backoff(c.failures))
		c.log.Info("wrong passphrase", "failures", c.failures)
		if wait := backoff(c.failures); wait > 0 {
			return Profile{}, &userError{
				msg:   fmt.Sprintf("Wrong passphrase. Try again in %s.", roundWait(wait)),
				cause: ErrWrongPassphrase,
			}
		}
		return Profile{}, ErrWrongPassphrase
	}
	if err != nil {
		c.log.Error("open vault", "err", err)
		return Profile{}, vaultOpenError(err)
	}
	sess, err := loadSession(ctx, v)
	if err != nil {
		v.Close()
		c.log.Error("load account", "err", err)
		return Profile{}, &userError{msg: "The vault opened but the account in it could not be read: " + rootCause(err), cause: err}
	}
	c.failures = 0
	c.notUntil = time.Time{}
	c.session = sess
	c.applyNotifyPrefs(sess.prefs)
	c.startEngineLocked(ctx, sess)
	c.armIdleLocked()
	releaseMemory()
	c.log.Info("vault unlocked")
	return sess.profile, nil
}

func loadSession(ctx context.Context, v *vault.Vault) (*session, error) {
	var (
		sess   *session
		stored vault.Account
	)
	err := v.View(ctx, func(tx *vault.Tx) error {
		accounts, err := tx.Accounts()
		if err != nil {
			return err
		}
		if len(accounts) != 1 {
			return fmt.Errorf("vault holds %d accounts, want 1", len(accounts))
		}
		a := accounts[0]
		stored = a
		kemSeed := a.KEMSeed
		if len(kemSeed) == 0 {
			kemSeed = nil // a vault written before ML-KEM: added below
		}
		acct, err := identity.AccountKeyFromSeeds(a.SigningSeed, a.EncryptionKey, kemSeed)
		if err == nil {
			_, err = acct.AddKEMSeeds(a.OtherKEMSeeds)
		}
		if err != nil {
			return fmt.Errorf("account key: %w", err)
		}
		devices, err := tx.DevicesOf(a.ID)
		if err != nil {
			return err
		}
		for _, d := range devices {
			if !d.Own || len(d.SigningSeed) == 0 {
				continue
			}
			dev, err := identity.DeviceKeyFromSeeds(d.SigningSeed, d.EncryptionKey)
			if err != nil {
				return fmt.Errorf("device key: %w", err)
			}
			prefs, err := getPreferences(tx)
			if err != nil {
				return err
			}
			sess = &session{
				vault:   v,
				account: acct,
				device:  dev,
				prefs:   prefs,
				profile: Profile{
					DisplayName:        a.DisplayName,
					AccountFingerprint: acct.Public().Fingerprint(),
					DeviceID:           dev.ID().String(),
					DeviceName:         d.Name,
				},
			}
			return nil
		}
		return errors.New("no key for this device in the vault")
	})
	if err != nil {
		return nil, err
	}
	if !sess.account.HasKEM() {
		if err := addAccountKEM(ctx, v, sess.account, stored); err != nil {
			return nil, err
		}
	}
	return sess, nil
}

// addAccountKEM gives the account of a vault written before ML-KEM its ML-KEM-768
// key and stores it in the same record, so that every unlocked engine wraps and
// opens post-quantum envelopes. If the write fails the unlock fails: a key used
// but not stored would be a different one at the next unlock, and envelopes
// wrapped to the first could never be opened.
func addAccountKEM(ctx context.Context, v *vault.Vault, acct *identity.AccountKey, a vault.Account) error {
	if err := acct.AddKEM(); err != nil {
		return fmt.Errorf("add ML-KEM key: %w", err)
	}
	sign, enc, kem := acct.Seeds()
	defer clear(sign)
	defer clear(enc)
	defer clear(kem)
	a.KEMSeed = kem
	if err := v.Update(ctx, func(tx *vault.Tx) error { return tx.PutAccount(a) }); err != nil {
		return fmt.Errorf("store ML-KEM key: %w", err)
	}
	return nil
}

// Lock drops the keys from memory; every window shows the unlock screen on the
// [VaultLocked] event that follows.
func (s *AccountService) Lock() error {
	s.c.lock(LockReasonManual)
	return nil
}

// ChangePassphrase re-wraps the vault's master key under a new passphrase;
// nothing else is re-encrypted. A wrong current passphrase is an error.
func (s *AccountService) ChangePassphrase(current, next string) error {
	if err := checkPassphrase(next); err != nil {
		return err
	}
	if current == next {
		return invalid("The new passphrase is the same as the current one.")
	}
	return s.c.withSession(func(sess *session) error {
		ctx, cancel := defaultContext()
		defer cancel()
		cur, nxt := []byte(current), []byte(next)
		defer clear(cur)
		defer clear(nxt)
		err := sess.vault.ChangePassphrase(ctx, cur, nxt)
		switch {
		case errors.Is(err, vault.ErrWrongPassphrase):
			return &userError{msg: "The current passphrase is wrong.", cause: ErrWrongPassphrase}
		case err != nil:
			s.c.log.Error("change passphrase", "err", err)
			return &userError{msg: "Could not change the passphrase: " + rootCause(err), cause: err}
		}
		s.c.log.Info("passphrase changed")
		return nil
	})
}

// Activity tells Hush the user is active, restarting the auto-lock countdown, so
// auto-lock measures idle time. The UI calls it at most once per 10 s.
func (s *AccountService) Activity() error {
	return s.c.withSession(func(*session) error {
		s.c.armIdleLocked()
		return nil
	})
}

// releaseMemory hands the Go heap's free pages back to the OS at once instead of
// keeping them until the next GC cycles: the Argon2id working memory (64 MiB or
// more per derivation) after an unlock, and the garbage of the start's burst once
// it is over (settle).
func releaseMemory() { debug.FreeOSMemory() }

func backoff(failures int) time.Duration {
	n := failures - freeAttempts
	if n <= 0 {
		return 0
	}
	if n > 20 {
		return maxBackoff
	}
	return time.Duration(math.Min(float64(time.Second)*math.Pow(2, float64(n-1)), float64(maxBackoff)))
}

func throttled(wait time.Duration) error {
	return &userError{msg: fmt.Sprintf("Too many wrong passphrases. Try again in %s.", roundWait(wait)), cause: ErrThrottled}
}

func roundWait(d time.Duration) string {
	secs := int(math.Ceil(d.Seconds()))
	if secs == 1 {
		return "1 second"
	}
	return fmt.Sprintf("%d seconds", secs)
}

func vaultOpenError(err error) error {
	switch {
	case errors.Is(err, vault.ErrVaultTooNew):
		return &userError{msg: "This vault was written by a newer version of Hush. Update Hush to open it; the vault was not changed.", cause: err}
	case errors.Is(err, vault.ErrCorrupt):
		return &userError{msg: "The vault file is damaged and cannot be opened. It was left as it is; restore it from a backup.", cause: err}
	}
	return &userError{msg: "Could not open the vault: " + rootCause(err), cause: err}
}

// rootCause is the innermost error's message: the context chain is for logs, the
// UI needs the reason.
func rootCause(err error) string {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err.Error()
		}
		err = next
	}
}

func defaultDeviceName() string {
	if h, err := os.Hostname(); err == nil && h != "" && len(h) <= maxDisplayNameLength {
		return h
	}
	return "This device"
}

func removeVaultFiles(path string) {
	for _, suffix := range []string{"", "-wal", "-shm"} {
		os.Remove(path + suffix)
	}
}
