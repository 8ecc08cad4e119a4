package identity

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"strings"
)

const safetyNumberLabel = "hush/v1/safety-number"

// devicePairNumberLabel separates the number of two devices (a secret chat's) from
// that of two accounts.
const devicePairNumberLabel = "hush/v1/device-pair-number"

// fingerprint is 20 upper-case hex digits of a labelled hash of the public key, in
// groups of four: enough to recognise a key, short enough to read aloud.
func fingerprint(p publicKey) string {
	sum := sha256.Sum256(append([]byte(fingerprintLabel), p.bytes()...))
	h := strings.ToUpper(fmt.Sprintf("%x", sum[:10]))
	var b strings.Builder
	for i := 0; i < len(h); i += 4 {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(h[i : i+4])
	}
	return b.String()
}

// safetyEmoji is the alphabet of the emoji form of a safety number: 64 pictures that
// are easy to tell apart and name aloud.
var safetyEmoji = [64]string{
	"🐶", "🐱", "🦁", "🐴", "🦄", "🐷", "🐘", "🐰",
	"🐼", "🐓", "🐧", "🐢", "🐟", "🐙", "🦋", "🌷",
	"🌳", "🌵", "🍄", "🌏", "🌙", "☁️", "🔥", "🍌",
	"🍎", "🍓", "🌽", "🍕", "🎂", "❤️", "😀", "🤖",
	"🎩", "👓", "🔧", "🎅", "👍", "☂️", "⌛", "⏰",
	"🎁", "💡", "📕", "✏️", "📎", "✂️", "🔒", "🔑",
	"🔨", "☎️", "🏁", "🚂", "🚲", "✈️", "🚀", "🏆",
	"⚽", "🎸", "🎺", "🔔", "⚓", "🎧", "📁", "📌",
}

// SafetyNumber is what two people compare out of band to be sure that each holds the
// other's real account key. Both sides compute the same value.
type SafetyNumber struct {
	Digits string   // 60 digits in 12 groups of 5, separated by spaces
	Emoji  []string // 8 emoji
}

// ComputeSafetyNumber derives the safety number of two accounts. The order of the
// arguments does not matter.
func ComputeSafetyNumber(a, b AccountPublicKey) SafetyNumber {
	return safetyNumber(safetyNumberLabel, a.Bytes(), b.Bytes())
}

// ComputeDevicePairNumber derives the number the users of two devices compare for a
// secret chat between them: the same form as a safety number (60 digits, 8 emoji),
// under its own label, so it never equals the number of two accounts. The order of
// the arguments does not matter.
func ComputeDevicePairNumber(a, b DevicePublicKey) SafetyNumber {
	return safetyNumber(devicePairNumberLabel, a.Bytes(), b.Bytes())
}

// safetyNumber is SHA-256(label || the smaller key || the larger key), chained for
// more output, as digits and emoji.
func safetyNumber(label string, x, y []byte) SafetyNumber {
	if bytes.Compare(x, y) > 0 {
		x, y = y, x
	}
	h := sha256.New()
	h.Write([]byte(label))
	h.Write(x)
	h.Write(y)
	sum := h.Sum(nil)
	// The hash is chained for more output: 12 groups of 5 bytes for the digits (each
	// reduced mod 100000, a bias below 1e-7), then 8 bytes for the emoji.
	more := sha256.Sum256(sum)
	last := sha256.Sum256(more[:])
	all := append(append(sum, more[:]...), last[:]...)
	var groups []string
	for i := 0; i < 12; i++ {
		var buf [8]byte
		copy(buf[3:], all[i*5:i*5+5])
		groups = append(groups, fmt.Sprintf("%05d", binary.BigEndian.Uint64(buf[:])%100000))
	}
	emoji := make([]string, 8)
	for i := range emoji {
		emoji[i] = safetyEmoji[all[64+i]&63]
	}
	return SafetyNumber{Digits: strings.Join(groups, " "), Emoji: emoji}
}
