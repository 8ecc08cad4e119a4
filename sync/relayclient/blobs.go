package relayclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"hush/ids"
	"hush/sync/wire"
)

// blobWindow is how many chunk requests a transfer keeps in flight: enough to
// hide the round trip on a fast link (32 × 64 KiB = 2 MiB on the way), few
// enough that a transfer never holds more than that in memory.
const blobWindow = 32

// Progress reports a transfer's bytes done out of its total (ciphertext).
type Progress func(done, total int64)

// BlobChunks returns the chunk count of a blob of size bytes of ciphertext.
func BlobChunks(size int64) int {
	if size <= 0 {
		return 1
	}
	return int((size + wire.BlobChunkSize - 1) / wire.BlobChunkSize)
}

func blobChunkLen(size int64, i int) int {
	return int(min(int64(wire.BlobChunkSize), size-int64(i)*wire.BlobChunkSize))
}

// UploadBlob uploads size bytes of ciphertext read from src as blob id, resuming
// an earlier attempt: it asks the relay which chunks it holds and sends only the
// others, blobWindow at a time, then finishes the blob. It returns
// [ErrConnectionLost] or [ErrOffline] when the connection goes; calling it again
// once connected carries on where the relay's durable state stands. Cancel with
// ctx. Memory stays at one chunk's buffer plus the frames in flight.
func (c *Client) UploadBlob(ctx context.Context, id ids.File, src io.ReaderAt, size int64, progress Progress) error {
	if size <= 0 {
		return fmt.Errorf("upload blob: empty blob")
	}
	resp, err := c.Do(ctx, &wire.BlobBegin{FileID: id, Size: uint64(size)})
	if err != nil {
		return fmt.Errorf("upload blob: begin: %w", err)
	}
	st, ok := resp.(*wire.BlobState)
	if !ok {
		return fmt.Errorf("upload blob: begin answered with %v", resp.Type())
	}
	if st.Finished {
		report(progress, size, size)
		return nil
	}
	n := BlobChunks(size)
	var done int64
	var todo []int
	for i := range n {
		if st.Has(i) {
			done += int64(blobChunkLen(size, i))
		} else {
			todo = append(todo, i)
		}
	}
	report(progress, done, size)
	buf := make([]byte, wire.BlobChunkSize)
	var window []*Call
	var indexes []int // the chunk of each call of window
	// wait collects the oldest call; a rate-limited chunk goes back in the queue.
	wait := func() error {
		call, i := window[0], indexes[0]
		window, indexes = window[1:], indexes[1:]
		_, err := call.Wait(ctx)
		var we *wire.Error
		if errors.As(err, &we) && we.Code == wire.CodeRateLimited {
			todo = append(todo, i)
			return sleepCtx(ctx, we.RetryAfter)
		}
		if err != nil {
			return fmt.Errorf("upload blob: chunk %d: %w", i, err)
		}
		done += int64(blobChunkLen(size, i))
		report(progress, done, size)
		return nil
	}
	for len(todo) > 0 || len(window) > 0 {
		if len(todo) == 0 || len(window) == blobWindow {
			if err := wait(); err != nil {
				drain(window)
				return err
			}
			continue
		}
		i := todo[0]
		todo = todo[1:]
		chunk := buf[:blobChunkLen(size, i)]
		if _, err := src.ReadAt(chunk, int64(i)*wire.BlobChunkSize); err != nil && !(errors.Is(err, io.EOF) && len(chunk) > 0) {
			drain(window)
			return fmt.Errorf("upload blob: read chunk %d: %w", i, err)
		}
		// Start encodes the frame before returning, so buf is free again.
		call, err := c.Start(ctx, &wire.BlobPut{FileID: id, Index: uint32(i), Data: chunk})
		if err != nil {
			drain(window)
			return fmt.Errorf("upload blob: chunk %d: %w", i, err)
		}
		window, indexes = append(window, call), append(indexes, i)
	}
	if _, err := c.Do(ctx, &wire.BlobFinish{FileID: id}); err != nil {
		return fmt.Errorf("upload blob: finish: %w", err)
	}
	return nil
}

