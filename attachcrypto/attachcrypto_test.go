package attachcrypto_test

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"os"
	"testing"

	"hush/attachcrypto"
)

func plaintext(size int) []byte {
	b := make([]byte, size)
	for i := range b {
		b[i] = byte(i % 251)
	}
	return b
}

func encrypt(t testing.TB, key, pt []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	w, err := attachcrypto.NewWriter(key, &out)
	if err != nil {
		t.Fatal(err)
	}
	// Odd write sizes cross chunk boundaries.
	for p := pt; len(p) > 0; {
		n := min(len(p), 7919)
		if _, err := w.Write(p[:n]); err != nil {
			t.Fatal(err)
		}
		p = p[n:]
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func decrypt(key, ct []byte, size int64) ([]byte, error) {
	r, err := attachcrypto.NewReader(key, bytes.NewReader(ct), size)
	if err != nil {
		return nil, err
	}
	return io.ReadAll(r)
}

// TestKnownAnswers checks vectors made by testdata/gen_kat.py with Python's
// cryptography package, an implementation independent of this one.
func TestKnownAnswers(t *testing.T) {
	raw, err := os.ReadFile("testdata/kat.json")
	if err != nil {
		t.Fatal(err)
	}
	var kat struct {
		Vectors []struct {
			Name             string
			Key              string
			Size             int
			CiphertextSHA256 string `json:"ciphertext_sha256"`
			CiphertextLen    int64  `json:"ciphertext_len"`
			Ciphertext       string
		}
	}
	if err := json.Unmarshal(raw, &kat); err != nil {
		t.Fatal(err)
	}
	if len(kat.Vectors) < 6 {
		t.Fatalf("only %d vectors", len(kat.Vectors))
	}
	for _, v := range kat.Vectors {
		t.Run(v.Name, func(t *testing.T) {
			t.Parallel()
			key, _ := hex.DecodeString(v.Key)
			pt := plaintext(v.Size)
			ct := encrypt(t, key, pt)
			sum := sha256.Sum256(ct)
			if got := hex.EncodeToString(sum[:]); got != v.CiphertextSHA256 {
				t.Fatalf("ciphertext sha256 %s, want %s", got, v.CiphertextSHA256)
			}
			if v.Ciphertext != "" && hex.EncodeToString(ct) != v.Ciphertext {
				t.Fatalf("ciphertext %x, want %s", ct, v.Ciphertext)
			}
			if n, _ := attachcrypto.EncryptedSize(int64(v.Size)); n != v.CiphertextLen {
				t.Fatalf("EncryptedSize %d, want %d", n, v.CiphertextLen)
			}
			got, err := decrypt(key, ct, int64(v.Size))
			if err != nil || !bytes.Equal(got, pt) {
				t.Fatalf("decrypt: %v (equal %v)", err, bytes.Equal(got, pt))
			}
		})
	}
}

func TestChunksMatchStream(t *testing.T) {
	key := make([]byte, attachcrypto.KeySize)
	rand.Read(key)
	size := int64(3*attachcrypto.ChunkSize + 5)
	pt := plaintext(int(size))
	stream := encrypt(t, key, pt)
	c, err := attachcrypto.New(key)
	if err != nil {
		t.Fatal(err)
	}
	count, _ := attachcrypto.ChunkCount(size)
	var joined []byte
	for i := range count {
		n, last, err := attachcrypto.PlainChunkLen(size, i)
		if err != nil {
			t.Fatal(err)
		}
		off := i * attachcrypto.ChunkSize
		joined, err = c.SealChunk(joined, pt[off:off+int64(n)], i, last)
		if err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(joined, stream) {
		t.Fatal("chunk-by-chunk sealing differs from the stream")
	}
}

// TestAttacks tampers with a valid ciphertext in every way the construction must
// catch, and checks each one is rejected with ErrAuthentication.
func TestAttacks(t *testing.T) {
	key := make([]byte, attachcrypto.KeySize)
	rand.Read(key)
	size := int64(3*attachcrypto.ChunkSize + 100)
	pt := plaintext(int(size))
	ct := encrypt(t, key, pt)
	if got, err := decrypt(key, ct, size); err != nil || !bytes.Equal(got, pt) {
		t.Fatalf("untampered: %v", err)
	}
	const e = attachcrypto.EncryptedChunkSize
	chunk := func(i int) []byte { return ct[i*e : min((i+1)*e, len(ct))] }
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	flip := func(off int) []byte {
		b := bytes.Clone(ct)
		b[off] ^= 0x01
		return b
	}
	otherKey := bytes.Clone(key)
	otherKey[0] ^= 1

	// A file of exactly two full chunks, to try passing its prefix off as a whole.
	two := plaintext(2 * attachcrypto.ChunkSize)
	twoCT := encrypt(t, key, two)

	for _, tc := range []struct {
		name string
		key  []byte
		ct   []byte
		size int64
	}{
		{"swap chunks 0 and 1", key, cat(chunk(1), chunk(0), chunk(2), chunk(3)), size},
		{"duplicate chunk 0", key, cat(chunk(0), chunk(0), chunk(2), chunk(3)), size},
		{"drop last chunk", key, cat(chunk(0), chunk(1), chunk(2)), size},
		{"drop last chunk, size says so", key, cat(chunk(0), chunk(1), chunk(2)), 3 * attachcrypto.ChunkSize},
		{"truncate by one byte", key, ct[:len(ct)-1], size},
		{"truncate inside the first chunk", key, ct[:100], size},
		{"append a byte", key, cat(ct, []byte{0}), size},
		{"flip a bit in chunk 0", key, flip(10), size},
		{"flip a bit in a tag", key, flip(e - 1), size},
		{"flip a bit in the last chunk", key, flip(len(ct) - 20), size},
		{"wrong key", otherKey, ct, size},
		{"first chunk of a longer file as a whole file", key, twoCT[:e], attachcrypto.ChunkSize},
		{"longer size than sealed", key, twoCT, 2*attachcrypto.ChunkSize + 1},
		{"empty input", key, nil, size},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := decrypt(tc.key, tc.ct, tc.size)
			if !errors.Is(err, attachcrypto.ErrAuthentication) {
				t.Fatalf("err = %v, want ErrAuthentication", err)
			}
			// No plaintext of a failing chunk may come out: only whole verified chunks.
			if len(got)%attachcrypto.ChunkSize != 0 {
				t.Fatalf("returned %d bytes, not a whole number of verified chunks", len(got))
			}
		})
	}

	c, _ := attachcrypto.New(key)
	// A chunk opened at another index or with the wrong last flag fails.
	if _, err := c.OpenChunk(nil, chunk(1), 2, false); !errors.Is(err, attachcrypto.ErrAuthentication) {
		t.Errorf("chunk 1 opened as chunk 2: %v", err)
	}
	if _, err := c.OpenChunk(nil, chunk(3), 3, false); !errors.Is(err, attachcrypto.ErrAuthentication) {
		t.Errorf("last chunk opened as not last: %v", err)
	}
	if _, err := c.OpenChunk(nil, chunk(1), 1, false); err != nil {
		t.Errorf("chunk 1 at its place: %v", err)
	}
}

func TestBadLengths(t *testing.T) {
	key := make([]byte, attachcrypto.KeySize)
	for _, n := range []int{0, 16, 31, 33} {
		if _, err := attachcrypto.New(make([]byte, n)); err == nil {
			t.Errorf("key of %d bytes accepted", n)
		}
	}
	c, _ := attachcrypto.New(key)
	full := make([]byte, attachcrypto.ChunkSize)
	for _, tc := range []struct {
		name  string
		pt    []byte
		index int64
		last  bool
	}{
		{"short chunk not last", full[:10], 0, false},
		{"oversized last chunk", make([]byte, attachcrypto.ChunkSize+1), 0, true},
		{"empty last chunk after others", nil, 1, true},
		{"negative index", full, -1, false},
		{"index past MaxChunks", full, attachcrypto.MaxChunks, false},
	} {
		if _, err := c.SealChunk(nil, tc.pt, tc.index, tc.last); !errors.Is(err, attachcrypto.ErrSize) {
			t.Errorf("%s: err = %v, want ErrSize", tc.name, err)
		}
	}
	for _, size := range []int64{-1, attachcrypto.MaxFileSize + 1} {
		if _, err := attachcrypto.ChunkCount(size); !errors.Is(err, attachcrypto.ErrSize) {
			t.Errorf("ChunkCount(%d): %v", size, err)
		}
		if _, err := attachcrypto.NewReader(key, bytes.NewReader(nil), size); err == nil {
			t.Errorf("NewReader size %d accepted", size)
		}
	}
	if _, _, err := attachcrypto.PlainChunkLen(10, 1); !errors.Is(err, attachcrypto.ErrSize) {
		t.Errorf("PlainChunkLen past the end: %v", err)
	}
	// Every truncation of a valid two-chunk file fails.
	pt := plaintext(attachcrypto.ChunkSize + 3)
	ct := encrypt(t, key, pt)
	for n := 0; n < len(ct); n += 997 {
		if _, err := decrypt(key, ct[:n], int64(len(pt))); !errors.Is(err, attachcrypto.ErrAuthentication) {
			t.Fatalf("truncation to %d bytes: %v", n, err)
		}
	}
	for n := len(ct) - 20; n < len(ct); n++ {
		if _, err := decrypt(key, ct[:n], int64(len(pt))); !errors.Is(err, attachcrypto.ErrAuthentication) {
			t.Fatalf("truncation to %d bytes: %v", n, err)
		}
	}
}

func TestWriterAfterClose(t *testing.T) {
	w, _ := attachcrypto.NewWriter(make([]byte, 32), io.Discard)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("x")); err == nil {
		t.Fatal("write after close accepted")
	}
}

