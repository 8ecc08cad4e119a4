// Package secretsession is one secret chat between two devices: the PQXDH
// handshake of package pqxdh, then the Double Ratchet of package ratchet, wrapped
// in the frames that travel through the relay's device inboxes (docs/PROTOCOL.md,
// "Device inboxes"). It does no I/O and keeps nothing: bytes in, bytes out; the
// caller stores the [Session] (sealed in its vault) after every call that changed
// it, and sends or delivers the frames.
//
// The initiator (the spec's Alice) fetches the peer device's prekey bundle and
// calls [Start]; every frame it seals ([Session.Seal]) carries the handshake's
// initial message until a frame of the responder has opened, so any of its early
// frames, not only the first, can start the session if others are lost. The
// responder (Bob) gives the first frame of a chat it has no session for to
// [Accept], with its prekey store; every later frame goes to [Session.Open].
// [ReadFrameInfo] tells, before anything is decrypted, which chat a frame is for
// and whether it can start a session.
//
// A session starts only once a ratchet message has authenticated under the
// handshake's key, as pqxdh's documentation asks: [Accept] fails, and keeps
// nothing, when the first frame does not decrypt. The responder's caller must then
// check [Session.Peer] against the devices the contact's certificate lists before
// showing anything; the initiator's caller checked the bundle's device key the
// same way before [Start].
//
// # Frames
//
// A frame is the CBOR array [version, chat id, sender device id, recipient device
// id, initial message, ratchet message] in its one deterministic encoding: ids of
// 16 bytes, the initial message as pqxdh encodes it (or an empty byte string), the
// ratchet message as ratchet writes it. At most [MaxFrameSize] bytes.
//
// The associated data of every ratchet message is
//
//	"hush/v1/secretsession/frame" ‖ 0x00 ‖ version ‖ handshake AD (160 bytes) ‖
//	chat id ‖ sender device id ‖ recipient device id
//
// every part of a fixed size, so the concatenation is unambiguous. The handshake
// AD binds both devices' keys and the whole handshake transcript; the chat id
// binds the frame to one chat, so it cannot be replayed into another chat with
// the same device ([ErrWrongChat]); the two device ids bind the direction, so a
// frame reflected back to its sender does not open there ([ErrWrongPeer]). The
// ids in the clear are for routing and early errors only: a frame whose ids were
// rewritten fails to authenticate ([ErrDecrypt]).
//
// # Failures
//
// A frame that fails to open, for whatever reason, leaves the session exactly as
// it was, so the next genuine frame opens (package ratchet guarantees it for the
// ratchet state; nothing else changes before the message has authenticated). Every
// frame opens once; a second delivery fails with [ErrReplay].
//
// One chat id has one session. An initiator that lost its session and starts
// another for the same chat sends another initial message, which the
// responder's session refuses ([ErrOtherSession]) rather than silently switching
// keys: replacing it is the caller's decision, with the user told that the safety
// number ([Session.SafetyNumber]) may have changed.
//
// A first frame that fails to open in [Accept] has still used up the one-time
// prekeys its initial message named (pqxdh deletes them on receipt, as the PQXDH
// specification does), so that initiator's session can never start and must be
// started again with a new bundle. Only someone who can alter frames on the way
// can cause that, and the relay, which can, could as well drop them.
//
// A [Session] is safe for concurrent use. It holds secrets: it prints as a
// redacted summary, and [Session.Destroy] clears what Go lets it clear.
package secretsession

import (
	"errors"

	"hush/internal/strictcbor"
	"hush/pqxdh"
	"hush/ratchet"
)

// Labels for domain separation, each used for one purpose only.
const (
	// adLabel starts the associated data of every ratchet message, so it can never
	// equal associated data another Hush protocol passes to an AEAD.
	adLabel = "hush/v1/secretsession/frame"
)

// Versions of the two encodings: a newer layout gets a new number, and this code
// refuses it rather than guess.
const (
	frameVersion   = 1
	sessionVersion = 1
)

