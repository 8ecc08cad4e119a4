package app

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hush/chat"
	"hush/internal/testutil"
	"hush/relay"
	"hush/relay/relaytest"
)

func files(p *person) *FileService { return p.core.Services()[8].(*FileService) }

// pngBytes is a small PNG image.
func pngBytes(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 400, 300))
	for i := range img.Pix {
		img.Pix[i] = byte(i * 3)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// noPlaintext fails the test if a file under dir holds marker.
func noPlaintext(t *testing.T, dir string, marker []byte) {
	t.Helper()
	filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if b, _ := os.ReadFile(path); bytes.Contains(b, marker) {
				t.Errorf("%s holds plaintext", path)
			}
		}
		return nil
	})
}

// TestFilesThroughServices is the desktop window's way: files chosen in the
// native dialog are staged, sent with a caption and progress events; the
// receiver sees them in the message, downloads one, saves it where the save
// dialog said, and shows the image. The data folders hold only ciphertext.
func TestFilesThroughServices(t *testing.T) {
	alice, bob, summary := chatting(t)
	marker := []byte("SECRET-FILE-CONTENT ")
	data := bytes.Repeat(marker, 20000)
	src := t.TempDir()
	notes := filepath.Join(src, "notes.txt")
	os.WriteFile(notes, data, 0o600)
	photo := filepath.Join(src, "photo.png")
	img := pngBytes(t)
	os.WriteFile(photo, img, 0o600)

	if _, err := files(alice).ChooseFiles(); err == nil {
		t.Error("a file dialog without a picker")
	}
	var asked FileDialog
	alice.core.SetFilePicker(picker{many: []string{notes, photo, src}, asked: &asked})
	staged, err := files(alice).ChooseFiles()
	if err != nil || len(staged) != 3 {
		t.Fatalf("staged %+v, %v", staged, err)
	}
	if asked.Title != "Attach files" || asked.Backups {
		t.Errorf("the dialog asked %+v", asked)
	}
	if staged[0].Name != "notes.txt" || staged[0].Size != int64(len(data)) || staged[0].ID == "" || staged[0].Thumbnail != "" {
		t.Errorf("notes staged as %+v", staged[0])
	}
	if staged[1].MIME != "image/png" || !strings.HasPrefix(staged[1].Thumbnail, "data:image/jpeg;base64,") {
		t.Errorf("photo staged as %+v", staged[1])
	}
	if staged[2].ID != "" || staged[2].Error != "Only files can be sent, not folders." {
		t.Errorf("a folder staged as %+v", staged[2])
	}
	noPlaintext(t, alice.dir, marker)

	// Dropped on the desktop window: staged in the background, told by an event;
	// a drop without a path (a link dragged in the page) is nothing.
	alice.core.DropFiles([]string{"", notes})
	var drop FilesDropped
	testutil.Eventually(t, 10*time.Second, "files:dropped", func() bool {
		return alice.events.count("files:dropped", func(d any) bool { drop = d.(FilesDropped); return true }) == 1
	})
	if len(drop.Files) != 1 || drop.Files[0].Name != "notes.txt" || drop.Files[0].ID == "" {
		t.Fatalf("dropped %+v", drop)
	}
	if err := files(alice).Discard([]string{drop.Files[0].ID}); err != nil {
		t.Fatal(err)
	}

	tr, err := files(alice).SendFiles(summary.ID, []string{staged[0].ID, staged[1].ID}, "the notes")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := files(alice).SendFiles(summary.ID, []string{staged[0].ID}, ""); err == nil {
		t.Error("a file being sent was sent twice at once")
	}
	sent := transferEnd(t, alice, tr)
	if sent.Error != "" || sent.MessageID == "" {
		t.Fatalf("upload ended with %+v", sent)
	}
	if files(alice).Cancel(tr) == nil {
		t.Error("cancelling an ended transfer succeeded")
	}
	if n := alice.events.count("message:new", func(d any) bool {
		m := d.(MessageNew)
		return m.ID == sent.MessageID && len(m.Files) == 2 && m.Files[1].Downloaded && m.Body == "the notes"
	}); n != 1 {
		t.Errorf("the sender was told of its message %d times", n)
	}
	if _, err := files(alice).SendFiles(summary.ID, []string{staged[0].ID}, ""); err == nil {
		t.Error("files sent stayed staged")
	}
	got := messageNewOf(t, bob, sent.MessageID)
	if len(got.Files) != 2 || got.Files[0].Name != "notes.txt" || got.Files[0].Downloaded || got.Files[1].Thumbnail == "" || got.Body != "the notes" {
		t.Fatalf("Bob's message %+v", got)
	}
	infos, err := files(bob).Files(sent.MessageID)
	if err != nil || len(infos) != 2 || infos[0] != got.Files[0] {
		t.Fatalf("Bob's files %+v, %v", infos, err)
	}
	if _, err := files(bob).Image(infos[1].ID); err == nil || err.Error() != "Download the file first." {
		t.Errorf("an image not downloaded: %v", err)
	}
	for _, f := range infos {
		dl, err := files(bob).Download(f.ID)
		if err != nil {
			t.Fatal(err)
		}
		if end := transferEnd(t, bob, dl); end.Error != "" {
			t.Fatalf("download: %s", end.Error)
		}
	}

	out := filepath.Join(t.TempDir(), "saved.txt")
	if err := files(bob).SaveAs(infos[0].ID, out); err == nil {
		t.Error("saved to a path no dialog chose")
	}
	bob.core.SetFilePicker(picker{save: out, asked: &asked})
	if path, err := files(bob).ChooseSaveFile(infos[0].ID); err != nil || path != out || asked.DefaultName != "notes.txt" {
		t.Fatalf("save dialog: %q, %v, asked %+v", path, err, asked)
	}
	if err := files(bob).SaveAs(infos[1].ID, out); err == nil {
		t.Error("the path chosen for one file took another")
	}
	if _, err := files(bob).ChooseSaveFile(infos[0].ID); err != nil {
		t.Fatal(err)
	}
	if err := files(bob).SaveAs(infos[0].ID, out); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(out); !bytes.Equal(b, data) {
		t.Fatal("saved file differs")
	}
	if err := files(bob).SaveAs(infos[0].ID, out); err == nil {
		t.Error("one choice of the dialog saved twice")
	}

	view, err := files(bob).Image(infos[1].ID)
	if err != nil || view != "data:image/png;base64,"+base64.StdEncoding.EncodeToString(img) {
		t.Fatalf("image view %.40q, %v", view, err)
	}
	if _, err := files(bob).Image(infos[0].ID); err == nil || !strings.Contains(err.Error(), "not an image") {
		t.Errorf("a text file as an image: %v", err)
	}
	for _, p := range []*person{alice, bob} {
		noPlaintext(t, p.dir, marker)
	}
}

