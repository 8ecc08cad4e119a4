package wire

import (
	"fmt"
	"hush/ids"
	"hush/policy"
)

// Limits are the relay's limits for this connection, announced in [Hello] so a client
// can pace itself instead of discovering them by error.
type Limits struct {
	_                 struct{} `cbor:",toarray"`
	MaxFrameSize      uint32
	MaxCiphertextSize uint32
	// RatePerSecond and Burst describe the token bucket of requests per connection.
	RatePerSecond uint32
	Burst         uint32
	// MaxInFlight is how many requests a connection may have whose response is not
	// yet written (writes wait for their commit); beyond it the relay stops reading
	// the connection until a response goes out.
	MaxInFlight uint32
}

// Hello is the relay's first frame on every connection.
type Hello struct {
	_          struct{} `cbor:",toarray"`
	Versions   []uint16 // protocol versions the relay accepts
	Challenge  Challenge
	ServerTime int64 // Unix milliseconds
	Limits     Limits
}

// Auth answers [Hello]: the device certificate (identity.IssueCertificate) and the
// device key's signature, label [AuthLabel], over [AuthMessage].
type Auth struct {
	_          struct{} `cbor:",toarray"`
	DeviceCert []byte
	Signature  []byte
}

// AuthOK confirms authentication. NewAccount is true when this connection registered
// the account at this relay.
type AuthOK struct {
	_          struct{} `cbor:",toarray"`
	AccountID  ids.Account
	DeviceID   ids.Device
	ServerTime int64 // Unix milliseconds
	NewAccount bool
}

// OK answers a request that returns nothing.
type OK struct {
	_ struct{} `cbor:",toarray"`
}

// RegisterHandle binds a handle to the caller's account, replacing its previous
// handle (which anyone may then take); an empty Handle removes it. Signature is the
// account key's, label [HandleLabel], over [HandleMessage] of the normalised handle
// ("" for a removal).
type RegisterHandle struct {
	_         struct{} `cbor:",toarray"`
	Handle    string
	Signature []byte
}

// LookupHandle asks for the account holding a handle (case-insensitive, "@" optional).
type LookupHandle struct {
	_      struct{} `cbor:",toarray"`
	Handle string
}

// LookupAccount asks for an account by id.
type LookupAccount struct {
	_         struct{} `cbor:",toarray"`
	AccountID ids.Account
}

// Account answers a lookup: the account public key (identity.AccountPublicKey.Bytes),
// its handle ("" if none) and the certificates of its non-revoked devices. The client
// verifies every certificate against the key itself; the relay is not trusted.
type Account struct {
	_          struct{} `cbor:",toarray"`
	AccountKey []byte
	Handle     string
	Devices    [][]byte
	// Keys is the account's signed keys record (identity.IssueAccountKeys), empty
	// while the account has published none ([PutAccountKeys]).
	Keys []byte
	// DeviceList is the account's newest signed device list ([PutDeviceList]),
	// empty while it has published none.
	DeviceList []byte
	// Seen says when each device last connected; only in the answer about the
	// caller's own account.
	Seen []DeviceSeen
}

// DeviceSeen is when a device last authenticated (Unix milliseconds, 0 unknown).
type DeviceSeen struct {
	_        struct{} `cbor:",toarray"`
	DeviceID ids.Device
	At       int64
}

// GetUsage asks what the relay counts against the caller's account; it answers
// [Usage].
type GetUsage struct {
	_ struct{} `cbor:",toarray"`
}

// Usage is what the relay counts against the caller's account, and its limits
// (docs/PROTOCOL.md, "Usage"): the ciphertext bytes of the messages it posted, of
// its account log and of the inbox items it sent that are not yet acknowledged,
// against its storage quota, and its non-revoked devices against the most it may
// have. A write that would take UsedBytes past QuotaBytes, or a device past
// MaxDevices, is refused with [CodeQuotaExceeded]. The figures are the relay's
// word, for people to read: a client decides nothing on them.
type Usage struct {
	_          struct{} `cbor:",toarray"`
	UsedBytes  uint64
	QuotaBytes uint64
	Devices    uint32
	MaxDevices uint32
	// BlobUsedBytes is the ciphertext of the account's attachment blobs, finished
	// or not, counted apart from UsedBytes against BlobQuotaBytes (0: this relay
	// takes no attachments).
	BlobUsedBytes  uint64
	BlobQuotaBytes uint64
}

// PutAccountKeys publishes the caller's account's signed keys record
// (identity.IssueAccountKeys). The relay keeps the newest one whose signing key is
// the account's; clients verify it themselves.
type PutAccountKeys struct {
	_    struct{} `cbor:",toarray"`
	Keys []byte
}

// PutDeviceList publishes the caller's account's next signed device list
// (identity.IssueDeviceList; docs/SECURITY.md, "Device lists"). The relay keeps it
// only if it is signed by the account's key and supersedes the one it holds
// (identity.DeviceList.Supersedes); it then refuses every device the list revokes,
// closing their connections, and pushes the list ([DeviceListPush]) to the
// account's devices and to every account that shares a chat with it. Linking a
// device and revoking one are both a new list.
type PutDeviceList struct {
	_    struct{} `cbor:",toarray"`
	List []byte
}

