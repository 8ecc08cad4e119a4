//go:build !hush_omit_postgres

package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"hush/ids"
)

// PGBlobs keeps blobs in the relay's PostgreSQL database (pgmigrations/0003), so
// every relay sharing it serves every blob: a chunk is one row, committed (with
// synchronous_commit on) before the upload request is answered.
type PGBlobs struct {
	p *Postgres
}

// Blobs returns the blob store in p's database.
func (p *Postgres) Blobs() *PGBlobs { return &PGBlobs{p: p} }

// blobLockSpace keeps the advisory locks taken per owner apart from the
// migration lock.
const blobLockSpace = 0x68757368 // "hush"

// Begin starts an upload, or resumes it: it returns the blob's state with the
// chunks already held. The owner's quota is checked under a transaction-scoped
// advisory lock per owner, so two relays cannot both let an account past it.
func (b *PGBlobs) Begin(ctx context.Context, r BeginBlob) (BlobState, error) {
	var st BlobState
	err := pgx.BeginFunc(ctx, b.p.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1, hashtext(encode($2, 'hex')))", blobLockSpace, r.Owner[:]); err != nil {
			return fmt.Errorf("lock blob owner: %w", err)
		}
		var err error
		st, err = pgBlobState(ctx, tx, r.ID)
		switch {
		case err == nil:
			if st.Owner != r.Owner || st.Size != r.Size {
				return fmt.Errorf("%w: blob %v exists with another owner or size", ErrBlobConflict, r.ID)
			}
			return nil
		case !errors.Is(err, ErrNotFound):
			return err
		}
		var used int64
		if err := tx.QueryRow(ctx, "SELECT coalesce(sum(size), 0) FROM blobs WHERE owner = $1", r.Owner[:]).Scan(&used); err != nil {
			return fmt.Errorf("blob usage: %w", err)
		}
		if used+r.Size > r.Quota {
			return fmt.Errorf("%w: %d of %d bytes used, %d more asked", ErrBlobQuota, used, r.Quota, r.Size)
		}
		if _, err := tx.Exec(ctx, "INSERT INTO blobs (id, owner, size, created_at) VALUES ($1, $2, $3, $4)", r.ID[:], r.Owner[:], r.Size, r.Now); err != nil {
			return fmt.Errorf("insert blob: %w", err)
		}
		st = BlobState{ID: r.ID, Owner: r.Owner, Size: r.Size, Created: r.Now, Have: make([]byte, (BlobChunks(r.Size)+7)/8)}
		return nil
	})
	return st, err
}

