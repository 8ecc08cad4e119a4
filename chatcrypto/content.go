package chatcrypto

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"hush/identity"
	"hush/ids"
	"hush/policy"
)

// Limits of [Content]. Each is checked by [EncodeContent] (so a sender learns at once)
// and again by [DecodeContent] (so a modified client cannot get past them).
const (
	// MaxBodyBytes caps the text of a message or an edit, in bytes of UTF-8: 16 KiB,
	// which is 16384 Latin or about 5400 CJK characters — more than the 4096
	// characters of other messengers in every script — and keeps the encoded content
	// within [MaxContentSize].
	MaxBodyBytes = 16 << 10
	// MaxEmojiBytes caps a reaction: room for the longest emoji ZWJ and tag
	// sequences, too little for a hidden message.
	MaxEmojiBytes = 64
	// MaxAttachments caps the attachments of one message.
	MaxAttachments = 10
	// MaxFileNameBytes caps an attachment's file name, the common file system limit.
	MaxFileNameBytes = 255
	// MaxMIMEBytes caps an attachment's media type (RFC 6838 allows 127 + 1 + 127).
	MaxMIMEBytes = 255
	// MaxThumbnailBytes caps an attachment's preview (package thumbnail's limit).
	// The whole message must still fit [MaxContentSize].
	MaxThumbnailBytes = 16 << 10
	// MaxMembershipChanges caps the accounts one membership change adds, removes or
	// gives a new role, so that the largest change still fits [MaxContentSize].
	MaxMembershipChanges = 256
	// MaxTitleBytes caps a group's or channel's title (policy.MaxTitleBytes).
	MaxTitleBytes = policy.MaxTitleBytes
	// MaxSenderNameChars caps the sender's display name carried by a text message,
	// in characters (code points): 64, the limit of the welcome screen, so that
	// every name a person can choose travels, in any script. A valid name is thus
	// at most 4×64 = 256 bytes of UTF-8, which the decoder checks first.
	MaxSenderNameChars = 64
	// MaxAutoDelete caps an auto-delete time (a text's own, or a chat's setting):
	// a year and a day, past the longest a chat offers (a month), so that a later
	// version may offer more without older readers refusing it.
	MaxAutoDelete = 366 * 24 * time.Hour
	// MaxPreviewURLBytes caps a link preview's URL: the longest link a message
	// shows (frontend/src/lib/links.ts).
	MaxPreviewURLBytes = 2048
	// MaxPreviewTitleBytes, MaxPreviewDescriptionBytes and MaxPreviewSiteBytes cap
	// a link preview's texts (package linkpreview cuts what it fetches to the same).
	MaxPreviewTitleBytes       = 256
	MaxPreviewDescriptionBytes = 1 << 10
	MaxPreviewSiteBytes        = 64
)

// maxSenderNameBytes bounds a name in bytes before its characters are counted.
const maxSenderNameBytes = 4 * MaxSenderNameChars

// Kind says what a [Content] does. The values are part of the wire format.
type Kind uint8

// The kinds of content. Kinds not listed here decode with [ErrUnsupportedKind].
const (
	// KindText is a new message: text, attachments, or both.
	KindText Kind = 1
	// KindEdit replaces the text of an earlier message by the same sender.
	KindEdit Kind = 2
	// KindDelete deletes an earlier message for everyone.
	KindDelete Kind = 3
	// KindReaction adds or removes an emoji reaction to a message.
	KindReaction Kind = 4
	// KindMembership adds or removes group members or changes their roles. Only
	// a message from an admin may change membership: the caller checks the sender
	// [Open] authenticated against its group state.
	KindMembership Kind = 5
	// KindChatMeta sets a group's or channel's metadata (its title). Like
	// membership, only an admin's may be applied: the caller checks the sender.
	KindChatMeta Kind = 6
	// KindPin pins a message of the chat for every member, or unpins it. Any member
	// who may post may pin; the caller checks the sender.
	KindPin Kind = 7
	// KindAutoDelete sets the chat's auto-delete time for the texts sent from now
	// on, or turns it off. Only a member who may set it (either member of a direct
	// chat, an admin of a group or channel) may: the caller checks the sender.
	KindAutoDelete Kind = 8
)

