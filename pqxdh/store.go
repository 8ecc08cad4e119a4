package pqxdh

import (
	"crypto/ecdh"
	"crypto/mlkem"
	"crypto/rand"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"hush/identity"
	"hush/ids"
)

// Limits of a [Store].
const (
	// MaxStoreSize caps encoded private prekeys; the largest valid store (every
	// list full) is 33 872 bytes.
	MaxStoreSize = 48 << 10
	// maxUnusedKept caps the unused one-time prekeys of each kind a store keeps:
	// twice what a relay holds, so the keys the relay has handed out lately stay
	// usable while new ones are published. Past it the oldest are forgotten; an
	// initial message naming one fails with [ErrUnknownPrekey], and its sender
	// starts again from a new bundle.
	maxUnusedKept = 2 * MaxOneTimePrekeys
	// maxSignedKept is how many signed prekeys, and last-resort post-quantum
	// prekeys, a store keeps: the current one and the one before it, so that an
	// initiator who fetched a bundle just before [Store.Rotate] still gets through.
	maxSignedKept = 2
	// maxUsedIDs caps the ids of used one-time prekeys a store remembers, to tell
	// a replay ([ErrPrekeyUsed]) from an unknown key; past it the oldest are
	// forgotten and a replay of them is refused as [ErrUnknownPrekey].
	maxUsedIDs = 256
)

// storeVersion is the only layout of stored private prekeys this code writes and
// reads.
const storeVersion = 1

// Store is a device's private prekeys: its signed prekeys, its last-resort and
// one-time post-quantum prekeys and its one-time prekeys, with the ids of the
// one-time prekeys already used. The caller persists it ([EncodeStore],
// [ParseStore]) in its vault after every change — after [Respond] before it acts
// on the handshake, so that a one-time prekey is never used twice. It is safe
// for concurrent use. Printing it shows counts, never a key.
type Store struct {
	mu         sync.Mutex
	device     ids.Device
	signed     []signedSecret // newest first, 1 to maxSignedKept
	lastResort []pqSecret     // newest first, 1 to maxSignedKept
	pqOneTime  []pqSecret     // oldest first
	oneTime    []oneTimeSecret
	used       []ids.Prekey // oldest first, at most maxUsedIDs
}

type signedSecret struct {
	id      ids.Prekey
	created time.Time
	key     *ecdh.PrivateKey
}

type pqSecret struct {
	id      ids.Prekey
	created time.Time
	key     *mlkem.DecapsulationKey768
}

type oneTimeSecret struct {
	id      ids.Prekey
	created time.Time
	key     *ecdh.PrivateKey
}

// NewStore makes the private prekeys of device me: a signed prekey and a
// last-resort post-quantum prekey created at now, and no one-time prekeys yet
// ([Store.Replenish] makes them and the publication to send).
func NewStore(me *identity.DeviceKey, now time.Time) (*Store, error) {
	s := &Store{device: me.ID()}
	if err := s.rotateLocked(now); err != nil {
		return nil, err
	}
	return s, nil
}

// Rotate replaces the signed prekey and the last-resort post-quantum prekey with
// new ones created at now, keeping the previous pair for initiators that fetched
// it before the relay got the new one; the pair before that is deleted, and with
// it the ability to decrypt handshakes made with it. It returns the publication to
// send (without one-time prekeys). Signal rotates every week or month; the caller
// picks, from [Store.SignedPrekeyCreated].
func (s *Store) Rotate(me *identity.DeviceKey, now time.Time) (Publication, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkDeviceLocked(me); err != nil {
		return Publication{}, err
	}
	if err := s.rotateLocked(now); err != nil {
		return Publication{}, err
	}
	return s.publicationLocked(me, nil, nil)
}

