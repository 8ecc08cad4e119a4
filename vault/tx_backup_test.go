package vault

import (
	"errors"
	"slices"
	"testing"
	"time"

	"hush/ids"
)

func TestEachReadsEveryRow(t *testing.T) {
	v, _ := newVault(t)
	a, b := newChat(t, v), newChat(t, v)
	var want []ids.Message
	update(t, v, func(tx *Tx) error {
		for i, c := range []ids.Chat{a, b, a, a, b} {
			m := pendingMessage(t, c, "m")
			m.Seq = int64(i % 2) // pending and relayed alike
			want = append(want, m.ID)
			if err := tx.InsertMessage(m); err != nil {
				return err
			}
		}
		for _, s := range []string{"one", "two", "three"} {
			if err := tx.PutSetting(s, []byte(s)); err != nil {
				return err
			}
			if err := tx.SetCursor("scope/"+s, int64(len(s))); err != nil {
				return err
			}
		}
		for _, e := range []uint64{3, 1, 2} {
			if err := tx.PutEpochKey(a, e, []byte{byte(e)}); err != nil {
				return err
			}
		}
		return tx.PutEpochKey(b, 9, []byte{9})
	})
	view(t, v, func(tx *Tx) error {
		var got []ids.Message
		if err := tx.EachMessage(func(m Message, _ time.Time) error { got = append(got, m.ID); return nil }); err != nil {
			return err
		}
		if !slices.Equal(got, want) {
			t.Errorf("EachMessage = %v, want insertion order %v", got, want)
		}
		if n, err := tx.MessageCount(a, time.Now()); err != nil || n != 3 {
			t.Errorf("MessageCount(a) = %d, %v; want 3", n, err)
		}
		settings := map[string]string{}
		if err := tx.EachSetting(func(n string, v []byte) error { settings[n] = string(v); return nil }); err != nil {
			return err
		}
		if len(settings) != 3 || settings["two"] != "two" {
			t.Errorf("EachSetting = %v", settings)
		}
		cursors := map[string]int64{}
		if err := tx.EachCursor(func(s string, n int64) error { cursors[s] = n; return nil }); err != nil {
			return err
		}
		if len(cursors) != 3 || cursors["scope/three"] != 5 {
			t.Errorf("EachCursor = %v", cursors)
		}
		var epochs []uint64
		if err := tx.EachEpochKey(a, func(e uint64, k []byte) error {
			if k[0] != byte(e) {
				t.Errorf("epoch %d has key %x", e, k)
			}
			epochs = append(epochs, e)
			return nil
		}); err != nil {
			return err
		}
		if !slices.Equal(epochs, []uint64{1, 2, 3}) {
			t.Errorf("EachEpochKey = %v", epochs)
		}
		return nil
	})
}

func TestEachStopsOnError(t *testing.T) {
	v, _ := newVault(t)
	c := newChat(t, v)
	update(t, v, func(tx *Tx) error {
		for range 3 {
			if err := tx.InsertMessage(pendingMessage(t, c, "m")); err != nil {
				return err
			}
		}
		return nil
	})
	stop := errors.New("stop")
	view(t, v, func(tx *Tx) error {
		calls := 0
		err := tx.EachMessage(func(Message, time.Time) error { calls++; return stop })
		if !errors.Is(err, stop) || calls != 1 {
			t.Errorf("EachMessage = %v after %d calls", err, calls)
		}
		return nil
	})
}

// TestEachMessageChecksChatColumn: a message row moved to another chat with raw
// SQL is ErrCorrupt, not exported under the wrong chat.
func TestEachMessageChecksChatColumn(t *testing.T) {
	v, path := newVault(t)
	a, b := newChat(t, v), newChat(t, v)
	update(t, v, func(tx *Tx) error { return tx.InsertMessage(pendingMessage(t, a, "m")) })
	var bTag []byte
	view(t, v, func(tx *Tx) error { bTag = tx.chatTag(b); return nil })
	if err := v.Close(); err != nil {
		t.Fatal(err)
	}
	db := rawDB(t, path)
	if _, err := db.Exec(`UPDATE messages SET chat_tag = ?1`, bTag); err != nil {
		t.Fatal(err)
	}
	db.Close()
	v = reopen(t, path, testPassphrase)
	err := v.View(t.Context(), func(tx *Tx) error { return tx.EachMessage(func(Message, time.Time) error { return nil }) })
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("EachMessage = %v, want ErrCorrupt", err)
	}
}

// TestEachMessageTimers: EachMessage gives each message's timer (zero for none),
// and MessageCount leaves out those whose timer is due: a backup skips them.
func TestEachMessageTimers(t *testing.T) {
	v, _ := newVault(t)
	chat := newChat(t, v)
	now := time.Now()
	due, later, none := pendingMessage(t, chat, "due"), pendingMessage(t, chat, "later"), pendingMessage(t, chat, "none")
	want := map[ids.Message]time.Time{due.ID: now.Add(-time.Minute), later.ID: now.Add(time.Hour), none.ID: {}}
	update(t, v, func(tx *Tx) error {
		for _, m := range []Message{due, later, none} {
			if err := tx.InsertMessage(m); err != nil {
				return err
			}
			if at := want[m.ID]; !at.IsZero() {
				if err := tx.PutTimer(m.ID, at); err != nil {
					return err
				}
			}
		}
		return nil
	})
	view(t, v, func(tx *Tx) error {
		n := 0
		if err := tx.EachMessage(func(m Message, at time.Time) error {
			n++
			if !at.Equal(want[m.ID].Truncate(time.Microsecond)) {
				t.Errorf("%s: timer %v, want %v", m.Body, at, want[m.ID])
			}
			return nil
		}); err != nil {
			return err
		}
		if n != 3 {
			t.Errorf("EachMessage gave %d messages", n)
		}
		for _, c := range []struct {
			at   time.Time
			want int64
		}{{now, 2}, {now.Add(-time.Hour), 3}, {now.Add(2 * time.Hour), 1}} {
			if got, err := tx.MessageCount(chat, c.at); err != nil || got != c.want {
				t.Errorf("MessageCount at %v = %d, %v; want %d", c.at, got, err, c.want)
			}
		}
		return nil
	})
}
