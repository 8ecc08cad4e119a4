package apigen

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// root is the repository root, seen from this package's directory.
const root = "../.."

// TestGeneratedFilesAreCurrent is the staleness check `make test` runs: the
// committed contract, docs/API.md and samples must be exactly what package app
// generates now.
func TestGeneratedFilesAreCurrent(t *testing.T) {
	out, err := Generate(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range Outputs {
		have, err := os.ReadFile(filepath.Join(root, p))
		if err != nil {
			t.Errorf("%s: %v; run `make generate`", p, err)
			continue
		}
		if string(have) != string(out[p]) {
			line, h, w := firstDifference(string(have), string(out[p]))
			t.Errorf("%s is stale: run `make generate` (go run ./cmd/hush-apigen) and commit the result.\n"+
				"First difference at line %d:\n  committed: %q\n  generated: %q", p, line, h, w)
		}
	}
}

func firstDifference(a, b string) (line int, x, y string) {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range max(len(al), len(bl)) {
		x, y = "", ""
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y || i >= len(al) || i >= len(bl) {
			return i + 1, x, y
		}
	}
	return 0, "", ""
}

// TestModel checks what the generator reads from package app against what app
// says of itself.
func TestModel(t *testing.T) {
	m, err := buildModel(filepath.Join(root, "app"))
	if err != nil {
		t.Fatal(err)
	}
	var services []string
	for _, s := range m.services {
		services = append(services, s.clientName+"="+s.goName)
	}
	want := "account=AccountService settings=SettingsService connection=ConnectionService contacts=ContactService chats=ChatService devices=DeviceService window=WindowService backup=BackupService files=FileService"
	if got := strings.Join(services, " "); got != want {
		t.Errorf("services %s, want %s", got, want)
	}
	// Methods in source order, with their parameter names as the UI writes them.
	chats := m.services[4]
	var sigs []string
	for _, meth := range chats.methods[:3] {
		var ps []string
		for _, p := range meth.params {
			ps = append(ps, p.name)
		}
		sigs = append(sigs, meth.clientName+"("+strings.Join(ps, ",")+")")
	}
	if got := strings.Join(sigs, " "); got != "list() openDirect(accountId) createGroup(title,memberIds)" {
		t.Errorf("chat methods %s", got)
	}
	// A type defined as another is an alias of it; an event's own struct is not.
	aliases := map[string]string{}
	for _, s := range m.structs {
		aliases[s.name] = s.alias
	}
	for name, alias := range map[string]string{"ChatUpdated": "ChatSummary", "MessageNew": "Message", "Notify": "Notification", "VaultLocked": ""} {
		if got, ok := aliases[name]; !ok || got != alias {
			t.Errorf("%s: alias %q (known %v), want %q", name, got, ok, alias)
		}
	}
	// The progression is policy.Advance: forward only, failed only from pending.
	at := func(cur, in string) string {
		i, j := indexOf(m.statuses, cur), indexOf(m.statuses, in)
		return m.advance[i][j]
	}
	for _, c := range [][3]string{
		{"pending", "sent", "sent"}, {"read", "delivered", "read"}, {"sent", "failed", "sent"},
		{"pending", "failed", "failed"}, {"failed", "sent", "sent"}, {"failed", "pending", "failed"},
	} {
		if got := at(c[0], c[1]); got != c[2] {
			t.Errorf("advance(%s, %s) = %s, want %s", c[0], c[1], got, c[2])
		}
	}
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}

// TestSamples checks the samples show every enum value and the zero shapes Go
// sends: null for nil lists.
func TestSamples(t *testing.T) {
	m, err := buildModel(filepath.Join(root, "app"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := emitSamples(m)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Results map[string][]json.RawMessage
		Events  map[string][]map[string]any
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	statuses := map[string]bool{}
	for _, s := range doc.Events["message:new"] {
		statuses[s["status"].(string)] = true
	}
	if len(statuses) != len(m.statuses) {
		t.Errorf("message:new samples show statuses %v, want all of %v", statuses, m.statuses)
	}
	page := doc.Results["ChatService.Messages"]
	var last bytes.Buffer
	json.Compact(&last, page[len(page)-1])
	if !strings.Contains(last.String(), `"messages":null`) {
		t.Errorf("zero page %s: want messages null", last.String())
	}
	if list := doc.Results["ChatService.List"]; string(list[len(list)-1]) != "null" {
		t.Errorf("zero chat list %s, want null", list[len(list)-1])
	}
	if lock := doc.Results["AccountService.Lock"]; len(lock) != 1 || string(lock[0]) != "null" {
		t.Errorf("Lock samples %s, want [null]", lock)
	}
	roles := map[string]bool{}
	for _, raw := range doc.Results["ChatService.Members"] {
		var ms []struct{ Role string }
		json.Unmarshal(raw, &ms)
		for _, x := range ms {
			roles[x.Role] = true
		}
	}
	if !roles["owner"] || !roles["admin"] || !roles["member"] {
		t.Errorf("member samples show roles %v", roles)
	}
}

// Types the generator must refuse, because the UI could not decode them exactly.
type (
	withInterface struct {
		X any `json:"x"`
	}
	embedded struct {
		withInterface
	}
	untagged struct {
		X string
	}
	withBytes struct {
		X []byte `json:"x"`
	}
	withIntKeys struct {
		X map[int]string `json:"x"`
	}
	withStringOption struct {
		X int `json:"x,string"`
	}
	marshaler     struct{}
	withMarshaler struct {
		X marshaler `json:"x"`
	}
	plainString  string
	withNoValues struct {
		X plainString `json:"x"`
	}
	namedNumber     int
	withNamedNumber struct {
		X namedNumber `json:"x"`
	}
	withChan struct {
		X chan int `json:"x"`
	}
	// fine shows what is accepted: omitempty fields, pointers, maps, "-".
	fine struct {
		A string            `json:"a,omitempty"`
		B *int              `json:"b"`
		C map[string]string `json:"c"`
		D int               `json:"-"`
		//lint:ignore U1000 an unexported field is what the generator must skip
		e int
	}
)

func (marshaler) MarshalJSON() ([]byte, error) { return []byte(`"x"`), nil }

func TestRefusesWhatItCannotDescribe(t *testing.T) {
	pkg := reflect.TypeFor[fine]().PkgPath()
	src := &source{typeDocs: map[string]string{}, fieldDocs: map[string]map[string]string{}, defs: map[string]string{}}
	for _, v := range []any{withInterface{}, embedded{}, untagged{}, withBytes{}, withIntKeys{}, withStringOption{},
		withMarshaler{}, withNoValues{}, withNamedNumber{}, withChan{}, fine{}} {
		src.typeDocs[reflect.TypeOf(v).Name()] = "documented"
	}
	for _, v := range []any{withInterface{}, embedded{}, untagged{}, withBytes{}, withIntKeys{}, withStringOption{},
		withMarshaler{}, withNoValues{}, withNamedNumber{}, withChan{}} {
		m := newModel(pkg, src)
		if err := m.visit(reflect.TypeOf(v), "test"); err == nil {
			t.Errorf("%T accepted", v)
		}
	}
	m := newModel(pkg, src)
	if err := m.visit(reflect.TypeFor[fine](), "test"); err != nil {
		t.Fatal(err)
	}
	s := m.byName["fine"].(*structType)
	var got []string
	for _, f := range s.fields {
		w := &tsWriter{m: m, used: map[string]bool{}}
		opt := ""
		if f.optional {
			opt = "?"
		}
		got = append(got, f.json+opt+": "+w.tsType(f.t, false)+" = "+w.decoder(f.t, false))
	}
	want := "a?: string = str; b: number | null = nullable(int); c: Record<string, string> = record(str)"
	if strings.Join(got, "; ") != want {
		t.Errorf("fields\n  %s\nwant\n  %s", strings.Join(got, "; "), want)
	}
	// An undocumented type is refused too: its notes would be empty.
	bare := newModel(pkg, &source{typeDocs: map[string]string{}, fieldDocs: map[string]map[string]string{}, defs: map[string]string{}})
	if err := bare.visit(reflect.TypeFor[fine](), "test"); err == nil {
		t.Error("undocumented type accepted")
	}
}

func TestNames(t *testing.T) {
	for in, want := range map[string]string{
		"MessageStatus": "MESSAGE_STATUSES", "Theme": "THEMES", "ChatKind": "CHAT_KINDS", "VaultState": "VAULT_STATES",
	} {
		if got := constName(in); got != want {
			t.Errorf("constName(%s) = %s, want %s", in, got, want)
		}
	}
	for in, want := range map[string]string{"accountID": "accountId", "memberIDs": "memberIds", "url": "url", "replyTo": "replyTo"} {
		if got := tsName(in); got != want {
			t.Errorf("tsName(%s) = %s, want %s", in, got, want)
		}
	}
	for in, want := range map[string]string{"AccountService": "account", "ChatService": "chats", "WindowService": "window"} {
		if got := clientName(in); got != want {
			t.Errorf("clientName(%s) = %s, want %s", in, got, want)
		}
	}
	for in, want := range map[string]string{"it's": `'it\'s'`, `say "hi"`: `'say "hi"'`, "a\\b": `'a\\b'`} {
		if got := tsString(in); got != want {
			t.Errorf("tsString(%q) = %s, want %s", in, got, want)
		}
	}
	if got := propName("message:new"); got != "'message:new'" {
		t.Errorf("propName = %s", got)
	}
}

func TestMarkdownSections(t *testing.T) {
	m, err := buildModel(filepath.Join(root, "app"))
	if err != nil {
		t.Fatal(err)
	}
	var doc strings.Builder
	doc.WriteString("# Title\n\nProse before.\n\n")
	for _, s := range []string{"services", "events", "types", "enums", "rules", "status"} {
		doc.WriteString("<!-- BEGIN GENERATED " + s + " -->\nold text\n<!-- END GENERATED " + s + " -->\n\nProse after " + s + ".\n")
	}
	out, err := emitMarkdown(m, doc.String())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, "old text") || !strings.Contains(out, "Prose before.") || !strings.Contains(out, "Prose after status.") {
		t.Errorf("sections not replaced, or prose lost:\n%s", out)
	}
	if !strings.Contains(out, "| `SetRelay` | `url: string` | `Connection` |") {
		t.Error("no SetRelay row in the services table")
	}
	again, err := emitMarkdown(m, out)
	if err != nil || again != out {
		t.Errorf("a second run changed the document (err %v)", err)
	}
	for name, broken := range map[string]string{
		"missing section": "<!-- BEGIN GENERATED services -->\n<!-- END GENERATED services -->\n",
		"unknown section": doc.String() + "<!-- BEGIN GENERATED extras -->\n<!-- END GENERATED extras -->\n",
		"no end":          strings.Replace(doc.String(), "<!-- END GENERATED rules -->\n", "", 1),
		"twice":           doc.String() + "<!-- BEGIN GENERATED rules -->\n<!-- END GENERATED rules -->\n",
	} {
		if _, err := emitMarkdown(m, broken); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