// DeviceListPush carries an account's newest device list. Clients verify it and
// apply it only if it supersedes the one they hold.
type DeviceListPush struct {
	_         struct{} `cbor:",toarray"`
	AccountID ids.Account
	List      []byte
}

// Prekey is one of a device's prekeys for secret chats (docs/PROTOCOL.md, "Prekeys"):
// the random id the device gave it and its record as the device encoded it
// (package pqxdh; signed by the device, except X25519 one-time prekeys, which the
// handshake itself checks). The relay keeps it opaque and hands it out as
// published.
type Prekey struct {
	_      struct{} `cbor:",toarray"`
	ID     ids.Prekey
	Signed []byte
}

// IsZero reports whether p is the empty prekey: none, or "keep the one held".
func (p Prekey) IsZero() bool { return p.ID.IsZero() && len(p.Signed) == 0 }

// PutPrekeys publishes the caller device's prekeys. Signed (the signed X25519
// prekey) and LastResort (the post-quantum last-resort prekey) replace the ones held
// unless zero; OneTime (X25519) and PQOneTime (ML-KEM-768) one-time prekeys are
// added to those held, an id already held being ignored, up to
// [MaxOneTimePrekeys] of each kind. Answered with [PrekeyCount].
type PutPrekeys struct {
	_          struct{} `cbor:",toarray"`
	Signed     Prekey
	LastResort Prekey
	OneTime    []Prekey
	PQOneTime  []Prekey
}

// PrekeyCount says how many one-time prekeys of each kind the relay holds for the
// device: the answer to [PutPrekeys], and a push when either falls below
// [LowPrekeys] because others fetched them.
type PrekeyCount struct {
	_         struct{} `cbor:",toarray"`
	OneTime   uint32
	PQOneTime uint32
}

// FetchPrekeys asks for a device's prekey bundle, to start a secret chat with it.
// The relay hands out each one-time prekey once (and deletes it); it answers
// [PrekeyBundle], or CodeNotFound for a device that is unknown, revoked, or has
// published no signed and last-resort prekey.
type FetchPrekeys struct {
	_      struct{} `cbor:",toarray"`
	Device ids.Device
}

// PrekeyBundle is one device's prekeys for one handshake: its signed prekey, a
// post-quantum prekey — a one-time one while any is left (PQOneTime), else the
// last-resort one — and an X25519 one-time prekey (zero when none is left).
type PrekeyBundle struct {
	_         struct{} `cbor:",toarray"`
	Device    ids.Device
	Signed    Prekey
	PQ        Prekey
	PQOneTime bool
	OneTime   Prekey
}

// LinkOpen opens a link session: the first frame of a connection from a device that
// belongs to no account yet, instead of [Auth] (docs/PROTOCOL.md, "Linking a
// device"). PublicKey is the device's one-time link key (devicelink.PublicKeySize
// bytes), which the relay hands to the device that claims the session. The session
// lives [LinkLifetime] at most; the connection may then send only [LinkSend].
type LinkOpen struct {
	_         struct{} `cbor:",toarray"`
	Session   ids.LinkSession
	PublicKey []byte
}

// LinkClaim claims an open link session for the caller's account; it answers
// [LinkOffer]. A session is claimed once: a second claim, an unknown or an expired
// session answer NotFound.
type LinkClaim struct {
	_       struct{} `cbor:",toarray"`
	Session ids.LinkSession
}

// LinkOffer answers [LinkClaim] with the new device's link key.
type LinkOffer struct {
	_         struct{} `cbor:",toarray"`
	Session   ids.LinkSession
	PublicKey []byte
}

// LinkSend carries one linking message (devicelink.EncodeMessage) to the other end
// of a claimed session, as a [LinkPush]. The relay cannot read what matters in it.
type LinkSend struct {
	_       struct{} `cbor:",toarray"`
	Session ids.LinkSession
	Payload []byte
}

// LinkPush delivers a [LinkSend] of the other end.
type LinkPush struct {
	_       struct{} `cbor:",toarray"`
	Session ids.LinkSession
	Payload []byte
}

// LinkClosed tells one end of a session that the other left, or that the session
// expired; nothing more passes on it.
type LinkClosed struct {
	_       struct{} `cbor:",toarray"`
	Session ids.LinkSession
}

// CreateChat creates a chat from the first record of its membership log
// (membership.OpCreate, signed by the caller's device; docs/SECURITY.md, "Membership
// log"), which names the chat, its kind, its title and its members. A direct chat
// between two accounts that already have one is not created again: the answer
// describes the existing chat, whose id differs from the record's. The same record
// adopts a chat created before membership logs existed, when its owner sends it and
// it lists the chat's members as they are. Retrying returns the chat.
type CreateChat struct {
	_      struct{} `cbor:",toarray"`
	Record []byte
}

