package chat

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"

	"hush/chatcrypto"
	"hush/clock"
	"hush/ids"
	"hush/policy"
	"hush/sync/relayclient"
	"hush/sync/wire"
	"hush/vault"
)

// The receiver keeps the vault in step with the relay. After every (re)connection
// it catches up each chat from its vault cursor in pages, then applies pushes live.
// Every message is verified (apply.go) and stored together with the advanced cursor
// in one vault transaction; anything that fails verification is dropped with a
// warning, never stored. It has no state of its own beyond the vault: the cursors
// are there, and the acknowledged sequence numbers beyond them are the aheadSet's.
type receiver struct {
	v     *vault.Vault
	link  *link
	chats *chatStore
	keys  *keyring
	dir   *directory
	// sponsor takes the messages of link sessions this device claimed.
	sponsor *sponsor
	// pause is whether the user paused fetching history.
	pause *pauser
	// prekeys keeps this device's prekeys for secret chats at the relay.
	prekeys *prekeys
	courier *kemCourier
	secrets *secrets
	// expiry deletes what auto-delete or self-destruct sets a time for.
	expiry *expirer
	// blobs deletes this account's files from the relay (blobdelete.go).
	blobs *blobDeleter
	inbox *inbox
	// acct keeps the account log; facts lists what this device holds of it.
	acct   *accountSync
	facts  func(context.Context) []fact
	list   *chatList
	marks  *marker
	ahead  *aheadSet
	outbox interface{ kick() } // the sender, woken when a connection or a key arrives
	certs  *chatcrypto.CertCache
	// early counts the entries opened before their transaction (preopen.go).
	early  atomic.Int64
	checks *checks
	meID   ids.Account
	device ids.Device
	clk    clock.Clock
	log    *slog.Logger
	obs    Observer
	warn   func(Warning)
	// handleChanged reports this account's handle, learned from the relay.
	handleChanged func()
}

// Tuning of the receiving pipeline.
const (
	// fetchPage is how many entries one Fetch asks for (the protocol's maximum).
	fetchPage = wire.MaxPageEntries
	// syncChatsAtOnce is how many chats a catch-up brings up to date together: one
	// chat's round trips to the relay overlap another's work on this device.
	syncChatsAtOnce = 2
	// maxStatusScan bounds how many messages a receipt looks through to report
	// status changes.
	maxStatusScan = 1000
)

// Connected catches up every chat after a (re)connection.
func (r *receiver) Connected(ctx context.Context, s relayclient.Session) {
	r.log.Info("relay session", "account", s.Account.String(), "device", s.Device.String(), "new_account", s.NewAccount)
	r.dir.forgetDeviceLists()
	if r.dir.refreshOwn(ctx) {
		r.handleChanged()
	}
	r.catchUpAll(ctx)
	r.acct.reapply(ctx)
	r.acct.seed(ctx, r.facts(ctx))
	r.acct.flush(ctx)
	r.outbox.kick()
	r.marks.kick()
	r.blobs.kick()
	if err := r.prekeys.ensure(ctx); err != nil {
		r.log.Info("prekeys for secret chats", "err", err)
	}
	r.courier.deliverNow(ctx)
	r.secrets.flush(ctx)
}

// catchUpAll reads what the relay holds and this device may have missed: the
// inbox, every chat (entries and read positions), the account log.
func (r *receiver) catchUpAll(ctx context.Context) {
	// The inbox first: it may bring the account's new ML-KEM seeds, which epoch
	// keys fetched next are wrapped to.
	seeds := r.inbox.catchUp(ctx)
	r.catchUp(ctx)
	if seeds {
		r.acct.retryWaiting(ctx)
	}
	r.acct.catchUp(ctx)
}

// Missed catches up after pushes were dropped: any of them may have been an
// inbox item or an account record, not only a chat's.
func (r *receiver) Missed(ctx context.Context) { r.catchUpAll(ctx) }

