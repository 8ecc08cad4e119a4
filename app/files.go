package app

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"hush/chat"
	"hush/ids"
)

// FileService sends and receives attachments (docs/SECURITY.md, "Attachments"): files go
// encrypted to the relay, and land encrypted in the data folder's attachments
// folder; they are decrypted only when saved or shown. Transfers run in the
// background, report [FileProgress] events and can be cancelled; an upload or a
// download cut short resumes where it stopped.
//
// Sending is two steps, as in every messenger: files are staged — chosen in the
// desktop window's dialog ([FileService.ChooseFiles]), dropped on it
// ([FilesDropped]), pasted ([FileService.StageData]) or uploaded by a browser
// (POST /api/upload?name=…) — and each is encrypted into the attachments folder
// at once, under a key only memory holds; then [FileService.SendFiles] uploads
// them and sends the message, or [FileService.Discard] drops them. No caller
// names a path on this computer: only the native dialogs and drops do.
type FileService struct{ c *Core }

// Limits of files, beyond chat.MaxAttachmentSize (Rules has them too).
const (
	// maxStagedFiles caps the files waiting to be sent, in every chat together:
	// each may take chat.MaxAttachmentSize of the disk.
	maxStagedFiles = 32
	// maxPastedBytes caps an image pasted into the desktop window, which crosses
	// to Go as base64 in one call.
	maxPastedBytes = 16 << 20
	// maxImageViewBytes caps an image shown in full in the window, which
	// crosses to it as a data: URL.
	maxImageViewBytes = 16 << 20
	// maxDownloadLinks caps the browser downloads offered and not fetched yet;
	// beyond it the oldest link stops working.
	maxDownloadLinks = 64
)

// attachmentsDir is where attachment files live: beside the vault.
func (c *Core) attachmentsDir() string {
	dir := c.cfg.DataDir
	if dir == "" {
		dir = filepath.Dir(c.cfg.VaultPath)
	}
	return AttachmentsDir(dir)
}

// AttachmentsDir is the folder of attachment files in the data directory
// dataDir (for the backup commands, which run without a Core).
func AttachmentsDir(dataDir string) string { return filepath.Join(dataDir, "attachments") }

// fileState holds the running transfers' cancel functions, the staged files, the
// path the save dialog chose and the browser's download links; its zero value
// is ready to use.
type fileState struct {
	mu      sync.Mutex
	running map[string]context.CancelFunc
	staged  map[string]*stagedFile // by file id
	saveTo  savePath
	links   []downloadLink // oldest first
}

// stagedFile is a file waiting to be sent; busy while a send of it runs.
type stagedFile struct {
	f    chat.PreparedFile
	busy bool
}

// savePath is where the save dialog said a file goes.
type savePath struct{ file, path string }

// downloadLink is a browser's download of a file, offered once.
type downloadLink struct {
	id   string
	file ids.File
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

// errTooManyStaged: maxStagedFiles are waiting already.
var errTooManyStaged = invalid(fmt.Sprintf("%d files are already waiting to be sent: send or remove some first.", maxStagedFiles))

// room reports whether another file may be staged.
func (f *fileState) room() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.staged) < maxStagedFiles
}

// stage keeps a prepared file until it is sent or discarded; false when there
// is no room left (the caller discards it).
func (f *fileState) stage(p chat.PreparedFile) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.staged) >= maxStagedFiles {
		return false
	}
	if f.staged == nil {
		f.staged = map[string]*stagedFile{}
	}
	f.staged[p.ID().String()] = &stagedFile{f: p}
	return true
}

// take marks staged files busy for a send and returns them in order.
func (f *fileState) take(names []string) ([]chat.PreparedFile, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]chat.PreparedFile, 0, len(names))
	for i, id := range names {
		s, ok := f.staged[id]
		switch {
		case !ok:
			return nil, invalid("A file to send is no longer there: choose it again.")
		case s.busy || slices.Contains(names[:i], id):
			return nil, invalid("These files are being sent already.")
		}
		out = append(out, s.f)
	}
	for _, id := range names {
		f.staged[id].busy = true
	}
	return out, nil
}

