package chat

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"

	"hush/clock"
	"hush/devicelink"
	"hush/identity"
	"hush/ids"
	"hush/sync/relayclient"
	"hush/sync/wire"
	"hush/vault"
)

// Linking a device (docs/SECURITY.md, "Linking a device"; the exchange is package
// devicelink's). The new device (a [Joiner]) opens a link session at the relay and
// shows its code; an existing device of the account (the engine, as sponsor)
// claims it with the code, and both show the same short authentication string.
// Only when the user confirms on the sponsor does it add the new device to the
// account's signed device list and send the account keys, sealed to the new
// device's one-time key. Any mismatch, refusal or timeout ends the session on both
// sides with nothing half-linked: the new device stores nothing until it holds a
// bundle that verifies, and a sponsor whose bundle did not go out revokes the device
// it had just listed.

// Errors of linking, which the UI words.
var (
	// ErrLinkCode: the code is malformed, expired, already used or for another relay.
	ErrLinkCode = errors.New("chat: link code not valid")
	// ErrLinkDeclined: the other device declined (the user said the strings differ,
	// or cancelled).
	ErrLinkDeclined = errors.New("chat: linking declined")
	// ErrLinkEnded: the session ended before linking finished: the other device left,
	// the code expired, or the connection dropped.
	ErrLinkEnded = errors.New("chat: linking ended")
	// ErrLinkTampered: a message of the exchange failed its check: the relay (or
	// someone with the code) interfered. Nothing was linked.
	ErrLinkTampered = errors.New("chat: linking failed its security check")
)

// linkStepTimeout bounds each wait for the other device during linking: the user
// is typing a code or comparing strings.
const linkStepTimeout = devicelink.CodeLifetime

// Joined is what a new device receives when linking succeeds: the account's keys
// and its own device key, certified.
type Joined struct {
	Account     *identity.AccountKey
	Device      *identity.DeviceKey
	Certificate []byte
	DeviceList  []byte // the account's signed list, naming this device
	Handle      string
	DisplayName string
}

// Joiner is a new device linking itself to an existing account.
type Joiner struct {
	conn *relayclient.LinkConn
	key  *devicelink.LinkKey
	dev  *identity.DeviceKey
	code devicelink.Code
	nc   *devicelink.Newcomer
	clk  clock.Clock
}

// NewJoiner opens a link session at the relay at relayURL and makes the code the
// user enters on an existing device. hc nil: http.DefaultClient; clk nil: the real
// clock.
func NewJoiner(ctx context.Context, relayURL string, hc *http.Client, clk clock.Clock) (*Joiner, error) {
	url, err := CheckRelayURL(relayURL)
	if err != nil {
		return nil, err
	}
	if clk == nil {
		clk = clock.Real()
	}
	key, err := devicelink.NewLinkKey()
	if err != nil {
		return nil, err
	}
	dev, err := identity.NewDeviceKey()
	if err != nil {
		key.Destroy()
		return nil, err
	}
	var session ids.LinkSession
	rand.Read(session[:])
	code, err := devicelink.NewCode(session, key.PublicKey(), url, clk.Now())
	if err == nil {
		var nc *devicelink.Newcomer
		if nc, err = devicelink.NewNewcomer(code, key, dev.Public()); err == nil {
			var conn *relayclient.LinkConn
			if conn, err = relayclient.OpenLink(ctx, url, hc, session, key.PublicKey()); err == nil {
				return &Joiner{conn: conn, key: key, dev: dev, code: code, nc: nc, clk: clk}, nil
			}
		}
	}
	key.Destroy()
	dev.Destroy()
	return nil, linkingError(err)
}

// Code is what the user enters (or scans) on an existing device.
func (j *Joiner) Code() devicelink.Code { return j.code }

// Close ends the session (the other device is told) and forgets the keys.
func (j *Joiner) Close() {
	j.conn.Close()
	j.key.Destroy()
}