// AppendLog appends the next record of a chat's membership log: an add, a removal, a
// leave, a role change or a title. The relay checks it as every member does
// (membership.State.Apply) and applies it to its own access control.
type AppendLog struct {
	_      struct{} `cbor:",toarray"`
	ChatID ids.Chat
	Record []byte
}

// FetchLog asks for a chat's membership log from record From (0 for the start).
// Members read all of it; a former member reads up to the record that removed it.
type FetchLog struct {
	_      struct{} `cbor:",toarray"`
	ChatID ids.Chat
	From   uint64
}

// Log answers [FetchLog]: records From, From+1, … in order. More says another page
// follows.
type Log struct {
	_       struct{} `cbor:",toarray"`
	ChatID  ids.Chat
	From    uint64
	Records [][]byte
	More    bool
}

// GetChat asks for a chat's members and positions.
type GetChat struct {
	_      struct{} `cbor:",toarray"`
	ChatID ids.Chat
}

// MemberInfo is a member with its receipt positions: ReadSeq is the read position
// the member shares with the others, or its own when the reader is that member.
type MemberInfo struct {
	_            struct{} `cbor:",toarray"`
	AccountID    ids.Account
	Role         policy.Role
	DeliveredSeq uint64
	ReadSeq      uint64
}

// ChatInfo describes a chat as the relay keeps it: its current epoch (0 before the
// first [PutEpoch]), the last assigned sequence number, the length of its membership
// log, and its members as the relay's access control knows them. Clients take members
// and roles from the log they verified, never from here.
type ChatInfo struct {
	_       struct{} `cbor:",toarray"`
	ChatID  ids.Chat
	Kind    policy.ChatKind
	Epoch   uint64
	LastSeq uint64
	// LogLen is the number of records in the chat's membership log.
	LogLen  uint64
	Members []MemberInfo
}

// Member returns the entry of account a, if the chat lists it.
func (c *ChatInfo) Member(a ids.Account) (MemberInfo, bool) {
	for _, m := range c.Members {
		if m.AccountID == a {
			return m, true
		}
	}
	return MemberInfo{}, false
}

// ChatList asks for the chats the caller's account belongs to, ordered by chat id,
// starting after After (the zero id for the first page).
type ChatList struct {
	_     struct{} `cbor:",toarray"`
	After ids.Chat
	Limit uint32 // 0 means [DefaultPageEntries]
}

// ChatSummary is one chat in [Chats].
type ChatSummary struct {
	_       struct{} `cbor:",toarray"`
	ChatID  ids.Chat
	Kind    policy.ChatKind
	Role    policy.Role
	Epoch   uint64
	LastSeq uint64
	ReadSeq uint64 // the caller's account's read position
	LogLen  uint64
	// LastTime is when the relay stored the newest message (Unix milliseconds, 0 if
	// none): a new device fetches the most recently active chats first.
	LastTime int64
}

// Chats answers [ChatList]. More says another page follows after the last chat id.
type Chats struct {
	_     struct{} `cbor:",toarray"`
	Chats []ChatSummary
	More  bool
}

// ChatChanged is pushed to every member (including the ones just removed, who see
// themselves absent) after a chat is created or its membership changed.
type ChatChanged struct {
	_    struct{} `cbor:",toarray"`
	Chat ChatInfo
}

// WrappedKey is an epoch key wrapped (encrypted) to one member account.
type WrappedKey struct {
	_         struct{} `cbor:",toarray"`
	AccountID ids.Account
	Envelope  []byte
}

// PutEpoch appends the next epoch (the chat's current epoch + 1) to the chat's key log,
// with the key wrapped to every current member — exactly once each, nobody else —
// for the membership log as it stands: LogLen must be the log's length. A rotation
// too large for one frame is sent in parts: every part but the last has More set;
// the relay keeps them for this connection and commits the epoch with the last one.
// Who may put an epoch is policy.CanSignEpoch's.
type PutEpoch struct {
	_       struct{} `cbor:",toarray"`
	ChatID  ids.Chat
	Epoch   uint64
	LogLen  uint64
	Wrapped []WrappedKey
	More    bool
}

// FetchEpochs asks for the caller's envelopes of the chat's epochs from FromEpoch on.
type FetchEpochs struct {
	_         struct{} `cbor:",toarray"`
	ChatID    ids.Chat
	FromEpoch uint64
}

// EpochKey is one epoch as a member sees it: the envelope wrapped to its account and
// the device that put it.
type EpochKey struct {
	_          struct{} `cbor:",toarray"`
	Epoch      uint64
	Envelope   []byte
	ByDevice   ids.Device
	ByAccount  ids.Account
	ServerTime int64 // Unix milliseconds
}

// Epochs answers [FetchEpochs]; epochs without an envelope for the caller are left out.
type Epochs struct {
	_      struct{} `cbor:",toarray"`
	ChatID ids.Chat
	Keys   []EpochKey
	More   bool
}

// NewEpoch is pushed to every member's devices after a [PutEpoch], carrying that
// member's envelope.
type NewEpoch struct {
	_      struct{} `cbor:",toarray"`
	ChatID ids.Chat
	Key    EpochKey
}

