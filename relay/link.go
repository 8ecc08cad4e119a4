package relay

import (
	"sync"

	"github.com/coder/websocket"

	"hush/clock"
	"hush/ids"
	"hush/sync/wire"
)

// Link sessions (docs/PROTOCOL.md, "Linking a device"). A device that belongs to no
// account yet opens one with its one-time link key instead of authenticating; a
// device of an account claims it with the id from the link code; the relay then
// passes opaque messages between the two ends until either leaves or the session
// expires after wire.LinkLifetime. A session is claimed once. The relay learns only
// that a link happened: the messages are bound to the code's key hash and the
// account keys travel sealed (package devicelink).
//
// Sessions live in memory: they last minutes, and a relay restart only makes the
// user start linking again.

// linkSession is one open session.
type linkSession struct {
	id       ids.LinkSession
	pub      []byte
	source   string // the opener's network, for the per-network limit
	newcomer *conn
	sponsor  *conn // nil until claimed
	timer    clock.Timer
}

// linkTable holds the open sessions.
type linkTable struct {
	mu       sync.Mutex
	sessions map[ids.LinkSession]*linkSession
	perNet   map[string]int
}

// open registers a session for newcomer c, which has not authenticated.
func (s *Server) openLink(c *conn, b *wire.LinkOpen) *wire.Error {
	t := &s.links
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.sessions == nil {
		t.sessions, t.perNet = map[ids.LinkSession]*linkSession{}, map[string]int{}
	}
	net := c.source.String()
	switch {
	case t.sessions[b.Session] != nil:
		return wire.Errorf(wire.CodeConflict, "this link session id is taken")
	case len(t.sessions) >= s.limits.MaxLinkSessions:
		return &wire.Error{Code: wire.CodeRateLimited, Message: "too many devices are linking at this relay; try again in a minute", RetryAfter: 60_000}
	case t.perNet[net] >= s.limits.MaxLinkSessionsPerNetwork:
		return &wire.Error{Code: wire.CodeRateLimited, Message: "too many link sessions from this network; let one expire first", RetryAfter: 60_000}
	}
	ls := &linkSession{id: b.Session, pub: b.PublicKey, source: net, newcomer: c}
	t.sessions[b.Session] = ls
	t.perNet[net]++
	c.link = ls
	ls.timer = s.clock.AfterFunc(wire.LinkLifetime, func() { s.endLink(ls, nil, "link session expired") })
	return nil
}

// claimLink hands session id to sponsor c, once.
func (s *Server) claimLink(c *conn, id ids.LinkSession) (*wire.LinkOffer, *wire.Error) {
	t := &s.links
	t.mu.Lock()
	defer t.mu.Unlock()
	ls := t.sessions[id]
	if ls == nil || ls.sponsor != nil {
		return nil, wire.Errorf(wire.CodeNotFound, "this link code is unknown, expired or already used")
	}
	ls.sponsor = c
	c.claimedLink.Store(true)
	return &wire.LinkOffer{Session: id, PublicKey: ls.pub}, nil
}

// sendLink passes a message from one end of session id to the other.
func (s *Server) sendLink(c *conn, id ids.LinkSession, payload []byte) *wire.Error {
	t := &s.links
	t.mu.Lock()
	ls := t.sessions[id]
	var to *conn
	switch {
	case ls == nil:
	case c == ls.newcomer:
		to = ls.sponsor
		if to == nil {
			t.mu.Unlock()
			return wire.Errorf(wire.CodeConflict, "the code has not been entered on another device yet")
		}
	case c == ls.sponsor:
		to = ls.newcomer
	}
	t.mu.Unlock()
	if to == nil {
		return wire.Errorf(wire.CodeNotFound, "no such link session")
	}
	to.pushBody(&wire.LinkPush{Session: id, Payload: payload})
	return nil
}

// endLink removes a session and tells its ends: left is the end that went away (nil
// when the session expired), which is told nothing. The newcomer's connection,
// which can do nothing else, is closed.
func (s *Server) endLink(ls *linkSession, left *conn, why string) {
	t := &s.links
	t.mu.Lock()
	if t.sessions[ls.id] != ls {
		t.mu.Unlock()
		return
	}
	delete(t.sessions, ls.id)
	if t.perNet[ls.source]--; t.perNet[ls.source] <= 0 {
		delete(t.perNet, ls.source)
	}
	t.mu.Unlock()
	ls.timer.Stop()
	closed := &wire.LinkClosed{Session: ls.id}
	if ls.sponsor != nil && ls.sponsor != left {
		ls.sponsor.pushBody(closed)
	}
	if ls.newcomer != left {
		ls.newcomer.pushBody(closed)
		ls.newcomer.close(websocket.StatusNormalClosure, why)
	}
}

// leaveLinks ends every session c is an end of; c is going away.
func (s *Server) leaveLinks(c *conn) {
	t := &s.links
	t.mu.Lock()
	var mine []*linkSession
	for _, ls := range t.sessions {
		if ls.newcomer == c || ls.sponsor == c {
			mine = append(mine, ls)
		}
	}
	t.mu.Unlock()
	for _, ls := range mine {
		s.endLink(ls, c, "the other device left")
	}
}