// messageNewOf waits for the one message:new of message id and returns it.
func messageNewOf(t *testing.T, p *person, id string) MessageNew {
	t.Helper()
	var got MessageNew
	testutil.Eventually(t, 20*time.Second, "message:new of "+id, func() bool {
		return p.events.count("message:new", func(d any) bool {
			m := d.(MessageNew)
			if m.ID == id {
				got = m
				return true
			}
			return false
		}) == 1
	})
	return got
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

// TestFilesThroughBrowser is browser mode's way: a file uploaded with its name is
// staged without its plaintext touching the disk, described, and sent; the
// receiver's browser downloads it decrypted through a link that works once.
// A staged file discarded is gone; pasted bytes are capped.
func TestFilesThroughBrowser(t *testing.T) {
	alice, bob, summary := chatting(t)
	ctx := context.Background()
	marker := []byte("UPLOADED-PLAINTEXT ")
	data := bytes.Repeat(marker, 30000)
	id, err := alice.core.Upload(ctx, "../secret/report.txt", bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	noPlaintext(t, alice.dir, marker)
	sf, err := files(alice).Staged(id)
	if err != nil || sf.Name != "report.txt" || sf.Size != int64(len(data)) {
		t.Fatalf("staged %+v, %v", sf, err)
	}
	pasted, err := files(alice).StageData("Pasted image.png", base64.StdEncoding.EncodeToString(pngBytes(t)))
	if err != nil || pasted.Thumbnail == "" {
		t.Fatalf("pasted %+v, %v", pasted, err)
	}
	if _, err := files(alice).StageData("big.png", strings.Repeat("A", base64.StdEncoding.EncodedLen(maxPastedBytes+1024))); err == nil ||
		err.Error() != "The pasted file is too large: at most 16 MB can be pasted. Save it as a file and attach that." {
		t.Errorf("a paste over the cap: %v", err)
	}
	kept := filepath.Join(alice.core.attachmentsDir(), pasted.ID+".hushfile")
	if _, err := os.Stat(kept); err != nil {
		t.Fatal(err)
	}
	if err := files(alice).Discard([]string{pasted.ID, "unknown"}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(kept); !os.IsNotExist(err) {
		t.Errorf("a discarded file is still there: %v", err)
	}
	if _, err := files(alice).Staged(pasted.ID); err == nil {
		t.Error("a discarded file is still staged")
	}

	tr, err := files(alice).SendFiles(summary.ID, []string{id}, "")
	if err != nil {
		t.Fatal(err)
	}
	sent := transferEnd(t, alice, tr)
	if sent.Error != "" {
		t.Fatal(sent.Error)
	}
	got := messageNewOf(t, bob, sent.MessageID)
	if got.Body != "" || len(got.Files) != 1 {
		t.Fatalf("a message of one file: %+v", got)
	}
	if _, err := files(bob).DownloadLink(got.Files[0].ID); err == nil {
		t.Error("a link to a file not downloaded")
	}
	dl, _ := files(bob).Download(got.Files[0].ID)
	transferEnd(t, bob, dl)
	link, err := files(bob).DownloadLink(got.Files[0].ID)
	if err != nil || !strings.HasPrefix(link, downloadPath) {
		t.Fatalf("link %q, %v", link, err)
	}
	name, body, err := bob.core.Download(strings.TrimPrefix(link, downloadPath))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(body)
	body.Close()
	if name != "report.txt" || !bytes.Equal(b, data) {
		t.Errorf("downloaded %q, %d bytes", name, len(b))
	}
	if _, _, err := bob.core.Download(strings.TrimPrefix(link, downloadPath)); !os.IsNotExist(err) {
		t.Errorf("a link used twice: %v", err)
	}
	noPlaintext(t, bob.dir, marker)
}

// TestStagingLimits: a file over chat.MaxAttachmentSize is refused with the
// sentence the UI shows (before it is read: the file here is sparse), at most
// maxStagedFiles wait at once, and locking deletes every staged file.
func TestStagingLimits(t *testing.T) {
	alice, _, _ := chatting(t)
	src := t.TempDir()
	huge := filepath.Join(src, "huge.bin")
	f, _ := os.Create(huge)
	f.Truncate(chat.MaxAttachmentSize + 1)
	f.Close()
	alice.core.SetFilePicker(picker{many: []string{huge}})
	got, err := files(alice).ChooseFiles()
	if err != nil || len(got) != 1 || got[0].Error != "The file is too large: at most 100 MB can be sent." {
		t.Fatalf("a huge file: %+v, %v", got, err)
	}
	var paths []string
	for i := range maxStagedFiles + 1 {
		p := filepath.Join(src, "f"+strings.Repeat("x", i)+".txt")
		os.WriteFile(p, []byte("small"), 0o600)
		paths = append(paths, p)
	}
	alice.core.SetFilePicker(picker{many: paths})
	if got, err = files(alice).ChooseFiles(); err != nil || len(got) != maxStagedFiles+1 {
		t.Fatal(err)
	}
	if got[maxStagedFiles-1].ID == "" || got[maxStagedFiles].Error != "32 files are already waiting to be sent: send or remove some first." {
		t.Errorf("the file past the cap: %+v", got[maxStagedFiles])
	}
	ents, _ := os.ReadDir(alice.core.attachmentsDir())
	if len(ents) != maxStagedFiles {
		t.Errorf("%d files in the attachments folder, %d staged", len(ents), maxStagedFiles)
	}
	if err := alice.account.Lock(); err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(alice.core.attachmentsDir()); len(ents) != 0 {
		t.Errorf("%d staged files left after the lock", len(ents))
	}
}

// TestProgressThrottled: a transfer reporting every chunk reaches the UI at most
// every progressInterval, and the report of a finished file always does.
func TestProgressThrottled(t *testing.T) {
	c, err := New(Config{VaultPath: filepath.Join(t.TempDir(), "v")})
	if err != nil {
		t.Fatal(err)
	}
	rec := &dataRecorder{}
	c.SetEmitter(rec)
	emit := c.throttled()
	for i := range int64(1000) {
		emit(FileProgress{Done: i, Total: 999})
	}
	if n := rec.count("file:progress", nil); n < 2 || n > 10 {
		t.Errorf("%d events for 1000 reports in a moment", n)
	}
	if rec.count("file:progress", func(d any) bool { return d.(FileProgress).Done == 999 }) != 1 {
		t.Error("the last report was dropped")
	}
}

func TestSizeText(t *testing.T) {
	for _, c := range []struct {
		n    int64
		want string
	}{
		{0, "0 bytes"}, {1, "1 byte"}, {1023, "1023 bytes"}, {1024, "1 KB"}, {1536, "1.5 KB"},
		{10 * 1024, "10 KB"}, {16 << 20, "16 MB"}, {chat.MaxAttachmentSize, "100 MB"}, {5 << 30, "5 GB"},
	} {
		if got := sizeText(c.n); got != c.want {
			t.Errorf("sizeText(%d) = %q, want %q", c.n, got, c.want)
		}
	}
}

// TestFilesPreview: a message of files alone shows in the chat list by the files'
// names, marked as files; with no names, as an attachment.
func TestFilesPreview(t *testing.T) {
	for _, c := range []struct {
		body string
		p    chat.Placeholder
		want string
	}{
		{"photo.png, notes.txt", chat.AttachmentOnly, "📎 photo.png, notes.txt"},
		{"", chat.AttachmentOnly, "(attachment)"},
		{"hello", chat.NoPlaceholder, "hello"},
	} {
		if got := bodyText(c.body, c.p); got != c.want {
			t.Errorf("bodyText(%q, %d) = %q, want %q", c.body, c.p, got, c.want)
		}
	}
}

// TestFilesOverQuota: a relay whose storage for files is full refuses the upload;
// the sender's upload ends with the sentence the UI shows, nothing is sent, and
// the file stays staged for a retry until it is removed.
func TestFilesOverQuota(t *testing.T) {
	r := relaytest.Start(t, &relaytest.Options{Limits: relay.Limits{RatePerSecond: 10000, Burst: 10000}, Blobs: relay.BlobConfig{Quota: 1 << 20}})
	alice, _, summary := chattingOn(t, r)
	id, err := alice.core.Upload(context.Background(), "big.bin", bytes.NewReader(bytes.Repeat([]byte{7}, 2<<20)))
	if err != nil {
		t.Fatal(err)
	}
	tr, err := files(alice).SendFiles(summary.ID, []string{id}, "")
	if err != nil {
		t.Fatal(err)
	}
	end := transferEnd(t, alice, tr)
	if end.Error != "The relay's storage for your files is full. Nothing was sent." || end.MessageID != "" {
		t.Fatalf("upload over the quota ended with %+v", end)
	}
	if alice.events.count("message:new", nil) != 0 {
		t.Error("a message was sent")
	}
	if _, err := files(alice).Staged(id); err != nil {
		t.Errorf("the file is not staged for a retry: %v", err)
	}
	if err := files(alice).Discard([]string{id}); err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(alice.core.attachmentsDir()); len(ents) != 0 {
		t.Errorf("%d files left after the removal", len(ents))
	}
}

// TestTransferErrorWording: a download of a file the relay no longer holds says
// so, rather than a bare "not found".
func TestTransferErrorWording(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{nil, ""},
		{context.Canceled, "Cancelled."},
		{fmt.Errorf("%w: %w", chat.ErrFileDeleted, chat.ErrNotFound), "The file was deleted from the relay."},
	} {
		if got := transferError(tc.err); got != tc.want {
			t.Errorf("transferError(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}
