package identity

import (
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/mlkem"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"

	"hush/ids"
)

// KEMSeedSize is the size of an account's ML-KEM-768 seed ([AccountKey.Seeds]).
const KEMSeedSize = mlkem.SeedSize

// AccountKey is an account's private key pair. Every linked device holds it.
//
// Its ML-KEM-768 part changes when the account revokes a device (docs/SECURITY.md,
// "Revocation and the account's keys"): the account then publishes a new ML-KEM key,
// whose seed only its remaining devices receive, so a revoked device — which keeps
// the Ed25519 and X25519 keys — cannot open what is wrapped to the account later. An
// AccountKey therefore holds a set of ML-KEM keys (every one it ever had, to open
// history) and names one of them, or one it does not hold yet, as current: the one
// its newest signed device list publishes and everything is wrapped to.
//
// Accounts made before post-quantum envelopes have no ML-KEM key ([AccountKey.HasKEM]
// is false); [AccountKey.AddKEM] gives them one.
type AccountKey struct {
	kp keyPair
	// kem changes while the key is shared between goroutines (a revocation, a seed
	// arriving from another device): it is replaced whole, never changed in place.
	kem atomic.Pointer[kemSet]
}

// kemSet is an account key's ML-KEM state.
type kemSet struct {
	// pub is the current encapsulation key, nil for a legacy key.
	pub *mlkem.EncapsulationKey768
	// held are the decapsulation keys this device has, the current one first when
	// held; pubs are their encapsulation keys, expanded once ([AccountKey.Public] is
	// called often and the expansion costs a matrix copy each time).
	held []*mlkem.DecapsulationKey768
	pubs [][]byte
}

// NewAccountKey generates a fresh account key: Ed25519, X25519 and ML-KEM-768.
func NewAccountKey() (*AccountKey, error) {
	kp, err := newKeyPair()
	if err != nil {
		return nil, err
	}
	k := &AccountKey{kp: kp}
	if err := k.AddKEM(); err != nil {
		return nil, err
	}
	return k, nil
}

// AccountKeyFromSeeds rebuilds an account key from the seeds [AccountKey.Seeds]
// returned, as stored in the vault, with kemSeed current. A nil kemSeed rebuilds a
// legacy key without ML-KEM (a vault written before ML-KEM); any other length than
// [KEMSeedSize] is [ErrInvalidKey]. Older ML-KEM seeds are added with
// [AccountKey.AddKEMSeeds].
func AccountKeyFromSeeds(signingSeed, encryptionKey, kemSeed []byte) (*AccountKey, error) {
	kp, err := keyPairFromSeeds(signingSeed, encryptionKey)
	if err != nil {
		return nil, err
	}
	k := &AccountKey{kp: kp}
	if kemSeed == nil {
		return k, nil
	}
	dk, err := decapsulationKey(kemSeed)
	if err != nil {
		return nil, err
	}
	k.kem.Store(&kemSet{pub: dk.EncapsulationKey(), held: []*mlkem.DecapsulationKey768{dk}, pubs: [][]byte{dk.EncapsulationKey().Bytes()}})
	return k, nil
}

func decapsulationKey(seed []byte) (*mlkem.DecapsulationKey768, error) {
	if len(seed) != KEMSeedSize {
		return nil, fmt.Errorf("%w: ML-KEM seed must be %d bytes, got %d", ErrInvalidKey, KEMSeedSize, len(seed))
	}
	dk, err := mlkem.NewDecapsulationKey768(seed)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidKey, err)
	}
	return dk, nil
}

func (k *AccountKey) kems() *kemSet {
	if s := k.kem.Load(); s != nil {
		return s
	}
	return &kemSet{}
}

// HasKEM reports whether k has a current ML-KEM-768 key (held or not).
func (k *AccountKey) HasKEM() bool { return k.kems().pub != nil }

