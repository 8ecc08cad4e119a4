package secretsession

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestConversation runs a whole chat over an unreliable relay: the handshake, then
// messages both ways in bursts, with frames lost, reordered and delivered twice,
// the initiator's first frames lost, and both sessions saved and restored twice
// (before the responder has a session, and in the middle). Every frame delivered
// for the first time opens, to the text sent; every second delivery fails with
// ErrReplay; nothing else fails.
func TestConversation(t *testing.T) {
	for _, tc := range []struct {
		name     string
		seed     uint64
		messages int
		oneTime  bool // the bundle carries one-time prekeys
	}{
		{"one-time prekeys, 10 000 messages", 1, 10_000, true},
		{"last-resort prekeys", 2, 2_000, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			runConversation(t, tc.seed, tc.messages, tc.oneTime)
		})
	}
}

// The relay's misbehaviour in runConversation.
const (
	lossRate      = 0.10 // a frame is lost
	duplicateRate = 0.05 // a frame is delivered twice
	window        = 6    // a delivery picks one of the oldest frames in flight
	maxInFlight   = 16   // a side only writes while fewer frames are on the way
	maxBurst      = 12   // the most frames one side writes in a turn
	firstLost     = 3    // the initiator's first frames, all lost
)

type inFlight struct {
	frame []byte
	text  string
	n     int // the index of the frame among its writer's
}

func runConversation(t *testing.T, seed uint64, messages int, oneTime bool) {
	rng := rand.New(rand.NewPCG(seed, 0x5EC7E7))
	alice, bob := testAlice(t), testBob(t)
	store, rel := newStore(t, bob, 1)
	b := rel.lastResort()
	if oneTime {
		b = rel.bundle()
	}
	var sides [2]*Session // 0 Alice, 1 Bob (nil until he accepts)
	var err error
	if sides[0], err = Start(alice, bob.Public(), b, chatID(1)); err != nil {
		t.Fatal(err)
	}
	var queues [2][]inFlight // queues[i]: frames on their way to side i
	opened := map[string]bool{}
	var counts [2]int // frames written by each side
	sent, acceptedAt, delivered, replays := 0, -1, 0, 0
	aliceHeard := false
	restoreAt := map[int]bool{2: true, messages / 2: true}

	write := func(from int) {
		n := counts[from]
		text := fmt.Sprintf("%c%d", "AB"[from], n)
		counts[from]++
		sent++
		f, err := sides[from].Seal([]byte(text))
		if err != nil {
			t.Fatalf("seal %s: %v", text, err)
		}
		info, err := ReadFrameInfo(f)
		if err != nil {
			t.Fatal(err)
		}
		if want := from == 0 && !aliceHeard; info.Initial != want {
			t.Fatalf("frame %s carries an initial message: %v, want %v", text, info.Initial, want)
		}
		if (from == 0 && counts[0] <= firstLost) || rng.Float64() < lossRate {
			return
		}
		to := 1 - from
		queues[to] = append(queues[to], inFlight{f, text, n})
		if rng.Float64() < duplicateRate {
			queues[to] = append(queues[to], inFlight{f, text, n})
		}
	}

	deliver := func(to int) {
		i := rng.IntN(min(window, len(queues[to])))
		m := queues[to][i]
		queues[to] = append(queues[to][:i], queues[to][i+1:]...)
		var pt []byte
		var err error
		if to == 1 && sides[1] == nil {
			sides[1], pt, err = Accept(bob, store, m.frame)
			acceptedAt = m.n
		} else {
			pt, err = sides[to].Open(m.frame)
		}
		if opened[m.text] {
			if !errors.Is(err, ErrReplay) {
				t.Fatalf("second delivery of %s: %v, want ErrReplay", m.text, err)
			}
			replays++
			return
		}
		if err != nil {
			t.Fatalf("open %s: %v", m.text, err)
		}
		if string(pt) != m.text {
			t.Fatalf("opened %q, want %q", pt, m.text)
		}
		opened[m.text] = true
		delivered++
		if to == 0 {
			aliceHeard = true
		}
	}

	for sent < messages || len(queues[0])+len(queues[1]) > 0 {
		if restoreAt[sent] {
			delete(restoreAt, sent)
			for i := range sides {
				if sides[i] != nil {
					sides[i] = restore(t, sides[i])
				}
			}
		}
		inflight := len(queues[0]) + len(queues[1])
		if sent < messages && (inflight == 0 || inflight < maxInFlight && rng.IntN(3) == 0) {
			from := 0
			if sides[1] != nil && rng.IntN(2) == 1 {
				from = 1
			}
			for range min(1+rng.IntN(maxBurst), messages-sent) {
				write(from)
			}
			continue
		}
		to := rng.IntN(2)
		if len(queues[to]) == 0 {
			to = 1 - to
		}
		deliver(to)
	}

	if acceptedAt < firstLost {
		t.Errorf("Bob accepted with Alice's frame %d, want one after the %d lost ones", acceptedAt, firstLost)
	}
	if !aliceHeard || counts[1] == 0 {
		t.Error("Bob never got a word in")
	}
	if delivered < messages*3/4 || replays == 0 {
		t.Errorf("%d of %d frames delivered, %d replays: the relay is not what the test means", delivered, messages, replays)
	}
	t.Logf("%d frames written (Alice %d, Bob %d), %d opened, %d replays refused; Bob accepted Alice's frame %d (from 0)",
		sent, counts[0], counts[1], delivered, replays, acceptedAt)
}
