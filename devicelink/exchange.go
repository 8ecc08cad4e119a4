package devicelink

import (
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"time"

	"hush/identity"
)

// step is where a side of the exchange stands. Each method checks it first, so a
// step cannot be skipped, repeated, or taken after a failure.
type step uint8

const (
	stepFailed      step = iota // any error ends the exchange for good
	stepAwaitCommit             // newcomer: made, waits for the sponsor's commit
	stepAwaitReply              // sponsor: committed, waits for the newcomer's reply
	stepAwaitReveal             // newcomer: replied, waits for the reveal
	stepCompare                 // both: the SAS is known; the user compares it
	stepDone                    // both: the bundle was sealed or opened
)

// Sponsor is the existing device's side of one link exchange. Make it with
// [NewSponsor]; then [Sponsor.OnReply], and after the user confirmed the SAS,
// [Sponsor.SealBundle]. After any error it stays failed. It is not safe for
// concurrent use.
type Sponsor struct {
	step       step
	code       Code
	pub        []byte
	account    identity.AccountPublicKey
	nonce      [NonceSize]byte
	device     identity.DevicePublicKey
	transcript [32]byte
}

// NewSponsor starts the sponsor's side for code, whose link public key pub the
// relay handed over, on behalf of account. It fails with [ErrExpired] if the code
// has expired at now and with [ErrKeyMismatch] if pub is not the key the code
// names. It returns the [Commit] to send.
func NewSponsor(code Code, pub []byte, account identity.AccountPublicKey, now time.Time) (*Sponsor, Commit, error) {
	if account.IsZero() {
		return nil, Commit{}, errors.New("new sponsor: no account key")
	}
	if code.Expired(now) {
		return nil, Commit{}, fmt.Errorf("%w: at %v", ErrExpired, code.Expires)
	}
	if err := CheckPublicKey(code, pub); err != nil {
		return nil, Commit{}, err
	}
	s := &Sponsor{step: stepAwaitReply, code: code, pub: append([]byte(nil), pub...), account: account}
	_, _ = rand.Read(s.nonce[:]) // crypto/rand.Read never fails (Go 1.24+)
	return s, Commit{Hash: commitHash(code.Session, account.Bytes(), s.nonce)}, nil
}

// OnReply takes the newcomer's [Reply] and returns the [Reveal] to send and the SAS
// to show. The user must then compare it with the newcomer's before
// [Sponsor.SealBundle].
func (s *Sponsor) OnReply(r Reply) (Reveal, SAS, error) {
	if s.step != stepAwaitReply {
		s.step = stepFailed
		return Reveal{}, SAS{}, fmt.Errorf("%w: reply", ErrOutOfOrder)
	}
	s.step = stepFailed
	device, err := identity.ParseDevicePublicKey(r.Device)
	if err != nil {
		return Reveal{}, SAS{}, fmt.Errorf("%w: reply: %v", ErrBadMessage, err)
	}
	s.device = device
	s.transcript = transcriptHash(s.code.Session, s.code.KeyHash, s.account.Bytes(), device.Bytes(), s.nonce, r.Nonce)
	s.step = stepCompare
	return Reveal{Account: s.account.Bytes(), Nonce: s.nonce}, deriveSAS(s.transcript), nil
}

// Device returns the newcomer's device key from its reply, which the account's
// certificate in the bundle must name; the zero key before [Sponsor.OnReply].
func (s *Sponsor) Device() identity.DevicePublicKey { return s.device }

// Transcript returns the hash of the exchange the SAS is derived from; zero before
// [Sponsor.OnReply].
func (s *Sponsor) Transcript() [32]byte { return s.transcript }

// SealBundle seals b to the newcomer's link key for this exchange ([SealBundle]),
// once, after [Sponsor.OnReply]. Call it only after the user confirmed that both
// devices show the same SAS: that is what proves the link key, and so the bundle's
// reader, is the newcomer's. It checks that b's seeds are the account's and that
// its certificate names the account and the newcomer's device, so a mistake of the
// caller fails here rather than on the newcomer.
func (s *Sponsor) SealBundle(b Bundle) ([]byte, error) {
	if s.step != stepCompare {
		s.step = stepFailed
		return nil, fmt.Errorf("%w: seal bundle", ErrOutOfOrder)
	}
	s.step = stepFailed
	cert, err := checkBundleAccount(b, s.account)
	if err != nil {
		return nil, fmt.Errorf("seal bundle: %w", err)
	}
	if !cert.Device.Equal(s.device) {
		return nil, fmt.Errorf("seal bundle: %w: the certificate names another device", ErrBadBundle)
	}
	sealed, err := SealBundle(s.pub, s.transcript, b)
	if err != nil {
		return nil, err
	}
	s.step = stepDone
	return sealed, nil
}

