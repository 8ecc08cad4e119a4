// Package chat is the Hush cloud-chat engine: it keeps this device's chats, contacts
// and messages in the vault in step with the relay, end-to-end encrypted as DESIGN §4
// describes, and tells the UI what changed through events (docs/API.md,
// "Messaging"). It has no UI and no Wails import; package app binds it.
//
// An [Engine] runs while the vault is unlocked. It holds a [relayclient.Client] and
// implements its handler: after every (re)connection it catches up each chat from its
// vault cursor in pages, then applies pushes live. Every message is verified with
// package e2e — the sender's device certificate must chain to the sender's pinned
// account key, and the sender must be a member at that epoch — and stored together
// with the advanced cursor in one vault transaction; anything that fails
// verification is dropped with a [EventWarning], never stored.
//
// Sending writes the message (pending) and its outbox item in one vault transaction;
// a flusher goroutine sends outbox items in order whenever the link is up and marks a
// message sent when the relay acknowledges its durable commit. Client-chosen message
// ids make every resend idempotent, so a message is never shown twice.
//
// Epoch keys are wrapped to each member account's X25519 key, each envelope signed by
// the rotating device (chatcrypto.NewKeyLogEntry, chatcrypto.SignKeyLogEntry), published with
// PutEpoch, and rotated when a member leaves or is removed — to the remaining members
// only.
package chat

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"hush/chatcrypto"
	"hush/clock"
	"hush/identity"
	"hush/ids"
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
	DisplayName string
	RelayURL    string         // "" means DefaultRelayURL
	Observer    Observer       // nil: nobody is told
	Clock       clock.Clock    // nil: the real clock
	Rand        func() float64 // reconnect jitter; nil: math/rand
	Logger      *slog.Logger   // nil: discard
	HTTP        *http.Client   // nil: http.DefaultClient
	// Backoff overrides the reconnect delays (minimum, maximum); zero: defaults.
	Backoff [2]time.Duration
}

// Tuning of the engine's pipelines.
const (
	// sendWindow is how many sends the flusher keeps in flight.
	sendWindow = 64
	// fetchPage is how many entries one Fetch asks for (the protocol's maximum).
	fetchPage = wire.MaxPageEntries
	// requestTimeout bounds one request to the relay.
	requestTimeout = 30 * time.Second
	// markInterval spaces the delivered/read marks of a chat, so a busy chat does
	// not turn every message into a relay write.
	markInterval = 200 * time.Millisecond
	// maxStatusScan bounds how many messages a receipt looks through to emit status
	// changes.
	maxStatusScan = 1000
	// flushRetry is the wait before the flusher tries again after a relay failure.
	flushRetry = 2 * time.Second
)

// Engine is the cloud-chat engine of one unlocked account on this device.
type Engine struct {
	v      *vault.Vault
	acct   *identity.AccountKey
	me     identity.AccountPublicKey
	meID   ids.Account
	dev    *identity.DeviceKey
	devID  ids.Device
	cert   []byte
	sender *chatcrypto.Sender
	certs  *chatcrypto.CertCache // device certificates verified, shared by every Open
	name   string
	// sendName is the display name sent with every text: name if it may travel,
	// "" if there is none; nameErr says why name may not (then Send refuses).
	sendName string
	nameErr  error
	obs      Observer
	clk      clock.Clock
	rnd      func() float64
	log      *slog.Logger
	httpc    *http.Client
	boff     [2]time.Duration

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	kickFlush chan struct{}
	kickMark  chan struct{}
	handoff   handoff  // Send → flusher
	acks      ackQueue // flusher → acker

	mu     sync.Mutex // guards the fields below
	rc     *relayclient.Client
	url    string
	status relayclient.Status
	handle string
	closed bool
	ahead  map[ids.Chat]map[uint64]bool // own acked seqs beyond the chat's cursor
	marks  map[ids.Chat]bool            // chats whose marks must be sent
	// devFresh is when each account's device list was last looked up on this
	// connection (devices.go).
	devFresh map[ids.Account]time.Time

	// sendCache keeps what Send needs of a chat between changes to it, so a burst of
	// messages does not re-read and re-write the chat row each time; chatGen counts
	// the changes, so a cache entry computed before a change is never stored after it.
	sendCache map[ids.Chat]sendInfo
	chatGen   map[ids.Chat]uint64

	rotMu    sync.Mutex
	rotating map[ids.Chat]*sync.Mutex
}

// sendInfo is what Send remembers of a chat.
type sendInfo struct {
	canPost  bool
	summary  Chat
	activity time.Time // the chat's stored LastActivity
}

// activityStep is how stale a chat's stored last activity may get during a burst of
// sends: the chat list is ordered by it, which needs no finer grain.
const activityStep = time.Second

// putChat stores a chat with its members and forgets what Send cached of it. Every
// write of a chat row goes through here, updateChat or deleteChat, inside the
// writing transaction.
func (e *Engine) putChat(tx *vault.Tx, c vault.Chat) error {
	e.invalidate(c.ID)
	return tx.PutChat(c)
}

