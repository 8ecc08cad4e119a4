package relay

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"maps"
	"slices"
	"sync/atomic"
	"time"

	"hush/identity"
	"hush/ids"
	"hush/policy"
	"hush/relay/store"
	"hush/sync/wire"
)

// Bounds of the commit loop's caches: past them, a cache is dropped and refilled from
// the store on demand.
const (
	maxCachedChats    = 20000
	maxCachedAccounts = 50000
)

// opsQueue is how many writes may wait for the commit loop before submitters block.
const opsQueue = 8192

// op is one write handled by the commit loop.
type op interface {
	// apply checks the write against the relay's state and performs it in tx. It
	// returns a *wire.Error, having written nothing, when the request is refused;
	// any other error aborts the whole batch.
	apply(ctx context.Context, w *writer, tx store.Tx) error
	// finish runs after the batch committed (err is the op's refusal, if any) or
	// failed (err is the failure): it answers the device and pushes to others.
	finish(w *writer, err error)
}

// reqOp is an op answering a device request.
type reqOp interface {
	op
	requestID() uint64
}

// acctState is what the commit loop tracks of an account.
type acctState struct {
	used      int64
	logSeq    uint64
	logLoaded bool
}

// writer is the single commit loop. It owns its caches: nothing else touches them.
type writer struct {
	s    *Server
	ops  chan op
	done chan struct{}

	chats map[ids.Chat]*store.Chat
	accts map[ids.Account]*acctState
	usage map[ids.Account]int64 // this batch's quota changes
	now   int64                 // this batch's time, Unix milliseconds

	commits atomic.Int64
	writes  atomic.Int64
	// reread asks the next batch to start from empty caches (startReread).
	reread atomic.Bool
}

func newWriter(s *Server) *writer {
	w := &writer{s: s, ops: make(chan op, opsQueue), done: make(chan struct{})}
	w.reset()
	return w
}

func (w *writer) reset() {
	w.chats = map[ids.Chat]*store.Chat{}
	w.accts = map[ids.Account]*acctState{}
	w.usage = map[ids.Account]int64{}
}

// run takes whatever writes are waiting, commits them as one transaction, answers
// them, and repeats: under load, batches grow by themselves while a commit runs.
func (w *writer) run() {
	defer close(w.done)
	batch := make([]op, 0, w.s.limits.MaxBatch)
	for {
		first, ok := <-w.ops
		if !ok {
			return
		}
		batch = append(batch[:0], first)
	fill:
		for len(batch) < cap(batch) {
			select {
			case o, ok := <-w.ops:
				if !ok {
					break fill
				}
				batch = append(batch, o)
			default:
				break fill
			}
		}
		w.commit(batch)
		clear(batch)
	}
}

func (w *writer) commit(batch []op) {
	// The store must finish a batch even while the relay shuts down: a write that
	// was read is committed and acknowledged.
	ctx := context.WithoutCancel(w.s.baseCtx)
	if w.s.fan != nil || w.reread.Swap(false) || len(w.chats) > maxCachedChats || len(w.accts) > maxCachedAccounts {
		// Among several relays, what one transaction read is stale by the next:
		// another relay may have written between them.
		w.reset()
	}
	w.now = wire.Millis(w.s.clock.Now())
	refused := make([]error, len(batch))
	start := time.Now()
	err := w.s.store.Write(ctx, func(tx store.Tx) error {
		if w.s.fan != nil {
			if err := w.lockBatch(ctx, tx, batch); err != nil {
				return err
			}
		}
		for i, o := range batch {
			if err := o.apply(ctx, w, tx); err != nil {
				var we *wire.Error
				if !errors.As(err, &we) {
					return err
				}
				refused[i] = we
			}
		}
		// In one order, so two relays' batches do not wait on each other in a cycle.
		for _, a := range slices.SortedFunc(maps.Keys(w.usage), func(x, y ids.Account) int { return bytes.Compare(x[:], y[:]) }) {
			if d := w.usage[a]; d != 0 {
				if err := tx.AddUsage(ctx, a, d); err != nil {
					return err
				}
			}
		}
		return w.announce(ctx, tx, batch, refused)
	})
	clear(w.usage)
	w.s.metrics.commitSeconds.Observe(time.Since(start).Seconds())
	if err != nil {
		w.s.metrics.commitFailures.Inc()
		level := slog.LevelError
		if errors.Is(err, store.ErrConflict) {
			level = slog.LevelWarn // another relay's batch won; devices resend
		}
		w.s.log.Log(ctx, level, "commit failed", "writes", len(batch), "err", err)
		w.reset() // the caches may hold state that was rolled back
		fail := &wire.Error{Code: wire.CodeInternal, Message: "the relay could not store this; retry"}
		for _, o := range batch {
			o.finish(w, fail)
		}
		return
	}
	w.commits.Add(1)
	w.writes.Add(int64(len(batch)))
	w.s.metrics.commitWrites.Observe(float64(len(batch)))
	for i, o := range batch {
		o.finish(w, refused[i])
	}
}

