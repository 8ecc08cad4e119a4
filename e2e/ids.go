package e2e

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
)

// IDSize is the size of a [ChatID] or a [MessageID].
const IDSize = 16

// ChatID names a chat. It is chosen at random by the chat's creator; the relay files
// the chat's log and key log under it.
type ChatID [IDSize]byte

// String returns the id in lower-case hex.
func (id ChatID) String() string { return hex.EncodeToString(id[:]) }

// MessageID names one message. The sending client chooses it at random, so that
// retries are idempotent (DESIGN §6); it also salts the message key.
type MessageID [IDSize]byte

// NewMessageID returns a fresh random message id.
func NewMessageID() (MessageID, error) { return newMessageID(rand.Reader) }

func newMessageID(r io.Reader) (MessageID, error) {
	var id MessageID
	if _, err := io.ReadFull(r, id[:]); err != nil {
		return MessageID{}, fmt.Errorf("new message id: %w", err)
	}
	return id, nil
}

// String returns the id in lower-case hex.
func (id MessageID) String() string { return hex.EncodeToString(id[:]) }

// IsZero reports whether id is all zero, which [Content] uses for "none" (a random id
// is zero with probability 2⁻¹²⁸).
func (id MessageID) IsZero() bool { return id == MessageID{} }
