package pqxdh

import (
	"bytes"
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/mlkem"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"log/slog"

	"hush/identity"
	"hush/ids"
)

// MaxInitialMessageSize caps an encoded [InitialMessage]; a valid one is 1 244
// bytes, the ML-KEM-768 ciphertext being most of it.
const MaxInitialMessageSize = 1536

// messageVersion is the only initial message layout this code writes and reads.
const messageVersion = 1

// InitialMessage is what Alice sends Bob with her first ratchet message: the
// specification's initial message without its ciphertext.
type InitialMessage struct {
	// Initiator is Alice's device public key, IK_A. Bob's caller must check that
	// it is a device of the contact the session is with (its certificate) before
	// trusting anything the session carries.
	Initiator identity.DevicePublicKey
	// Ephemeral is Alice's ephemeral key EK_A.
	Ephemeral *ecdh.PublicKey
	// SignedPrekeyID, PQPrekeyID and OneTimePrekeyID name the prekeys of Bob's
	// bundle Alice used; OneTimePrekeyID is zero when the bundle had none.
	SignedPrekeyID  ids.Prekey
	PQPrekeyID      ids.Prekey
	OneTimePrekeyID ids.Prekey
	// Ciphertext is the ML-KEM-768 ciphertext CT, [mlkem.CiphertextSize768] bytes.
	Ciphertext []byte
}

// messageWire is an encoded initial message: CBOR [version, initiator device
// public key (64 bytes), ephemeral key (32), signed prekey id, post-quantum
// prekey id, one-time prekey id (zero for none), ML-KEM-768 ciphertext (1088)].
type messageWire struct {
	_               struct{} `cbor:",toarray"`
	Version         uint8
	Initiator       []byte
	Ephemeral       []byte
	SignedPrekeyID  ids.Prekey
	PQPrekeyID      ids.Prekey
	OneTimePrekeyID ids.Prekey
	Ciphertext      []byte
}

// EncodeInitialMessage encodes m for sending.
func EncodeInitialMessage(m InitialMessage) ([]byte, error) {
	if m.Initiator.IsZero() || m.Ephemeral == nil || len(m.Ciphertext) != mlkem.CiphertextSize768 {
		return nil, fmt.Errorf("%w: incomplete", ErrInvalidMessage)
	}
	out, err := enc.Marshal(messageWire{
		Version:         messageVersion,
		Initiator:       m.Initiator.Bytes(),
		Ephemeral:       m.Ephemeral.Bytes(),
		SignedPrekeyID:  m.SignedPrekeyID,
		PQPrekeyID:      m.PQPrekeyID,
		OneTimePrekeyID: m.OneTimePrekeyID,
		Ciphertext:      m.Ciphertext,
	})
	if err != nil {
		return nil, fmt.Errorf("encode initial message: %w", err)
	}
	return out, nil
}

// ParseInitialMessage decodes an initial message, failing with
// [ErrInvalidMessage] on anything [EncodeInitialMessage] does not write. It
// authenticates nothing: [Respond] derives a key from it that only the real
// initiator also holds.
func ParseInitialMessage(b []byte) (InitialMessage, error) {
	if len(b) > MaxInitialMessageSize {
		return InitialMessage{}, fmt.Errorf("%w: %d bytes is too long", ErrInvalidMessage, len(b))
	}
	var w messageWire
	if err := decodeExact(dec, b, &w); err != nil {
		return InitialMessage{}, fmt.Errorf("%w: %v", ErrInvalidMessage, err)
	}
	if w.Version != messageVersion {
		return InitialMessage{}, fmt.Errorf("%w: unknown version %d", ErrInvalidMessage, w.Version)
	}
	ik, err := identity.ParseDevicePublicKey(w.Initiator)
	if err != nil {
		return InitialMessage{}, fmt.Errorf("%w: initiator: %v", ErrInvalidMessage, err)
	}
	ek, err := parseX25519(w.Ephemeral)
	if err != nil {
		return InitialMessage{}, fmt.Errorf("%w: ephemeral key: %v", ErrInvalidMessage, err)
	}
	if w.SignedPrekeyID.IsZero() || w.PQPrekeyID.IsZero() {
		return InitialMessage{}, fmt.Errorf("%w: zero prekey id", ErrInvalidMessage)
	}
	if len(w.Ciphertext) != mlkem.CiphertextSize768 {
		return InitialMessage{}, fmt.Errorf("%w: ciphertext of %d bytes, want %d", ErrInvalidMessage, len(w.Ciphertext), mlkem.CiphertextSize768)
	}
	return InitialMessage{
		Initiator:       ik,
		Ephemeral:       ek,
		SignedPrekeyID:  w.SignedPrekeyID,
		PQPrekeyID:      w.PQPrekeyID,
		OneTimePrekeyID: w.OneTimePrekeyID,
		Ciphertext:      w.Ciphertext,
	}, nil
}

