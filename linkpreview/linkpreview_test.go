package linkpreview

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"
)

// testServer starts a TLS server on loopback and a fetcher that trusts it and
// may reach loopback (which New's cannot).
func testServer(t *testing.T, h http.Handler) (*httptest.Server, *Fetcher) {
	t.Helper()
	srv := httptest.NewTLSServer(h)
	t.Cleanup(srv.Close)
	roots := srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
	return srv, newFetcher(options{rootCAs: roots, allowLoopback: true, timeout: 2 * time.Second})
}

func pngImage(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for x := range w {
		for y := range h {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), 200, 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

const page = `<!doctype html><html><head>
<title>Fallback title</title>
<meta property="og:title" content="  The &amp; Title  ">
<meta property="og:description" content="A page about
things.">
<meta property="og:site_name" content="Example">
<meta property="og:image" content="/img.png">
</head><body>hi</body></html>`

func TestFetch(t *testing.T) {
	var referers []string
	mux := http.NewServeMux()
	mux.HandleFunc("/page", func(w http.ResponseWriter, r *http.Request) {
		referers = append(referers, r.Referer())
		if r.UserAgent() != UserAgent || r.Header.Get("Cookie") != "" {
			t.Errorf("request carried User-Agent %q, Cookie %q", r.UserAgent(), r.Header.Get("Cookie"))
		}
		http.SetCookie(w, &http.Cookie{Name: "track", Value: "1"})
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, page)
	})
	mux.HandleFunc("/img.png", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Cookie") != "" || r.Referer() != "" {
			t.Errorf("image request carried Cookie %q, Referer %q", r.Header.Get("Cookie"), r.Referer())
		}
		w.Header().Set("Content-Type", "image/png")
		w.Write(pngImage(t, 800, 400))
	})
	mux.HandleFunc("/hop", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/page", http.StatusFound)
	})
	srv, f := testServer(t, mux)

	for _, path := range []string{"/page", "/hop"} {
		p, err := f.Fetch(t.Context(), srv.URL+path)
		if err != nil {
			t.Fatalf("Fetch(%s): %v", path, err)
		}
		if p.URL != srv.URL+path || p.Title != "The & Title" || p.Description != "A page about things." || p.SiteName != "Example" {
			t.Errorf("Fetch(%s) = %+v", path, p)
		}
		if len(p.Thumbnail) == 0 || len(p.Thumbnail) > 16<<10 {
			t.Errorf("Fetch(%s): thumbnail of %d bytes", path, len(p.Thumbnail))
		}
	}
	for _, r := range referers {
		if r != "" {
			t.Errorf("a redirect sent Referer %q", r)
		}
	}
}

// TestProductionRefusesLoopback: New's fetcher cannot reach this machine, neither by
// address nor by a name that resolves to it, while the same server answers the
// test fetcher (so the refusal is the rule, not a dead server).
func TestProductionRefusesLoopback(t *testing.T) {
	srv, reach := testServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<title>internal</title>")
	}))
	if _, err := reach.Fetch(t.Context(), srv.URL); err != nil {
		t.Fatalf("the test fetcher cannot reach its server: %v", err)
	}
	u, _ := url.Parse(srv.URL)
	for _, target := range []string{
		srv.URL, // https://127.0.0.1:port
		"https://localhost:" + u.Port() + "/",
		"https://[::ffff:127.0.0.1]:" + u.Port() + "/",
	} {
		_, err := New().Fetch(t.Context(), target)
		if !errors.Is(err, ErrForbiddenAddress) {
			t.Errorf("New().Fetch(%s) = %v, want ErrForbiddenAddress", target, err)
		}
	}
}

// TestRedirectToPrivateRefused: a public page (here the allowed test server) that
// redirects to an internal address is refused when the connection is made.
func TestRedirectToPrivateRefused(t *testing.T) {
	for _, to := range []string{"https://10.0.0.1/admin", "https://192.168.1.1/", "https://[fd00::1]/", "https://169.254.169.254/latest/meta-data/", "https://100.64.0.1/"} {
		srv, f := testServer(t, http.RedirectHandler(to, http.StatusFound))
		_, err := f.Fetch(t.Context(), srv.URL)
		if !errors.Is(err, ErrForbiddenAddress) {
			t.Errorf("redirect to %s: %v, want ErrForbiddenAddress", to, err)
		}
	}
}

