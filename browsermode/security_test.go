package browsermode

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/coder/websocket"
)

func TestNewRefusesNonLoopbackAddr(t *testing.T) {
	t.Parallel()
	for _, addr := range []string{
		"0.0.0.0:0",
		"192.0.2.1:0",
		"example.com:80",
		":0",
		"[::]:0",
		"[fe80::1%lo]:0",
		"[::1%lo]:0",
		"10.0.0.1:8080",
		"localhost.example.com:0",
		"127.0.0.1",
		"127.0.0.1:99999",
		"127.0.0.1:-1",
		"127.0.0.1:http",
		"",
	} {
		t.Run(addr, func(t *testing.T) {
			t.Parallel()
			_, err := New(Options{Addr: addr, Assets: testAssets(), Logger: testLogger()})
			if !errors.Is(err, ErrNotLoopback) {
				t.Fatalf("New(%q) error = %v, want ErrNotLoopback", addr, err)
			}
		})
	}
}

func TestNewAcceptsLoopbackAddr(t *testing.T) {
	t.Parallel()
	for addr, want := range map[string]string{
		"127.0.0.1:0":           "127.0.0.1",
		"127.0.0.2:8080":        "127.0.0.2",
		"localhost:0":           "127.0.0.1",
		"LocalHost:0":           "127.0.0.1",
		"[::1]:0":               "::1",
		"[::ffff:127.0.0.1]:0":  "127.0.0.1",
		"127.255.255.254:65535": "127.255.255.254",
	} {
		t.Run(addr, func(t *testing.T) {
			t.Parallel()
			s, err := New(Options{Addr: addr, Assets: testAssets(), Logger: testLogger()})
			if err != nil {
				t.Fatalf("New(%q): %v", addr, err)
			}
			if got := s.listenIP.String(); got != want {
				t.Errorf("listen IP = %s, want %s", got, want)
			}
		})
	}
}

func TestNewValidatesOptions(t *testing.T) {
	t.Parallel()
	var nilSvc *EchoService
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"no assets", Options{Addr: "127.0.0.1:0"}, "no frontend assets"},
		{"no index", Options{Addr: "127.0.0.1:0", Assets: fstest.MapFS{"a.js": {}}}, "no index.html"},
		{"service not pointer", Options{Addr: "127.0.0.1:0", Assets: testAssets(), Services: []any{EchoService{}}}, "pointer to a struct"},
		{"nil service", Options{Addr: "127.0.0.1:0", Assets: testAssets(), Services: []any{nilSvc}}, "non-nil pointer"},
		{"untyped nil", Options{Addr: "127.0.0.1:0", Assets: testAssets(), Services: []any{nil}}, "pointer to a struct"},
		{"pointer to non-struct", Options{Addr: "127.0.0.1:0", Assets: testAssets(), Services: []any{new(int)}}, "pointer to a struct"},
		{"duplicate", Options{Addr: "127.0.0.1:0", Assets: testAssets(), Services: []any{&EchoService{}, &EchoService{}}}, "two services named EchoService"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.opts.Logger = testLogger()
			_, err := New(tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New error = %v, want it to mention %q", err, tt.want)
			}
		})
	}
}

func TestStartURLAndToken(t *testing.T) {
	t.Parallel()
	a := startServer(t)
	b := startServer(t)
	if !regexp.MustCompile(`^http://127\.0\.0\.1:[0-9]+/\?token=[0-9a-f]{64}$`).MatchString(a.url) {
		t.Fatalf("start URL %q does not look like http://127.0.0.1:PORT/?token=<64 hex>", a.url)
	}
	if a.token == b.token {
		t.Fatal("two servers got the same token")
	}
	if _, err := a.Start(t.Context()); !errors.Is(err, ErrStarted) {
		t.Fatalf("second Start error = %v, want ErrStarted", err)
	}
}

