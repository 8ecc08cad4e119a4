package app

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"hush/backup"
	"hush/internal/testutil"
)

// TestSecretFilesThroughServices: an image pasted into a secret chat goes through
// FileService as in any chat; Bob's notification names no file; he downloads, shows
// and saves it (Save as is allowed, Forward is not); a backup he makes holds no
// record of it; read, it self-destructs on both sides with its files.
func TestSecretFilesThroughServices(t *testing.T) {
	alice, bob, direct := chatting(t)
	got := notifiedAway(t, bob)
	if _, err := alice.chats.Send(direct.ID, "a cloud message, backed up", ""); err != nil {
		t.Fatal(err)
	}
	secret := startSecret(t, alice, direct)
	if _, err := alice.chats.SetSecretTimer(secret.ID, 1); err != nil {
		t.Fatal(err)
	}

	img := pngBytes(t)
	staged, err := files(alice).StageData("holiday.png", base64.StdEncoding.EncodeToString(img))
	if err != nil {
		t.Fatal(err)
	}
	tr, err := files(alice).SendFiles(secret.ID, []string{staged.ID}, "")
	if err != nil {
		t.Fatal(err)
	}
	sent := transferEnd(t, alice, tr)
	if sent.Error != "" || sent.MessageID == "" {
		t.Fatalf("upload ended with %+v", sent)
	}
	msg := messageNewOf(t, bob, sent.MessageID)
	if len(msg.Files) != 1 || msg.Files[0].Name != "holiday.png" || msg.Files[0].Thumbnail == "" || msg.TTL != 1 || msg.ExpiresAt != 0 {
		t.Fatalf("Bob's message %+v", msg)
	}
	file := msg.Files[0]
	for _, n := range got.all() {
		if n.ChatID == secret.ID && (n.Title != "Hush" || n.Body != "New secret message") {
			t.Fatalf("a secret file's notification shows %+v", n)
		}
	}
	if len(got.all()) == 0 {
		t.Fatal("no notification of the secret file")
	}

	dl, err := files(bob).Download(file.ID)
	if err != nil {
		t.Fatal(err)
	}
	if end := transferEnd(t, bob, dl); end.Error != "" {
		t.Fatalf("download ended with %+v", end)
	}
	if url, err := files(bob).Image(file.ID); err != nil || !strings.HasPrefix(url, "data:image/png;base64,") {
		t.Fatalf("the image shown: %.40q, %v", url, err)
	}
	saved := filepath.Join(t.TempDir(), "saved.png")
	bob.core.SetFilePicker(picker{save: saved})
	if path, err := files(bob).ChooseSaveFile(file.ID); err != nil || path != saved {
		t.Fatalf("save dialog: %q, %v", path, err)
	}
	if err := files(bob).SaveAs(file.ID, saved); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(saved); err != nil || !bytes.Equal(b, img) {
		t.Fatalf("saved %d bytes, %v", len(b), err)
	}
	if _, err := bob.chats.Forward(secret.ID, []string{msg.ID}, direct.ID); err == nil {
		t.Fatal("a secret file was forwarded")
	}
	hits, err := bob.chats.Search("holiday", "", 20)
	if err != nil || len(hits) != 0 {
		t.Fatalf("search finds the secret file: %+v, %v", hits, err)
	}

	// A backup made now holds no record of the file: not its id, name or thumbnail.
	plain := backupPlain(t, bob)
	id, err := hex.DecodeString(file.ID)
	if err != nil {
		t.Fatal(err)
	}
	thumb, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(file.Thumbnail, "data:image/jpeg;base64,"))
	if err != nil {
		t.Fatal(err)
	}
	for name, needle := range map[string][]byte{"id": id, "id in hex": []byte(file.ID), "name": []byte("holiday.png"), "thumbnail": thumb} {
		if bytes.Contains(plain, needle) {
			t.Errorf("the backup holds the secret file's %s", name)
		}
	}
	if !bytes.Contains(plain, []byte("a cloud message, backed up")) {
		t.Fatal("the backup lacks the cloud chat's message: the search above proves nothing")
	}

	for _, p := range []*person{alice, bob} {
		if _, err := os.Stat(filepath.Join(p.core.attachmentsDir(), file.ID+".hushfile")); err != nil {
			t.Fatalf("the file is not in the folder before the wipe: %v", err)
		}
	}
	if err := bob.chats.MarkRead(secret.ID); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 20*time.Second, "gone on both sides, with its files", func() bool {
		for _, p := range []*person{alice, bob} {
			if p.events.count("message:expired", func(d any) bool { return d.(MessageExpired).MessageID == msg.ID }) != 1 {
				return false
			}
		}
		return true
	})
	for _, p := range []*person{alice, bob} {
		if _, err := os.Stat(filepath.Join(p.core.attachmentsDir(), file.ID+".hushfile")); !os.IsNotExist(err) {
			t.Errorf("the file stays in a folder after its message expired: %v", err)
		}
		if _, err := files(p).Image(file.ID); err == nil {
			t.Error("the expired image still shows")
		}
	}
}

// backupPlain has p export a backup, as a browser does, and returns its plaintext.
func backupPlain(t *testing.T, p *person) []byte {
	t.Helper()
	p.core.cfg.BackupOptions = backup.Options{InsecureWorkFactor: 2}
	p.core.cfg.TempDir = t.TempDir()
	if err := (&BackupService{c: p.core}).Export(backupPassphrase, "", BackupExportOptions{IncludeFiles: true}); err != nil {
		t.Fatal(err)
	}
	var done BackupProgress
	testutil.Eventually(t, 30*time.Second, "the backup is made", func() bool {
		return p.events.count("backup:progress", func(d any) bool {
			done = d.(BackupProgress)
			return done.Stage == BackupDone
		}) == 1
	})
	_, body, err := p.core.Download(strings.TrimPrefix(done.Download, "/api/download/"))
	if err != nil {
		t.Fatal(err)
	}
	defer body.Close()
	id, err := age.NewScryptIdentity(backupPassphrase)
	if err != nil {
		t.Fatal(err)
	}
	r, err := age.Decrypt(body, id)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return plain
}