// AddKEM generates an ML-KEM-768 key for a legacy account key, which must then be
// stored again ([AccountKey.Seeds]). A key that has one keeps it and AddKEM fails:
// replacing it would leave envelopes already wrapped to it unopenable. Call it
// before k is shared between goroutines.
func (k *AccountKey) AddKEM() error {
	if k.HasKEM() {
		return errors.New("identity: account key already has an ML-KEM key")
	}
	dk, err := mlkem.GenerateKey768()
	if err != nil {
		return fmt.Errorf("generate ML-KEM key: %w", err)
	}
	k.kem.Store(&kemSet{pub: dk.EncapsulationKey(), held: []*mlkem.DecapsulationKey768{dk}, pubs: [][]byte{dk.EncapsulationKey().Bytes()}})
	return nil
}

// NewKEM generates another ML-KEM-768 key and adds it to the held ones without
// making it current: the caller stores it ([AccountKey.KEMSeeds]), hands it to the
// account's other devices, publishes it, and only then makes it current with
// [AccountKey.UseKEM]. It returns the new encapsulation key.
func (k *AccountKey) NewKEM() (*mlkem.EncapsulationKey768, error) {
	dk, err := mlkem.GenerateKey768()
	if err != nil {
		return nil, fmt.Errorf("generate ML-KEM key: %w", err)
	}
	for {
		old := k.kem.Load()
		next := old.with(dk)
		if k.kem.CompareAndSwap(old, next) {
			return dk.EncapsulationKey(), nil
		}
	}
}

// AddKEMSeeds adds ML-KEM seeds to the held keys (from the vault, a link bundle or
// another device); seeds already held are skipped. It reports how many were new.
func (k *AccountKey) AddKEMSeeds(seeds [][]byte) (int, error) {
	dks := make([]*mlkem.DecapsulationKey768, 0, len(seeds))
	for _, s := range seeds {
		dk, err := decapsulationKey(s)
		if err != nil {
			return 0, err
		}
		dks = append(dks, dk)
	}
	for {
		old := k.kem.Load()
		next, added := old, 0
		for _, dk := range dks {
			if n := next.with(dk); n != next {
				next, added = n, added+1
			}
		}
		if next == old || k.kem.CompareAndSwap(old, next) {
			return added, nil
		}
	}
}

// with returns s with dk held (s itself if it holds it already; s may be nil).
func (s *kemSet) with(dk *mlkem.DecapsulationKey768) *kemSet {
	pub := dk.EncapsulationKey().Bytes()
	if s == nil {
		s = &kemSet{}
	}
	if s.index(pub) >= 0 {
		return s
	}
	if s.pub != nil && subtle.ConstantTimeCompare(s.pub.Bytes(), pub) == 1 {
		// The current key first: it opens most envelopes at the first try.
		return &kemSet{pub: s.pub, held: append([]*mlkem.DecapsulationKey768{dk}, s.held...), pubs: append([][]byte{pub}, s.pubs...)}
	}
	return &kemSet{pub: s.pub, held: append(slices.Clip(s.held), dk), pubs: append(slices.Clip(s.pubs), pub)}
}

func (s *kemSet) index(pub []byte) int {
	for i, p := range s.pubs {
		if subtle.ConstantTimeCompare(p, pub) == 1 {
			return i
		}
	}
	return -1
}

// UseKEM makes the ML-KEM-768 encapsulation key pub current: what the account's
// newest signed device list publishes. This device may not hold its seed yet (it
// arrives from the device that made it); it then wraps to it all the same and opens
// with the keys it holds. held reports whether it holds the seed.
func (k *AccountKey) UseKEM(pub *mlkem.EncapsulationKey768) (held bool) {
	b := pub.Bytes()
	for {
		old := k.kem.Load()
		if old == nil {
			old = &kemSet{}
		}
		next := &kemSet{pub: pub, held: slices.Clone(old.held), pubs: slices.Clone(old.pubs)}
		i := next.index(b)
		if i > 0 {
			// The current key first: it opens most envelopes at the first try.
			next.held[0], next.held[i] = next.held[i], next.held[0]
			next.pubs[0], next.pubs[i] = next.pubs[i], next.pubs[0]
		}
		if k.kem.CompareAndSwap(old, next) {
			return i >= 0
		}
	}
}

