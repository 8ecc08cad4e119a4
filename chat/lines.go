package chat

import (
	"errors"

	"hush/ids"
	"hush/membership"
	"hush/policy"
	"hush/vault"
)

// Service lines: what a chat shows about itself, stored as messages of its own
// history so they sort among the others — one per verified membership record (who
// created the chat, added, removed, left, renamed it, gave a role), and one where a
// sender's counters show that the relay withheld messages. Their ids derive from
// what they report, so storing one twice changes nothing.

// lineOf is the line a record shows; nil for the first record of a direct chat or of
// an older chat given a log (nothing changed for its members).
func lineOf(rec *membership.Record) *serviceLine {
	l := &serviceLine{}
	switch rec.Op {
	case membership.OpCreate:
		if rec.Kind == policy.KindDirect || rec.Epoch > 0 {
			return nil
		}
		l.Kind = ServiceCreated // the title arrives sealed (titles.go)
	case membership.OpAdd:
		l.Kind = ServiceAdded
	case membership.OpRemove:
		l.Kind = ServiceRemoved
	case membership.OpLeave:
		l.Kind = ServiceLeft
	case membership.OpSetRole:
		l.Kind, l.Role = ServiceRole, rec.Members[0].Role
	case membership.OpTitle:
		l.Kind = ServiceTitle
	default:
		return nil
	}
	for _, m := range rec.Members {
		if rec.Op != membership.OpCreate {
			l.Targets = append(l.Targets, append([]byte(nil), m.Account[:]...))
		}
	}
	for _, a := range rec.Accounts {
		l.Targets = append(l.Targets, append([]byte(nil), a[:]...))
	}
	return l
}

// lines stores the line of each record in its chat, placed after what the chat holds
// so far, and returns the ids of those it stored (not those stored before).
func (r *roster) lines(tx *vault.Tx, c *vault.Chat, recs []*membership.Record) ([]ids.Message, error) {
	cursor, err := tx.Cursor(scope(c.ID))
	if err != nil {
		return nil, err
	}
	var out []ids.Message
	for _, rec := range recs {
		line := lineOf(rec)
		if line == nil {
			continue
		}
		var id ids.Message
		copy(id[:], rec.Hash[:])
		m := vault.Message{
			ID: id, ChatID: c.ID, Seq: max(cursor, 1), SenderAccount: rec.By(), SenderDevice: rec.Signer.Device.ID(),
			SentAt: rec.Time, Status: policy.StatusSent,
		}
		stored, err := r.storeLine(tx, &m, line)
		if err != nil {
			return nil, err
		}
		if stored {
			out = append(out, m.ID)
		}
	}
	return out, nil
}

// storeLine stores a line (m with line in its engine record); one already stored
// (a record seen again) is left as is.
func (r *roster) storeLine(tx *vault.Tx, m *vault.Message, line *serviceLine) (bool, error) {
	var err error
	if m.Extra, err = encodeMessageMeta(messageMeta{Service: line}); err != nil {
		return false, err
	}
	switch err := tx.InsertMessage(*m); {
	case errors.Is(err, vault.ErrExists):
		return false, nil
	case err != nil:
		return false, err
	}
	return true, nil
}