// String names the kind, for logs.
func (k Kind) String() string {
	switch k {
	case KindText:
		return "text"
	case KindEdit:
		return "edit"
	case KindDelete:
		return "delete"
	case KindReaction:
		return "reaction"
	case KindMembership:
		return "membership"
	case KindChatMeta:
		return "chat-meta"
	case KindPin:
		return "pin"
	case KindAutoDelete:
		return "auto-delete"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Content is what a cloud chat message says: its kind and the one payload of that
// kind. Exactly the field named by Kind is set; the others are nil. Counter and
// SentAt may go with any kind.
type Content struct {
	Kind       Kind
	Text       *Text
	Edit       *Edit
	Delete     *Delete
	Reaction   *Reaction
	Membership *Membership
	ChatMeta   *ChatMeta
	Pin        *Pin
	AutoDelete *AutoDelete
	// Counter numbers the sending device's messages in this chat: 1, 2, 3, … (0:
	// not said, older clients). A reader that sees a number skipped learns that
	// the relay withheld a message (docs/SECURITY.md, "Gaps and times").
	Counter uint64
	// SentAt is when the sender wrote the message, by its own clock, to the
	// millisecond (zero: not said). Readers show it rather than the relay's time.
	SentAt time.Time
}

// Text is a new message.
type Text struct {
	// Body is the message text; it may be empty only when there are attachments.
	Body string
	// ReplyTo is the message this one answers; zero for none.
	ReplyTo ids.Message
	// Attachments are files sent with the message, at most [MaxAttachments].
	Attachments []Attachment
	// SenderName is the display name the sender chose for itself, "" when the
	// sender does not say (older clients). It is authenticated as what the sender's
	// account says, inside the ciphertext, so the relay never learns it; but it is
	// self-chosen and may imitate someone else, so it never identifies anyone —
	// the pinned key and the @handle do. See [CheckSenderName] for its rules.
	SenderName string
	// ForwardedFrom is set on a message forwarded from another chat: the display
	// name of the original's sender, as the forwarder saw it ("" for none). It is
	// the forwarder's word, checked like [Text.SenderName]; the original's
	// ciphertext is never sent again.
	ForwardedFrom string
	// AutoDelete is how long after it was sent the message is deleted on every
	// device: the chat's auto-delete time when its sender wrote it, in whole
	// seconds up to [MaxAutoDelete]; zero for never. It travels with the message,
	// so no setting heard before or after it changes how long it lives.
	AutoDelete time.Duration
	// Preview is the sender's preview of one of the links in Body (nil: none). It
	// is what the sender's device says the page showed, nothing more: receivers
	// show it as such and never fetch the link themselves.
	Preview *LinkPreview
}

// LinkPreview is a preview of a web page a text links to, fetched by the sender's
// device (package linkpreview) and carried inside the sealed message.
type LinkPreview struct {
	// URL is the link previewed: exactly one of the https links of the text as
	// [LinksIn] finds them, so a preview cannot stand for a link the text lacks.
	URL string
	// Title, Description and SiteName are one paragraph each, without control
	// characters; at least one of Title and Description is set.
	Title       string
	Description string
	SiteName    string
	// Thumbnail is a JPEG of the page's image, at most [MaxThumbnailBytes]; nil if none.
	Thumbnail []byte
}

// Edit replaces the body of Target, an earlier text message of the same sender. The
// caller checks that the sender of the edit is the sender of the target.
type Edit struct {
	Target ids.Message
	Body   string
}

// Delete removes Target for everyone. The caller checks that the sender may delete it
// (its author, or an admin).
type Delete struct {
	Target ids.Message
}

// Reaction adds Emoji to Target, or removes it when Remove is set.
type Reaction struct {
	Target ids.Message
	Emoji  string
	Remove bool
}

// Pin pins Target, a message of the same chat, for every member; Unpin takes it
// off the chat's pinned messages.
type Pin struct {
	Target ids.Message
	Unpin  bool
}

// AutoDelete is a chat's auto-delete time as its sender sets it: TTL for the texts
// sent from now on, in whole seconds up to [MaxAutoDelete]; zero turns it off.
type AutoDelete struct {
	TTL time.Duration
}

// Member is an account added to a group. It carries the whole public key, not only
// the id, so every member can wrap the next epoch key to it.
type Member struct {
	Account identity.AccountPublicKey
	Role    policy.Role
}

// RoleChange gives an existing member a new role.
type RoleChange struct {
	Account ids.Account
	Role    policy.Role
}

// Membership changes who is in a group. It is authenticated like any message, by the
// sender's device signature chained to the sender's account key; callers apply it only
// if that account is an admin. A change that removes someone must be followed by a
// key rotation ([NewKeyLogEntry]) that leaves them out.
type Membership struct {
	Added   []Member
	Removed []ids.Account
	Roles   []RoleChange
}

// ChatMeta is a group's or channel's metadata as its sender sets it. It is a
// snapshot, not a change: every field this version knows is sent each time, and the
// newest applied message wins. Newer versions may add fields (a description, a
// picture); older readers ignore what they do not know and still apply the title.
type ChatMeta struct {
	// Title names the chat: one line of UTF-8, 1 to [MaxTitleBytes] bytes, without
	// control characters.
	Title string
	// Salt is the random salt of the title's commitment in the chat's membership log
	// (membership.TitleCommitment), [TitleSaltSize] bytes; readers apply the title
	// only when it matches the log's newest commitment. Empty in chats without a log.
	Salt []byte
}

// TitleSaltSize is the size of [ChatMeta.Salt] (membership.TitleSaltSize).
const TitleSaltSize = 32

// FileKeySize is the size of a [FileKey].
const FileKeySize = 32

// FileKey is the key an attachment is encrypted under. It travels only inside
// messages. It is a secret: it prints as "[REDACTED]" and is not comparable with ==.
type FileKey struct {
	_ [0]func() // not comparable with ==
	k [FileKeySize]byte
}

// FileKeyFromBytes builds a file key from its 32 bytes.
func FileKeyFromBytes(b []byte) (FileKey, error) {
	if len(b) != FileKeySize {
		return FileKey{}, fmt.Errorf("%w: file key must be %d bytes, got %d", ErrInvalidContent, FileKeySize, len(b))
	}
	var k FileKey
	copy(k.k[:], b)
	return k, nil
}

// Bytes returns a copy of the key; the caller should clear it after use.
func (k FileKey) Bytes() []byte { return append([]byte(nil), k.k[:]...) }

// Equal reports, in constant time, whether k and o are the same key.
func (k FileKey) Equal(o FileKey) bool { return subtle.ConstantTimeCompare(k.k[:], o.k[:]) == 1 }

// IsZero reports whether k is the zero value, which is never a usable key.
func (k FileKey) IsZero() bool { return k.Equal(FileKey{}) }

// String hides the key.
func (k FileKey) String() string { return "chatcrypto.FileKey([REDACTED])" }

// GoString hides the key from %#v as well.
func (k FileKey) GoString() string { return k.String() }

// LogValue hides the key from log/slog.
func (k FileKey) LogValue() slog.Value { return slog.StringValue("[REDACTED]") }

// Attachment describes a file sent with a message. The file itself is encrypted
// under Key and stored in the relay's blob store as FileID.
type Attachment struct {
	FileID ids.File
	Key    FileKey
	// Name is the file name shown and proposed when saving: no path separators.
	Name string
	// MIME is the media type, for example "image/png".
	MIME string
	// Size is the plaintext size in bytes.
	Size uint64
	// Thumbnail is a small JPEG preview of an image, made by the sender; nil if
	// none. At most [MaxThumbnailBytes]. Receivers show it only as an image.
	Thumbnail []byte
}

// contentWire is the CBOR form of [Content]: a map with small integer keys, every
// field optional, so new fields can be added without breaking older readers.
type contentWire struct {
	Kind        uint8            `cbor:"0,keyasint"`
	Body        string           `cbor:"1,keyasint,omitempty"`
	Target      []byte           `cbor:"2,keyasint,omitempty"`
	ReplyTo     []byte           `cbor:"3,keyasint,omitempty"`
	Emoji       string           `cbor:"4,keyasint,omitempty"`
	Remove      bool             `cbor:"5,keyasint,omitempty"`
	Attachments []attachmentWire `cbor:"6,keyasint,omitempty"`
	Added       []memberWire     `cbor:"7,keyasint,omitempty"`
	Removed     [][]byte         `cbor:"8,keyasint,omitempty"`
	Roles       []roleWire       `cbor:"9,keyasint,omitempty"`
	Title       string           `cbor:"10,keyasint,omitempty"`
	SenderName  string           `cbor:"11,keyasint,omitempty"`
	Counter     uint64           `cbor:"12,keyasint,omitempty"`
	SentAt      int64            `cbor:"13,keyasint,omitempty"`
	Salt        []byte           `cbor:"14,keyasint,omitempty"`
	Forwarded   string           `cbor:"15,keyasint,omitempty"`
	TTL         uint64           `cbor:"16,keyasint,omitempty"`
	Preview     *previewWire     `cbor:"17,keyasint,omitempty"`
}

// previewWire is the CBOR form of [LinkPreview] (content key 17).
type previewWire struct {
	URL         string `cbor:"0,keyasint"`
	Title       string `cbor:"1,keyasint,omitempty"`
	Description string `cbor:"2,keyasint,omitempty"`
	SiteName    string `cbor:"3,keyasint,omitempty"`
	Thumbnail   []byte `cbor:"4,keyasint,omitempty"`
}

type attachmentWire struct {
	FileID []byte `cbor:"0,keyasint"`
	Key    []byte `cbor:"1,keyasint"`
	Name   string `cbor:"2,keyasint"`
	MIME   string `cbor:"3,keyasint"`
	Size   uint64 `cbor:"4,keyasint"`
	// Thumbnail was added after the first version: omitted when empty, so
	// attachments without one encode as before.
	Thumbnail []byte `cbor:"5,keyasint,omitempty"`
}

type memberWire struct {
	_       struct{} `cbor:",toarray"`
	Account []byte
	Role    uint8
}

type roleWire struct {
	_       struct{} `cbor:",toarray"`
	Account []byte
	Role    uint8
}

// EncodeContent checks c against the rules of its kind and the limits above and
// returns its CBOR encoding, at most [MaxContentSize] bytes.
func EncodeContent(c Content) ([]byte, error) {
	w, err := c.toWire()
	if err != nil {
		return nil, fmt.Errorf("encode content: %w", err)
	}
	b, err := detEnc.Marshal(w)
	if err != nil {
		return nil, fmt.Errorf("encode content: %w", err)
	}
	if len(b) > MaxContentSize {
		return nil, fmt.Errorf("encode content: %w: %d bytes encoded, the limit is %d", ErrTooLarge, len(b), MaxContentSize)
	}
	return b, nil
}

// DecodeContent parses what [EncodeContent] produced, applying the same rules. Unknown
// fields are ignored; an unknown kind fails with [ErrUnsupportedKind] and returns a
// Content holding only that Kind, so the caller can show a placeholder.
func DecodeContent(b []byte) (Content, error) {
	if len(b) > MaxContentSize {
		return Content{}, fmt.Errorf("decode content: %w: %d bytes, the limit is %d", ErrTooLarge, len(b), MaxContentSize)
	}
	var w contentWire
	if err := contentDec.Unmarshal(b, &w); err != nil {
		return Content{}, fmt.Errorf("decode content: %w: %v", ErrInvalidContent, err)
	}
	c, err := w.toContent()
	if err != nil {
		return c, fmt.Errorf("decode content: %w", err)
	}
	return c, nil
}

// invalid wraps ErrInvalidContent with a reason.
func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidContent, fmt.Sprintf(format, args...))
}

