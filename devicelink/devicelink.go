// Package devicelink is the cryptography and the formats of linking a new device to
// an existing account, without I/O: the caller moves the messages through the relay
// and shows what the user must see. docs/SECURITY.md, "Linking a device", states the
// protocol and what it defends against; this is its implementation.
//
// Two devices take part. The newcomer is the device being linked; it holds no
// account yet. The sponsor is a device of the account that already holds the
// account key. The relay carries every message and is treated as an attacker: it
// must learn no key, must not be able to put its own key in place of the
// newcomer's, and must not be able to make the newcomer join an account of its
// choosing without the user seeing two different short authentication strings.
// The steps:
//
//  1. The newcomer makes a one-time [LinkKey] (hybrid ML-KEM-768 + X25519), registers
//     a link session at its relay, sends the relay [LinkKey.PublicKey] and shows a
//     [Code] ([NewCode], [Code.String]) as a QR code and as text. The code names the
//     session and the relay, carries [KeyHash] of the public key, and expires after
//     [CodeLifetime].
//  2. The user pastes the code on the sponsor ([ParseCode]). The sponsor fetches the
//     public key from the relay and [NewSponsor] checks it against the hash in the
//     code ([ErrKeyMismatch]) and sends a [Commit]: a hash of the account's public
//     key and a random nonce, so the sponsor is bound to both before it sees anything
//     the newcomer chose.
//  3. The newcomer ([NewNewcomer], [Newcomer.OnCommit]) answers with a [Reply]: its
//     own random nonce and the public key of the device key it will keep.
//  4. The sponsor ([Sponsor.OnReply]) sends a [Reveal]: the account's public key and
//     its nonce. The newcomer ([Newcomer.OnReveal]) checks them against the commit
//     ([ErrCommitMismatch]).
//  5. Both now hold the same transcript — session, key hash, account key, device
//     key and both nonces — and show the [SAS] derived from it: five emoji and six
//     digits. Neither side could choose its nonce knowing the other's (the commit),
//     so a relay in the middle that gave each side different keys cannot steer the
//     two SAS together: they match by chance only, with probability 2⁻³⁰ for the
//     emoji and 10⁻⁶ for the digits, and the one-time session gives it one try.
//  6. Only after the user confirms on the sponsor that both show the same SAS does
//     the sponsor seal the account's keys, a device certificate and the device list
//     ([Sponsor.SealBundle]) to the link key with HPKE, bound to the transcript; the
//     newcomer opens them ([Newcomer.OpenBundle]) and checks they are the account's
//     ([ErrWrongAccount]). Either side may instead send a [Decline].
//
// Every message travels in one closed format ([EncodeMessage], [DecodeMessage]). The
// [Sponsor] and [Newcomer] types hold each side's state so that no step can be
// skipped or repeated: after any error a side stays failed, and the attempt must
// start again with a new code.
package devicelink

import (
	"errors"

	"hush/internal/strictcbor"
)

// Labels for domain separation: each hash, key derivation and HPKE info of the
// protocol starts with its own label, so a value made for one purpose can never be
// taken for another (or for anything another part of Hush computes from the same
// bytes).
const (
	keyHashLabel    = "hush/v1/link/key"
	commitLabel     = "hush/v1/link/commit"
	transcriptLabel = "hush/v1/link/transcript"
	sasLabel        = "hush/v1/link/sas"
	bundleLabel     = "hush/v1/link/bundle"
)

// Sentinel errors callers branch on. The wrapped text says which check failed, for
// the log; the user is told only that linking failed and must start again.
var (
	// ErrBadCode reports text that is not a link code: bad characters, a bad
	// encoding, an unknown version, a relay address that is not ws:// or wss://.
	ErrBadCode = errors.New("devicelink: not a valid link code")

	// ErrExpired reports a code older than its expiry time ([CodeLifetime]).
	ErrExpired = errors.New("devicelink: the link code has expired")

	// ErrKeyMismatch reports a link public key that is not the one the code names:
	// the relay (or whoever handed the key over) substituted it.
	ErrKeyMismatch = errors.New("devicelink: link key does not match the code")

	// ErrCommitMismatch reports a reveal that does not open the commit the newcomer
	// received: the relay (or a wrong sponsor) changed the account or the nonce.
	ErrCommitMismatch = errors.New("devicelink: reveal does not match the commitment")

	// ErrBadMessage reports bytes that are not a link message: malformed, too large,
	// a wrong length, an unknown type or reason.
	ErrBadMessage = errors.New("devicelink: malformed link message")

	// ErrBadBundle reports a sealed bundle that does not open under the link key and
	// the transcript, or whose contents are malformed. [ErrWrongAccount] failures
	// wrap it too.
	ErrBadBundle = errors.New("devicelink: bad account bundle")

	// ErrWrongAccount reports a bundle that opens but whose keys or certificate are
	// not those of the account the newcomer saw revealed (and whose SAS the user
	// compared).
	ErrWrongAccount = errors.New("devicelink: bundle is for another account")

	// ErrOutOfOrder reports a step taken out of turn: a message before the one it
	// answers, a second message of a kind already handled, any step after a failure.
	ErrOutOfOrder = errors.New("devicelink: step out of order")
)

// enc encodes deterministically, so that one value has one encoding: what is hashed
// and what known-answer tests compare is stable.
var enc = strictcbor.EncMode()

// dec reads the code, link messages and the bundle: arrays of at most nine
// elements but the bundle's older ML-KEM seeds (MaxOtherKEMSeeds), at most two
// deep; the library's minimum limits are far above that.
var dec = strictcbor.DecMode(strictcbor.Limits{MaxNesting: 4, MaxArray: MaxOtherKEMSeeds, MaxMap: 16})
