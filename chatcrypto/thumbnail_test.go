package chatcrypto

import (
	"bytes"
	"errors"
	"testing"

	"hush/ids"
)

func TestAttachmentThumbnail(t *testing.T) {
	key, _ := FileKeyFromBytes(bytes.Repeat([]byte{7}, FileKeySize))
	att := func(thumb []byte) Content {
		return Content{Kind: KindText, Text: &Text{Attachments: []Attachment{{
			FileID: ids.New[ids.File](), Key: key, Name: "cat.jpg", MIME: "image/jpeg", Size: 12345, Thumbnail: thumb,
		}}}}
	}
	thumb := bytes.Repeat([]byte{0xff, 0xd8}, MaxThumbnailBytes/2)
	b, err := EncodeContent(att(thumb))
	if err != nil {
		t.Fatal(err)
	}
	c, err := DecodeContent(b)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Text.Attachments[0].Thumbnail; !bytes.Equal(got, thumb) {
		t.Fatalf("thumbnail of %d bytes after a round trip, want %d", len(got), len(thumb))
	}
	// Without a thumbnail the encoding is the one older versions wrote: no key 5.
	b0, err := EncodeContent(att(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c, err := DecodeContent(b0); err != nil || c.Text.Attachments[0].Thumbnail != nil {
		t.Fatalf("no thumbnail: %v", err)
	}
	// One byte over the limit is refused on encoding, and on decoding (a peer's
	// encoder may not check).
	big := att(append(thumb, 0))
	if _, err := EncodeContent(big); !errors.Is(err, ErrInvalidContent) {
		t.Fatalf("encode oversized thumbnail: %v", err)
	}
	w, err := att(thumb).toWire()
	if err != nil {
		t.Fatal(err)
	}
	w.Attachments[0].Thumbnail = append(thumb, 0)
	raw, err := detEnc.Marshal(w)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := DecodeContent(raw); !errors.Is(err, ErrInvalidContent) {
		t.Fatalf("decode oversized thumbnail: %v", err)
	}
}