func (c Content) toWire() (contentWire, error) {
	set := 0
	for _, p := range []bool{c.Text != nil, c.Edit != nil, c.Delete != nil, c.Reaction != nil, c.Membership != nil, c.ChatMeta != nil, c.Pin != nil, c.AutoDelete != nil} {
		if p {
			set++
		}
	}
	if set != 1 {
		return contentWire{}, invalid("%d payloads set, want exactly one", set)
	}
	w := contentWire{Kind: uint8(c.Kind), Counter: c.Counter}
	var err error
	if !c.SentAt.IsZero() {
		w.SentAt = c.SentAt.UnixMilli()
	}
	switch c.Kind {
	case KindText:
		if c.Text == nil {
			return contentWire{}, invalid("kind %v without its payload", c.Kind)
		}
		t := c.Text
		w.Body = t.Body
		w.SenderName = t.SenderName
		w.Forwarded = t.ForwardedFrom
		if w.TTL, err = ttlSeconds(t.AutoDelete); err != nil {
			return contentWire{}, err
		}
		if !t.ReplyTo.IsZero() {
			w.ReplyTo = t.ReplyTo[:]
		}
		if p := t.Preview; p != nil {
			if !slices.Contains(LinksIn(t.Body), p.URL) {
				return contentWire{}, invalid("link preview of %q, which is not a link of the text", p.URL)
			}
			w.Preview = &previewWire{URL: p.URL, Title: p.Title, Description: p.Description, SiteName: p.SiteName, Thumbnail: p.Thumbnail}
		}
		if w.Attachments, err = attachmentsToWire(t.Attachments); err != nil {
			return contentWire{}, err
		}
	case KindEdit:
		if c.Edit == nil {
			return contentWire{}, invalid("kind %v without its payload", c.Kind)
		}
		w.Target, w.Body = c.Edit.Target[:], c.Edit.Body
	case KindDelete:
		if c.Delete == nil {
			return contentWire{}, invalid("kind %v without its payload", c.Kind)
		}
		w.Target = c.Delete.Target[:]
	case KindReaction:
		if c.Reaction == nil {
			return contentWire{}, invalid("kind %v without its payload", c.Kind)
		}
		w.Target, w.Emoji, w.Remove = c.Reaction.Target[:], c.Reaction.Emoji, c.Reaction.Remove
	case KindMembership:
		if c.Membership == nil {
			return contentWire{}, invalid("kind %v without its payload", c.Kind)
		}
		m := c.Membership
		for _, a := range m.Added {
			if a.Account.IsZero() {
				return contentWire{}, invalid("added member without an account key")
			}
			w.Added = append(w.Added, memberWire{Account: a.Account.Bytes(), Role: uint8(a.Role)})
		}
		for _, id := range m.Removed {
			w.Removed = append(w.Removed, id[:])
		}
		for _, r := range m.Roles {
			w.Roles = append(w.Roles, roleWire{Account: r.Account[:], Role: uint8(r.Role)})
		}
	case KindChatMeta:
		if c.ChatMeta == nil {
			return contentWire{}, invalid("kind %v without its payload", c.Kind)
		}
		w.Title, w.Salt = c.ChatMeta.Title, c.ChatMeta.Salt
	case KindPin:
		if c.Pin == nil {
			return contentWire{}, invalid("kind %v without its payload", c.Kind)
		}
		w.Target, w.Remove = c.Pin.Target[:], c.Pin.Unpin
	case KindAutoDelete:
		if c.AutoDelete == nil {
			return contentWire{}, invalid("kind %v without its payload", c.Kind)
		}
		if w.TTL, err = ttlSeconds(c.AutoDelete.TTL); err != nil {
			return contentWire{}, err
		}
	default:
		return contentWire{}, fmt.Errorf("%w: %v", ErrUnsupportedKind, c.Kind)
	}
	// Run the decoder's checks on what we are about to send, so both sides apply one
	// set of rules.
	if _, err := w.toContent(); err != nil {
		return contentWire{}, err
	}
	return w, nil
}

