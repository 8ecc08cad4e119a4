package chat

import (
	"context"
	"time"
	"unicode/utf8"

	"hush/accountlog"
	"hush/chatcrypto"
	"hush/ids"
	"hush/vault"
)

// The shelf: how the user keeps a chat — archived, muted, the draft they began.
// Each is the user's, not the chat's: it is kept in the chat's state on this device
// and travels to the account's other devices as an account-log record
// (accountsync.go); the newest change wins on every device.

// MaxDraftBytes caps a draft: as long as the longest message.
const MaxDraftBytes = chatcrypto.MaxBodyBytes

// SetArchived moves a chat to the archive or back to the main list.
func (e *Engine) SetArchived(ctx context.Context, id ids.Chat, archived bool) (Chat, error) {
	c, changed, err := e.list.shelve(ctx, id, func(s *chatShelf) bool {
		was := s.Archived
		s.Archived = archived
		return was != archived
	})
	if err == nil && changed {
		e.publishChat(ctx, accountlog.Record{Kind: accountlog.KindArchived, Target: id, Value: archived})
	}
	return c, err
}

// SetMuted mutes or unmutes a chat: a muted chat raises no notification.
func (e *Engine) SetMuted(ctx context.Context, id ids.Chat, muted bool) (Chat, error) {
	c, changed, err := e.list.shelve(ctx, id, func(s *chatShelf) bool {
		was := s.Muted
		s.Muted = muted
		return was != muted
	})
	if err == nil && changed {
		e.publishChat(ctx, accountlog.Record{Kind: accountlog.KindMuted, Target: id, Value: muted})
	}
	return c, err
}

// SetDraft keeps text as the chat's draft ("" clears it), at most MaxDraftBytes of
// UTF-8. Text of only spaces is kept as it is: the user may be about to type.
func (e *Engine) SetDraft(ctx context.Context, id ids.Chat, text string) (Chat, error) {
	switch {
	case !utf8.ValidString(text):
		return Chat{}, detailf(ErrInvalid, "the draft is not valid text")
	case len(text) > MaxDraftBytes:
		return Chat{}, detailf(ErrTooLong, "a draft holds at most %d bytes", MaxDraftBytes)
	}
	now := e.clk.Now()
	c, changed, err := e.list.shelve(ctx, id, func(s *chatShelf) bool {
		if s.Draft == text {
			return false
		}
		s.Draft, s.DraftAt = text, now.UnixMilli()
		return true
	})
	if err == nil && changed {
		e.publishChat(ctx, accountlog.Record{Kind: accountlog.KindDraft, Target: id, Value: text != "", Text: text, At: now})
	}
	return c, err
}

// applyShelf makes a shelf record of another device take effect here. A draft
// older than the one held (typed here meanwhile) is not applied.
func (e *Engine) applyShelf(ctx context.Context, r accountlog.Record) error {
	id := ids.Chat(r.Target)
	_, _, err := e.list.shelve(ctx, id, func(s *chatShelf) bool {
		switch r.Kind {
		case accountlog.KindArchived:
			was := s.Archived
			s.Archived = r.Value
			return was != r.Value
		case accountlog.KindMuted:
			was := s.Muted
			s.Muted = r.Value
			return was != r.Value
		case accountlog.KindDraft:
			if s.Draft == r.Text || r.At.UnixMilli() < s.DraftAt {
				return false
			}
			s.Draft, s.DraftAt = r.Text, r.At.UnixMilli()
			return true
		}
		return false
	})
	return err
}

// clearDraft clears a chat's draft once its text went out as a message. Most chats
// have none: a read finds that, without the write transaction of shelve.
func (e *Engine) clearDraft(ctx context.Context, id ids.Chat, sent time.Time) {
	var draft bool
	if err := e.list.v.View(ctx, func(tx *vault.Tx) error {
		_, meta, err := chatWithMeta(tx, id)
		draft = err == nil && meta.Shelf.Draft != ""
		return err
	}); err != nil || !draft {
		return
	}
	var had bool
	_, changed, err := e.list.shelve(ctx, id, func(s *chatShelf) bool {
		had = s.Draft != ""
		if !had || s.DraftAt > sent.UnixMilli() {
			return false // typed again since
		}
		s.Draft, s.DraftAt = "", sent.UnixMilli()
		return true
	})
	if err == nil && changed {
		e.publishChat(ctx, accountlog.Record{Kind: accountlog.KindDraft, Target: id, Value: false, At: sent})
	}
}
