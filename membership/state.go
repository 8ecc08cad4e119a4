package membership

import (
	"fmt"
	"maps"

	"hush/ids"
	"hush/policy"
)

// State is a chat as its verified log describes it after some number of records.
// The zero State is the empty log, before its first record.
type State struct {
	Chat ids.Chat
	Kind policy.ChatKind
	// Title is the newest title commitment (zero for a 1:1 chat), and TitleBy the
	// hash of the record that set it.
	Title   Hash
	TitleBy Hash
	Members map[ids.Account]policy.Role
	// Len is the number of records applied; the next record's Seq.
	Len uint64
	// Head is the hash of the newest record (zero before the first).
	Head Hash
	// HeadOp is the newest record's op.
	HeadOp Op
	// LegacyEpoch is the newest epoch made before the log (see [OpCreate]): epoch keys
	// up to it follow the rules of chats without a log.
	LegacyEpoch uint64
	// removal is 1 + the seq of the newest record that removed someone, 0 if none.
	removal uint64
	// keyChange is 1 + the seq of the newest record that changed who holds the keys.
	keyChange uint64
}

// Role returns the role of account, zero if it is not a member.
func (s *State) Role(account ids.Account) policy.Role { return s.Members[account] }

// HeadSeq is the seq of the newest record; meaningless for the empty log.
func (s *State) HeadSeq() uint64 { return s.Len - 1 }

// LastRemoval returns the seq of the newest record that removed someone, if any. No
// message may be sent under an epoch key made for an earlier point of the log.
func (s *State) LastRemoval() (uint64, bool) { return s.removal - 1, s.removal > 0 }

// LastKeyChange returns the seq of the newest record after which a new epoch key is
// due (create, add, remove, leave).
func (s *State) LastKeyChange() uint64 { return s.keyChange - 1 }

// MaySignEpoch reports whether account may sign an epoch key made for the log as it
// stands (policy.CanSignEpoch).
func (s *State) MaySignEpoch(account ids.Account) bool {
	return s.Len > 0 && policy.CanSignEpoch(s.Kind, s.Role(account), s.HeadOp.ChangesKeys())
}

// Clone returns a copy that shares nothing with s.
func (s *State) Clone() State {
	c := *s
	c.Members = maps.Clone(s.Members)
	return c
}

// Apply checks that r is the next record of the log and that its signer's account may
// make it at this point, then applies it. On error s is unchanged.
func (s *State) Apply(r *Record) error {
	if err := s.follows(r); err != nil {
		return err
	}
	if err := s.allowed(r); err != nil {
		return err
	}
	if r.Seq == 0 {
		*s = State{Chat: r.Chat, Kind: r.Kind, Members: make(map[ids.Account]policy.Role, len(r.Members)), LegacyEpoch: r.Epoch}
	}
	switch r.Op {
	case OpCreate, OpAdd, OpSetRole:
		for _, m := range r.Members {
			s.Members[m.Account] = m.Role
		}
	case OpRemove:
		for _, a := range r.Accounts {
			delete(s.Members, a)
		}
	case OpLeave:
		delete(s.Members, r.By())
	}
	if !r.Title.IsZero() {
		s.Title, s.TitleBy = r.Title, r.Hash
	}
	if r.Op.Removes() {
		s.removal = r.Seq + 1
	}
	if r.Op.ChangesKeys() {
		s.keyChange = r.Seq + 1
	}
	s.Len, s.Head, s.HeadOp = r.Seq+1, r.Hash, r.Op
	return nil
}

// follows checks r's place: this chat, the next position, after the current head.
func (s *State) follows(r *Record) error {
	switch {
	case r.Seq != s.Len:
		return fmt.Errorf("%w: record %d, the log has %d", ErrBrokenChain, r.Seq, s.Len)
	case r.Prev != s.Head:
		return fmt.Errorf("%w: record %d follows %v, the head is %v", ErrBrokenChain, r.Seq, r.Prev, s.Head)
	case s.Len > 0 && r.Chat != s.Chat:
		return fmt.Errorf("%w: record of chat %v in the log of %v", ErrBrokenChain, r.Chat, s.Chat)
	}
	return nil
}

// allowed applies package policy to the signer's account at this point of the log.
func (s *State) allowed(r *Record) error {
	by := r.By()
	if r.Op == OpCreate {
		// Whoever creates a chat owns it; the record lists them as its one owner.
		for _, m := range r.Members {
			if m.Account == by && m.Role == policy.RoleOwner {
				return nil
			}
		}
		return fmt.Errorf("%w: the creator %v is not the owner the record lists", ErrNotAllowed, by)
	}
	actor := s.Role(by)
	if actor == 0 {
		return fmt.Errorf("%w: %v is not a member", ErrNotAllowed, by)
	}
	switch r.Op {
	case OpAdd, OpSetRole:
		for _, m := range r.Members {
			current := s.Role(m.Account)
			if (r.Op == OpAdd) != (current == 0) {
				return fmt.Errorf("%w: %v of %v, whose role is %v", ErrNotAllowed, r.Op, m.Account, current)
			}
			if !policy.CanSetMember(s.Kind, actor, current, m.Role, m.Account == by) {
				return fmt.Errorf("%w: %v (%v) may not make %v %v", ErrNotAllowed, by, actor, m.Account, m.Role)
			}
		}
	case OpRemove:
		for _, a := range r.Accounts {
			target := s.Role(a)
			if target == 0 || a == by {
				return fmt.Errorf("%w: remove %v, who is not a member or the signer", ErrNotAllowed, a)
			}
			if !policy.CanRemove(s.Kind, actor, target, false) {
				return fmt.Errorf("%w: %v (%v) may not remove %v (%v)", ErrNotAllowed, by, actor, a, target)
			}
		}
	case OpLeave:
		if !policy.CanRemove(s.Kind, actor, actor, true) {
			return fmt.Errorf("%w: nobody leaves a %v chat", ErrNotAllowed, s.Kind)
		}
	case OpTitle:
		if !policy.CanManage(s.Kind, actor) {
			return fmt.Errorf("%w: %v (%v) may not rename the chat", ErrNotAllowed, by, actor)
		}
	}
	return nil
}

// Replay verifies raw records from the first and returns the state after them. It
// stops at the first record that fails, returning the state before it with the error.
func Replay(raws [][]byte, certs CertParser) (State, error) {
	var s State
	for i, raw := range raws {
		r, err := Parse(raw, certs)
		if err != nil {
			return s, fmt.Errorf("record %d: %w", i, err)
		}
		if err := s.Apply(r); err != nil {
			return s, err
		}
	}
	return s, nil
}

// Fork compares a record the caller holds with another one claimed for the same
// chat and position, and reports [ErrFork] if they differ. Both must have been
// verified ([Parse]).
func Fork(held, claimed *Record) error {
	if held.Chat != claimed.Chat || held.Seq != claimed.Seq || held.Hash == claimed.Hash {
		return nil
	}
	return fmt.Errorf("%w: two records at position %d of chat %v (%v and %v)", ErrFork, held.Seq, held.Chat, held.Hash, claimed.Hash)
}
