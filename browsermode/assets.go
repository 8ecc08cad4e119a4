package browsermode

import (
	"bytes"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"
)

// serveAsset answers GET and HEAD for the frontend. A path naming a file in
// the assets gets that file; any other path gets index.html so the UI's own
// router can handle it (single-page app), except a missing path whose last
// element has an extension (a script, style or image that is not there),
// which gets 404: serving HTML in place of a missing script hides the real
// error behind a MIME-type one.
func (s *Server) serveAsset(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeError(w, http.StatusMethodNotAllowed, "method not allowed")
		return
	}
	name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
	if name == "" {
		name = "index.html"
	}
	if s.serveFile(w, r, name) {
		return
	}
	if path.Ext(name) != "" {
		writeError(w, http.StatusNotFound, "not found")
		return
	}
	if !s.serveFile(w, r, "index.html") {
		writeError(w, http.StatusNotFound, "not found")
	}
}

// serveFile writes the named regular file and reports whether it existed.
func (s *Server) serveFile(w http.ResponseWriter, r *http.Request, name string) bool {
	f, err := s.assets.Open(name)
	if err != nil {
		return false
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		return false
	}
	var content io.ReadSeeker
	if rs, ok := f.(io.ReadSeeker); ok {
		content = rs
	} else {
		b, err := io.ReadAll(f)
		if err != nil {
			s.log.Error("browser mode: read asset", "name", name, "err", err)
			writeError(w, http.StatusInternalServerError, "read asset")
			return true
		}
		content = bytes.NewReader(b)
	}
	w.Header().Set("Content-Type", contentType(name))
	if name == "index.html" {
		w.Header().Set("Cache-Control", "no-cache")
	}
	http.ServeContent(w, r, name, modTime(st), content)
	return true
}

// modTime hides the zero time embed.FS reports, which ServeContent would
// otherwise send as a Last-Modified of 1970.
func modTime(st fs.FileInfo) time.Time {
	if t := st.ModTime(); !t.IsZero() && t.Unix() > 0 {
		return t
	}
	return time.Time{}
}

// contentType names the types a Vite build emits explicitly, so the answer
// does not depend on the host's mime.types; anything else falls back to the
// standard table, then to octet-stream (nosniff is set).
func contentType(name string) string {
	switch ext := strings.ToLower(path.Ext(name)); ext {
	case ".html", ".htm":
		return "text/html; charset=utf-8"
	case ".js", ".mjs":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".json", ".map":
		return "application/json"
	case ".webmanifest":
		return "application/manifest+json"
	case ".svg":
		return "image/svg+xml"
	case ".png":
		return "image/png"
	case ".jpg", ".jpeg":
		return "image/jpeg"
	case ".gif":
		return "image/gif"
	case ".webp":
		return "image/webp"
	case ".avif":
		return "image/avif"
	case ".ico":
		return "image/x-icon"
	case ".woff":
		return "font/woff"
	case ".woff2":
		return "font/woff2"
	case ".ttf":
		return "font/ttf"
	case ".otf":
		return "font/otf"
	case ".wasm":
		return "application/wasm"
	case ".txt":
		return "text/plain; charset=utf-8"
	default:
		if t := mime.TypeByExtension(ext); t != "" {
			return t
		}
		return "application/octet-stream"
	}
}
