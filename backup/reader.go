package backup

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"

	"filippo.io/age"
)

// MaxWorkFactor is the largest scrypt work factor a reader accepts (age's own
// limit): a file asking for more would make opening it cost minutes and GiBs
// before the passphrase is even checked.
const MaxWorkFactor = 22

// Reader reads one backup, record by record. It is not safe for concurrent
// use.
type Reader struct {
	src      *countingReader
	plain    *bufio.Reader
	codec    codec
	manifest Manifest
	counts   Counts
	last     Kind
	files    fileTrack
	consumed uint64 // plaintext bytes read before the current frame
	fileData int64  // bytes of files read (AttachmentData)
	body     []byte
	err      error // sticky
	done     bool  // the trailer was read and checked
}

// NewReader opens a backup: it checks the age header against passphrase,
// decrypts the start of the plaintext and reads the manifest. Errors wrap
// [ErrWrongPassphrase], [ErrNotBackup], [ErrCorrupt] or [ErrNewerFormat].
// Nothing after the manifest is trusted until [Reader.Next] has returned
// io.EOF: a caller that must not act on a damaged file reads it to the end
// first, or undoes what it did (backup/vaultbackup imports in one
// transaction).
func NewReader(src io.Reader, passphrase string) (*Reader, error) {
	r := &Reader{src: &countingReader{r: src}, codec: newCodec(), last: KindManifest}
	in := bufio.NewReaderSize(r.src, 64<<10)
	if head, err := in.Peek(len(ageMagic)); err != nil || string(head) != ageMagic {
		return nil, fmt.Errorf("%w: not an age file", ErrNotBackup)
	}
	id, err := age.NewScryptIdentity(passphrase)
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	id.SetMaxWorkFactor(MaxWorkFactor)
	dec, err := age.Decrypt(in, id)
	if err != nil {
		return nil, headerError(err)
	}
	return r.open(&authReader{r: dec})
}

// openPlain reads a plaintext archive without age around it (ParseManifest,
// tests).
func openPlain(plain io.Reader) (*Reader, error) {
	r := &Reader{src: &countingReader{r: bytes.NewReader(nil)}, codec: newCodec(), last: KindManifest}
	return r.open(plain)
}

// open reads the magic and the manifest from the decrypted plaintext.
func (r *Reader) open(plain io.Reader) (*Reader, error) {
	r.plain = bufio.NewReaderSize(plain, 64<<10)
	head := make([]byte, len(magic))
	switch _, err := io.ReadFull(r.plain, head); {
	case errors.Is(err, ErrCorrupt):
		return nil, err
	case err != nil, string(head) != magic:
		// age authenticated this plaintext: it is simply something else.
		return nil, fmt.Errorf("%w: the file decrypts, but not to a Hush backup", ErrNotBackup)
	}
	r.consumed = uint64(len(magic))
	k, body, err := r.frame()
	if err != nil {
		return nil, err
	}
	if k != KindManifest {
		return nil, fmt.Errorf("%w: first record is kind %d, not the manifest", ErrCorrupt, k)
	}
	var v versionOnly
	if err := r.codec.peek.Unmarshal(body, &v); err != nil {
		return nil, fmt.Errorf("%w: manifest: %v", ErrCorrupt, err)
	}
	switch {
	case v.Version > FormatVersion:
		return nil, fmt.Errorf("%w: format version %d, this build reads up to %d", ErrNewerFormat, v.Version, FormatVersion)
	case v.Version == 0:
		return nil, fmt.Errorf("%w: format version 0", ErrCorrupt)
	}
	if err := r.codec.dec.Unmarshal(body, &r.manifest); err != nil {
		return nil, fmt.Errorf("%w: manifest: %v", ErrCorrupt, err)
	}
	if err := r.manifest.validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	return r, nil
}

// headerError sorts age's refusals of a header into the sentinels.
func headerError(err error) error {
	var nomatch *age.NoIdentityMatchError
	if errors.As(err, &nomatch) {
		if slices.Contains(nomatch.StanzaTypes, "scrypt") {
			return fmt.Errorf("%w (%v)", ErrWrongPassphrase, err)
		}
		return fmt.Errorf("%w: encrypted to keys, not to a passphrase", ErrNotBackup)
	}
	// A header that does not parse or whose MAC fails, or a work factor above
	// MaxWorkFactor: the file starts as an age file but is not one we open.
	return fmt.Errorf("%w: age header: %v", ErrCorrupt, err)
}

// Manifest is the backup's manifest, as read by [NewReader].
func (r *Reader) Manifest() Manifest { return r.manifest }

// Bytes is how many bytes of the file have been read so far, for progress
// (with read-ahead, up to 128 KiB more than the records returned).
func (r *Reader) Bytes() int64 { return r.src.n }

// Records is how many records [Reader.Next] has returned, AttachmentData
// aside.
func (r *Reader) Records() uint64 { return r.counts.Total() }

// FileBytes is how many bytes of files [Reader.Next] has returned, of the
// manifest's Counts.FileBytes, for progress.
func (r *Reader) FileBytes() int64 { return r.fileData }

