package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"hush/chat"
	"hush/ids"
	"hush/policy"
	"hush/vault"
)

// errNoMessaging reports that the messaging engine could not start in this session.
var errNoMessaging = errors.New("Messaging is not available: the chat engine did not start. Lock and unlock to try again.")

// observer turns the engine's news into the UI's events, worded here. It runs on
// the engine's goroutines, which Core.mu may be waiting for (a lock closes the
// engine), so it never takes Core.mu: it reaches the engine through its own
// pointer, set before the engine starts.
type observer struct {
	c *Core
	e *chat.Engine
	// unread adds up the unread count on the icon from the engine's chats.
	unread unreadTally
}

func (o *observer) ConnectionChanged(conn chat.Connection) {
	o.c.emit(ConnectionChanged(o.c.connectionView(conn)))
	o.c.noteRefusal(conn)
}

func (o *observer) ChatUpdated(ch chat.Chat) {
	o.unread.update(ch.ID, badgeCount(ch), o.c.showUnread)
	o.c.emit(ChatUpdated(chatView(ch)))
}

func (o *observer) ChatRemoved(id ids.Chat) {
	o.unread.update(id, 0, o.c.showUnread)
	o.c.emit(ChatRemoved{ChatID: id.String()})
}

// DisplayNameChanged follows a name chosen on another device. The session is
// updated off the event path, which must not take Core.mu (an engine call made
// under it may emit).
func (o *observer) DisplayNameChanged(name string) {
	go func() {
		if _, err := o.c.displayNameChanged(); err != nil && !errors.Is(err, ErrLocked) {
			o.c.log.Info("display name from another device", "err", err)
		}
	}()
}

// ReadReceiptsChanged follows the read receipts switch turned on another device,
// off the event path as DisplayNameChanged.
func (o *observer) ReadReceiptsChanged(on bool) {
	go func() {
		if _, err := o.c.settingsChanged(func(*session) {}); err != nil && !errors.Is(err, ErrLocked) {
			o.c.log.Info("read receipts from another device", "err", err)
		}
	}()
}

// MessageNew raises the notification before the event goes out, so whoever sees the
// event can rely on the notification being decided.
func (o *observer) MessageNew(m chat.Message) {
	v := messageView(m)
	if !m.Outgoing && m.Service == nil {
		o.c.maybeNotify(o.e, m.Chat, v)
	}
	o.c.emit(MessageNew(v))
}

func (o *observer) MessageStatus(s chat.StatusChange) {
	o.c.emit(MessageStatusChanged{ChatID: s.Chat.String(), MessageID: s.Message.String(), Status: MessageStatus(s.Status.String()),
		Seq: s.Seq, ExpiresAt: unixMilliOr0(s.ExpiresAt)})
}

// MessageExpired takes a self-destructed or auto-deleted message off the screen,
// and its chat's notification away.
func (o *observer) MessageExpired(x chat.MessageExpiry) {
	o.c.withdrawNotification(x.Chat)
	o.c.emit(MessageExpired{ChatID: x.Chat.String(), MessageID: x.Message.String()})
}

func (o *observer) Typing(t chat.Typing) {
	if !o.c.typing.Load() {
		return // the user turned typing indicators off: theirs are not shown either
	}
	o.c.emit(TypingStarted{ChatID: t.Chat.String(), AccountID: t.Account.String(), Name: nameOr(t.Name, t.Account)})
}

func (o *observer) Warning(w chat.Warning) {
	o.c.emit(Warning{ChatID: idText(w.Chat), Text: warningText(w)})
}

