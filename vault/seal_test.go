package vault

import (
	"bytes"
	"errors"
	"hush/ids"
	"hush/policy"
	"os"
	"testing"
	"unicode/utf16"
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
				exec(t, `UPDATE drafts SET data = ?2 WHERE chat_id = ?1`, chat[:], blob(t, msgData, m2.ID[:]))
			},
			read: func(tx *Tx) error { _, err := tx.Draft(chat); return err },
		},
		{
			name: "account blob into a message with the same row id",
			tamper: func(t *testing.T) {
				acctBlob := blob(t, `SELECT data FROM accounts WHERE id = ?1`, acct.ID[:])
				exec(t, `UPDATE messages SET id = ?1, data = ?2 WHERE id = ?3`, acct.ID[:], acctBlob, m2.ID[:])
			},
			read: func(tx *Tx) error { _, err := tx.Message(ids.Message(acct.ID)); return err },
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
				b := blob(t, `SELECT data FROM accounts WHERE id = ?1`, acct.ID[:])
				b[30] ^= 1
				exec(t, `UPDATE accounts SET data = ?2 WHERE id = ?1`, acct.ID[:], b)
			},
			read: func(tx *Tx) error { _, err := tx.Account(acct.ID); return err },
		},
		{
			name: "truncated blob",
			tamper: func(t *testing.T) {
				b := blob(t, `SELECT data FROM accounts WHERE id = ?1`, acct.ID[:])
				exec(t, `UPDATE accounts SET data = ?2 WHERE id = ?1`, acct.ID[:], b[:20])
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
		for enc, needle := range encodings(marker) {
			if i := bytes.Index(b, needle); i >= 0 {
				t.Errorf("%s: marker (%s) in clear at offset %d", p, enc, i)
			}
		}
	}
	if scanned == 0 {
		t.Fatal("nothing scanned")
	}
}

// TestPlaintextScan writes text carrying a marker through every API that
// stores text or secrets, and checks the marker appears nowhere on disk:
// not in the database, the WAL or the shared-memory file, neither while
// the vault is open nor after Close.
func TestPlaintextScan(t *testing.T) {
	const marker = "ZebraQuokka7361"
	v, path := newVault(t)
	// Keep the WAL around while open, so the scan sees uncheckpointed frames.
	if _, err := v.db.ExecContext(t.Context(), "PRAGMA wal_autocheckpoint = 0"); err != nil {
		t.Fatal(err)
	}
	mk := func(s string) string { return s + " " + marker + " " + s }
	secret := []byte(mk("key material"))
	chatID, msgID, acctID := newID(t), newID(t), newID(t)
	update(t, v, func(tx *Tx) error {
		for _, fn := range []func() error{
			func() error {
				return tx.PutAccount(Account{ID: acctID, DisplayName: mk("name"), Handle: mk("@h"), SigningSeed: secret, EncryptionKey: secret, KEMSeed: secret})
			},
			func() error {
				return tx.PutDevice(Device{ID: newID(t), AccountID: acctID, Name: mk("device"), SigningSeed: secret,
					EncryptionKey: secret, SigningPublic: secret, EncryptionPublic: secret, Certificate: secret})
			},
			func() error {
				return tx.PutContact(Contact{AccountID: newID(t), Handle: mk("@c"), DisplayName: mk("contact"),
					SigningKey: secret, EncryptionKey: secret})
			},
			func() error {
				return tx.PutChat(Chat{ID: chatID, Kind: policy.KindGroup, Title: mk("title"), Extra: secret,
					Members: []Member{{AccountID: acctID, Role: policy.RoleOwner}}})
			},
			func() error {
				return tx.InsertMessage(Message{ID: msgID, ChatID: chatID, Body: mk("body"), Status: policy.StatusSent, Extra: secret})
			},
			func() error {
				return tx.PutAttachment(Attachment{ID: newID(t), MessageID: msgID, Name: mk("file.txt"), MIME: mk("text/x"), FileKey: secret})
			},
			func() error { return tx.PutSetting(mk("setting-name"), []byte(mk("setting-value"))) },
			func() error { return tx.PutDraft(chatID, mk("draft")) },
			func() error { return tx.SetCursor(mk("scope"), 5) },
			func() error { return tx.Enqueue(OutboxItem{ID: newID(t), ChatID: chatID, Payload: secret}) },
			func() error { return tx.PutEpochKey(chatID, 3, secret) },
			func() error { return tx.PutSession(newID(t), secret) },
			func() error { return tx.PutPrekey(newID(t), secret) },
		} {
			if err := fn(); err != nil {
				return err
			}
		}
		return nil
	})
	if st, err := os.Stat(path + "-wal"); err != nil || st.Size() == 0 {
		t.Fatalf("expected a non-empty WAL while open: %v", err)
	}
	t.Run("open", func(t *testing.T) { scanFiles(t, path, marker) })

	// Sanity check that the scan can fail: a blob column holding the
	// marker in clear is found.
	canary := newID(t)
	if _, err := v.db.ExecContext(t.Context(), `INSERT INTO prekeys (id, data) VALUES (?1, ?2)`, canary[:], []byte("canary "+marker)); err != nil {
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
	update(t, v, func(tx *Tx) error { return tx.DeletePrekey(canary) })

	if err := v.Close(); err != nil {
		t.Fatal(err)
	}
	t.Run("closed", func(t *testing.T) { scanFiles(t, path, marker) })
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
