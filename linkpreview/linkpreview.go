// Package linkpreview fetches the preview of a web page that a message links to:
// its title, description, site name and a thumbnail of its image. Only the
// *sending* device fetches, and only when the user turned link previews on; the
// preview then travels inside the end-to-end encrypted message, so receivers fetch
// nothing (docs/SECURITY.md, "Formatting, links and link previews").
//
// A message's link is chosen by whoever writes the message, so a fetch must never
// become a way to reach this device's own network. [Fetcher] therefore:
//
//   - fetches https:// URLs only, and follows at most [MaxRedirects] redirects,
//     each to https:// again;
//   - refuses, when the connection is made (the dialer's Control hook, after DNS),
//     every address that is not public: loopback, private, link-local, CGNAT,
//     unique-local, multicast, unspecified, reserved and documentation ranges, and
//     the IPv4-mapped, NAT64, 6to4 and Teredo forms of them — so DNS rebinding and
//     redirects to internal hosts fail;
//   - uses no proxy from the environment, no cookies, no Referer, and a fixed
//     neutral User-Agent ([UserAgent]);
//   - stops after [Timeout] in all, reads at most [MaxPageBytes] of an HTML page
//     (text/html only) and at most [MaxImageBytes] of an image (image/* only).
//
// Most callers use [New] and [Fetcher.Fetch]; [Extract] reads a page already fetched.
package linkpreview

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"

	"hush/thumbnail"
)

// Limits of a fetch. Each is a bound on what a linked site can make this device do.
const (
	// Timeout bounds a whole [Fetcher.Fetch]: the page, its redirects and its image.
	Timeout = 5 * time.Second
	// MaxRedirects caps the redirects followed from the linked URL.
	MaxRedirects = 3
	// MaxPageBytes caps what is read of a page; a longer page is read up to it
	// (the tags a preview needs are in its head).
	MaxPageBytes = 512 << 10
	// MaxImageBytes caps the image a thumbnail is made of; a larger one is skipped.
	MaxImageBytes = 5 << 20
	// MaxURLBytes caps the URL fetched, like the longest link a message shows.
	MaxURLBytes = 2048
	// UserAgent is sent with every request: the same for every Hush device and
	// version, so it tells the site nothing about this one.
	UserAgent = "Mozilla/5.0 (compatible; link preview)"
)

// Errors callers branch on.
var (
	// ErrNotHTTPS: the URL, or a redirect, is not https://.
	ErrNotHTTPS = errors.New("linkpreview: only https:// links are fetched")
	// ErrForbiddenAddress: the host resolved to an address that is not public.
	ErrForbiddenAddress = errors.New("linkpreview: address is not public")
	// ErrTooManyRedirects: more than MaxRedirects redirects.
	ErrTooManyRedirects = errors.New("linkpreview: too many redirects")
	// ErrNotHTML: the page is not text/html.
	ErrNotHTML = errors.New("linkpreview: not an HTML page")
	// ErrNoPreview: the page has neither a title nor a description.
	ErrNoPreview = errors.New("linkpreview: the page has nothing to preview")
)

// Fetcher fetches previews. Its zero value is not usable: make one with [New].
// It is safe for concurrent use.
type Fetcher struct {
	client  *http.Client
	timeout time.Duration
}

// options are what tests may change; production uses the zero value.
type options struct {
	// rootCAs replaces the system's roots (a test server's certificate).
	rootCAs *tlsRoots
	// allowLoopback lets tests reach their server on 127.0.0.1 / ::1. Nothing
	// outside this package's tests can set it.
	allowLoopback bool
	timeout       time.Duration
}

// New returns a fetcher with the rules of the package doc, which cannot reach a
// non-public address.
func New() *Fetcher { return newFetcher(options{}) }

func newFetcher(o options) *Fetcher {
	if o.timeout == 0 {
		o.timeout = Timeout
	}
	dialer := &net.Dialer{
		Timeout: o.timeout,
		// Control runs for every connection, after the name is resolved, on the
		// address about to be connected: the only check DNS cannot race.
		Control: func(network, address string, _ syscall.RawConn) error {
			return checkDial(network, address, o.allowLoopback)
		},
	}
	transport := &http.Transport{
		Proxy:                  nil, // not from the environment: see the package doc
		DialContext:            dialer.DialContext,
		TLSClientConfig:        tlsConfig(o.rootCAs),
		TLSHandshakeTimeout:    o.timeout,
		DisableKeepAlives:      true,
		ForceAttemptHTTP2:      true,
		MaxResponseHeaderBytes: 64 << 10,
	}
	return &Fetcher{
		timeout: o.timeout,
		client: &http.Client{
			Transport: transport,
			Timeout:   o.timeout,
			Jar:       nil, // no cookies
			CheckRedirect: func(req *http.Request, via []*http.Request) error {
				if len(via) > MaxRedirects {
					return ErrTooManyRedirects
				}
				if req.URL.Scheme != "https" {
					return fmt.Errorf("redirect to %s: %w", req.URL.Scheme, ErrNotHTTPS)
				}
				// net/http sets a Referer on https → https redirects; the site
				// redirected to learns nothing of the site before it.
				req.Header.Del("Referer")
				return nil
			},
		},
	}
}

