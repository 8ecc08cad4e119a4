package e2e

import "github.com/fxamacker/cbor/v2"

// detEnc encodes deterministically (RFC 8949 §4.2 core rules), so that one value has
// one encoding: what is signed and what known-answer tests compare is stable. It is
// set once at start-up and never written again.
var detEnc = mustEncMode()

func mustEncMode() cbor.EncMode {
	em, err := cbor.CoreDetEncOptions().EncMode()
	if err != nil {
		panic(err)
	}
	return em
}

// newDecMode returns a strict decoder with the given limits: no duplicate map keys,
// no indefinite lengths, no tags, valid UTF-8 only.
func newDecMode(maxArray, maxMap, maxNesting int, rejectUnknown bool) cbor.DecMode {
	opts := cbor.DecOptions{
		MaxNestedLevels:  maxNesting,
		MaxArrayElements: maxArray,
		MaxMapPairs:      maxMap,
		DupMapKey:        cbor.DupMapKeyEnforcedAPF,
		IndefLength:      cbor.IndefLengthForbidden,
		TagsMd:           cbor.TagsForbidden,
		UTF8:             cbor.UTF8RejectInvalid,
	}
	if rejectUnknown {
		opts.ExtraReturnErrors = cbor.ExtraDecErrorUnknownField
	}
	dm, err := opts.DecMode()
	if err != nil {
		panic(err)
	}
	return dm
}

// Decoders of each format, with limits no valid input comes near; set once at
// start-up and never written again.
var (
	// messageDec reads sealed messages: two nested arrays of at most 9 elements.
	messageDec = newDecMode(16, 16, 4, true)
	// keyLogDec reads signed envelopes: one array of four elements.
	keyLogDec = newDecMode(16, 16, 4, true)
	// contentDec reads [Content]. Unknown map keys are ignored, so that a field added
	// by a newer client does not make the whole message unreadable to older ones.
	contentDec = newDecMode(MaxMembershipChanges, 32, 4, false)
)
