package chatcrypto

import (
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"golang.org/x/crypto/chacha20poly1305"

	"hush/identity"
	"hush/ids"
)

// Labels of the message construction. Each is used for exactly one purpose.
const (
	// messageKeyLabel is the HKDF info of message keys.
	messageKeyLabel = "hush/v1/message-key"
	// messageADLabel starts the AEAD associated data of every message.
	messageADLabel = "hush/v1/message-ad"
	// messageSigLabel is the signature purpose of sealed messages (package identity
	// prefixes it with "hush/v1/sig/").
	messageSigLabel = "cloud-message"
)

// messageVersion is the only sealed message layout this code writes and reads.
const messageVersion = 1

// Sizes of the sealed message format.
const (
	messageKeySize = chacha20poly1305.KeySize
	nonceSize      = chacha20poly1305.NonceSizeX
	tagSize        = chacha20poly1305.Overhead
	signatureSize  = 64

	// MaxSealedSize caps a sealed message at the relay's ciphertext limit (64 KiB,
	// docs/PROTOCOL.md). The largest bucket with a real certificate (about 180
	// bytes) and the header stays about 600 bytes below it; [Seal] refuses to produce
	// anything larger and [Open] refuses to parse it.
	MaxSealedSize = 64 << 10
)

// Sender is a device ready to seal messages and sign key log entries: its key and its
// certificate, checked once rather than on every message.
type Sender struct {
	dev     *identity.DeviceKey
	cert    []byte
	account ids.Account
	device  ids.Device
}

// NewSender checks that cert is a valid certificate of dev and returns the sender
// they make. The certificate travels with every message, so recipients can verify the
// chain device → account.
func NewSender(dev *identity.DeviceKey, cert []byte) (*Sender, error) {
	if dev == nil {
		return nil, errors.New("new sender: no device key")
	}
	c, err := identity.ParseCertificate(cert)
	if err != nil {
		return nil, fmt.Errorf("new sender: %w", err)
	}
	if !c.Device.Equal(dev.Public()) {
		return nil, fmt.Errorf("new sender: %w: the certificate is for device %v, not %v", ErrWrongSender, c.Device.ID(), dev.ID())
	}
	return &Sender{dev: dev, cert: append([]byte(nil), cert...), account: c.Account.ID(), device: dev.ID()}, nil
}

// Account returns the id of the account the sender's certificate names.
func (s *Sender) Account() ids.Account { return s.account }

// Device returns the id of the sender's device.
func (s *Sender) Device() ids.Device { return s.device }

// SealParams is what [Seal] needs: who sends, where, under which key, and what.
type SealParams struct {
	Sender    *Sender
	ChatID    ids.Chat
	Epoch     uint64
	EpochKey  EpochKey
	MessageID ids.Message
	Content   Content
}

// OpenParams is what [Open] checks a sealed message against. ChatID and MessageID
// are where the message was found (the relay's chat log entry); Epoch and EpochKey
// are the key the reader holds for the epoch the header names ([ReadHeader]); Sender
// is the sender's account key as pinned in the reader's contacts.
type OpenParams struct {
	ChatID    ids.Chat
	Epoch     uint64
	EpochKey  EpochKey
	MessageID ids.Message
	Sender    identity.AccountPublicKey
	// Certs, when set, saves verifying a certificate that verified before (see
	// [CertCache]); nil verifies every certificate.
	Certs *CertCache
}

// Header is the clear part of a sealed message. From [ReadHeader] it is only a claim;
// in a [Plaintext] it has been authenticated.
type Header struct {
	ChatID        ids.Chat
	Epoch         uint64
	MessageID     ids.Message
	SenderAccount ids.Account
	SenderDevice  ids.Device
}

// Plaintext is an opened message. Everything in it is authenticated.
type Plaintext struct {
	Header Header
	// Sender is the verified certificate of the sending device. The caller checks
	// that its device has not been revoked.
	Sender  identity.Certificate
	Content Content
}

// messageBody is the signed part of a sealed message.
type messageBody struct {
	_             struct{} `cbor:",toarray"`
	Version       uint8
	ChatID        []byte
	Epoch         uint64
	MessageID     []byte
	SenderAccount []byte
	SenderDevice  []byte
	Cert          []byte
	Nonce         []byte
	Ciphertext    []byte
}

// sealedMessage is the whole sealed message: the body as signed, and the signature.
type sealedMessage struct {
	_    struct{} `cbor:",toarray"`
	Body []byte
	Sig  []byte
}

// messageKey derives the key of one message: HKDF-SHA256 with the epoch key as input
// keying material and the message id as salt. A fresh key per message means a nonce
// collision could only ever matter within one message.
func messageKey(epochKey EpochKey, id ids.Message) ([]byte, error) {
	k, err := hkdf.Key(sha256.New, epochKey.k[:], id[:], messageKeyLabel, messageKeySize)
	if err != nil {
		return nil, fmt.Errorf("derive message key: %w", err)
	}
	return k, nil
}

