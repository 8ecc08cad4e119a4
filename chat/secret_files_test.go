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
	"slices"
	"sync"
	"testing"
	"time"

	"hush/chatcrypto"
	"hush/ids"
	"hush/internal/testutil"
	"hush/policy"
	"hush/relay/relaytest"
	"hush/secretsession"
	"hush/vault"
)

// mustEncodeFiles is one attachment as a secret text carries it.
func mustEncodeFiles(t testing.TB) []byte {
	k, err := chatcrypto.FileKeyFromBytes(bytes.Repeat([]byte{7}, chatcrypto.FileKeySize))
	if err != nil {
		t.Fatal(err)
	}
	b, err := chatcrypto.EncodeAttachments([]chatcrypto.Attachment{{FileID: ids.File{9}, Key: k, Name: "a.png", MIME: "image/png", Size: 10}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// writePNG writes a 640×480 PNG into dir and returns its path and bytes.
func writePNG(t *testing.T, dir string) (string, []byte) {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 640, 480))
	for i := range img.Pix {
		img.Pix[i] = byte(i / 5)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "photo.png")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, buf.Bytes()
}

// filesOnDisk lists what p's attachments folder holds of file id: the file, its
// partial download.
func filesOnDisk(p *peer, id ids.File) []string {
	var out []string
	for _, suffix := range []string{".hushfile", ".hushfile.part"} {
		if _, err := os.Stat(filepath.Join(p.engine.attachDir, id.String()+suffix)); err == nil {
			out = append(out, suffix)
		}
	}
	return out
}

// oversizedFiles are files whose previews make a secret text's content about
// size bytes long (at least one file, at most ten full previews).
func oversizedFiles(t *testing.T, size int) []vault.Attachment {
	t.Helper()
	var files []vault.Attachment
	for i := 0; i < MaxFilesPerMessage; i++ {
		files = append(files, vault.Attachment{ID: ids.New[ids.File](), FileKey: bytes.Repeat([]byte{1}, chatcrypto.FileKeySize),
			Name: "big.jpg", MIME: "image/jpeg", Size: 1, Thumbnail: make([]byte, chatcrypto.MaxThumbnailBytes)})
		n := contentSize(t, files)
		if n >= size {
			last := &files[len(files)-1]
			last.Thumbnail = last.Thumbnail[:len(last.Thumbnail)-(n-size)]
			if got := contentSize(t, files); got > size || got < size-8 {
				t.Fatalf("content of %d bytes, want about %d", got, size)
			}
			return files
		}
	}
	return files
}

// contentSize is the size of a secret text's content carrying files.
func contentSize(t *testing.T, files []vault.Attachment) int {
	t.Helper()
	as, err := toContentAttachments(files)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := chatcrypto.EncodeAttachments(as)
	if err != nil {
		t.Fatal(err)
	}
	b, err := encodeSecretContent(secretContent{Kind: secretText, ID: ids.New[ids.Message](), At: time.Now().UnixMilli(), TTL: 5, Files: enc})
	if err != nil {
		t.Fatal(err)
	}
	return len(b)
}

// forgotten records what the engine hands over for the relay to delete.
type forgotten struct {
	mu    sync.Mutex
	files []ids.File
}

func (f *forgotten) hook(p *peer) {
	p.engine.shred.forget = func(_ context.Context, files []ids.File) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.files = append(f.files, files...)
	}
}

func (f *forgotten) all() []ids.File {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.files)
}

// openSecret has Alice open a secret chat with Bob's device, with a timer, and
// waits until Bob holds it with the timer.
func openSecret(t *testing.T, alice, bob *peer, timer time.Duration) ids.Chat {
	t.Helper()
	ctx := context.Background()
	c, err := alice.engine.StartSecret(ctx, bob.id(), bob.dev.ID())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := alice.engine.SetSecretTimer(ctx, c.ID, timer); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 20*time.Second, "Bob has the secret chat and its timer", func() bool {
		s, err := bob.engine.Summary(ctx, c.ID)
		return err == nil && s.SecretTimer == timer
	})
	return c.ID
}

