package chatcrypto

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// TestAttachmentsAlone: the attachments encoded alone are the very maps a text's
// content carries under key 6, and decode under the same rules.
func TestAttachmentsAlone(t *testing.T) {
	as := []Attachment{testAttachment(1), testAttachment(2)}
	as[1].Thumbnail = []byte{0xff, 0xd8, 0xff}
	b, err := EncodeAttachments(as)
	if err != nil {
		t.Fatal(err)
	}
	content, err := EncodeContent(Content{Kind: KindText, Text: &Text{Attachments: as}})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(content, b) {
		t.Fatal("the attachments alone are not the content's key 6")
	}
	got, err := DecodeAttachments(b)
	if err != nil {
		t.Fatal(err)
	}
	want := Content{Kind: KindText, Text: &Text{Attachments: as}}
	if !equalContent(want, Content{Kind: KindText, Text: &Text{Attachments: got}}) || !bytes.Equal(got[1].Thumbnail, as[1].Thumbnail) {
		t.Fatalf("decoded %+v", got)
	}
	if b, err := EncodeAttachments(nil); b != nil || err != nil {
		t.Fatalf("none encodes as %x, %v", b, err)
	}
	if got, err := DecodeAttachments(nil); got != nil || err != nil {
		t.Fatalf("nothing decodes as %v, %v", got, err)
	}

	bad := func(f func(*Attachment)) []Attachment { a := testAttachment(1); f(&a); return []Attachment{a} }
	tooMany := make([]Attachment, MaxAttachments+1)
	for i := range tooMany {
		tooMany[i] = testAttachment(byte(i))
	}
	for _, tc := range []struct {
		name string
		as   []Attachment
		want error
		// encodeRefuses: the encoder checks this too (the others only the decoder,
		// as EncodeContent does).
		encodeRefuses bool
	}{
		{"too many", tooMany, ErrTooLarge, true},
		{"zero key", bad(func(a *Attachment) { a.Key = FileKey{} }), ErrInvalidContent, false},
		{"path in the name", bad(func(a *Attachment) { a.Name = "../x" }), ErrInvalidContent, false},
		{"long name", bad(func(a *Attachment) { a.Name = strings.Repeat("n", MaxFileNameBytes+1) }), ErrTooLarge, false},
		{"bad MIME", bad(func(a *Attachment) { a.MIME = "png" }), ErrInvalidContent, false},
		{"large thumbnail", bad(func(a *Attachment) { a.Thumbnail = make([]byte, MaxThumbnailBytes+1) }), ErrInvalidContent, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// A peer's encoder may skip the checks: the decoder applies them anyway.
			w := make([]attachmentWire, 0, len(tc.as))
			for _, a := range tc.as {
				w = append(w, attachmentWire{FileID: a.FileID[:], Key: a.Key.k[:], Name: a.Name, MIME: a.MIME, Size: a.Size, Thumbnail: a.Thumbnail})
			}
			raw, err := detEnc.Marshal(w)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := DecodeAttachments(raw); !errors.Is(err, tc.want) {
				t.Errorf("decode: %v, want %v", err, tc.want)
			}
			if _, err := EncodeAttachments(tc.as); tc.encodeRefuses && err == nil {
				t.Error("encoded")
			}
		})
	}
}

// FuzzDecodeAttachments: whatever a peer sends decodes to attachments that encode
// again, or to a typed error.
func FuzzDecodeAttachments(f *testing.F) {
	b, err := EncodeAttachments([]Attachment{testAttachment(1), testAttachment(2)})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte{0x80})
	f.Fuzz(func(t *testing.T, data []byte) {
		as, err := DecodeAttachments(data)
		if err != nil {
			if !errors.Is(err, ErrInvalidContent) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("untyped error: %v", err)
			}
			return
		}
		if len(as) > MaxAttachments {
			t.Fatalf("%d attachments", len(as))
		}
		if _, err := EncodeAttachments(as); err != nil {
			t.Fatalf("decoded attachments do not encode: %v", err)
		}
	})
}
