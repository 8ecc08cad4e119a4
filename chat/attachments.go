package chat

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"hush/attachment"
	"hush/chatcrypto"
	"hush/ids"
	"hush/vault"
)

// Attachments (docs/SECURITY.md, "Attachments"): a file is encrypted from disk into the
// attachments folder under its own key, uploaded to the relay's blob store, and
// only then sent as a text message whose content carries the key, the blob id
// and the thumbnail. A receiver stores that description in the vault (the key
// sealed there) and downloads the file when asked, into the same folder, still
// encrypted; it is decrypted as it is read.

// MaxAttachmentSize is the largest file sent: the relay's default blob limit
// (relay.DefaultMaxBlobSize) less the encryption overhead, so a default relay
// never refuses a file this side accepted.
const MaxAttachmentSize = 100<<20 - 100<<20/(64<<10)*16 - 16

// MaxFilesPerMessage caps the files of one message, in cloud and secret chats.
const MaxFilesPerMessage = chatcrypto.MaxAttachments

// maxThumbnailsBytes caps the thumbnails of one message together, so that the
// message fits the relay's ciphertext limit with its text.
const maxThumbnailsBytes = 40 << 10

// ErrNoAttachmentsFolder: the engine was configured without a folder for
// attachment files ([Config.AttachmentsDir]).
var ErrNoAttachmentsFolder = errors.New("chat: no attachments folder")

// FileProgress reports one file's transfer: Done of Total bytes (ciphertext).
type FileProgress struct {
	Index int // position of the file among those sent
	Name  string
	Done  int64
	Total int64
}

// Attachment is a file of a message, as the UI lists it.
type Attachment struct {
	ID         ids.File
	Message    ids.Message
	Name       string
	MIME       string
	Size       int64
	Thumbnail  []byte // JPEG, nil if none
	Downloaded bool   // the file is in the attachments folder
}

// PreparedFile is a file encrypted into the attachments folder and ready to
// send with [Engine.SendPrepared]: chosen in a dialog, uploaded by a browser or
// pasted, before the user pressed Send. Its key lives only in this value, so a
// file prepared and never sent is unreadable once the value is gone, and the
// start-up sweep deletes it ([Config.PreparedSince]).
type PreparedFile struct{ p attachment.Prepared }

// ID is the file's id, the same after it is sent.
func (f PreparedFile) ID() ids.File { return f.p.ID }

// Name is the file's name as the message will carry it.
func (f PreparedFile) Name() string { return f.p.Name }

// MIME is the file's type, from its name's extension.
func (f PreparedFile) MIME() string { return f.p.MIME }

// Size is the file's size in bytes (plaintext).
func (f PreparedFile) Size() int64 { return f.p.Size }

// Thumbnail is the JPEG preview of an image, nil otherwise.
func (f PreparedFile) Thumbnail() []byte { return f.p.Thumbnail }

// PrepareFile encrypts the file at path into the attachments folder, to be sent.
// A file larger than [MaxAttachmentSize] is ErrTooLong.
func (e *Engine) PrepareFile(path string) (PreparedFile, error) {
	if e.attachDir == "" {
		return PreparedFile{}, ErrNoAttachmentsFolder
	}
	p, err := attachment.Prepare(path, e.attachDir, MaxAttachmentSize)
	if errors.Is(err, attachment.ErrNotFile) {
		return PreparedFile{}, detailf(ErrInvalid, "only files can be sent, not folders")
	}
	return PreparedFile{p}, relayError(err)
}

// PrepareStream is [Engine.PrepareFile] of what r holds, a file named name: it
// is encrypted as it is read, so the plaintext never touches the disk. More than
// [MaxAttachmentSize] bytes is ErrTooLong.
func (e *Engine) PrepareStream(r io.Reader, name string) (PreparedFile, error) {
	if e.attachDir == "" {
		return PreparedFile{}, ErrNoAttachmentsFolder
	}
	p, err := attachment.PrepareStream(r, name, e.attachDir, MaxAttachmentSize)
	return PreparedFile{p}, relayError(err)
}

