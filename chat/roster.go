package chat

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"sync"

	"hush/clock"
	"hush/ids"
	"hush/membership"
	"hush/policy"
	"hush/sync/wire"
	"hush/vault"
)

// The roster keeps each chat's membership log (docs/SECURITY.md, "Membership log"):
// it fetches the records the relay holds beyond those this device verified, checks
// each one (membership.State.Apply: signature, chain, and who may do what), and stores
// them in the vault together with what they say — the chat's kind, title, members and
// roles — and a line in the chat for each change. It signs the records this account
// makes. Members, roles and titles come from nowhere else: what the relay says about
// membership only routes messages, and a member the relay lists without a record is
// reported, never trusted.
//
// A log the relay cannot continue honestly — a record that fails verification, or
// one that does not follow the record this device holds at its place (a fork: the
// relay shows some members another history) — freezes the chat: nothing more of it
// is applied and nothing is sent until the user sees why.
//
// Its lock guards the verified states it keeps in memory (the vault holds the
// records; a state is replayed from them once per run) and the per-chat locks that
// serialise this device's records of one chat.
type roster struct {
	v      *vault.Vault
	link   *link
	chats  *chatStore
	dir    *directory
	view   *chatList
	signer *membership.Signer
	meID   ids.Account
	certs  membership.CertParser
	clk    clock.Clock
	log    *slog.Logger
	obs    Observer
	warn   func(Warning)
	checks *checks
	titles titleQueue // the outbox, which carries titles sealed

	mu     sync.Mutex
	states map[ids.Chat]*membership.State
	locks  map[ids.Chat]*sync.Mutex
}

// maxLogAttempts bounds the retries of a record that lost a race with another
// member's record at the same position.
const maxLogAttempts = 3

// logReadPage is how many stored records one vault read asks for (the vault may
// return fewer).
const logReadPage = vault.MaxLogRecords

// unknownLen asks sync for whatever the relay lets this account read, when its
// length is not known (a chat the relay no longer lists: a former member reads up
// to its removal).
const unknownLen = math.MaxUint64

// chatLock returns the lock that serialises this device's work on one chat's log.
func (r *roster) chatLock(id ids.Chat) *sync.Mutex {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := r.locks[id]
	if m == nil {
		m = &sync.Mutex{}
		r.locks[id] = m
	}
	return m
}

// state returns the chat's log as verified and stored; the empty state when it has
// none.
func (r *roster) state(ctx context.Context, id ids.Chat) (membership.State, error) {
	r.mu.Lock()
	if s, ok := r.states[id]; ok {
		c := s.Clone()
		r.mu.Unlock()
		return c, nil
	}
	r.mu.Unlock()
	s, err := r.replay(ctx, id, 0)
	if err != nil {
		return membership.State{}, err
	}
	r.keep(id, s)
	return s.Clone(), nil
}

// stateAt returns the state after the chat's first n records, which this device
// must hold.
func (r *roster) stateAt(ctx context.Context, id ids.Chat, n uint64) (membership.State, error) {
	s, err := r.state(ctx, id)
	if err != nil || s.Len == n {
		return s, err
	}
	if n > s.Len {
		return membership.State{}, fmt.Errorf("chat %s: record %d is beyond the log this device holds (%d)", id, n, s.Len)
	}
	return r.replay(ctx, id, n)
}

func (r *roster) keep(id ids.Chat, s membership.State) {
	c := s.Clone()
	r.mu.Lock()
	r.states[id] = &c
	r.mu.Unlock()
}

// forget drops what the roster keeps of a chat gone from this device.
func (r *roster) forget(id ids.Chat) {
	r.mu.Lock()
	delete(r.states, id)
	r.mu.Unlock()
}

