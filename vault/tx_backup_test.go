package vault

import (
	"errors"
	"slices"
	"testing"

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
		if err := tx.EachMessage(func(m Message) error { got = append(got, m.ID); return nil }); err != nil {
			return err
		}
		if !slices.Equal(got, want) {
			t.Errorf("EachMessage = %v, want insertion order %v", got, want)
		}
		if n, err := tx.MessageCount(a); err != nil || n != 3 {
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
		err := tx.EachMessage(func(Message) error { calls++; return stop })
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
	err := v.View(t.Context(), func(tx *Tx) error { return tx.EachMessage(func(Message) error { return nil }) })
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("EachMessage = %v, want ErrCorrupt", err)
	}
}
