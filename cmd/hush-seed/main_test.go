package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRunRefusesBadArguments(t *testing.T) {
	dir := t.TempDir()
	pass := filepath.Join(dir, "pass")
	if err := os.WriteFile(pass, []byte("a passphrase of some length\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no data dir", []string{"--passphrase-file", pass}, "required"},
		{"no passphrase", []string{"--data-dir", filepath.Join(dir, "d")}, "required"},
		{"missing passphrase file", []string{"--data-dir", filepath.Join(dir, "d"), "--passphrase-file", filepath.Join(dir, "none")}, "no such file"},
		{"unknown flag", []string{"--bogus"}, "not defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := run(tt.args)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("run(%q) = %v, want an error containing %q", tt.args, err, tt.want)
			}
		})
	}
}
