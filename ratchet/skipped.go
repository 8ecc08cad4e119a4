package ratchet

// skipKey names a skipped message: the peer's ratchet public key of its chain and
// its index in the chain (the spec's MKSKIPPED is keyed the same way).
type skipKey struct {
	dh [32]byte
	n  uint32
}

// skippedKey is a message key to store, as [State.Decrypt] collects them before it
// knows whether the message authenticates.
type skippedKey struct {
	skipKey
	mk [keySize]byte
}

// skippedKeys is MKSKIPPED with a bound: at most [MaxSkippedKeys] keys, the oldest
// dropped first. order lists the keys as they were added; an entry whose seq no
// longer matches the map's (its key was used, dropped or stored again) is stale
// and skipped over, and order is compacted when stale entries are the majority.
// The zero value is empty and ready to use.
type skippedKeys struct {
	keys  map[skipKey]storedKey
	order []orderEntry
	next  uint64
}

type storedKey struct {
	mk  [keySize]byte
	seq uint64
}

type orderEntry struct {
	k   skipKey
	seq uint64
}

func (s *skippedKeys) len() int { return len(s.keys) }

// get returns the stored key of k, if any.
func (s *skippedKeys) get(k skipKey) (*[keySize]byte, bool) {
	v, ok := s.keys[k]
	if !ok {
		return nil, false
	}
	return &v.mk, true
}

// add stores keys in order, dropping the oldest beyond [MaxSkippedKeys]. A key
// stored again (only a peer that reuses a ratchet key causes that) replaces the
// old one and counts as new.
func (s *skippedKeys) add(keys []skippedKey) {
	if s.keys == nil {
		s.keys = make(map[skipKey]storedKey)
	}
	for _, k := range keys {
		s.keys[k.skipKey] = storedKey{mk: k.mk, seq: s.next}
		s.order = append(s.order, orderEntry{k: k.skipKey, seq: s.next})
		s.next++
	}
	for len(s.keys) > MaxSkippedKeys {
		e := s.order[0]
		s.order = s.order[1:]
		if v, ok := s.keys[e.k]; ok && v.seq == e.seq {
			s.deleteKey(e.k)
		}
	}
	s.compact()
}

// remove drops the key of k, once its message has been decrypted.
func (s *skippedKeys) remove(k skipKey) {
	s.deleteKey(k)
	s.compact()
}

func (s *skippedKeys) deleteKey(k skipKey) {
	v := s.keys[k]
	clear(v.mk[:])
	delete(s.keys, k)
}

// compact drops stale entries from order once they outnumber the live ones, so
// order stays within twice [MaxSkippedKeys] (plus a small slack) and each entry is
// moved a constant number of times on average.
func (s *skippedKeys) compact() {
	if len(s.order) <= 2*len(s.keys)+64 {
		return
	}
	live := make([]orderEntry, 0, len(s.keys))
	for _, e := range s.order {
		if v, ok := s.keys[e.k]; ok && v.seq == e.seq {
			live = append(live, e)
		}
	}
	s.order = live
}

// all returns the stored keys, oldest first.
func (s *skippedKeys) all() []skippedKey {
	out := make([]skippedKey, 0, len(s.keys))
	for _, e := range s.order {
		if v, ok := s.keys[e.k]; ok && v.seq == e.seq {
			out = append(out, skippedKey{skipKey: e.k, mk: v.mk})
		}
	}
	return out
}

// destroy clears every stored key.
func (s *skippedKeys) destroy() {
	for k := range s.keys {
		s.deleteKey(k)
	}
	s.order = nil
}
