package store_test

import (
	"context"
	"path/filepath"
	"testing"

	"hush/ids"
	"hush/policy"
	"hush/relay/store"
)

func TestAcquainted(t *testing.T) { eachEngine(t, testAcquainted) }

func testAcquainted(t *testing.T, e engine) {
	s := open(t, e, "")
	ctx := context.Background()
	alice, bob, chat := setup(t, s)
	carol := ids.Account{4}
	aliceLaptop, bobPhone, carolPhone := ids.Device{5}, ids.Device{6}, ids.Device{7}
	write(t, s, func(tx store.Tx) error {
		if err := tx.CreateAccount(ctx, store.Account{ID: carol, PublicKey: make([]byte, 64), CreatedAt: 1}); err != nil {
			return err
		}
		for d, a := range map[ids.Device]ids.Account{aliceLaptop: alice, bobPhone: bob, carolPhone: carol} {
			if err := tx.CreateDevice(ctx, store.Device{ID: d, AccountID: a, Cert: []byte("c"), CreatedAt: 1}); err != nil {
				return err
			}
		}
		return nil
	})
	check := func(account ids.Account, device ids.Device, want bool) {
		t.Helper()
		got, err := s.Acquainted(ctx, account, device)
		if err != nil || got != want {
			t.Errorf("Acquainted(%v, %v) = %v, %v; want %v", account, device, got, err, want)
		}
	}
	check(alice, aliceLaptop, true) // its own device
	check(alice, bobPhone, true)    // they share a chat
	check(bob, aliceLaptop, true)
	check(alice, carolPhone, false) // no chat in common
	check(carol, bobPhone, false)
	check(alice, ids.Device{99}, false) // unknown device

	// Once bob leaves the chat, alice and bob are strangers.
	writeChat(t, s, chat, func(tx store.Tx, c *store.Chat) (err error) {
		return tx.RemoveMember(ctx, c, bob)
	})
	check(alice, bobPhone, false)
	// A group with carol makes them acquainted.
	write(t, s, func(tx store.Tx) error {
		return tx.CreateChat(ctx, &store.Chat{ID: ids.Chat{8}, Kind: policy.KindGroup, CreatedBy: carol, Members: map[ids.Account]*store.Member{
			carol: {Role: policy.RoleOwner}, alice: {Role: policy.RoleMember},
		}}, 1)
	})
	check(alice, carolPhone, true)
}

// BenchmarkAcquainted measures the stranger check of one InboxSend: two accounts in
// no common chat, each a member of 20 chats with others.
func BenchmarkAcquainted(b *testing.B) {
	s, err := store.Open(context.Background(), filepath.Join(b.TempDir(), "relay.db"), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	alice, carol, carolPhone := ids.Account{1}, ids.Account{2}, ids.Device{3}
	if err := s.Write(ctx, func(tx store.Tx) error {
		for i := range 40 {
			other := ids.Account{9, byte(i)}
			if err := tx.CreateAccount(ctx, store.Account{ID: other, PublicKey: make([]byte, 64), CreatedAt: 1}); err != nil {
				return err
			}
			member := alice
			if i%2 == 1 {
				member = carol
			}
			if err := tx.CreateChat(ctx, &store.Chat{ID: ids.Chat{7, byte(i)}, Kind: policy.KindDirect, CreatedBy: other, Members: map[ids.Account]*store.Member{
				other: {Role: policy.RoleOwner}, member: {Role: policy.RoleMember},
			}}, 1); err != nil {
				return err
			}
		}
		for _, a := range []ids.Account{alice, carol} {
			if err := tx.CreateAccount(ctx, store.Account{ID: a, PublicKey: make([]byte, 64), CreatedAt: 1}); err != nil {
				return err
			}
		}
		return tx.CreateDevice(ctx, store.Device{ID: carolPhone, AccountID: carol, Cert: []byte("c"), CreatedAt: 1})
	}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		if ok, err := s.Acquainted(ctx, alice, carolPhone); err != nil || ok {
			b.Fatal(ok, err)
		}
	}
}
