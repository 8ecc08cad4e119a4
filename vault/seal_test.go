package vault

import (
	"bytes"
	"errors"
	"os"
	"slices"
	"testing"
	"time"
	"unicode/utf16"

	"hush/identity"
	"hush/ids"
	"hush/policy"
)

// TestBlobMovedToAnotherRowFailsToOpen swaps and copies sealed blobs with
// raw SQL, as someone editing the file could, and checks that every read
// fails with ErrCorrupt instead of returning another row's data.
func TestBlobMovedToAnotherRowFailsToOpen(t *testing.T) {
	v, _ := newVault(t)
	chat := newChat(t, v)
	m1, m2 := pendingMessage(t, chat, "first"), pendingMessage(t, chat, "second")
	acct := Account{ID: newID(t), DisplayName: "Ada"}
	update(t, v, func(tx *Tx) error {
		for _, fn := range []func() error{
			func() error { return tx.InsertMessage(m1) },
			func() error { return tx.InsertMessage(m2) },
			func() error { return tx.PutAccount(acct) },
			func() error { return tx.PutDraft(chat, "draft") },
			func() error { return tx.PutSetting("a", []byte("1")) },
			func() error { return tx.PutSetting("b", []byte("2")) },
			func() error { return tx.SetCursor("x", 1) },
			func() error { return tx.PutEpochKey(chat, 0, []byte("k0")) },
			func() error { return tx.PutEpochKey(chat, 1, []byte("k1")) },
		} {
			if err := fn(); err != nil {
				return err
			}
		}
		return nil
	})
	tag := func(table, name string) []byte { return v.keys.sealerTag(table, name) }
	acctTag := v.keys.graphTag(domainAccount, acct.ID)
	chatTag := v.keys.graphTag(domainChat, chat)

	blob := func(t *testing.T, q string, args ...any) []byte {
		t.Helper()
		var b []byte
		if err := v.db.QueryRowContext(t.Context(), q, args...).Scan(&b); err != nil {
			t.Fatal(err)
		}
		return b
	}
	exec := func(t *testing.T, q string, args ...any) {
		t.Helper()
		if _, err := v.db.ExecContext(t.Context(), q, args...); err != nil {
			t.Fatal(err)
		}
	}
	const msgData = `SELECT data FROM messages WHERE id = ?1`
	const settingData = `SELECT data FROM settings WHERE name_tag = ?1`

	tests := []struct {
		name   string
		tamper func(t *testing.T)
		read   func(tx *Tx) error
	}{
		{
			name: "swap two messages",
			tamper: func(t *testing.T) {
				b1, b2 := blob(t, msgData, m1.ID[:]), blob(t, msgData, m2.ID[:])
				exec(t, `UPDATE messages SET data = ?2 WHERE id = ?1`, m1.ID[:], b2)
				exec(t, `UPDATE messages SET data = ?2 WHERE id = ?1`, m2.ID[:], b1)
			},
			read: func(tx *Tx) error { _, err := tx.Message(m1.ID); return err },
		},
		{
			name: "other row of the swap",
			read: func(tx *Tx) error { _, err := tx.Message(m2.ID); return err },
		},
		{
			name: "message blob into a draft (other table)",
			tamper: func(t *testing.T) {
				exec(t, `UPDATE drafts SET data = ?2 WHERE chat_tag = ?1`, chatTag, blob(t, msgData, m2.ID[:]))
			},
			read: func(tx *Tx) error { _, err := tx.Draft(chat); return err },
		},
		{
			name: "account blob into a message with the same row id",
			tamper: func(t *testing.T) {
				acctBlob := blob(t, `SELECT data FROM accounts WHERE tag = ?1`, acctTag)
				exec(t, `UPDATE messages SET id = ?1, data = ?2 WHERE id = ?3`, acctTag, acctBlob, m2.ID[:])
			},
			read: func(tx *Tx) error { _, err := tx.Message(ids.Message(acctTag)); return err },
		},
		{
			name: "swap two settings",
			tamper: func(t *testing.T) {
				a, b := tag(tableSettings, "a"), tag(tableSettings, "b")
				ba, bb := blob(t, settingData, a), blob(t, settingData, b)
				exec(t, `UPDATE settings SET data = ?2 WHERE name_tag = ?1`, a, bb)
				exec(t, `UPDATE settings SET data = ?2 WHERE name_tag = ?1`, b, ba)
			},
			read: func(tx *Tx) error { _, err := tx.Setting("a"); return err },
		},
		{
			name: "setting blob into a cursor",
			tamper: func(t *testing.T) {
				exec(t, `UPDATE cursors SET data = ?1`, blob(t, settingData, tag(tableSettings, "b")))
			},
			read: func(tx *Tx) error { _, err := tx.Cursor("x"); return err },
		},
		{
			name: "epoch 1 key copied to epoch 0",
			tamper: func(t *testing.T) {
				exec(t, `UPDATE epoch_keys SET data = ?1 WHERE epoch = 0`, blob(t, `SELECT data FROM epoch_keys WHERE epoch = 1`))
			},
			read: func(tx *Tx) error { _, err := tx.EpochKey(chat, 0); return err },
		},
		{
			name: "one flipped bit",
			tamper: func(t *testing.T) {
				b := blob(t, `SELECT data FROM accounts WHERE tag = ?1`, acctTag)
				b[30] ^= 1
				exec(t, `UPDATE accounts SET data = ?2 WHERE tag = ?1`, acctTag, b)
			},
			read: func(tx *Tx) error { _, err := tx.Account(acct.ID); return err },
		},
		{
			name: "truncated blob",
			tamper: func(t *testing.T) {
				b := blob(t, `SELECT data FROM accounts WHERE tag = ?1`, acctTag)
				exec(t, `UPDATE accounts SET data = ?2 WHERE tag = ?1`, acctTag, b[:20])
			},
			read: func(tx *Tx) error { _, err := tx.Accounts(); return err },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.tamper != nil {
				tt.tamper(t)
			}
			err := v.View(t.Context(), tt.read)
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("read after tampering = %v, want ErrCorrupt", err)
			}
		})
	}
}