// Send appends a message to a chat. The relay answers [Ack] only after the message is
// durably committed; a resend with the same MsgID returns the original Ack and never
// stores a second entry. Epoch must be the chat's current epoch ([CodeStaleEpoch]).
type Send struct {
	_          struct{} `cbor:",toarray"`
	ChatID     ids.Chat
	MsgID      ids.Message
	Epoch      uint64
	Ciphertext []byte
}

// Ack confirms a durably committed [Send] with the sequence number the relay assigned.
type Ack struct {
	_          struct{} `cbor:",toarray"`
	ChatID     ids.Chat
	MsgID      ids.Message
	Seq        uint64
	ServerTime int64 // Unix milliseconds
}

// Fetch asks for a chat's entries with Seq > AfterSeq, oldest first.
type Fetch struct {
	_        struct{} `cbor:",toarray"`
	ChatID   ids.Chat
	AfterSeq uint64
	Limit    uint32 // 0 means [DefaultPageEntries]
}

// Entry is one message of a chat log.
type Entry struct {
	_             struct{} `cbor:",toarray"`
	Seq           uint64
	MsgID         ids.Message
	SenderAccount ids.Account
	SenderDevice  ids.Device
	Epoch         uint64
	ServerTime    int64 // Unix milliseconds
	Ciphertext    []byte
}

// Page answers [Fetch]. More says further entries exist after the last one.
type Page struct {
	_       struct{} `cbor:",toarray"`
	ChatID  ids.Chat
	Entries []Entry
	More    bool
}

// Push carries a newly committed entry to every connected device of every member,
// the sender's own devices included.
type Push struct {
	_      struct{} `cbor:",toarray"`
	ChatID ids.Chat
	Entry  Entry
}

// Mark records the caller's account's delivered and read positions in a chat. The
// relay keeps the highest values it has seen and pushes a [Receipt].
type Mark struct {
	_            struct{} `cbor:",toarray"`
	ChatID       ids.Chat
	DeliveredSeq uint64
	ReadSeq      uint64
	// Private keeps the reads this mark reports from the other members: the relay
	// raises the account's own read position (its devices, unread counts) but not
	// the one it shares, which a mark without it raises along (the user's read
	// receipts switch; docs/PROTOCOL.md, "Receipts and typing").
	Private bool
}

// Receipt tells members a member's positions changed. In channels it goes only to the
// member's own devices. The account's own devices get its own read position, the
// other members the one it shares with them.
type Receipt struct {
	_            struct{} `cbor:",toarray"`
	ChatID       ids.Chat
	AccountID    ids.Account
	DeliveredSeq uint64
	ReadSeq      uint64
}

// CatchUp tells a device to catch up from the store as after a reconnection:
// the relay it is connected to lost its connection to the database shared with
// other relays, and what they announced meanwhile (messages, read positions,
// account records, inbox items, device lists) may not have been pushed. Sent
// once the relay listens again, so that anything later is pushed as usual.
type CatchUp struct {
	_ struct{} `cbor:",toarray"`
}

// Typing says the caller is typing in a chat. Sent with ReqID 0; no response; never
// stored.
type Typing struct {
	_      struct{} `cbor:",toarray"`
	ChatID ids.Chat
}

// TypingPush forwards a [Typing] to the other members' connected devices.
type TypingPush struct {
	_         struct{} `cbor:",toarray"`
	ChatID    ids.Chat
	AccountID ids.Account
	DeviceID  ids.Device
}

// AccountAppend appends an encrypted record to the caller's account log; idempotent
// on RecordID like [Send].
type AccountAppend struct {
	_          struct{} `cbor:",toarray"`
	RecordID   ids.Record
	Ciphertext []byte
}

// AccountAck confirms a durably committed [AccountAppend].
type AccountAck struct {
	_          struct{} `cbor:",toarray"`
	RecordID   ids.Record
	Seq        uint64
	ServerTime int64 // Unix milliseconds
}

// AccountFetch asks for account log records with Seq > AfterSeq, oldest first.
type AccountFetch struct {
	_        struct{} `cbor:",toarray"`
	AfterSeq uint64
	Limit    uint32 // 0 means [DefaultPageEntries]
}

// AccountEntry is one record of an account log.
type AccountEntry struct {
	_            struct{} `cbor:",toarray"`
	Seq          uint64
	RecordID     ids.Record
	SenderDevice ids.Device
	ServerTime   int64 // Unix milliseconds
	Ciphertext   []byte
}

// AccountPage answers [AccountFetch].
type AccountPage struct {
	_       struct{} `cbor:",toarray"`
	Entries []AccountEntry
	More    bool
}

// AccountPush carries a newly committed account record to the account's other
// connected devices.
type AccountPush struct {
	_     struct{} `cbor:",toarray"`
	Entry AccountEntry
}

// InboxSend puts an item into one device's inbox (secret-chat messages, key
// envelopes, linking). Idempotent on (ToDevice, ItemID) while the item is unacknowledged.
type InboxSend struct {
	_          struct{} `cbor:",toarray"`
	ToDevice   ids.Device
	ItemID     ids.InboxItem
	Ciphertext []byte
}

