package browsermode

import (
	"context"
	"errors"
	"net/http"
	"net/http/cookiejar"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"hush/internal/testutil"
)

func newJar(t *testing.T) *cookiejar.Jar {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return jar
}

func TestDispatch(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	tests := []struct {
		name     string
		path     string
		body     string
		want     int
		wantBody string // exact body on 200
		wantErr  string // substring of {"error"} otherwise
	}{
		{"string", "EchoService/Echo", `["héllo"]`, 200, `"héllo"`, ""},
		{"value and error", "EchoService/Add", `[2, 3]`, 200, `5`, ""},
		{"no results", "EchoService/Nothing", `[]`, 200, `null`, ""},
		{"no results empty body", "EchoService/Nothing", ``, 200, `null`, ""},
		{"no results whitespace body", "EchoService/Nothing", " \n\t ", 200, `null`, ""},
		{"error only, nil", "EchoService/OK", `[]`, 200, `null`, ""},
		{"struct round trip", "EchoService/Double", `[{"name":"n","count":21,"tags":["a"]}]`, 200, `{"name":"n","count":42,"tags":["a"]}`, ""},
		{"unknown field ignored like Wails", "EchoService/Double", `[{"name":"n","count":1,"extra":true}]`, 200, `{"name":"n","count":2,"tags":null}`, ""},
		{"any", "EchoService/Any", `[{"a":[1,"b",null]}]`, 200, `{"a":[1,"b",null]}`, ""},
		{"second service", "OtherService/Hello", `[]`, 200, `"hello"`, ""},
		{"context injected", "EchoService/CtxValue", `[]`, 200, `"from-start"`, ""},
		{"context and argument", "EchoService/CtxArg", `["x"]`, 200, `"from-start:x"`, ""},

		{"error from method", "EchoService/Fail", `["wrong passphrase"]`, 422, "", "wrong passphrase"},
		{"error from value method", "EchoService/FailValue", `["try again in 30 s"]`, 422, "", "try again in 30 s"},
		{"panic", "EchoService/Panic", `[]`, 500, "", "internal error"},
		{"unencodable result", "EchoService/Unencodable", `[]`, 500, "", "encode result"},

		{"too few arguments", "EchoService/Add", `[2]`, 400, "", "EchoService.Add takes 2 arguments, got 1"},
		{"too many arguments", "EchoService/Echo", `["a","b"]`, 400, "", "EchoService.Echo takes 1 argument, got 2"},
		{"arguments to none", "EchoService/Nothing", `[1]`, 400, "", "takes 0 arguments, got 1"},
		{"wrong type", "EchoService/Add", `["two", 3]`, 400, "", "argument 1 of EchoService.Add (int)"},
		{"wrong type second", "EchoService/Add", `[2, 3.5]`, 400, "", "argument 2 of EchoService.Add (int)"},
		{"wrong struct field type", "EchoService/Double", `[{"count":"x"}]`, 400, "", "argument 1 of EchoService.Double"},
		{"context is not an argument", "EchoService/CtxArg", `[{}, "x"]`, 400, "", "takes 1 argument, got 2"},
		{"object not array", "EchoService/Echo", `{"0":"x"}`, 400, "", "must be a JSON array"},
		{"null not array", "EchoService/Nothing", `null`, 400, "", "must be a JSON array"},
		{"bare string", "EchoService/Echo", `"x"`, 400, "", "must be a JSON array"},
		{"malformed", "EchoService/Echo", `["x"`, 400, "", "not a JSON array"},
		{"trailing data", "EchoService/Echo", `["x"] ["y"]`, 400, "", "data after the arguments array"},
		{"trailing garbage", "EchoService/Echo", `["x"]}`, 400, "", "data after the arguments array"},

		{"unknown method", "EchoService/Nope", `[]`, 404, "", `unknown method "EchoService/Nope"`},
		{"unknown service", "NopeService/Echo", `[]`, 404, "", "unknown method"},
		{"no method", "EchoService", `[]`, 404, "", "unknown method"},
		{"extra segment", "EchoService/Echo/x", `["x"]`, 404, "", "unknown method"},
		{"unexported-like lower case", "EchoService/echo", `["x"]`, 404, "", "unknown method"},
		{"chan result not exposed", "EchoService/Chan", `[]`, 404, "", "unknown method"},
		{"variadic not exposed", "EchoService/Variadic", `[]`, 404, "", "unknown method"},
		{"three results not exposed", "EchoService/Three", `[]`, 404, "", "unknown method"},
		{"func result not exposed", "EchoService/BadResult", `[]`, 404, "", "unknown method"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			status, body := ts.call(t, tt.path, tt.body)
			if status != tt.want {
				t.Fatalf("status = %d, want %d (body %q)", status, tt.want, body)
			}
			if tt.want == 200 {
				if string(body) != tt.wantBody {
					t.Fatalf("body = %q, want %q", body, tt.wantBody)
				}
				return
			}
			if msg := errorMessage(t, body); !strings.Contains(msg, tt.wantErr) {
				t.Fatalf("error = %q, want it to contain %q", msg, tt.wantErr)
			}
		})
	}
}

