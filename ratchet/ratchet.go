package ratchet

import (
	"crypto/ecdh"
	"crypto/subtle"
	"fmt"
	"io"
	"math"
	"slices"
)

// State is one side of a Double Ratchet session: the spec's state variables.
// Make it with [InitAlice] or [InitBob], or restore it with [State.UnmarshalBinary].
// It is not comparable with == and prints redacted.
type State struct {
	c chains
	// skipped is MKSKIPPED; it changes only when a message decrypts.
	skipped skippedKeys
	// previous holds the peer's last ratchet public keys before DHr, newest last, so
	// that a replay of their messages is recognised ([ErrDuplicate]).
	previous [][32]byte
	// random is the source of GENERATE_DH: nil (crypto/rand) but in tests.
	random io.Reader
}

// chains is the part of the state that [State.Decrypt] copies, changes and keeps
// only if the message authenticates: it has no references that a change could
// reach through (the ecdh keys are immutable).
type chains struct {
	rk             [keySize]byte    // RK
	dhs            *ecdh.PrivateKey // DHs, our ratchet key pair
	dhr            *ecdh.PublicKey  // DHr, the peer's ratchet key; nil: Bob before the first message
	cks, ckr       [keySize]byte    // CKs, CKr
	hasCKs, hasCKr bool             // whether CKs and CKr are set (the spec's None)
	ns, nr, pn     uint32           // Ns, Nr, PN
}

// InitAlice starts the session of the initiator, the side that ran the handshake
// with the peer's prekey: sk is the handshake's 32-byte shared secret and bob the
// peer's signed prekey, his first ratchet public key. Alice can encrypt at once.
func InitAlice(sk []byte, bob *ecdh.PublicKey) (*State, error) {
	return initAlice(sk, bob, nil)
}

func initAlice(sk []byte, bob *ecdh.PublicKey, random io.Reader) (*State, error) {
	if len(sk) != keySize {
		return nil, fmt.Errorf("%w: shared secret of %d bytes, want %d", ErrBadKey, len(sk), keySize)
	}
	if bob == nil || bob.Curve() != ecdh.X25519() {
		return nil, fmt.Errorf("%w: the peer's ratchet key is not an X25519 key", ErrBadKey)
	}
	dhs, err := generateDH(random)
	if err != nil {
		return nil, err
	}
	out, err := dh(dhs, bob)
	if err != nil {
		return nil, err
	}
	defer clear(out)
	s := &State{random: random}
	s.c.dhs, s.c.dhr = dhs, bob
	s.c.rk, s.c.cks = kdfRK((*[keySize]byte)(sk), out)
	s.c.hasCKs = true
	return s, nil
}

// InitBob starts the session of the responder: sk is the handshake's 32-byte
// shared secret and bob the private key of the signed prekey that Alice used, his
// first ratchet key pair. Bob can decrypt at once but encrypt only after his first
// message from Alice has decrypted ([ErrNoSendingChain]).
func InitBob(sk []byte, bob *ecdh.PrivateKey) (*State, error) {
	if len(sk) != keySize {
		return nil, fmt.Errorf("%w: shared secret of %d bytes, want %d", ErrBadKey, len(sk), keySize)
	}
	if bob == nil || bob.Curve() != ecdh.X25519() {
		return nil, fmt.Errorf("%w: the ratchet key pair is not an X25519 key", ErrBadKey)
	}
	s := &State{}
	s.c.dhs = bob
	s.c.rk = [keySize]byte(sk)
	return s, nil
}

// Encrypt is RatchetEncrypt: it encrypts plaintext under the next message key of
// the sending chain, binding ad and the header, and returns the message (the
// encoded [Header], then the ciphertext). ad is the handshake's associated data,
// and anything else the caller wants bound to the message; Decrypt must be given
// the same. The state moves on even if the message is never sent: store it before
// sending.
func (s *State) Encrypt(plaintext, ad []byte) ([]byte, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	if !s.c.hasCKs {
		return nil, ErrNoSendingChain
	}
	if len(plaintext) > MaxPlaintextSize {
		return nil, fmt.Errorf("%w: %d bytes, the limit is %d", ErrTooLarge, len(plaintext), MaxPlaintextSize)
	}
	if s.c.ns == math.MaxUint32 {
		// Four billion messages without a reply: the counter would wrap.
		return nil, fmt.Errorf("ratchet: sending chain exhausted; start a new session")
	}
	h := Header{DH: [32]byte(s.c.dhs.PublicKey().Bytes()), PN: s.c.pn, N: s.c.ns}
	header, err := h.MarshalBinary()
	if err != nil {
		return nil, err
	}
	mk := kdfCK(&s.c.cks)
	defer clear(mk[:])
	s.c.ns++
	out := make([]byte, 0, len(header)+len(plaintext)+tagSize)
	out = append(out, header...)
	return seal(out, &mk, plaintext, ad, header), nil
}

