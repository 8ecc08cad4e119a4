// Package chatcrypto is the end-to-end encryption of Hush cloud chats: the per-chat
// epoch keys, how they reach every member, how each message is sealed so that the
// relay carrying it learns only who posted to which chat, when, and a size bucket —
// and the content format of what is sealed.
//
// The construction, in short (docs/SECURITY.md, "Cloud chat encryption", has the
// byte-level details):
//
//   - A chat's messages are encrypted under an [EpochKey]: 32 random bytes, replaced
//     when a member leaves or is removed, and periodically. [NewKeyLogEntry] wraps an
//     epoch key to every member account with HPKE (RFC 9180, base mode, HKDF-SHA256,
//     ChaCha20Poly1305; see [WrapEpochKey]): with the hybrid post-quantum KEM
//     MLKEM768-X25519 to accounts that have an ML-KEM-768 key (envelope version 2),
//     with DHKEM(X25519) to older ones (version 1), binding chat, epoch and recipient
//     so an envelope cannot be replayed elsewhere. [SignKeyLogEntry] signs each
//     member's envelope with the rotating device's key, together with the membership
//     log head ([LogHead]) the key was made for (each member gets only its own
//     envelope from the relay, so each carries its own signature).
//     [ParseKeyLogEntry] checks a member's envelope against that device's
//     certificate and returns the signer and head, so the caller can decide whether
//     the signer could rotate keys at that head before [KeyLogEntryInfo.Open] opens
//     it.
//   - [Seal] encodes a [Content] with CBOR, pads it to one of a few size buckets,
//     encrypts it with XChaCha20-Poly1305 under a key derived with HKDF-SHA256 from
//     the epoch key and the message id, and signs the result with the sender's device
//     key (Ed25519). The device certificate travels inside the sealed message.
//   - [Open] checks, in order: the format, the certificate chain (device → the
//     pinned account key the caller expects), the signature, that the message belongs
//     to the chat, epoch and message id the caller expects, and only then decrypts.
//     Every failure is one of the sentinel errors below — never a panic and never a
//     partial plaintext. A reader that opens many messages passes a [CertCache], so
//     a device's certificate is verified once rather than with every message.
//
// The package does no I/O: it neither stores keys nor talks to the relay. Callers keep
// epoch keys in the vault ([EpochKey.Bytes], [EpochKeyFromBytes]) and decide who is a
// member or an admin; this package only proves who said what.
package chatcrypto
