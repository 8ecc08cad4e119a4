// Package wire is the Hush relay protocol: the binary frames a device and the relay
// exchange over one WebSocket per device at [Path], as specified in docs/PROTOCOL.md.
// Both sides import this package, so the encoding exists exactly once.
//
// Every WebSocket message is one [Frame]: a CBOR array holding the protocol version,
// the frame [Type], a request id and a body. Bodies are the typed structs of this
// package ([Send], [Ack], [Fetch], …), each encoded as a CBOR array by
// github.com/fxamacker/cbor/v2. [Decode] enforces hard limits before and while
// decoding (frame size, nesting depth, array lengths, exact id sizes, ciphertext
// sizes), so a peer cannot make the other side allocate or recurse without bound, and
// rejects anything malformed with an [*Error] carrying [CodeBadFrame],
// [CodeTooLarge] or [CodeUnsupportedVersion].
//
// Most callers need only [Encode], [Decode] and a type switch on [Frame.Body]:
//
//	b, err := wire.Encode(reqID, &wire.Send{ChatID: c, MsgID: m, Epoch: e, Ciphertext: ct})
//	f, err := wire.Decode(msg)
//	switch body := f.Body.(type) {
//	case *wire.Ack: …
//	case *wire.Error: …
//	}
//
// Relay failures arrive as [*Error] bodies; [Error] implements the error interface and
// matches the sentinel errors ([ErrRateLimited], [ErrHandleTaken], …) with errors.Is.
package wire

import (
	"fmt"
	"hush/internal/strictcbor"
	"hush/policy"
	"time"

	"github.com/fxamacker/cbor/v2"
)

// Path is where the relay serves the protocol WebSocket.
const Path = "/v1/ws"

// Version is the protocol version this package speaks. A relay lists the versions it
// accepts in [Hello]; the client writes the version it chose into every frame.
const Version = 2

// Limits every peer enforces. They are part of the protocol: a frame that exceeds one
// is rejected with [CodeTooLarge] or [CodeBadFrame].
const (
	// MaxFrameSize caps one encoded frame (one WebSocket message).
	MaxFrameSize = 256 << 10
	// MaxCiphertextSize caps the ciphertext of one chat message, account record or
	// inbox item. Attachments travel separately, in chunks.
	MaxCiphertextSize = 64 << 10
	// MaxEnvelopeSize caps one signed, wrapped epoch key (chatcrypto's key log
	// entries: about 360 bytes with X25519 alone, about 1.5 KiB with the hybrid
	// post-quantum envelope).
	MaxEnvelopeSize = 2 << 10
	// MaxAccountKeysSize caps an account's signed keys record (about 1.4 KiB).
	MaxAccountKeysSize = 2 << 10
	// MaxPageEntries caps the entries of one page ([Page], [AccountPage],
	// [InboxPage], [Epochs], [Chats]) and the Limit of the requests that ask for one.
	// A relay may return fewer, to keep a page under [MaxFrameSize].
	MaxPageEntries = 256
	// DefaultPageEntries is the page size a relay uses when a request says Limit 0.
	DefaultPageEntries = 100
	// MaxChatMembers caps the members of one chat (and the changes of one
	// [UpdateMembers], and the keys of one [PutEpoch]).
	MaxChatMembers = policy.MaxChatMembers
	// MaxDevicesPerAccount caps the non-revoked devices of one account.
	MaxDevicesPerAccount = 32
	// MaxHandleInput caps a handle as typed (with "@" and upper case) before
	// [NormalizeHandle] checks it.
	MaxHandleInput = 64
	// MaxErrorMessage caps the human-readable text of an [Error].
	MaxErrorMessage = 1024
	// MaxVersions caps the versions listed in [Hello].
	MaxVersions = 8
	// SignatureSize is the size of every signature on the wire (Ed25519).
	SignatureSize = 64
	// ChallengeSize is the size of the relay's authentication challenge.
	ChallengeSize = 32
	// LinkLifetime is how long a link session ([LinkOpen]) lives: the link code's
	// lifetime.
	LinkLifetime = 5 * time.Minute
	// MaxPrekeySize caps one signed prekey ([Prekey]): an ML-KEM-768 key (1 184
	// bytes), its id, its signature and their framing fit with room to spare.
	MaxPrekeySize = 2 << 10
	// MaxOneTimePrekeys caps the one-time prekeys of each kind one [PutPrekeys]
	// adds, and those a relay holds for one device.
	MaxOneTimePrekeys = 100
	// LowPrekeys is the count of one-time prekeys of either kind below which the
	// relay tells the device ([PrekeyCount] pushed) to publish more.
	LowPrekeys = 10
)

