package relay

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"hush/ids"
	"hush/relay/store"
	"hush/sync/wire"
)

// Several relays on one database (docs/RELAY.md, "Several relays"). Each relay
// pushes what it commits to the devices connected to it, as a single relay does;
// the others learn of it through the database: every write transaction announces
// what it changed with NOTIFY, which PostgreSQL delivers when — and only if — the
// transaction commits, in commit order, to every relay listening. An announcement
// names what changed (a chat and a sequence number, an account, a device), never
// its ciphertext: the relay that hears it reads what its own devices should see
// from the store, and pushes that. The store stays the source of truth — sequence
// numbers are gap-free per chat and per account log — so a notification that is
// lost (a dropped connection to the database) costs only latency: the next one
// for that chat or log finds the gap and fills it from the store.
//
// Pushes that must keep their order — a chat's messages, an account's log — pass
// through one goroutine per relay (fanout.run) whatever their origin, which pushes
// each sequence number once, in order, to this relay's devices.

// Cluster is what a store shared by several relays offers for fan-out between
// them. [store.Postgres] implements it; a relay whose store does not is alone.
type Cluster interface {
	// Listen calls fn with each notification payload other relays (and this one)
	// commit, in commit order, until ctx ends; ready is called each time it
	// (re)starts listening.
	Listen(ctx context.Context, ready func(), fn func(payload string)) error
	// Notify sends a payload at once, outside any write (a typing signal).
	Notify(ctx context.Context, payload string) error
	// ChatMembers returns the member accounts of a chat.
	ChatMembers(ctx context.Context, chat ids.Chat) ([]ids.Account, error)
	// ChatViews returns a chat as each of its members is shown it, or
	// store.ErrNotFound.
	ChatViews(ctx context.Context, chat ids.Chat) (store.ChatViews, error)
}

// notifier is the write transaction of a [Cluster] store: what it announces is sent
// when it commits.
type notifier interface {
	Notify(ctx context.Context, payload string) error
}

var _ notifier = (*fanout)(nil)

// Kinds of [event].
const (
	evMessage   = "m" // a chat's message Seq
	evAccount   = "a" // an account log's record Seq
	evInbox     = "i" // an inbox item Seq of Device (of Account)
	evEpoch     = "e" // epoch Seq of Chat, put by Device
	evChat      = "c" // Chat's membership changed, by Device; Accounts were removed (Seq > 0: to them only)
	evReceipt   = "r" // Account's positions in Chat, by Device; Shared: to the other members too, with SharedRead
	evDevices   = "d" // Account's device list changed; Devices were revoked
	evPrekeys   = "p" // Device (of Account) has One and PQ one-time prekeys left
	evTyping    = "t" // Account's Device types in Chat
	evMaxBytes  = store.MaxNotifyPayload
	listenReady = 10 * time.Second // for New to see the relay listening
)

// fanQueue is how many pushes wait for the fan-out goroutine before the commit loop
// and the listener wait for it.
const fanQueue = 8192

// maxWatermarks bounds the sequence numbers the fan-out remembers; past it, it
// forgets them all and starts again from the next number it sees.
const maxWatermarks = 100000

// event is one announcement between relays: what changed, not its content.
type event struct {
	Kind       string        `json:"k"`
	Node       uint64        `json:"n"`
	Chat       ids.Chat      `json:"c,omitzero"`
	Account    ids.Account   `json:"a,omitzero"`
	Device     ids.Device    `json:"d,omitzero"`
	Seq        uint64        `json:"s,omitzero"`
	Delivered  uint64        `json:"dv,omitzero"`
	Read       uint64        `json:"rd,omitzero"`
	Shared     bool          `json:"sh,omitzero"`
	SharedRead uint64        `json:"sr,omitzero"`
	One        uint32        `json:"o,omitzero"`
	PQ         uint32        `json:"pq,omitzero"`
	Accounts   []ids.Account `json:"as,omitempty"`
	Devices    []ids.Device  `json:"ds,omitempty"`
}

