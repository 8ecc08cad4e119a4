package search

// The blind index: the alternative to the in-memory index that was built,
// measured and not chosen (docs/PERFORMANCE.md, "Search"). It lives only in
// this test file. Every message writes keyed tags of its normalised grams
// into a table shaped like the vault's search_index (token = 32-byte
// HMAC-SHA256 under the blind-index subkey, message id), next to a messages
// table whose bodies are sealed with XChaCha20-Poly1305 as the vault seals
// them, in one SQLite file (modernc.org/sqlite, WAL, as the vault opens it).
//
// Grams: every 3-rune gram of every word (substrings of 3 runes or more),
// the 1- and 2-rune prefixes of every word (a query as short as one typed
// letter), and every 2-rune gram of words in CJK scripts (two-character
// words are common there). A query ANDs the tags of its grams in SQL, newest
// first, then opens the candidates and keeps those that really contain the
// words (grams can match in different places).

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	"golang.org/x/crypto/chacha20poly1305"

	_ "modernc.org/sqlite"

	"hush/ids"
)

type blindIndex struct {
	db   *sql.DB
	key  []byte
	aead interface {
		Seal(dst, nonce, plaintext, ad []byte) []byte
		Open(dst, nonce, ciphertext, ad []byte) ([]byte, error)
	}
}

const blindSchema = `
CREATE TABLE messages (
    local_seq INTEGER PRIMARY KEY,
    id        BLOB NOT NULL UNIQUE,
    chat_tag  BLOB NOT NULL,
    data      BLOB NOT NULL
) STRICT;
CREATE TABLE search_index (
    token      BLOB NOT NULL CHECK (length(token) = 32),
    message_id BLOB NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    PRIMARY KEY (token, message_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX search_index_by_message ON search_index (message_id);`

func openBlind(tb testing.TB, path string) *blindIndex {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=foreign_keys(1)&_pragma=secure_delete(1)")
	if err != nil {
		tb.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(blindSchema); err != nil {
		tb.Fatal(err)
	}
	key := make([]byte, 32)
	rand.Read(key)
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		tb.Fatal(err)
	}
	return &blindIndex{db: db, key: key, aead: aead}
}

// grams returns the distinct grams of a normalised text, as described above.
func grams(norm string) map[string]struct{} {
	out := map[string]struct{}{}
	for _, w := range strings.Fields(norm) {
		r := []rune(w)
		for n := 1; n <= 2 && n <= len(r); n++ {
			out["p\x00"+string(r[:n])] = struct{}{}
		}
		for i := 0; i+3 <= len(r); i++ {
			out["g\x00"+string(r[i:i+3])] = struct{}{}
		}
		if len(r) > 0 && isCJK(r[0]) {
			for i := 0; i+2 <= len(r); i++ {
				out["g\x00"+string(r[i:i+2])] = struct{}{}
			}
		}
	}
	return out
}

// queryGrams are the grams a query word must have: its 3-grams (2-grams in
// CJK), or, for a word shorter than that, itself as a prefix.
func queryGrams(term string) []string {
	r := []rune(term)
	n := 3
	if isCJK(r[0]) {
		n = 2
	}
	if len(r) < n {
		return []string{"p\x00" + term}
	}
	var out []string
	for i := 0; i+n <= len(r); i++ {
		out = append(out, "g\x00"+string(r[i:i+n]))
	}
	return out
}

func isCJK(r rune) bool {
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul)
}

func (b *blindIndex) tag(gram string) []byte {
	m := hmac.New(sha256.New, b.key)
	m.Write([]byte("search\x00"))
	m.Write([]byte(gram))
	return m.Sum(nil)
}

func (b *blindIndex) chatTag(c ids.Chat) []byte { return b.tag("chat\x00" + string(c[:])) }