// maxNesting is the deepest a valid frame goes: frame → body → list → element → id.
const maxNesting = 6

// maxArray is the longest array a valid frame holds (members of a chat).
const maxArray = MaxChatMembers

// Type says which body a frame carries.
type Type uint8

// Frame types. Requests travel device → relay; responses carry the request's id back;
// pushes travel relay → device with request id 0.
const (
	TypeError          Type = 1  // relay → device: a request failed, or the connection is being closed
	TypeHello          Type = 2  // relay → device, first frame of every connection
	TypeAuth           Type = 3  // device → relay, answers Hello
	TypeAuthOK         Type = 4  // relay → device
	TypeOK             Type = 5  // relay → device: a request that returns nothing succeeded
	TypeRegisterHandle Type = 10 // device → relay → OK
	TypeLookupHandle   Type = 11 // device → relay → Account
	TypeLookupAccount  Type = 12 // device → relay → Account
	TypeAccount        Type = 13 // relay → device
	TypeGetUsage       Type = 14 // device → relay → Usage
	TypeUsage          Type = 15 // relay → device
	TypePutAccountKeys Type = 16 // device → relay → OK
	TypePutDeviceList  Type = 17 // device → relay → OK
	TypeDeviceListPush Type = 18 // push to the account's devices and its chats' members
	TypeCreateChat     Type = 20 // device → relay → ChatInfo
	TypeAppendLog      Type = 21 // device → relay → ChatInfo
	TypeGetChat        Type = 22 // device → relay → ChatInfo
	TypeChatInfo       Type = 23 // relay → device
	TypeChatList       Type = 24 // device → relay → Chats
	TypeChats          Type = 25 // relay → device
	TypeChatChanged    Type = 26 // push to every member, old and new
	TypeFetchLog       Type = 27 // device → relay → Log
	TypeLog            Type = 28 // relay → device
	TypePutEpoch       Type = 30 // device → relay → OK
	TypeFetchEpochs    Type = 31 // device → relay → Epochs
	TypeEpochs         Type = 32 // relay → device
	TypeNewEpoch       Type = 33 // push to every member: its own envelope
	TypeSend           Type = 40 // device → relay → Ack
	TypeAck            Type = 41 // relay → device, after a durable commit
	TypeFetch          Type = 42 // device → relay → Page
	TypePage           Type = 43 // relay → device
	TypePush           Type = 44 // push to every connected device of every member
	TypeMark           Type = 45 // device → relay → OK
	TypeReceipt        Type = 46 // push: a member's delivered/read position
	TypeTyping         Type = 47 // device → relay, no response, never stored
	TypeTypingPush     Type = 48 // push to the other members' devices
	TypeCatchUp        Type = 49 // push: the relay may have missed announcements; catch up from the store
	TypeAccountAppend  Type = 50 // device → relay → AccountAck
	TypeAccountAck     Type = 51 // relay → device, after a durable commit
	TypeAccountFetch   Type = 52 // device → relay → AccountPage
	TypeAccountPage    Type = 53 // relay → device
	TypeAccountPush    Type = 54 // push to the account's other devices
	TypeInboxSend      Type = 60 // device → relay → OK, after a durable commit
	TypeInboxFetch     Type = 61 // device → relay → InboxPage
	TypeInboxPage      Type = 62 // relay → device
	TypeInboxPush      Type = 63 // push to the target device
	TypeInboxAck       Type = 64 // device → relay → OK; deletes the items
	TypeLinkOpen       Type = 70 // new device → relay → OK, instead of Auth
	TypeLinkClaim      Type = 71 // device → relay → LinkOffer
	TypeLinkOffer      Type = 72 // relay → device
	TypeLinkSend       Type = 73 // either end → relay → OK
	TypeLinkPush       Type = 74 // push to the other end
	TypeLinkClosed     Type = 75 // push: the other end left, or the session expired
	TypePutPrekeys     Type = 80 // device → relay → PrekeyCount
	TypePrekeyCount    Type = 81 // relay → device; also pushed when one-time prekeys run low
	TypeFetchPrekeys   Type = 82 // device → relay → PrekeyBundle
	TypePrekeyBundle   Type = 83 // relay → device
)