// replay verifies the stored records of a chat again, the first n of them (0: all).
func (r *roster) replay(ctx context.Context, id ids.Chat, n uint64) (membership.State, error) {
	var raws [][]byte
	err := r.v.View(ctx, func(tx *vault.Tx) error {
		raws = raws[:0]
		for from := uint64(0); ; {
			page, err := tx.LogRecords(id, from, logReadPage)
			if err != nil {
				return err
			}
			for _, rec := range page {
				if n > 0 && rec.Seq >= n {
					return nil
				}
				raws = append(raws, rec.Record)
			}
			if len(page) == 0 {
				return nil
			}
			from = page[len(page)-1].Seq + 1
		}
	})
	if err != nil {
		return membership.State{}, fmt.Errorf("read the membership log of %s: %w", id, err)
	}
	s, err := membership.Replay(raws, r.certs)
	if err != nil {
		return membership.State{}, fmt.Errorf("the stored membership log of %s: %w", id, err)
	}
	return s, nil
}

// sync brings the chat's log up to relayLen records: it fetches the records this
// device lacks, verifies them one by one and stores them. A chat this device did not
// hold is stored only if the log makes this account a member. It reports whether the
// chat is (now) held here.
func (r *roster) sync(ctx context.Context, id ids.Chat, relayLen uint64) (bool, error) {
	l := r.chatLock(id)
	l.Lock()
	defer l.Unlock()
	held, meta, err := r.held(ctx, id)
	if err != nil {
		return false, err
	}
	if meta.Forked {
		return held, nil
	}
	st, err := r.state(ctx, id)
	if err != nil {
		return held, err
	}
	switch {
	case relayLen < st.Len && relayLen != unknownLen:
		// The relay lost records this device verified, or hides them: the log it
		// serves is another than ours.
		r.tampered(ctx, id, WarnLogFork, fmt.Errorf("the relay holds %d records, this device %d", relayLen, st.Len))
		return held, nil
	case relayLen == st.Len:
		return held, nil
	}
	for st.Len < relayLen {
		page, err := doAs[*wire.Log](ctx, r.link, &wire.FetchLog{ChatID: id, From: st.Len})
		if err != nil {
			return held, err
		}
		if page.From != st.Len || len(page.Records) == 0 {
			return held, nil
		}
		next, recs, warn, cause := r.verify(st, page.Records, held, meta)
		if len(recs) > 0 {
			if held, err = r.store(ctx, id, st, next, recs, nil); err != nil {
				return held, err
			}
			st = next
		}
		if warn != 0 {
			r.tampered(ctx, id, warn, cause)
			return held, nil
		}
		if !page.More {
			break
		}
	}
	return held, nil
}

// held reads whether the vault holds the chat, and its state.
func (r *roster) held(ctx context.Context, id ids.Chat) (bool, chatMeta, error) {
	var meta chatMeta
	held := false
	err := r.v.View(ctx, func(tx *vault.Tx) error {
		_, m, err := chatWithMeta(tx, id)
		if errors.Is(err, vault.ErrNotFound) {
			return nil
		}
		held, meta = err == nil, m
		return err
	})
	return held, meta, err
}

// verify checks raw records that follow st, in order, and returns the state after
// those that passed, with them. The first that fails stops it: the warning says how
// (a fork when it does not follow the log held here, else an invalid record).
func (r *roster) verify(st membership.State, raws [][]byte, held bool, meta chatMeta) (membership.State, []*membership.Record, WarningKind, error) {
	next := st.Clone()
	var recs []*membership.Record
	for _, raw := range raws {
		rec, err := membership.Parse(raw, r.certs)
		if err != nil {
			return next, recs, WarnLogInvalid, err
		}
		if rec.Seq == 0 && held && meta.LogLen == 0 {
			if err := r.adoptionByLegacyOwner(rec); err != nil {
				return next, recs, WarnLogInvalid, err
			}
		}
		if err := next.Apply(rec); err != nil {
			if errors.Is(err, membership.ErrBrokenChain) && next.Len > 0 {
				return next, recs, WarnLogFork, err
			}
			return next, recs, WarnLogInvalid, err
		}
		recs = append(recs, rec)
	}
	return next, recs, 0, nil
}

