package ratchet

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestInteraction is a long session over a bad network: 10 000 messages (2 000
// with -short, and the long loss below on top) in both directions, with turns changing at random (each change a
// DH ratchet step), some messages lost, some duplicated, and delivery out of
// order. Once, Alice
// sends more than MaxSkip messages that are all lost. Twice, both sides are saved
// and restored mid-conversation, with messages in flight. Everything is seeded:
// a failure reproduces.
//
// It checks that every message delivered decrypts, exactly once, to what was
// sent; that every later copy fails with ErrDuplicate; that the messages after
// the long loss fail with ErrTooManySkipped while their chain lasts, and that
// the session goes on after it.
func TestInteraction(t *testing.T) {
	t.Parallel()
	total := 10_000
	if testing.Short() {
		total = 2_000
	}
	const (
		lossRate      = 0.03
		duplicateRate = 0.05
		switchRate    = 0.15 // chance that the other side speaks next
		reorderWindow = 8    // a delivery picks one of the first messages in flight
	)
	r := rand.New(rand.NewPCG(2026, 4))
	alice, bob := newPair(t, 100)

	type packet struct {
		id     int
		m      []byte
		doomed bool // beyond MaxSkip after the long loss
	}
	type party struct {
		name  string
		s     *State
		inbox []packet // messages in flight to this party
	}
	parties := [2]*party{{name: "Alice", s: alice}, {name: "Bob", s: bob}}
	texts := map[int]string{}
	delivered := map[int]bool{}
	var lost, doomedSent, replaysRefused, tooMany int

	// The long loss: the header of its last message names the chain and the
	// index from which Alice's messages are out of Bob's reach.
	burstAt := total / 2
	var burstDH [32]byte
	var burstLimit uint32
	burstDone := false

	speaker := 0
	restoredAt := map[int]bool{}
	send := func(from *party, to *party, keep bool) {
		id := len(texts)
		text := fmt.Sprintf("%s #%d", from.name, id)
		m, err := from.s.Encrypt([]byte(text), testAD)
		if err != nil {
			t.Fatalf("%s encrypting %d: %v", from.name, id, err)
		}
		texts[id] = text
		h, err := ParseHeader(m[:len(m)-len(text)-tagSize])
		if err != nil {
			t.Fatal(err)
		}
		p := packet{id: id, m: m, doomed: burstDone && from == parties[0] && h.DH == burstDH && h.N >= burstLimit}
		if p.doomed {
			doomedSent++
		}
		switch {
		case !keep || r.Float64() < lossRate:
			lost++
			if p.doomed {
				doomedSent--
			}
		case r.Float64() < duplicateRate:
			to.inbox = append(to.inbox, p)
			// The copy arrives somewhat later.
			at := len(to.inbox) + r.IntN(reorderWindow)
			to.inbox = append(to.inbox, p)
			if at < len(to.inbox) {
				to.inbox[at], to.inbox[len(to.inbox)-1] = to.inbox[len(to.inbox)-1], to.inbox[at]
			}
		default:
			to.inbox = append(to.inbox, p)
		}
	}
	deliver := func(to *party) {
		i := r.IntN(min(len(to.inbox), reorderWindow))
		p := to.inbox[i]
		to.inbox = append(to.inbox[:i], to.inbox[i+1:]...)
		pt, err := to.s.Decrypt(p.m, testAD)
		switch {
		case p.doomed:
			// Out of reach: too far ahead while the chain is current, and
			// expired (no key held) once Alice has moved to a new chain.
			if errors.Is(err, ErrTooManySkipped) {
				tooMany++
			} else if !errors.Is(err, ErrDuplicate) {
				t.Fatalf("%s: message %d after the long loss: %v", to.name, p.id, err)
			}
		case delivered[p.id]:
			if !errors.Is(err, ErrDuplicate) {
				t.Fatalf("%s: copy of message %d: %q, %v", to.name, p.id, pt, err)
			}
			replaysRefused++
		case err != nil:
			t.Fatalf("%s: message %d: %v", to.name, p.id, err)
		case string(pt) != texts[p.id]:
			t.Fatalf("%s: message %d decrypted to %q, want %q", to.name, p.id, pt, texts[p.id])
		default:
			delivered[p.id] = true
		}
	}

	burstSize := 0 // the long loss's messages, not counted in total
	for len(texts)-burstSize < total {
		sent := len(texts) - burstSize
		// Save and restore both sides, with messages in flight.
		for _, at := range []int{total / 4, 3 * total / 4} {
			if sent >= at && !restoredAt[at] {
				restoredAt[at] = true
				for _, p := range parties {
					p.s = restore(t, p.s)
				}
			}
		}
		if !burstDone && sent >= burstAt && parties[0].s.c.hasCKs {
			// Alice sends MaxSkip+3 messages; only the last two go out.
			for i := range MaxSkip + 3 {
				send(parties[0], parties[1], false)
				if i == 0 {
					m := parties[0].s
					burstDH = [32]byte(m.c.dhs.PublicKey().Bytes())
					burstLimit = m.c.ns - 1 + MaxSkip + 1
				}
			}
			burstDone = true
			burstSize = len(texts) - sent
			send(parties[0], parties[1], true)
			send(parties[0], parties[1], true)
			continue
		}
		if r.Float64() < 0.5 {
			if r.Float64() < switchRate || !parties[speaker].s.c.hasCKs {
				speaker = 1 - speaker
			}
			if parties[speaker].s.c.hasCKs {
				send(parties[speaker], parties[1-speaker], true)
			}
			continue
		}
		to := parties[r.IntN(2)]
		if len(to.inbox) == 0 {
			to = parties[0]
			if len(to.inbox) == 0 {
				to = parties[1]
			}
		}
		if len(to.inbox) > 0 {
			deliver(to)
		}
	}
	for _, p := range parties {
		for len(p.inbox) > 0 {
			deliver(p)
		}
	}

	if got, want := len(delivered), len(texts)-lost-doomedSent; got != want {
		t.Errorf("%d messages decrypted, want every one of the %d delivered", got, want)
	}
	if replaysRefused == 0 || tooMany == 0 || len(restoredAt) != 2 || !burstDone {
		t.Errorf("a case was not exercised: %d copies refused, %d too far ahead, %d restores, long loss %v",
			replaysRefused, tooMany, len(restoredAt), burstDone)
	}
	t.Logf("%d messages: %d lost, %d copies refused, %d beyond MaxSkip refused; Alice %v, Bob %v",
		len(texts), lost, replaysRefused, tooMany, parties[0].s, parties[1].s)
}
