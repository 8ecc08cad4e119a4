package relay

import (
	"hush/ids"
	"sync"
)

// hub knows every open connection, and the authenticated ones by account, so commits
// can be pushed to the devices that should see them.
type hub struct {
	mu        sync.RWMutex
	closed    bool
	conns     map[*conn]struct{}
	byAccount map[ids.Account][]*conn
}

func (h *hub) init() {
	h.conns = map[*conn]struct{}{}
	h.byAccount = map[ids.Account][]*conn{}
}

// track records a new connection and counts it in wg, under the lock [hub.all]
// takes, so Shutdown never waits on a group that is still growing. It returns false
// once the relay is shutting down.
func (h *hub) track(c *conn, wg *sync.WaitGroup) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return false
	}
	wg.Add(1)
	h.conns[c] = struct{}{}
	return true
}

// all returns every open connection and refuses new ones from now on.
func (h *hub) all() []*conn {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	out := make([]*conn, 0, len(h.conns))
	for c := range h.conns {
		out = append(out, c)
	}
	return out
}

// bind files an authenticated connection under its account, unless the account
// already has max connections.
func (h *hub) bind(c *conn, max int) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	list := h.byAccount[c.account]
	if len(list) >= max {
		return false
	}
	h.byAccount[c.account] = append(list, c)
	return true
}

// drop forgets a connection.
func (h *hub) drop(c *conn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.conns, c)
	list := h.byAccount[c.account]
	for i, x := range list {
		if x == c {
			list = append(list[:i:i], list[i+1:]...)
			break
		}
	}
	if len(list) == 0 {
		delete(h.byAccount, c.account)
	} else {
		h.byAccount[c.account] = list
	}
}

// each calls fn for every authenticated connection of account. fn must not block or
// call back into the hub.
func (h *hub) each(account ids.Account, fn func(*conn)) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	for _, c := range h.byAccount[account] {
		fn(c)
	}
}

// eachAuthenticated calls fn for every authenticated connection. fn must not
// block or call back into the hub.
func (h *hub) eachAuthenticated(fn func(*conn)) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	for _, list := range h.byAccount {
		for _, c := range list {
			fn(c)
		}
	}
}

// connected reports whether account has an authenticated connection here.
func (h *hub) connected(account ids.Account) bool {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.byAccount[account]) > 0
}

// count returns the number of open connections.
func (h *hub) count() int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.conns)
}

// queuedPushes adds up the pushes waiting in every connection's send queue, for the
// metrics; it runs at a scrape, not on any hot path.
func (h *hub) queuedPushes() int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	n := 0
	for c := range h.conns {
		c.mu.Lock()
		n += c.pushes
		c.mu.Unlock()
	}
	return n
}
