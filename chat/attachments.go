package chat

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
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

// SendFiles sends the files at paths to chat id, with body as their caption
// ("" for none): each file is encrypted into the attachments folder and uploaded
// (progress reports each), then one message carries them all. Cancelling ctx
// stops the upload; the message is not sent. Calling again with the same files
// starts over (the relay forgets unfinished uploads after a day). Secret chats
// do not take attachments yet.
func (e *Engine) SendFiles(ctx context.Context, id ids.Chat, paths []string, body string, progress func(FileProgress)) (Message, error) {
	switch {
	case e.attachDir == "":
		return Message{}, ErrNoAttachmentsFolder
	case len(paths) == 0:
		return Message{}, detailf(ErrInvalid, "no files to send")
	case len(paths) > chatcrypto.MaxAttachments:
		return Message{}, detailf(ErrInvalid, "at most %d files in one message", chatcrypto.MaxAttachments)
	case e.isSecret(ctx, id):
		return Message{}, detailf(ErrInvalid, "secret chats do not take attachments yet")
	}
	files := make([]vault.Attachment, 0, len(paths))
	prepared := make([]attachment.Prepared, 0, len(paths))
	thumbs := 0
	for _, p := range paths {
		pr, err := attachment.Prepare(p, e.attachDir, MaxAttachmentSize)
		if err != nil {
			for _, q := range prepared {
				attachment.Remove(e.attachDir, q.ID)
			}
			return Message{}, relayError(err)
		}
		if thumbs+len(pr.Thumbnail) > maxThumbnailsBytes {
			pr.Thumbnail = nil
		}
		thumbs += len(pr.Thumbnail)
		prepared = append(prepared, pr)
		files = append(files, vault.Attachment{ID: pr.ID, FileKey: pr.Key, Name: pr.Name, MIME: pr.MIME, Size: pr.Size, Thumbnail: pr.Thumbnail})
	}
	rc := e.link.client()
	if rc == nil {
		return Message{}, ErrOffline
	}
	for i, pr := range prepared {
		err := attachment.Upload(ctx, rc, e.attachDir, pr, func(done, total int64) {
			if progress != nil {
				progress(FileProgress{Index: i, Name: pr.Name, Done: done, Total: total})
			}
		})
		if err != nil {
			return Message{}, relayError(err)
		}
	}
	m, err := e.send.sendWith(ctx, id, body, nil, "", files)
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
		for _, a := range as {
			out = append(out, Attachment{ID: a.ID, Message: a.MessageID, Name: a.Name, MIME: a.MIME, Size: a.Size, Thumbnail: a.Thumbnail,
				Downloaded: e.attachDir != "" && attachment.Have(e.attachDir, a.ID)})
		}
		return nil
	})
	return out, err
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
// with ctx. A file already there returns at once.
func (e *Engine) DownloadFile(ctx context.Context, id ids.File, progress func(done, total int64)) error {
	if e.attachDir == "" {
		return ErrNoAttachmentsFolder
	}
	a, err := e.attachmentRow(ctx, id)
	if err != nil {
		return err
	}
	rc := e.link.client()
	if rc == nil {
		return ErrOffline
	}
	if err := attachment.Download(ctx, rc, e.attachDir, id, a.FileKey, a.Size, progress); err != nil {
		return relayError(err)
	}
	return nil
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
	for _, a := range content.Text.Attachments {
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
// upload ends.
const orphanAge = 24 * time.Hour

// sweepFiles deletes, once at start, the files of the attachments folder whose
// vault row is gone (their message was deleted, which wiped the key: the file
// was already unreadable) and that are older than orphanAge.
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
	for _, ent := range ents {
		name, _, _ := strings.Cut(ent.Name(), ".")
		id, err := ids.Parse[ids.File](name)
		if err != nil || ent.IsDir() {
			continue
		}
		info, err := ent.Info()
		if err != nil || info.ModTime().After(cutoff) {
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
