package devicelink

import (
	"bytes"
	"fmt"

	"github.com/fxamacker/cbor/v2"

	"hush/identity"
)

// MaxMessageSize caps an encoded link message. The largest is a [SealedBundle]
// with the largest bundle ([MaxSealedBundleSize]); the rest are under 200 bytes.
const MaxMessageSize = 80 << 10

// Message is one of the link messages the two sides exchange through the relay:
// [Commit], [Reply], [Reveal], [SealedBundle] or [Decline]. The set is closed.
type Message interface {
	messageType() messageType
}

// messageType is the first element of every encoded message. The numbers are part
// of the format and never reused.
type messageType uint8

const (
	typeCommit  messageType = 1
	typeReply   messageType = 2
	typeReveal  messageType = 3
	typeBundle  messageType = 4
	typeDecline messageType = 5
)

// Commit is the sponsor's first message: the hash that binds it to the account key
// and nonce it reveals later, sent before it sees the newcomer's nonce.
type Commit struct {
	Hash [32]byte
}

// Reply is the newcomer's answer to a [Commit]: its nonce and the public key of the
// device key it will keep, which the account certifies at the end.
type Reply struct {
	Nonce  [NonceSize]byte
	Device []byte // identity.DevicePublicKey.Bytes(), 64 bytes
}

// Reveal opens the sponsor's [Commit]: the account's public key and the nonce.
type Reveal struct {
	Account []byte // identity.AccountPublicKey.Bytes(), 64 bytes
	Nonce   [NonceSize]byte
}

// SealedBundle carries the account's keys, sealed to the link key
// ([Sponsor.SealBundle]). The sponsor sends it only after the user confirmed the
// SAS.
type SealedBundle struct {
	Sealed []byte
}

// Decline ends an exchange early, from either side, and says why so the other can
// tell the user.
type Decline struct {
	Reason DeclineReason
}

func (Commit) messageType() messageType       { return typeCommit }
func (Reply) messageType() messageType        { return typeReply }
func (Reveal) messageType() messageType       { return typeReveal }
func (SealedBundle) messageType() messageType { return typeBundle }
func (Decline) messageType() messageType      { return typeDecline }

// DeclineReason says why a side ended the exchange. The numbers are part of the
// format; an unknown one does not decode.
type DeclineReason uint8

// The reasons a [Decline] can give.
const (
	// ReasonDeclined: the user refused the link on the sponsor.
	ReasonDeclined DeclineReason = 1
	// ReasonSASMismatch: the user said the two devices show different codes — a
	// relay may be in the middle; the UI should say so.
	ReasonSASMismatch DeclineReason = 2
	// ReasonCancelled: the user cancelled on either device.
	ReasonCancelled DeclineReason = 3
	// ReasonExpired: the code expired before the exchange finished.
	ReasonExpired DeclineReason = 4
	// ReasonInternal: the sending side failed (a check, its store); its log says
	// which.
	ReasonInternal DeclineReason = 5
)

// String names the reason, for logs.
func (r DeclineReason) String() string {
	switch r {
	case ReasonDeclined:
		return "declined"
	case ReasonSASMismatch:
		return "sas-mismatch"
	case ReasonCancelled:
		return "cancelled"
	case ReasonExpired:
		return "expired"
	case ReasonInternal:
		return "internal-error"
	}
	return fmt.Sprintf("DeclineReason(%d)", uint8(r))
}

func (r DeclineReason) valid() bool { return r >= ReasonDeclined && r <= ReasonInternal }

// envelope is the encoded message: CBOR [type, body], body an array of the type's
// fields.
type envelope struct {
	_    struct{} `cbor:",toarray"`
	Type messageType
	Body cbor.RawMessage
}

// Bodies. Fixed-size fields travel as byte strings and are checked for their exact
// length after decoding: the CBOR library would pad or cut a byte string decoded
// into a Go array.
type (
	commitBody struct {
		_    struct{} `cbor:",toarray"`
		Hash []byte
	}
	replyBody struct {
		_      struct{} `cbor:",toarray"`
		Nonce  []byte
		Device []byte
	}
	revealBody struct {
		_       struct{} `cbor:",toarray"`
		Account []byte
		Nonce   []byte
	}
	bundleBody struct {
		_      struct{} `cbor:",toarray"`
		Sealed []byte
	}
	declineBody struct {
		_      struct{} `cbor:",toarray"`
		Reason DeclineReason
	}
)

