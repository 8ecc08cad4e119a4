package store_test

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"testing"

	"hush/ids"
	"hush/internal/pgtest"
	"hush/relay/store"
	"hush/sync/wire"
)

// blobStore is what the relay asks of a blob store (relay.BlobStore).
type blobStore interface {
	Begin(ctx context.Context, r store.BeginBlob) (store.BlobState, error)
	Put(ctx context.Context, id ids.File, owner ids.Account, index int, data []byte) error
	Finish(ctx context.Context, id ids.File, owner ids.Account, expires int64) error
	Chunk(ctx context.Context, id ids.File, index int) ([]byte, int64, error)
	Used(ctx context.Context, owner ids.Account) (int64, error)
	ExpireUnfinished(ctx context.Context, before int64) (int, error)
	DeleteExpired(ctx context.Context, now int64) (int, error)
	Delete(ctx context.Context, id ids.File, owner ids.Account) error
	DeleteOwner(ctx context.Context, owner ids.Account) (int, int64, error)
}

// blobEngine opens a blob store at a place, again and again (a relay restart).
type blobEngine struct {
	name  string
	place func(t *testing.T) string
	open  func(t *testing.T, place string) blobStore
}

var blobEngines = []blobEngine{
	{"dir", func(t *testing.T) string { return filepath.Join(t.TempDir(), "blobs") },
		func(t *testing.T, dir string) blobStore {
			b, err := store.OpenDirBlobs(dir)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { b.Close() })
			return b
		}},
	{"postgres", func(t *testing.T) string { return pgtest.Database(t) },
		func(t *testing.T, dsn string) blobStore { return openPostgres(t, dsn).Blobs() }},
}

func eachBlobEngine(t *testing.T, test func(t *testing.T, e blobEngine)) {
	for _, e := range blobEngines {
		t.Run(e.name, func(t *testing.T) { test(t, e) })
	}
}

// blobData returns size bytes of recognisable ciphertext, and its chunks.
func blobData(size int) ([]byte, [][]byte) {
	b := make([]byte, size)
	for i := range b {
		b[i] = byte(i*7 + i/wire.BlobChunkSize)
	}
	var chunks [][]byte
	for off := 0; off < size; off += wire.BlobChunkSize {
		chunks = append(chunks, b[off:min(off+wire.BlobChunkSize, size)])
	}
	return b, chunks
}

func TestBlobUploadResumes(t *testing.T) { eachBlobEngine(t, testBlobUploadResumes) }

