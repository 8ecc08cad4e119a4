package vault

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
)

// A PageCursor travels to the UI and back as text, so paging needs no state between
// calls (and survives a lock). The text is the unpadded base64url encoding of
//
//	version(1) = 1 || pending(1) || seq (8, big-endian) || local_seq (8, big-endian)
//
// which are the clear columns the page query orders by. The text is opaque to
// callers but not secret and not authenticated: it only says where a page of one
// chat starts (Messages always filters by the chat id it is given), and a crafted
// one can do no more than start a page elsewhere in that chat.
const (
	pageCursorVersion = 1
	// pageCursorSize is the decoded size of a page cursor's text.
	pageCursorSize = 1 + 1 + 8 + 8
)

// pageCursorText is the encoding of a page cursor's text: base64url without
// padding, strict (no stray bits), so one cursor has one text.
var pageCursorText = base64.RawURLEncoding.Strict()

// MarshalText encodes c as opaque text for the UI: "" for the zero cursor
// ("newest"), otherwise 24 characters of base64url.
func (c PageCursor) MarshalText() ([]byte, error) {
	if !c.set {
		return []byte{}, nil
	}
	if err := c.check(); err != nil {
		return nil, err
	}
	var b [pageCursorSize]byte
	b[0] = pageCursorVersion
	b[1] = byte(c.pending)
	binary.BigEndian.PutUint64(b[2:], uint64(c.seq))
	binary.BigEndian.PutUint64(b[10:], uint64(c.localSeq))
	out := make([]byte, pageCursorText.EncodedLen(len(b)))
	pageCursorText.Encode(out, b[:])
	return out, nil
}

// UnmarshalText parses what MarshalText produced; empty text is the zero cursor.
// Anything else fails with an error matching ErrInvalid, and c is left unchanged.
func (c *PageCursor) UnmarshalText(text []byte) error {
	if len(text) == 0 {
		*c = PageCursor{}
		return nil
	}
	if want := pageCursorText.EncodedLen(pageCursorSize); len(text) != want {
		return fmt.Errorf("%w: page cursor of %d characters, want %d", ErrInvalid, len(text), want)
	}
	var b [pageCursorSize]byte
	if n, err := pageCursorText.Decode(b[:], text); err != nil || n != pageCursorSize {
		return fmt.Errorf("%w: page cursor is not base64url", ErrInvalid)
	}
	if b[0] != pageCursorVersion {
		return fmt.Errorf("%w: page cursor version %d", ErrInvalid, b[0])
	}
	seq, local := binary.BigEndian.Uint64(b[2:]), binary.BigEndian.Uint64(b[10:])
	if seq > maxSeq || local > maxSeq {
		return fmt.Errorf("%w: page cursor position out of range", ErrInvalid)
	}
	next := PageCursor{set: true, pending: int64(b[1]), seq: int64(seq), localSeq: int64(local)}
	if err := next.check(); err != nil {
		return err
	}
	*c = next
	return nil
}

// check holds a cursor to positions a page can end at: a pending message (seq 0)
// or a relayed one (seq ≥ 1), each with its positive insertion order.
func (c PageCursor) check() error {
	switch {
	case c.pending != 0 && c.pending != 1:
		return fmt.Errorf("%w: page cursor pending flag %d", ErrInvalid, c.pending)
	case (c.pending == 1) != (c.seq == 0):
		return fmt.Errorf("%w: page cursor pending flag %d with seq %d", ErrInvalid, c.pending, c.seq)
	case c.seq < 0 || c.localSeq < 1:
		return fmt.Errorf("%w: page cursor position out of range", ErrInvalid)
	}
	return nil
}
