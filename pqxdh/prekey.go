package pqxdh

import (
	"bytes"
	"crypto/ecdh"
	"crypto/mlkem"
	"fmt"
	"time"

	"github.com/fxamacker/cbor/v2"

	"hush/identity"
	"hush/ids"
)

// Kind is what a signed prekey is for. It is inside what the device signs, so a
// relay cannot serve a signed prekey as a post-quantum one, nor a last-resort
// post-quantum prekey as a one-time one.
type Kind uint8

// The kinds of signed prekeys.
const (
	// KindSignedPrekey is the specification's SPK: an X25519 key that a device
	// renews now and then ([Store.Rotate]) and that every bundle carries.
	KindSignedPrekey Kind = 1
	// KindPQLastResort is the specification's last-resort pqkem prekey: an
	// ML-KEM-768 key a bundle carries when no one-time one is left. It is renewed
	// with the signed prekey.
	KindPQLastResort Kind = 2
	// KindPQOneTime is a one-time pqkem prekey: an ML-KEM-768 key that one
	// handshake uses, after which the device deletes it.
	KindPQOneTime Kind = 3
)

// prekeyVersion is the only layout of a signed prekey's body this code writes
// and reads.
const prekeyVersion = 1

// SignedPrekey is a device's signed X25519 prekey, as published.
type SignedPrekey struct {
	ID      ids.Prekey
	Created time.Time // whole seconds
	Key     *ecdh.PublicKey
	// Signature is the device's signature over the prekey's body (its kind, id,
	// creation time and key).
	Signature []byte
}

// PQPrekey is a device's signed ML-KEM-768 prekey, as published: one-time, or the
// last-resort one.
type PQPrekey struct {
	ID         ids.Prekey
	Created    time.Time // whole seconds
	LastResort bool      // signed: KindPQLastResort, else KindPQOneTime
	Key        *mlkem.EncapsulationKey768
	// Signature is the device's signature over the prekey's body.
	Signature []byte
}

// OneTimePrekey is a device's one-time X25519 prekey. As in the specification it
// is not signed: a relay that replaces it only changes DH4, which the other three
// Diffie-Hellman values and the ML-KEM secret still protect, and the device then
// refuses the handshake ([ErrUnknownPrekey]).
type OneTimePrekey struct {
	ID  ids.Prekey
	Key *ecdh.PublicKey
}

// prekeyBody is what a device signs for each signed prekey: CBOR [version, kind,
// id, creation time (Unix seconds), key (32 bytes for X25519, 1184 for ML-KEM-768)].
type prekeyBody struct {
	_       struct{} `cbor:",toarray"`
	Version uint8
	Kind    Kind
	ID      ids.Prekey
	Created int64
	Key     []byte
}

// signedWire is a signed prekey on the wire: CBOR [body, signature], the body
// being the encoded prekeyBody the signature covers.
type signedWire struct {
	_    struct{} `cbor:",toarray"`
	Body []byte
	Sig  []byte
}

// oneTimeWire is a one-time X25519 prekey on the wire: CBOR [id, key].
type oneTimeWire struct {
	_   struct{} `cbor:",toarray"`
	ID  ids.Prekey
	Key []byte
}

// signPrekey encodes and signs a prekey body.
func signPrekey(me *identity.DeviceKey, kind Kind, id ids.Prekey, created time.Time, key []byte) ([]byte, error) {
	body, err := encodeBody(kind, id, created, key)
	if err != nil {
		return nil, err
	}
	return me.Sign(prekeyLabel, body), nil
}

func encodeBody(kind Kind, id ids.Prekey, created time.Time, key []byte) ([]byte, error) {
	b, err := enc.Marshal(prekeyBody{Version: prekeyVersion, Kind: kind, ID: id, Created: created.Unix(), Key: key})
	if err != nil {
		return nil, fmt.Errorf("encode prekey: %w", err)
	}
	return b, nil
}

// wire returns p's wire form.
func (p SignedPrekey) wire() (signedWire, error) {
	if p.Key == nil {
		return signedWire{}, fmt.Errorf("%w: signed prekey without a key", ErrInvalidBundle)
	}
	body, err := encodeBody(KindSignedPrekey, p.ID, p.Created, p.Key.Bytes())
	return signedWire{Body: body, Sig: p.Signature}, err
}

// verify checks p's signature by dev.
func (p SignedPrekey) verify(dev identity.DevicePublicKey) error {
	w, err := p.wire()
	if err != nil {
		return err
	}
	return verifyBody(dev, w)
}

func (p PQPrekey) kind() Kind {
	if p.LastResort {
		return KindPQLastResort
	}
	return KindPQOneTime
}

