package chatcrypto

import "fmt"

// Padding hides a message's exact length from the relay. The encoded [Content] is
// followed by one 0x80 byte and then zero bytes up to the smallest bucket that holds
// it (the ISO/IEC 7816-4 rule, unambiguous to remove).
//
// The buckets are fixed powers of four rather than Padmé: chat messages are short and
// the largest is 63 KiB, so fixed buckets cost little bandwidth in absolute terms
// (at most 47 KiB on the largest messages, nothing on the common ones under 256 B)
// while telling the relay only which of five classes a message is in — at most
// log₂5 ≈ 2.3 bits per message. Padmé, built for files up to gigabytes, keeps the
// overhead under 12% but spreads messages up to 63 KiB over hundreds of distinct
// sizes, which would leak far more about typical texts.
//
// The top bucket is 63 KiB, not 64, so that a sealed message — the bucket plus about
// 400 bytes of header, certificate, tag and signature — fits the relay's 64 KiB
// ciphertext limit ([MaxSealedSize], docs/PROTOCOL.md).
func padBuckets() [5]int { return [5]int{256, 1 << 10, 4 << 10, 16 << 10, MaxPaddedSize} }

// padMarker ends the content inside the padded plaintext.
const padMarker = 0x80

// Size limits of a message's plaintext.
const (
	// MaxPaddedSize is the largest padding bucket: the plaintext size of the largest
	// messages.
	MaxPaddedSize = 63 << 10
	// MaxContentSize is the largest encoded [Content] that fits a message: the largest
	// bucket less the padding marker.
	MaxContentSize = MaxPaddedSize - 1
)

// paddedSize returns the bucket that holds n bytes of content and the marker.
func paddedSize(n int) (int, error) {
	for _, b := range padBuckets() {
		if n < b {
			return b, nil
		}
	}
	return 0, fmt.Errorf("%w: content is %d bytes, the limit is %d", ErrTooLarge, n, MaxContentSize)
}

// isBucket reports whether n is the size of a padding bucket.
func isBucket(n int) bool {
	for _, b := range padBuckets() {
		if n == b {
			return true
		}
	}
	return false
}

// pad returns content, the marker and zeros, filling the smallest bucket.
func pad(content []byte) ([]byte, error) {
	size, err := paddedSize(len(content))
	if err != nil {
		return nil, err
	}
	out := make([]byte, size)
	copy(out, content)
	out[len(content)] = padMarker
	return out, nil
}

// unpad undoes pad. Its input is authenticated plaintext, so the scan's timing tells
// nobody anything; it is strict all the same, so one plaintext has one padding.
func unpad(padded []byte) ([]byte, error) {
	if !isBucket(len(padded)) {
		return nil, fmt.Errorf("%w: padded plaintext of %d bytes is not a bucket size", ErrMalformed, len(padded))
	}
	i := len(padded) - 1
	for i >= 0 && padded[i] == 0 {
		i--
	}
	if i < 0 || padded[i] != padMarker {
		return nil, fmt.Errorf("%w: bad padding", ErrMalformed)
	}
	if size, _ := paddedSize(i); size != len(padded) {
		// A smaller bucket would have held this content: the sender padded too much.
		return nil, fmt.Errorf("%w: content of %d bytes padded to %d", ErrMalformed, i, len(padded))
	}
	return padded[:i], nil
}