// startEngineLocked starts the chat engine of a freshly unlocked session. A failure
// leaves the vault unlocked without messaging (and says so in the log): the rest of
// the app still works.
func (c *Core) startEngineLocked(ctx context.Context, s *session) {
	// Every session start comes through here: watch that its vault file stays
	// reachable (storage.go).
	c.watchStorageLocked(s)
	var cert []byte
	err := s.vault.View(ctx, func(tx *vault.Tx) error {
		d, err := tx.Device(s.device.ID())
		if err != nil {
			return err
		}
		cert = d.Certificate
		return nil
	})
	if err != nil {
		c.log.Error("chat engine: read device certificate", "err", err)
		return
	}
	obs := &observer{c: c}
	e, err := chat.New(ctx, chat.Config{
		Vault:       s.vault,
		Account:     s.account,
		Device:      s.device,
		Certificate: cert,
		DisplayName: s.profile.DisplayName,
		DeviceName:  s.profile.DeviceName,
		RelayURL:    c.relayURL(ctx, s.vault),
		Observer:    obs,
		Clock:       c.clk,
		Logger:      c.log.With("component", "chat"),
		// Attachment files (files.go).
		AttachmentsDir: c.attachmentsDir(),
		PreparedSince:  c.started,
		Settled:        func() { c.handBack(s.vault) },
	})
	if err == nil {
		obs.e = e
		c.seedUnread(ctx, e, &obs.unread)
		err = e.Start()
	}
	if err != nil {
		c.log.Error("chat engine did not start", "err", err)
		return
	}
	s.engine = e
}

// handBack is called when a burst of the engine's allocations is over (the
// search index built from every message, or dropped once unused) and hands
// back what it left behind: SQLite's page cache and the Go heap's garbage and
// free pages. Without it a window that built the index of a 10 000-message
// vault keeps ~8 MiB it no longer uses, until the next garbage collection,
// which an idle window may not reach for a long time (docs/PERFORMANCE.md,
// "Desktop cold start and memory").
func (c *Core) handBack(v *vault.Vault) {
	ctx, cancel := defaultContext()
	defer cancel()
	if err := v.ReleaseMemory(ctx); err != nil {
		c.log.Debug("memory not handed back", "err", err)
		return
	}
	releaseMemory()
}

// stopEngineLocked stops the session's engine; none of its goroutines survives.
func stopEngineLocked(s *session) {
	if s.engine != nil {
		s.engine.Close()
		s.engine = nil
	}
}

// chatEngine returns the unlocked session's engine. The caller uses it without
// holding c.mu (requests may take a while); if the vault locks meanwhile, the engine
// answers with ErrClosed, which messagingError turns into ErrLocked.
func (c *Core) chatEngine() (*chat.Engine, error) {
	e, _, err := c.chatEngineAndVault()
	return e, err
}

func (c *Core) chatEngineAndVault() (*chat.Engine, *vault.Vault, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.session == nil {
		return nil, nil, ErrLocked
	}
	if c.session.engine == nil {
		return nil, nil, errNoMessaging
	}
	return c.session.engine, c.session.vault, nil
}

// withEngine runs fn with the engine and a bounded context, wording its error.
func (c *Core) withEngine(fn func(ctx context.Context, e *chat.Engine) error) error {
	e, err := c.chatEngine()
	if err != nil {
		return err
	}
	ctx, cancel := defaultContext()
	defer cancel()
	return messagingError(fn(ctx, e))
}

// engineView is withEngine for calls that return a value, which view turns into
// what the UI receives.
func engineView[D, V any](c *Core, view func(D) V, fn func(ctx context.Context, e *chat.Engine) (D, error)) (V, error) {
	var out V
	err := c.withEngine(func(ctx context.Context, e *chat.Engine) error {
		d, err := fn(ctx, e)
		if err != nil {
			return err
		}
		out = view(d)
		return nil
	})
	return out, err
}

// ChatService lists chats and their messages, sends, and manages members of cloud
// chats. All methods need the vault unlocked.
type ChatService struct{ c *Core }

// List returns the chat list: pinned chats first, then by latest activity.
func (s *ChatService) List() ([]ChatSummary, error) {
	return engineView(s.c, chatsView, func(ctx context.Context, e *chat.Engine) ([]chat.Chat, error) {
		return e.List(ctx)
	})
}

// OpenDirect returns the 1:1 chat with a contact, creating it if needed.
func (s *ChatService) OpenDirect(accountID string) (ChatSummary, error) {
	id, err := parseID[ids.Account](accountID)
	if err != nil {
		return ChatSummary{}, err
	}
	return engineView(s.c, chatView, func(ctx context.Context, e *chat.Engine) (chat.Chat, error) {
		return e.OpenDirect(ctx, id)
	})
}

