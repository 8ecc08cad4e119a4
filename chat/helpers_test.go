package chat

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"hush/chatcrypto"
	"hush/identity"
	"hush/ids"
	"hush/internal/strictcbor"
	"hush/internal/testutil"
	"hush/policy"
	"hush/relay"
	"hush/relay/relaytest"
	"hush/sync/wire"
	"hush/vault"

	"golang.org/x/crypto/chacha20poly1305"
	"golang.org/x/crypto/hkdf"
)

// recorder is an Observer that keeps every event.
type recorder struct {
	mu     sync.Mutex
	events []any
}

// reset forgets what was recorded, for a benchmark that records much before what
// it measures.
func (r *recorder) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = nil
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
func (r *recorder) MessageChanged(m Message)       { r.add(changedMessage{m}) }
func (r *recorder) MessageHidden(h MessageExpiry)  { r.add(hiddenMessage{h}) }
func (r *recorder) MessageStatus(s StatusChange)   { r.add(s) }
func (r *recorder) Typing(t Typing)                { r.add(t) }
func (r *recorder) Warning(w Warning)              { r.add(w) }
func (r *recorder) DevicesChanged(c DevicesChange) { r.add(c) }
func (r *recorder) SyncProgress(p SyncProgress)    { r.add(p) }
func (r *recorder) DisplayNameChanged(n string)    { r.add(nameChanged{n}) }
func (r *recorder) MessageExpired(e MessageExpiry) { r.add(e) }
func (r *recorder) FoldersChanged()                { r.add(foldersChanged{}) }
func (r *recorder) ReadReceiptsChanged(on bool)    { r.add(readReceiptsChanged{on}) }

// chatRemoved records a ChatRemoved call.
type chatRemoved struct{ chat ids.Chat }

type nameChanged struct{ name string }

type foldersChanged struct{}

type readReceiptsChanged struct{ on bool }

// changedMessage and hiddenMessage record MessageChanged and MessageHidden calls.
type changedMessage struct{ Message }
type hiddenMessage struct{ MessageExpiry }

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
	tune   func(*Engine) // adjusts the engine before it starts; nil: as shipped
}

var testPassphrase = []byte("test passphrase")

func testVaultOptions() vault.Options {
	return vault.Options{InsecureTestKDF: &vault.KDFParams{Memory: 256, Time: 1, Threads: 1}}
}

// newPeer creates an account with a vault in t.TempDir() and starts its engine
// against the relay at url.
func newPeer(t testing.TB, name, url string) *peer {
	t.Helper()
	return newWeakPeer(t, name, url, nil)
}

// newWeakPeer is newPeer whose engine runs with the protections weaken switches
// off (checks.go): for attack tests that show an attack succeeding without them.
func newWeakPeer(t testing.TB, name, url string, weaken func(*checks)) *peer {
	t.Helper()
	var tune func(*Engine)
	if weaken != nil {
		tune = func(e *Engine) { weaken(e.checks) }
	}
	return newTunedPeer(t, name, url, tune)
}

// newTunedPeer is newPeer whose engine tune adjusts before it starts.
func newTunedPeer(t testing.TB, name, url string, tune func(*Engine)) *peer {
	t.Helper()
	acct, err := identity.NewAccountKey()
	if err != nil {
		t.Fatal(err)
	}
	return newPeerOfWith(t, name, url, acct, tune)
}

// newDevice adds another device to of's account: its own vault and engine, the same
// account keys, and a place in the account's device list, published (as linking
// does) through a raw connection of of's device before the new engine starts.
func newDevice(t testing.TB, of *peer, name string) *peer {
	t.Helper()
	return newPeerOfHook(t, name, of.url, of.acct, nil, func(p *peer) {
		publishRaw(t, of, func(l *identity.DeviceList) {
			l.Devices = append(l.Devices, identity.ListedDevice{Key: p.dev.Public(), Name: name, Platform: "linux", LinkedAt: time.Now()})
		})
	})
}

