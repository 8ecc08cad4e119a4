package relay

import (
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/coder/websocket"

	"hush/identity"
	"hush/relay/store"
	"hush/sync/wire"
)

// statusDeviceRevoked is the close status of a connection whose device was revoked.
const statusDeviceRevoked websocket.StatusCode = 4001

// Authentication states of a connection.
const (
	authPending int32 = iota
	authDone
	authTimedOut
)

// conn is one device's WebSocket. Its read loop (serve) reads and handles requests in
// order; its write loop sends two bounded queues:
//
//   - resp holds responses to this device's own requests. Every request takes a slot
//     (of MaxInFlight) before it is handled and gives it back only when its response
//     has been written, so resp never overflows and a device that reads slowly only
//     slows its own requests down.
//   - push holds pushes from other connections' commits. Those must never wait for
//     this device, so a full push queue closes the connection as a slow consumer.
type conn struct {
	s      *Server
	ws     *websocket.Conn
	cork   *corkConn
	host   string // the host the device must sign
	log    *slog.Logger
	ctx    context.Context
	cancel context.CancelFunc

	resp       chan []byte   // responses; each holds a slot until written
	push       chan []byte   // pushes and connection errors
	slots      chan struct{} // requests whose response is not written yet
	closing    chan struct{} // closed to make the write loop flush and close
	writerDone chan struct{}
	closeOnce  sync.Once
	closeCode  websocket.StatusCode
	closeWhy   string
	flush      bool // whether the write loop sends the queue before closing

	challenge wire.Challenge
	authState atomic.Int32

	// Set by authentication before the connection is bound to the hub; read-only after.
	account    wire.AccountID
	device     wire.DeviceID
	accountKey identity.AccountPublicKey

	// Owned by the read loop.
	bucket bucket
	bad    int
}

func newConn(s *Server, ws *websocket.Conn, cork *corkConn, host, remote string) *conn {
	c := &conn{
		s:          s,
		ws:         ws,
		cork:       cork,
		host:       host,
		log:        s.log.With("remote", remote),
		resp:       make(chan []byte, s.limits.MaxInFlight),
		push:       make(chan []byte, s.limits.SendQueue),
		slots:      make(chan struct{}, s.limits.MaxInFlight),
		closing:    make(chan struct{}),
		writerDone: make(chan struct{}),
	}
	c.ctx, c.cancel = context.WithCancel(s.baseCtx)
	_, _ = rand.Read(c.challenge[:])
	ws.SetReadLimit(s.limits.ReadLimit)
	return c
}

// serve runs the connection until it closes.
func (c *conn) serve() {
	go c.writeLoop()
	defer func() {
		c.s.hub.drop(c)
		select {
		case <-c.closing:
			// A close was asked for: let the write loop flush the queue (the error
			// that explains the close) and run the close handshake. Its writes have
			// timeouts, so this ends.
			<-c.writerDone
		default:
		}
		c.cancel()
		<-c.writerDone
		c.ws.CloseNow()
	}()
	now := c.s.clock.Now()
	c.pushBody(&wire.Hello{
		Versions:   []uint16{wire.Version},
		Challenge:  c.challenge,
		ServerTime: wire.Millis(now),
		Limits: wire.Limits{
			MaxFrameSize:      wire.MaxFrameSize,
			MaxCiphertextSize: wire.MaxCiphertextSize,
			RatePerSecond:     uint32(c.s.limits.RatePerSecond),
			Burst:             uint32(c.s.limits.Burst),
			MaxInFlight:       uint32(c.s.limits.MaxInFlight),
		},
	})
	stop := c.s.clock.AfterFunc(c.s.limits.AuthTimeout, c.authTimeout)
	ok := c.authenticate()
	stop()
	if !ok {
		return
	}
	c.bucket = newBucket(c.s.limits.RatePerSecond, c.s.limits.Burst, c.s.clock.Now())
	c.readLoop()
}

func (c *conn) authTimeout() {
	if c.authState.CompareAndSwap(authPending, authTimedOut) {
		c.pushBody(&wire.Error{Code: wire.CodeAuthTimeout, Message: "no authentication in time"})
		c.close(websocket.StatusPolicyViolation, wire.CodeAuthTimeout.String())
	}
}

// fail answers a request with err and closes the connection with a policy violation.
// The caller holds a slot.
func (c *conn) fail(reqID uint64, err *wire.Error) {
	c.reply(reqID, err)
	c.close(websocket.StatusPolicyViolation, err.Code.String())
}