// Handshake is what a side ends a key agreement with: the key and associated
// data the Double Ratchet starts from. It is not comparable with ==, and printing
// it hides the key. Call [Handshake.Destroy] once the ratchet has taken the key.
type Handshake struct {
	_ [0]func() // not comparable with ==

	// SharedKey is the specification's SK: HKDF-SHA-256 with a salt of 32 zero
	// bytes and info [KDFInfo] over F ‖ DH1 ‖ DH2 ‖ DH3 [‖ DH4] ‖ SS, F being 32
	// bytes of 0xFF. It is secret.
	SharedKey [SharedKeySize]byte

	// AD is the associated data of the first ratchet messages, 160 bytes: the
	// initiator's device public key (64 bytes, Ed25519 ‖ X25519), the responder's
	// (64), then the transcript hash
	//
	//	SHA-256("hush/v1/pqxdh/transcript" ‖ 0x00 ‖ IK_A ‖ IK_B ‖ EK_A ‖
	//	        SPK_B id ‖ SPK_B ‖ PQPK_B id ‖ PQPK_B ‖ CT ‖
	//	        0x00, or 0x01 ‖ OPK_B id ‖ OPK_B)
	//
	// with ids of 16 bytes, X25519 keys of 32, the ML-KEM-768 key of 1184 and its
	// ciphertext of 1088: every part has a fixed size, so the concatenation is
	// unambiguous.
	AD []byte

	// Peer is the other side's device public key: for Alice the bundle's, for Bob
	// the initial message's initiator (which his caller must still check).
	Peer identity.DevicePublicKey

	// PeerRatchetKey is, for Alice, Bob's signed prekey SPK_B: the Double Ratchet's
	// first remote ratchet key. Nil for Bob.
	PeerRatchetKey *ecdh.PublicKey

	// RatchetKey is, for Bob, the private signed prekey the message named: his
	// Double Ratchet's first ratchet key pair. Nil for Alice. It stays in the
	// store too (other sessions use it) until [Store.Rotate] drops it.
	RatchetKey *ecdh.PrivateKey
}

// Destroy zeroes the shared key; h must not be used afterwards.
func (h *Handshake) Destroy() {
	clear(h.SharedKey[:])
	h.RatchetKey = nil
}

// String describes h without its key.
func (h *Handshake) String() string {
	return fmt.Sprintf("pqxdh.Handshake{peer: %s, key: [REDACTED]}", h.Peer.ID())
}

// GoString hides the key from %#v as well.
func (h *Handshake) GoString() string { return h.String() }

// LogValue describes h to log/slog without its key.
func (h *Handshake) LogValue() slog.Value {
	return slog.GroupValue(slog.String("peer", h.Peer.ID().String()))
}

// Initiate is Alice's side. It checks that bundle is peer's — the device key the
// caller trusts for Bob, from his account's certificate — ([ErrWrongPeer]) and
// that its prekeys' signatures verify ([ErrBadSignature]), then makes an
// ephemeral key, encapsulates to the post-quantum prekey and derives the shared
// key. Send the initial message with the first ratchet message.
func Initiate(me *identity.DeviceKey, peer identity.DevicePublicKey, bundle Bundle) (InitialMessage, *Handshake, error) {
	ek, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		return InitialMessage{}, nil, fmt.Errorf("generate ephemeral key: %w", err)
	}
	return initiate(me, peer, bundle, ek, func(pk *mlkem.EncapsulationKey768) ([]byte, []byte, error) {
		ss, ct := pk.Encapsulate()
		return ss, ct, nil
	})
}

