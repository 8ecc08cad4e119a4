package app

import (
	"reflect"
	"testing"
	"time"

	"hush/chat"
	"hush/ids"
)

// TestMessageViewOfActions: what actions did to a message reaches the UI — edited,
// deleted (worded), pinned, forwarded, and reactions with this account as "you",
// first.
func TestMessageViewOfActions(t *testing.T) {
	bob, carol := ids.New[ids.Account](), ids.New[ids.Account]()
	edited := time.UnixMilli(1_700_000_000_000)
	m := chat.Message{
		ID: ids.New[ids.Message](), Chat: ids.New[ids.Chat](), Sender: bob, Body: "lunch at one?",
		Edited: edited, Pinned: true, ForwardedFrom: "Carol",
		Reactions: []chat.Reaction{
			{Emoji: "👍", By: []chat.Person{{Account: bob, Name: "Bob"}, {Account: ids.New[ids.Account](), IsMe: true}}, Mine: true},
			{Emoji: "🎉", By: []chat.Person{{Account: carol, Name: ""}}},
		},
	}
	v := messageView(m)
	if v.EditedAt != edited.UnixMilli() || !v.Pinned || v.ForwardedFrom != "Carol" || v.Deleted {
		t.Errorf("view %+v", v)
	}
	want := []Reaction{
		{Emoji: "👍", Count: 2, Mine: true, Names: []string{"you", "Bob"}},
		{Emoji: "🎉", Count: 1, Names: []string{nameOr("", carol)}},
	}
	if !reflect.DeepEqual(v.Reactions, want) {
		t.Errorf("reactions %+v, want %+v", v.Reactions, want)
	}
	gone := messageView(chat.Message{ID: m.ID, Chat: m.Chat, Sender: bob, Placeholder: chat.Deleted})
	if !gone.Deleted || gone.Body != "Message deleted" || gone.Reactions == nil {
		t.Errorf("a deleted message reads %+v", gone)
	}
}
