package browsermode

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

// EchoService is a bound service for the tests; its methods cover every
// signature shape the dispatcher supports.
type EchoService struct {
	entered chan struct{} // Block signals here once it runs
	waiting chan struct{} // WaitCancel signals here once it runs
	release chan struct{} // Block returns when this closes
	sawDone chan error    // WaitCancel reports the context's error here
}

type ctxKey struct{}

// Item is a struct argument and result.
type Item struct {
	Name  string   `json:"name"`
	Count int      `json:"count"`
	Tags  []string `json:"tags"`
}

func (e *EchoService) Echo(s string) string                { return s }
func (e *EchoService) Add(a, b int) (int, error)           { return a + b, nil }
func (e *EchoService) Fail(msg string) error               { return errors.New(msg) }
func (e *EchoService) FailValue(msg string) (*Item, error) { return nil, errors.New(msg) }
func (e *EchoService) Nothing()                            {}
func (e *EchoService) OK() error                           { return nil }
func (e *EchoService) Double(it Item) (Item, error)        { it.Count *= 2; return it, nil }
func (e *EchoService) Panic()                              { panic("kaboom") }
func (e *EchoService) Chan() chan int                      { return nil }            // not exposed
func (e *EchoService) Variadic(xs ...int) int              { return len(xs) }        // not exposed
func (e *EchoService) Three() (int, int, error)            { return 0, 0, nil }      // not exposed
func (e *EchoService) BadResult() (func(), error)          { return func() {}, nil } // not exposed
func (e *EchoService) Unencodable() (map[string]any, error) {
	return map[string]any{"f": func() {}}, nil
}
func (e *EchoService) Any(v any) (any, error) { return v, nil }
func (e *EchoService) CtxValue(ctx context.Context) (string, error) {
	s, _ := ctx.Value(ctxKey{}).(string)
	return s, nil
}
func (e *EchoService) CtxArg(ctx context.Context, s string) (string, error) {
	v, _ := ctx.Value(ctxKey{}).(string)
	return v + ":" + s, nil
}

// WaitCancel blocks until the request's context ends.
func (e *EchoService) WaitCancel(ctx context.Context) error {
	close(e.waiting)
	<-ctx.Done()
	e.sawDone <- ctx.Err()
	return ctx.Err()
}

// Block blocks until the test releases it; for graceful shutdown.
func (e *EchoService) Block() string {
	close(e.entered)
	<-e.release
	return "done"
}

// OtherService proves services are keyed by type name.
type OtherService struct{}

func (OtherService) Hello() string { return "hello" }

const testIndex = `<!doctype html><html><head><script type="module" crossorigin src="./assets/index-abc.js"></script></head><body><div id="app"></div></body></html>`

func testAssets() fstest.MapFS {
	return fstest.MapFS{
		"index.html":           {Data: []byte(testIndex)},
		"assets/index-abc.js":  {Data: []byte("console.log(1)")},
		"assets/index-abc.css": {Data: []byte("body{}")},
		"assets/logo.svg":      {Data: []byte("<svg/>")},
		"assets/font.woff2":    {Data: []byte("wOF2")},
		"favicon.ico":          {Data: []byte{0, 0, 1, 0}},
	}
}

// fakeTicker stands in for the ping ticker so tests decide when pings go.
type fakeTicker struct{ c chan time.Time }

func (f *fakeTicker) tick() { f.c <- time.Time{} }

// testServer is a running Server on a real loopback port.
type testServer struct {
	*Server
	svc    *EchoService
	url    string // the start-up URL, token included
	base   string // http://127.0.0.1:PORT
	host   string // 127.0.0.1:PORT
	token  string
	ticker *fakeTicker
}

type serverOption func(*Server)

func startServer(t *testing.T, opts ...serverOption) *testServer {
	t.Helper()
	svc := &EchoService{entered: make(chan struct{}), waiting: make(chan struct{}), release: make(chan struct{}), sawDone: make(chan error, 1)}
	s, err := New(Options{
		Addr:     "127.0.0.1:0",
		Assets:   testAssets(),
		Services: []any{svc, &OtherService{}},
		Logger:   testLogger(),
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ft := &fakeTicker{c: make(chan time.Time)}
	s.newTicker = func(time.Duration) (<-chan time.Time, func()) { return ft.c, func() {} }
	for _, o := range opts {
		o(s)
	}
	ctx := context.WithValue(t.Context(), ctxKey{}, "from-start")
	raw, err := s.Start(ctx)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("start URL %q: %v", raw, err)
	}
	return &testServer{
		Server: s,
		svc:    svc,
		url:    raw,
		base:   "http://" + u.Host,
		host:   u.Host,
		token:  u.Query().Get("token"),
		ticker: ft,
	}
}

// noRedirect is a client that shows redirects instead of following them.
func noRedirect() *http.Client {
	return &http.Client{
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// do sends a request and returns the status, headers and body.
func do(t *testing.T, req *http.Request) (int, http.Header, []byte) {
	t.Helper()
	resp, err := noRedirect().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return resp.StatusCode, resp.Header, body
}

// call POSTs body to /api/call/<path> with the header token.
func (ts *testServer) call(t *testing.T, path, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, ts.base+"/api/call/"+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Hush-Token", ts.token)
	req.Header.Set("Content-Type", "application/json")
	status, _, out := do(t, req)
	return status, out
}

// errorMessage extracts {"error": ...} or fails.
func errorMessage(t *testing.T, body []byte) string {
	t.Helper()
	var e struct {
		Error *string `json:"error"`
	}
	if err := json.NewDecoder(bytes.NewReader(body)).Decode(&e); err != nil || e.Error == nil {
		t.Fatalf("body %q is not {\"error\": ...}: %v", body, err)
	}
	return *e.Error
}

// testLogger discards logs; set HUSH_TEST_LOG=1 to see them.
func testLogger() *slog.Logger {
	if os.Getenv("HUSH_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}
