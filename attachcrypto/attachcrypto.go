// Package attachcrypto encrypts attachment files: one file under its own random
// 32-byte key, cut into fixed-size chunks that are sealed, uploaded, downloaded and
// resumed independently.
//
// The construction is the STREAM online authenticated encryption of Hoang,
// Reyhanitabar, Rogaway and Vizár ("Online Authenticated-Encryption and its
// Nonce-Reuse Misuse-Resistance", CRYPTO 2015) as filippo.io/age instantiates it
// (age-encryption.org/v1, "Payload"): ChaCha20-Poly1305 (RFC 8439) over
// [ChunkSize]-byte plaintext chunks, each under the 12-byte nonce made of the chunk's
// index as an 11-byte big-endian counter followed by one byte that is 0x01 for the
// last chunk and 0x00 otherwise. Because every chunk's position and the end of the
// file are bound into its nonce, reordering, dropping, duplicating or truncating
// chunks makes decryption fail instead of yielding a different file. Every chunk
// but the last is full; the last holds 1 to [ChunkSize] bytes, or 0 bytes when the
// file is empty (then it is the only chunk).
//
// Hush differs from age in one place: the payload key is derived from the file key
// with HKDF-SHA-256 under the label [payloadKeyLabel] and no salt, since the file
// key is random, used for one file only, and travels only inside an end-to-end
// encrypted message (chatcrypto.Attachment). docs/PROTOCOL.md ("Attachments")
// describes where the chunks go.
//
// Most callers need [NewWriter] (encrypt a stream) and [NewReader] (decrypt one);
// uploads and downloads address single chunks with [Cipher.SealChunk] and
// [Cipher.OpenChunk].
package attachcrypto

import (
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"golang.org/x/crypto/chacha20poly1305"
)

const (
	// KeySize is the size of a file key.
	KeySize = 32
	// ChunkSize is the plaintext size of every chunk but the last: 64 KiB, as in age.
	ChunkSize = 64 << 10
	// Overhead is what sealing adds to each chunk: the Poly1305 tag.
	Overhead = chacha20poly1305.Overhead
	// EncryptedChunkSize is the ciphertext size of every chunk but the last.
	EncryptedChunkSize = ChunkSize + Overhead
	// MaxChunks caps the chunks of one file. The 11-byte counter allows far more;
	// this bound (a 256 TiB file) keeps every size computation inside int64.
	MaxChunks = 1 << 32
	// MaxFileSize is the largest plaintext this package encrypts.
	MaxFileSize = MaxChunks * ChunkSize
)

// payloadKeyLabel is the HKDF info that turns a file key into its payload key.
const payloadKeyLabel = "hush/v1/attachment-payload"

// lastChunkFlag marks the last chunk in the final byte of the nonce.
const lastChunkFlag = 0x01

// Errors callers branch on.
var (
	// ErrAuthentication: a chunk did not decrypt: wrong key, corrupted, reordered,
	// truncated or extended data.
	ErrAuthentication = errors.New("attachcrypto: chunk failed authentication")
	// ErrSize: a size or chunk index is out of range for the file.
	ErrSize = errors.New("attachcrypto: size out of range")
)

// Cipher seals and opens the chunks of one file. It is safe for concurrent use.
type Cipher struct {
	aead interface {
		Seal(dst, nonce, plaintext, additionalData []byte) []byte
		Open(dst, nonce, ciphertext, additionalData []byte) ([]byte, error)
	}
}

// New returns the cipher of the file whose key is key ([KeySize] bytes).
func New(key []byte) (*Cipher, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("attachcrypto: key must be %d bytes, got %d", KeySize, len(key))
	}
	pk, err := hkdf.Key(sha256.New, key, nil, payloadKeyLabel, chacha20poly1305.KeySize)
	if err != nil {
		return nil, fmt.Errorf("attachcrypto: derive payload key: %w", err)
	}
	aead, err := chacha20poly1305.New(pk)
	clear(pk)
	if err != nil {
		return nil, fmt.Errorf("attachcrypto: %w", err)
	}
	return &Cipher{aead: aead}, nil
}

