package relay_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"hush/clock"
	"hush/ids"
	"hush/internal/pgtest"
	"hush/internal/testutil"
	"hush/membership"
	"hush/policy"
	"hush/relay/relaytest"
	"hush/sync/wire"
)

// fakeClock returns a manual clock for a relay: time moves only when a test calls
// Advance, which runs the timers that came due.
func fakeClock() *clock.Fake { return clock.NewFake(time.Unix(1700000000, 0)) }

func testCtx(t *testing.T) context.Context { return testutil.Context(t, 30*time.Second) }

// request sends body and requires a response of type T.
func request[T wire.Body](t *testing.T, c *relaytest.Conn, body wire.Body) T {
	t.Helper()
	resp, err := c.Request(testCtx(t), body)
	if err != nil {
		t.Fatalf("%v: %v", body.Type(), err)
	}
	r, ok := resp.(T)
	if !ok {
		t.Fatalf("%v: got %v", body.Type(), resp.Type())
	}
	return r
}

// requestErr sends body and requires an error with code.
func requestErr(t *testing.T, c *relaytest.Conn, body wire.Body, code wire.Code) *wire.Error {
	t.Helper()
	resp, err := c.Request(testCtx(t), body)
	var we *wire.Error
	if !errors.As(err, &we) {
		if err == nil {
			t.Fatalf("%v: got %v, want error %v", body.Type(), resp.Type(), code)
		}
		t.Fatalf("%v: err = %v, want a wire error %v", body.Type(), err, code)
	}
	if we.Code != code {
		t.Fatalf("%v: error %v, want %v", body.Type(), we, code)
	}
	return we
}

// nextPush waits for the next push of type T, failing on any other.
func nextPush[T wire.Body](t *testing.T, c *relaytest.Conn) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	f, err := c.NextPush(ctx)
	if err != nil {
		t.Fatalf("waiting for a push: %v", err)
	}
	p, ok := f.Body.(T)
	if !ok {
		t.Fatalf("push: got %v (%+v)", f.Type, f.Body)
	}
	return p
}

// noPush requires that no push arrives within a short while.
func noPush(t *testing.T, c *relaytest.Conn) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	if f, err := c.NextPush(ctx); err == nil {
		t.Fatalf("unexpected push %v: %+v", f.Type, f.Body)
	}
}

// chatWith creates a chat of kind owned by owner with the other devices' accounts as
// members, and puts epoch 1.
func chatWith(t *testing.T, owner *relaytest.Conn, kind policy.ChatKind, ownerDev *relaytest.Device, others ...*relaytest.Device) ids.Chat {
	t.Helper()
	return logWith(t, owner, kind, ownerDev, others...).ID()
}

// logWith is chatWith, returning the chat's membership log so the test can go on
// changing it.
func logWith(t *testing.T, owner *relaytest.Conn, kind policy.ChatKind, ownerDev *relaytest.Device, others ...*relaytest.Device) *relaytest.ChatLog {
	t.Helper()
	var members []membership.Member
	for _, o := range others {
		members = append(members, relaytest.Member(o, policy.RoleMember))
	}
	l, create := relaytest.NewChat(t, ownerDev, kind, "", members...)
	request[*wire.ChatInfo](t, owner, create)
	request[*wire.OK](t, owner, epochFor(l, 1, append([]*relaytest.Device{ownerDev}, others...)...))
	return l
}

// epochFor is the PutEpoch of epoch for the log as it stands, with a stand-in
// envelope for each listed account.
func epochFor(l *relaytest.ChatLog, epoch uint64, ds ...*relaytest.Device) *wire.PutEpoch {
	p := &wire.PutEpoch{ChatID: l.ID(), Epoch: epoch, LogLen: l.Len()}
	for _, d := range ds {
		p.Wrapped = append(p.Wrapped, wire.WrappedKey{AccountID: d.AccountID(), Envelope: []byte("key for " + d.AccountID().String())})
	}
	return p
}

// drain discards pushes until none has come for a while.
func drain(c *relaytest.Conn) {
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		_, err := c.NextPush(ctx)
		cancel()
		if err != nil {
			return
		}
	}
}

// originOf returns the origin devices sign for the test relay r (dialled as r.URL).
func originOf(t testing.TB, r *relaytest.Relay) wire.Origin {
	t.Helper()
	o, err := wire.ParseOrigin(r.URL)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// eachEngine runs test once per store engine, as subtests "sqlite" and
// "postgres", with the options of a relay on a fresh store and that store's --db.
func eachEngine(t *testing.T, test func(t *testing.T, o relaytest.Options, db string)) {
	t.Run("sqlite", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "relay.db")
		test(t, relaytest.Options{DBPath: path}, path)
	})
	t.Run("postgres", func(t *testing.T) {
		dsn := pgtest.Database(t)
		test(t, relaytest.Options{Postgres: dsn}, dsn)
	})
}
