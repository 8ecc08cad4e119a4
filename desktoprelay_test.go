//go:build hush_omit_postgres && hush_omit_metrics

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

// The desktop binary is built with hush_omit_postgres and hush_omit_metrics
// (Makefile, DESKTOP_TAGS; docs/ARCHITECTURE.md, "What each binary links"). These
// tests run only in that build: `make test` runs them with its tags.

// TestDesktopBuildLinksNoServerLibraries fails if the tags stop keeping the
// PostgreSQL driver or the Prometheus client out of the desktop binary.
func TestDesktopBuildLinksNoServerLibraries(t *testing.T) {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		t.Fatal("no build information in the test binary")
	}
	if len(bi.Deps) == 0 {
		t.Fatal("build information lists no modules")
	}
	for _, d := range bi.Deps {
		for _, server := range []string{"github.com/jackc/", "github.com/prometheus/", "google.golang.org/protobuf"} {
			if strings.HasPrefix(d.Path, server) {
				t.Errorf("the desktop build links %s %s", d.Path, d.Version)
			}
		}
	}
}

// TestDesktopRelayRefusesServerFeatures: `hush relay` asked for what only
// hush-relay has says so, with usage's exit code 2, before it opens or creates
// anything.
func TestDesktopRelayRefusesServerFeatures(t *testing.T) {
	const pgURL = "postgres://hush:s3cret@127.0.0.1:1/hush"
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"postgres flag", []string{"relay", "--db", pgURL}, nil, "needs hush-relay, the server build"},
		{"postgresql scheme", []string{"relay", "--db", "postgresql://127.0.0.1:1/hush"}, nil, "needs hush-relay, the server build"},
		{"postgres from the environment", []string{"relay"}, map[string]string{"HUSH_RELAY_DB": pgURL}, "needs hush-relay, the server build"},
		{"metrics", []string{"relay", "--db", "relay.db", "--metrics-listen", "127.0.0.1:0"}, nil, "--metrics-listen: this build serves no metrics"},
		{"admin on postgres", []string{"relay", "admin", "--db", pgURL, "accounts"}, nil, "needs hush-relay, the server build"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			t.Chdir(dir)
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			var stdout, stderr bytes.Buffer
			if code := run(tc.args, &stdout, &stderr); code != 2 {
				t.Errorf("exit code %d, want 2; stderr:\n%s", code, stderr.String())
			}
			if !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("stderr does not say %q:\n%s", tc.want, stderr.String())
			}
			if strings.Contains(stderr.String(), "s3cret") {
				t.Errorf("stderr shows the database password:\n%s", stderr.String())
			}
			if strings.Contains(stdout.String(), "listening") {
				t.Errorf("the relay started:\n%s", stdout.String())
			}
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range entries {
				t.Errorf("the refused relay created %s", filepath.Join(dir, e.Name()))
			}
		})
	}
}
