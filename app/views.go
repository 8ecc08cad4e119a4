package app

import (
	"hush/chat"
	"hush/ids"
	"hush/policy"
	"time"
)

// The messaging types the UI receives (docs/API.md, "Messaging"). They are this
// package's own: the engine returns domain values (package chat), and the functions
// below turn them into what the UI shows, words included. Ids are lower-case hex,
// times Unix milliseconds.

// ConnectionState is the link's state as the UI shows it.
type ConnectionState string

// Connection states.
const (
	ConnectionConnecting ConnectionState = "connecting" // dialling or authenticating
	ConnectionOnline     ConnectionState = "online"     // messages flow
	ConnectionOffline    ConnectionState = "offline"    // waiting RetryInMs before the next attempt
)

// Values lists every state, for the generated UI contract.
func (ConnectionState) Values() []string {
	return []string{string(ConnectionConnecting), string(ConnectionOnline), string(ConnectionOffline)}
}

// ChatKind is a chat's kind as the UI names it.
type ChatKind string

// Chat kinds.
const (
	KindDirect  ChatKind = "direct"  // two people
	KindGroup   ChatKind = "group"   // members all post
	KindChannel ChatKind = "channel" // the owner and admins post; subscribers read
	// KindSecret is a secret chat: this device and one device of a contact, with
	// self-destructing messages; never on the account's other devices.
	KindSecret ChatKind = "secret"
)

// Values lists every kind, for the generated UI contract.
func (ChatKind) Values() []string {
	return []string{string(KindDirect), string(KindGroup), string(KindChannel), string(KindSecret)}
}

// Role is a member's role as the UI names it: "owner" (one per chat, may do
// everything), "admin" (manages members; posts in channels) or "member" (in a
// channel, a subscriber). Results carry "" for none.
type Role string

// EmptyMeansNone says that "" is a Role in results and events — this account holds
// no role — though Values does not list it; parameters take only Values.
func (Role) EmptyMeansNone() bool { return true }

// Values lists every role, for the generated UI contract.
func (Role) Values() []string {
	return []string{policy.RoleOwner.String(), policy.RoleAdmin.String(), policy.RoleMember.String()}
}

// MessageStatus is a message's delivery state as the UI names it: "pending" (in
// the outbox, waiting for the relay), "sent" (the relay stored it), "delivered"
// (another member's device received it), "read" (another member read it) or
// "failed" (the relay refused it for good).
type MessageStatus string

// Values lists every state in the order a message moves through them
// (policy.Advance), for the generated UI contract.
func (MessageStatus) Values() []string {
	out := make([]string, 0, len(policy.Statuses))
	for _, s := range policy.Statuses {
		out = append(out, s.String())
	}
	return out
}

// ChatHold says why a chat does not take messages as usual, as the UI names it;
// results carry "" for an ordinary chat. HoldText words it.
type ChatHold string

// Holds, from the most to the least serious (chat.Hold).
const (
	HoldTampered    ChatHold = "tampered"    // the relay showed a member list that fails verification: nothing is sent
	HoldRemoved     ChatHold = "removed"     // this account was removed; the history stays until deleted
	HoldUnavailable ChatHold = "unavailable" // the relay does not serve the chat; the history stays until deleted
	HoldRequest     ChatHold = "request"     // someone who is not a contact started it: accept or decline
	HoldNotSecured  ChatHold = "notSecured"  // made by an older version; its owner's device secures it
	HoldNewKey      ChatHold = "newKey"      // messages wait for a new chat key after a member left
)

// EmptyMeansNone says that "" is a ChatHold in results and events: an ordinary chat.
func (ChatHold) EmptyMeansNone() bool { return true }

// Values lists every hold, for the generated UI contract.
func (ChatHold) Values() []string {
	return []string{string(HoldTampered), string(HoldRemoved), string(HoldUnavailable), string(HoldRequest), string(HoldNotSecured), string(HoldNewKey)}
}

