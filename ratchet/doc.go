// Package ratchet is the Double Ratchet of Hush secret chats, as Signal's "The
// Double Ratchet Algorithm" (revision 4) specifies it, without the spec's header
// encryption variant: the relay that carries the messages already sees which
// device writes to which, and the ratchet key and counters in the clear tell it
// little more (when the speaker changed, how many messages a turn had).
// The PQXDH handshake (package pqxdh) gives both devices a 32-byte shared secret
// SK and associated data AD, and gives Alice, the initiator, Bob's signed prekey:
// Alice starts with [InitAlice], Bob with [InitBob] and the prekey's private key
// as his first ratchet key pair. From then on each side calls [State.Encrypt] and
// [State.Decrypt], passing the handshake's AD (and anything else the caller wants
// bound to the message) every time, and stores the [State] sealed in its vault
// ([State.MarshalBinary], [State.UnmarshalBinary]) after every call that changed
// it.
//
// # Functions
//
// The spec leaves its external functions to the application; Hush uses the ones
// its section "Recommended cryptographic algorithms" recommends, with AEAD in
// place of CBC and HMAC:
//
//   - GENERATE_DH, DH: X25519 (crypto/ecdh). A DH output of all zeros (a
//     low-order public key) is an error.
//   - KDF_RK(rk, dh_out): HKDF-SHA-256 with rk as salt, dh_out as input key
//     material and info "hush/v1/ratchet/root", 64 bytes: the new root key, then
//     the new chain key.
//   - KDF_CK(ck): HMAC-SHA-256 keyed with ck; of the single byte 0x01 it is the
//     message key, of 0x02 the next chain key.
//   - ENCRYPT(mk, plaintext, associated_data): HKDF-SHA-256 with mk as input key
//     material, no salt (RFC 5869: 32 zero bytes, as the spec recommends) and info
//     "hush/v1/ratchet/message", 56 bytes: a 32-byte key, then a 24-byte nonce, for
//     XChaCha20-Poly1305. The associated data is len(AD) as 8 bytes big-endian,
//     AD, then the encoded [Header]: the length makes the pair (AD, header)
//     parseable, as the spec asks of CONCAT when AD is not.
//
// XChaCha20-Poly1305 rather than AES-256-GCM: it is the AEAD of the rest of Hush
// (chatcrypto, accountlog, the vault), so one AEAD is reviewed, and it runs in
// constant time in software on devices without AES instructions. Each message key
// encrypts one message, so the nonce need not be random; deriving it from the
// message key is one of the ways the spec lists.
//
// # Messages
//
// An encrypted message is the encoded [Header] followed by the ciphertext. The
// header is a CBOR array [version, DH public key, PN, N] ([Header.MarshalBinary],
// [ParseHeader]) in its one deterministic encoding; the bytes of the header are
// what the AEAD authenticates. Messages are at most [MaxMessageSize] bytes.
//
// # Bounds, replays and failures
//
// Keys of skipped messages (lost or still on the way) are stored so that late
// messages still decrypt: at most [MaxSkip] per chain and [MaxSkippedKeys] in all,
// the oldest dropped first. A message further ahead than [MaxSkip] fails with
// [ErrTooManySkipped]. Every message key decrypts one message: a message whose key
// was used (or dropped) fails with [ErrDuplicate] and is never decrypted twice.
//
// [State.Decrypt] works on a copy of the state and keeps it only when the
// message authenticates, as the spec's section on decrypting messages advises: a
// forged, altered, replayed or too-distant message leaves the state as it was,
// and the next genuine message decrypts.
//
// Two deviations from the spec, both in what happens at its bounds:
//
//   - When a new ratchet key arrives and the previous receiving chain had more
//     than [MaxSkip] messages left unread (PN is far ahead), the spec's
//     SkipMessageKeys fails, and would fail for every later message of the
//     session too. Here the keys of the first [MaxSkip] unread messages are
//     stored, the rest of that chain's messages are given up, and the new chain
//     is accepted: a long loss costs those messages, not the session.
//   - Replays are told apart ([ErrDuplicate]) from forgeries ([ErrDecrypt]): a
//     message of the current receiving chain before its next index, or of one of
//     the last 32 receiving chains, whose key is not stored, is refused from its
//     header without a DH ratchet step being tried.
//
// A [State] is not safe for concurrent use. It holds secrets: it prints as a
// redacted summary ([State.String], [State.LogValue]), and [State.Destroy] clears
// what Go lets it clear.
package ratchet

