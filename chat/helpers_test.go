package chat

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"hush/identity"
	"hush/ids"
	"hush/relay"
	"hush/relay/relaytest"
	"hush/vault"
)

// recorder is an Observer that keeps every event.
type recorder struct {
	mu     sync.Mutex
	events []any
}

func (r *recorder) add(e any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

func (r *recorder) ConnectionChanged(c Connection) { r.add(c) }
func (r *recorder) ChatUpdated(c Chat)             { r.add(c) }
func (r *recorder) ChatRemoved(id ids.Chat)        { r.add(chatRemoved{id}) }
func (r *recorder) MessageNew(m Message)           { r.add(m) }
func (r *recorder) MessageStatus(s StatusChange)   { r.add(s) }
func (r *recorder) Typing(t Typing)                { r.add(t) }
func (r *recorder) Warning(w Warning)              { r.add(w) }

// chatRemoved records a ChatRemoved call.
type chatRemoved struct{ chat ids.Chat }

// of returns the events of type T, in order.
func of[T any](r *recorder) []T {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []T
	for _, e := range r.events {
		if d, ok := e.(T); ok {
			out = append(out, d)
		}
	}
	return out
}

// testLimits lets tests send faster than a person types.
func testLimits() relay.Limits {
	return relay.Limits{RatePerSecond: 100000, Burst: 100000}
}

func startRelay(t testing.TB) *relaytest.Relay {
	t.Helper()
	return relaytest.Start(t, &relaytest.Options{Limits: testLimits()})
}

// peer is one account with one device, its vault and its engine.
type peer struct {
	name   string
	dir    string
	vault  *vault.Vault
	acct   *identity.AccountKey
	dev    *identity.DeviceKey
	cert   []byte
	engine *Engine
	events *recorder
	url    string
}

var testPassphrase = []byte("test passphrase")

func testVaultOptions() vault.Options {
	return vault.Options{InsecureTestKDF: &vault.KDFParams{Memory: 256, Time: 1, Threads: 1}}
}

// newPeer creates an account with a vault in t.TempDir() and starts its engine
// against the relay at url.
func newPeer(t testing.TB, name, url string) *peer {
	t.Helper()
	acct, err := identity.NewAccountKey()
	if err != nil {
		t.Fatal(err)
	}
	return newPeerOf(t, name, url, acct)
}

// newDevice adds another device to of's account: its own vault and engine, the same
// account keys.
func newDevice(t testing.TB, of *peer, name string) *peer {
	t.Helper()
	return newPeerOf(t, name, of.url, of.acct)
}

// newPeerOf is newPeer for a device of the given account.
func newPeerOf(t testing.TB, name, url string, acct *identity.AccountKey) *peer {
	t.Helper()
	ctx := context.Background()
	p := &peer{name: name, dir: t.TempDir(), url: url, acct: acct}
	v, err := vault.Create(ctx, filepath.Join(p.dir, "vault.db"), testPassphrase, testVaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	p.vault = v
	if p.dev, err = identity.NewDeviceKey(); err != nil {
		t.Fatal(err)
	}
	if p.cert, err = identity.IssueCertificate(p.acct, p.dev.Public(), time.Now()); err != nil {
		t.Fatal(err)
	}
	aSign, aEnc := p.acct.Seeds()
	dSign, dEnc := p.dev.Seeds()
	err = v.Update(ctx, func(tx *vault.Tx) error {
		if err := tx.PutAccount(vault.Account{ID: p.acct.ID(), DisplayName: name, SigningSeed: aSign, EncryptionKey: aEnc, CreatedAt: time.Now()}); err != nil {
			return err
		}
		dp := p.dev.Public()
		return tx.PutDevice(vault.Device{
			ID: p.dev.ID(), AccountID: p.acct.ID(), Name: name + "'s device",
			SigningPublic: dp.SigningKey(), EncryptionPublic: dp.EncryptionKey().Bytes(),
			SigningSeed: dSign, EncryptionKey: dEnc, Certificate: p.cert, Own: true, CreatedAt: time.Now(),
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if p.engine != nil {
			p.engine.Close()
		}
		p.vault.Close()
	})
	p.start(t)
	return p
}

// start (re)starts the peer's engine.
func (p *peer) start(t testing.TB) {
	t.Helper()
	p.events = &recorder{}
	p.startWith(t, p.events)
}

// startWith (re)starts the peer's engine with another observer.
func (p *peer) startWith(t testing.TB, obs Observer) {
	t.Helper()
	e, err := New(context.Background(), Config{
		Vault: p.vault, Account: p.acct, Device: p.dev, Certificate: p.cert,
		DisplayName: p.name, RelayURL: p.url, Observer: obs,
		Backoff: [2]time.Duration{20 * time.Millisecond, 200 * time.Millisecond},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(); err != nil {
		t.Fatal(err)
	}
	p.engine = e
}

// stop closes the peer's engine (the vault stays open).
func (p *peer) stop() {
	p.engine.Close()
	p.engine = nil
}

func (p *peer) id() ids.Account { return p.acct.ID() }

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

func (p *peer) online(t testing.TB) {
	t.Helper()
	waitFor(t, 20*time.Second, p.name+" online", func() bool { return p.engine.Connection().State == LinkOnline })
}

// register gives the peer a handle.
func (p *peer) register(t testing.TB, handle string) {
	t.Helper()
	p.online(t)
	if _, err := p.engine.RegisterHandle(context.Background(), handle); err != nil {
		t.Fatalf("%s: register @%s: %v", p.name, handle, err)
	}
}

// direct opens a 1:1 chat from p to q (by handle) and waits until q has it too.
func direct(t testing.TB, p, q *peer, qHandle string) ids.Chat {
	t.Helper()
	ctx := context.Background()
	c, err := p.engine.AddContact(ctx, qHandle)
	if err != nil {
		t.Fatal(err)
	}
	s, err := p.engine.OpenDirect(ctx, c.Account)
	if err != nil {
		t.Fatal(err)
	}
	chatID := s.ID
	waitFor(t, 20*time.Second, q.name+" sees the chat", func() bool {
		_, err := q.engine.Summary(ctx, chatID)
		return err == nil
	})
	return chatID
}

// allMessages reads every message of a chat, oldest first.
func (p *peer) allMessages(t testing.TB, chatID ids.Chat) []Message {
	t.Helper()
	var out []Message
	before := ""
	for i := 0; i < 10000; i++ {
		page, err := p.engine.Messages(context.Background(), chatID, before, maxPageSize)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, page.Messages...)
		if page.NextBefore == "" {
			break
		}
		before = page.NextBefore
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// countFrom counts the messages from sender stored on p, in a chat.
func (p *peer) countFrom(t testing.TB, chatID ids.Chat, sender *peer) int {
	n := 0
	for _, m := range p.allMessages(t, chatID) {
		if m.Sender == sender.id() {
			n++
		}
	}
	return n
}

func body(from string, i int) string { return fmt.Sprintf("%s #%04d", from, i) }

func parseID(t testing.TB, s string) (ids.Message, error) {
	t.Helper()
	return ids.Parse[ids.Message](s)
}

// outboxLen counts what waits in p's outbox (up to a page).
func (p *peer) outboxLen(t testing.TB) int {
	t.Helper()
	var n int
	err := p.vault.View(context.Background(), func(tx *vault.Tx) error {
		items, err := tx.Outbox(vault.MaxPageSize)
		n = len(items)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}
