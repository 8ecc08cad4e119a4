package chatcrypto

import (
	"bytes"
	"errors"
	"math"
	"testing"
	"time"

	"hush/identity"
	"hush/ids"
	"hush/internal/testutil"
)

// signedEntry is epoch w.epoch of w.chat at head w.head for Alice and Bob, signed by
// Alice's device.
func (w *world) signedEntry(t testing.TB) SignedKeyLogEntry {
	t.Helper()
	e, err := NewKeyLogEntry(w.key, w.chat, w.epoch, w.head, []identity.AccountPublicKey{w.alice.Public(), w.bob.Public()})
	if err != nil {
		t.Fatal(err)
	}
	s, err := SignKeyLogEntry(e, w.aliceDev)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (w *world) admins() []identity.AccountPublicKey {
	return []identity.AccountPublicKey{w.alice.Public()}
}

// signV1 signs e as the code before version 2 did: CBOR [1, envelope, certificate,
// signature] over the version 1 fields. The code no longer writes version 1; tests
// make such entries to prove they are still read. It skips the shape checks, so the
// known answers of kat.json can keep their synthetic envelopes.
func signV1(t testing.TB, e KeyLogEntry, s *Sender) SignedKeyLogEntry {
	t.Helper()
	out := SignedKeyLogEntry{ChatID: e.ChatID, Epoch: e.Epoch}
	for _, env := range e.Envelopes {
		tbs, err := keyLogSignedBytes(keyLogV1, e.ChatID, e.Epoch, env.Recipient, env.Wrapped, LogHead{})
		if err != nil {
			t.Fatal(err)
		}
		b, err := detEnc.Marshal(signedEnvelopeWire{Version: keyLogV1, Wrapped: env.Wrapped, Cert: s.cert, Sig: s.dev.Sign(keyLogSigLabel, tbs)})
		if err != nil {
			t.Fatal(err)
		}
		out.Envelopes = append(out.Envelopes, SignedEnvelope{Recipient: env.Recipient, Signed: b})
	}
	return out
}

func TestKeyLogRoundTrip(t *testing.T) {
	w := newWorld(t)
	s := w.signedEntry(t)
	if s.ChatID != w.chat || s.Epoch != w.epoch || s.Head != w.head || len(s.Envelopes) != 2 {
		t.Fatalf("entry %+v", s)
	}
	for _, me := range []*identity.AccountKey{w.alice, w.bob} {
		env, ok := s.Envelope(me.ID())
		if !ok {
			t.Fatalf("no envelope for %v", me.ID())
		}
		if len(env) > MaxSignedEnvelopeSize {
			t.Fatalf("signed envelope of %d bytes", len(env))
		}
		info, err := ParseKeyLogEntry(env, w.chat, w.epoch, me.ID())
		if err != nil {
			t.Fatalf("member %v: %v", me.ID(), err)
		}
		if info.Version != 2 || info.Head != w.head || info.Recipient != me.ID() ||
			!info.Signer.Account.Equal(w.alice.Public()) || info.Signer.Device.ID() != w.aliceDev.Device() {
			t.Fatalf("parsed %+v", info)
		}
		k, err := info.Open(me)
		if err != nil || !k.Equal(w.key) {
			t.Fatalf("member %v opening: %v", me.ID(), err)
		}
		k, cert, err := VerifyKeyLogEntry(env, w.chat, w.epoch, me, []identity.AccountPublicKey{w.bob.Public(), w.alice.Public()})
		if err != nil {
			t.Fatalf("member %v: %v", me.ID(), err)
		}
		if !k.Equal(w.key) {
			t.Fatalf("member %v got another key", me.ID())
		}
		if !cert.Account.Equal(w.alice.Public()) || cert.Device.ID() != w.aliceDev.Device() {
			t.Fatal("wrong signer certificate")
		}
	}
	if _, ok := s.Envelope(w.mallory.ID()); ok {
		t.Fatal("envelope for a non-member")
	}
}

// TestKeyLogMixedMembers: a rotation wraps version 2 to members with an ML-KEM key
// and version 1 to the others, in one version 2 entry each can open.
func TestKeyLogMixedMembers(t *testing.T) {
	w := newWorld(t)
	carol := legacyAccount(t, 13)
	e, err := NewKeyLogEntry(w.key, w.chat, w.epoch, w.head, []identity.AccountPublicKey{w.bob.Public(), carol.Public()})
	if err != nil {
		t.Fatal(err)
	}
	s, err := SignKeyLogEntry(e, w.aliceDev)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		me      *identity.AccountKey
		version byte
		size    int
	}{{w.bob, envelopeV2, 1486}, {carol, envelopeV1, 397}} {
		env, _ := s.Envelope(c.me.ID())
		if len(env) != c.size {
			t.Errorf("signed envelope with a version %d envelope: %d bytes, want %d", c.version, len(env), c.size)
		}
		info, err := ParseKeyLogEntry(env, w.chat, w.epoch, c.me.ID())
		if err != nil || info.envelope[0] != c.version {
			t.Fatalf("%v: %v", c.me.ID(), err)
		}
		if k, err := info.Open(c.me); err != nil || !k.Equal(w.key) {
			t.Fatalf("%v opening: %v", c.me.ID(), err)
		}
	}
}