func TestRefusals(t *testing.T) {
	mux := http.NewServeMux()
	mux.Handle("/to-http", http.RedirectHandler("http://example.com/", http.StatusFound))
	n := 0
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) {
		n++
		http.Redirect(w, r, "/loop", http.StatusFound)
	})
	mux.HandleFunc("/json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"title":"x"}`)
	})
	mux.HandleFunc("/empty", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<p>nothing</p>")
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<title>slow")
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})
	srv, f := testServer(t, mux)
	f.timeout, f.client.Timeout = 300*time.Millisecond, 300*time.Millisecond
	for _, c := range []struct {
		url  string
		want error
	}{
		{"http://example.com/", ErrNotHTTPS},
		{"ftp://example.com/", ErrNotHTTPS},
		{"https://user@example.com/", ErrNotHTTPS},
		{srv.URL + "/to-http", ErrNotHTTPS},
		{srv.URL + "/loop", ErrTooManyRedirects},
		{srv.URL + "/json", ErrNotHTML},
		{srv.URL + "/empty", ErrNoPreview},
		{srv.URL + "/slow", context.DeadlineExceeded},
	} {
		start := time.Now()
		_, err := f.Fetch(t.Context(), c.url)
		if !errors.Is(err, c.want) && !(c.want == context.DeadlineExceeded && isTimeout(err)) {
			t.Errorf("Fetch(%s) = %v, want %v", c.url, err, c.want)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("Fetch(%s) took %v", c.url, d)
		}
	}
	if n != MaxRedirects+1 {
		t.Errorf("the redirect loop was followed %d times, want %d", n, MaxRedirects+1)
	}
}

func isTimeout(err error) bool {
	var te interface{ Timeout() bool }
	return errors.As(err, &te) && te.Timeout()
}

func TestImageFailureKeepsPreview(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(w, `<title>t</title><meta property="og:image" content="%s">`, r.URL.Query().Get("img"))
	})
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		w.Write(make([]byte, MaxImageBytes+10))
	})
	mux.HandleFunc("/html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<p>")
	})
	srv, f := testServer(t, mux)
	for _, img := range []string{"/big", "/html", "/missing", "http://example.com/x.png", "https://10.0.0.1/x.png"} {
		p, err := f.Fetch(t.Context(), srv.URL+"/?img="+url.QueryEscape(img))
		if err != nil || p.Title != "t" || p.Thumbnail != nil {
			t.Errorf("image %s: %+v, %v; want a preview without thumbnail", img, p, err)
		}
	}
}

func TestPublic(t *testing.T) {
	for _, c := range []struct {
		ip   string
		want bool
	}{
		{"93.184.216.34", true}, {"2606:2800:220:1:248:1893:25c8:1946", true},
		{"127.0.0.1", false}, {"127.1.2.3", false}, {"::1", false},
		{"10.1.2.3", false}, {"172.16.0.1", false}, {"192.168.0.1", false},
		{"169.254.169.254", false}, {"fe80::1", false},
		{"100.64.0.1", false}, {"100.127.255.255", false}, {"100.128.0.1", true},
		{"fc00::1", false}, {"fd12:3456::1", false},
		{"224.0.0.1", false}, {"ff02::1", false},
		{"0.0.0.0", false}, {"::", false}, {"255.255.255.255", false},
		{"::ffff:127.0.0.1", false}, {"::ffff:10.0.0.1", false}, {"::ffff:93.184.216.34", true},
		{"64:ff9b::7f00:1", false}, {"64:ff9b::a00:1", false}, {"64:ff9b::5db8:d822", true},
		{"2002:7f00:1::1", false}, {"2002:5db8:d822::1", true},
		{"2001:db8::1", false}, {"2001::1", false}, {"192.0.2.1", false}, {"198.18.0.1", false},
	} {
		if got := Public(netip.MustParseAddr(c.ip)); got != c.want {
			t.Errorf("Public(%s) = %v, want %v", c.ip, got, c.want)
		}
	}
}