// Body is the payload of a frame: one of the pointer types of this package
// (*[Send], *[Ack], …). The set is closed; other packages cannot add bodies.
type Body interface {
	// Type returns the frame type that carries this body.
	Type() Type
	// validate checks the limits Decode and Encode enforce beyond the CBOR shape.
	validate() error
}

// Frame is one decoded WebSocket message.
type Frame struct {
	Version uint16
	Type    Type
	// ReqID is chosen by the device for each request and echoed in the response; it is
	// 0 in pushes and in requests that expect no response ([Typing]).
	ReqID uint64
	Body  Body
}

type inEnvelope struct {
	_       struct{} `cbor:",toarray"`
	Version uint16
	Type    Type
	ReqID   uint64
	Body    cbor.RawMessage
}

type outEnvelope struct {
	_       struct{} `cbor:",toarray"`
	Version uint16
	Type    Type
	ReqID   uint64
	Body    any
}

// codec holds the CBOR modes; built once per process from constant options.
type codec struct {
	enc cbor.EncMode
	dec cbor.DecMode
}

// theCodec is immutable after package initialisation. No body uses a map, so maps
// get the smallest limit the library allows.
var theCodec = codec{
	enc: strictcbor.EncMode(),
	dec: strictcbor.DecMode(strictcbor.Limits{MaxNesting: maxNesting, MaxArray: maxArray, MaxMap: 16}),
}

// newBody returns an empty body for t, or nil if t is unknown.
func newBody(t Type) Body {
	switch t {
	case TypeError:
		return new(Error)
	case TypeHello:
		return new(Hello)
	case TypeAuth:
		return new(Auth)
	case TypeAuthOK:
		return new(AuthOK)
	case TypeOK:
		return new(OK)
	case TypeRegisterHandle:
		return new(RegisterHandle)
	case TypeLookupHandle:
		return new(LookupHandle)
	case TypeLookupAccount:
		return new(LookupAccount)
	case TypeAccount:
		return new(Account)
	case TypeGetUsage:
		return new(GetUsage)
	case TypeUsage:
		return new(Usage)
	case TypePutDeviceList:
		return new(PutDeviceList)
	case TypeLinkOpen:
		return new(LinkOpen)
	case TypeLinkClaim:
		return new(LinkClaim)
	case TypeLinkOffer:
		return new(LinkOffer)
	case TypeLinkSend:
		return new(LinkSend)
	case TypeLinkPush:
		return new(LinkPush)
	case TypeLinkClosed:
		return new(LinkClosed)
	case TypeDeviceListPush:
		return new(DeviceListPush)
	case TypeCreateChat:
		return new(CreateChat)
	case TypeAppendLog:
		return new(AppendLog)
	case TypeFetchLog:
		return new(FetchLog)
	case TypeLog:
		return new(Log)
	case TypePutAccountKeys:
		return new(PutAccountKeys)
	case TypeGetChat:
		return new(GetChat)
	case TypeChatInfo:
		return new(ChatInfo)
	case TypeChatList:
		return new(ChatList)
	case TypeChats:
		return new(Chats)
	case TypeChatChanged:
		return new(ChatChanged)
	case TypePutEpoch:
		return new(PutEpoch)
	case TypeFetchEpochs:
		return new(FetchEpochs)
	case TypeEpochs:
		return new(Epochs)
	case TypeNewEpoch:
		return new(NewEpoch)
	case TypeSend:
		return new(Send)
	case TypeAck:
		return new(Ack)
	case TypeFetch:
		return new(Fetch)
	case TypePage:
		return new(Page)
	case TypePush:
		return new(Push)
	case TypeMark:
		return new(Mark)
	case TypeReceipt:
		return new(Receipt)
	case TypeTyping:
		return new(Typing)
	case TypeTypingPush:
		return new(TypingPush)
	case TypeCatchUp:
		return new(CatchUp)
	case TypeAccountAppend:
		return new(AccountAppend)
	case TypeAccountAck:
		return new(AccountAck)
	case TypeAccountFetch:
		return new(AccountFetch)
	case TypeAccountPage:
		return new(AccountPage)
	case TypeAccountPush:
		return new(AccountPush)
	case TypeInboxSend:
		return new(InboxSend)
	case TypeInboxFetch:
		return new(InboxFetch)
	case TypeInboxPage:
		return new(InboxPage)
	case TypeInboxPush:
		return new(InboxPush)
	case TypeInboxAck:
		return new(InboxAck)
	case TypePutPrekeys:
		return new(PutPrekeys)
	case TypePrekeyCount:
		return new(PrekeyCount)
	case TypeFetchPrekeys:
		return new(FetchPrekeys)
	case TypePrekeyBundle:
		return new(PrekeyBundle)
	case TypeBlobBegin:
		return new(BlobBegin)
	case TypeBlobState:
		return new(BlobState)
	case TypeBlobPut:
		return new(BlobPut)
	case TypeBlobFinish:
		return new(BlobFinish)
	case TypeBlobGet:
		return new(BlobGet)
	case TypeBlobChunk:
		return new(BlobChunk)
	case TypeBlobDelete:
		return new(BlobDelete)
	}
	return nil
}

