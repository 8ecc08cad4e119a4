package vault

import (
	"hush/ids"
	"hush/policy"
	"slices"
	"testing"
)

// receiveLike runs what receiving a message does in one transaction, and a read of
// a page, so the statements on the hot paths are all used.
func receiveLike(t *testing.T, v *Vault, chat ids.Chat, i int) {
	t.Helper()
	update(t, v, func(tx *Tx) error {
		c, err := tx.Chat(chat)
		if err != nil {
			return err
		}
		if _, err := tx.Cursor("chat:x"); err != nil {
			return err
		}
		m := pendingMessage(t, chat, "hello")
		m.Seq, m.Status = int64(i), policy.StatusSent
		if err := tx.InsertMessage(m); err != nil {
			return err
		}
		if err := tx.SetCursor("chat:x", int64(i)); err != nil {
			return err
		}
		c.Unread++
		return tx.PutChat(c)
	})
	view(t, v, func(tx *Tx) error {
		_, _, err := tx.Messages(chat, PageCursor{}, 10)
		return err
	})
}

func (c *stmtCache) missCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.misses
}

// TestStatementsPreparedOnce checks that after a statement's first use every later
// transaction runs it prepared, and that the results do not change.
func TestStatementsPreparedOnce(t *testing.T) {
	v, _ := newVault(t)
	chat := newChat(t, v)
	receiveLike(t, v, chat, 1)
	first := v.stmts.missCount()
	if first == 0 {
		t.Fatal("no statement was ever run unprepared: the counter counts nothing")
	}
	for i := 2; i <= 5; i++ {
		receiveLike(t, v, chat, i)
	}
	if got := v.stmts.missCount(); got != first {
		t.Errorf("%d statements ran unprepared after the first round", got-first)
	}
	var ms []Message
	view(t, v, func(tx *Tx) error {
		var err error
		ms, _, err = tx.Messages(chat, PageCursor{}, 10)
		return err
	})
	var seqs []int64
	for _, m := range ms {
		seqs = append(seqs, m.Seq)
	}
	if !slices.Equal(seqs, []int64{5, 4, 3, 2, 1}) {
		t.Errorf("messages read back: seqs %v", seqs)
	}
}

// TestStatementReenteredWhileRowsOpen runs a query again while the rows of its first
// run are still open: a prepared statement steps one result at a time, so the
// second run must not disturb the first.
func TestStatementReenteredWhileRowsOpen(t *testing.T) {
	v, _ := newVault(t)
	a, b := newChat(t, v), newChat(t, v)
	update(t, v, func(tx *Tx) error {
		for _, c := range []ids.Chat{a, b} {
			ch, err := tx.Chat(c)
			if err != nil {
				return err
			}
			for range 3 {
				ch.Members = append(ch.Members, Member{AccountID: newID(t), Role: policy.RoleMember})
			}
			if err := tx.PutChat(ch); err != nil {
				return err
			}
		}
		return nil
	})
	want := map[ids.Chat][]Member{}
	for round := range 2 { // the second round runs prepared
		view(t, v, func(tx *Tx) error {
			outer, err := tx.query(`SELECT member_tag, data FROM chat_members WHERE chat_tag = ?1 ORDER BY rowid`, tx.chatTag(a))
			if err != nil {
				return err
			}
			defer outer.Close()
			n := 0
			for outer.Next() {
				n++
				inner, err := tx.members(tx.chatTag(b)) // the same SQL, while outer is open
				if err != nil {
					return err
				}
				if round == 0 && n == 1 {
					want[b] = inner
				}
				if !slices.Equal(inner, want[b]) || len(inner) != len(want[b]) {
					t.Errorf("round %d: inner read %v, want %v", round, inner, want[b])
				}
			}
			if err := outer.Err(); err != nil {
				return err
			}
			if n != len(want[b]) {
				t.Errorf("round %d: the outer read saw %d rows, want %d", round, n, len(want[b]))
			}
			return nil
		})
	}
	if len(want[b]) == 0 {
		t.Fatal("no members read")
	}
}
