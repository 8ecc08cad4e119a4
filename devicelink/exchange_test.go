package devicelink

import (
	"testing"
	"time"

	"hush/identity"
)

// TestExchange runs a whole link between a sponsor and a newcomer, every message
// through the codec: both show the same SAS, and the newcomer ends with the
// account's keys and a certificate for its own device key.
func TestExchange(t *testing.T) {
	x := runExchange(t)
	if !x.sasSponsor.Equal(x.sasNew) || x.sasSponsor.Digits() != x.sasNew.Digits() {
		t.Fatal("the two sides show different SAS")
	}
	if x.sponsor.Transcript() != x.newcomer.Transcript() || x.sponsor.Transcript() == ([32]byte{}) {
		t.Fatal("transcripts differ")
	}
	if !x.sponsor.Device().Equal(x.device.Public()) || !x.newcomer.Account().Equal(x.account.Public()) {
		t.Fatal("the sides do not know each other's keys")
	}
	want := testBundle(t, x.account, x.sponsor.Device())
	sealed, err := x.sponsor.SealBundle(want)
	if err != nil {
		t.Fatal(err)
	}
	got, err := x.newcomer.OpenBundle(roundTrip(t, SealedBundle{Sealed: sealed}).Sealed)
	if err != nil {
		t.Fatal(err)
	}
	sameBundle(t, got, want)
	joined, err := identity.AccountKeyFromSeeds(got.SigningSeed, got.EncryptionKey, got.KEMSeed)
	if err != nil || joined.ID() != x.account.ID() || !joined.Public().Equal(x.account.Public()) {
		t.Fatalf("the newcomer holds another account: %v", err)
	}
	cert, err := identity.ParseCertificate(got.Certificate)
	if err != nil || !cert.Device.Equal(x.device.Public()) {
		t.Fatalf("certificate: %v", err)
	}

	// Each side did its last step: nothing more is accepted.
	if _, err := x.sponsor.SealBundle(want); err == nil {
		t.Fatal("sealed twice")
	}
	if _, err := x.newcomer.OpenBundle(sealed); err == nil {
		t.Fatal("opened twice")
	}
}

// TestRelaySubstitutesLinkKey: the relay hands the sponsor its own link key, to
// read the bundle. The code's key hash gives it away.
func TestRelaySubstitutesLinkKey(t *testing.T) {
	key := testLinkKey(t)
	code := testCode(t, key.PublicKey())
	relayKey, err := NewLinkKey()
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = NewSponsor(code, relayKey.PublicKey(), testAccount(t).Public(), start)
	wantErr(t, err, ErrKeyMismatch)
}

// TestRelayRevealsOtherAccount: the relay passes the real sponsor's commit on, then
// answers the newcomer's reply with a reveal of its own account (with the real
// nonce, or its own): the commitment does not open.
func TestRelayRevealsOtherAccount(t *testing.T) {
	relayAccount, err := identity.NewAccountKey()
	if err != nil {
		t.Fatal(err)
	}
	for name, tamper := range map[string]func(real Reveal) Reveal{
		"its account, real nonce": func(r Reveal) Reveal { return Reveal{Account: relayAccount.Public().Bytes(), Nonce: r.Nonce} },
		"its account and nonce":   func(r Reveal) Reveal { return Reveal{Account: relayAccount.Public().Bytes(), Nonce: [32]byte{1}} },
		"real account, new nonce": func(r Reveal) Reveal { r.Nonce[0] ^= 1; return r },
		"short account":           func(r Reveal) Reveal { r.Account = r.Account[:63]; return r },
	} {
		t.Run(name, func(t *testing.T) {
			key := testLinkKey(t)
			code := testCode(t, key.PublicKey())
			n, err := NewNewcomer(code, key, testDevice(t).Public())
			if err != nil {
				t.Fatal(err)
			}
			s, commit, err := NewSponsor(code, key.PublicKey(), testAccount(t).Public(), start)
			if err != nil {
				t.Fatal(err)
			}
			reply, err := n.OnCommit(commit, start)
			if err != nil {
				t.Fatal(err)
			}
			reveal, _, err := s.OnReply(reply)
			if err != nil {
				t.Fatal(err)
			}
			_, _, err = n.OnReveal(tamper(reveal))
			wantErr(t, err, ErrCommitMismatch)
			// The newcomer is done with this attempt: not even the real reveal is
			// taken now.
			_, _, err = n.OnReveal(reveal)
			wantErr(t, err, ErrOutOfOrder)
		})
	}
}

