// Package store keeps the relay's state: accounts and devices, chats with their
// members, epoch key logs and message logs, account logs and device inboxes. It
// stores ciphertext it cannot read. Two engines implement the same [Tx]:
//
//   - [SQLite] (modernc.org/sqlite, no cgo), one file, the default: one relay, whose
//     commit loop calls [SQLite.Write] with a batch of writes, run in one
//     transaction and one fsync (group commit); reads run concurrently on a pool of
//     read-only connections, thanks to WAL. Durability is synchronous=FULL.
//   - [Postgres] (github.com/jackc/pgx/v5), which several relays may share
//     (docs/RELAY.md, "Several relays"): each relay's commit loop writes its batches
//     as with SQLite, with synchronous_commit on; where a write extends a numbering
//     (a chat's messages, an account's log, a device's inbox) the transaction locks
//     the row that owns it first, so numbers stay gap-free and in commit order
//     whichever relay writes. A write can announce what it changed (NOTIFY, sent on
//     commit) and [Postgres.Listen] hears every relay's announcements.
//
// The schema is versioned by numbered, embedded migrations per engine
// (migrations/NNNN_*.sql for SQLite, pgmigrations/NNNN_*.sql for PostgreSQL);
// opening applies the missing ones in one transaction — on PostgreSQL under an
// advisory lock, so relays starting together migrate once — and refuses a
// database whose schema is newer than this code ([ErrSchemaTooNew]).
//
// Beside what the relay needs, both engines answer `hush-relay admin` (admin.go:
// list, disable, delete and export accounts) and Ready, the /readyz check.
//
// Built with the tag hush_omit_postgres (the desktop binary, whose `hush relay` is
// one relay on one computer) the package has no PostgreSQL engine and does not link
// its driver (nopostgres.go; docs/ARCHITECTURE.md, "What each binary links").
package store

import (
	"context"
	"errors"
	"fmt"

	"hush/ids"
	"hush/policy"
	"hush/sync/wire"
)

// ErrNotFound reports that a record does not exist, or that the reader may not see it
// (a chat of which it is not a member).
var ErrNotFound = errors.New("store: not found")

// ErrSchemaTooNew reports a database written by a newer relay; it is left untouched.
var ErrSchemaTooNew = errors.New("store: database schema is newer than this relay supports")

// ErrNotMigrated reports, from Ready, a database whose schema is older than this
// code's: another relay is migrating it, or a migration failed.
var ErrNotMigrated = errors.New("store: database schema is not migrated")

// ErrConflict reports a write transaction that PostgreSQL aborted because it
// deadlocked with another relay's or could not be serialized with it; nothing of it
// was stored, and the same writes may simply be sent again.
var ErrConflict = errors.New("store: the write conflicted with another relay's; nothing was stored")

// MaxNotifyPayload is the largest notification payload PostgreSQL takes (it refuses
// 8000 bytes and more); the relay cuts its cluster events to fit (relay/cluster.go).
// It is declared with either engine, like [ErrConflict], so that code which speaks
// of PostgreSQL builds without it too.
const MaxNotifyPayload = 7999

// checkVersion compares a database's schema version with the one this code writes.
func checkVersion(have, want int) error {
	switch {
	case have < want:
		return fmt.Errorf("%w: version %d, want %d", ErrNotMigrated, have, want)
	case have > want:
		return fmt.Errorf("%w: version %d, this relay knows up to %d", ErrSchemaTooNew, have, want)
	}
	return nil
}

// Account is a registered account.
type Account struct {
	ID        ids.Account
	PublicKey []byte // identity.AccountPublicKey.Bytes
	Handle    string // normalised; "" if none
	UsedBytes int64  // ciphertext bytes counted against the quota
	CreatedAt int64  // Unix milliseconds
	// Keys is the account's signed keys record, nil until it publishes one.
	Keys []byte
	// DeviceList is the account's newest signed device list and DeviceListVersion
	// its version; nil and 0 until the account publishes one.
	DeviceList        []byte
	DeviceListVersion uint64
	// DisabledAt is when the relay's operator disabled the account (Unix
	// milliseconds; `hush-relay admin disable`), 0 while it is enabled. The relay
	// refuses a disabled account's devices.
	DisabledAt int64
}

// Disabled reports whether the relay's operator disabled the account.
func (a Account) Disabled() bool { return a.DisabledAt != 0 }

