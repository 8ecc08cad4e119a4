// Package chat is the Hush cloud-chat engine: it keeps this device's chats,
// contacts and messages in the vault in step with the relay, end-to-end encrypted
// (docs/SECURITY.md), and tells an [Observer] what changed. It has no UI and no
// Wails import; package app binds it and words everything it reports.
//
// An [Engine] runs while the vault is unlocked. It is made of parts, each with one
// job and its own state (docs/ARCHITECTURE.md, "Client engine"):
//
//   - the link (link.go): the connection to the relay and its state;
//   - the directory (directory.go): contacts and their pinned keys, devices and
//     revocations, handles and display names;
//   - the keyring (keys.go, membership.go): each chat's epoch keys, their rotation,
//     and the membership they are wrapped to;
//   - the receiver (receive.go, apply.go): catch-up, live pushes, verification;
//   - the sender (send.go, flush.go, acks.go): the outbox, its flushing and the
//     relay's acknowledgements;
//   - the marker (marks.go): delivered and read positions;
//   - the chat list (list.go): what the UI reads, and the summaries every part
//     reports.
//
// The Engine only wires them: it builds them, starts and stops their goroutines, and
// hands each public call to the part that does it.
package chat

import (
	"cmp"
	"context"
	"crypto/mlkem"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"sync"
	"time"

	"hush/accountlog"
	"hush/chatcrypto"
	"hush/clock"
	"hush/identity"
	"hush/ids"
	"hush/membership"
	"hush/policy"
	"hush/sync/relayclient"
	"hush/sync/wire"
	"hush/vault"
)

// DefaultRelayURL is the relay a new device talks to: the default of `hush relay`
// on this machine, so two windows can chat out of the box.
const DefaultRelayURL = "ws://127.0.0.1:8443"

// Config is what [New] needs.
type Config struct {
	Vault       *vault.Vault
	Account     *identity.AccountKey
	Device      *identity.DeviceKey
	Certificate []byte // the device's certificate
	// DisplayName is the account's name for a vault that holds none yet; the
	// vault's, once it holds one, wins (it may have changed on another device).
	DisplayName string
	// DeviceName and Platform describe this device in the account's first device
	// list ("" means "This device" and runtime.GOOS).
	DeviceName string
	Platform   string
	RelayURL   string         // "" means DefaultRelayURL
	Observer   Observer       // nil: nobody is told
	Clock      clock.Clock    // nil: the real clock
	Rand       func() float64 // reconnect jitter; nil: math/rand
	Logger     *slog.Logger   // nil: discard
	HTTP       *http.Client   // nil: http.DefaultClient
	// Backoff overrides the reconnect delays (minimum, maximum); zero: defaults.
	Backoff [2]time.Duration
	// AttachmentsDir is the folder of attachment files (encrypted; see
	// attachments.go); "" turns sending and downloading files off.
	AttachmentsDir string
	// Settled, if set, is called after a burst of allocations the engine made
	// on its own has ended (the search index built, or dropped once unused), on
	// the engine's goroutine: the app hands memory back to the system then.
	Settled func()
	// PreparedSince is when files this process prepares to send began to be
	// made (when it started): a file of the attachments folder that is older and
	// has no vault row cannot be one waiting to be sent, and the sweep at start
	// deletes it. Zero: only such files older than a day go.
	PreparedSince time.Time
}

// Engine is the cloud-chat engine of one unlocked account on this device.
type Engine struct {
	link    *link
	dir     *directory
	keys    *keyring
	recv    *receiver
	send    *sender
	marks   *marker
	list    *chatList
	consent *consent
	sponsor *sponsor
	courier *kemCourier
	secrets *secrets
	expiry  *expirer
	blobs   *blobDeleter
	shred   *shredder
	pause   *pauser
	acct    *accountSync
	search  *searcher
	name    *ownName
	// receipts is the account's read receipts switch (receipts.go).
	receipts *receiptSwitch
	me       ids.Account
	obs      Observer
	// attachDir is Config.AttachmentsDir; preparedSince Config.PreparedSince.
	attachDir     string
	preparedSince time.Time
	log           *slog.Logger
	clk           clock.Clock
	// checks are the protections against a malicious relay; all on (see checks.go).
	checks *checks

	ctx    context.Context // ends when the engine closes
	cancel context.CancelFunc
	wg     sync.WaitGroup
	once   sync.Once
}

