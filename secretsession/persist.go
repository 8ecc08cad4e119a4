package secretsession

import (
	"bytes"
	"crypto/sha256"
	"fmt"

	"hush/identity"
	"hush/ids"
	"hush/pqxdh"
	"hush/ratchet"
)

// sessionWire is an encoded session: CBOR [version, role (1 initiator, 2
// responder), chat id, peer device public key (64 bytes), handshake AD (160),
// initial, ratchet state]. initial is, for the initiator, the encoded initial
// message while its frames still carry it, else empty; for the responder, the
// SHA-256 of the initial message it accepted. The ratchet state is ratchet's own
// encoding, as a byte string.
type sessionWire struct {
	_       struct{} `cbor:",toarray"`
	Version uint8
	Role    uint8
	Chat    ids.Chat
	Peer    []byte
	AD      []byte
	Initial []byte
	Ratchet []byte
}

// MarshalBinary encodes the whole session so that [Session.UnmarshalBinary]
// continues exactly where it stopped. The bytes are as secret as the session:
// seal them (in the vault) and clear them after. At most [MaxSessionSize] bytes.
func (s *Session) MarshalBinary() ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkLocked(); err != nil {
		return nil, err
	}
	st, err := s.state.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("secretsession: encode session: %w", err)
	}
	defer clear(st)
	w := sessionWire{
		Version: sessionVersion,
		Role:    uint8(s.role),
		Chat:    s.chat,
		Peer:    s.peer.Bytes(),
		AD:      s.ad,
		Initial: s.initial,
		Ratchet: st,
	}
	if w.Initial == nil {
		w.Initial = []byte{} // not CBOR null: one encoding of "none"
	}
	out, err := enc.Marshal(w)
	if err != nil {
		return nil, fmt.Errorf("secretsession: encode session: %w", err)
	}
	return out, nil
}

// UnmarshalBinary replaces s with the session b encodes, as [Session.MarshalBinary]
// wrote it. Anything else — another encoding, a wrong size, an unknown version or
// role, more than [MaxSessionSize] bytes, a peer that is not the one the handshake
// AD names, a ratchet state ratchet refuses — fails with [ErrBadSession] and
// leaves s unchanged.
func (s *Session) UnmarshalBinary(b []byte) error {
	n, err := parseSession(b)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrBadSession, err)
	}
	again, err := n.MarshalBinary()
	if err != nil {
		n.Destroy()
		return err
	}
	defer clear(again)
	if !bytes.Equal(again, b) {
		n.Destroy()
		return fmt.Errorf("%w: not in its one encoding", ErrBadSession)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state != nil {
		s.state.Destroy()
	}
	s.role, s.chat, s.me, s.peer, s.ad, s.initial, s.state = n.role, n.chat, n.me, n.peer, n.ad, n.initial, n.state
	return nil
}

func parseSession(b []byte) (*Session, error) {
	if len(b) > MaxSessionSize {
		return nil, fmt.Errorf("%d bytes, the limit is %d", len(b), MaxSessionSize)
	}
	var w sessionWire
	if err := dec.Unmarshal(b, &w); err != nil {
		return nil, err
	}
	defer clear(w.Ratchet)
	if w.Version != sessionVersion {
		return nil, fmt.Errorf("unknown version %d", w.Version)
	}
	r := role(w.Role)
	if r != initiator && r != responder {
		return nil, fmt.Errorf("unknown role %d", w.Role)
	}
	if w.Chat.IsZero() {
		return nil, fmt.Errorf("zero chat id")
	}
	if len(w.AD) != adSize {
		return nil, fmt.Errorf("handshake AD of %d bytes, want %d", len(w.AD), adSize)
	}
	peer, err := identity.ParseDevicePublicKey(w.Peer)
	if err != nil {
		return nil, fmt.Errorf("peer: %w", err)
	}
	// The AD starts with the initiator's device key, then the responder's: one of
	// them is the peer, the other this device.
	k := identity.PublicKeySize
	mine, theirs := w.AD[:k], w.AD[k:2*k]
	if r == responder {
		mine, theirs = theirs, mine
	}
	if !bytes.Equal(theirs, w.Peer) {
		return nil, fmt.Errorf("the peer is not the device the handshake was with")
	}
	me, err := identity.ParseDevicePublicKey(mine)
	if err != nil {
		return nil, fmt.Errorf("own device key in the AD: %w", err)
	}
	if me.Equal(peer) {
		return nil, fmt.Errorf("a session of a device with itself")
	}
	var initial []byte
	switch {
	case r == responder && len(w.Initial) != sha256.Size:
		return nil, fmt.Errorf("initial message hash of %d bytes", len(w.Initial))
	case r == initiator && len(w.Initial) > 0:
		im, err := pqxdh.ParseInitialMessage(w.Initial)
		if err != nil {
			return nil, err
		}
		if !im.Initiator.Equal(me) {
			return nil, fmt.Errorf("the initial message is not this device's")
		}
	}
	if len(w.Initial) > 0 {
		initial = w.Initial
	}
	st := new(ratchet.State)
	if err := st.UnmarshalBinary(w.Ratchet); err != nil {
		return nil, err
	}
	return &Session{role: r, chat: w.Chat, me: me, peer: peer, ad: w.AD, initial: initial, state: st}, nil
}
