package browsermode

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// files is an in-memory store behind Options.Upload and Options.Download.
type files struct {
	mu    sync.Mutex
	store map[string][]byte
	names []string // the names uploads came with
}

func (f *files) upload(_ context.Context, name string, body io.Reader) (string, error) {
	f.mu.Lock()
	f.names = append(f.names, name)
	f.mu.Unlock()
	b, err := io.ReadAll(body)
	if err != nil {
		return "", err
	}
	if bytes.Equal(b, []byte("refuse")) {
		return "", errors.New("refused")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.store["up1"] = b
	return "up1", nil
}

func (f *files) download(id string) (string, io.ReadCloser, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, ok := f.store[id]
	if !ok {
		return "", nil, ErrNoSuchDownload
	}
	return "my backup.hushbackup", io.NopCloser(bytes.NewReader(b)), nil
}

func withFiles(f *files) serverOption {
	return func(s *Server) { s.upload, s.download = f.upload, f.download }
}

func TestTransfers(t *testing.T) {
	f := &files{store: map[string][]byte{"d1": []byte("backup bytes")}}
	ts := startServer(t, withFiles(f))
	bare := startServer(t)
	req := func(ts *testServer, method, path, body string, token bool) *http.Request {
		r, err := http.NewRequestWithContext(t.Context(), method, ts.base+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if token {
			r.Header.Set("X-Hush-Token", ts.token)
		}
		return r
	}
	tests := []struct {
		name   string
		r      *http.Request
		status int
		body   string
	}{
		{"upload", req(ts, http.MethodPost, "/api/upload", "uploaded", true), http.StatusOK, `{"id":"up1"}`},
		{"upload with a name", req(ts, http.MethodPost, "/api/upload?name=caf%C3%A9%20menu.pdf", "uploaded", true), http.StatusOK, `{"id":"up1"}`},
		{"upload refused", req(ts, http.MethodPost, "/api/upload", "refuse", true), http.StatusUnprocessableEntity, `{"error":"refused"}`},
		{"upload without token", req(ts, http.MethodPost, "/api/upload", "x", false), http.StatusUnauthorized, ""},
		{"upload by GET", req(ts, http.MethodGet, "/api/upload", "", true), http.StatusMethodNotAllowed, ""},
		{"upload not offered", req(bare, http.MethodPost, "/api/upload", "x", true), http.StatusNotFound, ""},
		{"download", req(ts, http.MethodGet, "/api/download/d1", "", true), http.StatusOK, "backup bytes"},
		{"download unknown", req(ts, http.MethodGet, "/api/download/nope", "", true), http.StatusNotFound, ""},
		{"download with a slash", req(ts, http.MethodGet, "/api/download/d1/x", "", true), http.StatusNotFound, ""},
		{"download without token", req(ts, http.MethodGet, "/api/download/d1", "", false), http.StatusUnauthorized, ""},
		{"download by POST", req(ts, http.MethodPost, "/api/download/d1", "", true), http.StatusMethodNotAllowed, ""},
		{"download not offered", req(bare, http.MethodGet, "/api/download/d1", "", true), http.StatusNotFound, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, h, body := do(t, tt.r)
			if status != tt.status {
				t.Fatalf("status %d, want %d (%s)", status, tt.status, body)
			}
			if tt.body != "" && string(body) != tt.body {
				t.Errorf("body %q, want %q", body, tt.body)
			}
			if tt.name == "download" {
				if cd := h.Get("Content-Disposition"); cd != `attachment; filename="my backup.hushbackup"` {
					t.Errorf("Content-Disposition %q", cd)
				}
				if h.Get("Content-Security-Policy") == "" {
					t.Error("a download lacks the security headers")
				}
			}
		})
	}
	if string(f.store["up1"]) != "uploaded" {
		t.Errorf("uploaded %q", f.store["up1"])
	}
	if len(f.names) < 2 || f.names[0] != "" || f.names[1] != "café menu.pdf" {
		t.Errorf("uploads were named %q", f.names)
	}
	// A cross-site page cannot post a file in.
	r := req(ts, http.MethodPost, "/api/upload", "evil", true)
	r.Header.Set("Origin", "http://evil.example")
	if status, _, _ := do(t, r); status != http.StatusForbidden {
		t.Errorf("upload from another origin: status %d", status)
	}
}
