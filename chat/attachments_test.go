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
	"strings"
	"testing"
	"time"

	"hush/ids"
	"hush/internal/testutil"
	"hush/vault"
)

func withFiles(t testing.TB) func(*Engine) {
	dir := filepath.Join(t.TempDir(), "files")
	return func(e *Engine) { e.attachDir, e.list.attachDir, e.shred.dir = dir, dir, dir }
}

// filesChat is a direct chat between Alice and Bob, whose engines keep files.
func filesChat(t *testing.T) (alice, bob *peer, chatID ids.Chat) {
	t.Helper()
	r := startRelay(t)
	alice = newTunedPeer(t, "Alice", "ws://"+r.Addr, withFiles(t))
	bob = newTunedPeer(t, "Bob", "ws://"+r.Addr, withFiles(t))
	alice.register(t, "alice")
	bob.register(t, "bob")
	return alice, bob, direct(t, alice, bob, "@bob")
}

// TestSendFiles sends an image and a file with a caption, then a file alone; the
// receiver lists them with the image's thumbnail, downloads and opens them.
func TestSendFiles(t *testing.T) {
	alice, bob, chatID := filesChat(t)
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
	if len(m.Files) != 2 || m.Files[0].Name != "photo.png" || len(m.Files[0].Thumbnail) == 0 || !m.Files[1].Downloaded || m.Files[1].Message != m.ID {
		t.Errorf("the message sent lists its files as %+v", m.Files)
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
	if len(got[0].Files) != 2 || got[0].Files[0].Name != "photo.png" || got[0].Files[1].Downloaded || len(got[1].Files) != 1 {
		t.Errorf("Bob's page lists the files as %+v and %+v", got[0].Files, got[1].Files)
	}
	news := 0
	for _, n := range of[Message](bob.events) {
		if n.ID == m.ID && len(n.Files) == 2 && n.Files[1].Name == "notes.txt" {
			news++
		}
	}
	if news != 1 {
		t.Errorf("Bob was told of the message with its files %d times", news)
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
	if got := bob.allMessages(t, chatID); !got[0].Files[0].Downloaded || !got[0].Files[1].Downloaded {
		t.Errorf("downloaded files are not marked so: %+v", got[0].Files)
	}
	// The chat list shows a message of files alone by their names, on both ends.
	for _, p := range []*peer{alice, bob} {
		var sum Chat
		for _, c := range of[Chat](p.events) {
			if c.ID == chatID {
				sum = c
			}
		}
		list, _ := p.engine.List(ctx)
		if len(list) != 1 || list[0].LastMessage != "notes.txt" || list[0].LastPlaceholder != AttachmentOnly ||
			sum.LastMessage != "notes.txt" || sum.LastPlaceholder != AttachmentOnly {
			t.Errorf("%s's chat list: %+v; last update %q (%d)", p.name, list, sum.LastMessage, sum.LastPlaceholder)
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
	plain := newPeer(t, "Carol", alice.url)
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
		if _, err := mallory.engine.send.sendWith(ctx, chatID, "see attached", nil, "", []vault.Attachment{forged}, nil); err != nil {
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
// attachments folder that no vault row names, and those older than
// Config.PreparedSince, and keeps the others.
func TestSweepOrphanedFiles(t *testing.T) {
	r := startRelay(t)
	dir := filepath.Join(t.TempDir(), "files")
	var since time.Time // Config.PreparedSince
	alice := newTunedPeer(t, "Alice", "ws://"+r.Addr, func(e *Engine) { e.attachDir, e.list.attachDir, e.preparedSince = dir, dir, since })
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
	// Temporary files of a write that never reached its rename (a backup's
	// import cut by a crash): an old one goes, one being written now stays.
	staleTemp := filepath.Join(dir, ".part-1234567")
	youngTemp := filepath.Join(dir, ".part-7654321")
	for _, p := range []string{orphan, orphanPart, young, other, staleTemp, youngTemp} {
		os.WriteFile(p, []byte("x"), 0o600)
	}
	for _, p := range []string{kept, orphan, orphanPart, other, staleTemp} {
		os.Chtimes(p, old, old)
	}
	alice.stop()
	alice.start(t)
	testutil.Eventually(t, 10*time.Second, "orphans deleted", func() bool {
		_, e1 := os.Stat(orphan)
		_, e2 := os.Stat(orphanPart)
		_, e3 := os.Stat(staleTemp)
		return errors.Is(e1, os.ErrNotExist) && errors.Is(e2, os.ErrNotExist) && errors.Is(e3, os.ErrNotExist)
	})
	for _, p := range []string{kept, young, other, youngTemp} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s: %v", filepath.Base(p), err)
		}
	}
	// A process that started after the young one was written (it was prepared
	// by one before, which died with its key): it goes at once.
	since = time.Now()
	alice.stop()
	alice.start(t)
	testutil.Eventually(t, 10*time.Second, "the file prepared by the last process deleted", func() bool {
		_, err := os.Stat(young)
		return errors.Is(err, os.ErrNotExist)
	})
	for _, p := range []string{kept, other} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s: %v", filepath.Base(p), err)
		}
	}
}

// TestSendPreparedResumes prepares a stream (a browser's upload), cancels its
// upload half way and sends it again: the upload resumes where it stopped and
// the message goes out. A prepared file discarded is gone from the folder.
func TestSendPreparedResumes(t *testing.T) {
	alice, bob, chatID := filesChat(t)
	ctx := context.Background()
	data := bytes.Repeat([]byte("streamed data "), 150_000) // 2 MB: many chunks
	f, err := alice.engine.PrepareStream(bytes.NewReader(data), "upload.bin")
	if err != nil {
		t.Fatal(err)
	}
	if f.Name() != "upload.bin" || f.Size() != int64(len(data)) || f.MIME() != "application/octet-stream" || f.Thumbnail() != nil {
		t.Fatalf("prepared %s, %d bytes, %s", f.Name(), f.Size(), f.MIME())
	}
	cctx, cancel := context.WithCancel(ctx)
	var reached int64
	_, err = alice.engine.SendPrepared(cctx, chatID, []PreparedFile{f}, "resumed", func(p FileProgress) {
		if p.Done >= p.Total/2 && reached == 0 {
			reached = p.Done
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) || reached == 0 {
		t.Fatalf("cancelled upload: %v after %d bytes", err, reached)
	}
	var first int64 = -1
	m, err := alice.engine.SendPrepared(ctx, chatID, []PreparedFile{f}, "resumed", func(p FileProgress) {
		if first < 0 {
			first = p.Done
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if first <= 0 {
		t.Errorf("the second upload started at %d bytes, not where the first stopped", first)
	}
	testutil.Eventually(t, 10*time.Second, "Bob receives it", func() bool { return bob.countFrom(t, chatID, alice) == 1 })
	got := bob.allMessages(t, chatID)
	if len(got[0].Files) != 1 || got[0].Files[0].ID != f.ID() || got[0].Body != "resumed" || m.Files[0].ID != f.ID() {
		t.Fatalf("Bob got %+v", got[0])
	}
	if err := bob.engine.DownloadFile(ctx, f.ID(), nil); err != nil {
		t.Fatal(err)
	}
	rc, _, err := bob.engine.OpenFile(ctx, f.ID())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(b, data) {
		t.Fatal("the resumed file differs")
	}

	g, err := alice.engine.PrepareStream(strings.NewReader("never sent"), "draft.txt")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(alice.engine.attachDir, g.ID().String()+".hushfile")
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
	alice.engine.DiscardPrepared(g)
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a discarded file is still there: %v", err)
	}
	if _, err := alice.engine.PrepareStream(io.LimitReader(zeros{}, MaxAttachmentSize+1), "huge.bin"); !errors.Is(err, ErrTooLong) {
		t.Errorf("a stream over the limit: %v", err)
	}
}

// zeros reads as an endless run of zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