// InboxFetch asks for the caller's device inbox items with Seq > AfterSeq.
type InboxFetch struct {
	_        struct{} `cbor:",toarray"`
	AfterSeq uint64
	Limit    uint32 // 0 means [DefaultPageEntries]
}

// InboxItem is one item in a device inbox. Seq orders the inbox of one device.
type InboxItem struct {
	_           struct{} `cbor:",toarray"`
	Seq         uint64
	ItemID      ids.InboxItem
	FromAccount ids.Account
	FromDevice  ids.Device
	ServerTime  int64 // Unix milliseconds
	Ciphertext  []byte
}

// InboxPage answers [InboxFetch].
type InboxPage struct {
	_     struct{} `cbor:",toarray"`
	Items []InboxItem
	More  bool
}

// InboxPush carries a new inbox item to its target device, if connected.
type InboxPush struct {
	_    struct{} `cbor:",toarray"`
	Item InboxItem
}

// InboxAck deletes items from the caller's device inbox. Unknown ids are ignored, so
// a repeated acknowledgement is harmless.
type InboxAck struct {
	_       struct{} `cbor:",toarray"`
	ItemIDs []ids.InboxItem
}

// Type implements [Body].
func (*Hello) Type() Type { return TypeHello }

// Type implements [Body].
func (*Auth) Type() Type { return TypeAuth }

// Type implements [Body].
func (*AuthOK) Type() Type { return TypeAuthOK }

// Type implements [Body].
func (*OK) Type() Type { return TypeOK }

// Type implements [Body].
func (*RegisterHandle) Type() Type { return TypeRegisterHandle }

// Type implements [Body].
func (*LookupHandle) Type() Type { return TypeLookupHandle }

// Type implements [Body].
func (*LookupAccount) Type() Type { return TypeLookupAccount }

// Type implements [Body].
func (*Account) Type() Type { return TypeAccount }

// Type implements [Body].
func (*GetUsage) Type() Type { return TypeGetUsage }

// Type implements [Body].
func (*Usage) Type() Type { return TypeUsage }

// Type implements [Body].
func (*PutDeviceList) Type() Type { return TypePutDeviceList }

// Type implements [Body].
func (*LinkOpen) Type() Type { return TypeLinkOpen }

// Type implements [Body].
func (*LinkClaim) Type() Type { return TypeLinkClaim }

// Type implements [Body].
func (*LinkOffer) Type() Type { return TypeLinkOffer }

// Type implements [Body].
func (*LinkSend) Type() Type { return TypeLinkSend }

// Type implements [Body].
func (*LinkPush) Type() Type { return TypeLinkPush }

// Type implements [Body].
func (*LinkClosed) Type() Type { return TypeLinkClosed }

// Type implements [Body].
func (*DeviceListPush) Type() Type { return TypeDeviceListPush }

// Type implements [Body].
func (*CreateChat) Type() Type { return TypeCreateChat }

// Type implements [Body].
func (*AppendLog) Type() Type { return TypeAppendLog }

// Type implements [Body].
func (*FetchLog) Type() Type { return TypeFetchLog }

// Type implements [Body].
func (*Log) Type() Type { return TypeLog }

// Type implements [Body].
func (*PutAccountKeys) Type() Type { return TypePutAccountKeys }

// Type implements [Body].
func (*GetChat) Type() Type { return TypeGetChat }

// Type implements [Body].
func (*ChatInfo) Type() Type { return TypeChatInfo }

// Type implements [Body].
func (*ChatList) Type() Type { return TypeChatList }

// Type implements [Body].
func (*Chats) Type() Type { return TypeChats }

// Type implements [Body].
func (*ChatChanged) Type() Type { return TypeChatChanged }

// Type implements [Body].
func (*PutEpoch) Type() Type { return TypePutEpoch }

// Type implements [Body].
func (*FetchEpochs) Type() Type { return TypeFetchEpochs }

// Type implements [Body].
func (*Epochs) Type() Type { return TypeEpochs }

// Type implements [Body].
func (*NewEpoch) Type() Type { return TypeNewEpoch }

// Type implements [Body].
func (*Send) Type() Type { return TypeSend }

// Type implements [Body].
func (*Ack) Type() Type { return TypeAck }

// Type implements [Body].
func (*Fetch) Type() Type { return TypeFetch }

// Type implements [Body].
func (*Page) Type() Type { return TypePage }

// Type implements [Body].
func (*Push) Type() Type { return TypePush }

// Type implements [Body].
func (*Mark) Type() Type { return TypeMark }

// Type implements [Body].
func (*Receipt) Type() Type { return TypeReceipt }

// Type implements [Body].
func (*CatchUp) Type() Type { return TypeCatchUp }

// Type implements [Body].
func (*Typing) Type() Type { return TypeTyping }

// Type implements [Body].
func (*TypingPush) Type() Type { return TypeTypingPush }

// Type implements [Body].
func (*AccountAppend) Type() Type { return TypeAccountAppend }

// Type implements [Body].
func (*AccountAck) Type() Type { return TypeAccountAck }