// authenticate runs the Hello/Auth exchange; it reports whether the device may go on.
func (c *conn) authenticate() bool {
	typ, data, err := c.ws.Read(c.ctx)
	if err != nil {
		return false
	}
	if c.authState.Load() != authPending || !c.acquire() {
		return false
	}
	if typ != websocket.MessageBinary {
		c.fail(0, wire.Errorf(wire.CodeBadFrame, "binary frames only"))
		return false
	}
	f, err := wire.Decode(data)
	if err != nil {
		c.fail(f.ReqID, asWireError(err))
		return false
	}
	auth, isAuth := f.Body.(*wire.Auth)
	if !isAuth {
		c.fail(f.ReqID, wire.Errorf(wire.CodeUnauthenticated, "authenticate first"))
		return false
	}
	cert, err := identity.ParseCertificate(auth.DeviceCert)
	if err != nil {
		c.fail(f.ReqID, wire.Errorf(wire.CodeAuthFailed, "invalid device certificate"))
		return false
	}
	if err := cert.Device.Verify(wire.AuthLabel, wire.AuthMessage(c.challenge, c.host), auth.Signature); err != nil {
		c.fail(f.ReqID, wire.Errorf(wire.CodeAuthFailed, "challenge signature does not verify"))
		return false
	}
	if !c.authState.CompareAndSwap(authPending, authDone) {
		return false
	}
	c.account = wire.AccountID(cert.Account.ID())
	c.device = wire.DeviceID(cert.Device.ID())
	c.accountKey = cert.Account
	c.log = c.log.With("account", c.account.String(), "device", c.device.String())
	// Bind before checking revocation: a revocation that commits after the check then
	// finds this connection in the hub and closes it.
	if !c.s.hub.bind(c, c.s.limits.MaxConnsPerAccount) {
		c.fail(f.ReqID, wire.Errorf(wire.CodeTooManyConnections, "the account has %d connections open", c.s.limits.MaxConnsPerAccount))
		return false
	}
	newAccount, err := c.authorize(cert, auth.DeviceCert)
	if err != nil {
		c.fail(f.ReqID, c.wireError(err))
		return false
	}
	c.reply(f.ReqID, &wire.AuthOK{AccountID: c.account, DeviceID: c.device, ServerTime: wire.Millis(c.s.clock.Now()), NewAccount: newAccount})
	c.log.DebugContext(c.ctx, "device authenticated", "new_account", newAccount)
	return true
}

// authorize checks the relay's records of the authenticated device, registering the
// account and device when they are new.
func (c *conn) authorize(cert identity.Certificate, certBytes []byte) (newAccount bool, err error) {
	d, err := c.s.store.Device(c.ctx, c.device)
	switch {
	case errors.Is(err, store.ErrNotFound):
		op := &registerOp{c: c, cert: certBytes, accountKey: cert.Account, result: make(chan registerResult, 1)}
		if err := c.s.submit(op); err != nil {
			return false, err
		}
		select {
		case r := <-op.result:
			return r.newAccount, r.err
		case <-c.ctx.Done():
			return false, c.ctx.Err()
		}
	case err != nil:
		return false, err
	case d.Revoked():
		return false, wire.Errorf(wire.CodeDeviceRevoked, "this device was revoked")
	case d.AccountID != c.account:
		return false, wire.Errorf(wire.CodeAuthFailed, "the device belongs to another account")
	}
	a, err := c.s.store.Account(c.ctx, c.account)
	if err != nil {
		return false, err
	}
	if !sameAccountKey(a.PublicKey, cert.Account) {
		return false, wire.Errorf(wire.CodeAuthFailed, "the certificate's account key differs from the registered one")
	}
	return false, nil
}

func sameAccountKey(stored []byte, k identity.AccountPublicKey) bool {
	p, err := identity.ParseAccountPublicKey(stored)
	return err == nil && p.Equal(k)
}

// readLoop handles requests until the connection closes.
func (c *conn) readLoop() {
	for {
		typ, data, err := c.ws.Read(c.ctx)
		if err != nil {
			if s := websocket.CloseStatus(err); s == -1 && c.ctx.Err() == nil {
				c.log.DebugContext(c.ctx, "connection read ended", "err", err)
			}
			return
		}
		// Every frame may need an answer: take its slot first (waiting while the
		// device has MaxInFlight answers outstanding).
		if !c.acquire() {
			return
		}
		if typ != websocket.MessageBinary {
			if !c.badFrame(0, wire.Errorf(wire.CodeBadFrame, "binary frames only")) {
				return
			}
			continue
		}
		f, err := wire.Decode(data)
		if err != nil {
			if !c.badFrame(f.ReqID, asWireError(err)) {
				return
			}
			continue
		}
		if ok, wait := c.bucket.take(c.s.clock.Now()); !ok {
			if f.Type == wire.TypeTyping {
				c.release()
			} else {
				c.reply(f.ReqID, &wire.Error{Code: wire.CodeRateLimited, Message: "too many requests", RetryAfter: wait})
			}
			continue
		}
		c.handle(f)
	}
}

// badFrame answers a malformed frame; it reports false when the connection has sent
// too many and is being closed.
func (c *conn) badFrame(reqID uint64, err *wire.Error) bool {
	c.bad++
	c.reply(reqID, err)
	if c.bad >= c.s.limits.MaxBadFrames {
		c.log.InfoContext(c.ctx, "closing connection after malformed frames", "count", c.bad, "last", err.Message)
		c.close(websocket.StatusPolicyViolation, "too many malformed frames")
		return false
	}
	return true
}