// insertMessages stores the messages (sealed), without their tags.
func (b *blindIndex) insertMessages(tb testing.TB, docs []Doc) {
	tx, _ := b.db.Begin()
	for _, d := range docs {
		nonce := make([]byte, 24)
		rand.Read(nonce)
		sealed := b.aead.Seal(nonce, nonce, []byte(d.Body), d.ID[:])
		if _, err := tx.Exec(`INSERT INTO messages (id, chat_tag, data) VALUES (?1, ?2, ?3)`, d.ID[:], b.chatTag(d.Chat), sealed); err != nil {
			tb.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		tb.Fatal(err)
	}
}

// indexMessages writes the tags of the messages, in one transaction.
func (b *blindIndex) indexMessages(tb testing.TB, docs []Doc) int {
	tx, _ := b.db.Begin()
	stmt, _ := tx.Prepare(`INSERT OR IGNORE INTO search_index (token, message_id) VALUES (?1, ?2)`)
	rows := 0
	for _, d := range docs {
		for g := range grams(Normalize(d.Body)) {
			if _, err := stmt.Exec(b.tag(g), d.ID[:]); err != nil {
				tb.Fatal(err)
			}
			rows++
		}
	}
	if err := tx.Commit(); err != nil {
		tb.Fatal(err)
	}
	return rows
}

func (b *blindIndex) search(ctx context.Context, q Query) ([]ids.Message, error) {
	terms := Terms(q.Text)
	if len(terms) == 0 {
		return nil, nil
	}
	limit := cmpOr(q.Limit, DefaultLimit)
	var where []string
	var args []any
	seen := map[string]bool{}
	for _, t := range terms {
		for _, g := range queryGrams(t) {
			if !seen[g] {
				seen[g] = true
				args = append(args, b.tag(g))
				where = append(where, fmt.Sprintf("SELECT message_id FROM search_index WHERE token = ?%d", len(args)))
			}
		}
	}
	sqlText := `SELECT m.id, m.data FROM messages m WHERE m.id IN (` + strings.Join(where, " INTERSECT ") + `)`
	if !q.Chat.IsZero() {
		args = append(args, b.chatTag(q.Chat))
		sqlText += fmt.Sprintf(" AND m.chat_tag = ?%d", len(args))
	}
	sqlText += " ORDER BY m.local_seq DESC"
	rows, err := b.db.QueryContext(ctx, sqlText, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ids.Message
	for rows.Next() && len(out) < limit {
		var id ids.Message
		var rawID, data []byte
		if err := rows.Scan(&rawID, &data); err != nil {
			return nil, err
		}
		copy(id[:], rawID)
		body, err := b.aead.Open(nil, data[:24], data[24:], rawID)
		if err != nil {
			return nil, err
		}
		if containsAll(Normalize(string(body)), terms) {
			out = append(out, id)
		}
	}
	return out, rows.Err()
}

func cmpOr(a, b int) int {
	if a > 0 {
		return a
	}
	return b
}

func fileSize(tb testing.TB, db *sql.DB, path string) int64 {
	if _, err := db.Exec("PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		tb.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		tb.Fatal(err)
	}
	return fi.Size()
}

// TestBlindIndexAgrees checks the prototype against the in-memory index on
// a small corpus, so its figures are for a search that gives the same hits.
// Words under three letters are the exception: the blind index finds them
// only at the start of a word (it has no tags for every 1- and 2-letter
// gram), the in-memory index anywhere.
func TestBlindIndexAgrees(t *testing.T) {
	docs := corpus(3000, 10)
	b := openBlind(t, filepath.Join(t.TempDir(), "blind.db"))
	defer b.db.Close()
	b.insertMessages(t, docs)
	b.indexMessages(t, docs)
	x := New()
	x.PutAll(docs)
	for _, q := range append(benchQueries(), Query{Text: "会い"}, Query{Text: vocab(1000)}) {
		if short := slices.ContainsFunc(Terms(q.Text), func(t string) bool { return len(t) < 3 }); short {
			continue
		}
		got, err := b.search(t.Context(), q)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := x.Search(q)
		if len(got) != len(want) {
			t.Errorf("%q: blind %d hits, memory %d", q.Text, len(got), len(want))
			continue
		}
		for i := range got {
			if got[i] != want[i].ID {
				t.Errorf("%q: hit %d differs", q.Text, i)
				break
			}
		}
	}
}

// BenchmarkBlindIndex builds the blind index of 100 000 messages once (the
// time to tag and write them, and the bytes they add to the file), then
// runs the query mix and reports p50 and p99.
func BenchmarkBlindIndex(b *testing.B) {
	docs := corpus(benchMessages, 200)
	path := filepath.Join(b.TempDir(), "blind.db")
	x := openBlind(b, path)
	defer x.db.Close()
	x.insertMessages(b, docs)
	without := fileSize(b, x.db, path)
	t0 := time.Now()
	rows := x.indexMessages(b, docs)
	build := time.Since(t0)
	with := fileSize(b, x.db, path)
	queries := benchQueries()
	var lat, cpu []time.Duration
	for b.Loop() {
		for _, q := range queries {
			t0 := time.Now()
			c := threadCPU(func() {
				if _, err := x.search(b.Context(), q); err != nil {
					b.Fatal(err)
				}
			})
			lat = append(lat, time.Since(t0))
			cpu = append(cpu, c)
		}
	}
	reportPercentiles(b, lat, "")
	reportPercentiles(b, cpu, "cpu-")
	b.ReportMetric(build.Seconds(), "build-s")
	b.ReportMetric(float64(rows), "index-rows")
	b.ReportMetric(float64(with-without)/(1<<20), "index-MiB")
	b.ReportMetric(float64(without)/(1<<20), "messages-MiB")
}