// EncodeMessage encodes m: CBOR [type, body], where body is an array of m's fields
// (docs/SECURITY.md, "Linking a device"). It refuses a message that
// [DecodeMessage] would refuse, with [ErrBadMessage].
func EncodeMessage(m Message) ([]byte, error) {
	var body any
	switch m := m.(type) {
	case Commit:
		body = commitBody{Hash: m.Hash[:]}
	case Reply:
		if len(m.Device) != identity.PublicKeySize {
			return nil, fmt.Errorf("%w: device key of %d bytes", ErrBadMessage, len(m.Device))
		}
		body = replyBody{Nonce: m.Nonce[:], Device: m.Device}
	case Reveal:
		if len(m.Account) != identity.PublicKeySize {
			return nil, fmt.Errorf("%w: account key of %d bytes", ErrBadMessage, len(m.Account))
		}
		body = revealBody{Account: m.Account, Nonce: m.Nonce[:]}
	case SealedBundle:
		if err := checkSealedSize(len(m.Sealed)); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrBadMessage, err)
		}
		body = bundleBody{Sealed: m.Sealed}
	case Decline:
		if !m.Reason.valid() {
			return nil, fmt.Errorf("%w: unknown decline reason %d", ErrBadMessage, m.Reason)
		}
		body = declineBody{Reason: m.Reason}
	default:
		return nil, fmt.Errorf("%w: %T is not a link message", ErrBadMessage, m)
	}
	b, err := enc.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("encode link message: %w", err)
	}
	out, err := enc.Marshal(envelope{Type: m.messageType(), Body: b})
	if err != nil {
		return nil, fmt.Errorf("encode link message: %w", err)
	}
	if len(out) > MaxMessageSize {
		return nil, fmt.Errorf("%w: %d bytes, the limit is %d", ErrBadMessage, len(out), MaxMessageSize)
	}
	return out, nil
}

// DecodeMessage decodes what [EncodeMessage] wrote, and only that: any other
// encoding of the same values, a wrong length, an unknown type or reason, or more
// than [MaxMessageSize] bytes fails with [ErrBadMessage]. Keys in it are checked
// for size only; the [Sponsor] and [Newcomer] steps parse them.
func DecodeMessage(b []byte) (Message, error) {
	if len(b) > MaxMessageSize {
		return nil, fmt.Errorf("%w: %d bytes, the limit is %d", ErrBadMessage, len(b), MaxMessageSize)
	}
	m, err := decodeMessage(b)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadMessage, err)
	}
	// The decoder accepts longer-than-needed headers; only the encoding
	// EncodeMessage writes is a message, so one message has one encoding.
	again, err := EncodeMessage(m)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(again, b) {
		return nil, fmt.Errorf("%w: non-canonical encoding", ErrBadMessage)
	}
	return m, nil
}

func decodeMessage(b []byte) (Message, error) {
	var env envelope
	if err := dec.Unmarshal(b, &env); err != nil {
		return nil, err
	}
	switch env.Type {
	case typeCommit:
		var body commitBody
		if err := dec.Unmarshal(env.Body, &body); err != nil {
			return nil, fmt.Errorf("commit: %v", err)
		}
		if len(body.Hash) != 32 {
			return nil, fmt.Errorf("commit hash of %d bytes", len(body.Hash))
		}
		return Commit{Hash: [32]byte(body.Hash)}, nil
	case typeReply:
		var body replyBody
		if err := dec.Unmarshal(env.Body, &body); err != nil {
			return nil, fmt.Errorf("reply: %v", err)
		}
		if len(body.Nonce) != NonceSize || len(body.Device) != identity.PublicKeySize {
			return nil, fmt.Errorf("reply of nonce %d and device key %d bytes", len(body.Nonce), len(body.Device))
		}
		return Reply{Nonce: [NonceSize]byte(body.Nonce), Device: body.Device}, nil
	case typeReveal:
		var body revealBody
		if err := dec.Unmarshal(env.Body, &body); err != nil {
			return nil, fmt.Errorf("reveal: %v", err)
		}
		if len(body.Account) != identity.PublicKeySize || len(body.Nonce) != NonceSize {
			return nil, fmt.Errorf("reveal of account key %d and nonce %d bytes", len(body.Account), len(body.Nonce))
		}
		return Reveal{Account: body.Account, Nonce: [NonceSize]byte(body.Nonce)}, nil
	case typeBundle:
		var body bundleBody
		if err := dec.Unmarshal(env.Body, &body); err != nil {
			return nil, fmt.Errorf("sealed bundle: %v", err)
		}
		if err := checkSealedSize(len(body.Sealed)); err != nil {
			return nil, err
		}
		return SealedBundle{Sealed: body.Sealed}, nil
	case typeDecline:
		var body declineBody
		if err := dec.Unmarshal(env.Body, &body); err != nil {
			return nil, fmt.Errorf("decline: %v", err)
		}
		if !body.Reason.valid() {
			return nil, fmt.Errorf("unknown decline reason %d", body.Reason)
		}
		return Decline{Reason: body.Reason}, nil
	}
	return nil, fmt.Errorf("unknown message type %d", env.Type)
}
