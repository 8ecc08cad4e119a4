// Package thumbnail makes the small preview of an image attachment, on the
// device, before anything is sent: a JPEG of at most [MaxSide] pixels a side and
// [MaxBytes] bytes, which travels inside the end-to-end encrypted message
// (chatcrypto.Attachment), so a receiver sees a preview without downloading the
// file and the relay learns nothing from it.
//
// It reads JPEG, PNG and GIF (the first frame) with the standard library, refuses
// images of more than [MaxPixels] pixels before decoding them (a small file can
// announce an enormous image), and scales with golang.org/x/image/draw's
// approximate bilinear filter, the fastest of its filters that does not alias
// badly when shrinking a 12-megapixel photo by a factor of ten or more.
package thumbnail

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"io"

	// Decoders registered for image.Decode.
	_ "image/gif"
	_ "image/png"

	"golang.org/x/image/draw"
)

const (
	// MaxSide caps the thumbnail's width and height.
	MaxSide = 320
	// MaxBytes caps the encoded thumbnail, which rides in the message.
	MaxBytes = 16 << 10
	// MaxPixels caps the images this package decodes: 64 megapixels, above
	// any phone camera's photo, below what would take gigabytes to decode.
	MaxPixels = 64 << 20
)

// qualities are tried in order until the JPEG fits [MaxBytes].
var qualities = [...]int{80, 65, 50, 35, 20}

// Errors callers branch on.
var (
	// ErrNotImage: the data is not an image this package reads.
	ErrNotImage = errors.New("thumbnail: not a JPEG, PNG or GIF image")
	// ErrTooLarge: the image has more than MaxPixels pixels.
	ErrTooLarge = errors.New("thumbnail: image too large")
)

// Thumbnail is an encoded preview.
type Thumbnail struct {
	JPEG          []byte
	Width, Height int
}

// Make reads an image from r and returns its thumbnail. r is read twice (the
// header, then the image), so it must be an io.ReadSeeker.
func Make(r io.ReadSeeker) (Thumbnail, error) {
	cfg, _, err := image.DecodeConfig(r)
	if err != nil {
		return Thumbnail{}, fmt.Errorf("%w: %v", ErrNotImage, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > MaxPixels {
		return Thumbnail{}, fmt.Errorf("%w: %d×%d pixels, at most %d", ErrTooLarge, cfg.Width, cfg.Height, MaxPixels)
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return Thumbnail{}, fmt.Errorf("thumbnail: %w", err)
	}
	src, _, err := image.Decode(r)
	if err != nil {
		return Thumbnail{}, fmt.Errorf("%w: %v", ErrNotImage, err)
	}
	return FromImage(src)
}

// FromImage returns the thumbnail of an image already decoded.
func FromImage(src image.Image) (Thumbnail, error) {
	b := src.Bounds()
	w, h := fit(b.Dx(), b.Dy())
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.ApproxBiLinear.Scale(dst, dst.Bounds(), src, b, draw.Src, nil)
	var buf bytes.Buffer
	for _, q := range qualities {
		buf.Reset()
		if err := jpeg.Encode(&buf, dst, &jpeg.Options{Quality: q}); err != nil {
			return Thumbnail{}, fmt.Errorf("thumbnail: encode: %w", err)
		}
		if buf.Len() <= MaxBytes {
			return Thumbnail{JPEG: bytes.Clone(buf.Bytes()), Width: w, Height: h}, nil
		}
	}
	return Thumbnail{}, fmt.Errorf("thumbnail: no quality fits %d bytes", MaxBytes)
}

// fit scales w×h to fit MaxSide×MaxSide, keeping the aspect ratio; an image
// already small enough keeps its size.
func fit(w, h int) (int, int) {
	if w <= MaxSide && h <= MaxSide {
		return w, h
	}
	if w >= h {
		return MaxSide, max(1, h*MaxSide/w)
	}
	return max(1, w*MaxSide/h), MaxSide
}