// announcer is an op whose commit other relays must hear of.
type announcer interface {
	announce() []event
}

// chatOp is an op on one existing chat: the commit loop of a relay among several
// locks the chats of a batch in one order, so two relays' batches never wait on
// each other in a cycle.
type chatOp interface {
	chatID() ids.Chat
}

// accountLogOp appends to an account's log, and deviceOp numbers or counts what a
// device holds (its inbox, its prekeys): lockBatch locks those in one order too.
type (
	accountLogOp interface{ logOf() ids.Account }
	deviceOp     interface{ deviceOf() ids.Device }
)

// deviceLocker is the write transaction of a store that locks devices (PostgreSQL).
type deviceLocker interface {
	LockDevices(ctx context.Context, devices []ids.Device) error
}

// quotaLocker is the write transaction of a store that locks accounts' quotas
// (PostgreSQL), so relays sharing it check a quota one at a time.
type quotaLocker interface {
	LockQuotas(ctx context.Context, accounts []ids.Account) error
}

// stream is one numbering whose pushes keep their order: a chat's messages or an
// account's log.
type stream struct {
	kind    string
	chat    ids.Chat
	account ids.Account
}

// fanItem is a push for the fan-out goroutine: an event heard from the database,
// or one of this relay's own ordered pushes (body set, except the connection it
// came from).
type fanItem struct {
	ev      event
	body    []byte
	except  *conn
	targets []ids.Account
}

// fanout passes what other relays commit to this relay's devices, and orders this
// relay's own pushes of chats and account logs with theirs.
type fanout struct {
	s       *Server
	cluster Cluster
	node    uint64
	items   chan fanItem
	done    chan struct{}
	// pushed is the last sequence number pushed per stream; only run touches it.
	pushed map[stream]uint64
}

func newFanout(s *Server, c Cluster) *fanout {
	var b [8]byte
	rand.Read(b[:])
	return &fanout{s: s, cluster: c, node: binary.LittleEndian.Uint64(b[:]), items: make(chan fanItem, fanQueue), done: make(chan struct{}), pushed: map[stream]uint64{}}
}

// start listens and runs the fan-out until the server's base context ends; it
// returns once the relay listens, or an error if it does not in time.
func (f *fanout) start() error {
	ready := make(chan struct{}, 1)
	listened := make(chan struct{})
	go func() {
		defer close(listened)
		first := true
		err := f.cluster.Listen(f.s.baseCtx, func() {
			if !first {
				f.catchUp()
			}
			first = false
			select {
			case ready <- struct{}{}:
			default:
			}
		}, f.heard)
		if err != nil {
			f.s.log.Error("listening for other relays stopped", "err", err)
		}
	}()
	go func() {
		<-listened
		close(f.items)
	}()
	go f.run()
	select {
	case <-ready:
		return nil
	case <-listened:
		return errors.New("relay: listening for other relays failed")
	case <-time.After(listenReady):
		return errors.New("relay: not listening for other relays after 10s")
	}
}

// catchUp runs when the relay listens again after it lost its connection to the
// database: what other relays announced meanwhile never reached it. Messages and
// account records would be filled in with the next of their chat or log, but a
// read position, an inbox item or a device list has no next entry to bring it, so
// every connected device is told to catch up from the store, as after a
// reconnection (docs/RELAY.md) — without being disconnected.
func (f *fanout) catchUp() {
	b, err := wire.Encode(0, &wire.CatchUp{})
	if err != nil {
		f.s.log.Error("encode push", "type", wire.TypeCatchUp, "err", err)
		return
	}
	n := 0
	f.s.hub.eachAuthenticated(func(c *conn) {
		c.send(b)
		n++
	})
	f.s.log.Warn("announcements of other relays were missed; connected devices told to catch up", "devices", n)
}

