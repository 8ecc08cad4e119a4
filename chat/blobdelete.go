package chat

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"time"

	"hush/clock"
	"hush/ids"
	"hush/sync/relayclient"
	"hush/sync/wire"
	"hush/vault"
)

// Deleting this account's files from the relay (docs/PROTOCOL.md, "Attachments").
// A file this account uploaded goes from the relay's blob store when its message
// is deleted for everyone, when the message's auto-delete time passes, and when a
// prepared file is discarded unsent; in a chat with auto-delete on, the relay is
// also told the message's expiry when it is sent, so it deletes the file then even
// if no device of the account is online. Only the uploader's account may delete a
// blob (the relay refuses any other), so only its devices ask: every one of them
// that deletes the message asks, and the relay answers a second request with OK.
//
// The requests are queued durably, in one sealed vault setting written in the
// transaction that deletes the message, and sent by one goroutine whenever it is
// woken (a deletion, a reconnection): a device offline at the time asks once it
// is back, and a failure is retried with a growing wait.

// blobJobsSetting names the vault setting holding the queued blob requests.
const blobJobsSetting = "blobs/jobs"

// maxBlobJobs caps the queued requests (about 30 bytes each): beyond it the
// oldest are dropped, the relay's own expiry or the account's deletion taking
// care of those blobs.
const maxBlobJobs = 8192

// Waits between rounds of a queue that keeps failing.
const (
	blobRetryFirst = 2 * time.Second
	blobRetryMax   = 10 * time.Minute
)

// blobJob is one queued request: delete file File (Expires 0), or tell the relay
// to delete it at Expires (Unix milliseconds).
type blobJob struct {
	_       struct{} `cbor:",toarray"`
	File    []byte
	Expires int64
}

// blobDeleter sends the queued blob requests to the relay.
type blobDeleter struct {
	v    *vault.Vault
	link *link
	clk  clock.Clock
	log  *slog.Logger
	wake chan struct{} // one token: the queue may hold requests
}

// kick wakes the deleter: call it after the transaction that queued requests
// committed, or after a reconnection.
func (d *blobDeleter) kick() { kick(d.wake) }

// deleteBlobs deletes files this account uploaded from the relay: it queues the
// requests durably at once and sends them when the relay is reachable, retrying
// until the relay confirms. Call it only with this account's own uploads (a
// message of this account, a file prepared here); another account's file would
// be refused by the relay and dropped.
func (e *Engine) deleteBlobs(ctx context.Context, files []ids.File) error {
	if len(files) == 0 {
		return nil
	}
	err := e.dir.v.Update(ctx, func(tx *vault.Tx) error { return queueBlobJobs(tx, files, 0) })
	if err != nil {
		return err
	}
	e.blobs.kick()
	return nil
}

// queueBlobJobs queues, in tx, a request for each of files: a deletion (expires
// 0) or an expiry at expires (Unix milliseconds). A deletion replaces a request
// queued for the same file; an expiry does not replace a deletion.
func queueBlobJobs(tx *vault.Tx, files []ids.File, expires int64) error {
	if len(files) == 0 {
		return nil
	}
	jobs, err := settingList[blobJob](tx, blobJobsSetting)
	if err != nil {
		return err
	}
	for _, f := range files {
		i := slices.IndexFunc(jobs, func(j blobJob) bool { return len(j.File) == ids.Size && ids.File(j.File) == f })
		switch {
		case i < 0:
			jobs = append(jobs, blobJob{File: f[:], Expires: expires})
		case expires == 0 || jobs[i].Expires != 0:
			jobs[i].Expires = expires
		}
	}
	if len(jobs) > maxBlobJobs {
		jobs = jobs[len(jobs)-maxBlobJobs:]
	}
	return putSettingList(tx, blobJobsSetting, jobs)
}