// Bounds on what a peer, the relay or a damaged disk can make this package read.
const (
	// MaxPlaintextSize caps what [Session.Seal] encrypts: the ratchet's limit.
	MaxPlaintextSize = ratchet.MaxPlaintextSize

	// frameOverhead is a frame's CBOR framing: the array header, the version,
	// three 16-byte ids with their headers and the two byte-string headers.
	frameOverhead = 1 + 1 + 3*(1+16) + 3 + 5

	// MaxFrameSize caps an encoded frame: the largest initial message and the
	// largest ratchet message with their framing. A frame over it is refused
	// before it is decoded.
	MaxFrameSize = frameOverhead + pqxdh.MaxInitialMessageSize + ratchet.MaxMessageSize

	// MaxSessionSize caps an encoded [Session]: the largest ratchet state, the
	// largest initial message, the keys, the AD and the framing.
	MaxSessionSize = ratchet.MaxStateSize + pqxdh.MaxInitialMessageSize + 512

	// adSize is the size of pqxdh's Handshake.AD: two device public keys and a
	// SHA-256 transcript hash.
	adSize = 160
)

// Sentinel errors callers branch on; the wrapped text says which check failed,
// for the log. Where a ratchet or pqxdh error is the cause it is wrapped too, so
// errors.Is finds both.
var (
	// ErrMalformed reports a frame that does not parse: too long, a bad encoding,
	// an unknown version, an id or an initial message that is not valid, a ratchet
	// message that does not parse. Nothing about it was authenticated.
	ErrMalformed = errors.New("secretsession: malformed frame")

	// ErrWrongChat reports a frame that names another chat than the session's:
	// misrouted, or replayed from another chat between the same devices.
	ErrWrongChat = errors.New("secretsession: frame is for another chat")

	// ErrWrongPeer reports a frame that is not from the session's peer to this
	// device (a frame reflected back to its sender, or delivered to the wrong
	// device), and a session started with the device itself.
	ErrWrongPeer = errors.New("secretsession: frame is not from the peer to this device")

	// ErrReplay reports a frame that opened before (or whose key the ratchet has
	// dropped as the oldest skipped one); it wraps ratchet.ErrDuplicate. Dropping
	// it silently is right: its plaintext was delivered once.
	ErrReplay = errors.New("secretsession: frame already opened")

	// ErrDecrypt reports a frame that does not authenticate: altered, forged, its
	// ids rewritten, or of another session.
	ErrDecrypt = errors.New("secretsession: cannot decrypt frame")

	// ErrTooManySkipped reports a frame more than ratchet.MaxSkip messages ahead
	// of the last one of its chain: the frames between are given up, later chains
	// open again. It wraps ratchet.ErrTooManySkipped.
	ErrTooManySkipped = errors.New("secretsession: too many frames lost")

	// ErrOtherSession reports a frame carrying another initial message than the one
	// the responder's session was accepted with: the initiator started a second
	// session for the same chat (it lost its state, or someone replays an old
	// handshake). The session is kept; the caller decides whether to replace it,
	// which needs the user's attention since the safety number may have changed.
	ErrOtherSession = errors.New("secretsession: frame starts another session for this chat")

	// ErrNoSession reports, from [Accept], a frame without an initial message: it
	// belongs to a session this device does not hold (lost, or never accepted).
	ErrNoSession = errors.New("secretsession: frame cannot start a session")

	// ErrTooLarge reports a plaintext over [MaxPlaintextSize].
	ErrTooLarge = errors.New("secretsession: plaintext too large")

	// ErrBadSession reports an encoded session that does not parse or breaks an
	// invariant (damaged, truncated, or from a newer version), and a Session used
	// before it was made or after [Session.Destroy].
	ErrBadSession = errors.New("secretsession: bad session")
)

// enc encodes deterministically: one frame and one session have one encoding,
// which is what the decoders accept back and what the golden tests compare.
var enc = strictcbor.EncMode()

// dec reads frames and sessions: flat arrays of at most eight elements.
var dec = strictcbor.DecMode(strictcbor.Limits{MaxNesting: 4, MaxArray: 16, MaxMap: 16})