// TestRelayActsAsSponsor: the relay, holding its own account key, plays the
// sponsor toward the newcomer (its own commit and reveal) while the real sponsor
// talks to it. Everything checks out on both sides — but the two SAS differ, so the
// user refuses on the sponsor and the bundle is never sent. The relay had to commit
// before it saw the newcomer's nonce, so it could not choose its own to match.
func TestRelayActsAsSponsor(t *testing.T) {
	key := testLinkKey(t)
	code := testCode(t, key.PublicKey())
	device := testDevice(t).Public()
	relayAccount, err := identity.NewAccountKey()
	if err != nil {
		t.Fatal(err)
	}
	n, err := NewNewcomer(code, key, device)
	if err != nil {
		t.Fatal(err)
	}
	real, realCommit, err := NewSponsor(code, key.PublicKey(), testAccount(t).Public(), start)
	if err != nil {
		t.Fatal(err)
	}
	// The relay runs a sponsor of its own account with the same code and key.
	fake, fakeCommit, err := NewSponsor(code, key.PublicKey(), relayAccount.Public(), start)
	if err != nil {
		t.Fatal(err)
	}
	if realCommit == fakeCommit {
		t.Fatal("commits are equal")
	}
	reply, err := n.OnCommit(fakeCommit, start)
	if err != nil {
		t.Fatal(err)
	}
	fakeReveal, fakeSAS, err := fake.OnReply(reply)
	if err != nil {
		t.Fatal(err)
	}
	_, realSAS, err := real.OnReply(reply) // the relay forwards the reply too
	if err != nil {
		t.Fatal(err)
	}
	joined, newcomerSAS, err := n.OnReveal(fakeReveal)
	if err != nil {
		t.Fatalf("the relay's own reveal fails: %v", err)
	}
	if !joined.Equal(relayAccount.Public()) {
		t.Fatal("the newcomer did not take the relay's account")
	}
	if !newcomerSAS.Equal(fakeSAS) {
		t.Fatal("the newcomer and the relay should agree")
	}
	if newcomerSAS.Equal(realSAS) {
		t.Fatal("the newcomer and the real sponsor show the same SAS")
	}
	t.Logf("newcomer shows %v %s, the real sponsor %v %s", newcomerSAS.Emoji(), newcomerSAS.Digits(), realSAS.Emoji(), realSAS.Digits())

	// Had the user not compared, the real sponsor's bundle still would not open on
	// the newcomer: it is sealed to another transcript.
	sealed, err := real.SealBundle(testBundle(t, testAccount(t), device))
	if err != nil {
		t.Fatal(err)
	}
	_, err = n.OpenBundle(sealed)
	wantErr(t, err, ErrBadBundle)
}