// Device is a device that authenticated at least once.
type Device struct {
	ID        ids.Device
	AccountID ids.Account
	Cert      []byte
	CreatedAt int64 // Unix milliseconds
	RevokedAt int64 // Unix milliseconds; 0 if not revoked
}

// Revoked reports whether the device was revoked.
func (d Device) Revoked() bool { return d.RevokedAt != 0 }

// Chat is a chat as the writer needs it to enforce the rules.
type Chat struct {
	ID            ids.Chat
	Kind          policy.ChatKind
	CreatedBy     ids.Account
	Epoch         uint64 // current epoch; 0 before the first
	RotatePending bool   // a member was removed since the current epoch was put
	LastSeq       uint64
	Members       map[ids.Account]*Member
	// LogLen is the number of records in the chat's membership log, LogHead the hash
	// of the newest one and HeadOp its op (membership.Op); all zero for a chat created
	// before logs existed, until its owner adopts it.
	LogLen  uint64
	LogHead [32]byte
	HeadOp  uint8

	no int64 // the store's local key; set by Tx.Chat and Tx.CreateChat
}

// Member is one account's membership in a chat, with its receipt positions: ReadSeq
// is the account's own read position, SharedReadSeq the one the other members are
// shown, at most ReadSeq (behind it while the account keeps its reads private).
type Member struct {
	Role          policy.Role
	DeliveredSeq  uint64
	ReadSeq       uint64
	SharedReadSeq uint64
}