// TestTokenRequired covers every kind of route: an asset, the SPA fallback,
// an API call and an unknown API path must all refuse a request without the
// right token, and accept it with the cookie or the header.
func TestTokenRequired(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	wrong := strings.Repeat("0", 64)
	type cred struct{ header, cookie string }
	tests := []struct {
		name   string
		method string
		path   string
		body   string
		cred   cred
		want   int
	}{
		{"asset no token", "GET", "/assets/index-abc.js", "", cred{}, 401},
		{"index no token", "GET", "/", "", cred{}, 401},
		{"spa no token", "GET", "/chats/42", "", cred{}, 401},
		{"api no token", "POST", "/api/call/EchoService/Echo", `["x"]`, cred{}, 401},
		{"unknown api no token", "GET", "/api/nope", "", cred{}, 401},
		{"asset bad header", "GET", "/assets/index-abc.js", "", cred{header: wrong}, 403},
		{"asset bad cookie", "GET", "/assets/index-abc.js", "", cred{cookie: wrong}, 403},
		{"api bad header", "POST", "/api/call/EchoService/Echo", `["x"]`, cred{header: wrong}, 403},
		{"api bad cookie", "POST", "/api/call/EchoService/Echo", `["x"]`, cred{cookie: wrong}, 403},
		{"api short token", "POST", "/api/call/EchoService/Echo", `["x"]`, cred{header: ts.token[:63]}, 403},
		{"api long token", "POST", "/api/call/EchoService/Echo", `["x"]`, cred{header: ts.token + "0"}, 403},
		{"api upper-case token", "POST", "/api/call/EchoService/Echo", `["x"]`, cred{header: strings.ToUpper(ts.token)}, 403},
		{"bad header wins over good cookie", "GET", "/", "", cred{header: wrong, cookie: ts.token}, 403},
		{"query token is not a credential", "GET", "/assets/index-abc.js?token=" + ts.token, "", cred{}, 401},
		{"asset good cookie", "GET", "/assets/index-abc.js", "", cred{cookie: ts.token}, 200},
		{"index good cookie", "GET", "/", "", cred{cookie: ts.token}, 200},
		{"asset good header", "GET", "/assets/index-abc.js", "", cred{header: ts.token}, 200},
		{"api good header", "POST", "/api/call/EchoService/Echo", `["x"]`, cred{header: ts.token}, 200},
		{"api good cookie", "POST", "/api/call/EchoService/Echo", `["x"]`, cred{cookie: ts.token}, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req, err := http.NewRequestWithContext(t.Context(), tt.method, ts.base+tt.path, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if tt.cred.header != "" {
				req.Header.Set("X-Hush-Token", tt.cred.header)
			}
			if tt.cred.cookie != "" {
				req.AddCookie(&http.Cookie{Name: "hush_token", Value: tt.cred.cookie})
			}
			status, _, body := do(t, req)
			if status != tt.want {
				t.Fatalf("status = %d, want %d (body %q)", status, tt.want, body)
			}
			if status >= 400 {
				errorMessage(t, body)
			}
		})
	}
}

func TestWebSocketTokenRequired(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	tests := []struct {
		name   string
		header http.Header
		want   int // 0: the upgrade succeeds
	}{
		{"no token", nil, http.StatusUnauthorized},
		{"bad header", http.Header{"X-Hush-Token": {strings.Repeat("f", 64)}}, http.StatusForbidden},
		{"bad cookie", http.Header{"Cookie": {"hush_token=" + strings.Repeat("f", 64)}}, http.StatusForbidden},
		{"good header", http.Header{"X-Hush-Token": {ts.token}}, 0},
		{"good cookie", http.Header{"Cookie": {"hush_token=" + ts.token}}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			conn, resp, err := websocket.Dial(t.Context(), "ws://"+ts.host+"/api/events", &websocket.DialOptions{HTTPHeader: tt.header})
			if tt.want == 0 {
				if err != nil {
					t.Fatalf("dial: %v", err)
				}
				conn.Close(websocket.StatusNormalClosure, "")
				return
			}
			if err == nil {
				conn.CloseNow()
				t.Fatal("upgrade succeeded without a valid token")
			}
			if resp == nil || resp.StatusCode != tt.want {
				t.Fatalf("dial error %v, response %v; want status %d", err, resp, tt.want)
			}
		})
	}
}

