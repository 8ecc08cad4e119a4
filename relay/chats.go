package relay

import (
	"bytes"
	"context"
	"errors"

	"hush/ids"
	"hush/membership"
	"hush/policy"
	"hush/relay/store"
	"hush/sync/wire"
)

// Chats change only through their membership logs (docs/SECURITY.md, "Membership
// log"). The relay checks each record as every member does — the signature, the
// chain, and package policy through membership.State.Apply — so an honest relay
// stores only what members will accept, and applies it to its own membership, which
// is its access control: who may fetch, send and be pushed to. Members never take
// members from the relay's word.

// logState is the membership state the relay keeps of a chat, as membership.Apply
// needs it. The relay does not keep titles: a title record changes nothing here.
func logState(c *store.Chat) membership.State {
	roles := make(map[ids.Account]policy.Role, len(c.Members))
	for a, m := range c.Members {
		roles[a] = m.Role
	}
	return membership.State{Chat: c.ID, Kind: c.Kind, Members: roles, Len: c.LogLen, Head: c.LogHead, HeadOp: membership.Op(c.HeadOp)}
}

// parseRecord verifies a record sent by c: well formed, signed by c's own device.
func (c *conn) parseRecord(raw []byte) (*membership.Record, error) {
	r, err := membership.Parse(raw, nil)
	if err != nil {
		return nil, wire.Errorf(wire.CodeBadRequest, "membership record: %v", err)
	}
	if r.Signer.Device.ID() != c.device || r.By() != c.account {
		return nil, wire.Errorf(wire.CodeForbidden, "a membership record is signed by the device that sends it")
	}
	return r, nil
}

// recordRefused turns what membership.State.Apply refuses into the protocol's codes.
func recordRefused(err error) error {
	switch {
	case errors.Is(err, membership.ErrBrokenChain):
		return wire.Errorf(wire.CodeConflict, "%v; fetch the log and try again", err)
	case errors.Is(err, membership.ErrNotAllowed):
		return wire.Errorf(wire.CodeForbidden, "%v", err)
	}
	return wire.Errorf(wire.CodeBadRequest, "%v", err)
}

// knownAccounts checks that every account a record adds has registered here.
func (w *writer) knownAccounts(ctx context.Context, tx store.Tx, members []membership.Member) error {
	for _, m := range members {
		if _, err := w.account(ctx, tx, m.Account); errors.Is(err, store.ErrNotFound) {
			return wire.Errorf(wire.CodeNotFound, "account %s is unknown to this relay", m.Account)
		} else if err != nil {
			return err
		}
	}
	return nil
}

type createChatOp struct {
	base
	m        *wire.CreateChat
	views    store.ChatViews
	chat     *store.Chat
	existing bool
}

func (o *createChatOp) apply(ctx context.Context, w *writer, tx store.Tx) error {
	rec, err := o.c.parseRecord(o.m.Record)
	if err != nil {
		return err
	}
	if rec.Op != membership.OpCreate {
		return wire.Errorf(wire.CodeBadRequest, "a chat starts with a create record")
	}
	c, err := w.chat(ctx, tx, rec.Chat)
	switch {
	case err == nil && c.LogLen > 0:
		return o.again(ctx, tx, c)
	case err == nil:
		return o.adopt(ctx, w, tx, c, rec)
	case !errors.Is(err, store.ErrNotFound):
		return err
	}
	if rec.Kind == policy.KindDirect {
		if found, err := o.directChat(ctx, w, tx, rec); found || err != nil {
			return err
		}
	}
	var st membership.State
	if err := st.Apply(rec); err != nil {
		return recordRefused(err)
	}
	if err := w.knownAccounts(ctx, tx, rec.Members); err != nil {
		return err
	}
	if err := w.allowNewChat(o.c.account); err != nil {
		return err
	}
	c = &store.Chat{ID: rec.Chat, Kind: rec.Kind, CreatedBy: o.c.account, Members: make(map[ids.Account]*store.Member, len(rec.Members))}
	for _, m := range rec.Members {
		c.Members[m.Account] = &store.Member{Role: m.Role}
	}
	if err := tx.CreateChat(ctx, c, w.now); err != nil {
		return err
	}
	if err := tx.AppendLog(ctx, c, rec.Raw, rec.Hash, uint8(rec.Op)); err != nil {
		return err
	}
	if rec.Kind == policy.KindDirect {
		if err := tx.SetDirectPair(ctx, c, rec.Members[0].Account, rec.Members[1].Account); err != nil {
			return err
		}
	}
	w.chats[c.ID] = c
	o.chat, o.views = c, c.Views()
	return nil
}