// New returns an engine for the unlocked account in cfg. It reads the account's
// handle from the vault but does not connect until [Engine.Start].
func New(ctx context.Context, cfg Config) (*Engine, error) {
	if cfg.Vault == nil || cfg.Account == nil || cfg.Device == nil {
		return nil, errors.New("chat: vault, account and device are required")
	}
	sealer, err := chatcrypto.NewSender(cfg.Device, cfg.Certificate)
	if err != nil {
		return nil, fmt.Errorf("chat: %w", err)
	}
	if sealer.Account() != cfg.Account.ID() {
		return nil, errors.New("chat: the device certificate is for another account")
	}
	url := cfg.RelayURL
	if url == "" {
		url = DefaultRelayURL
	}
	if url, err = CheckRelayURL(url); err != nil {
		return nil, err
	}
	e := &Engine{obs: cfg.Observer, log: cfg.Logger, clk: cfg.Clock, me: cfg.Account.ID(), attachDir: cfg.AttachmentsDir, preparedSince: cfg.PreparedSince}
	if e.clk == nil {
		e.clk = clock.Real()
	}
	if e.obs == nil {
		e.obs = nopObserver{}
	}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	signer, err := membership.NewSigner(cfg.Device, cfg.Certificate)
	if err != nil {
		return nil, fmt.Errorf("chat: %w", err)
	}
	logKey, err := accountlog.DeriveKey(cfg.Account)
	if err != nil {
		return nil, fmt.Errorf("chat: %w", err)
	}
	e.ctx, e.cancel = context.WithCancel(context.Background())
	e.checks = &checks{}
	e.wire(cfg, url, sealer, signer, logKey)
	if err := e.dir.loadAccount(ctx); err != nil {
		return nil, fmt.Errorf("chat: read account: %w", err)
	}
	if err := e.dir.useHeldKEM(ctx); err != nil {
		return nil, fmt.Errorf("chat: read device list: %w", err)
	}
	if err := e.loadReadReceipts(ctx); err != nil {
		return nil, fmt.Errorf("chat: read the read receipts switch: %w", err)
	}
	return e, nil
}

