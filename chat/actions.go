package chat

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"slices"
	"time"

	"hush/chatcrypto"
	"hush/ids"
	"hush/policy"
	"hush/vault"
)

// Actions on sent messages (docs/PROTOCOL.md, "Actions on messages"): an edit, a
// deletion for everyone, a reaction, a pin. Each travels as a message of its own
// kind in the chat log, sealed and signed like a text, and names its target by id.
// Every device applies it — the sender's own at once, the others when it arrives —
// with the same rules, so all of them reach the same state:
//
//   - an edit applies only when its signed sender is the target's sender, and never
//     to a deleted message; of two edits the one signed later wins;
//   - a deletion is its author's, or an admin's who may remove the author; it
//     leaves a placeholder and forgets the text, reactions and pin;
//   - a reaction is a set per (reactor, emoji): adding twice is adding once, and of
//     an add and a removal the one signed later wins;
//   - a pin is the chat's, set by anyone who may post; the later signed one wins.
//
// An action that arrives before its target (the relay withheld or reordered the
// target, or it is in a page not fetched yet) is parked, and applied when the
// target is stored.

// isAction reports whether k is an action on an earlier message.
func isAction(k chatcrypto.Kind) bool {
	switch k {
	case chatcrypto.KindEdit, chatcrypto.KindDelete, chatcrypto.KindReaction, chatcrypto.KindPin:
		return true
	}
	return false
}

// action is one action on a message, as sent or received.
type action struct {
	kind   chatcrypto.Kind
	target ids.Message
	sender ids.Account
	body   string // an edit's new text
	emoji  string // a reaction's emoji
	remove bool   // a reaction taken back; a message unpinned
	at     time.Time
}

// actionOf reads the action a content carries, sent by sender. Its time is the one
// the sender signed; the relay's when there is none.
func actionOf(sender ids.Account, c chatcrypto.Content, relayTime time.Time) action {
	a := action{kind: c.Kind, sender: sender, at: c.SentAt}
	if a.at.IsZero() {
		a.at = relayTime
	}
	switch {
	case c.Edit != nil:
		a.target, a.body = c.Edit.Target, c.Edit.Body
	case c.Delete != nil:
		a.target = c.Delete.Target
	case c.Reaction != nil:
		a.target, a.emoji, a.remove = c.Reaction.Target, c.Reaction.Emoji, c.Reaction.Remove
	case c.Pin != nil:
		a.target, a.remove = c.Pin.Target, c.Pin.Unpin
	}
	return a
}

// content is the action as sealed.
func (a action) content() chatcrypto.Content {
	c := chatcrypto.Content{Kind: a.kind, SentAt: a.at}
	switch a.kind {
	case chatcrypto.KindEdit:
		c.Edit = &chatcrypto.Edit{Target: a.target, Body: a.body}
	case chatcrypto.KindDelete:
		c.Delete = &chatcrypto.Delete{Target: a.target}
	case chatcrypto.KindReaction:
		c.Reaction = &chatcrypto.Reaction{Target: a.target, Emoji: a.emoji, Remove: a.remove}
	case chatcrypto.KindPin:
		c.Pin = &chatcrypto.Pin{Target: a.target, Unpin: a.remove}
	}
	return c
}

// messageActs is what actions did to a message, kept in its engine state.
type messageActs struct {
	_ struct{} `cbor:",toarray"`
	// Deleted: deleted for everyone, by DeletedBy.
	Deleted   bool
	DeletedBy []byte
	Reactions []reactionRecord
	// Pinned is the message's pin state as of PinAt (Unix milliseconds, the signed
	// time of the newest pin or unpin applied).
	Pinned bool
	PinAt  int64
	// Forwarded is the name a forwarded message said its original came from.
	Forwarded string
}

// reactionRecord is one reactor's emoji on a message: Removed when taken back
// (kept, so an older add arriving late does not bring it back), At the signed
// time of the newest add or removal (Unix milliseconds).
type reactionRecord struct {
	_       struct{} `cbor:",toarray"`
	Account []byte
	Emoji   string
	At      int64
	Removed bool
}

// Limits of what actions keep with one message.
const (
	// maxReactionRecords caps the (reactor, emoji) pairs kept with a message, taken
	// back ones included: beyond it new pairs are ignored, so a member cannot grow
	// a message's record without bound.
	maxReactionRecords = 256
	// maxParkedActions caps the actions per chat waiting for their target; the
	// oldest go first.
	maxParkedActions = 256
	// maxPinned caps the pinned messages of a chat; pinning one more unpins the
	// oldest.
	maxPinned = 100
)