// Connection is the link to the relay as the UI shows it.
type Connection struct {
	State ConnectionState `json:"state"`
	// RelayURL is the relay's address in canonical form (ws://host:port or wss://host).
	RelayURL string `json:"relayUrl"`
	// RetryInMs is how long until the next attempt, while offline.
	RetryInMs int64 `json:"retryInMs"`
	// Error says why the last attempt failed (unreachable, refused …), or warns
	// about clock skew; "" for none.
	Error string `json:"error"`
	// Handle is this account's @name once registered, "" before.
	Handle string `json:"handle"`
}

// RelayUsage is what the relay says it stores for this account, against its limits
// (ConnectionService.Usage): the ciphertext of the messages it sent, of its account
// log and of items for other devices not yet picked up.
type RelayUsage struct {
	// UsedBytes is the stored ciphertext, in bytes.
	UsedBytes int64 `json:"usedBytes"`
	// QuotaBytes is the most the relay stores for the account; a message past it
	// waits in the outbox until there is room.
	QuotaBytes int64 `json:"quotaBytes"`
	// Devices is how many devices the account has at the relay; MaxDevices how
	// many it may have.
	Devices    int `json:"devices"`
	MaxDevices int `json:"maxDevices"`
	// FilesUsedBytes is the attachments' ciphertext the relay keeps, counted
	// apart against FilesQuotaBytes; 0 for FilesQuotaBytes: the relay takes no
	// files.
	FilesUsedBytes  int64 `json:"filesUsedBytes"`
	FilesQuotaBytes int64 `json:"filesQuotaBytes"`
}

// Contact is another account whose keys this device pinned on first use.
type Contact struct {
	AccountID string `json:"accountId"`
	// Handle is the contact's @name without the "@".
	Handle string `json:"handle"`
	// DisplayName is the name the contact chose ("Unknown …" while unknown).
	DisplayName string `json:"displayName"`
	// Fingerprint identifies the pinned account key.
	Fingerprint string `json:"fingerprint"`
	// Verified is true once the user compared safety numbers (MarkVerified).
	Verified bool `json:"verified"`
	// KeyChanged is true when the relay returned a different key than the pinned
	// one (or the handle moved to another account); shown loudly until re-verified.
	KeyChanged bool `json:"keyChanged"`
}

// BlockedAccount is an account the user blocked: what it starts, or adds the user
// to, is declined without asking.
type BlockedAccount struct {
	AccountID string `json:"accountId"`
	// DisplayName is its name as last known ("Unknown …" if never known).
	DisplayName string `json:"displayName"`
	// BlockedAt is when it was blocked, in Unix milliseconds.
	BlockedAt int64 `json:"blockedAt"`
}

// SafetyNumber is what two people compare out of band to verify each other's keys:
// the same on both sides, in digits or as emoji.
type SafetyNumber struct {
	// Digits are 60 digits in 12 groups of 5, separated by spaces.
	Digits string `json:"digits"`
	// Emoji are the same number as 8 pictures.
	Emoji []string `json:"emoji"`
}

