package badge

import (
	"image"
	"strings"
	"testing"
)

func TestLabel(t *testing.T) {
	for _, tc := range []struct {
		count int
		want  string
	}{{-2, ""}, {0, ""}, {1, "1"}, {9, "9"}, {42, "42"}, {99, "99"}, {100, "99+"}, {12345, "99+"}} {
		if got := Label(tc.count); got != tc.want {
			t.Errorf("Label(%d) = %q, want %q", tc.count, got, tc.want)
		}
	}
}

// TestIconDrawsTheCount reads the text back from the icon's white pixels, the
// way a person would: crop them, find the font pixel's size, and match each
// character's cell against the font. It also checks the disc: opaque red under
// the text, transparent corners, text inside the circle.
func TestIconDrawsTheCount(t *testing.T) {
	for _, size := range []int{16, 20, 24, 32} {
		for _, tc := range []struct {
			count int
			text  string
		}{{1, "1"}, {3, "3"}, {7, "7"}, {10, "10"}, {42, "42"}, {86, "86"}, {99, "99"}, {100, "99+"}, {5000, "99+"}} {
			img := Icon(tc.count, size)
			if img == nil {
				t.Fatalf("Icon(%d, %d) = nil", tc.count, size)
			}
			if b := img.Bounds(); b.Dx() != size || b.Dy() != size {
				t.Fatalf("Icon(%d, %d) is %v", tc.count, size, b)
			}
			if got := readText(t, img); got != tc.text {
				t.Errorf("Icon(%d, %d) reads %q, want %q\n%s", tc.count, size, got, tc.text, dump(img))
			}
			for _, c := range []image.Point{{0, 0}, {size - 1, 0}, {0, size - 1}, {size - 1, size - 1}} {
				if a := img.NRGBAAt(c.X, c.Y).A; a != 0 {
					t.Errorf("Icon(%d, %d): corner %v has alpha %d", tc.count, size, c, a)
				}
			}
			// The text stands on the disc: every text pixel is well inside it.
			r := float64(size) / 2
			for y := range size {
				for x := range size {
					if !isText(img, x, y) {
						continue
					}
					dx, dy := float64(x)+0.5-r, float64(y)+0.5-r
					if dx*dx+dy*dy > (r-1)*(r-1) {
						t.Errorf("Icon(%d, %d): text pixel (%d,%d) off the disc", tc.count, size, x, y)
					}
				}
			}
			if c := img.NRGBAAt(size/2, 1); c.R != 0xE5 || c.A != 0xFF {
				t.Errorf("Icon(%d, %d): top of the disc %v, want opaque red", tc.count, size, c)
			}
		}
	}
}

func TestIconNone(t *testing.T) {
	for _, tc := range []struct{ count, size int }{{0, 16}, {-1, 16}, {3, 4}} {
		if img := Icon(tc.count, tc.size); img != nil {
			t.Errorf("Icon(%d, %d) = %v, want nil", tc.count, tc.size, img.Bounds())
		}
	}
}

// TestIconUsesTheRoom: the text is drawn as large as fits, so a single digit
// at 32 pixels is not the 3×5 pixels of the font.
func TestIconUsesTheRoom(t *testing.T) {
	for _, tc := range []struct{ count, size, minHeight int }{{3, 16, 10}, {3, 32, 20}, {42, 32, 15}, {100, 32, 10}, {100, 16, 5}} {
		box := textBox(Icon(tc.count, tc.size))
		if box.Dy() < tc.minHeight {
			t.Errorf("Icon(%d, %d): text %d pixels high, want at least %d", tc.count, tc.size, box.Dy(), tc.minHeight)
		}
	}
}

func isText(img *image.NRGBA, x, y int) bool {
	c := img.NRGBAAt(x, y)
	return c.R == 0xFF && c.G == 0xFF && c.B == 0xFF && c.A == 0xFF
}

// textBox is the bounding box of the white pixels.
func textBox(img *image.NRGBA) image.Rectangle {
	var box image.Rectangle
	for y := range img.Bounds().Dy() {
		for x := range img.Bounds().Dx() {
			if isText(img, x, y) {
				box = box.Union(image.Rect(x, y, x+1, y+1))
			}
		}
	}
	return box
}

// readText recognises the label drawn in img: the text's height gives the
// font pixel's size (glyphH font pixels), the width the number of
// characters; each cell is then compared with every glyph.
func readText(t *testing.T, img *image.NRGBA) string {
	t.Helper()
	box := textBox(img)
	if box.Empty() {
		return ""
	}
	scale := box.Dy() / glyphH
	if scale == 0 || box.Dy()%glyphH != 0 {
		t.Fatalf("text is %d pixels high, not a whole number of font pixels", box.Dy())
	}
	// A glyph may have blank edge columns ('1', '+'), so the box can be narrower
	// than the cells: centre the cells on it as Icon does.
	var out strings.Builder
	for n := 1; n <= 3; n++ {
		w := (n*glyphW + (n-1)*glyphGap) * scale
		if w < box.Dx() || w-box.Dx() > 2*scale {
			continue
		}
		x0 := (img.Bounds().Dx() - w) / 2
		out.Reset()
		ok := true
		for i := range n {
			ch, found := matchGlyph(img, x0+i*(glyphW+glyphGap)*scale, box.Min.Y, scale)
			if !found {
				ok = false
				break
			}
			out.WriteRune(ch)
		}
		if ok {
			return out.String()
		}
	}
	return "?"
}

// matchGlyph finds the character whose glyph, at scale, is exactly what is
// drawn in the cell at (x, y): every font pixel fully ink or fully not.
func matchGlyph(img *image.NRGBA, x, y, scale int) (rune, bool) {
	for _, r := range "0123456789+" {
		g := glyph(r)
		if !strings.Contains(strings.Join(g[:], ""), "#") {
			continue
		}
		match := true
		for row := range glyphH {
			for col := range glyphW {
				want := g[row][col] == '#'
				for dy := range scale {
					for dx := range scale {
						if isText(img, x+col*scale+dx, y+row*scale+dy) != want {
							match = false
						}
					}
				}
			}
		}
		if match {
			return r, true
		}
	}
	return 0, false
}

// dump draws img in text for a failure message: # text, o disc, . clear.
func dump(img *image.NRGBA) string {
	var b strings.Builder
	for y := range img.Bounds().Dy() {
		for x := range img.Bounds().Dx() {
			switch {
			case isText(img, x, y):
				b.WriteByte('#')
			case img.NRGBAAt(x, y).A > 0:
				b.WriteByte('o')
			default:
				b.WriteByte('.')
			}
		}
		b.WriteByte('\n')
	}
	return b.String()
}
