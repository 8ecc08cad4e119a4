package relay

import (
	"bufio"
	"net"
	"net/http"
	"sync"
	"time"
)

// maxCorked caps what a corked connection buffers before it writes anyway.
const maxCorked = 64 << 10

// maxFramesPerFlush caps how many queued frames one flush carries, so a connection
// with a deep queue still sends at a steady pace.
const maxFramesPerFlush = 64

// corkBuffers recycles cork buffers: an idle connection holds none.
var corkBuffers = sync.Pool{New: func() any { b := make([]byte, 0, maxCorked); return &b }}

// corkConn lets the write loop send many WebSocket messages with one system call:
// between cork and uncork, writes are collected instead of sent. A WebSocket message
// is a write and a flush in coder/websocket, and the flush — one syscall per message,
// which on loopback also runs the receiver's TCP stack — dominated the relay's CPU
// time before this. Control frames the library writes from other goroutines (pongs,
// close) go straight through when the connection is not corked, and ride along with
// the batch when it is.
type corkConn struct {
	net.Conn
	timeout time.Duration

	mu     sync.Mutex
	corked bool
	buf    *[]byte
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

// corkWriter hands coder/websocket a hijacked connection wrapped in a corkConn.
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
	// net/http flushed the 101 response before returning, so the writer it gave us
	// holds nothing; replace it with one over the cork.
	w.conn = &corkConn{Conn: conn, timeout: w.timeout}
	return w.conn, bufio.NewReadWriter(brw.Reader, bufio.NewWriter(w.conn)), nil
}
