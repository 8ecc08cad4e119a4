package chat

import (
	"bytes"
	"encoding/hex"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"

	"hush/chatcrypto"
	"hush/ids"
	"hush/vault"
)

func TestMetaRoundTrip(t *testing.T) {
	m := chatMeta{Epoch: 7, FirstEpoch: 2, MyDelivered: 40, MyRead: 39, PeerDelivered: 41, PeerRead: 12,
		LogLen: 3, LogHead: bytes.Repeat([]byte{7}, 32), HeadOp: 3, Removal: 3, KeyChange: 3, KeyLogLen: 2, KeyAt: 9,
		Request: requestPending, RequestBy: bytes.Repeat([]byte{4}, 16), NextCounter: 12,
		AutoDelete: autoDeleteState{TTL: 86400, At: 1_700_000_000_000, By: bytes.Repeat([]byte{8}, 16)},
		Senders:    []senderCounter{{Device: bytes.Repeat([]byte{5}, 16), Account: bytes.Repeat([]byte{6}, 16), High: 9, Missing: []uint64{4, 6}, Lost: 1}}}
	m.addFormer(ids.Account{1}, 5)
	m.addFormer(ids.Account{2}, 6)
	m.addFormer(ids.Account{1}, 7) // updates, does not duplicate
	b, err := encodeMeta(m)
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeMeta(b)
	if err != nil {
		t.Fatal(err)
	}
	m.Former, m.Version = got.Former, metaVersion
	if !reflect.DeepEqual(got, m) || len(got.Former) != 2 {
		t.Fatalf("round trip = %+v, want %+v", got, m)
	}
	if left, ok := got.formerLeft(ids.Account{1}); !ok || left != 7 {
		t.Errorf("formerLeft = %d, %v", left, ok)
	}
	got.dropFormer(ids.Account{1})
	if _, ok := got.formerLeft(ids.Account{1}); ok || len(got.Former) != 1 {
		t.Errorf("after dropFormer: %+v", got.Former)
	}
	if fresh, err := decodeMeta(nil); err != nil || fresh.Version != metaVersion {
		t.Errorf("empty state = %+v, %v", fresh, err)
	}
}

// TestMetaBeforeAutoDelete: a chat's state written before the auto-delete setting
// (one field shorter), or before the shelf too (two), reads with the setting off;
// a setting out of bounds does not read.
func TestMetaBeforeAutoDelete(t *testing.T) {
	var fields []cbor.RawMessage
	b, err := encodeMeta(chatMeta{MyRead: 5, Shelf: chatShelf{Muted: true}})
	if err == nil {
		err = modes.dec.Unmarshal(b, &fields)
	}
	if err != nil {
		t.Fatal(err)
	}
	for short := 1; short <= 2; short++ {
		old, err := modes.enc.Marshal(fields[:len(fields)-short])
		if err != nil {
			t.Fatal(err)
		}
		got, err := decodeMeta(old)
		if err != nil || got.MyRead != 5 || got.Shelf.Muted != (short == 1) || got.AutoDelete.TTL != 0 {
			t.Errorf("%d fields short: %+v, %v", short, got, err)
		}
	}
	for _, bad := range []autoDeleteState{{TTL: 60, By: []byte{1, 2, 3}}, {TTL: uint32(chatcrypto.MaxAutoDelete/time.Second) + 1}} {
		b, err := modes.enc.Marshal(chatMeta{Version: metaVersion, AutoDelete: bad})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := decodeMeta(b); !errors.Is(err, errBadRecord) {
			t.Errorf("%+v: %v", bad, err)
		}
	}
}

