package wire

import "fmt"

// Identifiers on the wire are the types of package ids (ids.Chat, ids.Account, …):
// 16-byte byte strings, exactly.

// Challenge is the random value a relay asks a device to sign.
type Challenge [ChallengeSize]byte

// UnmarshalCBOR decodes a byte string of exactly [ChallengeSize] bytes. The CBOR
// library would silently pad or cut a byte string of the wrong length into a Go array.
func (c *Challenge) UnmarshalCBOR(b []byte) error {
	var v []byte
	if err := theCodec.dec.Unmarshal(b, &v); err != nil {
		return fmt.Errorf("challenge: %w", err)
	}
	if len(v) != len(c) {
		return fmt.Errorf("challenge: %d bytes, want %d", len(v), len(c))
	}
	copy(c[:], v)
	return nil
}
