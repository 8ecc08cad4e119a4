package chat

import (
	"errors"
	"fmt"

	"github.com/fxamacker/cbor/v2"

	"hush/chatcrypto"
	"hush/ids"
	"hush/internal/strictcbor"
	"hush/vault"
)

// The engine keeps three records of its own inside the vault's opaque fields: the
// sync state of a chat (in vault.Chat.Extra), what a message holds beyond its text
// (in vault.Message.Extra) and what an outbox item asks for (in
// vault.OutboxItem.Payload). All are CBOR arrays with a version, decoded with hard
// limits like everything else read from disk.

// errBadRecord reports an engine record that does not decode.
var errBadRecord = errors.New("chat: malformed engine record")

const (
	metaVersion = 1

	// maxRecordSize caps an engine record before it is decoded.
	maxRecordSize = 64 << 10
	// maxFormerMembers caps the departed members a chat remembers (to check the
	// senders of old messages); the oldest are forgotten first.
	maxFormerMembers = 1000
)

// modes are the engine records' CBOR modes: built once from constant options,
// never written again.
var modes = struct {
	enc cbor.EncMode
	dec cbor.DecMode
}{
	enc: strictcbor.EncMode(),
	dec: strictcbor.DecMode(strictcbor.Limits{MaxNesting: 5, MaxArray: maxFormerMembers + 16, MaxMap: 16}),
}

// formerMember is an account that left (or was removed from) a chat, and the first
// epoch it is no longer part of. Its messages of earlier epochs stay valid.
type formerMember struct {
	_         struct{} `cbor:",toarray"`
	Account   []byte
	LeftEpoch uint64
}

// chatMeta is the engine's sync state of one chat.
type chatMeta struct {
	_       struct{} `cbor:",toarray"`
	Version uint8
	// Epoch is the relay's current epoch of the chat as last seen.
	Epoch uint64
	// FirstEpoch is the first epoch whose key this account holds (0: none yet);
	// messages of earlier epochs were sent before it joined.
	FirstEpoch uint64
	// NeedEpoch is the lowest epoch the next message may use: after a removal the
	// key must rotate to leave the removed member out.
	NeedEpoch uint64
	// MyDelivered and MyRead are this account's positions as marked.
	MyDelivered uint64
	MyRead      uint64
	// PeerDelivered and PeerRead are the highest positions of any other member:
	// this account's messages up to them are delivered / read.
	PeerDelivered uint64
	PeerRead      uint64
	Former        []formerMember
}

func encodeMeta(m chatMeta) ([]byte, error) {
	m.Version = metaVersion
	if n := len(m.Former); n > maxFormerMembers {
		m.Former = m.Former[n-maxFormerMembers:]
	}
	b, err := modes.enc.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encode chat state: %w", err)
	}
	return b, nil
}

// decodeMeta parses what encodeMeta wrote; an empty field is a fresh state.
func decodeMeta(b []byte) (chatMeta, error) {
	if len(b) == 0 {
		return chatMeta{Version: metaVersion}, nil
	}
	if len(b) > maxRecordSize {
		return chatMeta{}, fmt.Errorf("%w: chat state of %d bytes", errBadRecord, len(b))
	}
	var m chatMeta
	if err := modes.dec.Unmarshal(b, &m); err != nil {
		return chatMeta{}, fmt.Errorf("%w: chat state: %v", errBadRecord, err)
	}
	if m.Version != metaVersion {
		return chatMeta{}, fmt.Errorf("%w: chat state version %d", errBadRecord, m.Version)
	}
	if len(m.Former) > maxFormerMembers {
		return chatMeta{}, fmt.Errorf("%w: %d former members", errBadRecord, len(m.Former))
	}
	for _, f := range m.Former {
		if len(f.Account) != ids.Size {
			return chatMeta{}, fmt.Errorf("%w: former member id of %d bytes", errBadRecord, len(f.Account))
		}
	}
	return m, nil
}

// formerLeft returns the epoch from which a departed account is out, if it is one.
func (m *chatMeta) formerLeft(id ids.Account) (uint64, bool) {
	for i := len(m.Former) - 1; i >= 0; i-- {
		if ids.Account(m.Former[i].Account) == id {
			return m.Former[i].LeftEpoch, true
		}
	}
	return 0, false
}

// addFormer records that id left before epoch leftEpoch.
func (m *chatMeta) addFormer(id ids.Account, leftEpoch uint64) {
	for i := range m.Former {
		if ids.Account(m.Former[i].Account) == id {
			m.Former[i].LeftEpoch = leftEpoch
			return
		}
	}
	m.Former = append(m.Former, formerMember{Account: append([]byte(nil), id[:]...), LeftEpoch: leftEpoch})
}

