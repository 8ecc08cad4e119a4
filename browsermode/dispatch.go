package browsermode

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"reflect"
	"runtime/debug"
	"strings"
)

// How a method's results map onto the HTTP answer.
type resultShape int

const (
	resultNone     resultShape = iota // func(...)          → 200 null
	resultErr                         // func(...) error    → 200 null or 422
	resultValue                       // func(...) T        → 200 T
	resultValueErr                    // func(...) (T, error)
)

var (
	contextType = reflect.TypeFor[context.Context]()
	errorType   = reflect.TypeFor[error]()
)

// service is one bound struct, keyed by its type name.
type service struct {
	methods map[string]*method
}

// method is one callable exported method of a service.
type method struct {
	name     string // "AccountService.Unlock", for messages and logs
	fn       reflect.Value
	takesCtx bool           // first parameter is context.Context
	in       []reflect.Type // parameters that come from the JSON array
	shape    resultShape
}

// errBadArgs marks a request whose arguments do not fit the method.
var errBadArgs = errors.New("bad arguments")

// bindServices indexes the exported methods of each service the way Wails
// binds them: by the struct's type name and the method's name. Methods whose
// shape cannot travel as JSON are left out and logged.
func bindServices(svcs []any, log *slog.Logger) (map[string]*service, error) {
	out := make(map[string]*service, len(svcs))
	for i, svc := range svcs {
		v := reflect.ValueOf(svc)
		if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
			return nil, fmt.Errorf("browser mode: service %d: want a non-nil pointer to a struct, got %T", i, svc)
		}
		name := v.Elem().Type().Name()
		if name == "" {
			return nil, fmt.Errorf("browser mode: service %d: %T has no type name", i, svc)
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("browser mode: two services named %s", name)
		}
		s := &service{methods: make(map[string]*method)}
		t := v.Type()
		for j := range t.NumMethod() {
			mt := t.Method(j)
			m, err := newMethod(name+"."+mt.Name, v.Method(j))
			if err != nil {
				log.Warn("browser mode: method not exposed", "method", name+"."+mt.Name, "reason", err)
				continue
			}
			s.methods[mt.Name] = m
		}
		out[name] = s
	}
	return out, nil
}

func newMethod(name string, fn reflect.Value) (*method, error) {
	ft := fn.Type()
	if ft.IsVariadic() {
		return nil, errors.New("variadic")
	}
	m := &method{name: name, fn: fn}
	for i := range ft.NumIn() {
		p := ft.In(i)
		if i == 0 && p == contextType {
			m.takesCtx = true
			continue
		}
		if !jsonable(p) {
			return nil, fmt.Errorf("parameter %d of type %s cannot be decoded from JSON", i+1, p)
		}
		m.in = append(m.in, p)
	}
	switch {
	case ft.NumOut() == 0:
		m.shape = resultNone
	case ft.NumOut() == 1 && ft.Out(0) == errorType:
		m.shape = resultErr
	case ft.NumOut() == 1 && jsonable(ft.Out(0)):
		m.shape = resultValue
	case ft.NumOut() == 2 && ft.Out(1) == errorType && jsonable(ft.Out(0)):
		m.shape = resultValueErr
	default:
		return nil, fmt.Errorf("results %s: want none, error, T or (T, error)", ft)
	}
	return m, nil
}

// jsonable rejects the kinds encoding/json can never handle.
func jsonable(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Chan, reflect.Func, reflect.Complex64, reflect.Complex128, reflect.UnsafePointer:
		return false
	}
	return true
}

