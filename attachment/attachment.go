// Package attachment moves attachment files between the device's data folder and
// the relay's blob store, encrypted end to end and at rest.
//
// Sending a file is [Prepare] (encrypt it from disk into the attachments folder
// under a fresh random key, and make its thumbnail if it is an image) then
// [Upload]; the message then carries the key, the blob id and the thumbnail
// (chatcrypto.Attachment). Receiving is [Download], which verifies every chunk
// with the key as it arrives and keeps the ciphertext as downloaded, and [Open],
// which decrypts it as it is read. The folder thus only ever holds ciphertext: the
// keys live in the vault, so a file whose vault row is deleted is unreadable
// (docs/SECURITY.md, "Attachments"). Files are streamed chunk by chunk
// (attachcrypto), so memory stays flat whatever their size.
package attachment

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"mime"
	"os"
	"path/filepath"
	"strings"

	"hush/attachcrypto"
	"hush/ids"
	"hush/sync/relayclient"
	"hush/sync/wire"
	"hush/thumbnail"
)

// MaxNameBytes caps a file name carried in a message (chatcrypto.MaxFileNameBytes).
const MaxNameBytes = 255

// ErrCorrupt: a downloaded or stored file does not decrypt under its key — the
// relay served something else, or the file was changed on disk.
var ErrCorrupt = errors.New("attachment: file does not match its key")

// ErrNotFile: what [Prepare] was given is a folder, a device or anything else
// that is not a regular file.
var ErrNotFile = errors.New("attachment: not a regular file")

// Prepared is a file encrypted into the attachments folder, ready to upload.
type Prepared struct {
	ID   ids.File
	Key  []byte // attachcrypto.KeySize bytes; the caller seals it in the vault
	Name string
	MIME string
	Size int64 // plaintext bytes
	// Thumbnail is a JPEG preview for an image, nil otherwise (or when the image
	// could not be read: the file is still sent).
	Thumbnail []byte
}

// EncryptedSize is the ciphertext size: the blob's size on the relay.
func (p Prepared) EncryptedSize() int64 {
	n, _ := attachcrypto.EncryptedSize(p.Size)
	return n
}

// path returns where the ciphertext of id lives in dir.
func path(dir string, id ids.File) string { return filepath.Join(dir, id.String()+".hushfile") }

// Prepare encrypts the file at src into dir under a new random key and id. A file
// larger than maxSize bytes is refused before anything is written.
func Prepare(src, dir string, maxSize int64) (Prepared, error) {
	in, err := os.Open(src)
	if err != nil {
		return Prepared{}, fmt.Errorf("attachment: %w", err)
	}
	defer in.Close()
	fi, err := in.Stat()
	if err != nil {
		return Prepared{}, fmt.Errorf("attachment: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return Prepared{}, fmt.Errorf("%w: %s", ErrNotFile, filepath.Base(src))
	}
	if fi.Size() > maxSize {
		return Prepared{}, tooLarge(filepath.Base(src), fi.Size(), maxSize)
	}
	return prepare(in, fileName(filepath.Base(src)), fi.Size(), dir, maxSize)
}

// PrepareStream is [Prepare] of what r holds, a file named name (its base name is
// kept, cut to [MaxNameBytes]) whose size is not known ahead: a file uploaded by
// a browser, an image pasted from the clipboard. The plaintext goes from r
// straight into the encryption, so it never touches the disk. More than maxSize
// bytes is wire.ErrTooLarge, with nothing left behind.
func PrepareStream(r io.Reader, name, dir string, maxSize int64) (Prepared, error) {
	return prepare(r, fileName(baseName(name)), -1, dir, maxSize)
}

func tooLarge(name string, size, maxSize int64) error {
	return fmt.Errorf("attachment: %s is %d bytes, the limit is %d: %w", name, size, maxSize, wire.ErrTooLarge)
}

// prepare encrypts in (want bytes, or any number up to maxSize when want is -1)
// into dir, then makes the thumbnail of an image from the encrypted copy.
func prepare(in io.Reader, name string, want int64, dir string, maxSize int64) (Prepared, error) {
	p := Prepared{ID: ids.New[ids.File](), Key: make([]byte, attachcrypto.KeySize), Name: name}
	rand.Read(p.Key)
	p.MIME = mime.TypeByExtension(strings.ToLower(filepath.Ext(name)))
	if p.MIME == "" {
		p.MIME = "application/octet-stream"
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return Prepared{}, fmt.Errorf("attachment: %w", err)
	}
	err := writeAtomic(path(dir, p.ID), func(f *os.File) error {
		w, err := attachcrypto.NewWriter(p.Key, f)
		if err != nil {
			return err
		}
		n, err := io.Copy(w, io.LimitReader(in, maxSize+1))
		switch {
		case err != nil:
			return err
		case n > maxSize:
			return tooLarge(name, n, maxSize)
		case want >= 0 && n != want:
			return fmt.Errorf("%s changed while being read", name)
		}
		p.Size = n
		return w.Close()
	})
	if errors.Is(err, wire.ErrTooLarge) {
		return Prepared{}, err
	}
	if err != nil {
		return Prepared{}, fmt.Errorf("attachment: encrypt %s: %w", name, err)
	}
	if strings.HasPrefix(p.MIME, "image/") {
		r := &rewinder{open: func() (io.ReadCloser, error) { return Open(dir, p.ID, p.Key, p.Size) }}
		if th, err := thumbnail.Make(r); err == nil {
			p.Thumbnail = th.JPEG
		}
		r.Close()
	}
	return p, nil
}

// rewinder reads a file that can be opened again but not seeked (a decrypting
// reader) as an io.ReadSeeker that can go back to its start, which is all
// thumbnail.Make asks.
type rewinder struct {
	open func() (io.ReadCloser, error)
	r    io.ReadCloser
}

func (w *rewinder) Read(p []byte) (int, error) {
	if w.r == nil {
		r, err := w.open()
		if err != nil {
			return 0, err
		}
		w.r = r
	}
	return w.r.Read(p)
}

func (w *rewinder) Seek(offset int64, whence int) (int64, error) {
	if offset != 0 || whence != io.SeekStart {
		return 0, errors.New("attachment: only a seek to the start is possible")
	}
	return 0, w.Close()
}

func (w *rewinder) Close() error {
	if w.r == nil {
		return nil
	}
	err := w.r.Close()
	w.r = nil
	return err
}

// baseName is the last element of a name a browser or the clipboard gave,
// whichever separator it used; "file" when nothing usable is left.
func baseName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, strings.ToValidUTF8(name, ""))
	name = strings.TrimSpace(name)
	if name == "" || name == "." || name == ".." {
		return "file"
	}
	return name
}

