// Package policy holds what every layer of Hush must agree on about chats: the kinds
// of chat, the roles of their members and the states of a message — each with one
// numbering, used on the wire, in the vault and (by name) in the UI API — and the
// rules that say who may do what. The relay calls these rules to decide what it
// accepts; the client engine calls the same ones to decide what it offers and what it
// accepts from others, so the two cannot drift apart.
//
// The numbers are part of the relay protocol (docs/PROTOCOL.md) and of the vault's
// stored records (docs/ARCHITECTURE.md): never renumber one.
package policy

import "fmt"

// ChatKind is what kind of conversation a chat is.
type ChatKind uint8

// Chat kinds. Zero is not a kind, so a forgotten field is an error.
const (
	// KindDirect is a 1:1 chat: exactly two members, membership fixed, both post.
	KindDirect ChatKind = 1
	// KindGroup is a group: every member posts; the owner and admins manage it.
	KindGroup ChatKind = 2
	// KindChannel is a channel: the owner and admins post; members (subscribers) read.
	KindChannel ChatKind = 3
	// KindSecret is a secret chat: device to device, never in a relay's chat log.
	KindSecret ChatKind = 4
)

// Valid reports whether k is one of the kinds above.
func (k ChatKind) Valid() bool { return k >= KindDirect && k <= KindSecret }

// Cloud reports whether chats of kind k live in the relay's chat logs (direct
// chats, groups and channels), so the relay protocol carries them.
func (k ChatKind) Cloud() bool { return k >= KindDirect && k <= KindChannel }

// String returns the kind's name, as the UI API spells it.
func (k ChatKind) String() string {
	switch k {
	case KindDirect:
		return "direct"
	case KindGroup:
		return "group"
	case KindChannel:
		return "channel"
	case KindSecret:
		return "secret"
	}
	return fmt.Sprintf("ChatKind(%d)", uint8(k))
}

// Role is a member's role in a chat.
type Role uint8

// Roles. Zero is not a role: it stands for "not a member".
const (
	// RoleOwner created the chat; there is exactly one, and it may do everything.
	RoleOwner Role = 1
	// RoleAdmin manages members and, in a channel, posts.
	RoleAdmin Role = 2
	// RoleMember reads and (outside channels) posts. In a channel, a subscriber.
	RoleMember Role = 3
)

// Valid reports whether r is one of the roles above.
func (r Role) Valid() bool { return r >= RoleOwner && r <= RoleMember }

// String returns the role's name, as the UI API spells it.
func (r Role) String() string {
	switch r {
	case RoleOwner:
		return "owner"
	case RoleAdmin:
		return "admin"
	case RoleMember:
		return "member"
	}
	return fmt.Sprintf("Role(%d)", uint8(r))
}

// ParseRole parses a role's name.
func ParseRole(s string) (Role, bool) {
	for _, r := range []Role{RoleOwner, RoleAdmin, RoleMember} {
		if r.String() == s {
			return r, true
		}
	}
	return 0, false
}

// manages reports whether a role manages a chat: the owner and admins.
func (r Role) manages() bool { return r == RoleOwner || r == RoleAdmin }

// CanPost reports whether a member with role r may post in a chat of kind k: every
// member, except that only the owner and admins post in a channel. A role of zero
// (not a member) may not.
func CanPost(k ChatKind, r Role) bool {
	if !r.Valid() {
		return false
	}
	return k != KindChannel || r.manages()
}

// CanManage reports whether role r may rename a chat of kind k and add or remove its
// members: the owner and admins of a group or channel. The members of a direct chat
// never change.
func CanManage(k ChatKind, r Role) bool {
	return (k == KindGroup || k == KindChannel) && r.manages()
}

// CanSetMember reports whether actor may give an account the role next, where
// current is the account's role now (zero: not a member yet) and self says the
// account is the actor's own. The owner may make anyone an admin or a member; an
// admin may only add new members; nobody changes their own role, and nobody becomes
// a second owner.
func CanSetMember(k ChatKind, actor, current, next Role, self bool) bool {
	switch {
	case !CanManage(k, actor), next == RoleOwner, !next.Valid(), self:
		return false
	case actor == RoleOwner:
		return true
	}
	return current == 0 && next == RoleMember
}

// CanRemove reports whether actor may remove a member whose role is target: anyone
// may leave (self); the owner may remove anyone else; an admin may remove members.
func CanRemove(k ChatKind, actor, target Role, self bool) bool {
	switch {
	case self:
		return k != KindDirect
	case !CanManage(k, actor), target == RoleOwner:
		return false
	case actor == RoleOwner:
		return true
	}
	return target == RoleMember
}

// CanSignEpoch reports whether role r may sign the next epoch key of a chat of kind
// k, for the membership log as it stands: both members of a direct chat; the owner
// and admins of a group or channel; and, in a group, any member when the newest record
// of the log changed who holds the keys (afterChange: a create, add, remove or leave),
// so that a removal is never left without a new key because no admin is online.
// Channel subscribers never sign. Whoever signs wraps the key only to the members the
// verified log lists (docs/SECURITY.md, "Membership log").
func CanSignEpoch(k ChatKind, r Role, afterChange bool) bool {
	switch {
	case !r.Valid():
		return false
	case k == KindDirect, r.manages():
		return k.Cloud()
	}
	return k == KindGroup && afterChange
}

// SharesReceipts reports whether the members of a chat of kind k see each other's
// delivered and read positions. A channel's subscribers do not: their positions go
// only to their own devices.
func SharesReceipts(k ChatKind) bool { return k != KindChannel }

// Status is the delivery state of a message, as its sender sees it.
type Status uint8

// Message states, in the order a message moves through them; Failed stands apart.
// Zero is not a state.
const (
	// StatusPending: written, waiting in the outbox for the relay.
	StatusPending Status = 1
	// StatusSent: the relay acknowledged its durable commit.
	StatusSent Status = 2
	// StatusDelivered: another member's device received it.
	StatusDelivered Status = 3
	// StatusRead: another member read it.
	StatusRead Status = 4
	// StatusFailed: the relay refused it for good; it will never be sent.
	StatusFailed Status = 5
)

// Statuses lists every state in order, for the UI API.
var Statuses = []Status{StatusPending, StatusSent, StatusDelivered, StatusRead, StatusFailed}

// Valid reports whether s is one of the states above.
func (s Status) Valid() bool { return s >= StatusPending && s <= StatusFailed }

// String returns the state's name, as the UI API spells it.
func (s Status) String() string {
	switch s {
	case StatusPending:
		return "pending"
	case StatusSent:
		return "sent"
	case StatusDelivered:
		return "delivered"
	case StatusRead:
		return "read"
	case StatusFailed:
		return "failed"
	}
	return fmt.Sprintf("Status(%d)", uint8(s))
}

// Advance returns the state to keep when a message in state current is reported in
// state incoming: states only move forward (a late "sent" after "delivered" is
// ignored), and a message fails only while pending — one the relay acknowledged
// cannot fail afterwards. Reports arrive out of order (events, re-reads), so every
// holder of a message's state applies this rule.
func Advance(current, incoming Status) Status {
	switch {
	case !incoming.Valid():
		return current
	case !current.Valid():
		return incoming
	case incoming == StatusFailed:
		if current == StatusPending {
			return StatusFailed
		}
		return current
	case current == StatusFailed:
		if incoming == StatusPending {
			return current
		}
		return incoming
	case incoming > current:
		return incoming
	}
	return current
}
