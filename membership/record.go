package membership

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"time"

	"hush/identity"
	"hush/ids"
	"hush/internal/strictcbor"
	"hush/policy"
)

// Labels: the signature purpose of records (identity prefixes it with
// "hush/v1/sig/"), and the domain of their hashes.
const (
	signLabel = "membership-record"
	hashLabel = "hush/v1/membership-record-hash"
)

// version is the only record layout this code writes and reads.
const version = 1

// Limits of one record.
const (
	// MaxRecordSize caps an encoded record: a record that adds the most members a
	// chat may have, with long roles and a certificate, is about 23 KiB.
	MaxRecordSize = 64 << 10
	// MaxMembers caps the accounts one record names, as it caps a chat's members.
	MaxMembers = policy.MaxChatMembers
)

// HashSize is the size of a record's hash.
const HashSize = sha256.Size

// Hash identifies a record: SHA-256 over a label and the record's signed body. Each
// record names the hash of the one before it, so a record any member holds pins
// every record before it.
type Hash [HashSize]byte

// IsZero reports whether h is the zero hash (what the first record names as its
// predecessor).
func (h Hash) IsZero() bool { return h == Hash{} }

// String returns the first 8 bytes in hex, enough for logs.
func (h Hash) String() string { return fmt.Sprintf("%x", h[:8]) }

// Errors a record or a log can fail with. Callers branch on them: a malformed or
// badly signed record is dropped with a warning, a fork is shown to the user.
var (
	// ErrMalformed reports bytes that are not a valid record of this version.
	ErrMalformed = errors.New("membership: malformed record")
	// ErrBadSignature reports a record whose certificate or signature does not verify.
	ErrBadSignature = errors.New("membership: bad signature")
	// ErrBrokenChain reports a record that is not the next one of the log: another
	// chat, another position, or another predecessor than the log's head.
	ErrBrokenChain = errors.New("membership: record does not follow the log")
	// ErrNotAllowed reports a record its signer's account may not make at that point
	// of the log (docs/SECURITY.md, "Membership log").
	ErrNotAllowed = errors.New("membership: not allowed")
	// ErrFork reports two different valid records at one position of a chat's log.
	ErrFork = errors.New("membership: the log forked")
)

// Op is what a record does.
type Op uint8

// The operations. Numbers are part of the signed format.
const (
	// OpCreate starts a log: the chat's kind, title and first members. The signer's
	// account is its owner. Epoch is nonzero only when it adopts a chat created before
	// membership logs existed: the newest epoch key made before the log.
	OpCreate Op = 1
	// OpAdd adds accounts with roles.
	OpAdd Op = 2
	// OpRemove removes accounts.
	OpRemove Op = 3
	// OpLeave removes the signer's own account.
	OpLeave Op = 4
	// OpSetRole changes members' roles.
	OpSetRole Op = 5
	// OpTitle renames the chat: it carries the new title's commitment (the title
	// itself travels sealed, see [TitleCommitment]).
	OpTitle Op = 6
)

func (o Op) String() string {
	switch o {
	case OpCreate:
		return "create"
	case OpAdd:
		return "add"
	case OpRemove:
		return "remove"
	case OpLeave:
		return "leave"
	case OpSetRole:
		return "set role"
	case OpTitle:
		return "title"
	}
	return fmt.Sprintf("op(%d)", uint8(o))
}

// ChangesKeys reports whether a record of this op changes who must hold the chat's
// keys, so that a new epoch follows it.
func (o Op) ChangesKeys() bool {
	return o == OpCreate || o == OpAdd || o == OpRemove || o == OpLeave
}

// Removes reports whether a record of this op takes someone out of the chat: no
// message may be sent under an epoch made before it.
func (o Op) Removes() bool { return o == OpRemove || o == OpLeave }

// Member is an account and its role.
type Member struct {
	_       struct{} `cbor:",toarray"`
	Account ids.Account
	Role    policy.Role
}

