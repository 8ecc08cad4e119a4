package vaultbackup

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"hush/backup"
	"hush/ids"
	"hush/policy"
	"hush/vault"
)

func exportBytes(t testing.TB, v *vault.Vault) []byte {
	t.Helper()
	var buf bytes.Buffer
	if _, err := Export(t.Context(), v, &buf, backupPass, exportOptions()); err != nil {
		t.Fatalf("Export: %v", err)
	}
	return buf.Bytes()
}

func restore(t testing.TB, file []byte) (*vault.Vault, Result) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "restored.db")
	v, res, err := Restore(t.Context(), path, []byte("new vault passphrase"), vaultOptions(), bytes.NewReader(file), backupPass, ImportOptions{})
	if err != nil {
		t.Fatalf("Restore: %v", err)
	}
	t.Cleanup(func() { v.Close() })
	return v, res
}

func TestExportRestoreRoundTrip(t *testing.T) {
	src, _ := newVault(t, t.TempDir())
	f := populate(t, src, 5)
	var last Progress
	var buf bytes.Buffer
	m, err := Export(t.Context(), src, &buf, backupPass, ExportOptions{
		App: "hush test", Backup: backup.Options{InsecureWorkFactor: 2}, Progress: func(p Progress) { last = p },
	})
	if err != nil {
		t.Fatal(err)
	}
	want := backup.Counts{Accounts: 1, Devices: 3, Contacts: 2, Chats: 3, EpochKeys: 6, LogRecords: 6, Drafts: 3,
		Messages: 15, Settings: 2, Cursors: 4, Attachments: 3}
	if m.Counts != want || m.Account != f.account || m.Version != backup.FormatVersion {
		t.Errorf("manifest = %+v, want counts %+v", m, want)
	}
	if last.Items != want.Total() || last.TotalItems != want.Total() || last.Bytes != int64(buf.Len()) {
		t.Errorf("last progress = %+v, want %d items and %d bytes", last, want.Total(), buf.Len())
	}
	dst, res := restore(t, buf.Bytes())
	if res.Added != want {
		t.Errorf("restore added %+v, want %+v", res.Added, want)
	}
	if got, want := dump(t, dst), withoutSecret(dump(t, src), f); !slices.Equal(got, want) {
		t.Errorf("restored vault differs from the source without its secret chat:\n%s", diff(want, got))
	}
}

// TestSecretChatsExcluded reads the plaintext with age alone: nothing of the
// secret chat is in it, not even its id.
func TestSecretChatsExcluded(t *testing.T) {
	v, _ := newVault(t, t.TempDir())
	f := populate(t, v, 3)
	plain := agePlain(t, exportBytes(t, v))
	for _, s := range [][]byte{[]byte(secretBody), f.secret[:], []byte(f.secret.String()), []byte("secret prekey state"),
		[]byte("ratchet state"), []byte("prekey private")} {
		if bytes.Contains(plain, s) {
			t.Errorf("the backup holds %q", s)
		}
	}
	if !bytes.Contains(plain, []byte("group message 1")) {
		t.Error("the backup lacks a cloud chat's message: the search above proves nothing")
	}
}

func TestImportIsIdempotent(t *testing.T) {
	src, _ := newVault(t, t.TempDir())
	f := populate(t, src, 4)
	file := exportBytes(t, src)
	dst, _ := restore(t, file)
	before := dump(t, dst)

	// Lose some of it, and change what must be kept.
	err := dst.Update(t.Context(), func(tx *vault.Tx) error {
		return errors.Join(tx.DeleteChat(f.chats[1]), tx.PutDraft(f.chats[0], "newer draft"), tx.DeleteSetting("preferences"))
	})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Import(t.Context(), dst, bytes.NewReader(file), backupPass, ImportOptions{})
	if err != nil {
		t.Fatalf("Import: %v", err)
	}
	want := backup.Counts{Chats: 1, EpochKeys: 2, LogRecords: 2, Drafts: 1, Messages: 4, Settings: 1, Attachments: 1}
	if res.Added != want {
		t.Errorf("import added %+v, want %+v", res.Added, want)
	}
	after := dump(t, dst)
	if d := diff(before, after); d != "- draft "+f.chats[0].String()+" \"draft of direct\"\n+ draft "+f.chats[0].String()+" \"newer draft\"" {
		t.Errorf("after the import, the vault differs from the restore by more than the newer draft:\n%s", d)
	}
	for range 2 {
		res, err := Import(t.Context(), dst, bytes.NewReader(file), backupPass, ImportOptions{})
		if err != nil {
			t.Fatalf("Import again: %v", err)
		}
		if res.Added != (backup.Counts{}) {
			t.Errorf("importing again added %+v", res.Added)
		}
		if d := diff(after, dump(t, dst)); d != "" {
			t.Errorf("importing again changed the vault:\n%s", d)
		}
	}
}

