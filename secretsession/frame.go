package secretsession

import (
	"bytes"
	"fmt"

	"hush/ids"
	"hush/pqxdh"
	"hush/ratchet"
)

// frameWire is an encoded frame: CBOR [version, chat id, sender device id,
// recipient device id, initial message (empty for none), ratchet message].
type frameWire struct {
	_       struct{} `cbor:",toarray"`
	Version uint8
	Chat    ids.Chat
	From    ids.Device
	To      ids.Device
	Initial []byte
	Message []byte
}

// frame is a parsed frame. initial is the encoded initial message, nil for none;
// im is it parsed.
type frame struct {
	chat     ids.Chat
	from, to ids.Device
	initial  []byte
	im       pqxdh.InitialMessage
	message  []byte
}

// FrameInfo is what a frame says about itself in the clear, before anything is
// decrypted: enough to route it to its session, or to [Accept]. None of it is
// authenticated until the frame has opened.
type FrameInfo struct {
	// Chat is the chat the frame names.
	Chat ids.Chat
	// From and To are the sender's and the recipient's devices.
	From, To ids.Device
	// Initial reports whether the frame carries the handshake's initial message,
	// so that [Accept] can start a session with it.
	Initial bool
}

// ReadFrameInfo parses b and returns what it says in the clear, failing with
// [ErrMalformed] on anything [Session.Seal] does not write.
func ReadFrameInfo(b []byte) (FrameInfo, error) {
	f, err := parseFrame(b)
	if err != nil {
		return FrameInfo{}, err
	}
	return FrameInfo{Chat: f.chat, From: f.from, To: f.to, Initial: f.initial != nil}, nil
}

// encodeFrame writes f. An absent initial message is the empty byte string: a nil
// slice would encode as CBOR null, a second encoding of "none".
func encodeFrame(f *frame) ([]byte, error) {
	w := frameWire{
		Version: frameVersion,
		Chat:    f.chat,
		From:    f.from,
		To:      f.to,
		Initial: f.initial,
		Message: f.message,
	}
	if w.Initial == nil {
		w.Initial = []byte{}
	}
	out, err := enc.Marshal(w)
	if err != nil {
		return nil, fmt.Errorf("secretsession: encode frame: %w", err)
	}
	return out, nil
}

// parseFrame decodes and checks a frame. It accepts only what encodeFrame writes:
// the bytes are encoded again and compared, so a frame has one encoding.
func parseFrame(b []byte) (*frame, error) {
	if len(b) > MaxFrameSize {
		return nil, fmt.Errorf("%w: %d bytes, the limit is %d", ErrMalformed, len(b), MaxFrameSize)
	}
	var w frameWire
	if err := dec.Unmarshal(b, &w); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if w.Version != frameVersion {
		return nil, fmt.Errorf("%w: unknown version %d", ErrMalformed, w.Version)
	}
	if w.Chat.IsZero() || w.From.IsZero() || w.To.IsZero() {
		return nil, fmt.Errorf("%w: zero id", ErrMalformed)
	}
	if w.From == w.To {
		return nil, fmt.Errorf("%w: from a device to itself", ErrMalformed)
	}
	if len(w.Message) == 0 || len(w.Message) > ratchet.MaxMessageSize {
		return nil, fmt.Errorf("%w: ratchet message of %d bytes", ErrMalformed, len(w.Message))
	}
	f := &frame{chat: w.Chat, from: w.From, to: w.To, message: w.Message}
	if len(w.Initial) > 0 {
		im, err := pqxdh.ParseInitialMessage(w.Initial)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
		}
		if im.Initiator.ID() != w.From {
			return nil, fmt.Errorf("%w: the initial message is from device %s, the frame from %s", ErrMalformed, im.Initiator.ID(), w.From)
		}
		f.initial, f.im = w.Initial, im
	}
	again, err := encodeFrame(f)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(again, b) {
		return nil, fmt.Errorf("%w: not in its one encoding", ErrMalformed)
	}
	return f, nil
}

// associatedData is what every ratchet message of chat from device from to device
// to binds besides its header: see the package documentation.
func associatedData(handshakeAD []byte, chat ids.Chat, from, to ids.Device) []byte {
	ad := make([]byte, 0, len(adLabel)+2+adSize+3*ids.Size)
	ad = append(ad, adLabel...)
	ad = append(ad, 0, frameVersion)
	ad = append(ad, handshakeAD...)
	ad = append(ad, chat[:]...)
	ad = append(ad, from[:]...)
	return append(ad, to[:]...)
}