// release ends a send of staged files: sent, they are the message's now and
// leave the stage; otherwise they stay for a retry.
func (f *fileState) release(names []string, sent bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, id := range names {
		if s, ok := f.staged[id]; ok {
			if sent {
				delete(f.staged, id)
			} else {
				s.busy = false
			}
		}
	}
}

// unstage removes staged files not being sent and returns them, to delete.
func (f *fileState) unstage(names []string) ([]chat.PreparedFile, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []chat.PreparedFile
	for _, id := range names {
		s, ok := f.staged[id]
		if !ok {
			continue
		}
		if s.busy {
			return out, invalid("This file is being sent: cancel the upload first.")
		}
		delete(f.staged, id)
		out = append(out, s.f)
	}
	return out, nil
}

// stagedFile returns a staged file.
func (f *fileState) stagedFile(id string) (chat.PreparedFile, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.staged[id]
	if !ok {
		return chat.PreparedFile{}, false
	}
	return s.f, true
}

// drop forgets everything of the session that locks: it cancels every transfer
// and deletes the staged files with e (nil: there is no engine, and so nothing
// was staged).
func (f *fileState) drop(e *chat.Engine) {
	f.mu.Lock()
	for _, cancel := range f.running {
		cancel()
	}
	var files []chat.PreparedFile
	for _, s := range f.staged {
		files = append(files, s.f)
	}
	f.staged, f.saveTo, f.links = nil, savePath{}, nil
	f.mu.Unlock()
	if e != nil {
		e.DiscardPrepared(files...)
	}
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

// FileProgress: a file transfer moved on, or ended. At most about ten a second
// per transfer, and always the last.
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
	// the message sent by an upload (a message:new of it came first).
	Ended     bool   `json:"ended"`
	Error     string `json:"error"`
	MessageID string `json:"messageId"`
}

// EventName implements [Event].
func (FileProgress) EventName() string { return "file:progress" }

// FilesDropped: files were dropped on the desktop window and are staged, for the
// UI to offer in its send sheet (or discard).
type FilesDropped struct {
	Files []StagedFile `json:"files"`
}

// EventName implements [Event].
func (FilesDropped) EventName() string { return "files:dropped" }

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

// StagedFile is a file chosen to be sent, encrypted and waiting until
// [FileService.SendFiles] takes it or [FileService.Discard] drops it.
type StagedFile struct {
	// ID is what SendFiles and Discard take; "" when the file could not be
	// staged, and Error says why.
	ID   string `json:"id"`
	Name string `json:"name"`
	MIME string `json:"mime"`
	Size int64  `json:"size"`
	// Thumbnail is a data: URL of the JPEG preview of an image, "" if none.
	Thumbnail string `json:"thumbnail"`
	// Error says why the file could not be staged (a sentence to show); "" when
	// it was.
	Error string `json:"error"`
}

func stagedView(f chat.PreparedFile) StagedFile {
	return StagedFile{ID: f.ID().String(), Name: f.Name(), MIME: f.MIME(), Size: f.Size(), Thumbnail: jpegURL(f.Thumbnail())}
}

// jpegURL is a data: URL of a JPEG, "" for none.
func jpegURL(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return "data:image/jpeg;base64," + base64.StdEncoding.EncodeToString(b)
}

func fileInfoView(a chat.Attachment) FileInfo {
	return FileInfo{ID: a.ID.String(), Name: a.Name, MIME: a.MIME, Size: a.Size, Downloaded: a.Downloaded, Thumbnail: jpegURL(a.Thumbnail)}
}

func fileInfosView(as []chat.Attachment) []FileInfo {
	out := make([]FileInfo, 0, len(as))
	for _, a := range as {
		out = append(out, fileInfoView(a))
	}
	return out
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
		return tooLargeText
	case errors.Is(err, os.ErrNotExist):
		return "The file is not there any more."
	case errors.Is(err, chat.ErrFileDeleted):
		return "The file was deleted from the relay."
	case errors.Is(err, chat.ErrInvalid) && chat.Detail(err) != "":
		d := chat.Detail(err)
		return strings.ToUpper(d[:1]) + d[1:] + "."
	}
	return messagingError(err).Error()
}

// tooLargeText says a file is over chat.MaxAttachmentSize.
var tooLargeText = "The file is too large: at most " + sizeText(chat.MaxAttachmentSize) + " can be sent."

