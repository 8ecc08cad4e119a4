package pqxdh

import (
	"fmt"

	"hush/identity"
)

// Size limits of what a relay carries. Each is the largest valid value with room
// to spare; anything longer is refused before it is decoded.
const (
	// MaxBundleSize caps an encoded [Bundle]; the largest valid one is 1 530
	// bytes, the ML-KEM-768 key being most of it.
	MaxBundleSize = 2048
	// MaxOneTimePrekeys caps the one-time prekeys of each kind (X25519 and
	// ML-KEM-768) that a store holds and a publication carries.
	MaxOneTimePrekeys = 100
	// MaxPublicationSize caps an encoded [Publication]; the largest valid one,
	// with [MaxOneTimePrekeys] keys of each kind, is 134 882 bytes.
	MaxPublicationSize = 144 << 10
)

// bundleVersion and publicationVersion are the only layouts this code writes and
// reads.
const (
	bundleVersion      = 1
	publicationVersion = 1
)

// Bundle is what a relay serves for one device: the specification's prekey
// bundle. [ParseBundle] checks that every signature verifies under Device;
// [Initiate] checks again, and that Device is the device the caller expects.
type Bundle struct {
	// Device is the device's public key, Ed25519 and X25519: the specification's
	// IK_B, and the key that signs the prekeys.
	Device identity.DevicePublicKey
	// SignedPrekey is the specification's SPK_B.
	SignedPrekey SignedPrekey
	// PQPrekey is the specification's PQPK_B: a one-time ML-KEM-768 prekey while
	// the device has any left at the relay, else its last-resort one.
	PQPrekey PQPrekey
	// OneTime is the specification's OPK_B, nil when the device has none left at
	// the relay.
	OneTime *OneTimePrekey
}

// bundleWire is an encoded bundle: CBOR [version, device public key (64 bytes),
// signed prekey, post-quantum prekey, one-time prekey or null].
type bundleWire struct {
	_            struct{} `cbor:",toarray"`
	Version      uint8
	Device       []byte
	SignedPrekey signedWire
	PQPrekey     signedWire
	OneTime      *oneTimeWire
}

// EncodeBundle encodes b, as a relay serves it. It does not check signatures.
func EncodeBundle(b Bundle) ([]byte, error) {
	if b.Device.IsZero() {
		return nil, fmt.Errorf("%w: no device key", ErrInvalidBundle)
	}
	w := bundleWire{Version: bundleVersion, Device: b.Device.Bytes()}
	var err error
	if w.SignedPrekey, err = b.SignedPrekey.wire(); err != nil {
		return nil, err
	}
	if w.PQPrekey, err = b.PQPrekey.wire(); err != nil {
		return nil, err
	}
	if b.OneTime != nil {
		ot, err := b.OneTime.wire()
		if err != nil {
			return nil, err
		}
		w.OneTime = &ot
	}
	out, err := enc.Marshal(w)
	if err != nil {
		return nil, fmt.Errorf("encode bundle: %w", err)
	}
	return out, nil
}

// ParseBundle decodes a bundle and verifies the signatures of its prekeys under
// its own device key. It fails with [ErrInvalidBundle] or [ErrBadSignature]. It
// does not know which device the caller wants: [Initiate] checks that, on all 64
// bytes of the device key — the prekey signatures cover the prekeys, not the
// device's X25519 key, which only the account's certificate binds to its
// signing key.
func ParseBundle(b []byte) (Bundle, error) {
	if len(b) > MaxBundleSize {
		return Bundle{}, fmt.Errorf("%w: %d bytes is too long", ErrInvalidBundle, len(b))
	}
	var w bundleWire
	if err := decodeExact(dec, b, &w); err != nil {
		return Bundle{}, fmt.Errorf("%w: %v", ErrInvalidBundle, err)
	}
	if w.Version != bundleVersion {
		return Bundle{}, fmt.Errorf("%w: unknown version %d", ErrInvalidBundle, w.Version)
	}
	dev, err := identity.ParseDevicePublicKey(w.Device)
	if err != nil {
		return Bundle{}, fmt.Errorf("%w: device key: %v", ErrInvalidBundle, err)
	}
	out := Bundle{Device: dev}
	if out.SignedPrekey, err = parseSignedPrekey(dev, w.SignedPrekey); err != nil {
		return Bundle{}, err
	}
	if out.PQPrekey, err = parsePQPrekey(dev, w.PQPrekey, KindPQOneTime, KindPQLastResort); err != nil {
		return Bundle{}, err
	}
	if w.OneTime != nil {
		ot, err := parseOneTime(*w.OneTime)
		if err != nil {
			return Bundle{}, err
		}
		out.OneTime = &ot
	}
	return out, nil
}

// verify checks that b is peer's and that its signatures verify.
func (b Bundle) verify(peer identity.DevicePublicKey) error {
	if peer.IsZero() || !b.Device.Equal(peer) {
		return fmt.Errorf("%w: bundle of %s, want %s", ErrWrongPeer, b.Device.ID(), peer.ID())
	}
	if b.OneTime != nil && (b.OneTime.ID.IsZero() || b.OneTime.Key == nil) {
		return fmt.Errorf("%w: one-time prekey without an id or a key", ErrInvalidBundle)
	}
	if err := b.SignedPrekey.verify(peer); err != nil {
		return fmt.Errorf("signed prekey: %w", err)
	}
	if err := b.PQPrekey.verify(peer); err != nil {
		return fmt.Errorf("post-quantum prekey: %w", err)
	}
	return nil
}

