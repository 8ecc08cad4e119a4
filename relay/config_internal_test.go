package relay

import (
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeConfig writes a config file into a fresh directory and returns its path.
func writeConfig(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "relay.toml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// parseSettings defines the relay's flags, parses args and applies env and the
// config file, as Main does.
func parseSettings(t *testing.T, args []string, env map[string]string) (*flag.FlagSet, error) {
	t.Helper()
	fs := flag.NewFlagSet("hush-relay", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	defineFlags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return fs, applySettings(fs, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
}

// TestSettingsPrecedence holds the order: a flag wins over the environment, which
// wins over the file, which wins over the default.
func TestSettingsPrecedence(t *testing.T) {
	file := writeConfig(t, `
listen = "127.0.0.1:9001"
rate = 50
burst = 60
quota-mb = 7
trusted-proxy = ["127.0.0.1/32", "10.0.0.0/8"]
inbox-retention = "48h"
`)
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want map[string]string
	}{
		{"file over defaults", []string{"--config", file}, nil, map[string]string{
			"listen": "127.0.0.1:9001", "rate": "50", "quota-mb": "7", "trusted-proxy": "127.0.0.1/32,10.0.0.0/8",
			"inbox-retention": "48h0m0s", "log-format": "text",
		}},
		{"environment over file", []string{"--config", file}, map[string]string{"HUSH_RELAY_RATE": "75"}, map[string]string{
			"rate": "75", "burst": "60",
		}},
		{"flag over environment and file", []string{"--config", file, "--rate", "99"}, map[string]string{"HUSH_RELAY_RATE": "75"}, map[string]string{
			"rate": "99", "listen": "127.0.0.1:9001",
		}},
		{"file named by the environment", nil, map[string]string{"HUSH_RELAY_CONFIG": file}, map[string]string{
			"listen": "127.0.0.1:9001",
		}},
		{"no file", nil, nil, map[string]string{"listen": DefaultListen, "inbox-retention": "720h0m0s"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs, err := parseSettings(t, tt.args, tt.env)
			if err != nil {
				t.Fatal(err)
			}
			for k, want := range tt.want {
				if got := fs.Lookup(k).Value.String(); got != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
		})
	}
}

func TestConfigFileRefused(t *testing.T) {
	tests := []struct {
		name, text, want string
	}{
		{"unknown key", `listne = "127.0.0.1:1"`, `"listne" is not a setting`},
		{"config in config", `config = "other.toml"`, `"config" is not a setting`},
		{"not TOML", `listen = `, "relay.toml"},
		{"a table", `listen = { host = "127.0.0.1" }`, "is no setting's value"},
		{"array of numbers", `trusted-proxy = [1, 2]`, "strings only"},
		{"bad value", `rate = "fast"`, `rate = "fast"`},
		{"bad duration", `inbox-retention = 30`, `inbox-retention = "30"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseSettings(t, []string{"--config", writeConfig(t, tt.text)}, nil)
			if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want ErrConfig mentioning %q", err, tt.want)
			}
		})
	}
	if _, err := parseSettings(t, []string{"--config", filepath.Join(t.TempDir(), "none.toml")}, nil); !errors.Is(err, ErrConfig) || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: err = %v", err)
	}
}

// settingsBegin and settingsEnd enclose the generated table in docs/RELAY.md.
const (
	settingsBegin = "<!-- settings: generated from the flags by TestSettingsTableInDocs; HUSH_UPDATE_DOCS=1 go test ./relay -run TestSettingsTableInDocs rewrites it -->\n"
	settingsEnd   = "<!-- end of settings -->\n"
)

// TestSettingsTableInDocs fails when docs/RELAY.md's table of settings differs
// from the flags; HUSH_UPDATE_DOCS=1 rewrites it.
func TestSettingsTableInDocs(t *testing.T) {
	fs := flag.NewFlagSet("hush-relay", flag.ContinueOnError)
	defineFlags(fs)
	want := settingsTable(fs)
	path := filepath.Join("..", "docs", "RELAY.md")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	i, j := strings.Index(doc, settingsBegin), strings.Index(doc, settingsEnd)
	if i < 0 || j < i {
		t.Fatalf("%s has no settings table between %q and %q", path, settingsBegin, settingsEnd)
	}
	got := doc[i+len(settingsBegin) : j]
	if got == want {
		return
	}
	if os.Getenv("HUSH_UPDATE_DOCS") == "1" {
		if err := os.WriteFile(path, []byte(doc[:i+len(settingsBegin)]+want+doc[j:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("the settings table in %s is out of date (HUSH_UPDATE_DOCS=1 go test ./relay -run TestSettingsTableInDocs); want:\n%s", path, want)
}

// TestSampleConfig keeps build/hush-relay.toml a file the relay accepts.
func TestSampleConfig(t *testing.T) {
	fs, err := parseSettings(t, []string{"--config", filepath.Join("..", "build", "hush-relay.toml")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := fs.Lookup("public-url").Value.String(); got != "wss://relay.example.org" {
		t.Errorf("public-url = %q", got)
	}
}

// TestQuotaSetting: --quota-mb takes whole and fractional MiB (a test relay's quota
// of a few KiB) and refuses what is no positive size, rather than falling back to
// the default quota.
func TestQuotaSetting(t *testing.T) {
	tests := []struct {
		value string
		bytes int64 // 0: refused
	}{
		{"1024", 1 << 30},
		{"0.5", 512 << 10},
		{"0.01", 10485},
		{"1e-9", 1},
		{"1048576", 1 << 40},
		{"0", 0},
		{"-1", 0},
		{"NaN", 0},
		{"Inf", 0},
		{"2e9", 0},
		{"a lot", 0},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			fs := flag.NewFlagSet("hush-relay", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			set := defineFlags(fs)
			err := fs.Parse([]string{"--quota-mb", tt.value})
			if tt.bytes == 0 {
				if err == nil {
					t.Fatalf("--quota-mb %s accepted: %d bytes", tt.value, set.limits().QuotaBytes)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := set.limits().QuotaBytes; got != tt.bytes {
				t.Errorf("--quota-mb %s = %d bytes, want %d", tt.value, got, tt.bytes)
			}
		})
	}
	// From the file, a TOML float.
	fs, err := parseSettings(t, []string{"--config", writeConfig(t, "quota-mb = 0.25\n")}, nil)
	if err != nil || fs.Lookup("quota-mb").Value.String() != "0.25" {
		t.Errorf("quota-mb = 0.25 in the file: %v, %v", fs.Lookup("quota-mb").Value, err)
	}
}