// dropFormer forgets that id left, when it is added again.
func (m *chatMeta) dropFormer(id ids.Account) {
	out := m.Former[:0]
	for _, f := range m.Former {
		if ids.Account(f.Account) != id {
			out = append(out, f)
		}
	}
	m.Former = out
}

// messageMeta is what the engine keeps with a message beyond its text (in
// vault.Message.Extra): what stands for a text it has none of.
type messageMeta struct {
	_           struct{} `cbor:",toarray"`
	Version     uint8
	Placeholder Placeholder
}

const messageMetaVersion = 1

func encodeMessageMeta(p Placeholder) ([]byte, error) {
	if p == NoPlaceholder {
		return nil, nil
	}
	b, err := modes.enc.Marshal(messageMeta{Version: messageMetaVersion, Placeholder: p})
	if err != nil {
		return nil, fmt.Errorf("encode message state: %w", err)
	}
	return b, nil
}

func decodeMessageMeta(b []byte) (messageMeta, error) {
	if len(b) == 0 {
		return messageMeta{Version: messageMetaVersion}, nil
	}
	if len(b) > maxRecordSize {
		return messageMeta{}, fmt.Errorf("%w: message state of %d bytes", errBadRecord, len(b))
	}
	var m messageMeta
	if err := modes.dec.Unmarshal(b, &m); err != nil {
		return messageMeta{}, fmt.Errorf("%w: message state: %v", errBadRecord, err)
	}
	if m.Version != messageMetaVersion || m.Placeholder > Unsupported {
		return messageMeta{}, fmt.Errorf("%w: message state version %d, placeholder %d", errBadRecord, m.Version, m.Placeholder)
	}
	return m, nil
}

// placeholderOf says what stands for m's text; a record that does not decode
// stands for nothing (the text, if any, is shown).
func placeholderOf(m vault.Message) Placeholder {
	meta, err := decodeMessageMeta(m.Extra)
	if err != nil {
		return NoPlaceholder
	}
	return meta.Placeholder
}

// outboxPayload is what an outbox item asks the flusher to send: a text (the message
// with the item's id, read from the vault) or a chat's title. Kind is the content
// kind of chatcrypto it is sealed as.
type outboxPayload struct {
	_       struct{} `cbor:",toarray"`
	Version uint8
	Kind    chatcrypto.Kind
	Title   string // titles only
}

// Outbox payload versions. Version 1 numbered its kinds on its own (1 text, 2
// title); items written by it may still wait in an outbox and are read as the
// content kinds they stand for.
const (
	outboxVersion       = 2
	legacyOutboxVersion = 1
)

func encodeOutbox(p outboxPayload) ([]byte, error) {
	p.Version = outboxVersion
	b, err := modes.enc.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("encode outbox item: %w", err)
	}
	return b, nil
}

func decodeOutbox(b []byte) (outboxPayload, error) {
	if len(b) > maxRecordSize {
		return outboxPayload{}, fmt.Errorf("%w: outbox item of %d bytes", errBadRecord, len(b))
	}
	var p outboxPayload
	if err := modes.dec.Unmarshal(b, &p); err != nil {
		return outboxPayload{}, fmt.Errorf("%w: outbox item: %v", errBadRecord, err)
	}
	switch p.Version {
	case outboxVersion:
	case legacyOutboxVersion:
		switch p.Kind {
		case 1:
			p.Kind = chatcrypto.KindText
		case 2:
			p.Kind = chatcrypto.KindChatMeta
		default:
			return outboxPayload{}, fmt.Errorf("%w: outbox item kind %d", errBadRecord, p.Kind)
		}
		p.Version = outboxVersion
	default:
		return outboxPayload{}, fmt.Errorf("%w: outbox item version %d", errBadRecord, p.Version)
	}
	switch p.Kind {
	case chatcrypto.KindText:
		if p.Title != "" {
			return outboxPayload{}, fmt.Errorf("%w: message item with a title", errBadRecord)
		}
	case chatcrypto.KindChatMeta:
		if p.Title == "" || len(p.Title) > chatcrypto.MaxTitleBytes {
			return outboxPayload{}, fmt.Errorf("%w: title of %d bytes", errBadRecord, len(p.Title))
		}
	default:
		return outboxPayload{}, fmt.Errorf("%w: outbox item kind %d", errBadRecord, p.Kind)
	}
	return p, nil
}