// CreateGroup creates a group owned by this account with the given contacts as
// members; the title is one line of at most Rules.MaxTitleBytes.
func (s *ChatService) CreateGroup(title string, memberIDs []string) (ChatSummary, error) {
	ids, err := parseIDs[ids.Account](memberIDs)
	if err != nil {
		return ChatSummary{}, err
	}
	sum, err := engineView(s.c, chatView, func(ctx context.Context, e *chat.Engine) (chat.Chat, error) {
		return e.CreateGroup(ctx, title, ids)
	})
	if err == nil {
		// The id only, never the title: logs may be shared in a bug report. Tests
		// of the real window wait for this line.
		s.c.log.Info("group created", "chat", sum.ID, "members", len(ids))
	}
	return sum, err
}

// CreateChannel creates a channel owned by this account; subscribers read only.
// The title is one line of at most Rules.MaxTitleBytes.
func (s *ChatService) CreateChannel(title string, subscriberIDs []string) (ChatSummary, error) {
	ids, err := parseIDs[ids.Account](subscriberIDs)
	if err != nil {
		return ChatSummary{}, err
	}
	return engineView(s.c, chatView, func(ctx context.Context, e *chat.Engine) (chat.Chat, error) {
		return e.CreateChannel(ctx, title, ids)
	})
}

// Members returns a chat's members, in the order they joined.
func (s *ChatService) Members(chatID string) ([]Member, error) {
	id, err := parseID[ids.Chat](chatID)
	if err != nil {
		return nil, err
	}
	return engineView(s.c, membersView, func(ctx context.Context, e *chat.Engine) ([]chat.Member, error) {
		return e.Members(ctx, id)
	})
}

// AddMembers adds contacts to a group or channel (owner and admins only) and
// returns the members.
func (s *ChatService) AddMembers(chatID string, accountIDs []string) ([]Member, error) {
	id, err := parseID[ids.Chat](chatID)
	if err != nil {
		return nil, err
	}
	ids, err := parseIDs[ids.Account](accountIDs)
	if err != nil {
		return nil, err
	}
	return engineView(s.c, membersView, func(ctx context.Context, e *chat.Engine) ([]chat.Member, error) {
		return e.AddMembers(ctx, id, ids)
	})
}

// RemoveMember removes an account from a group or channel and rotates the chat
// key, so it cannot read what follows; returns the members.
func (s *ChatService) RemoveMember(chatID, accountID string) ([]Member, error) {
	id, err := parseID[ids.Chat](chatID)
	if err != nil {
		return nil, err
	}
	acct, err := parseID[ids.Account](accountID)
	if err != nil {
		return nil, err
	}
	return engineView(s.c, membersView, func(ctx context.Context, e *chat.Engine) ([]chat.Member, error) {
		return e.RemoveMember(ctx, id, acct)
	})
}

// SetRole changes a member's role to "admin" or "member"; only the owner may
// (there is one owner). Returns the members.
func (s *ChatService) SetRole(chatID, accountID string, role Role) ([]Member, error) {
	id, err := parseID[ids.Chat](chatID)
	if err != nil {
		return nil, err
	}
	acct, err := parseID[ids.Account](accountID)
	if err != nil {
		return nil, err
	}
	return engineView(s.c, membersView, func(ctx context.Context, e *chat.Engine) ([]chat.Member, error) {
		r, ok := policy.ParseRole(string(role))
		if !ok {
			return nil, invalid(fmt.Sprintf("Unknown role %q.", role))
		}
		return e.SetRole(ctx, id, acct, r)
	})
}

// Leave leaves a group or channel; [ChatRemoved] follows.
func (s *ChatService) Leave(chatID string) error {
	id, err := parseID[ids.Chat](chatID)
	if err != nil {
		return err
	}
	return s.c.withEngine(func(ctx context.Context, e *chat.Engine) error { return e.Leave(ctx, id) })
}

// Rename gives a group or channel a new title (owner and admins), one line of at
// most Rules.MaxTitleBytes; every member's chat shows who renamed it.
func (s *ChatService) Rename(chatID, title string) (ChatSummary, error) {
	id, err := parseID[ids.Chat](chatID)
	if err != nil {
		return ChatSummary{}, err
	}
	return engineView(s.c, chatView, func(ctx context.Context, e *chat.Engine) (chat.Chat, error) {
		return e.SetTitle(ctx, id, title)
	})
}