// TestImportKeepsThisDevice: merging a backup of another device of the account
// stores that device without its private keys.
func TestImportKeepsThisDevice(t *testing.T) {
	src, _ := newVault(t, t.TempDir())
	f := populate(t, src, 1)
	other, _ := newVault(t, t.TempDir())
	err := other.Update(t.Context(), func(tx *vault.Tx) error {
		return errors.Join(
			tx.PutAccount(vault.Account{ID: f.account, SigningSeed: []byte("sign-seed"), EncryptionKey: []byte("enc-key")}),
			tx.PutDevice(vault.Device{ID: ids.New[ids.Device](), AccountID: f.account, SigningSeed: []byte("mine"), EncryptionKey: []byte("mine"), Own: true}))
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Import(t.Context(), other, bytes.NewReader(exportBytes(t, src)), backupPass, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	other.View(t.Context(), func(tx *vault.Tx) error {
		d, err := tx.Device(f.device)
		if err != nil {
			t.Fatal(err)
		}
		if d.Own || d.SigningSeed != nil || d.EncryptionKey != nil {
			t.Errorf("the backed-up device was imported with its keys: %+v", d)
		}
		return nil
	})
}

// TestBadFileChangesNothing attacks an import with every kind of bad file: the
// vault keeps every row, and its file every byte.
func TestBadFileChangesNothing(t *testing.T) {
	stranger, _ := newVault(t, t.TempDir())
	populate(t, stranger, 1)
	other := exportBytes(t, stranger)

	dir := t.TempDir()
	v, path := newVault(t, dir)
	populate(t, v, 600)
	// The vault's own backup, taken before it loses a chat: importing it whole
	// would bring the chat back. It spans several age chunks (64 KiB each), so a
	// flaw near its end is found only after most records went into the
	// transaction.
	own := exportBytes(t, v)
	if len(own) < 3*64<<10 {
		t.Fatalf("the backup is %d bytes, want several chunks", len(own))
	}
	var drop ids.Chat
	v.View(t.Context(), func(tx *vault.Tx) error { cs, _ := tx.Chats(); drop = cs[0].ID; return nil })
	if err := v.Update(t.Context(), func(tx *vault.Tx) error { return tx.DeleteChat(drop) }); err != nil {
		t.Fatal(err)
	}
	rows := dump(t, v)
	v.Close()
	hash := fileHash(t, path)

	tests := []struct {
		name string
		file []byte
		pass string
		want error
	}{
		{"wrong passphrase", own, "wrong backup passphrase", backup.ErrWrongPassphrase},
		{"truncated", own[:len(own)*2/3], backupPass, backup.ErrCorrupt},
		{"last byte cut", own[:len(own)-1], backupPass, backup.ErrCorrupt},
		{"tampered early", flipIn(own, len(own)/3), backupPass, backup.ErrCorrupt},
		{"tampered last chunk", flipIn(own, len(own)-5), backupPass, backup.ErrCorrupt},
		{"random bytes", bytes.Repeat([]byte{0x5a}, 4096), backupPass, backup.ErrNotBackup},
		{"other age file", ageFile(t, []byte("not a backup at all")), backupPass, backup.ErrNotBackup},
		{"newer format", ageFile(t, newerPlain(t, own)), backupPass, backup.ErrNewerFormat},
		{"other account", other, backupPass, ErrOtherAccount},
		{"attachment of a message not in the backup", rewrite(t, own, func(r backup.Record) {
			if a, ok := r.(*backup.Attachment); ok {
				a.MessageID = ids.New[ids.Message]()
			}
		}), backupPass, backup.ErrCorrupt},
		{"cut at a chunk boundary", own[:len(own)-(len(own)-ageHeaderLen(t, own)-16)%(64<<10+16)], backupPass, backup.ErrCorrupt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := vault.Open(t.Context(), path, []byte(vaultPass), vaultOptions())
			if err != nil {
				t.Fatal(err)
			}
			_, err = Import(t.Context(), v, bytes.NewReader(tt.file), tt.pass, ImportOptions{})
			if !errors.Is(err, tt.want) {
				t.Errorf("Import = %v, want %v", err, tt.want)
			}
			if d := diff(rows, dump(t, v)); d != "" {
				t.Errorf("the vault's rows changed:\n%s", d)
			}
			v.Close()
			if fileHash(t, path) != hash {
				t.Error("the vault file changed")
			}
		})
	}
}

// flipIn alters one byte of an age file's payload (past its header).
func flipIn(file []byte, i int) []byte {
	b := bytes.Clone(file)
	b[i] ^= 0x40
	return b
}

// agePlain decrypts a backup with the age library alone, as the age command does.
func agePlain(t testing.TB, file []byte) []byte {
	t.Helper()
	id, _ := age.NewScryptIdentity(backupPass)
	r, err := age.Decrypt(bytes.NewReader(file), id)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return plain
}

// ageHeaderLen is the length of an age file's header, up to the payload's nonce.
func ageHeaderLen(t testing.TB, file []byte) int {
	t.Helper()
	hdr, err := age.ExtractHeader(bytes.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	return len(hdr)
}

func ageFile(t testing.TB, plain []byte) []byte {
	t.Helper()
	r, _ := age.NewScryptRecipient(backupPass)
	r.SetWorkFactor(2)
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, r)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(plain)
	w.Close()
	return buf.Bytes()
}

// newerPlain decrypts a backup and raises its manifest's version (one byte: the
// manifest is the first frame, and its first field is the version).
func newerPlain(t testing.TB, file []byte) []byte {
	t.Helper()
	plain := agePlain(t, file)
	// magic(12) kind(1) len(4) map-header(1) key 1(1) value
	const versionAt = 12 + 5 + 2
	if plain[versionAt] != backup.FormatVersion {
		t.Fatalf("manifest version byte is %#x", plain[versionAt])
	}
	plain[versionAt] = backup.FormatVersion + 1
	return plain
}

func TestImportSucceedsWhereAttacksFailed(t *testing.T) {
	src, _ := newVault(t, t.TempDir())
	f := populate(t, src, 3)
	file := exportBytes(t, src)
	dst, _ := restore(t, file)
	if err := dst.Update(t.Context(), func(tx *vault.Tx) error { return tx.DeleteChat(f.chats[0]) }); err != nil {
		t.Fatal(err)
	}
	before := dump(t, dst)
	if _, err := Import(t.Context(), dst, bytes.NewReader(file), backupPass, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	if diff(before, dump(t, dst)) == "" {
		t.Fatal("a good import changed nothing: the attack tests above would prove nothing")
	}
}

func TestExportFileCancelLeavesNothing(t *testing.T) {
	v, _ := newVault(t, t.TempDir())
	populate(t, v, 2000)
	dir := t.TempDir()
	path := filepath.Join(dir, "hush.hushbackup")
	if err := os.WriteFile(path, []byte("an older backup"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	opts := exportOptions()
	opts.Progress = func(p Progress) {
		if p.Items > 1000 {
			cancel()
		}
	}
	_, err := ExportFile(ctx, v, path, backupPass, opts)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("ExportFile = %v, want context.Canceled", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("the directory holds %d entries after a cancel, want the older backup only", len(entries))
	}
	if b, _ := os.ReadFile(path); string(b) != "an older backup" {
		t.Errorf("the older backup became %q", b)
	}

	// And without a cancel, the file is there, whole.
	if _, err := ExportFile(t.Context(), v, path, backupPass, exportOptions()); err != nil {
		t.Fatal(err)
	}
	readBackupFile(t, path)
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("the directory holds %d entries, want the backup only", len(entries))
	}
}

func TestRestoreBadFileLeavesNoVault(t *testing.T) {
	src, _ := newVault(t, t.TempDir())
	populate(t, src, 3)
	file := exportBytes(t, src)
	for _, tt := range []struct {
		name string
		file []byte
		pass string
	}{
		{"wrong passphrase", file, "wrong"},
		{"truncated", file[:len(file)-10], backupPass},
		{"tampered", flipIn(file, len(file)-100), backupPass},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "vault.db")
			if _, _, err := Restore(t.Context(), path, []byte(vaultPass), vaultOptions(), bytes.NewReader(tt.file), tt.pass, ImportOptions{}); err == nil {
				t.Fatal("Restore succeeded")
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Errorf("a failed restore left %d files", len(entries))
			}
		})
	}
	t.Run("onto a vault", func(t *testing.T) {
		_, path := newVault(t, t.TempDir())
		if _, _, err := Restore(t.Context(), path, []byte(vaultPass), vaultOptions(), bytes.NewReader(file), backupPass, ImportOptions{}); !errors.Is(err, ErrVaultExists) {
			t.Fatalf("Restore = %v, want ErrVaultExists", err)
		}
	})
}

func TestExportRefusesVaultWithoutAccount(t *testing.T) {
	v, _ := newVault(t, t.TempDir())
	if _, err := Export(t.Context(), v, io.Discard, backupPass, exportOptions()); !errors.Is(err, ErrNoAccount) {
		t.Fatalf("Export = %v, want ErrNoAccount", err)
	}
}

// rewrite reads a backup and writes it again with edit applied to each record,
// as an attacker with the passphrase could.
func rewrite(t testing.TB, file []byte, edit func(backup.Record)) []byte {
	t.Helper()
	r, err := backup.NewReader(bytes.NewReader(file), backupPass)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	w, err := backup.NewWriter(&out, backupPass, r.Manifest(), backup.Options{InsecureWorkFactor: 2})
	if err != nil {
		t.Fatal(err)
	}
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		edit(rec)
		if err := w.Write(rec); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// TestExpiredMessagesStayOut: a cloud chat's message whose auto-delete time has
// passed but that no sweep deleted yet (Hush not running) is not exported, nor is
// its attachment; one still to go travels with its expiry, and is restored with
// its timer — or left out, with its attachment, when its time passed since.
func TestExpiredMessagesStayOut(t *testing.T) {
	src, _ := newVault(t, t.TempDir())
	f := populate(t, src, 2)
	now := time.Now()
	gone, later := ids.New[ids.Message](), ids.New[ids.Message]()
	err := src.Update(t.Context(), func(tx *vault.Tx) error {
		for _, m := range []struct {
			id      ids.Message
			body    string
			expires time.Time
		}{{gone, "EXPIRED-TEXT-91d2", now.Add(-time.Minute)}, {later, "LATER-TEXT-7a3e", now.Add(time.Hour)}} {
			if err := errors.Join(
				tx.InsertMessage(vault.Message{ID: m.id, ChatID: f.chats[0], Seq: 50, SenderAccount: f.account, SentAt: at(200), Body: m.body, Status: policy.StatusRead}),
				tx.PutTimer(m.id, m.expires),
				tx.PutAttachment(vault.Attachment{ID: ids.New[ids.File](), MessageID: m.id, FileKey: bytes.Repeat([]byte{9}, 32), Name: m.body + ".jpg", MIME: "image/jpeg", Size: 9}),
			); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	opts := exportOptions()
	opts.Now = func() time.Time { return now }
	var buf bytes.Buffer
	m, err := Export(t.Context(), src, &buf, backupPass, opts)
	if err != nil {
		t.Fatal(err)
	}
	if m.Counts.Messages != 7 || m.Counts.Attachments != 4 {
		t.Errorf("counted %d messages and %d attachments, want 7 and 4", m.Counts.Messages, m.Counts.Attachments)
	}
	plain := agePlain(t, buf.Bytes())
	if bytes.Contains(plain, []byte("EXPIRED-TEXT-91d2")) || bytes.Contains(plain, gone[:]) {
		t.Error("the backup holds the expired message or its attachment")
	}
	if !bytes.Contains(plain, []byte("LATER-TEXT-7a3e")) {
		t.Error("the backup lacks the message still to go: the search above proves nothing")
	}

	restoreAt := func(when time.Time) *vault.Vault {
		t.Helper()
		v, _, err := Restore(t.Context(), filepath.Join(t.TempDir(), "restored.db"), []byte("new vault passphrase"), vaultOptions(),
			bytes.NewReader(buf.Bytes()), backupPass, ImportOptions{Now: func() time.Time { return when }})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { v.Close() })
		return v
	}
	dst := restoreAt(now)
	if got, want := dump(t, dst), withoutSecret(dump(t, src), f); !slices.Equal(got, without(want, "EXPIRED-TEXT-91d2")) {
		t.Errorf("restored vault differs from the source without the expired message:\n%s", diff(without(want, "EXPIRED-TEXT-91d2"), got))
	}
	late := restoreAt(now.Add(2 * time.Hour))
	for _, l := range dump(t, late) {
		if strings.Contains(l, "LATER-TEXT-7a3e") || strings.Contains(l, later.String()) {
			t.Errorf("restored after its time: %s", l)
		}
	}
}

// without drops the lines of a dump that mention s.
func without(lines []string, s string) []string {
	return slices.DeleteFunc(slices.Clone(lines), func(l string) bool { return strings.Contains(l, s) })
}