// Run takes the exchange to its end: compare is called with the string both
// devices show, once the sponsor revealed its account. It returns the account's
// keys once the user confirmed on the sponsor; the caller owns them.
func (j *Joiner) Run(ctx context.Context, compare func(devicelink.SAS)) (Joined, error) {
	commit, err := nextLinkMessage[devicelink.Commit](ctx, j.conn)
	if err != nil {
		return Joined{}, err
	}
	reply, err := j.nc.OnCommit(commit, j.clk.Now())
	if err != nil {
		return Joined{}, j.abort(ctx, err)
	}
	if err := sendLinkMessage(ctx, j.conn, reply); err != nil {
		return Joined{}, err
	}
	reveal, err := nextLinkMessage[devicelink.Reveal](ctx, j.conn)
	if err != nil {
		return Joined{}, err
	}
	_, sas, err := j.nc.OnReveal(reveal)
	if err != nil {
		return Joined{}, j.abort(ctx, err)
	}
	compare(sas)
	sealed, err := nextLinkMessage[devicelink.SealedBundle](ctx, j.conn)
	if err != nil {
		return Joined{}, err
	}
	b, err := j.nc.OpenBundle(sealed.Sealed)
	if err != nil {
		return Joined{}, j.abort(ctx, err)
	}
	defer b.Destroy()
	acct, err := identity.AccountKeyFromSeeds(b.SigningSeed, b.EncryptionKey, b.KEMSeed)
	if err == nil {
		_, err = acct.AddKEMSeeds(b.OtherKEMSeeds)
	}
	if err != nil {
		return Joined{}, j.abort(ctx, err)
	}
	return Joined{
		Account: acct, Device: j.dev, Certificate: b.Certificate, DeviceList: b.DeviceList,
		Handle: b.Handle, DisplayName: b.DisplayName,
	}, nil
}

// StoreLinked stores in a new device's vault what linking brought besides the keys
// (which the caller stores as for any account): the account's signed device list,
// so the device trusts its account's devices from its first connection. The list
// must be the account's and name the device.
func StoreLinked(tx *vault.Tx, j Joined) error {
	l, err := identity.ParseDeviceList(j.DeviceList)
	if err != nil {
		return err
	}
	if !l.Account.Equal(j.Account.Public()) {
		return fmt.Errorf("%w: the device list is another account's", ErrLinkTampered)
	}
	if _, ok := l.Device(j.Device.ID()); !ok {
		return fmt.Errorf("%w: the device list does not name this device", ErrLinkTampered)
	}
	return tx.PutSetting(deviceListSetting(j.Account.ID()), j.DeviceList)
}

// abort tells the sponsor the exchange failed a check here, and returns why.
func (j *Joiner) abort(ctx context.Context, cause error) error {
	_ = sendLinkMessage(ctx, j.conn, devicelink.Decline{Reason: devicelink.ReasonInternal})
	return fmt.Errorf("%w: %w", ErrLinkTampered, cause)
}

// linkPeer is one end of a link session as the exchange needs it.
type linkPeer interface {
	Send(ctx context.Context, payload []byte) error
	Next(ctx context.Context) ([]byte, error)
}

// nextLinkMessage waits for the next message, which must be a T; a Decline is
// ErrLinkDeclined, anything else ErrLinkTampered.
func nextLinkMessage[T devicelink.Message](ctx context.Context, p linkPeer) (T, error) {
	var zero T
	ctx, cancel := context.WithTimeout(ctx, linkStepTimeout)
	defer cancel()
	raw, err := p.Next(ctx)
	if err != nil {
		return zero, linkingError(err)
	}
	m, err := devicelink.DecodeMessage(raw)
	if err != nil {
		return zero, fmt.Errorf("%w: %w", ErrLinkTampered, err)
	}
	switch v := m.(type) {
	case T:
		return v, nil
	case devicelink.Decline:
		return zero, detailf(ErrLinkDeclined, "%s", v.Reason)
	}
	return zero, detailf(ErrLinkTampered, "the other device sent a message out of turn")
}

func sendLinkMessage(ctx context.Context, p linkPeer, m devicelink.Message) error {
	b, err := devicelink.EncodeMessage(m)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	return linkingError(p.Send(ctx, b))
}

// linkingError maps a failure of the link session to the sentinels above.
func linkingError(err error) error {
	var we *wire.Error
	switch {
	case err == nil:
		return nil
	case errors.Is(err, relayclient.ErrLinkClosed), errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%w: %w", ErrLinkEnded, err)
	case errors.Is(err, devicelink.ErrExpired):
		return detailf(ErrLinkCode, "the code expired; make a new one on the new device")
	case errors.Is(err, devicelink.ErrBadCode):
		return detailf(ErrLinkCode, "this is not a Hush link code")
	case errors.Is(err, devicelink.ErrKeyMismatch), errors.Is(err, devicelink.ErrCommitMismatch),
		errors.Is(err, devicelink.ErrBadMessage), errors.Is(err, devicelink.ErrBadBundle), errors.Is(err, devicelink.ErrWrongAccount):
		return fmt.Errorf("%w: %w", ErrLinkTampered, err)
	case errors.As(err, &we) && we.Code == wire.CodeNotFound:
		return detailf(ErrLinkCode, "the code is unknown to the relay, expired or already used")
	case errors.As(err, &we):
		return relayError(err)
	}
	return linkError(err)
}

