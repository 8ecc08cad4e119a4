// Package pqxdh is the handshake of Hush's secret chats: the key agreement that
// gives two devices the shared secret their Double Ratchet starts from, without
// I/O. It follows Signal's "The PQXDH Key Agreement Protocol" (revision 3),
// adapted to Hush's device keys, with curve X25519, hash SHA-256 and pqkem
// ML-KEM-768 (FIPS 203, crypto/mlkem), so that a session recorded today stays
// secret against a future quantum computer while the elliptic-curve part still
// protects it if ML-KEM falls.
//
// Bob is a device that publishes prekeys; Alice is a device that opens a session
// with him while he may be offline. The steps:
//
//  1. Bob keeps his private prekeys in a [Store] ([NewStore]), makes as many new
//     one-time prekeys as his relay says it lacks ([Store.Replenish]; the store
//     keeps the unused ones the relay may have handed out, up to twice what a
//     relay holds) and renews the signed ones ([Store.Rotate]); each of these
//     returns a [Publication] for his relay. Every prekey that is signed is signed
//     by his device key.
//  2. The relay serves Alice a [Bundle] for Bob's device: his device public key,
//     his signed prekey, one post-quantum prekey (a one-time one while any is left,
//     else the last-resort one) and at most one one-time X25519 prekey.
//  3. [Initiate] checks that the bundle is Bob's — the device key Alice trusts,
//     from his account's certificate — and that every signature verifies, then
//     computes the [Handshake] and the [InitialMessage] Alice sends with her first
//     ratchet message.
//  4. [Respond] finds the prekeys the message names in Bob's store, uses up the
//     one-time ones and computes the same [Handshake].
//
// Neither side learns here whether the other computed the same key: a tampered
// message, a forged initiator or a wrong ciphertext gives Bob another key, and
// the first ratchet message, encrypted under [Handshake.SharedKey] with
// [Handshake.AD] as associated data, fails to decrypt. The caller must then
// discard Bob's handshake and everything derived from it. Only a session whose
// first message decrypted is a session.
//
// # Hush's choices where the specification leaves them open
//
//   - info is [KDFInfo], "Hush_PQXDH_X25519_SHA-256_ML-KEM-768". SK is HKDF-SHA-256
//     of F ‖ DH1 ‖ DH2 ‖ DH3 [‖ DH4] ‖ SS, with F 32 bytes of 0xFF, a salt of 32
//     zero bytes, 32 bytes long.
//   - A device's identity key IK is its identity.DevicePublicKey: an Ed25519 key
//     that signs and an X25519 key for DH1 and DH2. Encode(IK) is the key's 64-byte
//     form (Ed25519 ‖ X25519), so AD binds the signing key too.
//   - AD is Encode(IK_A) ‖ Encode(IK_B) ‖ a SHA-256 transcript of everything else
//     the handshake used (the ephemeral key, the ids and public keys of Bob's
//     prekeys, the ML-KEM ciphertext); see [Handshake.AD]. The specification
//     allows binding more than the two identity keys; binding the prekeys and the
//     ciphertext means a first message authenticated under AD also proves both
//     sides saw one and the same handshake.
//   - Prekey ids are random 16-byte ids (ids.Prekey), so they say nothing about
//     how many keys a device made.
//
// # Deviations from the specification
//
//   - Signatures are Ed25519 by the device's own signing key (identity.DeviceKey.Sign,
//     purpose "pqxdh-prekey"), not XEdDSA by the X25519 identity key: a Hush
//     device has a separate Ed25519 key, certified by its account, and that is
//     the key Alice already trusts.
//   - EncodeEC and EncodeKEM are not a type byte and the raw key: each signed
//     prekey is a CBOR record naming its kind ([KindSignedPrekey],
//     [KindPQLastResort], [KindPQOneTime]), so a signature over one kind of key
//     cannot pass for another, and an X25519 key cannot pass for an ML-KEM one.
//   - Signed prekeys carry their creation time, so Bob can rotate them and Alice
//     can refuse a stale one.
//   - The initial message carries no ciphertext of its own: the first ratchet
//     message, sent with it, plays the specification's "initial ciphertext".
//   - There is no io.Reader parameter: since Go 1.26 crypto/ecdh ignores the one
//     it is given and crypto/mlkem takes none, so every key and the encapsulation
//     come from crypto/rand, which testing/cryptotest.SetGlobalRandom makes
//     deterministic in tests.
//
// What this package does not do: decide whether the initiator's device key is one
// the user trusts (the caller checks [InitialMessage.Initiator] against the
// contact's certified devices, as Alice's caller does for the bundle); detect a
// replay of an initial message that used no one-time prekey (it derives the same
// key again, as in the specification; the caller keeps sessions it has seen);
// encrypt anything.
package pqxdh