// Newcomer is the new device's side of one link exchange. Make it with
// [NewNewcomer]; then [Newcomer.OnCommit], [Newcomer.OnReveal] and, once the sponsor
// sends it, [Newcomer.OpenBundle]. After any error it stays failed. It is not safe
// for concurrent use.
type Newcomer struct {
	step       step
	code       Code
	key        *LinkKey
	device     identity.DevicePublicKey
	commit     [32]byte
	nonce      [NonceSize]byte
	account    identity.AccountPublicKey
	transcript [32]byte
}

// NewNewcomer starts the newcomer's side for the code it made with key, on behalf
// of device, the public key of the device key it will keep (identity.NewDeviceKey).
// The link key must be the one the code names.
func NewNewcomer(code Code, key *LinkKey, device identity.DevicePublicKey) (*Newcomer, error) {
	if device.IsZero() {
		return nil, errors.New("new newcomer: no device key")
	}
	if key == nil || key.kem == nil {
		return nil, errors.New("new newcomer: no link key")
	}
	if err := CheckPublicKey(code, key.pub); err != nil {
		return nil, fmt.Errorf("new newcomer: the code is for another link key: %w", err)
	}
	return &Newcomer{step: stepAwaitCommit, code: code, key: key, device: device}, nil
}

// OnCommit takes the sponsor's [Commit] and returns the [Reply] to send. It fails
// with [ErrExpired] if the code has expired at now.
func (n *Newcomer) OnCommit(c Commit, now time.Time) (Reply, error) {
	if n.step != stepAwaitCommit {
		n.step = stepFailed
		return Reply{}, fmt.Errorf("%w: commit", ErrOutOfOrder)
	}
	n.step = stepFailed
	if n.code.Expired(now) {
		return Reply{}, fmt.Errorf("%w: at %v", ErrExpired, n.code.Expires)
	}
	n.commit = c.Hash
	_, _ = rand.Read(n.nonce[:]) // crypto/rand.Read never fails (Go 1.24+)
	n.step = stepAwaitReveal
	return Reply{Nonce: n.nonce, Device: n.device.Bytes()}, nil
}

// OnReveal takes the sponsor's [Reveal], checks it opens the commit (else
// [ErrCommitMismatch]), and returns the account the newcomer is joining and the SAS
// to show.
func (n *Newcomer) OnReveal(r Reveal) (identity.AccountPublicKey, SAS, error) {
	if n.step != stepAwaitReveal {
		n.step = stepFailed
		return identity.AccountPublicKey{}, SAS{}, fmt.Errorf("%w: reveal", ErrOutOfOrder)
	}
	n.step = stepFailed
	want := commitHash(n.code.Session, r.Account, r.Nonce)
	if subtle.ConstantTimeCompare(want[:], n.commit[:]) != 1 {
		return identity.AccountPublicKey{}, SAS{}, ErrCommitMismatch
	}
	account, err := identity.ParseAccountPublicKey(r.Account)
	if err != nil {
		return identity.AccountPublicKey{}, SAS{}, fmt.Errorf("%w: reveal: %v", ErrBadMessage, err)
	}
	n.account = account
	n.transcript = transcriptHash(n.code.Session, n.code.KeyHash, account.Bytes(), n.device.Bytes(), r.Nonce, n.nonce)
	n.step = stepCompare
	return account, deriveSAS(n.transcript), nil
}

// Account returns the account the sponsor revealed; the zero key before
// [Newcomer.OnReveal].
func (n *Newcomer) Account() identity.AccountPublicKey { return n.account }

// Transcript returns the hash of the exchange the SAS is derived from; zero before
// [Newcomer.OnReveal].
func (n *Newcomer) Transcript() [32]byte { return n.transcript }

// OpenBundle opens the sponsor's sealed bundle, once, after [Newcomer.OnReveal]
// ([LinkKey.OpenBundle]), and also checks that its certificate names this device.
// Any failure wraps [ErrBadBundle]; a bundle of another account also wraps
// [ErrWrongAccount]. The caller stores the seeds and destroys the bundle
// ([Bundle.Destroy]) and the link key.
func (n *Newcomer) OpenBundle(sealed []byte) (Bundle, error) {
	if n.step != stepCompare {
		n.step = stepFailed
		return Bundle{}, fmt.Errorf("%w: open bundle", ErrOutOfOrder)
	}
	n.step = stepFailed
	b, cert, err := n.key.openBundle(n.transcript, n.account, sealed)
	if err != nil {
		return Bundle{}, err
	}
	if !cert.Device.Equal(n.device) {
		b.Destroy()
		return Bundle{}, fmt.Errorf("%w: the certificate names another device", ErrBadBundle)
	}
	n.step = stepDone
	return b, nil
}