// LinkCheck is what the sponsor shows once the exchange reached the comparison.
type LinkCheck struct {
	Session ids.LinkSession
	SAS     devicelink.SAS
}

// sponsor is the engine's side of linking: the sessions it claimed, each waiting
// for its messages, which the receiver hands over as the relay pushes them.
type sponsor struct {
	link *link
	dir  *directory
	clk  clock.Clock
	log  *slog.Logger

	mu       sync.Mutex
	sessions map[ids.LinkSession]*sponsored
}

// sponsored is one session the sponsor claimed.
type sponsored struct {
	id     ids.LinkSession
	ex     *devicelink.Sponsor
	inbox  chan []byte
	ended  chan struct{}
	endOne sync.Once
	ready  bool // the user may confirm: the reveal went out
}

// sponsoredPeer is a sponsored session as a linkPeer: sent over the engine's
// authenticated connection, received from the pushes the receiver hands over.
type sponsoredPeer struct {
	s *sponsored
	l *link
}

func (p sponsoredPeer) Send(ctx context.Context, payload []byte) error {
	_, err := doAs[*wire.OK](ctx, p.l, &wire.LinkSend{Session: p.s.id, Payload: payload})
	return err
}

func (p sponsoredPeer) Next(ctx context.Context) ([]byte, error) {
	select {
	case b := <-p.s.inbox:
		return b, nil
	case <-p.s.ended:
		select {
		case b := <-p.s.inbox:
			return b, nil
		default:
		}
		return nil, relayclient.ErrLinkClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (s *sponsored) end() { s.endOne.Do(func() { close(s.ended) }) }

// begin claims the session of code, runs the exchange up to the comparison and
// returns what the user compares.
func (sp *sponsor) begin(ctx context.Context, text string) (LinkCheck, error) {
	code, err := devicelink.ParseCode(text)
	if err != nil {
		return LinkCheck{}, linkingError(err)
	}
	if code.Expired(sp.clk.Now()) {
		return LinkCheck{}, detailf(ErrLinkCode, "the code expired; make a new one on the new device")
	}
	if mine := sp.link.currentURL(); !sameRelay(code.Relay, mine) {
		return LinkCheck{}, detailf(ErrLinkCode, "the new device uses the relay %s and this one %s; both must use the same", code.Relay, mine)
	}
	s := &sponsored{id: code.Session, inbox: make(chan []byte, 8), ended: make(chan struct{})}
	sp.mu.Lock()
	if sp.sessions == nil {
		sp.sessions = map[ids.LinkSession]*sponsored{}
	}
	if sp.sessions[code.Session] != nil {
		sp.mu.Unlock()
		return LinkCheck{}, detailf(ErrLinkCode, "this code is being used already")
	}
	// Registered before the claim, so no message of the new device is missed.
	sp.sessions[code.Session] = s
	sp.mu.Unlock()
	check, err := sp.exchange(ctx, code, s)
	if err != nil {
		sp.drop(s, ctx, devicelink.ReasonInternal)
		return LinkCheck{}, err
	}
	return check, nil
}

func (sp *sponsor) exchange(ctx context.Context, code devicelink.Code, s *sponsored) (LinkCheck, error) {
	offer, err := doAs[*wire.LinkOffer](ctx, sp.link, &wire.LinkClaim{Session: code.Session})
	if err != nil {
		return LinkCheck{}, linkingError(err)
	}
	ex, commit, err := devicelink.NewSponsor(code, offer.PublicKey, sp.dir.me.Public(), sp.clk.Now())
	if err != nil {
		return LinkCheck{}, linkingError(err)
	}
	s.ex = ex
	peer := sponsoredPeer{s, sp.link}
	if err := sendLinkMessage(ctx, peer, commit); err != nil {
		return LinkCheck{}, err
	}
	reply, err := nextLinkMessage[devicelink.Reply](ctx, peer)
	if err != nil {
		return LinkCheck{}, err
	}
	reveal, sas, err := ex.OnReply(reply)
	if err != nil {
		return LinkCheck{}, linkingError(err)
	}
	if err := sendLinkMessage(ctx, peer, reveal); err != nil {
		return LinkCheck{}, err
	}
	sp.mu.Lock()
	s.ready = true
	sp.mu.Unlock()
	return LinkCheck{Session: code.Session, SAS: sas}, nil
}

// finish ends a session at the comparison: confirmed, the new device joins the
// account's device list and gets the account keys; otherwise it is told no.
func (sp *sponsor) finish(ctx context.Context, id ids.LinkSession, confirmed bool) error {
	sp.mu.Lock()
	s := sp.sessions[id]
	ready := s != nil && s.ready
	sp.mu.Unlock()
	if !ready {
		return detailf(ErrLinkEnded, "no link waiting for confirmation")
	}
	select {
	case <-s.ended:
		sp.drop(s, ctx, 0)
		return fmt.Errorf("%w: the new device left", ErrLinkEnded)
	default:
	}
	if !confirmed {
		sp.drop(s, ctx, devicelink.ReasonSASMismatch)
		return nil
	}
	err := sp.sendKeys(ctx, s)
	if err != nil {
		sp.drop(s, ctx, devicelink.ReasonInternal)
		return err
	}
	sp.drop(s, ctx, 0)
	return nil
}

// sendKeys lists the new device and sends it the account keys; if they do not go
// out, the device is revoked again, so nothing is half-linked.
func (sp *sponsor) sendKeys(ctx context.Context, s *sponsored) error {
	dev := s.ex.Device()
	raw, err := sp.dir.addDevice(ctx, dev)
	if err != nil {
		return err
	}
	cert, err := identity.IssueCertificate(sp.dir.me, dev, sp.clk.Now())
	if err == nil {
		signing, enc, _ := sp.dir.me.Seeds()
		kem, others := sp.dir.me.StoredKEMSeeds()
		b := devicelink.Bundle{
			SigningSeed: signing, EncryptionKey: enc, KEMSeed: kem, OtherKEMSeeds: others,
			Certificate: cert, DeviceList: raw, Handle: sp.dir.ownHandle(), DisplayName: sp.dir.name.get().shown,
		}
		var sealed []byte
		sealed, err = s.ex.SealBundle(b)
		b.Destroy()
		if err == nil {
			err = sendLinkMessage(ctx, sponsoredPeer{s, sp.link}, devicelink.SealedBundle{Sealed: sealed})
		}
	}
	if err != nil {
		if rerr := sp.dir.revokeDevice(context.WithoutCancel(ctx), dev.ID(), nil); rerr != nil {
			sp.log.Warn("revoke a device whose keys did not go out", "device", dev.ID().String(), "err", rerr)
		}
		return err
	}
	sp.log.Info("device linked", "device", dev.ID().String())
	return nil
}

// cancel ends a session the user gave up on.
func (sp *sponsor) cancel(ctx context.Context, id ids.LinkSession) {
	sp.mu.Lock()
	s := sp.sessions[id]
	sp.mu.Unlock()
	if s != nil {
		sp.drop(s, ctx, devicelink.ReasonCancelled)
	}
}

// drop forgets a session, telling the new device why unless reason is 0.
func (sp *sponsor) drop(s *sponsored, ctx context.Context, reason devicelink.DeclineReason) {
	sp.mu.Lock()
	if sp.sessions[s.id] == s {
		delete(sp.sessions, s.id)
	}
	sp.mu.Unlock()
	select {
	case <-s.ended:
		return
	default:
	}
	s.end()
	if reason != 0 {
		_ = sendLinkMessage(context.WithoutCancel(ctx), sponsoredPeer{s, sp.link}, devicelink.Decline{Reason: reason})
	}
}

// onPush hands a pushed link message to its session.
func (sp *sponsor) onPush(p *wire.LinkPush) {
	sp.mu.Lock()
	s := sp.sessions[p.Session]
	sp.mu.Unlock()
	if s == nil {
		return
	}
	select {
	case s.inbox <- p.Payload:
	default:
		s.end() // a flood: the exchange has four messages
	}
}

// onClosed ends a session the relay closed.
func (sp *sponsor) onClosed(id ids.LinkSession) {
	sp.mu.Lock()
	s := sp.sessions[id]
	sp.mu.Unlock()
	if s != nil {
		s.end()
	}
}

// sameRelay reports whether two relay addresses name the same relay.
func sameRelay(a, b string) bool {
	ua, err1 := CheckRelayURL(a)
	ub, err2 := CheckRelayURL(b)
	return err1 == nil && err2 == nil && ua == ub
}
