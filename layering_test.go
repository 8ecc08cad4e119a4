package main

import (
	"maps"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// allowedImports states, for every package of the module, the hush packages its
// code (not its tests) may import directly, layer by layer from the bottom
// (docs/ARCHITECTURE.md, "Layout"). A package that is not listed fails the test: a
// new package gets its place in the layering when it is made.
func allowedImports() map[string][]string {
	return map[string][]string{
		// Leaves: the vocabulary every layer shares, and small utilities.
		"hush/internal/strictcbor": nil,
		"hush/ids":                 {"hush/internal/strictcbor"},
		"hush/policy":              nil,
		"hush/clock":               nil,
		"hush/datadir":             nil,
		"hush/browsermode":         nil,
		"hush/internal/testutil":   nil,
		"hush/internal/cputime":    nil,
		// Giving back the pages of the program's own code once it is quiet.
		"hush/memtrim":            nil,
		"hush/internal/pgcluster": nil,
		"hush/internal/pgtest":    {"hush/internal/pgcluster"},

		// The unread count on the taskbar or dock icon, through the desktop's
		// own APIs (D-Bus, COM, AppKit): it knows nothing of chats.
		"hush/badge": nil,

		// Keys and cloud-chat crypto.
		"hush/identity":   {"hush/ids", "hush/internal/strictcbor"},
		"hush/chatcrypto": {"hush/identity", "hush/ids", "hush/internal/strictcbor", "hush/policy"},
		"hush/membership": {"hush/identity", "hush/ids", "hush/internal/strictcbor", "hush/policy"},
		"hush/devicelink": {"hush/identity", "hush/ids", "hush/internal/strictcbor"},
		"hush/accountlog": {"hush/identity", "hush/ids", "hush/internal/strictcbor"},
		"hush/ratchet":    {"hush/internal/strictcbor"},
		// Attachment files: chunked STREAM encryption under each file's key.
		"hush/attachcrypto": nil,
		// Image previews made on the device.
		"hush/thumbnail": nil,
		// Link previews, fetched by the sending device from public https sites only.
		"hush/linkpreview": {"hush/thumbnail"},
		"hush/pqxdh":       {"hush/identity", "hush/ids", "hush/internal/strictcbor"},
		// A secret chat's session: the handshake, then the ratchet.
		"hush/seedbox":       {"hush/identity", "hush/ids", "hush/internal/strictcbor", "hush/pqxdh"},
		"hush/secretsession": {"hush/identity", "hush/ids", "hush/internal/strictcbor", "hush/pqxdh", "hush/ratchet"},

		// The device's encrypted store.
		"hush/vault":                  {"hush/ids", "hush/internal/strictcbor", "hush/policy", "hush/vault/internal/field", "hush/vault/internal/keywrap", "hush/vault/internal/subkey"},
		"hush/vault/internal/field":   nil,
		"hush/vault/internal/keywrap": nil,
		"hush/vault/internal/subkey":  nil,

		// Backups: the archive format over age, and a vault's export and import.
		"hush/backup":             {"hush/ids", "hush/internal/strictcbor", "hush/policy"},
		"hush/backup/vaultbackup": {"hush/attachment", "hush/backup", "hush/ids", "hush/policy", "hush/vault"},

		// The relay protocol, and a device's connection to a relay.
		"hush/sync/wire":        {"hush/ids", "hush/internal/strictcbor", "hush/policy"},
		"hush/sync/wireconn":    {"hush/identity", "hush/ids", "hush/sync/wire"},
		"hush/sync/relayclient": {"hush/clock", "hush/identity", "hush/ids", "hush/sync/wire", "hush/sync/wireconn"},
		// Attachment files: encrypted into the data folder, moved through the relay.
		"hush/attachment": {"hush/attachcrypto", "hush/ids", "hush/sync/relayclient", "hush/sync/wire", "hush/thumbnail"},

		// Message search: an in-memory index the engine keeps (docs/ARCHITECTURE.md, "Search").
		"hush/search": {"hush/ids"},

		// The client engine and the API the UI calls.
		"hush/chat": {"hush/accountlog", "hush/attachment", "hush/chatcrypto", "hush/clock", "hush/devicelink", "hush/identity", "hush/ids", "hush/internal/strictcbor", "hush/membership", "hush/policy", "hush/pqxdh", "hush/search", "hush/secretsession", "hush/seedbox", "hush/sync/relayclient", "hush/sync/wire", "hush/vault"},
		"hush/app":  {"hush/backup", "hush/backup/vaultbackup", "hush/chat", "hush/chatcrypto", "hush/clock", "hush/devicelink", "hush/identity", "hush/ids", "hush/linkpreview", "hush/policy", "hush/vault"},

		// The relay, its store, its test harness, its binary.
		"hush/relay/store":     {"hush/ids", "hush/policy", "hush/sync/wire"},
		"hush/relay":           {"hush/clock", "hush/identity", "hush/ids", "hush/membership", "hush/policy", "hush/relay/store", "hush/sync/wire"},
		"hush/relay/relaytest": {"hush/clock", "hush/identity", "hush/ids", "hush/membership", "hush/policy", "hush/relay", "hush/relay/store", "hush/sync/wire", "hush/sync/wireconn"},
		"hush/cmd/hush-relay":  {"hush/relay"},

		// The load generator: a relay child and a lean client.
		"hush/cmd/hush-load":                     {"hush/cmd/hush-load/internal/histogram", "hush/cmd/hush-load/internal/ledger", "hush/cmd/hush-load/internal/loadclient", "hush/cmd/hush-load/internal/relayproc", "hush/ids", "hush/internal/pgcluster", "hush/membership", "hush/policy", "hush/sync/wire"},
		"hush/cmd/hush-load/internal/histogram":  nil,
		"hush/cmd/hush-load/internal/ledger":     {"hush/ids", "hush/sync/wire"},
		"hush/cmd/hush-load/internal/loadclient": {"hush/identity", "hush/ids", "hush/sync/wire", "hush/sync/wireconn"},
		"hush/cmd/hush-load/internal/relayproc":  {"hush/relay"},

		// The generator of the UI contract: the standard library and what it describes.
		"hush/internal/apigen": {"hush/app", "hush/policy"},
		"hush/cmd/hush-apigen": {"hush/internal/apigen"},

		// Measuring the window: a data directory with a long chat, and PSS as if alone.
		"hush/cmd/hush-seed": {"hush/app", "hush/datadir"},
		"hush/cmd/hush-pss":  nil,

		// The hush binary: desktop window, browser mode, relay.
		"hush": {"hush/app", "hush/backup", "hush/backup/vaultbackup", "hush/badge", "hush/browsermode", "hush/chat", "hush/datadir", "hush/internal/cputime", "hush/memtrim", "hush/relay", "hush/vault"},
	}
}

// wailsModule is the desktop shell's module.
const wailsModule = "github.com/wailsapp/wails"

// prometheusModule is the metrics library; only the relay exposes metrics.
const prometheusModule = "github.com/prometheus/client_golang"

// depRule is a boundary that must hold whatever the allow-lists say, so that
// widening an allow-list cannot quietly cross it.
type depRule struct {
	what string // the rule in words, for the failure message
	// pkgs are the packages it binds, as import paths or "path/..." patterns; nil:
	// every package but those in except.
	pkgs   []string
	except []string
	// deny lists what the packages must not depend on; a path covers the packages
	// below it ("hush/relay" is also hush/relay/store). only, if not nil, lists the
	// only hush packages they may depend on.
	deny []string
	only []string
	// direct counts only the packages' own imports; otherwise every dependency,
	// however indirect, counts.
	direct bool
}

func depRules() []depRule {
	clientSide := []string{"hush/vault", "hush/app", "hush/chat", "hush/chatcrypto", "hush/sync/relayclient", wailsModule}
	return []depRule{
		{what: "only the hush binary imports Wails", except: []string{"hush"}, deny: []string{wailsModule}, direct: true},
		{what: "test helpers are for tests", deny: []string{"hush/internal/testutil", "hush/internal/pgtest"}, direct: true},
		{what: "throwaway PostgreSQL servers are for tests and the load generator", except: []string{"hush/internal/pgtest", "hush/cmd/hush-load"}, deny: []string{"hush/internal/pgcluster"}, direct: true},
		{what: "the UI API and the engine are free of the desktop shell, browser mode and the relay",
			pkgs: []string{"hush/app", "hush/chat"}, deny: []string{wailsModule, "hush/browsermode", "hush/relay"}},
		{what: "the engine does not reach up into the UI API", pkgs: []string{"hush/chat"}, deny: []string{"hush/app"}},
		{what: "the UI API reaches the relay only through the engine",
			pkgs: []string{"hush/app"}, deny: []string{"hush/sync/wire", "hush/sync/relayclient"}, direct: true},
		{what: "only the badge speaks D-Bus (Wails has its own for notifications)", except: []string{"hush/badge"}, deny: []string{"github.com/godbus/dbus"}, direct: true},
		{what: "only the relay serves Prometheus metrics", except: []string{"hush/relay"}, deny: []string{prometheusModule}, direct: true},
		{what: "the relay never links client code", pkgs: []string{"hush/relay/...", "hush/cmd/hush-relay"}, deny: clientSide},
		{what: "the relay link knows nothing of what is built on it",
			pkgs: []string{"hush/sync/relayclient", "hush/sync/wireconn"}, deny: []string{"hush/app", "hush/chat", "hush/vault", "hush/relay", wailsModule}},
		{what: "the protocol is a leaf", pkgs: []string{"hush/sync/wire"}, only: []string{"hush/ids", "hush/policy", "hush/internal/strictcbor"}},
		{what: "the vault knows nothing of sync, relay, engine, UI or keys",
			pkgs: []string{"hush/vault/..."}, deny: []string{"hush/sync", "hush/relay", "hush/chat", "hush/app", "hush/identity", "hush/chatcrypto"}},
		{what: "keys know nothing of what uses them",
			pkgs: []string{"hush/identity"}, deny: []string{"hush/app", "hush/chat", "hush/sync", "hush/relay", "hush/vault", "hush/chatcrypto"}},
		{what: "chat crypto knows nothing of storage, sync or the layers above",
			pkgs: []string{"hush/chatcrypto"}, deny: []string{"hush/vault", "hush/app", "hush/chat", "hush/sync", "hush/relay"}},
		{what: "the membership log is shared by the relay and clients: it knows neither",
			pkgs: []string{"hush/membership"}, only: []string{"hush/identity", "hush/ids", "hush/internal/strictcbor", "hush/policy"}},
		{what: "linking a device is crypto and formats only: no storage, protocol or engine",
			pkgs: []string{"hush/devicelink"}, only: []string{"hush/identity", "hush/ids", "hush/internal/strictcbor"}},
		{what: "the account log is crypto and formats only: no storage, protocol or engine",
			pkgs: []string{"hush/accountlog"}, only: []string{"hush/identity", "hush/ids", "hush/internal/strictcbor"}},
		{what: "secret chats' crypto (handshake, ratchet) is crypto and formats only: no storage, protocol or engine",
			pkgs: []string{"hush/pqxdh", "hush/ratchet"}, only: []string{"hush/identity", "hush/ids", "hush/internal/strictcbor"}},
		{what: "carrying the account's ML-KEM seeds between its devices builds on the handshake alone",
			pkgs: []string{"hush/seedbox"}, only: []string{"hush/identity", "hush/ids", "hush/internal/strictcbor", "hush/pqxdh"}},
		{what: "a secret chat's session builds on the handshake and the ratchet alone",
			pkgs: []string{"hush/secretsession"}, only: []string{"hush/identity", "hush/ids", "hush/internal/strictcbor", "hush/pqxdh", "hush/ratchet"}},
		{what: "the leaves import no other hush package", only: []string{},
			pkgs: []string{"hush/policy", "hush/internal/strictcbor", "hush/clock", "hush/datadir", "hush/browsermode", "hush/internal/testutil", "hush/badge"}},
		{what: "the search index holds plaintext in memory only: it reaches no storage, sync or engine",
			pkgs: []string{"hush/search"}, only: []string{"hush/ids", "hush/internal/strictcbor"}},
		{what: "ids builds only on strictcbor", pkgs: []string{"hush/ids"}, only: []string{"hush/internal/strictcbor"}},
	}
}

// goPackage is what go list says of one package of the module.
type goPackage struct {
	imports []string // direct imports of its non-test files
	deps    []string // every dependency, however indirect
}

// TestLayering keeps imports pointing down the architecture: every package imports
// only the hush packages [allowedImports] names for it, and no package crosses a
// boundary of [depRules]. One go list call lists the whole module.
func TestLayering(t *testing.T) {
	pkgs := modulePackages(t)
	paths := slices.Sorted(maps.Keys(pkgs))
	allowed := allowedImports()
	for _, path := range paths {
		allow, ok := allowed[path]
		if !ok {
			t.Errorf("%s is not in allowedImports: add it, with the hush packages it may import", path)
			continue
		}
		for _, imp := range pkgs[path].imports {
			if isHush(imp) && !slices.Contains(allow, imp) {
				t.Errorf("%s imports %s, which allowedImports does not allow it", path, imp)
			}
		}
	}
	for _, path := range slices.Sorted(maps.Keys(allowed)) {
		if _, ok := pkgs[path]; !ok {
			t.Errorf("allowedImports names %s, which is not a package of the module", path)
		}
	}
	for _, r := range depRules() {
		for _, path := range paths {
			if !binds(r, path) {
				continue
			}
			deps, how := pkgs[path].deps, "depends on"
			if r.direct {
				deps, how = pkgs[path].imports, "imports"
			}
			var bad []string
			for _, dep := range deps {
				if slices.ContainsFunc(r.deny, func(d string) bool { return under(dep, d) }) ||
					(r.only != nil && isHush(dep) && !slices.Contains(r.only, dep)) {
					bad = append(bad, dep)
				}
			}
			if len(bad) > 0 {
				t.Errorf("%s %s %s; rule: %s", path, how, strings.Join(bad, ", "), r.what)
			}
		}
	}
}

// binds reports whether rule r applies to the package path.
func binds(r depRule, path string) bool {
	in := func(patterns []string) bool {
		return slices.ContainsFunc(patterns, func(p string) bool {
			if tree, ok := strings.CutSuffix(p, "/..."); ok {
				return under(path, tree)
			}
			return path == p
		})
	}
	if r.pkgs == nil {
		return !in(r.except)
	}
	return in(r.pkgs) && !in(r.except)
}

// under reports whether path is the package p or one below it.
func under(path, p string) bool { return path == p || strings.HasPrefix(path, p+"/") }

func isHush(path string) bool { return under(path, "hush") }

// modulePackages lists the module's packages with their imports and dependencies.
// Go files under frontend/ (node_modules may bring some) are not Hush's packages.
func modulePackages(t *testing.T) map[string]goPackage {
	t.Helper()
	out, err := exec.CommandContext(t.Context(), "go", "list", "-f",
		"{{.ImportPath}}\t{{join .Imports \" \"}}\t{{join .Deps \" \"}}", "./...").Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("go list: %v\n%s", err, stderr)
	}
	pkgs := map[string]goPackage{}
	for line := range strings.Lines(strings.TrimSpace(string(out))) {
		f := strings.Split(strings.TrimSuffix(line, "\n"), "\t")
		if len(f) != 3 {
			t.Fatalf("go list: unexpected line %q", line)
		}
		if under(f[0], "hush/frontend") {
			continue
		}
		pkgs[f[0]] = goPackage{imports: strings.Fields(f[1]), deps: strings.Fields(f[2])}
	}
	if len(pkgs) < len(allowedImports())/2 {
		t.Fatalf("go list found only %d packages", len(pkgs))
	}
	return pkgs
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