// Next returns the next record, or io.EOF once the trailer has been read and
// matched the records and bytes before it, and the file ends there. Any other
// error wraps [ErrCorrupt] and is returned again by every later call.
func (r *Reader) Next() (Record, error) {
	if r.done {
		return nil, io.EOF
	}
	if r.err != nil {
		return nil, r.err
	}
	rec, err := r.next()
	if err != nil && err != io.EOF {
		r.err = err
	}
	return rec, err
}

func (r *Reader) next() (Record, error) {
	start := r.consumed
	k, body, err := r.frame()
	if err != nil {
		return nil, err
	}
	if rank(k) < rank(r.last) || k == KindManifest {
		return nil, fmt.Errorf("%w: record kind %d after kind %d", ErrCorrupt, k, r.last)
	}
	r.last = k
	if k == KindTrailer {
		if err := r.files.end(); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
		}
		return nil, r.trailer(body, start)
	}
	rec := newRecord(k)
	if rec == nil || r.manifest.Version < recordSince(k) {
		return nil, fmt.Errorf("%w: unknown record kind %d in a version %d backup", ErrCorrupt, k, r.manifest.Version)
	}
	if err := r.codec.dec.Unmarshal(body, rec); err != nil {
		return nil, fmt.Errorf("%w: record kind %d: %v", ErrCorrupt, k, err)
	}
	if err := rec.validate(); err != nil {
		return nil, fmt.Errorf("%w: record kind %d: %v", ErrCorrupt, k, err)
	}
	if m, ok := rec.(*Message); ok && m.ExpiresAt != 0 && r.manifest.Version < expirySince {
		return nil, fmt.Errorf("%w: a message expiry in a version %d backup", ErrCorrupt, r.manifest.Version)
	}
	if a, ok := rec.(*Attachment); ok && a.Included && r.manifest.Version < filesSince {
		return nil, fmt.Errorf("%w: an included file in a version %d backup", ErrCorrupt, r.manifest.Version)
	}
	if err := r.files.check(rec); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	r.counts.AddRecord(rec)
	if d, ok := rec.(*AttachmentData); ok {
		r.fileData += int64(len(d.Data))
	}
	if r.counts.Accounts > 1 {
		return nil, fmt.Errorf("%w: more than one account", ErrCorrupt)
	}
	return rec, nil
}

func (r *Reader) trailer(body []byte, start uint64) error {
	var t Trailer
	if err := r.codec.dec.Unmarshal(body, &t); err != nil {
		return fmt.Errorf("%w: trailer: %v", ErrCorrupt, err)
	}
	switch {
	case t.Bytes != start:
		return fmt.Errorf("%w: trailer says %d bytes came before it, read %d", ErrCorrupt, t.Bytes, start)
	case t.Counts != r.counts:
		return fmt.Errorf("%w: trailer counts %+v, read %+v", ErrCorrupt, t.Counts, r.counts)
	case r.manifest.Counts != r.counts:
		return fmt.Errorf("%w: manifest counts %+v, read %+v", ErrCorrupt, r.manifest.Counts, r.counts)
	}
	switch _, err := r.plain.ReadByte(); {
	case err == nil:
		return fmt.Errorf("%w: data after the trailer", ErrCorrupt)
	case err != io.EOF:
		return err // wraps ErrCorrupt (authReader)
	}
	r.done = true
	return io.EOF
}

// frame reads one frame's kind and body. The body is valid until the next
// call. A file that ends between frames has lost its trailer: ErrCorrupt.
func (r *Reader) frame() (Kind, []byte, error) {
	var hdr [frameHeaderSize]byte
	if _, err := io.ReadFull(r.plain, hdr[:]); err != nil {
		return 0, nil, shortRead("record header", err)
	}
	n := binary.BigEndian.Uint32(hdr[1:])
	if n > MaxRecordSize {
		return 0, nil, fmt.Errorf("%w: record of %d bytes exceeds %d", ErrCorrupt, n, MaxRecordSize)
	}
	if cap(r.body) < int(n) {
		r.body = make([]byte, n)
	}
	r.body = r.body[:n]
	if _, err := io.ReadFull(r.plain, r.body); err != nil {
		return 0, nil, shortRead("record", err)
	}
	r.consumed += frameHeaderSize + uint64(n)
	return Kind(hdr[0]), r.body, nil
}

func shortRead(what string, err error) error {
	if errors.Is(err, ErrCorrupt) {
		return err
	}
	return fmt.Errorf("%w: the file ends inside a %s, before the trailer", ErrCorrupt, what)
}

// authReader marks every failure of age's payload stream (a chunk that does not
// authenticate, a stream cut short) as ErrCorrupt, so that a clean io.EOF
// always means the authenticated end of the plaintext.
type authReader struct{ r io.Reader }

func (a *authReader) Read(p []byte) (int, error) {
	n, err := a.r.Read(p)
	if err != nil && err != io.EOF {
		err = fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	return n, err
}

// countingReader counts what passes through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
