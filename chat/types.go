package chat

import (
	"time"

	"hush/ids"
	"hush/policy"
)

// The engine's results are domain values: typed ids, the enums of package policy,
// times as time.Time. How the UI names and words them is package app's business.

// LinkState is the state of the link to the relay.
type LinkState uint8

// Link states.
const (
	// LinkConnecting: dialling or authenticating, for the first time or again.
	LinkConnecting LinkState = iota + 1
	// LinkOnline: authenticated; requests and pushes flow.
	LinkOnline
	// LinkOffline: not connected; RetryAt says when the next attempt starts.
	LinkOffline
)

// Connection is the link to the relay.
type Connection struct {
	State    LinkState
	RelayURL string
	// RetryAt is when the next attempt starts, while offline; zero when none is
	// planned.
	RetryAt time.Time
	// Err says why the link is down: it matches [ErrUnreachable],
	// [ErrConnectionLost] or [ErrRefused] (with the relay's reason, see
	// [RelayReason]); nil while online or connecting for the first time.
	Err error
	// ClockSkew is the relay's clock minus this device's, while online and only
	// when it is large enough to deserve a warning (times shown would be off); the
	// link works regardless.
	ClockSkew time.Duration
	// Handle is this account's handle once registered, "" before.
	Handle string
}

// Contact is another account whose keys this device pinned.
type Contact struct {
	Account ids.Account
	Handle  string
	// DisplayName is the name the account gave itself in its messages, else its
	// @handle; "" when neither is known.
	DisplayName string
	Fingerprint string
	Verified    bool
	// KeyChanged: the relay returned another key than the pinned one (or the
	// handle moved to another account); to be shown loudly until re-verified.
	KeyChanged bool
}

// SafetyNumber is what two people compare out of band.
type SafetyNumber struct {
	Digits string
	Emoji  []string
}

// Chat is a chat as the chat list shows it.
type Chat struct {
	ID   ids.Chat
	Kind policy.ChatKind
	// Title is the chat's title; for a direct chat the other person's name. ""
	// when there is none yet (an untitled group, a peer whose name is unknown).
	Title string
	// Peer is the other account of a direct chat; zero otherwise.
	Peer ids.Account
	// LastMessage is a one-line preview of the newest message, "" if none;
	// LastPlaceholder says what stands for it when it has no text.
	LastMessage     string
	LastPlaceholder Placeholder
	// LastService is set when the newest message is a service line.
	LastService *Service
	// LastMessageAt is when the newest message was sent (or the chat last changed).
	LastMessageAt time.Time
	Unread        int
	Pinned        bool
	// Archived chats are kept apart from the main list; Muted ones raise no
	// notification. Draft is the text the user began and did not send ("" none).
	// All three follow the user to the account's other devices.
	Archived bool
	Muted    bool
	Draft    string
	// MyRole is this account's role; zero if it is no member (never listed).
	MyRole      policy.Role
	CanPost     bool
	MemberCount int
	// Hold says what keeps the chat from taking messages as usual; HoldNone for
	// most chats.
	Hold Hold
	// RemovedBy is who removed this account (HoldRemoved), with their name.
	RemovedBy     ids.Account
	RemovedByName string
	// RequestBy is who started the chat, or added this account to it (HoldRequest),
	// with the name they gave themselves: the user decides on it.
	RequestBy     ids.Account
	RequestByName string
	// SecretDevice is the other device of a secret chat, with the name its account
	// gave it; SecretTimer the chat's self-destruct time (0: off).
	SecretDevice     ids.Device
	SecretDeviceName string
	SecretTimer      time.Duration
	// AutoDelete is a cloud chat's auto-delete time (0: off): the messages sent
	// from now on go from every device that long after they were sent. One of
	// [AutoDeleteTimes] when set by this version. CanSetAutoDelete: this account
	// may change it (Engine.SetAutoDelete).
	AutoDelete       time.Duration
	CanSetAutoDelete bool
}

// Hold says why a chat does not take messages as usual (docs/SECURITY.md).
type Hold uint8

// Holds, from the most to the least serious: a chat shows the first that applies.
const (
	// HoldNone: an ordinary chat.
	HoldNone Hold = iota
	// HoldTampered: the relay showed a membership log that fails verification or
	// forks from the one held here; nothing more is applied or sent.
	HoldTampered
	// HoldRemoved: a verified record removed this account; the history stays.
	HoldRemoved
	// HoldUnavailable: the relay does not serve the chat (any more); the history
	// stays.
	HoldUnavailable
	// HoldRequest: someone who is not a contact started the chat or added this
	// account to it; it is read and answered only once accepted.
	HoldRequest
	// HoldNotSecured: created before membership logs; its members cannot change
	// until its owner's device gives it one.
	HoldNotSecured
	// HoldNewKey: a member left or was removed (or this account was just added);
	// messages wait for a new key from a member allowed to make it.
	HoldNewKey
)