// Bits naming the optional fields of [contentWire], to say which a kind uses.
const (
	fieldBody uint16 = 1 << iota
	fieldTarget
	fieldReplyTo
	fieldEmoji
	fieldRemove
	fieldAttachments
	fieldAdded
	fieldRemoved
	fieldRoles
	fieldTitle
	fieldSenderName
	fieldSalt
	fieldForwarded
	fieldTTL
	fieldPreview
)

// kindFields returns the fields kind k may carry, and whether k is known.
func kindFields(k Kind) (uint16, bool) {
	switch k {
	case KindText:
		return fieldBody | fieldReplyTo | fieldAttachments | fieldSenderName | fieldForwarded | fieldTTL | fieldPreview, true
	case KindEdit:
		return fieldBody | fieldTarget, true
	case KindDelete:
		return fieldTarget, true
	case KindReaction:
		return fieldTarget | fieldEmoji | fieldRemove, true
	case KindMembership:
		return fieldAdded | fieldRemoved | fieldRoles, true
	case KindChatMeta:
		return fieldTitle | fieldSalt, true
	case KindPin:
		return fieldTarget | fieldRemove, true
	case KindAutoDelete:
		return fieldTTL, true
	}
	return 0, false
}

// present returns the fields w carries.
func (w contentWire) present() uint16 {
	var m uint16
	for _, f := range []struct {
		bit uint16
		set bool
	}{
		{fieldBody, w.Body != ""}, {fieldTarget, w.Target != nil}, {fieldReplyTo, w.ReplyTo != nil},
		{fieldEmoji, w.Emoji != ""}, {fieldRemove, w.Remove}, {fieldAttachments, w.Attachments != nil},
		{fieldAdded, w.Added != nil}, {fieldRemoved, w.Removed != nil}, {fieldRoles, w.Roles != nil},
		{fieldTitle, w.Title != ""}, {fieldSenderName, w.SenderName != ""}, {fieldSalt, w.Salt != nil},
		{fieldForwarded, w.Forwarded != ""}, {fieldTTL, w.TTL != 0}, {fieldPreview, w.Preview != nil},
	} {
		if f.set {
			m |= f.bit
		}
	}
	return m
}

