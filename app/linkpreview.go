package app

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"

	"hush/chat"
	"hush/chatcrypto"
	"hush/ids"
	"hush/linkpreview"
	"hush/policy"
)

// LinkPreview is a preview of a web page a message links to: fetched by the
// sending device (ChatService.LinkPreview), sent inside the encrypted message,
// shown by receivers as the sender's claim. Every field is text to show as text.
type LinkPreview struct {
	// URL is the link previewed, as the message's text writes it.
	URL         string `json:"url"`
	Title       string `json:"title"`
	Description string `json:"description"`
	SiteName    string `json:"siteName"`
	// Thumbnail is a data: URL of a JPEG of the page's image, "" if none.
	Thumbnail string `json:"thumbnail"`
}

// ErrNoLinkPreview: no preview was fetched — link previews are off, the chat is
// secret, or the page gave none. The UI shows no preview and no error.
var ErrNoLinkPreview = errors.New("No link preview.")

// fetchPreview fetches a page's preview; Core uses [linkpreview.Fetcher.Fetch],
// which cannot reach a non-public address. Tests of this package replace it.
type fetchPreview func(ctx context.Context, url string) (linkpreview.Preview, error)

// LinkPreview fetches the preview of url, one of the https links of the message
// being written in chatID, when link previews are on (Settings.LinkPreviews) and
// the chat is not secret; anything else, and any failure of the fetch, is
// ErrNoLinkPreview. The linked site learns this device's address
// (docs/SECURITY.md, "Formatting, links and link previews").
func (s *ChatService) LinkPreview(chatID, url string) (LinkPreview, error) {
	id, err := parseID[ids.Chat](chatID)
	if err != nil {
		return LinkPreview{}, err
	}
	var on bool
	if err := s.c.withSession(func(sess *session) error { on = sess.prefs.LinkPreviews; return nil }); err != nil {
		return LinkPreview{}, err
	}
	if !on || len(chatcrypto.LinksIn(url)) != 1 || chatcrypto.LinksIn(url)[0] != url {
		return LinkPreview{}, ErrNoLinkPreview
	}
	var kind policy.ChatKind
	if err := s.c.withEngine(func(ctx context.Context, e *chat.Engine) error {
		c, err := e.Summary(ctx, id)
		kind = c.Kind
		return err
	}); err != nil {
		return LinkPreview{}, err
	}
	if kind == policy.KindSecret {
		return LinkPreview{}, ErrNoLinkPreview
	}
	ctx, cancel := context.WithTimeout(context.Background(), linkpreview.Timeout)
	defer cancel()
	p, err := s.c.fetch(ctx, url)
	if err != nil {
		s.c.log.Debug("no link preview", "err", err)
		return LinkPreview{}, ErrNoLinkPreview
	}
	return LinkPreview{URL: url, Title: p.Title, Description: p.Description, SiteName: p.SiteName, Thumbnail: jpegURL(p.Thumbnail)}, nil
}

// SendWithPreview is Send of a text with the preview of one of its links, as
// LinkPreview returned it. A secret chat refuses it; a thumbnail that would make
// the message too long is left out.
func (s *ChatService) SendWithPreview(chatID, body, replyTo string, preview LinkPreview) (Message, error) {
	id, reply, err := sendTarget(chatID, replyTo)
	if err != nil {
		return Message{}, err
	}
	thumb, err := jpegFromURL(preview.Thumbnail)
	if err != nil {
		return Message{}, err
	}
	p := chat.LinkPreview{URL: preview.URL, Title: preview.Title, Description: preview.Description, SiteName: preview.SiteName, Thumbnail: thumb}
	return engineView(s.c, messageView, func(ctx context.Context, e *chat.Engine) (chat.Message, error) {
		return e.SendWithPreview(ctx, id, body, reply, p)
	})
}

// jpegFromURL reads back what jpegURL wrote, at most a thumbnail's size.
func jpegFromURL(u string) ([]byte, error) {
	if u == "" {
		return nil, nil
	}
	const prefix = "data:image/jpeg;base64,"
	if !strings.HasPrefix(u, prefix) || base64.StdEncoding.DecodedLen(len(u)-len(prefix)) > chatcrypto.MaxThumbnailBytes+2 {
		return nil, invalid("The link preview's image is not a small JPEG.")
	}
	b, err := base64.StdEncoding.DecodeString(u[len(prefix):])
	if err != nil || len(b) > chatcrypto.MaxThumbnailBytes {
		return nil, invalid("The link preview's image is not a small JPEG.")
	}
	return b, nil
}

func linkPreviewView(p *chat.LinkPreview) *LinkPreview {
	if p == nil {
		return nil
	}
	return &LinkPreview{URL: p.URL, Title: p.Title, Description: p.Description, SiteName: p.SiteName, Thumbnail: jpegURL(p.Thumbnail)}
}