// ChunkCount returns how many chunks a plaintext of size bytes takes: at least one.
func ChunkCount(size int64) (int64, error) {
	if size < 0 || size > MaxFileSize {
		return 0, fmt.Errorf("%w: file of %d bytes", ErrSize, size)
	}
	if size == 0 {
		return 1, nil
	}
	return (size + ChunkSize - 1) / ChunkSize, nil
}

// EncryptedSize returns the ciphertext size of a plaintext of size bytes.
func EncryptedSize(size int64) (int64, error) {
	n, err := ChunkCount(size)
	if err != nil {
		return 0, err
	}
	return size + n*Overhead, nil
}

// PlainChunkLen returns the plaintext length of chunk index of a file of size
// bytes, and whether it is the last chunk.
func PlainChunkLen(size, index int64) (n int, last bool, err error) {
	count, err := ChunkCount(size)
	if err != nil {
		return 0, false, err
	}
	if index < 0 || index >= count {
		return 0, false, fmt.Errorf("%w: chunk %d of %d", ErrSize, index, count)
	}
	if index < count-1 {
		return ChunkSize, false, nil
	}
	return int(size - index*ChunkSize), true, nil
}

func nonce(index int64, last bool) [chacha20poly1305.NonceSize]byte {
	var n [chacha20poly1305.NonceSize]byte
	// The counter's top 3 of 11 bytes stay zero: index < MaxChunks.
	binary.BigEndian.PutUint64(n[3:11], uint64(index))
	if last {
		n[11] = lastChunkFlag
	}
	return n
}

func checkIndex(index int64) error {
	if index < 0 || index >= MaxChunks {
		return fmt.Errorf("%w: chunk index %d", ErrSize, index)
	}
	return nil
}

// SealChunk appends to dst the encryption of plaintext as chunk index, the file's
// last chunk if last is set. A chunk that is not last must hold exactly
// [ChunkSize] bytes; the last holds at most that (0 only if index is 0).
func (c *Cipher) SealChunk(dst, plaintext []byte, index int64, last bool) ([]byte, error) {
	if err := checkIndex(index); err != nil {
		return nil, err
	}
	switch {
	case !last && len(plaintext) != ChunkSize:
		return nil, fmt.Errorf("%w: chunk %d is not last and holds %d bytes", ErrSize, index, len(plaintext))
	case len(plaintext) > ChunkSize:
		return nil, fmt.Errorf("%w: chunk of %d bytes", ErrSize, len(plaintext))
	case last && len(plaintext) == 0 && index != 0:
		return nil, fmt.Errorf("%w: empty last chunk %d", ErrSize, index)
	}
	n := nonce(index, last)
	return c.aead.Seal(dst, n[:], plaintext, nil), nil
}

// OpenChunk appends to dst the plaintext of ciphertext, chunk index of its file and
// the last one if last is set. It returns [ErrAuthentication] if the chunk is not
// exactly that chunk of a file sealed under this key.
func (c *Cipher) OpenChunk(dst, ciphertext []byte, index int64, last bool) ([]byte, error) {
	if err := checkIndex(index); err != nil {
		return nil, err
	}
	switch {
	case len(ciphertext) < Overhead || len(ciphertext) > EncryptedChunkSize:
		return nil, fmt.Errorf("%w: chunk %d of %d bytes", ErrAuthentication, index, len(ciphertext))
	case !last && len(ciphertext) != EncryptedChunkSize:
		return nil, fmt.Errorf("%w: short chunk %d is not the last", ErrAuthentication, index)
	case last && len(ciphertext) == Overhead && index != 0:
		return nil, fmt.Errorf("%w: empty last chunk %d", ErrAuthentication, index)
	}
	n := nonce(index, last)
	out, err := c.aead.Open(dst, n[:], ciphertext, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: chunk %d", ErrAuthentication, index)
	}
	return out, nil
}

// Writer encrypts a stream. Close seals the last chunk; without it the output is
// truncated and will not decrypt.
type Writer struct {
	c     *Cipher
	w     io.Writer
	buf   []byte // plaintext of the pending chunk, ChunkSize capacity
	out   []byte // ciphertext scratch
	index int64
	err   error
}

