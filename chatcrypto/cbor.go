package chatcrypto

import "hush/internal/strictcbor"

// detEnc encodes deterministically, so that one value has one encoding: what is
// signed and what known-answer tests compare is stable.
var detEnc = strictcbor.EncMode()

// Decoders of each format, with limits no valid input comes near; set once at
// start-up and never written again.
var (
	// messageDec reads sealed messages: two nested arrays of at most 9 elements.
	messageDec = strictcbor.DecMode(strictcbor.Limits{MaxNesting: 4, MaxArray: 16, MaxMap: 16})
	// keyLogDec reads signed envelopes: one array of four elements.
	keyLogDec = strictcbor.DecMode(strictcbor.Limits{MaxNesting: 4, MaxArray: 16, MaxMap: 16})
	// contentDec reads [Content]. Unknown map keys are ignored, so that a field added
	// by a newer client does not make the whole message unreadable to older ones.
	contentDec = strictcbor.DecMode(strictcbor.Limits{MaxNesting: 4, MaxArray: MaxMembershipChanges, MaxMap: 32, AllowUnknownFields: true})
)
