package badge

import (
	"bufio"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// startBus starts a private session bus for the test and returns its address.
// It skips the test only if dbus-daemon is not installed (scripts/deps.sh test
// installs it, so CI runs this).
func startBus(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("dbus-daemon"); err != nil {
		t.Skip("dbus-daemon is not installed (Debian's dbus-daemon package)")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, "dbus-daemon", "--session", "--nofork", "--nopidfile", "--print-address=1",
		"--address=unix:dir="+t.TempDir())
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start dbus-daemon: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("read the bus address: %v", err)
	}
	return strings.TrimSpace(line)
}

// listen subscribes to the launcher API's Update signals on the bus at address,
// as a dock does.
func listen(t *testing.T, address string) <-chan *dbus.Signal {
	t.Helper()
	conn, err := dbus.Connect(address)
	if err != nil {
		t.Fatalf("connect the dock: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	if err := conn.AddMatchSignal(dbus.WithMatchInterface("com.canonical.Unity.LauncherEntry"), dbus.WithMatchMember("Update")); err != nil {
		t.Fatalf("subscribe: %v", err)
	}
	ch := make(chan *dbus.Signal, 8)
	conn.Signal(ch)
	return ch
}

// TestSetSignalsTheLauncherEntry checks the signal a dock receives: the desktop
// file's URI, the count, and count-visible false at 0 so the dock hides it.
func TestSetSignalsTheLauncherEntry(t *testing.T) {
	address := startBus(t)
	signals := listen(t, address)
	b := New(Options{BusAddress: address})
	t.Cleanup(func() { b.Close() })

	for _, tc := range []struct {
		count   int
		want    int64
		visible bool
	}{
		{count: 3, want: 3, visible: true},
		{count: 120, want: 120, visible: true}, // the dock writes it as it can; no "99+" here
		{count: 0, want: 0, visible: false},
		{count: -1, want: 0, visible: false},
	} {
		if err := b.Set(t.Context(), tc.count); err != nil {
			t.Fatalf("Set(%d): %v", tc.count, err)
		}
		var sig *dbus.Signal
		select {
		case sig = <-signals:
		case <-time.After(10 * time.Second):
			t.Fatalf("Set(%d): no signal on the bus", tc.count)
		}
		if sig.Name != "com.canonical.Unity.LauncherEntry.Update" {
			t.Fatalf("Set(%d): signal %q", tc.count, sig.Name)
		}
		if !strings.HasPrefix(string(sig.Path), "/com/canonical/unity/launcherentry/") || !sig.Path.IsValid() {
			t.Errorf("Set(%d): path %q", tc.count, sig.Path)
		}
		if len(sig.Body) != 2 {
			t.Fatalf("Set(%d): body %v, want (sa{sv})", tc.count, sig.Body)
		}
		if uri, _ := sig.Body[0].(string); uri != "application://hush.desktop" {
			t.Errorf("Set(%d): URI %v", tc.count, sig.Body[0])
		}
		props, ok := sig.Body[1].(map[string]dbus.Variant)
		if !ok {
			t.Fatalf("Set(%d): properties %T, want a{sv}", tc.count, sig.Body[1])
		}
		if got, ok := props["count"].Value().(int64); !ok || got != tc.want {
			t.Errorf("Set(%d): count %v (%s), want int64 %d", tc.count, props["count"].Value(), props["count"].Signature(), tc.want)
		}
		if got, ok := props["count-visible"].Value().(bool); !ok || got != tc.visible {
			t.Errorf("Set(%d): count-visible %v, want %v", tc.count, props["count-visible"].Value(), tc.visible)
		}
	}
}

// TestSetReconnects: a session bus restarted under a running Hush (the old
// connection dropped) gets the next count on a new connection.
func TestSetReconnects(t *testing.T) {
	address := startBus(t)
	signals := listen(t, address)
	b := New(Options{BusAddress: address, DesktopID: "other.desktop"})
	t.Cleanup(func() { b.Close() })
	if err := b.Set(t.Context(), 1); err != nil {
		t.Fatal(err)
	}
	<-signals
	b.p.conn.Close() // as if the bus had dropped it
	if err := b.Set(t.Context(), 2); err != nil {
		t.Fatalf("Set after the connection dropped: %v", err)
	}
	select {
	case sig := <-signals:
		if sig.Body[0] != "application://other.desktop" {
			t.Errorf("URI %v", sig.Body[0])
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no signal after reconnecting")
	}
}

// TestNoSessionBus: without a session bus (Xvfb, CI, a console) Set says the
// badge is unavailable, which the desktop logs at debug level, and starts no
// bus of its own.
func TestNoSessionBus(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir()) // no bus socket in it
	b := New(Options{})
	defer b.Close()
	if err := b.Set(t.Context(), 3); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Set without a bus = %v, want ErrUnavailable", err)
	}

	gone := "unix:path=" + filepath.Join(t.TempDir(), "bus") // named, but nobody listens
	b = New(Options{BusAddress: gone})
	defer b.Close()
	if err := b.Set(t.Context(), 3); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Set on a bus that is gone = %v, want ErrUnavailable", err)
	}
}

func TestSessionBusAddress(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		env  map[string]string
		want string
	}{
		{"named", map[string]string{"DBUS_SESSION_BUS_ADDRESS": "unix:path=/x", "XDG_RUNTIME_DIR": dir}, "unix:path=/x"},
		{"no socket in the runtime dir", map[string]string{"XDG_RUNTIME_DIR": dir}, ""},
		{"nothing", nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := sessionBusAddress(func(k string) string { return tc.env[k] }); got != tc.want {
				t.Errorf("sessionBusAddress = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestLauncherObjectPath is a known answer: libunity's path for Hush's URI
// (djb2, worked out apart from this code).
func TestLauncherObjectPath(t *testing.T) {
	const want = "/com/canonical/unity/launcherentry/3375717681"
	if p := launcherObjectPath("application://hush.desktop"); p != want || !p.IsValid() {
		t.Errorf("path %q, want %q", p, want)
	}
}
