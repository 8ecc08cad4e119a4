package chat

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"hush/clock"
	"hush/ids"
	"hush/internal/testutil"
	"hush/policy"
	"hush/search"
	"hush/vault"
)

func testVault(t testing.TB) *vault.Vault {
	t.Helper()
	v, err := vault.Create(t.Context(), filepath.Join(t.TempDir(), "vault.db"), testPassphrase, testVaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	return v
}

func putChat(t testing.TB, v *vault.Vault, kind policy.ChatKind) ids.Chat {
	t.Helper()
	id := ids.New[ids.Chat]()
	if err := v.Update(t.Context(), func(tx *vault.Tx) error {
		return tx.PutChat(vault.Chat{ID: id, Kind: kind, Title: kind.String()})
	}); err != nil {
		t.Fatal(err)
	}
	return id
}

func putMessage(t testing.TB, v *vault.Vault, chat ids.Chat, body string) vault.Message {
	t.Helper()
	m := vault.Message{ID: ids.New[ids.Message](), ChatID: chat, Body: body, Status: policy.StatusSent, Seq: 1, SentAt: time.Now()}
	if err := v.Update(t.Context(), func(tx *vault.Tx) error { return tx.InsertMessage(m) }); err != nil {
		t.Fatal(err)
	}
	return m
}

// startSearcher runs a searcher over v until the test ends, and waits for
// its build.
func startSearcher(t testing.TB, v *vault.Vault) *searcher {
	t.Helper()
	s := newSearcher(v, clock.Real(), slog.New(slog.DiscardHandler))
	runSearcher(t, s)
	<-s.want()
	return s
}

// runSearcher runs s until the test ends; it builds nothing until wanted.
func runSearcher(t testing.TB, s *searcher) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
}

func find(t testing.TB, s *searcher, query string, chat ids.Chat) []SearchHit {
	t.Helper()
	hits, err := s.search(t.Context(), search.Query{Text: query, Chat: chat})
	if err != nil {
		t.Fatal(err)
	}
	return hits
}