// ExpireBlob asks the relay to delete blob id, uploaded and finished by this
// account, at expires (on the relay's clock; docs/PROTOCOL.md, "Attachments"):
// the auto-delete time of the message that carries it, so the file goes even
// when every device of the account is offline then. A relay older than the
// expiry answers [wire.CodeBadFrame]; the caller may carry on without it.
func (c *Client) ExpireBlob(ctx context.Context, id ids.File, expires time.Time) error {
	if _, err := c.Do(ctx, &wire.BlobFinish{FileID: id, ExpiresAt: max(1, expires.UnixMilli())}); err != nil {
		return fmt.Errorf("set blob expiry: %w", err)
	}
	return nil
}

// DeleteBlob deletes blob id, uploaded by this account, from the relay; its
// bytes leave the account's blob quota. A blob the relay does not hold (deleted
// already, expired, never finished) counts as deleted, so retrying is safe.
// Another account's blob fails with [wire.CodeForbidden].
func (c *Client) DeleteBlob(ctx context.Context, id ids.File) error {
	_, err := c.Do(ctx, &wire.BlobDelete{FileID: id})
	var we *wire.Error
	if errors.As(err, &we) && we.Code == wire.CodeNotFound {
		return nil // a relay that answers so for a blob it does not hold
	}
	if err != nil {
		return fmt.Errorf("delete blob: %w", err)
	}
	return nil
}

// DownloadBlob fetches chunks from, from+1, … of blob id, whose size (ciphertext)
// the caller knows from the message, and hands each to sink in order, blobWindow
// requests at a time. Resuming a download is starting from the first chunk not yet
// stored. A relay whose answer does not fit the blob fails the download.
func (c *Client) DownloadBlob(ctx context.Context, id ids.File, size int64, from int, sink func(i int, data []byte) error, progress Progress) error {
	n := BlobChunks(size)
	if from < 0 || from > n {
		return fmt.Errorf("download blob: chunk %d of %d", from, n)
	}
	done := min(int64(from)*wire.BlobChunkSize, size)
	report(progress, done, size)
	var window []*Call
	next := from
	for next < n || len(window) > 0 {
		if next < n && len(window) < blobWindow {
			call, err := c.Start(ctx, &wire.BlobGet{FileID: id, Index: uint32(next)})
			if err != nil {
				drain(window)
				return fmt.Errorf("download blob: chunk %d: %w", next, err)
			}
			window = append(window, call)
			next++
			continue
		}
		i := next - len(window)
		resp, err := window[0].Wait(ctx)
		window = window[1:]
		var we *wire.Error
		if errors.As(err, &we) && we.Code == wire.CodeRateLimited {
			// Start again from this chunk once allowed.
			drain(window)
			window, next = nil, i
			if err := sleepCtx(ctx, we.RetryAfter); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			drain(window)
			return fmt.Errorf("download blob: chunk %d: %w", i, err)
		}
		ch, ok := resp.(*wire.BlobChunk)
		if !ok || ch.FileID != id || int(ch.Index) != i || int64(ch.Size) != size || len(ch.Data) != blobChunkLen(size, i) {
			drain(window)
			return fmt.Errorf("download blob: chunk %d: the relay's answer does not fit the blob", i)
		}
		if err := sink(i, ch.Data); err != nil {
			drain(window)
			return fmt.Errorf("download blob: chunk %d: %w", i, err)
		}
		done += int64(len(ch.Data))
		report(progress, done, size)
	}
	return nil
}

func report(p Progress, done, total int64) {
	if p != nil {
		p(done, total)
	}
}

// drain waits for calls abandoned by a failed transfer, so their slots free up.
func drain(calls []*Call) {
	ctx, cancel := context.WithTimeout(context.Background(), 0)
	defer cancel()
	for _, c := range calls {
		c.Wait(ctx)
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(max(d, time.Millisecond))
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
