package vault

import (
	"encoding/binary"
	"fmt"

	"hush/ids"
	"hush/policy"
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
	blob, err := tx.seal(tableChats, c.ID[:], &chatRecord{
		Kind:   c.Kind,
		Title:  c.Title,
		Muted:  c.Muted,
		Unread: c.Unread,
		Extra:  c.Extra,
	})
	if err != nil {
		return wrap("put chat", err)
	}
	pinned := 0
	if c.Pinned {
		pinned = 1
	}
	if _, err := tx.exec(`INSERT INTO chats (id, pinned, last_activity, data) VALUES (?1, ?2, ?3, ?4)
		ON CONFLICT (id) DO UPDATE SET pinned = excluded.pinned,
			last_activity = excluded.last_activity, data = excluded.data`,
		c.ID[:], pinned, micros(c.LastActivity), blob); err != nil {
		return wrap("put chat", err)
	}
	return wrap("put chat members", tx.syncMembers(c.ID, c.Members))
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
	blob, err := tx.seal(tableChats, c.ID[:], &chatRecord{
		Kind:   c.Kind,
		Title:  c.Title,
		Muted:  c.Muted,
		Unread: c.Unread,
		Extra:  c.Extra,
	})
	if err != nil {
		return wrap("update chat", err)
	}
	pinned := 0
	if c.Pinned {
		pinned = 1
	}
	err = tx.execOne(`UPDATE chats SET pinned = ?2, last_activity = ?3, data = ?4 WHERE id = ?1`,
		c.ID[:], pinned, micros(c.LastActivity), blob)
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

// syncMembers makes the stored member rows of chatID equal to want.
func (tx *Tx) syncMembers(chatID ids.Chat, want []Member) error {
	have, err := tx.members(chatID)
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
		row := pairRow(chatID, m.AccountID[:])
		blob, err := tx.seal(tableChatMembers, row, &memberRecord{Role: m.Role})
		if err != nil {
			return err
		}
		if _, err := tx.exec(`INSERT INTO chat_members (chat_id, account_id, data) VALUES (?1, ?2, ?3)
			ON CONFLICT (chat_id, account_id) DO UPDATE SET data = excluded.data`,
			chatID[:], m.AccountID[:], blob); err != nil {
			return err
		}
	}
	for _, m := range have {
		if !keep[m.AccountID] {
			if _, err := tx.exec(`DELETE FROM chat_members WHERE chat_id = ?1 AND account_id = ?2`,
				chatID[:], m.AccountID[:]); err != nil {
				return err
			}
		}
	}
	return nil
}

// members reads one chat's members in the order they were added.
func (tx *Tx) members(chatID ids.Chat) ([]Member, error) {
	rows, err := tx.query(`SELECT account_id, data FROM chat_members WHERE chat_id = ?1 ORDER BY rowid`, chatID[:])
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Member
	for rows.Next() {
		var rawAccount, blob []byte
		if err := rows.Scan(&rawAccount, &blob); err != nil {
			return nil, err
		}
		account, err := idFrom[ids.Account](rawAccount)
		if err != nil {
			return nil, err
		}
		r, err := openRecord[memberRecord](tx, tableChatMembers, pairRow(chatID, account[:]), blob)
		if err != nil {
			return nil, err
		}
		out = append(out, Member{AccountID: account, Role: r.role()})
	}
	return out, rows.Err()
}