// TestSearcherFollowsVault checks the index built at start and kept current
// by the vault's change reports: inserts, edits, deletes and a deleted chat,
// and that a secret chat's messages are never found although they are in
// the vault.
func TestSearcherFollowsVault(t *testing.T) {
	v := testVault(t)
	cloud, secret := putChat(t, v, policy.KindGroup), putChat(t, v, policy.KindSecret)
	early := putMessage(t, v, cloud, "Meet at the Café at noon")
	hidden := putMessage(t, v, secret, "the café of the secret chat")
	s := startSearcher(t, v)

	// The secret message is in the vault, readable by the engine: only the
	// searcher's rule keeps it out of the results.
	if err := v.View(t.Context(), func(tx *vault.Tx) error {
		m, err := tx.Message(hidden.ID)
		if err == nil && !strings.Contains(m.Body, "café") {
			err = fmt.Errorf("body %q", m.Body)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	hits := find(t, s, "cafe", ids.Chat{})
	if len(hits) != 1 || hits[0].Message != early.ID || hits[0].Chat != cloud {
		t.Fatalf("after the build: %+v", hits)
	}
	if got := find(t, s, "cafe", secret); len(got) != 0 {
		t.Fatalf("a secret chat searched by id: %+v", got)
	}

	later := putMessage(t, v, cloud, "the café is closed")
	putMessage(t, v, secret, "another secret café")
	if got := find(t, s, "cafe", ids.Chat{}); len(got) != 2 || got[0].Message != later.ID {
		t.Fatalf("after inserts: %+v", got)
	}

	early.Body = "Meet at the station"
	if err := v.Update(t.Context(), func(tx *vault.Tx) error { return tx.UpdateMessage(early) }); err != nil {
		t.Fatal(err)
	}
	if got, station := find(t, s, "cafe", ids.Chat{}), find(t, s, "station", cloud); len(got) != 1 || len(station) != 1 {
		t.Fatalf("after an edit: cafe %d hits, station %d", len(got), len(station))
	}

	if err := v.Update(t.Context(), func(tx *vault.Tx) error { return tx.DeleteMessage(later.ID) }); err != nil {
		t.Fatal(err)
	}
	if got := find(t, s, "cafe", ids.Chat{}); len(got) != 0 {
		t.Fatalf("after a delete: %+v", got)
	}
	if err := v.Update(t.Context(), func(tx *vault.Tx) error { return tx.DeleteChat(cloud) }); err != nil {
		t.Fatal(err)
	}
	if got := find(t, s, "station", ids.Chat{}); len(got) != 0 || s.idx.Len() != 0 {
		t.Fatalf("after the chat's delete: %+v, %d indexed", got, s.idx.Len())
	}
}

// TestSearcherChangesDuringBuild checks that writes committed while the
// build reads are not lost, whichever batch they fall in.
func TestSearcherChangesDuringBuild(t *testing.T) {
	v := testVault(t)
	chat := putChat(t, v, policy.KindDirect)
	var ms []vault.Message
	if err := v.Update(t.Context(), func(tx *vault.Tx) error {
		for i := range 3 * scanBatch {
			m := vault.Message{ID: ids.New[ids.Message](), ChatID: chat, Body: fmt.Sprint("old ", i), Status: policy.StatusSent, Seq: int64(i + 1), SentAt: time.Now()}
			ms = append(ms, m)
			if err := tx.InsertMessage(m); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	s := newSearcher(v, clock.Real(), slog.New(slog.DiscardHandler))
	var batches int
	s.afterBatch = func() {
		if batches++; batches != 1 {
			return
		}
		// The first batch has indexed ms[0]; the last message is still unread.
		if err := v.Update(t.Context(), func(tx *vault.Tx) error {
			if err := tx.DeleteMessage(ms[0].ID); err != nil {
				return err
			}
			last := ms[len(ms)-1]
			last.Body = "edited during the build"
			return tx.UpdateMessage(last)
		}); err != nil {
			t.Error(err)
		}
	}
	runSearcher(t, s)
	<-s.want()
	if batches < 3 {
		t.Fatalf("the build read %d batches: the write did not fall inside it", batches)
	}
	if got := find(t, s, "edited during", ids.Chat{}); len(got) != 1 {
		t.Errorf("the edit made during the build: %d hits", len(got))
	}
	if s.idx.Len() != len(ms)-1 {
		t.Errorf("%d indexed, want %d: the delete made during the build was lost", s.idx.Len(), len(ms)-1)
	}
}

// TestSearcherBuildsOnlyWhenWanted: an engine that is never searched reads
// no message into memory, even as messages arrive; the first search (or
// PrepareSearch) builds the index from the vault as it is then.
func TestSearcherBuildsOnlyWhenWanted(t *testing.T) {
	v := testVault(t)
	chat := putChat(t, v, policy.KindGroup)
	putMessage(t, v, chat, "written before the start")
	s := newSearcher(v, clock.Real(), slog.New(slog.DiscardHandler))
	var batches atomic.Int32
	s.afterBatch = func() { batches.Add(1) }
	runSearcher(t, s)

	putMessage(t, v, chat, "written while nobody searched")
	// A build would have read the vault's one batch well within this time.
	time.Sleep(300 * time.Millisecond)
	s.mu.Lock()
	idx, pending := s.idx, len(s.pending)
	s.mu.Unlock()
	if n := batches.Load(); n != 0 || idx != nil || pending != 0 {
		t.Fatalf("before any search: %d batches read, index %v, %d changes queued", n, idx != nil, pending)
	}

	for _, q := range []string{"before the start", "while nobody searched"} {
		if got := find(t, s, q, ids.Chat{}); len(got) != 1 {
			t.Errorf("%q: %d hits, want 1", q, len(got))
		}
	}
	if n := batches.Load(); n != 1 {
		t.Errorf("the first search read %d batches, want 1", n)
	}
	find(t, s, "written", ids.Chat{})
	if n := batches.Load(); n != 1 {
		t.Errorf("a second search built again: %d batches read", n)
	}
}

// TestSearcherDropsUnusedIndex: the index is let go once no search came for
// searchIdle (each search puts the drop off), the app is told so it can hand
// the memory back, and the next search builds a new index that holds what
// was written meanwhile.
func TestSearcherDropsUnusedIndex(t *testing.T) {
	v := testVault(t)
	chat := putChat(t, v, policy.KindGroup)
	putMessage(t, v, chat, "an early message")
	clk := clock.NewFake(time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC))
	s := newSearcher(v, clk, slog.New(slog.DiscardHandler))
	var settled atomic.Int32
	s.settled = func() { settled.Add(1) }
	runSearcher(t, s)
	indexed := func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.idx != nil
	}

	if got := find(t, s, "early", ids.Chat{}); len(got) != 1 {
		t.Fatalf("first search: %d hits", len(got))
	}
	if n := settled.Load(); n != 1 {
		t.Errorf("after the build the app was told %d times, want 1", n)
	}
	clk.Advance(searchIdle - time.Minute)
	find(t, s, "early", ids.Chat{}) // puts the drop off
	clk.Advance(searchIdle - time.Minute)
	if !indexed() {
		t.Fatal("dropped although searched less than searchIdle ago")
	}
	s.want() // a search field took focus: puts it off too
	clk.Advance(searchIdle - time.Second)
	if !indexed() {
		t.Fatal("dropped although wanted less than searchIdle ago")
	}
	clk.Advance(time.Second)
	if indexed() {
		t.Fatal("still indexed after searchIdle without a search")
	}
	if n := settled.Load(); n != 2 {
		t.Errorf("after the drop the app was told %d times in all, want 2", n)
	}

	later := putMessage(t, v, chat, "a later message")
	if got := find(t, s, "later", ids.Chat{}); len(got) != 1 || got[0].Message != later.ID {
		t.Fatalf("after the drop, a message written meanwhile: %+v", got)
	}
	if !indexed() || settled.Load() != 3 {
		t.Errorf("the search after the drop: indexed %v, told %d times", indexed(), settled.Load())
	}
}

// TestSearchAcrossDevices searches what arrived through the relay, and
// checks that a secret chat's messages are found on neither device.
func TestSearchAcrossDevices(t *testing.T) {
	ctx := context.Background()
	alice, bob, _, _ := secretPeers(t)
	dm, err := bob.engine.OpenDirect(ctx, alice.id())
	if err != nil {
		t.Fatal(err)
	}
	sendAcked(t, bob, dm.ID, "Rendezvous at Café Müller")
	secret, err := alice.engine.StartSecret(ctx, bob.id(), bob.dev.ID())
	if err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 20*time.Second, "Bob has the secret chat", func() bool {
		_, err := bob.engine.Summary(ctx, secret.ID)
		return err == nil
	})
	if _, err := alice.engine.Send(ctx, secret.ID, "secret rendezvous by the river", nil); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 20*time.Second, "Bob has both", func() bool {
		_, ok := messageIn(bob, secret.ID, "secret rendezvous by the river")
		_, ok2 := messageIn(alice, dm.ID, "Rendezvous at Café Müller")
		return ok && ok2
	})
	for _, p := range []*peer{alice, bob} {
		hits, err := p.engine.Search(ctx, "rendezvous", ids.Chat{}, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(hits) != 1 || hits[0].Chat != dm.ID {
			t.Fatalf("%s: %+v", p.name, hits)
		}
		var marked []string
		for _, part := range hits[0].Snippet.Parts {
			if part.Hit {
				marked = append(marked, part.Text)
			}
		}
		if strings.Join(marked, "|") != "Rendezvous" {
			t.Errorf("%s: highlighted %q", p.name, marked)
		}
		if hits, _ := p.engine.Search(ctx, "muller", dm.ID, 0); len(hits) != 1 {
			t.Errorf("%s: accent-folded search within the chat: %d hits", p.name, len(hits))
		}
		if hits, _ := p.engine.Search(ctx, "river", ids.Chat{}, 0); len(hits) != 0 {
			t.Errorf("%s: the secret chat was searched: %+v", p.name, hits)
		}
	}
	if _, err := alice.engine.Search(ctx, strings.Repeat("x", search.MaxQueryBytes+1), ids.Chat{}, 0); err == nil {
		t.Error("an overlong query was accepted")
	}
}

// TestSearcherRebuildsAfterTooManyChanges: a transaction too large for the
// vault to list its changes (a backup's import) makes the searcher build its
// index again, so the messages it wrote are found; until then the index
// searched is the one before, kept current.
func TestSearcherRebuildsAfterTooManyChanges(t *testing.T) {
	v := testVault(t)
	chat := putChat(t, v, policy.KindGroup)
	putMessage(t, v, chat, "before the import")
	s := startSearcher(t, v)
	n := vault.MaxListedChanges + 10
	if err := v.Update(t.Context(), func(tx *vault.Tx) error {
		for i := range n {
			m := vault.Message{ID: ids.New[ids.Message](), ChatID: chat, Body: fmt.Sprintf("imported number%d", i),
				Status: policy.StatusSent, Seq: int64(i + 2), SentAt: time.Now()}
			if err := tx.InsertMessage(m); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	putMessage(t, v, chat, "after the import")
	for i := 0; ; i++ {
		if len(find(t, s, "number4099", ids.Chat{})) == 1 {
			break
		}
		if i == 200 {
			t.Fatal("a message of the large transaction is never found: no rebuild")
		}
		time.Sleep(25 * time.Millisecond)
	}
	for _, q := range []string{"before", "after", fmt.Sprintf("number%d", n-1)} {
		if got := find(t, s, q, ids.Chat{}); len(got) != 1 {
			t.Errorf("%q: %d hits after the rebuild, want 1", q, len(got))
		}
	}
	if got := find(t, s, "imported", ids.Chat{}); len(got) == 0 {
		t.Error("no hits for a word of every imported message")
	}
}
