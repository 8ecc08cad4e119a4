// Package strictcbor builds the CBOR modes of every format Hush encodes: the relay
// protocol (sync/wire), sealed chat messages (chatcrypto), device certificates
// (identity), vault records and the engine's own records (chat). Each format states
// its limits once, in a [Limits]; everything else — no duplicate map keys, no
// indefinite lengths, no tags, valid UTF-8 only, deterministic encoding — is the same
// for all of them, so no decoder can be looser than the others by accident.
//
// Modes are built once, at package initialisation of the caller, from constant
// options; an invalid [Limits] is a programming error and panics there.
package strictcbor

import "github.com/fxamacker/cbor/v2"

// Limits are what a decoder accepts beyond the shared strict rules. The CBOR library
// refuses limits below its own minimums (nesting 4, arrays and maps 16), so those are
// the smallest a format can ask for.
type Limits struct {
	// MaxNesting is the deepest a valid value goes (an array in an array is 2).
	MaxNesting int
	// MaxArray caps the elements of any one array.
	MaxArray int
	// MaxMap caps the pairs of any one map.
	MaxMap int
	// AllowUnknownFields ignores map keys the Go type does not know instead of
	// failing: for content a newer client may extend (chatcrypto.Content). Every
	// other format refuses them, so one value has one meaning.
	AllowUnknownFields bool
}

// DecMode returns a decoder that enforces l and the shared strict rules.
func DecMode(l Limits) cbor.DecMode {
	opts := cbor.DecOptions{
		MaxNestedLevels:  l.MaxNesting,
		MaxArrayElements: l.MaxArray,
		MaxMapPairs:      l.MaxMap,
		DupMapKey:        cbor.DupMapKeyEnforcedAPF,
		IndefLength:      cbor.IndefLengthForbidden,
		TagsMd:           cbor.TagsForbidden,
		UTF8:             cbor.UTF8RejectInvalid,
	}
	if !l.AllowUnknownFields {
		opts.ExtraReturnErrors = cbor.ExtraDecErrorUnknownField
	}
	dm, err := opts.DecMode()
	if err != nil {
		panic("strictcbor: " + err.Error())
	}
	return dm
}

// EncMode returns the encoder every format uses: RFC 8949 core deterministic
// encoding, so one value has one encoding — what is signed, hashed or compared in a
// known-answer test is stable.
//
// It can also encode into a caller's buffer (MarshalToBuffer), for writers that
// encode many records in a row and should not allocate for each (backups).
func EncMode() cbor.UserBufferEncMode {
	em, err := cbor.CoreDetEncOptions().UserBufferEncMode()
	if err != nil {
		panic("strictcbor: " + err.Error())
	}
	return em
}
