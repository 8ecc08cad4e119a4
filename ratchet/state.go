package ratchet

import (
	"bytes"
	"crypto/ecdh"
	"fmt"
	"log/slog"
)

// stateVersion is the first element of an encoded state. A state of another
// version does not load: a newer layout gets a new number, and this code refuses
// it rather than guess ([ErrBadState]).
const stateVersion = 1

// stateBody is the encoded state: CBOR [version, RK, DHs, DHr, CKs, CKr, Ns, Nr,
// PN, skipped, previous]. DHs is the X25519 private key; DHr, CKs and CKr are
// empty when the spec has them None. skipped is [[DH, N, MK], ...], oldest first;
// previous is [DH, ...], oldest first.
type stateBody struct {
	_        struct{} `cbor:",toarray"`
	Version  uint
	RK       []byte
	DHs      []byte
	DHr      []byte
	CKs      []byte
	CKr      []byte
	Ns       uint32
	Nr       uint32
	PN       uint32
	Skipped  []skippedBody
	Previous [][]byte
}

type skippedBody struct {
	_  struct{} `cbor:",toarray"`
	DH []byte
	N  uint32
	MK []byte
}

// MarshalBinary encodes the whole state — root, chain and stored message keys,
// the ratchet private key, the counters — so that a session restored with
// [State.UnmarshalBinary] continues exactly where it stopped. The bytes are as
// secret as the state: seal them (in the vault) and clear them after. At most
// [MaxStateSize] bytes.
func (s *State) MarshalBinary() ([]byte, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	c := &s.c
	body := stateBody{
		Version: stateVersion,
		RK:      c.rk[:],
		DHs:     c.dhs.Bytes(),
		Ns:      c.ns,
		Nr:      c.nr,
		PN:      c.pn,
		// None is the empty byte string: a nil slice would encode as CBOR null.
		DHr: []byte{},
		CKs: []byte{},
		CKr: []byte{},
	}
	if c.dhr != nil {
		body.DHr = c.dhr.Bytes()
	}
	if c.hasCKs {
		body.CKs = c.cks[:]
	}
	if c.hasCKr {
		body.CKr = c.ckr[:]
	}
	skipped := s.skipped.all()
	body.Skipped = make([]skippedBody, len(skipped))
	for i := range skipped {
		body.Skipped[i] = skippedBody{DH: skipped[i].dh[:], N: skipped[i].n, MK: skipped[i].mk[:]}
	}
	body.Previous = make([][]byte, len(s.previous))
	for i := range s.previous {
		body.Previous[i] = s.previous[i][:]
	}
	b, err := enc.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("encode ratchet state: %w", err)
	}
	return b, nil
}

// UnmarshalBinary replaces s with the state b encodes, as [State.MarshalBinary]
// wrote it. Anything else — another encoding, a wrong size, an unknown version,
// more than [MaxStateSize] bytes or [MaxSkippedKeys] keys, a state no sequence of
// calls can reach — fails with [ErrBadState] and leaves s unchanged.
func (s *State) UnmarshalBinary(b []byte) error {
	n, err := unmarshalState(b)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBadState, err)
	}
	again, err := n.MarshalBinary()
	if err != nil {
		return err
	}
	defer clear(again)
	if !bytes.Equal(again, b) {
		n.Destroy()
		return fmt.Errorf("%w: non-canonical encoding", ErrBadState)
	}
	*s = *n
	return nil
}