// Encode returns the frame carrying body under request id reqID, in the current
// [Version]. It checks the same limits [Decode] does, so a frame the peer would
// reject is refused here with the same [*Error].
func Encode(reqID uint64, body Body) ([]byte, error) {
	if body == nil {
		return nil, &Error{Code: CodeBadFrame, Message: "encode: nil body"}
	}
	if err := body.validate(); err != nil {
		return nil, err
	}
	b, err := theCodec.enc.Marshal(outEnvelope{Version: Version, Type: body.Type(), ReqID: reqID, Body: body})
	if err != nil {
		return nil, fmt.Errorf("encode %v frame: %w", body.Type(), err)
	}
	if len(b) > MaxFrameSize {
		return nil, &Error{Code: CodeTooLarge, Message: fmt.Sprintf("frame of %d bytes exceeds %d", len(b), MaxFrameSize)}
	}
	return b, nil
}

// Decode parses one frame. On failure it returns an [*Error] whose code says why
// ([CodeTooLarge], [CodeUnsupportedVersion] or [CodeBadFrame]) together with as much of
// the frame as was understood: when the envelope decoded, Frame.Type and Frame.ReqID
// are set, so the receiver can address its error response to the request.
func Decode(b []byte) (Frame, error) {
	if len(b) > MaxFrameSize {
		return Frame{}, &Error{Code: CodeTooLarge, Message: fmt.Sprintf("frame of %d bytes exceeds %d", len(b), MaxFrameSize)}
	}
	var env inEnvelope
	if err := theCodec.dec.Unmarshal(b, &env); err != nil {
		return Frame{}, badFrame("envelope: %v", err)
	}
	f := Frame{Version: env.Version, Type: env.Type, ReqID: env.ReqID}
	if env.Version != Version {
		return f, &Error{Code: CodeUnsupportedVersion, Message: fmt.Sprintf("protocol version %d is not supported; this side speaks %d", env.Version, Version)}
	}
	body := newBody(env.Type)
	if body == nil {
		return f, badFrame("unknown frame type %d", env.Type)
	}
	if err := theCodec.dec.Unmarshal(env.Body, body); err != nil {
		return f, badFrame("%v body: %v", env.Type, err)
	}
	if err := body.validate(); err != nil {
		return f, err
	}
	f.Body = body
	return f, nil
}

// Millis converts a time to the Unix milliseconds used for every timestamp on the wire.
func Millis(t time.Time) int64 { return t.UnixMilli() }

// Time converts Unix milliseconds from the wire to a time.
func Time(ms int64) time.Time { return time.UnixMilli(ms) }

// String returns the frame type's name, for logs.
func (t Type) String() string {
	if b := newBody(t); b != nil {
		return fmt.Sprintf("%T", b)[len("*wire."):]
	}
	return fmt.Sprintf("Type(%d)", uint8(t))
}

func badFrame(format string, args ...any) *Error {
	msg := fmt.Sprintf(format, args...)
	if len(msg) > MaxErrorMessage {
		msg = msg[:MaxErrorMessage]
	}
	return &Error{Code: CodeBadFrame, Message: msg}
}