// writeLoop sends queued frames until the connection closes. Whatever is queued
// when it wakes up goes out in one flush (see corkConn).
func (c *conn) writeLoop() {
	defer close(c.writerDone)
	for {
		var err error
		select {
		case b := <-c.resp:
			c.cork.cork()
			err = c.write(b)
			c.release()
		case b := <-c.push:
			c.cork.cork()
			err = c.write(b)
		case <-c.closing:
			c.cork.cork()
			for flushed := !c.flush; !flushed; {
				select {
				case b := <-c.resp:
					flushed = c.write(b) != nil
					c.release()
				case b := <-c.push:
					flushed = c.write(b) != nil
				default:
					flushed = true
				}
			}
			c.cork.uncork()
			c.ws.Close(c.closeCode, c.closeWhy)
			c.cancel()
			return
		case <-c.ctx.Done():
			return
		}
		for n := 1; err == nil && n < maxFramesPerFlush; n++ {
			select {
			case b := <-c.resp:
				err = c.write(b)
				c.release()
			case b := <-c.push:
				err = c.write(b)
			default:
				n = maxFramesPerFlush
			}
		}
		if uerr := c.cork.uncork(); err == nil {
			err = uerr
		}
		if err != nil {
			c.cancel()
			return
		}
	}
}

func (c *conn) write(b []byte) error {
	ctx, cancel := context.WithTimeout(c.ctx, c.s.limits.WriteTimeout)
	defer cancel()
	return c.ws.Write(ctx, websocket.MessageBinary, b)
}

// close makes the write loop send what is queued, then close with code.
func (c *conn) close(code websocket.StatusCode, why string) {
	c.closeOnce.Do(func() {
		c.closeCode, c.closeWhy, c.flush = code, why, true
		close(c.closing)
	})
}

// send queues an encoded push. It never blocks: a connection that cannot keep up is
// closed with a policy violation instead of slowing anyone else.
func (c *conn) send(b []byte) {
	if c.ctx.Err() != nil {
		return
	}
	select {
	case c.push <- b:
	default:
		c.closeOnce.Do(func() {
			c.log.Info("closing slow connection", "queued", len(c.push))
			c.closeCode, c.closeWhy = websocket.StatusPolicyViolation, "slow consumer"
			close(c.closing)
			// The write loop may be stuck in a write to this very client; Close
			// interrupts it (after its own timeout at worst) without blocking us.
			go c.ws.Close(websocket.StatusPolicyViolation, "slow consumer")
		})
	}
}

// reply encodes and queues the response to a request, handing the request's slot to
// the queue. The queue has room for every slot, so this never blocks.
func (c *conn) reply(reqID uint64, body wire.Body) {
	b, err := wire.Encode(reqID, body)
	if err != nil {
		c.log.Error("encode response", "type", body.Type(), "err", err)
		b, _ = wire.Encode(reqID, &wire.Error{Code: wire.CodeInternal, Message: "internal error"})
	}
	select {
	case c.resp <- b:
	default:
		// Unreachable while every response holds a slot.
		c.log.Error("response queue overflow")
		c.release()
	}
}

// pushBody encodes and queues a push (request id 0) for this connection.
func (c *conn) pushBody(body wire.Body) {
	b, err := wire.Encode(0, body)
	if err != nil {
		c.log.Error("encode push", "type", body.Type(), "err", err)
		return
	}
	c.send(b)
}

// replyErr answers a request with the error code err stands for.
func (c *conn) replyErr(reqID uint64, err error) {
	c.reply(reqID, c.wireError(err))
}

// wireError maps an error to what the device may see: a *wire.Error as it is, a
// missing record as CodeNotFound, anything else as CodeInternal (and a log line).
func (c *conn) wireError(err error) *wire.Error {
	var we *wire.Error
	switch {
	case errors.As(err, &we):
		return we
	case errors.Is(err, store.ErrNotFound):
		return wire.Errorf(wire.CodeNotFound, "not found")
	case errors.Is(err, context.Canceled):
		return &wire.Error{Code: wire.CodeShuttingDown, Message: "connection closing"}
	default:
		c.log.Error("request failed", "err", err)
		return &wire.Error{Code: wire.CodeInternal, Message: "internal error"}
	}
}

func asWireError(err error) *wire.Error {
	var we *wire.Error
	if errors.As(err, &we) {
		return we
	}
	return wire.Errorf(wire.CodeBadFrame, "%v", err)
}

// acquire takes a request slot, waiting while MaxInFlight responses are
// outstanding; it reports false if the connection closed meanwhile.
func (c *conn) acquire() bool {
	select {
	case c.slots <- struct{}{}:
		return true
	case <-c.ctx.Done():
		return false
	}
}

func (c *conn) release() { <-c.slots }