// TestRelaySubstitutesDevice: the relay puts its own device key in the newcomer's
// reply toward the sponsor, to get a certificate for it. The SAS differ.
func TestRelaySubstitutesDevice(t *testing.T) {
	key := testLinkKey(t)
	code := testCode(t, key.PublicKey())
	n, err := NewNewcomer(code, key, testDevice(t).Public())
	if err != nil {
		t.Fatal(err)
	}
	s, commit, err := NewSponsor(code, key.PublicKey(), testAccount(t).Public(), start)
	if err != nil {
		t.Fatal(err)
	}
	reply, err := n.OnCommit(commit, start)
	if err != nil {
		t.Fatal(err)
	}
	relayDevice, err := identity.NewDeviceKey()
	if err != nil {
		t.Fatal(err)
	}
	reveal, sponsorSAS, err := s.OnReply(Reply{Nonce: reply.Nonce, Device: relayDevice.Public().Bytes()})
	if err != nil {
		t.Fatal(err)
	}
	_, newcomerSAS, err := n.OnReveal(reveal)
	if err != nil {
		t.Fatal(err)
	}
	if sponsorSAS.Equal(newcomerSAS) {
		t.Fatal("the same SAS with a substituted device key")
	}
}

// TestExpiredCode: both sides refuse a code past its expiry.
func TestExpiredCode(t *testing.T) {
	key := testLinkKey(t)
	code := testCode(t, key.PublicKey())
	late := code.Expires
	_, _, err := NewSponsor(code, key.PublicKey(), testAccount(t).Public(), late)
	wantErr(t, err, ErrExpired)
	if _, _, err := NewSponsor(code, key.PublicKey(), testAccount(t).Public(), late.Add(-time.Second)); err != nil {
		t.Fatalf("a second before expiry: %v", err)
	}

	n, err := NewNewcomer(code, key, testDevice(t).Public())
	if err != nil {
		t.Fatal(err)
	}
	_, err = n.OnCommit(Commit{}, late)
	wantErr(t, err, ErrExpired)
}

// TestBundleForOtherTranscript: a bundle sealed in one exchange does not open in
// another with the same link key and account (the relay replays an old one, or
// swaps two running at once).
func TestBundleForOtherTranscript(t *testing.T) {
	a, b := runExchange(t), runExchange(t)
	if a.newcomer.Transcript() == b.newcomer.Transcript() {
		t.Fatal("two exchanges with the same transcript")
	}
	sealed, err := a.sponsor.SealBundle(testBundle(t, a.account, a.sponsor.Device()))
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.newcomer.OpenBundle(sealed)
	wantErr(t, err, ErrBadBundle)
}

// TestCommitForOtherSession: a commit made for another session does not open with
// the same account and nonce in this one.
func TestCommitForOtherSession(t *testing.T) {
	key := testLinkKey(t)
	code := testCode(t, key.PublicKey())
	other := code
	other.Session[0] ^= 1
	s, commit, err := NewSponsor(other, key.PublicKey(), testAccount(t).Public(), start)
	if err != nil {
		t.Fatal(err)
	}
	n, err := NewNewcomer(code, key, testDevice(t).Public())
	if err != nil {
		t.Fatal(err)
	}
	reply, err := n.OnCommit(commit, start)
	if err != nil {
		t.Fatal(err)
	}
	reveal, _, err := s.OnReply(reply)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = n.OnReveal(reveal)
	wantErr(t, err, ErrCommitMismatch)
}