// stage prepares one file and keeps it, describing it or why it failed.
func (c *Core) stage(e *chat.Engine, name string, prepare func() (chat.PreparedFile, error)) StagedFile {
	if !c.files.room() {
		return StagedFile{Name: name, Error: errTooManyStaged.Error()}
	}
	f, err := prepare()
	if err != nil {
		c.log.Info("file not staged", "err", err)
		return StagedFile{Name: name, Error: transferError(err)}
	}
	if !c.files.stage(f) {
		e.DiscardPrepared(f)
		return StagedFile{Name: f.Name(), Error: errTooManyStaged.Error()}
	}
	return stagedView(f)
}

// stagePaths stages the files at paths (from the native dialog or a drop).
func (c *Core) stagePaths(e *chat.Engine, paths []string) []StagedFile {
	out := make([]StagedFile, 0, len(paths))
	for _, p := range paths {
		out = append(out, c.stage(e, filepath.Base(p), func() (chat.PreparedFile, error) { return e.PrepareFile(p) }))
	}
	return out
}

// ChooseFiles shows the desktop window's open dialog and stages the files chosen
// (none if the user cancelled); a file that could not be staged says why. In
// browser mode there is no dialog: upload each file (POST /api/upload?name=…)
// and describe it with [FileService.Staged].
func (s *FileService) ChooseFiles() ([]StagedFile, error) {
	e, err := s.c.chatEngine()
	if err != nil {
		return nil, err
	}
	var paths []string
	_, err = s.c.ask(func(p FilePicker) (string, error) {
		var err error
		paths, err = p.OpenFiles(FileDialog{Title: "Attach files"})
		return "", err
	}, "There is no file dialog here: the browser uploads the files.")
	if err != nil {
		return nil, err
	}
	return s.c.stagePaths(e, paths), nil
}

// DropFiles stages files dropped on the desktop window, in the background, and
// reports them with [FilesDropped]. The desktop shell calls it; the paths come
// from the window system, never from the UI.
func (c *Core) DropFiles(paths []string) {
	// A link dragged within the page comes as a drop without a path.
	paths = slices.DeleteFunc(slices.Clone(paths), func(p string) bool { return p == "" })
	c.log.Info("files dropped on the window", "count", len(paths))
	e, err := c.chatEngine()
	if err != nil || len(paths) == 0 {
		return
	}
	go func() { c.emit(FilesDropped{Files: c.stagePaths(e, paths)}) }()
}

// Staged describes a staged file: an upload of a browser, by the id the upload
// answered.
func (s *FileService) Staged(id string) (StagedFile, error) {
	f, ok := s.c.files.stagedFile(id)
	if !ok {
		return StagedFile{}, invalid("That file is not waiting to be sent.")
	}
	return stagedView(f), nil
}

// StageData stages a file whose bytes the UI holds — an image pasted in the
// desktop window — given as base64 (at most Rules.MaxPastedBytes once decoded).
// A browser uploads it instead (POST /api/upload?name=…).
func (s *FileService) StageData(name, data string) (StagedFile, error) {
	e, err := s.c.chatEngine()
	if err != nil {
		return StagedFile{}, err
	}
	if base64.StdEncoding.DecodedLen(len(data)) > maxPastedBytes+2 {
		return StagedFile{}, invalid("The pasted file is too large: at most " + sizeText(maxPastedBytes) + " can be pasted. Save it as a file and attach that.")
	}
	r := base64.NewDecoder(base64.StdEncoding, strings.NewReader(data))
	f := s.c.stage(e, name, func() (chat.PreparedFile, error) { return e.PrepareStream(r, name) })
	if f.Error != "" {
		return StagedFile{}, invalid(f.Error)
	}
	return f, nil
}

// Discard drops staged files that will not be sent (the send sheet was
// cancelled, a failed upload removed); unknown ids are ignored.
func (s *FileService) Discard(files []string) error {
	gone, err := s.c.files.unstage(files)
	if len(gone) > 0 {
		if e, eerr := s.c.chatEngine(); eerr == nil {
			e.DiscardPrepared(gone...)
		}
	}
	return err
}