// toContent validates w and converts it. All of the kind rules live here.
func (w contentWire) toContent() (Content, error) {
	k := Kind(w.Kind)
	uses, known := kindFields(k)
	if !known {
		if k == 0 {
			return Content{}, invalid("no kind")
		}
		return Content{Kind: k}, fmt.Errorf("%w: %v", ErrUnsupportedKind, k)
	}
	// Fields a kind does not use must be absent, so that one content has one meaning.
	if extra := w.present() &^ uses; extra != 0 {
		return Content{}, invalid("a %v carries fields it does not use (mask %#x)", k, extra)
	}
	c := Content{Kind: k, Counter: w.Counter}
	switch {
	case w.SentAt < 0:
		return Content{}, invalid("sent at %d, before 1970", w.SentAt)
	case w.SentAt > 0:
		c.SentAt = time.UnixMilli(w.SentAt).UTC()
	}
	if w.TTL > uint64(MaxAutoDelete/time.Second) {
		return Content{}, invalid("auto-delete time of %d seconds, the limit is %d", w.TTL, uint64(MaxAutoDelete/time.Second))
	}
	ttl := time.Duration(w.TTL) * time.Second
	switch k {
	case KindText:
		t := &Text{Body: w.Body, SenderName: w.SenderName, ForwardedFrom: w.Forwarded, AutoDelete: ttl}
		if err := checkBody(w.Body, len(w.Attachments) > 0); err != nil {
			return Content{}, err
		}
		if w.SenderName != "" {
			if err := CheckSenderName(w.SenderName); err != nil {
				return Content{}, err
			}
		}
		if w.Forwarded != "" {
			// The same rules as a sender's name: it is shown as one.
			if err := CheckSenderName(w.Forwarded); err != nil {
				return Content{}, fmt.Errorf("forwarded from: %w", err)
			}
		}
		if w.ReplyTo != nil {
			id, err := messageIDOf(w.ReplyTo, "reply-to id")
			if err != nil {
				return Content{}, err
			}
			t.ReplyTo = id
		}
		var err error
		if t.Attachments, err = attachmentsFromWire(w.Attachments); err != nil {
			return Content{}, err
		}
		if w.Preview != nil {
			// A preview of a link the text does not have is dropped, the text kept:
			// it could only make a link the text lacks look vouched for.
			p, err := w.Preview.toPreview()
			if err != nil {
				return Content{}, fmt.Errorf("link preview: %w", err)
			}
			if slices.Contains(LinksIn(w.Body), p.URL) {
				t.Preview = p
			}
		}
		c.Text = t
	case KindEdit:
		target, err := messageIDOf(w.Target, "target id")
		if err != nil {
			return Content{}, err
		}
		if err := checkBody(w.Body, false); err != nil {
			return Content{}, err
		}
		c.Edit = &Edit{Target: target, Body: w.Body}
	case KindDelete:
		target, err := messageIDOf(w.Target, "target id")
		if err != nil {
			return Content{}, err
		}
		c.Delete = &Delete{Target: target}
	case KindReaction:
		target, err := messageIDOf(w.Target, "target id")
		if err != nil {
			return Content{}, err
		}
		if w.Emoji == "" || !utf8.ValidString(w.Emoji) {
			return Content{}, invalid("reaction needs an emoji in UTF-8")
		}
		if len(w.Emoji) > MaxEmojiBytes {
			return Content{}, fmt.Errorf("%w: emoji of %d bytes, the limit is %d", ErrTooLarge, len(w.Emoji), MaxEmojiBytes)
		}
		c.Reaction = &Reaction{Target: target, Emoji: w.Emoji, Remove: w.Remove}
	case KindMembership:
		m, err := w.toMembership()
		if err != nil {
			return Content{}, err
		}
		c.Membership = m
	case KindChatMeta:
		if err := checkTitle(w.Title); err != nil {
			return Content{}, err
		}
		if w.Salt != nil && len(w.Salt) != TitleSaltSize {
			return Content{}, invalid("title salt of %d bytes", len(w.Salt))
		}
		c.ChatMeta = &ChatMeta{Title: w.Title, Salt: w.Salt}
	case KindPin:
		target, err := messageIDOf(w.Target, "target id")
		if err != nil {
			return Content{}, err
		}
		c.Pin = &Pin{Target: target, Unpin: w.Remove}
	case KindAutoDelete:
		c.AutoDelete = &AutoDelete{TTL: ttl}
	}
	return c, nil
}