// Accept accepts a chat request (a chat held as "request"): it joins the chat list
// and its messages are read and notified; the other person of a 1:1 chat becomes a
// contact.
func (s *ChatService) Accept(chatID string) (ChatSummary, error) {
	id, err := parseID[ids.Chat](chatID)
	if err != nil {
		return ChatSummary{}, err
	}
	return engineView(s.c, chatView, func(ctx context.Context, e *chat.Engine) (chat.Chat, error) {
		return e.Accept(ctx, id)
	})
}

// Decline declines a chat request: this account leaves a group or channel, and the
// chat and what it held are deleted here; with block, whoever started it is blocked
// and what they start later is declined without asking. [ChatRemoved] follows.
func (s *ChatService) Decline(chatID string, block bool) error {
	id, err := parseID[ids.Chat](chatID)
	if err != nil {
		return err
	}
	return s.c.withEngine(func(ctx context.Context, e *chat.Engine) error { return e.Decline(ctx, id, block) })
}

// Delete deletes a chat this account is no longer in (held as "removed",
// "unavailable" or "tampered") from this device, with its history; a secret chat
// is closed and wiped on both devices. [ChatRemoved] follows.
func (s *ChatService) Delete(chatID string) error {
	id, err := parseID[ids.Chat](chatID)
	if err != nil {
		return err
	}
	return s.c.withEngine(func(ctx context.Context, e *chat.Engine) error { return e.Delete(ctx, id) })
}

// Messages returns a page of at most limit messages, newest first; before is ""
// for the newest page, or a page's nextBefore for the next, older one.
func (s *ChatService) Messages(chatID, before string, limit int) (MessagePage, error) {
	id, err := parseID[ids.Chat](chatID)
	if err != nil {
		return MessagePage{}, err
	}
	page, err := engineView(s.c, messagePageView, func(ctx context.Context, e *chat.Engine) (chat.MessagePage, error) {
		return e.Messages(ctx, id, before, limit)
	})
	if err == nil {
		// How many, not which: scripts/measure-window.sh waits for this line to
		// know the chat it opened is on screen.
		s.c.log.Debug("messages page", "count", len(page.Messages))
	}
	return page, err
}

// Send writes a message of at most Rules.MaxMessageBytes and returns it pending:
// it stays in the outbox until the relay acknowledges it, and
// [MessageStatusChanged] events move it on. replyTo is "" or the id of a message
// in the same chat.
func (s *ChatService) Send(chatID, body, replyTo string) (Message, error) {
	id, reply, err := sendTarget(chatID, replyTo)
	if err != nil {
		return Message{}, err
	}
	return engineView(s.c, messageView, func(ctx context.Context, e *chat.Engine) (chat.Message, error) {
		return e.Send(ctx, id, body, reply)
	})
}

// sendTarget parses where a message goes: the chat, and the message it answers
// (nil for none, replyTo "").
func sendTarget(chatID, replyTo string) (ids.Chat, *ids.Message, error) {
	id, err := parseID[ids.Chat](chatID)
	if err != nil || replyTo == "" {
		return id, nil, err
	}
	r, err := parseID[ids.Message](replyTo)
	if err != nil {
		return id, nil, err
	}
	return id, &r, nil
}

// SendSplit sends a text too long for one message (Send refuses it) as several,
// cut between paragraphs, else lines, sentences or words — never inside a
// character or an emoji — and returns them in order, pending; a text that fits is
// sent whole. The first answers replyTo.
func (s *ChatService) SendSplit(chatID, body, replyTo string) ([]Message, error) {
	id, reply, err := sendTarget(chatID, replyTo)
	if err != nil {
		return nil, err
	}
	return engineView(s.c, messagesView, func(ctx context.Context, e *chat.Engine) ([]chat.Message, error) {
		return e.SendSplit(ctx, id, body, reply)
	})
}

// MarkRead marks everything received in a chat as read (outside channels the
// senders see it); the UI calls it while the user sees the chat.
func (s *ChatService) MarkRead(chatID string) error {
	id, err := parseID[ids.Chat](chatID)
	if err != nil {
		return err
	}
	return s.c.withEngine(func(ctx context.Context, e *chat.Engine) error { return e.MarkRead(ctx, id) })
}