// wire returns p's wire form.
func (p PQPrekey) wire() (signedWire, error) {
	if p.Key == nil {
		return signedWire{}, fmt.Errorf("%w: post-quantum prekey without a key", ErrInvalidBundle)
	}
	body, err := encodeBody(p.kind(), p.ID, p.Created, p.Key.Bytes())
	return signedWire{Body: body, Sig: p.Signature}, err
}

// verify checks p's signature by dev.
func (p PQPrekey) verify(dev identity.DevicePublicKey) error {
	w, err := p.wire()
	if err != nil {
		return err
	}
	return verifyBody(dev, w)
}

func verifyBody(dev identity.DevicePublicKey, w signedWire) error {
	if err := dev.Verify(prekeyLabel, w.Body, w.Sig); err != nil {
		return fmt.Errorf("%w: %v", ErrBadSignature, err)
	}
	return nil
}

func (p OneTimePrekey) wire() (oneTimeWire, error) {
	if p.Key == nil {
		return oneTimeWire{}, fmt.Errorf("%w: one-time prekey without a key", ErrInvalidBundle)
	}
	return oneTimeWire{ID: p.ID, Key: p.Key.Bytes()}, nil
}

// parseSigned decodes a signed prekey of one of the kinds allowed and verifies its
// signature by dev. Errors wrap ErrInvalidBundle or ErrBadSignature.
func parseSigned(dev identity.DevicePublicKey, w signedWire, allowed ...Kind) (prekeyBody, error) {
	var body prekeyBody
	if err := decodeExact(dec, w.Body, &body); err != nil {
		return prekeyBody{}, fmt.Errorf("%w: prekey: %v", ErrInvalidBundle, err)
	}
	if body.Version != prekeyVersion {
		return prekeyBody{}, fmt.Errorf("%w: prekey of unknown version %d", ErrInvalidBundle, body.Version)
	}
	ok := false
	for _, k := range allowed {
		ok = ok || body.Kind == k
	}
	if !ok {
		return prekeyBody{}, fmt.Errorf("%w: prekey of kind %d where %v belongs", ErrInvalidBundle, body.Kind, allowed)
	}
	if body.ID.IsZero() {
		return prekeyBody{}, fmt.Errorf("%w: prekey with a zero id", ErrInvalidBundle)
	}
	if err := verifyBody(dev, w); err != nil {
		return prekeyBody{}, err
	}
	return body, nil
}

func parseSignedPrekey(dev identity.DevicePublicKey, w signedWire) (SignedPrekey, error) {
	body, err := parseSigned(dev, w, KindSignedPrekey)
	if err != nil {
		return SignedPrekey{}, err
	}
	key, err := parseX25519(body.Key)
	if err != nil {
		return SignedPrekey{}, fmt.Errorf("%w: signed prekey: %v", ErrInvalidBundle, err)
	}
	return SignedPrekey{ID: body.ID, Created: time.Unix(body.Created, 0).UTC(), Key: key, Signature: w.Sig}, nil
}

func parsePQPrekey(dev identity.DevicePublicKey, w signedWire, allowed ...Kind) (PQPrekey, error) {
	body, err := parseSigned(dev, w, allowed...)
	if err != nil {
		return PQPrekey{}, err
	}
	key, err := mlkem.NewEncapsulationKey768(body.Key)
	if err != nil {
		return PQPrekey{}, fmt.Errorf("%w: post-quantum prekey: %v", ErrInvalidBundle, err)
	}
	return PQPrekey{
		ID:         body.ID,
		Created:    time.Unix(body.Created, 0).UTC(),
		LastResort: body.Kind == KindPQLastResort,
		Key:        key,
		Signature:  w.Sig,
	}, nil
}

func parseOneTime(w oneTimeWire) (OneTimePrekey, error) {
	if w.ID.IsZero() {
		return OneTimePrekey{}, fmt.Errorf("%w: one-time prekey with a zero id", ErrInvalidBundle)
	}
	key, err := parseX25519(w.Key)
	if err != nil {
		return OneTimePrekey{}, fmt.Errorf("%w: one-time prekey: %v", ErrInvalidBundle, err)
	}
	return OneTimePrekey{ID: w.ID, Key: key}, nil
}

func parseX25519(b []byte) (*ecdh.PublicKey, error) {
	if len(b) != 32 {
		return nil, fmt.Errorf("X25519 key of %d bytes, want 32", len(b))
	}
	return ecdh.X25519().NewPublicKey(b)
}

// decodeExact decodes b into v and refuses it unless encoding v again gives b
// back: one value has one encoding, so what the decoder accepts is exactly what
// this package writes (no non-minimal integers, no undefined for null, no other
// leniency of the CBOR library).
func decodeExact(dm cbor.DecMode, b []byte, v any) error {
	if err := dm.Unmarshal(b, v); err != nil {
		return err
	}
	again, err := enc.Marshal(v)
	if err != nil {
		return err
	}
	if !bytes.Equal(again, b) {
		return fmt.Errorf("not in its one encoding")
	}
	return nil
}
