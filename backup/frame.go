package backup

import (
	"github.com/fxamacker/cbor/v2"

	"hush/internal/strictcbor"
)

// magic opens every backup's plaintext. It never changes with the format
// version: a reader of any version recognises a backup by it and then reads the
// manifest's version, whose frame is the same in every version.
const magic = "hush-backup\n"

// ageMagic opens every binary age file (age-encryption.org/v1).
const ageMagic = "age-encryption.org/v1\n"

// frameHeaderSize is a frame's kind (1 byte) and body length (4 bytes, big
// endian).
const frameHeaderSize = 5

// MaxRecordSize caps one frame's body. A vault record is at most 1 MiB, so
// every record fits with room to spare; a reader refuses a longer length before
// allocating anything, which is what keeps its memory bounded.
const MaxRecordSize = 2 << 20

// Decode limits. Records are flat maps; only a chat nests (its member list).
const (
	maxNesting    = 4
	maxMapPairs   = 32
	maxArrayItems = 1 << 16 // members of one chat
)

// codec is the CBOR modes of the format: the shared strict rules
// (internal/strictcbor), deterministic encoding, and limits of its own.
type codec struct {
	enc cbor.UserBufferEncMode
	dec cbor.DecMode
	// peek reads only the manifest's version, ignoring fields a newer version
	// may have added, so a newer backup is reported as such and not as damaged.
	peek cbor.DecMode
}

func newCodec() codec {
	l := strictcbor.Limits{MaxNesting: maxNesting, MaxArray: maxArrayItems, MaxMap: maxMapPairs}
	lenient := l
	lenient.AllowUnknownFields = true
	return codec{enc: strictcbor.EncMode(), dec: strictcbor.DecMode(l), peek: strictcbor.DecMode(lenient)}
}

// versionOnly is the part of a manifest every version shares.
type versionOnly struct {
	Version uint64 `cbor:"1,keyasint"`
}