// store keeps verified records with what they change, in one vault transaction, and
// tells the UI. before is the state they follow, after the state they lead to. It
// reports whether the chat is held here afterwards.
func (r *roster) store(ctx context.Context, id ids.Chat, before, after membership.State, recs []*membership.Record, known *titleSecret) (bool, error) {
	var sum Chat
	var news []Message
	held := true
	err := r.v.Update(ctx, func(tx *vault.Tx) error {
		news, held = nil, true
		c, meta, err := chatWithMeta(tx, id)
		fresh := errors.Is(err, vault.ErrNotFound)
		switch {
		case fresh && after.Role(r.meID) == 0:
			// A chat this account is not in: not ours to keep.
			held = false
			return nil
		case fresh:
			c, meta = vault.Chat{ID: id, LastActivity: recs[0].Time}, chatMeta{Version: metaVersion}
		case err != nil:
			return err
		}
		r.applyState(&c, &meta, before, after)
		if err := r.consent(tx, &meta, before, recs); err != nil {
			return err
		}
		if c.Extra, err = encodeMeta(meta); err != nil {
			return err
		}
		if err := r.chats.put(tx, c); err != nil {
			return err
		}
		for _, rec := range recs {
			if err := r.putRecord(tx, id, rec); err != nil {
				return err
			}
		}
		lines, err := r.lines(tx, &c, recs)
		if err != nil {
			return err
		}
		if err := r.title(tx, &c, &meta, known); err != nil {
			return err
		}
		// Read back: the title may have completed a line just stored.
		if news, err = r.view.byID(tx, lines, &meta); err != nil {
			return err
		}
		sum, err = r.view.summary(tx, c)
		return err
	})
	if err != nil {
		r.forget(id)
		return false, fmt.Errorf("store the membership log of %s: %w", id, err)
	}
	if !held {
		return false, nil
	}
	r.keep(id, after)
	for _, m := range news {
		r.obs.MessageNew(m)
	}
	r.obs.ChatUpdated(sum)
	return true, nil
}

// title applies, after new records, a title this account just set (known, which
// then goes to the members) or one heard before its record arrived.
func (r *roster) title(tx *vault.Tx, c *vault.Chat, meta *chatMeta, known *titleSecret) error {
	title, salt := meta.PendingTitle, meta.PendingSalt
	if known != nil {
		title, salt = known.title, known.salt[:]
	}
	if title == "" {
		return nil
	}
	changed, _, err := learnTitle(tx, c, meta, title, salt)
	if err != nil || !changed {
		return err
	}
	if c.Extra, err = encodeMeta(*meta); err != nil {
		return err
	}
	if err := r.chats.update(tx, *c); err != nil {
		return err
	}
	if known != nil {
		return r.titles.queueTitle(tx, c.ID, known.title, known.salt[:])
	}
	return nil
}

// shareTitle sends the chat's title again, sealed, for members added since: they
// hold no key of the epochs it was sent in.
func (r *roster) shareTitle(ctx context.Context, id ids.Chat) error {
	err := r.v.Update(ctx, func(tx *vault.Tx) error {
		c, meta, err := chatWithMeta(tx, id)
		if err != nil || c.Title == "" || len(meta.TitleSalt) == 0 || !bytes.Equal(meta.TitleCommit, meta.LogTitle) {
			return err
		}
		return r.titles.queueTitle(tx, id, c.Title, meta.TitleSalt)
	})
	r.titles.kick()
	return err
}

// putRecord stores a record; one already stored at its place must be the same.
func (r *roster) putRecord(tx *vault.Tx, id ids.Chat, rec *membership.Record) error {
	err := tx.PutLogRecord(id, rec.Seq, rec.Raw)
	if !errors.Is(err, vault.ErrExists) {
		return err
	}
	held, err := tx.LogRecord(id, rec.Seq)
	if err != nil {
		return err
	}
	if !bytes.Equal(held, rec.Raw) {
		return fmt.Errorf("%w: record %d of %s", membership.ErrFork, rec.Seq, id)
	}
	return nil
}

