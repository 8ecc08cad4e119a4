package ratchet

import (
	"bytes"
	"fmt"
)

// headerVersion is the first element of every header. A header of another version
// does not parse: a new layout gets a new number.
const headerVersion = 1

// maxHeaderSize is the longest encoded header: the array head, the version, the
// 32-byte key with its 2-byte head, and two counters of up to 5 bytes each.
const maxHeaderSize = 1 + 1 + 2 + 32 + 5 + 5

// Header is what travels in the clear before a message's ciphertext: the sender's
// current ratchet public key, the length of its previous sending chain (PN) and the
// message's index in the current one (N), as the spec's HEADER defines it.
type Header struct {
	DH [32]byte // the sender's X25519 ratchet public key
	PN uint32   // messages in the sender's previous sending chain
	N  uint32   // this message's index in its chain, from 0
}

// headerBody is the encoded header: CBOR [version, DH, PN, N]. The key travels as
// a byte string and is checked for its exact length after decoding: the CBOR
// library would pad or cut a byte string decoded into a Go array.
type headerBody struct {
	_       struct{} `cbor:",toarray"`
	Version uint
	DH      []byte
	PN      uint32
	N       uint32
}

// MarshalBinary encodes h: CBOR [1, DH, PN, N] in its deterministic encoding, at
// most 46 bytes. It never fails; the error is there for encoding.BinaryMarshaler.
func (h Header) MarshalBinary() ([]byte, error) {
	b, err := enc.Marshal(headerBody{Version: headerVersion, DH: h.DH[:], PN: h.PN, N: h.N})
	if err != nil {
		return nil, fmt.Errorf("encode ratchet header: %w", err)
	}
	return b, nil
}

// ParseHeader decodes what [Header.MarshalBinary] wrote, and only that: another
// encoding of the same values, an unknown version, a key of another size or bytes
// after the header fail with [ErrMalformed]. It does not tell whether the header
// is authentic; only [State.Decrypt] can.
func ParseHeader(b []byte) (Header, error) {
	h, rest, err := splitHeader(b)
	if err != nil {
		return Header{}, err
	}
	if len(rest) != 0 {
		return Header{}, fmt.Errorf("%w: %d bytes after the header", ErrMalformed, len(rest))
	}
	return h, nil
}

// splitHeader decodes the header at the start of msg and returns it and the bytes
// after it.
func splitHeader(msg []byte) (Header, []byte, error) {
	var body headerBody
	rest, err := headerDec.UnmarshalFirst(msg, &body)
	if err != nil {
		return Header{}, nil, fmt.Errorf("%w: header: %v", ErrMalformed, err)
	}
	if body.Version != headerVersion {
		return Header{}, nil, fmt.Errorf("%w: header version %d", ErrMalformed, body.Version)
	}
	if len(body.DH) != 32 {
		return Header{}, nil, fmt.Errorf("%w: ratchet key of %d bytes", ErrMalformed, len(body.DH))
	}
	h := Header{DH: [32]byte(body.DH), PN: body.PN, N: body.N}
	// The decoder accepts longer-than-needed integer heads; only the encoding
	// MarshalBinary writes is a header, so the authenticated bytes are one value's.
	again, err := h.MarshalBinary()
	if err != nil {
		return Header{}, nil, err
	}
	if !bytes.Equal(again, msg[:len(msg)-len(rest)]) {
		return Header{}, nil, fmt.Errorf("%w: non-canonical header", ErrMalformed)
	}
	return h, rest, nil
}

// parseMessage splits an encrypted message into its header, the header's bytes
// and the ciphertext.
func parseMessage(msg []byte) (h Header, header, ciphertext []byte, err error) {
	if len(msg) > MaxMessageSize {
		return Header{}, nil, nil, fmt.Errorf("%w: %d bytes, the limit is %d", ErrMalformed, len(msg), MaxMessageSize)
	}
	h, ct, err := splitHeader(msg)
	if err != nil {
		return Header{}, nil, nil, err
	}
	if len(ct) < tagSize {
		return Header{}, nil, nil, fmt.Errorf("%w: ciphertext of %d bytes", ErrMalformed, len(ct))
	}
	return h, msg[:len(msg)-len(ct)], ct, nil
}