func (a *messageActs) empty() bool {
	return a == nil || (!a.Deleted && len(a.DeletedBy) == 0 && len(a.Reactions) == 0 && !a.Pinned && a.PinAt == 0 && a.Forwarded == "")
}

// check applies the limits of a stored record.
func (a *messageActs) check() error {
	if a == nil {
		return nil
	}
	if len(a.Reactions) > maxReactionRecords {
		return fmt.Errorf("%d reactions, the limit is %d", len(a.Reactions), maxReactionRecords)
	}
	for _, r := range a.Reactions {
		if len(r.Account) != ids.Size || r.Emoji == "" || len(r.Emoji) > chatcrypto.MaxEmojiBytes {
			return fmt.Errorf("reaction of %d-byte account, %d-byte emoji", len(r.Account), len(r.Emoji))
		}
	}
	if len(a.DeletedBy) != 0 && len(a.DeletedBy) != ids.Size {
		return fmt.Errorf("deleted by a %d-byte id", len(a.DeletedBy))
	}
	if a.Forwarded != "" && chatcrypto.CheckSenderName(a.Forwarded) != nil {
		return errors.New("invalid forwarded-from name")
	}
	return nil
}

// actOutcome is what applying an action did.
type actOutcome int

const (
	actApplied actOutcome = iota // the target changed
	actSame                      // nothing to change: a repeat, an older action, a deleted target
	actMissing                   // the target is not here (yet): park it
	actRefused                   // not allowed: the warning says why
)

// applyAction applies a to its target in c, in tx. On actApplied the target as
// stored now is returned. A deletion of a message of this account (me) queues
// its files' deletion from the relay (blobdelete.go).
func applyAction(tx *vault.Tx, c *vault.Chat, a action, me ids.Account) (*vault.Message, actOutcome, error) {
	m, err := tx.Message(a.target)
	if errors.Is(err, vault.ErrNotFound) {
		return nil, actMissing, nil
	}
	if err != nil {
		return nil, 0, err
	}
	em := metaOf(m)
	if m.ChatID != c.ID || em.Service != nil {
		// A message of another chat, or a line the chat shows about itself: no
		// action names those.
		return nil, actRefused, nil
	}
	acts := em.Acts
	if acts == nil {
		acts = &messageActs{}
	}
	if acts.Deleted {
		return nil, actSame, nil // nothing comes back from a deletion
	}
	at := a.at.UnixMilli()
	switch a.kind {
	case chatcrypto.KindEdit:
		if a.sender != m.SenderAccount {
			return nil, actRefused, nil // only its author edits a message
		}
		old := m.EditedAt.UnixMilli()
		if m.EditedAt.IsZero() {
			old = -1
		}
		// The later signed edit wins; of two signed in one millisecond, the greater
		// text, so every device settles on the same one.
		if at < old || (at == old && a.body <= m.Body) {
			return nil, actSame, nil
		}
		m.Body, m.EditedAt = a.body, time.UnixMilli(at).UTC()
		if em.Placeholder == AttachmentOnly {
			em.Placeholder = NoPlaceholder
		}
	case chatcrypto.KindDelete:
		if !mayDelete(c, a.sender, m.SenderAccount) {
			return nil, actRefused, nil
		}
		m.Body, em.Placeholder = "", Deleted
		*acts = messageActs{Deleted: true, DeletedBy: a.sender[:], Forwarded: acts.Forwarded}
		if _, err := queueOwnFiles(tx, m, me); err != nil {
			return nil, 0, err
		}
		atts, err := tx.AttachmentsOf(m.ID)
		if err != nil {
			return nil, 0, err
		}
		for _, at := range atts {
			if err := tx.DeleteAttachment(at.ID); err != nil && !errors.Is(err, vault.ErrNotFound) {
				return nil, 0, err
			}
		}
		if err := setPinned(tx, c.ID, m.ID, false); err != nil {
			return nil, 0, err
		}
	case chatcrypto.KindReaction:
		i := slices.IndexFunc(acts.Reactions, func(r reactionRecord) bool {
			return bytes.Equal(r.Account, a.sender[:]) && r.Emoji == a.emoji
		})
		switch {
		case i < 0 && a.remove:
			return nil, actSame, nil
		case i < 0 && len(acts.Reactions) >= maxReactionRecords:
			return nil, actSame, nil
		case i < 0:
			acts.Reactions = append(acts.Reactions, reactionRecord{Account: a.sender[:], Emoji: a.emoji, At: at})
		case at <= acts.Reactions[i].At:
			return nil, actSame, nil // a repeat, or older than what is held
		default:
			// Newer: its state wins, and its time too, even when the state is the
			// same, so that an older change arriving later cannot undo it.
			acts.Reactions[i].At, acts.Reactions[i].Removed = at, a.remove
		}
	case chatcrypto.KindPin:
		if !policy.CanPost(c.Kind, roleOf(c, a.sender)) {
			return nil, actRefused, nil
		}
		if at < acts.PinAt || (at == acts.PinAt && acts.Pinned == !a.remove) {
			return nil, actSame, nil
		}
		acts.Pinned, acts.PinAt = !a.remove, at
		if err := setPinned(tx, c.ID, m.ID, acts.Pinned); err != nil {
			return nil, 0, err
		}
	default:
		return nil, actRefused, nil
	}
	em.Acts = acts
	if m.Extra, err = encodeMessageMeta(em); err != nil {
		return nil, 0, err
	}
	if err := tx.UpdateMessage(m); err != nil {
		return nil, 0, err
	}
	return &m, actApplied, nil
}

