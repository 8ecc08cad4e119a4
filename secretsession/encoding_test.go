package secretsession

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"hush/ids"
)

// TestFrameTruncations gives every proper prefix of a frame to the decoder and
// to Open: each is refused as malformed.
func TestFrameTruncations(t *testing.T) {
	p := newPair(t, chatID(1))
	f := mustSeal(t, p.aliceS, "truncate me")
	for n := range len(f) {
		if _, err := ReadFrameInfo(f[:n]); !errors.Is(err, ErrMalformed) {
			t.Fatalf("%d of %d bytes: %v, want ErrMalformed", n, len(f), err)
		}
		if _, err := p.bobS.Open(f[:n]); !errors.Is(err, ErrMalformed) {
			t.Fatalf("open %d of %d bytes: %v, want ErrMalformed", n, len(f), err)
		}
	}
	mustOpen(t, p.bobS, f, "truncate me")
}

// TestFrameRefused lists frames that parse as CBOR but are not frames.
func TestFrameRefused(t *testing.T) {
	p := newPair(t, chatID(1))
	f := mustSeal(t, p.aliceS, "x")
	good, err := parseFrame(f)
	if err != nil {
		t.Fatal(err)
	}
	encode := func(change func(*frameWire)) []byte {
		w := frameWire{Version: frameVersion, Chat: good.chat, From: good.from, To: good.to, Initial: good.initial, Message: good.message}
		change(&w)
		b, err := enc.Marshal(w)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, tc := range []struct {
		name  string
		frame []byte
	}{
		{"unknown version", encode(func(w *frameWire) { w.Version = 2 })},
		{"zero chat", encode(func(w *frameWire) { w.Chat = ids.Chat{} })},
		{"zero sender", encode(func(w *frameWire) { w.From = ids.Device{} })},
		{"from a device to itself", encode(func(w *frameWire) { w.To = w.From })},
		{"no ratchet message", encode(func(w *frameWire) { w.Message = []byte{} })},
		{"null for no initial message", encode(func(w *frameWire) { w.Initial = nil })},
		{"initial message of another device", encode(func(w *frameWire) { w.From = testMallory(t).ID() })},
		{"initial message cut", encode(func(w *frameWire) { w.Initial = w.Initial[:100] })},
		{"trailing byte", append(bytes.Clone(f), 0)},
		{"over the size limit", append(bytes.Clone(f), make([]byte, MaxFrameSize)...)},
		{"a map", []byte{0xa0}},
		{"an array of seven", append([]byte{0x87}, f[1:]...)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ReadFrameInfo(tc.frame); !errors.Is(err, ErrMalformed) {
				t.Fatalf("ReadFrameInfo: %v, want ErrMalformed", err)
			}
			wantOpenErr(t, p.bobS, tc.frame, ErrMalformed)
		})
	}
}

// TestLargestFrame checks the bounds meet: the largest plaintext, in a frame that
// still carries the initial message, is under MaxFrameSize and opens; one byte
// more is refused before anything moves.
func TestLargestFrame(t *testing.T) {
	p := newPair(t, chatID(1))
	big := bytes.Repeat([]byte{0x5A}, MaxPlaintextSize)
	f, err := p.aliceS.Seal(big)
	if err != nil {
		t.Fatal(err)
	}
	if len(f) > MaxFrameSize {
		t.Fatalf("frame of %d bytes, the limit is %d", len(f), MaxFrameSize)
	}
	got, err := p.bobS.Open(f)
	if err != nil || !bytes.Equal(got, big) {
		t.Fatalf("open the largest frame: %v", err)
	}
	before := encodeSession(t, p.aliceS)
	if _, err := p.aliceS.Seal(append(big, 0)); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("seal: %v, want ErrTooLarge", err)
	}
	if !bytes.Equal(before, encodeSession(t, p.aliceS)) {
		t.Fatal("a refused seal changed the session")
	}
}

// sessions returns sessions in each state an encoding has: the initiator still
// sending its initial message, the initiator after the responder answered, and
// the responder.
func sessions(t testing.TB) map[string]*Session {
	p := newPair(t, chatID(1))
	early := restore(t, p.aliceS)
	mustOpen(t, p.aliceS, mustSeal(t, p.bobS, "ack"), "ack")
	return map[string]*Session{"initiator, early": early, "initiator": p.aliceS, "responder": p.bobS}
}

// TestSessionRoundTrip restores each kind of session and checks it carries on
// exactly where it was: the restored and the original seal the same frame.
func TestSessionRoundTrip(t *testing.T) {
	for name, s := range sessions(t) {
		t.Run(name, func(t *testing.T) {
			b := encodeSession(t, s)
			if len(b) > MaxSessionSize {
				t.Fatalf("%d bytes, the limit is %d", len(b), MaxSessionSize)
			}
			r := restore(t, s)
			if r.role != s.role || r.chat != s.chat || !r.peer.Equal(s.peer) || !r.me.Equal(s.me) || !bytes.Equal(r.initial, s.initial) {
				t.Fatalf("restored %v, want %v", r, s)
			}
			if r.role == responder {
				return // Bob's next frame needs a fresh ratchet key; compared via Open elsewhere
			}
			// A chain step is deterministic: both seal the same bytes.
			a, b2 := mustSeal(t, s, "same"), mustSeal(t, r, "same")
			if !bytes.Equal(a, b2) {
				t.Fatal("the restored session sealed another frame")
			}
		})
	}
}

