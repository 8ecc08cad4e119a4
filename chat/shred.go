package chat

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"time"

	"hush/attachment"
	"hush/ids"
	"hush/policy"
	"hush/vault"
)

// Files of deleted messages (docs/SECURITY.md, "Attachments" and "Secret chats"). A
// message deleted from the vault takes its attachments' rows and keys with it
// (vault.Tx.DeleteMessage), which leaves its files unreadable at once; the paths
// that wipe messages here — a secret message's self-destruct, a secret chat closed
// or replaced, an auto-delete, a deletion for oneself — also delete the files from
// the attachments folder right after the commit, cancelling a download of them
// first, rather than leaving them to the start-up sweep.

// doomedFiles gathers, inside a transaction that deletes messages, the files of
// those messages, to shred once it commits.
type doomedFiles struct {
	// all are every file of the messages deleted.
	all []ids.File
	// ownSecret are the files of those that this device sent in a secret chat:
	// blobs it uploaded, which only it may delete from the relay.
	ownSecret []ids.File
}

// add notes the files of m, about to be deleted: secret says m is in a secret
// chat, me is this account (in a secret chat, a message of this account is this
// device's). The relay's copies of this device's secret uploads are queued for
// deletion in tx itself (blobdelete.go), so a crash after the wipe's commit
// cannot leave them unnamed.
func (d *doomedFiles) add(tx *vault.Tx, m vault.Message, secret bool, me ids.Account) error {
	if metaOf(m).Files == 0 {
		return nil
	}
	as, err := tx.AttachmentsOf(m.ID)
	if err != nil {
		return err
	}
	var own []ids.File
	for _, a := range as {
		d.all = append(d.all, a.ID)
		if secret && m.SenderAccount == me {
			own = append(own, a.ID)
		}
	}
	d.ownSecret = append(d.ownSecret, own...)
	return queueBlobJobs(tx, own, 0)
}

// addChat notes the files of every message of a chat about to be deleted.
func (d *doomedFiles) addChat(tx *vault.Tx, chat ids.Chat, secret bool, me ids.Account) error {
	var cur vault.PageCursor
	for {
		page, next, err := tx.Messages(chat, cur, vault.MaxPageSize)
		if err != nil {
			return err
		}
		for _, m := range page {
			if err := d.add(tx, m, secret, me); err != nil {
				return err
			}
		}
		if len(page) < vault.MaxPageSize {
			return nil
		}
		cur = next
	}
}

// addMessage notes the files of m, reading whether its chat is secret.
func (d *doomedFiles) addMessage(tx *vault.Tx, m vault.Message, me ids.Account) error {
	c, err := tx.Chat(m.ChatID)
	return d.add(tx, m, err == nil && c.Kind == policy.KindSecret, me)
}

// merge adds what o gathered.
func (d *doomedFiles) merge(o doomedFiles) {
	d.all = append(d.all, o.all...)
	d.ownSecret = append(d.ownSecret, o.ownSecret...)
}

// shredWait bounds how long a shred waits for a cancelled download to stop before
// it deletes the files anyway.
const shredWait = 10 * time.Second

// shredder deletes the files of deleted messages from the attachments folder and
// knows the downloads under way, to cancel those.
type shredder struct {
	dir string // the attachments folder; "" when the engine keeps no files
	log *slog.Logger
	// forget is handed this device's uploads of wiped secret messages, after the
	// commit (Engine.forgetSecretBlobs; tests replace it).
	forget func(ctx context.Context, files []ids.File)

	mu        sync.Mutex
	downloads map[ids.File][]*download
}

// download is one running download of a file.
type download struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// begin registers a download of file: before the download reads the file's row,
// so that a wipe committed after that read finds it here and cancels it. end
// must be called when the download returns.
func (s *shredder) begin(ctx context.Context, file ids.File) (context.Context, func()) {
	ctx, cancel := context.WithCancel(ctx)
	d := &download{cancel: cancel, done: make(chan struct{})}
	s.mu.Lock()
	if s.downloads == nil {
		s.downloads = map[ids.File][]*download{}
	}
	s.downloads[file] = append(s.downloads[file], d)
	s.mu.Unlock()
	return ctx, func() {
		s.mu.Lock()
		s.downloads[file] = slices.DeleteFunc(s.downloads[file], func(x *download) bool { return x == d })
		if len(s.downloads[file]) == 0 {
			delete(s.downloads, file)
		}
		s.mu.Unlock()
		cancel()
		close(d.done)
	}
}

// shred deletes the files of messages whose deletion committed: a download of one
// is cancelled and waited for, then the file and its partial download are
// removed; this device's uploads of secret messages go to forget.
func (s *shredder) shred(ctx context.Context, d doomedFiles) {
	if len(d.all) == 0 {
		return
	}
	var running []*download
	s.mu.Lock()
	for _, f := range d.all {
		running = append(running, s.downloads[f]...)
	}
	s.mu.Unlock()
	for _, dl := range running {
		dl.cancel()
	}
	wait := time.NewTimer(shredWait)
	defer wait.Stop()
	for _, dl := range running {
		select {
		case <-dl.done:
		case <-wait.C:
			s.log.Warn("a cancelled download of a deleted file did not stop")
		}
	}
	if s.dir != "" {
		for _, f := range d.all {
			if err := attachment.Remove(s.dir, f); err != nil {
				// The start-up sweep deletes it later; its key is gone already.
				s.log.Warn("delete the file of a deleted message", "err", err)
			}
		}
	}
	if len(d.ownSecret) > 0 && s.forget != nil {
		s.forget(ctx, d.ownSecret)
	}
}

// forgetSecretBlobs wakes the blob deleter for this device's uploads of wiped
// secret messages (self-destruct, close, a chat replaced), whose deletion at the
// relay doomedFiles.add queued in the wipe's own transaction: the blobs are this
// account's, so it alone may delete them (blobdelete.go).
func (e *Engine) forgetSecretBlobs(context.Context, []ids.File) { e.blobs.kick() }
