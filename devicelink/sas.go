package devicelink

import (
	"crypto/hkdf"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"fmt"

	"hush/ids"
)

// NonceSize is the size of each side's random nonce.
const NonceSize = 32

// sasSize is how many bytes of SAS are derived: four for the emoji (30 bits used),
// four for the digits.
const sasSize = 8

// emojiCount is how many emoji [SAS.Emoji] shows: 5 × 6 = 30 bits, so a relay that
// sits in the middle goes unnoticed by a user who compares the emoji with
// probability 2⁻³⁰.
const emojiCount = 5

// SAS is the short authentication string both devices show: five emoji and six
// digits from the transcript of the exchange. When the user sees the same on both,
// both devices hold the same transcript — the same account key, device key, link
// key and nonces — and no relay sits in between. It is not secret, but it is not
// comparable with ==: use [SAS.Equal].
type SAS struct {
	_ [0]func() // not comparable with ==
	b [sasSize]byte
}

// Emoji is one symbol of a SAS: the character and the name it is read aloud by, by
// users comparing two screens and by screen readers (use Name as the accessible
// label).
type Emoji struct {
	Char string
	Name string
}

// deriveSAS derives the SAS from a transcript hash: HKDF-SHA256 with the
// transcript as the secret, no salt, and sasLabel as the info.
func deriveSAS(transcript [32]byte) SAS {
	b, err := hkdf.Key(sha256.New, transcript[:], nil, sasLabel, sasSize)
	if err != nil {
		// hkdf.Key fails only for lengths above 255 hash sizes.
		panic("devicelink: derive SAS: " + err.Error())
	}
	return SAS{b: [sasSize]byte(b)}
}

// emojiIndexes returns the indexes into emojiTable of the five emoji: the first 30
// bits of the SAS, six at a time, most significant first.
func (s SAS) emojiIndexes() [emojiCount]int {
	bits := binary.BigEndian.Uint32(s.b[:4])
	var out [emojiCount]int
	for i := range out {
		out[i] = int(bits>>(26-6*i)) & 63
	}
	return out
}

// Emoji returns the five emoji to show, in order.
func (s SAS) Emoji() []Emoji {
	out := make([]Emoji, 0, emojiCount)
	for _, i := range s.emojiIndexes() {
		out = append(out, emojiTable[i])
	}
	return out
}

// Digits returns six decimal digits in two groups, "123 456": bytes 4 to 7 of the
// SAS as a big-endian number, modulo 1 000 000. The bias of the modulo (2³² is not
// a multiple of 10⁶) is below one in four thousand per value and is harmless here.
func (s SAS) Digits() string {
	n := binary.BigEndian.Uint32(s.b[4:8]) % 1_000_000
	return fmt.Sprintf("%03d %03d", n/1000, n%1000)
}

// Equal reports, in constant time, whether s and o are the same SAS.
func (s SAS) Equal(o SAS) bool { return subtle.ConstantTimeCompare(s.b[:], o.b[:]) == 1 }

// IsZero reports whether s is the zero value, which no exchange yields (a side that
// has not reached the SAS yet returns it).
func (s SAS) IsZero() bool { return s.Equal(SAS{}) }

// commitHash is the sponsor's commitment: SHA-256(commitLabel ‖ 0x00 ‖ session ‖
// account public key (64 bytes) ‖ sponsor nonce). Every part has a fixed size, so
// the concatenation is unambiguous.
func commitHash(session ids.LinkSession, account []byte, sponsorNonce [NonceSize]byte) [32]byte {
	h := sha256.New()
	h.Write([]byte(commitLabel))
	h.Write([]byte{0})
	h.Write(session[:])
	h.Write(account)
	h.Write(sponsorNonce[:])
	return [32]byte(h.Sum(nil))
}

// transcriptHash is what both sides agree on: SHA-256(transcriptLabel ‖ 0x00 ‖
// session ‖ link key hash ‖ account public key (64) ‖ device public key (64) ‖
// sponsor nonce ‖ newcomer nonce). The SAS and the bundle's HPKE info derive from
// it, so the user's comparison covers every key that matters.
func transcriptHash(session ids.LinkSession, keyHash [32]byte, account, device []byte, sponsorNonce, newcomerNonce [NonceSize]byte) [32]byte {
	h := sha256.New()
	h.Write([]byte(transcriptLabel))
	h.Write([]byte{0})
	h.Write(session[:])
	h.Write(keyHash[:])
	h.Write(account)
	h.Write(device)
	h.Write(sponsorNonce[:])
	h.Write(newcomerNonce[:])
	return [32]byte(h.Sum(nil))
}

// emojiTable maps six bits to an emoji. The 64 are told apart at a glance and by
// name: animals, plants, food and objects, each a single code point shown as emoji
// by default (no variation selector, no joiner, no skin tone, no flag), none two of
// the same look. The names are plain English words a user says aloud. The order is
// part of the protocol: both devices must agree on it, so it never changes.
var emojiTable = [64]Emoji{
	{"🐶", "Dog"}, {"🐱", "Cat"}, {"🦁", "Lion"}, {"🐴", "Horse"},
	{"🦄", "Unicorn"}, {"🐷", "Pig"}, {"🐘", "Elephant"}, {"🐰", "Rabbit"},
	{"🐼", "Panda"}, {"🐓", "Rooster"}, {"🐧", "Penguin"}, {"🐢", "Turtle"},
	{"🐟", "Fish"}, {"🐙", "Octopus"}, {"🦋", "Butterfly"}, {"🌷", "Flower"},
	{"🌳", "Tree"}, {"🌵", "Cactus"}, {"🍄", "Mushroom"}, {"🌍", "Globe"},
	{"🌙", "Moon"}, {"🌈", "Rainbow"}, {"🔥", "Fire"}, {"🍌", "Banana"},
	{"🍎", "Apple"}, {"🍓", "Strawberry"}, {"🌽", "Corn"}, {"🍕", "Pizza"},
	{"🎂", "Cake"}, {"🧀", "Cheese"}, {"🤖", "Robot"}, {"🎩", "Hat"},
	{"👓", "Glasses"}, {"🔧", "Wrench"}, {"⌛", "Hourglass"}, {"⏰", "Alarm clock"},
	{"🎁", "Gift"}, {"💡", "Light bulb"}, {"📕", "Book"}, {"🔦", "Flashlight"},
	{"📎", "Paperclip"}, {"🎈", "Balloon"}, {"🔒", "Lock"}, {"🔑", "Key"},
	{"🔨", "Hammer"}, {"📞", "Telephone"}, {"🚂", "Train"}, {"🚲", "Bicycle"},
	{"🚁", "Helicopter"}, {"🚀", "Rocket"}, {"🏆", "Trophy"}, {"⚽", "Ball"},
	{"🎸", "Guitar"}, {"🎺", "Trumpet"}, {"🔔", "Bell"}, {"⚓", "Anchor"},
	{"🎧", "Headphones"}, {"📁", "Folder"}, {"📌", "Pin"}, {"🐝", "Bee"},
	{"🐌", "Snail"}, {"🦀", "Crab"}, {"🐸", "Frog"}, {"☔", "Umbrella"},
}
