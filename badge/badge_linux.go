package badge

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/godbus/dbus/v5"
)

// The Unity launcher API (Ubuntu's, now read by most docks): an application
// announces its count with an Update signal carrying its desktop file's URI and
// a dictionary of properties. Docks listen for the signal from any sender on any
// path; libunity's path is used all the same.
const (
	launcherSignal = "com.canonical.Unity.LauncherEntry.Update"
	launcherPath   = "/com/canonical/unity/launcherentry/"
	// Properties of the signal: the number, and whether the dock shows it.
	propCount        = "count"
	propCountVisible = "count-visible"
)

// platform holds the connection to the session bus, made on the first Set and
// made again when the bus went away.
type platform struct {
	mu   sync.Mutex
	conn *dbus.Conn
}

func (p *platform) set(ctx context.Context, opts Options, count int) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	uri := "application://" + opts.DesktopID
	props := map[string]dbus.Variant{
		propCount:        dbus.MakeVariant(int64(count)),
		propCountVisible: dbus.MakeVariant(count > 0),
	}
	// Once more on a fresh connection if the bus dropped the old one (a
	// restarted session bus).
	var err error
	for range 2 {
		if p.conn == nil {
			if p.conn, err = connect(ctx, opts.BusAddress); err != nil {
				return err
			}
		}
		err = p.conn.Emit(launcherObjectPath(uri), launcherSignal, uri, props)
		if err == nil {
			return nil
		}
		p.conn.Close()
		p.conn = nil
	}
	return fmt.Errorf("badge: send launcher entry: %w", err)
}

func (p *platform) close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conn == nil {
		return nil
	}
	err := p.conn.Close()
	p.conn = nil
	return err
}

// connect opens a connection to the bus at address, or to the session bus.
// Without a session bus (a bare X server, a CI machine, a console) it returns
// [ErrUnavailable]: unlike godbus's own lookup, it never starts a bus
// (dbus-launch) of its own.
func connect(ctx context.Context, address string) (*dbus.Conn, error) {
	if address == "" {
		address = sessionBusAddress(os.Getenv)
	}
	if address == "" {
		return nil, fmt.Errorf("no session bus: %w", ErrUnavailable)
	}
	conn, err := dbus.Connect(address, dbus.WithContext(ctx))
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("badge: connect to the session bus: %w", err)
		}
		// A bus named but gone (a stale address): no badge, as without one.
		return nil, fmt.Errorf("badge: connect to the session bus: %w (%w)", ErrUnavailable, err)
	}
	return conn, nil
}

// sessionBusAddress is the session bus the environment names
// (DBUS_SESSION_BUS_ADDRESS), else systemd's per-user bus if its socket exists,
// else "".
func sessionBusAddress(getenv func(string) string) string {
	if a := getenv("DBUS_SESSION_BUS_ADDRESS"); a != "" {
		return a
	}
	if dir := getenv("XDG_RUNTIME_DIR"); dir != "" {
		sock := filepath.Join(dir, "bus")
		if fi, err := os.Stat(sock); err == nil && fi.Mode().Type() == os.ModeSocket {
			return "unix:path=" + sock
		}
	}
	return ""
}

// launcherObjectPath is the path libunity signals from: its prefix and the
// djb2 hash of the application's URI (GLib's g_str_hash, for an ASCII URI).
func launcherObjectPath(uri string) dbus.ObjectPath {
	h := uint32(5381)
	for i := range len(uri) {
		h = h*33 + uint32(uri[i])
	}
	return dbus.ObjectPath(fmt.Sprintf("%s%d", launcherPath, h))
}
