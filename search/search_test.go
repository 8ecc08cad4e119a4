package search

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"hush/ids"
)

func TestNormalize(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"ascii lower", "hello world", "hello world"},
		{"ascii case", "HeLLo", "hello"},
		{"acute", "Café", "cafe"},
		{"combining acute", "Cafe\u0301", "cafe"},
		{"many accents", "Ångström naïve façade", "angstrom naive facade"},
		{"eszett", "Straße", "strasse"},
		{"capital eszett", "STRAẞE", "strasse"},
		{"stroke letters", "Łódź Øresund", "lodz oresund"},
		{"greek final sigma", "ΟΔΟΣ οδός", "οδοσ οδοσ"},
		{"cyrillic", "Ёжик", "ежик"},
		{"turkish dotted I", "İstanbul", "istanbul"},
		{"fullwidth", "ＨＵＳＨ１２", "hush12"},
		{"ligature", "ﬁle", "file"},
		{"circled digit", "①", "1"},
		{"cjk unchanged", "東京で会いましょう", "東京で会いましょう"},
		{"kana keeps voicing", "がぱ", "がぱ"},
		{"halfwidth katakana", "ｶﾞ", "ガ"},
		{"hangul unchanged", "안녕하세요", "안녕하세요"},
		{"devanagari sign kept", "हिन्दी", "हिन्दी"},
		{"emoji unchanged", "ok 👍", "ok 👍"},
		{"invalid utf8 dropped", "a\xffb", "ab"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Normalize(tt.in); got != tt.want {
				t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
			}
			norm, from := normalizeMap(tt.in)
			if norm != tt.want || len(from) != len(norm) {
				t.Errorf("normalizeMap(%q) = %q with %d offsets", tt.in, norm, len(from))
			}
		})
	}
}

func TestTerms(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"   ", nil},
		{"Hello", []string{"hello"}},
		{"b a", []string{"a", "b"}},
		{"meet Café", []string{"cafe", "meet"}},
		{"tea team", []string{"team"}}, // "tea" is inside "team"
		{"x x x", []string{"x"}},       // duplicates
		{"1 2 3 4 5 6 7 8 9 10", []string{"1", "2", "3", "4", "5", "6", "7", "8"}}, // MaxTerms
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got := Terms(tt.in)
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("Terms(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

var (
	chatA = ids.Chat{1}
	chatB = ids.Chat{2}
)

func msgID(n int) ids.Message { return ids.Message{byte(n >> 8), byte(n), 9} }

func at(n int) time.Time { return time.Unix(1_700_000_000+int64(n), 0) }

func hitIDs(hits []Hit) string {
	var s []string
	for _, h := range hits {
		s = append(s, fmt.Sprint(int(h.ID[0])<<8|int(h.ID[1])))
	}
	return strings.Join(s, ",")
}

func TestSearch(t *testing.T) {
	x := New()
	x.PutAll([]Doc{
		{ID: msgID(1), Chat: chatA, At: at(1), Body: "Meet at the Café at noon"},
		{ID: msgID(2), Chat: chatB, At: at(2), Body: "the cafe is closed"},
		{ID: msgID(3), Chat: chatA, At: at(3), Body: "東京で会いましょう"},
		{ID: msgID(5), Chat: chatA, At: at(5), Body: "Straße und STRASSE"},
		{ID: msgID(4), Chat: chatB, At: at(4), Body: "noon? no, later"}, // out of order
	})
	tests := []struct {
		name string
		q    Query
		want string
	}{
		{"accent folded, newest first", Query{Text: "CAFÉ"}, "2,1"},
		{"prefix as typed", Query{Text: "caf"}, "2,1"},
		{"inside a word", Query{Text: "afe"}, "2,1"},
		{"all words any order", Query{Text: "noon meet"}, "1"},
		{"one chat", Query{Text: "cafe", Chat: chatB}, "2"},
		{"cjk substring", Query{Text: "東京"}, "3"},
		{"cjk middle", Query{Text: "会い"}, "3"},
		{"eszett both ways", Query{Text: "strasse"}, "5"},
		{"limit", Query{Text: "no", Limit: 1}, "4"},
		{"no match", Query{Text: "zebra"}, ""},
		{"empty", Query{Text: "  "}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hits, err := x.Search(tt.q)
			if err != nil {
				t.Fatal(err)
			}
			if got := hitIDs(hits); got != tt.want {
				t.Errorf("Search(%+v) = %s, want %s", tt.q, got, tt.want)
			}
		})
	}
	if _, err := x.Search(Query{Text: strings.Repeat("a", MaxQueryBytes+1)}); !errors.Is(err, ErrQueryTooLong) {
		t.Errorf("long query: err = %v, want ErrQueryTooLong", err)
	}
}

