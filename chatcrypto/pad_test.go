package chatcrypto

import (
	"bytes"
	"errors"
	"testing"
)

func TestPadBuckets(t *testing.T) {
	tests := []struct {
		n, want int
	}{
		{0, 256}, {1, 256}, {255, 256}, // 255 bytes + marker fill 256 exactly
		{256, 1024}, {1023, 1024},
		{1024, 4096}, {4095, 4096},
		{4096, 16384}, {16383, 16384},
		{16384, 64512}, {MaxContentSize, MaxPaddedSize},
	}
	for _, tt := range tests {
		content := bytes.Repeat([]byte{0xAB}, tt.n)
		p, err := pad(content)
		if err != nil {
			t.Fatalf("pad(%d bytes): %v", tt.n, err)
		}
		if len(p) != tt.want {
			t.Errorf("pad(%d bytes) = %d bytes, want %d", tt.n, len(p), tt.want)
		}
		back, err := unpad(p)
		if err != nil || !bytes.Equal(back, content) {
			t.Errorf("unpad(pad(%d bytes)) = %d bytes, %v", tt.n, len(back), err)
		}
	}
}

func TestPadLimit(t *testing.T) {
	if _, err := pad(make([]byte, MaxContentSize+1)); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("pad over the limit: err = %v, want ErrTooLarge", err)
	}
}

func TestPadContentEndingInZeros(t *testing.T) {
	// Content that ends in zero bytes or in the marker value must survive.
	for _, content := range [][]byte{{0, 0, 0}, {padMarker}, {padMarker, 0}, {1, padMarker, padMarker}} {
		p, _ := pad(content)
		back, err := unpad(p)
		if err != nil || !bytes.Equal(back, content) {
			t.Errorf("content %x: got %x, %v", content, back, err)
		}
	}
}

func TestUnpadRejects(t *testing.T) {
	good, _ := pad([]byte("hello"))
	overpadded := make([]byte, 1024) // 5 bytes of content belong in the 256 bucket
	copy(overpadded, "hello")
	overpadded[5] = padMarker
	tests := []struct {
		name string
		in   []byte
	}{
		{"empty", nil},
		{"not a bucket size", good[:255]},
		{"all zero", make([]byte, 256)},
		{"marker replaced", func() []byte { b := bytes.Clone(good); b[5] = 0x81; return b }()},
		{"non-zero after marker", func() []byte { b := bytes.Clone(good); b[255] = 1; return b }()},
		{"padded to a larger bucket than needed", overpadded},
		{"larger than every bucket", make([]byte, MaxPaddedSize*2)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := unpad(tt.in); !errors.Is(err, ErrMalformed) {
				t.Fatalf("unpad: err = %v, want ErrMalformed", err)
			}
		})
	}
}
