package apigen

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// source is what reflection cannot tell about package app: doc comments,
// parameter names, the order methods are written in, which types are
// defined as another named type (type ChatUpdated ChatSummary), and the
// comments on enum constants. It is read from the package's files with
// go/parser alone: type-checking app's dependencies would cost seconds for
// nothing the generator needs.
type source struct {
	typeDocs  map[string]string            // type name → doc
	defs      map[string]string            // type name → the named type it is defined as
	fieldDocs map[string]map[string]string // type name → Go field name → doc
	methods   map[string]map[string]*methodSource
	// valueDocs maps a type name and a constant's value to the constant's
	// comment: StateNew VaultState = "new" // no vault yet …
	valueDocs map[string]map[string]string
}

// methodSource is one method declaration.
type methodSource struct {
	doc    string
	params []string
	pos    int // order of declaration across the package's files
}

// parseSource reads every non-test Go file in dir.
func parseSource(dir string) (*source, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	src := &source{
		typeDocs:  map[string]string{},
		defs:      map[string]string{},
		fieldDocs: map[string]map[string]string{},
		methods:   map[string]map[string]*methodSource{},
		valueDocs: map[string]map[string]string{},
	}
	fset := token.NewFileSet()
	var names []string
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || !strings.HasSuffix(n, ".go") || strings.HasSuffix(n, "_test.go") {
			continue
		}
		names = append(names, n)
	}
	slices.Sort(names)
	pos := 0
	for _, n := range names {
		f, err := parser.ParseFile(fset, filepath.Join(dir, n), nil, parser.ParseComments|parser.SkipObjectResolution)
		if err != nil {
			return nil, err
		}
		for _, decl := range f.Decls {
			switch d := decl.(type) {
			case *ast.GenDecl:
				src.addGenDecl(d)
			case *ast.FuncDecl:
				pos++
				if err := src.addFunc(d, pos); err != nil {
					return nil, fmt.Errorf("%s: %w", fset.Position(d.Pos()), err)
				}
			}
		}
	}
	return src, nil
}

func (s *source) addGenDecl(d *ast.GenDecl) {
	switch d.Tok {
	case token.TYPE:
		for _, spec := range d.Specs {
			ts := spec.(*ast.TypeSpec)
			doc := ts.Doc
			if doc == nil && len(d.Specs) == 1 {
				doc = d.Doc
			}
			s.typeDocs[ts.Name.Name] = docText(doc)
			switch t := ts.Type.(type) {
			case *ast.Ident:
				s.defs[ts.Name.Name] = t.Name
			case *ast.StructType:
				fields := map[string]string{}
				for _, f := range t.Fields.List {
					text := joinDocs(docText(f.Doc), docText(f.Comment))
					for _, n := range f.Names {
						fields[n.Name] = text
					}
				}
				s.fieldDocs[ts.Name.Name] = fields
			}
		}
	case token.CONST:
		for _, spec := range d.Specs {
			vs := spec.(*ast.ValueSpec)
			typ, ok := vs.Type.(*ast.Ident)
			if !ok || len(vs.Values) != len(vs.Names) {
				continue
			}
			for _, v := range vs.Values {
				lit, ok := v.(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					continue
				}
				value, err := strconv.Unquote(lit.Value)
				if err != nil {
					continue
				}
				if s.valueDocs[typ.Name] == nil {
					s.valueDocs[typ.Name] = map[string]string{}
				}
				s.valueDocs[typ.Name][value] = joinDocs(docText(vs.Doc), docText(vs.Comment))
			}
		}
	}
}

func (s *source) addFunc(d *ast.FuncDecl, pos int) error {
	if d.Recv == nil || len(d.Recv.List) != 1 || !d.Name.IsExported() {
		return nil
	}
	recv := d.Recv.List[0].Type
	if star, ok := recv.(*ast.StarExpr); ok {
		recv = star.X
	}
	id, ok := recv.(*ast.Ident)
	if !ok {
		return nil
	}
	m := &methodSource{doc: docText(d.Doc), pos: pos}
	for _, p := range d.Type.Params.List {
		if len(p.Names) == 0 {
			return fmt.Errorf("%s.%s: parameters need names: the UI's contract is written with them", id.Name, d.Name.Name)
		}
		for _, n := range p.Names {
			m.params = append(m.params, n.Name)
		}
	}
	if s.methods[id.Name] == nil {
		s.methods[id.Name] = map[string]*methodSource{}
	}
	s.methods[id.Name][d.Name.Name] = m
	return nil
}

// docText is a comment as one paragraph of plain text.
func docText(g *ast.CommentGroup) string {
	if g == nil {
		return ""
	}
	return strings.Join(strings.Fields(g.Text()), " ")
}

func joinDocs(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + " " + b
}

// docLink matches a Go doc link such as [AccountService.Status] or [Event].
var docLink = regexp.MustCompile(`\[([A-Z][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)?)\]`)

// plainDoc turns Go doc links into plain names, for TypeScript comments.
func plainDoc(s string) string { return docLink.ReplaceAllString(s, "$1") }

// markdownDoc turns Go doc links into code spans and protects table cells.
func markdownDoc(s string) string {
	s = docLink.ReplaceAllString(s, "`$1`")
	return strings.ReplaceAll(s, "|", `\|`)
}