// HoldsCurrentKEM reports whether this device holds the seed of the current ML-KEM
// key (false for a legacy key).
func (k *AccountKey) HoldsCurrentKEM() bool {
	s := k.kems()
	return s.pub != nil && s.index(s.pub.Bytes()) >= 0
}

// Seeds returns copies of the private seeds for storage in the vault; kemSeed is the
// current ML-KEM key's, nil for a legacy key or while this device does not hold it
// (the others are in [AccountKey.KEMSeeds]). The caller owns them and should clear
// them after use.
func (k *AccountKey) Seeds() (signingSeed, encryptionKey, kemSeed []byte) {
	signingSeed, encryptionKey = k.kp.seeds()
	if dk := k.KEMKey(); dk != nil {
		kemSeed = dk.Bytes()
	}
	return signingSeed, encryptionKey, kemSeed
}

// KEMSeeds returns copies of the seeds of every ML-KEM key held, the current one
// first when held. The caller owns them and should clear them after use.
func (k *AccountKey) KEMSeeds() [][]byte {
	s := k.kems()
	out := make([][]byte, len(s.held))
	for i, dk := range s.held {
		out[i] = dk.Bytes()
	}
	return out
}

// StoredKEMSeeds returns copies of the ML-KEM seeds split as the vault and link
// bundles keep them: one (the current one when held), which [AccountKeyFromSeeds]
// takes, and the others, which [AccountKey.AddKEMSeeds] takes. kemSeed is nil for a
// legacy key.
func (k *AccountKey) StoredKEMSeeds() (kemSeed []byte, others [][]byte) {
	s := k.KEMSeeds()
	if len(s) == 0 {
		return nil, nil
	}
	return s[0], s[1:]
}

// KEMKeys returns every ML-KEM-768 private key held, the current one first when
// held: an envelope wrapped before a revocation opens with an older one.
func (k *AccountKey) KEMKeys() []*mlkem.DecapsulationKey768 { return slices.Clone(k.kems().held) }

// Public returns the account's public key, with its current ML-KEM key if it has
// one.
func (k *AccountKey) Public() AccountPublicKey {
	return AccountPublicKey{p: k.kp.public(), kem: k.kems().pub}
}

// ID returns the account's id.
func (k *AccountKey) ID() ids.Account {
	return hashID(accountIDLabel, k.kp.signing.Public().(ed25519.PublicKey))
}

// Sign signs msg for the purpose named by label (a constant of the caller).
func (k *AccountKey) Sign(label string, msg []byte) []byte { return k.kp.sign(label, msg) }

// EncryptionKey returns the X25519 private key that chat keys are wrapped to.
func (k *AccountKey) EncryptionKey() *ecdh.PrivateKey { return k.kp.enc }

// KEMKey returns the current ML-KEM-768 private key, which chat keys are wrapped to
// together with the X25519 key; nil for a legacy key or while this device does not
// hold it ([AccountKey.UseKEM]).
func (k *AccountKey) KEMKey() *mlkem.DecapsulationKey768 {
	s := k.kems()
	if s.pub == nil || len(s.held) == 0 || s.index(s.pub.Bytes()) != 0 {
		return nil
	}
	return s.held[0]
}

// Destroy zeroes the private key bytes held by k; k must not be used afterwards.
// The ML-KEM keys, like the X25519 one, keep their own copies that the standard
// library gives no way to clear: they are dropped for the collector.
func (k *AccountKey) Destroy() {
	k.kp.destroy()
	k.kem.Store(nil)
}

// AccountPublicKey is an account's public identity: its Ed25519 signing key, its
// X25519 encryption key and, optionally, its ML-KEM-768 encryption key.
//
// The binary and text forms ([AccountPublicKey.Bytes], [AccountPublicKey.String])
// hold only the first two, 64 bytes: that is what device certificates and sealed
// messages carry. The ML-KEM key travels in the signed account-keys record
// ([IssueAccountKeys], [ParseAccountKeys]).
type AccountPublicKey struct {
	p   publicKey
	kem *mlkem.EncapsulationKey768
}

