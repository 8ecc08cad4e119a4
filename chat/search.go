package chat

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"hush/clock"
	"hush/ids"
	"hush/policy"
	"hush/search"
	"hush/vault"
)

// The engine's message search (docs/ARCHITECTURE.md, "Search"): an index in
// memory only, built from the vault on a goroutine when a search is near (the
// UI calls Engine.PrepareSearch at the first letter typed in the chat list's
// search box and when a chat's search opens) or comes, and dropped when no
// search came for searchIdle, and at lock. A window that is never searched
// holds no copy of every message's text; one searched holds it while the user
// searches. While an index exists the vault reports every committed write to
// messages and chats (vault.Watch), so messages received, sent, edited,
// deleted, expired or imported from a backup reach it whichever part of the
// engine wrote them.
// Only cloud chats are indexed: a secret chat's messages never are.

// scanBatch is how many messages one read transaction of the build takes:
// short enough that other vault calls are not held up noticeably.
const scanBatch = 500

// searchIdle is how long the index is kept after the last search (or the last
// sign that one is coming). Building it again takes about 0.4 s per 100 000
// messages (docs/PERFORMANCE.md, "Search"); keeping it costs about 32 MiB per
// 100 000 messages for as long as the window stays unlocked, often days.
const searchIdle = 10 * time.Minute

// searcher keeps the search index.
type searcher struct {
	v   *vault.Vault
	log *slog.Logger
	clk clock.Clock
	// wake asks run for a build: the index is wanted and there is none, or a
	// transaction changed too much to list (vault.ChangeMany, a backup's
	// import) and the index there is must be built again.
	wake chan struct{}
	// settled, if set, is called after each build and each drop: the end of
	// a burst of allocations, after which the app hands memory back.
	settled func()

	mu sync.Mutex
	// idx is the index searched, nil when there is none (never wanted yet,
	// dropped, or its build failed); a rebuild makes a new one and swaps it in.
	idx *search.Index
	// kinds are the kinds of the chats seen; a message of a chat not in it is
	// not indexed (never a secret chat's by mistake).
	kinds map[ids.Chat]policy.ChatKind
	// building is set while a build is asked for or runs: the changes reported
	// meanwhile are queued in pending and applied to its index after it.
	building bool
	pending  []vault.Change
	// stale is set by a vault.ChangeMany while there is an index or a build:
	// run builds again.
	stale bool
	// built is closed when the build asked for from no index ends, and stays
	// closed while that index lives; a search waits on it. A new one is made
	// each time the index is wanted again after a drop.
	built chan struct{}
	// lastUse is when the index was last wanted; idle fires searchIdle after it.
	lastUse time.Time
	idle    clock.Timer
	closed  bool
	// afterBatch, if set, runs after each batch a build reads (tests).
	afterBatch func()
}

func newSearcher(v *vault.Vault, clk clock.Clock, log *slog.Logger) *searcher {
	return &searcher{v: v, clk: clk, log: log, wake: make(chan struct{}, 1)}
}

// want makes sure an index exists or is being built, and returns a channel
// closed once the build in progress (if any) has ended. It marks the index
// used, which puts off its drop.
func (s *searcher) want() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lastUse = s.clk.Now()
	if s.idx == nil && !s.building {
		s.building, s.pending, s.built = true, nil, make(chan struct{})
		s.signalLocked()
	}
	return s.built
}

func (s *searcher) signalLocked() {
	select {
	case s.wake <- struct{}{}:
	default: // one is asked for already
	}
}

// run builds the index when wanted, keeps it current until ctx ends, then
// drops it.
func (s *searcher) run(ctx context.Context) {
	stop := s.v.Watch(s.changed)
	defer func() {
		stop()
		s.mu.Lock()
		s.closed = true
		if s.idle != nil {
			s.idle.Stop()
		}
		if s.idx != nil {
			s.idx.Reset()
		}
		s.idx, s.kinds = nil, nil
		s.mu.Unlock()
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		}
		s.mu.Lock()
		if s.stale && s.idx != nil {
			s.building = true
		}
		s.stale = false
		build := s.building
		s.mu.Unlock()
		if build {
			s.buildAndSwap(ctx)
		}
	}
}

