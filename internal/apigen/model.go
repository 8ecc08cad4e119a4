package apigen

import (
	"context"

	"fmt"
	"reflect"
	"slices"
	"strings"
	"unicode"

	"hush/app"
	"hush/policy"
)

// appPkg is the package every type of the contract must come from: package app
// owns the UI's types (docs/ARCHITECTURE.md, "Layout").
const appPkg = "hush/app"

// clientNames are the UI's names of services whose name is not the Go name in
// lower case without "Service": the client says api.chats.list(), not
// api.chat.list(), because the service manages many chats.
var clientNames = map[string]string{
	"ContactService": "contacts",
	"ChatService":    "chats",
	"DeviceService":  "devices",
	"FileService":    "files",
}

// emptyMeansNone is implemented by string enums whose zero value "" travels in
// results and events as "none", though Values does not list it (app.Role: an
// account that holds no role). Parameters still accept only Values.
type emptyMeansNone interface{ EmptyMeansNone() bool }

// allowsEmpty reports whether the enum type t says "" means none.
func allowsEmpty(t reflect.Type) bool {
	e, ok := reflect.Zero(t).Interface().(emptyMeansNone)
	return ok && e.EmptyMeansNone()
}

// model is package app's API as the UI sees it, gathered by reflection over the
// values app hands out and completed from its source.
type model struct {
	pkg      string // the package the contract's types come from: appPkg, or a test's
	src      *source
	services []*service
	events   []*event
	structs  []*structType // in order of first use
	enums    []*enumType   // in order of first use
	byName   map[string]any
	rules    []rule
	statuses []string   // MessageStatus values, in the order a message moves through them
	advance  [][]string // advance[i][j] = policy.Advance(statuses[i], statuses[j])
}

type service struct {
	goName, clientName, doc string
	methods                 []*method
}

type method struct {
	goName, clientName, doc string
	params                  []param
	result                  reflect.Type // nil when the method returns none or only an error
}

type param struct {
	name string // as the UI writes it (accountId)
	t    reflect.Type
}

type structType struct {
	name, doc string
	t         reflect.Type
	alias     string // the struct type this one is defined as, when the UI knows that one too
	fields    []field
}

type field struct {
	json, doc string
	t         reflect.Type
	optional  bool // omitempty or omitzero: absent when zero
}

type enumType struct {
	name, doc string
	t         reflect.Type
	values    []string
	valueDocs []string
	empty     bool // "" is valid in results (emptyEnums)
}

type event struct {
	name, doc string
	t         reflect.Type
}

type rule struct {
	json, doc string
	value     any
}

var (
	contextType = reflect.TypeFor[context.Context]()
	errorType   = reflect.TypeFor[error]()
	valuerType  = reflect.TypeFor[interface{ Values() []string }]()
)

// buildModel reads package app: its services, events and rules by reflection,
// its documentation from the source files in appDir.
func buildModel(appDir string) (*model, error) {
	src, err := parseSource(appDir)
	if err != nil {
		return nil, fmt.Errorf("read package app: %w", err)
	}
	m := newModel(appPkg, src)
	core, err := app.New(app.Config{VaultPath: "unused: the generator never opens a vault"})
	if err != nil {
		return nil, err
	}
	defer core.Shutdown()
	for _, svc := range core.Services() {
		if err := m.addService(svc); err != nil {
			return nil, err
		}
	}
	for _, ev := range app.Events() {
		if err := m.addEvent(ev); err != nil {
			return nil, err
		}
	}
	if err := m.addRules(app.UIRules()); err != nil {
		return nil, err
	}
	if err := m.addAdvance(); err != nil {
		return nil, err
	}
	return m, nil
}

func newModel(pkg string, src *source) *model {
	return &model{pkg: pkg, src: src, byName: map[string]any{}}
}

func (m *model) addService(svc any) error {
	pt := reflect.TypeOf(svc)
	if pt.Kind() != reflect.Pointer || pt.Elem().Kind() != reflect.Struct || pt.Elem().PkgPath() != m.pkg {
		return fmt.Errorf("service %T: want a pointer to a struct of package app", svc)
	}
	name := pt.Elem().Name()
	s := &service{goName: name, clientName: clientName(name), doc: m.src.typeDocs[name]}
	if s.doc == "" {
		return fmt.Errorf("app.%s has no doc comment", name)
	}
	// Methods in the order they are written, which is the order types are first
	// met and listed.
	sources := m.src.methods[name]
	var methods []reflect.Method
	for i := range pt.NumMethod() {
		mt := pt.Method(i)
		ms := sources[mt.Name]
		if ms == nil {
			return fmt.Errorf("app.%s.%s: method not found in the source", name, mt.Name)
		}
		if ms.doc == "" {
			return fmt.Errorf("app.%s.%s has no doc comment", name, mt.Name)
		}
		methods = append(methods, mt)
	}
	slices.SortFunc(methods, func(a, b reflect.Method) int { return sources[a.Name].pos - sources[b.Name].pos })
	for _, mt := range methods {
		meth, err := m.newMethod(name, mt, sources[mt.Name])
		if err != nil {
			return err
		}
		s.methods = append(s.methods, meth)
	}
	m.services = append(m.services, s)
	return nil
}

