package browsermode

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"time"

	"github.com/coder/websocket"
)

// Event-socket limits.
const (
	clientQueueLen           = 32               // events buffered per socket before it counts as too slow
	maxEventClients          = 64               // open event sockets; a UI needs one per tab
	defaultPingInterval      = 20 * time.Second // keepalive, and how a dead peer is noticed
	defaultPingTimeout       = 10 * time.Second // pong deadline
	defaultEventWriteTimeout = 10 * time.Second // one event's write deadline
	maxClientMessage         = 1 << 10          // the peer has nothing to say; anything longer is cut off unread
)

// client is one connected /api/events socket.
type client struct {
	msgs     chan []byte   // encoded events, bounded
	overflow chan struct{} // closed by Emit when msgs was full
	dropped  bool          // overflow was closed; guarded by Server.mu
	raw      net.Conn      // the TCP connection under the socket, to cut it
}

// netConnKey carries each connection's net.Conn in its request context:
// a WebSocket close handshake with a peer that stopped reading cannot be
// interrupted from the websocket.Conn, only by closing the connection.
type netConnKey struct{}

// event is the wire shape of docs/API.md: {"name": ..., "data": ...}.
type event struct {
	Name string `json:"name"`
	Data any    `json:"data"`
}

func realTicker(d time.Duration) (<-chan time.Time, func()) {
	t := time.NewTicker(d)
	return t.C, t.Stop
}

// Emit sends an event to every connected event socket. It never blocks: a
// socket whose queue is full is dropped (closed with StatusPolicyViolation)
// and the UI behind it reconnects and reloads its state.
func (s *Server) Emit(name string, data any) {
	msg, err := json.Marshal(event{Name: name, Data: data})
	if err != nil {
		s.log.Error("browser mode: encode event", "event", name, "err", err)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.clients {
		if c.dropped {
			continue
		}
		select {
		case c.msgs <- msg:
		default:
			c.dropped = true
			close(c.overflow)
			s.log.Warn("browser mode: event socket too slow, dropping it", "event", name)
		}
	}
}

// serveEvents upgrades GET /api/events and pumps events to it until the
// peer goes, falls behind, stops answering pings or the server shuts down.
// Host, Origin and token were checked before we got here; Accept checks the
// Origin once more.
func (s *Server) serveEvents(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		writeError(w, http.StatusMethodNotAllowed, "events use a WebSocket GET")
		return
	}
	raw, _ := r.Context().Value(netConnKey{}).(net.Conn)
	c := &client{msgs: make(chan []byte, clientQueueLen), overflow: make(chan struct{}), raw: raw}
	s.mu.Lock()
	switch {
	case s.closed:
		s.mu.Unlock()
		writeError(w, http.StatusServiceUnavailable, "shutting down")
		return
	case len(s.clients) >= maxEventClients:
		s.mu.Unlock()
		writeError(w, http.StatusServiceUnavailable, "too many event sockets")
		return
	}
	s.clients[c] = struct{}{} // events from now on queue up for this socket
	s.wsWG.Add(1)
	wsCtx := s.wsCtx
	s.mu.Unlock()
	defer s.wsWG.Done()
	defer s.removeClient(c)

	// The server's read and write deadlines are for plain requests; they
	// stay on a hijacked connection unless cleared.
	rc := http.NewResponseController(w)
	rc.SetReadDeadline(time.Time{})
	rc.SetWriteDeadline(time.Time{})

	conn, err := websocket.Accept(w, r, nil)
	if err != nil {
		s.log.Debug("browser mode: event socket upgrade failed", "err", err)
		return
	}
	peerCtx := s.readControl(conn)
	defer func() {
		conn.CloseNow() // a no-op after Close; then the reader ends
		<-peerCtx.Done()
	}()
	ticks, stop := s.newTicker(s.pingInterval)
	defer stop()
	for {
		// Falling behind wins over writing what is queued.
		select {
		case <-c.overflow:
			conn.Close(websocket.StatusPolicyViolation, "too slow to keep up with events")
			return
		default:
		}
		select {
		case <-peerCtx.Done():
			conn.CloseNow()
			return
		case <-wsCtx.Done():
			conn.Close(websocket.StatusGoingAway, "server shutting down")
			return
		case <-c.overflow:
			conn.Close(websocket.StatusPolicyViolation, "too slow to keep up with events")
			return
		case msg := <-c.msgs:
			ctx, cancel := context.WithTimeout(peerCtx, s.eventTimeout)
			err := conn.Write(ctx, websocket.MessageText, msg)
			cancel()
			if err != nil {
				s.log.Debug("browser mode: event write failed", "err", err)
				conn.CloseNow()
				return
			}
		case <-ticks:
			ctx, cancel := context.WithTimeout(peerCtx, s.pingTimeout)
			err := conn.Ping(ctx)
			cancel()
			if err != nil {
				// A peer that does not answer pings will not answer a
				// close handshake either.
				s.log.Debug("browser mode: event socket did not answer ping", "err", err)
				conn.CloseNow()
				return
			}
		}
	}
}

// readControl reads from the socket for as long as it lives, which is what
// answers the peer's pings and close frames and delivers our pongs. The
// returned context ends when the peer goes. The socket is send-only: a data
// message from the peer closes it with StatusPolicyViolation. (This is
// websocket.Conn.CloseRead done by hand: in coder/websocket v1.8.15 that
// helper stalls for 15 s when it closes on a data message.)
func (s *Server) readControl(conn *websocket.Conn) context.Context {
	conn.SetReadLimit(maxClientMessage)
	ctx, peerGone := context.WithCancel(context.Background())
	go func() {
		defer peerGone()
		if _, _, err := conn.Read(context.Background()); err != nil {
			return
		}
		conn.Close(websocket.StatusPolicyViolation, "the event socket is send-only")
	}()
	return ctx
}

func (s *Server) removeClient(c *client) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.clients, c)
}

// closeAllNow cuts every event socket still open; Shutdown's last resort.
func (s *Server) closeAllNow() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.clients {
		if c.raw != nil {
			c.raw.Close()
		}
	}
}

// clientCount reports the sockets receiving events; tests use it.
func (s *Server) clientCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for c := range s.clients {
		if !c.dropped {
			n++
		}
	}
	return n
}
