package chat

// Event names, as docs/API.md ("Messaging") lists them.
const (
	EventConnectionChanged = "connection:changed"
	EventChatUpdated       = "chat:updated"
	EventChatRemoved       = "chat:removed"
	EventMessageNew        = "message:new"
	EventMessageStatus     = "message:status"
	EventTyping            = "typing"
	EventWarning           = "warning"
)

// Connection states, the values of [Connection.State].
const (
	StateConnecting = "connecting"
	StateOnline     = "online"
	StateOffline    = "offline"
)

// Chat kinds, the values of [ChatSummary.Kind].
const (
	KindDirect  = "direct"
	KindGroup   = "group"
	KindChannel = "channel"
)

// Member roles, the values of [Member.Role] and [ChatSummary.MyRole].
const (
	RoleOwner  = "owner"
	RoleAdmin  = "admin"
	RoleMember = "member"
)

// Message states, the values of [Message.Status].
const (
	StatusPending   = "pending"
	StatusSent      = "sent"
	StatusDelivered = "delivered"
	StatusRead      = "read"
	StatusFailed    = "failed"
)

// Connection is the link to the relay as the UI shows it.
type Connection struct {
	State    string `json:"state"`
	RelayURL string `json:"relayUrl"`
	// RetryInMs is how long until the next attempt, while offline.
	RetryInMs int64 `json:"retryInMs"`
	// Error says why the last attempt failed, or warns about clock skew.
	Error string `json:"error"`
	// Handle is this account's @name once registered, "" before.
	Handle string `json:"handle"`
}

// Contact is another account whose keys this device pinned.
type Contact struct {
	AccountID   string `json:"accountId"`
	Handle      string `json:"handle"`
	DisplayName string `json:"displayName"`
	Fingerprint string `json:"fingerprint"`
	Verified    bool   `json:"verified"`
	// KeyChanged is true when the relay returned a different key than the pinned
	// one (or the handle moved to another account); shown loudly until re-verified.
	KeyChanged bool `json:"keyChanged"`
}

// SafetyNumber is what two people compare out of band.
type SafetyNumber struct {
	Digits string   `json:"digits"`
	Emoji  []string `json:"emoji"`
}

// ChatSummary is one row of the chat list.
type ChatSummary struct {
	ID            string `json:"id"`
	Kind          string `json:"kind"`
	Title         string `json:"title"`
	LastMessage   string `json:"lastMessage"`
	LastMessageAt int64  `json:"lastMessageAt"`
	Unread        int    `json:"unread"`
	Pinned        bool   `json:"pinned"`
	MyRole        string `json:"myRole"`
	CanPost       bool   `json:"canPost"`
	MemberCount   int    `json:"memberCount"`
}

// Member is one account in a chat.
type Member struct {
	AccountID   string `json:"accountId"`
	Handle      string `json:"handle"`
	DisplayName string `json:"displayName"`
	Role        string `json:"role"`
	IsMe        bool   `json:"isMe"`
}

// Message is one chat message as the UI shows it.
type Message struct {
	ID         string `json:"id"`
	ChatID     string `json:"chatId"`
	SenderID   string `json:"senderId"`
	SenderName string `json:"senderName"`
	Outgoing   bool   `json:"outgoing"`
	Body       string `json:"body"`
	SentAt     int64  `json:"sentAt"`
	Seq        int64  `json:"seq"`
	Status     string `json:"status"`
	ReplyTo    string `json:"replyTo"`
}

// MessagePage is one page of a chat's messages, newest first.
type MessagePage struct {
	Messages []Message `json:"messages"`
	// NextBefore is passed as "before" to read the next, older page; "" when there
	// is none.
	NextBefore string `json:"nextBefore"`
}

// ChatRemovedEvent is the payload of [EventChatRemoved].
type ChatRemovedEvent struct {
	ChatID string `json:"chatId"`
}

// StatusEvent is the payload of [EventMessageStatus].
type StatusEvent struct {
	ChatID    string `json:"chatId"`
	MessageID string `json:"messageId"`
	Status    string `json:"status"`
	Seq       int64  `json:"seq"`
}

// TypingEvent is the payload of [EventTyping].
type TypingEvent struct {
	ChatID    string `json:"chatId"`
	AccountID string `json:"accountId"`
	Name      string `json:"name"`
}

// WarningEvent is the payload of [EventWarning].
type WarningEvent struct {
	ChatID string `json:"chatId"`
	Text   string `json:"text"`
}
