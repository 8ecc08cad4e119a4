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
	// keyLogSigLabel is the signature purpose of version 1 signed envelopes (package
	// identity prefixes it with "hush/v1/sig/"); read, no longer written.
	keyLogSigLabel = "key-log-entry"
	// keyLogSigLabelV2 is the signature purpose of version 2 signed envelopes, which
	// also bind the membership log head.
	keyLogSigLabelV2 = "key-log-entry-v2"
	// keyLogEnvelopeLabel starts the hash of a wrapped envelope in what is signed.
	keyLogEnvelopeLabel = "hush/v1/key-log-envelope"
)

// Signed envelope versions. Version 1 binds chat, epoch and recipient; version 2
// also the membership log head the epoch key was made for. [SignKeyLogEntry] writes
// version 2; [ParseKeyLogEntry] reads both.
const (
	keyLogV1 = 1
	keyLogV2 = 2
)

// Limits of key log entries.
const (
	// MaxKeyLogRecipients caps the member accounts one epoch key is wrapped to; the
	// relay allows 1000 members per chat (docs/PROTOCOL.md).
	MaxKeyLogRecipients = 1024
	// MaxSignedEnvelopeSize caps one member's signed envelope. The largest valid one
	// is 1 497 bytes (a version 2 envelope, a certificate with a 9-byte issue time, a
	// head sequence number of 9 bytes); real ones are about 1 486 bytes with a
	// version 2 envelope and 397 with a version 1 envelope.
	MaxSignedEnvelopeSize = 1536
)

// LogHead names a position of a chat's membership log: its sequence number and
// the hash of the record there. An epoch key is made for one head, and the
// signature over each envelope binds it, so a reader can check that the signer
// could rotate keys at that head. The zero value is "no head" (version 1 entries).
type LogHead struct {
	Seq  uint64
	Hash [32]byte
}

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
	Head      LogHead
	Envelopes []Envelope
}

