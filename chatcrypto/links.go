package chatcrypto

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// LinksIn returns the https links of a text's body as Hush's link finder reads
// them (frontend/src/lib/links.ts, docs/PROTOCOL.md "Message content"), each as
// written, with "www." addresses given "https://": an address starts at
// "https://", "http://" or "www." (any case) that does not follow a letter,
// digit, "@", ".", "-" or "/"; it runs to white space, a control or
// text-direction character, a quote, "<", ">" or "`"; and trailing punctuation
// and unmatched closing brackets are not part of it. Addresses longer than
// [MaxPreviewURLBytes] are left out. A link preview may only be of one of these.
// The scan is linear in the body.
func LinksIn(body string) []string {
	var out []string
	for i := 0; i < len(body); {
		n := schemeLen(body[i:])
		if n == 0 || !linkMayStart(body[:i]) {
			_, size := utf8.DecodeRuneInString(body[i:])
			i += size
			continue
		}
		end := i + n
		for end < len(body) {
			r, size := utf8.DecodeRuneInString(body[end:])
			if endsLink(r) {
				break
			}
			end += size
		}
		raw := trimLinkEnd(body[i:end])
		i = end
		if len(raw) <= n || len(raw) > MaxPreviewURLBytes {
			continue
		}
		switch lower := strings.ToLower(raw[:n]); lower {
		case "https://":
			out = append(out, raw)
		case "www.":
			out = append(out, "https://"+raw)
		}
	}
	return out
}

// schemeLen is the length of the link start s begins with, 0 if none.
func schemeLen(s string) int {
	for _, p := range []string{"https://", "http://", "www."} {
		if len(s) >= len(p) && strings.EqualFold(s[:len(p)], p) {
			return len(p)
		}
	}
	return 0
}

// linkMayStart reports whether a link may start after before.
func linkMayStart(before string) bool {
	r, _ := utf8.DecodeLastRuneInString(before)
	if before == "" {
		return true
	}
	return !unicode.IsLetter(r) && !unicode.IsNumber(r) && !strings.ContainsRune("@.-/", r)
}

// endsLink reports the characters a link never contains.
func endsLink(r rune) bool {
	switch {
	case unicode.IsSpace(r), unicode.IsControl(r):
		return true
	case r >= 0x200b && r <= 0x200f, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true
	}
	return strings.ContainsRune("<>\"'`", r)
}

// trimLinkEnd drops what ends a sentence rather than the address: trailing
// punctuation, and ")" or "]" without their opening bracket.
func trimLinkEnd(s string) string {
	open := map[byte]int{')': strings.Count(s, "("), ']': strings.Count(s, "[")}
	closed := map[byte]int{')': strings.Count(s, ")"), ']': strings.Count(s, "]")}
	end := len(s)
	for end > 0 {
		c := s[end-1]
		switch {
		case strings.IndexByte(".,:;!?'\"*_~", c) >= 0:
			end--
		case (c == ')' || c == ']') && open[c] < closed[c]:
			closed[c]--
			end--
		default:
			return s[:end]
		}
	}
	return s[:end]
}