func testBlobUploadResumes(t *testing.T, e blobEngine) {
	ctx := context.Background()
	place := e.place(t)
	s := e.open(t, place)
	alice, mallory := ids.New[ids.Account](), ids.New[ids.Account]()
	id := ids.New[ids.File]()
	size := 4*wire.BlobChunkSize + 100
	data, chunks := blobData(size)
	req := store.BeginBlob{ID: id, Owner: alice, Size: int64(size), Now: 1000, Quota: 1 << 30}

	st, err := s.Begin(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if st.Finished || len(st.Have) != 1 || st.Have[0] != 0 {
		t.Fatalf("fresh blob state %+v", st)
	}
	// Chunks in any order, one twice.
	for _, i := range []int{3, 0, 3} {
		if err := s.Put(ctx, id, alice, i, chunks[i]); err != nil {
			t.Fatalf("put %d: %v", i, err)
		}
	}
	// Attacks and mistakes.
	if err := s.Put(ctx, id, mallory, 1, chunks[1]); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("another account's chunk: %v", err)
	}
	if err := s.Put(ctx, id, alice, 1, chunks[4]); !errors.Is(err, store.ErrBlobConflict) {
		t.Errorf("short middle chunk: %v", err)
	}
	if err := s.Put(ctx, id, alice, 5, chunks[4]); !errors.Is(err, store.ErrBlobConflict) {
		t.Errorf("chunk past the end: %v", err)
	}
	if err := s.Put(ctx, ids.New[ids.File](), alice, 0, chunks[0]); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("chunk of no blob: %v", err)
	}
	if _, err := s.Begin(ctx, store.BeginBlob{ID: id, Owner: alice, Size: int64(size) + 1, Now: 1000, Quota: 1 << 30}); !errors.Is(err, store.ErrBlobConflict) {
		t.Errorf("same id, other size: %v", err)
	}
	if _, err := s.Begin(ctx, store.BeginBlob{ID: id, Owner: mallory, Size: int64(size), Now: 1000, Quota: 1 << 30}); !errors.Is(err, store.ErrBlobConflict) {
		t.Errorf("same id, other owner: %v", err)
	}
	if err := s.Finish(ctx, id, alice, 0); !errors.Is(err, store.ErrBlobIncomplete) {
		t.Errorf("finish with chunks missing: %v", err)
	}
	if _, _, err := s.Chunk(ctx, id, 0); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("download of an unfinished blob: %v", err)
	}

	// Resume: Begin again reports what is held; it survives a restart.
	st, err = s.Begin(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if st.Have[0] != 0b1001 {
		t.Fatalf("resumed bitmap %08b, want 00001001", st.Have[0])
	}
	s = e.open(t, place)
	st, err = s.Begin(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if st.Have[0] != 0b1001 {
		t.Fatalf("bitmap after restart %08b, want 00001001", st.Have[0])
	}
	for _, i := range []int{1, 2, 4} {
		if err := s.Put(ctx, id, alice, i, chunks[i]); err != nil {
			t.Fatalf("put %d: %v", i, err)
		}
	}
	if err := s.Finish(ctx, id, mallory, 0); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("another account finishes: %v", err)
	}
	for range 2 { // finishing twice is harmless
		if err := s.Finish(ctx, id, alice, 0); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Put(ctx, id, alice, 1, chunks[1]); err != nil {
		t.Errorf("put after finish: %v", err)
	}
	s = e.open(t, place)
	var got []byte
	for i := range chunks {
		c, n, err := s.Chunk(ctx, id, i)
		if err != nil {
			t.Fatalf("chunk %d: %v", i, err)
		}
		if n != int64(size) {
			t.Fatalf("size %d, want %d", n, size)
		}
		got = append(got, c...)
	}
	if !bytes.Equal(got, data) {
		t.Fatal("downloaded blob differs")
	}
	if _, _, err := s.Chunk(ctx, id, len(chunks)); !errors.Is(err, store.ErrBlobConflict) {
		t.Errorf("chunk past the end: %v", err)
	}
	st, err = s.Begin(ctx, req)
	if err != nil || !st.Finished || st.Have[0] != 0b11111 {
		t.Fatalf("finished state %+v, %v", st, err)
	}
}

func TestBlobQuotaAndExpiry(t *testing.T) { eachBlobEngine(t, testBlobQuotaAndExpiry) }

func testBlobQuotaAndExpiry(t *testing.T, e blobEngine) {
	ctx := context.Background()
	place := e.place(t)
	s := e.open(t, place)
	alice, bob := ids.New[ids.Account](), ids.New[ids.Account]()
	const quota = 3 * wire.BlobChunkSize
	_, chunks := blobData(2 * wire.BlobChunkSize)
	done, old, young := ids.New[ids.File](), ids.New[ids.File](), ids.New[ids.File]()

	begin := func(id ids.File, owner ids.Account, size, now int64) error {
		_, err := s.Begin(ctx, store.BeginBlob{ID: id, Owner: owner, Size: size, Now: now, Quota: quota})
		return err
	}
	if err := begin(done, alice, wire.BlobChunkSize, 100); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, done, alice, 0, chunks[0]); err != nil {
		t.Fatal(err)
	}
	if err := s.Finish(ctx, done, alice, 0); err != nil {
		t.Fatal(err)
	}
	if err := begin(old, alice, 2*wire.BlobChunkSize, 100); err != nil {
		t.Fatal(err)
	}
	// Alice has used her quota; one more byte is refused, Bob is not affected.
	if err := begin(young, alice, 1, 5000); !errors.Is(err, store.ErrBlobQuota) {
		t.Fatalf("over quota: %v", err)
	}
	if err := begin(young, bob, quota, 5000); err != nil {
		t.Fatalf("another account: %v", err)
	}
	if used, err := s.Used(ctx, alice); err != nil || used != quota {
		t.Fatalf("used %d, %v; want %d", used, err, quota)
	}
	// Expiry removes the old unfinished upload only, and frees its quota.
	n, err := s.ExpireUnfinished(ctx, 1000)
	if err != nil || n != 1 {
		t.Fatalf("expired %d, %v; want 1", n, err)
	}
	if err := s.Put(ctx, old, alice, 0, chunks[0]); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("put into an expired upload: %v", err)
	}
	if _, _, err := s.Chunk(ctx, done, 0); err != nil {
		t.Errorf("finished blob after expiry: %v", err)
	}
	s = e.open(t, place)
	if used, err := s.Used(ctx, alice); err != nil || used != wire.BlobChunkSize {
		t.Fatalf("used after expiry and restart %d, %v", used, err)
	}
	if err := begin(ids.New[ids.File](), alice, 2*wire.BlobChunkSize, 6000); err != nil {
		t.Fatalf("within the freed quota: %v", err)
	}
}