// ChatSummary is one row of the chat list.
type ChatSummary struct {
	ID   string   `json:"id"`
	Kind ChatKind `json:"kind"`
	// Title is the group's or channel's title, or the other person's name.
	Title string `json:"title"`
	// LastMessage is the newest message's text, as the chat list previews it.
	LastMessage string `json:"lastMessage"`
	// LastMessageAt is 0 when the chat has no message yet.
	LastMessageAt int64 `json:"lastMessageAt"`
	// Unread counts received messages not yet read.
	Unread int `json:"unread"`
	// Pinned chats lead the chat list.
	Pinned bool `json:"pinned"`
	// Archived chats are listed apart, under "Archived chats".
	Archived bool `json:"archived"`
	// Muted chats raise no notification.
	Muted bool `json:"muted"`
	// Draft is the text the user began in this chat and did not send ("" none); it
	// follows the user to their other devices.
	Draft string `json:"draft"`
	// MyRole is this account's role in the chat.
	MyRole Role `json:"myRole"`
	// CanPost is false where this account may only read (a channel's subscribers).
	CanPost bool `json:"canPost"`
	// MemberCount counts the members, this account included.
	MemberCount int `json:"memberCount"`
	// Hold says why the chat does not take messages as usual ("" for most chats);
	// HoldText says it in a sentence for the chat's banner. Chats held as
	// "request" belong under Requests, not in the chat list.
	Hold     ChatHold `json:"hold"`
	HoldText string   `json:"holdText"`
	// PeerID is the other person of a direct or secret chat ("" otherwise).
	PeerID string `json:"peerId"`
	// SecretDeviceID and SecretDeviceName are the other device of a secret chat
	// ("" otherwise); SecretTimer its self-destruct time in seconds (0: off), one of
	// Rules.SecretTimerSeconds.
	SecretDeviceID   string `json:"secretDeviceId"`
	SecretDeviceName string `json:"secretDeviceName"`
	SecretTimer      int    `json:"secretTimer"`
	// AutoDelete is a cloud chat's auto-delete time in seconds (0: off), one of
	// Rules.AutoDeleteSeconds: the messages sent from now on go from every device
	// that long after they were sent. CanSetAutoDelete says whether this account
	// may change it (either person of a direct chat, owners and admins elsewhere).
	AutoDelete       int  `json:"autoDelete"`
	CanSetAutoDelete bool `json:"canSetAutoDelete"`
}

// Member is one account in a chat.
type Member struct {
	AccountID string `json:"accountId"`
	// Handle is the member's @name without the "@".
	Handle string `json:"handle"`
	// DisplayName is the member's name ("Unknown …" while unknown).
	DisplayName string `json:"displayName"`
	Role        Role   `json:"role"`
	// IsMe is true for this account.
	IsMe bool `json:"isMe"`
}

// Message is one chat message as the UI shows it.
type Message struct {
	ID       string `json:"id"`
	ChatID   string `json:"chatId"`
	SenderID string `json:"senderId"`
	// SenderName is the sender's display name ("Unknown …" while unknown).
	SenderName string `json:"senderName"`
	// Outgoing is true for messages this account sent, from any of its devices.
	Outgoing bool `json:"outgoing"`
	// Body is the text, or what stands in for it (an attachment only, a message
	// this version of Hush cannot show).
	Body string `json:"body"`
	// SentAt is the sender's clock when it was written.
	SentAt int64 `json:"sentAt"`
	// Seq is the relay's sequence number in the chat log; 0 while pending.
	Seq int64 `json:"seq"`
	// Status is the delivery state as its sender sees it.
	Status MessageStatus `json:"status"`
	// ReplyTo is the id of the message this one answers; "" for none.
	ReplyTo string `json:"replyTo"`
	// Service is true for a line the chat shows about itself (who added whom,
	// messages the relay withheld) rather than a message someone wrote; Body words
	// it, and SenderID is who made the change.
	Service bool `json:"service"`
	// ClockOff is true when the sender's signed time (SentAt) is later than the
	// relay says it received the message: a clock is wrong, or the relay lies.
	ClockOff bool `json:"clockOff"`
	// TTL is a secret message's self-destruct time once read, in seconds (0:
	// none); ExpiresAt when it goes, in Unix milliseconds (0: not read yet).
	TTL       int   `json:"ttl"`
	ExpiresAt int64 `json:"expiresAt"`
	// EditedAt is when its author last edited it, in Unix milliseconds (0: never);
	// the UI marks it "edited".
	EditedAt int64 `json:"editedAt"`
	// Deleted is true when it was deleted for everyone: Body words the placeholder.
	Deleted bool `json:"deleted"`
	// Reactions are the emoji on it, the most used first.
	Reactions []Reaction `json:"reactions"`
	// Pinned is true while it is pinned in its chat.
	Pinned bool `json:"pinned"`
	// ForwardedFrom names the original's sender on a forwarded message; "" if it
	// is not one.
	ForwardedFrom string `json:"forwardedFrom"`
	// Files are the message's attachments; Body is then their caption, "" for
	// none.
	Files []FileInfo `json:"files"`
	// Preview is the sender's preview of a link in Body, null for none: what the
	// sender's device says the page shows, never fetched by this one.
	Preview *LinkPreview `json:"preview"`
}