func TestNewKeyLogEntryRejects(t *testing.T) {
	w := newWorld(t)
	if _, err := NewKeyLogEntry(w.key, w.chat, 1, w.head, nil); err == nil {
		t.Fatal("entry without members")
	}
	if _, err := NewKeyLogEntry(w.key, w.chat, 1, w.head, []identity.AccountPublicKey{w.bob.Public(), w.bob.Public()}); !errors.Is(err, ErrMalformed) {
		t.Fatalf("duplicate member: err = %v", err)
	}
	if _, err := NewKeyLogEntry(EpochKey{}, w.chat, 1, w.head, []identity.AccountPublicKey{w.bob.Public()}); err == nil {
		t.Fatal("zero key accepted")
	}
	if _, err := NewKeyLogEntry(w.key, w.chat, 1, w.head, make([]identity.AccountPublicKey, MaxKeyLogRecipients+1)); err == nil {
		t.Fatal("too many members accepted")
	}
}

func TestSignKeyLogEntryRejectsBadShape(t *testing.T) {
	w := newWorld(t)
	e, _ := NewKeyLogEntry(w.key, w.chat, w.epoch, w.head, []identity.AccountPublicKey{w.alice.Public(), w.bob.Public()})
	with := func(envs ...Envelope) KeyLogEntry {
		return KeyLogEntry{ChatID: e.ChatID, Epoch: e.Epoch, Head: e.Head, Envelopes: envs}
	}
	r := e.Envelopes[0].Recipient
	v2 := e.Envelopes[0].Wrapped
	many := with()
	for i := 0; i <= MaxKeyLogRecipients; i++ {
		var id ids.Account
		id[0], id[1] = byte(i>>8), byte(i)
		many.Envelopes = append(many.Envelopes, Envelope{Recipient: id, Wrapped: v2})
	}
	for name, bad := range map[string]KeyLogEntry{
		"unsorted":              with(e.Envelopes[1], e.Envelopes[0]),
		"duplicate":             with(e.Envelopes[0], e.Envelopes[0]),
		"short envelope":        with(Envelope{Recipient: r, Wrapped: []byte{1}}),
		"v2 envelope called v1": with(Envelope{Recipient: r, Wrapped: append([]byte{envelopeV1}, v2[1:]...)}),
		"unknown version":       with(Envelope{Recipient: r, Wrapped: append([]byte{9}, v2[1:]...)}),
		"empty envelope":        with(Envelope{Recipient: r}),
		"empty":                 {ChatID: w.chat},
		"over the limit":        many,
	} {
		if _, err := SignKeyLogEntry(bad, w.aliceDev); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	many.Envelopes = many.Envelopes[:MaxKeyLogRecipients]
	if _, err := SignKeyLogEntry(many, w.aliceDev); err != nil {
		t.Errorf("entry at the limit: %v", err)
	}
	if _, err := SignKeyLogEntry(e, nil); err == nil {
		t.Error("signed without a sender")
	}
}

// resignEnvelope changes a version 2 signed envelope's wire form with mod, then
// signs tbs with s unless tbs is nil (the old signature stays).
func resignEnvelope(t *testing.T, signed []byte, s *Sender, tbs []byte, mod func(*signedEnvelopeWireV2)) []byte {
	t.Helper()
	var w signedEnvelopeWireV2
	if err := keyLogDec.Unmarshal(signed, &w); err != nil {
		t.Fatal(err)
	}
	mod(&w)
	if tbs != nil {
		w.Sig = s.dev.Sign(keyLogSigLabelV2, tbs)
	}
	b, err := detEnc.Marshal(w)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestVerifyKeyLogEntryRejects(t *testing.T) {
	w := newWorld(t)
	s := w.signedEntry(t)
	bobEnv, _ := s.Envelope(w.bob.ID())
	aliceEnv, _ := s.Envelope(w.alice.ID())

	// The relay swaps in an envelope wrapping a key of its choosing, of either
	// version (a version 1 one is the downgrade a quantum attacker would want).
	evilWrapped, _ := WrapEpochKey(testEpochKey(t, 9), w.chat, w.epoch, w.bob.Public())
	evilV1, _ := WrapEpochKey(testEpochKey(t, 9), w.chat, w.epoch, w.bob.Public().WithoutKEM())
	swapped := resignEnvelope(t, bobEnv, nil, nil, func(e *signedEnvelopeWireV2) { e.Wrapped = evilWrapped })
	downgraded := resignEnvelope(t, bobEnv, nil, nil, func(e *signedEnvelopeWireV2) { e.Wrapped = evilV1 })
	// The relay strips the head: the same envelope and signature as version 1.
	var v2 signedEnvelopeWireV2
	_ = keyLogDec.Unmarshal(bobEnv, &v2)
	asV1, _ := detEnc.Marshal(signedEnvelopeWire{Version: keyLogV1, Wrapped: evilV1, Cert: v2.Cert, Sig: v2.Sig})

	// Entries signed by others, for exactly this chat, epoch and recipient.
	signedBy := func(s *Sender) []byte {
		e, _ := NewKeyLogEntry(testEpochKey(t, 9), w.chat, w.epoch, w.head, []identity.AccountPublicKey{w.bob.Public()})
		se, err := SignKeyLogEntry(e, s)
		if err != nil {
			t.Fatal(err)
		}
		return se.Envelopes[0].Signed
	}
	// Mallory signs properly but ships Alice's certificate.
	tbs, _ := keyLogSignedBytes(keyLogV2, w.chat, w.epoch, w.bob.ID(), evilWrapped, w.head)
	certSwap := resignEnvelope(t, signedBy(w.malloryDev), w.malloryDev, tbs, func(e *signedEnvelopeWireV2) { e.Cert = w.aliceDev.cert })

	otherChat := w.chat
	otherChat[3] ^= 4
	tests := []struct {
		name       string
		signed     []byte
		chat       ids.Chat
		epoch      uint64
		me         *identity.AccountKey
		authorized []identity.AccountPublicKey
		want       error
	}{
		{"envelope swapped by the relay", swapped, w.chat, w.epoch, w.bob, w.admins(), ErrBadSignature},
		{"envelope downgraded to version 1", downgraded, w.chat, w.epoch, w.bob, w.admins(), ErrBadSignature},
		{"entry downgraded to version 1", asV1, w.chat, w.epoch, w.bob, w.admins(), ErrBadSignature},
		{"signed by a member who is not an admin", signedBy(w.bobDev), w.chat, w.epoch, w.bob, w.admins(), ErrWrongSender},
		{"signed by an outsider", signedBy(w.malloryDev), w.chat, w.epoch, w.bob, w.admins(), ErrWrongSender},
		{"outsider's signature under an admin's certificate", certSwap, w.chat, w.epoch, w.bob, w.admins(), ErrBadSignature},
		{"no authorized accounts", bobEnv, w.chat, w.epoch, w.bob, nil, ErrWrongSender},
		{"zero authorized key", bobEnv, w.chat, w.epoch, w.bob, []identity.AccountPublicKey{{}}, ErrWrongSender},
		{"replayed into another chat", bobEnv, otherChat, w.epoch, w.bob, w.admins(), ErrBadSignature},
		{"replayed as the next epoch", bobEnv, w.chat, w.epoch + 1, w.bob, w.admins(), ErrBadSignature},
		{"another member's envelope", aliceEnv, w.chat, w.epoch, w.bob, w.admins(), ErrBadSignature},
		{"garbage", []byte("not an entry"), w.chat, w.epoch, w.bob, w.admins(), ErrMalformed},
		{"oversize", make([]byte, MaxSignedEnvelopeSize+1), w.chat, w.epoch, w.bob, w.admins(), ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := VerifyKeyLogEntry(tt.signed, tt.chat, tt.epoch, tt.me, tt.authorized); !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
	if _, _, err := VerifyKeyLogEntry(bobEnv, w.chat, w.epoch, nil, w.admins()); err == nil {
		t.Fatal("verified without an account key")
	}
}

// TestKeyLogHeadBinding is the attack the head closes: the relay presents an epoch
// key as made for another position of the membership log than its signer chose —
// one where the signer was still an admin, say, or one after a member it excluded
// was added. Against the weakened construction (version 1: no head is signed, so
// the head a reader uses comes from the relay) the same entry is accepted whatever
// head the relay names; against version 2, a changed head fails the signature.
func TestKeyLogHeadBinding(t *testing.T) {
	w := newWorld(t)
	e, err := NewKeyLogEntry(w.key, w.chat, w.epoch, w.head, []identity.AccountPublicKey{w.bob.Public()})
	if err != nil {
		t.Fatal(err)
	}
	relayHead := LogHead{Seq: w.head.Seq - 10, Hash: [32]byte{1}}

	// Weakened: a version 1 entry binds no head; it parses the same for any head.
	e1, err := NewKeyLogEntry(w.key, w.chat, w.epoch, LogHead{}, []identity.AccountPublicKey{w.bob.Public().WithoutKEM()})
	if err != nil {
		t.Fatal(err)
	}
	v1, _ := signV1(t, e1, w.aliceDev).Envelope(w.bob.ID())
	info, err := ParseKeyLogEntry(v1, w.chat, w.epoch, w.bob.ID())
	if err != nil {
		t.Fatal(err)
	}
	if info.Version != 1 || info.Head != (LogHead{}) {
		t.Fatalf("version 1 entry: %+v", info)
	}
	if k, err := info.Open(w.bob); err != nil || !k.Equal(w.key) {
		t.Fatalf("version 1 entry opens: %v", err)
	}
	// ...so nothing in it refutes the relay's head: the attack succeeds.

	// Real: version 2 signs the head; the relay's head fails, the signer's passes.
	signed, err := SignKeyLogEntry(e, w.aliceDev)
	if err != nil {
		t.Fatal(err)
	}
	v2, _ := signed.Envelope(w.bob.ID())
	for name, mod := range map[string]func(*signedEnvelopeWireV2){
		"older head":           func(x *signedEnvelopeWireV2) { x.HeadSeq, x.HeadHash = relayHead.Seq, relayHead.Hash[:] },
		"same seq, other hash": func(x *signedEnvelopeWireV2) { x.HeadHash = relayHead.Hash[:] },
		"same hash, next seq":  func(x *signedEnvelopeWireV2) { x.HeadSeq++ },
		"zero head":            func(x *signedEnvelopeWireV2) { x.HeadSeq, x.HeadHash = 0, make([]byte, 32) },
	} {
		if _, err := ParseKeyLogEntry(resignEnvelope(t, v2, nil, nil, mod), w.chat, w.epoch, w.bob.ID()); !errors.Is(err, ErrBadSignature) {
			t.Errorf("%s: err = %v, want ErrBadSignature", name, err)
		}
	}
	info, err = ParseKeyLogEntry(v2, w.chat, w.epoch, w.bob.ID())
	if err != nil || info.Head != w.head {
		t.Fatalf("genuine head: %+v, %v", info.Head, err)
	}
}

// TestKeyLogVersion1StillRead: entries written before version 2 parse (no head) and
// open, through both entry points.
func TestKeyLogVersion1StillRead(t *testing.T) {
	w := newWorld(t)
	e, _ := NewKeyLogEntry(w.key, w.chat, w.epoch, LogHead{}, []identity.AccountPublicKey{w.bob.Public().WithoutKEM()})
	env, _ := signV1(t, e, w.aliceDev).Envelope(w.bob.ID())
	k, cert, err := VerifyKeyLogEntry(env, w.chat, w.epoch, w.bob, w.admins())
	if err != nil || !k.Equal(w.key) || !cert.Account.Equal(w.alice.Public()) {
		t.Fatalf("version 1 entry: %v", err)
	}
	// A version 1 entry never held a version 2 envelope.
	e2, _ := NewKeyLogEntry(w.key, w.chat, w.epoch, LogHead{}, []identity.AccountPublicKey{w.bob.Public()})
	odd, _ := signV1(t, e2, w.aliceDev).Envelope(w.bob.ID())
	if _, err := ParseKeyLogEntry(odd, w.chat, w.epoch, w.bob.ID()); !errors.Is(err, ErrMalformed) {
		t.Fatalf("version 1 entry with a version 2 envelope: err = %v", err)
	}
}

func TestKeyLogEntryInfoOpen(t *testing.T) {
	w := newWorld(t)
	env, _ := w.signedEntry(t).Envelope(w.bob.ID())
	info, err := ParseKeyLogEntry(env, w.chat, w.epoch, w.bob.ID())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := info.Open(w.alice); !errors.Is(err, ErrDecrypt) {
		t.Errorf("opened by another member: err = %v", err)
	}
	if _, err := info.Open(nil); err == nil {
		t.Error("opened without a key")
	}
	if _, err := (KeyLogEntryInfo{Recipient: w.bob.ID()}).Open(w.bob); !errors.Is(err, ErrMalformed) {
		t.Errorf("zero info: err = %v", err)
	}
}

// TestSignedEnvelopeSizeLimit builds the largest signed envelope there can be — a
// version 2 envelope, a certificate with the longest issue time, the largest head
// sequence number — and checks MaxSignedEnvelopeSize holds it.
func TestSignedEnvelopeSizeLimit(t *testing.T) {
	w := newWorld(t)
	dev, _ := identity.DeviceKeyFromSeeds(seed(20), seed(21))
	cert, err := identity.IssueCertificate(w.alice, dev.Public(), time.Unix(math.MaxInt64, 0))
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSender(dev, cert)
	if err != nil {
		t.Fatal(err)
	}
	head := LogHead{Seq: math.MaxUint64}
	e, _ := NewKeyLogEntry(w.key, w.chat, math.MaxUint64, head, []identity.AccountPublicKey{w.bob.Public()})
	signed, err := SignKeyLogEntry(e, s)
	if err != nil {
		t.Fatal(err)
	}
	n := len(signed.Envelopes[0].Signed)
	if n != 1497 || n > MaxSignedEnvelopeSize {
		t.Fatalf("largest signed envelope: %d bytes (limit %d), want 1497", n, MaxSignedEnvelopeSize)
	}
	if _, err := ParseKeyLogEntry(signed.Envelopes[0].Signed, w.chat, math.MaxUint64, w.bob.ID()); err != nil {
		t.Fatal(err)
	}
}

func TestParseKeyLogEntryBitFlips(t *testing.T) {
	w := newWorld(t)
	e, _ := NewKeyLogEntry(w.key, w.chat, w.epoch, w.head, []identity.AccountPublicKey{w.bob.Public()})
	signed, _ := SignKeyLogEntry(e, w.aliceDev)
	env := signed.Envelopes[0].Signed
	// The wrapped envelope's bytes are only hashed here: opaque.
	from := bytes.Index(env, e.Envelopes[0].Wrapped)
	testutil.EachBitFlip(env, from, from+len(e.Envelopes[0].Wrapped), func(bad []byte, i, bit int) {
		_, err := ParseKeyLogEntry(bad, w.chat, w.epoch, w.bob.ID())
		if err == nil {
			t.Fatalf("bit %d of byte %d flipped: accepted", bit, i)
		}
		if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrBadSignature) {
			t.Fatalf("bit %d of byte %d flipped: untyped error %v", bit, i, err)
		}
	})
}

func TestParseKeyLogEntryTruncations(t *testing.T) {
	w := newWorld(t)
	env, _ := w.signedEntry(t).Envelope(w.bob.ID())
	for n := 0; n < len(env); n++ {
		if _, err := ParseKeyLogEntry(env[:n], w.chat, w.epoch, w.bob.ID()); !errors.Is(err, ErrMalformed) {
			t.Fatalf("truncated to %d of %d bytes: err = %v", n, len(env), err)
		}
	}
	if _, err := ParseKeyLogEntry(append(bytes.Clone(env), 0), w.chat, w.epoch, w.bob.ID()); !errors.Is(err, ErrMalformed) {
		t.Fatalf("trailing byte: err = %v", err)
	}
}
