package chatcrypto

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"

	"hush/identity"
	"hush/ids"
)

// Labels of the key log construction.
const (
	// keyLogSigLabel is the signature purpose of key log envelopes (package identity
	// prefixes it with "hush/v1/sig/").
	keyLogSigLabel = "key-log-entry"
	// keyLogEnvelopeLabel starts the hash of a wrapped envelope in what is signed.
	keyLogEnvelopeLabel = "hush/v1/key-log-envelope"
)

// keyLogVersion is the only signed envelope layout this code writes and reads.
const keyLogVersion = 1

// Limits of key log entries.
const (
	// MaxKeyLogRecipients caps the member accounts one epoch key is wrapped to; the
	// relay allows 1000 members per chat (docs/PROTOCOL.md).
	MaxKeyLogRecipients = 1024
	// MaxSignedEnvelopeSize caps one member's signed envelope, the relay's limit for
	// a wrapped epoch key. Real ones are about 340 bytes.
	MaxSignedEnvelopeSize = 1024
)

// Envelope is one member's copy of an epoch key, made by [WrapEpochKey].
type Envelope struct {
	Recipient ids.Account
	Wrapped   []byte
}

// KeyLogEntry is the key of one epoch of one chat wrapped to every member account,
// before signing. Envelopes are in ascending order of Recipient, one per account.
type KeyLogEntry struct {
	ChatID    ids.Chat
	Epoch     uint64
	Envelopes []Envelope
}

// NewKeyLogEntry wraps key to each of members for one chat and epoch. Rotating after
// a member leaves means calling it with a fresh key ([NewEpochKey]), the next epoch
// and the members who remain, then [SignKeyLogEntry].
func NewKeyLogEntry(key EpochKey, chatID ids.Chat, epoch uint64, members []identity.AccountPublicKey) (KeyLogEntry, error) {
	if len(members) == 0 || len(members) > MaxKeyLogRecipients {
		return KeyLogEntry{}, fmt.Errorf("new key log entry: %d members, want 1 to %d", len(members), MaxKeyLogRecipients)
	}
	e := KeyLogEntry{ChatID: chatID, Epoch: epoch, Envelopes: make([]Envelope, 0, len(members))}
	for _, m := range members {
		env, err := WrapEpochKey(key, chatID, epoch, m)
		if err != nil {
			return KeyLogEntry{}, fmt.Errorf("new key log entry: %w", err)
		}
		e.Envelopes = append(e.Envelopes, Envelope{Recipient: m.ID(), Wrapped: env})
	}
	slices.SortFunc(e.Envelopes, func(a, b Envelope) int { return bytes.Compare(a.Recipient[:], b.Recipient[:]) })
	if err := e.check(); err != nil {
		return KeyLogEntry{}, fmt.Errorf("new key log entry: %w", err)
	}
	return e, nil
}

// check enforces the shape rules: 1 to MaxKeyLogRecipients envelopes of the right
// size, strictly ascending recipients (so none twice).
func (e KeyLogEntry) check() error {
	if len(e.Envelopes) == 0 || len(e.Envelopes) > MaxKeyLogRecipients {
		return fmt.Errorf("%w: %d envelopes, want 1 to %d", ErrMalformed, len(e.Envelopes), MaxKeyLogRecipients)
	}
	for i, env := range e.Envelopes {
		if len(env.Wrapped) != EnvelopeSize {
			return fmt.Errorf("%w: envelope %d is %d bytes, want %d", ErrMalformed, i, len(env.Wrapped), EnvelopeSize)
		}
		if i > 0 && bytes.Compare(e.Envelopes[i-1].Recipient[:], env.Recipient[:]) >= 0 {
			return fmt.Errorf("%w: envelopes not in strictly ascending order of recipient at %d", ErrMalformed, i)
		}
	}
	return nil
}

