package vaultbackup

import (
	"context"
	"errors"
	"fmt"
	"io"

	"hush/attachment"
	"hush/backup"
	"hush/ids"
	"hush/vault"
)

// Attachment files in a backup (format version 4): an export decrypts each
// file on this device into AttachmentData records after its attachment; an
// import encrypts them again into the attachments folder. Both hold at most a
// few chunks of a file in memory, whatever its size.

// chunkBuffers is how many chunk buffers an export has in flight between the
// vault's reader and the backup's writer: one being filled, one being written,
// one waiting, so memory stays at a few MiB however large the files.
const chunkBuffers = 3

// exportFiles decides which files go into a backup — those complete in dir,
// decided once by the counting pass so that both passes agree — and streams
// them.
type exportFiles struct {
	dir  string            // the attachments folder; "" leaves every file to the relay
	in   map[ids.File]bool // the counting pass's decisions
	free chan []byte       // chunk buffers the writer is done with
	made int
	stop <-chan struct{} // closed when the writer failed
}

func newExportFiles(dir string) *exportFiles {
	return &exportFiles{dir: dir, in: map[ids.File]bool{}, free: make(chan []byte, chunkBuffers)}
}

// decide says whether file id goes into the backup: complete on this device.
// The counting pass decides; the writing pass asks again and gets the same
// answer.
func (f *exportFiles) decide(id ids.File, counting bool) bool {
	if counting {
		f.in[id] = f.dir != "" && attachment.Have(f.dir, id)
	}
	return f.in[id]
}

// stream gives out the plaintext of a's file in chunks, decrypted as read.
func (f *exportFiles) stream(ctx context.Context, a vault.Attachment, out func(backup.Record) error) error {
	r, err := attachment.Open(f.dir, a.ID, a.FileKey, a.Size)
	if err != nil {
		return fmt.Errorf("file %s (%q): %w", a.ID, a.Name, err)
	}
	defer r.Close()
	for off := int64(0); off < a.Size; {
		buf, err := f.get(ctx)
		if err != nil {
			return err
		}
		n := min(backup.FileChunkSize, a.Size-off)
		if _, err := io.ReadFull(r, buf[:n]); err != nil {
			f.put(buf)
			return fmt.Errorf("file %s (%q): %w", a.ID, a.Name, err)
		}
		if err := out(&backup.AttachmentData{FileID: a.ID, Offset: off, Data: buf[:n]}); err != nil {
			f.put(buf)
			return err
		}
		off += n
	}
	return nil
}

// get returns a free chunk buffer, waiting for the writer to give one back
// once chunkBuffers are in flight.
func (f *exportFiles) get(ctx context.Context) ([]byte, error) {
	select {
	case b := <-f.free:
		return b, nil
	default:
	}
	if f.made < chunkBuffers {
		f.made++
		return make([]byte, backup.FileChunkSize), nil
	}
	select {
	case b := <-f.free:
		return b, nil
	case <-f.stop:
		return nil, errors.New("the writer stopped")
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// put gives a chunk buffer back once its record is written (or dropped).
func (f *exportFiles) put(b []byte) {
	select {
	case f.free <- b[:cap(b)]:
	default:
	}
}

// importFiles writes the files of a backup into the attachments folder: each
// into a temporary file, finished once complete, and renamed into place only
// by commit, after the import's transaction committed; discard drops them all,
// so an import that fails or is cancelled leaves no file of its own.
type importFiles struct {
	dir      string               // the attachments folder; "" drops the files
	current  *attachment.Incoming // the file being written, nil if none
	finished []*attachment.Incoming
}

// start begins the file of rec, whose row in tx is stored (the vault's own
// wins): written unless it is complete in the folder already, and only under
// the row's key and size.
func (f *importFiles) start(tx *vault.Tx, rec *backup.Attachment) error {
	if f.dir == "" || !rec.Included || attachment.Have(f.dir, rec.ID) {
		return nil
	}
	stored, err := tx.Attachment(rec.ID)
	if err != nil {
		return err
	}
	if stored.Size != rec.Size {
		return nil // not this file: the relay still serves the vault's
	}
	in, err := attachment.Create(f.dir, rec.ID, stored.FileKey, stored.Size)
	if err != nil {
		return err
	}
	f.current = in
	if rec.Size == 0 {
		return f.finish()
	}
	return nil
}

// write adds a chunk to the file being written (the reader checked that it
// is the next one of the file due); the last one finishes the file.
func (f *importFiles) write(d *backup.AttachmentData, size int64) error {
	if f.current == nil {
		return nil
	}
	if _, err := f.current.Write(d.Data); err != nil {
		return err
	}
	if d.Offset+int64(len(d.Data)) == size {
		return f.finish()
	}
	return nil
}

func (f *importFiles) finish() error {
	in := f.current
	f.current = nil
	f.finished = append(f.finished, in)
	return in.Finish()
}

// commit renames every finished file into place and counts those that were
// new into added.
func (f *importFiles) commit(added *backup.Counts) error {
	var errs []error
	for _, in := range f.finished {
		ok, err := in.Commit()
		if err != nil {
			in.Discard()
			errs = append(errs, err)
			continue
		}
		if ok {
			added.Files++
			added.FileBytes += uint64(in.Size())
		}
	}
	f.finished = nil
	return errors.Join(errs...)
}

// discard deletes every file this import wrote.
func (f *importFiles) discard() {
	if f.current != nil {
		f.finished = append(f.finished, f.current)
		f.current = nil
	}
	for _, in := range f.finished {
		in.Discard()
	}
	f.finished = nil
}