// Change is what a record says, before it is signed; each op carries only its own
// fields ([Op]).
type Change struct {
	Op   Op
	Kind policy.ChatKind // OpCreate
	// Title is the title's commitment ([TitleCommitment]), never the title: the
	// relay stores records and must not read titles. OpCreate of a group or
	// channel, and OpTitle.
	Title    Hash
	Members  []Member      // OpCreate, OpAdd, OpSetRole
	Accounts []ids.Account // OpRemove
	Epoch    uint64        // OpCreate adopting an older chat
}

// Record is a verified record: its change, where it sits in which chat's log, when
// and by whom it was signed.
type Record struct {
	Change
	Chat ids.Chat
	Seq  uint64    // 0 for the first record
	Prev Hash      // zero for the first record
	Time time.Time // the signer's clock, whole milliseconds
	// Signer is the certificate of the signing device; Signer.Account.ID() is the
	// account that made the change.
	Signer identity.Certificate
	Hash   Hash
	// Raw is the record as signed, stored and sent.
	Raw []byte
}

// By returns the account that made the change.
func (r *Record) By() ids.Account { return r.Signer.Account.ID() }

// body is the signed part of a record.
type body struct {
	_        struct{} `cbor:",toarray"`
	Version  uint8
	Chat     ids.Chat
	Seq      uint64
	Prev     []byte
	Time     int64
	Op       Op
	Kind     policy.ChatKind
	Title    []byte
	Members  []Member
	Accounts []ids.Account
	Epoch    uint64
	Cert     []byte
}

// envelope is a record on the wire and in storage.
type envelope struct {
	_    struct{} `cbor:",toarray"`
	Body []byte
	Sig  []byte
}

var (
	enc = strictcbor.EncMode()
	// dec fits the largest valid record: members are [account, role] pairs inside
	// the body's member list inside the body.
	dec = strictcbor.DecMode(strictcbor.Limits{MaxNesting: 4, MaxArray: MaxMembers, MaxMap: 16})
)

// Signer is a device that signs records: its key and the certificate its account
// issued for it.
type Signer struct {
	key  *identity.DeviceKey
	cert []byte
	who  identity.Certificate
}

// NewSigner checks that cert is a valid certificate of dev.
func NewSigner(dev *identity.DeviceKey, cert []byte) (*Signer, error) {
	c, err := identity.ParseCertificate(cert)
	if err != nil {
		return nil, fmt.Errorf("membership signer: %w", err)
	}
	if !c.Device.Equal(dev.Public()) {
		return nil, fmt.Errorf("membership signer: the certificate is for device %v, not %v", c.Device.ID(), dev.ID())
	}
	return &Signer{key: dev, cert: bytes.Clone(cert), who: c}, nil
}

// Account is the account the signer's records speak for.
func (s *Signer) Account() ids.Account { return s.who.Account.ID() }

// Sign makes the record that puts c at position seq of chat's log, after the record
// whose hash is prev. It checks c's format, not whether the signer may make it: that
// is [State.Apply]'s, which callers run on the result before sending it.
func (s *Signer) Sign(chat ids.Chat, seq uint64, prev Hash, at time.Time, c Change) (*Record, error) {
	if err := checkChange(c, seq); err != nil {
		return nil, err
	}
	if (seq == 0) != prev.IsZero() {
		return nil, fmt.Errorf("%w: the first record, and only it, follows no record", ErrBrokenChain)
	}
	// Empty lists are written as empty byte strings and arrays, never as null.
	b := body{
		Version: version, Chat: chat, Seq: seq, Prev: []byte{}, Time: at.UnixMilli(), Op: c.Op, Kind: c.Kind,
		Title: []byte{}, Members: orEmpty(c.Members), Accounts: orEmpty(c.Accounts), Epoch: c.Epoch, Cert: s.cert,
	}
	if !c.Title.IsZero() {
		b.Title = c.Title[:]
	}
	if seq > 0 {
		b.Prev = prev[:]
	}
	signed, err := enc.Marshal(b)
	if err != nil {
		return nil, fmt.Errorf("encode record: %w", err)
	}
	raw, err := enc.Marshal(envelope{Body: signed, Sig: s.key.Sign(signLabel, signed)})
	if err != nil {
		return nil, fmt.Errorf("encode record: %w", err)
	}
	if len(raw) > MaxRecordSize {
		return nil, fmt.Errorf("%w: %d bytes exceed %d", ErrMalformed, len(raw), MaxRecordSize)
	}
	return &Record{
		Change: c, Chat: chat, Seq: seq, Prev: prev, Time: time.UnixMilli(b.Time).UTC(),
		Signer: s.who, Hash: hashOf(signed), Raw: raw,
	}, nil
}