// TestStepsInOrder: each side takes its steps once, in order, and stays failed
// after an error.
func TestStepsInOrder(t *testing.T) {
	key := testLinkKey(t)
	code := testCode(t, key.PublicKey())
	device := testDevice(t).Public()
	account := testAccount(t)
	bundle := testBundle(t, account, device)
	newSponsor := func(t *testing.T) (*Sponsor, Commit) {
		s, c, err := NewSponsor(code, key.PublicKey(), account.Public(), start)
		if err != nil {
			t.Fatal(err)
		}
		return s, c
	}
	newNewcomer := func(t *testing.T) *Newcomer {
		n, err := NewNewcomer(code, key, device)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	t.Run("sponsor seals before the reply", func(t *testing.T) {
		s, _ := newSponsor(t)
		_, err := s.SealBundle(bundle)
		wantErr(t, err, ErrOutOfOrder)
	})
	t.Run("sponsor takes two replies", func(t *testing.T) {
		s, _ := newSponsor(t)
		r := Reply{Device: device.Bytes()}
		if _, _, err := s.OnReply(r); err != nil {
			t.Fatal(err)
		}
		_, _, err := s.OnReply(r)
		wantErr(t, err, ErrOutOfOrder)
		_, err = s.SealBundle(bundle)
		wantErr(t, err, ErrOutOfOrder)
	})
	t.Run("sponsor after a bad reply", func(t *testing.T) {
		s, _ := newSponsor(t)
		_, _, err := s.OnReply(Reply{Device: make([]byte, 63)})
		wantErr(t, err, ErrBadMessage)
		_, _, err = s.OnReply(Reply{Device: device.Bytes()})
		wantErr(t, err, ErrOutOfOrder)
	})
	t.Run("sponsor seals a bundle for another device", func(t *testing.T) {
		s, _ := newSponsor(t)
		if _, _, err := s.OnReply(Reply{Device: device.Bytes()}); err != nil {
			t.Fatal(err)
		}
		other, err := identity.NewDeviceKey()
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.SealBundle(testBundle(t, account, other.Public()))
		wantErr(t, err, ErrBadBundle)
	})
	t.Run("sponsor seals another account's keys", func(t *testing.T) {
		s, _ := newSponsor(t)
		if _, _, err := s.OnReply(Reply{Device: device.Bytes()}); err != nil {
			t.Fatal(err)
		}
		other, err := identity.NewAccountKey()
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.SealBundle(testBundle(t, other, device))
		wantErr(t, err, ErrWrongAccount)
	})
	t.Run("newcomer takes a reveal before the commit", func(t *testing.T) {
		n := newNewcomer(t)
		_, _, err := n.OnReveal(Reveal{})
		wantErr(t, err, ErrOutOfOrder)
		_, err = n.OnCommit(Commit{}, start)
		wantErr(t, err, ErrOutOfOrder)
	})
	t.Run("newcomer takes two commits", func(t *testing.T) {
		n := newNewcomer(t)
		if _, err := n.OnCommit(Commit{}, start); err != nil {
			t.Fatal(err)
		}
		_, err := n.OnCommit(Commit{}, start)
		wantErr(t, err, ErrOutOfOrder)
	})
	t.Run("newcomer opens before the reveal", func(t *testing.T) {
		n := newNewcomer(t)
		if _, err := n.OnCommit(Commit{}, start); err != nil {
			t.Fatal(err)
		}
		_, err := n.OpenBundle(make([]byte, 2000))
		wantErr(t, err, ErrOutOfOrder)
	})
	t.Run("newcomer opens a bundle for another device", func(t *testing.T) {
		x := runExchange(t)
		other, err := identity.NewDeviceKey()
		if err != nil {
			t.Fatal(err)
		}
		// A sponsor that skips its own check (SealBundle alone) and certifies
		// another device.
		sealed, err := SealBundle(x.key.PublicKey(), x.sponsor.Transcript(), testBundle(t, x.account, other.Public()))
		if err != nil {
			t.Fatal(err)
		}
		_, err = x.newcomer.OpenBundle(sealed)
		wantErr(t, err, ErrBadBundle)
	})
	t.Run("newcomer with a key the code does not name", func(t *testing.T) {
		other, err := NewLinkKey()
		if err != nil {
			t.Fatal(err)
		}
		_, err = NewNewcomer(code, other, device)
		wantErr(t, err, ErrKeyMismatch)
		if _, err := NewNewcomer(code, key, identity.DevicePublicKey{}); err == nil {
			t.Fatal("no device key accepted")
		}
		if _, err := NewNewcomer(code, nil, device); err == nil {
			t.Fatal("no link key accepted")
		}
	})
	t.Run("sponsor without an account", func(t *testing.T) {
		if _, _, err := NewSponsor(code, key.PublicKey(), identity.AccountPublicKey{}, start); err == nil {
			t.Fatal("accepted")
		}
	})
}