// fileName is the name a message carries: n cut to MaxNameBytes on a character
// boundary.
func fileName(n string) string {
	for len(n) > MaxNameBytes {
		n = strings.ToValidUTF8(n[:MaxNameBytes], "")
	}
	return n
}

// writeAtomic writes a file through a temporary file, fsynced and renamed.
func writeAtomic(dst string, fill func(*os.File) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".part-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := fill(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), dst)
}

// Upload sends the prepared file's ciphertext from dir to the relay, resuming
// where an earlier attempt stopped; cancel with ctx.
func Upload(ctx context.Context, c *relayclient.Client, dir string, p Prepared, progress relayclient.Progress) error {
	f, err := os.Open(path(dir, p.ID))
	if err != nil {
		return fmt.Errorf("attachment: %w", err)
	}
	defer f.Close()
	return c.UploadBlob(ctx, p.ID, f, p.EncryptedSize(), progress)
}

// Download fetches file id (size plaintext bytes, under key) into dir, resuming a
// partial download, and verifies every chunk before writing it. On success the
// file is complete and [Open] reads it. Cancel with ctx; calling it again resumes.
func Download(ctx context.Context, c *relayclient.Client, dir string, id ids.File, key []byte, size int64, progress relayclient.Progress) error {
	if Have(dir, id) {
		return nil
	}
	ci, err := attachcrypto.New(key)
	if err != nil {
		return err
	}
	encSize, err := attachcrypto.EncryptedSize(size)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("attachment: %w", err)
	}
	part := path(dir, id) + ".part"
	f, err := os.OpenFile(part, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("attachment: %w", err)
	}
	defer f.Close()
	// Resume after the last whole chunk; a torn chunk at the end is fetched again.
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("attachment: %w", err)
	}
	from := int(fi.Size() / wire.BlobChunkSize)
	count := relayclient.BlobChunks(encSize)
	from = min(from, count)
	if err := f.Truncate(int64(from) * wire.BlobChunkSize); err != nil {
		return fmt.Errorf("attachment: %w", err)
	}
	plain := make([]byte, 0, attachcrypto.ChunkSize)
	err = c.DownloadBlob(ctx, id, encSize, from, func(i int, data []byte) error {
		if _, err := ci.OpenChunk(plain[:0], data, int64(i), i == count-1); err != nil {
			return fmt.Errorf("%w: chunk %d", ErrCorrupt, i)
		}
		_, err := f.WriteAt(data, int64(i)*wire.BlobChunkSize)
		return err
	}, progress)
	if err != nil {
		return fmt.Errorf("attachment: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("attachment: %w", err)
	}
	if err := os.Rename(part, path(dir, id)); err != nil {
		return fmt.Errorf("attachment: %w", err)
	}
	return nil
}