// applyState writes what the log says into the chat's row and sync state.
func (r *roster) applyState(c *vault.Chat, meta *chatMeta, before, after membership.State) {
	c.Kind = after.Kind
	if !after.Title.IsZero() {
		meta.LogTitle, meta.LogTitleBy = after.Title[:], after.TitleBy[:]
	}
	c.Members = c.Members[:0]
	for a, role := range after.Members {
		c.Members = append(c.Members, vault.Member{AccountID: a, Role: role})
	}
	slices.SortFunc(c.Members, func(x, y vault.Member) int {
		if x.Role != y.Role {
			return int(x.Role) - int(y.Role)
		}
		return bytes.Compare(x.AccountID[:], y.AccountID[:])
	})
	for a := range before.Members {
		if after.Role(a) == 0 {
			// Its messages of the epochs it held stay valid; the next epoch leaves
			// it out.
			meta.addFormer(a, meta.Epoch+1)
		}
	}
	for a := range after.Members {
		if before.Role(a) == 0 {
			meta.dropFormer(a)
		}
	}
	meta.LogLen, meta.LogHead, meta.HeadOp = after.Len, after.Head[:], uint8(after.HeadOp)
	meta.LegacyEpoch = after.LegacyEpoch
	if seq, ok := after.LastRemoval(); ok {
		meta.Removal = seq + 1
	}
	meta.KeyChange = after.LastKeyChange() + 1
	if after.Role(r.meID) != 0 {
		meta.RemovedBy = nil
	}
}

// consent decides, when records make this account a member, whether the chat is a
// request: started (or joined) by someone this account has not chosen as a contact
// (docs/SECURITY.md, "Consent"). It also notes who removed this account.
func (r *roster) consent(tx *vault.Tx, meta *chatMeta, before membership.State, recs []*membership.Record) error {
	member := before.Role(r.meID) != 0
	for _, rec := range recs {
		in := rec.Op == membership.OpCreate || rec.Op == membership.OpAdd
		switch {
		case !member && in && slices.ContainsFunc(rec.Members, func(m membership.Member) bool { return m.Account == r.meID }):
			member = true
			by := rec.By()
			meta.RequestBy = append([]byte(nil), by[:]...)
			switch blocked, listed, err := r.dir.standing(tx, by); {
			case err != nil:
				return err
			case by == r.meID, r.checks.noConsent:
				meta.Request = requestNone
			case blocked: // a contact too, once blocked
				meta.Request = requestDeclined
			case listed:
				meta.Request = requestNone
			default:
				meta.Request = requestPending
			}
		case member && rec.Op == membership.OpRemove && slices.Contains(rec.Accounts, r.meID):
			by := rec.By()
			member, meta.RemovedBy = false, append([]byte(nil), by[:]...)
		case member && rec.Op == membership.OpLeave && rec.By() == r.meID:
			member, meta.RemovedBy = false, nil
		}
	}
	return nil
}

// tampered freezes a chat whose log the relay cannot continue honestly, and says so.
func (r *roster) tampered(ctx context.Context, id ids.Chat, kind WarningKind, cause error) {
	r.log.Warn("membership log refused", "chat", id.String(), "kind", kind.String(), "err", cause)
	var sum *Chat
	err := r.v.Update(ctx, func(tx *vault.Tx) error {
		sum = nil
		c, err := r.chats.updateMeta(tx, id, func(_ *vault.Chat, m *chatMeta) { m.Forked = true })
		if errors.Is(err, vault.ErrNotFound) {
			return nil // never held: nothing to freeze
		}
		if err != nil {
			return err
		}
		s, err := r.view.summary(tx, c)
		sum = &s
		return err
	})
	if err != nil {
		r.log.Warn("freeze chat", "chat", id.String(), "err", err)
	}
	r.warn(Warning{Chat: id, Kind: kind})
	if sum != nil {
		r.obs.ChatUpdated(*sum)
	}
}

// create signs the first record of a new chat and creates it at the relay. A direct
// chat the pair already has at the relay is that one: the answer names it, and the
// caller syncs it.
func (r *roster) create(ctx context.Context, kind policy.ChatKind, title string, others []membership.Member) (*wire.ChatInfo, error) {
	members := append([]membership.Member{{Account: r.meID, Role: policy.RoleOwner}}, others...)
	id := ids.New[ids.Chat]()
	change := membership.Change{Op: membership.OpCreate, Kind: kind, Members: members}
	var known *titleSecret
	if title != "" {
		known, change.Title = newTitle(id, title)
	}
	rec, err := r.signer.Sign(id, 0, membership.Hash{}, r.clk.Now(), change)
	if err != nil {
		return nil, recordError(err)
	}
	var st membership.State
	if err := st.Apply(rec); err != nil {
		return nil, recordError(err)
	}
	info, err := doAs[*wire.ChatInfo](ctx, r.link, &wire.CreateChat{Record: rec.Raw})
	if err != nil {
		return nil, err
	}
	if info.ChatID != rec.Chat {
		return info, nil
	}
	l := r.chatLock(rec.Chat)
	l.Lock()
	defer l.Unlock()
	if _, err := r.store(ctx, rec.Chat, membership.State{}, st, []*membership.Record{rec}, known); err != nil {
		return nil, err
	}
	r.titles.kick()
	return info, nil
}