// SignedEnvelope is one member's signed envelope: what the relay stores for that
// member in the chat's key log and hands to that member's devices.
type SignedEnvelope struct {
	Recipient ids.Account
	Signed    []byte
}

// SignedKeyLogEntry is a [KeyLogEntry] signed by a member device: the body of the
// relay's PutEpoch request, one signed envelope per member.
type SignedKeyLogEntry struct {
	ChatID    ids.Chat
	Epoch     uint64
	Envelopes []SignedEnvelope
}

// Envelope returns the signed envelope for the account id, if there is one.
func (e SignedKeyLogEntry) Envelope(id ids.Account) ([]byte, bool) {
	i, found := slices.BinarySearchFunc(e.Envelopes, id, func(env SignedEnvelope, id ids.Account) int {
		return bytes.Compare(env.Recipient[:], id[:])
	})
	if !found {
		return nil, false
	}
	return e.Envelopes[i].Signed, true
}

// keyLogSigned is what the device signs for each member: the chat, the epoch, the
// recipient and the hash of the recipient's envelope. Each member gets a signature it
// can check alone, because the relay hands each member only its own envelope.
type keyLogSigned struct {
	_            struct{} `cbor:",toarray"`
	Version      uint8
	ChatID       []byte
	Epoch        uint64
	Recipient    []byte
	EnvelopeHash []byte
}

func keyLogSignedBytes(chatID ids.Chat, epoch uint64, recipient ids.Account, wrapped []byte) ([]byte, error) {
	h := sha256.New()
	h.Write([]byte(keyLogEnvelopeLabel))
	h.Write(wrapped)
	return detEnc.Marshal(keyLogSigned{
		Version:      keyLogVersion,
		ChatID:       chatID[:],
		Epoch:        epoch,
		Recipient:    recipient[:],
		EnvelopeHash: h.Sum(nil),
	})
}

// signedEnvelopeWire is one signed envelope as stored by the relay.
type signedEnvelopeWire struct {
	_       struct{} `cbor:",toarray"`
	Version uint8
	Wrapped []byte
	Cert    []byte
	Sig     []byte
}

// SignKeyLogEntry signs every envelope of e with the sender's device key; the
// sender's certificate travels inside each signed envelope.
func SignKeyLogEntry(e KeyLogEntry, s *Sender) (SignedKeyLogEntry, error) {
	if s == nil {
		return SignedKeyLogEntry{}, errors.New("sign key log entry: no sender")
	}
	if err := e.check(); err != nil {
		return SignedKeyLogEntry{}, fmt.Errorf("sign key log entry: %w", err)
	}
	out := SignedKeyLogEntry{ChatID: e.ChatID, Epoch: e.Epoch, Envelopes: make([]SignedEnvelope, 0, len(e.Envelopes))}
	for _, env := range e.Envelopes {
		tbs, err := keyLogSignedBytes(e.ChatID, e.Epoch, env.Recipient, env.Wrapped)
		if err != nil {
			return SignedKeyLogEntry{}, fmt.Errorf("sign key log entry: %w", err)
		}
		b, err := detEnc.Marshal(signedEnvelopeWire{
			Version: keyLogVersion,
			Wrapped: env.Wrapped,
			Cert:    s.cert,
			Sig:     s.dev.Sign(keyLogSigLabel, tbs),
		})
		if err != nil {
			return SignedKeyLogEntry{}, fmt.Errorf("sign key log entry: %w", err)
		}
		if len(b) > MaxSignedEnvelopeSize {
			return SignedKeyLogEntry{}, fmt.Errorf("sign key log entry: %w: signed envelope of %d bytes, the limit is %d", ErrTooLarge, len(b), MaxSignedEnvelopeSize)
		}
		out.Envelopes = append(out.Envelopes, SignedEnvelope{Recipient: env.Recipient, Signed: b})
	}
	return out, nil
}

