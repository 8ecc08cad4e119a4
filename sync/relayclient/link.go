package relayclient

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"

	"hush/ids"
	"hush/sync/wire"
	"hush/sync/wireconn"
)

// ErrLinkClosed reports that a link session ended: the other device left, the
// session expired, or the connection dropped.
var ErrLinkClosed = errors.New("relayclient: the link session ended")

// LinkConn is the connection of a device that belongs to no account yet, linking
// itself to one (docs/PROTOCOL.md, "Linking a device"): it opened a link session
// instead of authenticating and can only exchange link messages. One goroutine
// calls [LinkConn.Send] and [LinkConn.Next] at a time.
type LinkConn struct {
	wc      *wireconn.Conn
	session ids.LinkSession
	nextReq uint64

	answers chan wire.Frame // responses to Send
	pushes  chan []byte     // LinkPush payloads, in order
	done    chan struct{}   // closed when the read loop ends
	mu      sync.Mutex
	err     error // why the read loop ended
}

// linkQueue is how many link messages may wait unread: a session carries four.
const linkQueue = 16

// OpenLink dials the relay at rawURL and opens link session id with the device's
// one-time link key pub. hc nil means http.DefaultClient.
func OpenLink(ctx context.Context, rawURL string, hc *http.Client, id ids.LinkSession, pub []byte) (*LinkConn, error) {
	u, err := dialURL(rawURL)
	if err != nil {
		return nil, err
	}
	wc, err := wireconn.Dial(ctx, u, &wireconn.Options{HTTPClient: hc})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnreachable, err)
	}
	if _, err := wc.ReadHello(ctx); err != nil {
		wc.CloseNow()
		return nil, classify(err)
	}
	b, err := wire.Encode(1, &wire.LinkOpen{Session: id, PublicKey: pub})
	if err != nil {
		wc.CloseNow()
		return nil, err
	}
	if err := wc.Write(ctx, b); err != nil {
		wc.CloseNow()
		return nil, fmt.Errorf("%w: %w", ErrUnreachable, err)
	}
	f, err := wc.ReadFrame(ctx, nil)
	if err != nil {
		wc.CloseNow()
		return nil, fmt.Errorf("%w: %w", ErrUnreachable, err)
	}
	switch body := f.Body.(type) {
	case *wire.OK:
	case *wire.Error:
		wc.CloseNow()
		return nil, fmt.Errorf("%w: %w", ErrRefused, body)
	default:
		wc.CloseNow()
		return nil, fmt.Errorf("%w: the relay answered LinkOpen with %v", ErrUnreachable, f.Type)
	}
	l := &LinkConn{
		wc: wc, session: id, nextReq: 1,
		answers: make(chan wire.Frame, 1), pushes: make(chan []byte, linkQueue), done: make(chan struct{}),
	}
	go l.read()
	return l, nil
}

// dialURL is the WebSocket URL of a relay given by its base URL.
func dialURL(rawURL string) (string, error) {
	u, err := ParseURL(rawURL)
	if err != nil {
		return "", err
	}
	return u.String() + wire.Path, nil
}

func (l *LinkConn) read() {
	defer close(l.done)
	var buf bytes.Buffer
	for {
		f, err := l.wc.ReadFrame(context.Background(), &buf)
		if err != nil {
			l.fail(err)
			return
		}
		switch b := f.Body.(type) {
		case *wire.LinkPush:
			if b.Session != l.session {
				continue
			}
			select {
			case l.pushes <- bytes.Clone(b.Payload):
			default:
				l.fail(errors.New("too many link messages unread"))
				return
			}
		case *wire.LinkClosed:
			l.fail(ErrLinkClosed)
			return
		default:
			if f.ReqID == 0 {
				continue // a push of no concern here
			}
			select {
			case l.answers <- f:
			default:
			}
		}
	}
}

func (l *LinkConn) fail(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err == nil {
		l.err = err
	}
	l.wc.CloseNow()
}

func (l *LinkConn) cause() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if errors.Is(l.err, ErrLinkClosed) {
		return ErrLinkClosed
	}
	return fmt.Errorf("%w: %w", ErrLinkClosed, l.err)
}

// Send passes payload to the other end and waits for the relay's acceptance.
func (l *LinkConn) Send(ctx context.Context, payload []byte) error {
	l.nextReq++
	b, err := wire.Encode(l.nextReq, &wire.LinkSend{Session: l.session, Payload: payload})
	if err != nil {
		return err
	}
	if err := l.wc.Write(ctx, b); err != nil {
		return l.cause()
	}
	select {
	case f := <-l.answers:
		if e, ok := f.Body.(*wire.Error); ok {
			return e
		}
		return nil
	case <-l.done:
		return l.cause()
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Next returns the next message from the other end, waiting for it; after the
// session ended it returns an error wrapping [ErrLinkClosed].
func (l *LinkConn) Next(ctx context.Context) ([]byte, error) {
	select {
	case p := <-l.pushes:
		return p, nil
	default:
	}
	select {
	case p := <-l.pushes:
		return p, nil
	case <-l.done:
		select {
		case p := <-l.pushes:
			return p, nil
		default:
		}
		return nil, l.cause()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Close ends the session (the other end is told) and the connection.
func (l *LinkConn) Close() error {
	err := l.wc.Close()
	<-l.done
	return err
}