// queueOwnFiles queues the deletion of m's files, in tx, before m or its files
// are deleted, if this account (me) sent m: only the uploader deletes a blob. It
// reports whether it queued any, for the caller to kick the deleter after the
// commit.
func queueOwnFiles(tx *vault.Tx, m vault.Message, me ids.Account) (bool, error) {
	if m.SenderAccount != me {
		return false, nil
	}
	atts, err := tx.AttachmentsOf(m.ID)
	if err != nil || len(atts) == 0 {
		return false, err
	}
	files := make([]ids.File, 0, len(atts))
	for _, a := range atts {
		files = append(files, a.ID)
	}
	return true, queueBlobJobs(tx, files, 0)
}

// run sends the queue whenever woken, until ctx ends: once at start, then after
// each kick; a round that fails is retried after a wait that doubles up to
// blobRetryMax, or at the next reconnection when offline.
func (d *blobDeleter) run(ctx context.Context) {
	wait := blobRetryFirst
	kick(d.wake)
	for {
		select {
		case <-d.wake:
		case <-ctx.Done():
			return
		}
		for {
			err := d.flush(ctx)
			if err == nil || errors.Is(err, ErrOffline) || ctx.Err() != nil {
				wait = blobRetryFirst
				break
			}
			d.log.Info("blob requests stopped", "err", err, "retry_in", wait)
			if !sleep(ctx, d.clk, wait, d.wake) {
				return
			}
			wait = min(2*wait, blobRetryMax)
		}
	}
}

// flush sends every queued request and takes those done off the queue: the
// relay's OK, and the refusals a retry cannot change (another account's blob, a
// relay without a blob store or too old for expiries).
func (d *blobDeleter) flush(ctx context.Context) error {
	var jobs []blobJob
	err := d.v.View(ctx, func(tx *vault.Tx) (err error) {
		jobs, err = settingList[blobJob](tx, blobJobsSetting)
		return err
	})
	if err != nil || len(jobs) == 0 {
		return err
	}
	rc := d.link.client()
	if rc == nil {
		return ErrOffline
	}
	var done []blobJob
	var failed error
	for _, j := range jobs {
		if len(j.File) != ids.Size {
			done = append(done, j)
			continue
		}
		if err := d.send(ctx, rc, j); err != nil {
			failed = err
			break
		}
		done = append(done, j)
	}
	if len(done) > 0 {
		err := d.v.Update(ctx, func(tx *vault.Tx) error {
			now, err := settingList[blobJob](tx, blobJobsSetting)
			if err != nil {
				return err
			}
			// Jobs queued or changed meanwhile stay.
			now = slices.DeleteFunc(now, func(j blobJob) bool {
				return slices.ContainsFunc(done, func(x blobJob) bool { return string(x.File) == string(j.File) && x.Expires == j.Expires })
			})
			if len(now) == 0 {
				if err := tx.DeleteSetting(blobJobsSetting); err != nil && !errors.Is(err, vault.ErrNotFound) {
					return err
				}
				return nil
			}
			return putSettingList(tx, blobJobsSetting, now)
		})
		if err != nil {
			return err
		}
	}
	return failed
}

// send makes one request; nil when it is done with, sent or not.
func (d *blobDeleter) send(ctx context.Context, rc *relayclient.Client, j blobJob) error {
	id := ids.File(j.File)
	var err error
	if j.Expires != 0 {
		err = rc.ExpireBlob(ctx, id, time.UnixMilli(j.Expires))
	} else {
		err = rc.DeleteBlob(ctx, id)
	}
	var we *wire.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &we) && (we.Code == wire.CodeForbidden || we.Code == wire.CodeBadRequest || we.Code == wire.CodeBadFrame):
		d.log.Warn("blob request refused for good", "file", id.String(), "expiry", j.Expires != 0, "err", err)
		return nil
	case errors.As(err, &we) && we.Code == wire.CodeNotFound:
		return nil // an expiry for a blob gone already
	}
	return relayError(err)
}
