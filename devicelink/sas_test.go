package devicelink

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestEmojiTable holds the table to what makes it usable: 64 different emoji with
// 64 different plain names, each one code point with no variation selector, joiner,
// skin tone or flag, so that every platform draws it the same way.
func TestEmojiTable(t *testing.T) {
	chars, names := map[string]bool{}, map[string]bool{}
	plain := regexp.MustCompile(`^[A-Z][a-z]+( [a-z]+)?$`)
	for i, e := range emojiTable {
		if chars[e.Char] || names[strings.ToLower(e.Name)] {
			t.Errorf("%d: %s %q repeats", i, e.Char, e.Name)
		}
		chars[e.Char], names[strings.ToLower(e.Name)] = true, true
		if utf8.RuneCountInString(e.Char) != 1 {
			t.Errorf("%d: %q is %d code points", i, e.Char, utf8.RuneCountInString(e.Char))
		}
		r, _ := utf8.DecodeRuneInString(e.Char)
		if r < 0x2300 || (r >= 0x1F1E6 && r <= 0x1F1FF) || (r >= 0x1F3FB && r <= 0x1F3FF) {
			t.Errorf("%d: %U is not an emoji of the table's kind", i, r)
		}
		if !plain.MatchString(e.Name) {
			t.Errorf("%d: name %q is not a plain word", i, e.Name)
		}
	}
}

func TestSAS(t *testing.T) {
	var tr [32]byte
	a := deriveSAS(tr)
	tr[31] = 1
	b := deriveSAS(tr)
	if a.Equal(b) || !a.Equal(deriveSAS([32]byte{})) || a.IsZero() || !(SAS{}).IsZero() {
		t.Fatal("Equal")
	}
	digits := regexp.MustCompile(`^[0-9]{3} [0-9]{3}$`)
	for _, tc := range []struct {
		b      [8]byte
		emoji  [5]int
		digits string
	}{
		{[8]byte{}, [5]int{0, 0, 0, 0, 0}, "000 000"},
		{[8]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, [5]int{63, 63, 63, 63, 63}, "967 295"},
		// 000001 000010 000011 000100 000101 (11): 0x04 0x20 0xc4 0x17
		{[8]byte{0x04, 0x20, 0xc4, 0x17, 0, 0x0f, 0x42, 0x40}, [5]int{1, 2, 3, 4, 5}, "000 000"},
		{[8]byte{0, 0, 0, 0, 0, 0, 0x30, 0x39}, [5]int{}, "012 345"},
	} {
		s := SAS{b: tc.b}
		if got := s.emojiIndexes(); got != tc.emoji {
			t.Errorf("%x: emoji %v, want %v", tc.b, got, tc.emoji)
		}
		if got := s.Digits(); got != tc.digits || !digits.MatchString(got) {
			t.Errorf("%x: digits %q, want %q", tc.b, got, tc.digits)
		}
		e := s.Emoji()
		if len(e) != 5 || e[0] != emojiTable[tc.emoji[0]] || e[4] != emojiTable[tc.emoji[4]] {
			t.Errorf("%x: Emoji() %v", tc.b, e)
		}
	}
}
