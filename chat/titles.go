package chat

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"

	"hush/ids"
	"hush/membership"
	"hush/vault"
)

// Titles (docs/SECURITY.md, "Titles"). A title change is a record of the membership
// log like any other, so who renamed a chat, and when, is as verified as who added
// whom; but the relay stores the log, so a record carries only the title's salted
// commitment (membership.TitleCommitment). The title and its salt travel to the
// members sealed, as a chat-metadata message (chatcrypto.ChatMeta), and a member
// applies a title only when it matches the newest commitment of its verified log —
// from whoever it comes: only members know it. Who adds members shares the title
// again, so they learn it; a title heard before the record it matches is kept
// until the log catches up.

// titleSecret is a title with the salt of its commitment.
type titleSecret struct {
	title string
	salt  [membership.TitleSaltSize]byte
}

// newTitle makes the secret of a title this account sets, and its commitment in
// chat.
func newTitle(chat ids.Chat, title string) (*titleSecret, membership.Hash) {
	t := &titleSecret{title: title}
	rand.Read(t.salt[:])
	return t, membership.TitleCommitment(chat, t.salt, title)
}

// titleQueue is the outbox as the roster needs it: a title goes to the members as a
// sealed message, queued in the transaction that stores it; and the chat's title
// and auto-delete setting go again to members just added (autodelete.go).
type titleQueue interface {
	queueTitle(tx *vault.Tx, chat ids.Chat, title string, salt []byte) error
	shareAutoDelete(ctx context.Context, chat ids.Chat) error
	kick()
}

// learnTitle applies a title heard in chat c (its own, or from a member) if it
// matches the log's newest commitment: it sets the chat's title and the line of the
// record that set it. A title that matches nothing yet is kept, pending, until a
// record does (the log may lag behind the message). It reports whether the title
// changed, and the line it completed (nil if none), for the UI to hear of again.
func learnTitle(tx *vault.Tx, c *vault.Chat, meta *chatMeta, title string, salt []byte) (bool, *vault.Message, error) {
	if len(salt) != membership.TitleSaltSize {
		return false, nil, nil
	}
	var s [membership.TitleSaltSize]byte
	copy(s[:], salt)
	commit := membership.TitleCommitment(c.ID, s, title)
	if len(meta.LogTitle) == 0 || !bytes.Equal(commit[:], meta.LogTitle) {
		if !bytes.Equal(commit[:], meta.TitleCommit) {
			meta.PendingTitle, meta.PendingSalt = title, bytes.Clone(salt)
		}
		return false, nil, nil
	}
	if bytes.Equal(commit[:], meta.TitleCommit) && c.Title == title {
		return false, nil, nil
	}
	c.Title = title
	meta.TitleCommit, meta.TitleSalt = commit[:], bytes.Clone(salt)
	meta.PendingTitle, meta.PendingSalt = "", nil
	line, err := titleLine(tx, meta.LogTitleBy, title)
	return true, line, err
}

// titleLine writes the title into the line of the record that set it, and returns
// the line changed (nil if none was).
func titleLine(tx *vault.Tx, record []byte, title string) (*vault.Message, error) {
	if len(record) != membership.HashSize {
		return nil, nil
	}
	var id ids.Message
	copy(id[:], record)
	m, err := tx.Message(id)
	if errors.Is(err, vault.ErrNotFound) {
		return nil, nil // a record without a line (a chat adopted from before logs)
	}
	if err != nil {
		return nil, err
	}
	em := metaOf(m)
	if em.Service == nil || em.Service.Title == title {
		return nil, nil
	}
	em.Service.Title = title
	if m.Extra, err = encodeMessageMeta(em); err != nil {
		return nil, err
	}
	return &m, tx.UpdateMessage(m)
}