// updateChat stores a chat's own fields, not its members (vault.Tx.UpdateChat):
// for the writes that change no member, which saves reading the member list back.
func (e *Engine) updateChat(tx *vault.Tx, c vault.Chat) error {
	e.invalidate(c.ID)
	return tx.UpdateChat(c)
}

func (e *Engine) deleteChat(tx *vault.Tx, id ids.Chat) error {
	e.invalidate(id)
	return tx.DeleteChat(id)
}

func (e *Engine) invalidate(id ids.Chat) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.sendCache, id)
	e.chatGen[id]++
}

// New returns an engine for the unlocked account in cfg. It reads the account's
// handle from the vault but does not connect until [Engine.Start].
func New(ctx context.Context, cfg Config) (*Engine, error) {
	if cfg.Vault == nil || cfg.Account == nil || cfg.Device == nil {
		return nil, errors.New("chat: vault, account and device are required")
	}
	sender, err := chatcrypto.NewSender(cfg.Device, cfg.Certificate)
	if err != nil {
		return nil, fmt.Errorf("chat: %w", err)
	}
	if sender.Account() != cfg.Account.ID() {
		return nil, errors.New("chat: the device certificate is for another account")
	}
	url := cfg.RelayURL
	if url == "" {
		url = DefaultRelayURL
	}
	if _, err := relayclient.ParseURL(url); err != nil {
		return nil, invalidRelayURL(err)
	}
	e := &Engine{
		v:         cfg.Vault,
		acct:      cfg.Account,
		me:        cfg.Account.Public(),
		meID:      cfg.Account.ID(),
		dev:       cfg.Device,
		devID:     cfg.Device.ID(),
		cert:      append([]byte(nil), cfg.Certificate...),
		sender:    sender,
		certs:     chatcrypto.NewCertCache(chatcrypto.DefaultCertCacheSize),
		name:      cfg.DisplayName,
		obs:       cfg.Observer,
		clk:       cfg.Clock,
		rnd:       cfg.Rand,
		log:       cfg.Logger,
		httpc:     cfg.HTTP,
		boff:      cfg.Backoff,
		url:       url,
		kickFlush: make(chan struct{}, 1),
		kickMark:  make(chan struct{}, 1),
		ahead:     map[ids.Chat]map[uint64]bool{},
		marks:     map[ids.Chat]bool{},
		devFresh:  map[ids.Account]time.Time{},
		rotating:  map[ids.Chat]*sync.Mutex{},
		sendCache: map[ids.Chat]sendInfo{},
		chatGen:   map[ids.Chat]uint64{},
	}
	if e.name != "" {
		if e.nameErr = CheckDisplayName(e.name); e.nameErr == nil {
			e.sendName = e.name
		}
	}
	if e.clk == nil {
		e.clk = clock.Real()
	}
	if e.obs == nil {
		e.obs = nopObserver{}
	}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	e.handoff.init()
	e.acks.init()
	e.ctx, e.cancel = context.WithCancel(context.Background())
	err = e.v.View(ctx, func(tx *vault.Tx) error {
		a, err := tx.Account(e.meID)
		if err != nil {
			return err
		}
		e.handle = a.Handle
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("chat: read account: %w", err)
	}
	e.status = relayclient.Status{State: relayclient.StateConnecting, URL: url}
	return e, nil
}

// Start connects to the relay and starts the flusher, the acker and the marker. It
// returns at once.
func (e *Engine) Start() error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return ErrClosed
	}
	url := e.url
	e.mu.Unlock()
	e.wg.Add(3)
	go e.flusher()
	go e.acker()
	go e.marker()
	return e.connect(url)
}

// connect starts a relay client for url and makes it the engine's.
func (e *Engine) connect(url string) error {
	// Status reports of a client that was replaced (SetRelay) are ignored; self is
	// set before Run, so before the first report.
	var self *relayclient.Client
	rc, err := relayclient.New(relayclient.Config{
		URL:         url,
		Device:      e.dev,
		Certificate: e.cert,
		Handler:     (*handler)(e),
		OnStatus:    func(s relayclient.Status) { e.onStatus(self, s) },
		Clock:       e.clk,
		Rand:        e.rnd,
		Logger:      e.log,
		HTTP:        e.httpc,
		Backoff:     e.boff,
	})
	if err != nil {
		return fmt.Errorf("chat: %w", err)
	}
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		rc.Close()
		return ErrClosed
	}
	self = rc
	e.rc = rc
	e.url = rc.URL()
	e.mu.Unlock()
	rc.Run()
	return nil
}

// Close disconnects and stops every goroutine of the engine; it returns once none
// is left, so the vault can be closed after it. Calling it again does nothing.
func (e *Engine) Close() error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	rc := e.rc
	e.rc = nil
	e.mu.Unlock()
	e.cancel()
	if rc != nil {
		rc.Close() // not under e.mu: its goroutines report status through e.onStatus
	}
	e.wg.Wait()
	return nil
}

