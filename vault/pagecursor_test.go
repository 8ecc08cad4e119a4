package vault

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"hush/policy"
	"slices"
	"testing"
)

// cursorBytes builds the decoded form of a page cursor's text, to play a UI that
// sends something else than it was given.
func cursorBytes(version, pending byte, seq, local uint64) string {
	b := []byte{version, pending}
	b = binary.BigEndian.AppendUint64(b, seq)
	b = binary.BigEndian.AppendUint64(b, local)
	return base64.RawURLEncoding.EncodeToString(b)
}

// TestPageCursorTextPaging pages through a chat with cursors that went through
// their text form, across a lock and unlock of the vault, and gets what paging with
// the cursors themselves gets.
func TestPageCursorTextPaging(t *testing.T) {
	v, path := newVault(t)
	chat := newChat(t, v)
	update(t, v, func(tx *Tx) error {
		for i := range 20 {
			m := pendingMessage(t, chat, string(rune('a'+i)))
			if i%4 != 0 { // every fourth stays pending
				m.Seq, m.Status = int64(i+1), policy.StatusSent
			}
			if err := tx.InsertMessage(m); err != nil {
				return err
			}
		}
		return nil
	})
	walk := func(v *Vault, viaText bool) []string {
		t.Helper()
		var got []string
		var cur PageCursor
		for range 20 {
			ms, next, err := v.Messages(t.Context(), chat, cur, 3)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, bodies(ms)...)
			if len(ms) < 3 {
				return got
			}
			cur = next
			if viaText {
				text, err := next.MarshalText()
				if err != nil || len(text) != 24 {
					t.Fatalf("MarshalText = %q, %v", text, err)
				}
				cur = PageCursor{}
				if err := cur.UnmarshalText(text); err != nil {
					t.Fatalf("UnmarshalText(%q): %v", text, err)
				}
				if cur != next {
					t.Fatalf("round trip: %+v, want %+v", cur, next)
				}
			}
		}
		t.Fatal("paging does not end")
		return nil
	}
	want := walk(v, false)
	if len(want) != 20 {
		t.Fatalf("walked %d messages, want 20", len(want))
	}
	if got := walk(v, true); !slices.Equal(got, want) {
		t.Errorf("paging via text = %v\nwant %v", got, want)
	}
	// A cursor's text stays valid after the vault was locked and unlocked.
	ms, next, err := v.Messages(t.Context(), chat, PageCursor{}, 7)
	if err != nil || len(ms) != 7 {
		t.Fatal(len(ms), err)
	}
	text, _ := next.MarshalText()
	if err := v.Close(); err != nil {
		t.Fatal(err)
	}
	v2 := reopen(t, path, testPassphrase)
	var cur PageCursor
	if err := cur.UnmarshalText(text); err != nil {
		t.Fatal(err)
	}
	rest, _, err := v2.Messages(t.Context(), chat, cur, MaxPageSize)
	if err != nil || !slices.Equal(bodies(rest), want[7:]) {
		t.Errorf("after unlock: %v, %v; want %v", bodies(rest), err, want[7:])
	}
}

func TestPageCursorTextKnownAnswers(t *testing.T) {
	tests := []struct {
		c    PageCursor
		text string
	}{
		{PageCursor{}, ""},
		{PageCursor{set: true, pending: 0, seq: 5, localSeq: 7}, cursorBytes(1, 0, 5, 7)},
		{PageCursor{set: true, pending: 1, seq: 0, localSeq: 1}, cursorBytes(1, 1, 0, 1)},
		{PageCursor{set: true, seq: maxSeq, localSeq: maxSeq}, cursorBytes(1, 0, maxSeq, maxSeq)},
	}
	// Pin one literally, so a change of layout cannot pass unnoticed.
	if got := cursorBytes(1, 0, 5, 7); got != "AQAAAAAAAAAABQAAAAAAAAAH" {
		t.Fatalf("layout changed: %s", got)
	}
	for _, tt := range tests {
		got, err := tt.c.MarshalText()
		if err != nil || string(got) != tt.text {
			t.Errorf("MarshalText(%+v) = %q, %v; want %q", tt.c, got, err, tt.text)
		}
		var back PageCursor
		if err := back.UnmarshalText([]byte(tt.text)); err != nil || back != tt.c {
			t.Errorf("UnmarshalText(%q) = %+v, %v; want %+v", tt.text, back, err, tt.c)
		}
	}
	// A cursor that cannot come from a page does not encode either.
	if _, err := (PageCursor{set: true, pending: 1, seq: 3, localSeq: 1}).MarshalText(); !errors.Is(err, ErrInvalid) {
		t.Errorf("MarshalText of an impossible cursor: %v", err)
	}
}

func TestPageCursorTextRejects(t *testing.T) {
	valid := cursorBytes(1, 0, 5, 7)
	tests := []struct{ name, text string }{
		{"one character", "A"},
		{"too long", valid + "A"},
		{"padded", valid[:22] + "=="},
		{"standard base64 alphabet", "+/" + valid[2:]},
		{"not base64", "this is not a cursor!!!!"},
		{"newline inside", valid[:10] + "\n" + valid[11:]},
		{"version 0", cursorBytes(0, 0, 5, 7)},
		{"version 2", cursorBytes(2, 0, 5, 7)},
		{"pending flag 2", cursorBytes(1, 2, 5, 7)},
		{"pending with a seq", cursorBytes(1, 1, 5, 7)},
		{"relayed without a seq", cursorBytes(1, 0, 0, 7)},
		{"local order zero", cursorBytes(1, 0, 5, 0)},
		{"seq beyond int64", cursorBytes(1, 0, 1<<63, 7)},
		{"local order beyond int64", cursorBytes(1, 0, 5, 1<<63)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := PageCursor{set: true, seq: 9, localSeq: 9}
			c := before
			err := c.UnmarshalText([]byte(tt.text))
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("UnmarshalText(%q) = %v, want ErrInvalid", tt.text, err)
			}
			if c != before {
				t.Errorf("a rejected text changed the cursor to %+v", c)
			}
		})
	}
}

func TestPageCursorTextEveryTruncation(t *testing.T) {
	text := []byte(cursorBytes(1, 0, 5, 7))
	for n := 1; n < len(text); n++ {
		var c PageCursor
		if err := c.UnmarshalText(text[:n]); !errors.Is(err, ErrInvalid) {
			t.Errorf("%d of %d characters: %v", n, len(text), err)
		}
	}
}

func FuzzPageCursorUnmarshalText(f *testing.F) {
	f.Add([]byte(cursorBytes(1, 0, 5, 7)))
	f.Add([]byte(cursorBytes(1, 1, 0, 3)))
	f.Add([]byte(""))
	f.Add([]byte("AAAAAAAAAAAAAAAAAAAAAAAA"))
	f.Fuzz(func(t *testing.T, text []byte) {
		var c PageCursor
		if err := c.UnmarshalText(text); err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error outside ErrInvalid: %v", err)
			}
			return
		}
		// Accepted text is the one and only text of its cursor.
		again, err := c.MarshalText()
		if err != nil || !bytes.Equal(again, text) {
			t.Fatalf("UnmarshalText(%q) then MarshalText = %q, %v", text, again, err)
		}
	})
}