// sealerTag is a test hook to compute lookup tags like the vault does.
func (k *keySet) sealerTag(table, name string) []byte {
	tx := &Tx{keys: k}
	return tx.lookupTag(table, name)
}

// graphTag is a test hook to compute graph index tags like the vault does.
func (k *keySet) graphTag(d domain, id [ids.Size]byte) []byte {
	tx := &Tx{keys: k}
	return tx.tag(d, id, [ids.Size]byte{})
}

// encodings returns the forms of a marker a scan should not find.
func encodings(marker string) map[string][]byte {
	u16 := utf16.Encode([]rune(marker))
	le := make([]byte, 0, 2*len(u16))
	be := make([]byte, 0, 2*len(u16))
	for _, r := range u16 {
		le = append(le, byte(r), byte(r>>8))
		be = append(be, byte(r>>8), byte(r))
	}
	return map[string][]byte{"utf-8": []byte(marker), "utf-16le": le, "utf-16be": be}
}

// scanFiles fails the test if any form of marker is in the vault's files.
func scanFiles(t *testing.T, path, marker string) {
	t.Helper()
	needles := map[string][]byte{}
	for enc, needle := range encodings(marker) {
		needles["marker ("+enc+")"] = needle
	}
	for _, found := range findNeedles(t, path, needles) {
		t.Errorf("in clear: %s", found)
	}
}