// ParseAccountPublicKey decodes the binary form [AccountPublicKey.Bytes] returns. The
// result has no ML-KEM key.
func ParseAccountPublicKey(b []byte) (AccountPublicKey, error) {
	p, err := parsePublicKey(b)
	return AccountPublicKey{p: p}, err
}

// ParseAccountPublicKeyString decodes the text form [AccountPublicKey.String] returns.
// The result has no ML-KEM key.
func ParseAccountPublicKeyString(s string) (AccountPublicKey, error) {
	p, err := parsePrefixed(s, accountPublicPrefix)
	return AccountPublicKey{p: p}, err
}

// Bytes returns the 64-byte encoding: Ed25519 public key, then X25519 public key.
// The ML-KEM key is not in it.
func (p AccountPublicKey) Bytes() []byte { return p.p.bytes() }

// String returns the text form, "hush-acct-pub:" and unpadded base64url of
// [AccountPublicKey.Bytes].
func (p AccountPublicKey) String() string {
	return accountPublicPrefix + base64.RawURLEncoding.EncodeToString(p.p.bytes())
}

// IsZero reports whether p holds no key.
func (p AccountPublicKey) IsZero() bool { return p.p.signing == nil }

// Equal reports, in constant time, whether p and q are the same key, comparing what
// both hold: the Ed25519 and X25519 keys always, the ML-KEM keys when both have one.
// So a key pinned from a device certificate (no ML-KEM) equals the same account's
// full key; two different ML-KEM keys never compare equal.
func (p AccountPublicKey) Equal(q AccountPublicKey) bool {
	if !p.p.equal(q.p) {
		return false
	}
	if p.kem == nil || q.kem == nil {
		return true
	}
	return subtle.ConstantTimeCompare(p.kem.Bytes(), q.kem.Bytes()) == 1
}

// ID returns the account id derived from the signing key.
func (p AccountPublicKey) ID() ids.Account { return hashID(accountIDLabel, p.p.signing) }

// SigningKey returns the Ed25519 public key.
func (p AccountPublicKey) SigningKey() ed25519.PublicKey { return p.p.signing }

// EncryptionKey returns the X25519 public key chat keys are wrapped to.
func (p AccountPublicKey) EncryptionKey() *ecdh.PublicKey { return p.p.enc }

// KEMKey returns the ML-KEM-768 public key chat keys are wrapped to together with
// the X25519 key, or nil when p has none (a legacy account, or a key known only in
// its 64-byte form).
func (p AccountPublicKey) KEMKey() *mlkem.EncapsulationKey768 { return p.kem }

// WithKEM returns p with the ML-KEM-768 public key ek (its encoding, 1184 bytes).
// It verifies nothing: it rebuilds a key pinned earlier from what [ParseAccountKeys]
// verified (a caller's storage), never a key a peer or a relay hands over.
func (p AccountPublicKey) WithKEM(ek []byte) (AccountPublicKey, error) {
	k, err := mlkem.NewEncapsulationKey768(ek)
	if err != nil {
		return AccountPublicKey{}, fmt.Errorf("%w: ML-KEM-768 key: %v", ErrInvalidKey, err)
	}
	return AccountPublicKey{p: p.p, kem: k}, nil
}

// WithoutKEM returns p without its ML-KEM key: the 64-byte form, as a peer that has
// not seen the account's signed keys knows it.
func (p AccountPublicKey) WithoutKEM() AccountPublicKey { return AccountPublicKey{p: p.p} }

// Verify checks a signature made by [AccountKey.Sign] with the same label.
func (p AccountPublicKey) Verify(label string, msg, sig []byte) error {
	return p.p.verify(label, msg, sig)
}

// Fingerprint returns a short text users compare to recognise this key. It covers
// the 64-byte form; the ML-KEM key is bound to it by the account's signature
// ([ParseAccountKeys]).
func (p AccountPublicKey) Fingerprint() string { return fingerprint(p.p) }