// again answers a create that was already applied (a retry) as the first time; any
// other create for an id in use is refused.
func (o *createChatOp) again(ctx context.Context, tx store.Tx, c *store.Chat) error {
	first, err := tx.LogRecord(ctx, c, 0)
	if err != nil {
		return err
	}
	if !bytes.Equal(first, o.m.Record) || c.Members[o.c.account] == nil {
		return wire.Errorf(wire.CodeConflict, "chat id in use")
	}
	o.existing, o.views = true, c.Views()
	return nil
}

// directChat answers a create of a direct chat with the pair's existing one, if any.
func (o *createChatOp) directChat(ctx context.Context, w *writer, tx store.Tx, rec *membership.Record) (bool, error) {
	id, err := tx.DirectChat(ctx, rec.Members[0].Account, rec.Members[1].Account)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	c, err := w.chat(ctx, tx, id)
	if err != nil {
		return false, err
	}
	o.existing, o.views = true, c.Views()
	return true, nil
}

// adopt gives a chat created before membership logs its first record. Its owner
// sends it (an admin, when the chat has no owner; either member of a direct chat), and
// it must list the chat as the relay holds it: the kind, every member and no one else,
// each with its role — except that the signer is the owner it names — and the newest
// epoch. Members check it against what they held before (docs/SECURITY.md).
func (o *createChatOp) adopt(ctx context.Context, w *writer, tx store.Tx, c *store.Chat, rec *membership.Record) error {
	me := o.c.account
	mine := c.Members[me]
	if mine == nil {
		return wire.Errorf(wire.CodeNotFound, "no such chat")
	}
	owned := false
	for _, m := range c.Members {
		owned = owned || m.Role == policy.RoleOwner
	}
	may := mine.Role == policy.RoleOwner || (!owned && mine.Role == policy.RoleAdmin) || c.Kind == policy.KindDirect
	if !may {
		return wire.Errorf(wire.CodeForbidden, "the owner gives an older chat its membership log")
	}
	if rec.Kind != c.Kind || rec.Epoch != c.Epoch || len(rec.Members) != len(c.Members) {
		return wire.Errorf(wire.CodeConflict, "the record does not describe the chat as it is")
	}
	for _, m := range rec.Members {
		held := c.Members[m.Account]
		if held == nil || (held.Role != m.Role && m.Account != me && c.Kind != policy.KindDirect) {
			return wire.Errorf(wire.CodeConflict, "the record does not describe the chat as it is")
		}
	}
	var st membership.State
	if err := st.Apply(rec); err != nil {
		return recordRefused(err)
	}
	for _, m := range rec.Members {
		if held := c.Members[m.Account]; held.Role != m.Role {
			if err := tx.SetMember(ctx, c, m.Account, m.Role); err != nil {
				return err
			}
			held.Role = m.Role
		}
	}
	if err := tx.AppendLog(ctx, c, rec.Raw, rec.Hash, uint8(rec.Op)); err != nil {
		return err
	}
	o.chat, o.views = c, c.Views()
	return nil
}

func (o *createChatOp) finish(w *writer, err error) {
	info := o.views.For(o.c.account)
	o.answer(err, &info)
	if err == nil && !o.existing {
		w.pushChat(o.views, o.c, nil)
	}
}

type appendLogOp struct {
	base
	m       *wire.AppendLog
	chat    *store.Chat
	views   store.ChatViews
	removed []ids.Account
	again   bool
}

