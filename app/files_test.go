package app

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"hush/internal/testutil"
)

// TestFilesThroughServices sends a file from one person to another through the
// services, with progress events, and saves it decrypted; the data folders hold
// only ciphertext.
func TestFilesThroughServices(t *testing.T) {
	alice, bob, summary := chatting(t)
	files := func(p *person) *FileService { return p.core.Services()[8].(*FileService) }
	marker := []byte("SECRET-FILE-CONTENT ")
	data := bytes.Repeat(marker, 20000)
	src := filepath.Join(t.TempDir(), "notes.txt")
	os.WriteFile(src, data, 0o600)

	tr, err := files(alice).SendFiles(summary.ID, []string{src}, "the notes")
	if err != nil {
		t.Fatal(err)
	}
	sent := transferEnd(t, alice, tr)
	if sent.Error != "" || sent.MessageID == "" {
		t.Fatalf("upload ended with %+v", sent)
	}
	if files(alice).Cancel(tr) == nil {
		t.Error("cancelling an ended transfer succeeded")
	}
	testutil.Eventually(t, 20*time.Second, "Bob's message:new", func() bool {
		return bob.events.count("message:new", func(d any) bool { return d.(MessageNew).ID == sent.MessageID }) == 1
	})
	infos, err := files(bob).Files(sent.MessageID)
	if err != nil || len(infos) != 1 || infos[0].Name != "notes.txt" || infos[0].Size != int64(len(data)) || infos[0].Downloaded {
		t.Fatalf("Bob's files %+v, %v", infos, err)
	}
	dl, err := files(bob).Download(infos[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	got := transferEnd(t, bob, dl)
	if got.Error != "" {
		t.Fatalf("download: %s", got.Error)
	}
	out := filepath.Join(t.TempDir(), "saved.txt")
	if err := files(bob).SaveAs(infos[0].ID, out); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(out); !bytes.Equal(b, data) {
		t.Fatal("saved file differs")
	}
	for _, p := range []*person{alice, bob} {
		filepath.WalkDir(p.core.attachmentsDir(), func(path string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				if b, _ := os.ReadFile(path); bytes.Contains(b, marker) {
					t.Errorf("%s holds plaintext", path)
				}
			}
			return nil
		})
	}
	if _, err := files(alice).SendFiles(summary.ID, []string{filepath.Join(t.TempDir(), "gone")}, ""); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 20*time.Second, "a missing file fails clearly", func() bool {
		return alice.events.count("file:progress", func(d any) bool {
			p := d.(FileProgress)
			return p.Ended && p.Error == "The file is not there any more."
		}) == 1
	})
}

// transferEnd waits for the last event of transfer tr and returns it.
func transferEnd(t *testing.T, p *person, tr string) FileProgress {
	t.Helper()
	var end FileProgress
	testutil.Eventually(t, 20*time.Second, "transfer "+tr+" ends", func() bool {
		return p.events.count("file:progress", func(d any) bool {
			f := d.(FileProgress)
			if f.Transfer == tr && f.Ended {
				end = f
				return true
			}
			return false
		}) == 1
	})
	return end
}
