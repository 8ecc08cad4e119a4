package chatcrypto

import (
	"bytes"
	"errors"
	"testing"

	"hush/identity"
	"hush/ids"
)

// signedEntry is epoch w.epoch of w.chat for Alice and Bob, signed by Alice's device.
func (w *world) signedEntry(t testing.TB) SignedKeyLogEntry {
	t.Helper()
	e, err := NewKeyLogEntry(w.key, w.chat, w.epoch, []identity.AccountPublicKey{w.alice.Public(), w.bob.Public()})
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

func TestKeyLogRoundTrip(t *testing.T) {
	w := newWorld(t)
	s := w.signedEntry(t)
	if s.ChatID != w.chat || s.Epoch != w.epoch || len(s.Envelopes) != 2 {
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

func TestNewKeyLogEntryRejects(t *testing.T) {
	w := newWorld(t)
	if _, err := NewKeyLogEntry(w.key, w.chat, 1, nil); err == nil {
		t.Fatal("entry without members")
	}
	if _, err := NewKeyLogEntry(w.key, w.chat, 1, []identity.AccountPublicKey{w.bob.Public(), w.bob.Public()}); !errors.Is(err, ErrMalformed) {
		t.Fatalf("duplicate member: err = %v", err)
	}
	if _, err := NewKeyLogEntry(EpochKey{}, w.chat, 1, []identity.AccountPublicKey{w.bob.Public()}); err == nil {
		t.Fatal("zero key accepted")
	}
	if _, err := NewKeyLogEntry(w.key, w.chat, 1, make([]identity.AccountPublicKey, MaxKeyLogRecipients+1)); err == nil {
		t.Fatal("too many members accepted")
	}
}

func TestSignKeyLogEntryRejectsBadShape(t *testing.T) {
	w := newWorld(t)
	e, _ := NewKeyLogEntry(w.key, w.chat, w.epoch, []identity.AccountPublicKey{w.alice.Public(), w.bob.Public()})
	swapped := KeyLogEntry{ChatID: e.ChatID, Epoch: e.Epoch, Envelopes: []Envelope{e.Envelopes[1], e.Envelopes[0]}}
	dup := KeyLogEntry{ChatID: e.ChatID, Epoch: e.Epoch, Envelopes: []Envelope{e.Envelopes[0], e.Envelopes[0]}}
	short := KeyLogEntry{ChatID: e.ChatID, Epoch: e.Epoch, Envelopes: []Envelope{{Recipient: e.Envelopes[0].Recipient, Wrapped: []byte{1}}}}
	many := KeyLogEntry{ChatID: e.ChatID, Epoch: e.Epoch}
	for i := 0; i <= MaxKeyLogRecipients; i++ {
		var id ids.Account
		id[0], id[1] = byte(i>>8), byte(i)
		many.Envelopes = append(many.Envelopes, Envelope{Recipient: id, Wrapped: e.Envelopes[0].Wrapped})
	}
	for name, bad := range map[string]KeyLogEntry{
		"unsorted": swapped, "duplicate": dup, "short envelope": short, "empty": {ChatID: w.chat}, "over the limit": many,
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

// resignEnvelope re-signs Bob's envelope after mod changed its wire form, with s.
func resignEnvelope(t *testing.T, signed []byte, s *Sender, tbs []byte, mod func(*signedEnvelopeWire)) []byte {
	t.Helper()
	var w signedEnvelopeWire
	if err := keyLogDec.Unmarshal(signed, &w); err != nil {
		t.Fatal(err)
	}
	mod(&w)
	if tbs != nil {
		w.Sig = s.dev.Sign(keyLogSigLabel, tbs)
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

	// The relay swaps in an envelope wrapping a key of its choosing.
	evilWrapped, _ := WrapEpochKey(testEpochKey(t, 9), w.chat, w.epoch, w.bob.Public())
	swapped := resignEnvelope(t, bobEnv, nil, nil, func(e *signedEnvelopeWire) { e.Wrapped = evilWrapped })

	// Entries signed by others, for exactly this chat, epoch and recipient.
	signedBy := func(s *Sender) []byte {
		e, _ := NewKeyLogEntry(testEpochKey(t, 9), w.chat, w.epoch, []identity.AccountPublicKey{w.bob.Public()})
		se, err := SignKeyLogEntry(e, s)
		if err != nil {
			t.Fatal(err)
		}
		return se.Envelopes[0].Signed
	}
	// Mallory signs properly but ships Alice's certificate.
	tbs, _ := keyLogSignedBytes(w.chat, w.epoch, w.bob.ID(), evilWrapped)
	certSwap := resignEnvelope(t, signedBy(w.malloryDev), w.malloryDev, tbs, func(e *signedEnvelopeWire) { e.Cert = w.aliceDev.cert })

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

func TestVerifyKeyLogEntryBitFlips(t *testing.T) {
	w := newWorld(t)
	env, _ := w.signedEntry(t).Envelope(w.bob.ID())
	for i := range env {
		for bit := 0; bit < 8; bit++ {
			bad := bytes.Clone(env)
			bad[i] ^= 1 << bit
			_, _, err := VerifyKeyLogEntry(bad, w.chat, w.epoch, w.bob, w.admins())
			if err == nil {
				t.Fatalf("bit %d of byte %d flipped: accepted", bit, i)
			}
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrBadSignature) && !errors.Is(err, ErrWrongSender) {
				t.Fatalf("bit %d of byte %d flipped: untyped error %v", bit, i, err)
			}
		}
	}
}

func TestVerifyKeyLogEntryTruncations(t *testing.T) {
	w := newWorld(t)
	env, _ := w.signedEntry(t).Envelope(w.bob.ID())
	for n := 0; n < len(env); n++ {
		if _, _, err := VerifyKeyLogEntry(env[:n], w.chat, w.epoch, w.bob, w.admins()); !errors.Is(err, ErrMalformed) {
			t.Fatalf("truncated to %d of %d bytes: err = %v", n, len(env), err)
		}
	}
	if _, _, err := VerifyKeyLogEntry(append(bytes.Clone(env), 0), w.chat, w.epoch, w.bob, w.admins()); !errors.Is(err, ErrMalformed) {
		t.Fatalf("trailing byte: err = %v", err)
	}
}