// change signs c as the next record of the chat's log and appends it at the relay.
// When another member's record took the place first, it syncs and tries again, so
// the change is checked against the log as it then stands.
func (r *roster) change(ctx context.Context, id ids.Chat, c membership.Change, known *titleSecret) (*wire.ChatInfo, error) {
	for attempt := 0; ; attempt++ {
		info, err := r.tryChange(ctx, id, c, known)
		if !errors.Is(err, wire.ErrConflict) || attempt+1 >= maxLogAttempts {
			return info, err
		}
		current, err := doAs[*wire.ChatInfo](ctx, r.link, &wire.GetChat{ChatID: id})
		if err != nil {
			return nil, err
		}
		if _, err := r.sync(ctx, id, current.LogLen); err != nil {
			return nil, err
		}
	}
}

func (r *roster) tryChange(ctx context.Context, id ids.Chat, c membership.Change, known *titleSecret) (*wire.ChatInfo, error) {
	l := r.chatLock(id)
	l.Lock()
	defer l.Unlock()
	_, meta, err := r.held(ctx, id)
	if err != nil {
		return nil, err
	}
	switch {
	case meta.Forked:
		return nil, detailf(ErrTampered, "the relay changed this chat's member list")
	case meta.LogLen == 0:
		return nil, detailf(ErrNotSecured, "the chat's owner has not secured it yet")
	}
	st, err := r.state(ctx, id)
	if err != nil {
		return nil, err
	}
	rec, err := r.signer.Sign(id, st.Len, st.Head, r.clk.Now(), c)
	if err != nil {
		return nil, recordError(err)
	}
	next := st.Clone()
	if err := next.Apply(rec); err != nil {
		return nil, recordError(err)
	}
	info, err := doAs[*wire.ChatInfo](ctx, r.link, &wire.AppendLog{ChatID: id, Record: rec.Raw})
	if err != nil {
		return nil, err
	}
	if _, err := r.store(ctx, id, st, next, []*membership.Record{rec}, known); err != nil {
		return nil, err
	}
	if known != nil {
		r.titles.kick()
	}
	return info, nil
}