// Pushes applies pushes in order; consecutive messages of one chat go into one vault
// transaction.
func (r *receiver) Pushes(ctx context.Context, pushes []wire.Body) {
	for i := 0; i < len(pushes); i++ {
		switch b := pushes[i].(type) {
		case *wire.Push:
			entries := []wire.Entry{b.Entry}
			for i+1 < len(pushes) {
				next, ok := pushes[i+1].(*wire.Push)
				if !ok || next.ChatID != b.ChatID {
					break
				}
				entries = append(entries, next.Entry)
				i++
			}
			r.receive(ctx, b.ChatID, entries)
		case *wire.ChatChanged:
			r.onChatChanged(ctx, b.Chat)
		case *wire.NewEpoch:
			r.onNewEpoch(ctx, b)
		case *wire.Receipt:
			r.onReceipt(ctx, b)
		case *wire.TypingPush:
			r.onTyping(ctx, b)
		case *wire.DeviceListPush:
			r.dir.onDeviceList(ctx, b.AccountID, b.List)
		case *wire.AccountPush:
			r.acct.receive(ctx, b.Entry)
		case *wire.LinkPush:
			r.sponsor.onPush(b)
		case *wire.LinkClosed:
			r.sponsor.onClosed(b.Session)
		case *wire.PrekeyCount:
			r.prekeys.onCount(ctx, *b)
		case *wire.CatchUp:
			// The relay may have missed what other relays pushed (docs/RELAY.md).
			r.catchUpAll(ctx)
		case *wire.InboxPush:
			if r.inbox.handle(ctx, []wire.InboxItem{b.Item}) {
				// What waited for the new seeds: epoch keys, account records.
				r.catchUp(ctx)
				r.acct.retryWaiting(ctx)
			}
		default:
			r.log.Debug("push ignored", "type", b.Type())
		}
	}
}

// catchUp brings every chat up to date with the relay: membership, epoch keys and
// messages after the vault cursor. A chat the relay no longer lists is not deleted:
// its log is read as far as the relay lets this account (a removal shows there), and
// otherwise it is marked unavailable on this relay.
func (r *receiver) catchUp(ctx context.Context) {
	summaries, err := r.remoteChats(ctx)
	if err != nil {
		r.log.Info("catch-up: chat list", "err", err)
		return
	}
	remote := make(map[ids.Chat]bool, len(summaries))
	for _, c := range summaries {
		remote[c.ChatID] = true
	}
	var local []vault.Chat
	if err := r.v.View(ctx, func(tx *vault.Tx) error {
		var err error
		local, err = tx.Chats()
		return err
	}); err != nil {
		r.log.Warn("catch-up: local chats", "err", err)
		return
	}
	for _, c := range local {
		if c.Kind.Cloud() && !remote[c.ID] && roleOf(&c, r.meID) != 0 {
			r.unlisted(ctx, c.ID)
		}
	}
	order, pending := r.planSync(ctx, summaries)
	run := newSyncRun(r.obs, r.clk, len(order), pending)
	run.finish(r.syncChats(ctx, order, run))
}

// syncChats brings the chats of order up to date and reports whether the user
// paused it: the first (the most recently active, the one the user opens) alone,
// then the others syncChatsAtOnce at a time, taken in order. It stops early when
// the connection is gone.
func (r *receiver) syncChats(ctx context.Context, order []ids.Chat, run *syncRun) (paused bool) {
	var (
		mu      sync.Mutex
		next    int
		stopped bool
	)
	take := func() (ids.Chat, bool) {
		mu.Lock()
		defer mu.Unlock()
		if stopped || next == len(order) {
			return ids.Chat{}, false
		}
		if r.pause.paused.Load() {
			stopped, paused = true, true
			return ids.Chat{}, false
		}
		next++
		return order[next-1], true
	}
	// work takes chats until none is left, or only one with once.
	work := func(once bool) {
		for id, ok := take(); ok; id, ok = take() {
			if err := r.syncChat(ctx, id, run); err != nil {
				if errors.Is(err, ErrOffline) || errors.Is(err, ErrClosed) || ctx.Err() != nil {
					mu.Lock()
					stopped = true
					mu.Unlock()
					return
				}
				r.log.Warn("catch-up: chat", "chat", id.String(), "err", err)
			}
			run.chatDone()
			if once {
				return
			}
		}
	}
	work(true)
	var wg sync.WaitGroup
	for range syncChatsAtOnce {
		wg.Go(func() { work(false) })
	}
	wg.Wait()
	return paused
}

