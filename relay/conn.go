package relay

import (
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"net/netip"
	"sync"
	"sync/atomic"

	"github.com/coder/websocket"

	"hush/identity"
	"hush/ids"
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
	authLink // a device linking itself: it may only send LinkSend (link.go)
)

// conn is one device's WebSocket. Its read loop reads and handles requests in order.
// What the relay sends it waits in one bounded FIFO queue, written by a write loop
// that runs only while the queue holds something, so an idle connection costs one
// parked goroutine and no queue memory. The queue holds two kinds of frames:
//
//   - responses to this device's own requests. Every request takes a slot (of
//     MaxInFlight) before it is handled and gives it back only when its response
//     has been written, so responses never exceed MaxInFlight and a device that reads
//     slowly only slows its own requests down.
//   - pushes from other connections' commits. Those must never wait for this device,
//     so more than SendQueue pushes waiting closes the connection as a slow consumer.
type conn struct {
	s       *Server
	ws      *websocket.Conn
	cork    *corkConn
	origins []wire.Origin // the origins the device may have signed: the relay's own
	remote  string
	source  netip.Prefix // the client's network, for the limit on new accounts
	ctx     context.Context
	cancel  context.CancelFunc
	slots   chan struct{} // requests whose response is not written yet
	// link is the session this connection opened instead of authenticating.
	link *linkSession
	// claimedLink is set once it claimed a link session, so only such connections
	// look through the sessions when they end.
	claimedLink atomic.Bool

	mu        sync.Mutex // guards the fields down to writers
	out       frameQueue
	pushes    int  // pushes in out
	writing   bool // a write loop is running
	closing   bool // a close was asked for (or writing failed): queue nothing more
	flush     bool // whether the write loop sends the queue before closing
	ended     bool // the connection is being torn down: start no write loop
	closeCode websocket.StatusCode
	closeWhy  string
	writers   sync.WaitGroup // the write loop; Add only under mu and before ended

	challenge wire.Challenge
	authState atomic.Int32

	// Set by authentication before the connection is bound to the hub; read-only after.
	account    ids.Account
	device     ids.Device
	accountKey identity.AccountPublicKey

	// Owned by the read loop.
	bucket bucket
	// blobBucket limits chunk frames by their bytes (blobs.go).
	blobBucket bucket
	bad        int
	staged     *stagedEpoch // a rotation arriving in parts
}

// outFrame is an encoded frame waiting to be written.
type outFrame struct {
	b    []byte
	resp bool // a response: its request slot is freed once it is written
}

// minQueue is the first allocation of a connection's frame queue.
const minQueue = 8

// frameQueue is a FIFO ring of frames that holds no memory while empty (after
// release). Its size is bounded by its users: MaxInFlight responses plus SendQueue
// pushes plus a few connection errors.
type frameQueue struct {
	buf  []outFrame // len is 0 or a power of two
	head int
	n    int
}

func (q *frameQueue) push(f outFrame) {
	if q.n == len(q.buf) {
		nb := make([]outFrame, max(minQueue, 2*len(q.buf)))
		k := copy(nb, q.buf[q.head:])
		copy(nb[k:], q.buf[:q.head])
		q.buf, q.head = nb, 0
	}
	q.buf[(q.head+q.n)&(len(q.buf)-1)] = f
	q.n++
}

func (q *frameQueue) pop() (outFrame, bool) {
	if q.n == 0 {
		return outFrame{}, false
	}
	f := q.buf[q.head]
	q.buf[q.head] = outFrame{}
	q.head = (q.head + 1) & (len(q.buf) - 1)
	q.n--
	return f, true
}

// release frees the ring if it is empty.
func (q *frameQueue) release() {
	if q.n == 0 {
		q.buf, q.head = nil, 0
	}
}

func newConn(s *Server, ws *websocket.Conn, cork *corkConn, origins []wire.Origin, remote string, source netip.Prefix) *conn {
	c := &conn{
		s:       s,
		ws:      ws,
		cork:    cork,
		origins: origins,
		remote:  remote,
		source:  source,
		slots:   make(chan struct{}, s.limits.MaxInFlight),
	}
	c.ctx, c.cancel = context.WithCancel(s.baseCtx)
	_, _ = rand.Read(c.challenge[:])
	ws.SetReadLimit(s.limits.ReadLimit)
	return c
}

// logf logs about this connection at level, naming its peer and, once known, its
// device. The attributes are built only when the level is enabled, so a connection
// keeps no logger of its own.
func (c *conn) logf(level slog.Level, msg string, args ...any) {
	if !c.s.log.Enabled(c.ctx, level) {
		return
	}
	attrs := []any{"remote", c.remote}
	if c.authState.Load() == authDone {
		attrs = append(attrs, "account", c.account.String(), "device", c.device.String())
	}
	c.s.log.Log(c.ctx, level, msg, append(attrs, args...)...)
}

