package browsermode

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"
)

// File transfers: what the desktop window does with native file dialogs, a
// browser does with an upload and a download (docs/ARCHITECTURE.md, "Browser
// mode"). Both run behind the same Host, Origin and token checks as every API
// call, and both may take longer than the server's read and write timeouts
// (a multi-GB backup), so each clears its own deadline.
const (
	uploadPath     = "/api/upload"
	downloadPrefix = "/api/download/"
)

// ErrNoSuchDownload is what [Options.Download] returns for an id it does not
// know (or no longer knows): the server answers 404.
var ErrNoSuchDownload = errors.New("browser mode: no such download")

// serveUpload streams the body of POST /api/upload to Options.Upload, with the
// query's name, and answers {"id": ...}.
func (s *Server) serveUpload(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		writeError(w, http.StatusMethodNotAllowed, "method not allowed")
		return
	}
	if s.upload == nil {
		writeError(w, http.StatusNotFound, "no such API endpoint")
		return
	}
	rc := http.NewResponseController(w)
	rc.SetReadDeadline(time.Time{})
	rc.SetWriteDeadline(time.Time{})
	id, err := s.upload(r.Context(), r.URL.Query().Get("name"), r.Body)
	if err != nil {
		s.log.Warn("upload failed", "err", err)
		writeError(w, http.StatusUnprocessableEntity, err.Error())
		return
	}
	out, err := json.Marshal(struct {
		ID string `json:"id"`
	}{id})
	if err != nil {
		writeError(w, http.StatusInternalServerError, "internal error")
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// serveDownload sends the file Options.Download opens for the id in the path,
// as an attachment the browser saves.
func (s *Server) serveDownload(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", "GET")
		writeError(w, http.StatusMethodNotAllowed, "method not allowed")
		return
	}
	id := strings.TrimPrefix(r.URL.Path, downloadPrefix)
	if s.download == nil || id == "" || strings.Contains(id, "/") {
		writeError(w, http.StatusNotFound, "no such download")
		return
	}
	name, body, err := s.download(id)
	if errors.Is(err, ErrNoSuchDownload) {
		writeError(w, http.StatusNotFound, "no such download")
		return
	}
	if err != nil {
		s.log.Warn("download failed", "err", err)
		writeError(w, http.StatusInternalServerError, "download failed")
		return
	}
	defer body.Close()
	rc := http.NewResponseController(w)
	rc.SetWriteDeadline(time.Time{})
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	if _, err := io.Copy(w, body); err != nil {
		s.log.Warn("download cut short", "err", err)
	}
}