// newMethod describes one method, allowing the shapes browser mode and Wails can
// call (browsermode/dispatch.go): an optional leading context, then parameters
// that travel as JSON; results none, error, T or (T, error).
func (m *model) newMethod(svc string, mt reflect.Method, ms *methodSource) (*method, error) {
	where := "app." + svc + "." + mt.Name
	ft := mt.Type // the receiver is parameter 0
	if ft.IsVariadic() {
		return nil, fmt.Errorf("%s is variadic", where)
	}
	names := ms.params
	out := &method{goName: mt.Name, clientName: lowerFirst(mt.Name), doc: ms.doc}
	in := 1
	if ft.NumIn() > 1 && ft.In(1) == contextType {
		in, names = 2, names[1:]
	}
	if len(names) != ft.NumIn()-in {
		return nil, fmt.Errorf("%s: %d parameter names in the source for %d parameters", where, len(names), ft.NumIn()-in)
	}
	for i, n := range names {
		t := ft.In(in + i)
		if err := m.visit(t, where+" parameter "+n); err != nil {
			return nil, err
		}
		out.params = append(out.params, param{name: tsName(n), t: t})
	}
	switch {
	case ft.NumOut() == 0, ft.NumOut() == 1 && ft.Out(0) == errorType:
	case ft.NumOut() == 1, ft.NumOut() == 2 && ft.Out(1) == errorType:
		out.result = ft.Out(0)
		if err := m.visit(out.result, where+" result"); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("%s: results %s; want none, error, T or (T, error)", where, ft)
	}
	return out, nil
}

func (m *model) addEvent(ev app.Event) error {
	t := reflect.TypeOf(ev)
	if t.Kind() != reflect.Struct || t.PkgPath() != m.pkg {
		return fmt.Errorf("event %T: want a struct of package app", ev)
	}
	doc := m.src.typeDocs[t.Name()]
	if doc == "" {
		return fmt.Errorf("event type app.%s has no doc comment", t.Name())
	}
	if err := m.visit(t, "event "+ev.EventName()); err != nil {
		return err
	}
	m.events = append(m.events, &event{name: ev.EventName(), doc: doc, t: t})
	return nil
}

// visit records the named types t reaches, refusing what the UI could not
// decode exactly as encoding/json writes it.
func (m *model) visit(t reflect.Type, where string) error {
	if marshalsItself(t) {
		return fmt.Errorf("%s: %s encodes itself; the generator cannot know its JSON", where, t)
	}
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		if t.Name() != "" && t.PkgPath() != "" {
			return fmt.Errorf("%s: named number or bool %s: the UI would not know its meaning", where, t)
		}
		return nil
	case reflect.String:
		if t.PkgPath() == "" {
			return nil
		}
		return m.visitEnum(t, where)
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return fmt.Errorf("%s: %s travels as base64; use a string", where, t)
		}
		return m.visit(t.Elem(), where)
	case reflect.Map:
		if t.Key().Kind() != reflect.String || t.Key().PkgPath() != "" {
			return fmt.Errorf("%s: %s: only maps with plain string keys are supported", where, t)
		}
		return m.visit(t.Elem(), where)
	case reflect.Pointer:
		return m.visit(t.Elem(), where)
	case reflect.Struct:
		return m.visitStruct(t, where)
	}
	return fmt.Errorf("%s: %s (%s) is not supported", where, t, t.Kind())
}

func (m *model) visitEnum(t reflect.Type, where string) error {
	if t.PkgPath() != m.pkg {
		return fmt.Errorf("%s: %s is not a type of package app", where, t)
	}
	if _, ok := m.byName[t.Name()]; ok {
		return nil
	}
	if !t.Implements(valuerType) {
		return fmt.Errorf("%s: string type app.%s has no Values method", where, t.Name())
	}
	values := reflect.Zero(t).Interface().(interface{ Values() []string }).Values()
	if len(values) == 0 || slices.Contains(values, "") {
		return fmt.Errorf("app.%s.Values() = %q: want at least one value, none empty", t.Name(), values)
	}
	e := &enumType{name: t.Name(), doc: m.src.typeDocs[t.Name()], t: t, values: values, empty: allowsEmpty(t)}
	if e.doc == "" {
		return fmt.Errorf("app.%s has no doc comment", t.Name())
	}
	for _, v := range values {
		e.valueDocs = append(e.valueDocs, m.src.valueDocs[t.Name()][v])
	}
	m.byName[t.Name()] = e
	m.enums = append(m.enums, e)
	return nil
}