// rawConn is a raw protocol connection of p's device to its relay.
func rawConn(t testing.TB, p *peer) *relaytest.Conn {
	t.Helper()
	u := p.url
	if !strings.HasSuffix(u, wire.Path) {
		u += wire.Path
	}
	return relaytest.DialURL(t, u, p.device())
}

// publishRaw publishes the next version of p's account's device list, edit applied
// to the relay's newest, through a raw connection of p's device. An account
// without a list starts from one naming p's device.
func publishRaw(t testing.TB, p *peer, edit func(*identity.DeviceList)) {
	t.Helper()
	ctx := context.Background()
	raw := rawConn(t, p)
	defer raw.Close()
	for attempt := 0; attempt < 5; attempt++ {
		b, err := raw.Request(ctx, &wire.LookupAccount{AccountID: p.acct.ID()})
		if err != nil {
			t.Fatalf("look up own account: %v", err)
		}
		l := identity.DeviceList{Devices: []identity.ListedDevice{{Key: p.dev.Public(), Name: p.name, Platform: "linux", LinkedAt: time.Now()}}}
		if a := b.(*wire.Account); len(a.DeviceList) > 0 {
			if l, err = identity.ParseDeviceList(a.DeviceList); err != nil {
				t.Fatal(err)
			}
		}
		l.Version++
		l.IssuedAt = time.Now()
		edit(&l)
		list, err := identity.IssueDeviceList(p.acct, l)
		if err != nil {
			t.Fatal(err)
		}
		_, err = raw.Request(ctx, &wire.PutDeviceList{List: list})
		if errors.Is(err, wire.ErrConflict) {
			continue // the engine published meanwhile
		}
		if err != nil {
			t.Fatalf("publish device list: %v", err)
		}
		return
	}
	t.Fatal("publish device list: conflicts every time")
}

func newPeerOfWith(t testing.TB, name, url string, acct *identity.AccountKey, tune func(*Engine)) *peer {
	t.Helper()
	return newPeerOfHook(t, name, url, acct, tune, nil)
}

// newLinkedPeer is the device that linking made: its vault holds what the sponsor
// sent (as the app stores it) and its engine starts.
func newLinkedPeer(t testing.TB, name, url string, j Joined) *peer {
	t.Helper()
	return newPeerOfDevice(t, name, url, j.Account, j.Device, j.Certificate, nil, func(p *peer) {
		if err := p.vault.Update(context.Background(), func(tx *vault.Tx) error { return StoreLinked(tx, j) }); err != nil {
			t.Fatal(err)
		}
	})
}

// newLinkedPeerPaused is newLinkedPeer whose engine starts with history sync
// paused, fetching one page first.
func newLinkedPeerPaused(t testing.TB, name, url string, j Joined) *peer {
	t.Helper()
	return newPeerOfDevice(t, name, url, j.Account, j.Device, j.Certificate, func(e *Engine) { e.pause.paused.Store(true) }, func(p *peer) {
		if err := p.vault.Update(context.Background(), func(tx *vault.Tx) error { return StoreLinked(tx, j) }); err != nil {
			t.Fatal(err)
		}
	})
}

// newPeerOfHook is newPeerOfWith with beforeStart called once the device exists and
// before its engine starts.
func newPeerOfHook(t testing.TB, name, url string, acct *identity.AccountKey, tune func(*Engine), beforeStart func(*peer)) *peer {
	t.Helper()
	return newPeerOfDevice(t, name, url, acct, nil, nil, tune, beforeStart)
}