// TestSessionRefused gives UnmarshalBinary every truncation of each session and a
// list of damaged ones: each fails with ErrBadSession and leaves the target as it
// was.
func TestSessionRefused(t *testing.T) {
	all := sessions(t)
	target := restore(t, all["initiator"])
	for name, s := range all {
		t.Run(name+", truncated", func(t *testing.T) {
			b := encodeSession(t, s)
			for n := range len(b) {
				wantBadSession(t, target, b[:n])
			}
		})
	}
	good := encodeSession(t, all["responder"])
	change := func(f func(*sessionWire)) []byte {
		var w sessionWire
		if err := dec.Unmarshal(good, &w); err != nil {
			t.Fatal(err)
		}
		f(&w)
		b, err := enc.Marshal(w)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	swapAD := func(w *sessionWire) {
		k := len(w.Peer)
		w.AD = append(append(bytes.Clone(w.AD[k:2*k]), w.AD[:k]...), w.AD[2*k:]...)
	}
	for _, tc := range []struct {
		name string
		b    []byte
	}{
		{"unknown version", change(func(w *sessionWire) { w.Version = 2 })},
		{"unknown role", change(func(w *sessionWire) { w.Role = 3 })},
		{"initiator role, responder's data", change(func(w *sessionWire) { w.Role = uint8(initiator) })},
		{"zero chat", change(func(w *sessionWire) { w.Chat = ids.Chat{} })},
		{"peer not in the AD", change(func(w *sessionWire) { w.Peer = testMallory(t).Public().Bytes() })},
		{"AD with the devices swapped", change(swapAD)},
		{"AD cut", change(func(w *sessionWire) { w.AD = w.AD[:100] })},
		{"hash cut", change(func(w *sessionWire) { w.Initial = w.Initial[:31] })},
		{"null for no initial message", change(func(w *sessionWire) { w.Initial = nil })},
		{"ratchet state cut", change(func(w *sessionWire) { w.Ratchet = w.Ratchet[:40] })},
		{"trailing byte", append(bytes.Clone(good), 0)},
		{"over the size limit", make([]byte, MaxSessionSize+1)},
	} {
		t.Run(tc.name, func(t *testing.T) { wantBadSession(t, target, tc.b) })
	}
}

func wantBadSession(t *testing.T, target *Session, b []byte) {
	t.Helper()
	before := encodeSession(t, target)
	if err := target.UnmarshalBinary(b); !errors.Is(err, ErrBadSession) {
		t.Fatalf("%d bytes: %v, want ErrBadSession", len(b), err)
	}
	if !bytes.Equal(before, encodeSession(t, target)) {
		t.Fatal("a refused encoding changed the session")
	}
}

// TestRedacted prints a session every way fmt and slog can: no secret appears,
// only the summary.
func TestRedacted(t *testing.T) {
	s := sessions(t)["initiator, early"]
	secrets, err := s.state.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var logged bytes.Buffer
	slog.New(slog.NewTextHandler(&logged, nil)).Info("session", "s", s)
	outs := []string{logged.String()}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d"} {
		outs = append(outs, fmt.Sprintf(verb, s))
	}
	// Any 8 bytes of the ratchet state (it holds the keys), raw or in hex, give
	// it away.
	for _, out := range outs {
		if !strings.Contains(out, "REDACTED") && !strings.Contains(out, "peer=") {
			t.Errorf("printed %q", out)
		}
		for i := 0; i+8 <= len(secrets); i += 8 {
			chunk := secrets[i : i+8]
			if strings.Contains(out, string(chunk)) || strings.Contains(strings.ToLower(out), fmt.Sprintf("%x", chunk)) {
				t.Fatalf("%q shows bytes %d-%d of the ratchet state", out, i, i+8)
			}
		}
	}
}

// TestDestroyed checks a destroyed session refuses every use.
func TestDestroyed(t *testing.T) {
	p := newPair(t, chatID(1))
	f := mustSeal(t, p.aliceS, "after")
	p.bobS.Destroy()
	if _, err := p.bobS.Open(f); !errors.Is(err, ErrBadSession) {
		t.Errorf("Open: %v", err)
	}
	if _, err := p.bobS.Seal(nil); !errors.Is(err, ErrBadSession) {
		t.Errorf("Seal: %v", err)
	}
	if _, err := p.bobS.MarshalBinary(); !errors.Is(err, ErrBadSession) {
		t.Errorf("MarshalBinary: %v", err)
	}
	if _, err := p.bobS.SafetyNumber(); !errors.Is(err, ErrBadSession) {
		t.Errorf("SafetyNumber: %v", err)
	}
	var zero Session
	if _, err := zero.Seal(nil); !errors.Is(err, ErrBadSession) {
		t.Errorf("Seal of a zero Session: %v", err)
	}
	p.bobS.Destroy() // twice is harmless
}

// TestConcurrent seals and opens from several goroutines, for the race detector.
func TestConcurrent(t *testing.T) {
	p := newPair(t, chatID(1))
	const n = 8
	frames := make(chan []byte, n)
	errs := make(chan error, 2*n)
	for i := range n {
		go func() {
			f, err := p.aliceS.Seal(fmt.Appendf(nil, "m%d", i))
			errs <- err
			frames <- f
		}()
	}
	for range n {
		f := <-frames
		go func() {
			_, err := p.bobS.Open(f)
			errs <- err
			_ = p.bobS.String()
		}()
	}
	for range 2 * n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}
