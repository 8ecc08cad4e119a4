package backup

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"testing"

	"filippo.io/age"
)

// DefaultWorkFactor is the scrypt work factor (log2 N, r = 8, p = 1) of a new
// backup: age's own default, about a second on a current machine
// (docs/PERFORMANCE.md has the time measured). It is paid once per export and
// once per import, and it is all that stands between a stolen backup and an
// offline guess of its passphrase.
const DefaultWorkFactor = 18

// Options tune [NewWriter]. The zero value is right for production.
type Options struct {
	// InsecureWorkFactor is for tests only: a scrypt work factor below
	// DefaultWorkFactor, so tests do not spend a second per backup. NewWriter
	// refuses it outside a test binary (testing.Testing).
	InsecureWorkFactor int
	// App names the writing program in the manifest ("hush 0.1.0").
	App string
}

// Writer writes one backup. It is not safe for concurrent use.
type Writer struct {
	dst      *countingWriter
	age      io.WriteCloser
	codec    codec
	manifest Manifest
	counts   Counts
	last     Kind
	files    fileTrack
	plain    uint64 // plaintext bytes written
	fileData int64  // bytes of files written (AttachmentData)
	frame    []byte
	body     bytes.Buffer // the record being framed, reused: one record at a time
	err      error        // sticky: the first failure ends the backup
	closed   bool
}

// NewWriter starts a backup on dst, encrypted with passphrase, and writes the
// magic and manifest m (its Version is set here). m.Counts must be exactly the
// records that will be written: [Writer.Close] checks it. dst receives
// ciphertext only; the caller closes it.
func NewWriter(dst io.Writer, passphrase string, m Manifest, opts Options) (*Writer, error) {
	m.Version = FormatVersion
	if m.App == "" {
		m.App = opts.App
	}
	if err := m.validate(); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	r, err := age.NewScryptRecipient(passphrase)
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	switch wf := opts.InsecureWorkFactor; {
	case wf == 0:
		r.SetWorkFactor(DefaultWorkFactor)
	case !testing.Testing():
		return nil, errors.New("backup: InsecureWorkFactor is only allowed in tests")
	case wf < 1 || wf > DefaultWorkFactor:
		return nil, fmt.Errorf("backup: InsecureWorkFactor %d", wf)
	default:
		r.SetWorkFactor(wf)
	}
	w := &Writer{dst: &countingWriter{w: dst}, codec: newCodec(), manifest: m, last: KindManifest}
	w.age, err = age.Encrypt(w.dst, r)
	if err != nil {
		return nil, fmt.Errorf("backup: encrypt: %w", err)
	}
	if err := w.write([]byte(magic)); err != nil {
		return nil, err
	}
	if err := w.writeFrame(KindManifest, &m); err != nil {
		return nil, err
	}
	return w, nil
}

// Write appends one record. Records must come in ascending [Kind] order (the
// order of the constants), an attachment whose file is Included followed by
// exactly that file's [AttachmentData] chunks; a record that does not validate
// or comes out of order is an error and ends the backup. Write does not keep
// rec: the caller may reuse its buffers once it returns.
func (w *Writer) Write(rec Record) error {
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return errors.New("backup: write after close")
	}
	k := rec.RecordKind()
	if rank(k) < rank(w.last) {
		w.err = fmt.Errorf("backup: record kind %d after kind %d", k, w.last)
		return w.err
	}
	if err := rec.validate(); err != nil {
		w.err = fmt.Errorf("backup: record kind %d: %w", k, err)
		return w.err
	}
	if err := w.files.check(rec); err != nil {
		w.err = fmt.Errorf("backup: %w", err)
		return w.err
	}
	if err := w.writeFrame(k, rec); err != nil {
		return err
	}
	w.last = k
	w.counts.AddRecord(rec)
	if d, ok := rec.(*AttachmentData); ok {
		w.fileData += int64(len(d.Data))
	}
	return nil
}

// Close writes the trailer and the last age chunk. It fails if the records
// written differ from the manifest's counts; the file is then no backup, and
// the caller must delete it.
func (w *Writer) Close() error {
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return nil
	}
	w.closed = true
	if err := w.files.end(); err != nil {
		w.err = fmt.Errorf("backup: %w", err)
		return w.err
	}
	if w.counts != w.manifest.Counts {
		w.err = fmt.Errorf("backup: wrote %+v records, manifest says %+v", w.counts, w.manifest.Counts)
		return w.err
	}
	if err := w.writeFrame(KindTrailer, &Trailer{Counts: w.counts, Bytes: w.plain}); err != nil {
		return err
	}
	w.body.Reset()
	spare := w.body.AvailableBuffer()
	clear(spare[:cap(spare)]) // the last records' plaintext
	if err := w.age.Close(); err != nil {
		w.err = fmt.Errorf("backup: finish encryption: %w", err)
		return w.err
	}
	return nil
}

// Bytes is how many bytes of ciphertext have reached dst so far, for progress.
func (w *Writer) Bytes() int64 { return w.dst.n }

// Records is how many records have been written so far, for progress.
func (w *Writer) Records() uint64 { return w.counts.Total() }

// FileBytes is how many bytes of files have been written so far, of the
// manifest's Counts.FileBytes, for progress.
func (w *Writer) FileBytes() int64 { return w.fileData }

func (w *Writer) writeFrame(k Kind, v any) error {
	w.body.Reset()
	if err := w.codec.enc.MarshalToBuffer(v, &w.body); err != nil {
		w.err = fmt.Errorf("backup: encode record kind %d: %w", k, err)
		return w.err
	}
	body := w.body.Bytes()
	if len(body) > MaxRecordSize {
		w.err = fmt.Errorf("backup: record kind %d of %d bytes exceeds %d", k, len(body), MaxRecordSize)
		return w.err
	}
	w.frame = append(w.frame[:0], byte(k))
	w.frame = binary.BigEndian.AppendUint32(w.frame, uint32(len(body)))
	if err := w.write(w.frame); err != nil {
		return err
	}
	return w.write(body)
}

func (w *Writer) write(b []byte) error {
	// age buffers a whole chunk (64 KiB) itself: no buffer of ours in between.
	if _, err := w.age.Write(b); err != nil {
		w.err = fmt.Errorf("backup: write: %w", err)
		return w.err
	}
	w.plain += uint64(len(b))
	return nil
}

// countingWriter counts what passes through it.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