// unlisted handles a chat held here that the relay does not serve this account: the
// log shows a removal if there was one; otherwise the chat is unavailable here.
func (r *receiver) unlisted(ctx context.Context, id ids.Chat) {
	if _, err := r.keys.roster.sync(ctx, id, unknownLen); err != nil && !errors.Is(err, wire.ErrNotFound) {
		r.log.Info("log of an unlisted chat", "chat", id.String(), "err", err)
	}
	if r.keys.member(ctx, id) {
		r.keys.unavailable(ctx, id)
	}
}

// remoteChats pages through the chats the relay lists for this account.
func (r *receiver) remoteChats(ctx context.Context) ([]wire.ChatSummary, error) {
	seen := map[ids.Chat]bool{}
	var out []wire.ChatSummary
	var after ids.Chat
	for {
		page, err := doAs[*wire.Chats](ctx, r.link, &wire.ChatList{After: after, Limit: wire.MaxPageEntries})
		if err != nil {
			return nil, err
		}
		for _, c := range page.Chats {
			if !seen[c.ChatID] {
				seen[c.ChatID] = true
				out = append(out, c)
			}
		}
		if !page.More || len(page.Chats) == 0 {
			return out, nil
		}
		after = page.Chats[len(page.Chats)-1].ChatID
	}
}

// syncChat brings one chat up to date: its log, epoch keys, a due key, messages.
func (r *receiver) syncChat(ctx context.Context, id ids.Chat, run *syncRun) error {
	info, err := doAs[*wire.ChatInfo](ctx, r.link, &wire.GetChat{ChatID: id})
	if errors.Is(err, wire.ErrNotFound) {
		r.unlisted(ctx, id)
		return nil
	}
	if err != nil {
		return err
	}
	return r.syncInfoRun(ctx, *info, run)
}

// syncInfo brings a chat the relay described up to date.
func (r *receiver) syncInfo(ctx context.Context, info wire.ChatInfo) error {
	return r.syncInfoRun(ctx, info, nil)
}

// syncInfoRun is syncInfo counting what it fetches in run (nil: no catch-up).
func (r *receiver) syncInfoRun(ctx context.Context, info wire.ChatInfo, run *syncRun) error {
	held, err := r.keys.adopt(ctx, info)
	if err != nil || !held || !r.readable(ctx, info.ChatID) {
		return err
	}
	return r.fetchMessagesRun(ctx, info.ChatID, run)
}

// readable reports whether a chat held here takes messages: this account is a member
// and did not decline it.
func (r *receiver) readable(ctx context.Context, id ids.Chat) bool {
	ok := false
	_ = r.v.View(ctx, func(tx *vault.Tx) error {
		c, meta, err := chatWithMeta(tx, id)
		ok = err == nil && roleOf(&c, r.meID) != 0 && meta.Request != requestDeclined && !meta.Forked
		return err
	})
	return ok
}

// onChatChanged applies a membership push: the chat's log first, then the rest.
func (r *receiver) onChatChanged(ctx context.Context, info wire.ChatInfo) {
	if err := r.syncInfo(ctx, info); err != nil {
		r.log.Info("chat changed", "chat", info.ChatID.String(), "err", err)
	}
}

// onNewEpoch stores a pushed epoch key, then retries what waited for it: messages of
// that epoch and sends.
func (r *receiver) onNewEpoch(ctx context.Context, n *wire.NewEpoch) {
	id := n.ChatID
	known, err := r.chats.has(ctx, id)
	if err != nil {
		return
	}
	if !known {
		if err := r.syncChat(ctx, id, nil); err != nil {
			r.log.Info("new epoch of an unknown chat", "chat", id.String(), "err", err)
		}
		return
	}
	if err := r.keys.newEpoch(ctx, id, n.Key); err != nil {
		r.log.Info("new epoch", "chat", id.String(), "err", err)
		return
	}
	if err := r.fetchMessages(ctx, id); err != nil {
		r.log.Info("messages after new epoch", "chat", id.String(), "err", err)
	}
	r.outbox.kick()
}

