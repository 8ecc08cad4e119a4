package vault

import (
	"crypto/subtle"
	"fmt"

	"hush/ids"
	"hush/vault/internal/subkey"
)

// The graph index. Account and device ids are hashes of public keys that the
// relay publishes, and a 1:1 chat's id is derived from its two accounts, so
// ids in clear would let whoever copies the file test "is Bob in here? does
// this person talk to Bob?" against public keys alone. Every column that
// names an account, a device or a chat therefore holds a tag,
//
//	HMAC-SHA256(graph index key, domain || 0x00 || id...)[:16]
//
// (package subkey), and the real id is sealed in the row's data. The domain
// is the role of the column, not only the kind of id in it: two columns get
// the same domain only where SQL must join them (the chat tag of chats and of
// every table that hangs off a chat). So the tags of an account as a contact,
// as a device's owner and as a member of one chat are unrelated: the file
// does not link a contact to its devices or to its chats, nor one chat's
// members to another's. docs/ARCHITECTURE.md ("What is in clear, and why")
// lists each column.

// domain is the role of a tagged column.
type domain uint8

const (
	domainAccount     domain = iota + 1 // accounts.tag: an own account
	domainContact                       // contacts.tag
	domainDevice                        // devices.tag
	domainDeviceOwner                   // devices.owner_tag: the account a device belongs to
	domainChat                          // chats.tag and every chat_tag that references it
	domainMember                        // chat_members.member_tag: chat id || account id
	domainSessionPeer                   // sessions.peer_tag: the peer device of a ratchet session
)

// String returns the domain's label, the first part of the HMAC input.
// Changing one makes every existing vault unreadable (the known-answer test
// in package subkey pins them).
func (d domain) String() string {
	switch d {
	case domainAccount:
		return "account"
	case domainContact:
		return "contact"
	case domainDevice:
		return "device"
	case domainDeviceOwner:
		return "device-owner"
	case domainChat:
		return "chat"
	case domainMember:
		return "member"
	case domainSessionPeer:
		return "session-peer"
	}
	panic(fmt.Sprintf("vault: graph index domain %d", uint8(d)))
}

// maxTagCache bounds the tags one transaction remembers. A batch of inserts
// into one chat needs one; a transaction that touches more ids than this
// computes the rest each time (about 0.2 µs each).
const maxTagCache = 1024

// tagKey is a cached tag's input.
type tagKey struct {
	domain domain
	a, b   [ids.Size]byte
}

// tag returns the graph index tag of a in d, or of a || b for domainMember
// (b is unused in the other domains), computed once per transaction.
func (tx *Tx) tag(d domain, a, b [ids.Size]byte) []byte {
	if d != domainMember {
		b = [ids.Size]byte{}
	}
	k := tagKey{domain: d, a: a, b: b}
	if t := tx.tags[k]; t != nil {
		return t[:]
	}
	t := new(subkey.Tag)
	if d == domainMember {
		*t = tx.keys.graph.Tag(d.String(), a[:], b[:])
	} else {
		*t = tx.keys.graph.Tag(d.String(), a[:])
	}
	if tx.tags == nil {
		tx.tags = make(map[tagKey]*subkey.Tag)
	}
	if len(tx.tags) < maxTagCache {
		tx.tags[k] = t
	}
	return t[:]
}

func (tx *Tx) accountTag(id ids.Account) []byte { return tx.tag(domainAccount, id, ids.Account{}) }
func (tx *Tx) contactTag(id ids.Account) []byte { return tx.tag(domainContact, id, ids.Account{}) }
func (tx *Tx) deviceTag(id ids.Device) []byte   { return tx.tag(domainDevice, id, ids.Device{}) }
func (tx *Tx) ownerTag(id ids.Account) []byte   { return tx.tag(domainDeviceOwner, id, ids.Account{}) }
func (tx *Tx) chatTag(id ids.Chat) []byte       { return tx.tag(domainChat, id, ids.Chat{}) }
func (tx *Tx) sessionTag(id ids.Device) []byte  { return tx.tag(domainSessionPeer, id, ids.Device{}) }

func (tx *Tx) memberTag(chat ids.Chat, account ids.Account) []byte {
	return tx.tag(domainMember, chat, account)
}

// chatTagOrNil is the chat_tag of an outbox item: NULL for the zero chat
// (records of the account log).
func (tx *Tx) chatTagOrNil(id ids.Chat) []byte {
	if id.IsZero() {
		return nil
	}
	return tx.chatTag(id)
}

// sealedID checks an id sealed in a record. Every record written since the
// graph index carries its ids; one without is damage (or a migration bug),
// never silently the zero id.
func sealedID[T ids.Any](what string, id T) (T, error) {
	var zero T
	if id == zero {
		return id, fmt.Errorf("%w: record holds no %s id", ErrCorrupt, what)
	}
	return id, nil
}

// sameTag compares a tag read from a clear column with the one computed from
// a sealed id. The clear columns that are not the row's key (a device's
// owner, a message's chat) are not bound into the blob's associated data, so
// this is what makes a row moved to another owner or chat with raw SQL fail
// to read. The comparison is constant-time like every comparison of keyed
// values in this package, though a tag read from the file is no secret.
func sameTag(stored, computed []byte) bool {
	return subtle.ConstantTimeCompare(stored, computed) == 1
}
