package vault

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"slices"
	"testing"

	"hush/identity"
	"hush/ids"
	"hush/policy"
)

// directChatIDAsChatDoes derives a 1:1 chat's id from its two accounts as
// package chat does (chat.directChatID; chat imports vault, so the test
// cannot call it).
func directChatIDAsChatDoes(a, b ids.Account) ids.Chat {
	if bytes.Compare(a[:], b[:]) > 0 {
		a, b = b, a
	}
	h := sha256.New()
	h.Write([]byte("hush/v1/direct-chat-id"))
	h.Write(a[:])
	h.Write(b[:])
	var id ids.Chat
	copy(id[:], h.Sum(nil))
	return id
}

// graphNeedles is what someone holding a copy of a vault file and the
// relay's public directory would look for: the ids they can compute from
// public keys alone — account ids, device ids, the 1:1 chat id of two
// accounts — every other chat id, and the public keys themselves, as bytes
// and as the hex text ids are printed in. The ids are derived from the keys
// with package identity, as the attacker would, not taken from the vault.
func graphNeedles(t *testing.T, c v1Contents) map[string][]byte {
	t.Helper()
	needles := map[string][]byte{}
	add := func(name string, b []byte) {
		needles[name] = b
		if len(b) == ids.Size {
			needles[name+" (hex)"] = fmt.Appendf(nil, "%x", b)
		}
	}
	account := func(signing, enc []byte) ids.Account {
		k, err := identity.ParseAccountPublicKey(append(slices.Clone(signing), enc...))
		if err != nil {
			t.Fatal(err)
		}
		return k.ID()
	}
	own := account(c.AccountPublic[0], c.AccountPublic[1])
	if own != c.Accounts[0].ID {
		t.Fatal("the own account's id is not the hash of its public key")
	}
	add("own account id", own[:])
	add("own account signing key", c.AccountPublic[0])
	add("own account encryption key", c.AccountPublic[1])
	for i, ct := range c.Contacts {
		id := account(ct.SigningKey, ct.EncryptionKey)
		if id != ct.AccountID {
			t.Fatalf("contact %d's id is not the hash of its public key", i)
		}
		add(fmt.Sprintf("contact account id %d", i), id[:])
		add(fmt.Sprintf("contact signing key %d", i), ct.SigningKey)
		add(fmt.Sprintf("contact encryption key %d", i), ct.EncryptionKey)
		if len(ct.KEMKey) > 0 {
			add(fmt.Sprintf("contact ML-KEM key %d", i), ct.KEMKey)
		}
		chat := directChatIDAsChatDoes(own, id)
		add(fmt.Sprintf("1:1 chat id with contact %d", i), chat[:])
	}
	for i, d := range c.Devices {
		k, err := identity.ParseDevicePublicKey(append(slices.Clone(d.SigningPublic), d.EncryptionPublic...))
		if err != nil {
			t.Fatal(err)
		}
		id := k.ID()
		if id != d.ID {
			t.Fatalf("device %d's id is not the hash of its public key", i)
		}
		add(fmt.Sprintf("device id %d", i), id[:])
		add(fmt.Sprintf("device signing key %d", i), d.SigningPublic)
		add(fmt.Sprintf("device encryption key %d", i), d.EncryptionPublic)
	}
	for i, ch := range c.Chats {
		add(fmt.Sprintf("chat id %d", i), ch.ID[:])
	}
	if !slices.ContainsFunc(c.Chats, func(ch Chat) bool { return ch.ID == c.DirectChat }) ||
		c.DirectChat != directChatIDAsChatDoes(own, c.Contacts[0].AccountID) {
		t.Fatal("the contents' 1:1 chat is not derived as package chat derives it")
	}
	return needles
}

