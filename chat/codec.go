package chat

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/fxamacker/cbor/v2"

	"hush/chatcrypto"
	"hush/ids"
	"hush/internal/strictcbor"
	"hush/membership"
	"hush/policy"
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
	// metaVersion 2 added the membership log, consent and counters; version 1
	// records are read and written back as 2. Version 2 later grew the shelf as its
	// last field; a state written before reads as an empty shelf.
	metaVersion = 2

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
	dec: strictcbor.DecMode(strictcbor.Limits{MaxNesting: 5, MaxArray: max(maxFormerMembers, maxSenderCounters) + 16, MaxMap: 16}),
}

// formerMember is an account that left (or was removed from) a chat, and the first
// epoch it is no longer part of. Its messages of earlier epochs stay valid.
type formerMember struct {
	_         struct{} `cbor:",toarray"`
	Account   []byte
	LeftEpoch uint64
}

// senderCounter is what this device has seen of one sending device's counters in a
// chat (chatcrypto.Content.Counter): the highest, and those below it not seen yet.
type senderCounter struct {
	_       struct{} `cbor:",toarray"`
	Device  []byte
	Account []byte
	High    uint64
	Missing []uint64
	// Lost counts numbers skipped beyond what Missing holds: they cannot arrive
	// later unnoticed, but are not remembered one by one.
	Lost uint64
}

// Limits of what a chat's state remembers of counters.
const (
	// maxSenderCounters bounds the sending devices a chat tracks; the least recently
	// heard are forgotten first (and start over when they send again). The state
	// must also fit one vault record: encodeMeta forgets more when it would not.
	maxSenderCounters = 512
	// maxMissing bounds the numbers remembered as missing per device; a larger jump
	// counts the rest without remembering each.
	maxMissing = 32
)

// Request states of a chat someone else started (docs/SECURITY.md, "Consent").
const (
	requestNone     uint8 = 0
	requestPending  uint8 = 1 // shown under Requests until the user accepts
	requestDeclined uint8 = 2 // hidden; its messages are not stored
)

// chatMeta is the engine's sync state of one chat.
type chatMeta struct {
	_       struct{} `cbor:",toarray"`
	Version uint8
	// Epoch is the newest epoch of the chat this device heard of.
	Epoch uint64
	// FirstEpoch is the first epoch whose key this account holds (0: none yet);
	// messages of earlier epochs were sent before it joined.
	FirstEpoch uint64
	// MyDelivered and MyRead are this account's positions as marked.
	MyDelivered uint64
	MyRead      uint64
	// PeerDelivered and PeerRead are the highest positions of any other member:
	// this account's messages up to them are delivered / read.
	PeerDelivered uint64
	PeerRead      uint64
	Former        []formerMember

	// The membership log as verified and stored (roster.go): its length and head,
	// the newest record that removed someone and the newest that changed who holds
	// the keys (each 1 + its seq, 0 for none), and the op of the head.
	LogLen      uint64
	LogHead     []byte
	HeadOp      uint8
	Removal     uint64
	KeyChange   uint64
	LegacyEpoch uint64 // membership.State.LegacyEpoch
	// KeyLogLen is the log length the newest epoch key is bound to: the key may
	// carry messages only while no removal follows it. KeyAt is when this device
	// got it (Unix milliseconds), for the periodic rotation.
	KeyLogLen uint64
	KeyAt     int64
	// Forked is set when the relay showed a log that does not continue the one
	// stored here: nothing more is applied or sent until the user sees it.
	Forked bool
	// Warned are the accounts the relay listed as members without a record, already
	// reported.
	Warned [][]byte
	// Request is the chat's consent state (requestNone, …); RequestBy who made this
	// account a member.
	Request   uint8
	RequestBy []byte
	// Unavailable is set while the relay does not serve the chat (it stopped
	// listing it, or this device talks to another relay); RemovedBy while a
	// verified record removed this account (zero: none).
	Unavailable bool
	RemovedBy   []byte
	// The title (docs/SECURITY.md, "Titles"): the log's newest title commitment and
	// the record that set it; the commitment the chat row's title matches, with its
	// salt (to share it again with members added later); and a title heard before
	// the record it matches (kept until the log catches up with it).
	LogTitle     []byte
	LogTitleBy   []byte
	TitleCommit  []byte
	TitleSalt    []byte
	PendingTitle string
	PendingSalt  []byte
	// NextCounter is the counter of this device's next message in the chat.
	NextCounter uint64
	// Senders are the other devices' counters.
	Senders []senderCounter
	// Shelf is how the user keeps the chat (archived, muted, a draft), shared with
	// the account's other devices through the account log.
	Shelf chatShelf
	// AutoDelete is the chat's auto-delete setting as applied (autodelete.go).
	AutoDelete autoDeleteState
}