func (s *Store) rotateLocked(now time.Time) error {
	now = time.Unix(now.Unix(), 0).UTC()
	x, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		return fmt.Errorf("generate signed prekey: %w", err)
	}
	kem, err := mlkem.GenerateKey768()
	if err != nil {
		return fmt.Errorf("generate post-quantum prekey: %w", err)
	}
	s.signed = slices.Insert(s.signed, 0, signedSecret{id: ids.New[ids.Prekey](), created: now, key: x})
	s.lastResort = slices.Insert(s.lastResort, 0, pqSecret{id: ids.New[ids.Prekey](), created: now, key: kem})
	s.signed = s.signed[:min(len(s.signed), maxSignedKept)]
	s.lastResort = s.lastResort[:min(len(s.lastResort), maxSignedKept)]
	return nil
}

// Replenish makes n new one-time prekeys of each kind (at most
// [MaxOneTimePrekeys]) and returns the publication to send: the current signed
// prekeys and only the one-time prekeys it made, so that the relay never hands
// out again one it has already served. The caller asks for what the relay lacks
// (its count, wire.PrekeyCount, against the number it should hold): the store
// cannot know which of its unused keys the relay has handed out already, so it
// keeps them all — up to maxUnusedKept of each kind, forgetting the oldest.
func (s *Store) Replenish(me *identity.DeviceKey, n int, now time.Time) (Publication, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkDeviceLocked(me); err != nil {
		return Publication{}, err
	}
	n = max(0, min(n, MaxOneTimePrekeys))
	now = time.Unix(now.Unix(), 0).UTC()
	var newPQ []pqSecret
	for len(newPQ) < n {
		kem, err := mlkem.GenerateKey768()
		if err != nil {
			return Publication{}, fmt.Errorf("generate post-quantum prekey: %w", err)
		}
		newPQ = append(newPQ, pqSecret{id: ids.New[ids.Prekey](), created: now, key: kem})
	}
	var newOT []oneTimeSecret
	for len(newOT) < n {
		x, err := ecdh.X25519().GenerateKey(rand.Reader)
		if err != nil {
			return Publication{}, fmt.Errorf("generate one-time prekey: %w", err)
		}
		newOT = append(newOT, oneTimeSecret{id: ids.New[ids.Prekey](), created: now, key: x})
	}
	p, err := s.publicationLocked(me, newPQ, newOT)
	if err != nil {
		return Publication{}, err
	}
	s.pqOneTime = append(s.pqOneTime, newPQ...)
	s.oneTime = append(s.oneTime, newOT...)
	if over := len(s.pqOneTime) - maxUnusedKept; over > 0 {
		for i := range over {
			s.pqOneTime[i] = pqSecret{}
		}
		s.pqOneTime = slices.Delete(s.pqOneTime, 0, over)
	}
	if over := len(s.oneTime) - maxUnusedKept; over > 0 {
		for i := range over {
			s.oneTime[i] = oneTimeSecret{}
		}
		s.oneTime = slices.Delete(s.oneTime, 0, over)
	}
	return p, nil
}

// Publication returns everything the relay should hold: the current signed
// prekeys and every unused one-time prekey. Send it only to a relay that holds
// none of them yet (a new relay, or one that lost them): one that still holds
// some would serve the one-time prekeys it already handed out a second time.
func (s *Store) Publication(me *identity.DeviceKey) (Publication, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkDeviceLocked(me); err != nil {
		return Publication{}, err
	}
	return s.publicationLocked(me, s.pqOneTime, s.oneTime)
}

// publicationLocked signs the current signed prekeys and the given one-time
// prekeys. Ed25519 signatures are deterministic, so signing again gives the
// bytes published before and the store keeps no signatures.
func (s *Store) publicationLocked(me *identity.DeviceKey, pq []pqSecret, ot []oneTimeSecret) (Publication, error) {
	spk, lr := s.signed[0], s.lastResort[0]
	p := Publication{Device: me.Public(), SignedPrekey: SignedPrekey{ID: spk.id, Created: spk.created, Key: spk.key.PublicKey()}}
	var err error
	if p.SignedPrekey.Signature, err = signPrekey(me, KindSignedPrekey, spk.id, spk.created, spk.key.PublicKey().Bytes()); err != nil {
		return Publication{}, err
	}
	if p.LastResort, err = lr.public(me, true); err != nil {
		return Publication{}, err
	}
	p.PQOneTime = make([]PQPrekey, 0, len(pq))
	for _, k := range pq {
		pub, err := k.public(me, false)
		if err != nil {
			return Publication{}, err
		}
		p.PQOneTime = append(p.PQOneTime, pub)
	}
	p.OneTime = make([]OneTimePrekey, 0, len(ot))
	for _, k := range ot {
		p.OneTime = append(p.OneTime, OneTimePrekey{ID: k.id, Key: k.key.PublicKey()})
	}
	return p, nil
}