func TestPutRemoveUpdate(t *testing.T) {
	x := New()
	x.Put(Doc{ID: msgID(1), Chat: chatA, At: at(1), Body: "first draft"})
	x.Put(Doc{ID: msgID(2), Chat: chatA, At: at(2), Body: "second draft"})
	x.Put(Doc{ID: msgID(3), Chat: chatB, At: at(3), Body: "draft in B"})
	search := func(q string) string {
		t.Helper()
		hits, err := x.Search(Query{Text: q})
		if err != nil {
			t.Fatal(err)
		}
		return hitIDs(hits)
	}
	if got := search("draft"); got != "3,2,1" {
		t.Fatalf("before: %s", got)
	}
	x.Put(Doc{ID: msgID(1), Chat: chatA, At: at(1), Body: "final text"}) // an edit
	if got, got2 := search("draft"), search("final"); got != "3,2" || got2 != "1" {
		t.Errorf("after edit: draft=%s final=%s", got, got2)
	}
	x.Remove(msgID(2))
	x.Remove(msgID(99)) // not indexed: ignored
	if got := search("draft"); got != "3" {
		t.Errorf("after remove: %s", got)
	}
	x.Put(Doc{ID: msgID(3), Chat: chatB, At: at(3)}) // emptied: removed
	if got := search("draft"); got != "" || x.Len() != 1 {
		t.Errorf("after emptying: %s, len %d", got, x.Len())
	}
	x.Put(Doc{ID: msgID(4), Chat: chatB, At: at(4), Body: "final B"})
	x.RemoveChat(chatA)
	if got := search("final"); got != "4" {
		t.Errorf("after RemoveChat: %s", got)
	}
	x.Reset()
	if x.Len() != 0 || search("final") != "" {
		t.Error("Reset left messages")
	}
}

func TestCompaction(t *testing.T) {
	x := New()
	const n = 5000
	for i := range n {
		x.Put(Doc{ID: msgID(i), Chat: chatA, At: at(i), Body: fmt.Sprint("word ", i)})
	}
	for i := range n - 10 {
		x.Remove(msgID(i))
	}
	if len(x.order) > n/2 {
		t.Errorf("order holds %d docs for %d live: not compacted", len(x.order), x.Len())
	}
	hits, _ := x.Search(Query{Text: "word", Limit: MaxLimit})
	if len(hits) != 10 {
		t.Errorf("%d hits, want 10", len(hits))
	}
}

func snippetText(s Snippet) string {
	var b strings.Builder
	if s.CutBefore {
		b.WriteString("…")
	}
	for _, p := range s.Parts {
		if p.Hit {
			b.WriteString("[" + p.Text + "]")
		} else {
			b.WriteString(p.Text)
		}
	}
	if s.CutAfter {
		b.WriteString("…")
	}
	return b.String()
}

func TestSnippet(t *testing.T) {
	long := strings.Repeat("filler ", 20) + "the Café is here" + strings.Repeat(" more", 60)
	tests := []struct {
		name, body, query, want string
	}{
		{"marks every hit", "Cafe or CAFÉ?", "cafe", "[Cafe] or [CAFÉ]?"},
		{"two words", "meet at noon", "noon meet", "[meet] at [noon]"},
		{"combining mark inside hit", "Cafe\u0301!", "cafe", "[Cafe\u0301]!"},
		{"eszett partly matched", "Straße", "ss", "Stra[ß]e"},
		{"overlapping merged", "aaaa", "aa aaa", "[aaaa]"},
		{"cjk", "東京で会いましょう", "会い", "東京で[会い]ましょう"},
		{"cut both ends", long, "café", "…filler filler filler the [Café] is here" + strings.Repeat(" more", 24) + " mo…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := snippetText(snippetOf(tt.body, Terms(tt.query)))
			if got != tt.want {
				t.Errorf("snippet = %q\nwant      %q", got, tt.want)
			}
		})
	}
}

// FuzzSearch checks that no query or body panics, that snippets are cut on
// rune boundaries of the body, and that a body always finds itself.
func FuzzSearch(f *testing.F) {
	for _, s := range []string{"Café", "東京", "ß", "a\u0301", "\xff", "ΟΔΟΣ", "ｶﾞ", "  x  y "} {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, body, query string) {
		if len(query) > MaxQueryBytes {
			return
		}
		x := New()
		x.Put(Doc{ID: msgID(1), Chat: chatA, At: at(1), Body: body})
		hits, err := x.Search(Query{Text: query})
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range hits {
			var joined strings.Builder
			for _, p := range h.Snippet.Parts {
				if !utf8.ValidString(p.Text) && utf8.ValidString(body) {
					t.Fatalf("part %q not valid UTF-8", p.Text)
				}
				joined.WriteString(p.Text)
			}
			if !strings.Contains(body, joined.String()) {
				t.Fatalf("snippet %q is not a piece of %q", joined.String(), body)
			}
		}
		if utf8.ValidString(body) && len(body) <= MaxQueryBytes && len(Terms(body)) > 0 && len(Terms(body)) < MaxTerms {
			if hits, _ := x.Search(Query{Text: body}); len(hits) != 1 {
				t.Fatalf("body %q does not find itself", body)
			}
		}
	})
}

// FuzzNormalize checks what highlighting relies on: every byte of the
// result maps to the start of a rune of the input, in order, and valid
// input gives valid output that Normalize and normalizeMap agree on.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"Café", "Cafe\u0301", "ｶﾞｷﾞ", "ß", "İ", "ﬁ", "東京", "\xff\xfe", "ΟΔΟΣ", "a\u0308\u0301"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		norm, from := normalizeMap(s)
		if norm != Normalize(s) {
			t.Fatalf("normalizeMap %q, Normalize %q", norm, Normalize(s))
		}
		if len(from) != len(norm) {
			t.Fatalf("%d offsets for %d bytes", len(from), len(norm))
		}
		for i, o := range from {
			if o < 0 || int(o) >= len(s) || !utf8.RuneStart(s[o]) || i > 0 && o < from[i-1] {
				t.Fatalf("offset %d of %q is %d: not a rune start in order", i, s, o)
			}
		}
		if utf8.ValidString(s) && !utf8.ValidString(norm) {
			t.Fatalf("%q normalised to invalid UTF-8 %q", s, norm)
		}
	})
}
