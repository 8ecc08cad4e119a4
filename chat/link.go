package chat

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"hush/sync/relayclient"
	"hush/sync/wire"
)

// requestTimeout bounds one request to the relay.
const requestTimeout = 30 * time.Second

// link is the engine's connection to its relay. It owns the relay client, knows the
// link's state, and carries the requests of every other part; its lock guards the
// client and the state, nothing else. A malformed address never reaches it: the
// engine checks addresses before connecting.
type link struct {
	cfg relayclient.Config // the client's configuration but for the URL and OnStatus
	// changed is called after every change of state, outside the lock, so the
	// engine can report the connection.
	changed func()

	mu     sync.Mutex
	rc     *relayclient.Client
	url    string
	status relayclient.Status
	closed bool
}

// newLink returns a link that will connect to cfg.URL with cfg (its OnStatus is
// the link's own). changed is called after every change of state.
func newLink(cfg relayclient.Config, changed func()) *link {
	return &link{
		cfg:     cfg,
		changed: changed,
		url:     cfg.URL,
		status:  relayclient.Status{State: relayclient.StateConnecting, URL: cfg.URL},
	}
}

// currentURL is the relay address the link uses.
func (l *link) currentURL() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.url
}

// connect starts a relay client for the link's address. It returns at once; the
// client dials, authenticates and reconnects on its own goroutines.
func (l *link) connect() error {
	l.mu.Lock()
	url := l.url
	l.mu.Unlock()
	// Status reports of a client that was replaced (setRelay) are ignored; self is
	// set before Run, so before the first report.
	var self *relayclient.Client
	cfg := l.cfg
	cfg.URL = url
	cfg.OnStatus = func(s relayclient.Status) { l.onStatus(self, s) }
	rc, err := relayclient.New(cfg)
	if err != nil {
		return fmt.Errorf("chat: %w", err)
	}
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		rc.Close()
		return ErrClosed
	}
	self = rc
	l.rc = rc
	l.url = rc.URL()
	l.mu.Unlock()
	rc.Run()
	return nil
}

// close disconnects for good; it returns once the client's goroutines are gone.
func (l *link) close() {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return
	}
	l.closed = true
	rc := l.rc
	l.rc = nil
	l.mu.Unlock()
	if rc != nil {
		rc.Close() // not under l.mu: its goroutines report status through onStatus
	}
}

// setRelay switches to another (checked, canonical) address and reconnects.
func (l *link) setRelay(url string) error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return ErrClosed
	}
	old := l.rc
	l.rc = nil
	l.url = url
	l.status = relayclient.Status{State: relayclient.StateConnecting, URL: url}
	l.mu.Unlock()
	if old != nil {
		old.Close()
	}
	return l.connect()
}

// retry reconnects now instead of waiting for the backoff.
func (l *link) retry() {
	if rc := l.client(); rc != nil {
		rc.Retry()
	}
}

func (l *link) onStatus(from *relayclient.Client, s relayclient.Status) {
	l.mu.Lock()
	if l.closed || from != l.rc {
		l.mu.Unlock()
		return
	}
	l.status = s
	l.mu.Unlock()
	l.changed()
}

// state returns the link's state and address.
func (l *link) state() (relayclient.Status, string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.status, l.url
}

// client returns the current relay client, or nil once closed.
func (l *link) client() *relayclient.Client {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.rc
}

// do sends one request with the engine's timeout; a relay error comes back wrapped
// in the package's sentinel for it.
func (l *link) do(ctx context.Context, req wire.Body) (wire.Body, error) {
	rc := l.client()
	if rc == nil {
		return nil, ErrClosed
	}
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	resp, err := rc.Do(ctx, req)
	if err != nil {
		return nil, relayError(err)
	}
	return resp, nil
}

// doAs sends a request and checks the response's type.
func doAs[T wire.Body](ctx context.Context, l *link, req wire.Body) (T, error) {
	var zero T
	resp, err := l.do(ctx, req)
	if err != nil {
		return zero, err
	}
	t, ok := resp.(T)
	if !ok {
		return zero, fmt.Errorf("chat: the relay answered %v with %v", req.Type(), resp.Type())
	}
	return t, nil
}

// signal sends a request that has no answer and is worth nothing later (typing);
// offline it does nothing.
func (l *link) signal(ctx context.Context, body wire.Body) error {
	rc := l.client()
	if rc == nil {
		return ErrClosed
	}
	err := rc.Notify(ctx, body)
	if errors.Is(err, relayclient.ErrOffline) || errors.Is(err, relayclient.ErrConnectionLost) {
		return nil
	}
	return err
}