// Typing tells the other members this user is typing (never stored); they show
// it for 5 s. With typing indicators off (Settings) it sends nothing.
func (s *ChatService) Typing(chatID string) error {
	id, err := parseID[ids.Chat](chatID)
	if err != nil {
		return err
	}
	if !s.c.typing.Load() {
		return nil
	}
	return s.c.withEngine(func(ctx context.Context, e *chat.Engine) error { return e.Typing(ctx, id) })
}

// SetPinned pins or unpins a chat.
func (s *ChatService) SetPinned(chatID string, pinned bool) (ChatSummary, error) {
	id, err := parseID[ids.Chat](chatID)
	if err != nil {
		return ChatSummary{}, err
	}
	return engineView(s.c, chatView, func(ctx context.Context, e *chat.Engine) (chat.Chat, error) {
		return e.SetPinned(ctx, id, pinned)
	})
}

// SetArchived moves a chat to the archived chats, or back to the main list, on
// every device of the account.
func (s *ChatService) SetArchived(chatID string, archived bool) (ChatSummary, error) {
	return s.shelve(chatID, func(ctx context.Context, e *chat.Engine, id ids.Chat) (chat.Chat, error) {
		return e.SetArchived(ctx, id, archived)
	})
}

// SetMuted mutes or unmutes a chat on every device of the account: a muted chat
// raises no notification.
func (s *ChatService) SetMuted(chatID string, muted bool) (ChatSummary, error) {
	return s.shelve(chatID, func(ctx context.Context, e *chat.Engine, id ids.Chat) (chat.Chat, error) {
		return e.SetMuted(ctx, id, muted)
	})
}

// SetDraft keeps the text the user began in a chat ("" clears it); it follows the
// user to their other devices. Sending a message clears it.
func (s *ChatService) SetDraft(chatID, text string) (ChatSummary, error) {
	return s.shelve(chatID, func(ctx context.Context, e *chat.Engine, id ids.Chat) (chat.Chat, error) {
		return e.SetDraft(ctx, id, text)
	})
}

func (s *ChatService) shelve(chatID string, change func(context.Context, *chat.Engine, ids.Chat) (chat.Chat, error)) (ChatSummary, error) {
	id, err := parseID[ids.Chat](chatID)
	if err != nil {
		return ChatSummary{}, err
	}
	return engineView(s.c, chatView, func(ctx context.Context, e *chat.Engine) (chat.Chat, error) {
		return change(ctx, e, id)
	})
}

// ContactService finds people by handle and keeps their pinned keys. All methods
// need the vault unlocked.
type ContactService struct{ c *Core }

// RegisterHandle claims @handle for this account at the relay, replacing its
// handle if it had one, and returns the link with the handle set. A taken or
// malformed handle is an error.
func (s *ContactService) RegisterHandle(handle string) (Connection, error) {
	return engineView(s.c, s.c.connectionView, func(ctx context.Context, e *chat.Engine) (chat.Connection, error) {
		return e.RegisterHandle(ctx, handle)
	})
}

// RemoveHandle drops this account's @handle at the relay (RegisterHandle changes
// it instead) and returns the link without one. People who already have the
// account as a contact keep it; nobody finds it by the old handle any more.
func (s *ContactService) RemoveHandle() (Connection, error) {
	return engineView(s.c, s.c.connectionView, func(ctx context.Context, e *chat.Engine) (chat.Connection, error) {
		return e.RemoveHandle(ctx)
	})
}

// Add looks a handle up at the relay and pins the account's keys on first use.
func (s *ContactService) Add(handle string) (Contact, error) {
	return engineView(s.c, contactView, func(ctx context.Context, e *chat.Engine) (chat.Contact, error) {
		return e.AddContact(ctx, handle)
	})
}

// List returns every contact, in the order they were added.
func (s *ContactService) List() ([]Contact, error) {
	return engineView(s.c, contactsView, func(ctx context.Context, e *chat.Engine) ([]chat.Contact, error) {
		return e.Contacts(ctx)
	})
}

// SafetyNumber returns the number to compare with a contact out of band.
func (s *ContactService) SafetyNumber(accountID string) (SafetyNumber, error) {
	id, err := parseID[ids.Account](accountID)
	if err != nil {
		return SafetyNumber{}, err
	}
	return engineView(s.c, safetyNumberView, func(ctx context.Context, e *chat.Engine) (chat.SafetyNumber, error) {
		return e.SafetyNumber(ctx, id)
	})
}

