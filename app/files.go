package app

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"hush/chat"
	"hush/ids"
)

// FileService sends and receives attachments (docs/SECURITY.md, "Attachments"): files go
// encrypted to the relay, and land encrypted in the data folder's attachments
// folder; they are decrypted only when saved. Transfers run in the background,
// report [FileProgress] events and can be cancelled; a download cut short
// resumes where it stopped.
type FileService struct{ c *Core }

// attachmentsDir is where attachment files live: beside the vault.
func (c *Core) attachmentsDir() string {
	dir := c.cfg.DataDir
	if dir == "" {
		dir = filepath.Dir(c.cfg.VaultPath)
	}
	return filepath.Join(dir, "attachments")
}

// fileState holds the running transfers' cancel functions; its zero value is
// ready to use.
type fileState struct {
	mu      sync.Mutex
	running map[string]context.CancelFunc
}

func (f *fileState) start(id string, cancel context.CancelFunc) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.running == nil {
		f.running = map[string]context.CancelFunc{}
	}
	f.running[id] = cancel
}

func (f *fileState) end(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.running, id)
}

func (f *fileState) cancel(id string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.running[id]
	if ok {
		c()
	}
	return ok
}

// FileDirection says which way a transfer goes.
type FileDirection string

// Transfer directions.
const (
	FileUpload   FileDirection = "upload"
	FileDownload FileDirection = "download"
)

// Values lists the directions, for the UI's contract.
func (FileDirection) Values() []string { return []string{string(FileUpload), string(FileDownload)} }

// FileProgress: a file transfer moved on, or ended.
type FileProgress struct {
	Transfer  string        `json:"transfer"`
	Direction FileDirection `json:"direction"`
	ChatID    string        `json:"chatId"`
	// FileID is the file downloaded; "" for uploads (the message holds them).
	FileID string `json:"fileId"`
	// Name and Index say which file of an upload this is.
	Name  string `json:"name"`
	Index int    `json:"index"`
	Done  int64  `json:"done"`
	Total int64  `json:"total"`
	// Ended is set on the last event of a transfer; Error then says why it
	// failed ("" on success, "Cancelled." when cancelled), and MessageID names
	// the message sent by an upload.
	Ended     bool   `json:"ended"`
	Error     string `json:"error"`
	MessageID string `json:"messageId"`
}

// EventName implements [Event].
func (FileProgress) EventName() string { return "file:progress" }

// FileInfo describes an attachment of a message.
type FileInfo struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	MIME string `json:"mime"`
	Size int64  `json:"size"`
	// Thumbnail is a data: URL of the sender's JPEG preview, "" if none.
	Thumbnail  string `json:"thumbnail"`
	Downloaded bool   `json:"downloaded"`
}

func fileInfoView(a chat.Attachment) FileInfo {
	f := FileInfo{ID: a.ID.String(), Name: a.Name, MIME: a.MIME, Size: a.Size, Downloaded: a.Downloaded}
	if len(a.Thumbnail) > 0 {
		f.Thumbnail = "data:image/jpeg;base64," + base64.StdEncoding.EncodeToString(a.Thumbnail)
	}
	return f
}

// transferError words a transfer's failure for the UI.
func transferError(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, context.Canceled):
		return "Cancelled."
	case errors.Is(err, chat.ErrQuotaExceeded):
		return "The relay's storage for your files is full. Nothing was sent."
	case errors.Is(err, chat.ErrTooLong):
		return fmt.Sprintf("The file is too large: at most %d MB can be sent.", chat.MaxAttachmentSize/1_000_000)
	case errors.Is(err, os.ErrNotExist):
		return "The file is not there any more."
	}
	return messagingError(err).Error()
}