// open greets the device and runs its authentication; it reports whether the device
// may go on to the read loop. It runs on the HTTP handler's goroutine, which ends
// afterwards, so the deep stack that authentication grows does not stay with the
// connection.
func (c *conn) open() bool {
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
	timer := c.s.clock.AfterFunc(c.s.limits.AuthTimeout, c.authTimeout)
	ok := c.authenticate()
	timer.Stop()
	if ok {
		c.bucket = newBucket(c.s.limits.RatePerSecond, c.s.limits.Burst, c.s.clock.Now())
		c.blobBucket = newBucket(c.s.blobs.BytesPerSecond, blobBurst, c.s.clock.Now())
	}
	return ok
}

// teardown ends the connection after its read side stopped: it unregisters it, lets
// a requested close finish (the write loop flushes the error that explains it and
// runs the close handshake, both bounded by timeouts), then closes the socket and
// waits for the write loop.
func (c *conn) teardown() {
	c.s.hub.drop(c)
	if c.link != nil || c.claimedLink.Load() {
		c.s.leaveLinks(c)
	}
	c.mu.Lock()
	c.ended = true
	closing := c.closing
	c.mu.Unlock()
	if closing {
		c.writers.Wait()
	}
	c.cancel()
	c.ws.CloseNow()
	c.writers.Wait()
	c.mu.Lock()
	for {
		f, ok := c.out.pop()
		if !ok {
			break
		}
		if f.resp {
			c.release()
		}
	}
	c.out.release()
	c.mu.Unlock()
	c.cork.releaseReadBuf()
}

