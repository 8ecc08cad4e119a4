package relay

import (
	"context"
	"errors"
	"flag"
	"log/slog"
	"time"

	"hush/ids"
	"hush/relay/store"
	"hush/sync/wire"
)

// BlobStore keeps attachment blobs (docs/PROTOCOL.md, "Attachments").
// [store.DirBlobs] (a directory, the default) and [store.PGBlobs] (the relay's
// PostgreSQL database, shared by several relays) implement it.
type BlobStore interface {
	// Begin starts an upload or resumes it, enforcing BeginBlob.Quota.
	Begin(ctx context.Context, r store.BeginBlob) (store.BlobState, error)
	// Put stores one chunk of an upload of owner's; again is harmless.
	Put(ctx context.Context, id ids.File, owner ids.Account, index int, data []byte) error
	// Finish completes an upload whose chunks are all there; an expires (Unix ms)
	// other than 0 sets when the blob is deleted, on a finished blob too.
	Finish(ctx context.Context, id ids.File, owner ids.Account, expires int64) error
	// Chunk returns one chunk of a finished blob and the blob's size.
	Chunk(ctx context.Context, id ids.File, index int) ([]byte, int64, error)
	// Used returns the bytes of owner's blobs, finished or not: what counts
	// against its blob quota.
	Used(ctx context.Context, owner ids.Account) (int64, error)
	// ExpireUnfinished deletes uploads begun before before (Unix ms), unfinished.
	ExpireUnfinished(ctx context.Context, before int64) (int, error)
	// DeleteExpired deletes the blobs whose expiry is at or before now (Unix ms).
	DeleteExpired(ctx context.Context, now int64) (int, error)
	// Delete deletes one blob of owner's, finished or not: store.ErrNotFound if
	// there is none, store.ErrBlobForbidden if another account uploaded it.
	Delete(ctx context.Context, id ids.File, owner ids.Account) error
	// DeleteOwner deletes every blob of owner's (`hush-relay admin delete`) and
	// returns how many and their bytes.
	DeleteOwner(ctx context.Context, owner ids.Account) (int, int64, error)
}

// Blob defaults (docs/RELAY.md, "Attachments").
const (
	// DefaultMaxBlobSize caps one attachment's ciphertext: 100 MiB.
	DefaultMaxBlobSize = 100 << 20
	// DefaultBlobQuota caps the blobs one account keeps: 2 GiB. It is separate
	// from Limits.QuotaBytes, which counts messages and records.
	DefaultBlobQuota = 2 << 30
	// DefaultBlobBytesPerSecond is each connection's blob transfer rate (up and
	// down together), which replaces the request rate for chunk frames.
	DefaultBlobBytesPerSecond = 512 << 20
	// DefaultBlobRetention is how long an unfinished upload may wait to be
	// resumed before the relay deletes it.
	DefaultBlobRetention = 24 * time.Hour
)

// blobBurst is the blob bucket's size: enough for a client's window of chunks.
const blobBurst = 64 * wire.BlobChunkSize

// BlobConfig configures a relay's blob store. Zero fields take the defaults.
type BlobConfig struct {
	// Store keeps the blobs; nil turns attachments off (blob requests are answered
	// with [wire.CodeBadRequest]).
	Store          BlobStore
	MaxSize        int64         // ciphertext bytes of one blob
	Quota          int64         // ciphertext bytes of all of one account's blobs
	BytesPerSecond float64       // blob bytes per second per connection
	Retention      time.Duration // for an unfinished upload
}

func (b BlobConfig) withDefaults() BlobConfig {
	if b.MaxSize <= 0 {
		b.MaxSize = DefaultMaxBlobSize
	}
	b.MaxSize = min(b.MaxSize, wire.MaxBlobSize)
	if b.Quota <= 0 {
		b.Quota = DefaultBlobQuota
	}
	if b.BytesPerSecond <= 0 {
		b.BytesPerSecond = DefaultBlobBytesPerSecond
	}
	if b.Retention <= 0 {
		b.Retention = DefaultBlobRetention
	}
	return b
}

// takeRate charges a request to the connection's rate limits: chunk frames by
// their bytes to the blob bucket, everything else one token of the request bucket.
func (c *conn) takeRate(f wire.Frame) (bool, time.Duration) {
	now := c.s.clock.Now()
	switch b := f.Body.(type) {
	case *wire.BlobPut:
		return c.blobBucket.takeN(now, float64(len(b.Data)))
	case *wire.BlobGet:
		return c.blobBucket.takeN(now, wire.BlobChunkSize)
	}
	return c.bucket.take(now)
}