// wire builds the parts and connects them to each other.
func (e *Engine) wire(cfg Config, url string, sealer *chatcrypto.Sender, signer *membership.Signer, logKey *accountlog.Key) {
	v, me, device := cfg.Vault, cfg.Account.ID(), cfg.Device.ID()
	e.name = newOwnName(cfg.DisplayName)
	e.send = &sender{
		v: v, meID: me, device: device, sealer: sealer, name: e.name,
		clk: e.clk, log: e.log, obs: e.obs, warn: e.warn,
		wake: make(chan struct{}, 1), cache: map[ids.Chat]sendInfo{}, gen: map[ids.Chat]uint64{},
	}
	e.send.handoff.init()
	e.send.acks.init()
	chats := &chatStore{v: v, changed: e.send.invalidate}
	ahead := &aheadSet{seqs: map[ids.Chat]map[uint64]bool{}}
	e.recv = &receiver{}
	e.link = newLink(relayclient.Config{
		URL: url, Device: cfg.Device, Certificate: cfg.Certificate, Handler: e.recv,
		Clock: e.clk, Rand: cfg.Rand, Logger: e.log, HTTP: cfg.HTTP, Backoff: cfg.Backoff,
	}, e.reportConnection)
	e.dir = &directory{
		v: v, link: e.link, chats: chats, me: cfg.Account, meID: me, device: device,
		name: e.name, clk: e.clk, log: e.log, warn: e.warn, checks: e.checks, fresh: map[ids.Account]time.Time{},
		deviceKey: cfg.Device.Public(), deviceName: cmp.Or(cfg.DeviceName, "This device"), platform: cmp.Or(cfg.Platform, runtime.GOOS),
		onRemoved:    func() { e.obs.DevicesChanged(DevicesChange{Removed: true}) },
		onOwnChanged: func() { e.obs.DevicesChanged(DevicesChange{}) },
	}
	e.list = &chatList{v: v, chats: chats, dir: e.dir, meID: me, obs: e.obs, log: e.log, attachDir: e.attachDir}
	e.marks = &marker{
		v: v, link: e.link, chats: chats, list: e.list, clk: e.clk, log: e.log, obs: e.obs,
		wake: make(chan struct{}, 1), pending: map[ids.Chat]bool{},
	}
	certs := chatcrypto.NewCertCache(chatcrypto.DefaultCertCacheSize)
	roster := &roster{
		v: v, link: e.link, chats: chats, dir: e.dir, view: e.list, signer: signer, meID: me, certs: certs.Parse,
		clk: e.clk, log: e.log, obs: e.obs, warn: e.warn, checks: e.checks, titles: e.send,
		states: map[ids.Chat]*membership.State{}, locks: map[ids.Chat]*sync.Mutex{},
	}
	e.keys = &keyring{
		v: v, link: e.link, chats: chats, dir: e.dir, roster: roster, me: cfg.Account, meID: me, sealer: sealer,
		clk: e.clk, log: e.log, obs: e.obs, warn: e.warn, checks: e.checks, view: e.list, marks: e.marks,
		forget: []chatForgetter{ahead, e.marks}, rotating: map[ids.Chat]*sync.Mutex{},
	}
	e.send.link, e.send.keys, e.send.list, e.send.chats, e.send.ahead = e.link, e.keys, e.list, chats, ahead
	e.sponsor = &sponsor{link: e.link, dir: e.dir, clk: e.clk, log: e.log}
	e.pause = &pauser{}
	e.acct = &accountSync{v: v, link: e.link, key: logKey, device: device, clk: e.clk, log: e.log, apply: e.applyAccountRecord}
	pre := &prekeys{v: v, link: e.link, dev: cfg.Device, clk: e.clk, log: e.log}
	e.courier = &kemCourier{v: v, link: e.link, dir: e.dir, prekeys: pre, me: cfg.Account, dev: cfg.Device, log: e.log, clk: e.clk, wake: make(chan struct{}, 1)}
	e.blobs = &blobDeleter{v: v, link: e.link, clk: e.clk, log: e.log, wake: make(chan struct{}, 1)}
	e.shred = &shredder{dir: e.attachDir, log: e.log, forget: e.forgetSecretBlobs}
	e.expiry = &expirer{v: v, list: e.list, blobs: e.blobs, shred: e.shred, clk: e.clk, log: e.log, obs: e.obs, kick: make(chan struct{}, 1)}
	e.send.expiry, e.send.blobs = e.expiry, e.blobs
	e.secrets = &secrets{v: v, link: e.link, dir: e.dir, chats: chats, list: e.list, prekeys: pre, expiry: e.expiry, shred: e.shred,
		dev: cfg.Device, meID: me, clk: e.clk, log: e.log, obs: e.obs, warn: e.warn, wake: make(chan struct{}, 1)}
	*e.recv = receiver{
		v: v, link: e.link, chats: chats, keys: e.keys, dir: e.dir, list: e.list, marks: e.marks, sponsor: e.sponsor, pause: e.pause, acct: e.acct, facts: e.heldFacts,
		prekeys: pre, courier: e.courier, secrets: e.secrets, expiry: e.expiry, blobs: e.blobs, inbox: &inbox{link: e.link, courier: e.courier, secrets: e.secrets, log: e.log},
		ahead: ahead, outbox: e.send, certs: certs, checks: e.checks,
		meID: me, device: device, clk: e.clk, log: e.log, obs: e.obs, warn: e.warn,
		handleChanged: func() { e.obs.ConnectionChanged(e.Connection()) },
	}
	e.search = newSearcher(v, e.clk, e.log)
	e.search.settled = cfg.Settled
	e.consent = &consent{v: v, chats: chats, keys: e.keys, dir: e.dir, recv: e.recv, marks: e.marks, view: e.list, meID: me, obs: e.obs, log: e.log}
	e.receipts = &receiptSwitch{}
	e.list.receipts, e.marks.receipts = e.receipts, e.receipts
}