func (w contentWire) toMembership() (*Membership, error) {
	n := len(w.Added) + len(w.Removed) + len(w.Roles)
	if n == 0 {
		return nil, invalid("membership change changes nothing")
	}
	if n > MaxMembershipChanges {
		return nil, fmt.Errorf("%w: membership change of %d accounts, the limit is %d", ErrTooLarge, n, MaxMembershipChanges)
	}
	// Each account may appear once: "added and removed in one change" has no meaning.
	seen := make(map[ids.Account]bool, n)
	once := func(id ids.Account) error {
		if id.IsZero() {
			return invalid("zero account id")
		}
		if seen[id] {
			return invalid("account %v appears twice in one membership change", id)
		}
		seen[id] = true
		return nil
	}
	m := &Membership{}
	for _, a := range w.Added {
		pk, err := identity.ParseAccountPublicKey(a.Account)
		if err != nil {
			return nil, invalid("added account: %v", err)
		}
		if !policy.Role(a.Role).Valid() {
			return nil, invalid("unknown role %d", a.Role)
		}
		if err := once(pk.ID()); err != nil {
			return nil, err
		}
		m.Added = append(m.Added, Member{Account: pk, Role: policy.Role(a.Role)})
	}
	for _, b := range w.Removed {
		if len(b) != ids.Size {
			return nil, invalid("removed account id of %d bytes", len(b))
		}
		id := ids.Account(b)
		if err := once(id); err != nil {
			return nil, err
		}
		m.Removed = append(m.Removed, id)
	}
	for _, r := range w.Roles {
		if len(r.Account) != ids.Size {
			return nil, invalid("role change account id of %d bytes", len(r.Account))
		}
		if !policy.Role(r.Role).Valid() {
			return nil, invalid("unknown role %d", r.Role)
		}
		id := ids.Account(r.Account)
		if err := once(id); err != nil {
			return nil, err
		}
		m.Roles = append(m.Roles, RoleChange{Account: id, Role: policy.Role(r.Role)})
	}
	return m, nil
}