// MarkVerified records that the safety number was compared (or withdraws it).
func (s *ContactService) MarkVerified(accountID string, verified bool) (Contact, error) {
	id, err := parseID[ids.Account](accountID)
	if err != nil {
		return Contact{}, err
	}
	return engineView(s.c, contactView, func(ctx context.Context, e *chat.Engine) (chat.Contact, error) {
		return e.MarkVerified(ctx, id, verified)
	})
}

// SetBlocked blocks an account (or unblocks it): chats it starts, or adds this
// account to, are declined without asking.
func (s *ContactService) SetBlocked(accountID string, blocked bool) error {
	id, err := parseID[ids.Account](accountID)
	if err != nil {
		return err
	}
	return s.c.withEngine(func(ctx context.Context, e *chat.Engine) error { return e.SetBlocked(ctx, id, blocked) })
}

// Blocked lists the accounts the user blocked, the most recently blocked first.
func (s *ContactService) Blocked() ([]BlockedAccount, error) {
	return engineView(s.c, blockedView, func(ctx context.Context, e *chat.Engine) ([]chat.Blocked, error) {
		return e.Blocked(ctx)
	})
}

// ContactDevices lists a contact's devices, as its signed device list names them:
// the devices a secret chat can be opened with. The most recently active come
// first — lastSeen is when the newest message this device holds from it was sent
// (0: none; the relay tells nobody else when a device connects) — then the most
// recently linked.
func (s *ChatService) ContactDevices(accountID string) ([]Device, error) {
	id, err := parseID[ids.Account](accountID)
	if err != nil {
		return nil, err
	}
	return engineView(s.c, devicesView, func(ctx context.Context, e *chat.Engine) ([]chat.OwnDevice, error) {
		return e.ContactDevices(ctx, id)
	})
}

// StartSecret opens a secret chat with one device of a contact (from
// ContactDevices), or returns the one already open with it. The chat lives only on
// that device and this one.
func (s *ChatService) StartSecret(accountID, deviceID string) (ChatSummary, error) {
	account, err := parseID[ids.Account](accountID)
	if err != nil {
		return ChatSummary{}, err
	}
	device, err := parseID[ids.Device](deviceID)
	if err != nil {
		return ChatSummary{}, err
	}
	return engineView(s.c, chatView, func(ctx context.Context, e *chat.Engine) (chat.Chat, error) {
		return e.StartSecret(ctx, account, device)
	})
}

// SetSecretTimer sets a secret chat's self-destruct time for the messages sent
// from now on, in seconds: one of Rules.SecretTimerSeconds (0: off). Both devices
// show a line.
func (s *ChatService) SetSecretTimer(chatID string, seconds int) (ChatSummary, error) {
	id, err := parseID[ids.Chat](chatID)
	if err != nil {
		return ChatSummary{}, err
	}
	return engineView(s.c, chatView, func(ctx context.Context, e *chat.Engine) (chat.Chat, error) {
		return e.SetSecretTimer(ctx, id, time.Duration(seconds)*time.Second)
	})
}

// SetAutoDelete sets a cloud chat's auto-delete time for the messages sent from
// now on, in seconds: one of Rules.AutoDeleteSeconds (0: off). Either person of a
// direct chat may, the owner and admins of a group or channel. Every member's
// devices apply it and show a line; each message keeps the time it was sent with.
func (s *ChatService) SetAutoDelete(chatID string, seconds int) (ChatSummary, error) {
	id, err := parseID[ids.Chat](chatID)
	if err != nil {
		return ChatSummary{}, err
	}
	return engineView(s.c, chatView, func(ctx context.Context, e *chat.Engine) (chat.Chat, error) {
		return e.SetAutoDelete(ctx, id, time.Duration(seconds)*time.Second)
	})
}

// SecretSafetyNumber is the number (digits and emoji) the two devices of a secret
// chat both show: equal on both screens, nobody sits in between.
func (s *ChatService) SecretSafetyNumber(chatID string) (SafetyNumber, error) {
	id, err := parseID[ids.Chat](chatID)
	if err != nil {
		return SafetyNumber{}, err
	}
	return engineView(s.c, safetyNumberView, func(ctx context.Context, e *chat.Engine) (chat.SafetyNumber, error) {
		return e.SecretSafetyNumber(ctx, id)
	})
}