// TestMetaVersion1 reads what version 1 of the engine stored: its fields come back,
// and a rotation it owed is not carried over (a chat without a log rotates no more).
func TestMetaVersion1(t *testing.T) {
	v1 := chatMetaV1{Version: 1, Epoch: 7, FirstEpoch: 2, NeedEpoch: 8, MyDelivered: 40, MyRead: 39, PeerDelivered: 41, PeerRead: 12,
		Former: []formerMember{{Account: bytes.Repeat([]byte{1}, 16), LeftEpoch: 5}}}
	b, err := modes.enc.Marshal(v1)
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeMeta(b)
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != metaVersion || got.Epoch != 7 || got.FirstEpoch != 2 || got.MyRead != 39 || got.PeerRead != 12 || len(got.Former) != 1 || got.LogLen != 0 {
		t.Errorf("version 1 read as %+v", got)
	}
}

func TestMetaBounded(t *testing.T) {
	var m chatMeta
	for i := range maxFormerMembers + 50 {
		m.addFormer(ids.Account{byte(i), byte(i >> 8), 1}, uint64(i))
	}
	b, err := encodeMeta(m)
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeMeta(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Former) != maxFormerMembers || got.Former[0].LeftEpoch != 50 {
		t.Errorf("kept %d former members starting at %d, want the newest %d", len(got.Former), got.Former[0].LeftEpoch, maxFormerMembers)
	}
	if _, err := decodeMeta(make([]byte, maxRecordSize+1)); !errors.Is(err, errBadRecord) {
		t.Errorf("oversize state: %v", err)
	}
}

// TestMetaEveryTruncation: no prefix of a valid record decodes.
func TestMetaEveryTruncation(t *testing.T) {
	m := chatMeta{Epoch: 3, AutoDelete: autoDeleteState{TTL: 86400, At: 5, By: bytes.Repeat([]byte{2}, 16)}}
	m.addFormer(ids.Account{9}, 2)
	b, err := encodeMeta(m)
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < len(b); i++ {
		if _, err := decodeMeta(b[:i]); !errors.Is(err, errBadRecord) {
			t.Fatalf("prefix of %d bytes: %v", i, err)
		}
	}
	for _, item := range []outboxPayload{{Kind: chatcrypto.KindChatMeta, Title: "Book club"}, {Kind: chatcrypto.KindAutoDelete, TTL: 604800, At: 9}} {
		p, err := encodeOutbox(item)
		if err != nil {
			t.Fatal(err)
		}
		for i := range len(p) {
			if _, err := decodeOutbox(p[:i]); !errors.Is(err, errBadRecord) {
				t.Fatalf("outbox prefix of %d bytes: %v", i, err)
			}
		}
	}
}

