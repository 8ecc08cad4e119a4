package vaultbackup

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"testing"
	"time"

	"hush/ids"
	"hush/internal/cputime"
	"hush/policy"
	"hush/vault"
)

// Export and import of a vault with 100,000 messages (docs/PERFORMANCE.md,
// "Backups"). Run with:
//
//	go test ./backup/vaultbackup/ -run '^$' -bench . -benchtime 3x -count 5
//
// The scrypt work factor is lowered here so that the figures are the
// streaming's; BenchmarkScrypt in package backup times the production one,
// which every export and import pays once on top.

// fillBench stores n messages of body bytes each, in 10 group chats, with an
// account and its device, in batches of 10,000.
func fillBench(b *testing.B, v *vault.Vault, n, body int) {
	b.Helper()
	acct := ids.New[ids.Account]()
	chats := make([]ids.Chat, 10)
	text := strings.Repeat("x", body)
	err := v.Update(b.Context(), func(tx *vault.Tx) error {
		if err := tx.PutAccount(vault.Account{ID: acct, SigningSeed: []byte("s"), EncryptionKey: []byte("e")}); err != nil {
			return err
		}
		if err := tx.PutDevice(vault.Device{ID: ids.New[ids.Device](), AccountID: acct, SigningSeed: []byte("d"), EncryptionKey: []byte("d"), Own: true}); err != nil {
			return err
		}
		for i := range chats {
			chats[i] = ids.New[ids.Chat]()
			if err := tx.PutChat(vault.Chat{ID: chats[i], Kind: policy.KindGroup, Title: "g",
				Members: []vault.Member{{AccountID: acct, Role: policy.RoleOwner}}}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	for start := 0; start < n; start += 10_000 {
		err := v.Update(b.Context(), func(tx *vault.Tx) error {
			for i := start; i < min(n, start+10_000); i++ {
				if err := tx.InsertMessage(vault.Message{ID: ids.New[ids.Message](), ChatID: chats[i%len(chats)], Seq: int64(i + 1),
					SenderAccount: acct, SentAt: time.Unix(int64(1_700_000_000+i), 0), Body: text, Status: policy.StatusRead}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// heapPeak samples the heap every half millisecond while it runs and keeps the
// highest values seen: peak, the heap's objects live or not yet swept (what the
// process holds, with the garbage collector's slack), and live, the heap found
// live by the last completed collection (what the code retains).
type heapPeak struct {
	stop chan struct{}
	wg   sync.WaitGroup
	peak uint64
	live uint64
}

func startHeapPeak() *heapPeak {
	runtime.GC()
	h := &heapPeak{stop: make(chan struct{})}
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/gc/heap/live:bytes"}}
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		t := time.NewTicker(500 * time.Microsecond)
		defer t.Stop()
		for {
			metrics.Read(sample)
			h.peak = max(h.peak, sample[0].Value.Uint64())
			h.live = max(h.live, sample[1].Value.Uint64())
			select {
			case <-h.stop:
				return
			case <-t.C:
			}
		}
	}()
	return h
}

func (h *heapPeak) done() *heapPeak {
	close(h.stop)
	h.wg.Wait()
	return h
}

// reportHeap adds the highest of the peaks to b's metrics.
func reportHeap(b *testing.B, hs []*heapPeak) {
	var peak, live uint64
	for _, h := range hs {
		peak, live = max(peak, h.peak), max(live, h.live)
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(live)/(1<<20), "peak-live-MiB")
}

func benchVault(b *testing.B, n, body int) (*vault.Vault, string) {
	b.Helper()
	dir := b.TempDir()
	v, err := vault.Create(b.Context(), filepath.Join(dir, "vault.db"), []byte(vaultPass), vaultOptions())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { v.Close() })
	fillBench(b, v, n, body)
	return v, dir
}

// benchFiles are the bench's attachment files: 20 of 10 MiB, 200 MiB in all.
const (
	benchFiles    = 20
	benchFileSize = 10 << 20
)

// fillBenchFiles adds benchFiles attachments with their files, in dir/attachments,
// and returns that folder (for an export's FilesFrom).
func fillBenchFiles(b *testing.B, v *vault.Vault, dir string) string {
	b.Helper()
	files := filepath.Join(dir, "attachments")
	var chat ids.Chat
	if err := v.View(b.Context(), func(tx *vault.Tx) error {
		chats, err := tx.Chats()
		chat = chats[0].ID
		return err
	}); err != nil {
		b.Fatal(err)
	}
	for i := range benchFiles {
		addFile(b, v, files, chat, benchFileSize+i) // sizes differ: the messages' seqs do
	}
	runtime.GC()
	return files
}

func benchmarkExport(b *testing.B, n, body int, withFiles bool) {
	v, dir := benchVault(b, n, body)
	opts := exportOptions()
	if withFiles {
		opts.FilesFrom = fillBenchFiles(b, v, dir)
	}
	path := filepath.Join(dir, "b.hushbackup")
	var heaps []*heapPeak
	var size int64
	cpu := cputime.Process()
	for b.Loop() {
		h := startHeapPeak()
		if _, err := ExportFile(b.Context(), v, path, backupPass, opts); err != nil {
			b.Fatal(err)
		}
		heaps = append(heaps, h.done())
		st, err := os.Stat(path)
		if err != nil {
			b.Fatal(err)
		}
		size = st.Size()
	}
	reportExport(b, n, size, cpu, heaps)
}

// benchmarkExportStream exports to io.Discard: the vault's reading, the
// format and the encryption without the disk, whose write and sync speed
// varies on a shared machine far more than the code does.
func benchmarkExportStream(b *testing.B, n, body int, withFiles bool) {
	v, dir := benchVault(b, n, body)
	opts := exportOptions()
	if withFiles {
		opts.FilesFrom = fillBenchFiles(b, v, dir)
	}
	var heaps []*heapPeak
	var size int64
	cpu := cputime.Process()
	for b.Loop() {
		h := startHeapPeak()
		cw := &countingDiscard{}
		if _, err := Export(b.Context(), v, cw, backupPass, opts); err != nil {
			b.Fatal(err)
		}
		heaps = append(heaps, h.done())
		size = cw.n
	}
	reportExport(b, n, size, cpu, heaps)
}

// reportExport reports an export benchmark's figures: MB/s of backup file,
// messages a second, CPU time (all goroutines) per export since cpu0, and the
// peak heap.
func reportExport(b *testing.B, n int, size int64, cpu0 time.Duration, heaps []*heapPeak) {
	b.ReportMetric(float64(cputime.Process()-cpu0)/float64(b.N)/1e6, "cpu-ms/op")
	b.SetBytes(size)
	reportHeap(b, heaps)
	b.ReportMetric(float64(size)/(1<<20), "file-MiB")
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// countingDiscard counts what is written to it and keeps nothing.
type countingDiscard struct{ n int64 }

func (c *countingDiscard) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return len(p), nil
}

func benchmarkImport(b *testing.B, n, body int, withFiles bool) {
	v, dir := benchVault(b, n, body)
	opts := exportOptions()
	if withFiles {
		opts.FilesFrom = fillBenchFiles(b, v, dir)
	}
	// Read from the file, as an import does: a copy in memory would count
	// in the heap.
	name := filepath.Join(dir, "b.hushbackup")
	if _, err := ExportFile(b.Context(), v, name, backupPass, opts); err != nil {
		b.Fatal(err)
	}
	st, err := os.Stat(name)
	if err != nil {
		b.Fatal(err)
	}
	var heaps []*heapPeak
	i := 0
	for b.Loop() {
		path := filepath.Join(b.TempDir(), fmt.Sprintf("r%d.db", i))
		i++
		file, err := os.Open(name)
		if err != nil {
			b.Fatal(err)
		}
		h := startHeapPeak()
		var iopts ImportOptions
		if withFiles {
			iopts.FilesTo = filepath.Join(b.TempDir(), "attachments")
		}
		dst, _, err := Restore(b.Context(), path, []byte(vaultPass), vaultOptions(), file, backupPass, iopts)
		file.Close()
		if err != nil {
			b.Fatal(err)
		}
		heaps = append(heaps, h.done())
		dst.Close()
	}
	b.SetBytes(st.Size())
	reportHeap(b, heaps)
	b.ReportMetric(float64(st.Size())/(1<<20), "file-MiB")
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// Messages of 100 bytes: a chat's typical line.
func BenchmarkExport100k(b *testing.B) { benchmarkExport(b, 100_000, 100, false) }
func BenchmarkImport100k(b *testing.B) { benchmarkImport(b, 100_000, 100, false) }

// Messages of 1 KiB: ten times the bytes through the same number of rows.
func BenchmarkExport100k1KiB(b *testing.B) { benchmarkExport(b, 100_000, 1024, false) }

// The same exports without the disk (see benchmarkExportStream).
func BenchmarkExportStream100k(b *testing.B)     { benchmarkExportStream(b, 100_000, 100, false) }
func BenchmarkExportStream100k1KiB(b *testing.B) { benchmarkExportStream(b, 100_000, 1024, false) }
func BenchmarkImport100k1KiB(b *testing.B)       { benchmarkImport(b, 100_000, 1024, false) }

// 10,000 messages: the peak heap stays the same with ten times fewer rows.
func BenchmarkExport10k(b *testing.B) { benchmarkExport(b, 10_000, 100, false) }
func BenchmarkImport10k(b *testing.B) { benchmarkImport(b, 10_000, 100, false) }

// 100,000 messages and 200 MiB of attachment files (format version 4): the
// files' decryption, chunk records and age, with memory flat.
func BenchmarkExport100kFiles(b *testing.B)       { benchmarkExport(b, 100_000, 100, true) }
func BenchmarkExportStream100kFiles(b *testing.B) { benchmarkExportStream(b, 100_000, 100, true) }
func BenchmarkImport100kFiles(b *testing.B)       { benchmarkImport(b, 100_000, 100, true) }