// FuzzOpenChunk feeds arbitrary bytes to the chunk decoder and the stream reader:
// they must never panic, and must accept only what the key sealed.
func FuzzOpenChunk(f *testing.F) {
	key := make([]byte, attachcrypto.KeySize)
	c, _ := attachcrypto.New(key)
	valid, _ := c.SealChunk(nil, []byte("hello"), 0, true)
	f.Add(valid, int64(0), true, int64(5))
	f.Add(valid[:10], int64(0), true, int64(5))
	f.Add([]byte{}, int64(3), false, int64(0))
	f.Fuzz(func(t *testing.T, ct []byte, index int64, last bool, size int64) {
		pt, err := c.OpenChunk(nil, ct, index, last)
		if err == nil {
			// Whatever opened must reseal to the same bytes.
			again, err := c.SealChunk(nil, pt, index, last)
			if err != nil || !bytes.Equal(again, ct) {
				t.Fatalf("opened chunk does not reseal: %v", err)
			}
		}
		if size < 0 || size > 4*attachcrypto.ChunkSize {
			size %= 4 * attachcrypto.ChunkSize
			if size < 0 {
				size = -size
			}
		}
		r, err := attachcrypto.NewReader(key, bytes.NewReader(ct), size)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(r)
		if err == nil && int64(len(got)) != size {
			t.Fatalf("read %d bytes of a %d-byte file without error", len(got), size)
		}
	})
}