// CertParser verifies a device certificate; identity.ParseCertificate, or a cache
// in front of it that returns only certificates it verified.
type CertParser func([]byte) (identity.Certificate, error)

// Parse decodes a record and verifies its format, its certificate (signed by the
// account it names) and its signature by the certified device. Whether the record
// follows a log and is allowed there is [State.Apply]'s to check. certs may be nil.
func Parse(raw []byte, certs CertParser) (*Record, error) {
	if len(raw) > MaxRecordSize {
		return nil, fmt.Errorf("%w: %d bytes exceed %d", ErrMalformed, len(raw), MaxRecordSize)
	}
	var env envelope
	if err := dec.Unmarshal(raw, &env); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	var b body
	if err := dec.Unmarshal(env.Body, &b); err != nil {
		return nil, fmt.Errorf("%w: body: %v", ErrMalformed, err)
	}
	if b.Version != version {
		return nil, fmt.Errorf("%w: unknown version %d", ErrMalformed, b.Version)
	}
	r := &Record{
		Change: Change{Op: b.Op, Kind: b.Kind, Members: orNil(b.Members), Accounts: orNil(b.Accounts), Epoch: b.Epoch},
		Chat:   b.Chat, Seq: b.Seq, Time: time.UnixMilli(b.Time).UTC(), Raw: bytes.Clone(raw),
	}
	switch {
	case b.Seq == 0 && len(b.Prev) == 0:
	case b.Seq > 0 && len(b.Prev) == HashSize:
		copy(r.Prev[:], b.Prev)
	default:
		return nil, fmt.Errorf("%w: predecessor hash of %d bytes at position %d", ErrMalformed, len(b.Prev), b.Seq)
	}
	switch len(b.Title) {
	case 0:
	case HashSize:
		copy(r.Title[:], b.Title)
		if r.Title.IsZero() {
			return nil, fmt.Errorf("%w: a zero title commitment", ErrMalformed)
		}
	default:
		return nil, fmt.Errorf("%w: title commitment of %d bytes", ErrMalformed, len(b.Title))
	}
	if err := checkChange(r.Change, r.Seq); err != nil {
		return nil, err
	}
	if certs == nil {
		certs = identity.ParseCertificate
	}
	cert, err := certs(b.Cert)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadSignature, err)
	}
	if err := cert.Device.Verify(signLabel, env.Body, env.Sig); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadSignature, err)
	}
	r.Signer = cert
	r.Hash = hashOf(env.Body)
	return r, nil
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func orNil[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return s
}

func hashOf(signedBody []byte) Hash {
	h := sha256.New()
	h.Write([]byte(hashLabel))
	h.Write(signedBody)
	var out Hash
	h.Sum(out[:0])
	return out
}

