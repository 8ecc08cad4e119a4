package app

import (
	"bytes"
	"context"
	"testing"

	"hush/identity"
	"hush/vault"
)

// sessionAccount returns the unlocked account's public key (with its ML-KEM key).
func (f *fixture) sessionAccount(t *testing.T) identity.AccountPublicKey {
	t.Helper()
	f.core.mu.Lock()
	defer f.core.mu.Unlock()
	if f.core.session == nil {
		t.Fatal("locked")
	}
	if !f.core.session.account.HasKEM() {
		t.Fatal("the unlocked account key has no ML-KEM key")
	}
	return f.core.session.account.Public()
}

// storedAccount opens the (locked) vault directly and returns its account record,
// after letting change edit it.
func (f *fixture) storedAccount(t *testing.T, change func(*vault.Account)) vault.Account {
	t.Helper()
	ctx := context.Background()
	v, err := vault.Open(ctx, f.core.cfg.VaultPath, []byte(pass), testVaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	var a vault.Account
	err = v.Update(ctx, func(tx *vault.Tx) error {
		all, err := tx.Accounts()
		if err != nil || len(all) != 1 {
			t.Fatalf("accounts: %d, %v", len(all), err)
		}
		a = all[0]
		if change == nil {
			return nil
		}
		change(&a)
		return tx.PutAccount(a)
	})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// kemOf rebuilds the account key a vault record holds.
func kemOf(t *testing.T, a vault.Account) identity.AccountPublicKey {
	t.Helper()
	k, err := identity.AccountKeyFromSeeds(a.SigningSeed, a.EncryptionKey, a.KEMSeed)
	if err != nil {
		t.Fatal(err)
	}
	if !k.HasKEM() {
		t.Fatal("the stored account has no ML-KEM seed")
	}
	return k.Public()
}

func sameKEM(a, b identity.AccountPublicKey) bool {
	return a.KEMKey() != nil && b.KEMKey() != nil && bytes.Equal(a.KEMKey().Bytes(), b.KEMKey().Bytes())
}

// TestCreateStoresKEMSeed: a new account's ML-KEM seed is in the vault, and the key
// unlocked later is that one.
func TestCreateStoresKEMSeed(t *testing.T) {
	f := newFixture(t)
	f.create(t)
	created := f.sessionAccount(t)
	if err := f.account.Lock(); err != nil {
		t.Fatal(err)
	}
	stored := f.storedAccount(t, nil)
	if len(stored.KEMSeed) != identity.KEMSeedSize {
		t.Fatalf("stored ML-KEM seed of %d bytes", len(stored.KEMSeed))
	}
	if !sameKEM(kemOf(t, stored), created) {
		t.Fatal("the stored seed is not the created account's")
	}
	if _, err := f.account.Unlock(pass); err != nil {
		t.Fatal(err)
	}
	if !sameKEM(f.sessionAccount(t), created) {
		t.Fatal("unlocked a different ML-KEM key")
	}
}

// TestUnlockAddsKEMToLegacyVault: a vault written before ML-KEM (its account record
// has no seed) gets one at unlock, stored, and the same one at the next unlock; the
// account's identity does not change.
func TestUnlockAddsKEMToLegacyVault(t *testing.T) {
	f := newFixture(t)
	p := f.create(t)
	if err := f.account.Lock(); err != nil {
		t.Fatal(err)
	}
	legacy := f.storedAccount(t, func(a *vault.Account) { a.KEMSeed = nil })
	if len(legacy.KEMSeed) != 0 {
		t.Fatal("test did not remove the seed")
	}

	p2, err := f.account.Unlock(pass)
	if err != nil {
		t.Fatal(err)
	}
	if p2.AccountFingerprint != p.AccountFingerprint {
		t.Fatal("the upgrade changed the account")
	}
	upgraded := f.sessionAccount(t)
	if err := f.account.Lock(); err != nil {
		t.Fatal(err)
	}
	stored := f.storedAccount(t, nil)
	if !sameKEM(kemOf(t, stored), upgraded) {
		t.Fatal("the ML-KEM key added at unlock was not stored")
	}
	if stored.DisplayName != legacy.DisplayName || !bytes.Equal(stored.SigningSeed, legacy.SigningSeed) ||
		!bytes.Equal(stored.EncryptionKey, legacy.EncryptionKey) || !stored.CreatedAt.Equal(legacy.CreatedAt) {
		t.Fatalf("the upgrade changed the account record: %+v", stored)
	}

	if _, err := f.account.Unlock(pass); err != nil {
		t.Fatal(err)
	}
	if !sameKEM(f.sessionAccount(t), upgraded) {
		t.Fatal("a second unlock made another ML-KEM key")
	}
}