// findNeedles returns "name in file at offset" for every needle found in the
// vault's files (database, WAL, shared memory).
func findNeedles(t *testing.T, path string, needles map[string][]byte) []string {
	t.Helper()
	var found []string
	scanned := 0
	for _, p := range vaultFiles(path) {
		b, err := os.ReadFile(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		scanned += len(b)
		for name, needle := range needles {
			if i := bytes.Index(b, needle); i >= 0 {
				found = append(found, fmt.Sprintf("%s in %s at %d", name, p, i))
			}
		}
	}
	if scanned == 0 {
		t.Fatal("nothing scanned")
	}
	slices.Sort(found)
	return found
}

// TestGraphTagsAreSeparated stores one account as an own account, a contact,
// a device's owner and a member of two chats, and a chat whose id has the
// same 16 bytes: every clear column holds a different value, and none the id.
// So the file does not link a contact to its devices or its chats, nor the
// members of one chat to another's (in the version 1 layout all eight held
// the same 16 bytes).
func TestGraphTagsAreSeparated(t *testing.T) {
	v, _ := newVault(t)
	same := newID(t)
	other := newID(t)
	update(t, v, func(tx *Tx) error {
		for _, fn := range []func() error{
			func() error { return tx.PutAccount(Account{ID: same}) },
			func() error { return tx.PutContact(Contact{AccountID: same}) },
			func() error { return tx.PutDevice(Device{ID: same, AccountID: same}) },
			func() error {
				return tx.PutChat(Chat{ID: same, Kind: policy.KindGroup, Members: []Member{{AccountID: same, Role: policy.RoleOwner}}})
			},
			func() error {
				return tx.PutChat(Chat{ID: other, Kind: policy.KindGroup, Members: []Member{{AccountID: same, Role: policy.RoleMember}}})
			},
			func() error { return tx.PutSession(same, []byte("state")) },
		} {
			if err := fn(); err != nil {
				return err
			}
		}
		return nil
	})
	var clear [][]byte
	for _, q := range []string{
		`SELECT tag FROM accounts`, `SELECT tag FROM contacts`, `SELECT tag FROM devices`,
		`SELECT owner_tag FROM devices`, `SELECT tag FROM chats WHERE tag = ?1`, `SELECT member_tag FROM chat_members`,
		`SELECT peer_tag FROM sessions`,
	} {
		rows, err := v.db.QueryContext(t.Context(), q, v.keys.graphTag(domainChat, same))
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var b []byte
			if err := rows.Scan(&b); err != nil {
				t.Fatal(err)
			}
			clear = append(clear, b)
		}
		rows.Close()
	}
	if len(clear) != 8 {
		t.Fatalf("read %d clear values, want 8", len(clear))
	}
	for i, a := range clear {
		if bytes.Equal(a, same[:]) {
			t.Errorf("clear value %d is the id itself", i)
		}
		for _, b := range clear[i+1:] {
			if bytes.Equal(a, b) {
				t.Errorf("two columns share the value %x", a)
			}
		}
	}
	view(t, v, func(tx *Tx) error {
		c, err := tx.Chat(other)
		if err != nil || len(c.Members) != 1 || c.Members[0].AccountID != same {
			t.Errorf("Chat(other) = %+v, %v", c, err)
		}
		return nil
	})
}

