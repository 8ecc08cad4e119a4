package relayclient

import (
	"bytes"
	"context"
	"errors"
	"runtime"
	"sync"
	"testing"
	"time"

	"hush/ids"
	"hush/internal/testutil"
	"hush/relay/relaytest"
	"hush/sync/wire"
)

func blobBytes(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*13 + i>>16)
	}
	return b
}

// progressLog records progress reports and checks they only grow.
type progressLog struct {
	mu    sync.Mutex
	first int64
	last  int64
	n     int
	bad   bool
}

func (p *progressLog) report(done, total int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.n == 0 {
		p.first = done
	}
	if done < p.last || done > total {
		p.bad = true
	}
	p.last = done
	p.n++
}

func downloadAll(t testing.TB, c *Client, id ids.File, size int64, from int, into []byte) error {
	t.Helper()
	return c.DownloadBlob(context.Background(), id, size, from, func(i int, data []byte) error {
		copy(into[i*wire.BlobChunkSize:], data)
		return nil
	}, nil)
}

// TestBlobUploadCancelResumeDownload cancels an upload midway, restarts the relay,
// resumes the upload from what the relay holds, and downloads the blob, part of it
// twice (a resumed download).
func TestBlobUploadCancelResumeDownload(t *testing.T) {
	r := relaytest.Start(t, nil)
	c := newClient(t, "ws://"+r.Addr, relaytest.NewAccount(t), nil)
	c.online(t)
	data := blobBytes(40*wire.BlobChunkSize + 1234)
	size := int64(len(data))
	id := ids.New[ids.File]()

	ctx, cancel := context.WithCancel(context.Background())
	err := c.UploadBlob(ctx, id, bytes.NewReader(data), size, func(done, total int64) {
		if done >= size/3 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled upload: %v", err)
	}
	r = r.Restart(t)
	c.online(t)
	var p progressLog
	if err := c.UploadBlob(context.Background(), id, bytes.NewReader(data), size, p.report); err != nil {
		t.Fatalf("resumed upload: %v", err)
	}
	if p.bad || p.last != size {
		t.Fatalf("progress went backwards or ended at %d of %d", p.last, size)
	}
	if p.first < size/3 || p.first == size {
		t.Fatalf("resumed upload started at %d bytes, want at least %d held by the relay", p.first, size/3)
	}

	other := newClient(t, "ws://"+r.Addr, relaytest.NewAccount(t), nil)
	other.online(t)
	got := make([]byte, size)
	if err := downloadAll(t, other.Client, id, size, 0, got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		t.Fatal("downloaded blob differs")
	}
	// A resumed download fetches only from where it stopped.
	again := make([]byte, size)
	if err := downloadAll(t, other.Client, id, size, 30, again); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again[30*wire.BlobChunkSize:], data[30*wire.BlobChunkSize:]) || again[0] != 0 {
		t.Fatal("resumed download differs")
	}
	// The wrong size (a lying message) fails instead of returning a different file.
	if err := downloadAll(t, other.Client, id, size+1, 0, make([]byte, size+1)); err == nil {
		t.Fatal("download with the wrong size succeeded")
	}
	// An upload over the relay's size limit fails clearly, before any chunk.
	if err := c.UploadBlob(context.Background(), ids.New[ids.File](), bytes.NewReader(nil), 200<<20, nil); !errors.Is(err, wire.ErrTooLarge) {
		t.Fatalf("upload over the size limit: %v", err)
	}
}

// peakHeap samples the heap in use until stop is called, and returns the peak
// above the heap in use when it started (after a GC).
func peakHeap() (stop func() uint64) {
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	var peak uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
			select {
			case <-done:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	return func() uint64 { close(done); wg.Wait(); return peak - min(peak, base.HeapInuse) }
}

// BenchmarkBlob measures upload and download throughput of a 64 MiB blob through
// a real relay on loopback (SQLite store, blobs in a directory), and the peak heap
// of the whole process (client and relay) while it runs.
func BenchmarkBlob(b *testing.B) {
	const size = 64 << 20
	// The blob is generated as it is read, so the heap holds no copy of it and
	// the peak shows what the transfer itself keeps.
	data := patternReader{}
	r := relaytest.Start(b, &relaytest.Options{})
	dev := relaytest.NewAccount(b)
	cl, err := New(Config{URL: "ws://" + r.Addr, Device: dev.Key, Certificate: dev.Cert, Handler: &recHandler{}})
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()
	cl.Run()
	testutil.Eventually(b, 15*time.Second, "online", func() bool { return cl.Status().State == StateOnline })
	var uploaded []ids.File
	b.Run("upload", func(b *testing.B) {
		b.SetBytes(size)
		b.ReportAllocs()
		stop := peakHeap()
		for b.Loop() {
			id := ids.New[ids.File]()
			if err := cl.UploadBlob(context.Background(), id, data, size, nil); err != nil {
				b.Fatal(err)
			}
			uploaded = append(uploaded, id)
		}
		b.ReportMetric(float64(stop())/(1<<20), "peak-heap-MiB")
	})
	b.Run("download", func(b *testing.B) {
		b.SetBytes(size)
		b.ReportAllocs()
		stop := peakHeap()
		for b.Loop() {
			var n int64
			err := cl.DownloadBlob(context.Background(), uploaded[0], size, 0, func(i int, d []byte) error { n += int64(len(d)); return nil }, nil)
			if err != nil || n != size {
				b.Fatal(n, err)
			}
		}
		b.ReportMetric(float64(stop())/(1<<20), "peak-heap-MiB")
	})
}

// patternReader reads as blobBytes of any length would hold.
type patternReader struct{}

func (patternReader) ReadAt(p []byte, off int64) (int, error) {
	for j := range p {
		i := off + int64(j)
		p[j] = byte(i*13 + i>>16)
	}
	return len(p), nil
}

// TestDeleteBlob: the uploader deletes its blob, a second time succeeds too (a
// retry), another account is refused, and a deleted blob no longer downloads.
func TestDeleteBlob(t *testing.T) {
	r := relaytest.Start(t, nil)
	c := newClient(t, "ws://"+r.Addr, relaytest.NewAccount(t), nil)
	other := newClient(t, "ws://"+r.Addr, relaytest.NewAccount(t), nil)
	c.online(t)
	other.online(t)
	data := blobBytes(wire.BlobChunkSize + 10)
	id := ids.New[ids.File]()
	ctx := context.Background()
	if err := c.UploadBlob(ctx, id, bytes.NewReader(data), int64(len(data)), nil); err != nil {
		t.Fatal(err)
	}
	if err := c.ExpireBlob(ctx, id, time.Now().Add(time.Hour)); err != nil {
		t.Fatalf("expiry: %v", err)
	}
	if err := other.DeleteBlob(ctx, id); !errors.Is(err, wire.ErrForbidden) {
		t.Fatalf("another account's delete: %v", err)
	}
	for range 2 {
		if err := c.DeleteBlob(ctx, id); err != nil {
			t.Fatalf("delete: %v", err)
		}
	}
	if err := downloadAll(t, other.Client, id, int64(len(data)), 0, make([]byte, len(data))); !errors.Is(err, wire.ErrNotFound) {
		t.Fatalf("download of a deleted blob: %v", err)
	}
}