// Type implements [Body].
func (*AccountFetch) Type() Type { return TypeAccountFetch }

// Type implements [Body].
func (*AccountPage) Type() Type { return TypeAccountPage }

// Type implements [Body].
func (*AccountPush) Type() Type { return TypeAccountPush }

// Type implements [Body].
func (*InboxSend) Type() Type { return TypeInboxSend }

// Type implements [Body].
func (*InboxFetch) Type() Type { return TypeInboxFetch }

// Type implements [Body].
func (*InboxPage) Type() Type { return TypeInboxPage }

// Type implements [Body].
func (*InboxPush) Type() Type { return TypeInboxPush }

// Type implements [Body].
func (*InboxAck) Type() Type { return TypeInboxAck }

// Type implements [Body].
func (*PutPrekeys) Type() Type { return TypePutPrekeys }

// Type implements [Body].
func (*PrekeyCount) Type() Type { return TypePrekeyCount }

// Type implements [Body].
func (*FetchPrekeys) Type() Type { return TypeFetchPrekeys }

// Type implements [Body].
func (*PrekeyBundle) Type() Type { return TypePrekeyBundle }

// Validation: the limits beyond the CBOR shape. Sizes are checked here so that both
// Encode (a local mistake) and Decode (a hostile peer) refuse the same frames.

func checkCiphertext(what string, ct []byte) error {
	if len(ct) == 0 {
		return badFrame("%s: empty ciphertext", what)
	}
	if len(ct) > MaxCiphertextSize {
		return &Error{Code: CodeTooLarge, Message: fmt.Sprintf("%s: ciphertext of %d bytes exceeds %d", what, len(ct), MaxCiphertextSize)}
	}
	return nil
}

func checkLimit(limit uint32) error {
	if limit > MaxPageEntries {
		return badFrame("limit %d exceeds %d", limit, MaxPageEntries)
	}
	return nil
}

func checkSig(what string, sig []byte) error {
	if len(sig) != SignatureSize {
		return badFrame("%s: signature of %d bytes, want %d", what, len(sig), SignatureSize)
	}
	return nil
}

func checkHandleInput(h string) error {
	if len(h) > MaxHandleInput {
		return badFrame("handle of %d bytes exceeds %d", len(h), MaxHandleInput)
	}
	return nil
}

// maxCertificateSize mirrors identity.MaxCertificateSize without importing identity,
// so this package stays a leaf.
const maxCertificateSize = 1024

func checkCert(c []byte) error {
	if len(c) == 0 || len(c) > maxCertificateSize {
		return badFrame("certificate of %d bytes (want 1 to %d)", len(c), maxCertificateSize)
	}
	return nil
}

// maxRecordSize mirrors membership.MaxRecordSize, so this package stays a leaf.
const maxRecordSize = 64 << 10

func checkRecord(r []byte) error {
	if len(r) == 0 || len(r) > maxRecordSize {
		return badFrame("membership record of %d bytes (want 1 to %d)", len(r), maxRecordSize)
	}
	return nil
}

func checkAccountKeys(k []byte, optional bool) error {
	if (len(k) == 0 && !optional) || len(k) > MaxAccountKeysSize {
		return badFrame("account keys of %d bytes (at most %d)", len(k), MaxAccountKeysSize)
	}
	return nil
}

// maxDeviceListSize mirrors identity.MaxDeviceListSize, so this package stays a leaf.
const maxDeviceListSize = 64 << 10

func checkDeviceList(l []byte, optional bool) error {
	if (len(l) == 0 && !optional) || len(l) > maxDeviceListSize {
		return badFrame("device list of %d bytes (at most %d)", len(l), maxDeviceListSize)
	}
	return nil
}

// linkKeySize mirrors devicelink.PublicKeySize (ML-KEM-768 and X25519 public keys)
// and maxLinkPayload devicelink.MaxMessageSize, so this package stays a leaf.
const (
	linkKeySize    = 1216
	maxLinkPayload = 80 << 10
)

func checkLinkKey(k []byte) error {
	if len(k) != linkKeySize {
		return badFrame("link key of %d bytes, want %d", len(k), linkKeySize)
	}
	return nil
}

func checkLinkPayload(p []byte) error {
	if len(p) == 0 || len(p) > maxLinkPayload {
		return badFrame("link message of %d bytes (want 1 to %d)", len(p), maxLinkPayload)
	}
	return nil
}

func checkEpochKey(k *EpochKey) error {
	if k.Epoch == 0 {
		return badFrame("epoch 0")
	}
	if len(k.Envelope) == 0 || len(k.Envelope) > MaxEnvelopeSize {
		return badFrame("envelope of %d bytes (want 1 to %d)", len(k.Envelope), MaxEnvelopeSize)
	}
	return nil
}

func checkChatInfo(c *ChatInfo) error {
	if !c.Kind.Cloud() {
		return badFrame("unknown chat kind %d", c.Kind)
	}
	if len(c.Members) > MaxChatMembers {
		return badFrame("%d members exceed %d", len(c.Members), MaxChatMembers)
	}
	for _, m := range c.Members {
		if !m.Role.Valid() {
			return badFrame("unknown role %d", m.Role)
		}
	}
	return nil
}