// recordError turns a record this account may not make into the package's errors.
func recordError(err error) error {
	switch {
	case errors.Is(err, membership.ErrNotAllowed):
		return fmt.Errorf("%w: %w", ErrForbidden, err)
	case errors.Is(err, membership.ErrMalformed):
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return err
}

// adoptLegacy gives a chat created before membership logs its first record, when
// this account may: its owner (an admin, when it has no owner; either member of a
// direct chat). The record lists the members and roles this device holds; the relay
// accepts it only if they are the ones it holds, and each member accepts it only
// from the account its own device held as the owner.
func (r *roster) adoptLegacy(ctx context.Context, id ids.Chat, info wire.ChatInfo) error {
	var c vault.Chat
	var meta chatMeta
	err := r.v.View(ctx, func(tx *vault.Tx) error {
		var err error
		c, meta, err = chatWithMeta(tx, id)
		return err
	})
	if err != nil || meta.LogLen > 0 || info.LogLen > 0 || !legacyAdopter(&c, r.meID) {
		return err
	}
	members := make([]membership.Member, 0, len(c.Members))
	for _, m := range c.Members {
		role := m.Role
		switch {
		case m.AccountID == r.meID:
			role = policy.RoleOwner
		case c.Kind == policy.KindDirect:
			role = policy.RoleMember
		}
		members = append(members, membership.Member{Account: m.AccountID, Role: role})
	}
	change := membership.Change{Op: membership.OpCreate, Kind: c.Kind, Members: members, Epoch: info.Epoch}
	var known *titleSecret
	if c.Kind != policy.KindDirect {
		// The members hold the title already; a new commitment to it keeps it.
		title := c.Title
		if title == "" {
			title = "Untitled " + c.Kind.String()
		}
		known, change.Title = newTitle(id, title)
	}
	rec, err := r.signer.Sign(id, 0, membership.Hash{}, r.clk.Now(), change)
	if err != nil {
		return recordError(err)
	}
	if _, err := doAs[*wire.ChatInfo](ctx, r.link, &wire.CreateChat{Record: rec.Raw}); err != nil {
		return fmt.Errorf("secure chat %s: %w", id, err)
	}
	r.log.Info("chat given a membership log", "chat", id.String(), "members", len(members))
	if _, err := r.sync(ctx, id, 1); err != nil || known == nil {
		return err
	}
	err = r.v.Update(ctx, func(tx *vault.Tx) error {
		c, meta, err := chatWithMeta(tx, id)
		if err != nil {
			return err
		}
		return r.title(tx, &c, &meta, known)
	})
	r.titles.kick()
	return err
}

// legacyAdopter reports whether account may give the chat c (held without a log) its
// first record: its owner; an admin when it has none; either member of a direct chat.
func legacyAdopter(c *vault.Chat, account ids.Account) bool {
	role := roleOf(c, account)
	switch {
	case role == 0:
		return false
	case c.Kind == policy.KindDirect, role == policy.RoleOwner:
		return true
	}
	return role == policy.RoleAdmin && !slices.ContainsFunc(c.Members, func(m vault.Member) bool { return m.Role == policy.RoleOwner })
}

// adoptionByLegacyOwner checks the first record of a chat this device held without a
// log: its signer must be who this device held as allowed to adopt it, and the
// direct chat's two members the ones it held.
func (r *roster) adoptionByLegacyOwner(rec *membership.Record) error {
	var c vault.Chat
	err := r.v.View(context.Background(), func(tx *vault.Tx) error {
		var err error
		c, err = tx.Chat(rec.Chat)
		return err
	})
	if err != nil {
		return err
	}
	if !legacyAdopter(&c, rec.By()) || rec.Kind != c.Kind {
		return fmt.Errorf("%w: %v may not start the log of a chat this device held without one", membership.ErrNotAllowed, rec.By())
	}
	if c.Kind == policy.KindDirect {
		for _, m := range rec.Members {
			if roleOf(&c, m.Account) == 0 {
				return fmt.Errorf("%w: the direct chat's members are others than held", membership.ErrNotAllowed)
			}
		}
	}
	return nil
}

// checkRelayMembers compares the members the relay lists with the verified log: an
// account the relay lists that no record added gets nothing encrypted to it, and the
// user is told, once per account and chat.
func (r *roster) checkRelayMembers(ctx context.Context, id ids.Chat, info wire.ChatInfo) {
	st, err := r.state(ctx, id)
	if err != nil || st.Len == 0 {
		return
	}
	var extra []ids.Account
	for _, m := range info.Members {
		if st.Role(m.AccountID) == 0 {
			extra = append(extra, m.AccountID)
		}
	}
	if len(extra) == 0 {
		return
	}
	var fresh []ids.Account
	err = r.v.Update(ctx, func(tx *vault.Tx) error {
		fresh = nil
		_, err := r.chats.updateMeta(tx, id, func(_ *vault.Chat, m *chatMeta) {
			for _, a := range extra {
				if !slices.ContainsFunc(m.Warned, func(w []byte) bool { return ids.Account(w) == a }) {
					m.Warned = append(m.Warned, append([]byte(nil), a[:]...))
					fresh = append(fresh, a)
				}
			}
		})
		return err
	})
	if err != nil {
		r.log.Warn("note unverified members", "chat", id.String(), "err", err)
		return
	}
	for _, a := range fresh {
		r.log.Warn("the relay lists a member no record added", "chat", id.String(), "account", a.String())
		r.warn(Warning{Chat: id, Kind: WarnUnverifiedMember, Account: a})
	}
}