// SendFiles sends staged files (their ids, at most Rules.MaxFilesPerMessage) to
// a chat in one message, with caption ("" for none), and returns the
// transfer's id at once: the files are uploaded in the background
// ([FileProgress] events), then the message is sent (a [MessageNew] of it, then
// the last FileProgress). Sent, the files leave the stage; a cancelled or failed
// send leaves them staged, and calling again with them resumes the upload. In a
// secret chat the files self-destruct with their message, on both devices.
func (s *FileService) SendFiles(chatID string, files []string, caption string) (string, error) {
	id, err := parseID[ids.Chat](chatID)
	if err != nil {
		return "", err
	}
	e, err := s.c.chatEngine()
	if err != nil {
		return "", err
	}
	ctx, cancel := defaultContext()
	err = e.CheckFiles(ctx, id, len(files))
	cancel()
	if err != nil {
		return "", &userError{msg: transferError(err), cause: err}
	}
	prepared, err := s.c.files.take(files)
	if err != nil {
		return "", err
	}
	tr, err := s.background(func(ctx context.Context, e *chat.Engine, tr string) FileProgress {
		progress := s.c.throttled()
		m, err := e.SendPrepared(ctx, id, prepared, caption, func(p chat.FileProgress) {
			progress(FileProgress{Transfer: tr, Direction: FileUpload, ChatID: chatID, Name: p.Name, Index: p.Index, Done: p.Done, Total: p.Total})
		})
		s.c.files.release(files, err == nil)
		end := FileProgress{Transfer: tr, Direction: FileUpload, ChatID: chatID, Ended: true, Error: transferError(err)}
		if err == nil {
			end.MessageID = m.ID.String()
			s.c.emit(MessageNew(messageView(m)))
		} else {
			s.c.log.Info("files not sent", "err", err)
		}
		return end
	})
	if err != nil {
		s.c.files.release(files, false)
	}
	return tr, err
}