// encapsulateFunc is ML-KEM-768 encapsulation: crypto/mlkem's, or, in
// known-answer tests, crypto/mlkem/mlkemtest's with fixed randomness.
type encapsulateFunc func(*mlkem.EncapsulationKey768) (sharedKey, ciphertext []byte, err error)

func initiate(me *identity.DeviceKey, peer identity.DevicePublicKey, b Bundle, ek *ecdh.PrivateKey, encapsulate encapsulateFunc) (InitialMessage, *Handshake, error) {
	if err := b.verify(peer); err != nil {
		return InitialMessage{}, nil, err
	}
	ikB := peer.EncryptionKey()
	var ikm []byte
	for _, p := range []struct {
		priv *ecdh.PrivateKey
		pub  *ecdh.PublicKey
	}{
		{me.EncryptionKey(), b.SignedPrekey.Key}, // DH1 = DH(IK_A, SPK_B)
		{ek, ikB},                                // DH2 = DH(EK_A, IK_B)
		{ek, b.SignedPrekey.Key},                 // DH3 = DH(EK_A, SPK_B)
	} {
		var err error
		if ikm, err = appendDH(ikm, p.priv, p.pub); err != nil {
			return InitialMessage{}, nil, fmt.Errorf("%w: %v", ErrInvalidBundle, err)
		}
	}
	m := InitialMessage{
		Initiator:      me.Public(),
		Ephemeral:      ek.PublicKey(),
		SignedPrekeyID: b.SignedPrekey.ID,
		PQPrekeyID:     b.PQPrekey.ID,
	}
	var opk *ecdh.PublicKey
	if b.OneTime != nil {
		var err error
		if ikm, err = appendDH(ikm, ek, b.OneTime.Key); err != nil { // DH4 = DH(EK_A, OPK_B)
			return InitialMessage{}, nil, fmt.Errorf("%w: one-time prekey: %v", ErrInvalidBundle, err)
		}
		m.OneTimePrekeyID, opk = b.OneTime.ID, b.OneTime.Key
	}
	ss, ct, err := encapsulate(b.PQPrekey.Key)
	if err != nil {
		return InitialMessage{}, nil, fmt.Errorf("encapsulate: %w", err)
	}
	m.Ciphertext = ct
	h := &Handshake{
		SharedKey:      deriveKey(append(ikm, ss...)),
		AD:             associatedData(m, peer, b.SignedPrekey.Key, b.PQPrekey.Key, opk),
		Peer:           peer,
		PeerRatchetKey: b.SignedPrekey.Key,
	}
	clear(ikm)
	clear(ss)
	return m, h, nil
}