// Start connects to the relay and starts the flusher, the acker and the marker. It
// returns at once.
func (e *Engine) Start() error {
	if e.ctx.Err() != nil {
		return ErrClosed
	}
	for _, run := range []func(context.Context){e.send.runFlusher, e.send.runAcker, e.marks.run, e.courier.run, e.expiry.run, e.secrets.run, e.sweepFiles, e.search.run, e.blobs.run} {
		e.wg.Add(1)
		go func() {
			defer e.wg.Done()
			run(e.ctx)
		}()
	}
	return e.link.connect()
}

// Close disconnects and stops every goroutine of the engine; it returns once none
// is left, so the vault can be closed after it. Calling it again does nothing.
func (e *Engine) Close() error {
	e.once.Do(func() {
		e.cancel()
		e.link.close()
		e.wg.Wait()
	})
	return nil
}

func (e *Engine) warn(w Warning) {
	e.log.Warn("chat warning", "chat", w.Chat.String(), "kind", w.Kind.String(), "cause", w.Cause)
	e.obs.Warning(w)
}

// reportConnection tells the observer the link's state changed.
func (e *Engine) reportConnection() { e.obs.ConnectionChanged(e.Connection()) }

// Connection returns the state of the link to the relay.
func (e *Engine) Connection() Connection {
	s, url := e.link.state()
	c := Connection{State: LinkOffline, RelayURL: url, Handle: e.dir.ownHandle(), RetryAt: s.RetryAt}
	switch s.State {
	case relayclient.StateConnecting:
		c.State = LinkConnecting
	case relayclient.StateOnline:
		c.State = LinkOnline
	}
	if s.State != relayclient.StateOnline {
		c.Err = linkError(s.Err)
	}
	if errors.Is(s.Warning, relayclient.ErrClockSkew) {
		c.ClockSkew = s.Session.Skew
	}
	return c
}

// SetRelay switches to another relay address and reconnects. A malformed address
// fails with an error matching [ErrInvalidRelayURL] and changes nothing.
func (e *Engine) SetRelay(url string) (Connection, error) {
	canonical, err := CheckRelayURL(url)
	if err != nil {
		return Connection{}, err
	}
	if err := e.link.setRelay(canonical); err != nil {
		return Connection{}, err
	}
	return e.Connection(), nil
}

// Retry reconnects now instead of waiting for the backoff.
func (e *Engine) Retry() { e.link.retry() }

// RegisterHandle claims @handle for this account at the relay, replacing the one it
// had (which anyone may then register).
func (e *Engine) RegisterHandle(ctx context.Context, handle string) (Connection, error) {
	if err := e.dir.registerHandle(ctx, handle); err != nil {
		return Connection{}, err
	}
	c := e.Connection()
	e.obs.ConnectionChanged(c)
	return c, nil
}

// RemoveHandle drops this account's @handle at the relay (RegisterHandle sets a new
// one, replacing it); people already in touch keep the account.
func (e *Engine) RemoveHandle(ctx context.Context) (Connection, error) {
	if err := e.dir.removeHandle(ctx); err != nil {
		return Connection{}, err
	}
	c := e.Connection()
	e.obs.ConnectionChanged(c)
	return c, nil
}

// AddContact looks a handle up at the relay and pins the account's key on first
// use. If the handle now names another key than the one pinned for it, the contact
// is marked KeyChanged and a warning is raised.
func (e *Engine) AddContact(ctx context.Context, handle string) (Contact, error) {
	c, err := e.dir.addContact(ctx, handle)
	if err == nil {
		e.acct.publish(ctx, accountlog.Record{Kind: accountlog.KindContact, Target: c.Account, Value: true})
	}
	return c, err
}

// Contacts returns every pinned account, by display name.
func (e *Engine) Contacts(ctx context.Context) ([]Contact, error) { return e.dir.contacts(ctx) }

// SafetyNumber returns the number this account and a contact compare out of band.
func (e *Engine) SafetyNumber(ctx context.Context, account ids.Account) (SafetyNumber, error) {
	return e.dir.safetyNumber(ctx, account)
}

