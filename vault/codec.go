package vault

import (
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/fxamacker/cbor/v2"

	"hush/ids"
	"hush/internal/strictcbor"
	"hush/vault/internal/field"
)

// recordVersion is the format version of every record type today. It is the
// first byte of each sealed blob and part of its associated data; a record
// type whose encoding changes gets its own new version, and its decoder
// keeps accepting the old one.
const recordVersion = 1

// Decode limits. Records are flat maps of a few fields; anything deeper or
// wider is damage, and is refused before it can cost memory.
const (
	maxNestedLevels  = 4
	maxArrayElements = 64
	maxMapPairs      = 32
	maxRecordSize    = field.MaxPlaintext
)

// codec holds the CBOR modes. Records use integer keys (compact, and no
// field names in the plaintext) and Core Deterministic Encoding.
type codec struct {
	enc cbor.EncMode
	dec cbor.DecMode
}

func newCodec() codec {
	return codec{
		enc: strictcbor.EncMode(),
		dec: strictcbor.DecMode(strictcbor.Limits{MaxNesting: maxNestedLevels, MaxArray: maxArrayElements, MaxMap: maxMapPairs}),
	}
}

// record is implemented by the *xxxRecord wire types.
type record[T any] interface {
	*T
	validate() error
}

// decodeRecord is the one decoder every record type goes through: version,
// size and shape checks, strict CBOR, then the type's own validation. Any
// failure is ErrCorrupt: the blob authenticated, so a bad record means a
// bug or a vault written by something that is not Hush.
func decodeRecord[T any, P record[T]](c codec, version byte, b []byte) (T, error) {
	var rec T
	if version != recordVersion {
		return rec, fmt.Errorf("%w: record version %d", ErrCorrupt, version)
	}
	if len(b) > maxRecordSize {
		return rec, fmt.Errorf("%w: record of %d bytes", ErrCorrupt, len(b))
	}
	// Major type 5 (map): CBOR null would otherwise decode to a zero record.
	if len(b) == 0 || b[0]>>5 != 5 {
		return rec, fmt.Errorf("%w: record is not a CBOR map", ErrCorrupt)
	}
	if err := c.dec.Unmarshal(b, &rec); err != nil {
		return rec, fmt.Errorf("%w: record: %w", ErrCorrupt, err)
	}
	if err := P(&rec).validate(); err != nil {
		return rec, fmt.Errorf("%w: record: %w", ErrCorrupt, err)
	}
	return rec, nil
}

// micros stores times as Unix microseconds, 0 for the zero time. (The Unix
// epoch itself therefore reads back as the zero time.)
func micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

// fromMicros is the inverse of micros; times come back in UTC.
func fromMicros(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return time.UnixMicro(us).UTC()
}

// checkText rejects strings CBOR cannot carry as text.
func checkText(what, s string) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("%w: %s is not valid UTF-8", ErrInvalid, what)
	}
	return nil
}

// optionalID checks a sealed id field: empty (none) or 16 bytes.
func optionalID(what string, b []byte) error {
	if len(b) != 0 && len(b) != ids.Size {
		return fmt.Errorf("%s is %d bytes", what, len(b))
	}
	return nil
}

// idBytes stores the zero id as "absent".
func idBytes[T ids.Any](id T) []byte {
	var zero T
	if id == zero {
		return nil
	}
	return id[:]
}

// idOf reads what idBytes wrote; validate has checked the length.
func idOf[T ids.Any](b []byte) T {
	var id T
	copy(id[:], b)
	return id
}
