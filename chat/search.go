package chat

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"hush/ids"
	"hush/policy"
	"hush/search"
	"hush/vault"
)

// The engine's message search (docs/ARCHITECTURE.md, "Search"): an index in
// memory only, built from the vault on a goroutine when the engine starts
// (after unlock) and dropped when it closes (at lock). The vault reports
// every committed write to messages and chats (vault.Watch), so messages
// received, sent, edited, deleted, expired or imported from a backup reach
// the index whichever part of the engine wrote them. Only cloud chats are
// indexed: a secret chat's messages never are.

// scanBatch is how many messages one read transaction of the build takes:
// short enough that other vault calls are not held up noticeably.
const scanBatch = 500

// searcher keeps the search index.
type searcher struct {
	v   *vault.Vault
	log *slog.Logger
	// rebuild asks run for a new build: a transaction changed too much to list
	// (vault.ChangeMany, a backup's import).
	rebuild chan struct{}

	mu sync.Mutex
	// idx is the index searched; a rebuild makes a new one and swaps it in.
	idx *search.Index
	// kinds are the kinds of the chats seen; a message of a chat not in it is
	// not indexed (never a secret chat's by mistake).
	kinds map[ids.Chat]policy.ChatKind
	// building is set while a build runs: the changes reported meanwhile are
	// queued in pending and applied to its index after it. ready is set once
	// the first build ended, and built closed then.
	building bool
	pending  []vault.Change
	ready    bool
	built    chan struct{}
	// buildErr is why the first build failed, if it did.
	buildErr error
	// afterBatch, if set, runs after each batch a build reads (tests).
	afterBatch func()
}

func newSearcher(v *vault.Vault, log *slog.Logger) *searcher {
	return &searcher{
		v: v, log: log, rebuild: make(chan struct{}, 1),
		idx: search.New(), kinds: make(map[ids.Chat]policy.ChatKind), building: true, built: make(chan struct{}),
	}
}

// run builds the index, keeps it current until ctx ends, then drops it.
func (s *searcher) run(ctx context.Context) {
	stop := s.v.Watch(s.changed)
	defer func() {
		stop()
		s.mu.Lock()
		s.idx.Reset()
		s.mu.Unlock()
	}()
	if err := s.buildAndSwap(ctx); err != nil {
		return
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.rebuild:
			s.mu.Lock()
			s.building = true
			s.mu.Unlock()
			s.buildAndSwap(ctx)
		}
	}
}

// buildAndSwap builds a new index from the vault, applies the changes queued
// meanwhile and makes it the one searched. A failed first build leaves search
// unavailable; a failed rebuild keeps the index there was.
func (s *searcher) buildAndSwap(ctx context.Context) error {
	start := time.Now()
	idx, kinds := search.New(), make(map[ids.Chat]policy.ChatKind)
	err := s.build(ctx, idx, kinds)
	s.mu.Lock()
	first := !s.ready
	if err == nil || first {
		s.idx, s.kinds = idx, kinds
		for _, c := range s.pending {
			s.applyLocked(c)
		}
	}
	s.pending, s.building = nil, false
	if first {
		s.ready, s.buildErr = true, err
		close(s.built)
	}
	s.mu.Unlock()
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error("search index: build failed", "err", err, "first", first)
		}
		return err
	}
	s.log.Info("search index built", "messages", idx.Len(), "took", time.Since(start), "first", first)
	return nil
}

// build reads every chat's kind into kinds, then every message into idx, in
// short transactions. Changes committed meanwhile were queued by changed:
// applied afterwards (in commit order, each one idempotent), they leave the
// index as if the read had been one snapshot taken at the end.
func (s *searcher) build(ctx context.Context, idx *search.Index, kinds map[ids.Chat]policy.ChatKind) error {
	var chats []vault.Chat
	if err := s.v.View(ctx, func(tx *vault.Tx) (err error) {
		chats, err = tx.Chats()
		return err
	}); err != nil {
		return fmt.Errorf("search index: read chats: %w", err)
	}
	for _, c := range chats {
		kinds[c.ID] = c.Kind
	}
	var pos vault.ScanPosition
	docs := make([]search.Doc, 0, scanBatch)
	for {
		var page []vault.Message
		if err := s.v.View(ctx, func(tx *vault.Tx) (err error) {
			page, pos, err = tx.ScanMessages(pos, scanBatch)
			return err
		}); err != nil {
			return fmt.Errorf("search index: read messages: %w", err)
		}
		docs = docs[:0]
		for _, m := range page {
			if kinds[m.ChatID].Cloud() {
				docs = append(docs, docOf(m))
			}
		}
		idx.PutAll(docs)
		if s.afterBatch != nil {
			s.afterBatch()
		}
		if len(page) < scanBatch {
			return nil
		}
	}
}