// DiscardPrepared deletes prepared files that will not be sent, here and from
// the relay if they were uploaded (an upload that finished, then a send that
// failed; the request costs the relay nothing for a file never uploaded).
func (e *Engine) DiscardPrepared(files ...PreparedFile) {
	gone := make([]ids.File, 0, len(files))
	for _, f := range files {
		if err := attachment.Remove(e.attachDir, f.p.ID); err != nil {
			e.log.Warn("delete a prepared file", "err", err)
		}
		gone = append(gone, f.p.ID)
	}
	if err := e.deleteBlobs(e.ctx, gone); err != nil && e.ctx.Err() == nil {
		e.log.Warn("queue the deletion of discarded files from the relay", "err", err)
	}
}

// SendFiles sends the files at paths to chat id, with body as their caption
// ("" for none): [Engine.PrepareFile] then [Engine.SendPrepared]. Whatever was
// prepared is deleted again when it fails.
func (e *Engine) SendFiles(ctx context.Context, id ids.Chat, paths []string, body string, progress func(FileProgress)) (Message, error) {
	if err := e.CheckFiles(ctx, id, len(paths)); err != nil {
		return Message{}, err
	}
	files := make([]PreparedFile, 0, len(paths))
	for _, p := range paths {
		f, err := e.PrepareFile(p)
		if err != nil {
			e.DiscardPrepared(files...)
			return Message{}, err
		}
		files = append(files, f)
	}
	m, err := e.SendPrepared(ctx, id, files, body, progress)
	if err != nil {
		e.DiscardPrepared(files...)
	}
	return m, err
}

// CheckFiles refuses a message of n files to chat id that could never be sent,
// before anything is uploaded: no attachments folder, no files or too many.
func (e *Engine) CheckFiles(ctx context.Context, id ids.Chat, n int) error {
	switch {
	case e.attachDir == "":
		return ErrNoAttachmentsFolder
	case n == 0:
		return detailf(ErrInvalid, "no files to send")
	case n > MaxFilesPerMessage:
		return detailf(ErrInvalid, "at most %d files in one message", MaxFilesPerMessage)
	}
	return nil
}

// SendPrepared sends prepared files to chat id in one message, with body as
// their caption ("" for none): each file is uploaded (progress reports each),
// then the message carries them all, and the files are the message's. Cancelling
// ctx stops the upload and the message is not sent; the files stay prepared, and
// calling again resumes the upload where it stopped (the relay forgets an
// unfinished upload after a day). In a secret chat the keys travel inside the
// ratchet (docs/SECURITY.md, "Secret chats"), and the files self-destruct with
// their message.
func (e *Engine) SendPrepared(ctx context.Context, id ids.Chat, prepared []PreparedFile, body string, progress func(FileProgress)) (Message, error) {
	if err := e.CheckFiles(ctx, id, len(prepared)); err != nil {
		return Message{}, err
	}
	files := make([]vault.Attachment, 0, len(prepared))
	thumbs := 0
	for _, f := range prepared {
		a := vault.Attachment{ID: f.p.ID, FileKey: f.p.Key, Name: f.p.Name, MIME: f.p.MIME, Size: f.p.Size, Thumbnail: f.p.Thumbnail}
		if thumbs+len(a.Thumbnail) > maxThumbnailsBytes {
			a.Thumbnail = nil
		}
		thumbs += len(a.Thumbnail)
		files = append(files, a)
	}
	rc := e.link.client()
	if rc == nil {
		return Message{}, ErrOffline
	}
	for i, f := range prepared {
		err := attachment.Upload(ctx, rc, e.attachDir, f.p, func(done, total int64) {
			if progress != nil {
				progress(FileProgress{Index: i, Name: f.p.Name, Done: done, Total: total})
			}
		})
		if err != nil {
			return Message{}, relayError(err)
		}
	}
	var m Message
	var err error
	if e.isSecret(ctx, id) {
		m, err = e.secrets.send(ctx, id, body, nil, files)
	} else {
		m, err = e.send.sendWith(ctx, id, body, nil, "", files, nil)
	}
	if err == nil && body != "" {
		e.clearDraft(ctx, id, m.SentAt)
	}
	return m, err
}