// Reaction is one emoji on a message: how many put it there, whether this account
// did, and their names (this account as "you", first).
type Reaction struct {
	Emoji string   `json:"emoji"`
	Count int      `json:"count"`
	Mine  bool     `json:"mine"`
	Names []string `json:"names"`
}

// MessagePage is one page of a chat's messages, newest first.
type MessagePage struct {
	Messages []Message `json:"messages"`
	// NextBefore is passed as "before" to read the next, older page; "" when there
	// is none.
	NextBefore string `json:"nextBefore"`
}

// idText is an id as the UI holds it: "" for none.
func idText[T ids.Any](id T) string {
	var zero T
	if id == zero {
		return ""
	}
	return id.String()
}

func roleView(r policy.Role) Role {
	if !r.Valid() {
		return ""
	}
	return Role(r.String())
}

func kindView(k policy.ChatKind) ChatKind {
	switch k {
	case policy.KindDirect:
		return KindDirect
	case policy.KindChannel:
		return KindChannel
	case policy.KindSecret:
		return KindSecret
	}
	return KindGroup
}

// unixMilliOr0 is t in Unix milliseconds, 0 for the zero time.
func unixMilliOr0(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func contactView(c chat.Contact) Contact {
	return Contact{
		AccountID:   c.Account.String(),
		Handle:      c.Handle,
		DisplayName: nameOr(c.DisplayName, c.Account),
		Fingerprint: c.Fingerprint,
		Verified:    c.Verified,
		KeyChanged:  c.KeyChanged,
	}
}

func contactsView(cs []chat.Contact) []Contact {
	out := make([]Contact, 0, len(cs))
	for _, c := range cs {
		out = append(out, contactView(c))
	}
	return out
}

func blockedView(bs []chat.Blocked) []BlockedAccount {
	out := make([]BlockedAccount, 0, len(bs))
	for _, b := range bs {
		out = append(out, BlockedAccount{AccountID: b.Account.String(), DisplayName: nameOr(b.Name, b.Account), BlockedAt: b.Since.UnixMilli()})
	}
	return out
}

func safetyNumberView(s chat.SafetyNumber) SafetyNumber {
	return SafetyNumber{Digits: s.Digits, Emoji: s.Emoji}
}

func chatView(c chat.Chat) ChatSummary {
	s := ChatSummary{
		ID:          c.ID.String(),
		Kind:        kindView(c.Kind),
		Title:       chatTitle(c),
		LastMessage: bodyText(c.LastMessage, c.LastPlaceholder),
		Unread:      c.Unread,
		Pinned:      c.Pinned,
		Archived:    c.Archived,
		Muted:       c.Muted,
		Draft:       c.Draft,
		MyRole:      roleView(c.MyRole),
		CanPost:     c.CanPost,
		MemberCount: c.MemberCount,
		Hold:        holdView(c.Hold),
		HoldText:    holdText(c),
		PeerID:      idText(c.Peer),
	}
	if c.Kind == policy.KindSecret {
		s.SecretDeviceID = idText(c.SecretDevice)
		s.SecretDeviceName = c.SecretDeviceName
		s.SecretTimer = int(c.SecretTimer / time.Second)
	}
	s.AutoDelete = int(c.AutoDelete / time.Second)
	s.CanSetAutoDelete = c.CanSetAutoDelete
	if c.LastService != nil {
		s.LastMessage = serviceText(c.LastService)
	}
	if !c.LastMessageAt.IsZero() {
		s.LastMessageAt = c.LastMessageAt.UnixMilli()
	}
	return s
}

func chatsView(cs []chat.Chat) []ChatSummary {
	out := make([]ChatSummary, 0, len(cs))
	for _, c := range cs {
		out = append(out, chatView(c))
	}
	return out
}

func membersView(ms []chat.Member) []Member {
	out := make([]Member, 0, len(ms))
	for _, m := range ms {
		out = append(out, Member{
			AccountID:   m.Account.String(),
			Handle:      m.Handle,
			DisplayName: nameOr(m.DisplayName, m.Account),
			Role:        roleView(m.Role),
			IsMe:        m.IsMe,
		})
	}
	return out
}

func messagesView(ms []chat.Message) []Message {
	out := make([]Message, 0, len(ms))
	for _, m := range ms {
		out = append(out, messageView(m))
	}
	return out
}

func messageView(m chat.Message) Message {
	out := Message{
		ID:         m.ID.String(),
		ChatID:     m.Chat.String(),
		SenderID:   m.Sender.String(),
		SenderName: nameOr(m.SenderName, m.Sender),
		Outgoing:   m.Outgoing,
		Body:       bodyText(m.Body, m.Placeholder),
		SentAt:     m.SentAt.UnixMilli(),
		Seq:        m.Seq,
		Status:     MessageStatus(m.Status.String()),
		ReplyTo:    idText(m.ReplyTo),
		ClockOff:   m.ClockOff,
		TTL:        int(m.TTL / time.Second),
		ExpiresAt:  unixMilliOr0(m.ExpiresAt),
		EditedAt:   unixMilliOr0(m.Edited),
		Deleted:    m.Placeholder == chat.Deleted,
		Pinned:     m.Pinned,
		Reactions:  reactionsView(m.Reactions),
	}
	out.ForwardedFrom = m.ForwardedFrom
	out.Files = fileInfosView(m.Files)
	out.Preview = linkPreviewView(m.Preview)
	if len(out.Files) > 0 && m.Placeholder == chat.AttachmentOnly {
		out.Body = "" // the files show instead
	}
	if m.Service != nil {
		out.Service, out.Outgoing = true, false
		out.Body = serviceText(m.Service)
	}
	return out
}

func holdView(h chat.Hold) ChatHold {
	switch h {
	case chat.HoldTampered:
		return HoldTampered
	case chat.HoldRemoved:
		return HoldRemoved
	case chat.HoldUnavailable:
		return HoldUnavailable
	case chat.HoldRequest:
		return HoldRequest
	case chat.HoldNotSecured:
		return HoldNotSecured
	case chat.HoldNewKey:
		return HoldNewKey
	}
	return ""
}

func messagePageView(p chat.MessagePage) MessagePage {
	out := MessagePage{Messages: make([]Message, 0, len(p.Messages)), NextBefore: p.NextBefore}
	for _, m := range p.Messages {
		out.Messages = append(out.Messages, messageView(m))
	}
	return out
}

func connectionView(c chat.Connection, now func() int64) Connection {
	out := Connection{State: ConnectionOffline, RelayURL: c.RelayURL, Handle: c.Handle}
	switch c.State {
	case chat.LinkConnecting:
		out.State = ConnectionConnecting
	case chat.LinkOnline:
		out.State = ConnectionOnline
	}
	if !c.RetryAt.IsZero() {
		out.RetryInMs = max(0, c.RetryAt.UnixMilli()-now())
	}
	switch {
	case c.Err != nil:
		out.Error = linkErrorText(c.Err)
	case c.ClockSkew != 0:
		out.Error = clockSkewText(c.ClockSkew)
	}
	return out
}
