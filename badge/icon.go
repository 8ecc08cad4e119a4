package badge

import (
	"image"
	"image/color"
	"math"
	"strconv"
)

// Windows draws no number on a taskbar button: it shows a small overlay icon,
// which this file draws — a red disc with the count in white, as other
// messengers do. It is plain Go, tested on every system, though only Windows
// uses it.

// maxShownCount is the largest count written out; above it the icon says "99+"
// (the disc has room for three narrow characters at 16 pixels).
const maxShownCount = 99

// The icon's colours: a red disc (opaque; its edge takes its alpha from the
// coverage) and white text.
func discColour() color.NRGBA { return color.NRGBA{R: 0xE5, G: 0x39, B: 0x35, A: 0xFF} }
func textColour() color.NRGBA { return color.NRGBA{R: 0xFF, G: 0xFF, B: 0xFF, A: 0xFF} }

// glyphW and glyphH are the size of a character of [glyphs] in font pixels;
// glyphGap is the space between two characters.
const (
	glyphW   = 3
	glyphH   = 5
	glyphGap = 1
)

// glyph is a 3×5 pixel font of what a count is written with, a row a string
// ('#' is ink): legible at 16 pixels, where an outline font would blur. A rune
// it does not have is blank.
func glyph(r rune) [glyphH]string {
	switch r {
	case '0':
		return [glyphH]string{"###", "#.#", "#.#", "#.#", "###"}
	case '1':
		return [glyphH]string{".#.", "##.", ".#.", ".#.", "###"}
	case '2':
		return [glyphH]string{"###", "..#", "###", "#..", "###"}
	case '3':
		return [glyphH]string{"###", "..#", "###", "..#", "###"}
	case '4':
		return [glyphH]string{"#.#", "#.#", "###", "..#", "..#"}
	case '5':
		return [glyphH]string{"###", "#..", "###", "..#", "###"}
	case '6':
		return [glyphH]string{"###", "#..", "###", "#.#", "###"}
	case '7':
		return [glyphH]string{"###", "..#", ".#.", ".#.", ".#."}
	case '8':
		return [glyphH]string{"###", "#.#", "###", "#.#", "###"}
	case '9':
		return [glyphH]string{"###", "#.#", "###", "..#", "###"}
	case '+':
		return [glyphH]string{"...", ".#.", "###", ".#.", "..."}
	}
	return [glyphH]string{}
}

// Label is what the badge says for count: "" for none, the number up to 99,
// "99+" above.
func Label(count int) string {
	switch {
	case count <= 0:
		return ""
	case count > maxShownCount:
		return strconv.Itoa(maxShownCount) + "+"
	default:
		return strconv.Itoa(count)
	}
}

// Icon draws the badge for count as a size×size image: a red disc with
// [Label](count) in white, centred, as large as whole font pixels allow inside
// the disc. It returns nil when count is 0 or less (no badge) or size is under 8.
// Windows asks for the small icon size: 16 pixels at 100 % scaling, 32 at 200 %.
func Icon(count, size int) *image.NRGBA {
	label := Label(count)
	if label == "" || size < 8 {
		return nil
	}
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	drawDisc(img, size)

	// The text fits in the square inscribed in the disc, in whole font pixels.
	n := len(label)
	w, h := n*glyphW+(n-1)*glyphGap, glyphH
	inner := float64(size) / math.Sqrt2
	scale := max(1, int(math.Min(inner/float64(w), inner/float64(h))))
	x0 := (size - w*scale) / 2
	y0 := (size - h*scale + 1) / 2
	ink := textColour()
	for i, r := range label {
		gx := x0 + i*(glyphW+glyphGap)*scale
		for row, line := range glyph(r) {
			for col, px := range line {
				if px != '#' {
					continue
				}
				for dy := range scale {
					for dx := range scale {
						img.SetNRGBA(gx+col*scale+dx, y0+row*scale+dy, ink)
					}
				}
			}
		}
	}
	return img
}

// drawDisc fills img with the disc, its edge antialiased: each pixel's alpha is
// the share of 4×4 sample points inside the circle.
func drawDisc(img *image.NRGBA, size int) {
	const samples = 4
	r := float64(size) / 2
	for y := range size {
		for x := range size {
			in := 0
			for sy := range samples {
				for sx := range samples {
					px := float64(x) + (float64(sx)+0.5)/samples - r
					py := float64(y) + (float64(sy)+0.5)/samples - r
					if px*px+py*py <= r*r {
						in++
					}
				}
			}
			if in > 0 {
				c := discColour()
				c.A = uint8(in * 255 / (samples * samples))
				img.SetNRGBA(x, y, c)
			}
		}
	}
}
