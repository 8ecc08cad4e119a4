package search

import (
	"math/rand/v2"
	"strings"
	"time"

	"hush/ids"
)

// corpus makes n messages spread over chats, from a fixed seed: words from
// a 20 000-word made-up vocabulary with a Zipf-like spread (a few words in
// most messages, most words rare), 3–30 words each (about 110 bytes); one
// message in 20 has accented words, one in 20 is Japanese, one in 50 is
// Russian. Word i of the vocabulary is vocab(i), so tests can ask for words
// of known frequency.
func corpus(n, chats int) []Doc {
	rng := rand.New(rand.NewPCG(1, 2))
	zipf := rand.NewZipf(rand.New(rand.NewPCG(3, 4)), 1.1, 2, 19_999)
	docs := make([]Doc, n)
	start := time.Unix(1_700_000_000, 0)
	var b strings.Builder
	for i := range docs {
		b.Reset()
		switch k := rng.IntN(100); {
		case k < 5:
			for w := range 3 + rng.IntN(20) {
				if w > 0 {
					b.WriteByte(' ')
				}
				b.WriteString(japanese[rng.IntN(len(japanese))])
			}
		case k < 7:
			for w := range 3 + rng.IntN(20) {
				if w > 0 {
					b.WriteByte(' ')
				}
				b.WriteString(russian[rng.IntN(len(russian))])
			}
		default:
			accents := k < 12
			for w := range 3 + rng.IntN(28) {
				if w > 0 {
					b.WriteByte(' ')
				}
				word := vocab(int(zipf.Uint64()))
				if accents && rng.IntN(3) == 0 {
					word = strings.NewReplacer("e", "é", "a", "à", "o", "ö", "c", "ç").Replace(word)
				}
				if w == 0 {
					word = strings.ToUpper(word[:1]) + word[1:]
				}
				b.WriteString(word)
			}
		}
		var id ids.Message
		for j := range id {
			id[j] = byte(rng.Uint32())
		}
		docs[i] = Doc{ID: id, Chat: ids.Chat{byte(i % chats)}, At: start.Add(time.Duration(i) * time.Second), Body: b.String()}
	}
	return docs
}

// vocab is the made-up word number i: pronounceable, 3–10 letters, unique.
func vocab(i int) string {
	const cons, vows = "bcdfghklmnprstvz", "aeiou"
	var b strings.Builder
	for x := i + 7; ; x /= 80 {
		b.WriteByte(cons[x%16])
		b.WriteByte(vows[(x/16)%5])
		if x < 80 {
			break
		}
	}
	if i%3 == 0 {
		b.WriteByte('n')
	}
	return b.String()
}

var japanese = []string{"東京で会いましょう", "明日の天気はどうですか", "ありがとうございます", "会議は三時からです", "写真を送りました", "駅の近くにいます", "今夜は雨が降るそうです"}

var russian = []string{"Привет", "как дела", "Встретимся завтра", "у метро", "спасибо большое", "Ёжик в тумане"}

// benchQueries are what people type, by kind: the p99 is over all of them.
func benchQueries() []Query {
	return []Query{
		{Text: vocab(0)},                     // the commonest word: the limit stops the scan early
		{Text: vocab(0)[:2]},                 // two letters typed so far
		{Text: vocab(50)},                    // a common word
		{Text: vocab(3000)},                  // a rare word
		{Text: vocab(3000)[:3]},              // a rare word's first letters
		{Text: vocab(20) + " " + vocab(400)}, // two words
		{Text: "cafe zzzzzz"},                // nothing matches: the whole index is read
		{Text: "会い"},                         // CJK inside text
		{Text: "встретимся"},                 // Cyrillic, other case
		{Text: "kelo", Chat: ids.Chat{3}},    // within one chat
		{Text: "Qx"},                         // nothing matches
	}
}