// Decrypt is RatchetDecrypt: it returns the plaintext of msg, checking that it was
// made by the peer for this session with the same ad. It fails with
// [ErrMalformed], [ErrDecrypt], [ErrDuplicate], [ErrTooManySkipped] or [ErrBadKey]
// (a peer ratchet key of low order), and then leaves the state exactly as it was, so a genuine message after a forged
// one still decrypts. Each message decrypts once.
func (s *State) Decrypt(msg, ad []byte) ([]byte, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	h, header, ct, err := parseMessage(msg)
	if err != nil {
		return nil, err
	}
	if h.N == math.MaxUint32 {
		// Encrypt never writes it (the counter would wrap); refused so Nr cannot.
		return nil, fmt.Errorf("%w: message index %d", ErrMalformed, h.N)
	}

	// TrySkippedMessageKeys: a late message whose key was stored. The key is
	// dropped only once the message authenticates, so a forgery in its name does
	// not cost the real message.
	k := skipKey{dh: h.DH, n: h.N}
	if mk, ok := s.skipped.get(k); ok {
		pt, err := open(mk, ct, ad, header)
		if err != nil {
			return nil, err
		}
		s.skipped.remove(k)
		return pt, nil
	}

	c := s.c // the copy that becomes the state if the message authenticates
	defer c.clear()
	var pending []skippedKey
	defer func() {
		for i := range pending {
			clear(pending[i].mk[:])
		}
	}()

	ratchet := c.dhr == nil || !equalKey(c.dhr, &h.DH)
	if ratchet {
		if s.wasPrevious(&h.DH) {
			return nil, fmt.Errorf("%w: message %d of an earlier chain", ErrDuplicate, h.N)
		}
		if h.N > MaxSkip {
			return nil, fmt.Errorf("%w: message %d of a new chain", ErrTooManySkipped, h.N)
		}
		// The rest of the current receiving chain, up to MaxSkip of it (see the
		// package doc for why this does not fail as the spec's does).
		pending = c.skip(pending, min(uint64(h.PN), uint64(c.nr)+MaxSkip))
		if err := c.dhRatchet(&h.DH, s.random); err != nil {
			return nil, err
		}
	} else {
		if !c.hasCKr {
			// Alice before Bob's first reply: no message can come with her
			// prekey's key.
			return nil, fmt.Errorf("%w: no receiving chain for this ratchet key", ErrDecrypt)
		}
		if h.N < c.nr {
			return nil, fmt.Errorf("%w: message %d, the chain is at %d", ErrDuplicate, h.N, c.nr)
		}
		if uint64(h.N) > uint64(c.nr)+MaxSkip {
			return nil, fmt.Errorf("%w: message %d, the chain is at %d", ErrTooManySkipped, h.N, c.nr)
		}
	}
	pending = c.skip(pending, uint64(h.N))
	mk := kdfCK(&c.ckr)
	defer clear(mk[:])
	c.nr++
	pt, err := open(&mk, ct, ad, header)
	if err != nil {
		return nil, err
	}

	// Commit.
	if ratchet && s.c.dhr != nil {
		s.previous = append(s.previous, [32]byte(s.c.dhr.Bytes()))
		if len(s.previous) > maxPreviousChains {
			s.previous = slices.Delete(s.previous, 0, len(s.previous)-maxPreviousChains)
		}
	}
	s.c, c = c, s.c // the deferred clear now wipes the old chain keys
	s.skipped.add(pending)
	return pt, nil
}

// check refuses a State that was never initialised, or was destroyed: it has no
// ratchet key pair.
func (s *State) check() error {
	if s.c.dhs == nil {
		return fmt.Errorf("%w: not initialised, or destroyed", ErrBadState)
	}
	return nil
}

// skip is SkipMessageKeys: it derives the keys of the receiving chain's messages
// before until and appends them to pending. The caller has bounded until.
func (c *chains) skip(pending []skippedKey, until uint64) []skippedKey {
	if !c.hasCKr {
		return pending
	}
	dhr := [32]byte(c.dhr.Bytes())
	for uint64(c.nr) < until {
		pending = append(pending, skippedKey{skipKey: skipKey{dh: dhr, n: c.nr}, mk: kdfCK(&c.ckr)})
		c.nr++
	}
	return pending
}

// dhRatchet is DHRatchet: the peer's new ratchet key gives a new receiving chain,
// and a new key pair of ours a new sending chain.
func (c *chains) dhRatchet(peer *[32]byte, random io.Reader) error {
	dhr, err := ecdh.X25519().NewPublicKey(peer[:])
	if err != nil {
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	c.pn, c.ns, c.nr = c.ns, 0, 0
	c.dhr = dhr
	out, err := dh(c.dhs, dhr)
	if err != nil {
		return err
	}
	c.rk, c.ckr = kdfRK(&c.rk, out)
	clear(out)
	c.hasCKr = true
	if c.dhs, err = generateDH(random); err != nil {
		return err
	}
	if out, err = dh(c.dhs, dhr); err != nil {
		return err
	}
	c.rk, c.cks = kdfRK(&c.rk, out)
	clear(out)
	c.hasCKs = true
	return nil
}

// wasPrevious reports whether dh is one of the peer's earlier ratchet keys.
func (s *State) wasPrevious(dh *[32]byte) bool {
	for i := range s.previous {
		if subtle.ConstantTimeCompare(s.previous[i][:], dh[:]) == 1 {
			return true
		}
	}
	return false
}

// equalKey reports whether pub is the key whose bytes are b.
func equalKey(pub *ecdh.PublicKey, b *[32]byte) bool {
	return subtle.ConstantTimeCompare(pub.Bytes(), b[:]) == 1
}

// clear overwrites the symmetric keys of c.
func (c *chains) clear() {
	clear(c.rk[:])
	clear(c.cks[:])
	clear(c.ckr[:])
}

// Destroy clears the root, chain and stored message keys and drops the ratchet
// key pair; s must not be used afterwards. crypto/ecdh keeps its own copy of the
// private key that the standard library gives no way to clear: it is left to the
// collector.
func (s *State) Destroy() {
	s.c.clear()
	s.c = chains{}
	s.skipped.destroy()
	s.previous = nil
}
