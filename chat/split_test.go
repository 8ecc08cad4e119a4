package chat

import (
	"context"
	"errors"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"hush/chatcrypto"
	"hush/ids"
)

// joinedParts checks what every split must keep: parts within the limit, valid
// UTF-8, none empty, and nothing but whitespace lost at the cuts.
func joinedParts(t *testing.T, text string, limit int, parts []string) {
	t.Helper()
	var kept strings.Builder
	for i, p := range parts {
		if len(p) > limit {
			t.Fatalf("part %d is %d bytes, limit %d", i, len(p), limit)
		}
		if !utf8.ValidString(p) {
			t.Fatalf("part %d is not valid UTF-8: %q", i, p)
		}
		if strings.TrimSpace(p) == "" {
			t.Fatalf("part %d is empty", i)
		}
		kept.WriteString(p)
	}
	squeeze := func(s string) string { return strings.Join(strings.FieldsFunc(s, unicode.IsSpace), "") }
	if squeeze(kept.String()) != squeeze(text) {
		t.Fatalf("the parts lost or changed text:\n%q\nbecame\n%q", text, parts)
	}
}

func TestSplitText(t *testing.T) {
	para := strings.Repeat("word ", 10) // 50 bytes
	tests := []struct {
		name  string
		text  string
		limit int
		want  []string
	}{
		{"fits", "hello there", 64, []string{"hello there"}},
		{"paragraphs first", para + "\n\n" + para + "end.", 80, []string{strings.TrimSpace(para), para + "end."}},
		{"lines next", "a first line\nthe second line", 20, []string{"a first line", "the second line"}},
		{"no break near the start", "first\nthen a line that is long", 24, []string{"first\nthen a line that", "is long"}},
		{"sentences next", "One. Two! Three? Four and more words", 20, []string{"One. Two! Three?", "Four and more words"}},
		{"no cut after a dot inside a word", "v1.2.3 is out now ok", 12, []string{"v1.2.3 is", "out now ok"}},
		{"words next", "alpha beta gamma delta", 12, []string{"alpha beta", "gamma delta"}},
		// 你好世界。is 15 bytes; the full stop ends a sentence without a space.
		{"CJK sentence", "你好世界。再见朋友们", 18, []string{"你好世界。", "再见朋友们"}},
		// No space, no mark: cut between characters, never inside one (3 bytes each).
		{"CJK run", "一二三四五六七", 10, []string{"一二三", "四五六", "七"}},
		// 👍🏽 is a thumb and a skin tone: 8 bytes that must stay together.
		{"emoji modifier", "👍🏽👍🏽👍🏽", 12, []string{"👍🏽", "👍🏽", "👍🏽"}},
		// 👩‍👩‍👧 is three people joined by two ZWJs: 18 bytes.
		{"ZWJ family", "👩‍👩‍👧👩‍👩‍👧", 20, []string{"👩‍👩‍👧", "👩‍👩‍👧"}},
		// Flags are pairs of regional indicators (8 bytes each): 🇫🇷🇩🇪🇯🇵.
		{"flags", "🇫🇷🇩🇪🇯🇵", 12, []string{"🇫🇷", "🇩🇪", "🇯🇵"}},
		{"combining marks", "e\u0301e\u0301e\u0301", 5, []string{"e\u0301", "e\u0301", "e\u0301"}},
		{"only spaces at the cut", "aaaa      bbbb", 6, []string{"aaaa", "bbbb"}},
		{"blank text", "   \n\n  ", 4, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := SplitText(tt.text, tt.limit)
			if strings.Join(got, "|") != strings.Join(tt.want, "|") || len(got) != len(tt.want) {
				t.Fatalf("SplitText(%q, %d) = %q, want %q", tt.text, tt.limit, got, tt.want)
			}
			joinedParts(t, tt.text, tt.limit, got)
		})
	}
}

// TestSplitTextCutsInsideAnOversizedCluster: a cluster longer than the limit (a
// long tag sequence) is cut between code points, never inside one.
func TestSplitTextCutsInsideAnOversizedCluster(t *testing.T) {
	text := "a" + strings.Repeat("\u0301", 10) // 1 + 20 bytes, one cluster
	parts := SplitText(text, 8)
	joinedParts(t, text, 8, parts)
	if len(parts) < 3 {
		t.Fatalf("parts %q", parts)
	}
}