import (
	"errors"

	"hush/internal/strictcbor"
)

// Labels for domain separation: the HKDF info of each derivation, so that a key
// made for one purpose can never be taken for another, nor for anything another
// part of Hush derives from the same bytes.
const (
	rootLabel    = "hush/v1/ratchet/root"
	messageLabel = "hush/v1/ratchet/message"
)

// Bounds on what a peer (or a damaged disk) can make a [State] hold or compute.
const (
	// MaxSkip is MAX_SKIP of the spec: the most message keys one message may make
	// the receiver derive and store for the messages of one chain it skips over.
	// 1000 covers any loss or reordering a relay that keeps messages causes.
	MaxSkip = 1000

	// MaxSkippedKeys caps the stored keys of skipped messages over all chains;
	// beyond it the oldest are dropped (their messages then fail with
	// [ErrDuplicate]). Two chains' worth of [MaxSkip].
	MaxSkippedKeys = 2 * MaxSkip

	// MaxPlaintextSize caps what [State.Encrypt] encrypts: chatcrypto's largest
	// padded message (63 KiB) with room to spare.
	MaxPlaintextSize = 64 << 10

	// MaxMessageSize caps an encrypted message: the largest plaintext, the AEAD
	// tag and the largest header.
	MaxMessageSize = MaxPlaintextSize + tagSize + maxHeaderSize

	// MaxStateSize caps an encoded [State]: every stored skipped key and every
	// remembered chain, with their framing.
	MaxStateSize = 192 << 10

	// maxPreviousChains is how many of the peer's past ratchet public keys a State
	// remembers, to refuse their messages as replays ([ErrDuplicate]) rather than
	// try a DH ratchet step with them.
	maxPreviousChains = 32
)

// Sentinel errors callers branch on. The wrapped text says which check failed, for
// the log. After any of them from [State.Decrypt] the state is unchanged.
var (
	// ErrMalformed reports a message or header that does not parse: too short or
	// too long, a bad encoding, an unknown version, a key of the wrong size.
	// Nothing about it was authenticated.
	ErrMalformed = errors.New("ratchet: malformed message")

	// ErrDecrypt reports a message that does not authenticate: altered, forged,
	// passed other associated data, or of another session.
	ErrDecrypt = errors.New("ratchet: cannot decrypt")

	// ErrDuplicate reports a message whose key this state no longer holds: it was
	// decrypted already (a replay), or it was skipped and its key dropped as the
	// oldest. It is decided from the header alone, which is not authenticated.
	ErrDuplicate = errors.New("ratchet: message already received or expired")

	// ErrTooManySkipped reports a message more than [MaxSkip] messages ahead of
	// the last one received in its chain: the messages between are given up, and
	// this one is not decrypted. Later chains (after the peer's next DH ratchet
	// step) decrypt again.
	ErrTooManySkipped = errors.New("ratchet: too many skipped messages")

	// ErrNoSendingChain reports Encrypt on Bob's side before he has received a
	// message: the spec's Bob has no sending chain until Alice's first message.
	ErrNoSendingChain = errors.New("ratchet: no sending chain before the first message is received")

	// ErrTooLarge reports a plaintext over [MaxPlaintextSize].
	ErrTooLarge = errors.New("ratchet: plaintext too large")

	// ErrBadKey reports a shared secret that is not 32 bytes, or a ratchet key that
	// is not an X25519 key or gives an all-zero DH output.
	ErrBadKey = errors.New("ratchet: bad key")

	// ErrBadState reports an encoded state that does not parse or breaks an
	// invariant (damaged, truncated, or from a newer version), and a State used
	// before it was initialised or after [State.Destroy].
	ErrBadState = errors.New("ratchet: bad state")
)

// enc encodes deterministically, so one value has one encoding: the header bytes
// the AEAD authenticates, and what known-answer tests compare, are stable.
var enc = strictcbor.EncMode()

// Decoders, set once at package initialisation. A header is one flat array of
// four; a state is an array holding the array of skipped keys (of arrays of
// three), so three deep and [MaxSkippedKeys] long.
var (
	headerDec = strictcbor.DecMode(strictcbor.Limits{MaxNesting: 4, MaxArray: 16, MaxMap: 16})
	stateDec  = strictcbor.DecMode(strictcbor.Limits{MaxNesting: 4, MaxArray: MaxSkippedKeys, MaxMap: 16})
)