// heard takes a notification: other relays' events go to the fan-out, this
// relay's own are dropped (it pushed them itself).
func (f *fanout) heard(payload string) {
	var evs []event
	if err := json.Unmarshal([]byte(payload), &evs); err != nil {
		f.s.log.Warn("unreadable notification from another relay", "err", err)
		return
	}
	for _, ev := range evs {
		if ev.Node == f.node {
			continue
		}
		select {
		case f.items <- fanItem{ev: ev}:
		case <-f.s.baseCtx.Done():
			return
		}
	}
}

// local hands one of this relay's ordered pushes to the fan-out.
func (f *fanout) local(it fanItem) {
	f.items <- it
}

// Notify sends events outside a write (typing), at once.
func (f *fanout) Notify(ctx context.Context, payload string) error {
	return f.cluster.Notify(ctx, payload)
}

// announce packs events, stamped with this relay, into as few notifications as fit
// PostgreSQL's payload limit (JSON arrays), and sends them with n.
func (f *fanout) announce(ctx context.Context, n notifier, evs []event) error {
	var buf []byte
	flush := func() error {
		if len(buf) == 0 {
			return nil
		}
		err := n.Notify(ctx, string(append(buf, ']')))
		buf = buf[:0]
		return err
	}
	for _, ev := range evs {
		ev.Node = f.node
		b, err := json.Marshal(ev)
		if err != nil {
			return fmt.Errorf("announce: %w", err)
		}
		if len(b)+2 > evMaxBytes {
			return fmt.Errorf("announce: one event of %d bytes", len(b))
		}
		if len(buf)+1+len(b)+1 > evMaxBytes {
			if err := flush(); err != nil {
				return err
			}
		}
		if len(buf) == 0 {
			buf = append(buf, '[')
		} else {
			buf = append(buf, ',')
		}
		buf = append(buf, b...)
	}
	return flush()
}

// run pushes the items in the order they came, each ordered stream once per
// sequence number.
func (f *fanout) run() {
	defer close(f.done)
	for it := range f.items {
		if err := f.handle(f.s.baseCtx, it); err != nil && f.s.baseCtx.Err() == nil {
			f.s.log.Warn("push from another relay failed", "kind", it.ev.Kind, "err", err)
		}
	}
}

func (f *fanout) handle(ctx context.Context, it fanItem) error {
	ev := it.ev
	switch ev.Kind {
	case evMessage:
		return f.ordered(ctx, stream{kind: evMessage, chat: ev.Chat}, it)
	case evAccount:
		return f.ordered(ctx, stream{kind: evAccount, account: ev.Account}, it)
	case evInbox:
		return f.inbox(ctx, ev)
	case evEpoch:
		return f.epoch(ctx, ev)
	case evChat:
		return f.chatChanged(ctx, ev)
	case evReceipt:
		return f.receipt(ctx, ev)
	case evDevices:
		return f.deviceList(ctx, ev)
	case evPrekeys:
		f.s.pushToDevice(ev.Account, ev.Device, &wire.PrekeyCount{OneTime: ev.One, PQOneTime: ev.PQ})
		return nil
	case evTyping:
		return f.typing(ctx, ev)
	}
	return fmt.Errorf("unknown event kind %q", ev.Kind)
}

// anyConnected reports whether one of accounts has a device connected here.
func (f *fanout) anyConnected(accounts []ids.Account) bool {
	return slices.ContainsFunc(accounts, f.s.hub.connected)
}

// pushTo sends b to the connected devices of accounts, but not to the device
// except (the one the change came from, answered instead).
func (f *fanout) pushTo(accounts []ids.Account, b []byte, except ids.Device) {
	for _, a := range accounts {
		f.s.hub.each(a, func(x *conn) {
			if x.device != except {
				x.send(b)
			}
		})
	}
}

