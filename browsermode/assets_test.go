package browsermode

import (
	"net/http"
	"testing"
)

func TestAssets(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	tests := []struct {
		method   string
		path     string
		want     int
		wantType string
		wantBody string // "" means do not compare
	}{
		{"GET", "/", 200, "text/html; charset=utf-8", testIndex},
		{"GET", "/index.html", 200, "text/html; charset=utf-8", testIndex},
		{"GET", "/assets/index-abc.js", 200, "text/javascript; charset=utf-8", "console.log(1)"},
		{"GET", "/assets/index-abc.css", 200, "text/css; charset=utf-8", "body{}"},
		{"GET", "/assets/logo.svg", 200, "image/svg+xml", "<svg/>"},
		{"GET", "/assets/font.woff2", 200, "font/woff2", "wOF2"},
		{"GET", "/favicon.ico", 200, "image/x-icon", ""},
		{"HEAD", "/assets/index-abc.js", 200, "text/javascript; charset=utf-8", ""},
		// Single-page app: routes the UI owns get index.html.
		{"GET", "/chats/42", 200, "text/html; charset=utf-8", testIndex},
		{"GET", "/settings", 200, "text/html; charset=utf-8", testIndex},
		{"GET", "/assets", 200, "text/html; charset=utf-8", testIndex}, // a directory is not listed
		{"GET", "/assets/", 200, "text/html; charset=utf-8", testIndex},
		// Missing files with an extension are a 404, not HTML.
		{"GET", "/assets/missing-abc.js", 404, "application/json; charset=utf-8", ""},
		{"GET", "/robots.txt", 404, "application/json; charset=utf-8", ""},
		// Cleaning keeps requests inside the assets.
		{"GET", "/../../etc/passwd", 200, "text/html; charset=utf-8", testIndex},
		{"GET", "/../../etc/passwd.txt", 404, "application/json; charset=utf-8", ""},
		{"GET", "/assets/../index.html", 200, "text/html; charset=utf-8", testIndex},
		// The API namespace never falls back to the UI.
		{"GET", "/api/nope", 404, "application/json; charset=utf-8", ""},
		{"GET", "/api/", 404, "application/json; charset=utf-8", ""},
		{"POST", "/", 405, "application/json; charset=utf-8", ""},
		{"PUT", "/assets/index-abc.js", 405, "application/json; charset=utf-8", ""},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			t.Parallel()
			req, _ := http.NewRequestWithContext(t.Context(), tt.method, ts.base+tt.path, nil)
			req.Header.Set("X-Hush-Token", ts.token)
			status, h, body := do(t, req)
			if status != tt.want {
				t.Fatalf("status = %d, want %d (body %q)", status, tt.want, body)
			}
			if ct := h.Get("Content-Type"); ct != tt.wantType {
				t.Errorf("Content-Type = %q, want %q", ct, tt.wantType)
			}
			if tt.wantBody != "" && string(body) != tt.wantBody {
				t.Errorf("body = %q, want %q", body, tt.wantBody)
			}
			if tt.method == "HEAD" && len(body) != 0 {
				t.Errorf("HEAD returned a body")
			}
		})
	}
}

func TestContentType(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]string{
		"a.js":           "text/javascript; charset=utf-8",
		"a.MJS":          "text/javascript; charset=utf-8",
		"a.css":          "text/css; charset=utf-8",
		"a.html":         "text/html; charset=utf-8",
		"a.json":         "application/json",
		"a.js.map":       "application/json",
		"a.wasm":         "application/wasm",
		"a.png":          "image/png",
		"a.webp":         "image/webp",
		"a.woff":         "font/woff",
		"a.webmanifest":  "application/manifest+json",
		"a.unknownthing": "application/octet-stream",
		"noext":          "application/octet-stream",
	} {
		if got := contentType(name); got != want {
			t.Errorf("contentType(%q) = %q, want %q", name, got, want)
		}
	}
}
