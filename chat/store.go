package chat

import (
	"context"
	"errors"

	"hush/ids"
	"hush/policy"
	"hush/vault"
)

// chatStore is how every part writes chat rows: each write tells the sender, which
// caches what it needs of a chat between changes (send.go), so no part can change a
// chat behind the cache's back. The writes run inside the caller's transaction.
type chatStore struct {
	v *vault.Vault
	// changed is told of every written chat, before the transaction commits (a
	// cache entry computed meanwhile is then never stored).
	changed func(ids.Chat)
}

// put stores a chat with its members.
func (s *chatStore) put(tx *vault.Tx, c vault.Chat) error {
	s.changed(c.ID)
	return tx.PutChat(c)
}

// update stores a chat's own fields, not its members (vault.Tx.UpdateChat): for the
// writes that change no member, which saves reading the member list back.
func (s *chatStore) update(tx *vault.Tx, c vault.Chat) error {
	s.changed(c.ID)
	return tx.UpdateChat(c)
}

func (s *chatStore) delete(tx *vault.Tx, id ids.Chat) error {
	s.changed(id)
	// What actions keep of the chat (actions.go) goes with it.
	for _, name := range []string{pinsSetting(id), parkedSetting(id)} {
		if err := tx.DeleteSetting(name); err != nil && !errors.Is(err, vault.ErrNotFound) {
			return err
		}
	}
	return tx.DeleteChat(id)
}

// updateMeta reads a chat, lets change edit its sync state and stores both.
func (s *chatStore) updateMeta(tx *vault.Tx, id ids.Chat, change func(c *vault.Chat, m *chatMeta)) (vault.Chat, error) {
	c, meta, err := chatWithMeta(tx, id)
	if err != nil {
		return vault.Chat{}, err
	}
	change(&c, &meta)
	if c.Extra, err = encodeMeta(meta); err != nil {
		return vault.Chat{}, err
	}
	return c, s.update(tx, c)
}

// has reports whether the vault holds the chat.
func (s *chatStore) has(ctx context.Context, id ids.Chat) (bool, error) {
	found := false
	err := s.v.View(ctx, func(tx *vault.Tx) error {
		_, err := tx.Chat(id)
		if errors.Is(err, vault.ErrNotFound) {
			return nil
		}
		found = err == nil
		return err
	})
	return found, err
}

// chatWithMeta reads a chat and decodes the engine's sync state stored with it.
func chatWithMeta(tx *vault.Tx, id ids.Chat) (vault.Chat, chatMeta, error) {
	c, err := tx.Chat(id)
	if err != nil {
		return vault.Chat{}, chatMeta{}, err
	}
	meta, err := decodeMeta(c.Extra)
	if err != nil {
		return vault.Chat{}, chatMeta{}, err
	}
	return c, meta, nil
}

// scope names a chat's cursor in the vault: the sequence number up to which its log
// has been applied.
func scope(id ids.Chat) string { return "chat:" + id.String() }

// cursor reads a chat's cursor.
func (s *chatStore) cursor(ctx context.Context, id ids.Chat) (uint64, error) {
	var c int64
	err := s.v.View(ctx, func(tx *vault.Tx) error {
		var err error
		c, err = tx.Cursor(scope(id))
		return err
	})
	return uint64(c), err
}

// roleOf returns account's role in c, zero when it is no member.
func roleOf(c *vault.Chat, account ids.Account) policy.Role {
	for _, m := range c.Members {
		if m.AccountID == account {
			return m.Role
		}
	}
	return 0
}

// directChatWith returns the id of the 1:1 chat with account, or the zero id.
func (s *chatStore) directChatWith(ctx context.Context, account ids.Account) ids.Chat {
	var found ids.Chat
	_ = s.v.View(ctx, func(tx *vault.Tx) error {
		chats, err := tx.Chats()
		if err != nil {
			return err
		}
		for _, c := range chats {
			if c.Kind == policy.KindDirect && roleOf(&c, account) != 0 {
				found = c.ID
				return nil
			}
		}
		return nil
	})
	return found
}