// ordered pushes sequence number ev.Seq of a stream, after any this relay has not
// pushed yet (read from the store), unless it was pushed already.
func (f *fanout) ordered(ctx context.Context, st stream, it fanItem) error {
	seq := it.ev.Seq
	last, known := f.pushed[st]
	if known && seq <= last {
		return nil
	}
	if len(f.pushed) >= maxWatermarks {
		clear(f.pushed)
	}
	from := seq - 1
	if known {
		from = last // the numbers in between were committed by other relays
	}
	defer func() { f.pushed[st] = max(f.pushed[st], seq) }()
	targets := it.targets
	if st.kind == evMessage && it.body == nil {
		var err error
		if targets, err = f.cluster.ChatMembers(ctx, st.chat); err != nil {
			return err
		}
	}
	if st.kind == evAccount {
		targets = []ids.Account{st.account}
	}
	if !f.anyConnected(targets) {
		return nil
	}
	// A local push carries its own body; what comes before it, and any remote
	// one, is read from the store.
	upTo := seq
	if it.body != nil {
		upTo = seq - 1
	}
	// Any member reads the chat; one connected here surely was one just now.
	if i := slices.IndexFunc(targets, f.s.hub.connected); i > 0 {
		targets[0], targets[i] = targets[i], targets[0]
	}
	if err := f.fill(ctx, st, targets, from, upTo); err != nil {
		return err
	}
	if it.body != nil {
		for _, a := range targets {
			f.s.hub.each(a, func(x *conn) {
				if x != it.except {
					x.send(it.body)
				}
			})
		}
	}
	return nil
}

// fill pushes the entries of a stream after from up to upTo, read from the store.
func (f *fanout) fill(ctx context.Context, st stream, targets []ids.Account, from, upTo uint64) error {
	for from < upTo {
		var pushes []wire.Body
		var senders []ids.Device
		var last uint64
		switch st.kind {
		case evMessage:
			es, _, err := f.s.store.Messages(ctx, st.chat, targets[0], from, wire.MaxPageEntries, wire.MaxFrameSize)
			if err != nil {
				return err
			}
			for _, e := range es {
				if e.Seq > upTo {
					break
				}
				pushes, senders, last = append(pushes, &wire.Push{ChatID: st.chat, Entry: e}), append(senders, e.SenderDevice), e.Seq
			}
		case evAccount:
			es, _, err := f.s.store.AccountLog(ctx, st.account, from, wire.MaxPageEntries, wire.MaxFrameSize)
			if err != nil {
				return err
			}
			for _, e := range es {
				if e.Seq > upTo {
					break
				}
				pushes, senders, last = append(pushes, &wire.AccountPush{Entry: e}), append(senders, e.SenderDevice), e.Seq
			}
		}
		if len(pushes) == 0 {
			return nil // not committed where this relay reads: a later event fills it
		}
		for i, p := range pushes {
			b, err := wire.Encode(0, p)
			if err != nil {
				return err
			}
			f.pushTo(targets, b, senders[i])
		}
		from = last
	}
	return nil
}

// inbox pushes an item another relay stored for a device connected here.
func (f *fanout) inbox(ctx context.Context, ev event) error {
	found := false
	f.s.hub.each(ev.Account, func(x *conn) { found = found || x.device == ev.Device })
	if !found {
		return nil
	}
	items, _, err := f.s.store.Inbox(ctx, ev.Device, ev.Seq-1, 1, wire.MaxFrameSize)
	if err != nil || len(items) == 0 || items[0].Seq != ev.Seq {
		return err // acknowledged meanwhile
	}
	f.s.pushToDevice(ev.Account, ev.Device, &wire.InboxPush{Item: items[0]})
	return nil
}

// epoch pushes each member connected here its own envelope of a new epoch.
func (f *fanout) epoch(ctx context.Context, ev event) error {
	members, err := f.cluster.ChatMembers(ctx, ev.Chat)
	if err != nil {
		return err
	}
	for _, a := range members {
		if !f.s.hub.connected(a) {
			continue
		}
		keys, _, err := f.s.store.Epochs(ctx, ev.Chat, a, ev.Seq, 1, wire.MaxFrameSize)
		if err != nil || len(keys) == 0 || keys[0].Epoch != ev.Seq {
			continue // no longer a member, or not one at that epoch
		}
		b, err := wire.Encode(0, &wire.NewEpoch{ChatID: ev.Chat, Key: keys[0]})
		if err != nil {
			return err
		}
		f.pushTo([]ids.Account{a}, b, ev.Device)
	}
	return nil
}