// MarkVerified records that the user compared the safety number (or withdraws it).
// Verifying also acknowledges a key change.
func (e *Engine) MarkVerified(ctx context.Context, account ids.Account, verified bool) (Contact, error) {
	c, err := e.dir.markVerified(ctx, account, verified)
	if err == nil {
		e.acct.publish(ctx, accountlog.Record{Kind: accountlog.KindVerified, Target: account, Value: verified})
	}
	return c, err
}

// List returns the chat list: pinned chats first, then by latest activity.
func (e *Engine) List(ctx context.Context) ([]Chat, error) { return e.list.list(ctx) }

// Summary returns one chat's list row.
func (e *Engine) Summary(ctx context.Context, id ids.Chat) (Chat, error) { return e.list.get(ctx, id) }

// Messages returns a page of a chat's messages, newest first. before is "" for the
// newest page, or the NextBefore of the previous page.
func (e *Engine) Messages(ctx context.Context, id ids.Chat, before string, limit int) (MessagePage, error) {
	return e.list.messages(ctx, id, before, limit)
}

// SetPinned pins or unpins a chat in the list.
func (e *Engine) SetPinned(ctx context.Context, id ids.Chat, pinned bool) (Chat, error) {
	c, err := e.list.setPinned(ctx, id, pinned)
	if err == nil {
		e.publishChat(ctx, accountlog.Record{Kind: accountlog.KindPinned, Target: id, Value: pinned})
	}
	return c, err
}

// OpenDirect returns the 1:1 chat with account, creating it at the relay if needed.
// The account becomes one of the user's contacts. An account the user blocked is
// refused ([ErrBlocked]) until unblocked.
func (e *Engine) OpenDirect(ctx context.Context, account ids.Account) (Chat, error) {
	if account != e.dir.meID {
		if blocked, err := e.dir.isBlocked(ctx, account); err != nil {
			return Chat{}, err
		} else if blocked {
			return Chat{}, ErrBlocked
		}
		if id := e.list.chats.directChatWith(ctx, account); !id.IsZero() {
			// Writing to someone is consent: a 1:1 chat of theirs held as a request,
			// or declined before, becomes an ordinary chat again.
			if held, meta, err := e.keys.roster.held(ctx, id); err != nil {
				return Chat{}, err
			} else if held && meta.Request != requestNone {
				return e.consent.accept(ctx, id)
			}
			if err := e.dir.choose(ctx, account); err != nil {
				return Chat{}, err
			}
			return e.Summary(ctx, id)
		}
	}
	info, err := e.keys.openDirect(ctx, account)
	if err != nil {
		return Chat{}, err
	}
	return e.adopt(ctx, info)
}

// CreateGroup creates a group with this account as owner and the given members.
func (e *Engine) CreateGroup(ctx context.Context, title string, members []ids.Account) (Chat, error) {
	info, err := e.keys.create(ctx, policy.KindGroup, title, members)
	if err != nil {
		return Chat{}, err
	}
	return e.adopt(ctx, info)
}

// CreateChannel creates a channel: this account (owner) posts, subscribers read.
func (e *Engine) CreateChannel(ctx context.Context, title string, subscribers []ids.Account) (Chat, error) {
	info, err := e.keys.create(ctx, policy.KindChannel, title, subscribers)
	if err != nil {
		return Chat{}, err
	}
	return e.adopt(ctx, info)
}

// adopt stores a chat just created or joined — its membership log, its first epoch —
// and reads what it already holds.
func (e *Engine) adopt(ctx context.Context, info *wire.ChatInfo) (Chat, error) {
	if err := e.recv.syncInfo(ctx, *info); err != nil {
		e.log.Info("a new chat", "chat", info.ChatID.String(), "err", err)
	}
	return e.Summary(ctx, info.ChatID)
}

// Members returns a chat's members, as its verified membership log lists them.
func (e *Engine) Members(ctx context.Context, id ids.Chat) ([]Member, error) {
	return e.keys.members(ctx, id)
}

// AddMembers adds accounts to a group or channel. The chat key rotates so the new
// members can read what follows (not what came before).
func (e *Engine) AddMembers(ctx context.Context, id ids.Chat, accounts []ids.Account) ([]Member, error) {
	return e.keys.addMembers(ctx, id, accounts)
}

