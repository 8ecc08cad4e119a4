package vault

import (
	"hush/ids"
	"hush/policy"
)

// Change is one write to messages or chats that a committed transaction
// made, for a view of the vault kept in memory (the search index, package
// search) to follow without reading the vault again.
type Change struct {
	Kind ChangeKind
	// Message is the message as written (ChangeMessagePut).
	Message Message
	// MessageID is the message deleted (ChangeMessageDeleted).
	MessageID ids.Message
	// Chat is the chat written or deleted (ChangeChatPut, ChangeChatDeleted);
	// ChatKind is its kind (ChangeChatPut).
	Chat     ids.Chat
	ChatKind policy.ChatKind
}

// ChangeKind says what a [Change] is.
type ChangeKind uint8

// Change kinds.
const (
	_ ChangeKind = iota
	// ChangeMessagePut: a message was inserted or replaced (an edit, a status).
	ChangeMessagePut
	// ChangeMessageDeleted: a message was deleted.
	ChangeMessageDeleted
	// ChangeChatPut: a chat was created or rewritten by PutChat.
	ChangeChatPut
	// ChangeChatDeleted: a chat was deleted with all its messages.
	ChangeChatDeleted
	// ChangeMany: the transaction changed more than MaxListedChanges messages
	// or chats (a backup's import, say), too many to list; it comes alone.
	// A watcher re-reads what it keeps from the vault.
	ChangeMany
)

// MaxListedChanges is how many changes a transaction lists to watchers; past
// it they get one ChangeMany instead. Listing each would hold every message
// a large import writes in memory until its commit (about 500 bytes each, so
// 50 MiB for 100 000 messages), where the import itself holds one record at a
// time.
const MaxListedChanges = 4096

// Watch calls fn after every commit that changed messages or chats, with
// the changes in the order the transaction made them (or one ChangeMany). Calls come in commit
// order, on the committing goroutine, after the commit: fn must be quick
// and must not call v (it would deadlock). A transaction that was already
// running when Watch returns is reported if it commits afterwards. stop
// ends the calls; it must not be called from fn.
func (v *Vault) Watch(fn func([]Change)) (stop func()) {
	v.watchMu.Lock()
	defer v.watchMu.Unlock()
	if v.watchers == nil {
		v.watchers = make(map[int]func([]Change))
	}
	n := v.nextWatcher
	v.nextWatcher++
	v.watchers[n] = fn
	return func() {
		v.watchMu.Lock()
		defer v.watchMu.Unlock()
		delete(v.watchers, n)
	}
}

// record notes a change of a writable transaction, reported if it commits;
// past MaxListedChanges it keeps one ChangeMany instead.
func (tx *Tx) record(c Change) {
	switch {
	case len(tx.changes) == 1 && tx.changes[0].Kind == ChangeMany:
	case len(tx.changes) == MaxListedChanges:
		tx.changes = []Change{{Kind: ChangeMany}} // and the listed ones are garbage
	default:
		tx.changes = append(tx.changes, c)
	}
}

// commitAndNotify commits tx's SQL transaction and reports its changes.
// watchMu is held from before the commit until the watchers return, so a
// later transaction's changes (which can only commit after this commit
// released the connection) are never reported before these.
func (v *Vault) commitAndNotify(tx *Tx) error {
	if len(tx.changes) == 0 {
		return tx.sqlTx.Commit()
	}
	v.watchMu.Lock()
	defer v.watchMu.Unlock()
	if err := tx.sqlTx.Commit(); err != nil {
		return err
	}
	for _, fn := range v.watchers {
		fn(tx.changes)
	}
	return nil
}