// mayDelete reports whether actor may delete for everyone what author wrote in c:
// its author; in a group or channel, an admin who may remove the author (the owner
// anyone's, an admin a member's).
func mayDelete(c *vault.Chat, actor, author ids.Account) bool {
	if actor == author {
		return true
	}
	authorRole := roleOf(c, author)
	if authorRole == 0 {
		authorRole = policy.RoleMember // left since: judged as the member they were
	}
	return policy.CanRemove(c.Kind, roleOf(c, actor), authorRole, false)
}

// reactionsOf groups a message's reactions by emoji: most reactors first, then
// the emoji first used.
func reactionsOf(acts *messageActs, me ids.Account, name func(ids.Account) string) []Reaction {
	if acts == nil {
		return nil
	}
	var out []Reaction
	first := map[string]int64{}
	for _, r := range acts.Reactions {
		if r.Removed {
			continue
		}
		a := ids.Account(r.Account)
		i := slices.IndexFunc(out, func(x Reaction) bool { return x.Emoji == r.Emoji })
		if i < 0 {
			out = append(out, Reaction{Emoji: r.Emoji})
			i = len(out) - 1
			first[r.Emoji] = r.At
		}
		first[r.Emoji] = min(first[r.Emoji], r.At)
		out[i].By = append(out[i].By, Person{Account: a, Name: name(a), IsMe: a == me})
		out[i].Mine = out[i].Mine || a == me
	}
	slices.SortStableFunc(out, func(x, y Reaction) int {
		if c := cmp.Compare(len(y.By), len(x.By)); c != 0 {
			return c
		}
		return cmp.Compare(first[x.Emoji], first[y.Emoji])
	})
	return out
}

// pinsSetting names the vault setting listing a chat's pinned messages, oldest
// pin first.
func pinsSetting(chat ids.Chat) string { return "chat/pins/" + chat.String() }

// parkedSetting names the vault setting holding a chat's actions whose target has
// not arrived.
func parkedSetting(chat ids.Chat) string { return "chat/parked/" + chat.String() }

// setPinned adds msg to the chat's pinned list or takes it off.
func setPinned(tx *vault.Tx, chat ids.Chat, msg ids.Message, pinned bool) error {
	list, err := settingList[[]byte](tx, pinsSetting(chat))
	if err != nil {
		return err
	}
	i := slices.IndexFunc(list, func(b []byte) bool { return bytes.Equal(b, msg[:]) })
	switch {
	case pinned && i >= 0, !pinned && i < 0:
		return nil
	case pinned:
		list = append(list, msg[:])
		if len(list) > maxPinned {
			list = list[len(list)-maxPinned:]
		}
	default:
		list = slices.Delete(list, i, i+1)
	}
	if len(list) == 0 {
		if err := tx.DeleteSetting(pinsSetting(chat)); err != nil && !errors.Is(err, vault.ErrNotFound) {
			return err
		}
		return nil
	}
	return putSettingList(tx, pinsSetting(chat), list)
}

// pinnedIDs lists a chat's pinned messages, oldest pin first.
func pinnedIDs(tx *vault.Tx, chat ids.Chat) ([]ids.Message, error) {
	list, err := settingList[[]byte](tx, pinsSetting(chat))
	if err != nil {
		return nil, err
	}
	out := make([]ids.Message, 0, len(list))
	for _, b := range list {
		if len(b) == ids.Size {
			out = append(out, ids.Message(b))
		}
	}
	return out, nil
}