// chatChanged pushes a chat as it is now to its members and the accounts just
// removed from it, each as it is shown the chat (store.ChatViews).
func (f *fanout) chatChanged(ctx context.Context, ev event) error {
	v, err := f.cluster.ChatViews(ctx, ev.Chat)
	if errors.Is(err, store.ErrNotFound) || (err == nil && len(v.Shared.Members) == 0) {
		return nil
	}
	if err != nil {
		return err
	}
	targets := chatTargets(v, ev.Accounts)
	if ev.Seq > 0 {
		targets = ev.Accounts
	}
	frames := chatFrames{v: v}
	for _, a := range targets {
		if !f.s.hub.connected(a) {
			continue
		}
		b, err := frames.of(a)
		if err != nil {
			return err
		}
		f.pushTo([]ids.Account{a}, b, ev.Device)
	}
	return nil
}

// receipt pushes an account's positions to its devices, with its own read
// position, and when they moved for the others, to the other members, with the
// one it shares.
func (f *fanout) receipt(ctx context.Context, ev event) error {
	b, err := wire.Encode(0, &wire.Receipt{ChatID: ev.Chat, AccountID: ev.Account, DeliveredSeq: ev.Delivered, ReadSeq: ev.Read})
	if err != nil {
		return err
	}
	f.pushTo([]ids.Account{ev.Account}, b, ev.Device)
	if !ev.Shared {
		return nil
	}
	members, err := f.cluster.ChatMembers(ctx, ev.Chat)
	if err != nil {
		return err
	}
	others := slices.DeleteFunc(members, func(a ids.Account) bool { return a == ev.Account })
	if b, err = wire.Encode(0, &wire.Receipt{ChatID: ev.Chat, AccountID: ev.Account, DeliveredSeq: ev.Delivered, ReadSeq: ev.SharedRead}); err != nil {
		return err
	}
	f.pushTo(others, b, ev.Device)
	return nil
}

// deviceList pushes an account's new device list to its devices and peers
// connected here, and closes the connections of the devices it revoked.
func (f *fanout) deviceList(ctx context.Context, ev event) error {
	a, err := f.s.store.Account(ctx, ev.Account)
	if err != nil {
		return err
	}
	b, err := wire.Encode(0, &wire.DeviceListPush{AccountID: ev.Account, List: a.DeviceList})
	if err != nil {
		return err
	}
	f.s.hub.each(ev.Account, func(x *conn) {
		x.send(b)
		if slices.Contains(ev.Devices, x.device) {
			x.closeRevoked()
		}
	})
	f.s.pushToPeers(ev.Account, b)
	return nil
}

func (f *fanout) typing(ctx context.Context, ev event) error {
	info, err := f.s.store.ChatInfo(ctx, ev.Chat, ev.Account)
	if err != nil {
		return nil // no longer a member
	}
	b, err := wire.Encode(0, &wire.TypingPush{ChatID: ev.Chat, AccountID: ev.Account, DeviceID: ev.Device})
	if err != nil {
		return err
	}
	for _, m := range info.Members {
		if m.AccountID != ev.Account {
			f.pushTo([]ids.Account{m.AccountID}, b, ids.Device{})
		}
	}
	return nil
}

// pushInOrder hands a push of an ordered stream to the fan-out, when the relay
// shares its store; it reports false for a relay alone, which pushes at once.
func (w *writer) pushInOrder(ev event, body wire.Body, except *conn, targets []ids.Account) bool {
	if w.s.fan == nil {
		return false
	}
	b, err := wire.Encode(0, body)
	if err != nil {
		w.s.log.Error("encode push", "type", body.Type(), "err", err)
		return true
	}
	w.s.fan.local(fanItem{ev: ev, body: b, except: except, targets: targets})
	return true
}

