package field

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"hush/internal/testutil"
	"os"
	"testing"
)

type katVector struct {
	Key       string `json:"key"`
	Nonce     string `json:"nonce"`
	Table     string `json:"table"`
	Column    string `json:"column"`
	Row       string `json:"row"`
	Version   byte   `json:"version"`
	Plaintext string `json:"plaintext"`
	AD        string `json:"ad"`
	Blob      string `json:"blob"`
}

// TestKnownAnswers compares with vectors from an independent implementation
// (vault/testdata/katgen.py, with its own HChaCha20).
func TestKnownAnswers(t *testing.T) {
	raw, err := os.ReadFile("testdata/kat.json")
	if err != nil {
		t.Fatal(err)
	}
	var vs []katVector
	if err := json.Unmarshal(raw, &vs); err != nil {
		t.Fatal(err)
	}
	if len(vs) == 0 {
		t.Fatal("no vectors")
	}
	for _, v := range vs {
		t.Run(v.Table, func(t *testing.T) {
			t.Parallel()
			s, err := NewSealer(testutil.Hex(t, v.Key))
			if err != nil {
				t.Fatal(err)
			}
			loc := Location{Table: v.Table, Column: v.Column, Row: testutil.Hex(t, v.Row)}
			ad, err := AssociatedData(loc, v.Version)
			if err != nil || !bytes.Equal(ad, testutil.Hex(t, v.AD)) {
				t.Errorf("AssociatedData = %x, %v; want %s", ad, err, v.AD)
			}
			blob, err := s.Seal(bytes.NewReader(testutil.Hex(t, v.Nonce)), loc, v.Version, testutil.Hex(t, v.Plaintext))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(blob, testutil.Hex(t, v.Blob)) {
				t.Errorf("Seal = %x, want %s", blob, v.Blob)
			}
			version, pt, err := s.Open(nil, loc, testutil.Hex(t, v.Blob))
			if err != nil || version != v.Version || !bytes.Equal(pt, testutil.Hex(t, v.Plaintext)) {
				t.Errorf("Open = %d, %x, %v", version, pt, err)
			}
		})
	}
}

func testSealer(t testing.TB) *Sealer {
	t.Helper()
	s, err := NewSealer(bytes.Repeat([]byte{9}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) { clear(p); return len(p), nil }

func TestOpenRejectsMovedBlob(t *testing.T) {
	s := testSealer(t)
	home := Location{Table: "messages", Column: "data", Row: []byte("row-1")}
	blob, err := s.Seal(zeroReader{}, home, 1, []byte("secret"))
	if err != nil {
		t.Fatal(err)
	}
	other, _ := NewSealer(bytes.Repeat([]byte{8}, 32))
	flip := func(i int) []byte { c := bytes.Clone(blob); c[i] ^= 0x80; return c }
	tests := []struct {
		name   string
		sealer *Sealer
		loc    Location
		blob   []byte
		want   error
	}{
		{"home", s, home, blob, nil},
		{"other row", s, Location{"messages", "data", []byte("row-2")}, blob, ErrOpen},
		{"other table", s, Location{"drafts", "data", []byte("row-1")}, blob, ErrOpen},
		{"other column", s, Location{"messages", "extra", []byte("row-1")}, blob, ErrOpen},
		{"ambiguous split", s, Location{"message", "sdata", []byte("row-1")}, blob, ErrOpen},
		{"other key", other, home, blob, ErrOpen},
		{"version byte changed", s, home, flip(0), ErrOpen},
		{"nonce changed", s, home, flip(5), ErrOpen},
		{"ciphertext changed", s, home, flip(1 + NonceSize), ErrOpen},
		{"tag changed", s, home, flip(len(blob) - 1), ErrOpen},
		{"version zeroed", s, home, append([]byte{0}, blob[1:]...), ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, pt, err := tt.sealer.Open(nil, tt.loc, tt.blob)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if tt.want == nil && string(pt) != "secret" {
				t.Fatalf("plaintext %q", pt)
			}
			if tt.want != nil && pt != nil {
				t.Fatalf("plaintext returned with error: %q", pt)
			}
		})
	}
}

func TestSealLimits(t *testing.T) {
	s := testSealer(t)
	loc := Location{Table: "t", Column: "c"}
	if _, err := s.Seal(zeroReader{}, loc, 1, make([]byte, MaxPlaintext)); err != nil {
		t.Errorf("MaxPlaintext rejected: %v", err)
	}
	if _, err := s.Seal(zeroReader{}, loc, 1, make([]byte, MaxPlaintext+1)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("MaxPlaintext+1: %v, want ErrTooLarge", err)
	}
	if _, err := s.Seal(zeroReader{}, loc, 0, nil); !errors.Is(err, ErrMalformed) {
		t.Errorf("version 0: %v", err)
	}
	if _, err := s.Seal(zeroReader{}, Location{Table: string(make([]byte, 1<<16))}, 1, nil); !errors.Is(err, ErrMalformed) {
		t.Errorf("64 KiB table name: %v", err)
	}
	if _, err := s.Seal(bytes.NewReader(nil), loc, 1, nil); err == nil {
		t.Error("failing nonce source accepted")
	}
	if _, _, _, err := Parse(make([]byte, MaxPlaintext+Overhead+1)); !errors.Is(err, ErrMalformed) {
		t.Errorf("oversized blob: %v", err)
	}
}

func TestSealUsesFreshNonces(t *testing.T) {
	s := testSealer(t)
	loc := Location{Table: "t", Column: "c", Row: []byte{1}}
	a, _ := s.Seal(rand.Reader, loc, 1, []byte("same"))
	b, _ := s.Seal(rand.Reader, loc, 1, []byte("same"))
	if bytes.Equal(a, b) {
		t.Fatal("two seals of the same value are identical")
	}
}

func TestOpenEveryTruncation(t *testing.T) {
	s := testSealer(t)
	loc := Location{Table: "t", Column: "c", Row: []byte{1}}
	blob, err := s.Seal(zeroReader{}, loc, 3, []byte("some record bytes"))
	if err != nil {
		t.Fatal(err)
	}
	for n := range len(blob) {
		_, _, err := s.Open(nil, loc, blob[:n])
		if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrOpen) {
			t.Errorf("Open(%d of %d bytes) err = %v", n, len(blob), err)
		}
	}
}

func FuzzOpen(f *testing.F) {
	s := testSealer(f)
	loc := Location{Table: "t", Column: "c", Row: []byte{1}}
	blob, err := s.Seal(zeroReader{}, loc, 1, []byte("seed"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(blob)
	f.Add(blob[:Overhead])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		version, nonce, ct, err := Parse(b)
		if err == nil && (version == 0 || len(nonce) != NonceSize || 1+len(nonce)+len(ct) != len(b)) {
			t.Fatalf("Parse accepted %x as v%d nonce %d ct %d", b, version, len(nonce), len(ct))
		}
		_, pt, err := s.Open(nil, loc, b)
		if err == nil && !bytes.Equal(b, blob) {
			t.Fatalf("forged blob opened to %q", pt)
		}
	})
}