func TestOutboxPayload(t *testing.T) {
	for _, c := range []struct {
		p  outboxPayload
		ok bool
	}{
		{outboxPayload{Kind: chatcrypto.KindText}, true},
		{outboxPayload{Kind: chatcrypto.KindText, Counter: 41}, true},
		{outboxPayload{Kind: chatcrypto.KindChatMeta, Title: "News"}, true},
		{outboxPayload{Kind: chatcrypto.KindChatMeta, Title: "News", Counter: 3}, false},
		{outboxPayload{Kind: chatcrypto.KindChatMeta}, false},
		{outboxPayload{Kind: chatcrypto.KindChatMeta, Title: strings.Repeat("x", chatcrypto.MaxTitleBytes+1)}, false},
		{outboxPayload{Kind: chatcrypto.KindText, Title: "x"}, false},
		{outboxPayload{Kind: 9}, false},
		{outboxPayload{Kind: chatcrypto.KindEdit, Target: bytes.Repeat([]byte{1}, 16), Body: "fixed", At: 1_700_000_000_000}, true},
		{outboxPayload{Kind: chatcrypto.KindReaction, Target: bytes.Repeat([]byte{1}, 16), Emoji: "👍", Remove: true}, true},
		{outboxPayload{Kind: chatcrypto.KindDelete, Target: bytes.Repeat([]byte{1}, 16)}, true},
		{outboxPayload{Kind: chatcrypto.KindPin, Target: bytes.Repeat([]byte{1}, 16)}, true},
		{outboxPayload{Kind: chatcrypto.KindDelete, Target: []byte{1}}, false},
		{outboxPayload{Kind: chatcrypto.KindDelete}, false},
		{outboxPayload{Kind: chatcrypto.KindDelete, Target: bytes.Repeat([]byte{1}, 16), Counter: 2}, false},
		{outboxPayload{Kind: chatcrypto.KindText, Target: bytes.Repeat([]byte{1}, 16)}, false},
		{outboxPayload{Kind: chatcrypto.KindChatMeta, Title: "News", Emoji: "👍"}, false},
		{outboxPayload{Kind: chatcrypto.KindAutoDelete, TTL: 86400, At: 1_700_000_000_000}, true},
		{outboxPayload{Kind: chatcrypto.KindAutoDelete, At: 1_700_000_000_000}, true}, // off
		{outboxPayload{Kind: chatcrypto.KindAutoDelete, TTL: 86400}, false},           // no time to sign
		{outboxPayload{Kind: chatcrypto.KindAutoDelete, TTL: 86400, At: 1, Target: bytes.Repeat([]byte{1}, 16)}, false},
		{outboxPayload{Kind: chatcrypto.KindAutoDelete, TTL: uint32(chatcrypto.MaxAutoDelete/time.Second) + 1, At: 1}, false},
		{outboxPayload{Kind: chatcrypto.KindText, TTL: 86400}, false},
		{outboxPayload{Kind: chatcrypto.KindPin, Target: bytes.Repeat([]byte{1}, 16), TTL: 60}, false},
	} {
		b, err := encodeOutbox(c.p)
		if err != nil {
			t.Fatal(err)
		}
		got, err := decodeOutbox(b)
		if (err == nil) != c.ok {
			t.Errorf("%+v: %v", c.p, err)
		}
		if c.ok && (got.Kind != c.p.Kind || got.Title != c.p.Title || got.Counter != c.p.Counter || !bytes.Equal(got.Target, c.p.Target) ||
			got.Body != c.p.Body || got.Emoji != c.p.Emoji || got.Remove != c.p.Remove || got.At != c.p.At || got.TTL != c.p.TTL) {
			t.Errorf("round trip %+v = %+v", c.p, got)
		}
	}
	if _, err := decodeOutbox([]byte{0x84, 0x04, 0x01, 0x60, 0x00}); !errors.Is(err, errBadRecord) {
		t.Errorf("wrong version: %v", err)
	}
}

// TestLegacyOutboxPayload reads items written by version 1, which numbered its
// kinds on its own (1 text, 2 title): they may still wait in an outbox.
func TestLegacyOutboxPayload(t *testing.T) {
	for _, c := range []struct {
		hex   string
		kind  chatcrypto.Kind
		title string
		ok    bool
	}{
		{"83010160", chatcrypto.KindText, "", true},
		{"830102644e657773", chatcrypto.KindChatMeta, "News", true},
		{"830106644e657773", 0, "", false}, // version 1 knew no kind 6
		{"83010360", 0, "", false},
		{"83020160", chatcrypto.KindText, "", true}, // version 2: content kinds, no counter
		{"830206644e657773", chatcrypto.KindChatMeta, "News", true},
		{"85030160182a40", chatcrypto.KindText, "", true}, // version 3: counter and salt, no actions
		{"850306644e6577730040", chatcrypto.KindChatMeta, "News", true},
		// version 4: actions, no auto-delete (a pin of message 0x01…)
		{"8a04076000405001010101010101010101010101010101" + "6060f41a0001e240", chatcrypto.KindPin, "", true},
	} {
		b, _ := hex.DecodeString(c.hex)
		p, err := decodeOutbox(b)
		if (err == nil) != c.ok {
			t.Errorf("%s: %v", c.hex, err)
			continue
		}
		if c.ok && (p.Kind != c.kind || p.Title != c.title || p.Version != outboxVersion) {
			t.Errorf("%s decoded to %+v", c.hex, p)
		}
	}
}