// Preview is what a page says about itself, trimmed and capped. Thumbnail is a
// JPEG of at most thumbnail.MaxSide pixels a side and thumbnail.MaxBytes, nil if
// the page has no image or the image could not be fetched.
type Preview struct {
	// URL is the link as asked for, not where redirects led: it is the link in the message.
	URL         string
	Title       string
	Description string
	SiteName    string
	Thumbnail   []byte
}

// Fetch fetches the page at rawURL and returns its preview. A page with neither
// a title nor a description fails with [ErrNoPreview]; an image that fails leaves
// the preview without a thumbnail.
func (f *Fetcher) Fetch(ctx context.Context, rawURL string) (Preview, error) {
	u, err := parseHTTPS(rawURL)
	if err != nil {
		return Preview{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	var page []byte
	var contentType string
	final, err := f.get(ctx, u, isHTML, ErrNotHTML, func(ct string, body io.Reader) error {
		contentType = ct
		var rerr error
		page, rerr = io.ReadAll(io.LimitReader(body, MaxPageBytes))
		return rerr
	})
	if err != nil {
		return Preview{}, fmt.Errorf("fetch preview of %s: %w", u.Redacted(), err)
	}
	p, image := Extract(bytes.NewReader(page), contentType, final)
	if p.Title == "" && p.Description == "" {
		return Preview{}, fmt.Errorf("fetch preview of %s: %w", u.Redacted(), ErrNoPreview)
	}
	p.URL = rawURL
	if image != nil {
		// The image's failure is not the preview's: it goes without.
		p.Thumbnail, _ = f.thumbnail(ctx, image)
	}
	return p, nil
}

// thumbnail fetches an image with the page's rules and makes its thumbnail.
func (f *Fetcher) thumbnail(ctx context.Context, u *url.URL) ([]byte, error) {
	var img []byte
	_, err := f.get(ctx, u, isImage, errNotImage, func(_ string, body io.Reader) error {
		b, err := io.ReadAll(io.LimitReader(body, MaxImageBytes+1))
		if err != nil {
			return err
		}
		if len(b) > MaxImageBytes {
			return fmt.Errorf("image larger than %d bytes", MaxImageBytes)
		}
		img = b
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("fetch image %s: %w", u.Redacted(), err)
	}
	t, err := thumbnail.Make(bytes.NewReader(img))
	if err != nil {
		return nil, fmt.Errorf("thumbnail of %s: %w", u.Redacted(), err)
	}
	return t.JPEG, nil
}

var errNotImage = errors.New("linkpreview: not an image")

// get makes one GET of u (following redirects by the rules), refuses a response
// whose Content-Type fails accept with refuse, and hands the body to read. It
// returns the URL the response came from.
func (f *Fetcher) get(ctx context.Context, u *url.URL, accept func(string) bool, refuse error, read func(contentType string, body io.Reader) error) (*url.URL, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", UserAgent)
	req.Header.Set("Accept", "text/html, image/*;q=0.8")
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("status %s", resp.Status)
	}
	ct := resp.Header.Get("Content-Type")
	if !accept(ct) {
		return nil, fmt.Errorf("%w: %q", refuse, ct)
	}
	if err := read(ct, resp.Body); err != nil {
		return nil, err
	}
	return resp.Request.URL, nil
}

// parseHTTPS accepts an absolute https:// URL with a host and no user name.
func parseHTTPS(rawURL string) (*url.URL, error) {
	if len(rawURL) > MaxURLBytes {
		return nil, fmt.Errorf("linkpreview: URL of %d bytes, the limit is %d", len(rawURL), MaxURLBytes)
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("linkpreview: %w", err)
	}
	switch {
	case u.Scheme != "https":
		return nil, ErrNotHTTPS
	case u.Host == "" || u.User != nil:
		return nil, fmt.Errorf("linkpreview: URL needs a host and no user name: %w", ErrNotHTTPS)
	}
	return u, nil
}

func mediaType(ct string) string {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return ""
	}
	return mt
}

func isHTML(ct string) bool { return mediaType(ct) == "text/html" }

func isImage(ct string) bool { return strings.HasPrefix(mediaType(ct), "image/") }