func TestLoginSetsCookieAndRedirects(t *testing.T) {
	t.Parallel()
	ts := startServer(t)

	req, _ := http.NewRequestWithContext(t.Context(), "GET", ts.url, nil)
	status, h, _ := do(t, req)
	if status != http.StatusSeeOther {
		t.Fatalf("status = %d, want 303", status)
	}
	if loc := h.Get("Location"); loc != "/" {
		t.Errorf("Location = %q, want /", loc)
	}
	resp := &http.Response{Header: h}
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "hush_token" {
			cookie = c
		}
	}
	if cookie == nil {
		t.Fatalf("no hush_token cookie in %q", h.Values("Set-Cookie"))
	}
	if cookie.Value != ts.token || !cookie.HttpOnly || cookie.SameSite != http.SameSiteStrictMode || cookie.Path != "/" {
		t.Errorf("cookie = %+v, want value=token HttpOnly SameSite=Strict Path=/", cookie)
	}
	if h.Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("redirect lacks Referrer-Policy: no-referrer; the token would leak")
	}

	// The cookie alone now opens the UI.
	req, _ = http.NewRequestWithContext(t.Context(), "GET", ts.base+"/", nil)
	req.AddCookie(&http.Cookie{Name: cookie.Name, Value: cookie.Value})
	status, _, body := do(t, req)
	if status != 200 || string(body) != testIndex {
		t.Fatalf("GET / with cookie: status %d, body %q", status, body)
	}
}

func TestLoginRefusesBadToken(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	for name, query := range map[string]string{
		"wrong":    "token=" + strings.Repeat("a", 64),
		"empty":    "token=",
		"twice":    "token=" + ts.token + "&token=" + ts.token,
		"prefix":   "token=" + ts.token[:32],
		"no value": "token",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			req, _ := http.NewRequestWithContext(t.Context(), "GET", ts.base+"/?"+query, nil)
			status, h, body := do(t, req)
			if status != http.StatusUnauthorized {
				t.Fatalf("status = %d, want 401 (body %q)", status, body)
			}
			if len(h.Values("Set-Cookie")) != 0 {
				t.Fatalf("a bad token set a cookie: %q", h.Values("Set-Cookie"))
			}
		})
	}
	t.Run("POST", func(t *testing.T) {
		t.Parallel()
		req, _ := http.NewRequestWithContext(t.Context(), "POST", ts.url, nil)
		if status, _, _ := do(t, req); status != http.StatusMethodNotAllowed {
			t.Fatalf("POST login status = %d, want 405", status)
		}
	})
}

// TestLoginWithBrowserLikeClient follows the redirect with a cookie jar, as
// Playwright's browser does.
func TestLoginWithBrowserLikeClient(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	jar := newJar(t)
	client := &http.Client{Jar: jar}
	resp, err := client.Get(ts.url)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != testIndex || resp.Request.URL.RawQuery != "" {
		t.Fatalf("final %s: status %d body %q", resp.Request.URL, resp.StatusCode, body)
	}
	resp, err = client.Post(ts.base+"/api/call/EchoService/Echo", "application/json", strings.NewReader(`["via cookie"]`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != `"via cookie"` {
		t.Fatalf("API with jar cookie: status %d body %q", resp.StatusCode, body)
	}
}

func TestForeignHostRefused(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	port := ts.host[strings.LastIndex(ts.host, ":")+1:]
	tests := []struct {
		host string
		want int
	}{
		{"evil.example:" + port, 403},
		{"evil.example", 403},
		{"127.0.0.1:1", 403},
		{"127.0.0.1", 403},
		{"localhost", 403},
		{"127.0.0.1:" + port + ".evil.example", 403},
		{"localhost.evil.example:" + port, 403},
		{"0.0.0.0:" + port, 403},
		{"127.0.0.1:" + port, 200},
		{"localhost:" + port, 200},
		{"LOCALHOST:" + port, 200},
		{"[::1]:" + port, 200},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			t.Parallel()
			for _, path := range []string{"/", "/api/call/EchoService/Echo", "/?token=" + ts.token} {
				method := "GET"
				if strings.HasPrefix(path, "/api/") {
					method = "POST"
				}
				req, _ := http.NewRequestWithContext(t.Context(), method, ts.base+path, strings.NewReader(`["x"]`))
				req.Host = tt.host
				req.Header.Set("X-Hush-Token", ts.token)
				status, _, body := do(t, req)
				want := tt.want
				if want == 200 && strings.Contains(path, "token=") {
					want = http.StatusSeeOther
				}
				if status != want {
					t.Errorf("%s %s Host %q: status %d, want %d (body %q)", method, path, tt.host, status, want, body)
				}
			}
		})
	}
	t.Run("websocket", func(t *testing.T) {
		t.Parallel()
		conn, resp, err := websocket.Dial(t.Context(), "ws://"+ts.host+"/api/events", &websocket.DialOptions{
			Host:       "evil.example:" + port,
			HTTPHeader: http.Header{"X-Hush-Token": {ts.token}},
		})
		if err == nil {
			conn.CloseNow()
			t.Fatal("upgrade succeeded with a foreign Host")
		}
		if resp == nil || resp.StatusCode != http.StatusForbidden {
			t.Fatalf("dial error %v, response %v; want 403", err, resp)
		}
	})
}