// TestSecretFilesSelfDestruct: an image sent in a secret chat travels like a cloud
// chat's — uploaded encrypted, its key inside the ratchet — and self-destructs with
// its message: once the timer passes, neither device's folder holds the file and
// neither vault its key; the sender hands its upload over for deletion at the relay.
func TestSecretFilesSelfDestruct(t *testing.T) {
	ctx := context.Background()
	alice, bob, fa, fb := secretPeers(t, withFiles)
	var aliceForgot, bobForgot forgotten
	aliceForgot.hook(alice)
	bobForgot.hook(bob)
	chat := openSecret(t, alice, bob, 5*time.Second)

	// Files whose previews would make a frame the ratchet or the relay refuses are
	// refused here, before anything is stored or queued (the frames after one the
	// relay refuses would wait behind it).
	for _, tc := range []struct {
		name      string
		plaintext int // the content's size to aim at
	}{
		{"over the ratchet's plaintext limit", 2 * secretsession.MaxPlaintextSize},
		{"within it, but the frame over the relay's limit", secretsession.MaxPlaintextSize - 80},
	} {
		files := oversizedFiles(t, tc.plaintext)
		if _, err := alice.engine.secrets.send(ctx, chat, "", nil, files); !errors.Is(err, ErrTooLong) {
			t.Fatalf("%s: %v", tc.name, err)
		}
	}

	path, img := writePNG(t, t.TempDir())
	sent, err := alice.engine.SendFiles(ctx, chat, []string{path}, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(sent.Files) != 1 || sent.Files[0].Name != "photo.png" || len(sent.Files[0].Thumbnail) == 0 || sent.Placeholder != AttachmentOnly || sent.TTL != 5*time.Second {
		t.Fatalf("the message sent: %+v", sent)
	}
	file := sent.Files[0].ID
	var got Message
	testutil.Eventually(t, 20*time.Second, "Bob receives the image", func() bool {
		page, err := bob.engine.Messages(ctx, chat, "", 50)
		if err != nil {
			return false
		}
		for _, m := range page.Messages {
			if m.ID == sent.ID {
				got = m
				return true
			}
		}
		return false
	})
	if len(got.Files) != 1 || got.Files[0].ID != file || got.Files[0].MIME != "image/png" || !bytes.Equal(got.Files[0].Thumbnail, sent.Files[0].Thumbnail) ||
		got.Files[0].Downloaded || got.Placeholder != AttachmentOnly || got.TTL != 5*time.Second {
		t.Fatalf("Bob's message: %+v", got)
	}
	if s, err := bob.engine.Summary(ctx, chat); err != nil || s.Kind != policy.KindSecret || s.LastMessage != "photo.png" {
		t.Fatalf("Bob's chat row: %+v, %v", s, err)
	}
	if err := bob.engine.DownloadFile(ctx, file, nil); err != nil {
		t.Fatal(err)
	}
	rc, _, err := bob.engine.OpenFile(ctx, file)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(b, img) {
		t.Fatalf("Bob opened %d bytes, %v", len(b), err)
	}
	for _, p := range []*peer{alice, bob} {
		if on := filesOnDisk(p, file); !slices.Equal(on, []string{".hushfile"}) {
			t.Fatalf("%s's folder holds %v of the file before the wipe: the checks below would pass vacuously", p.name, on)
		}
		if _, err := p.engine.attachmentRow(ctx, file); err != nil {
			t.Fatalf("%s's vault lacks the file's key before the wipe: %v", p.name, err)
		}
	}

	if err := bob.engine.MarkRead(ctx, chat); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 20*time.Second, "Alice learns it was read", func() bool {
		m, ok := messageByID(t, alice, chat, sent.ID)
		return ok && !m.ExpiresAt.IsZero()
	})
	fa.Advance(6 * time.Second)
	fb.Advance(6 * time.Second)
	testutil.Eventually(t, 20*time.Second, "both UIs are told it expired", func() bool {
		told := func(p *peer) bool {
			return slices.ContainsFunc(of[MessageExpiry](p.events), func(x MessageExpiry) bool { return x.Message == sent.ID })
		}
		return told(alice) && told(bob)
	})
	// By the time the UI is told, the files are gone: at once, not at the next start.
	for _, p := range []*peer{alice, bob} {
		if on := filesOnDisk(p, file); len(on) != 0 {
			t.Errorf("%s's folder still holds %v of the wiped file", p.name, on)
		}
		if _, err := p.engine.attachmentRow(ctx, file); !errors.Is(err, ErrNotFound) {
			t.Errorf("%s's vault still holds the wiped file's key: %v", p.name, err)
		}
		if _, ok := messageByID(t, p, chat, sent.ID); ok {
			t.Errorf("%s still lists the message", p.name)
		}
	}
	if f := aliceForgot.all(); !slices.Equal(f, []ids.File{file}) {
		t.Errorf("Alice handed %v over for deletion at the relay, want her upload %v", f, file)
	}
	if f := bobForgot.all(); len(f) != 0 {
		t.Errorf("Bob handed %v over for deletion at the relay: not his uploads", f)
	}
}