// parkedAction is an action kept until its target arrives.
type parkedAction struct {
	_      struct{} `cbor:",toarray"`
	Kind   chatcrypto.Kind
	Target []byte
	Sender []byte
	Body   string
	Emoji  string
	Remove bool
	At     int64
}

func (p parkedAction) action() action {
	return action{kind: p.Kind, target: ids.Message(p.Target), sender: ids.Account(p.Sender), body: p.Body,
		emoji: p.Emoji, remove: p.Remove, at: time.UnixMilli(p.At).UTC()}
}

// parked is a chat's parked actions as a batch holds them.
type parked struct {
	list  []parkedAction
	dirty bool
}

// parkedOf returns the chat's parked actions, read once per batch.
func (b *batch) parkedOf(tx *vault.Tx, chat ids.Chat) (*parked, error) {
	if b.parked != nil && b.parkedChat == chat {
		return b.parked, nil
	}
	list, err := settingList[parkedAction](tx, parkedSetting(chat))
	if err != nil {
		return nil, err
	}
	list = slices.DeleteFunc(list, func(p parkedAction) bool {
		return len(p.Target) != ids.Size || len(p.Sender) != ids.Size || !isAction(p.Kind)
	})
	b.parked, b.parkedChat = &parked{list: list}, chat
	return b.parked, nil
}

// flushParked writes back a batch's parked actions if they changed.
func (b *batch) flushParked(tx *vault.Tx) error {
	p := b.parked
	if p == nil || !p.dirty {
		return nil
	}
	p.dirty = false
	if len(p.list) == 0 {
		if err := tx.DeleteSetting(parkedSetting(b.parkedChat)); err != nil && !errors.Is(err, vault.ErrNotFound) {
			return err
		}
		return nil
	}
	return putSettingList(tx, parkedSetting(b.parkedChat), p.list)
}

// act applies an authentic action received in c, parking it when its target is not
// here.
func (r *receiver) act(tx *vault.Tx, c *vault.Chat, meta *chatMeta, a action, names nameCache, out *batch) (WarningKind, error) {
	m, res, err := applyAction(tx, c, a, r.meID)
	out.blobJobs = out.blobJobs || (res == actApplied && a.kind == chatcrypto.KindDelete)
	switch {
	case err != nil:
		return 0, err
	case res == actRefused:
		r.log.Info("action on a message refused", "chat", c.ID.String(), "kind", a.kind.String())
		return WarnActionNotAllowed, nil
	case res == actMissing:
		p, err := out.parkedOf(tx, c.ID)
		if err != nil {
			return 0, err
		}
		p.list = append(p.list, parkedAction{Kind: a.kind, Target: a.target[:], Sender: a.sender[:], Body: a.body,
			Emoji: a.emoji, Remove: a.remove, At: a.at.UnixMilli()})
		if len(p.list) > maxParkedActions {
			p.list = p.list[len(p.list)-maxParkedActions:]
		}
		p.dirty = true
		return 0, out.flushParked(tx)
	case res == actApplied:
		out.changed = append(out.changed, r.list.message(tx, *m, meta, names))
		if out.last != nil && out.last.ID == m.ID {
			out.last = m // the chat list previews it as it stands now
		}
	}
	return 0, nil
}

// unpark applies the parked actions that wait for m, just stored, and returns m as
// it stands after them.
func (r *receiver) unpark(tx *vault.Tx, c *vault.Chat, m vault.Message, out *batch) (vault.Message, error) {
	p, err := out.parkedOf(tx, c.ID)
	if err != nil || len(p.list) == 0 {
		return m, err
	}
	var waiting []parkedAction
	p.list = slices.DeleteFunc(p.list, func(x parkedAction) bool {
		if ids.Message(x.Target) == m.ID {
			waiting = append(waiting, x)
			return true
		}
		return false
	})
	if len(waiting) == 0 {
		return m, nil
	}
	p.dirty = true
	for _, x := range waiting {
		changed, res, err := applyAction(tx, c, x.action(), r.meID)
		out.blobJobs = out.blobJobs || (res == actApplied && x.Kind == chatcrypto.KindDelete)
		switch {
		case err != nil:
			return m, err
		case res == actRefused:
			out.warnings = append(out.warnings, WarnActionNotAllowed)
		case res == actApplied:
			m = *changed
		}
	}
	return m, out.flushParked(tx)
}