// associatedData binds the ciphertext to its header: the label, the version, then
// the fixed-size chat id, epoch, message id, sender account id and sender device id.
func associatedData(h Header) []byte {
	b := make([]byte, 0, len(messageADLabel)+1+ids.Size+8+ids.Size+2*ids.Size)
	b = append(b, messageADLabel...)
	b = append(b, messageVersion)
	b = append(b, h.ChatID[:]...)
	b = binary.BigEndian.AppendUint64(b, h.Epoch)
	b = append(b, h.MessageID[:]...)
	b = append(b, h.SenderAccount[:]...)
	return append(b, h.SenderDevice[:]...)
}

// Seal encrypts and signs p.Content for the chat, epoch and message id in p. The
// result is what the relay stores; its size depends only on the padding bucket of the
// content (and the sender's certificate, which has a fixed size).
func Seal(p SealParams) ([]byte, error) { return sealWithRand(p, rand.Reader) }

// sealWithRand is [Seal] with the nonce drawn from r, so tests can be deterministic.
func sealWithRand(p SealParams, r io.Reader) ([]byte, error) {
	if p.Sender == nil {
		return nil, errors.New("seal: no sender")
	}
	if p.EpochKey.IsZero() {
		return nil, errors.New("seal: zero epoch key")
	}
	content, err := EncodeContent(p.Content)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	padded, err := pad(content)
	clear(content)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	defer clear(padded)
	h := Header{
		ChatID:        p.ChatID,
		Epoch:         p.Epoch,
		MessageID:     p.MessageID,
		SenderAccount: p.Sender.account,
		SenderDevice:  p.Sender.device,
	}
	key, err := messageKey(p.EpochKey, p.MessageID)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	defer clear(key)
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	nonce := make([]byte, nonceSize)
	if _, err := io.ReadFull(r, nonce); err != nil {
		return nil, fmt.Errorf("seal: nonce: %w", err)
	}
	body, err := detEnc.Marshal(messageBody{
		Version:       messageVersion,
		ChatID:        h.ChatID[:],
		Epoch:         h.Epoch,
		MessageID:     h.MessageID[:],
		SenderAccount: h.SenderAccount[:],
		SenderDevice:  h.SenderDevice[:],
		Cert:          p.Sender.cert,
		Nonce:         nonce,
		Ciphertext:    aead.Seal(nil, nonce, padded, associatedData(h)),
	})
	if err != nil {
		return nil, fmt.Errorf("seal: encode: %w", err)
	}
	out, err := detEnc.Marshal(sealedMessage{Body: body, Sig: p.Sender.dev.Sign(messageSigLabel, body)})
	if err != nil {
		return nil, fmt.Errorf("seal: encode: %w", err)
	}
	if len(out) > MaxSealedSize {
		// Only a certificate far larger than any this code issues gets here.
		return nil, fmt.Errorf("seal: %w: sealed message of %d bytes, the limit is %d", ErrTooLarge, len(out), MaxSealedSize)
	}
	return out, nil
}

// parsed is a sealed message taken apart, nothing yet verified.
type parsed struct {
	header Header
	body   []byte // exactly the signed bytes
	sig    []byte
	cert   []byte
	nonce  []byte
	ct     []byte
}

