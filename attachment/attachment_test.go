package attachment_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"image"
	"image/color"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"hush/attachcrypto"
	"hush/attachment"
	"hush/ids"
	"hush/internal/testutil"
	"hush/relay/relaytest"
	"hush/sync/relayclient"
	"hush/sync/wire"
)

type nopHandler struct{}

func (nopHandler) Connected(context.Context, relayclient.Session) {}
func (nopHandler) Pushes(context.Context, []wire.Body)            {}
func (nopHandler) Missed(context.Context)                         {}

func client(t testing.TB, r *relaytest.Relay) *relayclient.Client {
	t.Helper()
	d := relaytest.NewAccount(t)
	c, err := relayclient.New(relayclient.Config{URL: "ws://" + r.Addr, Device: d.Key, Certificate: d.Cert, Handler: nopHandler{},
		Backoff: [2]time.Duration{10 * time.Millisecond, 50 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.Run()
	testutil.Eventually(t, 15*time.Second, "online", func() bool { return c.Status().State == relayclient.StateOnline })
	return c
}

func writeFile(t testing.TB, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func readAll(t *testing.T, dir string, p attachment.Prepared) ([]byte, error) {
	t.Helper()
	rc, err := attachment.Open(dir, p.ID, p.Key, p.Size)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// TestSendReceive prepares a file, uploads it, and downloads and opens it on
// another account's device, cancelling and resuming both transfers; the data
// folders only ever hold ciphertext.
func TestSendReceive(t *testing.T) {
	r := relaytest.Start(t, nil)
	alice, bob := client(t, r), client(t, r)
	src, aliceDir, bobDir := t.TempDir(), t.TempDir(), t.TempDir()
	marker := []byte("PLAINTEXT-MARKER-")
	data := bytes.Repeat(marker, 300_000) // ~5 MiB of recognisable plaintext
	p, err := attachment.Prepare(writeFile(t, src, "report.pdf", data), aliceDir, 100<<20)
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "report.pdf" || p.MIME != "application/pdf" || p.Size != int64(len(data)) || p.Thumbnail != nil {
		t.Fatalf("prepared %+v", p)
	}
	ctx, cancel := context.WithCancel(context.Background())
	err = attachment.Upload(ctx, alice, aliceDir, p, func(done, total int64) {
		if done > total/2 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled upload: %v", err)
	}
	if err := attachment.Upload(context.Background(), alice, aliceDir, p, nil); err != nil {
		t.Fatalf("resumed upload: %v", err)
	}

	ctx, cancel = context.WithCancel(context.Background())
	err = attachment.Download(ctx, bob, bobDir, p.ID, p.Key, p.Size, func(done, total int64) {
		if done > total/3 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) || attachment.Have(bobDir, p.ID) {
		t.Fatalf("cancelled download: %v, complete %v", err, attachment.Have(bobDir, p.ID))
	}
	var first int64 = -1
	if err := attachment.Download(context.Background(), bob, bobDir, p.ID, p.Key, p.Size, func(done, total int64) {
		if first < 0 {
			first = done
		}
	}); err != nil {
		t.Fatalf("resumed download: %v", err)
	}
	if first <= 0 {
		t.Errorf("resumed download started from %d bytes, want the part already there", first)
	}
	got, err := readAll(t, bobDir, p)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("opened file differs: %v", err)
	}
	for _, dir := range []string{aliceDir, bobDir} {
		filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, _ := os.ReadFile(path)
			if bytes.Contains(b, marker) {
				t.Errorf("%s holds plaintext", path)
			}
			return nil
		})
	}
	if err := attachment.Remove(bobDir, p.ID); err != nil || attachment.Have(bobDir, p.ID) {
		t.Fatalf("remove: %v", err)
	}
}

// TestCorruption shows a relay serving other bytes under the id, and a change to
// the file at rest, are both caught.
func TestCorruption(t *testing.T) {
	r := relaytest.Start(t, nil)
	mallory, bob := client(t, r), client(t, r)
	src, bobDir := t.TempDir(), t.TempDir()
	data := make([]byte, 3*attachcrypto.ChunkSize+10)
	rand.Read(data)
	// Mallory uploads random bytes of the right size under an id she knows Bob
	// will download with some key.
	p := attachment.Prepared{ID: ids.New[ids.File](), Key: make([]byte, 32), Size: int64(len(data))}
	rand.Read(p.Key)
	junk := make([]byte, p.EncryptedSize())
	rand.Read(junk)
	if err := mallory.UploadBlob(context.Background(), p.ID, bytes.NewReader(junk), int64(len(junk)), nil); err != nil {
		t.Fatal(err)
	}
	err := attachment.Download(context.Background(), bob, bobDir, p.ID, p.Key, p.Size, nil)
	if !errors.Is(err, attachment.ErrCorrupt) || attachment.Have(bobDir, p.ID) {
		t.Fatalf("download of forged blob: %v (complete %v)", err, attachment.Have(bobDir, p.ID))
	}

	// At rest: flip one bit of a stored file.
	aliceDir := t.TempDir()
	q, err := attachment.Prepare(writeFile(t, src, "a.bin", data), aliceDir, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := readAll(t, aliceDir, q); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("untouched file: %v", err)
	}
	fp := filepath.Join(aliceDir, q.ID.String()+".hushfile")
	b, _ := os.ReadFile(fp)
	b[len(b)/2] ^= 1
	os.WriteFile(fp, b, 0o600)
	if _, err := readAll(t, aliceDir, q); !errors.Is(err, attachment.ErrCorrupt) {
		t.Fatalf("tampered file: %v", err)
	}
}

func TestPrepareLimitsAndThumbnail(t *testing.T) {
	src, dir := t.TempDir(), t.TempDir()
	big := writeFile(t, src, "big.bin", make([]byte, 1001))
	if _, err := attachment.Prepare(big, dir, 1000); !errors.Is(err, wire.ErrTooLarge) {
		t.Errorf("over the limit: %v", err)
	}
	if _, err := attachment.Prepare(src, dir, 1000); !errors.Is(err, attachment.ErrNotFile) {
		t.Errorf("a directory: %v", err)
	}
	if _, err := attachment.Prepare(filepath.Join(src, "missing"), dir, 1000); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	img := image.NewRGBA(image.Rect(0, 0, 800, 600))
	for i := range img.Pix {
		img.Pix[i] = byte(i)
	}
	img.Set(0, 0, color.White)
	var buf bytes.Buffer
	png.Encode(&buf, img)
	p, err := attachment.Prepare(writeFile(t, src, "Photo.PNG", buf.Bytes()), dir, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	if p.MIME != "image/png" || len(p.Thumbnail) == 0 {
		t.Fatalf("image: MIME %q, thumbnail of %d bytes", p.MIME, len(p.Thumbnail))
	}
	empty, err := attachment.Prepare(writeFile(t, src, "empty", nil), dir, 10)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := readAll(t, dir, empty); err != nil || len(got) != 0 {
		t.Fatalf("empty file: %q, %v", got, err)
	}
}

// BenchmarkTransfer measures a 64 MiB file end to end through a real relay on
// loopback: upload of the encrypted file from disk, and download with every
// chunk verified and written to disk; peak-heap-MiB is the heap above the
// starting point, client and relay together.
func BenchmarkTransfer(b *testing.B) {
	const size = 64 << 20
	r := relaytest.Start(b, nil)
	alice, bob := client(b, r), client(b, r)
	src, aliceDir := b.TempDir(), b.TempDir()
	data := make([]byte, size)
	rand.Read(data)
	p, err := attachment.Prepare(writeFile(b, src, "big.bin", data), aliceDir, 1<<30)
	if err != nil {
		b.Fatal(err)
	}
	data = nil
	b.Run("upload", func(b *testing.B) {
		b.SetBytes(size)
		stop := peakHeap()
		for b.Loop() {
			q := p
			q.ID = ids.New[ids.File]()
			os.Link(filepath.Join(aliceDir, p.ID.String()+".hushfile"), filepath.Join(aliceDir, q.ID.String()+".hushfile"))
			if err := attachment.Upload(context.Background(), alice, aliceDir, q, nil); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(stop(), "peak-heap-MiB")
	})
	if err := attachment.Upload(context.Background(), alice, aliceDir, p, nil); err != nil {
		b.Fatal(err)
	}
	b.Run("download", func(b *testing.B) {
		b.SetBytes(size)
		stop := peakHeap()
		for b.Loop() {
			dir := b.TempDir()
			if err := attachment.Download(context.Background(), bob, dir, p.ID, p.Key, p.Size, nil); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(stop(), "peak-heap-MiB")
	})
}

// peakHeap samples the heap in use until stop is called, and returns the peak
// in MiB above the heap in use when it started (after a GC).
func peakHeap() (stop func() float64) {
	runtime.GC()
	var base, ms runtime.MemStats
	runtime.ReadMemStats(&base)
	var peak uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
			select {
			case <-done:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	})
	return func() float64 {
		close(done)
		wg.Wait()
		return float64(peak-min(peak, base.HeapInuse)) / (1 << 20)
	}
}

// TestPrepareStream encrypts a browser's upload as it arrives: the plaintext
// never reaches the folder, the name keeps only its last element, an image gets
// its thumbnail from the encrypted copy, and a stream over the limit leaves
// nothing behind.
func TestPrepareStream(t *testing.T) {
	dir := t.TempDir()
	marker := []byte("STREAMED-PLAINTEXT ")
	data := bytes.Repeat(marker, 10_000)
	p, err := attachment.PrepareStream(bytes.NewReader(data), `C:\Users\ada\notes.txt`, dir, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "notes.txt" || p.MIME != "text/plain; charset=utf-8" || p.Size != int64(len(data)) || p.Thumbnail != nil {
		t.Fatalf("prepared %+v", p)
	}
	if got, err := readAll(t, dir, p); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read back %d bytes, %v", len(got), err)
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if b, _ := os.ReadFile(filepath.Join(dir, e.Name())); bytes.Contains(b, marker) {
			t.Errorf("%s holds plaintext", e.Name())
		}
	}

	for _, c := range []struct{ in, want string }{
		{"../../etc/passwd", "passwd"},
		{"a/b\\c.png", "c.png"},
		{"", "file"},
		{"..", "file"},
		{"dir/", "file"},
		{" tab\there.txt ", "tabhere.txt"},
		{"bad\xffname", "badname"},
		{strings.Repeat("é", 200) + ".txt", strings.Repeat("é", 127)},
	} {
		p, err := attachment.PrepareStream(strings.NewReader("x"), c.in, dir, 10)
		if err != nil || p.Name != c.want {
			t.Errorf("name %q: got %q, %v; want %q", c.in, p.Name, err, c.want)
		}
	}

	before, _ := os.ReadDir(dir)
	if _, err := attachment.PrepareStream(bytes.NewReader(make([]byte, 1001)), "big.bin", dir, 1000); !errors.Is(err, wire.ErrTooLarge) {
		t.Errorf("over the limit: %v", err)
	}
	if _, err := attachment.PrepareStream(bytes.NewReader(make([]byte, 1000)), "fits.bin", dir, 1000); err != nil {
		t.Errorf("at the limit: %v", err)
	}
	after, _ := os.ReadDir(dir)
	if len(after) != len(before)+1 {
		t.Errorf("%d files before, %d after one refused and one prepared", len(before), len(after))
	}

	img := image.NewRGBA(image.Rect(0, 0, 640, 480))
	for i := range img.Pix {
		img.Pix[i] = byte(i * 7)
	}
	var buf bytes.Buffer
	png.Encode(&buf, img)
	shot, err := attachment.PrepareStream(&buf, "Screenshot.png", dir, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if shot.MIME != "image/png" || len(shot.Thumbnail) == 0 {
		t.Fatalf("pasted image: MIME %q, thumbnail of %d bytes", shot.MIME, len(shot.Thumbnail))
	}
}
