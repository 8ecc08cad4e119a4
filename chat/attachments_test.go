package chat

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"hush/ids"
	"hush/internal/testutil"
	"hush/vault"
)

func withFiles(t testing.TB) func(*Engine) {
	dir := filepath.Join(t.TempDir(), "files")
	return func(e *Engine) { e.attachDir = dir }
}

// TestSendFiles sends an image and a file with a caption, then a file alone; the
// receiver lists them with the image's thumbnail, downloads and opens them.
func TestSendFiles(t *testing.T) {
	r := startRelay(t)
	alice := newTunedPeer(t, "Alice", "ws://"+r.Addr, withFiles(t))
	bob := newTunedPeer(t, "Bob", "ws://"+r.Addr, withFiles(t))
	alice.register(t, "alice")
	bob.register(t, "bob")
	chatID := direct(t, alice, bob, "@bob")
	ctx := context.Background()

	src := t.TempDir()
	img := image.NewRGBA(image.Rect(0, 0, 640, 480))
	for i := range img.Pix {
		img.Pix[i] = byte(i / 7)
	}
	var pngBuf bytes.Buffer
	png.Encode(&pngBuf, img)
	imgPath := filepath.Join(src, "photo.png")
	os.WriteFile(imgPath, pngBuf.Bytes(), 0o600)
	doc := bytes.Repeat([]byte("a document line\n"), 20000) // 320 KB: several chunks
	docPath := filepath.Join(src, "notes.txt")
	os.WriteFile(docPath, doc, 0o600)

	var reports []FileProgress
	m, err := alice.engine.SendFiles(ctx, chatID, []string{imgPath, docPath}, "two files", func(p FileProgress) { reports = append(reports, p) })
	if err != nil {
		t.Fatal(err)
	}
	if last := reports[len(reports)-1]; last.Index != 1 || last.Done != last.Total || last.Name != "notes.txt" {
		t.Errorf("last progress report %+v", last)
	}
	only, err := alice.engine.SendFiles(ctx, chatID, []string{docPath}, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 10*time.Second, "Bob receives both", func() bool { return bob.countFrom(t, chatID, alice) == 2 })
	got := bob.allMessages(t, chatID)
	if got[0].Body != "two files" || got[1].Body != "" || got[1].Placeholder != AttachmentOnly {
		t.Errorf("Bob's messages %+v", got)
	}
	files, err := bob.engine.Attachments(ctx, m.ID)
	if err != nil || len(files) != 2 {
		t.Fatalf("Bob's attachments: %v, %v", files, err)
	}
	if files[0].Name != "photo.png" || files[0].MIME != "image/png" || len(files[0].Thumbnail) == 0 || files[0].Downloaded {
		t.Errorf("image attachment %+v", files[0])
	}
	if files[1].Name != "notes.txt" || files[1].Size != int64(len(doc)) || files[1].Thumbnail != nil {
		t.Errorf("document attachment %+v", files[1])
	}
	if _, _, err := bob.engine.OpenFile(ctx, files[1].ID); err == nil {
		t.Error("a file not downloaded opened")
	}
	for i, want := range [][]byte{pngBuf.Bytes(), doc} {
		if err := bob.engine.DownloadFile(ctx, files[i].ID, nil); err != nil {
			t.Fatal(err)
		}
		rc, a, err := bob.engine.OpenFile(ctx, files[i].ID)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || !bytes.Equal(b, want) || a.Name != files[i].Name {
			t.Fatalf("file %d opened as %d bytes, %v", i, len(b), err)
		}
	}
	if files, _ := bob.engine.Attachments(ctx, only.ID); len(files) != 1 {
		t.Errorf("file-only message has %d attachments", len(files))
	}
	if files, _ := alice.engine.Attachments(ctx, m.ID); len(files) != 2 || !files[1].Downloaded {
		t.Errorf("the sender's own copy: %+v", files)
	}

	// Refusals.
	if _, err := alice.engine.SendFiles(ctx, chatID, nil, "x", nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("no files: %v", err)
	}
	if _, err := alice.engine.SendFiles(ctx, chatID, []string{filepath.Join(src, "missing")}, "", nil); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := alice.engine.SendFiles(cctx, chatID, []string{docPath}, "", nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	plain := newPeer(t, "Carol", "ws://"+r.Addr)
	if _, err := plain.engine.SendFiles(ctx, chatID, []string{docPath}, "", nil); !errors.Is(err, ErrNoAttachmentsFolder) {
		t.Errorf("no folder: %v", err)
	}
}

// TestAttackReusedFileID: a member sends a message naming the file id of someone
// else's attachment with a key and name of its own. Without the guard the
// receiver's row for that file follows the forger's message; with it, it stays.
func TestAttackReusedFileID(t *testing.T) {
	for _, weak := range []bool{true, false} {
		r := startRelay(t)
		dir := filepath.Join(t.TempDir(), "files")
		alice := newTunedPeer(t, "Alice", "ws://"+r.Addr, func(e *Engine) {
			e.attachDir = dir
			e.checks.sharedFileIDs = weak
		})
		mallory := newPeer(t, "Mallory", "ws://"+r.Addr)
		alice.register(t, "alice")
		mallory.register(t, "mallory")
		chatID := direct(t, alice, mallory, "@mallory")
		ctx := context.Background()
		src := filepath.Join(t.TempDir(), "contract.pdf")
		os.WriteFile(src, []byte("the real contract"), 0o600)
		m, err := alice.engine.SendFiles(ctx, chatID, []string{src}, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		files, err := alice.engine.Attachments(ctx, m.ID)
		if err != nil || len(files) != 1 {
			t.Fatal(files, err)
		}
		forged := vault.Attachment{ID: files[0].ID, FileKey: bytes.Repeat([]byte{9}, 32), Name: "evil.exe", MIME: "application/octet-stream", Size: 17}
		if _, err := mallory.engine.send.sendWith(ctx, chatID, "see attached", nil, "", []vault.Attachment{forged}); err != nil {
			t.Fatal(err)
		}
		testutil.Eventually(t, 10*time.Second, "Alice receives the forgery", func() bool { return alice.countFrom(t, chatID, mallory) == 1 })
		rc, a, err := alice.engine.OpenFile(ctx, files[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		rc.Close()
		taken := a.Message != m.ID || a.Name != "contract.pdf"
		if weak && !taken {
			t.Fatal("without the guard the forged message did not take the file over: the attack is not tried")
		}
		if !weak && taken {
			t.Fatalf("the forged message took Alice's file over: %+v", a)
		}
	}
}

// TestSweepOrphanedFiles: at start the engine deletes old files of the
// attachments folder that no vault row names, and keeps the others.
func TestSweepOrphanedFiles(t *testing.T) {
	r := startRelay(t)
	dir := filepath.Join(t.TempDir(), "files")
	alice := newTunedPeer(t, "Alice", "ws://"+r.Addr, func(e *Engine) { e.attachDir = dir })
	bob := newPeer(t, "Bob", "ws://"+r.Addr)
	alice.register(t, "alice")
	bob.register(t, "bob")
	chatID := direct(t, alice, bob, "@bob")
	ctx := context.Background()
	src := filepath.Join(t.TempDir(), "kept.txt")
	os.WriteFile(src, []byte("kept"), 0o600)
	m, err := alice.engine.SendFiles(ctx, chatID, []string{src}, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	files, _ := alice.engine.Attachments(ctx, m.ID)
	kept := filepath.Join(dir, files[0].ID.String()+".hushfile")
	old := time.Now().Add(-48 * time.Hour)
	orphan := filepath.Join(dir, ids.New[ids.File]().String()+".hushfile")
	orphanPart := filepath.Join(dir, ids.New[ids.File]().String()+".hushfile.part")
	young := filepath.Join(dir, ids.New[ids.File]().String()+".hushfile")
	other := filepath.Join(dir, "notes.txt")
	for _, p := range []string{orphan, orphanPart, young, other} {
		os.WriteFile(p, []byte("x"), 0o600)
	}
	for _, p := range []string{kept, orphan, orphanPart, other} {
		os.Chtimes(p, old, old)
	}
	alice.stop()
	alice.start(t)
	testutil.Eventually(t, 10*time.Second, "orphans deleted", func() bool {
		_, e1 := os.Stat(orphan)
		_, e2 := os.Stat(orphanPart)
		return errors.Is(e1, os.ErrNotExist) && errors.Is(e2, os.ErrNotExist)
	})
	for _, p := range []string{kept, young, other} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s: %v", filepath.Base(p), err)
		}
	}
}
