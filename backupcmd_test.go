package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"hush/app"
	"hush/attachment"
	"hush/backup"
	"hush/ids"
	"hush/policy"
	"hush/vault"
)

// testBackupEnv keeps key derivation cheap: both options are refused outside a
// test binary.
func testBackupEnv(stdout, stderr *bytes.Buffer) backupEnv {
	return backupEnv{
		stdin: strings.NewReader(""), stdout: stdout, stderr: stderr,
		vault:  vault.Options{InsecureTestKDF: &vault.KDFParams{Memory: 64, Time: 1, Threads: 1}},
		backup: backup.Options{InsecureWorkFactor: 2},
	}
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// newDataDir makes a data directory whose vault holds an account with one chat
// of n messages.
func newDataDir(t *testing.T, n int) string {
	t.Helper()
	dir := t.TempDir()
	v, err := vault.Create(t.Context(), filepath.Join(dir, "vault.db"), []byte("vault passphrase 1"), testBackupEnv(nil, nil).vault)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	acct, chat := ids.New[ids.Account](), ids.New[ids.Chat]()
	err = v.Update(t.Context(), func(tx *vault.Tx) error {
		errs := []error{
			tx.PutAccount(vault.Account{ID: acct, DisplayName: "Alice", SigningSeed: []byte("s"), EncryptionKey: []byte("e")}),
			tx.PutDevice(vault.Device{ID: ids.New[ids.Device](), AccountID: acct, SigningSeed: []byte("d"), EncryptionKey: []byte("d"), Own: true}),
			tx.PutChat(vault.Chat{ID: chat, Kind: policy.KindGroup, Title: "g"}),
		}
		for i := range n {
			errs = append(errs, tx.InsertMessage(vault.Message{ID: ids.New[ids.Message](), ChatID: chat, Seq: int64(i + 1), Body: "hi", Status: policy.StatusSent}))
		}
		return errors.Join(errs...)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestBackupCommands runs hush backup as a script would, step by step, and checks
// what each step says.
func TestBackupCommands(t *testing.T) {
	src := newDataDir(t, 3)
	fresh := t.TempDir()
	tmp := t.TempDir()
	pass := writeFile(t, tmp, "pass", "backup passphrase 1\n")
	wrongPass := writeFile(t, tmp, "wrong", "not the passphrase\n")
	shortPass := writeFile(t, tmp, "short", "short\n")
	vaultPass := writeFile(t, tmp, "vpass", "vault passphrase 1\r\n")
	newVaultPass := writeFile(t, tmp, "vpass2", "a new vault passphrase")
	file := filepath.Join(tmp, "my.hushbackup")
	notBackup := writeFile(t, tmp, "notes.txt", "just notes")

	steps := []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"help", []string{"help"}, 0, "hush backup export --out FILE", ""},
		{"export without --out", []string{"export", "--data-dir", src}, 2, "", "--out FILE"},
		{"import without a file", []string{"import", "--data-dir", src}, 2, "", "name one backup file"},
		{"unknown subcommand", []string{"frobnicate"}, 2, "", `unknown command "frobnicate"`},
		{"no terminal", []string{"export", "--data-dir", src, "--out", file}, 1, "", "--passphrase-file"},
		{"wrong vault passphrase", []string{"export", "--data-dir", src, "--out", file, "--vault-passphrase-file", pass, "--passphrase-file", pass}, 1, "", "Wrong vault passphrase"},
		{"short backup passphrase", []string{"export", "--data-dir", src, "--out", file, "--vault-passphrase-file", vaultPass, "--passphrase-file", shortPass}, 1, "", "too short"},
		{"export with nothing to export", []string{"export", "--data-dir", fresh, "--out", file, "--passphrase-file", pass, "--vault-passphrase-file", vaultPass}, 1, "", "no account"},
		{"export", []string{"export", "--data-dir", src, "--out", file, "--passphrase-file", pass, "--vault-passphrase-file", vaultPass}, 0, "Backed up 1 account, 1 chat and 3 messages to " + file + ". Secret chats are not included.", ""},
		{"import not a backup", []string{"import", notBackup, "--data-dir", fresh, "--passphrase-file", pass, "--vault-passphrase-file", newVaultPass}, 1, "", "not a Hush backup"},
		{"import wrong passphrase", []string{"import", file, "--data-dir", fresh, "--passphrase-file", wrongPass, "--vault-passphrase-file", newVaultPass}, 1, "", "Wrong backup passphrase"},
		{"restore", []string{"import", "--data-dir", fresh, file, "--passphrase-file", pass, "--vault-passphrase-file", newVaultPass}, 0, "Restored 1 account, 1 chat and 3 messages from " + file + " into a new vault.", ""},
		{"import again", []string{"import", file, "--data-dir", fresh, "--passphrase-file", pass, "--vault-passphrase-file", newVaultPass}, 0, "Imported 1 account, 1 chat and 3 messages from " + file + ": nothing new.", ""},
		{"import into the source", []string{"import", file, "--data-dir", src, "--passphrase-file", pass, "--vault-passphrase-file", vaultPass}, 0, "nothing new", ""},
		{"import into another account", []string{"import", file, "--data-dir", newDataDir(t, 1), "--passphrase-file", pass, "--vault-passphrase-file", vaultPass}, 1, "", "another account"},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := runBackup(s.args, testBackupEnv(&out, &errb))
			if code != s.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, s.code, out.String(), errb.String())
			}
			if !strings.Contains(out.String(), s.stdout) {
				t.Errorf("stdout %q does not contain %q", out.String(), s.stdout)
			}
			if !strings.Contains(errb.String(), s.stderr) {
				t.Errorf("stderr %q does not contain %q", errb.String(), s.stderr)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(fresh, "vault.db")); err != nil {
		t.Errorf("the restore left no vault: %v", err)
	}
}

// TestBackupImportTruncated: a cut file is refused and a restore leaves no vault.
func TestBackupImportTruncated(t *testing.T) {
	src := newDataDir(t, 2000)
	tmp := t.TempDir()
	pass := writeFile(t, tmp, "pass", "backup passphrase 1")
	vaultPass := writeFile(t, tmp, "vpass", "vault passphrase 1")
	file := filepath.Join(tmp, "b.hushbackup")
	var out, errb bytes.Buffer
	if code := runBackup([]string{"export", "--data-dir", src, "--out", file, "--passphrase-file", pass, "--vault-passphrase-file", vaultPass}, testBackupEnv(&out, &errb)); code != 0 {
		t.Fatalf("export: %s", errb.String())
	}
	b, _ := os.ReadFile(file)
	cut := writeFile(t, tmp, "cut.hushbackup", string(b[:len(b)/2]))
	fresh := t.TempDir()
	errb.Reset()
	if code := runBackup([]string{"import", cut, "--data-dir", fresh, "--passphrase-file", pass, "--vault-passphrase-file", vaultPass}, testBackupEnv(&out, &errb)); code != 1 {
		t.Fatalf("import of a cut file: exit %d", code)
	}
	if !strings.Contains(errb.String(), "incomplete or damaged") {
		t.Errorf("stderr %q", errb.String())
	}
	if _, err := os.Stat(filepath.Join(fresh, "vault.db")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a failed restore left a vault: %v", err)
	}
}

// TestBackupCommandFiles: export takes the attachment files in the data
// directory, and a restore puts them in the new one; --no-files leaves them
// to the relay.
func TestBackupCommandFiles(t *testing.T) {
	src := newDataDir(t, 1)
	v, err := vault.Open(t.Context(), filepath.Join(src, "vault.db"), []byte("vault passphrase 1"), testBackupEnv(nil, nil).vault)
	if err != nil {
		t.Fatal(err)
	}
	key, id := bytes.Repeat([]byte{7}, 32), ids.New[ids.File]()
	err = v.Update(t.Context(), func(tx *vault.Tx) error {
		chats, err := tx.Chats()
		if err != nil {
			return err
		}
		msg := vault.Message{ID: ids.New[ids.Message](), ChatID: chats[0].ID, Seq: 99, Body: "a file", Status: policy.StatusSent}
		return errors.Join(tx.InsertMessage(msg), tx.PutAttachment(vault.Attachment{ID: id, MessageID: msg.ID, FileKey: key, Name: "a.txt", Size: 5}))
	})
	v.Close()
	if err != nil {
		t.Fatal(err)
	}
	in, err := attachment.Create(app.AttachmentsDir(src), id, key, 5)
	if err == nil {
		_, err = in.Write([]byte("hello"))
	}
	if err == nil {
		err = in.Finish()
	}
	if err == nil {
		_, err = in.Commit()
	}
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	pass, vpass := writeFile(t, tmp, "pass", "backup passphrase 1"), writeFile(t, tmp, "vpass", "vault passphrase 1")
	for _, tt := range []struct {
		flags  []string
		stdout string
		files  int
	}{
		{nil, "1 file (5 bytes) included. ", 1},
		{[]string{"--no-files"}, "No files included; 1 left to the relay. ", 0},
	} {
		file, fresh := filepath.Join(t.TempDir(), "b.hushbackup"), t.TempDir()
		var out, errb bytes.Buffer
		args := append([]string{"export", "--data-dir", src, "--out", file, "--passphrase-file", pass, "--vault-passphrase-file", vpass}, tt.flags...)
		if code := runBackup(args, testBackupEnv(&out, &errb)); code != 0 || !strings.Contains(out.String(), tt.stdout) {
			t.Fatalf("%v: exit %d, %q %q; want %q", tt.flags, code, out.String(), errb.String(), tt.stdout)
		}
		args = []string{"import", file, "--data-dir", fresh, "--passphrase-file", pass, "--vault-passphrase-file", vpass}
		if code := runBackup(args, testBackupEnv(&out, &errb)); code != 0 {
			t.Fatalf("restore: %s", errb.String())
		}
		if attachment.Have(app.AttachmentsDir(fresh), id) != (tt.files == 1) {
			t.Errorf("%v: the restored data directory has the file: %v", tt.flags, !(tt.files == 1))
		}
	}
	var out, errb bytes.Buffer
	if code := runBackup([]string{"import", "x", "--no-files"}, testBackupEnv(&out, &errb)); code != 2 {
		t.Errorf("import --no-files: exit %d", code)
	}
}