func (c *conn) authTimeout() {
	if c.authState.CompareAndSwap(authPending, authTimedOut) {
		c.s.metrics.errorAnswered(wire.CodeAuthTimeout)
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
	typ, data, err := c.ws.Read(context.Background()) // see readLoop
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
	if lo, ok := f.Body.(*wire.LinkOpen); ok {
		return c.openLink(f.ReqID, lo)
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
	if !c.signedForThisRelay(cert.Device, auth.Signature) {
		c.fail(f.ReqID, wire.Errorf(wire.CodeAuthFailed, "the challenge signature does not verify for this relay's origin"))
		return false
	}
	if !c.authState.CompareAndSwap(authPending, authDone) {
		return false
	}
	c.account = ids.Account(cert.Account.ID())
	c.device = ids.Device(cert.Device.ID())
	c.accountKey = cert.Account
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
	_ = c.s.submit(&seenOp{dev: c.device, at: wire.Millis(c.s.clock.Now())})
	c.logf(slog.LevelDebug, "device authenticated", "new_account", newAccount)
	return true
}

// openLink opens a link session instead of authenticating; the connection stays
// until the session ends.
func (c *conn) openLink(reqID uint64, b *wire.LinkOpen) bool {
	if !c.authState.CompareAndSwap(authPending, authLink) {
		return false
	}
	if err := c.s.openLink(c, b); err != nil {
		c.fail(reqID, err)
		return false
	}
	c.reply(reqID, &wire.OK{})
	c.logf(slog.LevelDebug, "link session opened")
	return true
}

// signedForThisRelay reports whether sig is the device's signature of this
// connection's challenge for one of the relay's own origins. The origins come from
// the relay's configuration and its listener, never from the request: a device
// that dialled another relay signed that relay's origin, which fails here.
func (c *conn) signedForThisRelay(device identity.DevicePublicKey, sig []byte) bool {
	for _, o := range c.origins {
		if device.Verify(wire.AuthLabel, wire.AuthMessage(c.challenge, o), sig) == nil {
			return true
		}
	}
	return false
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
	if a.Disabled() {
		return false, errAccountDisabled()
	}
	if len(a.DeviceList) > 0 {
		return false, listsDevice(a.DeviceList, c.device)
	}
	return false, nil
}

// errAccountDisabled refuses a device of an account the relay's operator disabled
// (`hush-relay admin disable`, docs/RELAY.md "Administration").
func errAccountDisabled() *wire.Error {
	return wire.Errorf(wire.CodeForbidden, "this account was disabled by the relay's operator")
}

func sameAccountKey(stored []byte, k identity.AccountPublicKey) bool {
	p, err := identity.ParseAccountPublicKey(stored)
	return err == nil && p.Equal(k)
}

// readLoop handles requests until the connection closes.
func (c *conn) readLoop() {
	for {
		// Reads and writes get a context that never ends: given one that can, the
		// WebSocket library arms a callback on every call. A blocked read ends when
		// the socket is closed instead (teardown, Shutdown, a failed write), and
		// writes are bounded by the cork's write deadline.
		typ, data, err := c.ws.Read(context.Background())
		if err != nil {
			if s := websocket.CloseStatus(err); s == -1 && c.ctx.Err() == nil {
				c.logf(slog.LevelDebug, "connection read ended", "err", err)
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
		if ok, wait := c.takeRate(f); !ok {
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
		c.logf(slog.LevelInfo, "closing connection after malformed frames", "count", c.bad, "last", err.Message)
		c.close(websocket.StatusPolicyViolation, "too many malformed frames")
		return false
	}
	return true
}

// enqueue adds a frame to the queue and makes sure a write loop runs. The caller
// holds mu.
func (c *conn) enqueueLocked(f outFrame) {
	c.out.push(f)
	c.startWriterLocked()
}

func (c *conn) startWriterLocked() {
	if c.writing || c.ended {
		return
	}
	c.writing = true
	c.writers.Add(1)
	go c.writeLoop()
}

// writeLoop sends queued frames until the queue is empty, then ends; the next frame
// queued starts it again. Whatever is queued when it looks goes out in one flush
// (see corkConn). After a close was asked for it sends what is queued (unless the
// connection is being dropped as a slow consumer) and runs the close handshake.
func (c *conn) writeLoop() {
	defer c.writers.Done()
	for {
		c.mu.Lock()
		if c.closing && (!c.flush || c.out.n == 0) {
			c.mu.Unlock()
			c.finishClose()
			return
		}
		if c.out.n == 0 {
			c.writing = false
			c.out.release()
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
		c.cork.cork()
		var err error
		for n := 0; err == nil && n < maxFramesPerFlush; n++ {
			c.mu.Lock()
			f, ok := c.out.pop()
			if ok && !f.resp {
				c.pushes--
			}
			c.mu.Unlock()
			if !ok {
				break
			}
			err = c.ws.Write(context.Background(), websocket.MessageBinary, f.b) // see readLoop
			if f.resp {
				c.release()
			}
		}
		if uerr := c.cork.uncork(); err == nil {
			err = uerr
		}
		if err != nil {
			// The device is gone or stopped reading for longer than the write
			// timeout: the connection is dead.
			c.mu.Lock()
			c.closing, c.flush = true, false
			c.mu.Unlock()
			c.cancel()
			c.ws.CloseNow()
			return
		}
	}
}

// finishClose ends the write side after a close was asked for.
func (c *conn) finishClose() {
	c.mu.Lock()
	flush, code, why := c.flush, c.closeCode, c.closeWhy
	c.mu.Unlock()
	if flush {
		c.ws.Close(code, why)
	}
	// Without flush, whoever asked (a slow consumer, a failed write) closes the
	// socket itself.
	c.cancel()
}

// close makes the write loop send what is queued, then close with code.
func (c *conn) close(code websocket.StatusCode, why string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing {
		return
	}
	c.closing, c.flush, c.closeCode, c.closeWhy = true, true, code, why
	c.startWriterLocked()
}

// send queues an encoded push. It never blocks: a connection that cannot keep up is
// closed with a policy violation instead of slowing anyone else.
func (c *conn) send(b []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing || c.ended {
		return
	}
	if c.pushes >= c.s.limits.SendQueue {
		c.logf(slog.LevelInfo, "closing slow connection", "queued", c.pushes)
		c.closing, c.closeCode, c.closeWhy = true, websocket.StatusPolicyViolation, "slow consumer"
		c.startWriterLocked()
		// The write loop may be stuck in a write to this very client; Close
		// interrupts it (after its own timeout at worst) without blocking us.
		go c.ws.Close(websocket.StatusPolicyViolation, "slow consumer")
		return
	}
	c.pushes++
	c.enqueueLocked(outFrame{b: b})
}

// reply encodes and queues the response to a request, handing the request's slot to
// the queue.
func (c *conn) reply(reqID uint64, body wire.Body) {
	if e, ok := body.(*wire.Error); ok {
		c.s.metrics.errorAnswered(e.Code)
	}
	b, err := wire.Encode(reqID, body)
	if err != nil {
		c.logf(slog.LevelError, "encode response", "type", body.Type(), "err", err)
		b, _ = wire.Encode(reqID, &wire.Error{Code: wire.CodeInternal, Message: "internal error"})
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if (c.closing && !c.flush) || c.ended {
		c.release() // nobody will write it
		return
	}
	c.enqueueLocked(outFrame{b: b, resp: true})
}

// pushBody encodes and queues a push (request id 0) for this connection.
func (c *conn) pushBody(body wire.Body) {
	b, err := wire.Encode(0, body)
	if err != nil {
		c.logf(slog.LevelError, "encode push", "type", body.Type(), "err", err)
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
		c.logf(slog.LevelError, "request failed", "err", err)
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