func (m *model) visitStruct(t reflect.Type, where string) error {
	if t.PkgPath() != m.pkg || t.Name() == "" {
		return fmt.Errorf("%s: %s is not a named type of package app", where, t)
	}
	if _, ok := m.byName[t.Name()]; ok {
		return nil
	}
	s := &structType{name: t.Name(), doc: m.src.typeDocs[t.Name()], t: t}
	if s.doc == "" {
		return fmt.Errorf("app.%s has no doc comment", t.Name())
	}
	m.byName[s.name] = s
	// A type defined as another (type ChatUpdated ChatSummary) has that one's
	// fields; the UI names the shape once, so it is registered under its own
	// name first and this one becomes an alias of it.
	docsFrom := s.name
	if target := m.src.defs[s.name]; target != "" {
		docsFrom = target
		if _, ok := m.byName[target]; !ok {
			inner := &structType{name: target, doc: m.src.typeDocs[target], t: t}
			m.byName[target] = inner
			if err := m.fillStruct(inner, target, where); err != nil {
				return err
			}
			m.structs = append(m.structs, inner)
		}
		if other, ok := m.byName[target].(*structType); ok {
			s.alias = other.name
			m.structs = append(m.structs, s)
			return nil
		}
	}
	m.structs = append(m.structs, s)
	return m.fillStruct(s, docsFrom, where)
}

func (m *model) fillStruct(s *structType, docsFrom, where string) error {
	t := s.t
	for i := range t.NumField() {
		f := t.Field(i)
		// encoding/json promotes the fields of embedded structs, exported or not.
		if f.Anonymous {
			return fmt.Errorf("%s: app.%s embeds %s; name the field instead", where, s.name, f.Type)
		}
		if !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" && opts == "" {
			continue
		}
		if name == "" {
			return fmt.Errorf("app.%s.%s has no json tag: the UI's field names are written out", s.name, f.Name)
		}
		optional := false
		for o := range strings.SplitSeq(opts, ",") {
			switch o {
			case "":
			case "omitempty", "omitzero":
				optional = true
			default:
				return fmt.Errorf("app.%s.%s: json option %q is not supported", s.name, f.Name, o)
			}
		}
		if err := m.visit(f.Type, "app."+s.name+"."+f.Name); err != nil {
			return err
		}
		s.fields = append(s.fields, field{json: name, doc: m.src.fieldDocs[docsFrom][f.Name], t: f.Type, optional: optional})
	}
	return nil
}

func (m *model) addRules(r app.Rules) error {
	v := reflect.ValueOf(r)
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		doc := m.src.fieldDocs[t.Name()][f.Name]
		if name == "" || doc == "" {
			return fmt.Errorf("app.Rules.%s needs a json tag and a doc comment", f.Name)
		}
		m.rules = append(m.rules, rule{json: name, doc: doc, value: v.Field(i).Interface()})
	}
	return nil
}

// addAdvance tabulates policy.Advance for every pair of states, so the UI looks
// Go's rule up instead of keeping a copy of it.
func (m *model) addAdvance() error {
	var names []string
	for _, s := range policy.Statuses {
		names = append(names, s.String())
	}
	if want := app.MessageStatus("").Values(); !slices.Equal(names, want) {
		return fmt.Errorf("policy.Statuses %q and app.MessageStatus.Values() %q differ", names, want)
	}
	m.statuses = names
	for _, cur := range policy.Statuses {
		var row []string
		for _, in := range policy.Statuses {
			row = append(row, policy.Advance(cur, in).String())
		}
		m.advance = append(m.advance, row)
	}
	return nil
}

// clientName is the property of the UI's api object that holds a service.
func clientName(goName string) string {
	if n, ok := clientNames[goName]; ok {
		return n
	}
	return lowerFirst(strings.TrimSuffix(goName, "Service"))
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	r := []rune(s)
	r[0] = unicode.ToLower(r[0])
	return string(r)
}

// tsName is a Go parameter name as TypeScript writes it: accountIDs → accountIds.
func tsName(goName string) string {
	r := strings.NewReplacer("IDs", "Ids", "ID", "Id", "URL", "Url")
	return r.Replace(goName)
}

// marshalsItself reports whether encoding/json would ask t (or *t) for its
// encoding instead of following its shape.
func marshalsItself(t reflect.Type) bool {
	for _, i := range []reflect.Type{
		reflect.TypeFor[interface{ MarshalJSON() ([]byte, error) }](),
		reflect.TypeFor[interface{ MarshalText() ([]byte, error) }](),
	} {
		if t.Implements(i) || reflect.PointerTo(t).Implements(i) {
			return true
		}
	}
	return false
}