// Chat returns one chat with its members, or ErrNotFound.
func (tx *Tx) Chat(id ids.Chat) (Chat, error) {
	if err := tx.begin(false); err != nil {
		return Chat{}, err
	}
	var pinned, lastActivity int64
	var blob []byte
	err := tx.queryRow(`SELECT pinned, last_activity, data FROM chats WHERE id = ?1`, id[:]).
		Scan(&pinned, &lastActivity, &blob)
	if notFound(err) {
		return Chat{}, fmt.Errorf("vault: chat %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return Chat{}, wrap("chat", err)
	}
	c, err := tx.chat(id, pinned, lastActivity, blob)
	if err != nil {
		return Chat{}, err
	}
	if c.Members, err = tx.members(id); err != nil {
		return Chat{}, wrap("chat members", err)
	}
	return c, nil
}

func (tx *Tx) chat(id ids.Chat, pinned, lastActivity int64, blob []byte) (Chat, error) {
	r, err := openRecord[chatRecord](tx, tableChats, id[:], blob)
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
	rows, err := tx.query(`SELECT id, pinned, last_activity, data FROM chats
		ORDER BY pinned DESC, last_activity DESC, id`)
	if err != nil {
		return nil, wrap("chats", err)
	}
	defer rows.Close()
	var out []Chat
	index := map[ids.Chat]int{}
	for rows.Next() {
		var rawID, blob []byte
		var pinned, lastActivity int64
		if err := rows.Scan(&rawID, &pinned, &lastActivity, &blob); err != nil {
			return nil, wrap("chats", err)
		}
		id, err := idFrom[ids.Chat](rawID)
		if err != nil {
			return nil, wrap("chats", err)
		}
		c, err := tx.chat(id, pinned, lastActivity, blob)
		if err != nil {
			return nil, err
		}
		index[id] = len(out)
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

// allMembers fills in members for every chat with one query.
func (tx *Tx) allMembers(chats []Chat, index map[ids.Chat]int) error {
	rows, err := tx.query(`SELECT chat_id, account_id, data FROM chat_members ORDER BY rowid`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var rawChat, rawAccount, blob []byte
		if err := rows.Scan(&rawChat, &rawAccount, &blob); err != nil {
			return err
		}
		chatID, err := idFrom[ids.Chat](rawChat)
		if err != nil {
			return err
		}
		account, err := idFrom[ids.Account](rawAccount)
		if err != nil {
			return err
		}
		i, ok := index[chatID]
		if !ok {
			return fmt.Errorf("%w: member of unknown chat %s", ErrCorrupt, chatID)
		}
		r, err := openRecord[memberRecord](tx, tableChatMembers, pairRow(chatID, account[:]), blob)
		if err != nil {
			return err
		}
		chats[i].Members = append(chats[i].Members, Member{AccountID: account, Role: r.role()})
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
	if err := tx.execOne(`DELETE FROM chats WHERE id = ?1`, id[:]); err != nil {
		return wrap("delete chat "+id.String(), err)
	}
	tx.wiped = true
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
	if text == "" {
		_, err := tx.exec(`DELETE FROM drafts WHERE chat_id = ?1`, chatID[:])
		return wrap("delete draft", err)
	}
	blob, err := tx.seal(tableDrafts, chatID[:], &draftRecord{Text: text})
	if err != nil {
		return wrap("put draft", err)
	}
	_, err = tx.exec(`INSERT INTO drafts (chat_id, data) VALUES (?1, ?2)
		ON CONFLICT (chat_id) DO UPDATE SET data = excluded.data`, chatID[:], blob)
	return wrap("put draft", err)
}

// Draft returns the draft for a chat, or ErrNotFound if there is none.
func (tx *Tx) Draft(chatID ids.Chat) (string, error) {
	if err := tx.begin(false); err != nil {
		return "", err
	}
	var blob []byte
	err := tx.queryRow(`SELECT data FROM drafts WHERE chat_id = ?1`, chatID[:]).Scan(&blob)
	if notFound(err) {
		return "", fmt.Errorf("vault: draft for chat %s: %w", chatID, ErrNotFound)
	}
	if err != nil {
		return "", wrap("draft", err)
	}
	r, err := openRecord[draftRecord](tx, tableDrafts, chatID[:], blob)
	if err != nil {
		return "", wrap("draft", err)
	}
	return r.Text, nil
}

func epochRow(chatID ids.Chat, epoch uint64) []byte {
	return pairRow(chatID, binary.BigEndian.AppendUint64(nil, epoch))
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
	blob, err := tx.seal(tableEpochKeys, epochRow(chatID, epoch), &keyRecord{Key: key})
	if err != nil {
		return wrap("put epoch key", err)
	}
	res, err := tx.exec(`INSERT INTO epoch_keys (chat_id, epoch, data) VALUES (?1, ?2, ?3)
		ON CONFLICT (chat_id, epoch) DO NOTHING`, chatID[:], int64(epoch), blob)
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
	var blob []byte
	err := tx.queryRow(`SELECT data FROM epoch_keys WHERE chat_id = ?1 AND epoch = ?2`, chatID[:], int64(epoch)).Scan(&blob)
	if notFound(err) {
		return nil, fmt.Errorf("vault: epoch %d of chat %s: %w", epoch, chatID, ErrNotFound)
	}
	if err != nil {
		return nil, wrap("epoch key", err)
	}
	r, err := openRecord[keyRecord](tx, tableEpochKeys, epochRow(chatID, epoch), blob)
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
	err := tx.queryRow(`SELECT epoch FROM epoch_keys WHERE chat_id = ?1 ORDER BY epoch DESC LIMIT 1`, chatID[:]).Scan(&epoch)
	if notFound(err) {
		return 0, fmt.Errorf("vault: epochs of chat %s: %w", chatID, ErrNotFound)
	}
	if err != nil {
		return 0, wrap("latest epoch", err)
	}
	return uint64(epoch), nil
}