// fetchMessages pages through the chat log from the vault cursor until the relay
// has nothing more, or processing stops making progress.
func (r *receiver) fetchMessages(ctx context.Context, id ids.Chat) error {
	return r.fetchMessagesRun(ctx, id, nil)
}

// fetchMessagesRun is fetchMessages for a catch-up (run non-nil), which counts what
// it fetched and stops between pages when the user pauses it.
func (r *receiver) fetchMessagesRun(ctx context.Context, id ids.Chat, run *syncRun) error {
	for {
		if run != nil && r.pause.paused.Load() {
			return nil
		}
		cursor, err := r.chats.cursor(ctx, id)
		if err != nil {
			return err
		}
		page, err := doAs[*wire.Page](ctx, r.link, &wire.Fetch{ChatID: id, AfterSeq: cursor, Limit: fetchPage})
		if errors.Is(err, wire.ErrNotFound) {
			r.unlisted(ctx, id)
			return nil
		}
		if err != nil {
			return err
		}
		if len(page.Entries) == 0 {
			r.reportGaps(ctx, id)
			return nil
		}
		next, _, err := r.process(ctx, id, page.Entries)
		if err != nil {
			return err
		}
		run.messages(len(page.Entries))
		if !page.More {
			r.reportGaps(ctx, id)
			return nil
		}
		if next <= cursor {
			return nil
		}
	}
}

// reportGaps shows, once the chat is caught up with the relay, the messages its
// senders numbered that never arrived: the relay withheld them. Each sending device
// with a gap gets a line in the chat and a warning; the gap is then forgotten (a
// message arriving after all is shown as usual).
func (r *receiver) reportGaps(ctx context.Context, id ids.Chat) {
	var news []Message
	var warns []Warning
	err := r.v.Update(ctx, func(tx *vault.Tx) error {
		news, warns = nil, nil
		c, meta, err := chatWithMeta(tx, id)
		if err != nil {
			return err
		}
		cursor, err := tx.Cursor(scope(id))
		if err != nil {
			return err
		}
		names := nameCache{}
		for i := range meta.Senders {
			sc := &meta.Senders[i]
			n := uint64(len(sc.Missing)) + sc.Lost
			if n == 0 {
				continue
			}
			sc.Missing, sc.Lost = nil, 0
			account := ids.Account(sc.Account)
			m := vault.Message{ID: ids.New[ids.Message](), ChatID: id, Seq: max(cursor, 1), SenderAccount: account,
				SenderDevice: ids.Device(sc.Device), SentAt: r.clk.Now(), Status: policy.StatusSent}
			line := &serviceLine{Kind: ServiceGap, Targets: [][]byte{append([]byte(nil), account[:]...)}, Count: n}
			if _, err := r.keys.roster.storeLine(tx, &m, line); err != nil {
				return err
			}
			msg := r.list.message(tx, m, &meta, names)
			news = append(news, msg)
			warns = append(warns, Warning{Chat: id, Kind: WarnMessagesMissing, Account: account, Name: msg.SenderName, Count: int(n)})
		}
		if len(news) == 0 {
			return nil
		}
		if c.Extra, err = encodeMeta(meta); err != nil {
			return err
		}
		return r.chats.update(tx, c)
	})
	if err != nil {
		if !errors.Is(err, vault.ErrNotFound) {
			r.log.Warn("report missing messages", "chat", id.String(), "err", err)
		}
		return
	}
	for _, w := range warns {
		r.warn(w)
	}
	for _, m := range news {
		r.obs.MessageNew(m)
	}
}