func (k pqSecret) public(me *identity.DeviceKey, lastResort bool) (PQPrekey, error) {
	p := PQPrekey{ID: k.id, Created: k.created, LastResort: lastResort, Key: k.key.EncapsulationKey()}
	var err error
	p.Signature, err = signPrekey(me, p.kind(), k.id, k.created, p.Key.Bytes())
	return p, err
}

// Remaining returns how many one-time prekeys of each kind the store still
// holds, so that the caller can [Store.Replenish] before the relay runs out. It
// counts those not yet used by a handshake; the relay may have handed out some
// of them already.
func (s *Store) Remaining() (oneTime, pqOneTime int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.oneTime), len(s.pqOneTime)
}

// SignedPrekeyCreated returns when the current signed prekey was made, for the
// caller's rotation schedule.
func (s *Store) SignedPrekeyCreated() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.signed[0].created
}

// Device returns the id of the device whose prekeys s holds.
func (s *Store) Device() ids.Device { return s.device }

func (s *Store) checkDeviceLocked(me *identity.DeviceKey) error {
	if me.ID() != s.device {
		return fmt.Errorf("%w: prekeys of device %s used with device %s", ErrInvalidStore, s.device, me.ID())
	}
	return nil
}

// usedKeys are the private prekeys one initial message names, found by
// [Store.lookupLocked].
type usedKeys struct {
	signed    *ecdh.PrivateKey
	pq        *mlkem.DecapsulationKey768
	pqOneTime bool
	oneTime   *ecdh.PrivateKey // nil: none
}

// lookupLocked finds the prekeys m names, failing with ErrUnknownPrekey or
// ErrPrekeyUsed. It changes nothing.
func (s *Store) lookupLocked(m InitialMessage) (usedKeys, error) {
	var u usedKeys
	if i := slices.IndexFunc(s.signed, func(k signedSecret) bool { return k.id == m.SignedPrekeyID }); i >= 0 {
		u.signed = s.signed[i].key
	} else {
		return usedKeys{}, fmt.Errorf("%w: signed prekey %s", ErrUnknownPrekey, m.SignedPrekeyID)
	}
	if i := slices.IndexFunc(s.lastResort, func(k pqSecret) bool { return k.id == m.PQPrekeyID }); i >= 0 {
		u.pq = s.lastResort[i].key
	} else if i := slices.IndexFunc(s.pqOneTime, func(k pqSecret) bool { return k.id == m.PQPrekeyID }); i >= 0 {
		u.pq, u.pqOneTime = s.pqOneTime[i].key, true
	} else {
		return usedKeys{}, s.missingLocked("post-quantum prekey", m.PQPrekeyID)
	}
	if m.OneTimePrekeyID.IsZero() {
		return u, nil
	}
	if i := slices.IndexFunc(s.oneTime, func(k oneTimeSecret) bool { return k.id == m.OneTimePrekeyID }); i >= 0 {
		u.oneTime = s.oneTime[i].key
	} else {
		return usedKeys{}, s.missingLocked("one-time prekey", m.OneTimePrekeyID)
	}
	return u, nil
}

func (s *Store) missingLocked(what string, id ids.Prekey) error {
	if slices.Contains(s.used, id) {
		return fmt.Errorf("%w: %s %s", ErrPrekeyUsed, what, id)
	}
	return fmt.Errorf("%w: %s %s", ErrUnknownPrekey, what, id)
}