// chatShelf is the user's own arrangement of a chat. A state written before it
// existed lacks the field and reads as the zero shelf (decodeMeta).
type chatShelf struct {
	_        struct{} `cbor:",toarray"`
	Archived bool
	Muted    bool
	Draft    string
	// DraftAt is when the draft was last changed (Unix milliseconds).
	DraftAt int64
}

// withNullFields returns the CBOR array b with n nulls appended: a record written
// before its layout grew n last fields, which then decode as those fields' zero.
func withNullFields(b []byte, n int) ([]byte, bool) {
	var fields []cbor.RawMessage
	if err := modes.dec.Unmarshal(b, &fields); err != nil {
		return nil, false
	}
	for range n {
		fields = append(fields, cbor.RawMessage{0xf6})
	}
	out, err := modes.enc.Marshal(fields)
	return out, err == nil
}

// unmarshalGrown decodes the engine record b into v, whose layout may have grown by
// up to grown last fields since b was written. It returns the error of decoding b
// as it is when no padding helps.
func unmarshalGrown(b []byte, v any, grown int) error {
	err := modes.dec.Unmarshal(b, v)
	for n := 1; err != nil && n <= grown; n++ {
		if padded, ok := withNullFields(b, n); ok && modes.dec.Unmarshal(padded, v) == nil {
			return nil
		}
	}
	return err
}

// sizeOr0 reports whether b is empty or n bytes long.
func sizeOr0(b []byte, n int) bool { return len(b) == 0 || len(b) == n }

// chatMetaV1 is what version 1 of the engine stored.
type chatMetaV1 struct {
	_             struct{} `cbor:",toarray"`
	Version       uint8
	Epoch         uint64
	FirstEpoch    uint64
	NeedEpoch     uint64
	MyDelivered   uint64
	MyRead        uint64
	PeerDelivered uint64
	PeerRead      uint64
	Former        []formerMember
}

func encodeMeta(m chatMeta) ([]byte, error) {
	m.Version = metaVersion
	if n := len(m.Former); n > maxFormerMembers {
		m.Former = m.Former[n-maxFormerMembers:]
	}
	if n := len(m.Senders); n > maxSenderCounters {
		m.Senders = m.Senders[n-maxSenderCounters:]
	}
	if n := len(m.Warned); n > maxFormerMembers {
		m.Warned = m.Warned[n-maxFormerMembers:]
	}
	for {
		b, err := modes.enc.Marshal(m)
		if err != nil {
			return nil, fmt.Errorf("encode chat state: %w", err)
		}
		if len(b) <= maxRecordSize || len(m.Senders) == 0 {
			return b, nil
		}
		// Too many senders heard with gaps to fit: forget the least recently heard.
		m.Senders = m.Senders[(len(m.Senders)+3)/4:]
	}
}

// decodeMeta parses what encodeMeta wrote (or version 1 did); an empty field is a
// fresh state.
func decodeMeta(b []byte) (chatMeta, error) {
	if len(b) == 0 {
		return chatMeta{Version: metaVersion}, nil
	}
	if len(b) > maxRecordSize {
		return chatMeta{}, fmt.Errorf("%w: chat state of %d bytes", errBadRecord, len(b))
	}
	var m chatMeta
	// Written before the shelf or the auto-delete setting: the same array, one or
	// two fields shorter.
	err := unmarshalGrown(b, &m, 2)
	if err != nil {
		var v1 chatMetaV1
		if err1 := modes.dec.Unmarshal(b, &v1); err1 != nil || v1.Version != 1 {
			return chatMeta{}, fmt.Errorf("%w: chat state: %v", errBadRecord, err)
		}
		// NeedEpoch meant a rotation was due; a chat without a log rotates no more
		// until its owner adopts it into a log, which a rotation follows.
		m = chatMeta{Version: metaVersion, Epoch: v1.Epoch, FirstEpoch: v1.FirstEpoch,
			MyDelivered: v1.MyDelivered, MyRead: v1.MyRead, PeerDelivered: v1.PeerDelivered, PeerRead: v1.PeerRead, Former: v1.Former}
	}
	if m.Version != metaVersion {
		return chatMeta{}, fmt.Errorf("%w: chat state version %d", errBadRecord, m.Version)
	}
	if err := m.check(); err != nil {
		return chatMeta{}, fmt.Errorf("%w: chat state: %v", errBadRecord, err)
	}
	return m, nil
}