// TestMessageMeta: what the engine keeps with a message round-trips; nothing stores
// nothing; a damaged record stands for nothing; version 1 records still read.
func TestMessageMeta(t *testing.T) {
	for _, m := range []messageMeta{
		{Placeholder: AttachmentOnly}, {Placeholder: Unsupported}, {ClockOff: true}, {Counter: 12},
		{Service: &serviceLine{Kind: ServiceAdded, Targets: [][]byte{bytes.Repeat([]byte{1}, 16)}}},
		{Service: &serviceLine{Kind: ServiceGap, Targets: [][]byte{bytes.Repeat([]byte{2}, 16)}, Count: 3}},
		{TTL: 5}, {TTL: 30, ExpiresAt: 1_700_000_000_000},
		{Counter: 4, AutoDelete: 86400},
		{Service: &serviceLine{Kind: ServiceAutoDelete, Count: 604800}},
		{Counter: 3, Acts: &messageActs{Forwarded: "Alice"}},
		{Counter: 4, Files: 2}, {Placeholder: AttachmentOnly, Files: 10, Acts: &messageActs{Pinned: true}},
		{Placeholder: Deleted, Acts: &messageActs{Deleted: true, DeletedBy: bytes.Repeat([]byte{3}, 16)}},
		{Acts: &messageActs{Pinned: true, PinAt: 9, Reactions: []reactionRecord{
			{Account: bytes.Repeat([]byte{4}, 16), Emoji: "👍", At: 5}, {Account: bytes.Repeat([]byte{5}, 16), Emoji: "🎉", At: 6, Removed: true}}}},
	} {
		b, err := encodeMessageMeta(m)
		if err != nil {
			t.Fatal(err)
		}
		got := metaOf(vault.Message{Extra: b})
		m.Version = messageMetaVersion
		if !reflect.DeepEqual(got, m) {
			t.Errorf("%+v came back as %+v", m, got)
		}
		for i := 1; i < len(b); i++ {
			if _, err := decodeMessageMeta(b[:i]); !errors.Is(err, errBadRecord) {
				t.Errorf("prefix of %d bytes: %v", i, err)
			}
		}
	}
	// Version 3 before actions and files (two fields shorter) still reads.
	type v3Layout struct {
		_           struct{} `cbor:",toarray"`
		Version     uint8
		Placeholder Placeholder
		Service     *serviceLine
		ClockOff    bool
		Counter     uint64
		TTL         uint32
		ExpiresAt   int64
	}
	v3, err := modes.enc.Marshal(v3Layout{Version: 3, Counter: 9, TTL: 4})
	if err != nil {
		t.Fatal(err)
	}
	if got := metaOf(vault.Message{Extra: v3}); got.Counter != 9 || got.TTL != 4 || got.Acts != nil {
		t.Errorf("a version 3 record before actions reads as %+v", got)
	}
	// And before the auto-delete time and the files (two fields shorter than
	// now), and before the files alone (one).
	var fields []cbor.RawMessage
	withActs, err := modes.enc.Marshal(messageMeta{Version: 3, Counter: 8, Acts: &messageActs{Pinned: true, PinAt: 3}, AutoDelete: 60})
	if err == nil {
		err = modes.dec.Unmarshal(withActs, &fields)
	}
	if err != nil {
		t.Fatal(err)
	}
	old, err := modes.enc.Marshal(fields[:len(fields)-3])
	if err != nil {
		t.Fatal(err)
	}
	if got := metaOf(vault.Message{Extra: old}); got.Counter != 8 || got.Acts == nil || !got.Acts.Pinned || got.AutoDelete != 0 {
		t.Errorf("a version 3 record before auto-delete reads as %+v", got)
	}
	if old, err = modes.enc.Marshal(fields[:len(fields)-2]); err != nil {
		t.Fatal(err)
	}
	if got := metaOf(vault.Message{Extra: old}); got.Counter != 8 || got.AutoDelete != 60 || got.Files != 0 {
		t.Errorf("a version 3 record before files reads as %+v", got)
	}
	// Before link previews (one field shorter), and a preview read back.
	if old, err = modes.enc.Marshal(fields[:len(fields)-1]); err != nil {
		t.Fatal(err)
	}
	if got := metaOf(vault.Message{Extra: old}); got.Counter != 8 || got.AutoDelete != 60 || got.Preview != nil {
		t.Errorf("a version 3 record before link previews reads as %+v", got)
	}
	withPreview, err := encodeMessageMeta(messageMeta{Preview: &previewRecord{URL: "https://a.example", Title: "t", Thumbnail: []byte{1}}})
	if err != nil {
		t.Fatal(err)
	}
	if got := metaOf(vault.Message{Extra: withPreview}); got.Preview == nil || got.Preview.URL != "https://a.example" || got.Preview.Title != "t" {
		t.Errorf("a preview reads back as %+v", got.Preview)
	}
	overCap, _ := modes.enc.Marshal(messageMeta{Version: messageMetaVersion, Preview: &previewRecord{URL: "https://a.example", Title: string(make([]byte, chatcrypto.MaxPreviewTitleBytes+1))}})
	if _, err := decodeMessageMeta(overCap); !errors.Is(err, errBadRecord) {
		t.Errorf("a preview over its caps: %v", err)
	}
	for _, acts := range []*messageActs{
		{Reactions: make([]reactionRecord, maxReactionRecords+1)},
		{Reactions: []reactionRecord{{Account: []byte{1}, Emoji: "👍"}}},
		{Reactions: []reactionRecord{{Account: bytes.Repeat([]byte{4}, 16), Emoji: ""}}},
		{DeletedBy: []byte{1, 2}},
		{Forwarded: "line\nbreak"},
	} {
		b, err := modes.enc.Marshal(messageMeta{Version: messageMetaVersion, Acts: acts})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := decodeMessageMeta(b); !errors.Is(err, errBadRecord) {
			t.Errorf("actions %+v: %v", acts, err)
		}
	}
	// Version 2 (before self-destruct) still reads.
	v2, err := modes.enc.Marshal(messageMetaV2{Version: 2, ClockOff: true, Counter: 7})
	if err != nil {
		t.Fatal(err)
	}
	if got := metaOf(vault.Message{Extra: v2}); !got.ClockOff || got.Counter != 7 || got.TTL != 0 {
		t.Errorf("a version 2 record reads as %+v", got)
	}
	if b, err := encodeMessageMeta(messageMeta{}); err != nil || b != nil {
		t.Errorf("nothing encodes as %x, %v", b, err)
	}
	if got := placeholderOf(vault.Message{Extra: []byte{0x82, 0x01, 0x09}}); got != NoPlaceholder {
		t.Errorf("an unknown placeholder reads as %d", got)
	}
	if got := placeholderOf(vault.Message{Extra: []byte{0x82, 0x01, 0x02}}); got != Unsupported {
		t.Errorf("a version 1 record reads as %d", got)
	}
	bad, _ := modes.enc.Marshal(messageMeta{Version: messageMetaVersion, Service: &serviceLine{Kind: 99}})
	if _, err := decodeMessageMeta(bad); !errors.Is(err, errBadRecord) {
		t.Errorf("unknown service kind: %v", err)
	}
}