// RemoveMember removes an account and rotates the chat key to leave it out; until
// the new key is made, the chat's messages wait.
func (e *Engine) RemoveMember(ctx context.Context, id ids.Chat, account ids.Account) ([]Member, error) {
	return e.keys.removeMember(ctx, id, account)
}

// SetRole changes a member's role (owner only; there is one owner).
func (e *Engine) SetRole(ctx context.Context, id ids.Chat, account ids.Account, role policy.Role) ([]Member, error) {
	return e.keys.setRole(ctx, id, account, role)
}

// SetTitle renames a group or channel (owner and admins).
func (e *Engine) SetTitle(ctx context.Context, id ids.Chat, title string) (Chat, error) {
	if err := e.keys.setTitle(ctx, id, title); err != nil {
		return Chat{}, err
	}
	return e.Summary(ctx, id)
}

// Leave leaves a group or channel and deletes it on this device. A remaining member
// makes the next key.
func (e *Engine) Leave(ctx context.Context, id ids.Chat) error { return e.keys.leave(ctx, id) }

// Accept accepts a chat request: the chat joins the list, its messages are read and
// notified, and — for a 1:1 chat — its other member becomes a contact.
func (e *Engine) Accept(ctx context.Context, id ids.Chat) (Chat, error) {
	c, err := e.consent.accept(ctx, id)
	if err != nil {
		return c, err
	}
	// The user's other devices accept it too, and list whoever started a 1:1 chat
	// as a contact, as this one does.
	e.publishChat(ctx, accountlog.Record{Kind: accountlog.KindAccepted, Target: id, Value: true})
	if c.Kind == policy.KindDirect && !c.Peer.IsZero() {
		e.acct.publish(ctx, accountlog.Record{Kind: accountlog.KindContact, Target: c.Peer, Value: true})
	}
	return c, nil
}

// Decline declines a chat request: this account leaves a group or channel, and the
// chat is deleted here; a 1:1 chat is hidden and its messages are no longer kept.
// With block, whoever started it is blocked: what they start is declined without
// asking.
func (e *Engine) Decline(ctx context.Context, id ids.Chat, block bool) error {
	return e.consent.decline(ctx, id, block)
}

// SetBlocked blocks or unblocks an account. Blocking declines, without asking, what
// it starts or adds this account to from then on; unblocking lets its next chats
// arrive as requests again.
func (e *Engine) SetBlocked(ctx context.Context, account ids.Account, blocked bool) error {
	err := e.dir.block(ctx, account, blocked)
	if err == nil {
		e.acct.publish(ctx, accountlog.Record{Kind: accountlog.KindBlocked, Target: account, Value: blocked})
	}
	return err
}

// Blocked lists the accounts the user blocked, the most recent first.
func (e *Engine) Blocked(ctx context.Context) ([]Blocked, error) { return e.dir.blocked(ctx) }

// Delete deletes a chat from this device — one the relay no longer serves, or one
// this account was removed from. Its history is gone for good.
func (e *Engine) Delete(ctx context.Context, id ids.Chat) error {
	if e.isSecret(ctx, id) {
		return e.secrets.close(ctx, id)
	}
	return e.consent.remove(ctx, id)
}

// Send writes a message and its outbox item in one transaction and returns it
// pending; it is sent when the relay is reachable.
func (e *Engine) Send(ctx context.Context, id ids.Chat, body string, replyTo *ids.Message) (Message, error) {
	if e.isSecret(ctx, id) {
		m, err := e.secrets.send(ctx, id, body, replyTo, nil)
		if err == nil {
			e.clearDraft(ctx, id, m.SentAt)
		}
		return m, err
	}
	m, err := e.send.send(ctx, id, body, replyTo)
	if err == nil {
		e.clearDraft(ctx, id, m.SentAt)
	}
	return m, err
}

// MarkRead marks everything received in a chat as read, here and at the relay. A
// request is refused ([ErrForbidden]): it is read once accepted (docs/SECURITY.md,
// "Consent").
func (e *Engine) MarkRead(ctx context.Context, id ids.Chat) error {
	if e.isSecret(ctx, id) {
		return e.secrets.markRead(ctx, id)
	}
	return e.marks.markRead(ctx, id)
}

