package secretsession

import (
	"bytes"
	"errors"
	"testing"

	"hush/internal/testutil"
	"hush/pqxdh"
	"hush/ratchet"
)

// TestOpenRefuses is what a relay (or anyone on the way) can do to frames of an
// established session: each attempt fails with the error named, leaves the
// session as it was, and the next genuine frame still opens.
func TestOpenRefuses(t *testing.T) {
	for _, tc := range []struct {
		name string
		// attack returns the frame to give the victim (Bob, unless toAlice) from
		// the session p and a genuine frame f of Alice's.
		attack  func(t *testing.T, p *pair, f []byte) []byte
		toAlice bool
		want    []error
	}{
		{
			name: "replayed into another chat between the same devices",
			attack: func(t *testing.T, p *pair, f []byte) []byte {
				other := newPair(t, chatID(2))
				return mustSeal(t, other.aliceS, "for chat 2")
			},
			want: []error{ErrWrongChat},
		},
		{
			name: "replayed from another chat, the chat id rewritten",
			attack: func(t *testing.T, p *pair, f []byte) []byte {
				other := newPair(t, chatID(2))
				return reframe(t, mustSeal(t, other.aliceS, "for chat 2"), func(fr *frame) { fr.chat = chatID(1) })
			},
			want: []error{ErrOtherSession},
		},
		{
			name: "replayed from another chat after its handshake, the chat id rewritten",
			attack: func(t *testing.T, p *pair, f []byte) []byte {
				other := newPair(t, chatID(2))
				mustOpen(t, other.aliceS, mustSeal(t, other.bobS, "ack"), "ack")
				return reframe(t, mustSeal(t, other.aliceS, "for chat 2"), func(fr *frame) { fr.chat = chatID(1) })
			},
			want: []error{ErrDecrypt},
		},
		{
			name: "chat id rewritten",
			attack: func(t *testing.T, p *pair, f []byte) []byte {
				return reframe(t, f, func(fr *frame) { fr.chat = chatID(2) })
			},
			want: []error{ErrWrongChat},
		},
		{
			name:    "reflected back to its sender",
			attack:  func(t *testing.T, p *pair, f []byte) []byte { return f },
			toAlice: true,
			want:    []error{ErrWrongPeer},
		},
		{
			name: "reflected, with sender and recipient swapped",
			attack: func(t *testing.T, p *pair, f []byte) []byte {
				return reframe(t, f, func(fr *frame) { fr.from, fr.to, fr.initial = fr.to, fr.from, nil })
			},
			toAlice: true,
			want:    []error{ErrDecrypt},
		},
		{
			name: "reflected, with sender and recipient swapped, with the initial message",
			attack: func(t *testing.T, p *pair, f []byte) []byte {
				return reframe(t, f, func(fr *frame) { fr.from, fr.to = fr.to, fr.from })
			},
			toAlice: true,
			want:    []error{ErrMalformed},
		},
		{
			name: "for another device",
			attack: func(t *testing.T, p *pair, f []byte) []byte {
				return reframe(t, f, func(fr *frame) { fr.to = testMallory(t).ID() })
			},
			want: []error{ErrWrongPeer},
		},
		{
			name: "ratchet message of a genuine frame altered",
			attack: func(t *testing.T, p *pair, f []byte) []byte {
				return reframe(t, f, func(fr *frame) { fr.message[len(fr.message)-1] ^= 1 })
			},
			want: []error{ErrDecrypt, ratchet.ErrDecrypt},
		},
		{
			name: "ratchet message truncated",
			attack: func(t *testing.T, p *pair, f []byte) []byte {
				return reframe(t, f, func(fr *frame) { fr.message = fr.message[:3] })
			},
			want: []error{ErrMalformed},
		},
		{
			name: "initial message sent by the responder",
			attack: func(t *testing.T, p *pair, f []byte) []byte {
				g := mustSeal(t, p.bobS, "reply")
				return reframe(t, g, func(fr *frame) { fr.initial = bytes.Clone(p.aliceS.initial) })
			},
			toAlice: true,
			want:    []error{ErrMalformed},
		},
		{
			name: "replayed",
			attack: func(t *testing.T, p *pair, f []byte) []byte {
				mustOpen(t, p.bobS, f, "genuine")
				return f
			},
			want: []error{ErrReplay, ratchet.ErrDuplicate},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := newPair(t, chatID(1))
			f := mustSeal(t, p.aliceS, "genuine")
			bad := tc.attack(t, p, f)
			victim := p.bobS
			if tc.toAlice {
				victim = p.aliceS
			}
			wantOpenErr(t, victim, bad, tc.want...)
			if tc.toAlice {
				mustOpen(t, p.aliceS, mustSeal(t, p.bobS, "reply"), "reply")
				return
			}
			if _, err := p.bobS.Open(f); err != nil && !errors.Is(err, ErrReplay) {
				t.Fatalf("the genuine frame after the attack: %v", err)
			}
			mustOpen(t, p.bobS, mustSeal(t, p.aliceS, "next"), "next")
		})
	}
}

