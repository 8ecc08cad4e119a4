package secretsession

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"hush/identity"
	"hush/ids"
	"hush/pqxdh"
	"hush/ratchet"
)

// role is which side of the handshake a session is.
type role uint8

const (
	initiator role = 1 // the spec's Alice: ran the handshake with the peer's bundle
	responder role = 2 // the spec's Bob: accepted the initiator's first frame
)

func (r role) String() string {
	switch r {
	case initiator:
		return "initiator"
	case responder:
		return "responder"
	}
	return "none"
}

// Session is one secret chat between this device and one peer device. Make it
// with [Start] or [Accept], or restore it with [Session.UnmarshalBinary]. It is
// safe for concurrent use, not comparable with ==, and prints redacted.
type Session struct {
	mu   sync.Mutex
	role role
	chat ids.Chat
	// me and peer are the two devices' public keys; me is read from the handshake
	// AD, which starts with the initiator's key and then the responder's.
	me, peer identity.DevicePublicKey
	// ad is the handshake's AD (adSize bytes).
	ad []byte
	// initial is, for the initiator, the encoded initial message its frames carry
	// until one of the responder's has opened (nil after); for the responder, the
	// SHA-256 of the initial message it accepted, to tell the same handshake sent
	// again from another one.
	initial []byte
	state   *ratchet.State
}

// Start is the initiator's side: it runs the handshake with b, the bundle the
// relay served for device peer — the key the caller trusts for that device, from
// its account's certificate — for chat, a chat id the caller chose. pqxdh's errors
// (pqxdh.ErrWrongPeer, pqxdh.ErrBadSignature, pqxdh.ErrInvalidBundle) are
// returned wrapped: a bundle the relay swapped fails here. Nothing is sent yet;
// the first [Session.Seal] makes the first frame.
func Start(me *identity.DeviceKey, peer identity.DevicePublicKey, b pqxdh.Bundle, chat ids.Chat) (*Session, error) {
	if chat.IsZero() {
		return nil, errors.New("secretsession: start: zero chat id")
	}
	if peer.IsZero() || peer.Equal(me.Public()) {
		return nil, fmt.Errorf("%w: a session needs two devices", ErrWrongPeer)
	}
	m, h, err := pqxdh.Initiate(me, peer, b)
	if err != nil {
		return nil, fmt.Errorf("secretsession: handshake: %w", err)
	}
	defer h.Destroy()
	initial, err := pqxdh.EncodeInitialMessage(m)
	if err != nil {
		return nil, fmt.Errorf("secretsession: handshake: %w", err)
	}
	st, err := ratchet.InitAlice(h.SharedKey[:], h.PeerRatchetKey)
	if err != nil {
		return nil, fmt.Errorf("secretsession: start ratchet: %w", err)
	}
	return &Session{role: initiator, chat: chat, me: me.Public(), peer: peer, ad: h.AD, initial: initial, state: st}, nil
}

// Accept is the responder's side: frame is the first frame of a chat this device
// has no session for. It runs the handshake with the initial message the frame
// carries ([ErrNoSession] if none), using up the one-time prekeys it names in
// store, and opens the frame's ratchet message: only if that authenticates is
// there a session, returned with the frame's plaintext.
//
// Persist store before acting on the result, whatever it is: pqxdh deletes the
// one-time prekeys the message named even when the frame then fails to open (as
// the PQXDH specification does), so a second initial message naming them fails
// with pqxdh.ErrPrekeyUsed. pqxdh's errors are returned wrapped.
//
// The initial message names the initiator's device key ([Session.Peer]): the
// caller must check it is a device of the contact the chat is with, from its
// certificate, before showing the plaintext.
func Accept(me *identity.DeviceKey, store *pqxdh.Store, frame []byte) (*Session, []byte, error) {
	f, err := parseFrame(frame)
	if err != nil {
		return nil, nil, err
	}
	if f.initial == nil {
		return nil, nil, fmt.Errorf("%w: no initial message in the frame of chat %s", ErrNoSession, f.chat)
	}
	if f.to != me.ID() {
		return nil, nil, fmt.Errorf("%w: the frame is for device %s", ErrWrongPeer, f.to)
	}
	h, err := pqxdh.Respond(me, store, f.im)
	if err != nil {
		return nil, nil, fmt.Errorf("secretsession: handshake: %w", err)
	}
	defer h.Destroy()
	st, err := ratchet.InitBob(h.SharedKey[:], h.RatchetKey)
	if err != nil {
		return nil, nil, fmt.Errorf("secretsession: start ratchet: %w", err)
	}
	sum := sha256.Sum256(f.initial)
	s := &Session{role: responder, chat: f.chat, me: me.Public(), peer: h.Peer, ad: h.AD, initial: sum[:], state: st}
	pt, err := s.decryptLocked(f)
	if err != nil {
		s.Destroy()
		return nil, nil, err
	}
	return s, pt, nil
}

