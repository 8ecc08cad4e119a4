package vault

import (
	"context"
	"database/sql"
	"sync"
)

// Prepared statements. database/sql with modernc.org/sqlite parses a statement's SQL
// again on every Tx.ExecContext or Tx.QueryContext call; on the message paths that
// was about a quarter of the vault's CPU. The vault therefore prepares each
// statement once on its one connection and lets every transaction reuse it
// (sql.Tx.StmtContext reuses a statement prepared on the transaction's connection).
//
// A statement cannot be prepared on the connection inside a transaction: the pool
// has one connection and the transaction holds it, so preparing would wait for
// itself. A transaction that meets a statement not yet prepared prepares it for
// itself only (closed at its end) and asks for it; the next transaction prepares
// what was asked for before it begins. The statements are the constant SQL strings
// of this package, so the set is small and fixed; it is capped all the same.

// maxStatements caps the prepared statements one vault keeps. The package has about
// fifty; beyond the cap a statement is prepared per transaction.
const maxStatements = 128

// stmtCache is one vault's prepared statements.
type stmtCache struct {
	mu     sync.Mutex
	ready  map[string]*sql.Stmt
	wanted map[string]bool
	closed bool
	misses int // uses of a statement not prepared on the connection yet, for tests
}

func newStmtCache() *stmtCache {
	return &stmtCache{ready: map[string]*sql.Stmt{}, wanted: map[string]bool{}}
}

// get returns the prepared statement for q, or nil after noting that q is wanted.
func (c *stmtCache) get(q string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st := c.ready[q]; st != nil {
		return st
	}
	c.misses++
	if !c.closed && len(c.ready)+len(c.wanted) < maxStatements {
		c.wanted[q] = true
	}
	return nil
}

// prepareWanted prepares the statements transactions asked for. It must not run
// inside a transaction (it needs the connection). A statement that fails to prepare
// (the context ended, say) is asked for again by its next use.
func (c *stmtCache) prepareWanted(ctx context.Context, db *sql.DB) {
	c.mu.Lock()
	if len(c.wanted) == 0 || c.closed {
		c.mu.Unlock()
		return
	}
	qs := make([]string, 0, len(c.wanted))
	for q := range c.wanted {
		qs = append(qs, q)
	}
	clear(c.wanted)
	c.mu.Unlock()
	for _, q := range qs {
		st, err := db.PrepareContext(ctx, q)
		if err != nil {
			continue
		}
		c.mu.Lock()
		if c.closed || c.ready[q] != nil {
			st.Close()
		} else {
			c.ready[q] = st
		}
		c.mu.Unlock()
	}
}

// close releases every statement; later gets return nil.
func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	for q, st := range c.ready {
		st.Close()
		delete(c.ready, q)
	}
	clear(c.wanted)
}

// stmt returns the transaction's handle on the prepared statement for q, or nil
// when q is in use by rows still open in this transaction (a statement steps one
// result at a time) and must run on its own. A statement the connection has not
// prepared yet is prepared for this transaction alone, so a loop of one statement
// (10,000 inserts in a batch) parses it once even in a vault's first transaction.
func (tx *Tx) stmt(q string) *sql.Stmt {
	if tx.stmts == nil || tx.busy[q] {
		return nil
	}
	if st := tx.bound[q]; st != nil {
		return st
	}
	var st *sql.Stmt
	if shared := tx.stmts.get(q); shared != nil {
		st = tx.sqlTx.StmtContext(tx.ctx, shared)
	} else {
		var err error
		if st, err = tx.sqlTx.PrepareContext(tx.ctx, q); err != nil {
			return nil // running it directly reports the error
		}
	}
	if tx.bound == nil {
		tx.bound = map[string]*sql.Stmt{}
	}
	tx.bound[q] = st
	return st
}

// stmtRows is a query's result. Close frees its statement for the next query.
type stmtRows struct {
	*sql.Rows
	release func()
}

// Close closes the result; calling it again does nothing more.
func (r *stmtRows) Close() error {
	if r.release != nil {
		r.release()
		r.release = nil
	}
	return r.Rows.Close()
}
