package apigen

import (
	"fmt"
	"reflect"
	"regexp"
	"strings"
)

// docs/API.md keeps its prose by hand; the generator owns what lies between
// marker comments such as
//
//	<!-- BEGIN GENERATED services: … -->
//	…
//	<!-- END GENERATED services -->
//
// and rewrites it from package app on every run.
var (
	beginMarker = regexp.MustCompile(`(?m)^<!-- BEGIN GENERATED ([a-z]+)[^\n]*-->\n`)
	markerNote  = ": written by go run ./cmd/hush-apigen from package app; edit the doc comments there, not here"
)

// emitMarkdown returns doc with every generated section rewritten.
func emitMarkdown(m *model, doc string) (string, error) {
	sections := map[string]func(*strings.Builder){
		"services": m.mdServices,
		"events":   m.mdEvents,
		"types":    m.mdTypes,
		"enums":    m.mdEnums,
		"rules":    m.mdRules,
		"status":   m.mdStatus,
	}
	var out strings.Builder
	done := map[string]bool{}
	for {
		loc := beginMarker.FindStringSubmatchIndex(doc)
		if loc == nil {
			break
		}
		name := doc[loc[2]:loc[3]]
		write, ok := sections[name]
		if !ok {
			return "", fmt.Errorf("docs/API.md: unknown generated section %q", name)
		}
		if done[name] {
			return "", fmt.Errorf("docs/API.md: section %q appears twice", name)
		}
		done[name] = true
		end := "<!-- END GENERATED " + name + " -->\n"
		rest := doc[loc[1]:]
		stop := strings.Index(rest, end)
		if stop < 0 {
			return "", fmt.Errorf("docs/API.md: section %q has no %q", name, strings.TrimSpace(end))
		}
		out.WriteString(doc[:loc[0]])
		out.WriteString("<!-- BEGIN GENERATED " + name + markerNote + " -->\n")
		var body strings.Builder
		write(&body)
		out.WriteString(strings.TrimLeft(body.String(), "\n"))
		out.WriteString(end)
		doc = rest[stop+len(end):]
	}
	out.WriteString(doc)
	for name := range sections {
		if !done[name] {
			return "", fmt.Errorf("docs/API.md: the generated section %q is missing (add its BEGIN and END markers)", name)
		}
	}
	return out.String(), nil
}

func (m *model) mdServices(b *strings.Builder) {
	for _, s := range m.services {
		fmt.Fprintf(b, "\n### %s\n\n%s\n\n", s.goName, markdownDoc(s.doc))
		fmt.Fprintf(b, "The UI calls these as `api.%s.<method>(…)`.\n\n", s.clientName)
		b.WriteString("| method | arguments | result | notes |\n|---|---|---|---|\n")
		for _, meth := range s.methods {
			args := "—"
			if len(meth.params) > 0 {
				parts := make([]string, len(meth.params))
				for i, p := range meth.params {
					parts[i] = p.name + ": " + m.mdType(p.t, true)
				}
				args = "`" + strings.Join(parts, ", ") + "`"
			}
			result := "`null`"
			if meth.result != nil {
				result = "`" + m.mdType(meth.result, false) + "`"
			}
			fmt.Fprintf(b, "| `%s` | %s | %s | %s |\n", meth.goName, escapeCell(args), escapeCell(result), markdownDoc(meth.doc))
		}
	}
	b.WriteString("\n")
}

func (m *model) mdEvents(b *strings.Builder) {
	b.WriteString("\n| name | payload | when |\n|---|---|---|\n")
	for _, e := range m.events {
		fmt.Fprintf(b, "| `%s` | `%s` | %s |\n", e.name, e.t.Name(), markdownDoc(e.doc))
	}
	b.WriteString("\n")
}

func (m *model) mdTypes(b *strings.Builder) {
	for _, s := range m.structs {
		fmt.Fprintf(b, "\n#### %s\n\n%s\n", s.name, markdownDoc(s.doc))
		if s.alias != "" {
			fmt.Fprintf(b, "\nThe same shape as `%s`.\n", s.alias)
			continue
		}
		b.WriteString("\n| field | type | notes |\n|---|---|---|\n")
		for _, f := range s.fields {
			name := f.json
			if f.optional {
				name += " (optional)"
			}
			fmt.Fprintf(b, "| `%s` | %s | %s |\n", name, escapeCell("`"+m.mdType(f.t, false)+"`"), markdownDoc(f.doc))
		}
	}
	b.WriteString("\n")
}

func (m *model) mdEnums(b *strings.Builder) {
	for _, e := range m.enums {
		fmt.Fprintf(b, "\n#### %s\n\n%s\n\n| value | meaning |\n|---|---|\n", e.name, markdownDoc(e.doc))
		for i, v := range e.values {
			fmt.Fprintf(b, "| `\"%s\"` | %s |\n", v, markdownDoc(e.valueDocs[i]))
		}
		if e.empty {
			fmt.Fprintf(b, "| `\"\"` | none (results and events only) |\n")
		}
	}
	b.WriteString("\n")
}

func (m *model) mdRules(b *strings.Builder) {
	fmt.Fprintf(b, "\n%s\n\n| rule | value | meaning |\n|---|---|---|\n", markdownDoc(m.src.typeDocs["Rules"]))
	for _, r := range m.rules {
		fmt.Fprintf(b, "| `%s` | %s | %s |\n", r.json, escapeCell("`"+tsLiteral(r.value)+"`"), markdownDoc(r.doc))
	}
	b.WriteString("\n")
}

func (m *model) mdStatus(b *strings.Builder) {
	b.WriteString("\nThe status a message keeps (cell) when it is in one state (row) and a report of another ")
	b.WriteString("arrives (column), from `policy.Advance`. The UI looks it up in `STATUS_ADVANCE`.\n\n")
	b.WriteString("| current \\ incoming |")
	for _, s := range m.statuses {
		fmt.Fprintf(b, " `%s` |", s)
	}
	b.WriteString("\n|---|" + strings.Repeat("---|", len(m.statuses)) + "\n")
	for i, cur := range m.statuses {
		fmt.Fprintf(b, "| `%s` |", cur)
		for j := range m.statuses {
			cell := m.advance[i][j]
			if cell != cur {
				cell = "**" + cell + "**"
			}
			fmt.Fprintf(b, " %s |", cell)
		}
		b.WriteString("\n")
	}
	b.WriteString("\nBold: the report moves the message on.\n\n")
}

// mdType is t as docs/API.md writes it: the TypeScript type.
func (m *model) mdType(t reflect.Type, isParam bool) string {
	w := &tsWriter{m: m, used: map[string]bool{}}
	return w.tsType(t, isParam)
}

func escapeCell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