// decodeArgs turns a JSON array into one value per parameter. An empty body
// counts as []. Decoding follows encoding/json as Wails does (unknown object
// fields ignored, null leaves the zero value), so the desktop and browser
// mode accept the same calls.
func (m *method) decodeArgs(body []byte) ([]reflect.Value, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		body = []byte("[]")
	}
	if body[0] != '[' {
		return nil, fmt.Errorf("%w: arguments must be a JSON array", errBadArgs)
	}
	var raw []json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("%w: arguments are not a JSON array: %v", errBadArgs, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: data after the arguments array", errBadArgs)
	}
	if len(raw) != len(m.in) {
		return nil, fmt.Errorf("%w: %s takes %d %s, got %d", errBadArgs, m.name, len(m.in), plural(len(m.in), "argument"), len(raw))
	}
	args := make([]reflect.Value, len(raw))
	for i, r := range raw {
		p := reflect.New(m.in[i])
		if err := json.Unmarshal(r, p.Interface()); err != nil {
			return nil, fmt.Errorf("%w: argument %d of %s (%s): %v", errBadArgs, i+1, m.name, m.in[i], err)
		}
		args[i] = p.Elem()
	}
	return args, nil
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// errPanicked stands for a method that panicked; the panic is logged, the
// client learns only that the call failed.
var errPanicked = errors.New("internal error")

// invoke calls the method and splits its results into the value to encode
// and the error it returned. A panic becomes errPanicked so one bad call
// cannot take the server down.
func (m *method) invoke(ctx context.Context, args []reflect.Value, log *slog.Logger) (result any, callErr error, err error) {
	in := args
	if m.takesCtx {
		in = append([]reflect.Value{reflect.ValueOf(&ctx).Elem()}, args...)
	}
	defer func() {
		if p := recover(); p != nil {
			log.Error("browser mode: method panicked", "method", m.name, "panic", p, "stack", string(debug.Stack()))
			err = errPanicked
		}
	}()
	out := m.fn.Call(in)
	switch m.shape {
	case resultErr:
		callErr, _ = out[0].Interface().(error)
	case resultValue:
		result = out[0].Interface()
	case resultValueErr:
		result = out[0].Interface()
		callErr, _ = out[1].Interface().(error)
	}
	return result, callErr, nil
}

// serveCall answers POST /api/call/<Service>/<Method>.
//
// Statuses: 200 with the JSON result (null when there is none); 400 when the
// arguments do not fit; 404 for an unknown service or method; 405 for a
// method other than POST; 413 for a body over 1 MiB; 422 when the method
// returned an error, whose message is the body's "error" exactly as the
// desktop Promise would reject with it; 500 when the method panicked or its
// result could not be encoded.
func (s *Server) serveCall(w http.ResponseWriter, r *http.Request) {
	svcName, methodName, ok := strings.Cut(strings.TrimPrefix(r.URL.Path, callPrefix), "/")
	var m *method
	if svc := s.services[svcName]; ok && svc != nil {
		m = svc.methods[methodName]
	}
	if m == nil {
		writeError(w, http.StatusNotFound, fmt.Sprintf("unknown method %q", strings.TrimPrefix(r.URL.Path, callPrefix)))
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeError(w, http.StatusMethodNotAllowed, "API calls use POST")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body larger than %d bytes", maxBodyBytes))
			return
		}
		writeError(w, http.StatusBadRequest, "read request body: "+err.Error())
		return
	}
	args, err := m.decodeArgs(body)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	result, callErr, err := m.invoke(r.Context(), args, s.log)
	switch {
	case err != nil:
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	case callErr != nil:
		s.log.Debug("browser mode: call failed", "method", m.name)
		writeError(w, http.StatusUnprocessableEntity, callErr.Error())
		return
	}
	out, err := json.Marshal(result)
	if err != nil {
		s.log.Error("browser mode: encode result", "method", m.name, "err", err)
		writeError(w, http.StatusInternalServerError, "encode result: "+err.Error())
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// writeError answers {"error": msg}, the failure shape of docs/API.md.
func writeError(w http.ResponseWriter, status int, msg string) {
	out, err := json.Marshal(struct {
		Error string `json:"error"`
	}{msg})
	if err != nil { // a string always encodes; keep the answer well-formed anyway
		out = []byte(`{"error":"internal error"}`)
	}
	writeJSON(w, status, out)
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	w.Write(body)
}