// receive applies pushed entries; a gap in the sequence numbers is filled by
// fetching.
func (r *receiver) receive(ctx context.Context, id ids.Chat, entries []wire.Entry) {
	_, gap, err := r.process(ctx, id, entries)
	if errors.Is(err, errUnknownChat) {
		if err := r.syncChat(ctx, id, nil); err != nil {
			r.log.Info("receive: unknown chat", "chat", id.String(), "err", err)
		}
		return
	}
	if err != nil {
		r.log.Warn("receive", "chat", id.String(), "err", err)
		return
	}
	if gap {
		if err := r.fetchMessages(ctx, id); err != nil {
			r.log.Info("receive: fill gap", "chat", id.String(), "err", err)
		}
	}
}

// errNeedPrep aborts a processing transaction that needs network work first.
var errNeedPrep = errors.New("chat: entries need keys fetched first")

// errUnknownChat reports entries of a chat this device does not have yet.
var errUnknownChat = errors.New("chat: unknown chat")

// process verifies, decrypts and stores entries of one chat that follow its cursor,
// advancing the cursor in the same transaction. It returns the new cursor and
// whether an entry beyond cursor+1 showed a gap.
func (r *receiver) process(ctx context.Context, id ids.Chat, entries []wire.Entry) (uint64, bool, error) {
	// Optimistically in one transaction; if an entry needs network work first (a
	// key to fetch, a sender to pin, a device list to look up), do it and go again.
	pre := r.preopen(ctx, id, entries, nil)
	cursor, gap, err := r.processOnce(ctx, id, entries, nil, pre)
	if !errors.Is(err, errNeedPrep) {
		return cursor, gap, err
	}
	prep, err := r.prepare(ctx, id, entries)
	if err != nil {
		return 0, false, err
	}
	// What prepare fetched (a sender pinned, an epoch key) may open more early.
	return r.processOnce(ctx, id, entries, prep, r.preopen(ctx, id, entries, pre))
}

// batch is what one processing transaction did, to report after the commit.
type batch struct {
	news     []Message
	changed  []Message // messages actions changed (actions.go)
	statuses []StatusChange
	warnings []WarningKind
	summary  *Chat
	marked   bool
	last     *vault.Message            // the newest message stored
	heard    map[ids.Account]heardName // the newest sender name of each account
	retitled []ids.Chat                // direct chats whose contact was renamed
	timed    bool                      // a message with an auto-delete time was stored
	blobJobs bool                      // requests for this account's files were queued

	pre     preopened                // the page opened before the transaction
	devices map[sentBy]deviceVerdict // devices found good in this transaction

	parked     *parked // the parked actions of parkedChat, once read
	parkedChat ids.Chat
}

// sentBy is a sending device and the account it claims.
type sentBy struct {
	account ids.Account
	device  ids.Device
}

// hearName remembers name if it is the newest this batch carried for sender.
func (b *batch) hearName(sender ids.Account, name string, at int64) {
	if b.heard == nil {
		b.heard = map[ids.Account]heardName{}
	}
	if h, ok := b.heard[sender]; ok && h.at > at {
		return
	}
	b.heard[sender] = heardName{name: name, at: at}
}

func (r *receiver) processOnce(ctx context.Context, id ids.Chat, entries []wire.Entry, prep *prepared, pre preopened) (uint64, bool, error) {
	var out batch
	var cursor uint64
	var gap bool
	err := r.v.Update(ctx, func(tx *vault.Tx) error {
		out, gap = batch{pre: pre}, false
		var err error
		cursor, gap, err = r.applyBatch(tx, id, entries, prep, &out)
		return err
	})
	if errors.Is(err, errNeedPrep) || errors.Is(err, errUnknownChat) {
		return 0, false, err
	}
	if err != nil {
		return 0, false, fmt.Errorf("store messages of %s: %w", id, err)
	}
	for _, k := range out.warnings {
		r.warn(Warning{Chat: id, Kind: k})
	}
	for _, m := range out.news {
		r.obs.MessageNew(m)
	}
	for _, m := range out.changed {
		r.obs.MessageChanged(m)
	}
	if out.blobJobs {
		r.blobs.kick()
	}
	for _, s := range out.statuses {
		r.obs.MessageStatus(s)
	}
	if out.summary != nil {
		r.obs.ChatUpdated(*out.summary)
	}
	r.list.emitRetitled(ctx, out.retitled, id)
	if out.marked {
		r.marks.queue(id)
	}
	if out.timed {
		r.expiry.wake()
	}
	return cursor, gap, nil
}

