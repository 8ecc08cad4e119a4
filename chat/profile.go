package chat

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"

	"hush/accountlog"
	"hush/vault"
)

// The display name is the account's, not the device's: changed on one device, it
// is kept in the vault's account row, travels to the account's other devices as an
// account-log record (the newest change wins) and from then on goes with every
// message this account sends.

// ownName is this account's display name as the engine's parts use it; it changes
// at run time, read by the sender and the directory on their own goroutines.
type ownName struct{ p atomic.Pointer[nameState] }

// nameState is one display name: shown with this account's own messages; sent
// with them ("" when it may not travel: err says why, and Send refuses).
type nameState struct {
	shown string
	sent  string
	err   error
}

func newOwnName(name string) *ownName {
	n := &ownName{}
	n.set(name)
	return n
}

func (n *ownName) set(name string) {
	st := &nameState{shown: name}
	if name != "" {
		if st.err = CheckDisplayName(name); st.err == nil {
			st.sent = name
		}
	}
	n.p.Store(st)
}

func (n *ownName) get() nameState { return *n.p.Load() }

// DisplayName returns the name this account shows to others.
func (e *Engine) DisplayName() string { return e.name.get().shown }

// SetDisplayName changes the name this account shows to others, on every device of
// the account: one line of at most chatcrypto.MaxSenderNameChars characters.
func (e *Engine) SetDisplayName(ctx context.Context, name string) error {
	name = strings.TrimSpace(name)
	if name == "" {
		return detailf(ErrInvalid, "a display name cannot be empty")
	}
	if err := CheckDisplayName(name); err != nil {
		return err
	}
	if err := e.storeName(ctx, name); err != nil {
		return err
	}
	e.acct.publish(ctx, accountlog.Record{Kind: accountlog.KindDisplayName, Value: true, Text: name})
	return nil
}

// applyName takes a display name another device of the account chose. A name this
// version could not send is not applied: the device keeps the one it has.
func (e *Engine) applyName(ctx context.Context, name string) error {
	if name == "" || CheckDisplayName(name) != nil {
		return fmt.Errorf("display name from another device: %w", ErrInvalid)
	}
	if name == e.DisplayName() {
		return nil
	}
	if err := e.storeName(ctx, name); err != nil {
		return err
	}
	e.obs.DisplayNameChanged(name)
	return nil
}

// storeName keeps name in the vault's account row and starts using it.
func (e *Engine) storeName(ctx context.Context, name string) error {
	err := e.list.v.Update(ctx, func(tx *vault.Tx) error {
		a, err := tx.Account(e.me)
		if err != nil {
			return err
		}
		a.DisplayName = name
		return tx.PutAccount(a)
	})
	if errors.Is(err, vault.ErrNotFound) {
		return fmt.Errorf("change display name: no account in the vault: %w", err)
	}
	if err != nil {
		return fmt.Errorf("change display name: %w", err)
	}
	e.name.set(name)
	return nil
}