// consumeLocked deletes the one-time prekeys m named and remembers their ids.
func (s *Store) consumeLocked(m InitialMessage) {
	for _, id := range []ids.Prekey{m.PQPrekeyID, m.OneTimePrekeyID} {
		n := len(s.pqOneTime) + len(s.oneTime)
		s.pqOneTime = slices.DeleteFunc(s.pqOneTime, func(k pqSecret) bool { return k.id == id })
		s.oneTime = slices.DeleteFunc(s.oneTime, func(k oneTimeSecret) bool { return k.id == id })
		if len(s.pqOneTime)+len(s.oneTime) < n {
			s.used = append(s.used, id)
		}
	}
	if over := len(s.used) - maxUsedIDs; over > 0 {
		s.used = slices.Delete(s.used, 0, over)
	}
}

// Destroy drops the private keys s holds; s must not be used afterwards.
// crypto/ecdh and crypto/mlkem keep their own copies that the standard library
// gives no way to clear: they are left to the collector.
func (s *Store) Destroy() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.signed, s.lastResort, s.pqOneTime, s.oneTime = nil, nil, nil, nil
}

// String describes s without a key.
func (s *Store) String() string {
	ot, pq := s.Remaining()
	return fmt.Sprintf("pqxdh.Store{device: %s, one-time prekeys: %d, post-quantum one-time prekeys: %d, keys: [REDACTED]}", s.device, ot, pq)
}

// GoString hides the keys from %#v as well.
func (s *Store) GoString() string { return s.String() }

// LogValue describes s to log/slog without a key.
func (s *Store) LogValue() slog.Value {
	ot, pq := s.Remaining()
	return slog.GroupValue(
		slog.String("device", s.device.String()),
		slog.Int("one_time_prekeys", ot),
		slog.Int("pq_one_time_prekeys", pq),
	)
}

// storeWire is the stored form: CBOR [version, device id, [signed prekeys],
// [last-resort prekeys], [one-time post-quantum prekeys], [one-time prekeys],
// [used one-time prekey ids]], each key [id, creation time, private key] with the
// X25519 private key (32 bytes) or the ML-KEM-768 seed (64 bytes, FIPS 203 d ‖ z).
type storeWire struct {
	_          struct{} `cbor:",toarray"`
	Version    uint8
	Device     ids.Device
	Signed     []secretWire
	LastResort []secretWire
	PQOneTime  []secretWire
	OneTime    []secretWire
	Used       []ids.Prekey
}

type secretWire struct {
	_       struct{} `cbor:",toarray"`
	ID      ids.Prekey
	Created int64
	Key     []byte
}

// EncodeStore returns s's stored form. It holds private keys: keep it only in
// the vault, and clear it after writing.
func EncodeStore(s *Store) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.signed) == 0 {
		return nil, fmt.Errorf("%w: destroyed", ErrInvalidStore)
	}
	w := storeWire{Version: storeVersion, Device: s.device, Used: slices.Clone(s.used)}
	if w.Used == nil {
		w.Used = []ids.Prekey{}
	}
	w.Signed = make([]secretWire, 0, len(s.signed))
	for _, k := range s.signed {
		w.Signed = append(w.Signed, secretWire{ID: k.id, Created: k.created.Unix(), Key: k.key.Bytes()})
	}
	pqWire := func(keys []pqSecret) []secretWire {
		out := make([]secretWire, 0, len(keys))
		for _, k := range keys {
			out = append(out, secretWire{ID: k.id, Created: k.created.Unix(), Key: k.key.Bytes()})
		}
		return out
	}
	w.LastResort, w.PQOneTime = pqWire(s.lastResort), pqWire(s.pqOneTime)
	w.OneTime = make([]secretWire, 0, len(s.oneTime))
	for _, k := range s.oneTime {
		w.OneTime = append(w.OneTime, secretWire{ID: k.id, Created: k.created.Unix(), Key: k.key.Bytes()})
	}
	out, err := enc.Marshal(w)
	if err != nil {
		return nil, fmt.Errorf("encode prekey store: %w", err)
	}
	return out, nil
}