func TestDispatchMethodNotPost(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	for _, method := range []string{"GET", "PUT", "DELETE"} {
		req, _ := http.NewRequestWithContext(t.Context(), method, ts.base+"/api/call/EchoService/Echo", nil)
		req.Header.Set("X-Hush-Token", ts.token)
		status, h, _ := do(t, req)
		if status != http.StatusMethodNotAllowed || h.Get("Allow") != "POST" {
			t.Errorf("%s: status %d Allow %q, want 405 POST", method, status, h.Get("Allow"))
		}
	}
}

func TestDispatchResponseHeaders(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	req, _ := http.NewRequestWithContext(t.Context(), "POST", ts.base+"/api/call/EchoService/Echo", strings.NewReader(`["x"]`))
	req.Header.Set("X-Hush-Token", ts.token)
	_, h, _ := do(t, req)
	if ct := h.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	if cc := h.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control = %q", cc)
	}
}

// TestBodyLimit sends one byte over the cap, and exactly the cap.
func TestBodyLimit(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	arg := func(total int) string { // ["aaa…"] of the given total length
		return `["` + strings.Repeat("a", total-4) + `"]`
	}
	status, body := ts.call(t, "EchoService/Echo", arg(maxBodyBytes+1))
	if status != http.StatusRequestEntityTooLarge {
		t.Fatalf("over the cap: status %d, want 413", status)
	}
	if msg := errorMessage(t, body); !strings.Contains(msg, "larger than") {
		t.Errorf("error = %q", msg)
	}
	status, body = ts.call(t, "EchoService/Echo", arg(maxBodyBytes))
	if status != 200 || len(body) != maxBodyBytes-2 {
		t.Fatalf("at the cap: status %d, body length %d", status, len(body))
	}
}

// TestCallGetsRequestContext checks that a method's context is the
// request's: it ends when the client goes away.
func TestCallGetsRequestContext(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	ctx, cancel := context.WithCancel(t.Context())
	req, _ := http.NewRequestWithContext(ctx, "POST", ts.base+"/api/call/EchoService/WaitCancel", strings.NewReader(`[]`))
	req.Header.Set("X-Hush-Token", ts.token)
	errc := make(chan error, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		errc <- err
	}()
	<-ts.svc.waiting
	cancel()
	select {
	case err := <-ts.svc.sawDone:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("method saw %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("method's context did not end when the client went away")
	}
	if err := <-errc; err == nil {
		t.Fatal("client request succeeded after cancel")
	}
}

func TestBindSkipsUnsupportedMethods(t *testing.T) {
	t.Parallel()
	svcs, err := bindServices([]any{&EchoService{}}, testLogger())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for name := range svcs["EchoService"].methods {
		got = append(got, name)
	}
	slices.Sort(got)
	want := []string{"Add", "Any", "Block", "CtxArg", "CtxValue", "Double", "Echo", "Fail", "FailValue",
		"Nothing", "OK", "Panic", "Unencodable", "WaitCancel"} // not Chan, Variadic, Three, BadResult
	if !slices.Equal(got, want) {
		t.Errorf("bound methods %v, want %v", got, want)
	}
	m := svcs["EchoService"].methods["CtxArg"]
	if m == nil || !m.takesCtx || !reflect.DeepEqual(m.in, []reflect.Type{reflect.TypeFor[string]()}) {
		t.Errorf("CtxArg bound as %+v", m)
	}
}

// TestGracefulShutdownFinishesCalls starts a call, shuts down while it
// runs, and expects the call to complete and new connections to be refused.
func TestGracefulShutdownFinishesCalls(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	type result struct {
		status int
		body   string
	}
	done := make(chan result, 1)
	go func() {
		req, _ := http.NewRequest("POST", ts.base+"/api/call/EchoService/Block", strings.NewReader(`[]`))
		req.Header.Set("X-Hush-Token", ts.token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- result{0, err.Error()}
			return
		}
		defer resp.Body.Close()
		b := make([]byte, 64)
		n, _ := resp.Body.Read(b)
		done <- result{resp.StatusCode, string(b[:n])}
	}()
	<-ts.svc.entered

	shut := make(chan error, 1)
	go func() { shut <- ts.Shutdown(context.Background()) }()
	testutil.Eventually(t, 10*time.Second, "the listener to close", func() bool {
		_, err := http.Get(ts.base + "/")
		return err != nil
	})
	select {
	case err := <-shut:
		t.Fatalf("Shutdown returned (%v) while a call was running", err)
	default:
	}
	close(ts.svc.release)
	if r := <-done; r.status != 200 || r.body != `"done"` {
		t.Fatalf("call during shutdown: %+v", r)
	}
	if err := <-shut; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if err := ts.Shutdown(context.Background()); err != nil {
		t.Fatalf("second Shutdown: %v", err)
	}
	if _, err := ts.Start(t.Context()); !errors.Is(err, ErrStarted) {
		t.Fatalf("Start after Shutdown: %v, want ErrStarted", err)
	}
}