// applyBatch applies the entries that follow the chat's cursor, in tx, and stores
// the advanced cursor with the chat's new state.
func (r *receiver) applyBatch(tx *vault.Tx, id ids.Chat, entries []wire.Entry, prep *prepared, out *batch) (cursor uint64, gap bool, err error) {
	c, err := tx.Chat(id)
	if errors.Is(err, vault.ErrNotFound) {
		return 0, false, errUnknownChat
	}
	if err != nil {
		return 0, false, err
	}
	meta, err := decodeMeta(c.Extra)
	if err != nil {
		return 0, false, err
	}
	cur, err := tx.Cursor(scope(id))
	if err != nil {
		return 0, false, err
	}
	start := uint64(cur)
	cursor = r.ahead.catchForward(id, start)
	names := nameCache{}
	fromOthers := false
	for i := range entries {
		en := &entries[i]
		if en.Seq <= cursor {
			continue
		}
		if en.Seq != cursor+1 {
			gap = true
			break
		}
		if en.Seq > math.MaxInt64 {
			out.warnings = append(out.warnings, WarnImpossibleSeq)
			cursor = en.Seq
			continue
		}
		stall, err := r.apply(tx, &c, &meta, en, names, out, prep)
		if err != nil {
			return 0, false, err
		}
		if stall {
			break
		}
		if en.SenderAccount != r.meID {
			fromOthers = true
		}
		cursor = r.ahead.catchForward(id, en.Seq)
	}
	if cursor == start {
		return cursor, gap, nil
	}
	if err := tx.SetCursor(scope(id), int64(cursor)); err != nil {
		return 0, false, err
	}
	if out.retitled, err = r.dir.learnNames(tx, out.heard, names); err != nil {
		return 0, false, err
	}
	if fromOthers && cursor > meta.MyDelivered {
		meta.MyDelivered = cursor
		out.marked = true
	}
	if c.Extra, err = encodeMeta(meta); err != nil {
		return 0, false, err
	}
	if err := r.chats.update(tx, c); err != nil {
		return 0, false, err
	}
	sum, err := r.list.summaryWith(tx, c, out.last, names)
	if err != nil {
		return 0, false, err
	}
	out.summary = &sum
	return cursor, gap, nil
}

// prepared is what prepare did before the second processing pass.
type prepared struct {
	// devicesLooked holds the accounts whose device lists were looked up.
	devicesLooked map[ids.Account]bool
}

// prepare does the network work processing cannot do inside a transaction: fetching
// epoch keys it lacks, pinning senders it has not met, and looking up the device
// lists of senders whose list is stale or who sent from a device the vault does not
// know.
func (r *receiver) prepare(ctx context.Context, id ids.Chat, entries []wire.Entry) (*prepared, error) {
	missingEpoch, lookup, err := r.needs(ctx, id, entries)
	if err != nil {
		return nil, err
	}
	if missingEpoch {
		if err := r.keys.fetchEpochs(ctx, id); err != nil {
			r.log.Info("fetch epochs for incoming messages", "chat", id.String(), "err", err)
		}
	}
	prep := &prepared{devicesLooked: map[ids.Account]bool{}}
	for a := range lookup {
		if _, err := r.dir.refreshDevices(ctx, a); err != nil {
			r.log.Info("look up sender", "account", a.String(), "err", err)
			continue
		}
		prep.devicesLooked[a] = true
	}
	return prep, nil
}