func (*OK) validate() error { return nil }

func (h *Hello) validate() error {
	if len(h.Versions) == 0 || len(h.Versions) > MaxVersions {
		return badFrame("hello lists %d versions (want 1 to %d)", len(h.Versions), MaxVersions)
	}
	return nil
}

func (a *Auth) validate() error {
	if err := checkCert(a.DeviceCert); err != nil {
		return err
	}
	return checkSig("auth", a.Signature)
}

func (*AuthOK) validate() error { return nil }

func (r *RegisterHandle) validate() error {
	if err := checkHandleInput(r.Handle); err != nil {
		return err
	}
	return checkSig("register handle", r.Signature)
}

func (l *LookupHandle) validate() error { return checkHandleInput(l.Handle) }

func (*LookupAccount) validate() error { return nil }

func (*GetUsage) validate() error { return nil }

// validate accepts any figures: a relay may have lowered a quota below what an
// account already stores, and a client only shows them.
func (*Usage) validate() error { return nil }

func (a *Account) validate() error {
	if len(a.AccountKey) != 64 {
		return badFrame("account key of %d bytes, want 64", len(a.AccountKey))
	}
	if err := checkAccountKeys(a.Keys, true); err != nil {
		return err
	}
	if err := checkHandleInput(a.Handle); err != nil {
		return err
	}
	if err := checkDeviceList(a.DeviceList, true); err != nil {
		return err
	}
	if len(a.Devices) > MaxDevicesPerAccount || len(a.Seen) > MaxDevicesPerAccount {
		return badFrame("%d devices exceed %d", len(a.Devices), MaxDevicesPerAccount)
	}
	for _, c := range a.Devices {
		if err := checkCert(c); err != nil {
			return err
		}
	}
	return nil
}

func (p *PutDeviceList) validate() error { return checkDeviceList(p.List, false) }

func (p *DeviceListPush) validate() error { return checkDeviceList(p.List, false) }

func (l *LinkOpen) validate() error { return checkLinkKey(l.PublicKey) }

func (*LinkClaim) validate() error { return nil }

func (l *LinkOffer) validate() error { return checkLinkKey(l.PublicKey) }

func (l *LinkSend) validate() error { return checkLinkPayload(l.Payload) }

func (l *LinkPush) validate() error { return checkLinkPayload(l.Payload) }

func (*LinkClosed) validate() error { return nil }

func (c *CreateChat) validate() error { return checkRecord(c.Record) }

func (a *AppendLog) validate() error { return checkRecord(a.Record) }

func (*FetchLog) validate() error { return nil }

func (l *Log) validate() error {
	if len(l.Records) > MaxPageEntries {
		return badFrame("%d records exceed %d", len(l.Records), MaxPageEntries)
	}
	for _, r := range l.Records {
		if err := checkRecord(r); err != nil {
			return err
		}
	}
	return nil
}

func (p *PutAccountKeys) validate() error { return checkAccountKeys(p.Keys, false) }

func (*GetChat) validate() error { return nil }

func (c *ChatInfo) validate() error { return checkChatInfo(c) }

func (c *ChatList) validate() error { return checkLimit(c.Limit) }

func (c *Chats) validate() error {
	if len(c.Chats) > MaxPageEntries {
		return badFrame("%d chats exceed %d", len(c.Chats), MaxPageEntries)
	}
	for _, s := range c.Chats {
		if !s.Kind.Cloud() || !s.Role.Valid() {
			return badFrame("chat summary with kind %d, role %d", s.Kind, s.Role)
		}
	}
	return nil
}

func (c *ChatChanged) validate() error { return checkChatInfo(&c.Chat) }

func (p *PutEpoch) validate() error {
	if p.Epoch == 0 {
		return badFrame("epoch 0")
	}
	if len(p.Wrapped) == 0 || len(p.Wrapped) > MaxChatMembers {
		return badFrame("%d wrapped keys (want 1 to %d)", len(p.Wrapped), MaxChatMembers)
	}
	for _, w := range p.Wrapped {
		if len(w.Envelope) == 0 || len(w.Envelope) > MaxEnvelopeSize {
			return badFrame("envelope of %d bytes (want 1 to %d)", len(w.Envelope), MaxEnvelopeSize)
		}
	}
	return nil
}

func (*FetchEpochs) validate() error { return nil }

func (e *Epochs) validate() error {
	if len(e.Keys) > MaxPageEntries {
		return badFrame("%d epoch keys exceed %d", len(e.Keys), MaxPageEntries)
	}
	for i := range e.Keys {
		if err := checkEpochKey(&e.Keys[i]); err != nil {
			return err
		}
	}
	return nil
}

func (n *NewEpoch) validate() error { return checkEpochKey(&n.Key) }

func (s *Send) validate() error {
	if s.MsgID.IsZero() {
		return badFrame("zero message id")
	}
	if s.Epoch == 0 {
		return badFrame("epoch 0")
	}
	return checkCiphertext("send", s.Ciphertext)
}