func (o *appendLogOp) apply(ctx context.Context, w *writer, tx store.Tx) error {
	c, _, err := w.memberChat(ctx, tx, o.m.ChatID, o.c.account)
	if err != nil {
		return err
	}
	rec, err := o.c.parseRecord(o.m.Record)
	if err != nil {
		return err
	}
	if c.LogLen == 0 {
		return wire.Errorf(wire.CodeConflict, "the chat has no membership log yet: its owner starts it")
	}
	if rec.Seq < c.LogLen {
		// A retry of a record already stored is answered as the first time.
		if held, err := tx.LogRecord(ctx, c, rec.Seq); err == nil && bytes.Equal(held, o.m.Record) {
			o.again, o.views = true, c.Views()
			return nil
		}
	}
	st := logState(c)
	if err := st.Apply(rec); err != nil {
		return recordRefused(err)
	}
	if err := w.knownAccounts(ctx, tx, rec.Members); err != nil {
		return err
	}
	if len(st.Members) > wire.MaxChatMembers {
		return wire.Errorf(wire.CodeQuotaExceeded, "a chat has at most %d members", wire.MaxChatMembers)
	}
	if err := o.applyMembers(ctx, tx, c, &st, rec.Seq); err != nil {
		return err
	}
	if err := tx.AppendLog(ctx, c, rec.Raw, rec.Hash, uint8(rec.Op)); err != nil {
		return err
	}
	if rec.Op.Removes() && !c.RotatePending {
		// No message goes out under the current key until the next epoch leaves the
		// removed out.
		c.RotatePending = true
		if err := tx.SetEpoch(ctx, c); err != nil {
			return err
		}
	}
	o.chat, o.views = c, c.Views()
	return nil
}

// applyMembers brings the relay's membership of c to st, the state after the record
// at seq. A removed account keeps reading the log up to that record.
func (o *appendLogOp) applyMembers(ctx context.Context, tx store.Tx, c *store.Chat, st *membership.State, seq uint64) error {
	for a, role := range st.Members {
		held := c.Members[a]
		if held != nil && held.Role == role {
			continue
		}
		if err := tx.SetMember(ctx, c, a, role); err != nil {
			return err
		}
		if held != nil {
			held.Role = role
			continue
		}
		c.Members[a] = &store.Member{Role: role}
		if err := tx.SetFormer(ctx, c, a, 0); err != nil {
			return err
		}
	}
	for a := range c.Members {
		if _, ok := st.Members[a]; ok {
			continue
		}
		if err := tx.RemoveMember(ctx, c, a); err != nil {
			return err
		}
		if err := tx.SetFormer(ctx, c, a, seq+1); err != nil {
			return err
		}
		delete(c.Members, a)
		o.removed = append(o.removed, a)
	}
	return nil
}

func (o *appendLogOp) finish(w *writer, err error) {
	info := o.views.For(o.c.account)
	o.answer(err, &info)
	if err != nil || o.again {
		return
	}
	w.pushChat(o.views, o.c, o.removed)
}

// pushChat pushes a chat's ChatChanged to the connected devices of its members and
// of the accounts in also (just removed), except one connection, each account as it
// is shown the chat (store.ChatViews).
func (w *writer) pushChat(v store.ChatViews, except *conn, also []ids.Account) {
	frames := chatFrames{v: v}
	for _, a := range chatTargets(v, also) {
		if !w.s.hub.connected(a) {
			continue
		}
		b, err := frames.of(a)
		if err != nil {
			w.s.log.Error("encode push", "type", wire.TypeChatChanged, "err", err)
			return
		}
		w.s.hub.each(a, func(x *conn) {
			if x != except {
				x.send(b)
			}
		})
	}
}

// chatTargets are the members of a chat and the accounts in also.
func chatTargets(v store.ChatViews, also []ids.Account) []ids.Account {
	out := make([]ids.Account, 0, len(v.Shared.Members)+len(also))
	for _, m := range v.Shared.Members {
		out = append(out, m.AccountID)
	}
	return append(out, also...)
}

// chatFrames encodes the ChatChanged pushes of a chat: one frame for every account
// shown the others' shared read positions alone, and one of its own for each member
// whose own read position is ahead of its shared one.
type chatFrames struct {
	v      store.ChatViews
	shared []byte
}

// of returns the frame account a is pushed.
func (f *chatFrames) of(a ids.Account) ([]byte, error) {
	if _, ok := f.v.Own[a]; ok {
		return wire.Encode(0, &wire.ChatChanged{Chat: f.v.For(a)})
	}
	if f.shared == nil {
		b, err := wire.Encode(0, &wire.ChatChanged{Chat: f.v.Shared})
		if err != nil {
			return nil, err
		}
		f.shared = b
	}
	return f.shared, nil
}

type putEpochOp struct {
	base
	m       *wire.PutEpoch
	wrapped []wire.WrappedKey // every part's envelopes
	chat    *store.Chat
	key     wire.EpochKey
	dup     bool
}

