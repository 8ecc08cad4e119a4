package search

import (
	"cmp"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"hush/ids"
)

// Limits of a query.
const (
	// MaxQueryBytes bounds a query's text; a longer one is ErrQueryTooLong.
	MaxQueryBytes = 256
	// MaxTerms bounds the words of a query; words past it are ignored.
	MaxTerms = 8
	// DefaultLimit is the number of hits returned when a query asks for none.
	DefaultLimit = 50
	// MaxLimit caps the hits of one query.
	MaxLimit = 200
)

// ErrQueryTooLong reports a query over MaxQueryBytes.
var ErrQueryTooLong = errors.New("search: query too long")

// Doc is one message as the index sees it.
type Doc struct {
	ID   ids.Message
	Chat ids.Chat
	// At orders hits, newest first.
	At   time.Time
	Body string
}

// Query is a search.
type Query struct {
	// Text is what the user typed; words are separated by spaces.
	Text string
	// Chat limits the search to one chat; the zero id searches every chat.
	Chat ids.Chat
	// Limit caps the hits (DefaultLimit when 0, at most MaxLimit).
	Limit int
}

// Hit is one matching message.
type Hit struct {
	ID      ids.Message
	Chat    ids.Chat
	At      time.Time
	Snippet Snippet
}

// doc is an indexed message. norm is Normalize(body); the index keeps the
// body too, to cut snippets without a vault read per hit. Docs are held by
// value in one slice, so a query that reads them all (a word found nowhere)
// walks memory in order instead of chasing a pointer per message.
type doc struct {
	Doc
	norm string
	dead bool
}

// Index is an in-memory search index. The zero value is not ready: use
// [New]. It is safe for concurrent use; queries run in parallel with each
// other and wait for writes.
type Index struct {
	mu    sync.RWMutex
	byID  map[ids.Message]int // position in order
	order []doc               // oldest first; removed docs stay (dead) until compacted
	dead  int
	// sorted is false after an out-of-order add, until the next query sorts.
	sorted bool
	fold   foldCache
}

// New returns an empty index.
func New() *Index {
	return &Index{byID: make(map[ids.Message]int), sorted: true, fold: make(foldCache)}
}

// Len is the number of messages indexed.
func (x *Index) Len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return len(x.byID)
}

// Put indexes a message, replacing what was indexed under its id (an
// edit). A message with an empty body is removed instead: nothing in it
// can match.
func (x *Index) Put(d Doc) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.putLocked(d)
}

// PutAll indexes many messages under one lock (the build after unlock).
func (x *Index) PutAll(docs []Doc) {
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, d := range docs {
		x.putLocked(d)
	}
}

func (x *Index) putLocked(d Doc) {
	if i, ok := x.byID[d.ID]; ok {
		if old := &x.order[i]; d.Body != "" && old.Chat == d.Chat && old.At.Equal(d.At) {
			old.Body, old.norm = d.Body, x.normalizeLocked(d.Body)
			return
		}
		x.removeLocked(d.ID)
	}
	if d.Body == "" {
		return
	}
	nd := doc{Doc: d, norm: x.normalizeLocked(d.Body)}
	if n := len(x.order); n > 0 && before(&nd, &x.order[n-1]) {
		x.sorted = false
	}
	x.byID[d.ID] = len(x.order)
	x.order = append(x.order, nd)
}

func (x *Index) normalizeLocked(s string) string {
	out, _ := normalize(s, false, x.fold)
	return out
}

// Remove drops a message (deleted, expired); an id not indexed is ignored.
func (x *Index) Remove(id ids.Message) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.removeLocked(id)
}

// RemoveChat drops every message of a chat (the chat was deleted or left).
func (x *Index) RemoveChat(chat ids.Chat) {
	x.mu.Lock()
	defer x.mu.Unlock()
	for id, i := range x.byID {
		if x.order[i].Chat == chat {
			x.removeLocked(id)
		}
	}
}

func (x *Index) removeLocked(id ids.Message) {
	i, ok := x.byID[id]
	if !ok {
		return
	}
	delete(x.byID, id)
	d := &x.order[i]
	d.dead, d.Body, d.norm = true, "", ""
	x.dead++
	if x.dead > 1024 && x.dead > len(x.order)/4 {
		x.order = slices.DeleteFunc(x.order, func(d doc) bool { return d.dead })
		x.dead = 0
		x.renumberLocked()
	}
}

// renumberLocked points byID at the docs' positions after they moved.
func (x *Index) renumberLocked() {
	for i := range x.order {
		x.byID[x.order[i].ID] = i
	}
}

// Reset empties the index.
func (x *Index) Reset() {
	x.mu.Lock()
	defer x.mu.Unlock()
	clear(x.byID)
	x.order, x.dead, x.sorted = nil, 0, true
}

func before(a, b *doc) bool { return compareDocs(a, b) < 0 }

func compareDocs(a, b *doc) int {
	if c := a.At.Compare(b.At); c != 0 {
		return c
	}
	return strings.Compare(string(a.ID[:]), string(b.ID[:]))
}

// Search returns the messages that contain every word of q.Text, newest
// first. A query with no words returns no hits.
func (x *Index) Search(q Query) ([]Hit, error) {
	if len(q.Text) > MaxQueryBytes {
		return nil, ErrQueryTooLong
	}
	terms := Terms(q.Text)
	if len(terms) == 0 {
		return nil, nil
	}
	limit := q.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	limit = min(limit, MaxLimit)
	x.sortIfNeeded()
	x.mu.RLock()
	var found []Doc
	for i := len(x.order) - 1; i >= 0 && len(found) < limit; i-- {
		d := &x.order[i]
		if d.dead || !q.Chat.IsZero() && d.Chat != q.Chat || !containsAll(d.norm, terms) {
			continue
		}
		found = append(found, d.Doc)
	}
	x.mu.RUnlock()
	hits := make([]Hit, len(found))
	for i, d := range found {
		hits[i] = Hit{ID: d.ID, Chat: d.Chat, At: d.At, Snippet: snippetOf(d.Body, terms)}
	}
	return hits, nil
}

func (x *Index) sortIfNeeded() {
	x.mu.RLock()
	sorted := x.sorted
	x.mu.RUnlock()
	if sorted {
		return
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if !x.sorted {
		slices.SortStableFunc(x.order, func(a, b doc) int { return compareDocs(&a, &b) })
		x.sorted = true
		x.renumberLocked()
	}
}

func containsAll(s string, terms []string) bool {
	for _, t := range terms {
		if !strings.Contains(s, t) {
			return false
		}
	}
	return true
}

// Terms splits a query into its normalised words: split at white space,
// duplicates and words contained in another word dropped (they add
// nothing), at most MaxTerms kept, longest first so the rarest is tried
// first.
func Terms(query string) []string {
	if !utf8.ValidString(query) {
		query = strings.ToValidUTF8(query, " ")
	}
	var terms []string
	for _, w := range strings.Fields(Normalize(query)) {
		if len(terms) == MaxTerms {
			break
		}
		terms = append(terms, w)
	}
	slices.SortFunc(terms, func(a, b string) int { return cmp.Or(len(b)-len(a), strings.Compare(a, b)) })
	out := terms[:0]
	for _, t := range terms {
		if !slices.ContainsFunc(out, func(o string) bool { return strings.Contains(o, t) }) {
			out = append(out, t)
		}
	}
	return out
}