// VerifyKeyLogEntry checks me's signed envelope of epoch epoch of chat chatID, as
// fetched from the key log, and returns the epoch key in it with the signer's
// certificate. It checks, in order: the format ([ErrMalformed]), the signer's
// certificate ([ErrBadSignature]), that it names one of the authorized accounts — the
// chat's admins, or both members of a one-to-one chat, with their pinned keys
// ([ErrWrongSender]) — that the signature covers this chat, epoch and recipient
// ([ErrBadSignature]: an envelope replayed from elsewhere fails here), and finally
// unwraps the key ([ErrDecrypt]). The caller checks that the epoch is the one it
// expects and that the signing device is not revoked.
func VerifyKeyLogEntry(signed []byte, chatID ids.Chat, epoch uint64, me *identity.AccountKey, authorized []identity.AccountPublicKey) (EpochKey, identity.Certificate, error) {
	if me == nil {
		return EpochKey{}, identity.Certificate{}, errors.New("verify key log entry: no account key")
	}
	w, err := parseSignedEnvelope(signed)
	if err != nil {
		return EpochKey{}, identity.Certificate{}, fmt.Errorf("verify key log entry: %w", err)
	}
	c, err := identity.ParseCertificate(w.Cert)
	if err != nil {
		return EpochKey{}, identity.Certificate{}, fmt.Errorf("verify key log entry: %w: %w", ErrBadSignature, err)
	}
	if !isAuthorized(c.Account, authorized) {
		return EpochKey{}, identity.Certificate{}, fmt.Errorf("verify key log entry: %w: account %v may not rotate keys of chat %v", ErrWrongSender, c.Account.ID(), chatID)
	}
	tbs, err := keyLogSignedBytes(chatID, epoch, me.ID(), w.Wrapped)
	if err != nil {
		return EpochKey{}, identity.Certificate{}, fmt.Errorf("verify key log entry: %w", err)
	}
	if err := c.Device.Verify(keyLogSigLabel, tbs, w.Sig); err != nil {
		return EpochKey{}, identity.Certificate{}, fmt.Errorf("verify key log entry: %w: not signed for chat %v epoch %d account %v: %w", ErrBadSignature, chatID, epoch, me.ID(), err)
	}
	k, err := UnwrapEpochKey(w.Wrapped, chatID, epoch, me)
	if err != nil {
		return EpochKey{}, identity.Certificate{}, fmt.Errorf("verify key log entry: %w", err)
	}
	return k, c, nil
}

// isAuthorized reports whether account is one of authorized. Ids are public and
// compared with ==; the keys are compared in constant time.
func isAuthorized(account identity.AccountPublicKey, authorized []identity.AccountPublicKey) bool {
	id := account.ID()
	for _, a := range authorized {
		if !a.IsZero() && a.ID() == id && a.Equal(account) {
			return true
		}
	}
	return false
}

// parseSignedEnvelope checks the format of a signed envelope; every failure is
// ErrMalformed.
func parseSignedEnvelope(b []byte) (signedEnvelopeWire, error) {
	if len(b) > MaxSignedEnvelopeSize {
		return signedEnvelopeWire{}, fmt.Errorf("%w: signed envelope of %d bytes, the limit is %d", ErrMalformed, len(b), MaxSignedEnvelopeSize)
	}
	var w signedEnvelopeWire
	if err := keyLogDec.Unmarshal(b, &w); err != nil {
		return signedEnvelopeWire{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if w.Version != keyLogVersion {
		return signedEnvelopeWire{}, fmt.Errorf("%w: unknown signed envelope version %d", ErrMalformed, w.Version)
	}
	if len(w.Wrapped) != EnvelopeSize {
		return signedEnvelopeWire{}, fmt.Errorf("%w: envelope of %d bytes, want %d", ErrMalformed, len(w.Wrapped), EnvelopeSize)
	}
	if len(w.Sig) != signatureSize {
		return signedEnvelopeWire{}, fmt.Errorf("%w: signature of %d bytes", ErrMalformed, len(w.Sig))
	}
	return w, nil
}