// NewKeyLogEntry wraps key to each of members for one chat and epoch, made for the
// membership log head head. Rotating after a member leaves means calling it with a
// fresh key ([NewEpochKey]), the next epoch, the head that removed the member and
// the members who remain, then [SignKeyLogEntry]. Members with an ML-KEM key get a
// version 2 (post-quantum) envelope, the others version 1.
func NewKeyLogEntry(key EpochKey, chatID ids.Chat, epoch uint64, head LogHead, members []identity.AccountPublicKey) (KeyLogEntry, error) {
	if len(members) == 0 || len(members) > MaxKeyLogRecipients {
		return KeyLogEntry{}, fmt.Errorf("new key log entry: %d members, want 1 to %d", len(members), MaxKeyLogRecipients)
	}
	e := KeyLogEntry{ChatID: chatID, Epoch: epoch, Head: head, Envelopes: make([]Envelope, 0, len(members))}
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

// check enforces the shape rules: 1 to MaxKeyLogRecipients envelopes, each of a
// known version and its size, strictly ascending recipients (so none twice).
func (e KeyLogEntry) check() error {
	if len(e.Envelopes) == 0 || len(e.Envelopes) > MaxKeyLogRecipients {
		return fmt.Errorf("%w: %d envelopes, want 1 to %d", ErrMalformed, len(e.Envelopes), MaxKeyLogRecipients)
	}
	for i, env := range e.Envelopes {
		if err := checkEnvelope(env.Wrapped); err != nil {
			return fmt.Errorf("envelope %d: %w", i, err)
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
	Head      LogHead
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

// keyLogSigned is what a version 1 signature covers: the chat, the epoch, the
// recipient and the hash of the recipient's envelope. Each member gets a signature
// it can check alone, because the relay hands each member only its own envelope.
type keyLogSigned struct {
	_            struct{} `cbor:",toarray"`
	Version      uint8
	ChatID       []byte
	Epoch        uint64
	Recipient    []byte
	EnvelopeHash []byte
}

// keyLogSignedV2 is what a version 2 signature covers: version 1's fields and the
// membership log head.
type keyLogSignedV2 struct {
	_            struct{} `cbor:",toarray"`
	Version      uint8
	ChatID       []byte
	Epoch        uint64
	Recipient    []byte
	EnvelopeHash []byte
	HeadSeq      uint64
	HeadHash     []byte
}

// envelopeHash is SHA-256(label || envelope): what the signature covers in place of
// the envelope.
func envelopeHash(wrapped []byte) []byte {
	h := sha256.New()
	h.Write([]byte(keyLogEnvelopeLabel))
	h.Write(wrapped)
	return h.Sum(nil)
}

// keyLogSignedBytes is what the device signs for one recipient, in the given
// version (head is ignored for version 1).
func keyLogSignedBytes(version int, chatID ids.Chat, epoch uint64, recipient ids.Account, wrapped []byte, head LogHead) ([]byte, error) {
	if version == keyLogV1 {
		return detEnc.Marshal(keyLogSigned{
			Version: keyLogV1, ChatID: chatID[:], Epoch: epoch, Recipient: recipient[:], EnvelopeHash: envelopeHash(wrapped),
		})
	}
	return detEnc.Marshal(keyLogSignedV2{
		Version: keyLogV2, ChatID: chatID[:], Epoch: epoch, Recipient: recipient[:], EnvelopeHash: envelopeHash(wrapped),
		HeadSeq: head.Seq, HeadHash: head.Hash[:],
	})
}

// signedEnvelopeWire is a version 1 signed envelope as stored by the relay:
// CBOR [1, envelope, certificate, signature].
type signedEnvelopeWire struct {
	_       struct{} `cbor:",toarray"`
	Version uint8
	Wrapped []byte
	Cert    []byte
	Sig     []byte
}

// signedEnvelopeWireV2 is a version 2 signed envelope:
// CBOR [2, envelope, certificate, head seq, head hash, signature].
type signedEnvelopeWireV2 struct {
	_        struct{} `cbor:",toarray"`
	Version  uint8
	Wrapped  []byte
	Cert     []byte
	HeadSeq  uint64
	HeadHash []byte
	Sig      []byte
}

// SignKeyLogEntry signs every envelope of e with the sender's device key, binding
// e's chat, epoch, recipient and membership log head; the sender's certificate
// travels inside each signed envelope (version 2).
func SignKeyLogEntry(e KeyLogEntry, s *Sender) (SignedKeyLogEntry, error) {
	if s == nil {
		return SignedKeyLogEntry{}, errors.New("sign key log entry: no sender")
	}
	if err := e.check(); err != nil {
		return SignedKeyLogEntry{}, fmt.Errorf("sign key log entry: %w", err)
	}
	out := SignedKeyLogEntry{ChatID: e.ChatID, Epoch: e.Epoch, Head: e.Head, Envelopes: make([]SignedEnvelope, 0, len(e.Envelopes))}
	for _, env := range e.Envelopes {
		tbs, err := keyLogSignedBytes(keyLogV2, e.ChatID, e.Epoch, env.Recipient, env.Wrapped, e.Head)
		if err != nil {
			return SignedKeyLogEntry{}, fmt.Errorf("sign key log entry: %w", err)
		}
		b, err := detEnc.Marshal(signedEnvelopeWireV2{
			Version:  keyLogV2,
			Wrapped:  env.Wrapped,
			Cert:     s.cert,
			HeadSeq:  e.Head.Seq,
			HeadHash: e.Head.Hash[:],
			Sig:      s.dev.Sign(keyLogSigLabelV2, tbs),
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

// KeyLogEntryInfo is a signed envelope whose format, certificate and signature
// [ParseKeyLogEntry] checked, not yet opened. The caller decides from Signer and
// Head whether the signer could rotate the chat's keys, then calls
// [KeyLogEntryInfo.Open].
type KeyLogEntryInfo struct {
	// Version is the signed envelope's version: 1 (no head) or 2.
	Version int
	// Signer is the rotating device's certificate, verified against the account it
	// names; the caller compares that account with the keys it has pinned.
	Signer identity.Certificate
	// Head is the membership log head the epoch key was made for; zero for
	// version 1.
	Head LogHead
	// ChatID, Epoch and Recipient are what the signature was checked against.
	ChatID    ids.Chat
	Epoch     uint64
	Recipient ids.Account

	envelope []byte
}

// ParseKeyLogEntry checks a signed envelope as fetched from the key log, in order:
// the format ([ErrMalformed]), the certificate, signed by the account it names
// ([ErrBadSignature]), and the device's signature over the chat, epoch and recipient
// the caller expects — and, for version 2, the head in the envelope
// ([ErrBadSignature]: an envelope replayed from elsewhere fails here). It opens
// nothing: the caller checks the signer's permission at Head, then calls Open.
func ParseKeyLogEntry(signed []byte, chatID ids.Chat, epoch uint64, recipient ids.Account) (KeyLogEntryInfo, error) {
	w, err := parseSignedEnvelope(signed)
	if err != nil {
		return KeyLogEntryInfo{}, fmt.Errorf("parse key log entry: %w", err)
	}
	c, err := identity.ParseCertificate(w.Cert)
	if err != nil {
		return KeyLogEntryInfo{}, fmt.Errorf("parse key log entry: %w: %w", ErrBadSignature, err)
	}
	label := keyLogSigLabel
	if w.Version == keyLogV2 {
		label = keyLogSigLabelV2
	}
	tbs, err := keyLogSignedBytes(int(w.Version), chatID, epoch, recipient, w.Wrapped, w.head())
	if err != nil {
		return KeyLogEntryInfo{}, fmt.Errorf("parse key log entry: %w", err)
	}
	if err := c.Device.Verify(label, tbs, w.Sig); err != nil {
		return KeyLogEntryInfo{}, fmt.Errorf("parse key log entry: %w: not signed for chat %v epoch %d account %v: %w", ErrBadSignature, chatID, epoch, recipient, err)
	}
	return KeyLogEntryInfo{
		Version:   int(w.Version),
		Signer:    c,
		Head:      w.head(),
		ChatID:    chatID,
		Epoch:     epoch,
		Recipient: recipient,
		envelope:  w.Wrapped,
	}, nil
}

// Open unwraps the epoch key for me, from a version 1 or 2 envelope. It fails with
// [ErrDecrypt] when me is not the recipient the entry was parsed for or the envelope
// does not open, and with [ErrMalformed] for an entry [ParseKeyLogEntry] did not
// return.
func (e KeyLogEntryInfo) Open(me *identity.AccountKey) (EpochKey, error) {
	if me == nil {
		return EpochKey{}, errors.New("open key log entry: no account key")
	}
	if e.envelope == nil {
		return EpochKey{}, fmt.Errorf("open key log entry: %w: not a parsed entry", ErrMalformed)
	}
	if me.ID() != e.Recipient {
		return EpochKey{}, fmt.Errorf("open key log entry: %w: the entry is for account %v", ErrDecrypt, e.Recipient)
	}
	k, err := UnwrapEpochKey(e.envelope, e.ChatID, e.Epoch, me)
	if err != nil {
		return EpochKey{}, fmt.Errorf("open key log entry: %w", err)
	}
	return k, nil
}

// VerifyKeyLogEntry checks me's signed envelope of epoch epoch of chat chatID, as
// fetched from the key log, and returns the epoch key in it with the signer's
// certificate: [ParseKeyLogEntry], then that the signer's account is one of
// authorized — the chat's admins, or both members of a one-to-one chat, with their
// pinned keys ([ErrWrongSender]) — then [KeyLogEntryInfo.Open]. It ignores the
// membership log head: a caller that keeps the membership log uses ParseKeyLogEntry
// and checks the signer's permission at the head instead. The caller checks that
// the epoch is the one it expects and that the signing device is not revoked.
func VerifyKeyLogEntry(signed []byte, chatID ids.Chat, epoch uint64, me *identity.AccountKey, authorized []identity.AccountPublicKey) (EpochKey, identity.Certificate, error) {
	if me == nil {
		return EpochKey{}, identity.Certificate{}, errors.New("verify key log entry: no account key")
	}
	info, err := ParseKeyLogEntry(signed, chatID, epoch, me.ID())
	if err != nil {
		return EpochKey{}, identity.Certificate{}, fmt.Errorf("verify key log entry: %w", err)
	}
	if !isAuthorized(info.Signer.Account, authorized) {
		return EpochKey{}, identity.Certificate{}, fmt.Errorf("verify key log entry: %w: account %v may not rotate keys of chat %v", ErrWrongSender, info.Signer.Account.ID(), chatID)
	}
	k, err := info.Open(me)
	if err != nil {
		return EpochKey{}, identity.Certificate{}, fmt.Errorf("verify key log entry: %w", err)
	}
	return k, info.Signer, nil
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

// CBOR array headers of the two signed envelope shapes (arrays of 4 and 6
// elements); deterministic encoding writes each in one byte, so the first byte says
// which shape to decode.
const (
	arrayOf4 = 0x84
	arrayOf6 = 0x86
)

// parsedEnvelope is a signed envelope of either version, after its format checks.
type parsedEnvelope struct {
	Version  uint8
	Wrapped  []byte
	Cert     []byte
	HeadSeq  uint64
	HeadHash []byte
	Sig      []byte
}

func (p parsedEnvelope) head() LogHead {
	var h LogHead
	if p.Version == keyLogV2 {
		h.Seq = p.HeadSeq
		copy(h.Hash[:], p.HeadHash)
	}
	return h
}

// parseSignedEnvelope checks the format of a signed envelope of either version;
// every failure is ErrMalformed. A version 1 entry holds only a version 1 envelope
// (none other existed); a version 2 entry holds either.
func parseSignedEnvelope(b []byte) (parsedEnvelope, error) {
	if len(b) > MaxSignedEnvelopeSize {
		return parsedEnvelope{}, fmt.Errorf("%w: signed envelope of %d bytes, the limit is %d", ErrMalformed, len(b), MaxSignedEnvelopeSize)
	}
	if len(b) == 0 {
		return parsedEnvelope{}, fmt.Errorf("%w: empty signed envelope", ErrMalformed)
	}
	p, want, err := decodeSignedEnvelope(b)
	if err != nil {
		return parsedEnvelope{}, err
	}
	if p.Version != want {
		return parsedEnvelope{}, fmt.Errorf("%w: version %d in the layout of version %d", ErrMalformed, p.Version, want)
	}
	if want == keyLogV2 && len(p.HeadHash) != len(LogHead{}.Hash) {
		return parsedEnvelope{}, fmt.Errorf("%w: head hash of %d bytes", ErrMalformed, len(p.HeadHash))
	}
	if err := checkEnvelope(p.Wrapped); err != nil {
		return parsedEnvelope{}, err
	}
	if want == keyLogV1 && p.Wrapped[0] != envelopeV1 {
		return parsedEnvelope{}, fmt.Errorf("%w: a version 1 signed envelope holds only a version 1 envelope", ErrMalformed)
	}
	if len(p.Sig) != signatureSize {
		return parsedEnvelope{}, fmt.Errorf("%w: signature of %d bytes", ErrMalformed, len(p.Sig))
	}
	return p, nil
}

// decodeSignedEnvelope decodes b in the layout its first byte names and returns it
// with the version that layout must carry.
func decodeSignedEnvelope(b []byte) (parsedEnvelope, uint8, error) {
	var (
		p    parsedEnvelope
		want uint8
		err  error
	)
	switch b[0] {
	case arrayOf4:
		var w signedEnvelopeWire
		err = keyLogDec.Unmarshal(b, &w)
		p, want = parsedEnvelope{Version: w.Version, Wrapped: w.Wrapped, Cert: w.Cert, Sig: w.Sig}, keyLogV1
	case arrayOf6:
		var w signedEnvelopeWireV2
		err = keyLogDec.Unmarshal(b, &w)
		p = parsedEnvelope{Version: w.Version, Wrapped: w.Wrapped, Cert: w.Cert, HeadSeq: w.HeadSeq, HeadHash: w.HeadHash, Sig: w.Sig}
		want = keyLogV2
	default:
		return parsedEnvelope{}, 0, fmt.Errorf("%w: not a signed envelope of a known version", ErrMalformed)
	}
	if err != nil {
		return parsedEnvelope{}, 0, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return p, want, nil
}
