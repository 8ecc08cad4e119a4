package secretsession

import (
	"bytes"
	"errors"
	"testing"

	"hush/pqxdh"
)

// The fuzz targets feed arbitrary input to every decoder and to both ways in for
// a frame, Open and Accept. None may panic; each returns one of its sentinel
// errors or a value that encodes back to the very same bytes.

// isOneOf reports whether err is one of targets.
func isOneOf(err error, targets ...error) bool {
	for _, target := range targets {
		if errors.Is(err, target) {
			return true
		}
	}
	return false
}

// seedFrames adds frames of every shape: with and without an initial message,
// from each side.
func seedFrames(f *testing.F, p *pair) {
	f.Add([]byte{})
	f.Add(mustSeal(f, p.aliceS, "with the initial message"))
	reply := mustSeal(f, p.bobS, "reply")
	f.Add(reply)
	if _, err := p.aliceS.Open(reply); err != nil {
		f.Fatal(err)
	}
	f.Add(mustSeal(f, p.aliceS, "without"))
}

func FuzzReadFrameInfo(f *testing.F) {
	seedFrames(f, newPair(f, chatID(1)))
	f.Fuzz(func(t *testing.T, b []byte) {
		info, err := ReadFrameInfo(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("untyped error: %v", err)
			}
			return
		}
		fr, err := parseFrame(b)
		if err != nil {
			t.Fatal(err)
		}
		again, err := encodeFrame(fr)
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("accepted %x, which re-encodes as %x: %v", b, again, err)
		}
		if info.Initial != (fr.initial != nil) || info.Chat.IsZero() || info.From == info.To {
			t.Fatalf("accepted %+v", info)
		}
	})
}

func FuzzUnmarshalSession(f *testing.F) {
	for _, s := range sessions(f) {
		f.Add(encodeSession(f, s))
	}
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		var s Session
		if err := s.UnmarshalBinary(b); err != nil {
			if !errors.Is(err, ErrBadSession) {
				t.Fatalf("untyped error: %v", err)
			}
			return
		}
		if again := encodeSession(t, &s); !bytes.Equal(again, b) {
			t.Fatalf("accepted %x, which re-encodes as %x", b, again)
		}
	})
}

// FuzzOpen gives Bob's session arbitrary frames: each fails with a sentinel and
// leaves the session as it was, or opens (a seed that is a genuine frame).
func FuzzOpen(f *testing.F) {
	p := newPair(f, chatID(1))
	seedFrames(f, newPair(f, chatID(1)))
	f.Add(mustSeal(f, p.aliceS, "genuine"))
	before := encodeSession(f, p.bobS)
	f.Fuzz(func(t *testing.T, b []byte) {
		var bob Session
		if err := bob.UnmarshalBinary(before); err != nil {
			t.Fatal(err)
		}
		if _, err := bob.Open(b); err != nil {
			if !isOneOf(err, ErrMalformed, ErrWrongChat, ErrWrongPeer, ErrOtherSession, ErrReplay, ErrDecrypt, ErrTooManySkipped) {
				t.Fatalf("untyped error: %v", err)
			}
			if !bytes.Equal(before, encodeSession(t, &bob)) {
				t.Fatalf("a failed open (%v) changed the session", err)
			}
		}
	})
}

// FuzzAccept gives Accept arbitrary first frames, with a store that has no
// one-time prekeys (so nothing is used up between runs).
func FuzzAccept(f *testing.F) {
	bob := testBob(f)
	store, rel := newStore(f, bob, 0)
	s := mustStart(f, testAlice(f), bob.Public(), rel.lastResort(), chatID(1))
	f.Add(mustSeal(f, s, "first"))
	seedFrames(f, newPair(f, chatID(1)))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, _, err := Accept(bob, store, b)
		if err != nil {
			if !isOneOf(err, ErrMalformed, ErrNoSession, ErrWrongPeer, ErrDecrypt, ErrTooManySkipped,
				pqxdh.ErrUnknownPrekey, pqxdh.ErrPrekeyUsed, pqxdh.ErrInvalidMessage) {
				t.Fatalf("untyped error: %v", err)
			}
			return
		}
		if got.Chat().IsZero() || got.Peer().IsZero() {
			t.Fatalf("accepted %v", got)
		}
	})
}