// Typing tells the chat's other members that this user is typing. It is never
// stored; offline it does nothing.
func (e *Engine) Typing(ctx context.Context, chatID ids.Chat) error {
	if e.isSecret(ctx, chatID) {
		return nil // the relay does not know secret chats
	}
	return e.link.signal(ctx, &wire.Typing{ChatID: chatID})
}

// nopObserver is the observer of an engine nobody watches.
type nopObserver struct{}

func (nopObserver) ConnectionChanged(Connection) {}
func (nopObserver) ChatUpdated(Chat)             {}
func (nopObserver) ChatRemoved(ids.Chat)         {}
func (nopObserver) DisplayNameChanged(string)    {}
func (nopObserver) FoldersChanged()              {}
func (nopObserver) ReadReceiptsChanged(bool)     {}
func (nopObserver) MessageNew(Message)           {}
func (nopObserver) MessageChanged(Message)       {}
func (nopObserver) MessageHidden(MessageExpiry)  {}
func (nopObserver) MessageStatus(StatusChange)   {}
func (nopObserver) Typing(Typing)                {}
func (nopObserver) Warning(Warning)              {}
func (nopObserver) DevicesChanged(DevicesChange) {}
func (nopObserver) SyncProgress(SyncProgress)    {}
func (nopObserver) MessageExpired(MessageExpiry) {}

// Devices returns this account's devices as its signed device list names them.
func (e *Engine) Devices(ctx context.Context) ([]OwnDevice, error) { return e.dir.devices(ctx) }

// RenameDevice renames one of this account's devices (a new device list; the
// observer hears of it, as of every change of the list).
func (e *Engine) RenameDevice(ctx context.Context, id ids.Device, name string) error {
	return e.dir.renameDevice(ctx, id, name)
}

// RevokeDevice removes a device from this account for good: a new device list
// revokes it (the relay closes and refuses it; contacts drop what it sends), then
// every chat this account may make keys for gets a new key, so the relay holds
// nothing sent afterwards under a key the revoked device fetched
// (docs/SECURITY.md, "Device lists", says what this does not cover).
func (e *Engine) RevokeDevice(ctx context.Context, id ids.Device) error {
	if id == e.dir.device {
		return errRevokeSelf
	}
	var kem *mlkem.EncapsulationKey768
	if e.dir.me.HasKEM() && !e.checks.keepKEM {
		// A new ML-KEM key, owed to the remaining devices and sent to them before
		// the list that names it goes out (docs/SECURITY.md, "Revocation and the
		// account's keys").
		var err error
		if kem, err = e.courier.rekey(ctx, id); err != nil {
			return fmt.Errorf("new account key: %w", err)
		}
		e.courier.deliverNow(ctx)
	}
	if err := e.dir.revokeDevice(ctx, id, kem); err != nil {
		return err
	}
	if err := e.dir.putKeys(ctx); err != nil {
		e.log.Warn("publish account keys after a revocation", "err", err)
	}
	e.keys.rotateAll(ctx)
	return nil
}

// BeginLink starts linking a new device to this account with the code it shows
// (docs/SECURITY.md, "Linking a device"): it claims the session at the relay and
// runs the exchange up to the string both devices show. Nothing is sent or listed
// until [Engine.FinishLink] confirms it.
func (e *Engine) BeginLink(ctx context.Context, code string) (LinkCheck, error) {
	return e.sponsor.begin(ctx, code)
}

// FinishLink ends a link at the comparison: confirmed (the strings match), the new
// device joins the account's device list and receives the account keys; otherwise
// it is told the strings differ and nothing is linked.
func (e *Engine) FinishLink(ctx context.Context, session ids.LinkSession, confirmed bool) error {
	return e.sponsor.finish(ctx, session, confirmed)
}

// CancelLink abandons a link begun with [Engine.BeginLink].
func (e *Engine) CancelLink(ctx context.Context, session ids.LinkSession) {
	e.sponsor.cancel(ctx, session)
}

// SyncPaused reports whether the user paused fetching history.
func (e *Engine) SyncPaused() bool { return e.pause.paused.Load() }

