package store

import (
	"bytes"
	"slices"

	"hush/ids"
	"hush/sync/wire"
)

// A member's read position is kept twice (docs/PROTOCOL.md, "Receipts and typing"):
// its own, which its devices and unread counts follow, and the one it shares with
// the other members, which stands still while the account keeps its reads private.
// A chat's description therefore differs by who is shown it.

// ChatViews is a chat as its members are shown it. Shared lists every member with
// the read position it shares: what each member is shown of the others. Own holds
// the read position of every member whose own one is ahead of the one it shares;
// that member is shown its own in its place ([ChatViews.For]).
type ChatViews struct {
	Shared wire.ChatInfo
	Own    map[ids.Account]uint64
}

// For returns the chat as member a is shown it: the others' shared read positions,
// and its own.
func (v ChatViews) For(a ids.Account) wire.ChatInfo {
	read, ok := v.Own[a]
	if !ok {
		return v.Shared
	}
	info := v.Shared
	info.Members = slices.Clone(info.Members)
	for i := range info.Members {
		if info.Members[i].AccountID == a {
			info.Members[i].ReadSeq = read
		}
	}
	return info
}

// Views returns c as its members are shown it (members in account id order).
func (c *Chat) Views() ChatViews {
	v := ChatViews{Shared: wire.ChatInfo{ChatID: c.ID, Kind: c.Kind, Epoch: c.Epoch, LastSeq: c.LastSeq, LogLen: c.LogLen}}
	ms := make([]memberRow, 0, len(c.Members))
	for a, m := range c.Members {
		ms = append(ms, memberRow{account: a, Member: *m})
	}
	slices.SortFunc(ms, func(x, y memberRow) int { return bytes.Compare(x.account[:], y.account[:]) })
	v.setMembers(ms)
	return v
}

// setMembers fills the views' members from ms, in their order.
func (v *ChatViews) setMembers(ms []memberRow) {
	v.Shared.Members = make([]wire.MemberInfo, 0, len(ms))
	for _, m := range ms {
		v.Shared.Members = append(v.Shared.Members, wire.MemberInfo{AccountID: m.account, Role: m.Role, DeliveredSeq: m.DeliveredSeq, ReadSeq: m.SharedReadSeq})
		if m.ReadSeq != m.SharedReadSeq {
			if v.Own == nil {
				v.Own = map[ids.Account]uint64{}
			}
			v.Own[m.account] = m.ReadSeq
		}
	}
}

// memberRow is one row of the members table.
type memberRow struct {
	account ids.Account
	Member
}

// memberColumns are the columns scanMember reads, in its order.
const memberColumns = "account_id, role, delivered_seq, read_seq, shared_read_seq"

func scanMember(r row) (memberRow, error) {
	var m memberRow
	var id []byte
	if err := r.Scan(&id, &m.Role, &m.DeliveredSeq, &m.ReadSeq, &m.SharedReadSeq); err != nil {
		return m, err
	}
	return m, scanID(m.account[:], id, "account id")
}