// TestChatBound checks that the chat id is bound to every frame by the ratchet's
// associated data, not only checked in the clear: Bob's very session under another
// chat id does not open Alice's frame relabelled for that chat.
func TestChatBound(t *testing.T) {
	p := newPair(t, chatID(1))
	var w sessionWire
	if err := dec.Unmarshal(encodeSession(t, p.bobS), &w); err != nil {
		t.Fatal(err)
	}
	w.Chat = chatID(2)
	relabelled, err := enc.Marshal(w)
	if err != nil {
		t.Fatal(err)
	}
	var bob2 Session
	if err := bob2.UnmarshalBinary(relabelled); err != nil {
		t.Fatal(err)
	}
	f := mustSeal(t, p.aliceS, "for chat 1")
	wantOpenErr(t, &bob2, reframe(t, f, func(fr *frame) { fr.chat = chatID(2) }), ErrDecrypt)
	mustOpen(t, p.bobS, f, "for chat 1")
}

// TestEveryBitFlip changes each bit of a frame in turn: every altered frame fails
// to open and leaves the session unchanged, and then the genuine frame opens.
func TestEveryBitFlip(t *testing.T) {
	for _, early := range []bool{true, false} {
		name := map[bool]string{true: "with the initial message", false: "ratchet message only"}[early]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p := newPair(t, chatID(1))
			if !early {
				mustOpen(t, p.aliceS, mustSeal(t, p.bobS, "ack"), "ack")
			}
			f := mustSeal(t, p.aliceS, "genuine")
			if got, _ := ReadFrameInfo(f); got.Initial != early {
				t.Fatalf("initial message in the frame: %v", got.Initial)
			}
			before := encodeSession(t, p.bobS)
			testutil.EachBitFlip(f, 60, len(f), func(bad []byte, i, bit int) {
				if _, err := p.bobS.Open(bad); err == nil {
					t.Fatalf("opened with byte %d bit %d flipped", i, bit)
				}
			})
			if !bytes.Equal(before, encodeSession(t, p.bobS)) {
				t.Fatal("altered frames changed the session")
			}
			mustOpen(t, p.bobS, f, "genuine")
		})
	}
}

