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
	idx *search.Index
	log *slog.Logger

	mu sync.Mutex
	// kinds are the kinds of the chats seen; a message of a chat not in it is
	// not indexed (never a secret chat's by mistake).
	kinds map[ids.Chat]policy.ChatKind
	// pending holds the changes reported while the build runs, applied after
	// it; ready is set then, and built closed.
	pending []vault.Change
	ready   bool
	built   chan struct{}
	// buildErr is why the build failed, if it did.
	buildErr error
	// afterBatch, if set, runs after each batch the build reads (tests).
	afterBatch func()
}

func newSearcher(v *vault.Vault, log *slog.Logger) *searcher {
	return &searcher{v: v, idx: search.New(), log: log, kinds: make(map[ids.Chat]policy.ChatKind), built: make(chan struct{})}
}

// run builds the index, keeps it current until ctx ends, then drops it.
func (s *searcher) run(ctx context.Context) {
	stop := s.v.Watch(s.changed)
	defer func() {
		stop()
		s.idx.Reset()
	}()
	start := time.Now()
	err := s.build(ctx)
	s.mu.Lock()
	for _, c := range s.pending {
		s.applyLocked(c)
	}
	s.pending, s.ready, s.buildErr = nil, true, err
	close(s.built)
	s.mu.Unlock()
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error("search index: build failed", "err", err)
		}
		return
	}
	s.log.Info("search index built", "messages", s.idx.Len(), "took", time.Since(start))
	<-ctx.Done()
}

// build reads every chat's kind, then every message, in short transactions.
// Changes committed meanwhile were queued by changed: applied afterwards (in
// commit order, each one idempotent), they leave the index as if the read
// had been one snapshot taken at the end.
func (s *searcher) build(ctx context.Context) error {
	var chats []vault.Chat
	if err := s.v.View(ctx, func(tx *vault.Tx) (err error) {
		chats, err = tx.Chats()
		return err
	}); err != nil {
		return fmt.Errorf("search index: read chats: %w", err)
	}
	s.mu.Lock()
	for _, c := range chats {
		s.kinds[c.ID] = c.Kind
	}
	s.mu.Unlock()
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
		s.mu.Lock()
		for _, m := range page {
			if s.kinds[m.ChatID].Cloud() {
				docs = append(docs, docOf(m))
			}
		}
		s.mu.Unlock()
		s.idx.PutAll(docs)
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

// changed is the vault's report of a commit.
func (s *searcher) changed(cs []vault.Change) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.ready {
		s.pending = append(s.pending, cs...)
		return
	}
	for _, c := range cs {
		s.applyLocked(c)
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
	err := s.buildErr
	s.mu.Unlock()
	if err != nil {
		return nil, ErrSearchUnavailable
	}
	hits, err := s.idx.Search(q)
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