// checkChange enforces what a change of each op may carry, whatever the log says.
func checkChange(c Change, seq uint64) error {
	fields := []struct {
		name string
		set  bool
		ok   bool // the op carries it
	}{
		{"kind", c.Kind != 0, c.Op == OpCreate},
		{"title", !c.Title.IsZero(), c.Op == OpCreate || c.Op == OpTitle},
		{"members", len(c.Members) > 0, c.Op == OpCreate || c.Op == OpAdd || c.Op == OpSetRole},
		{"accounts", len(c.Accounts) > 0, c.Op == OpRemove},
		{"epoch", c.Epoch != 0, c.Op == OpCreate},
	}
	for _, f := range fields {
		if f.set && !f.ok {
			return fmt.Errorf("%w: %v carries %s", ErrMalformed, c.Op, f.name)
		}
	}
	if (seq == 0) != (c.Op == OpCreate) {
		return fmt.Errorf("%w: %v at position %d (a log starts with create, and only there)", ErrMalformed, c.Op, seq)
	}
	switch c.Op {
	case OpCreate:
		return checkCreate(c)
	case OpAdd, OpSetRole:
		return checkMembers(c.Op, c.Members, false)
	case OpRemove:
		return checkAccounts(c.Accounts)
	case OpLeave:
		return nil
	case OpTitle:
		return checkTitle(c.Title)
	}
	return fmt.Errorf("%w: unknown op %d", ErrMalformed, uint8(c.Op))
}

func checkCreate(c Change) error {
	if !c.Kind.Cloud() {
		return fmt.Errorf("%w: kind %v has no membership log", ErrMalformed, c.Kind)
	}
	if err := checkMembers(c.Op, c.Members, true); err != nil {
		return err
	}
	owners := 0
	for _, m := range c.Members {
		if m.Role == policy.RoleOwner {
			owners++
		}
	}
	if owners != 1 {
		return fmt.Errorf("%w: %d owners (want 1)", ErrMalformed, owners)
	}
	if c.Kind == policy.KindDirect {
		if len(c.Members) != 2 || !c.Title.IsZero() {
			return fmt.Errorf("%w: a 1:1 chat has two members and no title", ErrMalformed)
		}
		return nil
	}
	return checkTitle(c.Title)
}

// checkMembers checks a list of members: 1 to MaxMembers distinct accounts with
// valid roles; owner only when creating.
func checkMembers(op Op, members []Member, create bool) error {
	if len(members) == 0 || len(members) > MaxMembers {
		return fmt.Errorf("%w: %v names %d members (1 to %d)", ErrMalformed, op, len(members), MaxMembers)
	}
	seen := make(map[ids.Account]bool, len(members))
	for _, m := range members {
		switch {
		case m.Account.IsZero():
			return fmt.Errorf("%w: the zero account", ErrMalformed)
		case seen[m.Account]:
			return fmt.Errorf("%w: account %v named twice", ErrMalformed, m.Account)
		case !m.Role.Valid(), m.Role == policy.RoleOwner && !create:
			return fmt.Errorf("%w: role %v in %v", ErrMalformed, m.Role, op)
		}
		seen[m.Account] = true
	}
	return nil
}

func checkAccounts(accounts []ids.Account) error {
	if len(accounts) == 0 || len(accounts) > MaxMembers {
		return fmt.Errorf("%w: remove names %d accounts (1 to %d)", ErrMalformed, len(accounts), MaxMembers)
	}
	seen := make(map[ids.Account]bool, len(accounts))
	for _, a := range accounts {
		if a.IsZero() || seen[a] {
			return fmt.Errorf("%w: account %v zero or named twice", ErrMalformed, a)
		}
		seen[a] = true
	}
	return nil
}

func checkTitle(t Hash) error {
	if t.IsZero() {
		return fmt.Errorf("%w: no title", ErrMalformed)
	}
	return nil
}

// titleLabel is the domain of title commitments.
const titleLabel = "hush/v1/membership-title"

// TitleSaltSize is the size of a title commitment's salt.
const TitleSaltSize = 32

// TitleCommitment is what a record says of a title: SHA-256 over a label, the chat
// id, a random salt and the title. The relay, which stores records, learns nothing of
// the title (the salt is random, so a guessed title cannot be checked); the title and
// its salt travel sealed to the members (chatcrypto.ChatMeta), who accept them only
// when they match the newest commitment of the verified log.
func TitleCommitment(chat ids.Chat, salt [TitleSaltSize]byte, title string) Hash {
	h := sha256.New()
	h.Write([]byte(titleLabel))
	h.Write(chat[:])
	h.Write(salt[:])
	h.Write([]byte(title))
	var out Hash
	h.Sum(out[:0])
	return out
}
