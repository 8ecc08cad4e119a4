package chat

import (
	"context"
	"fmt"
	"slices"

	"hush/chatcrypto"
	"hush/ids"
)

// Link previews (docs/SECURITY.md, "Formatting, links and link previews"): the
// sending device fetches the preview (package linkpreview, called by the app),
// and it travels inside the sealed text (content key 17). The engine stores it
// with the message, in the message's sealed record (messageMeta.Preview), so it
// is in backups with the message. Never in a secret chat: sending one is
// refused, and one that arrives in a secret chat is dropped. A preview is shown
// only while its URL is still a link of the text, so an edit that removes the
// link removes the preview.

// previewRecord is a [LinkPreview] as stored in messageMeta.
type previewRecord struct {
	_           struct{} `cbor:",toarray"`
	URL         string
	Title       string
	Description string
	SiteName    string
	Thumbnail   []byte
}

func recordOf(p *LinkPreview) *previewRecord {
	if p == nil {
		return nil
	}
	return &previewRecord{URL: p.URL, Title: p.Title, Description: p.Description, SiteName: p.SiteName, Thumbnail: p.Thumbnail}
}

func previewFromContent(p *chatcrypto.LinkPreview) *previewRecord {
	if p == nil {
		return nil
	}
	return &previewRecord{URL: p.URL, Title: p.Title, Description: p.Description, SiteName: p.SiteName, Thumbnail: p.Thumbnail}
}

// content is the preview as it is sealed; nil for none.
func (r *previewRecord) content() *chatcrypto.LinkPreview {
	if r == nil {
		return nil
	}
	return &chatcrypto.LinkPreview{URL: r.URL, Title: r.Title, Description: r.Description, SiteName: r.SiteName, Thumbnail: r.Thumbnail}
}

// check applies the caps chatcrypto applies to a preview that arrives, to one
// read back from the vault.
func (r *previewRecord) check() error {
	switch {
	case r == nil:
		return nil
	case len(r.URL) > chatcrypto.MaxPreviewURLBytes, len(r.Title) > chatcrypto.MaxPreviewTitleBytes,
		len(r.Description) > chatcrypto.MaxPreviewDescriptionBytes, len(r.SiteName) > chatcrypto.MaxPreviewSiteBytes,
		len(r.Thumbnail) > chatcrypto.MaxThumbnailBytes:
		return fmt.Errorf("link preview over its caps")
	}
	return nil
}

// shownWith is the preview to show with a message whose text is body: none once
// its URL is no longer one of body's links (an edit took the link out).
func (r *previewRecord) shownWith(body string) *LinkPreview {
	if r == nil || !slices.Contains(chatcrypto.LinksIn(body), r.URL) {
		return nil
	}
	return &LinkPreview{URL: r.URL, Title: r.Title, Description: r.Description, SiteName: r.SiteName, Thumbnail: r.Thumbnail}
}

// SendWithPreview is [Engine.Send] of a text with the preview of one of its
// links, fetched by this device. A secret chat never carries one
// ([ErrForbidden]). A preview the text does not link to, or that breaks
// chatcrypto's caps, is refused ([ErrInvalid]); one whose thumbnail would make
// the message too long goes without its thumbnail, and without itself if it
// still does not fit.
func (e *Engine) SendWithPreview(ctx context.Context, id ids.Chat, body string, replyTo *ids.Message, preview LinkPreview) (Message, error) {
	if e.isSecret(ctx, id) {
		return Message{}, detailf(ErrForbidden, "a secret chat's messages carry no link previews")
	}
	p, err := e.send.fitPreview(body, preview)
	if err != nil {
		return Message{}, err
	}
	m, err := e.send.sendWith(ctx, id, body, replyTo, "", nil, p)
	if err == nil {
		e.clearDraft(ctx, id, m.SentAt)
	}
	return m, err
}

// fitPreview checks preview against body and the message size: the preview to
// send (nil: the text goes without one), or why the preview is refused.
func (s *sender) fitPreview(body string, preview LinkPreview) (*LinkPreview, error) {
	name := s.name.get()
	if err := checkBody(body, name.sent); err != nil {
		return nil, err
	}
	for _, p := range []LinkPreview{preview, {URL: preview.URL, Title: preview.Title, Description: preview.Description, SiteName: preview.SiteName}} {
		enc, err := chatcrypto.EncodeContent(chatcrypto.Content{Kind: chatcrypto.KindText, Text: &chatcrypto.Text{
			Body: body, ReplyTo: ids.Message{1}, SenderName: name.sent, Preview: recordOf(&p).content(),
		}, Counter: 1 << 62, SentAt: s.clk.Now()})
		if err != nil {
			return nil, &detailError{sentinel: ErrInvalid, detail: "the link preview cannot be sent", cause: err}
		}
		if len(enc) < maxSealedContent {
			return &p, nil
		}
	}
	return nil, nil
}
