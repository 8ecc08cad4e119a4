package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"hush/datadir"
)

// TestCommandLine runs the command line as a user would and checks what it says.
func TestCommandLine(t *testing.T) {
	tmp := t.TempDir()
	file := filepath.Join(tmp, "a-file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"version", []string{"version"}, 0, "hush " + version + " (commit ", ""},
		{"version names Go", []string{"version"}, 0, runtime.Version(), ""},
		{"help", []string{"help"}, 0, "hush --web 127.0.0.1:PORT", ""},
		{"--help", []string{"--help"}, 0, "Usage:", ""},
		{"-h", []string{"-h"}, 0, "Usage:", ""},
		{"relay help", []string{"relay", "--help"}, 0, "", "-listen address"},
		{"relay bad flag", []string{"relay", "--frobnicate"}, 2, "", "flag provided but not defined"},
		{"malformed relay", []string{"--relay", "ftp://x", "--web", "127.0.0.1:0"}, 2, "", "--relay"},
		{"unknown flag", []string{"--frobnicate"}, 2, "", "flag provided but not defined"},
		{"unknown command", []string{"frobnicate"}, 2, "", `unknown command "frobnicate"`},
		{"bad log level", []string{"--log-level", "loud"}, 2, "", "bad --log-level"},
		{"web on a public address", []string{"--data-dir", filepath.Join(tmp, "d1"), "--web", "0.0.0.0:0"}, 1, "", "loopback"},
		{"data dir is a file", []string{"--data-dir", file, "--web", "127.0.0.1:0"}, 1, "", file},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(tt.args, &out, &errb)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, out.String(), errb.String())
			}
			if !strings.Contains(out.String(), tt.stdout) {
				t.Errorf("stdout %q does not contain %q", out.String(), tt.stdout)
			}
			if !strings.Contains(errb.String(), tt.stderr) {
				t.Errorf("stderr %q does not contain %q", errb.String(), tt.stderr)
			}
		})
	}
}

// TestSecondInstanceRefused: while another process holds the data directory, browser
// mode refuses to start and says why.
func TestSecondInstanceRefused(t *testing.T) {
	dir := t.TempDir()
	lock, err := datadir.Acquire(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Release()
	var out, errb bytes.Buffer
	if code := run([]string{"--data-dir", dir, "--web", "127.0.0.1:0"}, &out, &errb); code != 1 {
		t.Fatalf("exit %d, want 1; stderr %s", code, errb.String())
	}
	if !strings.Contains(errb.String(), "already") || !strings.Contains(errb.String(), dir) {
		t.Fatalf("stderr %q should say another Hush uses %s", errb.String(), dir)
	}
}

// Only the window gets a message box for a start-up error; commands and browser
// mode have a terminal or a caller that reads stderr.
func TestOpensWindow(t *testing.T) {
	cases := map[string]bool{
		"":                               true,
		"--data-dir /media/usb/x":        true,
		"--log-level debug":              true,
		"--web 127.0.0.1:0":              false,
		"--web=127.0.0.1:0":              false,
		"--data-dir d --web 127.0.0.1:0": false,
		"relay --listen :1":              false,
		"backup export --out f":          false,
		"version":                        false,
	}
	for args, want := range cases {
		if got := opensWindow(strings.Fields(args)); got != want {
			t.Errorf("opensWindow(%q) = %v, want %v", args, got, want)
		}
	}
}

// The message box shows run's own error line, not the log lines around it.
func TestLastErrorKeepsRunsMessage(t *testing.T) {
	var e lastError
	fmt.Fprintf(&e, "time=x level=INFO msg=starting\n")
	fmt.Fprintf(&e, "hush: portable data folder is not writable: /m/hush-data: the drive is read-only\n")
	fmt.Fprintf(&e, "time=y level=DEBUG msg=after\n")
	if want := "portable data folder is not writable: /m/hush-data: the drive is read-only"; e.msg != want {
		t.Fatalf("msg = %q, want %q", e.msg, want)
	}
}