// PauseSync pauses fetching history (paused) or resumes it where it stopped. New
// messages of chats already fetched still arrive; the pause lasts until resumed or
// the engine restarts.
func (e *Engine) PauseSync(paused bool) {
	if e.pause.paused.Swap(paused) && !paused {
		e.wg.Add(1)
		go func() {
			defer e.wg.Done()
			e.recv.catchUp(e.ctx)
		}()
	}
}

// applyAccountRecord makes a record another device of the account published take
// effect here (accountsync.go).
func (e *Engine) applyAccountRecord(ctx context.Context, r accountlog.Record) error {
	switch r.Kind {
	case accountlog.KindPinned:
		_, err := e.list.setPinned(ctx, ids.Chat(r.Target), r.Value)
		return err
	case accountlog.KindContact:
		if !r.Value {
			return nil // contacts are not removed yet
		}
		return e.dir.choose(ctx, ids.Account(r.Target))
	case accountlog.KindVerified:
		_, err := e.dir.markVerified(ctx, ids.Account(r.Target), r.Value)
		return err
	case accountlog.KindBlocked:
		return e.dir.block(ctx, ids.Account(r.Target), r.Value)
	case accountlog.KindArchived, accountlog.KindMuted, accountlog.KindDraft:
		return e.applyShelf(ctx, r)
	case accountlog.KindDisplayName:
		return e.applyName(ctx, r.Text)
	case accountlog.KindFolder, accountlog.KindFolderChats:
		e.obs.FoldersChanged() // the state taken is the folders (folders.go)
		return nil
	case accountlog.KindHidden:
		return e.applyHidden(ctx, r)
	case accountlog.KindReadReceipts:
		e.applyReadReceipts(r.Value)
		return nil
	case accountlog.KindAccepted:
		if s, err := e.list.get(ctx, ids.Chat(r.Target)); err != nil || !r.Value || s.Hold != HoldRequest {
			return nil // not held yet (applied again once it is), or no request here
		}
		_, err := e.consent.accept(ctx, ids.Chat(r.Target))
		return err
	}
	return nil
}

// heldFacts lists the shared state this device holds (accountsync.go, seed).
func (e *Engine) heldFacts(ctx context.Context) []fact {
	var out []fact
	err := e.list.v.View(ctx, func(tx *vault.Tx) error {
		contacts, err := tx.Contacts()
		if err != nil {
			return err
		}
		for _, c := range contacts {
			if c.Stranger {
				continue
			}
			out = append(out, fact{kind: accountlog.KindContact, target: c.AccountID})
			if c.Verified {
				out = append(out, fact{kind: accountlog.KindVerified, target: c.AccountID})
			}
		}
		chats, err := tx.Chats()
		if err != nil {
			return err
		}
		for _, c := range chats {
			if !c.Kind.Cloud() {
				continue // a secret chat stays on this device
			}
			if c.Pinned {
				out = append(out, fact{kind: accountlog.KindPinned, target: c.ID})
			}
			meta, err := decodeMeta(c.Extra)
			if err != nil {
				continue
			}
			if meta.Shelf.Archived {
				out = append(out, fact{kind: accountlog.KindArchived, target: c.ID})
			}
			if meta.Shelf.Muted {
				out = append(out, fact{kind: accountlog.KindMuted, target: c.ID})
			}
			if meta.Shelf.Draft != "" {
				out = append(out, fact{kind: accountlog.KindDraft, target: c.ID, text: meta.Shelf.Draft})
			}
			if meta.Request == requestNone && len(meta.RequestBy) == ids.Size && ids.Account(meta.RequestBy) != e.me {
				out = append(out, fact{kind: accountlog.KindAccepted, target: c.ID})
			}
		}
		return nil
	})
	if err != nil {
		e.log.Warn("account log: read held state", "err", err)
		return nil
	}
	blocked, err := e.dir.blocked(ctx)
	if err != nil {
		e.log.Warn("account log: read blocks", "err", err)
	}
	for _, b := range blocked {
		out = append(out, fact{kind: accountlog.KindBlocked, target: b.Account})
	}
	return out
}
