package relay_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"hush/internal/pgtest"
	"hush/internal/testutil"
	"hush/relay"
)

// syncBuffer is a bytes.Buffer safe for one writer and concurrent readers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestMainServesAndStops runs the command on each engine: a SQLite file by
// --db or by the --config file, a PostgreSQL URL by HUSH_RELAY_DB (a password in
// it is never logged).
func TestMainServesAndStops(t *testing.T) {
	tests := []struct {
		name string
		// args returns the command line and the start of the database as logged.
		args func(t *testing.T) ([]string, string)
	}{
		{"sqlite", func(t *testing.T) ([]string, string) {
			return []string{"--db", filepath.Join(t.TempDir(), "relay.db")}, "/"
		}},
		// Settings from a file: its db is used, its listen loses to the flag's.
		{"config file", func(t *testing.T) ([]string, string) {
			dir := t.TempDir()
			file, db := filepath.Join(dir, "relay.toml"), filepath.Join(dir, "from-file.db")
			if err := os.WriteFile(file, []byte("listen = \"127.0.0.1:1\"\ndb = \""+db+"\"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			return []string{"--config", file}, db
		}},
		{"postgres", func(t *testing.T) ([]string, string) {
			// The test cluster trusts loopback: the password is only there to be hidden.
			t.Setenv("HUSH_RELAY_DB", strings.Replace(pgtest.Database(t), "postgres@", "postgres:s3cret-pw@", 1))
			return nil, "postgres://postgres:xxxxx@127.0.0.1:"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args, logged := tt.args(t)
			testMainServesAndStops(t, args, logged)
		})
	}
}

func testMainServesAndStops(t *testing.T, args []string, logged string) {
	t.Setenv("HUSH_RELAY_LISTEN", "127.0.0.1:1") // overridden by the flag below
	t.Setenv("HUSH_RELAY_LOG_FORMAT", "json")
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	done := make(chan int)
	go func() {
		done <- relay.Main(ctx, append([]string{"--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0"}, args...), &stdout, &stderr)
	}()

	var url, metrics string
	testutil.Eventually(t, 10*time.Second, "the relay's URL on stdout", func() bool {
		out := stdout.String()
		for line := range strings.Lines(out) {
			if i := strings.Index(line, "ws://"); i >= 0 {
				url = strings.TrimSpace(line[i:])
			}
			if i := strings.Index(line, "http://"); i >= 0 {
				metrics = strings.TrimSpace(line[i:])
			}
		}
		return url != "" && metrics != "" && strings.HasSuffix(out, "\n")
	})
	resp, err := http.Get(metrics)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "hush_relay_connections 0") {
		t.Errorf("metrics: %d %v\n%s", resp.StatusCode, err, body)
	}
	health := "http://" + strings.TrimSuffix(strings.TrimPrefix(url, "ws://"), "/v1/ws") + "/healthz"
	resp, err = http.Get(health)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("healthz %d", resp.StatusCode)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("Main = %d after cancel; stderr:\n%s", code, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Main did not stop")
	}
	if !strings.Contains(stderr.String(), `"msg":"relay stopped"`) {
		t.Errorf("HUSH_RELAY_LOG_FORMAT=json not applied; stderr:\n%s", stderr.String())
	}
	if !strings.Contains(stderr.String(), `"db":"`+logged) {
		t.Errorf("the relay did not log its database as %s…; stderr:\n%s", logged, stderr.String())
	}
	if strings.Contains(stderr.String(), "s3cret-pw") {
		t.Errorf("the database password is in the log:\n%s", stderr.String())
	}
}

func TestMainUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"unknown flag", []string{"--bogus"}, nil, "flag provided but not defined"},
		{"extra argument", []string{"serve"}, nil, `unexpected argument "serve"`},
		{"bad env", nil, map[string]string{"HUSH_RELAY_RATE": "fast"}, "HUSH_RELAY_RATE"},
		{"bad log level", []string{"--log-level", "loud"}, nil, "log level"},
		{"tls half", []string{"--tls-cert", "c.pem"}, nil, "--tls-cert and --tls-key"},
		{"public listen without public URL", []string{"--listen", "0.0.0.0:443"}, nil, "--listen 0.0.0.0:443 is not a loopback address, so --public-url is required"},
		{"every interface without public URL", []string{"--listen", ":8443"}, nil, "--public-url is required"},
		{"public URL from env, plain ws", nil, map[string]string{"HUSH_RELAY_PUBLIC_URL": "ws://relay.example.org"}, "use wss://relay.example.org"},
		{"public URL not a URL", []string{"--public-url", "relay.example.org"}, nil, "--public-url"},
		{"trusted proxy not a CIDR", []string{"--trusted-proxy", "127.0.0.1"}, nil, `--trusted-proxy "127.0.0.1"`},
		{"retired --public-host", []string{"-public-host=relay.example.org"}, nil, "-public-host was replaced by --public-url"},
		{"retired HUSH_RELAY_PUBLIC_HOST", nil, map[string]string{"HUSH_RELAY_PUBLIC_HOST": "relay.example.org"}, "HUSH_RELAY_PUBLIC_HOST was replaced by --public-url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			var stdout, stderr bytes.Buffer
			if code := relay.Main(context.Background(), tt.args, &stdout, &stderr); code != 2 {
				t.Errorf("Main = %d, want 2", code)
			}
			if !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("stderr %q does not mention %q", stderr.String(), tt.want)
			}
		})
	}
	// A config file naming no setting is bad usage.
	bad := filepath.Join(t.TempDir(), "relay.toml")
	if err := os.WriteFile(bad, []byte("listne = \"127.0.0.1:1\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if code := relay.Main(context.Background(), []string{"--config", bad}, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), `"listne" is not a setting`) {
		t.Errorf("Main with a misspelt setting = %d, %q", code, errOut.String())
	}
	// A database it cannot open is a runtime failure.
	var stdout, stderr bytes.Buffer
	if code := relay.Main(context.Background(), []string{"--listen", "127.0.0.1:0", "--db", filepath.Join(t.TempDir(), "no", "such", "dir", "r.db")}, &stdout, &stderr); code != 1 {
		t.Errorf("Main with an impossible database = %d, want 1", code)
	}
}