// attachmentsToWire is the content's key 6: one map per attachment.
func attachmentsToWire(as []Attachment) ([]attachmentWire, error) {
	if len(as) > MaxAttachments {
		return nil, fmt.Errorf("%w: %d attachments, the limit is %d", ErrTooLarge, len(as), MaxAttachments)
	}
	var out []attachmentWire
	for _, a := range as {
		if len(a.Thumbnail) > MaxThumbnailBytes {
			return nil, invalid("thumbnail of %d bytes exceeds %d", len(a.Thumbnail), MaxThumbnailBytes)
		}
		out = append(out, attachmentWire{
			FileID: a.FileID[:], Key: a.Key.k[:], Name: a.Name, MIME: a.MIME, Size: a.Size, Thumbnail: a.Thumbnail,
		})
	}
	return out, nil
}

// attachmentsFromWire reads key 6 back, applying every rule of an attachment.
func attachmentsFromWire(ws []attachmentWire) ([]Attachment, error) {
	if len(ws) > MaxAttachments {
		return nil, fmt.Errorf("%w: %d attachments, the limit is %d", ErrTooLarge, len(ws), MaxAttachments)
	}
	var out []Attachment
	for i, aw := range ws {
		a, err := aw.toAttachment()
		if err != nil {
			return nil, fmt.Errorf("attachment %d: %w", i, err)
		}
		out = append(out, a)
	}
	return out, nil
}

// EncodeAttachments encodes attachments alone, as the array of maps a text's
// content carries under key 6 (docs/PROTOCOL.md): for formats other than
// [Content] that carry files the same way, secret chats' texts (package chat). At
// most [MaxAttachments], each checked as [EncodeContent] checks it; nil for none.
func EncodeAttachments(as []Attachment) ([]byte, error) {
	if len(as) == 0 {
		return nil, nil
	}
	w, err := attachmentsToWire(as)
	if err != nil {
		return nil, fmt.Errorf("encode attachments: %w", err)
	}
	b, err := detEnc.Marshal(w)
	if err != nil {
		return nil, fmt.Errorf("encode attachments: %w", err)
	}
	return b, nil
}

// DecodeAttachments parses what [EncodeAttachments] produced, applying the same
// rules as [DecodeContent] to each attachment; empty input is none.
func DecodeAttachments(b []byte) ([]Attachment, error) {
	if len(b) == 0 {
		return nil, nil
	}
	if len(b) > MaxContentSize {
		return nil, fmt.Errorf("decode attachments: %w: %d bytes, the limit is %d", ErrTooLarge, len(b), MaxContentSize)
	}
	var w []attachmentWire
	if err := contentDec.Unmarshal(b, &w); err != nil {
		return nil, fmt.Errorf("decode attachments: %w: %v", ErrInvalidContent, err)
	}
	as, err := attachmentsFromWire(w)
	if err != nil {
		return nil, fmt.Errorf("decode attachments: %w", err)
	}
	return as, nil
}

func (aw attachmentWire) toAttachment() (Attachment, error) {
	if len(aw.FileID) != ids.Size {
		return Attachment{}, invalid("file id of %d bytes", len(aw.FileID))
	}
	key, err := FileKeyFromBytes(aw.Key)
	if err != nil {
		return Attachment{}, err
	}
	if key.IsZero() {
		return Attachment{}, invalid("zero file key")
	}
	if err := checkFileName(aw.Name); err != nil {
		return Attachment{}, err
	}
	if aw.MIME == "" || len(aw.MIME) > MaxMIMEBytes || !strings.Contains(aw.MIME, "/") {
		return Attachment{}, invalid("media type %q", aw.MIME)
	}
	for i := 0; i < len(aw.MIME); i++ {
		if c := aw.MIME[i]; c < 0x20 || c > 0x7e {
			return Attachment{}, invalid("media type with byte %#x", c)
		}
	}
	if len(aw.Thumbnail) > MaxThumbnailBytes {
		return Attachment{}, invalid("thumbnail of %d bytes exceeds %d", len(aw.Thumbnail), MaxThumbnailBytes)
	}
	return Attachment{FileID: ids.File(aw.FileID), Key: key, Name: aw.Name, MIME: aw.MIME, Size: aw.Size, Thumbnail: aw.Thumbnail}, nil
}

// toPreview checks a preview's caps; the caller checks its URL against the text.
func (pw previewWire) toPreview() (*LinkPreview, error) {
	if len(pw.URL) > MaxPreviewURLBytes {
		return nil, fmt.Errorf("%w: URL of %d bytes, the limit is %d", ErrTooLarge, len(pw.URL), MaxPreviewURLBytes)
	}
	if pw.Title == "" && pw.Description == "" {
		return nil, invalid("neither title nor description")
	}
	for _, f := range []struct {
		what, v string
		max     int
	}{{"title", pw.Title, MaxPreviewTitleBytes}, {"description", pw.Description, MaxPreviewDescriptionBytes}, {"site name", pw.SiteName, MaxPreviewSiteBytes}} {
		if len(f.v) > f.max {
			return nil, fmt.Errorf("%w: %s of %d bytes, the limit is %d", ErrTooLarge, f.what, len(f.v), f.max)
		}
		if err := checkLine(f.v); err != nil {
			return nil, fmt.Errorf("%s: %w", f.what, err)
		}
	}
	if len(pw.Thumbnail) > MaxThumbnailBytes {
		return nil, fmt.Errorf("%w: thumbnail of %d bytes, the limit is %d", ErrTooLarge, len(pw.Thumbnail), MaxThumbnailBytes)
	}
	return &LinkPreview{URL: pw.URL, Title: pw.Title, Description: pw.Description, SiteName: pw.SiteName, Thumbnail: pw.Thumbnail}, nil
}