func (o *putEpochOp) apply(ctx context.Context, w *writer, tx store.Tx) error {
	c, mine, err := w.memberChat(ctx, tx, o.m.ChatID, o.c.account)
	if err != nil {
		return err
	}
	if o.m.Epoch <= c.Epoch {
		by, err := tx.EpochAuthor(ctx, c, o.m.Epoch)
		if err == nil && by == o.c.device {
			o.dup = true
			return nil
		}
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		return wire.Errorf(wire.CodeConflict, "epoch %d exists; the chat is at epoch %d", o.m.Epoch, c.Epoch)
	}
	switch {
	case o.m.Epoch != c.Epoch+1:
		return wire.Errorf(wire.CodeConflict, "the next epoch is %d", c.Epoch+1)
	case c.LogLen == 0:
		return wire.Errorf(wire.CodeConflict, "the chat has no membership log yet: its owner starts it")
	case o.m.LogLen != c.LogLen:
		return wire.Errorf(wire.CodeConflict, "the membership log has %d records", c.LogLen)
	case !policy.CanSignEpoch(c.Kind, mine.Role, membership.Op(c.HeadOp).ChangesKeys()):
		return wire.Errorf(wire.CodeForbidden, "your role does not allow a new key now")
	}
	if err := envelopesFor(c, o.wrapped); err != nil {
		return err
	}
	o.key = wire.EpochKey{Epoch: o.m.Epoch, ByDevice: o.c.device, ByAccount: o.c.account, ServerTime: w.now}
	if err := tx.InsertEpoch(ctx, c, o.key, o.wrapped); err != nil {
		return err
	}
	c.Epoch, c.RotatePending = o.m.Epoch, false
	if err := tx.SetEpoch(ctx, c); err != nil {
		return err
	}
	o.chat = c
	return nil
}

// envelopesFor checks that wrapped holds one envelope for every member of c and none
// for anyone else.
func envelopesFor(c *store.Chat, wrapped []wire.WrappedKey) error {
	seen := make(map[ids.Account]bool, len(wrapped))
	for _, k := range wrapped {
		if c.Members[k.AccountID] == nil {
			return wire.Errorf(wire.CodeConflict, "account %s is not a member", k.AccountID)
		}
		if seen[k.AccountID] {
			return wire.Errorf(wire.CodeConflict, "account %s has two envelopes", k.AccountID)
		}
		seen[k.AccountID] = true
	}
	if len(seen) != len(c.Members) {
		return wire.Errorf(wire.CodeConflict, "the epoch misses %d members", len(c.Members)-len(seen))
	}
	return nil
}

func (o *putEpochOp) finish(w *writer, err error) {
	o.answer(err, &wire.OK{})
	if err != nil || o.dup {
		return
	}
	for _, k := range o.wrapped {
		key := o.key
		key.Envelope = k.Envelope
		w.pushAccount(k.AccountID, &wire.NewEpoch{ChatID: o.m.ChatID, Key: key}, o.c)
	}
}

// stagedEpoch is a rotation arriving in parts ([wire.PutEpoch] with More): the
// envelopes of the parts so far, kept by the connection's read loop until the last.
type stagedEpoch struct {
	chat    ids.Chat
	epoch   uint64
	logLen  uint64
	wrapped []wire.WrappedKey
}

// putEpoch stages a part of a rotation, or commits the rotation with its last part.
// A part for another rotation drops what was staged: a device sends one rotation at a
// time, and a new one means the last was abandoned.
func (c *conn) putEpoch(reqID uint64, m *wire.PutEpoch) {
	s := c.staged
	if s == nil || s.chat != m.ChatID || s.epoch != m.Epoch || s.logLen != m.LogLen {
		s = &stagedEpoch{chat: m.ChatID, epoch: m.Epoch, logLen: m.LogLen}
	}
	if len(s.wrapped)+len(m.Wrapped) > wire.MaxChatMembers {
		c.staged = nil
		c.reply(reqID, wire.Errorf(wire.CodeQuotaExceeded, "a chat has at most %d members", wire.MaxChatMembers))
		return
	}
	s.wrapped = append(s.wrapped, m.Wrapped...)
	if m.More {
		c.staged = s
		c.reply(reqID, &wire.OK{})
		return
	}
	c.staged = nil
	c.submitWrite(&putEpochOp{base: base{c, reqID}, m: m, wrapped: s.wrapped})
}