// client returns the current relay client, or nil once closed.
func (e *Engine) client() *relayclient.Client {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.rc
}

// do sends one request with the engine's timeout.
func (e *Engine) do(ctx context.Context, req wire.Body) (wire.Body, error) {
	rc := e.client()
	if rc == nil {
		return nil, ErrClosed
	}
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	resp, err := rc.Do(ctx, req)
	if err != nil {
		return nil, relayError(err)
	}
	return resp, nil
}

// doAs sends a request and checks the response's type.
func doAs[T wire.Body](ctx context.Context, e *Engine, req wire.Body) (T, error) {
	var zero T
	resp, err := e.do(ctx, req)
	if err != nil {
		return zero, err
	}
	t, ok := resp.(T)
	if !ok {
		return zero, fmt.Errorf("chat: the relay answered %v with %v", req.Type(), resp.Type())
	}
	return t, nil
}

func (e *Engine) warn(w Warning) {
	e.log.Warn("chat warning", "chat", w.Chat.String(), "kind", w.Kind.String(), "cause", w.Cause)
	e.obs.Warning(w)
}

func (e *Engine) kick(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// onStatus reports the relay link's state changes to the UI.
func (e *Engine) onStatus(from *relayclient.Client, s relayclient.Status) {
	e.mu.Lock()
	if e.closed || from != e.rc {
		e.mu.Unlock()
		return
	}
	e.status = s
	c := e.connectionLocked()
	e.mu.Unlock()
	e.obs.ConnectionChanged(c)
}

func (e *Engine) connectionLocked() Connection {
	s := e.status
	c := Connection{State: LinkOffline, RelayURL: e.url, Handle: e.handle, RetryAt: s.RetryAt}
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

// Connection returns the state of the link to the relay.
func (e *Engine) Connection() Connection {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.connectionLocked()
}

// SetRelay switches to another relay address and reconnects. A malformed address
// fails with an error matching [ErrInvalidRelayURL] and changes nothing.
func (e *Engine) SetRelay(url string) (Connection, error) {
	u, err := relayclient.ParseURL(url)
	if err != nil {
		return Connection{}, invalidRelayURL(err)
	}
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return Connection{}, ErrClosed
	}
	old := e.rc
	e.rc = nil
	e.url = u.String()
	e.status = relayclient.Status{State: relayclient.StateConnecting, URL: e.url}
	e.mu.Unlock()
	if old != nil {
		old.Close()
	}
	if err := e.connect(u.String()); err != nil {
		return Connection{}, err
	}
	return e.Connection(), nil
}

// Retry reconnects now instead of waiting for the backoff.
func (e *Engine) Retry() {
	if rc := e.client(); rc != nil {
		rc.Retry()
	}
}

// RegisterHandle claims @handle for this account at the relay.
func (e *Engine) RegisterHandle(ctx context.Context, handle string) (Connection, error) {
	h, err := CheckHandle(handle)
	if err != nil {
		return Connection{}, err
	}
	id := e.acct.ID()
	sig := e.acct.Sign(wire.HandleLabel, wire.HandleMessage(id, h))
	if _, err := doAs[*wire.OK](ctx, e, &wire.RegisterHandle{Handle: h, Signature: sig}); err != nil {
		return Connection{}, err
	}
	if err := e.storeHandle(ctx, h); err != nil {
		return Connection{}, err
	}
	c := e.Connection()
	e.obs.ConnectionChanged(c)
	return c, nil
}

func (e *Engine) storeHandle(ctx context.Context, h string) error {
	err := e.v.Update(ctx, func(tx *vault.Tx) error {
		a, err := tx.Account(e.meID)
		if err != nil {
			return err
		}
		if a.Handle == h {
			return nil
		}
		a.Handle = h
		return tx.PutAccount(a)
	})
	if err != nil {
		return fmt.Errorf("chat: store handle: %w", err)
	}
	e.mu.Lock()
	e.handle = h
	e.mu.Unlock()
	return nil
}

// Typing tells the chat's other members that this user is typing. It is never
// stored; offline it does nothing.
func (e *Engine) Typing(ctx context.Context, chatID ids.Chat) error {
	rc := e.client()
	if rc == nil {
		return ErrClosed
	}
	err := rc.Notify(ctx, &wire.Typing{ChatID: ids.Chat(chatID)})
	if errors.Is(err, relayclient.ErrOffline) || errors.Is(err, relayclient.ErrConnectionLost) {
		return nil
	}
	return err
}

// nopObserver is the observer of an engine nobody watches.
type nopObserver struct{}

func (nopObserver) ConnectionChanged(Connection) {}
func (nopObserver) ChatUpdated(Chat)             {}
func (nopObserver) ChatRemoved(ids.Chat)         {}
func (nopObserver) MessageNew(Message)           {}
func (nopObserver) MessageStatus(StatusChange)   {}
func (nopObserver) Typing(Typing)                {}
func (nopObserver) Warning(Warning)              {}
