package search

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Snippet is the part of a message shown in a result: its Parts, in order,
// joined give the text shown; the parts with Hit set are what matched.
// Cut tells which ends were cut off, so the UI can show an ellipsis there.
type Snippet struct {
	Parts     []Part
	CutBefore bool
	CutAfter  bool
}

// Part is a run of a snippet's text.
type Part struct {
	Text string
	Hit  bool
}

// Snippet sizes, in runes: the text kept before the first hit, and the
// whole snippet.
const (
	snippetLead  = 30
	snippetRunes = 160
)

// snippetOf cuts the snippet of body around the first occurrence of terms
// and marks every occurrence inside it.
func snippetOf(body string, terms []string) Snippet {
	ranges := hitRanges(body, terms)
	start := 0
	if len(ranges) > 0 {
		start = backRunes(body, ranges[0][0], snippetLead)
	}
	end := forwardRunes(body, start, snippetRunes)
	s := Snippet{CutBefore: start > 0, CutAfter: end < len(body)}
	at := start
	for _, r := range ranges {
		lo, hi := max(r[0], start), min(r[1], end)
		if lo >= hi {
			continue
		}
		if lo > at {
			s.Parts = append(s.Parts, Part{Text: body[at:lo]})
		}
		s.Parts = append(s.Parts, Part{Text: body[lo:hi], Hit: true})
		at = hi
	}
	if at < end {
		s.Parts = append(s.Parts, Part{Text: body[at:end]})
	}
	return s
}

// hitRanges returns the byte ranges of body whose normalised form is an
// occurrence of one of terms, sorted and merged.
func hitRanges(body string, terms []string) [][2]int {
	norm, from := normalizeMap(body)
	runeEnd := func(i int) int { // the end in body of the rune at byte i
		_, n := utf8.DecodeRuneInString(body[i:])
		return i + n
	}
	var ranges [][2]int
	for _, t := range terms {
		for off := 0; ; {
			i := strings.Index(norm[off:], t)
			if i < 0 {
				break
			}
			lo, hi := off+i, off+i+len(t)
			end := runeEnd(int(from[hi-1]))
			for end < len(body) { // take the diacritics normalisation dropped
				r, n := utf8.DecodeRuneInString(body[end:])
				if !isDiacritic(r) {
					break
				}
				end += n
			}
			ranges = append(ranges, [2]int{int(from[lo]), end})
			_, n := utf8.DecodeRuneInString(norm[lo:])
			off = lo + n // occurrences may overlap ("aa" in "aaa")
		}
	}
	return mergeRanges(ranges)
}

func mergeRanges(r [][2]int) [][2]int {
	if len(r) < 2 {
		return r
	}
	sortRanges(r)
	out := r[:1]
	for _, x := range r[1:] {
		last := &out[len(out)-1]
		if x[0] <= last[1] {
			last[1] = max(last[1], x[1])
			continue
		}
		out = append(out, x)
	}
	return out
}

func sortRanges(r [][2]int) {
	for i := 1; i < len(r); i++ { // few ranges: insertion sort
		for j := i; j > 0 && r[j][0] < r[j-1][0]; j-- {
			r[j], r[j-1] = r[j-1], r[j]
		}
	}
}

// backRunes moves back from byte i by up to n runes, then forward to the
// start of a word if one begins within that stretch.
func backRunes(s string, i, n int) int {
	start := i
	for k := 0; k < n && start > 0; k++ {
		_, size := utf8.DecodeLastRuneInString(s[:start])
		start -= size
	}
	if start == 0 {
		return 0
	}
	if j := strings.IndexFunc(s[start:i], unicode.IsSpace); j >= 0 {
		_, size := utf8.DecodeRuneInString(s[start+j:])
		return start + j + size
	}
	return start
}

// forwardRunes returns the byte offset n runes after byte i (or len(s)).
func forwardRunes(s string, i, n int) int {
	for k := 0; k < n && i < len(s); k++ {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return i
}