func (*Ack) validate() error { return nil }

func (f *Fetch) validate() error { return checkLimit(f.Limit) }

func (p *Page) validate() error {
	if len(p.Entries) > MaxPageEntries {
		return badFrame("%d entries exceed %d", len(p.Entries), MaxPageEntries)
	}
	for i := range p.Entries {
		if err := checkCiphertext("page entry", p.Entries[i].Ciphertext); err != nil {
			return err
		}
	}
	return nil
}

func (p *Push) validate() error { return checkCiphertext("push", p.Entry.Ciphertext) }

func (*Mark) validate() error { return nil }

func (*Receipt) validate() error { return nil }
func (*CatchUp) validate() error { return nil }

func (*Typing) validate() error { return nil }

func (*TypingPush) validate() error { return nil }

// checkPrekey checks one prekey; optional allows the zero prekey.
func checkPrekey(what string, p Prekey, optional bool) error {
	switch {
	case optional && p.IsZero():
		return nil
	case p.ID.IsZero():
		return badFrame("%s: zero prekey id", what)
	case len(p.Signed) == 0:
		return badFrame("%s: empty prekey", what)
	case len(p.Signed) > MaxPrekeySize:
		return &Error{Code: CodeTooLarge, Message: fmt.Sprintf("%s: prekey of %d bytes exceeds %d", what, len(p.Signed), MaxPrekeySize)}
	}
	return nil
}

// checkOneTime checks a list of one-time prekeys: each valid, ids distinct.
func checkOneTime(what string, ps []Prekey) error {
	if len(ps) > MaxOneTimePrekeys {
		return badFrame("%s: %d one-time prekeys, at most %d", what, len(ps), MaxOneTimePrekeys)
	}
	seen := make(map[ids.Prekey]bool, len(ps))
	for _, p := range ps {
		if err := checkPrekey(what, p, false); err != nil {
			return err
		}
		if seen[p.ID] {
			return badFrame("%s: prekey id %v twice", what, p.ID)
		}
		seen[p.ID] = true
	}
	return nil
}

func (p *PutPrekeys) validate() error {
	if err := checkPrekey("signed prekey", p.Signed, true); err != nil {
		return err
	}
	if err := checkPrekey("last-resort prekey", p.LastResort, true); err != nil {
		return err
	}
	if err := checkOneTime("one-time prekeys", p.OneTime); err != nil {
		return err
	}
	return checkOneTime("post-quantum one-time prekeys", p.PQOneTime)
}

func (p *PrekeyCount) validate() error {
	if p.OneTime > MaxOneTimePrekeys || p.PQOneTime > MaxOneTimePrekeys {
		return badFrame("prekey count %d/%d exceeds %d", p.OneTime, p.PQOneTime, MaxOneTimePrekeys)
	}
	return nil
}

func (p *FetchPrekeys) validate() error {
	if p.Device.IsZero() {
		return badFrame("zero device id")
	}
	return nil
}

func (p *PrekeyBundle) validate() error {
	if p.Device.IsZero() {
		return badFrame("zero device id")
	}
	if err := checkPrekey("signed prekey", p.Signed, false); err != nil {
		return err
	}
	if err := checkPrekey("post-quantum prekey", p.PQ, false); err != nil {
		return err
	}
	return checkPrekey("one-time prekey", p.OneTime, true)
}

func (a *AccountAppend) validate() error {
	if a.RecordID.IsZero() {
		return badFrame("zero record id")
	}
	return checkCiphertext("account append", a.Ciphertext)
}

func (*AccountAck) validate() error { return nil }

func (a *AccountFetch) validate() error { return checkLimit(a.Limit) }

func (a *AccountPage) validate() error {
	if len(a.Entries) > MaxPageEntries {
		return badFrame("%d entries exceed %d", len(a.Entries), MaxPageEntries)
	}
	for i := range a.Entries {
		if err := checkCiphertext("account entry", a.Entries[i].Ciphertext); err != nil {
			return err
		}
	}
	return nil
}

func (a *AccountPush) validate() error { return checkCiphertext("account push", a.Entry.Ciphertext) }

func (s *InboxSend) validate() error {
	if s.ItemID.IsZero() {
		return badFrame("zero item id")
	}
	return checkCiphertext("inbox send", s.Ciphertext)
}

func (f *InboxFetch) validate() error { return checkLimit(f.Limit) }

func (p *InboxPage) validate() error {
	if len(p.Items) > MaxPageEntries {
		return badFrame("%d items exceed %d", len(p.Items), MaxPageEntries)
	}
	for i := range p.Items {
		if err := checkCiphertext("inbox item", p.Items[i].Ciphertext); err != nil {
			return err
		}
	}
	return nil
}

func (p *InboxPush) validate() error { return checkCiphertext("inbox push", p.Item.Ciphertext) }

func (a *InboxAck) validate() error {
	if len(a.ItemIDs) == 0 || len(a.ItemIDs) > MaxPageEntries {
		return badFrame("%d item ids (want 1 to %d)", len(a.ItemIDs), MaxPageEntries)
	}
	return nil
}