// buildAndSwap builds a new index from the vault, applies the changes queued
// meanwhile and makes it the one searched. A failed build from no index leaves
// none (the next search tries again); a failed rebuild keeps the index there
// was.
func (s *searcher) buildAndSwap(ctx context.Context) {
	start := time.Now()
	idx, kinds := search.New(), make(map[ids.Chat]policy.ChatKind)
	err := s.build(ctx, idx, kinds)
	s.mu.Lock()
	fresh := s.idx == nil // not a rebuild: searches wait for this one
	if err == nil {
		s.idx, s.kinds = idx, kinds
		for _, c := range s.pending {
			s.applyLocked(c)
		}
		s.armIdleLocked(searchIdle)
	}
	s.pending, s.building = nil, false
	if fresh {
		close(s.built)
	}
	s.mu.Unlock()
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error("search index: build failed", "err", err, "fresh", fresh)
		}
	} else {
		s.log.Info("search index built", "messages", idx.Len(), "took", time.Since(start), "fresh", fresh)
	}
	s.notifySettled()
}

// armIdleLocked (re)starts the timer that drops an unused index.
func (s *searcher) armIdleLocked(d time.Duration) {
	if s.closed {
		return
	}
	if s.idle != nil {
		s.idle.Stop()
	}
	s.idle = s.clk.AfterFunc(d, s.dropIfIdle)
}

// dropIfIdle lets the index go once no search came for searchIdle; the next
// one builds it again from the vault.
func (s *searcher) dropIfIdle() {
	s.mu.Lock()
	if s.closed || s.idx == nil {
		s.mu.Unlock()
		return
	}
	if left := searchIdle - s.clk.Now().Sub(s.lastUse); left > 0 || s.building {
		s.armIdleLocked(max(left, time.Second))
		s.mu.Unlock()
		return
	}
	n := s.idx.Len()
	s.idx, s.kinds, s.stale = nil, nil, false
	s.mu.Unlock()
	s.log.Info("search index dropped: no search for a while", "messages", n)
	s.notifySettled()
}

func (s *searcher) notifySettled() {
	if s.settled != nil {
		s.settled()
	}
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
// wait for its index; the index searched meanwhile follows them too. With no
// index and no build they are not needed: a build reads the vault as it is.
func (s *searcher) changed(cs []vault.Change) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.idx == nil && !s.building {
		return
	}
	for _, c := range cs {
		if c.Kind == vault.ChangeMany {
			s.stale = true
			s.signalLocked()
		}
	}
	if s.building {
		s.pending = append(s.pending, cs...)
	}
	if s.idx != nil {
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

// search has the index built if there is none (waiting for it or ctx), then
// queries it.
func (s *searcher) search(ctx context.Context, q search.Query) ([]SearchHit, error) {
	select {
	case <-s.want():
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	s.mu.Lock()
	idx := s.idx
	s.mu.Unlock()
	if idx == nil {
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

// PrepareSearch starts building the search index if there is none, without
// waiting for it: the UI calls it when a search is near (the first letter
// typed, a chat's search opened), so that the query finds the index ready. It
// also puts off the drop of an index left unused.
func (e *Engine) PrepareSearch() { e.search.want() }

// Search finds the cloud-chat messages containing every word of query
// (search.Normalize decides what matches), newest first, at most limit
// (search.DefaultLimit when 0); chat limits it to one chat, the zero id
// searches all. Secret chats are never searched. The first search after
// unlock, or after the index was dropped, waits for it to be built (well under
// a second for 100 000 messages: docs/PERFORMANCE.md, "Search").
func (e *Engine) Search(ctx context.Context, query string, chat ids.Chat, limit int) ([]SearchHit, error) {
	if len(query) > search.MaxQueryBytes {
		return nil, detailf(ErrTooLong, "a search is at most %d bytes", search.MaxQueryBytes)
	}
	return e.search.search(ctx, search.Query{Text: query, Chat: chat, Limit: limit})
}