func FuzzDecodeMeta(f *testing.F) {
	m := chatMeta{Epoch: 3, LogLen: 4, Senders: []senderCounter{{Device: make([]byte, 16), Account: make([]byte, 16), High: 3, Missing: []uint64{2}}},
		AutoDelete: autoDeleteState{TTL: 86400, At: 7, By: make([]byte, 16)}}
	m.addFormer(ids.Account{9}, 2)
	b, _ := encodeMeta(m)
	f.Add(b)
	f.Add([]byte{})
	f.Add([]byte{0x89, 0x01})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := decodeMeta(b)
		if err != nil {
			if !errors.Is(err, errBadRecord) {
				t.Fatalf("error %v is not errBadRecord", err)
			}
			return
		}
		out, err := encodeMeta(m)
		if err != nil {
			t.Fatal(err)
		}
		again, err := decodeMeta(out)
		if err != nil {
			t.Fatalf("re-encoded state does not decode: %v", err)
		}
		if out2, _ := encodeMeta(again); !bytes.Equal(out, out2) {
			t.Fatal("encoding is not stable")
		}
	})
}

func FuzzDecodeMessageMeta(f *testing.F) {
	b, _ := encodeMessageMeta(messageMeta{Placeholder: Unsupported})
	f.Add(b)
	b, _ = encodeMessageMeta(messageMeta{Service: &serviceLine{Kind: ServiceRemoved, Targets: [][]byte{make([]byte, 16)}}})
	f.Add(b)
	b, _ = encodeMessageMeta(messageMeta{Acts: &messageActs{Pinned: true, Forwarded: "Bob", Reactions: []reactionRecord{{Account: make([]byte, 16), Emoji: "👍"}}}})
	f.Add(b)
	b, _ = encodeMessageMeta(messageMeta{Counter: 2, AutoDelete: 86400})
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := decodeMessageMeta(b)
		if err != nil {
			if !errors.Is(err, errBadRecord) {
				t.Fatalf("error %v is not errBadRecord", err)
			}
			return
		}
		out, err := encodeMessageMeta(m)
		if err != nil {
			t.Fatal(err)
		}
		back, err := decodeMessageMeta(out)
		if err != nil {
			t.Fatalf("re-encoded %x does not decode: %v", out, err)
		}
		if again, err := encodeMessageMeta(back); err != nil || !bytes.Equal(again, out) {
			t.Fatalf("encoding is not stable: %x, then %x (%v)", out, again, err)
		}
	})
}