// Have reports whether file id is complete in dir.
func Have(dir string, id ids.File) bool {
	_, err := os.Stat(path(dir, id))
	return err == nil
}

// Open returns the plaintext of file id, decrypted as it is read; a change to the
// stored file makes reading fail with [ErrCorrupt] (wrapping
// attachcrypto.ErrAuthentication).
func Open(dir string, id ids.File, key []byte, size int64) (io.ReadCloser, error) {
	f, err := os.Open(path(dir, id))
	if err != nil {
		return nil, fmt.Errorf("attachment: %w", err)
	}
	r, err := attachcrypto.NewReader(key, f, size)
	if err != nil {
		f.Close()
		return nil, err
	}
	return readCloser{r, f}, nil
}

type readCloser struct {
	r *attachcrypto.Reader
	f *os.File
}

func (rc readCloser) Read(p []byte) (int, error) {
	n, err := rc.r.Read(p)
	if errors.Is(err, attachcrypto.ErrAuthentication) {
		err = fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	return n, err
}

func (rc readCloser) Close() error { return rc.f.Close() }

// Remove deletes file id (and any partial download) from dir.
func Remove(dir string, id ids.File) error {
	for _, p := range []string{path(dir, id), path(dir, id) + ".part"} {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("attachment: %w", err)
		}
	}
	return nil
}

// Incoming is a file being written into the attachments folder from its
// plaintext — a backup's import (package backup/vaultbackup) — encrypted
// under its key as it arrives, into a temporary file that becomes the file
// only by [Incoming.Commit], once complete: a reader never sees a file cut
// short, and an import that fails drops its files with [Incoming.Discard].
type Incoming struct {
	dir  string
	id   ids.File
	size int64 // plaintext bytes due
	n    int64 // plaintext bytes written
	f    *os.File
	w    *attachcrypto.Writer
	done bool // Finish succeeded
}

// ErrIncomplete: an [Incoming] file got more or fewer bytes than its size.
var ErrIncomplete = errors.New("attachment: file size does not match")

// Create starts writing file id of size plaintext bytes, encrypted under key,
// into dir. The caller writes exactly size bytes, then calls Finish and
// Commit, or Discard.
func Create(dir string, id ids.File, key []byte, size int64) (*Incoming, error) {
	if _, err := attachcrypto.ChunkCount(size); err != nil {
		return nil, fmt.Errorf("attachment: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("attachment: %w", err)
	}
	f, err := os.CreateTemp(dir, ".part-*")
	if err != nil {
		return nil, fmt.Errorf("attachment: %w", err)
	}
	w, err := attachcrypto.NewWriter(key, f)
	if err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	return &Incoming{dir: dir, id: id, size: size, f: f, w: w}, nil
}

// Write encrypts p into the file; more than its size is [ErrIncomplete].
func (in *Incoming) Write(p []byte) (int, error) {
	if in.n+int64(len(p)) > in.size {
		return 0, fmt.Errorf("%w: %s gets more than its %d bytes", ErrIncomplete, in.id, in.size)
	}
	n, err := in.w.Write(p)
	in.n += int64(n)
	return n, err
}

// Finish seals the last chunk and makes the temporary file durable; fewer
// bytes than the file's size is [ErrIncomplete].
func (in *Incoming) Finish() error {
	if in.n != in.size {
		return fmt.Errorf("%w: %s has %d of its %d bytes", ErrIncomplete, in.id, in.n, in.size)
	}
	if err := in.w.Close(); err != nil {
		return err
	}
	if err := in.f.Sync(); err != nil {
		return fmt.Errorf("attachment: %w", err)
	}
	if err := in.f.Close(); err != nil {
		return fmt.Errorf("attachment: %w", err)
	}
	in.w = nil // its buffers: an import holds its finished files until the commit
	in.done = true
	return nil
}

// Commit renames a finished file into place. A file the folder got meanwhile
// (a download) is kept, and this copy dropped: it reports false.
func (in *Incoming) Commit() (bool, error) {
	if !in.done {
		return false, fmt.Errorf("%w: %s is not finished", ErrIncomplete, in.id)
	}
	if Have(in.dir, in.id) {
		return false, in.Discard()
	}
	if err := os.Rename(in.f.Name(), path(in.dir, in.id)); err != nil {
		return false, fmt.Errorf("attachment: %w", err)
	}
	return true, nil
}

// Discard deletes the temporary file (after a Commit: nothing).
func (in *Incoming) Discard() error {
	in.f.Close()
	if err := os.Remove(in.f.Name()); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("attachment: %w", err)
	}
	return nil
}

// ID is the file's id.
func (in *Incoming) ID() ids.File { return in.id }

// Size is the file's plaintext size.
func (in *Incoming) Size() int64 { return in.size }
