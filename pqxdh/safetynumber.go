package pqxdh

import (
	"fmt"

	"hush/identity"
)

// SafetyNumber returns what the users of two devices compare out of band to be
// sure that a secret chat between them has no one in the middle: the same digits
// and emoji on both sides, whichever device is a and which b (the keys are
// sorted).
//
// It is identity.ComputeSafetyNumber over the two device public keys, so that
// secret chats show the same form — 60 digits, 8 emoji of the one alphabet Hush
// shows for safety numbers — as contacts do. A device key and an account key are
// never the same key, so the number of two devices cannot be mistaken for that
// of two accounts.
func SafetyNumber(a, b identity.DevicePublicKey) (identity.SafetyNumber, error) {
	if a.IsZero() || b.IsZero() {
		return identity.SafetyNumber{}, fmt.Errorf("pqxdh: safety number: %w: missing device key", identity.ErrInvalidKey)
	}
	x, err := identity.ParseAccountPublicKey(a.Bytes())
	if err != nil {
		return identity.SafetyNumber{}, err
	}
	y, err := identity.ParseAccountPublicKey(b.Bytes())
	if err != nil {
		return identity.SafetyNumber{}, err
	}
	return identity.ComputeSafetyNumber(x, y), nil
}