// ParseStore decodes what [EncodeStore] wrote, failing with [ErrInvalidStore]
// on anything else: an unknown version, a list past its limit, a key of the
// wrong size, a zero or repeated id.
func ParseStore(b []byte) (*Store, error) {
	if len(b) > MaxStoreSize {
		return nil, fmt.Errorf("%w: %d bytes is too long", ErrInvalidStore, len(b))
	}
	var w storeWire
	if err := decodeExact(listDec, b, &w); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidStore, err)
	}
	switch {
	case w.Version != storeVersion:
		return nil, fmt.Errorf("%w: unknown version %d", ErrInvalidStore, w.Version)
	case w.Device.IsZero():
		return nil, fmt.Errorf("%w: no device", ErrInvalidStore)
	case len(w.Signed) < 1 || len(w.Signed) > maxSignedKept || len(w.LastResort) < 1 || len(w.LastResort) > maxSignedKept:
		return nil, fmt.Errorf("%w: %d signed and %d last-resort prekeys, want 1 to %d", ErrInvalidStore, len(w.Signed), len(w.LastResort), maxSignedKept)
	case w.PQOneTime == nil || w.OneTime == nil || w.Used == nil:
		return nil, fmt.Errorf("%w: null in place of a list", ErrInvalidStore)
	case len(w.PQOneTime) > maxUnusedKept || len(w.OneTime) > maxUnusedKept || len(w.Used) > maxUsedIDs:
		return nil, fmt.Errorf("%w: too many one-time prekeys or used ids", ErrInvalidStore)
	}
	seen := make(map[ids.Prekey]bool)
	checkID := func(id ids.Prekey) error {
		if id.IsZero() || seen[id] {
			return fmt.Errorf("%w: zero or repeated prekey id %s", ErrInvalidStore, id)
		}
		seen[id] = true
		return nil
	}
	s := &Store{device: w.Device, used: w.Used}
	for _, id := range w.Used {
		if err := checkID(id); err != nil {
			return nil, err
		}
	}
	x25519 := func(k secretWire) (*ecdh.PrivateKey, error) {
		if err := checkID(k.ID); err != nil {
			return nil, err
		}
		if len(k.Key) != 32 {
			return nil, fmt.Errorf("%w: X25519 key of %d bytes", ErrInvalidStore, len(k.Key))
		}
		key, err := ecdh.X25519().NewPrivateKey(k.Key)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrInvalidStore, err)
		}
		return key, nil
	}
	kem := func(k secretWire) (pqSecret, error) {
		if err := checkID(k.ID); err != nil {
			return pqSecret{}, err
		}
		key, err := mlkem.NewDecapsulationKey768(k.Key)
		if err != nil {
			return pqSecret{}, fmt.Errorf("%w: %v", ErrInvalidStore, err)
		}
		return pqSecret{id: k.ID, created: time.Unix(k.Created, 0).UTC(), key: key}, nil
	}
	for _, k := range w.Signed {
		key, err := x25519(k)
		if err != nil {
			return nil, err
		}
		s.signed = append(s.signed, signedSecret{id: k.ID, created: time.Unix(k.Created, 0).UTC(), key: key})
	}
	for _, k := range w.OneTime {
		key, err := x25519(k)
		if err != nil {
			return nil, err
		}
		s.oneTime = append(s.oneTime, oneTimeSecret{id: k.ID, created: time.Unix(k.Created, 0).UTC(), key: key})
	}
	for _, k := range w.LastResort {
		p, err := kem(k)
		if err != nil {
			return nil, err
		}
		s.lastResort = append(s.lastResort, p)
	}
	for _, k := range w.PQOneTime {
		p, err := kem(k)
		if err != nil {
			return nil, err
		}
		s.pqOneTime = append(s.pqOneTime, p)
	}
	return s, nil
}