// TestSecretFileDownloadCancelledByWipe: Alice closes the secret chat while Bob
// downloads a file of it. Bob's download is cancelled and its partial file deleted;
// Alice's copy goes at once too. A file deleted for oneself goes at once as well.
func TestSecretFileDownloadCancelledByWipe(t *testing.T) {
	ctx := context.Background()
	alice, bob, _, _ := secretPeers(t, withFiles)
	var aliceForgot forgotten
	aliceForgot.hook(alice)
	chat := openSecret(t, alice, bob, 0)

	src := t.TempDir()
	doc := filepath.Join(src, "notes.txt")
	if err := os.WriteFile(doc, bytes.Repeat([]byte("a secret line\n"), 40000), 0o600); err != nil { // 560 KB: 9 chunks
		t.Fatal(err)
	}
	photo, _ := writePNG(t, src)
	kept, err := alice.engine.SendFiles(ctx, chat, []string{photo}, "deleted for me", nil)
	if err != nil {
		t.Fatal(err)
	}
	sent, err := alice.engine.SendFiles(ctx, chat, []string{doc}, "the notes", nil)
	if err != nil {
		t.Fatal(err)
	}
	file, photoID := sent.Files[0].ID, kept.Files[0].ID
	testutil.Eventually(t, 20*time.Second, "Bob receives both", func() bool {
		_, a := messageByID(t, bob, chat, sent.ID)
		_, b := messageByID(t, bob, chat, kept.ID)
		return a && b
	})

	// Deleting a message for oneself takes its file along at once.
	if err := bob.engine.DownloadFile(ctx, photoID, nil); err != nil {
		t.Fatal(err)
	}
	if err := bob.engine.DeleteForMe(ctx, chat, kept.ID); err != nil {
		t.Fatal(err)
	}
	if on := filesOnDisk(bob, photoID); len(on) != 0 {
		t.Errorf("a file deleted for oneself stays: %v", on)
	}

	// The download stalls in its progress report until the chat is wiped on Bob's
	// side, then asks for the next chunk.
	stalled := make(chan struct{})
	var once sync.Once
	done := make(chan error, 1)
	go func() {
		done <- bob.engine.DownloadFile(ctx, file, func(got, total int64) {
			once.Do(func() {
				close(stalled)
				testutil.Eventually(t, 20*time.Second, "Bob's chat is wiped", func() bool {
					_, err := bob.engine.Summary(ctx, chat)
					return errors.Is(err, ErrNotFound)
				})
			})
		})
	}()
	<-stalled
	if on := filesOnDisk(bob, file); !slices.Equal(on, []string{".hushfile.part"}) {
		t.Fatalf("Bob's folder holds %v while downloading: the check below would pass vacuously", on)
	}
	if err := alice.engine.Delete(ctx, chat); err != nil {
		t.Fatal(err)
	}
	for _, id := range []ids.File{file, photoID} {
		if on := filesOnDisk(alice, id); len(on) != 0 {
			t.Errorf("Alice's folder holds %v of a file of the chat she closed", on)
		}
	}
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("the download ended with %v, want it cancelled", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the download was not cancelled")
	}
	// The UI is told the chat is gone once its files are.
	testutil.Eventually(t, 20*time.Second, "Bob's UI is told the chat is gone", func() bool {
		return slices.Contains(of[chatRemoved](bob.events), chatRemoved{chat})
	})
	if on := filesOnDisk(bob, file); len(on) != 0 {
		t.Errorf("Bob's folder holds %v of the file of a wiped chat", on)
	}
	if _, err := bob.engine.attachmentRow(ctx, file); !errors.Is(err, ErrNotFound) {
		t.Errorf("Bob's vault holds the key of a wiped chat's file: %v", err)
	}
	testutil.Eventually(t, 5*time.Second, "Alice hands her uploads over", func() bool {
		f := aliceForgot.all()
		return slices.Contains(f, file) && slices.Contains(f, photoID)
	})
}

// TestSecretFilesLeaveTheRelay: when a secret chat is closed, the relay's copy
// of every file its sender uploaded to it is deleted too (forgetSecretBlobs
// queues them for the blob deleter), not only the two devices' copies and keys.
func TestSecretFilesLeaveTheRelay(t *testing.T) {
	ctx := context.Background()
	r := startRelay(t)
	alice, bob, _, _ := secretPeersOn(t, r, withFiles)
	chat := openSecret(t, alice, bob, 0)
	photo, _ := writePNG(t, t.TempDir())
	sent, err := alice.engine.SendFiles(ctx, chat, []string{photo}, "for your eyes", nil)
	if err != nil {
		t.Fatal(err)
	}
	file := sent.Files[0].ID
	testutil.Eventually(t, 20*time.Second, "Bob receives it", func() bool {
		_, ok := messageByID(t, bob, chat, sent.ID)
		return ok
	})
	prober := relaytest.NewAccount(t)
	if !blobHeld(t, r, prober, file) {
		t.Fatal("the relay does not hold the file: the check below would pass vacuously")
	}
	if err := alice.engine.Delete(ctx, chat); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 20*time.Second, "the file deleted from the relay", func() bool { return !blobHeld(t, r, prober, file) })
}
