// Package relaytest starts a real relay in-process on loopback, with a temporary
// SQLite store, for tests of anything that talks to a relay; and provides test
// identities ([NewAccount]) and a minimal protocol client ([Dial]) to drive it.
//
// It is the real server, not a fake: a client tested against it speaks the real
// protocol to the real commit loop and store.
//
//	r := relaytest.Start(t, nil)
//	alice := relaytest.NewAccount(t)
//	c := relaytest.Dial(t, r, alice)
//	resp, err := c.Request(ctx, &wire.LookupHandle{Handle: "bob"})
package relaytest

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"hush/clock"
	"hush/relay"
	"hush/relay/store"
	"hush/sync/wire"
)

// Options configure [Start]; the zero value (or nil) is a fresh relay with default
// limits on 127.0.0.1 and a random port.
type Options struct {
	// Addr is the address to listen on; default "127.0.0.1:0".
	Addr string
	// DBPath is the database file; default a file in t.TempDir(). Reuse one to
	// restart a relay on the same state.
	DBPath string
	// Postgres, if set, is the URL of a PostgreSQL database the relay uses instead
	// of a file (internal/pgtest makes one per test). Relays started on one URL
	// share it, as several relays of one service do (docs/RELAY.md).
	Postgres string
	Limits   relay.Limits
	Clock    clock.Clock  // default: the system clock
	Logger   *slog.Logger // default: discard
	// PublicURL is the relay's public address (relay.Config.PublicURL); default
	// none: the relay accepts its loopback origins.
	PublicURL string
	// InboxRetention is relay.Config.InboxRetention; default 0, items are kept
	// until acknowledged.
	InboxRetention time.Duration
	// Blobs is relay.Config.Blobs; its Store defaults to the one that goes with
	// the database (relay.OpenBlobStore).
	Blobs relay.BlobConfig
}

// Relay is a relay serving on loopback. Stop it with [Relay.Stop]; the test's
// cleanup stops it too.
type Relay struct {
	// URL is the WebSocket URL devices dial: ws://127.0.0.1:PORT/v1/ws.
	URL string
	// Addr is the listening address, 127.0.0.1:PORT.
	Addr   string
	DBPath string
	Server *relay.Server
	Store  Store

	opts       Options
	closeBlobs func() error
	served     chan error
	stopOnce   sync.Once
	stopError  error
}

// Store is the relay's store: SQLite, or PostgreSQL with [Options.Postgres].
type Store interface {
	relay.Store
	Close() error
}

// Start starts a relay, failing the test if it cannot.
func Start(t testing.TB, opts *Options) *Relay {
	t.Helper()
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Addr == "" {
		o.Addr = "127.0.0.1:0"
	}
	if o.DBPath == "" && o.Postgres == "" {
		o.DBPath = filepath.Join(t.TempDir(), "relay.db")
	}
	r, err := start(o)
	if err != nil {
		t.Fatalf("relaytest: %v", err)
	}
	t.Cleanup(func() {
		if err := r.Stop(); err != nil {
			t.Errorf("relaytest: stop: %v", err)
		}
	})
	return r
}

func start(o Options) (*Relay, error) {
	ctx := context.Background()
	var st Store
	var err error
	if o.Postgres != "" {
		st, err = openPostgres(ctx, o.Postgres, o.Logger)
	} else {
		st, err = store.Open(ctx, o.DBPath, o.Logger)
	}
	if err != nil {
		return nil, err
	}
	blobs := o.Blobs
	closeBlobs := func() error { return nil }
	if blobs.Store == nil {
		if blobs.Store, closeBlobs, err = relay.OpenBlobStore(st, o.DBPath); err != nil {
			st.Close()
			return nil, err
		}
	}
	srv, err := relay.New(relay.Config{Store: st, Limits: o.Limits, Clock: o.Clock, Logger: o.Logger, PublicURL: o.PublicURL, InboxRetention: o.InboxRetention, Blobs: blobs})
	if err != nil {
		closeBlobs()
		st.Close()
		return nil, err
	}
	var ln net.Listener
	// A restart on the same port may race the old socket's teardown; retry briefly.
	for i := 0; ; i++ {
		ln, err = net.Listen("tcp", o.Addr)
		if err == nil || i == 50 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		srv.Shutdown(ctx)
		closeBlobs()
		st.Close()
		return nil, err
	}
	r := &Relay{
		URL:        "ws://" + ln.Addr().String() + wire.Path,
		Addr:       ln.Addr().String(),
		DBPath:     o.DBPath,
		Server:     srv,
		Store:      st,
		opts:       o,
		closeBlobs: closeBlobs,
		served:     make(chan error, 1),
	}
	go func() { r.served <- srv.Serve(ln) }()
	return r, nil
}

// Stop shuts the relay down gracefully (every write it read is committed and
// acknowledged) and closes its store. Calling it again does nothing.
func (r *Relay) Stop() error {
	r.stopOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		err := r.Server.Shutdown(ctx)
		if serr := <-r.served; !errors.Is(serr, relay.ErrServerClosed) {
			err = errors.Join(err, serr)
		}
		r.stopError = errors.Join(err, r.closeBlobs(), r.Store.Close())
	})
	return r.stopError
}

// Restart stops the relay and starts a new one on the same address and database,
// as after a reboot. The returned relay replaces r.
func (r *Relay) Restart(t testing.TB) *Relay {
	t.Helper()
	if err := r.Stop(); err != nil {
		t.Fatalf("relaytest: restart: %v", err)
	}
	o := r.opts
	o.Addr = r.Addr
	nr, err := start(o)
	if err != nil {
		t.Fatalf("relaytest: restart: %v", err)
	}
	t.Cleanup(func() {
		if err := nr.Stop(); err != nil {
			t.Errorf("relaytest: stop: %v", err)
		}
	})
	return nr
}