// maxAccountsPerEvent keeps an event with a list of accounts within a
// notification's payload (about 35 bytes each).
const maxAccountsPerEvent = 150

func (o *sendOp) chatID() ids.Chat { return o.m.ChatID }

func (o *sendOp) announce() []event {
	if !o.inserted {
		return nil
	}
	return []event{{Kind: evMessage, Chat: o.m.ChatID, Seq: o.entry.Seq}}
}

func (o *markOp) chatID() ids.Chat { return o.m.ChatID }

func (o *markOp) announce() []event {
	if !o.changed {
		return nil
	}
	r := o.own
	return []event{{Kind: evReceipt, Chat: r.ChatID, Account: r.AccountID, Device: o.c.device, Delivered: r.DeliveredSeq, Read: r.ReadSeq,
		Shared: o.others, SharedRead: o.shared.ReadSeq}}
}

func (o *accountAppendOp) logOf() ids.Account  { return o.c.account }
func (o *inboxSendOp) deviceOf() ids.Device    { return o.m.ToDevice }
func (o *fetchPrekeysOp) deviceOf() ids.Device { return o.m.Device }
func (o *putPrekeysOp) deviceOf() ids.Device   { return o.c.device }

func (o *accountAppendOp) announce() []event {
	if !o.inserted {
		return nil
	}
	return []event{{Kind: evAccount, Account: o.c.account, Seq: o.entry.Seq}}
}

func (o *inboxSendOp) announce() []event {
	if !o.inserted {
		return nil
	}
	return []event{{Kind: evInbox, Device: o.m.ToDevice, Account: o.target, Seq: o.item.Seq}}
}

func (o *createChatOp) announce() []event {
	if o.existing {
		return nil
	}
	return []event{{Kind: evChat, Chat: o.views.Shared.ChatID, Device: o.c.device}}
}

func (o *appendLogOp) chatID() ids.Chat { return o.m.ChatID }

func (o *appendLogOp) announce() []event {
	if o.again {
		return nil
	}
	// The first event goes to the members too, the rest (a large removal) only to
	// the accounts they list.
	evs := []event{{Kind: evChat, Chat: o.m.ChatID, Device: o.c.device}}
	for i, removed := range slices.Collect(slices.Chunk(o.removed, maxAccountsPerEvent)) {
		if i == 0 {
			evs[0].Accounts = removed
			continue
		}
		evs = append(evs, event{Kind: evChat, Chat: o.m.ChatID, Device: o.c.device, Seq: uint64(i), Accounts: removed})
	}
	return evs
}

func (o *putEpochOp) chatID() ids.Chat { return o.m.ChatID }

func (o *putEpochOp) announce() []event {
	if o.dup {
		return nil
	}
	return []event{{Kind: evEpoch, Chat: o.m.ChatID, Seq: o.m.Epoch, Device: o.c.device}}
}

func (o *deviceListOp) announce() []event {
	if !o.stored {
		return nil
	}
	return []event{{Kind: evDevices, Account: o.c.account, Devices: o.revoked}}
}

func (o *fetchPrekeysOp) announce() []event {
	if !o.low() {
		return nil
	}
	return []event{{Kind: evPrekeys, Device: o.m.Device, Account: o.target, One: o.left.OneTime, PQ: o.left.PQOneTime}}
}

// announceTyping tells the other relays on the store of a typing signal.
func (s *Server) announceTyping(ctx context.Context, t *wire.Typing, account ids.Account, device ids.Device) {
	if s.fan == nil {
		return
	}
	if err := s.fan.announce(ctx, s.fan, []event{{Kind: evTyping, Chat: t.ChatID, Account: account, Device: device}}); err != nil {
		s.log.Debug("typing: tell other relays", "err", err)
	}
}