func unmarshalState(b []byte) (*State, error) {
	if len(b) > MaxStateSize {
		return nil, fmt.Errorf("%d bytes, the limit is %d", len(b), MaxStateSize)
	}
	var body stateBody
	if err := stateDec.Unmarshal(b, &body); err != nil {
		return nil, err
	}
	if body.Version != stateVersion {
		return nil, fmt.Errorf("version %d", body.Version)
	}
	s := &State{}
	c := &s.c
	c.ns, c.nr, c.pn = body.Ns, body.Nr, body.PN
	if len(body.RK) != keySize {
		return nil, fmt.Errorf("root key of %d bytes", len(body.RK))
	}
	c.rk = [keySize]byte(body.RK)
	var err error
	if len(body.DHs) != keySize {
		return nil, fmt.Errorf("ratchet private key of %d bytes", len(body.DHs))
	}
	if c.dhs, err = ecdh.X25519().NewPrivateKey(body.DHs); err != nil {
		return nil, err
	}
	var okDHr, okCKs, okCKr bool
	if okDHr, err = optionalKey("peer ratchet key", body.DHr); err != nil {
		return nil, err
	}
	if okDHr {
		if c.dhr, err = ecdh.X25519().NewPublicKey(body.DHr); err != nil {
			return nil, err
		}
	}
	if okCKs, err = optionalKey("sending chain key", body.CKs); err != nil {
		return nil, err
	}
	if okCKr, err = optionalKey("receiving chain key", body.CKr); err != nil {
		return nil, err
	}
	if okCKs {
		c.cks, c.hasCKs = [keySize]byte(body.CKs), true
	}
	if okCKr {
		c.ckr, c.hasCKr = [keySize]byte(body.CKr), true
	}
	// The three shapes the spec's state takes: Bob before Alice's first message
	// (no peer key, no chains, nothing counted), Alice before Bob's first reply
	// (no receiving chain), and every state after a DH ratchet step (both chains).
	switch {
	case !okDHr:
		if okCKs || okCKr || c.ns != 0 || c.nr != 0 || c.pn != 0 {
			return nil, fmt.Errorf("chains or counters without a peer ratchet key")
		}
	case !okCKs:
		return nil, fmt.Errorf("a peer ratchet key without a sending chain")
	case !okCKr && (c.nr != 0 || c.pn != 0):
		return nil, fmt.Errorf("received messages without a receiving chain")
	}

	if len(body.Skipped) > MaxSkippedKeys {
		return nil, fmt.Errorf("%d skipped keys, the limit is %d", len(body.Skipped), MaxSkippedKeys)
	}
	keys := make([]skippedKey, len(body.Skipped))
	seen := make(map[skipKey]bool, len(body.Skipped))
	for i, e := range body.Skipped {
		if len(e.DH) != 32 || len(e.MK) != keySize {
			return nil, fmt.Errorf("skipped key %d: key sizes %d and %d", i, len(e.DH), len(e.MK))
		}
		keys[i] = skippedKey{skipKey: skipKey{dh: [32]byte(e.DH), n: e.N}, mk: [keySize]byte(e.MK)}
		if seen[keys[i].skipKey] {
			return nil, fmt.Errorf("skipped key %d stored twice", i)
		}
		seen[keys[i].skipKey] = true
	}
	s.skipped.add(keys)

	if len(body.Previous) > maxPreviousChains {
		return nil, fmt.Errorf("%d previous ratchet keys, the limit is %d", len(body.Previous), maxPreviousChains)
	}
	for i, p := range body.Previous {
		if len(p) != 32 {
			return nil, fmt.Errorf("previous ratchet key %d of %d bytes", i, len(p))
		}
		s.previous = append(s.previous, [32]byte(p))
	}
	return s, nil
}

// optionalKey checks a key the spec may have as None: empty or 32 bytes.
func optionalKey(what string, b []byte) (bool, error) {
	switch len(b) {
	case 0:
		return false, nil
	case keySize:
		return true, nil
	}
	return false, fmt.Errorf("%s of %d bytes", what, len(b))
}

// String describes s without a secret: the counters and how many skipped keys it
// holds.
func (s State) String() string {
	return fmt.Sprintf("ratchet.State{Ns: %d, Nr: %d, PN: %d, skipped: %d, keys: REDACTED}",
		s.c.ns, s.c.nr, s.c.pn, s.skipped.len())
}

// GoString is [State.String], so that %#v prints no secret either.
func (s State) GoString() string { return s.String() }

// Format makes every fmt verb print [State.String]: %x or %+v of a State must not
// dump its keys.
func (s State) Format(f fmt.State, verb rune) { fmt.Fprint(f, s.String()) }

// LogValue logs s as [State.String] does, as a group.
func (s State) LogValue() slog.Value {
	return slog.GroupValue(
		slog.Uint64("ns", uint64(s.c.ns)),
		slog.Uint64("nr", uint64(s.c.nr)),
		slog.Uint64("pn", uint64(s.c.pn)),
		slog.Int("skipped", s.skipped.len()),
	)
}