// lockBatch takes, before any op runs, the locks the batch's ops will take on what
// they number — the chats they write to, the quotas they charge, the account logs
// they append to, the devices whose inbox or prekeys they touch — each kind in one
// order (chats, then quotas, then account logs, then devices, each sorted by id).
// Two relays' batches that share some then wait for each other at most, never in a
// cycle. Quotas come before account logs: loading a log reads its account's used
// bytes, which must be read under the quota's lock.
func (w *writer) lockBatch(ctx context.Context, tx store.Tx, batch []op) error {
	var chats []ids.Chat
	var charged, logs []ids.Account
	var devices []ids.Device
	for _, o := range batch {
		if c, ok := o.(chatOp); ok {
			chats = append(chats, c.chatID())
		}
		if c, ok := o.(chargeOp); ok {
			charged = append(charged, c.chargedAccount())
		}
		if l, ok := o.(accountLogOp); ok {
			logs = append(logs, l.logOf())
		}
		if d, ok := o.(deviceOp); ok {
			devices = append(devices, d.deviceOf())
		}
	}
	slices.SortFunc(chats, func(x, y ids.Chat) int { return bytes.Compare(x[:], y[:]) })
	for _, id := range slices.Compact(chats) {
		if _, err := w.chat(ctx, tx, id); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	if l, ok := tx.(quotaLocker); ok && len(charged) > 0 {
		if err := l.LockQuotas(ctx, charged); err != nil {
			return err
		}
	}
	slices.SortFunc(logs, func(x, y ids.Account) int { return bytes.Compare(x[:], y[:]) })
	for _, id := range slices.Compact(logs) {
		if _, err := w.accountLog(ctx, tx, id); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	if l, ok := tx.(deviceLocker); ok && len(devices) > 0 {
		return l.LockDevices(ctx, devices)
	}
	return nil
}

// announce tells the other relays on the store what the batch's accepted writes
// changed; they hear it when, and only if, the batch commits.
func (w *writer) announce(ctx context.Context, tx store.Tx, batch []op, refused []error) error {
	n, ok := tx.(notifier)
	if w.s.fan == nil || !ok {
		return nil
	}
	var evs []event
	for i, o := range batch {
		if a, ok := o.(announcer); ok && refused[i] == nil {
			evs = append(evs, a.announce()...)
		}
	}
	return w.s.fan.announce(ctx, n, evs)
}

// chat returns the cached state of a chat, loading it in tx if needed.
func (w *writer) chat(ctx context.Context, tx store.Tx, id ids.Chat) (*store.Chat, error) {
	if c, ok := w.chats[id]; ok {
		return c, nil
	}
	c, err := tx.Chat(ctx, id)
	if err != nil {
		return nil, err
	}
	w.chats[id] = c
	return c, nil
}

// forgetMemberships drops the cached chats that list account as a member. A new
// account has none; a cached chat that lists it was read before the operator
// deleted an account of the same id (its devices may register it again), and
// must not let it post there. New accounts are few, and the cache bounded.
func (w *writer) forgetMemberships(account ids.Account) {
	for id, c := range w.chats {
		if c.Members[account] != nil {
			delete(w.chats, id)
		}
	}
}

// memberChat returns a chat the account is a member of; to anyone else the chat
// does not exist.
func (w *writer) memberChat(ctx context.Context, tx store.Tx, id ids.Chat, account ids.Account) (*store.Chat, *store.Member, error) {
	c, err := w.chat(ctx, tx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, wire.Errorf(wire.CodeNotFound, "no such chat")
	}
	if err != nil {
		return nil, nil, err
	}
	m := c.Members[account]
	if m == nil {
		return nil, nil, wire.Errorf(wire.CodeNotFound, "no such chat")
	}
	return c, m, nil
}

// account returns the cached state of an account, loading it in tx if needed.
func (w *writer) account(ctx context.Context, tx store.Tx, id ids.Account) (*acctState, error) {
	if a, ok := w.accts[id]; ok {
		return a, nil
	}
	rec, err := tx.Account(ctx, id)
	if err != nil {
		return nil, err
	}
	a := &acctState{used: rec.UsedBytes}
	w.accts[id] = a
	return a, nil
}

// accountLog returns the cached state of an account with its log's last seq,
// loading (and, on a shared store, locking) the log in tx if needed.
func (w *writer) accountLog(ctx context.Context, tx store.Tx, id ids.Account) (*acctState, error) {
	a, err := w.account(ctx, tx, id)
	if err != nil || a.logLoaded {
		return a, err
	}
	if a.logSeq, err = tx.AccountLogSeq(ctx, id); err != nil {
		return nil, err
	}
	a.logLoaded = true
	return a, nil
}

// chargeOp is an op that may charge bytes to its account's quota; on a shared
// store the batch locks that quota first (lockBatch).
type chargeOp interface {
	chargedAccount() ids.Account
}

func (o *sendOp) chargedAccount() ids.Account          { return o.c.account }
func (o *accountAppendOp) chargedAccount() ids.Account { return o.c.account }
func (o *inboxSendOp) chargedAccount() ids.Account     { return o.c.account }

// charge counts n bytes (negative: frees them) against an account's quota.
func (w *writer) charge(id ids.Account, a *acctState, n int64) {
	a.used += n
	w.usage[id] += n
}

func (w *writer) overQuota(a *acctState, n int) bool {
	return a.used+int64(n) > w.s.limits.QuotaBytes
}

// pushMembers sends body to every connected device of every member of c, except
// the connection except.
func (w *writer) pushMembers(c *store.Chat, body wire.Body, except *conn) {
	b, err := wire.Encode(0, body)
	if err != nil {
		w.s.log.Error("encode push", "type", body.Type(), "err", err)
		return
	}
	for a := range c.Members {
		w.s.hub.each(a, func(x *conn) {
			if x != except {
				x.send(b)
			}
		})
	}
}

// pushOthers sends body to the connected devices of every member of c but one
// account.
func (w *writer) pushOthers(c *store.Chat, account ids.Account, body wire.Body) {
	b, err := wire.Encode(0, body)
	if err != nil {
		w.s.log.Error("encode push", "type", body.Type(), "err", err)
		return
	}
	for a := range c.Members {
		if a != account {
			w.s.hub.each(a, func(x *conn) { x.send(b) })
		}
	}
}

// pushAccount sends body to the connected devices of one account, except one.
func (w *writer) pushAccount(account ids.Account, body wire.Body, except *conn) {
	b, err := wire.Encode(0, body)
	if err != nil {
		w.s.log.Error("encode push", "type", body.Type(), "err", err)
		return
	}
	w.s.hub.each(account, func(x *conn) {
		if x != except {
			x.send(b)
		}
	})
}

// base carries what every request op has.
type base struct {
	c     *conn
	reqID uint64
}

func (b *base) requestID() uint64 { return b.reqID }

// answer answers the request; its slot is freed once the answer is written.
func (b *base) answer(err error, ok wire.Body) {
	if err != nil {
		b.c.replyErr(b.reqID, err)
		return
	}
	b.c.reply(b.reqID, ok)
}

// --- registration -----------------------------------------------------------------

type registerResult struct {
	newAccount bool
	err        error
}

// registerOp records a device seen for the first time, and its account if new.
type registerOp struct {
	c          *conn
	cert       []byte
	accountKey identity.AccountPublicKey
	result     chan registerResult
	newAccount bool
}

func (o *registerOp) apply(ctx context.Context, w *writer, tx store.Tx) error {
	acct, dev := o.c.account, o.c.device
	d, err := tx.Device(ctx, dev)
	switch {
	case err == nil && d.Revoked():
		return wire.Errorf(wire.CodeDeviceRevoked, "this device was revoked")
	case err == nil && d.AccountID != acct:
		return wire.Errorf(wire.CodeAuthFailed, "the device belongs to another account")
	case err == nil:
		return nil // registered meanwhile by another connection
	case !errors.Is(err, store.ErrNotFound):
		return err
	}
	a, err := tx.Account(ctx, acct)
	switch {
	case errors.Is(err, store.ErrNotFound):
		if err := w.allowNewAccount(o.c.source); err != nil {
			return err
		}
		if err := tx.CreateAccount(ctx, store.Account{ID: acct, PublicKey: o.accountKey.Bytes(), CreatedAt: w.now}); err != nil {
			return err
		}
		w.accts[acct] = &acctState{}
		w.forgetMemberships(acct)
		o.newAccount = true
	case err != nil:
		return err
	case !sameAccountKey(a.PublicKey, o.accountKey):
		return wire.Errorf(wire.CodeAuthFailed, "the certificate's account key differs from the registered one")
	case a.Disabled():
		return errAccountDisabled()
	case len(a.DeviceList) > 0:
		if err := listsDevice(a.DeviceList, dev); err != nil {
			return err
		}
	default:
		n, err := tx.ActiveDeviceCount(ctx, acct)
		if err != nil {
			return err
		}
		if n >= wire.MaxDevicesPerAccount {
			return wire.Errorf(wire.CodeQuotaExceeded, "the account has %d devices; revoke one first", n)
		}
	}
	return tx.CreateDevice(ctx, store.Device{ID: dev, AccountID: acct, Cert: o.cert, CreatedAt: w.now})
}

// seenOp records that a device authenticated; nobody waits for it.
type seenOp struct {
	dev ids.Device
	at  int64
}

func (o *seenOp) apply(ctx context.Context, w *writer, tx store.Tx) error {
	return tx.SetLastSeen(ctx, o.dev, o.at)
}

func (o *seenOp) finish(*writer, error) {}

// listsDevice refuses a device that the account's device list does not name (one
// not yet linked) or revokes.
func listsDevice(raw []byte, dev ids.Device) error {
	l, err := identity.ParseDeviceList(raw)
	if err != nil {
		return err
	}
	if l.IsRevoked(dev) {
		return wire.Errorf(wire.CodeDeviceRevoked, "this device was revoked")
	}
	if _, ok := l.Device(dev); !ok {
		return wire.Errorf(wire.CodeAuthFailed, "this device is not in its account's device list; link it from a device of the account first")
	}
	return nil
}

func (o *registerOp) finish(w *writer, err error) {
	o.result <- registerResult{newAccount: o.newAccount && err == nil, err: err}
}

// --- handles and devices ------------------------------------------------------------

type handleOp struct {
	base
	handle string // normalised, or "" to remove; signature already verified
}

func (o *handleOp) apply(ctx context.Context, w *writer, tx store.Tx) error {
	if o.handle == "" {
		return tx.SetHandle(ctx, o.c.account, "")
	}
	owner, err := tx.HandleOwner(ctx, o.handle)
	switch {
	case err == nil && owner == o.c.account:
		return nil
	case err == nil:
		return wire.Errorf(wire.CodeHandleTaken, "@%s is taken", o.handle)
	case !errors.Is(err, store.ErrNotFound):
		return err
	}
	return tx.SetHandle(ctx, o.c.account, o.handle)
}

func (o *handleOp) finish(w *writer, err error) { o.answer(err, &wire.OK{}) }

// accountKeysOp stores an account's signed keys record (checked by putAccountKeys),
// unless the one stored is newer.
type accountKeysOp struct {
	base
	keys   []byte
	issued int64 // Unix seconds
}

func (o *accountKeysOp) apply(ctx context.Context, w *writer, tx store.Tx) error {
	a, err := tx.Account(ctx, o.c.account)
	if err != nil {
		return err
	}
	if len(a.Keys) > 0 {
		if held, err := identity.ParseAccountKeys(a.Keys); err == nil && held.IssuedAt.Unix() > o.issued {
			return nil // a newer record from another device stays
		}
	}
	return tx.SetAccountKeys(ctx, o.c.account, o.keys)
}

func (o *accountKeysOp) finish(w *writer, err error) { o.answer(err, &wire.OK{}) }

// deviceListOp stores an account's next signed device list (its signature checked
// by putDeviceList) if it supersedes the stored one, and revokes, for good, every
// registered device of the account the list revokes.
type deviceListOp struct {
	base
	raw     []byte
	list    identity.DeviceList
	revoked []ids.Device // newly revoked by this list
	stored  bool
}

func (o *deviceListOp) apply(ctx context.Context, w *writer, tx store.Tx) error {
	a, err := tx.Account(ctx, o.c.account)
	if err != nil {
		return err
	}
	if len(a.DeviceList) > 0 {
		held, err := identity.ParseDeviceList(a.DeviceList)
		if err != nil {
			return err
		}
		if bytes.Equal(a.DeviceList, o.raw) {
			return nil // a retry
		}
		if err := held.Supersedes(o.list); err != nil {
			return wire.Errorf(wire.CodeConflict, "device list: %v", err)
		}
	}
	o.revoked = o.revoked[:0]
	for _, id := range o.list.Revoked {
		d, err := tx.Device(ctx, id)
		if errors.Is(err, store.ErrNotFound) || (err == nil && (d.AccountID != o.c.account || d.Revoked())) {
			continue
		}
		if err != nil {
			return err
		}
		if err := tx.RevokeDevice(ctx, id, w.now); err != nil {
			return err
		}
		o.revoked = append(o.revoked, id)
	}
	o.stored = true
	return tx.SetDeviceList(ctx, o.c.account, o.raw, o.list.Version)
}

func (o *deviceListOp) finish(w *writer, err error) {
	o.answer(err, &wire.OK{})
	if err != nil || !o.stored {
		return
	}
	for _, dev := range o.revoked {
		w.s.log.Info("device revoked", "account", o.c.account.String(), "device", dev.String())
	}
	// The account's own devices get the list first — a revoked one too, so it
	// learns from its account's signature, not only the relay's word, that it was
	// removed — and a revoked one is then closed.
	revoked := o.revoked
	b, err := wire.Encode(0, &wire.DeviceListPush{AccountID: o.c.account, List: o.raw})
	if err != nil {
		w.s.log.Error("encode device list push", "err", err)
		return
	}
	w.s.hub.each(o.c.account, func(x *conn) {
		x.send(b)
		if slices.Contains(revoked, x.device) {
			x.closeRevoked()
		}
	})
	go w.s.pushToPeers(o.c.account, b)
}

// --- chat log ------------------------------------------------------------------------

type sendOp struct {
	base
	m        *wire.Send
	chat     *store.Chat
	entry    wire.Entry
	inserted bool
}

func (o *sendOp) apply(ctx context.Context, w *writer, tx store.Tx) error {
	c, mine, err := w.memberChat(ctx, tx, o.m.ChatID, o.c.account)
	if err != nil {
		return err
	}
	if !policy.CanPost(c.Kind, mine.Role) {
		return wire.Errorf(wire.CodeForbidden, "subscribers cannot post in a channel")
	}
	a, err := w.account(ctx, tx, o.c.account)
	if err != nil {
		return err
	}
	if o.m.Epoch != c.Epoch || c.RotatePending || w.overQuota(a, len(o.m.Ciphertext)) {
		// A resend of a stored message is answered as the first time, whatever
		// changed since; anything else is refused.
		seq, at, err := tx.MessageSeq(ctx, c, o.m.MsgID)
		if err == nil {
			o.entry = wire.Entry{Seq: seq, ServerTime: at}
			return nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if o.m.Epoch != c.Epoch {
			return wire.Errorf(wire.CodeStaleEpoch, "the chat is at epoch %d", c.Epoch)
		}
		if c.RotatePending {
			return wire.Errorf(wire.CodeStaleEpoch, "a member was removed: the chat's key must change before the next message")
		}
		return wire.Errorf(wire.CodeQuotaExceeded, "the account's storage quota is used up")
	}
	e := wire.Entry{
		Seq:           c.LastSeq + 1,
		MsgID:         o.m.MsgID,
		SenderAccount: o.c.account,
		SenderDevice:  o.c.device,
		Epoch:         o.m.Epoch,
		ServerTime:    w.now,
		Ciphertext:    o.m.Ciphertext,
	}
	seq, at, inserted, err := tx.InsertMessage(ctx, c, e)
	if err != nil {
		return err
	}
	if inserted {
		c.LastSeq = seq
		w.charge(o.c.account, a, int64(len(e.Ciphertext)))
	}
	e.Seq, e.ServerTime = seq, at
	o.chat, o.entry, o.inserted = c, e, inserted
	return nil
}

func (o *sendOp) finish(w *writer, err error) {
	if err == nil && o.inserted {
		// Counted before the Ack leaves: the count is never behind what a client
		// saw acknowledged.
		w.s.metrics.messages.Inc()
	}
	o.answer(err, &wire.Ack{ChatID: o.m.ChatID, MsgID: o.m.MsgID, Seq: o.entry.Seq, ServerTime: o.entry.ServerTime})
	if err == nil && o.inserted {
		push := &wire.Push{ChatID: o.m.ChatID, Entry: o.entry}
		if !w.pushInOrder(event{Kind: evMessage, Chat: o.m.ChatID, Seq: o.entry.Seq}, push, o.c, slices.Collect(maps.Keys(o.chat.Members))) {
			w.pushMembers(o.chat, push, o.c)
		}
	}
}

// markOp raises the caller's account's positions in a chat. Its read position is
// kept twice (docs/PROTOCOL.md, "Receipts and typing"): its own, and the one the
// other members are shown, which a Mark raises along only when it raises the own
// one and is not Private.
type markOp struct {
	base
	m    *wire.Mark
	chat *store.Chat
	// own is what the account's other devices are pushed (its own read position),
	// shared what the other members are (the one it shares), when others is set.
	own, shared wire.Receipt
	changed     bool
	others      bool
}

func (o *markOp) apply(ctx context.Context, w *writer, tx store.Tx) error {
	c, mine, err := w.memberChat(ctx, tx, o.m.ChatID, o.c.account)
	if err != nil {
		return err
	}
	read := min(max(mine.ReadSeq, o.m.ReadSeq), c.LastSeq)
	delivered := min(max(mine.DeliveredSeq, o.m.DeliveredSeq, read), c.LastSeq)
	if read == mine.ReadSeq && delivered == mine.DeliveredSeq {
		return nil
	}
	shared := mine.SharedReadSeq
	if read > mine.ReadSeq && !o.m.Private {
		shared = read
	}
	if err := tx.SetMark(ctx, c, o.c.account, delivered, read, shared); err != nil {
		return err
	}
	o.others = policy.SharesReceipts(c.Kind) && (delivered != mine.DeliveredSeq || shared != mine.SharedReadSeq)
	mine.DeliveredSeq, mine.ReadSeq, mine.SharedReadSeq = delivered, read, shared
	o.chat, o.changed = c, true
	o.own = wire.Receipt{ChatID: c.ID, AccountID: o.c.account, DeliveredSeq: delivered, ReadSeq: read}
	o.shared = wire.Receipt{ChatID: c.ID, AccountID: o.c.account, DeliveredSeq: delivered, ReadSeq: shared}
	return nil
}

func (o *markOp) finish(w *writer, err error) {
	o.answer(err, &wire.OK{})
	if err != nil || !o.changed {
		return
	}
	w.pushAccount(o.c.account, &o.own, o.c)
	if o.others {
		w.pushOthers(o.chat, o.c.account, &o.shared)
	}
}

// --- account log and inboxes ---------------------------------------------------------

type accountAppendOp struct {
	base
	m        *wire.AccountAppend
	entry    wire.AccountEntry
	inserted bool
}

func (o *accountAppendOp) apply(ctx context.Context, w *writer, tx store.Tx) error {
	me := o.c.account
	a, err := w.accountLog(ctx, tx, me)
	if err != nil {
		return err
	}
	if w.overQuota(a, len(o.m.Ciphertext)) {
		// A resend of a stored record is answered as the first time.
		seq, at, err := tx.RecordSeq(ctx, me, o.m.RecordID)
		if err == nil {
			o.entry = wire.AccountEntry{Seq: seq, ServerTime: at}
			return nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		return wire.Errorf(wire.CodeQuotaExceeded, "the account's storage quota is used up")
	}
	e := wire.AccountEntry{Seq: a.logSeq + 1, RecordID: o.m.RecordID, SenderDevice: o.c.device, ServerTime: w.now, Ciphertext: o.m.Ciphertext}
	seq, at, inserted, err := tx.InsertAccountRecord(ctx, me, e)
	if err != nil {
		return err
	}
	if inserted {
		a.logSeq = seq
		w.charge(me, a, int64(len(e.Ciphertext)))
	}
	e.Seq, e.ServerTime = seq, at
	o.entry, o.inserted = e, inserted
	return nil
}

func (o *accountAppendOp) finish(w *writer, err error) {
	o.answer(err, &wire.AccountAck{RecordID: o.m.RecordID, Seq: o.entry.Seq, ServerTime: o.entry.ServerTime})
	if err == nil && o.inserted {
		push := &wire.AccountPush{Entry: o.entry}
		if !w.pushInOrder(event{Kind: evAccount, Account: o.c.account, Seq: o.entry.Seq}, push, o.c, []ids.Account{o.c.account}) {
			w.pushAccount(o.c.account, push, o.c)
		}
	}
}

type inboxSendOp struct {
	base
	m        *wire.InboxSend
	stranger bool // the target device's account shares no chat with the sender's
	target   ids.Account
	item     wire.InboxItem
	inserted bool
}

func (o *inboxSendOp) apply(ctx context.Context, w *writer, tx store.Tx) error {
	d, err := tx.Device(ctx, o.m.ToDevice)
	if errors.Is(err, store.ErrNotFound) || (err == nil && d.Revoked()) {
		return wire.Errorf(wire.CodeNotFound, "no such device")
	}
	if err != nil {
		return err
	}
	a, err := w.account(ctx, tx, o.c.account)
	if err != nil {
		return err
	}
	it := wire.InboxItem{ItemID: o.m.ItemID, FromAccount: o.c.account, FromDevice: o.c.device, ServerTime: w.now, Ciphertext: o.m.Ciphertext}
	if w.overQuota(a, len(it.Ciphertext)) {
		return wire.Errorf(wire.CodeQuotaExceeded, "the account's storage quota is used up")
	}
	now := w.s.clock.Now()
	if o.stranger {
		if err := w.allowStrangerItem(o.c.account, now); err != nil {
			return err
		}
	}
	stored, inserted, err := tx.InsertInboxItem(ctx, o.m.ToDevice, it)
	if err != nil {
		return err
	}
	if o.stranger && !inserted {
		w.s.hourly.strangers.giveBack(o.c.account, now) // a resend stores nothing
	}
	if inserted {
		w.charge(o.c.account, a, int64(len(it.Ciphertext)))
	}
	o.target, o.item, o.inserted = d.AccountID, stored, inserted
	return nil
}

func (o *inboxSendOp) finish(w *writer, err error) {
	o.answer(err, &wire.OK{})
	if err != nil || !o.inserted {
		return
	}
	w.s.pushToDevice(o.target, o.m.ToDevice, &wire.InboxPush{Item: o.item})
}

type inboxAckOp struct {
	base
	m *wire.InboxAck
}

func (o *inboxAckOp) apply(ctx context.Context, w *writer, tx store.Tx) error {
	freed, err := tx.DeleteInboxItems(ctx, o.c.device, o.m.ItemIDs)
	if err != nil {
		return err
	}
	for id, n := range freed {
		a, err := w.account(ctx, tx, id)
		if err != nil {
			return err
		}
		w.charge(id, a, -n)
	}
	return nil
}

func (o *inboxAckOp) finish(w *writer, err error) { o.answer(err, &wire.OK{}) }