func docOf(m vault.Message) search.Doc {
	return search.Doc{ID: m.ID, Chat: m.ChatID, At: m.SentAt, Body: m.Body}
}

// changed is the vault's report of a commit. While a build runs, the changes
// wait for its index; the index searched meanwhile follows them too.
func (s *searcher) changed(cs []vault.Change) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range cs {
		if c.Kind == vault.ChangeMany {
			select {
			case s.rebuild <- struct{}{}:
			default: // one is asked for already
			}
		}
	}
	if s.building {
		s.pending = append(s.pending, cs...)
	}
	if s.ready {
		for _, c := range cs {
			s.applyLocked(c)
		}
	}
}

func (s *searcher) applyLocked(c vault.Change) {
	switch c.Kind {
	case vault.ChangeChatPut:
		s.kinds[c.Chat] = c.ChatKind
		if !c.ChatKind.Cloud() {
			s.idx.RemoveChat(c.Chat)
		}
	case vault.ChangeChatDeleted:
		delete(s.kinds, c.Chat)
		s.idx.RemoveChat(c.Chat)
	case vault.ChangeMessagePut:
		if s.kinds[c.Message.ChatID].Cloud() {
			s.idx.Put(docOf(c.Message)) // an edit replaces; an emptied body removes
		} else {
			s.idx.Remove(c.Message.ID)
		}
	case vault.ChangeMessageDeleted:
		s.idx.Remove(c.MessageID)
	}
}

// ErrSearchUnavailable reports that the search index could not be built;
// the log says why.
var ErrSearchUnavailable = errors.New("chat: search is unavailable")

// SearchHit is a message that matches a search.
type SearchHit struct {
	Chat    ids.Chat
	Message ids.Message
	SentAt  time.Time
	Snippet search.Snippet
}

// SearchBuilt is closed when the search index has been built from the vault (or
// its build failed): the end of the burst of reads and allocations that follows
// the engine's start, after which the app hands memory back.
func (e *Engine) SearchBuilt() <-chan struct{} { return e.search.built }

// search waits for the build (or ctx), then queries the index.
func (s *searcher) search(ctx context.Context, q search.Query) ([]SearchHit, error) {
	select {
	case <-s.built:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	s.mu.Lock()
	err, idx := s.buildErr, s.idx
	s.mu.Unlock()
	if err != nil {
		return nil, ErrSearchUnavailable
	}
	hits, err := idx.Search(q)
	if err != nil {
		return nil, err
	}
	out := make([]SearchHit, len(hits))
	for i, h := range hits {
		out[i] = SearchHit{Chat: h.Chat, Message: h.ID, SentAt: h.At, Snippet: h.Snippet}
	}
	return out, nil
}

// Search finds the cloud-chat messages containing every word of query
// (search.Normalize decides what matches), newest first, at most limit
// (search.DefaultLimit when 0); chat limits it to one chat, the zero id
// searches all. Secret chats are never searched. Right after unlock it
// waits for the index to be built (well under a second for 100 000
// messages: docs/PERFORMANCE.md, "Search").
func (e *Engine) Search(ctx context.Context, query string, chat ids.Chat, limit int) ([]SearchHit, error) {
	if len(query) > search.MaxQueryBytes {
		return nil, detailf(ErrTooLong, "a search is at most %d bytes", search.MaxQueryBytes)
	}
	return e.search.search(ctx, search.Query{Text: query, Chat: chat, Limit: limit})
}