// needs says what entries need from the relay: an epoch key the vault lacks, and
// the accounts to look up.
func (r *receiver) needs(ctx context.Context, id ids.Chat, entries []wire.Entry) (missingEpoch bool, lookup map[ids.Account]bool, err error) {
	epochs := map[uint64]bool{}
	devices := map[ids.Device]ids.Account{}
	for _, en := range entries {
		epochs[en.Epoch] = true
		if en.SenderDevice != r.device {
			devices[en.SenderDevice] = en.SenderAccount
		}
	}
	lookup = map[ids.Account]bool{}
	err = r.v.View(ctx, func(tx *vault.Tx) error {
		for ep := range epochs {
			if ep > math.MaxInt64 {
				continue
			}
			_, err := tx.EpochKey(id, ep)
			if errors.Is(err, vault.ErrNotFound) {
				missingEpoch = true
			} else if err != nil {
				return err
			}
		}
		for d, a := range devices {
			if lookup[a] {
				continue
			}
			if !r.dir.isFresh(a) {
				lookup[a] = true
				continue
			}
			if _, err := tx.Device(d); errors.Is(err, vault.ErrNotFound) {
				lookup[a] = true
			} else if err != nil {
				return err
			}
			if _, err := r.dir.accountKey(tx, a); errors.Is(err, vault.ErrNotFound) {
				lookup[a] = true
			} else if err != nil {
				return err
			}
		}
		return nil
	})
	return missingEpoch, lookup, err
}

// onTyping tells the UI someone is typing.
func (r *receiver) onTyping(ctx context.Context, t *wire.TypingPush) {
	id := t.ChatID
	var name string
	err := r.v.View(ctx, func(tx *vault.Tx) error {
		if _, err := tx.Chat(id); err != nil {
			return err
		}
		name = r.dir.nameOf(tx, t.AccountID, nameCache{})
		return nil
	})
	if err != nil {
		return
	}
	r.obs.Typing(Typing{Chat: id, Account: t.AccountID, Name: name})
}

// onReceipt records a member's delivered/read positions and tells the UI which of
// this account's messages changed state.
func (r *receiver) onReceipt(ctx context.Context, rc *wire.Receipt) {
	id := rc.ChatID
	mine := rc.AccountID == r.meID
	var sum Chat
	var changed bool
	var lo uint64
	var meta chatMeta
	err := r.v.Update(ctx, func(tx *vault.Tx) error {
		c, m, err := chatWithMeta(tx, id)
		if err != nil {
			return err
		}
		meta = m
		if mine {
			cur, err := tx.Cursor(scope(id))
			if err != nil {
				return err
			}
			changed = ownReceipt(&c, &meta, rc, uint64(cur))
		} else {
			changed, lo = peerReceipt(&meta, rc)
		}
		if !changed {
			return nil
		}
		if c.Extra, err = encodeMeta(meta); err != nil {
			return err
		}
		if err := r.chats.update(tx, c); err != nil {
			return err
		}
		sum, err = r.list.summary(tx, c)
		return err
	})
	if err != nil {
		if !errors.Is(err, vault.ErrNotFound) {
			r.log.Warn("receipt", "chat", id.String(), "err", err)
		}
		return
	}
	switch {
	case !changed:
	case mine:
		r.obs.ChatUpdated(sum)
	default:
		r.list.reportStatuses(ctx, id, lo, max(meta.PeerDelivered, meta.PeerRead), meta)
	}
}

// ownReceipt applies this account's positions from another of its devices; a read
// position past the cursor clears the unread count. It reports whether they moved.
func ownReceipt(c *vault.Chat, meta *chatMeta, rc *wire.Receipt, cursor uint64) bool {
	if rc.ReadSeq <= meta.MyRead && rc.DeliveredSeq <= meta.MyDelivered {
		return false
	}
	meta.MyRead = max(meta.MyRead, rc.ReadSeq)
	meta.MyDelivered = max(meta.MyDelivered, rc.DeliveredSeq)
	if meta.MyRead >= cursor {
		c.Unread = 0
	}
	return true
}

// peerReceipt applies another member's positions. It reports whether they moved
// and the lowest position that moved: this account's messages above it may have
// changed state.
func peerReceipt(meta *chatMeta, rc *wire.Receipt) (bool, uint64) {
	return meta.movePeer(rc.DeliveredSeq, rc.ReadSeq)
}