// TestSplitPartsAreSendable: a part of SplitPartBytes with the longest name and the
// widest characters passes the checks of one message, and one byte over what a
// message takes does not — so SendSplit splits exactly where Send refuses.
func TestSplitPartsAreSendable(t *testing.T) {
	name := strings.Repeat("𝒜", chatcrypto.MaxSenderNameChars)
	wide := strings.Repeat("😀", SplitPartBytes/4)
	if err := checkBody(wide, name); err != nil {
		t.Fatalf("a full part is refused: %v", err)
	}
	if err := checkBody(strings.Repeat("a", chatcrypto.MaxBodyBytes+1), name); !errors.Is(err, ErrTooLong) {
		t.Fatalf("an overlong body: %v, want ErrTooLong", err)
	}
}

// TestSendSplit: a text over the limit, which Send refuses, arrives as several
// messages in order, the first answering the reply; one that fits stays whole.
func TestSendSplit(t *testing.T) {
	_, alice, bob, chatID := twoPeople(t)
	ctx := context.Background()
	first, err := bob.engine.Send(ctx, chatID, "question?", nil)
	if err != nil {
		t.Fatal(err)
	}
	waitDelivered(t, alice, chatID, bob, 1)
	var b strings.Builder
	for i := 0; b.Len() < 2*SplitPartBytes+100; i++ {
		b.WriteString(body("Sentence number", i))
		b.WriteString(". 日本語の文も。")
		if i%40 == 39 {
			b.WriteString("\n\n")
		}
	}
	long := b.String()
	if _, err := alice.engine.Send(ctx, chatID, long, nil); !errors.Is(err, ErrTooLong) {
		t.Fatalf("Send of %d bytes: %v, want ErrTooLong (the test proves nothing)", len(long), err)
	}
	reply := first.ID
	sent, err := alice.engine.SendSplit(ctx, chatID, long, &reply)
	if err != nil {
		t.Fatal(err)
	}
	if len(sent) != 3 {
		t.Fatalf("%d parts, want 3", len(sent))
	}
	if sent[0].ReplyTo != reply || sent[1].ReplyTo != (ids.Message{}) {
		t.Errorf("replies %v, %v: only the first part answers", sent[0].ReplyTo, sent[1].ReplyTo)
	}
	bodies := make([]string, len(sent))
	for i, m := range sent {
		bodies[i] = m.Body
		if !strings.HasSuffix(m.Body, "。") {
			t.Errorf("part %d ends mid-sentence: …%q", i, m.Body[max(0, len(m.Body)-20):])
		}
	}
	joinedParts(t, long, SplitPartBytes, bodies)
	waitDelivered(t, bob, chatID, alice, 3)
	var got []string
	for _, m := range bob.allMessages(t, chatID) {
		if m.Sender == alice.id() {
			got = append(got, m.Body)
		}
	}
	if strings.Join(got, "") != strings.Join(bodies, "") {
		t.Error("Bob has the parts out of order or changed")
	}
	short, err := alice.engine.SendSplit(ctx, chatID, "short", nil)
	if err != nil || len(short) != 1 || short[0].Body != "short" {
		t.Errorf("a short text: %+v, %v", short, err)
	}
	if _, err := alice.engine.SendSplit(ctx, chatID, strings.Repeat("x", (MaxSplitParts+1)*SplitPartBytes), nil); !errors.Is(err, ErrTooLong) {
		t.Errorf("a text of more than %d parts: %v, want ErrTooLong", MaxSplitParts, err)
	}
}

func FuzzSplitText(f *testing.F) {
	for _, s := range []string{"hello world. again", "👩‍👩‍👧🇫🇷e\u0301", "一二三。四五", "a\n\nb\nc"} {
		f.Add(s, 8)
	}
	f.Fuzz(func(t *testing.T, text string, limit int) {
		if !utf8.ValidString(text) || limit < utf8.UTFMax || limit > 1<<12 {
			return
		}
		joinedParts(t, text, limit, SplitText(text, limit))
	})
}