func TestBlobDelete(t *testing.T) { eachBlobEngine(t, testBlobDelete) }

// testBlobDelete deletes blobs by their uploader (finished, mid-upload, twice),
// refuses another account's deletion, expires blobs at the time set when they
// were finished (kept across a restart), and deletes an account's blobs.
func testBlobDelete(t *testing.T, e blobEngine) {
	ctx := context.Background()
	place := e.place(t)
	s := e.open(t, place)
	alice, mallory := ids.New[ids.Account](), ids.New[ids.Account]()
	_, chunks := blobData(wire.BlobChunkSize)
	upload := func(owner ids.Account, finish bool, expires int64) ids.File {
		t.Helper()
		id := ids.New[ids.File]()
		if _, err := s.Begin(ctx, store.BeginBlob{ID: id, Owner: owner, Size: wire.BlobChunkSize, Now: 100, Quota: 1 << 30}); err != nil {
			t.Fatal(err)
		}
		if err := s.Put(ctx, id, owner, 0, chunks[0]); err != nil {
			t.Fatal(err)
		}
		if finish {
			if err := s.Finish(ctx, id, owner, expires); err != nil {
				t.Fatal(err)
			}
		}
		return id
	}
	kept, mid, twice := upload(alice, true, 0), upload(alice, false, 0), upload(alice, true, 0)
	expiring, later := upload(alice, true, 5000), upload(alice, true, 0)
	malloryOwn := upload(mallory, true, 0)
	// A finish again sets the expiry of a finished blob; another account's does not.
	if err := s.Finish(ctx, later, mallory, 1); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("another account sets the expiry: %v", err)
	}
	if err := s.Finish(ctx, later, alice, 5000); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name  string
		id    ids.File
		by    ids.Account
		want  error
		chunk error // a download afterwards
	}{
		{"another account", kept, mallory, store.ErrBlobForbidden, nil},
		{"unknown id", ids.New[ids.File](), alice, store.ErrNotFound, store.ErrNotFound},
		{"mid-upload", mid, alice, nil, store.ErrNotFound},
		{"finished", twice, alice, nil, store.ErrNotFound},
		{"twice", twice, alice, store.ErrNotFound, store.ErrNotFound},
	} {
		err := s.Delete(ctx, tc.id, tc.by)
		if !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
			t.Errorf("%s: Delete = %v, want %v", tc.name, err, tc.want)
		}
		if _, _, err := s.Chunk(ctx, tc.id, 0); !errors.Is(err, tc.chunk) || (tc.chunk == nil && err != nil) {
			t.Errorf("%s: download after = %v, want %v", tc.name, err, tc.chunk)
		}
	}
	if err := s.Put(ctx, mid, alice, 0, chunks[0]); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("put into a deleted upload: %v", err)
	}
	if used, err := s.Used(ctx, alice); err != nil || used != 3*wire.BlobChunkSize {
		t.Fatalf("used after deleting 2 of 5 blobs = %d, %v", used, err)
	}

	s = e.open(t, place) // the expiries are durable
	if n, err := s.DeleteExpired(ctx, 4999); err != nil || n != 0 {
		t.Fatalf("expired before their time: %d, %v", n, err)
	}
	if n, err := s.DeleteExpired(ctx, 5000); err != nil || n != 2 {
		t.Fatalf("expired at their time: %d, %v; want 2", n, err)
	}
	for _, id := range []ids.File{expiring, later} {
		if _, _, err := s.Chunk(ctx, id, 0); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("expired blob downloads: %v", err)
		}
	}
	if _, _, err := s.Chunk(ctx, kept, 0); err != nil {
		t.Errorf("blob without expiry: %v", err)
	}
	s = e.open(t, place)
	if used, err := s.Used(ctx, alice); err != nil || used != wire.BlobChunkSize {
		t.Fatalf("used after expiry and restart = %d, %v", used, err)
	}

	n, bytes, err := s.DeleteOwner(ctx, alice)
	if err != nil || n != 1 || bytes != wire.BlobChunkSize {
		t.Fatalf("DeleteOwner = %d, %d, %v", n, bytes, err)
	}
	if _, _, err := s.Chunk(ctx, kept, 0); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("blob of a deleted account: %v", err)
	}
	if _, _, err := s.Chunk(ctx, malloryOwn, 0); err != nil {
		t.Errorf("another account's blob after DeleteOwner: %v", err)
	}
}
