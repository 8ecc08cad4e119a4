package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"hush/ids"
	"hush/sync/wire"
)

// Blob store: attachment ciphertext, uploaded in chunks of [wire.BlobChunkSize]
// bytes (the last one shorter) under an id the uploader picked at random
// (docs/PROTOCOL.md, "Attachments"). Two implementations answer the same calls:
// [DirBlobs], files under a directory (the default), and [PGBlobs], tables in the
// relay's PostgreSQL database, which several relays share. The relay cannot read
// what it stores and cannot tell who may read it: the id, known only to the
// uploader and the chat the message went to, is the capability.

// Blob store errors callers branch on.
var (
	// ErrBlobQuota: the upload would take the owner past its blob quota.
	ErrBlobQuota = errors.New("store: blob quota exceeded")
	// ErrBlobConflict: the id is taken by another owner or another size, or a
	// chunk does not fit the blob.
	ErrBlobConflict = errors.New("store: blob conflict")
	// ErrBlobIncomplete: finishing an upload whose chunks are not all there.
	ErrBlobIncomplete = errors.New("store: blob upload incomplete")
	// ErrBlobForbidden: deleting a blob another account uploaded.
	ErrBlobForbidden = errors.New("store: blob of another account")
)

// BlobState is what a store knows of one blob.
type BlobState struct {
	ID       ids.File
	Owner    ids.Account
	Size     int64 // ciphertext bytes
	Created  int64 // Unix milliseconds when the upload began
	Finished bool
	// Expires is when the uploader asked the blob to be deleted (Unix
	// milliseconds), 0 for never.
	Expires int64
	// Have holds a bit per chunk (chunk i: Have[i/8] bit i%8) that the store
	// holds durably.
	Have []byte
}

// BlobChunks returns how many chunks a blob of size bytes has: at least one.
func BlobChunks(size int64) int {
	if size <= 0 {
		return 1
	}
	return int((size + wire.BlobChunkSize - 1) / wire.BlobChunkSize)
}

// blobChunkLen is the length chunk index of a blob of size bytes must have.
func blobChunkLen(size int64, index int) int {
	if index < BlobChunks(size)-1 {
		return wire.BlobChunkSize
	}
	return int(size - int64(index)*wire.BlobChunkSize)
}

// BeginBlob is a request to start (or resume) an upload.
type BeginBlob struct {
	ID    ids.File
	Owner ids.Account
	Size  int64
	Now   int64 // Unix milliseconds
	// Quota caps the bytes of all of Owner's blobs, this one included.
	Quota int64
}

// checkChunk validates a chunk against its blob.
func checkChunk(st BlobState, owner ids.Account, index int, n int) error {
	switch {
	case st.Owner != owner:
		return fmt.Errorf("%w: blob %v belongs to another account", ErrNotFound, st.ID)
	case index < 0 || index >= BlobChunks(st.Size):
		return fmt.Errorf("%w: chunk %d of a %d-chunk blob", ErrBlobConflict, index, BlobChunks(st.Size))
	case n != blobChunkLen(st.Size, index):
		return fmt.Errorf("%w: chunk %d has %d bytes, want %d", ErrBlobConflict, index, n, blobChunkLen(st.Size, index))
	}
	return nil
}

func hasAll(have []byte, chunks int) bool {
	for i := range chunks {
		if have[i/8]&(1<<(i%8)) == 0 {
			return false
		}
	}
	return true
}

// DirBlobs keeps blobs as files under a directory: per blob, a data file written
// in place at each chunk's offset and a small JSON metadata file replaced
// atomically (temp file, fsync, rename). A chunk counts as held once a
// checkpoint — at a resume ([DirBlobs.Begin] of an existing upload) or at
// [DirBlobs.Finish] — fsynced the data and recorded it; a chunk written since the
// last checkpoint is lost in a crash and simply uploaded again. Metadata of every
// blob is indexed in memory when the directory is opened, so it suits a single
// relay; relays sharing a PostgreSQL database use [PGBlobs].
type DirBlobs struct {
	root string

	mu    sync.Mutex
	blobs map[ids.File]*dirBlob
	used  map[ids.Account]int64
}

