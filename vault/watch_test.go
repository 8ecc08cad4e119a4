package vault

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
)

// TestWatch checks that watchers see committed changes, in order, and
// nothing of a transaction that rolled back or of a write that changed
// nothing.
func TestWatch(t *testing.T) {
	v, _ := newVault(t)
	var mu sync.Mutex
	var seen []string
	stop := v.Watch(func(cs []Change) {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range cs {
			switch c.Kind {
			case ChangeMessagePut:
				seen = append(seen, "put "+c.Message.Body)
			case ChangeMessageDeleted:
				seen = append(seen, "delete message")
			case ChangeChatPut:
				seen = append(seen, fmt.Sprint("chat ", c.ChatKind))
			case ChangeChatDeleted:
				seen = append(seen, "delete chat")
			}
		}
	})
	got := func() string {
		mu.Lock()
		defer mu.Unlock()
		s := strings.Join(seen, ", ")
		seen = nil
		return s
	}
	chat := newChat(t, v)
	m := pendingMessage(t, chat, "hello")
	update(t, v, func(tx *Tx) error { return tx.InsertMessage(m) })
	update(t, v, func(tx *Tx) error {
		if err := tx.InsertMessage(m); !errors.Is(err, ErrExists) { // a redelivery changes nothing
			return fmt.Errorf("second insert: %v", err)
		}
		m.Body = "edited"
		return tx.UpdateMessage(m)
	})
	if s := got(); s != "chat direct, put hello, put edited" {
		t.Errorf("seen %q", s)
	}

	boom := errors.New("boom")
	if err := v.Update(t.Context(), func(tx *Tx) error {
		if err := tx.DeleteMessage(m.ID); err != nil {
			return err
		}
		return boom
	}); !errors.Is(err, boom) {
		t.Fatal(err)
	}
	view(t, v, func(tx *Tx) error { _, err := tx.Message(m.ID); return err })
	if s := got(); s != "" {
		t.Errorf("a rolled back transaction was reported: %q", s)
	}

	update(t, v, func(tx *Tx) error { return tx.DeleteMessage(m.ID) })
	update(t, v, func(tx *Tx) error { return tx.DeleteChat(chat) })
	if s := got(); s != "delete message, delete chat" {
		t.Errorf("seen %q", s)
	}

	stop()
	newChat(t, v)
	if s := got(); s != "" {
		t.Errorf("reported after stop: %q", s)
	}
}

func TestScanMessages(t *testing.T) {
	v, _ := newVault(t)
	chat := newChat(t, v)
	var want []string
	update(t, v, func(tx *Tx) error {
		for i := range 7 {
			m := pendingMessage(t, chat, fmt.Sprint("m", i))
			want = append(want, m.Body)
			if err := tx.InsertMessage(m); err != nil {
				return err
			}
		}
		return nil
	})
	var got []string
	var pos ScanPosition
	for pages := 0; ; pages++ {
		if pages > 3 {
			t.Fatal("scan does not end")
		}
		var page []Message
		view(t, v, func(tx *Tx) (err error) {
			page, pos, err = tx.ScanMessages(pos, 3)
			return err
		})
		for _, m := range page {
			got = append(got, m.Body)
		}
		if len(page) < 3 {
			break
		}
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("scanned %v, want %v", got, want)
	}
}

// TestReleaseMemory: handing back the page cache leaves the vault as it was —
// the next reads and writes work — and a locked vault says so.
func TestReleaseMemory(t *testing.T) {
	v, _ := newVault(t)
	chat := newChat(t, v)
	insert := func(body string) {
		update(t, v, func(tx *Tx) error { return tx.InsertMessage(pendingMessage(t, chat, body)) })
	}
	count := func() int {
		var n int
		var pos ScanPosition
		view(t, v, func(tx *Tx) error {
			page, _, err := tx.ScanMessages(pos, 100)
			n = len(page)
			return err
		})
		return n
	}
	insert("before")
	if n := count(); n != 1 {
		t.Fatalf("%d messages before, want 1", n)
	}
	if err := v.ReleaseMemory(t.Context()); err != nil {
		t.Fatalf("ReleaseMemory: %v", err)
	}
	insert("after")
	if n := count(); n != 2 {
		t.Fatalf("%d messages after releasing memory, want 2", n)
	}
	if err := v.Close(); err != nil {
		t.Fatal(err)
	}
	if err := v.ReleaseMemory(t.Context()); !errors.Is(err, ErrClosed) {
		t.Errorf("ReleaseMemory after Close = %v, want ErrClosed", err)
	}
}

// TestWatchTooManyChanges: a transaction lists up to MaxListedChanges changes;
// past that its watchers get one ChangeMany, not every message it wrote.
func TestWatchTooManyChanges(t *testing.T) {
	v, _ := newVault(t)
	chat := newChat(t, v)
	var got [][]Change
	stop := v.Watch(func(cs []Change) { got = append(got, cs) })
	defer stop()
	for _, n := range []int{MaxListedChanges, MaxListedChanges + 1} {
		got = nil
		update(t, v, func(tx *Tx) error {
			for i := range n {
				if err := tx.InsertMessage(pendingMessage(t, chat, fmt.Sprint("m", i))); err != nil {
					return err
				}
			}
			return nil
		})
		switch {
		case len(got) != 1:
			t.Errorf("%d messages: %d reports, want 1", n, len(got))
		case n <= MaxListedChanges && (len(got[0]) != n || got[0][n-1].Kind != ChangeMessagePut):
			t.Errorf("%d messages: %d changes listed, want every one", n, len(got[0]))
		case n > MaxListedChanges && (len(got[0]) != 1 || got[0][0].Kind != ChangeMany):
			t.Errorf("%d messages: %d changes listed (first %v), want one ChangeMany", n, len(got[0]), got[0][0].Kind)
		}
	}
}

// The vault's connection keeps a small page cache (pageCacheKiB): SQLite's
// default held 3 MiB more of the desktop window with a large chat open.
func TestPageCacheIsSmall(t *testing.T) {
	v, _ := newVault(t)
	var kib int
	if err := v.db.QueryRowContext(t.Context(), "PRAGMA cache_size").Scan(&kib); err != nil {
		t.Fatal(err)
	}
	if kib != -pageCacheKiB {
		t.Errorf("PRAGMA cache_size = %d, want %d (KiB, negative)", kib, -pageCacheKiB)
	}
}