func TestExtract(t *testing.T) {
	base, _ := url.Parse("https://example.com/a/b")
	huge := "<title>big</title>" + strings.Repeat("<p>x</p>", MaxPageBytes/8) + `<meta property="og:description" content="too late">`
	for _, c := range []struct {
		name, ct, page string
		want           Preview
		image          string
	}{
		{"og wins", "text/html", `<title>T</title><meta property="og:title" content="OG"><meta name="description" content="D">`, Preview{Title: "OG", Description: "D"}, ""},
		{"title fallback", "text/html", `<TITLE>Only &lt;title&gt; &#x263A;</TITLE>`, Preview{Title: "Only <title> ☺"}, ""},
		{"missing tags", "text/html", `<html><body>nothing</body></html>`, Preview{}, ""},
		{"first of each", "text/html", `<meta property="og:title" content="one"><meta property="og:title" content="two">`, Preview{Title: "one"}, ""},
		{"controls and bidi dropped", "text/html", "<title>a\x01b\u202ec\u2066d\n\n\te</title>", Preview{Title: "abcd e"}, ""},
		{"relative image", "text/html", `<title>t</title><meta property="og:image" content="../i.png">`, Preview{Title: "t"}, "https://example.com/i.png"},
		{"http image dropped", "text/html", `<title>t</title><meta property="og:image" content="http://example.com/i.png">`, Preview{Title: "t"}, ""},
		{"javascript image dropped", "text/html", `<title>t</title><meta property="og:image" content="javascript:alert(1)">`, Preview{Title: "t"}, ""},
		{"latin-1 header", "text/html; charset=iso-8859-1", "<title>caf\xe9</title>", Preview{Title: "café"}, ""},
		{"latin-1 meta", "text/html", "<meta charset=\"windows-1252\"><title>\x93quoted\x94</title>", Preview{Title: "“quoted”"}, ""},
		{"invalid utf-8", "text/html; charset=utf-8", "<title>a\xffb</title>", Preview{Title: "a\uFFFDb"}, ""},
		{"huge page cut", "text/html", huge, Preview{Title: "big"}, ""},
		{"unclosed title", "text/html", "<title>never closed", Preview{}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, img := Extract(strings.NewReader(c.page), c.ct, base)
			if !reflect.DeepEqual(p, c.want) {
				t.Errorf("Extract = %+v, want %+v", p, c.want)
			}
			if got := ""; img != nil {
				got = img.String()
				if got != c.image {
					t.Errorf("image = %q, want %q", got, c.image)
				}
			} else if c.image != "" {
				t.Errorf("image = nil, want %q", c.image)
			}
		})
	}
}

func TestCleanCaps(t *testing.T) {
	long := strings.Repeat("é", 1000)
	for _, c := range []struct{ max int }{{MaxTitleBytes}, {MaxDescriptionBytes}, {MaxSiteNameBytes}, {1}} {
		got := Clean(long, c.max)
		if len(got) > c.max || !utf8Valid(got) || len(got) < c.max-1 {
			t.Errorf("Clean(…, %d) gave %d bytes", c.max, len(got))
		}
	}
	if got := Clean("  a  \u2028 b  ", 64); got != "a b" {
		t.Errorf("Clean trims to %q", got)
	}
}

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "?") == s }

// FuzzExtract: whatever the page, Extract returns, its fields respect their caps and
// are valid UTF-8 without control characters, and the image is https.
func FuzzExtract(f *testing.F) {
	f.Add([]byte(page), "text/html")
	f.Add([]byte("<title>caf\xe9</title>"), "text/html; charset=latin1")
	f.Add([]byte(`<meta property="og:image" content="//x.y/z">`), "")
	base, _ := url.Parse("https://example.com/")
	f.Fuzz(func(t *testing.T, b []byte, ct string) {
		p, img := Extract(bytes.NewReader(b), ct, base)
		for _, s := range []struct {
			v   string
			max int
		}{{p.Title, MaxTitleBytes}, {p.Description, MaxDescriptionBytes}, {p.SiteName, MaxSiteNameBytes}} {
			if len(s.v) > s.max || !utf8Valid(s.v) || Clean(s.v, s.max) != s.v {
				t.Fatalf("field %q breaks its rules", s.v)
			}
		}
		if img != nil && img.Scheme != "https" {
			t.Fatalf("image %v", img)
		}
	})
}