func TestForeignOriginRefused(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	port := ts.host[strings.LastIndex(ts.host, ":")+1:]
	tests := []struct {
		origin string
		ok     bool
	}{
		{"http://evil.example", false},
		{"http://evil.example:" + port, false},
		{"https://127.0.0.1:" + port, false},
		{"http://127.0.0.1:1", false},
		{"http://localhost:" + port, false}, // a different origin from the Host sent
		{"null", false},
		{"http://127.0.0.1:" + port + "/", false},
		{"http://127.0.0.1:" + port, true},
		{"", true}, // no Origin: not a cross-site browser request
	}
	for _, tt := range tests {
		t.Run("POST "+tt.origin, func(t *testing.T) {
			t.Parallel()
			req, _ := http.NewRequestWithContext(t.Context(), "POST", ts.base+"/api/call/EchoService/Echo", strings.NewReader(`["x"]`))
			req.Header.Set("X-Hush-Token", ts.token)
			if tt.origin != "" {
				req.Header.Set("Origin", tt.origin)
			}
			status, _, body := do(t, req)
			if want := map[bool]int{true: 200, false: 403}[tt.ok]; status != want {
				t.Fatalf("status = %d, want %d (body %q)", status, want, body)
			}
		})
		t.Run("WS "+tt.origin, func(t *testing.T) {
			t.Parallel()
			h := http.Header{"X-Hush-Token": {ts.token}}
			if tt.origin != "" {
				h.Set("Origin", tt.origin)
			}
			conn, resp, err := websocket.Dial(t.Context(), "ws://"+ts.host+"/api/events", &websocket.DialOptions{HTTPHeader: h})
			if tt.ok {
				if err != nil {
					t.Fatalf("dial: %v", err)
				}
				conn.Close(websocket.StatusNormalClosure, "")
				return
			}
			if err == nil {
				conn.CloseNow()
				t.Fatal("upgrade succeeded from a foreign Origin")
			}
			if resp == nil || resp.StatusCode != http.StatusForbidden {
				t.Fatalf("dial error %v, response %v; want 403", err, resp)
			}
		})
	}
}

func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	for _, path := range []string{"/", "/index.html", "/some/route", "/assets/index-abc.js", "/api/call/EchoService/Nope"} {
		t.Run(path, func(t *testing.T) {
			t.Parallel()
			req, _ := http.NewRequestWithContext(t.Context(), "GET", ts.base+path, nil)
			req.Header.Set("X-Hush-Token", ts.token)
			_, h, _ := do(t, req)
			csp := h.Get("Content-Security-Policy")
			directives := map[string]string{}
			for d := range strings.SplitSeq(csp, ";") {
				name, value, _ := strings.Cut(strings.TrimSpace(d), " ")
				directives[name] = value
			}
			for name, want := range map[string]string{
				"default-src":     "'self'",
				"script-src":      "'self'",
				"object-src":      "'none'",
				"base-uri":        "'none'",
				"frame-ancestors": "'none'",
				"connect-src":     "'self' ws://" + ts.host,
			} {
				if directives[name] != want {
					t.Errorf("CSP %s = %q, want %q (CSP %q)", name, directives[name], want, csp)
				}
			}
			for want, got := range map[string]string{
				"DENY":        h.Get("X-Frame-Options"),
				"no-referrer": h.Get("Referrer-Policy"),
				"nosniff":     h.Get("X-Content-Type-Options"),
			} {
				if got != want {
					t.Errorf("header = %q, want %q", got, want)
				}
			}
		})
	}
}

func TestShutdownBeforeStart(t *testing.T) {
	t.Parallel()
	s, err := New(Options{Addr: "127.0.0.1:0", Assets: testAssets(), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatalf("Shutdown before Start: %v", err)
	}
	s.Emit("nobody", nil) // must not panic or block
}