// dirBlob is one blob's metadata; its fields after meta are under DirBlobs.mu.
type dirBlob struct {
	meta blobMeta
	have []byte // chunks written (durable or not)
	f    *os.File
}

// blobMeta is the JSON of a blob's metadata file.
type blobMeta struct {
	Owner    ids.Account `json:"owner"`
	Size     int64       `json:"size"`
	Created  int64       `json:"created"`
	Finished bool        `json:"finished"`
	Have     []byte      `json:"have"`              // durable chunks
	Expires  int64       `json:"expires,omitempty"` // Unix ms; absent: never
}

// OpenDirBlobs opens (creating it if needed) the blob directory root and
// indexes the blobs in it.
func OpenDirBlobs(root string) (*DirBlobs, error) {
	if err := os.MkdirAll(root, 0o700); err != nil {
		return nil, fmt.Errorf("blob directory: %w", err)
	}
	d := &DirBlobs{root: root, blobs: map[ids.File]*dirBlob{}, used: map[ids.Account]int64{}}
	err := filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() || !strings.HasSuffix(p, ".meta") {
			return err
		}
		id, err := ids.Parse[ids.File](strings.TrimSuffix(filepath.Base(p), ".meta"))
		if err != nil {
			return nil // not ours
		}
		raw, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		var m blobMeta
		if err := json.Unmarshal(raw, &m); err != nil || len(m.Have) != (BlobChunks(m.Size)+7)/8 {
			return fmt.Errorf("blob %v: bad metadata", id)
		}
		d.blobs[id] = &dirBlob{meta: m, have: m.Have}
		d.used[m.Owner] += m.Size
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("index blob directory: %w", err)
	}
	return d, nil
}

func (d *DirBlobs) path(id ids.File, ext string) string {
	s := id.String()
	return filepath.Join(d.root, s[:2], s+ext)
}

// Close checkpoints the uploads in progress (so a graceful restart keeps every
// chunk) and closes their files.
func (d *DirBlobs) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	var errs []error
	for id, b := range d.blobs {
		if b.f != nil {
			errs = append(errs, d.checkpointLocked(id, b, false), b.f.Close())
			b.f = nil
		}
	}
	return errors.Join(errs...)
}

// Begin starts an upload, or resumes it: it returns the blob's state with the
// chunks already held.
func (d *DirBlobs) Begin(ctx context.Context, r BeginBlob) (BlobState, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if b, ok := d.blobs[r.ID]; ok {
		if b.meta.Owner != r.Owner || b.meta.Size != r.Size {
			return BlobState{}, fmt.Errorf("%w: blob %v exists with another owner or size", ErrBlobConflict, r.ID)
		}
		if !b.meta.Finished {
			if err := d.checkpointLocked(r.ID, b, false); err != nil {
				return BlobState{}, err
			}
		}
		return d.stateLocked(r.ID, b), nil
	}
	if d.used[r.Owner]+r.Size > r.Quota {
		return BlobState{}, fmt.Errorf("%w: %d of %d bytes used, %d more asked", ErrBlobQuota, d.used[r.Owner], r.Quota, r.Size)
	}
	if err := os.MkdirAll(filepath.Dir(d.path(r.ID, "")), 0o700); err != nil {
		return BlobState{}, fmt.Errorf("blob directory: %w", err)
	}
	f, err := os.OpenFile(d.path(r.ID, ".data"), os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return BlobState{}, fmt.Errorf("create blob: %w", err)
	}
	n := (BlobChunks(r.Size) + 7) / 8
	b := &dirBlob{meta: blobMeta{Owner: r.Owner, Size: r.Size, Created: r.Now, Have: make([]byte, n)}, have: make([]byte, n), f: f}
	if err := d.writeMeta(r.ID, b.meta); err != nil {
		f.Close()
		return BlobState{}, err
	}
	d.blobs[r.ID] = b
	d.used[r.Owner] += r.Size
	return d.stateLocked(r.ID, b), nil
}

