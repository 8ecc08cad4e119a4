package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestLayering keeps imports pointing down the architecture (docs/ARCHITECTURE.md):
// the core the UI calls stays free of the desktop shell, the stores and crypto know
// nothing of what is built on them, and the relay never links client code.
func TestLayering(t *testing.T) {
	rules := []struct {
		pkg       string
		forbidden []string
	}{
		{"hush/app", []string{"github.com/wailsapp/wails", "hush/browsermode", "hush/relay"}},
		{"hush/chat", []string{"github.com/wailsapp/wails", "hush/app", "hush/browsermode", "hush/relay"}},
		{"hush/sync/relayclient", []string{"hush/app", "hush/chat", "hush/vault", "hush/relay", "github.com/wailsapp/wails"}},
		{"hush/vault", []string{"hush/app", "hush/chat", "hush/sync", "hush/relay", "hush/identity", "hush/chatcrypto"}},
		{"hush/identity", []string{"hush/app", "hush/chat", "hush/sync", "hush/relay", "hush/vault", "hush/chatcrypto"}},
		{"hush/chatcrypto", []string{"hush/vault", "hush/app", "hush/chat", "hush/sync", "hush/relay"}},
		{"hush/browsermode", []string{"hush/"}},
		{"hush/datadir", []string{"hush/"}},
		{"hush/clock", []string{"hush/"}},
		{"hush/relay", []string{"hush/vault", "hush/app", "hush/chat", "hush/chatcrypto", "hush/sync/relayclient", "github.com/wailsapp/wails"}},
		{"hush/internal/apigen", []string{"github.com/wailsapp/wails", "hush/browsermode", "hush/relay"}},
	}
	for _, r := range rules {
		t.Run(r.pkg, func(t *testing.T) {
			out, err := exec.Command("go", "list", "-deps", r.pkg).CombinedOutput()
			if err != nil {
				t.Fatalf("go list %s: %v\n%s", r.pkg, err, out)
			}
			for _, dep := range strings.Fields(string(out)) {
				if dep == r.pkg || strings.HasPrefix(dep, r.pkg+"/") {
					continue // the package itself and its internal packages
				}
				for _, f := range r.forbidden {
					if strings.HasPrefix(dep, f) {
						t.Errorf("%s imports %s", r.pkg, dep)
					}
				}
			}
		})
	}
}

// TestGeneratorImports keeps the contract generator free of dependencies of its
// own: it imports the standard library and the packages it describes, nothing
// else (docs/ARCHITECTURE.md, "The UI contract").
func TestGeneratorImports(t *testing.T) {
	allowed := map[string]bool{"hush/app": true, "hush/policy": true, "hush/internal/apigen": true}
	for _, pkg := range []string{"hush/internal/apigen", "hush/cmd/hush-apigen"} {
		out, err := exec.Command("go", "list", "-f", "{{join .Imports \" \"}}", pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list %s: %v\n%s", pkg, err, out)
		}
		for _, imp := range strings.Fields(string(out)) {
			first, _, _ := strings.Cut(imp, "/")
			if !allowed[imp] && strings.Contains(first, ".") || strings.HasPrefix(imp, "hush/") && !allowed[imp] {
				t.Errorf("%s imports %s", pkg, imp)
			}
		}
	}
}
