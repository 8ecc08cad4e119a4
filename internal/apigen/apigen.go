// Package apigen generates the UI's side of the contract with package app, so
// the Go structs, docs/API.md and the TypeScript client cannot drift apart.
//
// Package app is the one source. Reflection over the values it hands out —
// [app.Core.Services], [app.Events], [app.UIRules], each string enum's
// Values, and [policy.Advance] for every pair of message states — gives the
// shapes exactly as encoding/json writes them; go/parser over app's files
// gives what reflection cannot see: parameter names, doc comments and the
// order methods are written in. Nothing is type-checked from source, so a run
// takes well under a second once app is compiled, and the tool needs nothing
// beyond the standard library and the packages it describes.
//
// [Generate] returns three files (see [Outputs]): the TypeScript contract with
// a decoder per type, docs/API.md with its generated sections rewritten, and
// JSON samples of every result and event for the decoders' tests. The
// command cmd/hush-apigen writes them (make generate); this package's test
// fails while the committed files differ from what Generate returns.
//
// Anything the generator cannot describe exactly — an interface, an embedded
// field, a type that marshals itself, an exported method or type without a
// doc comment — is an error, not a guess.
package apigen

import (
	"fmt"
	"os"
	"path/filepath"
)

// The generated files, relative to the repository root.
const (
	ContractPath = "frontend/src/lib/api/contract.gen.ts"
	DocPath      = "docs/API.md"
	SamplesPath  = "frontend/src/lib/api/testdata/samples.json"
)

// Outputs lists the generated files in the order [Generate] and the command
// report them.
var Outputs = []string{ContractPath, DocPath, SamplesPath}

// Generate builds every output from package app under root (the repository
// root). It reads app's source and the current docs/API.md, and writes nothing.
func Generate(root string) (map[string][]byte, error) {
	m, err := buildModel(filepath.Join(root, "app"))
	if err != nil {
		return nil, err
	}
	ts, err := emitTS(m)
	if err != nil {
		return nil, err
	}
	doc, err := os.ReadFile(filepath.Join(root, DocPath))
	if err != nil {
		return nil, err
	}
	md, err := emitMarkdown(m, string(doc))
	if err != nil {
		return nil, err
	}
	samples, err := emitSamples(m)
	if err != nil {
		return nil, err
	}
	return map[string][]byte{ContractPath: ts, DocPath: []byte(md), SamplesPath: samples}, nil
}

// Write generates every output and writes the files that changed, returning
// their paths.
func Write(root string) ([]string, error) {
	out, err := Generate(root)
	if err != nil {
		return nil, err
	}
	var changed []string
	for _, p := range Outputs {
		full := filepath.Join(root, p)
		if old, err := os.ReadFile(full); err == nil && string(old) == string(out[p]) {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(full, out[p], 0o644); err != nil {
			return nil, fmt.Errorf("write %s: %w", p, err)
		}
		changed = append(changed, p)
	}
	return changed, nil
}