// Publication is what a device gives its relay: its current signed prekey and
// last-resort post-quantum prekey, and new one-time prekeys of both kinds. The
// relay keeps the latest signed ones, adds the one-time ones to those it holds,
// and makes each [Bundle] from them, handing out each one-time prekey once.
type Publication struct {
	Device       identity.DevicePublicKey
	SignedPrekey SignedPrekey
	LastResort   PQPrekey
	PQOneTime    []PQPrekey
	OneTime      []OneTimePrekey
}

// publicationWire is an encoded publication: CBOR [version, device public key,
// signed prekey, last-resort prekey, [one-time post-quantum prekeys],
// [one-time prekeys]].
type publicationWire struct {
	_            struct{} `cbor:",toarray"`
	Version      uint8
	Device       []byte
	SignedPrekey signedWire
	LastResort   signedWire
	PQOneTime    []signedWire
	OneTime      []oneTimeWire
}

// EncodePublication encodes p for the relay.
func EncodePublication(p Publication) ([]byte, error) {
	if p.Device.IsZero() || !p.LastResort.LastResort {
		return nil, fmt.Errorf("%w: no device key or no last-resort prekey", ErrInvalidBundle)
	}
	if len(p.PQOneTime) > MaxOneTimePrekeys || len(p.OneTime) > MaxOneTimePrekeys {
		return nil, fmt.Errorf("%w: more than %d one-time prekeys", ErrInvalidBundle, MaxOneTimePrekeys)
	}
	w := publicationWire{
		Version:   publicationVersion,
		Device:    p.Device.Bytes(),
		PQOneTime: make([]signedWire, len(p.PQOneTime)),
		OneTime:   make([]oneTimeWire, len(p.OneTime)),
	}
	var err error
	if w.SignedPrekey, err = p.SignedPrekey.wire(); err != nil {
		return nil, err
	}
	if w.LastResort, err = p.LastResort.wire(); err != nil {
		return nil, err
	}
	for i, k := range p.PQOneTime {
		if k.LastResort {
			return nil, fmt.Errorf("%w: a last-resort prekey among the one-time ones", ErrInvalidBundle)
		}
		if w.PQOneTime[i], err = k.wire(); err != nil {
			return nil, err
		}
	}
	for i, k := range p.OneTime {
		if w.OneTime[i], err = k.wire(); err != nil {
			return nil, err
		}
	}
	out, err := enc.Marshal(w)
	if err != nil {
		return nil, fmt.Errorf("encode publication: %w", err)
	}
	return out, nil
}

// ParsePublication decodes a publication and verifies every signature under its
// device key. It fails with [ErrInvalidBundle] or [ErrBadSignature]; the relay
// must still check that the device key is that of the connection that sent it.
func ParsePublication(b []byte) (Publication, error) {
	if len(b) > MaxPublicationSize {
		return Publication{}, fmt.Errorf("%w: publication of %d bytes is too long", ErrInvalidBundle, len(b))
	}
	var w publicationWire
	if err := decodeExact(listDec, b, &w); err != nil {
		return Publication{}, fmt.Errorf("%w: publication: %v", ErrInvalidBundle, err)
	}
	if w.Version != publicationVersion {
		return Publication{}, fmt.Errorf("%w: publication of unknown version %d", ErrInvalidBundle, w.Version)
	}
	if w.PQOneTime == nil || w.OneTime == nil {
		return Publication{}, fmt.Errorf("%w: null in place of a list of prekeys", ErrInvalidBundle)
	}
	if len(w.PQOneTime) > MaxOneTimePrekeys || len(w.OneTime) > MaxOneTimePrekeys {
		return Publication{}, fmt.Errorf("%w: more than %d one-time prekeys", ErrInvalidBundle, MaxOneTimePrekeys)
	}
	dev, err := identity.ParseDevicePublicKey(w.Device)
	if err != nil {
		return Publication{}, fmt.Errorf("%w: device key: %v", ErrInvalidBundle, err)
	}
	p := Publication{Device: dev}
	if p.SignedPrekey, err = parseSignedPrekey(dev, w.SignedPrekey); err != nil {
		return Publication{}, err
	}
	if p.LastResort, err = parsePQPrekey(dev, w.LastResort, KindPQLastResort); err != nil {
		return Publication{}, err
	}
	for _, sw := range w.PQOneTime {
		k, err := parsePQPrekey(dev, sw, KindPQOneTime)
		if err != nil {
			return Publication{}, err
		}
		p.PQOneTime = append(p.PQOneTime, k)
	}
	for _, ow := range w.OneTime {
		k, err := parseOneTime(ow)
		if err != nil {
			return Publication{}, err
		}
		p.OneTime = append(p.OneTime, k)
	}
	return p, nil
}