// Attachments returns the files of a message.
func (e *Engine) Attachments(ctx context.Context, msg ids.Message) ([]Attachment, error) {
	var out []Attachment
	err := e.dir.v.View(ctx, func(tx *vault.Tx) error {
		as, err := tx.AttachmentsOf(msg)
		if err != nil {
			return err
		}
		out = attachmentsView(as, e.attachDir)
		return nil
	})
	return out, err
}

// fileIDs returns the ids of files.
func fileIDs(files []vault.Attachment) []ids.File {
	out := make([]ids.File, 0, len(files))
	for _, f := range files {
		out = append(out, f.ID)
	}
	return out
}

// fileNames is what the chat list shows for a message of files alone: their
// names (with Placeholder AttachmentOnly, which the UI marks as files).
func fileNames(files []Attachment) string {
	names := make([]string, 0, len(files))
	for _, f := range files {
		names = append(names, f.Name)
	}
	return strings.Join(names, ", ")
}

// attachmentsView describes stored attachments, each downloaded or not into dir.
func attachmentsView(as []vault.Attachment, dir string) []Attachment {
	out := make([]Attachment, 0, len(as))
	for _, a := range as {
		out = append(out, Attachment{ID: a.ID, Message: a.MessageID, Name: a.Name, MIME: a.MIME, Size: a.Size, Thumbnail: a.Thumbnail,
			Downloaded: dir != "" && attachment.Have(dir, a.ID)})
	}
	return out
}

func (e *Engine) attachmentRow(ctx context.Context, id ids.File) (vault.Attachment, error) {
	var a vault.Attachment
	err := e.dir.v.View(ctx, func(tx *vault.Tx) error {
		var err error
		a, err = tx.Attachment(id)
		return err
	})
	if errors.Is(err, vault.ErrNotFound) {
		return a, detailf(ErrNotFound, "no such attachment")
	}
	return a, err
}

// DownloadFile fetches an attachment into the attachments folder, resuming a
// download cut short; it verifies every chunk against the file's key. Cancel
// with ctx. A file already there returns at once. The message's deletion (a
// secret message's self-destruct) cancels the download and deletes what it
// wrote: the error is then context.Canceled.
func (e *Engine) DownloadFile(ctx context.Context, id ids.File, progress func(done, total int64)) error {
	if e.attachDir == "" {
		return ErrNoAttachmentsFolder
	}
	ctx, end := e.shred.begin(ctx, id)
	defer end()
	a, err := e.attachmentRow(ctx, id)
	if err != nil {
		return err
	}
	rc := e.link.client()
	if rc == nil {
		return ErrOffline
	}
	err = relayError(attachment.Download(ctx, rc, e.attachDir, id, a.FileKey, a.Size, progress))
	if errors.Is(err, ErrNotFound) {
		// Its sender deleted it, its auto-delete time passed, or the relay lost it.
		return fmt.Errorf("%w: %w", ErrFileDeleted, err)
	}
	return err
}

// OpenFile returns a downloaded attachment's plaintext, decrypted as it is read,
// and its description. The caller closes the reader.
func (e *Engine) OpenFile(ctx context.Context, id ids.File) (io.ReadCloser, Attachment, error) {
	if e.attachDir == "" {
		return nil, Attachment{}, ErrNoAttachmentsFolder
	}
	a, err := e.attachmentRow(ctx, id)
	if err != nil {
		return nil, Attachment{}, err
	}
	r, err := attachment.Open(e.attachDir, id, a.FileKey, a.Size)
	if err != nil {
		return nil, Attachment{}, fmt.Errorf("open attachment: %w", err)
	}
	return r, Attachment{ID: a.ID, Message: a.MessageID, Name: a.Name, MIME: a.MIME, Size: a.Size, Thumbnail: a.Thumbnail, Downloaded: true}, nil
}