// newPeerOfDevice is newPeerOfHook for a given device key and certificate (nil: new
// ones).
func newPeerOfDevice(t testing.TB, name, url string, acct *identity.AccountKey, dev *identity.DeviceKey, cert []byte, tune func(*Engine), beforeStart func(*peer)) *peer {
	t.Helper()
	ctx := context.Background()
	// Each device holds its own copy of the account key, as each app loads its own
	// from its vault: a revocation changes the revoking device's ML-KEM keys only.
	p := &peer{name: name, dir: t.TempDir(), url: url, acct: copyAccountKey(t, acct), tune: tune}
	v, err := vault.Create(ctx, filepath.Join(p.dir, "vault.db"), testPassphrase, testVaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	p.vault = v
	p.dev, p.cert = dev, cert
	if p.dev == nil {
		if p.dev, err = identity.NewDeviceKey(); err != nil {
			t.Fatal(err)
		}
		if p.cert, err = identity.IssueCertificate(p.acct, p.dev.Public(), time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	aSign, aEnc, _ := p.acct.Seeds()
	aKEM, aOther := p.acct.StoredKEMSeeds()
	dSign, dEnc := p.dev.Seeds()
	err = v.Update(ctx, func(tx *vault.Tx) error {
		if err := tx.PutAccount(vault.Account{ID: p.acct.ID(), DisplayName: name, SigningSeed: aSign, EncryptionKey: aEnc, KEMSeed: aKEM, OtherKEMSeeds: aOther, CreatedAt: time.Now()}); err != nil {
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
	if beforeStart != nil {
		beforeStart(p)
	}
	p.start(t)
	return p
}

// copyAccountKey returns a copy of k with all its ML-KEM keys and the same current
// one.
func copyAccountKey(t testing.TB, k *identity.AccountKey) *identity.AccountKey {
	t.Helper()
	sign, enc, _ := k.Seeds()
	kem, others := k.StoredKEMSeeds()
	c, err := identity.AccountKeyFromSeeds(sign, enc, kem)
	if err == nil {
		_, err = c.AddKEMSeeds(others)
	}
	if err != nil {
		t.Fatal(err)
	}
	if pub := k.Public().KEMKey(); pub != nil {
		c.UseKEM(pub)
	}
	return c
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
	if p.tune != nil {
		p.tune(e)
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

func (p *peer) online(t testing.TB) {
	t.Helper()
	testutil.Eventually(t, 20*time.Second, p.name+" online", func() bool { return p.engine.Connection().State == LinkOnline })
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
	testutil.Eventually(t, 20*time.Second, q.name+" sees the chat", func() bool {
		_, err := q.engine.Summary(ctx, chatID)
		return err == nil
	})
	accept(t, q, chatID)
	return chatID
}

// accept accepts chatID on p's device if it arrived as a request (p had not chosen
// whoever started it as a contact).
func accept(t testing.TB, p *peer, chatID ids.Chat) {
	t.Helper()
	if s := summaryOf(t, p, chatID); s.Hold == HoldRequest {
		if _, err := p.engine.Accept(context.Background(), chatID); err != nil {
			t.Fatalf("%s accepts %s: %v", p.name, chatID, err)
		}
	}
}

// allMessages reads every message of a chat, oldest first, without the chat's service
// lines (allLines has those).
func (p *peer) allMessages(t testing.TB, chatID ids.Chat) []Message {
	t.Helper()
	var out []Message
	for _, m := range p.everything(t, chatID) {
		if m.Service == nil {
			out = append(out, m)
		}
	}
	return out
}

// allLines reads a chat's service lines, oldest first.
func (p *peer) allLines(t testing.TB, chatID ids.Chat) []Message {
	t.Helper()
	var out []Message
	for _, m := range p.everything(t, chatID) {
		if m.Service != nil {
			out = append(out, m)
		}
	}
	return out
}

// everything reads every message and line of a chat, oldest first.
func (p *peer) everything(t testing.TB, chatID ids.Chat) []Message {
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

// epochKeys reads every epoch key p holds for a chat.
func (p *peer) epochKeys(t *testing.T, chatID ids.Chat) map[uint64]chatcrypto.EpochKey {
	t.Helper()
	out := map[uint64]chatcrypto.EpochKey{}
	err := p.vault.View(context.Background(), func(tx *vault.Tx) error {
		latest, err := tx.LatestEpoch(chatID)
		if err != nil {
			return err
		}
		for ep := uint64(1); ep <= latest; ep++ {
			raw, err := tx.EpochKey(chatID, ep)
			if errors.Is(err, vault.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			k, err := chatcrypto.EpochKeyFromBytes(raw)
			if err != nil {
				return err
			}
			out[ep] = k
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// device is p's identity as a raw protocol client.
func (p *peer) device() *relaytest.Device {
	return &relaytest.Device{Account: p.acct, Key: p.dev, Cert: p.cert}
}

func summaryOf(t testing.TB, p *peer, chatID ids.Chat) Chat {
	t.Helper()
	s, err := p.engine.Summary(context.Background(), chatID)
	if err != nil {
		t.Fatalf("%s: %v", p.name, err)
	}
	return s
}

func threePeople(t *testing.T) (*relaytest.Relay, *peer, *peer, *peer) {
	t.Helper()
	r, alice, bob := registered(t)
	carol := newPeer(t, "Carol", "ws://"+r.Addr)
	carol.register(t, "carol")
	// Friends: each has the others as contacts, so what one starts is no request.
	for _, c := range []struct {
		p       *peer
		handles []string
	}{{alice, []string{"bob", "carol"}}, {bob, []string{"alice", "carol"}}, {carol, []string{"alice", "bob"}}} {
		for _, h := range c.handles {
			if _, err := c.p.engine.AddContact(context.Background(), h); err != nil {
				t.Fatal(err)
			}
		}
	}
	return r, alice, bob, carol
}

func roleIn(ms []Member, id ids.Account) policy.Role {
	for _, m := range ms {
		if m.Account == id {
			return m.Role
		}
	}
	return 0
}

// contactOf returns p's contact record of q, as the UI gets it.
func (p *peer) contactOf(t testing.TB, q *peer) Contact {
	t.Helper()
	cs, err := p.engine.Contacts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if c.Account == q.id() {
			return c
		}
	}
	t.Fatalf("%s has no contact %s", p.name, q.name)
	return Contact{}
}

// titleOf returns the chat list title of a chat on p.
func (p *peer) titleOf(t testing.TB, chatID ids.Chat) string {
	t.Helper()
	list, err := p.engine.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range list {
		if s.ID == chatID {
			return s.Title
		}
	}
	t.Fatalf("%s has no chat %s in its list", p.name, chatID)
	return ""
}

// forgeText seals content, a CBOR map that chatcrypto.Seal would refuse, by following
// docs/SECURITY.md ("Messages") by hand: a modified client's message, correctly
// encrypted and signed by p's device.
func forgeText(t *testing.T, p *peer, chatID ids.Chat, epoch uint64, key chatcrypto.EpochKey, id ids.Message, content map[int]any) []byte {
	t.Helper()
	enc := strictcbor.EncMode()
	pt, err := enc.Marshal(content)
	if err != nil {
		t.Fatal(err)
	}
	padded := make([]byte, 256)
	if len(pt) >= len(padded) {
		t.Fatalf("forged content of %d bytes does not fit the first bucket", len(pt))
	}
	copy(padded, pt)
	padded[len(pt)] = 0x80
	mk := make([]byte, 32)
	if _, err := hkdf.New(sha256.New, key.Bytes(), id[:], []byte("hush/v1/message-key")).Read(mk); err != nil {
		t.Fatal(err)
	}
	acct, dev := p.acct.ID(), p.dev.ID()
	ad := append([]byte("hush/v1/message-ad"), 1)
	ad = append(ad, chatID[:]...)
	ad = binary.BigEndian.AppendUint64(ad, epoch)
	ad = append(ad, id[:]...)
	ad = append(ad, acct[:]...)
	ad = append(ad, dev[:]...)
	aead, err := chacha20poly1305.NewX(mk)
	if err != nil {
		t.Fatal(err)
	}
	nonce := make([]byte, chacha20poly1305.NonceSizeX)
	rand.Read(nonce)
	body, err := enc.Marshal([]any{1, chatID[:], epoch, id[:], acct[:], dev[:], p.cert, nonce, aead.Seal(nil, nonce, padded, ad)})
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := enc.Marshal([]any{body, p.dev.Sign("cloud-message", body)})
	if err != nil {
		t.Fatal(err)
	}
	return sealed
}

// waitDelivered waits until p has n messages from sender in the chat and nothing in
// its outbox.
func waitDelivered(t *testing.T, p *peer, chatID ids.Chat, sender *peer, n int) {
	t.Helper()
	testutil.Eventually(t, 60*time.Second, p.name+" receives everything", func() bool {
		got := 0
		for _, m := range of[Message](p.events) {
			if m.Sender == sender.id() && m.Chat == chatID && m.Service == nil {
				got++
			}
		}
		return got >= n && sender.outboxLen(t) == 0
	})
}

// revoke revokes dev, a device of p's account, with a new device list signed by
// the account key, published through a raw connection of p's device.
func revoke(t *testing.T, p, dev *peer) {
	t.Helper()
	id := ids.Device(dev.dev.ID())
	publishRaw(t, p, func(l *identity.DeviceList) {
		l.Devices = slices.DeleteFunc(l.Devices, func(d identity.ListedDevice) bool { return d.ID() == id })
		l.Revoked = append(l.Revoked, id)
	})
}

// deviceIn reads what p's vault holds about dev's device.
func deviceIn(t *testing.T, p, dev *peer) (vault.Device, bool) {
	t.Helper()
	var d vault.Device
	var found bool
	err := p.vault.View(context.Background(), func(tx *vault.Tx) error {
		var err error
		d, err = tx.Device(dev.dev.ID())
		found = err == nil
		if !found {
			return nil
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return d, found
}

// sendAcked sends a message from p and waits until the relay has acknowledged it.
func sendAcked(t *testing.T, p *peer, chatID ids.Chat, text string) {
	t.Helper()
	m, err := p.engine.Send(context.Background(), chatID, text, nil)
	if err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 20*time.Second, p.name+"'s message acknowledged", func() bool {
		for _, x := range p.allMessages(t, chatID) {
			if x.ID == m.ID && x.Seq > 0 {
				return true
			}
		}
		return false
	})
}

func bodiesOf(msgs []Message) []string {
	out := make([]string, 0, len(msgs))
	for _, m := range msgs {
		out = append(out, m.Body)
	}
	return out
}

// registered is the start of many tests: a relay, and Alice and Bob online with the
// handles alice and bob.
func registered(t testing.TB) (*relaytest.Relay, *peer, *peer) {
	t.Helper()
	r := startRelay(t)
	alice := newPeer(t, "Alice", "ws://"+r.Addr)
	bob := newPeer(t, "Bob", "ws://"+r.Addr)
	alice.register(t, "alice")
	bob.register(t, "bob")
	return r, alice, bob
}

// twoPeople is registered with the direct chat Alice opened with Bob, which both
// devices hold.
func twoPeople(t testing.TB) (*relaytest.Relay, *peer, *peer, ids.Chat) {
	t.Helper()
	r, alice, bob := registered(t)
	return r, alice, bob, direct(t, alice, bob, "bob")
}

// newest is the newest epoch of keys.
func newest(keys map[uint64]chatcrypto.EpochKey) uint64 {
	var epoch uint64
	for ep := range keys {
		epoch = max(epoch, ep)
	}
	return epoch
}

// noWarnings fails the test if any of peers was warned of anything.
func noWarnings(t testing.TB, peers ...*peer) {
	t.Helper()
	for _, p := range peers {
		if w := of[Warning](p.events); len(w) != 0 {
			t.Errorf("%s: warnings %+v", p.name, w)
		}
	}
}