// TestClearColumnsCheckedAgainstSealedIDs moves rows between owners and
// chats by rewriting only their clear tag columns with raw SQL, as someone
// editing the file could. The blobs' associated data binds only the row's
// key, so the move itself is possible: reading the row without the check (the
// weakened reader, tx.message and the like) returns it under its new chat or
// owner. The real reads compare the clear tag with the tag of the sealed id
// and fail with ErrCorrupt.
func TestClearColumnsCheckedAgainstSealedIDs(t *testing.T) {
	v, _ := newVault(t)
	a, b := newChat(t, v), newChat(t, v)
	m := pendingMessage(t, a, "moved")
	owner, thief := ids.Account(newID(t)), ids.Account(newID(t))
	dev := Device{ID: newID(t), AccountID: owner, Name: "phone"}
	item := OutboxItem{ID: newID(t), ChatID: a, Payload: []byte("p")}
	update(t, v, func(tx *Tx) error {
		for _, fn := range []func() error{
			func() error { return tx.InsertMessage(m) },
			func() error { return tx.PutDevice(dev) },
			func() error { return tx.Enqueue(item) },
		} {
			if err := fn(); err != nil {
				return err
			}
		}
		return nil
	})
	exec := func(t *testing.T, q string, args ...any) {
		t.Helper()
		if res, err := v.db.ExecContext(t.Context(), q, args...); err != nil {
			t.Fatal(err)
		} else if n, _ := res.RowsAffected(); n != 1 {
			t.Fatalf("%s: %d rows", q, n)
		}
	}
	tagB := v.keys.graphTag(domainChat, b)
	tests := []struct {
		name   string
		tamper func(t *testing.T)
		// weakened reads the moved row without the check and reports
		// whether the attack worked.
		weakened func(tx *Tx) (bool, error)
		read     func(tx *Tx) error
	}{
		{
			name:   "message moved to another chat",
			tamper: func(t *testing.T) { exec(t, `UPDATE messages SET chat_tag = ?2 WHERE id = ?1`, m.ID[:], tagB) },
			weakened: func(tx *Tx) (bool, error) {
				var seq int64
				var blob []byte
				err := tx.queryRow(`SELECT seq, data FROM messages WHERE chat_tag = ?1`, tagB).Scan(&seq, &blob)
				if err != nil {
					return false, err
				}
				got, err := tx.message(m.ID, seq, blob)
				return err == nil && got.Body == "moved", err
			},
			read: func(tx *Tx) error {
				_, err := tx.Message(m.ID)
				if !errors.Is(err, ErrCorrupt) {
					return fmt.Errorf("Message = %w", err)
				}
				_, _, err = tx.Messages(b, PageCursor{}, 10)
				return err
			},
		},
		{
			name: "device moved to another account",
			tamper: func(t *testing.T) {
				exec(t, `UPDATE devices SET owner_tag = ?2 WHERE tag = ?1`,
					v.keys.graphTag(domainDevice, dev.ID), v.keys.graphTag(domainDeviceOwner, thief))
			},
			weakened: func(tx *Tx) (bool, error) {
				var blob []byte
				tag := tx.deviceTag(dev.ID)
				if err := tx.queryRow(`SELECT data FROM devices WHERE owner_tag = ?1`, tx.ownerTag(thief)).Scan(&blob); err != nil {
					return false, err
				}
				_, err := openRecord[deviceRecord](tx, tableDevices, tag, blob)
				return err == nil, err
			},
			read: func(tx *Tx) error {
				_, err := tx.Device(dev.ID)
				if !errors.Is(err, ErrCorrupt) {
					return fmt.Errorf("Device = %w", err)
				}
				_, err = tx.DevicesOf(thief)
				return err
			},
		},
		{
			name:   "outbox item moved to another chat",
			tamper: func(t *testing.T) { exec(t, `UPDATE outbox SET chat_tag = ?2 WHERE id = ?1`, item.ID[:], tagB) },
			weakened: func(tx *Tx) (bool, error) {
				var blob []byte
				if err := tx.queryRow(`SELECT data FROM outbox WHERE chat_tag = ?1`, tagB).Scan(&blob); err != nil {
					return false, err
				}
				_, err := openRecord[outboxRecord](tx, tableOutbox, item.ID[:], blob)
				return err == nil, err
			},
			read: func(tx *Tx) error { _, err := tx.Outbox(10); return err },
		},
		{
			name:   "outbox item moved out of its chat",
			tamper: func(t *testing.T) { exec(t, `UPDATE outbox SET chat_tag = NULL WHERE id = ?1`, item.ID[:]) },
			weakened: func(tx *Tx) (bool, error) {
				var blob []byte
				if err := tx.queryRow(`SELECT data FROM outbox WHERE chat_tag IS NULL`).Scan(&blob); err != nil {
					return false, err
				}
				_, err := openRecord[outboxRecord](tx, tableOutbox, item.ID[:], blob)
				return err == nil, err
			},
			read: func(tx *Tx) error { _, err := tx.Outbox(10); return err },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.tamper(t)
			view(t, v, func(tx *Tx) error {
				worked, err := tt.weakened(tx)
				if err != nil || !worked {
					t.Fatalf("the move did not take (%v): the check below would prove nothing", err)
				}
				return nil
			})
			if err := v.View(t.Context(), tt.read); !errors.Is(err, ErrCorrupt) {
				t.Errorf("read after the move = %v, want ErrCorrupt", err)
			}
		})
	}
}

// TestMemberRowBoundToItsChat copies a member row into another chat: its
// blob is sealed for chat tag || member tag, so it opens in no other chat.
func TestMemberRowBoundToItsChat(t *testing.T) {
	v, _ := newVault(t)
	a, b := newChat(t, v), newChat(t, v)
	member := ids.Account(newID(t))
	update(t, v, func(tx *Tx) error {
		return tx.PutChat(Chat{ID: a, Kind: policy.KindGroup, Members: []Member{{AccountID: member, Role: policy.RoleAdmin}}})
	})
	if _, err := v.db.ExecContext(t.Context(), `INSERT INTO chat_members (chat_tag, member_tag, data)
		SELECT ?1, member_tag, data FROM chat_members WHERE chat_tag = ?2`,
		v.keys.graphTag(domainChat, b), v.keys.graphTag(domainChat, a)); err != nil {
		t.Fatal(err)
	}
	err := v.View(t.Context(), func(tx *Tx) error { _, err := tx.Chat(b); return err })
	if !errors.Is(err, ErrCorrupt) {
		t.Errorf("Chat with a member row copied from another chat = %v, want ErrCorrupt", err)
	}
	if err := v.View(t.Context(), func(tx *Tx) error { _, err := tx.Chat(a); return err }); err != nil {
		t.Errorf("the original chat: %v", err)
	}
}