// pgBlobState reads a blob's row and the chunks it holds.
func pgBlobState(ctx context.Context, q pgQuerier, id ids.File) (BlobState, error) {
	st := BlobState{ID: id}
	var owner []byte
	var expires *int64
	err := q.QueryRow(ctx, "SELECT owner, size, created_at, finished, expires_at FROM blobs WHERE id = $1", id[:]).Scan(&owner, &st.Size, &st.Created, &st.Finished, &expires)
	if err != nil {
		if noRows(err) {
			return BlobState{}, fmt.Errorf("%w: blob %v", ErrNotFound, id)
		}
		return BlobState{}, fmt.Errorf("read blob: %w", err)
	}
	if len(owner) != len(st.Owner) {
		return BlobState{}, fmt.Errorf("read blob: bad owner")
	}
	copy(st.Owner[:], owner)
	if expires != nil {
		st.Expires = *expires
	}
	n := BlobChunks(st.Size)
	st.Have = make([]byte, (n+7)/8)
	if st.Finished {
		for i := range n {
			st.Have[i/8] |= 1 << (i % 8)
		}
		return st, nil
	}
	rows, err := q.Query(ctx, "SELECT idx FROM blob_chunks WHERE blob_id = $1", id[:])
	if err != nil {
		return BlobState{}, fmt.Errorf("read blob chunks: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var i int
		if err := rows.Scan(&i); err != nil {
			return BlobState{}, fmt.Errorf("read blob chunks: %w", err)
		}
		if i >= 0 && i < n {
			st.Have[i/8] |= 1 << (i % 8)
		}
	}
	if err := rows.Err(); err != nil {
		return BlobState{}, fmt.Errorf("read blob chunks: %w", err)
	}
	return st, nil
}

// Put stores chunk index of an upload of owner's. Storing a chunk again is
// harmless; a chunk of a finished blob is accepted and ignored.
func (b *PGBlobs) Put(ctx context.Context, id ids.File, owner ids.Account, index int, data []byte) error {
	var ownerB []byte
	var size int64
	err := b.p.pool.QueryRow(ctx, "SELECT owner, size FROM blobs WHERE id = $1", id[:]).Scan(&ownerB, &size)
	if err != nil {
		if noRows(err) {
			return fmt.Errorf("%w: blob %v", ErrNotFound, id)
		}
		return fmt.Errorf("read blob: %w", err)
	}
	st := BlobState{ID: id, Size: size}
	copy(st.Owner[:], ownerB)
	if err := checkChunk(st, owner, index, len(data)); err != nil {
		return err
	}
	if _, err := b.p.pool.Exec(ctx, "INSERT INTO blob_chunks (blob_id, idx, data) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING", id[:], index, data); err != nil {
		return fmt.Errorf("write blob chunk: %w", err)
	}
	return nil
}

// Finish completes an upload once every chunk is there; finishing again is
// harmless. An expires (Unix milliseconds) other than 0 sets when the blob is
// deleted ([PGBlobs.DeleteExpired]), on a finished blob too.
func (b *PGBlobs) Finish(ctx context.Context, id ids.File, owner ids.Account, expires int64) error {
	return pgx.BeginFunc(ctx, b.p.pool, func(tx pgx.Tx) error {
		st, err := pgBlobState(ctx, tx, id)
		if err != nil {
			return err
		}
		if st.Owner != owner {
			return fmt.Errorf("%w: blob %v", ErrNotFound, id)
		}
		if st.Finished && (expires == 0 || expires == st.Expires) {
			return nil
		}
		if !hasAll(st.Have, BlobChunks(st.Size)) {
			return fmt.Errorf("%w: blob %v", ErrBlobIncomplete, id)
		}
		if _, err := tx.Exec(ctx, "UPDATE blobs SET finished = true, expires_at = coalesce(nullif($2::bigint, 0), expires_at) WHERE id = $1", id[:], expires); err != nil {
			return fmt.Errorf("finish blob: %w", err)
		}
		return nil
	})
}

// Chunk returns chunk index of a finished blob and the blob's size.
func (b *PGBlobs) Chunk(ctx context.Context, id ids.File, index int) ([]byte, int64, error) {
	var size int64
	var data []byte
	err := b.p.pool.QueryRow(ctx, `SELECT b.size, c.data FROM blobs b LEFT JOIN blob_chunks c ON c.blob_id = b.id AND c.idx = $2
		WHERE b.id = $1 AND b.finished`, id[:], index).Scan(&size, &data)
	if err != nil {
		if noRows(err) {
			return nil, 0, fmt.Errorf("%w: blob %v", ErrNotFound, id)
		}
		return nil, 0, fmt.Errorf("read blob chunk: %w", err)
	}
	if data == nil {
		return nil, 0, fmt.Errorf("%w: chunk %d of a %d-chunk blob", ErrBlobConflict, index, BlobChunks(size))
	}
	return data, size, nil
}

// Used returns the bytes of owner's blobs, finished or not.
func (b *PGBlobs) Used(ctx context.Context, owner ids.Account) (int64, error) {
	var used int64
	if err := b.p.pool.QueryRow(ctx, "SELECT coalesce(sum(size), 0) FROM blobs WHERE owner = $1", owner[:]).Scan(&used); err != nil {
		return 0, fmt.Errorf("blob usage: %w", err)
	}
	return used, nil
}

// ExpireUnfinished deletes uploads begun before the time before (Unix
// milliseconds) and never finished, and returns how many.
func (b *PGBlobs) ExpireUnfinished(ctx context.Context, before int64) (int, error) {
	tag, err := b.p.pool.Exec(ctx, "DELETE FROM blobs WHERE NOT finished AND created_at < $1", before)
	if err != nil {
		return 0, fmt.Errorf("expire blobs: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// DeleteExpired deletes the blobs whose expiry (set at [PGBlobs.Finish]) is at
// or before now (Unix milliseconds), and returns how many.
func (b *PGBlobs) DeleteExpired(ctx context.Context, now int64) (int, error) {
	tag, err := b.p.pool.Exec(ctx, "DELETE FROM blobs WHERE expires_at <= $1", now)
	if err != nil {
		return 0, fmt.Errorf("delete expired blobs: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// Delete deletes one blob of owner's, finished or not, with its chunks (ON
// DELETE CASCADE): ErrNotFound if there is none, ErrBlobForbidden if another
// account uploaded it. Its bytes leave owner's quota with the row.
func (b *PGBlobs) Delete(ctx context.Context, id ids.File, owner ids.Account) error {
	tag, err := b.p.pool.Exec(ctx, "DELETE FROM blobs WHERE id = $1 AND owner = $2", id[:], owner[:])
	if err != nil {
		return fmt.Errorf("delete blob: %w", err)
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	var exists bool
	if err := b.p.pool.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM blobs WHERE id = $1)", id[:]).Scan(&exists); err != nil {
		return fmt.Errorf("delete blob: %w", err)
	}
	if exists {
		return fmt.Errorf("%w: blob %v", ErrBlobForbidden, id)
	}
	return fmt.Errorf("%w: blob %v", ErrNotFound, id)
}

// DeleteOwner deletes every blob of owner's (its account is being deleted) and
// returns how many and their bytes.
func (b *PGBlobs) DeleteOwner(ctx context.Context, owner ids.Account) (int, int64, error) {
	var n int
	var bytes int64
	err := b.p.pool.QueryRow(ctx, "WITH d AS (DELETE FROM blobs WHERE owner = $1 RETURNING size) SELECT count(*), coalesce(sum(size), 0) FROM d", owner[:]).Scan(&n, &bytes)
	if err != nil {
		return 0, 0, fmt.Errorf("delete blobs of account: %w", err)
	}
	return n, bytes, nil
}
