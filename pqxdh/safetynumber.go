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
// It is identity.ComputeDevicePairNumber: the same form — 60 digits, 8 emoji of
// the one alphabet Hush shows — as contacts' safety numbers, under a label of its
// own, so the number of two devices is never that of two accounts.
func SafetyNumber(a, b identity.DevicePublicKey) (identity.SafetyNumber, error) {
	if a.IsZero() || b.IsZero() {
		return identity.SafetyNumber{}, fmt.Errorf("pqxdh: safety number: %w: missing device key", identity.ErrInvalidKey)
	}
	return identity.ComputeDevicePairNumber(a, b), nil
}
