//go:build linux

package main

import (
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// A program opened from a link gets the environment Hush was started with, not
// what Hush set for itself: a browser started this way would otherwise run
// without its JIT, or, from a portable Hush, keep its profile on the stick.
func TestLinkOpenerGivesTheHostEnvironment(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "seen")
	script := filepath.Join(dir, "fake-xdg-open")
	body := "#!/bin/sh\n{ printf 'arg=%s\\n' \"$@\"; env; } > " + out + ".tmp && mv " + out + ".tmp " + out + "\n"
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	host := []string{"PATH=" + os.Getenv("PATH"), "XDG_CONFIG_HOME=/home/ada/.config", "GDK_GL=gles"}
	// What a portable Hush sets for itself, in this test process's environment:
	t.Setenv("JSC_useJIT", "0")
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "hush-data", "webview", "config"))

	o := newLinkOpener(t.Context(), slog.New(slog.DiscardHandler), host)
	o.command = script
	link := "https://example.com/a?b=1&c=2#d"
	if err := o.OpenLink(link); err != nil {
		t.Fatal(err)
	}
	var seen []byte
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		var err error
		if seen, err = os.ReadFile(out); err == nil {
			break
		}
	}
	lines := strings.Split(strings.TrimSpace(string(seen)), "\n")
	if len(lines) == 0 || lines[0] != "arg="+link {
		t.Fatalf("the opener got %q, want the link as its one argument", lines)
	}
	for _, kv := range host[1:] {
		if !slices.Contains(lines, kv) {
			t.Errorf("%s did not reach the opened program", kv)
		}
	}
	for _, line := range lines {
		if strings.HasPrefix(line, "JSC_useJIT=") || strings.Contains(line, "hush-data") {
			t.Errorf("%s reached the opened program", line)
		}
	}
}
