package browsermode

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strings"
	"testing"
)

// SafeService has only methods that return at once, so the handler fuzz
// can call anything it reaches.
type SafeService struct{}

func (SafeService) Echo(s string) string         { return s }
func (SafeService) Add(a, b int) (int, error)    { return a + b, nil }
func (SafeService) Double(it Item) (Item, error) { it.Count *= 2; return it, nil }
func (SafeService) Fail(msg string) error        { return errors.New(msg) }
func (SafeService) Ptr(p *Item) (*Item, error)   { return p, nil }
func (SafeService) Many(m map[string][]float64, b bool, u uint8) (int, error) {
	return len(m), nil
}

var fuzzSeeds = []string{
	``, `[]`, `["x"]`, `[1,2]`, `[{"name":"a","count":1,"tags":["t"]}]`, `null`, `{}`, `[`, `]`,
	`[1,2,3]`, `["x"] x`, `[[[[[[]]]]]]`, `[1e999]`, `["\ud800"]`, `[null]`, `[-0.0, 1]`,
	`[{"a":[1.5]}, true, 255]`, `[{"a":[1.5]}, true, 256]`, "[\"\x00\"]", ` [ "x" ] `, `[,]`, `[1,]`,
}

// FuzzDecodeArgs: any body decodes to exactly the parameters' types or to
// an errBadArgs error, for every method shape, and never panics.
func FuzzDecodeArgs(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	svcs, err := bindServices([]any{&EchoService{}, &SafeService{}}, testLogger())
	if err != nil {
		f.Fatal(err)
	}
	var methods []*method
	for _, svc := range svcs {
		for _, m := range svc.methods {
			methods = append(methods, m)
		}
	}
	slices.SortFunc(methods, func(a, b *method) int { return strings.Compare(a.name, b.name) })
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, m := range methods {
			args, err := m.decodeArgs(body)
			if err != nil {
				if !errors.Is(err, errBadArgs) {
					t.Fatalf("%s: error %v is not errBadArgs", m.name, err)
				}
				continue
			}
			if len(args) != len(m.in) {
				t.Fatalf("%s: %d args for %d parameters", m.name, len(args), len(m.in))
			}
			for i, a := range args {
				if a.Type() != m.in[i] {
					t.Fatalf("%s: argument %d has type %s, want %s", m.name, i, a.Type(), m.in[i])
				}
			}
		}
	})
}

// FuzzServeCall drives the whole handler (checks, routing, decoding,
// calling, encoding) without a network: whatever the path and body, the
// answer is one of the documented statuses with a JSON body.
func FuzzServeCall(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add("SafeService/Echo", []byte(s))
		f.Add("SafeService/Many", []byte(s))
	}
	f.Add("SafeService/Double", []byte(`[{"count":3}]`))
	f.Add("SafeService/Ptr", []byte(`[null]`))
	f.Add("Nope/../../x", []byte(`[]`))
	s, err := New(Options{Addr: "127.0.0.1:0", Assets: testAssets(), Services: []any{&SafeService{}}, Logger: testLogger()})
	if err != nil {
		f.Fatal(err)
	}
	const token = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
	h := s.handler(&session{token: []byte(token), hosts: allowedHosts(netip.MustParseAddr("127.0.0.1"), 8080)})
	allowed := []int{200, 400, 404, 405, 413, 422}
	f.Fuzz(func(t *testing.T, path string, body []byte) {
		req := httptest.NewRequest("POST", "http://127.0.0.1:8080/", strings.NewReader(string(body)))
		req.URL.Path = "/api/call/" + path
		req.Header.Set("X-Hush-Token", token)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if !slices.Contains(allowed, rec.Code) {
			t.Fatalf("status %d for %q %q", rec.Code, path, body)
		}
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("answer %q is not JSON", rec.Body.Bytes())
		}
		if rec.Code != http.StatusOK && !strings.Contains(rec.Body.String(), `"error"`) {
			t.Fatalf("failure %d without an error field: %q", rec.Code, rec.Body.Bytes())
		}
	})
}
