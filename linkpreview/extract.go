package linkpreview

import (
	"io"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/charset"
)

// Caps of a preview's text, in bytes of UTF-8 (chatcrypto checks the same).
const (
	MaxTitleBytes       = 256
	MaxDescriptionBytes = 1 << 10
	MaxSiteNameBytes    = 64
)

// maxTokens bounds the tokenizer's loop whatever the page holds (a page of
// MaxPageBytes has fewer tokens than bytes).
const maxTokens = MaxPageBytes

// maxTitleText bounds what is gathered of a <title> before it is cut to MaxTitleBytes.
const maxTitleText = 4 * MaxTitleBytes

// Extract reads a page's preview from r, HTML in the charset contentType names
// (or its <meta charset>, or UTF-8), at most [MaxPageBytes]; base is the page's URL,
// against which a relative image URL is resolved. It returns the preview (URL and
// Thumbnail empty) and the page's image, nil if none is an https:// URL.
// og:title wins over <title>, og:description over the description meta tag.
func Extract(r io.Reader, contentType string, base *url.URL) (Preview, *url.URL) {
	r = io.LimitReader(r, MaxPageBytes)
	if cr, err := charset.NewReader(r, contentType); err == nil {
		r = cr
	}
	var (
		ogTitle, title, ogDesc, desc, site, image string
		inTitle                                   bool
		titleText                                 strings.Builder
	)
	z := html.NewTokenizer(r)
	z.SetMaxBuf(MaxPageBytes)
	for range maxTokens {
		tt := z.Next()
		if tt == html.ErrorToken {
			break
		}
		switch tt {
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			switch string(name) {
			case "title":
				inTitle = tt == html.StartTagToken && title == ""
			case "meta":
				if !hasAttr {
					continue
				}
				key, content := metaAttrs(z)
				switch key {
				case "og:title":
					ogTitle = first(ogTitle, content)
				case "og:description":
					ogDesc = first(ogDesc, content)
				case "description":
					desc = first(desc, content)
				case "og:site_name":
					site = first(site, content)
				case "og:image", "og:image:url", "og:image:secure_url":
					image = first(image, content)
				}
			}
		case html.TextToken:
			if inTitle && titleText.Len() < maxTitleText {
				titleText.Write(z.Text())
			}
		case html.EndTagToken:
			if name, _ := z.TagName(); string(name) == "title" && inTitle {
				inTitle, title = false, titleText.String()
			}
		}
	}
	p := Preview{
		Title:       Clean(first(ogTitle, title), MaxTitleBytes),
		Description: Clean(first(ogDesc, desc), MaxDescriptionBytes),
		SiteName:    Clean(site, MaxSiteNameBytes),
	}
	return p, imageURL(base, image)
}

// metaAttrs returns a meta tag's property (or name), lower-cased, and its content.
func metaAttrs(z *html.Tokenizer) (key, content string) {
	for {
		k, v, more := z.TagAttr()
		switch string(k) {
		case "property", "name":
			if key == "" {
				key = strings.ToLower(strings.TrimSpace(string(v)))
			}
		case "content":
			content = string(v)
		}
		if !more {
			return key, content
		}
	}
}

// first returns a unless it is blank, else b.
func first(a, b string) string {
	if strings.TrimSpace(a) != "" {
		return a
	}
	return b
}

// imageURL resolves raw against base and keeps it only if it is https://.
func imageURL(base *url.URL, raw string) *url.URL {
	raw = strings.TrimSpace(raw)
	if raw == "" || len(raw) > MaxURLBytes {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil
	}
	if base != nil {
		u = base.ResolveReference(u)
	}
	if u.Scheme != "https" || u.Host == "" || u.User != nil {
		return nil
	}
	return u
}

// Clean makes s fit to show as one paragraph of at most maxBytes bytes: valid
// UTF-8, every run of white space one space, no control, bidirectional-override or
// other format characters, trimmed, and cut on a character boundary.
func Clean(s string, maxBytes int) string {
	var b strings.Builder
	space := false
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		switch {
		case unicode.IsSpace(r):
			space = b.Len() > 0
			continue
		case unicode.IsControl(r), unicode.Is(unicode.Cf, r) && r != '\u200d', r == '\u2028', r == '\u2029':
			continue
		}
		n := utf8.RuneLen(r)
		if space {
			n++
		}
		if b.Len()+n > maxBytes {
			break
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}
