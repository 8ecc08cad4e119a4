package chat

import (
	"bytes"
	"encoding/hex"
	"errors"
	"hush/chatcrypto"
	"hush/ids"
	"hush/vault"
	"strings"
	"testing"
)

func TestMetaRoundTrip(t *testing.T) {
	m := chatMeta{Epoch: 7, FirstEpoch: 2, NeedEpoch: 8, MyDelivered: 40, MyRead: 39, PeerDelivered: 41, PeerRead: 12}
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
	if got.Epoch != 7 || got.FirstEpoch != 2 || got.NeedEpoch != 8 || got.MyDelivered != 40 || got.MyRead != 39 || got.PeerDelivered != 41 || got.PeerRead != 12 || len(got.Former) != 2 {
		t.Fatalf("round trip = %+v", got)
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
	m := chatMeta{Epoch: 3}
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
	p, err := encodeOutbox(outboxPayload{Kind: chatcrypto.KindChatMeta, Title: "Book club"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range len(p) {
		if _, err := decodeOutbox(p[:i]); !errors.Is(err, errBadRecord) {
			t.Fatalf("outbox prefix of %d bytes: %v", i, err)
		}
	}
}

func TestOutboxPayload(t *testing.T) {
	for _, c := range []struct {
		p  outboxPayload
		ok bool
	}{
		{outboxPayload{Kind: chatcrypto.KindText}, true},
		{outboxPayload{Kind: chatcrypto.KindChatMeta, Title: "News"}, true},
		{outboxPayload{Kind: chatcrypto.KindChatMeta}, false},
		{outboxPayload{Kind: chatcrypto.KindChatMeta, Title: strings.Repeat("x", chatcrypto.MaxTitleBytes+1)}, false},
		{outboxPayload{Kind: chatcrypto.KindText, Title: "x"}, false},
		{outboxPayload{Kind: 9}, false},
	} {
		b, err := encodeOutbox(c.p)
		if err != nil {
			t.Fatal(err)
		}
		got, err := decodeOutbox(b)
		if (err == nil) != c.ok {
			t.Errorf("%+v: %v", c.p, err)
		}
		if c.ok && (got.Kind != c.p.Kind || got.Title != c.p.Title) {
			t.Errorf("round trip %+v = %+v", c.p, got)
		}
	}
	if _, err := decodeOutbox([]byte{0x83, 0x03, 0x01, 0x60}); !errors.Is(err, errBadRecord) {
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

// TestMessageMeta: a placeholder round-trips; no placeholder stores nothing; a
// damaged record stands for no placeholder.
func TestMessageMeta(t *testing.T) {
	for _, p := range []Placeholder{AttachmentOnly, Unsupported} {
		b, err := encodeMessageMeta(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := placeholderOf(vault.Message{Extra: b}); got != p {
			t.Errorf("placeholder %d came back as %d", p, got)
		}
		for i := 1; i < len(b); i++ {
			if _, err := decodeMessageMeta(b[:i]); !errors.Is(err, errBadRecord) {
				t.Errorf("prefix of %d bytes: %v", i, err)
			}
		}
	}
	if b, err := encodeMessageMeta(NoPlaceholder); err != nil || b != nil {
		t.Errorf("no placeholder encodes as %x, %v", b, err)
	}
	if got := placeholderOf(vault.Message{Extra: []byte{0x82, 0x01, 0x09}}); got != NoPlaceholder {
		t.Errorf("an unknown placeholder reads as %d", got)
	}
}

func FuzzDecodeMeta(f *testing.F) {
	m := chatMeta{Epoch: 3, NeedEpoch: 4}
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
	b, _ := encodeMessageMeta(Unsupported)
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := decodeMessageMeta(b)
		if err != nil {
			if !errors.Is(err, errBadRecord) {
				t.Fatalf("error %v is not errBadRecord", err)
			}
			return
		}
		out, err := encodeMessageMeta(m.Placeholder)
		if err != nil {
			t.Fatal(err)
		}
		if back, err := decodeMessageMeta(out); err != nil || back.Placeholder != m.Placeholder {
			t.Fatalf("re-encoded %x decodes to %+v, %v", out, back, err)
		}
	})
}

func FuzzDecodeOutbox(f *testing.F) {
	for _, p := range []outboxPayload{{Kind: chatcrypto.KindText}, {Kind: chatcrypto.KindChatMeta, Title: "x"}} {
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
