package chatcrypto

import "errors"

// Sentinel errors callers branch on. A message or key log entry that fails with any
// of them must be dropped with a visible warning (docs/SECURITY.md); the wrapped text says
// which check failed, for the log.
var (
	// ErrMalformed reports input that does not parse: wrong length, bad encoding,
	// unknown version, bad padding. Nothing about it was authenticated.
	ErrMalformed = errors.New("chatcrypto: malformed input")

	// ErrBadSignature reports a signature or device certificate that does not verify:
	// the input was forged or altered on the way.
	ErrBadSignature = errors.New("chatcrypto: bad signature")

	// ErrWrongSender reports a validly signed input from someone other than the caller
	// expected: a certificate naming another account, a header naming another device,
	// or a key log entry signed by an account not allowed to rotate the chat's keys.
	ErrWrongSender = errors.New("chatcrypto: wrong sender")

	// ErrWrongContext reports an authentic message that belongs to another chat,
	// epoch or message id than the one it was found under: the relay (or a member)
	// replayed or misfiled it.
	ErrWrongContext = errors.New("chatcrypto: message belongs to another chat, epoch or message id")

	// ErrDecrypt reports ciphertext that does not decrypt under the key given: most
	// often a key of another epoch, for example after the reader was removed.
	ErrDecrypt = errors.New("chatcrypto: cannot decrypt")

	// ErrTooLarge reports content over one of the size limits ([MaxContentSize],
	// [MaxBodyBytes], ...). The wrapped text names the limit.
	ErrTooLarge = errors.New("chatcrypto: too large")

	// ErrInvalidContent reports a [Content] that breaks the rules of its kind: a
	// missing field, invalid UTF-8, a payload that does not match the kind.
	ErrInvalidContent = errors.New("chatcrypto: invalid content")

	// ErrUnsupportedKind reports content of a kind this version does not know, most
	// likely sent by a newer client. It is authentic; show a placeholder.
	ErrUnsupportedKind = errors.New("chatcrypto: unsupported content kind")
)
