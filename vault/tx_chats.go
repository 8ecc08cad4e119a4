package vault

import (
	"fmt"

	"hush/ids"
	"hush/policy"
	"hush/vault/internal/subkey"
)

// PutChat stores c with its members, replacing the chat with the same ID.
// Members not in c.Members are removed; members whose role is unchanged
// are left as they are, so updating a large channel's title or unread
// count does not rewrite its member list.
func (tx *Tx) PutChat(c Chat) error {
	if err := tx.begin(true); err != nil {
		return err
	}
	if err := validateChat(c); err != nil {
		return err
	}
	tag := tx.chatTag(c.ID)
	blob, err := tx.sealChat(tag, c)
	if err != nil {
		return wrap("put chat", err)
	}
	if _, err := tx.exec(`INSERT INTO chats (tag, pinned, last_activity, data) VALUES (?1, ?2, ?3, ?4)
		ON CONFLICT (tag) DO UPDATE SET pinned = excluded.pinned,
			last_activity = excluded.last_activity, data = excluded.data`,
		tag, pinnedFlag(c.Pinned), micros(c.LastActivity), blob); err != nil {
		return wrap("put chat", err)
	}
	if err := tx.syncMembers(c.ID, tag, c.Members); err != nil {
		return wrap("put chat members", err)
	}
	tx.record(Change{Kind: ChangeChatPut, Chat: c.ID, ChatKind: c.Kind})
	return nil
}

// sealChat seals a chat's own fields (not its members) for its row.
func (tx *Tx) sealChat(tag []byte, c Chat) ([]byte, error) {
	return tx.seal(tableChats, tag, &chatRecord{
		Kind:   c.Kind,
		Title:  c.Title,
		Muted:  c.Muted,
		Unread: c.Unread,
		Extra:  c.Extra,
		ID:     c.ID,
	})
}

func pinnedFlag(pinned bool) int {
	if pinned {
		return 1
	}
	return 0
}

// UpdateChat stores a chat's own fields (kind, title, pinned, last activity,
// muted, unread, extra) and leaves its members as they are; c.Members is not
// read. It is PutChat for the frequent writes that change no member — a new
// message's unread count, a read mark — and saves reading the member list to
// diff it. A chat that does not exist is ErrNotFound.
func (tx *Tx) UpdateChat(c Chat) error {
	if err := tx.begin(true); err != nil {
		return err
	}
	c.Members = nil
	if err := validateChat(c); err != nil {
		return err
	}
	tag := tx.chatTag(c.ID)
	blob, err := tx.sealChat(tag, c)
	if err != nil {
		return wrap("update chat", err)
	}
	err = tx.execOne(`UPDATE chats SET pinned = ?2, last_activity = ?3, data = ?4 WHERE tag = ?1`,
		tag, pinnedFlag(c.Pinned), micros(c.LastActivity), blob)
	return wrap("update chat "+c.ID.String(), err)
}

func validateChat(c Chat) error {
	if err := requireID("chat id", c.ID); err != nil {
		return err
	}
	if !c.Kind.Valid() {
		return fmt.Errorf("%w: chat kind %d", ErrInvalid, c.Kind)
	}
	if c.Unread < 0 {
		return fmt.Errorf("%w: unread count %d", ErrInvalid, c.Unread)
	}
	if err := checkText("chat title", c.Title); err != nil {
		return err
	}
	seen := make(map[ids.Account]bool, len(c.Members))
	for _, m := range c.Members {
		if err := requireID("member account id", m.AccountID); err != nil {
			return err
		}
		if !m.Role.Valid() {
			return fmt.Errorf("%w: member role %d", ErrInvalid, m.Role)
		}
		if seen[m.AccountID] {
			return fmt.Errorf("%w: member %s listed twice", ErrInvalid, m.AccountID)
		}
		seen[m.AccountID] = true
	}
	return nil
}