// parseSealed checks the format of a sealed message; every failure is ErrMalformed.
func parseSealed(b []byte) (parsed, error) {
	if len(b) > MaxSealedSize {
		return parsed{}, fmt.Errorf("%w: sealed message of %d bytes, the limit is %d", ErrMalformed, len(b), MaxSealedSize)
	}
	var sm sealedMessage
	if err := messageDec.Unmarshal(b, &sm); err != nil {
		return parsed{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	var mb messageBody
	if err := messageDec.Unmarshal(sm.Body, &mb); err != nil {
		return parsed{}, fmt.Errorf("%w: body: %v", ErrMalformed, err)
	}
	if mb.Version != messageVersion {
		return parsed{}, fmt.Errorf("%w: unknown message version %d", ErrMalformed, mb.Version)
	}
	for _, f := range []struct {
		name string
		b    []byte
		n    int
	}{
		{"chat id", mb.ChatID, ids.Size},
		{"message id", mb.MessageID, ids.Size},
		{"sender account id", mb.SenderAccount, ids.Size},
		{"sender device id", mb.SenderDevice, ids.Size},
		{"nonce", mb.Nonce, nonceSize},
		{"signature", sm.Sig, signatureSize},
	} {
		if len(f.b) != f.n {
			return parsed{}, fmt.Errorf("%w: %s of %d bytes, want %d", ErrMalformed, f.name, len(f.b), f.n)
		}
	}
	if len(mb.Cert) > identity.MaxCertificateSize {
		return parsed{}, fmt.Errorf("%w: certificate of %d bytes", ErrMalformed, len(mb.Cert))
	}
	if !isBucket(len(mb.Ciphertext) - tagSize) {
		return parsed{}, fmt.Errorf("%w: ciphertext of %d bytes is not a padding bucket", ErrMalformed, len(mb.Ciphertext))
	}
	return parsed{
		header: Header{
			ChatID:        ids.Chat(mb.ChatID),
			Epoch:         mb.Epoch,
			MessageID:     ids.Message(mb.MessageID),
			SenderAccount: ids.Account(mb.SenderAccount),
			SenderDevice:  ids.Device(mb.SenderDevice),
		},
		body:  sm.Body,
		sig:   sm.Sig,
		cert:  mb.Cert,
		nonce: mb.Nonce,
		ct:    mb.Ciphertext,
	}, nil
}

// ReadHeader returns the header of a sealed message without verifying anything, so the
// caller can pick the epoch key and look up the sender's pinned account key before
// [Open]. Nothing in it may be trusted until Open succeeds.
func ReadHeader(sealed []byte) (Header, error) {
	p, err := parseSealed(sealed)
	if err != nil {
		return Header{}, fmt.Errorf("read header: %w", err)
	}
	return p.header, nil
}

// Open verifies and decrypts a message made by [Seal]. It checks, in order: the
// format ([ErrMalformed]), that the certificate is valid ([ErrBadSignature]) and names
// o.Sender ([ErrWrongSender]), the device signature ([ErrBadSignature]), that the
// header names the certified device and account ([ErrWrongSender]), that the chat,
// epoch and message id are the ones in o ([ErrWrongContext]), then decrypts
// ([ErrDecrypt]) and decodes the content ([ErrMalformed] with [ErrInvalidContent]).
//
// If the content is of a kind this version does not know, Open returns the
// authenticated Header and Sender with an error matching [ErrUnsupportedKind].
func Open(sealed []byte, o OpenParams) (Plaintext, error) {
	if o.Sender.IsZero() {
		return Plaintext{}, errors.New("open: no expected sender")
	}
	p, err := parseSealed(sealed)
	if err != nil {
		return Plaintext{}, fmt.Errorf("open: %w", err)
	}
	cert, err := o.Certs.parse(p.cert)
	if err != nil {
		return Plaintext{}, fmt.Errorf("open: %w: %w", ErrBadSignature, err)
	}
	if !cert.Account.Equal(o.Sender) {
		return Plaintext{}, fmt.Errorf("open: %w: certificate of account %v, expected %v", ErrWrongSender, cert.Account.ID(), o.Sender.ID())
	}
	if err := cert.Device.Verify(messageSigLabel, p.body, p.sig); err != nil {
		return Plaintext{}, fmt.Errorf("open: %w: %w", ErrBadSignature, err)
	}
	h := p.header
	if h.SenderAccount != cert.Account.ID() || h.SenderDevice != cert.Device.ID() {
		return Plaintext{}, fmt.Errorf("open: %w: header names device %v of account %v, certificate device %v", ErrWrongSender, h.SenderDevice, h.SenderAccount, cert.Device.ID())
	}
	switch {
	case h.ChatID != o.ChatID:
		return Plaintext{}, fmt.Errorf("open: %w: sealed for chat %v, found in %v", ErrWrongContext, h.ChatID, o.ChatID)
	case h.Epoch != o.Epoch:
		return Plaintext{}, fmt.Errorf("open: %w: sealed in epoch %d, opened as epoch %d", ErrWrongContext, h.Epoch, o.Epoch)
	case h.MessageID != o.MessageID:
		return Plaintext{}, fmt.Errorf("open: %w: sealed as message %v, found as %v", ErrWrongContext, h.MessageID, o.MessageID)
	}
	if o.EpochKey.IsZero() {
		return Plaintext{}, errors.New("open: zero epoch key")
	}
	key, err := messageKey(o.EpochKey, h.MessageID)
	if err != nil {
		return Plaintext{}, fmt.Errorf("open: %w", err)
	}
	defer clear(key)
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return Plaintext{}, fmt.Errorf("open: %w", err)
	}
	padded, err := aead.Open(nil, p.nonce, p.ct, associatedData(h))
	if err != nil {
		return Plaintext{}, fmt.Errorf("open: %w: message %v of epoch %d", ErrDecrypt, h.MessageID, h.Epoch)
	}
	defer clear(padded)
	content, err := unpad(padded)
	if err != nil {
		return Plaintext{}, fmt.Errorf("open: %w", err)
	}
	c, err := DecodeContent(content)
	switch {
	case err == nil:
		return Plaintext{Header: h, Sender: cert, Content: c}, nil
	case errors.Is(err, ErrUnsupportedKind):
		return Plaintext{Header: h, Sender: cert, Content: c}, fmt.Errorf("open: %w", err)
	default:
		return Plaintext{}, fmt.Errorf("open: %w: %w", ErrMalformed, err)
	}
}