// SendFiles sends files from this computer (paths) to a chat in one message,
// with caption ("" for none), and returns the transfer's id at once: the files
// are encrypted and uploaded in the background ([FileProgress] events), then the
// message is sent.
func (s *FileService) SendFiles(chatID string, paths []string, caption string) (string, error) {
	id, err := parseID[ids.Chat](chatID)
	if err != nil {
		return "", err
	}
	return s.background(func(ctx context.Context, e *chat.Engine, tr string) FileProgress {
		m, err := e.SendFiles(ctx, id, paths, caption, func(p chat.FileProgress) {
			s.c.emit(FileProgress{Transfer: tr, Direction: FileUpload, ChatID: chatID, Name: p.Name, Index: p.Index, Done: p.Done, Total: p.Total})
		})
		end := FileProgress{Transfer: tr, Direction: FileUpload, ChatID: chatID, Ended: true, Error: transferError(err)}
		if err == nil {
			end.MessageID = m.ID.String()
		}
		return end
	})
}

// background runs a transfer with a context [FileService.Cancel] ends, and emits
// the FileProgress it returns as its last event. It returns the transfer's id.
func (s *FileService) background(run func(ctx context.Context, e *chat.Engine, transfer string) FileProgress) (string, error) {
	e, err := s.c.chatEngine()
	if err != nil {
		return "", err
	}
	tr := ids.New[ids.File]().String()
	ctx, cancel := context.WithCancel(context.Background())
	s.c.files.start(tr, cancel)
	go func() {
		defer cancel()
		defer s.c.files.end(tr)
		s.c.emit(run(ctx, e, tr))
	}()
	return tr, nil
}

// Download fetches an attachment into the attachments folder in the background
// and returns the transfer's id; calling it again after a cancel or a lost
// connection resumes the download.
func (s *FileService) Download(fileID string) (string, error) {
	id, err := parseID[ids.File](fileID)
	if err != nil {
		return "", err
	}
	return s.background(func(ctx context.Context, e *chat.Engine, tr string) FileProgress {
		err := e.DownloadFile(ctx, id, func(done, total int64) {
			s.c.emit(FileProgress{Transfer: tr, Direction: FileDownload, FileID: fileID, Done: done, Total: total})
		})
		return FileProgress{Transfer: tr, Direction: FileDownload, FileID: fileID, Ended: true, Error: transferError(err)}
	})
}

// Cancel stops a running transfer; its last [FileProgress] says "Cancelled.".
func (s *FileService) Cancel(transfer string) error {
	if !s.c.files.cancel(transfer) {
		return invalid("No such transfer is running.")
	}
	return nil
}

// Files lists a message's attachments.
func (s *FileService) Files(messageID string) ([]FileInfo, error) {
	id, err := parseID[ids.Message](messageID)
	if err != nil {
		return nil, err
	}
	return engineView(s.c, func(as []chat.Attachment) []FileInfo {
		out := make([]FileInfo, 0, len(as))
		for _, a := range as {
			out = append(out, fileInfoView(a))
		}
		return out
	}, func(ctx context.Context, e *chat.Engine) ([]chat.Attachment, error) {
		return e.Attachments(ctx, id)
	})
}

// SaveAs decrypts a downloaded attachment to path on this computer (the user
// chose it); an existing file there is replaced only once the whole attachment
// decrypted.
func (s *FileService) SaveAs(fileID, path string) error {
	id, err := parseID[ids.File](fileID)
	if err != nil {
		return err
	}
	return s.c.withEngine(func(ctx context.Context, e *chat.Engine) error {
		r, _, err := e.OpenFile(ctx, id)
		if err != nil {
			return err
		}
		defer r.Close()
		tmp, err := os.CreateTemp(filepath.Dir(path), ".hush-save-*")
		if err != nil {
			return fmt.Errorf("save attachment: %w", err)
		}
		defer os.Remove(tmp.Name())
		if _, err := io.Copy(tmp, r); err != nil {
			tmp.Close()
			return fmt.Errorf("save attachment: %w", err)
		}
		if err := tmp.Close(); err != nil {
			return fmt.Errorf("save attachment: %w", err)
		}
		return os.Rename(tmp.Name(), path)
	})
}