// syncMembers makes the stored member rows of chatID (whose tag is chatTag)
// equal to want.
func (tx *Tx) syncMembers(chatID ids.Chat, chatTag []byte, want []Member) error {
	have, err := tx.members(chatTag)
	if err != nil {
		return err
	}
	current := make(map[ids.Account]policy.Role, len(have))
	for _, m := range have {
		current[m.AccountID] = m.Role
	}
	keep := make(map[ids.Account]bool, len(want))
	for _, m := range want {
		keep[m.AccountID] = true
		if role, ok := current[m.AccountID]; ok && role == m.Role {
			continue
		}
		member := tx.memberTag(chatID, m.AccountID)
		blob, err := tx.seal(tableChatMembers, pairRow(chatTag, member), &memberRecord{Role: m.Role, AccountID: m.AccountID})
		if err != nil {
			return err
		}
		if _, err := tx.exec(`INSERT INTO chat_members (chat_tag, member_tag, data) VALUES (?1, ?2, ?3)
			ON CONFLICT (chat_tag, member_tag) DO UPDATE SET data = excluded.data`,
			chatTag, member, blob); err != nil {
			return err
		}
	}
	for _, m := range have {
		if !keep[m.AccountID] {
			if _, err := tx.exec(`DELETE FROM chat_members WHERE chat_tag = ?1 AND member_tag = ?2`,
				chatTag, tx.memberTag(chatID, m.AccountID)); err != nil {
				return err
			}
		}
	}
	return nil
}