// scanWorld is a small social graph with real keys (package identity): an
// own account with a device, two contacts with a device each, a group of
// the three and the 1:1 chat with the first contact, its id derived as
// package chat derives it. Its fields are filled in as the fixture's are, so
// graphNeedles can compute what an attacker would search for.
func scanWorld(t *testing.T) v1Contents {
	t.Helper()
	newAccount := func() *identity.AccountKey {
		k, err := identity.NewAccountKey()
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	device := func(owner *identity.AccountKey, own bool) Device {
		k, err := identity.NewDeviceKey()
		if err != nil {
			t.Fatal(err)
		}
		cert, err := identity.IssueCertificate(owner, k.Public(), time.Now())
		if err != nil {
			t.Fatal(err)
		}
		d := Device{ID: k.ID(), AccountID: owner.ID(), SigningPublic: k.Public().SigningKey(),
			EncryptionPublic: k.Public().EncryptionKey().Bytes(), Certificate: cert, Own: own}
		if own {
			d.SigningSeed, d.EncryptionKey = k.Seeds()
		}
		return d
	}
	own, bob, carol := newAccount(), newAccount(), newAccount()
	sign, enc, _ := own.Seeds()
	w := v1Contents{
		AccountPublic: [][]byte{own.Public().SigningKey(), own.Public().EncryptionKey().Bytes()},
		Accounts:      []Account{{ID: own.ID(), SigningSeed: sign, EncryptionKey: enc}},
		Devices:       []Device{device(own, true), device(bob, false), device(carol, false)},
		DirectChat:    directChatIDAsChatDoes(own.ID(), bob.ID()),
	}
	for _, k := range []*identity.AccountKey{bob, carol} {
		w.Contacts = append(w.Contacts, Contact{AccountID: k.ID(), SigningKey: k.Public().SigningKey(),
			EncryptionKey: k.Public().EncryptionKey().Bytes(), KEMKey: k.Public().KEMKey().Bytes()})
	}
	w.Chats = []Chat{
		{ID: w.DirectChat, Kind: policy.KindDirect, Members: []Member{
			{AccountID: own.ID(), Role: policy.RoleMember}, {AccountID: bob.ID(), Role: policy.RoleMember}}},
		{ID: ids.New[ids.Chat](), Kind: policy.KindGroup, Members: []Member{
			{AccountID: own.ID(), Role: policy.RoleOwner}, {AccountID: bob.ID(), Role: policy.RoleAdmin},
			{AccountID: carol.ID(), Role: policy.RoleMember}}},
	}
	return w
}

// TestPlaintextScan writes text carrying a marker, and a small social graph
// with real keys, through every API that stores text, secrets or ids, and
// checks that none of it appears on disk: not the marker, not an account,
// device or chat id (the 1:1 chat's derived from its two accounts' public
// keys), not a public key, in bytes or hex text — not in the database, the
// WAL or the shared-memory file, neither while the vault is open nor after
// Close. It attacks first: the same search over a vault written before the
// graph index finds every id.
func TestPlaintextScan(t *testing.T) {
	const marker = "ZebraQuokka7361"
	t.Run("attack on the version 1 layout", func(t *testing.T) {
		path, old := loadV1Fixture(t)
		found := findNeedles(t, path, graphNeedles(t, old))
		if len(found) < len(old.Accounts)+len(old.Contacts)+len(old.Devices)+len(old.Chats) {
			t.Fatalf("the search finds only %v in a vault written before the graph index", found)
		}
	})

	v, path := newVault(t)
	// Keep the WAL around while open, so the scan sees uncheckpointed frames.
	if _, err := v.db.ExecContext(t.Context(), "PRAGMA wal_autocheckpoint = 0"); err != nil {
		t.Fatal(err)
	}
	mk := func(s string) string { return s + " " + marker + " " + s }
	secret := []byte(mk("key material"))
	w := scanWorld(t)
	direct, group := w.Chats[0].ID, w.Chats[1].ID
	msgID := ids.New[ids.Message]()
	update(t, v, func(tx *Tx) error {
		var steps []func() error
		for _, a := range w.Accounts {
			a.DisplayName, a.Handle, a.KEMSeed = mk("name"), mk("@h"), secret
			steps = append(steps, func() error { return tx.PutAccount(a) })
		}
		for _, d := range w.Devices {
			d.Name = mk("device")
			steps = append(steps, func() error { return tx.PutDevice(d) })
			steps = append(steps, func() error { return tx.PutSession(d.ID, secret) })
		}
		for _, c := range w.Contacts {
			c.Handle, c.DisplayName = mk("@c"), mk("contact")
			steps = append(steps, func() error { return tx.PutContact(c) })
		}
		for _, c := range w.Chats {
			c.Title, c.Extra = mk("title"), secret
			steps = append(steps, func() error { return tx.PutChat(c) })
			steps = append(steps, func() error { return tx.PutDraft(c.ID, mk("draft")) })
			steps = append(steps, func() error { return tx.PutEpochKey(c.ID, 3, secret) })
			steps = append(steps, func() error { return tx.PutLogRecord(c.ID, 1, secret) })
			// The engine names a chat's cursor after the chat id's text.
			steps = append(steps, func() error { return tx.SetCursor("chat:"+c.ID.String(), 5) })
			steps = append(steps, func() error {
				return tx.Enqueue(OutboxItem{ID: ids.New[ids.Message](), ChatID: c.ID, Payload: secret})
			})
		}
		steps = append(steps,
			func() error {
				return tx.InsertMessage(Message{ID: msgID, ChatID: direct, Body: mk("body"), Status: policy.StatusSent,
					SenderAccount: w.Contacts[0].AccountID, SenderDevice: w.Devices[1].ID, Extra: secret})
			},
			func() error {
				return tx.InsertMessage(Message{ID: ids.New[ids.Message](), ChatID: group, Body: mk("body"), Status: policy.StatusSent,
					SenderAccount: w.Accounts[0].ID, SenderDevice: w.Devices[0].ID, ReplyTo: &msgID})
			},
			func() error {
				return tx.PutAttachment(Attachment{ID: newID(t), MessageID: msgID, Name: mk("file.txt"), MIME: mk("text/x"), FileKey: secret})
			},
			func() error { return tx.PutSetting(mk("setting-name"), []byte(mk("setting-value"))) },
			func() error { return tx.SetCursor(mk("scope"), 5) },
			func() error { return tx.Enqueue(OutboxItem{ID: ids.New[ids.Message](), Payload: secret}) },
			func() error { return tx.PutPrekey(newID(t), secret) },
		)
		for _, step := range steps {
			if err := step(); err != nil {
				return err
			}
		}
		return nil
	})
	if st, err := os.Stat(path + "-wal"); err != nil || st.Size() == 0 {
		t.Fatalf("expected a non-empty WAL while open: %v", err)
	}
	needles := graphNeedles(t, w)
	t.Run("open", func(t *testing.T) {
		scanFiles(t, path, marker)
		if found := findNeedles(t, path, needles); len(found) > 0 {
			t.Errorf("in clear: %v", found)
		}
	})

	// Sanity check that the scan can fail: a blob column holding the
	// marker, an account id and a public key in clear is found.
	canary := newID(t)
	planted := slices.Concat([]byte("canary "+marker), w.Contacts[0].AccountID[:], w.Devices[1].EncryptionPublic)
	if _, err := v.db.ExecContext(t.Context(), `INSERT INTO prekeys (id, data) VALUES (?1, ?2)`, canary[:], planted); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, p := range vaultFiles(path) {
		b, _ := os.ReadFile(p)
		found = found || bytes.Contains(b, []byte(marker))
	}
	if !found {
		t.Fatal("scan cannot see a clear marker; the test would pass vacuously")
	}
	if got := findNeedles(t, path, needles); len(got) != 2 {
		t.Fatalf("planted an account id and a public key, the scan finds %v", got)
	}
	update(t, v, func(tx *Tx) error { return tx.DeletePrekey(canary) })

	if err := v.Close(); err != nil {
		t.Fatal(err)
	}
	t.Run("closed", func(t *testing.T) {
		scanFiles(t, path, marker)
		if found := findNeedles(t, path, needles); len(found) > 0 {
			t.Errorf("in clear after Close: %v", found)
		}
	})
}

// TestWipeLeavesNoTrace deletes a message and checks that its sealed blob
// (ciphertext, which the master key could still open) is gone from the
// database file and the WAL: secure_delete plus the checkpoint after wipe.
func TestWipeLeavesNoTrace(t *testing.T) {
	v, path := newVault(t)
	chat := newChat(t, v)
	m := pendingMessage(t, chat, "self-destructing")
	att := Attachment{ID: newID(t), MessageID: m.ID, FileKey: bytes.Repeat([]byte{0xAB}, 32), Name: "photo.jpg"}
	update(t, v, func(tx *Tx) error {
		if err := tx.InsertMessage(m); err != nil {
			return err
		}
		return tx.PutAttachment(att)
	})
	var msgBlob, attBlob []byte
	if err := v.db.QueryRowContext(t.Context(), `SELECT data FROM messages WHERE id = ?1`, m.ID[:]).Scan(&msgBlob); err != nil {
		t.Fatal(err)
	}
	if err := v.db.QueryRowContext(t.Context(), `SELECT data FROM attachments WHERE id = ?1`, att.ID[:]).Scan(&attBlob); err != nil {
		t.Fatal(err)
	}
	present := func() (where []string) {
		for _, p := range vaultFiles(path) {
			b, _ := os.ReadFile(p)
			for name, needle := range map[string][]byte{"message": msgBlob[1:40], "attachment": attBlob[1:40], "message id": m.ID[:]} {
				if bytes.Contains(b, needle) {
					where = append(where, name+" in "+p)
				}
			}
		}
		return where
	}
	if len(present()) == 0 {
		t.Fatal("blobs not on disk before the wipe; the test would pass vacuously")
	}
	update(t, v, func(tx *Tx) error { return tx.DeleteMessage(m.ID) })
	if where := present(); len(where) > 0 {
		t.Errorf("after wipe, still on disk: %v", where)
	}
	if st, err := os.Stat(path + "-wal"); err == nil && st.Size() != 0 {
		t.Errorf("WAL not truncated after wipe: %d bytes", st.Size())
	}
}
