package pqxdh

import (
	"fmt"

	"hush/identity"
)

// MaxRecordSize caps one encoded prekey ([EncodeSignedPrekey],
// [EncodePQPrekey], [EncodeOneTimePrekey]); the largest valid one, a
// post-quantum prekey, is 1 285 bytes.
const MaxRecordSize = 1536

// The functions below encode and decode one prekey at a time, for a relay that
// stores each prekey as an opaque record and assembles bundles itself; a
// [Bundle] built from the decoded records goes to [Initiate] as usual.

// EncodeSignedPrekey encodes p: CBOR [body, signature], the signed body being
// CBOR [version, kind, id, creation time, key].
func EncodeSignedPrekey(p SignedPrekey) ([]byte, error) { return encodeRecord(p.wire()) }

// ParseSignedPrekey decodes a signed prekey and verifies its signature by dev,
// failing with [ErrInvalidBundle] or [ErrBadSignature].
func ParseSignedPrekey(dev identity.DevicePublicKey, b []byte) (SignedPrekey, error) {
	w, err := decodeRecord[signedWire](b)
	if err != nil {
		return SignedPrekey{}, err
	}
	return parseSignedPrekey(dev, w)
}

// EncodePQPrekey encodes p in the same layout as [EncodeSignedPrekey].
func EncodePQPrekey(p PQPrekey) ([]byte, error) { return encodeRecord(p.wire()) }

// ParsePQPrekey decodes a post-quantum prekey, one-time or last-resort, and
// verifies its signature by dev, failing with [ErrInvalidBundle] or
// [ErrBadSignature].
func ParsePQPrekey(dev identity.DevicePublicKey, b []byte) (PQPrekey, error) {
	w, err := decodeRecord[signedWire](b)
	if err != nil {
		return PQPrekey{}, err
	}
	return parsePQPrekey(dev, w, KindPQOneTime, KindPQLastResort)
}

// EncodeOneTimePrekey encodes p: CBOR [id, key].
func EncodeOneTimePrekey(p OneTimePrekey) ([]byte, error) { return encodeRecord(p.wire()) }

// ParseOneTimePrekey decodes a one-time prekey, failing with [ErrInvalidBundle].
// There is no signature to check (see [OneTimePrekey]).
func ParseOneTimePrekey(b []byte) (OneTimePrekey, error) {
	w, err := decodeRecord[oneTimeWire](b)
	if err != nil {
		return OneTimePrekey{}, err
	}
	return parseOneTime(w)
}

func encodeRecord[W any](w W, err error) ([]byte, error) {
	if err != nil {
		return nil, err
	}
	out, err := enc.Marshal(w)
	if err != nil {
		return nil, fmt.Errorf("encode prekey: %w", err)
	}
	return out, nil
}

func decodeRecord[W any](b []byte) (W, error) {
	var w W
	if len(b) > MaxRecordSize {
		return w, fmt.Errorf("%w: prekey of %d bytes is too long", ErrInvalidBundle, len(b))
	}
	if err := decodeExact(dec, b, &w); err != nil {
		return w, fmt.Errorf("%w: prekey: %v", ErrInvalidBundle, err)
	}
	return w, nil
}