// toContentAttachments turns stored attachments into the message's content.
func toContentAttachments(files []vault.Attachment) ([]chatcrypto.Attachment, error) {
	out := make([]chatcrypto.Attachment, 0, len(files))
	for _, f := range files {
		k, err := chatcrypto.FileKeyFromBytes(f.FileKey)
		if err != nil {
			return nil, err
		}
		out = append(out, chatcrypto.Attachment{FileID: f.ID, Key: k, Name: f.Name, MIME: f.MIME, Size: uint64(f.Size), Thumbnail: f.Thumbnail})
	}
	return out, nil
}

// storeAttachments records the attachments of a received text message. With
// guard, an id already used by another message is left alone: a member cannot
// re-point someone else's file to a key of its own.
func storeAttachments(tx *vault.Tx, msg ids.Message, content chatcrypto.Content, guard bool) error {
	if content.Kind != chatcrypto.KindText || content.Text == nil {
		return nil
	}
	return storeFiles(tx, msg, content.Text.Attachments, guard)
}

// storeFiles records files received with message msg, guarded as storeAttachments.
func storeFiles(tx *vault.Tx, msg ids.Message, files []chatcrypto.Attachment, guard bool) error {
	for _, a := range files {
		old, err := tx.Attachment(a.FileID)
		switch {
		case err == nil && old.MessageID != msg && guard:
			continue
		case err != nil && !errors.Is(err, vault.ErrNotFound):
			return err
		}
		if a.Size > 1<<62 {
			continue
		}
		if err := tx.PutAttachment(vault.Attachment{ID: a.FileID, MessageID: msg, FileKey: a.Key.Bytes(), Name: a.Name, MIME: a.MIME, Size: int64(a.Size), Thumbnail: a.Thumbnail}); err != nil {
			return err
		}
	}
	return nil
}

// orphanAge is how old a file in the attachments folder without a vault row must
// be before the start-up sweep deletes it: a file being sent has no row until its
// upload ends. Files older than [Config.PreparedSince] go too.
const orphanAge = 24 * time.Hour

// sweepFiles deletes, once at start, the files of the attachments folder whose
// vault row is gone (their message was deleted, which wiped the key; or they
// were prepared and never sent, and their key died with the process: either
// way the file was already unreadable) and that are older than orphanAge or
// than Config.PreparedSince.
func (e *Engine) sweepFiles(ctx context.Context) {
	if e.attachDir == "" {
		return
	}
	ents, err := os.ReadDir(e.attachDir)
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			e.log.Warn("attachments folder", "err", err)
		}
		return
	}
	cutoff := e.clk.Now().Add(-orphanAge)
	if e.preparedSince.After(cutoff) {
		cutoff = e.preparedSince
	}
	for _, ent := range ents {
		if ent.IsDir() {
			continue
		}
		info, err := ent.Info()
		if err != nil || info.ModTime().After(cutoff) {
			continue
		}
		if strings.HasPrefix(ent.Name(), ".part-") {
			// A file written through a temporary one (a backup's import, a
			// download put in place) by a process that stopped before the rename:
			// ciphertext under a key the vault may never have held.
			if err := os.Remove(filepath.Join(e.attachDir, ent.Name())); err != nil {
				e.log.Warn("delete an unfinished attachment file", "err", err)
			}
			continue
		}
		name, _, _ := strings.Cut(ent.Name(), ".")
		id, err := ids.Parse[ids.File](name)
		if err != nil {
			continue
		}
		_, err = e.attachmentRow(ctx, id)
		if !errors.Is(err, ErrNotFound) {
			continue
		}
		if err := attachment.Remove(e.attachDir, id); err != nil {
			e.log.Warn("delete orphaned attachment", "err", err)
		}
	}
}