// TestHandshakeAttacks is what the relay can do to the handshake itself.
func TestHandshakeAttacks(t *testing.T) {
	t.Run("bundle of another device", func(t *testing.T) {
		t.Parallel()
		_, mallory := newStore(t, testMallory(t), 1)
		_, err := Start(testAlice(t), testBob(t).Public(), mallory.bundle(), chatID(1))
		if !errors.Is(err, pqxdh.ErrWrongPeer) {
			t.Fatalf("Start: %v, want pqxdh.ErrWrongPeer", err)
		}
	})
	t.Run("bundle with another device's prekeys", func(t *testing.T) {
		t.Parallel()
		_, bob := newStore(t, testBob(t), 1)
		_, mallory := newStore(t, testMallory(t), 1)
		b := mallory.bundle()
		b.Device = bob.pub.Device
		_, err := Start(testAlice(t), testBob(t).Public(), b, chatID(1))
		if !errors.Is(err, pqxdh.ErrBadSignature) {
			t.Fatalf("Start: %v, want pqxdh.ErrBadSignature", err)
		}
	})
	t.Run("a session with oneself", func(t *testing.T) {
		t.Parallel()
		_, alice := newStore(t, testAlice(t), 1)
		if _, err := Start(testAlice(t), testAlice(t).Public(), alice.bundle(), chatID(1)); !errors.Is(err, ErrWrongPeer) {
			t.Fatalf("Start: %v, want ErrWrongPeer", err)
		}
	})
	t.Run("a second, different initial message for an accepted chat", func(t *testing.T) {
		t.Parallel()
		p := newPair(t, chatID(1))
		again := mustStart(t, p.alice, p.bob.Public(), p.relay.bundle(), chatID(1))
		wantOpenErr(t, p.bobS, mustSeal(t, again, "restarted"), ErrOtherSession)
		// The same initial message again is the same session.
		mustOpen(t, p.bobS, mustSeal(t, p.aliceS, "still here"), "still here")
	})
	t.Run("the responder's one-time prekey served twice", func(t *testing.T) {
		t.Parallel()
		alice, bob := testAlice(t), testBob(t)
		store, rel := newStore(t, bob, 2)
		b := rel.peek()
		first := mustStart(t, alice, bob.Public(), b, chatID(1))
		second := mustStart(t, testMallory(t), bob.Public(), b, chatID(2))
		if _, _, err := Accept(bob, store, mustSeal(t, first, "first")); err != nil {
			t.Fatal(err)
		}
		if _, _, err := Accept(bob, store, mustSeal(t, second, "second")); !errors.Is(err, pqxdh.ErrPrekeyUsed) {
			t.Fatalf("Accept: %v, want pqxdh.ErrPrekeyUsed", err)
		}
	})
	t.Run("the first frame replayed to a new session", func(t *testing.T) {
		t.Parallel()
		alice, bob := testAlice(t), testBob(t)
		store, rel := newStore(t, bob, 2)
		s := mustStart(t, alice, bob.Public(), rel.bundle(), chatID(1))
		f := mustSeal(t, s, "first")
		if _, _, err := Accept(bob, store, f); err != nil {
			t.Fatal(err)
		}
		if _, _, err := Accept(bob, store, f); !errors.Is(err, pqxdh.ErrPrekeyUsed) {
			t.Fatalf("Accept: %v, want pqxdh.ErrPrekeyUsed", err)
		}
	})
	t.Run("a frame without an initial message", func(t *testing.T) {
		t.Parallel()
		p := newPair(t, chatID(1))
		mustOpen(t, p.aliceS, mustSeal(t, p.bobS, "ack"), "ack")
		if _, _, err := Accept(p.bob, p.store, mustSeal(t, p.aliceS, "later")); !errors.Is(err, ErrNoSession) {
			t.Fatalf("Accept: %v, want ErrNoSession", err)
		}
	})
	t.Run("initial message stripped from an early frame", func(t *testing.T) {
		t.Parallel()
		alice, bob := testAlice(t), testBob(t)
		store, rel := newStore(t, bob, 1)
		s := mustStart(t, alice, bob.Public(), rel.bundle(), chatID(1))
		strip := func(fr *frame) { fr.initial = nil }
		// Before the responder has the session, the frame cannot start it.
		if _, _, err := Accept(bob, store, reframe(t, mustSeal(t, s, "early"), strip)); !errors.Is(err, ErrNoSession) {
			t.Fatalf("Accept: %v, want ErrNoSession", err)
		}
		bobS, _, err := Accept(bob, store, mustSeal(t, s, "first"))
		if err != nil {
			t.Fatal(err)
		}
		// After, it is harmless: the initial message only starts the session.
		mustOpen(t, bobS, reframe(t, mustSeal(t, s, "second"), strip), "second")
	})
	t.Run("a first frame for another device", func(t *testing.T) {
		t.Parallel()
		bob := testBob(t)
		store, _ := newStore(t, bob, 0)
		_, mallory := newStore(t, testMallory(t), 1)
		s := mustStart(t, testAlice(t), testMallory(t).Public(), mallory.bundle(), chatID(1))
		if _, _, err := Accept(bob, store, mustSeal(t, s, "for Mallory")); !errors.Is(err, ErrWrongPeer) {
			t.Fatalf("Accept: %v, want ErrWrongPeer", err)
		}
	})
	// A first frame altered on the way gives no session. With no one-time
	// prekey in the handshake the genuine frame is then accepted; with one, the
	// responder has used it up (as the PQXDH specification has it), and the
	// initiator's session can never start: the relay could as well have dropped
	// the frame.
	for _, oneTime := range []bool{false, true} {
		name := map[bool]string{false: "first frame altered, last-resort prekeys", true: "first frame altered, one-time prekeys"}[oneTime]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			alice, bob := testAlice(t), testBob(t)
			store, rel := newStore(t, bob, 1)
			b := rel.lastResort()
			if oneTime {
				b = rel.bundle()
			}
			s := mustStart(t, alice, bob.Public(), b, chatID(1))
			f := mustSeal(t, s, "first")
			bad := reframe(t, f, func(fr *frame) { fr.message[len(fr.message)-1] ^= 1 })
			if _, _, err := Accept(bob, store, bad); !errors.Is(err, ErrDecrypt) {
				t.Fatalf("Accept of an altered frame: %v, want ErrDecrypt", err)
			}
			_, pt, err := Accept(bob, store, f)
			if oneTime {
				if !errors.Is(err, pqxdh.ErrPrekeyUsed) {
					t.Fatalf("Accept of the genuine frame: %v, want pqxdh.ErrPrekeyUsed", err)
				}
				return
			}
			if err != nil || string(pt) != "first" {
				t.Fatalf("Accept of the genuine frame: %q, %v", pt, err)
			}
		})
	}
}

// TestSafetyNumber checks both sides show the same number, that of their two
// device keys.
func TestSafetyNumber(t *testing.T) {
	p := newPair(t, chatID(1))
	a, err := p.aliceS.SafetyNumber()
	if err != nil {
		t.Fatal(err)
	}
	b, err := p.bobS.SafetyNumber()
	if err != nil {
		t.Fatal(err)
	}
	want, err := pqxdh.SafetyNumber(p.alice.Public(), p.bob.Public())
	if err != nil {
		t.Fatal(err)
	}
	if a.Digits != want.Digits || b.Digits != want.Digits {
		t.Fatalf("safety numbers %q and %q, want %q", a.Digits, b.Digits, want.Digits)
	}
	if !p.bobS.Peer().Equal(p.alice.Public()) || !p.aliceS.Peer().Equal(p.bob.Public()) || p.bobS.Chat() != chatID(1) {
		t.Fatal("peers or chat")
	}
}