// checkLine refuses text that is not UTF-8 or holds a character [spoofingRune]
// names (controls, line breaks, bidirectional formatting): a preview's texts are
// shown as single paragraphs under a message.
func checkLine(s string) error {
	if !utf8.ValidString(s) {
		return invalid("not UTF-8")
	}
	for _, r := range s {
		if spoofingRune(r) {
			return invalid("character %U", r)
		}
	}
	return nil
}

// ttlSeconds is an auto-delete time as the wire carries it: whole seconds, zero
// for none, at most [MaxAutoDelete].
func ttlSeconds(d time.Duration) (uint64, error) {
	switch {
	case d < 0, d%time.Second != 0:
		return 0, invalid("auto-delete time %v is not a whole number of seconds", d)
	case d > MaxAutoDelete:
		return 0, invalid("auto-delete time %v, the limit is %v", d, MaxAutoDelete)
	}
	return uint64(d / time.Second), nil
}

// checkFileName refuses names that could leave the download folder when saved, so
// that no later code path has to remember to.
func checkFileName(name string) error {
	switch {
	case name == "" || name == "." || name == "..":
		return invalid("file name %q", name)
	case len(name) > MaxFileNameBytes:
		return fmt.Errorf("%w: file name of %d bytes, the limit is %d", ErrTooLarge, len(name), MaxFileNameBytes)
	case !utf8.ValidString(name):
		return invalid("file name is not UTF-8")
	case strings.ContainsAny(name, "/\\\x00"):
		return invalid("file name %q contains a path separator or NUL", name)
	}
	return nil
}

// checkTitle applies policy.CheckTitle, the one rule for titles.
func checkTitle(title string) error {
	switch err := policy.CheckTitle(title); {
	case errors.Is(err, policy.ErrTitleTooLong):
		return fmt.Errorf("%w: %v", ErrTooLarge, err)
	case err != nil:
		return invalid("%v", err)
	}
	return nil
}

// CheckSenderName reports whether name may travel as [Text.SenderName]: one line of
// UTF-8, 1 to [MaxSenderNameChars] characters, without control characters, line or
// paragraph separators, or bidirectional formatting characters. A name is shown
// next to messages and in the chat list, where any of those could make it pass for
// something else (another name, a handle, a second line). The error matches
// [ErrInvalidContent] or [ErrTooLarge]. Callers use it to refuse a name before
// anything is sent; [EncodeContent] and [DecodeContent] apply it too.
func CheckSenderName(name string) error {
	switch {
	case name == "":
		return invalid("empty sender name")
	case len(name) > maxSenderNameBytes:
		return fmt.Errorf("%w: sender name of %d bytes, the limit is %d characters", ErrTooLarge, len(name), MaxSenderNameChars)
	case !utf8.ValidString(name):
		return invalid("sender name is not UTF-8")
	}
	if n := utf8.RuneCountInString(name); n > MaxSenderNameChars {
		return fmt.Errorf("%w: sender name of %d characters, the limit is %d", ErrTooLarge, n, MaxSenderNameChars)
	}
	for _, r := range name {
		if spoofingRune(r) {
			return invalid("sender name with character %U", r)
		}
	}
	return nil
}

// spoofingRune reports the characters a name must not hold: C0 and C1 controls,
// DEL, the line and paragraph separators, and the bidirectional embeddings,
// overrides and isolates, which can make text display as other text.
func spoofingRune(r rune) bool {
	switch {
	case r < 0x20, r >= 0x7f && r <= 0x9f:
		return true
	case r == 0x2028, r == 0x2029:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true
	}
	return false
}

func checkBody(body string, mayBeEmpty bool) error {
	if len(body) > MaxBodyBytes {
		return fmt.Errorf("%w: text of %d bytes, the limit is %d", ErrTooLarge, len(body), MaxBodyBytes)
	}
	if body == "" && !mayBeEmpty {
		return invalid("empty text")
	}
	if !utf8.ValidString(body) {
		return invalid("text is not UTF-8")
	}
	return nil
}

func messageIDOf(b []byte, what string) (ids.Message, error) {
	if len(b) != ids.Size {
		return ids.Message{}, invalid("%s of %d bytes, want %d", what, len(b), ids.Size)
	}
	id := ids.Message(b)
	if id.IsZero() {
		return ids.Message{}, invalid("zero %s", what)
	}
	return id, nil
}