func (d *DirBlobs) stateLocked(id ids.File, b *dirBlob) BlobState {
	return BlobState{ID: id, Owner: b.meta.Owner, Size: b.meta.Size, Created: b.meta.Created, Finished: b.meta.Finished, Expires: b.meta.Expires, Have: append([]byte(nil), b.meta.Have...)}
}

// fileLocked returns the open data file of an unfinished blob.
func (d *DirBlobs) fileLocked(id ids.File, b *dirBlob) (*os.File, error) {
	if b.f == nil {
		f, err := os.OpenFile(d.path(id, ".data"), os.O_RDWR, 0)
		if err != nil {
			return nil, fmt.Errorf("open blob: %w", err)
		}
		b.f = f
	}
	return b.f, nil
}

// checkpointLocked makes the chunks written so far durable and records them.
func (d *DirBlobs) checkpointLocked(id ids.File, b *dirBlob, finished bool) error {
	f, err := d.fileLocked(id, b)
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync blob: %w", err)
	}
	m := b.meta
	m.Have = append([]byte(nil), b.have...)
	m.Finished = finished
	if err := d.writeMeta(id, m); err != nil {
		return err
	}
	b.meta = m
	return nil
}

func (d *DirBlobs) writeMeta(id ids.File, m blobMeta) error {
	raw, err := json.Marshal(m)
	if err != nil {
		return err
	}
	p := d.path(id, ".meta")
	tmp, err := os.CreateTemp(filepath.Dir(p), ".meta-*")
	if err != nil {
		return fmt.Errorf("write blob metadata: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(raw); err != nil {
		tmp.Close()
		return fmt.Errorf("write blob metadata: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write blob metadata: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write blob metadata: %w", err)
	}
	if err := os.Rename(tmp.Name(), p); err != nil {
		return fmt.Errorf("write blob metadata: %w", err)
	}
	return syncDir(filepath.Dir(p))
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync directory: %w", err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync directory: %w", err)
	}
	return nil
}

// Put stores chunk index of an upload of owner's. Storing a chunk again is
// harmless; a chunk of a finished blob is accepted and ignored.
func (d *DirBlobs) Put(ctx context.Context, id ids.File, owner ids.Account, index int, data []byte) error {
	d.mu.Lock()
	b, ok := d.blobs[id]
	if !ok {
		d.mu.Unlock()
		return fmt.Errorf("%w: blob %v", ErrNotFound, id)
	}
	st := BlobState{ID: id, Owner: b.meta.Owner, Size: b.meta.Size}
	if err := checkChunk(st, owner, index, len(data)); err != nil {
		d.mu.Unlock()
		return err
	}
	if b.meta.Finished {
		d.mu.Unlock()
		return nil
	}
	defer d.mu.Unlock()
	f, err := d.fileLocked(id, b)
	if err != nil {
		return err
	}
	// Written under the lock, so that Finish and ExpireUnfinished never close the
	// file under a write; a 64 KiB write to the page cache takes microseconds.
	if _, err := f.WriteAt(data, int64(index)*wire.BlobChunkSize); err != nil {
		return fmt.Errorf("write blob chunk: %w", err)
	}
	b.have[index/8] |= 1 << (index % 8)
	return nil
}

// Finish completes an upload once every chunk is there; finishing again is
// harmless. An expires (Unix milliseconds) other than 0 sets when the blob is
// deleted ([DirBlobs.DeleteExpired]), on a finished blob too.
func (d *DirBlobs) Finish(ctx context.Context, id ids.File, owner ids.Account, expires int64) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	b, ok := d.blobs[id]
	if !ok || b.meta.Owner != owner {
		return fmt.Errorf("%w: blob %v", ErrNotFound, id)
	}
	if b.meta.Finished {
		if expires == 0 || expires == b.meta.Expires {
			return nil
		}
		m := b.meta
		m.Expires = expires
		if err := d.writeMeta(id, m); err != nil {
			return err
		}
		b.meta = m
		return nil
	}
	if !hasAll(b.have, BlobChunks(b.meta.Size)) {
		return fmt.Errorf("%w: blob %v", ErrBlobIncomplete, id)
	}
	if expires != 0 {
		b.meta.Expires = expires // written by the checkpoint
	}
	if err := d.checkpointLocked(id, b, true); err != nil {
		return err
	}
	err := b.f.Close()
	b.f = nil
	return err
}