// check applies the limits of every field read from disk.
func (m *chatMeta) check() error {
	if len(m.Former) > maxFormerMembers || len(m.Warned) > maxFormerMembers || len(m.Senders) > maxSenderCounters {
		return fmt.Errorf("%d former members, %d warned, %d senders", len(m.Former), len(m.Warned), len(m.Senders))
	}
	for _, f := range m.Former {
		if len(f.Account) != ids.Size {
			return fmt.Errorf("former member id of %d bytes", len(f.Account))
		}
	}
	for _, w := range m.Warned {
		if len(w) != ids.Size {
			return fmt.Errorf("warned id of %d bytes", len(w))
		}
	}
	for _, sc := range m.Senders {
		if len(sc.Device) != ids.Size || len(sc.Account) != ids.Size || len(sc.Missing) > maxMissing {
			return fmt.Errorf("sender counter of %d/%d bytes, %d missing", len(sc.Device), len(sc.Account), len(sc.Missing))
		}
	}
	switch {
	case len(m.LogHead) != 0 && len(m.LogHead) != membership.HashSize:
		return fmt.Errorf("log head of %d bytes", len(m.LogHead))
	case !sizeOr0(m.LogTitle, membership.HashSize), !sizeOr0(m.LogTitleBy, membership.HashSize), !sizeOr0(m.TitleCommit, membership.HashSize),
		!sizeOr0(m.TitleSalt, membership.TitleSaltSize), !sizeOr0(m.PendingSalt, membership.TitleSaltSize):
		return fmt.Errorf("title fields of %d/%d/%d/%d/%d bytes", len(m.LogTitle), len(m.LogTitleBy), len(m.TitleCommit), len(m.TitleSalt), len(m.PendingSalt))
	case len(m.RemovedBy) != 0 && len(m.RemovedBy) != ids.Size, len(m.RequestBy) != 0 && len(m.RequestBy) != ids.Size:
		return fmt.Errorf("removed or requested by an id of %d/%d bytes", len(m.RemovedBy), len(m.RequestBy))
	case m.Request > requestDeclined:
		return fmt.Errorf("request state %d", m.Request)
	case len(m.Shelf.Draft) > MaxDraftBytes:
		return fmt.Errorf("draft of %d bytes", len(m.Shelf.Draft))
	case !sizeOr0(m.AutoDelete.By, ids.Size), time.Duration(m.AutoDelete.TTL)*time.Second > chatcrypto.MaxAutoDelete:
		return fmt.Errorf("auto-delete of %d s set by a %d-byte id", m.AutoDelete.TTL, len(m.AutoDelete.By))
	}
	return nil
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
// vault.Message.Extra): what stands for a text it has none of, the line a service
// message shows, and whether the sender's clock disagreed with the relay's.
type messageMeta struct {
	_           struct{} `cbor:",toarray"`
	Version     uint8
	Placeholder Placeholder
	Service     *serviceLine
	ClockOff    bool
	// Counter is the number this device gave its own message (Content.Counter).
	Counter uint64
	// TTL is a secret message's self-destruct time after it is read (seconds, 0:
	// none); ExpiresAt when it goes (Unix milliseconds, 0: its countdown has not
	// started).
	TTL       uint32
	ExpiresAt int64
	// Acts is what was done to the message after it was sent (actions.go): deleted
	// for everyone, reactions, pinned, forwarded. Records written before it lack
	// the field and read as nil.
	Acts *messageActs
	// AutoDelete is a cloud message's own auto-delete time, in seconds (0: none;
	// autodelete.go): sealed into it when it is sent, its expiry a vault timer.
	AutoDelete uint32
	// Files is how many attachments the message came with (attachments.go), so
	// that only those messages look for their rows; records written before it
	// lack the field and read as 0.
	Files uint8
	// Preview is a text's link preview (linkpreview.go), as its sender's device
	// fetched it; nil for none. Records written before it lack the field.
	Preview *previewRecord
}

// messageMetaV2 is what version 2 stored: no self-destruct.
type messageMetaV2 struct {
	_           struct{} `cbor:",toarray"`
	Version     uint8
	Placeholder Placeholder
	Service     *serviceLine
	ClockOff    bool
	Counter     uint64
}

// messageMetaV1 is what version 1 stored: the placeholder alone.
type messageMetaV1 struct {
	_           struct{} `cbor:",toarray"`
	Version     uint8
	Placeholder Placeholder
}

// serviceLine is a [Service] as stored: account ids, not names, which are looked up
// when the line is shown.
type serviceLine struct {
	_       struct{} `cbor:",toarray"`
	Kind    ServiceKind
	Targets [][]byte
	Role    policy.Role
	Title   string
	Count   uint64
}

const messageMetaVersion = 3

func encodeMessageMeta(m messageMeta) ([]byte, error) {
	if m.Acts != nil && m.Acts.empty() {
		m.Acts = nil
	}
	if m.Placeholder == NoPlaceholder && m.Service == nil && !m.ClockOff && m.Counter == 0 && m.TTL == 0 && m.ExpiresAt == 0 && m.Acts == nil && m.AutoDelete == 0 && m.Files == 0 && m.Preview == nil {
		return nil, nil
	}
	m.Version = messageMetaVersion
	b, err := modes.enc.Marshal(m)
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
	// Written before Acts, AutoDelete, Files or Preview: the same array, up to
	// four fields shorter.
	err := unmarshalGrown(b, &m, 4)
	if err == nil && m.Version != messageMetaVersion {
		err = fmt.Errorf("version %d", m.Version)
	}
	if err != nil {
		var v2 messageMetaV2
		var v1 messageMetaV1
		switch {
		case modes.dec.Unmarshal(b, &v2) == nil && v2.Version == 2:
			m = messageMeta{Version: messageMetaVersion, Placeholder: v2.Placeholder, Service: v2.Service, ClockOff: v2.ClockOff, Counter: v2.Counter}
		case modes.dec.Unmarshal(b, &v1) == nil && v1.Version == 1:
			m = messageMeta{Version: messageMetaVersion, Placeholder: v1.Placeholder}
		default:
			return messageMeta{}, fmt.Errorf("%w: message state: %v", errBadRecord, err)
		}
	}
	if m.Version != messageMetaVersion || m.Placeholder > Deleted {
		return messageMeta{}, fmt.Errorf("%w: message state version %d, placeholder %d", errBadRecord, m.Version, m.Placeholder)
	}
	if l := m.Service; l != nil {
		if l.Kind < ServiceCreated || l.Kind > ServiceAutoDelete || len(l.Targets) > policy.MaxChatMembers {
			return messageMeta{}, fmt.Errorf("%w: service line of kind %d with %d targets", errBadRecord, l.Kind, len(l.Targets))
		}
		for _, t := range l.Targets {
			if len(t) != ids.Size {
				return messageMeta{}, fmt.Errorf("%w: service line target of %d bytes", errBadRecord, len(t))
			}
		}
	}
	if err := m.Acts.check(); err != nil {
		return messageMeta{}, fmt.Errorf("%w: message state: %v", errBadRecord, err)
	}
	if err := m.Preview.check(); err != nil {
		return messageMeta{}, fmt.Errorf("%w: message state: %v", errBadRecord, err)
	}
	return m, nil
}

// metaOf reads m's engine state; a record that does not decode stands for nothing
// (the text, if any, is shown).
func metaOf(m vault.Message) messageMeta {
	meta, err := decodeMessageMeta(m.Extra)
	if err != nil {
		return messageMeta{}
	}
	return meta
}

// placeholderOf says what stands for m's text.
func placeholderOf(m vault.Message) Placeholder { return metaOf(m).Placeholder }

// outboxPayload is what an outbox item asks the flusher to send: a text (the message
// with the item's id, read from the vault), with the number this device gives it in
// the chat. Kind is the content kind of chatcrypto it is sealed as.
type outboxPayload struct {
	_       struct{} `cbor:",toarray"`
	Version uint8
	Kind    chatcrypto.Kind
	Title   string // a title (KindChatMeta)
	Counter uint64
	// Salt is the salt of the title's commitment in the membership log (titles.go);
	// empty in items of versions 1 and 2 (then the title goes without it, for chats
	// without a log).
	Salt []byte
	// An action on an earlier message (version 4, actions.go): its target, the new
	// text of an edit, the emoji of a reaction, Remove for a reaction taken back or
	// a message unpinned, and At, when the user did it (Unix milliseconds), the
	// time the action is signed with.
	Target []byte
	Body   string
	Emoji  string
	Remove bool
	At     int64
	// TTL is an auto-delete setting's time in seconds (version 5, autodelete.go;
	// 0: off), signed with At.
	TTL uint32
}

// outboxPayloadV3 is the layout of version 3, without actions.
type outboxPayloadV3 struct {
	_       struct{} `cbor:",toarray"`
	Version uint8
	Kind    chatcrypto.Kind
	Title   string
	Counter uint64
	Salt    []byte
}

// outboxPayloadV2 is the layout of versions 1 and 2, without a counter.
type outboxPayloadV2 struct {
	_       struct{} `cbor:",toarray"`
	Version uint8
	Kind    chatcrypto.Kind
	Title   string
}

// Outbox payload versions. Version 1 numbered its kinds on its own (1 text, 2
// title); version 2 used the content kinds; version 3 adds the counter and the
// title's salt; version 4 the actions on earlier messages; version 5 the
// auto-delete setting. Items of older versions may still wait in an outbox: they go
// out without them.
const (
	outboxVersion       = 5
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
	// Version 4 is version 5 without its last field.
	if err := unmarshalGrown(b, &p, 1); err != nil {
		var v3 outboxPayloadV3
		var old outboxPayloadV2
		switch {
		case modes.dec.Unmarshal(b, &v3) == nil && v3.Version == 3:
			p = outboxPayload{Version: v3.Version, Kind: v3.Kind, Title: v3.Title, Counter: v3.Counter, Salt: v3.Salt}
		case modes.dec.Unmarshal(b, &old) == nil && old.Version < 3:
			p = outboxPayload{Version: old.Version, Kind: old.Kind, Title: old.Title}
		default:
			return outboxPayload{}, fmt.Errorf("%w: outbox item: %v", errBadRecord, err)
		}
	}
	action := p.Target != nil || p.Body != "" || p.Emoji != "" || p.Remove || p.At != 0 || p.TTL != 0
	switch p.Version {
	case outboxVersion, 4, 3, 2:
	case legacyOutboxVersion:
		switch p.Kind {
		case 1:
			p.Kind = chatcrypto.KindText
		case 2:
			p.Kind = chatcrypto.KindChatMeta
		default:
			return outboxPayload{}, fmt.Errorf("%w: outbox item kind %d", errBadRecord, p.Kind)
		}
	default:
		return outboxPayload{}, fmt.Errorf("%w: outbox item version %d", errBadRecord, p.Version)
	}
	switch {
	case p.Kind == chatcrypto.KindText && p.Title == "" && len(p.Salt) == 0 && !action:
	case p.Kind == chatcrypto.KindChatMeta && p.Title != "" && len(p.Title) <= chatcrypto.MaxTitleBytes && p.Counter == 0 &&
		(len(p.Salt) == 0 || len(p.Salt) == chatcrypto.TitleSaltSize) && !action:
	case isAction(p.Kind) && p.Title == "" && len(p.Salt) == 0 && p.Counter == 0 && len(p.Target) == ids.Size && p.At >= 0 && p.TTL == 0:
		// The content's own rules (body, emoji) are checked when it is sealed.
	case p.Kind == chatcrypto.KindAutoDelete && p.Title == "" && len(p.Salt) == 0 && p.Counter == 0 && p.Target == nil &&
		p.Body == "" && p.Emoji == "" && !p.Remove && p.At > 0 && time.Duration(p.TTL)*time.Second <= chatcrypto.MaxAutoDelete:
	default:
		return outboxPayload{}, fmt.Errorf("%w: outbox item version %d, kind %d, title of %d bytes", errBadRecord, p.Version, p.Kind, len(p.Title))
	}
	p.Version = outboxVersion
	return p, nil
}

// settingList reads a CBOR array kept as a sealed vault setting; none stored is an
// empty list.
func settingList[T any](tx *vault.Tx, name string) ([]T, error) {
	b, err := tx.Setting(name)
	if errors.Is(err, vault.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []T
	if err := stateDec.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("setting %s: %w", name, err)
	}
	return out, nil
}

// putSettingList keeps list as a sealed vault setting, a CBOR array.
func putSettingList[T any](tx *vault.Tx, name string, list []T) error {
	if list == nil {
		list = []T{}
	}
	b, err := stateEnc.Marshal(list)
	if err != nil {
		return err
	}
	return tx.PutSetting(name, b)
}

// movePeer raises the other members' positions to delivered and read, as far as
// they are higher. It reports whether they moved and the lowest position that moved:
// this account's messages above it may have changed state.
func (m *chatMeta) movePeer(delivered, read uint64) (bool, uint64) {
	if delivered <= m.PeerDelivered && read <= m.PeerRead {
		return false, 0
	}
	lo := uint64(math.MaxUint64)
	if delivered > m.PeerDelivered {
		lo = m.PeerDelivered
	}
	if read > m.PeerRead {
		lo = min(lo, m.PeerRead)
	}
	m.PeerDelivered = max(m.PeerDelivered, delivered)
	m.PeerRead = max(m.PeerRead, read)
	return true, lo
}