// handleBlob answers a blob request, in the read loop: a chunk is written to (or
// read from) the blob store before the next frame of the connection is read.
func (c *conn) handleBlob(reqID uint64, body wire.Body) {
	bs := c.s.blobs.Store
	if bs == nil {
		c.reply(reqID, wire.Errorf(wire.CodeBadRequest, "this relay stores no attachments"))
		return
	}
	switch b := body.(type) {
	case *wire.BlobBegin:
		if int64(b.Size) > c.s.blobs.MaxSize {
			c.reply(reqID, wire.Errorf(wire.CodeTooLarge, "attachment of %d bytes exceeds this relay's limit of %d", b.Size, c.s.blobs.MaxSize))
			return
		}
		st, err := bs.Begin(c.ctx, store.BeginBlob{ID: b.FileID, Owner: c.account, Size: int64(b.Size), Now: c.s.clock.Now().UnixMilli(), Quota: c.s.blobs.Quota})
		if err != nil {
			c.replyErr(reqID, blobError(err))
			return
		}
		c.reply(reqID, &wire.BlobState{FileID: st.ID, Size: uint64(st.Size), Have: st.Have, Finished: st.Finished, MaxSize: uint64(c.s.blobs.MaxSize)})
	case *wire.BlobPut:
		if err := bs.Put(c.ctx, b.FileID, c.account, int(b.Index), b.Data); err != nil {
			c.replyErr(reqID, blobError(err))
			return
		}
		c.reply(reqID, &wire.OK{})
	case *wire.BlobFinish:
		if err := bs.Finish(c.ctx, b.FileID, c.account, b.ExpiresAt); err != nil {
			c.replyErr(reqID, blobError(err))
			return
		}
		c.reply(reqID, &wire.OK{})
	case *wire.BlobDelete:
		// Only the uploader's account deletes; a blob not held is deleted already
		// (docs/PROTOCOL.md, "Attachments").
		if err := bs.Delete(c.ctx, b.FileID, c.account); err != nil && !errors.Is(err, store.ErrNotFound) {
			c.replyErr(reqID, blobError(err))
			return
		}
		c.reply(reqID, &wire.OK{})
	case *wire.BlobGet:
		data, size, err := bs.Chunk(c.ctx, b.FileID, int(b.Index))
		if err != nil {
			c.replyErr(reqID, blobError(err))
			return
		}
		c.reply(reqID, &wire.BlobChunk{FileID: b.FileID, Index: b.Index, Size: uint64(size), Data: data})
	}
}

// blobError maps the blob store's errors to the codes of docs/PROTOCOL.md.
func blobError(err error) error {
	switch {
	case errors.Is(err, store.ErrBlobQuota):
		return wire.Errorf(wire.CodeQuotaExceeded, "attachment storage quota used up")
	case errors.Is(err, store.ErrBlobIncomplete):
		return wire.Errorf(wire.CodeConflict, "upload has missing chunks")
	case errors.Is(err, store.ErrBlobConflict):
		return wire.Errorf(wire.CodeConflict, "%v", err)
	case errors.Is(err, store.ErrBlobForbidden):
		return wire.Errorf(wire.CodeForbidden, "only the account that uploaded a file deletes it")
	}
	return err // ErrNotFound and failures: conn.wireError maps them
}

// startBlobSweeper deletes unfinished uploads older than the retention, and
// finished blobs whose expiry (set by their uploader at BlobFinish) has come, at
// most hourly (as the inbox sweep, retention.go) — or every half retention when
// that is shorter.
func startBlobSweeper(s *Server) {
	if s.blobs.Store == nil {
		return
	}
	ret := s.blobs.Retention
	s.every(min(maxSweepInterval, max(ret/2, time.Second)), func() { sweepBlobs(s, ret) })
}

func sweepBlobs(s *Server, ret time.Duration) {
	now := s.clock.Now()
	n, err := s.blobs.Store.ExpireUnfinished(s.baseCtx, now.Add(-ret).UnixMilli())
	if err != nil {
		s.log.Error("expire unfinished uploads", "err", err)
	} else if n > 0 {
		s.log.Log(context.Background(), slog.LevelInfo, "expired unfinished uploads", "uploads", n, "retention", ret.String())
	}
	n, err = s.blobs.Store.DeleteExpired(s.baseCtx, now.UnixMilli())
	if err != nil {
		s.log.Error("delete expired blobs", "err", err)
	} else if n > 0 {
		s.log.Log(context.Background(), slog.LevelInfo, "deleted expired blobs", "blobs", n)
	}
}

// OpenBlobStore opens the blob store that goes with st: the PostgreSQL database's
// own ([store.PGBlobs]), so every relay sharing it serves every blob, or else the
// directory dbPath+".blobs" beside the SQLite file ([store.DirBlobs]). The caller
// calls close when the relay has stopped.
func OpenBlobStore(st Store, dbPath string) (bs BlobStore, close func() error, err error) {
	if bs, ok := databaseBlobs(st); ok {
		return bs, func() error { return nil }, nil
	}
	d, err := store.OpenDirBlobs(dbPath + ".blobs")
	if err != nil {
		return nil, nil, err
	}
	return d, d.Close, nil
}

// blobFlags defines the flags of [BlobConfig] on fs, with their defaults; the
// function it returns reads them once fs is parsed (the store is set by run).
func blobFlags(fs *flag.FlagSet) func() BlobConfig {
	maxMB := fs.Int64("blob-max-mb", DefaultMaxBlobSize>>20, "largest attachment (ciphertext), in MiB")
	quotaMB := fs.Int64("blob-quota-mb", DefaultBlobQuota>>20, "attachments stored per account, in MiB (apart from quota-mb)")
	retention := fs.Duration("blob-retention", DefaultBlobRetention, "how long an unfinished attachment upload may wait to be resumed before it is deleted")
	return func() BlobConfig {
		return BlobConfig{MaxSize: *maxMB << 20, Quota: *quotaMB << 20, Retention: *retention}
	}
}