// Member is one account in a chat.
type Member struct {
	Account ids.Account
	Handle  string
	// DisplayName is "" when the account's name is unknown.
	DisplayName string
	Role        policy.Role
	IsMe        bool
}

// Placeholder says what stands for a message's text when it has none to show.
type Placeholder uint8

// Placeholders.
const (
	// NoPlaceholder: the message is its text.
	NoPlaceholder Placeholder = iota
	// AttachmentOnly: a message of attachments without text.
	AttachmentOnly
	// Unsupported: content a newer version of Hush sent, which this one cannot show.
	Unsupported
	// Deleted: its sender (or an admin) deleted it for everyone; the text is gone.
	Deleted
)

// Message is one chat message.
type Message struct {
	ID     ids.Message
	Chat   ids.Chat
	Sender ids.Account
	// SenderName is the sender's display name; "" when unknown.
	SenderName string
	// Outgoing: this account sent it, from any of its devices; on a service line,
	// this account made the change.
	Outgoing    bool
	Body        string
	Placeholder Placeholder
	SentAt      time.Time
	// Seq is the relay's sequence number in the chat log; 0 while pending.
	Seq     int64
	Status  policy.Status
	ReplyTo ids.Message // zero: not a reply
	// ClockOff: the sender's signed time (SentAt) is later than the relay says it
	// received the message, beyond the tolerance: a clock is wrong, or the relay
	// lies about when it got it.
	ClockOff bool
	// Service is set for a line the chat shows about itself rather than a message
	// someone wrote; Sender is then who made the change.
	Service *Service
	// TTL is a secret message's self-destruct time once read (0: none); ExpiresAt
	// when it goes, zero until its countdown started.
	TTL       time.Duration
	ExpiresAt time.Time
	// Edited is when its author last edited it (zero: never).
	Edited time.Time
	// Reactions are the emoji members put on it, the most used first.
	Reactions []Reaction
	// Pinned: pinned in the chat, for every member.
	Pinned bool
	// ForwardedFrom is, on a forwarded message, the name of the original's sender
	// as the forwarder gave it; "" otherwise.
	ForwardedFrom string
	// Files are its attachments; Body is then their caption.
	Files []Attachment
	// Preview is the sender's preview of a link in Body (nil: none).
	Preview *LinkPreview
}

// LinkPreview is a preview of a web page a text links to, as the sender's device
// fetched it (chatcrypto.LinkPreview). Receivers show it as the sender's claim and
// never fetch the page.
type LinkPreview struct {
	URL         string
	Title       string
	Description string
	SiteName    string
	// Thumbnail is a JPEG of at most 16 KiB, nil if none.
	Thumbnail []byte
}

// Reaction is one emoji on a message with who put it there.
type Reaction struct {
	Emoji string
	By    []Person
	// Mine: this account is among By.
	Mine bool
}

// ServiceKind says what a [Service] line reports.
type ServiceKind uint8

// Service lines: one per kind of membership record, and withheld messages.
const (
	ServiceCreated ServiceKind = iota + 1
	ServiceAdded
	ServiceRemoved
	ServiceLeft
	ServiceRole
	ServiceTitle
	// ServiceGap: Count messages of Targets[0] never arrived.
	ServiceGap
	// ServiceSecret: By opened the secret chat.
	ServiceSecret
	// ServiceTimer: By set the secret chat's self-destruct time to Count seconds
	// (0: off).
	ServiceTimer
	// ServiceAutoDelete: By set the cloud chat's auto-delete time to Count seconds
	// (0: off).
	ServiceAutoDelete
)

// Service is a line a chat shows about itself: a change of its verified membership
// log, or messages the relay withheld.
type Service struct {
	Kind ServiceKind
	// By is who made the change (whose record it is); for ServiceGap the device
	// that noticed it, this account.
	By Person
	// Targets are the accounts the change names: added, removed, given Role.
	Targets []Person
	Role    policy.Role
	Title   string // ServiceCreated (groups and channels), ServiceTitle
	Count   int    // ServiceGap; ServiceTimer, ServiceAutoDelete: seconds
}

// Person is an account as a line names it.
type Person struct {
	Account ids.Account
	Name    string // "" when unknown
	IsMe    bool
}

// MessagePage is one page of a chat's messages, newest first.
type MessagePage struct {
	Messages []Message
	// NextBefore is passed as "before" to read the next, older page; "" when there
	// is none. It is the vault's page cursor as text, so paging keeps no state.
	NextBefore string
}
