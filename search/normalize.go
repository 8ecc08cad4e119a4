package search

import (
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Normalize returns the form of s that the index stores and queries are
// matched against: Unicode compatibility decomposition (NFKD, so "ﬁ", "Ａ"
// and "①" match "fi", "a" and "1"), Latin, Greek and Cyrillic diacritics
// removed ("é" matches "e"), case folded ("Straße" matches "STRASSE"), then
// recomposed (NFC, so kana keep their voicing marks: "が" is not "か").
//
// Each rune of s is normalised on its own, so every byte of the result comes
// from exactly one rune of s; [normalizeMap] relies on it to put highlights
// back on the original text. Sequences that only compose across runes (a
// Hangul syllable typed as separate jamo) are therefore left as typed.
func Normalize(s string) string {
	out, _ := normalize(s, false, nil)
	return out
}

// normalizeMap is Normalize that also returns, for every byte of the result,
// the byte offset in s of the rune it came from.
func normalizeMap(s string) (string, []int32) {
	return normalize(s, true, nil)
}

// maxFoldCache bounds a [foldCache]: the runes of a few scripts.
const maxFoldCache = 4096

// foldCache remembers the normalised form of non-ASCII runes, which the
// build after unlock meets over and over (a Russian chat's 33 letters). Not
// safe for concurrent use: the index uses it under its write lock.
type foldCache map[rune]string

func normalize(s string, mapped bool, cache foldCache) (string, []int32) {
	if !mapped {
		switch ascii, lower := asciiCase(s); {
		case lower:
			return s, nil // the common case costs no copy
		case ascii:
			b := []byte(s)
			for i, c := range b {
				if 'A' <= c && c <= 'Z' {
					b[i] = c + 'a' - 'A'
				}
			}
			return string(b), nil
		}
	}
	out := make([]byte, 0, len(s))
	var from []int32
	if mapped {
		from = make([]int32, 0, len(s))
	}
	for i, r := range s {
		n := len(out)
		if r < utf8.RuneSelf {
			out = appendFolded(out, r)
		} else if f, ok := cache[r]; ok {
			out = append(out, f...)
		} else {
			out = appendFolded(out, r)
			if cache != nil && len(cache) < maxFoldCache {
				cache[r] = string(out[n:])
			}
		}
		if n > 0 && len(out) == n+3 && isKanaVoicing(out[n:]) {
			// A halfwidth voicing mark typed after its kana ("ｶﾞ"): compose
			// with the kana, whose bytes stay mapped to the kana's rune.
			last, size := utf8.DecodeLastRune(out[:n])
			if c := norm.NFC.Bytes(out[n-size:]); len(c) == size && last != utf8.RuneError {
				out = append(out[:n-size], c...)
				if mapped {
					from = from[:len(out)]
				}
				continue
			}
		}
		if mapped {
			for range len(out) - n {
				from = append(from, int32(i))
			}
		}
	}
	return string(out), from
}

// isKanaVoicing reports the combining kana voicing marks U+3099 and U+309A.
func isKanaVoicing(b []byte) bool {
	r, _ := utf8.DecodeRune(b)
	return r == 0x3099 || r == 0x309A
}

// asciiCase reports whether s is all ASCII, and whether it is also without
// capitals.
func asciiCase(s string) (ascii, lower bool) {
	lower = true
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= utf8.RuneSelf:
			return false, false
		case 'A' <= c && c <= 'Z':
			lower = false
		}
	}
	return true, lower
}

// appendFolded appends the normalised form of one rune.
func appendFolded(dst []byte, r rune) []byte {
	switch {
	case r < utf8.RuneSelf:
		if 'A' <= r && r <= 'Z' {
			r += 'a' - 'A'
		}
		return append(dst, byte(r))
	case r == utf8.RuneError:
		return dst // invalid UTF-8 matches nothing rather than U+FFFD
	case unchanged(r):
		return utf8.AppendRune(dst, r)
	}
	var one [utf8.UTFMax]byte
	var buf [4 * utf8.UTFMax * 2]byte
	dec := norm.NFKD.Append(buf[:0], one[:utf8.EncodeRune(one[:], r)]...)
	start := len(dst)
	composes := false
	for len(dec) > 0 {
		d, n := utf8.DecodeRune(dec)
		dec = dec[n:]
		switch {
		case isDiacritic(d):
			continue
		case d == 'ß' || d == 'ẞ':
			dst = append(dst, "ss"...)
			continue
		case d >= utf8.RuneSelf && unicode.Is(unicode.Mn, d):
			composes = true // a mark kept (kana voicing, Indic signs): recompose below
		}
		if special, ok := foldSpecial(d); ok {
			d = special
		} else {
			d = unicode.ToLower(unicode.ToUpper(d)) // ToUpper first: final sigma becomes σ
		}
		dst = utf8.AppendRune(dst, d)
	}
	if composes {
		composed := norm.NFC.Bytes(dst[start:])
		dst = append(dst[:start], composed...)
	}
	return dst
}

// unchanged reports runes that normalisation leaves as they are, so the
// common CJK and Hangul text skips the decomposition.
func unchanged(r rune) bool {
	return 0x4E00 <= r && r <= 0x9FFF || // CJK Unified Ideographs
		0x3400 <= r && r <= 0x4DBF || // CJK Extension A
		0xAC00 <= r && r <= 0xD7A3 || // Hangul syllables (NFKD then NFC gives them back)
		0x3041 <= r && r <= 0x3096 && !hasVoicing(r) || // hiragana without voicing marks
		0x30A1 <= r && r <= 0x30FA && !hasVoicing(r-0x60) // katakana likewise
}

// hasVoicing reports hiragana that decompose (が, ぱ, ...), so the slow path
// keeps them whole.
func hasVoicing(r rune) bool {
	return norm.NFD.PropertiesString(string(r)).Decomposition() != nil
}

// isDiacritic reports the combining marks that are removed: those that
// NFKD splits off Latin, Greek and Cyrillic letters. Marks of other scripts
// (kana voicing, Indic vowel signs) change the letter, so they stay.
func isDiacritic(r rune) bool {
	return 0x0300 <= r && r <= 0x036F || // Combining Diacritical Marks
		0x1AB0 <= r && r <= 0x1AFF || // ... Extended
		0x1DC0 <= r && r <= 0x1DFF || // ... Supplement
		0x20D0 <= r && r <= 0x20FF || // ... for Symbols
		0xFE20 <= r && r <= 0xFE2F // Combining Half Marks
}

// foldSpecial maps letters with a stroke, which have no decomposition, to
// the letters people type for them.
func foldSpecial(r rune) (rune, bool) {
	switch r {
	case 'ł', 'Ł':
		return 'l', true
	case 'ø', 'Ø':
		return 'o', true
	case 'đ', 'Đ':
		return 'd', true
	case 'ħ', 'Ħ':
		return 'h', true
	case 'ı':
		return 'i', true
	case 'ſ':
		return 's', true
	}
	return r, false
}
