package relay

import (
	"bufio"
	"net"
	"net/http"
	"sync"
	"syscall"
	"time"
)

// maxCorked caps what a corked connection buffers before it writes anyway.
const maxCorked = 64 << 10

// maxFramesPerFlush caps how many queued frames one flush carries, so a connection
// with a deep queue still sends at a steady pace.
const maxFramesPerFlush = 64

// readBufSize is the size of the pooled buffer a connection reads the network into
// while it has bytes to read. It holds several 1 KiB messages, so a pipelining client
// costs one read(2) per few messages; an idle connection holds none.
const readBufSize = 16 << 10

// wsBufSize is the size of the bufio buffers the WebSocket library reads frame headers
// through and writes frames into. They are small on purpose: reads are buffered by
// the pooled read buffer and writes by the cork, so these only stage a few bytes, and
// every idle connection holds them.
const wsBufSize = 256

// corkBuffers recycles cork buffers: an idle connection holds none.
var corkBuffers = sync.Pool{New: func() any { b := make([]byte, 0, maxCorked); return &b }}

// readBuffers recycles read buffers: an idle connection holds none.
var readBuffers = sync.Pool{New: func() any { b := make([]byte, readBufSize); return &b }}

// corkConn is the hijacked network connection under a relay WebSocket. It keeps the
// per-connection memory of an idle device small and the system calls of a busy one
// few:
//
//   - Writes: between cork and uncork, writes are collected instead of sent, so the
//     write loop sends many WebSocket messages with one system call. A WebSocket
//     message is a write and a flush in coder/websocket, and the flush — one syscall
//     per message, which on loopback also runs the receiver's TCP stack — dominated
//     the relay's CPU time before this. Control frames the library writes from other
//     goroutines (pongs, close) go straight through when the connection is not
//     corked, and ride along with the batch when it is.
//   - Reads: where the connection exposes its file descriptor (plain TCP, not TLS),
//     the reader waits for the socket to become readable holding no buffer, and only
//     then reads into a pooled buffer, which goes back to the pool once consumed. A
//     bufio.Reader would instead pin its buffer inside the blocked read of every idle
//     connection.
type corkConn struct {
	net.Conn
	timeout time.Duration

	mu     sync.Mutex // guards the write side
	corked bool
	buf    *[]byte

	rmu  sync.Mutex      // guards the read side: one reader at a time
	raw  syscall.RawConn // nil: read through Conn
	rbuf *[]byte         // unread bytes are (*rbuf)[rpos:rend]; nil when there are none
	rpos int
	rend int
}

func newCorkConn(conn net.Conn, timeout time.Duration, buffered []byte) *corkConn {
	c := &corkConn{Conn: conn, timeout: timeout}
	if sc, ok := conn.(syscall.Conn); ok && rawReads {
		if raw, err := sc.SyscallConn(); err == nil {
			c.raw = raw
		}
	}
	if len(buffered) > 0 {
		// Bytes the HTTP server read past the upgrade request (at most its 4 KiB
		// buffer): the client's first frames. They come before anything from the
		// socket.
		b := readBuffers.Get().(*[]byte)
		c.rbuf, c.rend = b, copy(*b, buffered)
	}
	return c
}

// Read reads from the unread part of the pooled buffer, refilling it from the socket
// when it is empty.
func (c *corkConn) Read(p []byte) (int, error) {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	if c.rbuf == nil {
		if c.raw == nil {
			return c.Conn.Read(p)
		}
		if len(p) >= readBufSize {
			return readRaw(c.raw, p)
		}
		if err := c.fillLocked(); err != nil {
			return 0, err
		}
	}
	n := copy(p, (*c.rbuf)[c.rpos:c.rend])
	c.rpos += n
	if c.rpos == c.rend {
		c.dropReadBufLocked()
	}
	return n, nil
}

// fillLocked waits until the socket is readable, then reads what is there into a
// buffer from the pool.
func (c *corkConn) fillLocked() error {
	var n int
	var rerr error
	err := c.raw.Read(func(fd uintptr) bool {
		b := readBuffers.Get().(*[]byte)
		var again bool
		n, again, rerr = readFD(fd, *b)
		if again {
			readBuffers.Put(b)
			return false // wait for readability holding no buffer
		}
		c.rbuf = b
		return true
	})
	if err != nil {
		return err
	}
	if rerr != nil || n == 0 {
		c.dropReadBufLocked()
		return rawReadErr(n, rerr)
	}
	c.rpos, c.rend = 0, n
	return nil
}

func (c *corkConn) dropReadBufLocked() {
	if c.rbuf != nil {
		readBuffers.Put(c.rbuf)
	}
	c.rbuf, c.rpos, c.rend = nil, 0, 0
}

// releaseReadBuf gives back a read buffer the connection holds; the connection is
// being torn down and reads no more.
func (c *corkConn) releaseReadBuf() {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	c.dropReadBufLocked()
}

func (c *corkConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.corked {
		return c.Conn.Write(p)
	}
	if len(*c.buf)+len(p) > maxCorked {
		if err := c.flushLocked(); err != nil {
			return 0, err
		}
		if len(p) > maxCorked {
			return c.writeLocked(p)
		}
	}
	*c.buf = append(*c.buf, p...)
	return len(p), nil
}

func (c *corkConn) cork() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.corked {
		c.corked = true
		c.buf = corkBuffers.Get().(*[]byte)
	}
}

// uncork sends what was collected, in one write bounded by the write timeout.
func (c *corkConn) uncork() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.corked {
		return nil
	}
	err := c.flushLocked()
	c.corked = false
	*c.buf = (*c.buf)[:0]
	corkBuffers.Put(c.buf)
	c.buf = nil
	return err
}

func (c *corkConn) flushLocked() error {
	if len(*c.buf) == 0 {
		return nil
	}
	_, err := c.writeLocked(*c.buf)
	*c.buf = (*c.buf)[:0]
	return err
}

func (c *corkConn) writeLocked(p []byte) (int, error) {
	c.Conn.SetWriteDeadline(time.Now().Add(c.timeout))
	n, err := c.Conn.Write(p)
	c.Conn.SetWriteDeadline(time.Time{})
	return n, err
}

// corkWriter hands coder/websocket a hijacked connection wrapped in a corkConn, with
// small bufio buffers over it (see wsBufSize) in place of net/http's 4 KiB ones,
// which are freed when the HTTP handler returns.
type corkWriter struct {
	http.ResponseWriter
	timeout time.Duration
	conn    *corkConn
}

func (w *corkWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	// net/http flushed the 101 response before returning, so its writer holds
	// nothing; what its reader holds (a client may send its first frame right behind
	// the upgrade request) moves into the corkConn.
	buffered, _ := brw.Reader.Peek(brw.Reader.Buffered())
	w.conn = newCorkConn(conn, w.timeout, buffered)
	return w.conn, bufio.NewReadWriter(bufio.NewReaderSize(w.conn, wsBufSize), bufio.NewWriterSize(w.conn, wsBufSize)), nil
}
