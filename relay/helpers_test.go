package relay_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"hush/ids"
	"hush/policy"
	"hush/relay/relaytest"
	"hush/sync/wire"
)

// fakeClock is a manual clock: time moves only when a test calls Advance.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

type fakeTimer struct {
	at      time.Time
	f       func()
	stopped bool
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Unix(1700000000, 0)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) AfterFunc(d time.Duration, f func()) func() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{at: c.now.Add(d), f: f}
	c.timers = append(c.timers, t)
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		was := !t.stopped
		t.stopped = true
		return was
	}
}

// Advance moves time forward and fires the timers that are due.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	var due []func()
	keep := c.timers[:0]
	for _, t := range c.timers {
		switch {
		case t.stopped:
		case !t.at.After(c.now):
			t.stopped = true
			due = append(due, t.f)
		default:
			keep = append(keep, t)
		}
	}
	c.timers = keep
	c.mu.Unlock()
	for _, f := range due {
		go f()
	}
}

// Timers reports how many timers are pending.
func (c *fakeClock) Timers() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, t := range c.timers {
		if !t.stopped {
			n++
		}
	}
	return n
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

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
	id := ids.New[ids.Chat]()
	var members []wire.Member
	wrapped := []wire.WrappedKey{{AccountID: ownerDev.AccountID(), Envelope: []byte("key for owner")}}
	for _, o := range others {
		members = append(members, wire.Member{AccountID: o.AccountID(), Role: policy.RoleMember})
		wrapped = append(wrapped, wire.WrappedKey{AccountID: o.AccountID(), Envelope: []byte("key for " + o.AccountID().String())})
	}
	request[*wire.ChatInfo](t, owner, &wire.CreateChat{ChatID: id, Kind: kind, Members: members})
	request[*wire.OK](t, owner, &wire.PutEpoch{ChatID: id, Epoch: 1, Wrapped: wrapped})
	return id
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