// throttled returns an emitter of one transfer's progress that lets through at
// most one event per progressInterval, and every one that completes a file:
// the browser's event socket holds 32 events, and a large file reports every
// 64 KiB.
func (c *Core) throttled() func(FileProgress) {
	var last time.Time
	return func(p FileProgress) {
		if now := time.Now(); now.Sub(last) >= progressInterval || p.Done == p.Total {
			last = now
			c.emit(p)
		}
	}
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
		progress := s.c.throttled()
		err := e.DownloadFile(ctx, id, func(done, total int64) {
			progress(FileProgress{Transfer: tr, Direction: FileDownload, FileID: fileID, Done: done, Total: total})
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

// Files lists a message's attachments (Message.Files has them too; this reads
// them again, after a download say).
func (s *FileService) Files(messageID string) ([]FileInfo, error) {
	id, err := parseID[ids.Message](messageID)
	if err != nil {
		return nil, err
	}
	return engineView(s.c, fileInfosView, func(ctx context.Context, e *chat.Engine) ([]chat.Attachment, error) {
		return e.Attachments(ctx, id)
	})
}

// openDownloaded opens a downloaded attachment, decrypting as it is read; one
// not downloaded yet says so.
func (c *Core) openDownloaded(ctx context.Context, e *chat.Engine, fileID string) (io.ReadCloser, chat.Attachment, error) {
	id, err := parseID[ids.File](fileID)
	if err != nil {
		return nil, chat.Attachment{}, err
	}
	r, a, err := e.OpenFile(ctx, id)
	if errors.Is(err, os.ErrNotExist) {
		return nil, chat.Attachment{}, invalid("Download the file first.")
	}
	return r, a, err
}

// downloaded describes a downloaded attachment; one not downloaded yet says so.
func (c *Core) downloaded(fileID string) (chat.Attachment, error) {
	var out chat.Attachment
	err := c.withEngine(func(ctx context.Context, e *chat.Engine) error {
		r, a, err := c.openDownloaded(ctx, e, fileID)
		if err != nil {
			return err
		}
		out = a
		return r.Close()
	})
	return out, err
}

// ChooseSaveFile shows the desktop window's save dialog for a downloaded
// attachment, with its name, and returns the path chosen ("" if the user
// cancelled), which [FileService.SaveAs] then accepts. In browser mode there is
// no dialog: use [FileService.DownloadLink].
func (s *FileService) ChooseSaveFile(fileID string) (string, error) {
	a, err := s.c.downloaded(fileID)
	if err != nil {
		return "", err
	}
	path, err := s.c.ask(func(p FilePicker) (string, error) {
		return p.SaveFile(FileDialog{Title: "Save the file", DefaultName: a.Name})
	}, "There is no file dialog here: the browser downloads the file.")
	if err != nil {
		return "", err
	}
	s.c.files.mu.Lock()
	s.c.files.saveTo = savePath{file: fileID, path: path}
	s.c.files.mu.Unlock()
	return path, nil
}

// SaveAs decrypts a downloaded attachment to path, the one ChooseSaveFile
// returned for it; an existing file there is replaced only once the whole
// attachment decrypted. This is the one place a file is written in clear.
func (s *FileService) SaveAs(fileID, path string) error {
	s.c.files.mu.Lock()
	chosen := s.c.files.saveTo == savePath{file: fileID, path: path} && path != ""
	if chosen {
		s.c.files.saveTo = savePath{}
	}
	s.c.files.mu.Unlock()
	if !chosen {
		return invalid("Choose where to save the file first.")
	}
	return s.c.withEngine(func(ctx context.Context, e *chat.Engine) error {
		r, _, err := s.c.openDownloaded(ctx, e, fileID)
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

// DownloadLink offers a downloaded attachment to the browser (browser mode's
// "Save as…"): it returns the URL path the browser fetches it from, once
// (GET /api/download/<id>), decrypted as it is sent; nothing is written in
// clear on this computer.
func (s *FileService) DownloadLink(fileID string) (string, error) {
	a, err := s.c.downloaded(fileID)
	if err != nil {
		return "", err
	}
	link, err := randomID()
	if err != nil {
		return "", err
	}
	f := &s.c.files
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.links) >= maxDownloadLinks {
		f.links = f.links[1:]
	}
	f.links = append(f.links, downloadLink{id: link, file: a.ID})
	return downloadPath + link, nil
}

// downloadFile opens the attachment a download link names, once; an unknown
// link is os.ErrNotExist.
func (c *Core) downloadFile(link string) (string, io.ReadCloser, error) {
	c.files.mu.Lock()
	var file ids.File
	i := -1
	for j, l := range c.files.links {
		if l.id == link {
			i, file = j, l.file
		}
	}
	if i >= 0 {
		c.files.links = append(c.files.links[:i], c.files.links[i+1:]...)
	}
	c.files.mu.Unlock()
	if i < 0 {
		return "", nil, os.ErrNotExist
	}
	e, err := c.chatEngine()
	if err != nil {
		return "", nil, err
	}
	r, a, err := e.OpenFile(context.Background(), file)
	if err != nil {
		return "", nil, fmt.Errorf("download: %w", err)
	}
	return a.Name, r, nil
}

// viewableImages are the image types the window shows in full, by their
// content (the sender's MIME type is only its word).
var viewableImages = map[string]bool{"image/png": true, "image/jpeg": true, "image/gif": true, "image/webp": true, "image/bmp": true}

// Image returns a downloaded image as a data: URL for the window's image view,
// its type found from its bytes (PNG, JPEG, GIF, WebP or BMP; anything else is
// refused); at most Rules.MaxImageViewBytes. Nothing is written to disk.
func (s *FileService) Image(fileID string) (string, error) {
	var out string
	err := s.c.withEngine(func(ctx context.Context, e *chat.Engine) error {
		r, a, err := s.c.openDownloaded(ctx, e, fileID)
		if err != nil {
			return err
		}
		defer r.Close()
		if a.Size > maxImageViewBytes {
			return invalid("This image is too large to show here (" + sizeText(a.Size) + "): save it to open it.")
		}
		b, err := io.ReadAll(io.LimitReader(r, maxImageViewBytes))
		if err != nil {
			return fmt.Errorf("show image: %w", err)
		}
		mime := http.DetectContentType(b)
		if !viewableImages[mime] {
			return invalid("This file is not an image Hush can show: save it to open it.")
		}
		out = "data:" + mime + ";base64," + base64.StdEncoding.EncodeToString(b)
		return nil
	})
	return out, err
}