// NewWriter returns a writer that encrypts what is written to it under key and
// writes the chunks to w, holding at most one chunk in memory.
func NewWriter(key []byte, w io.Writer) (*Writer, error) {
	c, err := New(key)
	if err != nil {
		return nil, err
	}
	return &Writer{c: c, w: w, buf: make([]byte, 0, ChunkSize), out: make([]byte, 0, EncryptedChunkSize)}, nil
}

// Write encrypts p. A full chunk is sealed only once more data follows, since
// whether it is last is not known before.
func (w *Writer) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	total := len(p)
	for len(p) > 0 {
		if len(w.buf) == ChunkSize {
			if err := w.flush(false); err != nil {
				return total - len(p), err
			}
		}
		n := copy(w.buf[len(w.buf):ChunkSize], p)
		w.buf = w.buf[:len(w.buf)+n]
		p = p[n:]
	}
	return total, nil
}

func (w *Writer) flush(last bool) error {
	if w.index >= MaxChunks-1 && !last {
		w.err = fmt.Errorf("%w: file exceeds %d bytes", ErrSize, int64(MaxFileSize))
		return w.err
	}
	ct, err := w.c.SealChunk(w.out[:0], w.buf, w.index, last)
	if err != nil {
		w.err = err
		return err
	}
	if _, err := w.w.Write(ct); err != nil {
		w.err = fmt.Errorf("attachcrypto: write chunk %d: %w", w.index, err)
		return w.err
	}
	w.index++
	w.buf = w.buf[:0]
	return nil
}

// Close seals the last chunk. It does not close the underlying writer.
func (w *Writer) Close() error {
	if w.err != nil {
		return w.err
	}
	err := w.flush(true)
	if err == nil {
		w.err = errors.New("attachcrypto: writer closed")
	}
	return err
}

// Reader decrypts a stream produced by [Writer] for a plaintext of a known size.
type Reader struct {
	c     *Cipher
	r     io.Reader
	size  int64
	count int64
	index int64
	ct    []byte
	plain []byte // unread plaintext of the current chunk
	buf   []byte
	err   error
}

// NewReader returns a reader of the plaintext of the file of size bytes (the size
// the message announced) read encrypted from r. It reads exactly the file's
// ciphertext and fails with [ErrAuthentication] if anything was changed, cut or
// appended; no plaintext of a chunk is returned before the chunk verified.
func NewReader(key []byte, r io.Reader, size int64) (*Reader, error) {
	c, err := New(key)
	if err != nil {
		return nil, err
	}
	count, err := ChunkCount(size)
	if err != nil {
		return nil, err
	}
	return &Reader{c: c, r: r, size: size, count: count, ct: make([]byte, EncryptedChunkSize+1), buf: make([]byte, 0, ChunkSize)}, nil
}

// Read implements io.Reader.
func (r *Reader) Read(p []byte) (int, error) {
	for len(r.plain) == 0 {
		if r.err != nil {
			return 0, r.err
		}
		r.err = r.next()
	}
	n := copy(p, r.plain)
	r.plain = r.plain[n:]
	return n, nil
}

func (r *Reader) next() error {
	if r.index == r.count {
		return io.EOF
	}
	n, last, err := PlainChunkLen(r.size, r.index)
	if err != nil {
		return err
	}
	want := n + Overhead
	// On the last chunk, ask for one byte more: anything appended is an attack.
	read := want
	if last {
		read++
	}
	got, err := io.ReadFull(r.r, r.ct[:read])
	switch {
	case last && errors.Is(err, io.ErrUnexpectedEOF) && got == want:
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("%w: truncated at chunk %d", ErrAuthentication, r.index)
	case err != nil:
		return fmt.Errorf("attachcrypto: read chunk %d: %w", r.index, err)
	case last:
		return fmt.Errorf("%w: data after the last chunk", ErrAuthentication)
	}
	pt, err := r.c.OpenChunk(r.buf[:0], r.ct[:want], r.index, last)
	if err != nil {
		return err
	}
	r.index++
	r.plain = pt
	if len(pt) == 0 {
		return io.EOF
	}
	return nil
}