func FuzzDecodeOutbox(f *testing.F) {
	for _, p := range []outboxPayload{{Kind: chatcrypto.KindText}, {Kind: chatcrypto.KindChatMeta, Title: "x"},
		{Kind: chatcrypto.KindReaction, Target: make([]byte, 16), Emoji: "👍", At: 1}, {Kind: chatcrypto.KindAutoDelete, TTL: 86400, At: 1}} {
		b, _ := encodeOutbox(p)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := decodeOutbox(b)
		if err != nil {
			if !errors.Is(err, errBadRecord) {
				t.Fatalf("error %v is not errBadRecord", err)
			}
			return
		}
		out, err := encodeOutbox(p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := decodeOutbox(out); err != nil {
			t.Fatalf("re-encoded item does not decode: %v", err)
		}
	})
}

// TestMetaFitsARecord: a chat state holding the most former members and the most
// senders, each with the most gaps, still encodes within a vault record, by
// forgetting the least recently heard senders.
func TestMetaFitsARecord(t *testing.T) {
	var m chatMeta
	for i := range maxFormerMembers {
		m.addFormer(ids.Account{byte(i), byte(i >> 8), 1}, uint64(i))
	}
	for i := range maxSenderCounters {
		sc := senderCounter{Device: bytes.Repeat([]byte{byte(i)}, 16), Account: bytes.Repeat([]byte{byte(i >> 8)}, 16), High: math.MaxUint64}
		for k := range maxMissing {
			sc.Missing = append(sc.Missing, math.MaxUint64-uint64(k)-1)
		}
		m.Senders = append(m.Senders, sc)
	}
	b, err := encodeMeta(m)
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeMeta(b)
	if err != nil {
		t.Fatalf("%d bytes do not decode: %v", len(b), err)
	}
	if len(got.Senders) == 0 || len(got.Senders) == maxSenderCounters || got.Senders[len(got.Senders)-1].High != math.MaxUint64 {
		t.Errorf("kept %d senders of %d", len(got.Senders), maxSenderCounters)
	}
}