// members reads the members of the chat with chatTag in the order they were
// added.
func (tx *Tx) members(chatTag []byte) ([]Member, error) {
	rows, err := tx.query(`SELECT member_tag, data FROM chat_members WHERE chat_tag = ?1 ORDER BY rowid`, chatTag)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Member
	for rows.Next() {
		var member, blob []byte
		if err := rows.Scan(&member, &blob); err != nil {
			return nil, err
		}
		m, err := tx.member(chatTag, member, blob)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// member opens one member row. Its blob is bound to chat tag || member tag,
// so it opens in no other chat.
func (tx *Tx) member(chatTag, memberTag, blob []byte) (Member, error) {
	r, err := openRecord[memberRecord](tx, tableChatMembers, pairRow(chatTag, memberTag), blob)
	if err != nil {
		return Member{}, err
	}
	account, err := sealedID[ids.Account]("member account", r.AccountID)
	if err != nil {
		return Member{}, err
	}
	return Member{AccountID: account, Role: r.role()}, nil
}

// Chat returns one chat with its members, or ErrNotFound.
func (tx *Tx) Chat(id ids.Chat) (Chat, error) {
	if err := tx.begin(false); err != nil {
		return Chat{}, err
	}
	tag := tx.chatTag(id)
	var pinned, lastActivity int64
	var blob []byte
	err := tx.queryRow(`SELECT pinned, last_activity, data FROM chats WHERE tag = ?1`, tag).
		Scan(&pinned, &lastActivity, &blob)
	if notFound(err) {
		return Chat{}, fmt.Errorf("vault: chat %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return Chat{}, wrap("chat", err)
	}
	c, err := tx.chat(tag, pinned, lastActivity, blob)
	if err != nil {
		return Chat{}, err
	}
	if c.ID != id {
		return Chat{}, wrap("chat", fmt.Errorf("%w: chat %s holds the record of %s", ErrCorrupt, id, c.ID))
	}
	if c.Members, err = tx.members(tag); err != nil {
		return Chat{}, wrap("chat members", err)
	}
	return c, nil
}

// chat opens the row stored under tag (without its members).
func (tx *Tx) chat(tag []byte, pinned, lastActivity int64, blob []byte) (Chat, error) {
	r, err := openRecord[chatRecord](tx, tableChats, tag, blob)
	if err != nil {
		return Chat{}, wrap("chat", err)
	}
	id, err := sealedID[ids.Chat]("chat", r.ID)
	if err != nil {
		return Chat{}, wrap("chat", err)
	}
	return Chat{
		ID:           id,
		Kind:         r.Kind,
		Title:        r.Title,
		LastActivity: fromMicros(lastActivity),
		Pinned:       pinned != 0,
		Muted:        r.Muted,
		Unread:       r.Unread,
		Extra:        r.Extra,
	}, nil
}

// Chats returns every chat with its members: pinned chats first, then by
// last activity, newest first.
func (tx *Tx) Chats() ([]Chat, error) {
	if err := tx.begin(false); err != nil {
		return nil, err
	}
	rows, err := tx.query(`SELECT tag, pinned, last_activity, data FROM chats
		ORDER BY pinned DESC, last_activity DESC, tag`)
	if err != nil {
		return nil, wrap("chats", err)
	}
	defer rows.Close()
	var out []Chat
	index := map[subkey.Tag]int{}
	for rows.Next() {
		var tag, blob []byte
		var pinned, lastActivity int64
		if err := rows.Scan(&tag, &pinned, &lastActivity, &blob); err != nil {
			return nil, wrap("chats", err)
		}
		c, err := tx.chat(tag, pinned, lastActivity, blob)
		if err != nil {
			return nil, err
		}
		index[subkey.Tag(tag)] = len(out)
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("chats", err)
	}
	rows.Close()
	if err := tx.allMembers(out, index); err != nil {
		return nil, wrap("chat members", err)
	}
	return out, nil
}

// allMembers fills in members for every chat with one query; index maps
// each chat's tag to its place in chats.
func (tx *Tx) allMembers(chats []Chat, index map[subkey.Tag]int) error {
	rows, err := tx.query(`SELECT chat_tag, member_tag, data FROM chat_members ORDER BY rowid`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var chatTag, member, blob []byte
		if err := rows.Scan(&chatTag, &member, &blob); err != nil {
			return err
		}
		if len(chatTag) != subkey.TagSize {
			return fmt.Errorf("%w: member row with a chat tag of %d bytes", ErrCorrupt, len(chatTag))
		}
		i, ok := index[subkey.Tag(chatTag)]
		if !ok {
			return fmt.Errorf("%w: member of an unknown chat", ErrCorrupt)
		}
		m, err := tx.member(chatTag, member, blob)
		if err != nil {
			return err
		}
		chats[i].Members = append(chats[i].Members, m)
	}
	return rows.Err()
}

// DeleteChat wipes a chat with everything that hangs off it: members,
// messages (and their attachments, timers and search tokens), epoch keys,
// draft and queued outbox items.
func (tx *Tx) DeleteChat(id ids.Chat) error {
	if err := tx.begin(true); err != nil {
		return err
	}
	if err := tx.execOne(`DELETE FROM chats WHERE tag = ?1`, tx.chatTag(id)); err != nil {
		return wrap("delete chat "+id.String(), err)
	}
	tx.wiped = true
	tx.record(Change{Kind: ChangeChatDeleted, Chat: id})
	return nil
}

// PutDraft stores the draft for a chat; an empty text deletes it.
func (tx *Tx) PutDraft(chatID ids.Chat, text string) error {
	if err := tx.begin(true); err != nil {
		return err
	}
	if err := checkText("draft", text); err != nil {
		return err
	}
	tag := tx.chatTag(chatID)
	if text == "" {
		_, err := tx.exec(`DELETE FROM drafts WHERE chat_tag = ?1`, tag)
		return wrap("delete draft", err)
	}
	blob, err := tx.seal(tableDrafts, tag, &draftRecord{Text: text})
	if err != nil {
		return wrap("put draft", err)
	}
	_, err = tx.exec(`INSERT INTO drafts (chat_tag, data) VALUES (?1, ?2)
		ON CONFLICT (chat_tag) DO UPDATE SET data = excluded.data`, tag, blob)
	return wrap("put draft", err)
}

// Draft returns the draft for a chat, or ErrNotFound if there is none.
func (tx *Tx) Draft(chatID ids.Chat) (string, error) {
	if err := tx.begin(false); err != nil {
		return "", err
	}
	tag := tx.chatTag(chatID)
	var blob []byte
	err := tx.queryRow(`SELECT data FROM drafts WHERE chat_tag = ?1`, tag).Scan(&blob)
	if notFound(err) {
		return "", fmt.Errorf("vault: draft for chat %s: %w", chatID, ErrNotFound)
	}
	if err != nil {
		return "", wrap("draft", err)
	}
	r, err := openRecord[draftRecord](tx, tableDrafts, tag, blob)
	if err != nil {
		return "", wrap("draft", err)
	}
	return r.Text, nil
}

// PutEpochKey stores a chat's key for one epoch. Epoch keys are write-once:
// storing a second key for the same epoch returns ErrExists and keeps the
// first (a relay must not be able to swap a key).
func (tx *Tx) PutEpochKey(chatID ids.Chat, epoch uint64, key []byte) error {
	if err := tx.begin(true); err != nil {
		return err
	}
	if epoch > maxSeq {
		return fmt.Errorf("%w: epoch %d", ErrInvalid, epoch)
	}
	if len(key) == 0 {
		return fmt.Errorf("%w: empty epoch key", ErrInvalid)
	}
	tag := tx.chatTag(chatID)
	blob, err := tx.seal(tableEpochKeys, seqRow(tag, epoch), &keyRecord{Key: key})
	if err != nil {
		return wrap("put epoch key", err)
	}
	res, err := tx.exec(`INSERT INTO epoch_keys (chat_tag, epoch, data) VALUES (?1, ?2, ?3)
		ON CONFLICT (chat_tag, epoch) DO NOTHING`, tag, int64(epoch), blob)
	if err != nil {
		return wrap("put epoch key", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return fmt.Errorf("vault: epoch %d of chat %s: %w", epoch, chatID, ErrExists)
	}
	return nil
}

// EpochKey returns a chat's key for one epoch, or ErrNotFound.
func (tx *Tx) EpochKey(chatID ids.Chat, epoch uint64) ([]byte, error) {
	if err := tx.begin(false); err != nil {
		return nil, err
	}
	if epoch > maxSeq {
		return nil, fmt.Errorf("%w: epoch %d", ErrInvalid, epoch)
	}
	tag := tx.chatTag(chatID)
	var blob []byte
	err := tx.queryRow(`SELECT data FROM epoch_keys WHERE chat_tag = ?1 AND epoch = ?2`, tag, int64(epoch)).Scan(&blob)
	if notFound(err) {
		return nil, fmt.Errorf("vault: epoch %d of chat %s: %w", epoch, chatID, ErrNotFound)
	}
	if err != nil {
		return nil, wrap("epoch key", err)
	}
	r, err := openRecord[keyRecord](tx, tableEpochKeys, seqRow(tag, epoch), blob)
	if err != nil {
		return nil, wrap("epoch key", err)
	}
	return r.Key, nil
}

// LatestEpoch returns the highest epoch with a stored key for a chat, or
// ErrNotFound if the chat has none.
func (tx *Tx) LatestEpoch(chatID ids.Chat) (uint64, error) {
	if err := tx.begin(false); err != nil {
		return 0, err
	}
	var epoch int64
	err := tx.queryRow(`SELECT epoch FROM epoch_keys WHERE chat_tag = ?1 ORDER BY epoch DESC LIMIT 1`, tx.chatTag(chatID)).Scan(&epoch)
	if notFound(err) {
		return 0, fmt.Errorf("vault: epochs of chat %s: %w", chatID, ErrNotFound)
	}
	if err != nil {
		return 0, wrap("latest epoch", err)
	}
	return uint64(epoch), nil
}
