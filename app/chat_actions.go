package app

import (
	"context"
	"errors"

	"hush/chat"
	"hush/ids"
)

// The actions on messages the UI offers from a message's menu: edit, delete (for
// oneself or for everyone), react, pin, forward, and retry or delete a message
// that failed to send (docs/PROTOCOL.md, "Actions on messages").

// MessageChanged: an edit, a deletion for everyone, a reaction or a pin changed a
// message; it is given whole, as it stands now.
type MessageChanged Message

// MessageHidden: a message was deleted for this account only (here or on another of
// its devices); it must go from the screen.
type MessageHidden struct {
	ChatID    string `json:"chatId"`
	MessageID string `json:"messageId"`
}

// EventName implements [Event].
func (MessageChanged) EventName() string { return "message:changed" }

// EventName implements [Event].
func (MessageHidden) EventName() string { return "message:hidden" }

func (o *observer) MessageChanged(m chat.Message) { o.c.emit(MessageChanged(messageView(m))) }

func (o *observer) MessageHidden(x chat.MessageExpiry) {
	o.c.emit(MessageHidden{ChatID: x.Chat.String(), MessageID: x.Message.String()})
}

// reactionsView words reactions for the UI: this account's name is "you", first.
func reactionsView(rs []chat.Reaction) []Reaction {
	out := make([]Reaction, 0, len(rs))
	for _, r := range rs {
		v := Reaction{Emoji: r.Emoji, Count: len(r.By), Mine: r.Mine, Names: make([]string, 0, len(r.By))}
		if r.Mine {
			v.Names = append(v.Names, "you")
		}
		for _, p := range r.By {
			if !p.IsMe {
				v.Names = append(v.Names, nameOr(p.Name, p.Account))
			}
		}
		out = append(out, v)
	}
	return out
}

// chatAndMessage parses a chat id and a message id.
func chatAndMessage(chatID, messageID string) (ids.Chat, ids.Message, error) {
	c, err := parseID[ids.Chat](chatID)
	if err != nil {
		return ids.Chat{}, ids.Message{}, err
	}
	m, err := parseID[ids.Message](messageID)
	return c, m, err
}

// messageAction runs one action on a message and returns the message as it stands.
func (s *ChatService) messageAction(chatID, messageID string, fn func(ctx context.Context, e *chat.Engine, c ids.Chat, m ids.Message) (chat.Message, error)) (Message, error) {
	c, m, err := chatAndMessage(chatID, messageID)
	if err != nil {
		return Message{}, err
	}
	return engineView(s.c, messageView, func(ctx context.Context, e *chat.Engine) (chat.Message, error) {
		return fn(ctx, e, c, m)
	})
}

// EditMessage replaces the text of one of this account's messages, for every
// member and device; it shows as edited. A deleted message cannot be edited.
func (s *ChatService) EditMessage(chatID, messageID, body string) (Message, error) {
	return s.messageAction(chatID, messageID, func(ctx context.Context, e *chat.Engine, c ids.Chat, m ids.Message) (chat.Message, error) {
		return e.EditMessage(ctx, c, m, body)
	})
}

// React puts an emoji on a message, or takes it off (remove). Putting it twice
// is putting it once.
func (s *ChatService) React(chatID, messageID, emoji string, remove bool) (Message, error) {
	return s.messageAction(chatID, messageID, func(ctx context.Context, e *chat.Engine, c ids.Chat, m ids.Message) (chat.Message, error) {
		return e.React(ctx, c, m, emoji, remove)
	})
}

// PinMessage pins a message in its chat for every member, or unpins it.
func (s *ChatService) PinMessage(chatID, messageID string, pinned bool) (Message, error) {
	return s.messageAction(chatID, messageID, func(ctx context.Context, e *chat.Engine, c ids.Chat, m ids.Message) (chat.Message, error) {
		return e.PinMessage(ctx, c, m, pinned)
	})
}

// RetryMessage sends again a message of this device that failed to send.
func (s *ChatService) RetryMessage(chatID, messageID string) (Message, error) {
	return s.messageAction(chatID, messageID, func(ctx context.Context, e *chat.Engine, c ids.Chat, m ids.Message) (chat.Message, error) {
		return e.RetryMessage(ctx, c, m)
	})
}

// PinnedMessages lists a chat's pinned messages, the most recently pinned last.
func (s *ChatService) PinnedMessages(chatID string) ([]Message, error) {
	id, err := parseID[ids.Chat](chatID)
	if err != nil {
		return nil, err
	}
	return engineView(s.c, messagesView, func(ctx context.Context, e *chat.Engine) ([]chat.Message, error) {
		return e.PinnedMessages(ctx, id)
	})
}

// DeleteMessages deletes messages of a chat: for everyone (their author, or an
// admin who may remove the author; a placeholder stays on every device) or for
// this account only (gone from its devices; the others keep them). A message that
// failed to send is only ever deleted here. It stops at the first refusal; the
// ones before it are deleted.
func (s *ChatService) DeleteMessages(chatID string, messageIDs []string, forEveryone bool) error {
	id, err := parseID[ids.Chat](chatID)
	if err != nil {
		return err
	}
	msgs, err := parseIDs[ids.Message](messageIDs)
	if err != nil {
		return err
	}
	return s.c.withEngine(func(ctx context.Context, e *chat.Engine) error {
		for _, m := range msgs {
			if forEveryone {
				_, err = e.DeleteMessage(ctx, id, m)
			} else {
				err = e.DeleteForMe(ctx, id, m)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// Forward sends copies of messages of one chat to another, in the order given,
// each marked "Forwarded from" its original's sender. The copies are sealed anew:
// no ciphertext is sent twice. Secret chats neither forward nor take forwards.
func (s *ChatService) Forward(fromChatID string, messageIDs []string, toChatID string) ([]Message, error) {
	from, err := parseID[ids.Chat](fromChatID)
	if err != nil {
		return nil, err
	}
	to, err := parseID[ids.Chat](toChatID)
	if err != nil {
		return nil, err
	}
	msgs, err := parseIDs[ids.Message](messageIDs)
	if err != nil {
		return nil, err
	}
	if len(msgs) == 0 {
		return nil, errors.New("Choose the messages to forward.")
	}
	return engineView(s.c, messagesView, func(ctx context.Context, e *chat.Engine) ([]chat.Message, error) {
		out := make([]chat.Message, 0, len(msgs))
		for _, m := range msgs {
			sent, err := e.Forward(ctx, from, m, to)
			if err != nil {
				return out, err
			}
			out = append(out, sent)
		}
		return out, nil
	})
}
