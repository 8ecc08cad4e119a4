package chat

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"hush/chatcrypto"
	"hush/ids"
)

// Long texts. A text longer than one message may carry (chatcrypto.MaxBodyBytes,
// less what the encoding adds) is sent as several messages, as Telegram does: cut
// where a reader expects a break — between paragraphs, else lines, else sentences,
// else words — and never inside a character or a grapheme cluster (an emoji with
// its modifiers and joiners, a flag, a letter with its combining marks).

const (
	// SplitPartBytes is the most text one part of a split message carries, in bytes
	// of UTF-8: the body limit less room for what the encoding adds (the sender's
	// name, up to 256 bytes, a reply, the counter), so every part passes checkBody.
	SplitPartBytes = chatcrypto.MaxBodyBytes - 1<<10
	// MaxSplitParts bounds the messages one text becomes: 64 parts, about 960 KiB.
	MaxSplitParts = 64
)

// SplitText cuts text into parts of at most limit bytes each, at the most natural
// boundary within each part's reach; the whitespace at a cut (and at the end of the
// last part) is dropped, and text that fits is returned whole. Every part is valid UTF-8 when text is, and none
// ends inside a grapheme cluster unless one cluster alone exceeds limit (then it
// is cut between code points).
func SplitText(text string, limit int) []string {
	if limit < utf8.UTFMax {
		limit = utf8.UTFMax
	}
	var parts []string
	for {
		text = strings.TrimLeftFunc(text, unicode.IsSpace)
		if len(text) <= limit {
			if len(parts) > 0 { // the last of several: trimmed as the others are
				text = strings.TrimRightFunc(text, unicode.IsSpace)
			}
			if text != "" {
				parts = append(parts, text)
			}
			return parts
		}
		cut := cutAt(text, limit)
		if part := strings.TrimRightFunc(text[:cut], unicode.IsSpace); part != "" {
			parts = append(parts, part)
		}
		text = text[cut:]
	}
}

// cutAt returns where to end the next part of text (longer than limit): the best
// boundary in text[:limit], by the order paragraph, line, sentence, word, cluster.
// A paragraph, line or sentence counts only in the second half of the window, so
// a break near the start does not make a part of a few words.
func cutAt(text string, limit int) int {
	window := text[:limit]
	half := limit / 2
	// A paragraph or a line: cut after the break.
	for _, sep := range []string{"\n\n", "\n"} {
		if i := strings.LastIndex(window, sep); i >= half {
			return i + len(sep)
		}
	}
	// A sentence: after its end mark and the space that follows it, or right after
	// a full-width mark (CJK writes no space).
	best := 0
	for i, r := range window {
		next := i + utf8.RuneLen(r)
		switch {
		case r == '。' || r == '！' || r == '？':
			best = next
		case (r == '.' || r == '!' || r == '?') && next < len(window):
			if n, _ := utf8.DecodeRuneInString(window[next:]); unicode.IsSpace(n) {
				best = next
			}
		}
	}
	if best > half {
		return best
	}
	// A word: at the last space.
	if i := strings.LastIndexFunc(window, unicode.IsSpace); i > 0 {
		return i
	}
	// A grapheme cluster boundary, else a code point boundary.
	end := limit
	for end > 0 && !utf8.RuneStart(text[end]) {
		end--
	}
	for c := end; c > 0; {
		prev, size := utf8.DecodeLastRuneInString(text[:c])
		next, _ := utf8.DecodeRuneInString(text[c:])
		if clusterBreak(text[:c], prev, next) {
			return c
		}
		c -= size
	}
	if end == 0 { // one code point longer than limit cannot happen (limit ≥ UTFMax)
		_, size := utf8.DecodeRuneInString(text)
		return size
	}
	return end
}

// clusterBreak reports whether a grapheme cluster may end between prev and next
// (before is the text up to and including prev): the rules of UAX #29 that matter
// for chat text — combining marks, joiners, variation selectors, emoji modifiers,
// tag sequences, regional-indicator pairs (flags) and CR LF.
func clusterBreak(before string, prev, next rune) bool {
	switch {
	case prev == '\r' && next == '\n':
		return false
	case unicode.In(next, unicode.Mn, unicode.Me, unicode.Mc):
		return false
	case next == '\u200d' || prev == '\u200d': // zero-width joiner
		return false
	case next >= 0xFE00 && next <= 0xFE0F, next >= 0xE0100 && next <= 0xE01EF: // variation selectors
		return false
	case next >= 0x1F3FB && next <= 0x1F3FF: // skin tones
		return false
	case next >= 0xE0020 && next <= 0xE007F: // tags (subdivision flags)
		return false
	case isRegional(prev) && isRegional(next):
		// Flags are pairs: break only after an even number of indicators.
		n := 0
		for s := before; s != ""; {
			r, size := utf8.DecodeLastRuneInString(s)
			if !isRegional(r) {
				break
			}
			n++
			s = s[:len(s)-size]
		}
		return n%2 == 0
	}
	return true
}

func isRegional(r rune) bool { return r >= 0x1F1E6 && r <= 0x1F1FF }

// SendSplit sends body as one message when it fits, and otherwise as several, split
// by [SplitText] into parts of [SplitPartBytes] (the first answers replyTo). It
// returns the messages sent, in order; when a part fails, those before it stay sent
// and the error says how many.
func (e *Engine) SendSplit(ctx context.Context, id ids.Chat, body string, replyTo *ids.Message) ([]Message, error) {
	m, err := e.Send(ctx, id, body, replyTo)
	if err == nil {
		return []Message{m}, nil
	}
	if !errors.Is(err, ErrTooLong) || !utf8.ValidString(body) {
		return nil, err
	}
	parts := SplitText(body, SplitPartBytes)
	if len(parts) > MaxSplitParts {
		return nil, detailf(ErrTooLong, "the text would be %d messages, at most %d are sent at once", len(parts), MaxSplitParts)
	}
	out := make([]Message, 0, len(parts))
	for i, p := range parts {
		reply := replyTo
		if i > 0 {
			reply = nil
		}
		m, err := e.Send(ctx, id, p, reply)
		if err != nil {
			return out, fmt.Errorf("part %d of %d was not sent (%d were): %w", i+1, len(parts), i, err)
		}
		out = append(out, m)
	}
	return out, nil
}