// Seal encrypts plaintext as the next frame to the peer. The session moves on
// even if the frame is never sent: persist it before sending the frame.
func (s *Session) Seal(plaintext []byte) ([]byte, error) {
	if len(plaintext) > MaxPlaintextSize {
		return nil, fmt.Errorf("%w: %d bytes, the limit is %d", ErrTooLarge, len(plaintext), MaxPlaintextSize)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkLocked(); err != nil {
		return nil, err
	}
	f := frame{chat: s.chat, from: s.me.ID(), to: s.peer.ID()}
	msg, err := s.state.Encrypt(plaintext, associatedData(s.ad, f.chat, f.from, f.to))
	if err != nil {
		return nil, fmt.Errorf("secretsession: seal: %w", err)
	}
	f.message = msg
	if s.role == initiator {
		f.initial = s.initial
	}
	return encodeFrame(&f)
}

// Open returns the plaintext of frame, a frame of this session's peer. It fails
// with [ErrMalformed], [ErrWrongChat], [ErrWrongPeer], [ErrOtherSession],
// [ErrReplay], [ErrDecrypt] or [ErrTooManySkipped], and then leaves the session
// as it was. Each frame opens once.
func (s *Session) Open(frame []byte) ([]byte, error) {
	f, err := parseFrame(frame)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkLocked(); err != nil {
		return nil, err
	}
	if f.chat != s.chat {
		return nil, fmt.Errorf("%w: frame of chat %s in the session of chat %s", ErrWrongChat, f.chat, s.chat)
	}
	if f.from != s.peer.ID() || f.to != s.me.ID() {
		return nil, fmt.Errorf("%w: frame from device %s to %s", ErrWrongPeer, f.from, f.to)
	}
	if f.initial != nil {
		if s.role == initiator {
			return nil, fmt.Errorf("%w: an initial message from the responder", ErrMalformed)
		}
		// The initiator sends its initial message with every frame until it hears
		// back: the same one is expected, another one is another session.
		sum := sha256.Sum256(f.initial)
		if subtle.ConstantTimeCompare(sum[:], s.initial) != 1 {
			return nil, fmt.Errorf("%w: chat %s", ErrOtherSession, s.chat)
		}
	}
	pt, err := s.decryptLocked(f)
	if err != nil {
		return nil, err
	}
	if s.role == initiator {
		// The responder has the session: later frames need not start it.
		s.initial = nil
	}
	return pt, nil
}

// decryptLocked opens the ratchet message of f, which the caller checked is from
// the peer to this device, and maps the ratchet's errors onto this package's.
func (s *Session) decryptLocked(f *frame) ([]byte, error) {
	pt, err := s.state.Decrypt(f.message, associatedData(s.ad, f.chat, f.from, f.to))
	switch {
	case err == nil:
		return pt, nil
	case errors.Is(err, ratchet.ErrDuplicate):
		return nil, fmt.Errorf("%w: %w", ErrReplay, err)
	case errors.Is(err, ratchet.ErrMalformed):
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	case errors.Is(err, ratchet.ErrTooManySkipped):
		return nil, fmt.Errorf("%w: %w", ErrTooManySkipped, err)
	default: // ratchet.ErrDecrypt, or ratchet.ErrBadKey for a low-order ratchet key
		return nil, fmt.Errorf("%w: %w", ErrDecrypt, err)
	}
}

// checkLocked refuses a Session that was never made, or was destroyed.
func (s *Session) checkLocked() error {
	if s.state == nil {
		return fmt.Errorf("%w: not initialised, or destroyed", ErrBadSession)
	}
	return nil
}

// Chat returns the chat the session is for.
func (s *Session) Chat() ids.Chat {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.chat
}

// Peer returns the other device's public key. For the responder it comes from the
// initial message: see [Accept] for the check the caller owes it.
func (s *Session) Peer() identity.DevicePublicKey {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peer
}

// SafetyNumber returns what the two devices' users compare out of band to be sure
// no one is in the middle of the session: pqxdh.SafetyNumber of the two device
// keys, the same on both sides.
func (s *Session) SafetyNumber() (identity.SafetyNumber, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkLocked(); err != nil {
		return identity.SafetyNumber{}, err
	}
	return pqxdh.SafetyNumber(s.me, s.peer)
}

// Destroy clears the ratchet's keys and the handshake data; s must not be used
// afterwards (its methods then fail with [ErrBadSession]).
func (s *Session) Destroy() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state != nil {
		s.state.Destroy()
		s.state = nil
	}
	clear(s.ad)
	clear(s.initial)
	s.ad, s.initial = nil, nil
}

// String describes s without a secret: its chat, role and peer device.
func (s *Session) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return fmt.Sprintf("secretsession.Session{chat: %s, role: %s, peer: %s, keys: REDACTED}", s.chat, s.role, s.peer.ID())
}

// GoString is [Session.String], so that %#v prints no secret either.
func (s *Session) GoString() string { return s.String() }

// Format makes every fmt verb print [Session.String]: %x or %+v of a Session must
// not dump its keys.
func (s *Session) Format(f fmt.State, verb rune) { fmt.Fprint(f, s.String()) }

// LogValue logs s as [Session.String] does, as a group.
func (s *Session) LogValue() slog.Value {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slog.GroupValue(
		slog.String("chat", s.chat.String()),
		slog.String("role", s.role.String()),
		slog.String("peer", s.peer.ID().String()),
	)
}