import (
	"errors"

	"hush/internal/strictcbor"
)

// KDFInfo is the info string of the key derivation, the specification's
// "info": it names the protocol and its parameters, so that a key derived here
// can never equal one another Hush protocol derives from the same inputs.
const KDFInfo = "Hush_PQXDH_X25519_SHA-256_ML-KEM-768"

// Labels for domain separation, each used for one purpose only.
const (
	// prekeyLabel is the identity.DeviceKey.Sign purpose of every signed prekey.
	prekeyLabel = "pqxdh-prekey"
	// transcriptLabel starts the transcript hash that AD ends with.
	transcriptLabel = "hush/v1/pqxdh/transcript"
)

// SharedKeySize is the size of [Handshake.SharedKey], the specification's SK.
const SharedKeySize = 32

// Sentinel errors callers branch on; the wrapped text says which check failed,
// for the log.
var (
	// ErrInvalidBundle reports a bundle or publication that does not parse:
	// malformed, too large, an unknown version or kind, a key of the wrong size.
	ErrInvalidBundle = errors.New("pqxdh: invalid prekey bundle")

	// ErrBadSignature reports a prekey whose signature does not verify under the
	// device key it came with: the relay (or someone on the way) replaced the key.
	ErrBadSignature = errors.New("pqxdh: bad prekey signature")

	// ErrWrongPeer reports a bundle of another device than the one the caller
	// expects: the relay served someone else's prekeys.
	ErrWrongPeer = errors.New("pqxdh: bundle is for another device")

	// ErrInvalidMessage reports an initial message that does not parse, or whose
	// ephemeral key gives a degenerate Diffie-Hellman value.
	ErrInvalidMessage = errors.New("pqxdh: invalid initial message")

	// ErrUnknownPrekey reports an initial message naming a prekey the store does
	// not hold: never made here, rotated out long ago, or a used one-time prekey
	// the store no longer remembers.
	ErrUnknownPrekey = errors.New("pqxdh: unknown prekey")

	// ErrPrekeyUsed reports an initial message naming a one-time prekey that an
	// earlier message already used: a replay, or two initiators served the same key.
	ErrPrekeyUsed = errors.New("pqxdh: one-time prekey already used")

	// ErrInvalidStore reports stored private prekeys that do not parse, or a store
	// used with another device's key.
	ErrInvalidStore = errors.New("pqxdh: invalid prekey store")
)

// enc encodes deterministically: one value has one encoding, which is what is
// signed, hashed and compared in the known-answer tests.
var enc = strictcbor.EncMode()

// dec reads bundles, publications' prekey records and initial messages: arrays
// of at most seven elements, at most three deep.
var dec = strictcbor.DecMode(strictcbor.Limits{MaxNesting: 4, MaxArray: 16, MaxMap: 16})

// listDec reads the lists of a publication and of a store, which hold up to
// [MaxOneTimePrekeys] keys and [maxUsedIDs] ids; each decoder then checks its own
// counts.
var listDec = strictcbor.DecMode(strictcbor.Limits{MaxNesting: 4, MaxArray: maxUsedIDs, MaxMap: 16})
