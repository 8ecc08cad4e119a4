package chatcrypto

import (
	"bytes"
	"errors"
	"fmt"
	"hush/ids"
	"hush/policy"
	"log/slog"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

func testFileKey(b byte) FileKey {
	k, _ := FileKeyFromBytes(bytes.Repeat([]byte{b}, FileKeySize))
	return k
}

func testAttachment(i byte) Attachment {
	return Attachment{FileID: id16(0x60 + i), Key: testFileKey(0x70 + i), Name: fmt.Sprintf("photo-%d.png", i), MIME: "image/png", Size: 123456}
}

// validContents has one valid content of every kind and shape.
func validContents(t testing.TB) map[string]Content {
	return map[string]Content{
		"text":                 textContent("hello, world"),
		"text reply":           {Kind: KindText, Text: &Text{Body: "yes", ReplyTo: id16(1)}},
		"text unicode":         textContent("Привет 👋🏽 世界"),
		"text only attachment": {Kind: KindText, Text: &Text{Attachments: []Attachment{testAttachment(1)}}},
		"text with attachments": {Kind: KindText, Text: &Text{Body: "look", ReplyTo: id16(2),
			Attachments: []Attachment{testAttachment(1), testAttachment(2)}}},
		"edit":            {Kind: KindEdit, Edit: &Edit{Target: id16(3), Body: "fixed typo"}},
		"delete":          {Kind: KindDelete, Delete: &Delete{Target: id16(4)}},
		"reaction add":    {Kind: KindReaction, Reaction: &Reaction{Target: id16(5), Emoji: "👍"}},
		"reaction remove": {Kind: KindReaction, Reaction: &Reaction{Target: id16(5), Emoji: "👨‍👩‍👧‍👦", Remove: true}},
		"membership": {Kind: KindMembership, Membership: &Membership{
			Added:   []Member{{Account: testAccount(t, 30).Public(), Role: policy.RoleMember}, {Account: testAccount(t, 32).Public(), Role: policy.RoleAdmin}},
			Removed: []ids.Account{testAccount(t, 34).ID()},
			Roles:   []RoleChange{{Account: testAccount(t, 36).ID(), Role: policy.RoleAdmin}},
		}},
		"membership remove only":        {Kind: KindMembership, Membership: &Membership{Removed: []ids.Account{testAccount(t, 34).ID()}}},
		"chat meta":                     {Kind: KindChatMeta, ChatMeta: &ChatMeta{Title: "Book club 📚"}},
		"text with sender name":         {Kind: KindText, Text: &Text{Body: "hi Bob", SenderName: "Alice"}},
		"text with unicode sender name": {Kind: KindText, Text: &Text{Body: "привет", ReplyTo: id16(6), SenderName: "Алиса 🌸 李"}},
		"pin":                           {Kind: KindPin, Pin: &Pin{Target: id16(7)}},
		"unpin":                         {Kind: KindPin, Pin: &Pin{Target: id16(7), Unpin: true}},
		"text forwarded":                {Kind: KindText, Text: &Text{Body: "look at this", SenderName: "Bob", ForwardedFrom: "Carol 🌿"}},
		"attachment with sender name":   {Kind: KindText, Text: &Text{Attachments: []Attachment{testAttachment(3)}, SenderName: "Alice Liddell"}},
		"text with auto-delete":         {Kind: KindText, Text: &Text{Body: "gone tomorrow", SenderName: "Alice", AutoDelete: 24 * time.Hour}, SentAt: time.UnixMilli(1_700_000_000_000).UTC()},
		"auto-delete a week":            {Kind: KindAutoDelete, AutoDelete: &AutoDelete{TTL: 7 * 24 * time.Hour}, SentAt: time.UnixMilli(1_700_000_000_000).UTC()},
		"auto-delete off":               {Kind: KindAutoDelete, AutoDelete: &AutoDelete{}},
		"text with link preview": {Kind: KindText, Text: &Text{Body: "see https://example.com/a?b=1.", SenderName: "Alice", Preview: &LinkPreview{
			URL: "https://example.com/a?b=1", Title: "Example", Description: "An example page", SiteName: "Example Site", Thumbnail: []byte{0xff, 0xd8, 0xff, 0xd9}}}},
	}
}

// equalContent compares contents field by field; account keys and file keys need
// their Equal methods.
func equalContent(a, b Content) bool {
	if a.Kind != b.Kind {
		return false
	}
	switch a.Kind {
	case KindText:
		if a.Text.Body != b.Text.Body || a.Text.ReplyTo != b.Text.ReplyTo || a.Text.SenderName != b.Text.SenderName || a.Text.ForwardedFrom != b.Text.ForwardedFrom || a.Text.AutoDelete != b.Text.AutoDelete || len(a.Text.Attachments) != len(b.Text.Attachments) ||
			!reflect.DeepEqual(a.Text.Preview, b.Text.Preview) {
			return false
		}
		for i, x := range a.Text.Attachments {
			y := b.Text.Attachments[i]
			if x.FileID != y.FileID || !x.Key.Equal(y.Key) || x.Name != y.Name || x.MIME != y.MIME || x.Size != y.Size {
				return false
			}
		}
		return true
	case KindMembership:
		am, bm := a.Membership, b.Membership
		if len(am.Added) != len(bm.Added) || !reflect.DeepEqual(am.Removed, bm.Removed) || !reflect.DeepEqual(am.Roles, bm.Roles) {
			return false
		}
		for i := range am.Added {
			if !am.Added[i].Account.Equal(bm.Added[i].Account) || am.Added[i].Role != bm.Added[i].Role {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a, b)
}

func TestContentRoundTrip(t *testing.T) {
	for name, c := range validContents(t) {
		t.Run(name, func(t *testing.T) {
			b, err := EncodeContent(c)
			if err != nil {
				t.Fatal(err)
			}
			got, err := DecodeContent(b)
			if err != nil {
				t.Fatal(err)
			}
			if !equalContent(c, got) {
				t.Fatalf("round trip changed the content:\n got %+v\nwant %+v", got, c)
			}
			again, err := EncodeContent(got)
			if err != nil || !bytes.Equal(again, b) {
				t.Fatalf("re-encoding differs: %x vs %x (%v)", again, b, err)
			}
		})
	}
}

// named is a text message carrying the sender name n.
func named(n string) Content { return Content{Kind: KindText, Text: &Text{Body: "hi", SenderName: n}} }

func TestEncodeContentRejects(t *testing.T) {
	long := strings.Repeat("a", MaxBodyBytes+1)
	tooMany := make([]Attachment, MaxAttachments+1)
	for i := range tooMany {
		tooMany[i] = testAttachment(byte(i))
	}
	bigChange := &Membership{}
	for i := 0; i <= MaxMembershipChanges; i++ {
		var id ids.Account
		id[0], id[1] = byte(i), byte(i>>8)
		id[15] = 1
		bigChange.Removed = append(bigChange.Removed, id)
	}
	att := func(mod func(*Attachment)) Content {
		a := testAttachment(1)
		mod(&a)
		return Content{Kind: KindText, Text: &Text{Attachments: []Attachment{a}}}
	}
	alice := testAccount(t, 1)
	tests := []struct {
		name string
		c    Content
		want error
	}{
		{"zero value", Content{}, ErrInvalidContent},
		{"kind without payload", Content{Kind: KindText}, ErrInvalidContent},
		{"payload of another kind", Content{Kind: KindEdit, Text: &Text{Body: "x"}}, ErrInvalidContent},
		{"two payloads", Content{Kind: KindText, Text: &Text{Body: "x"}, Delete: &Delete{Target: id16(1)}}, ErrInvalidContent},
		{"unknown kind", Content{Kind: 99, Text: &Text{Body: "x"}}, ErrUnsupportedKind},
		{"empty text", textContent(""), ErrInvalidContent},
		{"text not UTF-8", textContent("\xff\xfe"), ErrInvalidContent},
		{"text over limit", textContent(long), ErrTooLarge},
		{"edit empty", Content{Kind: KindEdit, Edit: &Edit{Target: id16(1)}}, ErrInvalidContent},
		{"edit over limit", Content{Kind: KindEdit, Edit: &Edit{Target: id16(1), Body: long}}, ErrTooLarge},
		{"edit without target", Content{Kind: KindEdit, Edit: &Edit{Body: "x"}}, ErrInvalidContent},
		{"delete without target", Content{Kind: KindDelete, Delete: &Delete{}}, ErrInvalidContent},
		{"reaction without emoji", Content{Kind: KindReaction, Reaction: &Reaction{Target: id16(1)}}, ErrInvalidContent},
		{"reaction emoji too long", Content{Kind: KindReaction, Reaction: &Reaction{Target: id16(1), Emoji: strings.Repeat("👍", 17)}}, ErrTooLarge},
		{"too many attachments", Content{Kind: KindText, Text: &Text{Attachments: tooMany}}, ErrTooLarge},
		{"attachment zero key", att(func(a *Attachment) { a.Key = FileKey{} }), ErrInvalidContent},
		{"attachment path name", att(func(a *Attachment) { a.Name = "../../.bashrc" }), ErrInvalidContent},
		{"attachment windows path", att(func(a *Attachment) { a.Name = `..\evil.exe` }), ErrInvalidContent},
		{"attachment dot-dot", att(func(a *Attachment) { a.Name = ".." }), ErrInvalidContent},
		{"attachment no name", att(func(a *Attachment) { a.Name = "" }), ErrInvalidContent},
		{"attachment long name", att(func(a *Attachment) { a.Name = strings.Repeat("n", MaxFileNameBytes+1) }), ErrTooLarge},
		{"attachment bad MIME", att(func(a *Attachment) { a.MIME = "png" }), ErrInvalidContent},
		{"attachment MIME control byte", att(func(a *Attachment) { a.MIME = "image/png\n" }), ErrInvalidContent},
		{"membership empty", Content{Kind: KindMembership, Membership: &Membership{}}, ErrInvalidContent},
		{"membership too large", Content{Kind: KindMembership, Membership: bigChange}, ErrTooLarge},
		{"membership unknown role", Content{Kind: KindMembership, Membership: &Membership{
			Added: []Member{{Account: alice.Public(), Role: 9}}}}, ErrInvalidContent},
		{"membership zero role", Content{Kind: KindMembership, Membership: &Membership{
			Roles: []RoleChange{{Account: alice.ID()}}}}, ErrInvalidContent},
		{"membership added and removed", Content{Kind: KindMembership, Membership: &Membership{
			Added:   []Member{{Account: alice.Public(), Role: policy.RoleMember}},
			Removed: []ids.Account{alice.ID()}}}, ErrInvalidContent},
		{"membership zero account key", Content{Kind: KindMembership, Membership: &Membership{
			Added: []Member{{Role: policy.RoleMember}}}}, ErrInvalidContent},
		{"membership zero account id", Content{Kind: KindMembership, Membership: &Membership{
			Removed: []ids.Account{{}}}}, ErrInvalidContent},
		{"chat meta without payload", Content{Kind: KindChatMeta}, ErrInvalidContent},
		{"chat meta with a text payload", Content{Kind: KindChatMeta, Text: &Text{Body: "x"}}, ErrInvalidContent},
		{"chat meta and text payloads", Content{Kind: KindChatMeta, ChatMeta: &ChatMeta{Title: "x"}, Text: &Text{Body: "x"}}, ErrInvalidContent},
		{"chat meta empty title", Content{Kind: KindChatMeta, ChatMeta: &ChatMeta{}}, ErrInvalidContent},
		{"chat meta title over limit", Content{Kind: KindChatMeta, ChatMeta: &ChatMeta{Title: strings.Repeat("t", MaxTitleBytes+1)}}, ErrTooLarge},
		{"chat meta title not UTF-8", Content{Kind: KindChatMeta, ChatMeta: &ChatMeta{Title: "\xff"}}, ErrInvalidContent},
		{"chat meta title with NUL", Content{Kind: KindChatMeta, ChatMeta: &ChatMeta{Title: "a\x00b"}}, ErrInvalidContent},
		{"chat meta title with newline", Content{Kind: KindChatMeta, ChatMeta: &ChatMeta{Title: "Book\nclub"}}, ErrInvalidContent},
		{"chat meta title with DEL", Content{Kind: KindChatMeta, ChatMeta: &ChatMeta{Title: "Book\x7f"}}, ErrInvalidContent},
		{"sender name over limit", named(strings.Repeat("n", MaxSenderNameChars+1)), ErrTooLarge},
		{"sender name over limit in CJK", named(strings.Repeat("李", MaxSenderNameChars+1)), ErrTooLarge},
		{"sender name over the byte bound", named(strings.Repeat("\xff", 4*MaxSenderNameChars+1)), ErrTooLarge},
		{"sender name not UTF-8", named("Al\xffce"), ErrInvalidContent},
		{"sender name with NUL", named("Al\x00ice"), ErrInvalidContent},
		{"sender name with newline", named("Alice\nBob"), ErrInvalidContent},
		{"sender name with tab", named("Alice\t"), ErrInvalidContent},
		{"sender name with DEL", named("Alice\x7f"), ErrInvalidContent},
		{"sender name with C1 control", named("Alice\u0085"), ErrInvalidContent},
		{"sender name with line separator", named("Alice\u2028Bob"), ErrInvalidContent},
		{"sender name with RTL override", named("\u202eecilA"), ErrInvalidContent},
		{"sender name with bidi isolate", named("Alice\u2066x\u2069"), ErrInvalidContent},
		{"sender name with an invalid body", Content{Kind: KindText, Text: &Text{SenderName: "Alice"}}, ErrInvalidContent},
		{"auto-delete without payload", Content{Kind: KindAutoDelete}, ErrInvalidContent},
		{"auto-delete and pin payloads", Content{Kind: KindAutoDelete, AutoDelete: &AutoDelete{}, Pin: &Pin{Target: id16(1)}}, ErrInvalidContent},
		{"auto-delete negative", Content{Kind: KindAutoDelete, AutoDelete: &AutoDelete{TTL: -time.Second}}, ErrInvalidContent},
		{"auto-delete not whole seconds", Content{Kind: KindAutoDelete, AutoDelete: &AutoDelete{TTL: 1500 * time.Millisecond}}, ErrInvalidContent},
		{"auto-delete over the limit", Content{Kind: KindAutoDelete, AutoDelete: &AutoDelete{TTL: MaxAutoDelete + time.Second}}, ErrInvalidContent},
		{"text auto-delete over the limit", Content{Kind: KindText, Text: &Text{Body: "x", AutoDelete: MaxAutoDelete + time.Second}}, ErrInvalidContent},
		{"text auto-delete under a second", Content{Kind: KindText, Text: &Text{Body: "x", AutoDelete: time.Millisecond}}, ErrInvalidContent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := EncodeContent(tt.c); !errors.Is(err, tt.want) {
				t.Fatalf("EncodeContent: err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestContentLimitsExactly(t *testing.T) {
	// The limits themselves are allowed.
	ok := []Content{
		textContent(strings.Repeat("a", MaxBodyBytes)),
		textContent(strings.Repeat("世", MaxBodyBytes/3)),
		{Kind: KindReaction, Reaction: &Reaction{Target: id16(1), Emoji: strings.Repeat("👍", MaxEmojiBytes/4)}},
		{Kind: KindChatMeta, ChatMeta: &ChatMeta{Title: strings.Repeat("t", MaxTitleBytes)}},
		{Kind: KindChatMeta, ChatMeta: &ChatMeta{Title: strings.Repeat("题", MaxTitleBytes/3)}},
		named("A"),
		named(strings.Repeat("n", MaxSenderNameChars)),
		named(strings.Repeat("李", MaxSenderNameChars)),
		named(strings.Repeat("🌸", MaxSenderNameChars)),
	}
	atts := make([]Attachment, MaxAttachments)
	for i := range atts {
		atts[i] = testAttachment(byte(i))
		atts[i].Name = strings.Repeat("n", MaxFileNameBytes)
	}
	ok = append(ok, Content{Kind: KindText, Text: &Text{Body: strings.Repeat("b", MaxBodyBytes), Attachments: atts,
		SenderName: strings.Repeat("🌸", MaxSenderNameChars)}, Counter: math.MaxUint64, SentAt: time.UnixMilli(math.MaxInt64)})
	big := &Membership{}
	for i := 0; i < MaxMembershipChanges; i++ {
		a := testAccount(t, byte(i)).Public()
		big.Added = append(big.Added, Member{Account: a, Role: policy.RoleAdmin})
	}
	ok = append(ok, Content{Kind: KindMembership, Membership: big})
	for i, c := range ok {
		b, err := EncodeContent(c)
		if err != nil {
			t.Fatalf("content %d at the limit: %v", i, err)
		}
		if _, err := DecodeContent(b); err != nil {
			t.Fatalf("content %d at the limit does not decode: %v", i, err)
		}
		// Everything at the limits still fits one message.
		if _, err := pad(b); err != nil {
			t.Fatalf("content %d at the limits (%d bytes) does not fit a message: %v", i, len(b), err)
		}
	}
}

// rawContent encodes a contentWire as is, skipping EncodeContent's checks, to play a
// modified client.
func rawContent(t testing.TB, v any) []byte {
	t.Helper()
	b, err := detEnc.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeContentRejects(t *testing.T) {
	target := id16(1)
	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, ErrInvalidContent},
		{"not a map", []byte{0x01}, ErrInvalidContent},
		{"trailing data", append(rawContent(t, contentWire{Kind: 3, Target: target[:]}), 0x00), ErrInvalidContent},
		{"no kind", rawContent(t, map[int]any{1: "hi"}), ErrInvalidContent},
		{"kind zero", rawContent(t, contentWire{Kind: 0, Body: "hi"}), ErrInvalidContent},
		{"kind too big", rawContent(t, map[int]any{0: 300}), ErrInvalidContent},
		{"unknown kind", rawContent(t, contentWire{Kind: 200, Body: "hi"}), ErrUnsupportedKind},
		{"delete with body", rawContent(t, contentWire{Kind: 3, Target: target[:], Body: "x"}), ErrInvalidContent},
		{"text with target", rawContent(t, contentWire{Kind: 1, Body: "x", Target: target[:]}), ErrInvalidContent},
		{"short target", rawContent(t, contentWire{Kind: 3, Target: target[:15]}), ErrInvalidContent},
		{"zero reply-to", rawContent(t, contentWire{Kind: 1, Body: "x", ReplyTo: make([]byte, 16)}), ErrInvalidContent},
		{"invalid UTF-8 text string", []byte{0xa2, 0x00, 0x01, 0x01, 0x62, 0xff, 0xfe}, ErrInvalidContent},
		{"duplicate key", []byte{0xa2, 0x00, 0x01, 0x00, 0x01}, ErrInvalidContent},
		{"indefinite length map", []byte{0xbf, 0x00, 0x01, 0x01, 0x61, 'x', 0xff}, ErrInvalidContent},
		{"tagged value", []byte{0xa2, 0x00, 0x01, 0x01, 0xc0, 0x61, 'x'}, ErrInvalidContent},
		{"body over limit", rawContent(t, contentWire{Kind: 1, Body: strings.Repeat("a", MaxBodyBytes+1)}), ErrTooLarge},
		{"over the size limit", make([]byte, MaxContentSize+1), ErrTooLarge},
		{"membership bad key", rawContent(t, contentWire{Kind: 5, Added: []memberWire{{Account: make([]byte, 63), Role: 1}}}), ErrInvalidContent},
		{"membership duplicate", rawContent(t, contentWire{Kind: 5, Removed: [][]byte{target[:], target[:]}}), ErrInvalidContent},
		{"attachment short file id", rawContent(t, contentWire{Kind: 1, Attachments: []attachmentWire{{FileID: []byte{1}, Key: bytes.Repeat([]byte{1}, 32), Name: "a", MIME: "a/b"}}}), ErrInvalidContent},
		{"attachment short key", rawContent(t, contentWire{Kind: 1, Attachments: []attachmentWire{{FileID: target[:], Key: []byte{1}, Name: "a", MIME: "a/b"}}}), ErrInvalidContent},
		{"chat meta without title", rawContent(t, map[int]any{0: 6}), ErrInvalidContent},
		{"chat meta with body", rawContent(t, contentWire{Kind: 6, Title: "t", Body: "x"}), ErrInvalidContent},
		{"chat meta with target", rawContent(t, contentWire{Kind: 6, Title: "t", Target: target[:]}), ErrInvalidContent},
		{"text with title", rawContent(t, contentWire{Kind: 1, Body: "x", Title: "t"}), ErrInvalidContent},
		{"membership with title", rawContent(t, contentWire{Kind: 5, Removed: [][]byte{target[:]}, Title: "t"}), ErrInvalidContent},
		{"title over limit", rawContent(t, contentWire{Kind: 6, Title: strings.Repeat("t", MaxTitleBytes+1)}), ErrTooLarge},
		{"title with control character", rawContent(t, contentWire{Kind: 6, Title: "a\tb"}), ErrInvalidContent},
		{"title of the wrong type", rawContent(t, map[int]any{0: 6, 10: []byte("t")}), ErrInvalidContent},
		{"sender name over limit", rawContent(t, contentWire{Kind: 1, Body: "x", SenderName: strings.Repeat("n", MaxSenderNameChars+1)}), ErrTooLarge},
		{"sender name far over limit", rawContent(t, contentWire{Kind: 1, Body: "x", SenderName: strings.Repeat("n", 10000)}), ErrTooLarge},
		{"sender name with control character", rawContent(t, contentWire{Kind: 1, Body: "x", SenderName: "Alice\r"}), ErrInvalidContent},
		{"sender name with RTL override", rawContent(t, contentWire{Kind: 1, Body: "x", SenderName: "\u202eecilA"}), ErrInvalidContent},
		{"sender name of the wrong type", rawContent(t, map[int]any{0: 1, 1: "x", 11: []byte("Alice")}), ErrInvalidContent},
		{"sender name not UTF-8", []byte{0xa3, 0x00, 0x01, 0x01, 0x61, 'x', 0x0b, 0x62, 0xff, 0xfe}, ErrInvalidContent},
		{"edit with sender name", rawContent(t, contentWire{Kind: 2, Target: target[:], Body: "x", SenderName: "Alice"}), ErrInvalidContent},
		{"reaction with sender name", rawContent(t, contentWire{Kind: 4, Target: target[:], Emoji: "👍", SenderName: "Alice"}), ErrInvalidContent},
		{"chat meta with sender name", rawContent(t, contentWire{Kind: 6, Title: "t", SenderName: "Alice"}), ErrInvalidContent},
		{"pin without target", rawContent(t, map[int]any{0: 7}), ErrInvalidContent},
		{"pin with zero target", rawContent(t, contentWire{Kind: 7, Target: make([]byte, 16)}), ErrInvalidContent},
		{"pin with body", rawContent(t, contentWire{Kind: 7, Target: target[:], Body: "x"}), ErrInvalidContent},
		{"pin with emoji", rawContent(t, contentWire{Kind: 7, Target: target[:], Emoji: "👍"}), ErrInvalidContent},
		{"forwarded from with RTL override", rawContent(t, contentWire{Kind: 1, Body: "x", Forwarded: "\u202eecilA"}), ErrInvalidContent},
		{"forwarded from over limit", rawContent(t, contentWire{Kind: 1, Body: "x", Forwarded: strings.Repeat("n", MaxSenderNameChars+1)}), ErrTooLarge},
		{"edit forwarded", rawContent(t, contentWire{Kind: 2, Target: target[:], Body: "x", Forwarded: "Alice"}), ErrInvalidContent},
		{"auto-delete over the limit", rawContent(t, contentWire{Kind: 8, TTL: uint64(MaxAutoDelete/time.Second) + 1}), ErrInvalidContent},
		{"text auto-delete over the limit", rawContent(t, contentWire{Kind: 1, Body: "x", TTL: 1 << 62}), ErrInvalidContent},
		{"auto-delete of the wrong type", rawContent(t, map[int]any{0: 8, 16: "86400"}), ErrInvalidContent},
		{"auto-delete negative", rawContent(t, map[int]any{0: 8, 16: -1}), ErrInvalidContent},
		{"auto-delete with target", rawContent(t, contentWire{Kind: 8, TTL: 60, Target: target[:]}), ErrInvalidContent},
		{"auto-delete with body", rawContent(t, contentWire{Kind: 8, TTL: 60, Body: "x"}), ErrInvalidContent},
		{"edit with auto-delete", rawContent(t, contentWire{Kind: 2, Target: target[:], Body: "x", TTL: 60}), ErrInvalidContent},
		{"pin with auto-delete", rawContent(t, contentWire{Kind: 7, Target: target[:], TTL: 60}), ErrInvalidContent},
		{"chat meta with auto-delete", rawContent(t, contentWire{Kind: 6, Title: "t", TTL: 60}), ErrInvalidContent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := DecodeContent(tt.in); !errors.Is(err, tt.want) {
				t.Fatalf("DecodeContent: err = %v, want %v", err, tt.want)
			}
		})
	}
}

// TestChatMetaSalt: a title's salt round-trips with it, has exactly its size, and
// goes with chat metadata only.
func TestChatMetaSalt(t *testing.T) {
	salt := bytes.Repeat([]byte{9}, TitleSaltSize)
	b, err := EncodeContent(Content{Kind: KindChatMeta, ChatMeta: &ChatMeta{Title: "News", Salt: salt}})
	if err != nil {
		t.Fatal(err)
	}
	c, err := DecodeContent(b)
	if err != nil || c.ChatMeta == nil || !bytes.Equal(c.ChatMeta.Salt, salt) {
		t.Fatalf("decoded %+v, %v", c.ChatMeta, err)
	}
	for _, w := range []contentWire{
		{Kind: 6, Title: "News", Salt: salt[:5]},
		{Kind: 1, Body: "x", Salt: salt},
	} {
		if _, err := DecodeContent(rawContent(t, w)); !errors.Is(err, ErrInvalidContent) {
			t.Errorf("%+v: %v", w, err)
		}
	}
}

// TestCounterAndTime: every kind may carry the sender's counter and time; both
// survive the round trip, and a time before 1970 is refused.
func TestCounterAndTime(t *testing.T) {
	at := time.UnixMilli(1_700_000_000_123).UTC()
	for _, c := range []Content{
		textContent("hi"),
		{Kind: KindReaction, Reaction: &Reaction{Target: id16(1), Emoji: "👍"}},
		{Kind: KindDelete, Delete: &Delete{Target: id16(2)}},
	} {
		c.Counter, c.SentAt = 42, at
		b, err := EncodeContent(c)
		if err != nil {
			t.Fatal(err)
		}
		got, err := DecodeContent(b)
		if err != nil || got.Counter != 42 || !got.SentAt.Equal(at) {
			t.Errorf("%v: counter %d, sent %v, %v", c.Kind, got.Counter, got.SentAt, err)
		}
	}
	if _, err := DecodeContent(rawContent(t, contentWire{Kind: 1, Body: "x", SentAt: -1})); !errors.Is(err, ErrInvalidContent) {
		t.Errorf("time before 1970: %v", err)
	}
	if c, err := DecodeContent(rawContent(t, contentWire{Kind: 1, Body: "x"})); err != nil || c.Counter != 0 || !c.SentAt.IsZero() {
		t.Errorf("content without them: %+v, %v", c, err)
	}
}

func TestDecodeContentUnknownKindKeepsKind(t *testing.T) {
	c, err := DecodeContent(rawContent(t, contentWire{Kind: 42, Body: "from the future"}))
	if !errors.Is(err, ErrUnsupportedKind) || c.Kind != 42 {
		t.Fatalf("got %+v, %v", c, err)
	}
}

func TestDecodeContentIgnoresUnknownFields(t *testing.T) {
	// A newer client may add fields; older ones read what they know.
	b := rawContent(t, map[int]any{0: 1, 1: "hi", 99: "formatting we do not know"})
	c, err := DecodeContent(b)
	if err != nil || c.Text == nil || c.Text.Body != "hi" {
		t.Fatalf("got %+v, %v", c, err)
	}
}

// TestDecodeContentWithoutSenderName: a text from an older client, which never
// sends a name, stays valid and decodes with none.
func TestDecodeContentWithoutSenderName(t *testing.T) {
	for _, in := range [][]byte{
		rawContent(t, contentWire{Kind: 1, Body: "hi"}),
		rawContent(t, map[int]any{0: 1, 1: "hi"}),
		rawContent(t, map[int]any{0: 1, 1: "hi", 11: ""}), // present but empty: the same as absent
	} {
		c, err := DecodeContent(in)
		if err != nil || c.Text == nil || c.Text.Body != "hi" || c.Text.SenderName != "" {
			t.Fatalf("DecodeContent(%x) = %+v, %v", in, c, err)
		}
	}
}

func TestCheckSenderName(t *testing.T) {
	tests := []struct {
		name string
		want error // nil: accepted
	}{
		{"Alice", nil},
		{"Alice Liddell-Smith, Jr.", nil},
		{"@alice", nil}, // allowed: the UI shows the real handle beside it
		{"Ἀλίκη", nil},
		{"مريم", nil},
		{"👩‍💻", nil},
		{strings.Repeat("n", MaxSenderNameChars), nil},
		{strings.Repeat("👍", MaxSenderNameChars), nil},
		{"", ErrInvalidContent},
		{strings.Repeat("n", MaxSenderNameChars+1), ErrTooLarge},
		{strings.Repeat("👍", MaxSenderNameChars+1), ErrTooLarge},
		{"a\x1bb", ErrInvalidContent},
		{"a\u009bb", ErrInvalidContent},
		{"a\u2029b", ErrInvalidContent},
		{"a\u202ab", ErrInvalidContent},
		{"a\u2067b", ErrInvalidContent},
		{"\xc3", ErrInvalidContent},
	}
	for _, tt := range tests {
		err := CheckSenderName(tt.name)
		if (tt.want == nil) != (err == nil) || (tt.want != nil && !errors.Is(err, tt.want)) {
			t.Errorf("CheckSenderName(%q) = %v, want %v", tt.name, err, tt.want)
		}
	}
}

func TestDecodeContentTruncations(t *testing.T) {
	for name, c := range validContents(t) {
		b, err := EncodeContent(c)
		if err != nil {
			t.Fatal(err)
		}
		for n := 0; n < len(b); n++ {
			if _, err := DecodeContent(b[:n]); err == nil {
				t.Fatalf("%s truncated to %d of %d bytes was accepted", name, n, len(b))
			}
		}
	}
}

func TestFileKeyRedacted(t *testing.T) {
	k := testFileKey(0x5a)
	a := Attachment{Key: k, Name: "x"}
	var logged bytes.Buffer
	slog.New(slog.NewTextHandler(&logged, nil)).Info("attachment", "key", k, "att", a)
	for _, s := range []string{fmt.Sprint(k), fmt.Sprintf("%v %+v %#v", a, a, k), logged.String()} {
		if strings.Contains(s, "5a5a") || strings.Contains(s, "90 90") || strings.Contains(s, "ZZZZ") {
			t.Fatalf("file key printed: %s", s)
		}
		if !strings.Contains(s, "REDACTED") {
			t.Fatalf("no redaction marker in %q", s)
		}
	}
	if !k.Equal(testFileKey(0x5a)) || k.Equal(testFileKey(0x5b)) || !(FileKey{}).IsZero() {
		t.Fatal("FileKey.Equal/IsZero")
	}
}

// TestLinkPreviewRules: a preview travels only with a text whose links include its
// URL, within its caps, and its texts are single clean lines; anything else does not
// decode (so a modified sender cannot get one past a receiver) nor encode.
func TestLinkPreviewRules(t *testing.T) {
	ok := LinkPreview{URL: "https://example.com/", Title: "t"}
	with := func(body string, f func(p *LinkPreview)) Content {
		p := ok
		f(&p)
		return Content{Kind: KindText, Text: &Text{Body: body, Preview: &p}}
	}
	body := "look https://example.com/ and www.hush.example"
	for _, c := range []struct {
		name string
		c    Content
		want error
	}{
		{"url not in text", with("no link here", func(*LinkPreview) {}), ErrInvalidContent},
		{"url differs from the link", with(body, func(p *LinkPreview) { p.URL = "https://example.com/other" }), ErrInvalidContent},
		{"http link", with("http://example.com/", func(p *LinkPreview) { p.URL = "http://example.com/" }), ErrInvalidContent},
		{"link inside a word", with("xhttps://example.com/", func(*LinkPreview) {}), ErrInvalidContent},
		{"no title or description", with(body, func(p *LinkPreview) { p.Title = "" }), ErrInvalidContent},
		{"long title", with(body, func(p *LinkPreview) { p.Title = strings.Repeat("a", MaxPreviewTitleBytes+1) }), ErrTooLarge},
		{"long description", with(body, func(p *LinkPreview) { p.Description = strings.Repeat("a", MaxPreviewDescriptionBytes+1) }), ErrTooLarge},
		{"long site", with(body, func(p *LinkPreview) { p.SiteName = strings.Repeat("a", MaxPreviewSiteBytes+1) }), ErrTooLarge},
		{"big thumbnail", with(body, func(p *LinkPreview) { p.Thumbnail = make([]byte, MaxThumbnailBytes+1) }), ErrTooLarge},
		{"control char", with(body, func(p *LinkPreview) { p.Title = "a\nb" }), ErrInvalidContent},
		{"bidi override", with(body, func(p *LinkPreview) { p.SiteName = "\u202eevil" }), ErrInvalidContent},
		{"bad utf-8", with(body, func(p *LinkPreview) { p.Description = "\xff" }), ErrInvalidContent},
		{"on an edit", Content{Kind: KindEdit, Edit: &Edit{Target: id16(1), Body: body}}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			w, err := c.c.toWire()
			if c.c.Kind == KindEdit {
				// Wire-level: an edit carrying key 17 is refused on decode.
				w.Preview = &previewWire{URL: ok.URL, Title: "t"}
				b, _ := detEnc.Marshal(w)
				if _, err := DecodeContent(b); !errors.Is(err, ErrInvalidContent) {
					t.Fatalf("an edit with a preview decoded: %v", err)
				}
				return
			}
			if !errors.Is(err, c.want) {
				t.Fatalf("encode: %v, want %v", err, c.want)
			}
			// The decoder refuses it too, built by hand past the encoder; a preview of
			// a link the text lacks is dropped and the text kept.
			p := c.c.Text.Preview
			raw := contentWire{Kind: uint8(KindText), Body: c.c.Text.Body, Preview: &previewWire{URL: p.URL, Title: p.Title, Description: p.Description, SiteName: p.SiteName, Thumbnail: p.Thumbnail}}
			b, _ := detEnc.Marshal(raw)
			got, err := DecodeContent(b)
			if strings.HasPrefix(c.name, "url") || strings.HasPrefix(c.name, "http link") || strings.HasPrefix(c.name, "link inside") {
				if err != nil || got.Text == nil || got.Text.Preview != nil || got.Text.Body != c.c.Text.Body {
					t.Fatalf("decode: %+v, %v; want the text without its preview", got.Text, err)
				}
				return
			}
			if !errors.Is(err, c.want) {
				t.Fatalf("decode: %v, want %v", err, c.want)
			}
		})
	}
	// The www. form and the last link both count.
	for _, u := range []string{"https://example.com/", "https://www.hush.example"} {
		if _, err := EncodeContent(with(body, func(p *LinkPreview) { p.URL = u })); err != nil {
			t.Errorf("preview of %s: %v", u, err)
		}
	}
}

func TestLinksIn(t *testing.T) {
	for _, c := range []struct {
		body string
		want []string
	}{
		{"", nil},
		{"https://a.example", []string{"https://a.example"}},
		{"see https://a.example/x.", []string{"https://a.example/x"}},
		{"(https://a.example/wiki/Foo_(bar))", []string{"https://a.example/wiki/Foo_(bar)"}},
		{"[https://a.example/]", []string{"https://a.example/"}},
		{"HTTPS://A.example and www.b.example, http://c.example", []string{"HTTPS://A.example", "https://www.b.example"}},
		{"x@https://a.example a.https://b.example", nil},
		{"<https://a.example>", []string{"https://a.example"}},
		{"https://a.example\u202eevil", []string{"https://a.example"}},
		{"https:// alone, www. alone", nil},
		{"https://" + strings.Repeat("a", MaxPreviewURLBytes), nil},
	} {
		if got := LinksIn(c.body); !reflect.DeepEqual(got, c.want) {
			t.Errorf("LinksIn(%q) = %q, want %q", c.body, got, c.want)
		}
	}
}

func TestLinksInLinear(t *testing.T) {
	body := "https://a" + strings.Repeat(")", MaxBodyBytes)
	start := time.Now()
	LinksIn(body)
	LinksIn(strings.Repeat("https://", MaxBodyBytes/8))
	if d := time.Since(start); d > 200*time.Millisecond {
		t.Errorf("LinksIn took %v on 16 KiB", d)
	}
}