// Respond is Bob's side: it finds the prekeys m names in s ([ErrUnknownPrekey],
// [ErrPrekeyUsed]), derives the shared key, and deletes the one-time prekeys m
// used from s, before it returns and whatever the first ratchet message then
// shows — persist s before acting on the handshake. A wrong ciphertext or a
// tampered field is not detected here: it gives another key, and the first
// ratchet message fails to decrypt; the caller must then discard the handshake.
func Respond(me *identity.DeviceKey, s *Store, m InitialMessage) (*Handshake, error) {
	if m.Initiator.IsZero() || m.Ephemeral == nil || len(m.Ciphertext) != mlkem.CiphertextSize768 {
		return nil, fmt.Errorf("%w: incomplete", ErrInvalidMessage)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkDeviceLocked(me); err != nil {
		return nil, err
	}
	u, err := s.lookupLocked(m)
	if err != nil {
		return nil, err
	}
	var ikm []byte
	for _, p := range []struct {
		priv *ecdh.PrivateKey
		pub  *ecdh.PublicKey
	}{
		{u.signed, m.Initiator.EncryptionKey()}, // DH1 = DH(SPK_B, IK_A)
		{me.EncryptionKey(), m.Ephemeral},       // DH2 = DH(IK_B, EK_A)
		{u.signed, m.Ephemeral},                 // DH3 = DH(SPK_B, EK_A)
	} {
		if ikm, err = appendDH(ikm, p.priv, p.pub); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrInvalidMessage, err)
		}
	}
	var opk *ecdh.PublicKey
	if u.oneTime != nil {
		if ikm, err = appendDH(ikm, u.oneTime, m.Ephemeral); err != nil { // DH4 = DH(OPK_B, EK_A)
			return nil, fmt.Errorf("%w: %v", ErrInvalidMessage, err)
		}
		opk = u.oneTime.PublicKey()
	}
	ss, err := u.pq.Decapsulate(m.Ciphertext)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidMessage, err)
	}
	s.consumeLocked(m)
	h := &Handshake{
		SharedKey:  deriveKey(append(ikm, ss...)),
		AD:         associatedData(m, me.Public(), u.signed.PublicKey(), u.pq.EncapsulationKey(), opk),
		Peer:       m.Initiator,
		RatchetKey: u.signed,
	}
	clear(ikm)
	clear(ss)
	return h, nil
}

// appendDH appends X25519(priv, pub) to ikm. crypto/ecdh refuses a result of all
// zeros (a low-order public key), which the specification's security
// considerations say to reject.
func appendDH(ikm []byte, priv *ecdh.PrivateKey, pub *ecdh.PublicKey) ([]byte, error) {
	dh, err := priv.ECDH(pub)
	if err != nil {
		return ikm, err
	}
	defer clear(dh)
	return append(ikm, dh...), nil
}

// kdfPrefix is the specification's F for X25519: 32 bytes of 0xFF, so the input
// of the KDF never starts like an X25519 output would in another protocol (XEdDSA
// uses the same keys there).
var kdfPrefix = bytes.Repeat([]byte{0xFF}, 32)

// deriveKey is the specification's KDF: HKDF-SHA-256 of F ‖ km with a salt of 32
// zero bytes and info [KDFInfo], 32 bytes long.
func deriveKey(km []byte) [SharedKeySize]byte {
	in := append(append(make([]byte, 0, len(kdfPrefix)+len(km)), kdfPrefix...), km...)
	defer clear(in)
	defer clear(km)
	k, err := hkdf.Key(sha256.New, in, make([]byte, sha256.Size), KDFInfo, SharedKeySize)
	if err != nil {
		// hkdf.Key fails only for lengths above 255 hash sizes.
		panic("pqxdh: derive key: " + err.Error())
	}
	defer clear(k)
	return [SharedKeySize]byte(k)
}

// associatedData is [Handshake.AD]: IK_A ‖ IK_B ‖ the transcript hash.
func associatedData(m InitialMessage, responder identity.DevicePublicKey, spk *ecdh.PublicKey, pqpk *mlkem.EncapsulationKey768, opk *ecdh.PublicKey) []byte {
	ikA, ikB := m.Initiator.Bytes(), responder.Bytes()
	h := sha256.New()
	h.Write([]byte(transcriptLabel))
	h.Write([]byte{0})
	h.Write(ikA)
	h.Write(ikB)
	h.Write(m.Ephemeral.Bytes())
	h.Write(m.SignedPrekeyID[:])
	h.Write(spk.Bytes())
	h.Write(m.PQPrekeyID[:])
	h.Write(pqpk.Bytes())
	h.Write(m.Ciphertext)
	if opk == nil {
		h.Write([]byte{0})
	} else {
		h.Write([]byte{1})
		h.Write(m.OneTimePrekeyID[:])
		h.Write(opk.Bytes())
	}
	ad := make([]byte, 0, 2*identity.PublicKeySize+sha256.Size)
	ad = append(append(ad, ikA...), ikB...)
	return h.Sum(ad)
}
