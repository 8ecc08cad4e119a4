package app

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"hush/internal/testutil"
	"hush/linkpreview"
)

// TestLinkPreviewThroughTheApp: nothing is fetched while link previews are off (the
// default), nor for a secret chat, nor for anything but one https link; once on, the
// preview fetched goes inside the message and the other member sees it.
func TestLinkPreviewThroughTheApp(t *testing.T) {
	alice, bob, direct := chatting(t)
	var fetches atomic.Int32
	alice.core.fetch = func(_ context.Context, url string) (linkpreview.Preview, error) {
		fetches.Add(1)
		if url == "https://fails.example/" {
			return linkpreview.Preview{}, linkpreview.ErrNoPreview
		}
		return linkpreview.Preview{URL: url, Title: "Example", Description: "A page", SiteName: "Example Site", Thumbnail: []byte{0xff, 0xd8, 0xff, 0xd9}}, nil
	}
	const link = "https://example.com/page"
	if _, err := alice.chats.LinkPreview(direct.ID, link); !errors.Is(err, ErrNoLinkPreview) || fetches.Load() != 0 {
		t.Fatalf("with link previews off: %v, %d fetches", err, fetches.Load())
	}
	if _, err := (&SettingsService{c: alice.core}).SetLinkPreviews(true); err != nil {
		t.Fatal(err)
	}
	for _, url := range []string{"http://example.com/", "see " + link, "www.example.com", "javascript:alert(1)"} {
		if _, err := alice.chats.LinkPreview(direct.ID, url); !errors.Is(err, ErrNoLinkPreview) {
			t.Errorf("LinkPreview(%q) = %v", url, err)
		}
	}
	if _, err := alice.chats.LinkPreview(direct.ID, "https://fails.example/"); !errors.Is(err, ErrNoLinkPreview) {
		t.Errorf("a failed fetch: %v", err)
	}
	if n := fetches.Load(); n != 1 {
		t.Fatalf("%d fetches, want only the one of a single https link", n)
	}
	p, err := alice.chats.LinkPreview(direct.ID, link)
	if err != nil || p.Title != "Example" || p.URL != link || p.Thumbnail != "data:image/jpeg;base64,/9j/2Q==" {
		t.Fatalf("LinkPreview = %+v, %v", p, err)
	}
	if _, err := alice.chats.SendWithPreview(direct.ID, "look", "", p); err == nil {
		t.Fatal("a preview of a link the text lacks was sent")
	}
	bad := p
	bad.Thumbnail = "data:text/html;base64,PGI+"
	if _, err := alice.chats.SendWithPreview(direct.ID, "look "+link, "", bad); !errors.Is(err, ErrInvalidInput) {
		t.Fatalf("a thumbnail that is not a JPEG data URL: %v", err)
	}
	sent, err := alice.chats.SendWithPreview(direct.ID, "look "+link, "", p)
	if err != nil || sent.Preview == nil || *sent.Preview != p {
		t.Fatalf("SendWithPreview = %+v, %v", sent.Preview, err)
	}
	testutil.Eventually(t, 20*time.Second, "Bob sees the preview", func() bool {
		return bob.events.count("message:new", func(d any) bool {
			m := d.(MessageNew)
			return m.ID == sent.ID && m.Preview != nil && *m.Preview == p
		}) == 1
	})

	// A secret chat: nothing fetched, nothing sent with one.
	secret := startSecret(t, alice, direct)
	before := fetches.Load()
	if _, err := alice.chats.LinkPreview(secret.ID, link); !errors.Is(err, ErrNoLinkPreview) || fetches.Load() != before {
		t.Fatalf("a secret chat's preview: %v, %d fetches", err, fetches.Load()-before)
	}
	if _, err := alice.chats.SendWithPreview(secret.ID, "look "+link, "", p); err == nil {
		t.Fatal("a secret chat's message went with a preview")
	}
}

// TestProductionFetcherIsTheSafeOne: the Core's fetcher is linkpreview's, which
// refuses this machine's addresses.
func TestProductionFetcherIsTheSafeOne(t *testing.T) {
	f := newFixture(t)
	if _, err := f.core.fetch(t.Context(), "https://127.0.0.1:1/"); !errors.Is(err, linkpreview.ErrForbiddenAddress) {
		t.Fatalf("the app's fetcher reached loopback: %v", err)
	}
}
