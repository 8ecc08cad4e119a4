package wire

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
)

// IDSize is the size of every identifier on the wire.
const IDSize = 16

// AccountID names an account; it has the same bytes as identity.AccountID, so the
// two convert to each other directly: wire.AccountID(cert.Account.ID()).
type AccountID [IDSize]byte

// DeviceID names a device; it has the same bytes as identity.DeviceID.
type DeviceID [IDSize]byte

// ChatID names a chat. The creating device picks it at random ([NewChatID]).
type ChatID [IDSize]byte

// MsgID names a chat message, an account record or an inbox item. The sending device
// picks it at random ([NewMsgID]); resending with the same id is idempotent.
type MsgID [IDSize]byte

// Challenge is the random value a relay asks a device to sign.
type Challenge [ChallengeSize]byte

// NewChatID returns a random chat id.
func NewChatID() ChatID { return ChatID(randomID()) }

// NewMsgID returns a random message, record or item id.
func NewMsgID() MsgID { return MsgID(randomID()) }

func randomID() [IDSize]byte {
	var id [IDSize]byte
	_, _ = rand.Read(id[:]) // crypto/rand.Read never fails (Go 1.24+)
	return id
}

// String returns the id in lower-case hex.
func (id AccountID) String() string { return hex.EncodeToString(id[:]) }

// String returns the id in lower-case hex.
func (id DeviceID) String() string { return hex.EncodeToString(id[:]) }

// String returns the id in lower-case hex.
func (id ChatID) String() string { return hex.EncodeToString(id[:]) }

// String returns the id in lower-case hex.
func (id MsgID) String() string { return hex.EncodeToString(id[:]) }

// IsZero reports whether the id is all zeros, which no valid request uses.
func (id AccountID) IsZero() bool { return id == AccountID{} }

// IsZero reports whether the id is all zeros, which no valid request uses.
func (id DeviceID) IsZero() bool { return id == DeviceID{} }

// IsZero reports whether the id is all zeros, which no valid request uses.
func (id ChatID) IsZero() bool { return id == ChatID{} }

// IsZero reports whether the id is all zeros, which no valid request uses.
func (id MsgID) IsZero() bool { return id == MsgID{} }

// The CBOR library would silently pad or cut a byte string of the wrong length into a
// Go array; these decoders insist on the exact size instead.

// UnmarshalCBOR decodes a byte string of exactly [IDSize] bytes.
func (id *AccountID) UnmarshalCBOR(b []byte) error { return decodeFixed(b, id[:], "account id") }

// UnmarshalCBOR decodes a byte string of exactly [IDSize] bytes.
func (id *DeviceID) UnmarshalCBOR(b []byte) error { return decodeFixed(b, id[:], "device id") }

// UnmarshalCBOR decodes a byte string of exactly [IDSize] bytes.
func (id *ChatID) UnmarshalCBOR(b []byte) error { return decodeFixed(b, id[:], "chat id") }

// UnmarshalCBOR decodes a byte string of exactly [IDSize] bytes.
func (id *MsgID) UnmarshalCBOR(b []byte) error { return decodeFixed(b, id[:], "message id") }

// UnmarshalCBOR decodes a byte string of exactly [ChallengeSize] bytes.
func (c *Challenge) UnmarshalCBOR(b []byte) error { return decodeFixed(b, c[:], "challenge") }

func decodeFixed(b []byte, dst []byte, what string) error {
	var v []byte
	if err := theCodec.dec.Unmarshal(b, &v); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if len(v) != len(dst) {
		return fmt.Errorf("%s: %d bytes, want %d", what, len(v), len(dst))
	}
	copy(dst, v)
	return nil
}
