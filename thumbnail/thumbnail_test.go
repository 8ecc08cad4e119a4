package thumbnail_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"testing"

	"hush/thumbnail"
)

// photo returns a w×h image with gradients and noise-like detail, which JPEG
// compresses about as badly as a real photo.
func photo(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			v := uint32(x*7919+y*104729) ^ uint32(x*y)
			img.Set(x, y, color.RGBA{byte(x * 255 / w), byte(y * 255 / h), byte(v >> 3), 255})
		}
	}
	return img
}

func encodeJPEG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestMake(t *testing.T) {
	var pngBuf bytes.Buffer
	if err := png.Encode(&pngBuf, photo(100, 40)); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		data []byte
		w, h int
	}{
		{"landscape jpeg", encodeJPEG(t, photo(1600, 1200)), 320, 240},
		{"portrait jpeg", encodeJPEG(t, photo(600, 1800)), 106, 320},
		{"small png keeps its size", pngBuf.Bytes(), 100, 40},
		{"thin strip", encodeJPEG(t, photo(4000, 3)), 320, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			th, err := thumbnail.Make(bytes.NewReader(tc.data))
			if err != nil {
				t.Fatal(err)
			}
			if th.Width != tc.w || th.Height != tc.h {
				t.Errorf("size %d×%d, want %d×%d", th.Width, th.Height, tc.w, tc.h)
			}
			if len(th.JPEG) > thumbnail.MaxBytes {
				t.Errorf("thumbnail of %d bytes", len(th.JPEG))
			}
			img, err := jpeg.Decode(bytes.NewReader(th.JPEG))
			if err != nil || img.Bounds().Dx() != tc.w || img.Bounds().Dy() != tc.h {
				t.Errorf("thumbnail does not decode to its size: %v", err)
			}
		})
	}
}

func TestRefuses(t *testing.T) {
	if _, err := thumbnail.Make(bytes.NewReader([]byte("not an image at all"))); !errors.Is(err, thumbnail.ErrNotImage) {
		t.Errorf("text: %v", err)
	}
	// A PNG header announcing 100 000 × 100 000 pixels, with no image behind it:
	// refused before any decoding.
	var b bytes.Buffer
	png.Encode(&b, image.NewGray(image.Rect(0, 0, 1, 1)))
	bomb := b.Bytes()
	// IHDR width and height are at offsets 16 and 20 (big-endian), its CRC over
	// bytes 12 to 29 at offset 29.
	for _, off := range []int{16, 20} {
		bomb[off], bomb[off+1], bomb[off+2], bomb[off+3] = 0, 1, 0x86, 0xa0
	}
	binary.BigEndian.PutUint32(bomb[29:], crc32.ChecksumIEEE(bomb[12:29]))
	if _, err := thumbnail.Make(bytes.NewReader(bomb)); !errors.Is(err, thumbnail.ErrTooLarge) {
		t.Errorf("decompression bomb: %v", err)
	}
	// Truncated image data.
	data := encodeJPEG(t, photo(64, 64))
	if _, err := thumbnail.Make(bytes.NewReader(data[:len(data)/2])); !errors.Is(err, thumbnail.ErrNotImage) {
		t.Errorf("truncated jpeg: %v", err)
	}
}

func FuzzMake(f *testing.F) {
	f.Add(encodeJPEG(f, photo(40, 30)))
	f.Fuzz(func(t *testing.T, data []byte) {
		th, err := thumbnail.Make(bytes.NewReader(data))
		if err == nil && (len(th.JPEG) > thumbnail.MaxBytes || th.Width > thumbnail.MaxSide || th.Height > thumbnail.MaxSide) {
			t.Fatalf("thumbnail out of bounds: %d bytes, %d×%d", len(th.JPEG), th.Width, th.Height)
		}
	})
}

// BenchmarkTwelveMegapixelJPEG measures the thumbnail of a 4000×3000 JPEG
// photo: decoding, scaling and encoding.
func BenchmarkTwelveMegapixelJPEG(b *testing.B) {
	data := encodeJPEG(b, photo(4000, 3000))
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := thumbnail.Make(bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}