// Chunk returns chunk index of a finished blob and the blob's size.
func (d *DirBlobs) Chunk(ctx context.Context, id ids.File, index int) ([]byte, int64, error) {
	d.mu.Lock()
	b, ok := d.blobs[id]
	var size int64
	if ok {
		ok, size = b.meta.Finished, b.meta.Size
	}
	d.mu.Unlock()
	if !ok {
		return nil, 0, fmt.Errorf("%w: blob %v", ErrNotFound, id)
	}
	if index < 0 || index >= BlobChunks(size) {
		return nil, 0, fmt.Errorf("%w: chunk %d of a %d-chunk blob", ErrBlobConflict, index, BlobChunks(size))
	}
	f, err := os.Open(d.path(id, ".data"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, 0, fmt.Errorf("%w: blob %v deleted", ErrNotFound, id) // since the lock was let go
	}
	if err != nil {
		return nil, 0, fmt.Errorf("open blob: %w", err)
	}
	defer f.Close()
	buf := make([]byte, blobChunkLen(size, index))
	if _, err := f.ReadAt(buf, int64(index)*wire.BlobChunkSize); err != nil {
		return nil, 0, fmt.Errorf("read blob chunk: %w", err)
	}
	return buf, size, nil
}

// Used returns the bytes of owner's blobs, finished or not.
func (d *DirBlobs) Used(ctx context.Context, owner ids.Account) (int64, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.used[owner], nil
}

// ExpireUnfinished deletes uploads begun before the time before (Unix
// milliseconds) and never finished, and returns how many.
func (d *DirBlobs) ExpireUnfinished(ctx context.Context, before int64) (int, error) {
	return d.deleteWhere(func(m blobMeta) bool { return !m.Finished && m.Created < before })
}

// DeleteExpired deletes the blobs whose expiry (set at [DirBlobs.Finish]) is at
// or before now (Unix milliseconds), and returns how many.
func (d *DirBlobs) DeleteExpired(ctx context.Context, now int64) (int, error) {
	return d.deleteWhere(func(m blobMeta) bool { return m.Expires != 0 && m.Expires <= now })
}

// Delete deletes one blob of owner's, finished or not, and gives its bytes back
// to owner's quota: ErrNotFound if there is none, ErrBlobForbidden if another
// account uploaded it.
func (d *DirBlobs) Delete(ctx context.Context, id ids.File, owner ids.Account) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	b, ok := d.blobs[id]
	switch {
	case !ok:
		return fmt.Errorf("%w: blob %v", ErrNotFound, id)
	case b.meta.Owner != owner:
		return fmt.Errorf("%w: blob %v", ErrBlobForbidden, id)
	}
	return d.removeLocked(id, b)
}

// DeleteOwner deletes every blob of owner's (its account is being deleted) and
// returns how many and their bytes.
func (d *DirBlobs) DeleteOwner(ctx context.Context, owner ids.Account) (int, int64, error) {
	used, _ := d.Used(ctx, owner)
	n, err := d.deleteWhere(func(m blobMeta) bool { return m.Owner == owner })
	if err != nil {
		return n, 0, err
	}
	return n, used, nil
}

// deleteWhere deletes the blobs whose metadata match and returns how many.
func (d *DirBlobs) deleteWhere(match func(blobMeta) bool) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := 0
	for id, b := range d.blobs {
		if !match(b.meta) {
			continue
		}
		if err := d.removeLocked(id, b); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// removeLocked deletes a blob's files, metadata first (a crash between the two
// leaves a data file no index holds, which is never read), then forgets it.
func (d *DirBlobs) removeLocked(id ids.File, b *dirBlob) error {
	if b.f != nil {
		b.f.Close()
		b.f = nil
	}
	for _, ext := range []string{".meta", ".data"} {
		if err := os.Remove(d.path(id, ext)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("delete blob: %w", err)
		}
	}
	delete(d.blobs, id)
	d.used[b.meta.Owner] -= b.meta.Size
	return nil
}