// Tx is one write transaction, handed to the function given to [SQLite.Write] or
// [Postgres.Write]. Each relay has a single writer, so reads in it see every
// earlier write of that relay; on PostgreSQL other relays may write between two
// transactions, so the caller keeps nothing it read beyond the transaction, and
// [Tx.Chat] and [Tx.AccountLogSeq] lock what they return until the commit.
type Tx interface {
	// Account returns an account, or ErrNotFound.
	Account(ctx context.Context, id ids.Account) (Account, error)
	// Device returns a device, or ErrNotFound.
	Device(ctx context.Context, id ids.Device) (Device, error)
	// ActiveDeviceCount counts an account's non-revoked devices.
	ActiveDeviceCount(ctx context.Context, account ids.Account) (int, error)
	// HandleOwner returns the account holding handle, or ErrNotFound.
	HandleOwner(ctx context.Context, handle string) (ids.Account, error)
	// AccountLogSeq returns the highest seq of an account log (0 if empty).
	AccountLogSeq(ctx context.Context, account ids.Account) (uint64, error)
	// Chat returns a chat with its members and last seq, or ErrNotFound.
	Chat(ctx context.Context, id ids.Chat) (*Chat, error)
	// EpochAuthor returns the device that put an epoch, or ErrNotFound.
	EpochAuthor(ctx context.Context, c *Chat, epoch uint64) (ids.Device, error)

	// CreateAccount inserts an account.
	CreateAccount(ctx context.Context, a Account) error
	// CreateDevice inserts a device.
	CreateDevice(ctx context.Context, d Device) error
	// RevokeDevice marks a device revoked at the given time.
	RevokeDevice(ctx context.Context, id ids.Device, at int64) error
	// SetHandle binds a normalised handle to an account, replacing its previous one.
	SetHandle(ctx context.Context, account ids.Account, handle string) error
	// AddUsage adds delta (possibly negative) to an account's used bytes.
	AddUsage(ctx context.Context, account ids.Account, delta int64) error

	// CreateChat inserts a chat and its members.
	CreateChat(ctx context.Context, c *Chat, createdAt int64) error
	// SetMember inserts a member or changes its role.
	SetMember(ctx context.Context, c *Chat, account ids.Account, role policy.Role) error
	// RemoveMember deletes a membership.
	RemoveMember(ctx context.Context, c *Chat, account ids.Account) error
	// SetEpoch records c.Epoch and c.RotatePending.
	SetEpoch(ctx context.Context, c *Chat) error
	// InsertEpoch appends an epoch and its wrapped keys.
	InsertEpoch(ctx context.Context, c *Chat, key wire.EpochKey, wrapped []wire.WrappedKey) error
	// SetLastSeen records when a device last authenticated.
	SetLastSeen(ctx context.Context, device ids.Device, at int64) error
	// SetDeviceList stores an account's signed device list and its version.
	SetDeviceList(ctx context.Context, account ids.Account, list []byte, version uint64) error
	// SetAccountKeys stores an account's signed keys record.
	SetAccountKeys(ctx context.Context, account ids.Account, keys []byte) error
	// LogRecord returns record seq of a chat's membership log, or ErrNotFound.
	LogRecord(ctx context.Context, c *Chat, seq uint64) ([]byte, error)
	// AppendLog stores record at position c.LogLen of the chat's membership log and
	// makes it the head: c.LogLen, c.LogHead and c.HeadOp are updated, in c and stored.
	AppendLog(ctx context.Context, c *Chat, record []byte, head [32]byte, op uint8) error
	// SetFormer lets a removed account read the log up to (not including) logUntil;
	// a logUntil of 0 forgets it (the account is a member again).
	SetFormer(ctx context.Context, c *Chat, account ids.Account, logUntil uint64) error
	// DirectChat returns the direct chat of two accounts, or ErrNotFound.
	DirectChat(ctx context.Context, a, b ids.Account) (ids.Chat, error)
	// SetDirectPair records c as the direct chat of a and b.
	SetDirectPair(ctx context.Context, c *Chat, a, b ids.Account) error
	// SetMark stores a member's positions: delivered, its own read position and
	// the read position it shares.
	SetMark(ctx context.Context, c *Chat, account ids.Account, delivered, read, shared uint64) error

	// MessageSeq returns the Seq and ServerTime of a stored message, or ErrNotFound.
	MessageSeq(ctx context.Context, c *Chat, msg ids.Message) (seq uint64, serverTime int64, err error)
	// InsertMessage appends e to the chat log unless (chat, e.MsgID) exists; then it
	// returns the stored entry's Seq and ServerTime and inserted=false.
	InsertMessage(ctx context.Context, c *Chat, e wire.Entry) (seq uint64, serverTime int64, inserted bool, err error)
	// RecordSeq returns the Seq and ServerTime of a stored account record, or
	// ErrNotFound.
	RecordSeq(ctx context.Context, account ids.Account, record ids.Record) (seq uint64, serverTime int64, err error)
	// InsertAccountRecord appends e to the account log unless (account, e.RecordID)
	// exists, like InsertMessage.
	InsertAccountRecord(ctx context.Context, account ids.Account, e wire.AccountEntry) (seq uint64, serverTime int64, inserted bool, err error)
	// InsertInboxItem stores an item (its Seq is assigned here) unless (device, ItemID)
	// exists; it returns the item as stored.
	InsertInboxItem(ctx context.Context, device ids.Device, it wire.InboxItem) (stored wire.InboxItem, inserted bool, err error)
	// DeleteInboxItems deletes items of a device and reports, per sender account, the
	// ciphertext bytes freed.
	DeleteInboxItems(ctx context.Context, device ids.Device, items []ids.InboxItem) (map[ids.Account]int64, error)
	// ExpireInboxItems deletes up to limit inbox items stored before the given time
	// (Unix milliseconds), oldest first, and reports how many it deleted and, per
	// sender account, the ciphertext bytes freed.
	ExpireInboxItems(ctx context.Context, before int64, limit int) (n int, freed map[ids.Account]int64, err error)

	// ReplacePrekey stores a device's signed or last-resort prekey (kind
	// PrekeySigned or PrekeyLastResort), replacing the one held.
	ReplacePrekey(ctx context.Context, device ids.Device, kind PrekeyKind, p wire.Prekey) error
	// AddPrekeys adds one-time prekeys of a kind (PrekeyOneTime, PrekeyPQOneTime);
	// an id already held is left as it is.
	AddPrekeys(ctx context.Context, device ids.Device, kind PrekeyKind, ps []wire.Prekey) error
	// PrekeyCounts returns how many one-time prekeys of each kind a device has.
	PrekeyCounts(ctx context.Context, device ids.Device) (oneTime, pqOneTime int, err error)
	// TakePrekeys returns a device's bundle and deletes the one-time prekeys it
	// hands out (the lowest id of each kind), or ErrNotFound when the device has no
	// signed or no last-resort prekey.
	TakePrekeys(ctx context.Context, device ids.Device) (wire.PrekeyBundle, error)
}

// PrekeyKind says which of a device's prekeys a row is (docs/PROTOCOL.md, "Prekeys").
type PrekeyKind uint8

// Kinds of prekeys.
const (
	PrekeySigned     PrekeyKind = 1 // the signed X25519 prekey
	PrekeyLastResort PrekeyKind = 2 // the post-quantum last-resort prekey
	PrekeyOneTime    PrekeyKind = 3 // an X25519 one-time prekey
	PrekeyPQOneTime  PrekeyKind = 4 // an ML-KEM-768 one-time prekey
)
