package ratchet

import (
	"bytes"
	"crypto/ecdh"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestConversation(t *testing.T) {
	t.Parallel()
	alice, bob := newPair(t, 1)
	// Alternating turns: every turn is a DH ratchet step on both sides.
	for turn := range 6 {
		from, to := alice, bob
		if turn%2 == 1 {
			from, to = bob, alice
		}
		for i := range 3 {
			text := fmt.Sprintf("turn %d message %d", turn, i)
			mustDecrypt(t, to, mustEncrypt(t, from, text), text)
		}
	}
	if bob.c.ns != 3 || alice.c.nr != 3 || alice.c.pn != 3 || alice.skipped.len() != 0 {
		t.Errorf("counters: %v, %v", alice, bob)
	}
}

func TestBobCannotSendFirst(t *testing.T) {
	t.Parallel()
	alice, bob := newPair(t, 2)
	if _, err := bob.Encrypt([]byte("hi"), testAD); !errors.Is(err, ErrNoSendingChain) {
		t.Fatalf("Bob's first Encrypt: %v", err)
	}
	mustDecrypt(t, bob, mustEncrypt(t, alice, "first"), "first")
	mustDecrypt(t, alice, mustEncrypt(t, bob, "now Bob can"), "now Bob can")
}

func TestInitErrors(t *testing.T) {
	t.Parallel()
	prekey, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p256, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	zero, err := ecdh.X25519().NewPublicKey(make([]byte, 32)) // a low-order point
	if err != nil {
		t.Fatal(err)
	}
	sk := make([]byte, 32)
	for name, f := range map[string]func() (*State, error){
		"Alice, short secret": func() (*State, error) { return InitAlice(sk[:31], prekey.PublicKey()) },
		"Alice, nil key":      func() (*State, error) { return InitAlice(sk, nil) },
		"Alice, P-256 key":    func() (*State, error) { return InitAlice(sk, p256.PublicKey()) },
		"Alice, low order":    func() (*State, error) { return InitAlice(sk, zero) },
		"Bob, long secret":    func() (*State, error) { return InitBob(append(sk, 0), prekey) },
		"Bob, nil key":        func() (*State, error) { return InitBob(sk, nil) },
		"Bob, P-256 key":      func() (*State, error) { return InitBob(sk, p256) },
	} {
		if s, err := f(); !errors.Is(err, ErrBadKey) || s != nil {
			t.Errorf("%s: %v, %v", name, s, err)
		}
	}
}

func TestOutOfOrder(t *testing.T) {
	t.Parallel()
	alice, bob := newPair(t, 3)
	a := make([][]byte, 5)
	for i := range a {
		a[i] = mustEncrypt(t, alice, fmt.Sprint("a", i))
	}
	mustDecrypt(t, bob, a[3], "a3") // skips a0..a2
	mustDecrypt(t, bob, a[1], "a1")
	if bob.skipped.len() != 2 {
		t.Fatalf("%d stored keys, want 2", bob.skipped.len())
	}
	// Bob replies; Alice answers in a new chain; the old chain's messages still
	// arrive afterwards, from the stored keys and (a4) from the chain's remainder
	// that Bob derived from PN at his second DH ratchet step.
	mustDecrypt(t, alice, mustEncrypt(t, bob, "b0"), "b0")
	mustDecrypt(t, bob, mustEncrypt(t, alice, "a5, new chain"), "a5, new chain")
	mustDecrypt(t, bob, a[4], "a4")
	mustDecrypt(t, bob, a[0], "a0")
	mustDecrypt(t, bob, a[2], "a2")
	if bob.skipped.len() != 0 {
		t.Fatalf("%d stored keys left", bob.skipped.len())
	}
	for _, m := range a {
		wantErr(t, bob, m, ErrDuplicate)
	}
}

func TestReplay(t *testing.T) {
	t.Parallel()
	alice, bob := newPair(t, 4)
	m0 := mustEncrypt(t, alice, "m0")
	m1 := mustEncrypt(t, alice, "m1")
	mustDecrypt(t, bob, m1, "m1")
	wantErr(t, bob, m1, ErrDuplicate) // the current chain, before Nr
	mustDecrypt(t, bob, m0, "m0")
	wantErr(t, bob, m0, ErrDuplicate) // a used stored key
	mustDecrypt(t, alice, mustEncrypt(t, bob, "b0"), "b0")
	mustDecrypt(t, bob, mustEncrypt(t, alice, "m2"), "m2")
	wantErr(t, bob, m1, ErrDuplicate) // an earlier chain
	wantErr(t, bob, m0, ErrDuplicate)
	// Restored, the state remembers the same.
	bob = restore(t, bob)
	wantErr(t, bob, m1, ErrDuplicate)
	mustDecrypt(t, bob, mustEncrypt(t, alice, "m3"), "m3")
}

func TestTooManySkipped(t *testing.T) {
	t.Parallel()
	alice, bob := newPair(t, 5)
	mustDecrypt(t, bob, mustEncrypt(t, alice, "first"), "first")
	var last []byte
	for i := range MaxSkip + 2 {
		last = mustEncrypt(t, alice, fmt.Sprint("lost ", i)) // messages 1..1002
		if i == MaxSkip-1 {
			// Message 1000 is MaxSkip ahead of Bob's next (1): still within bound.
			edge := restore(t, bob)
			mustDecrypt(t, edge, last, fmt.Sprint("lost ", i))
			if edge.skipped.len() != MaxSkip-1 {
				t.Fatalf("%d keys stored", edge.skipped.len())
			}
		}
	}
	wantErr(t, bob, last, ErrTooManySkipped)
	// The session is not broken: Bob answers, and Alice's next chain decrypts
	// even though PN is far beyond MaxSkip.
	mustDecrypt(t, alice, mustEncrypt(t, bob, "still there?"), "still there?")
	mustDecrypt(t, bob, mustEncrypt(t, alice, "yes"), "yes")
	if n := bob.skipped.len(); n != MaxSkip {
		t.Fatalf("%d keys stored of the given-up chain, want %d", n, MaxSkip)
	}
	// A new chain that starts too far ahead is refused the same way.
	mustDecrypt(t, alice, mustEncrypt(t, bob, "b1"), "b1")
	for range MaxSkip + 1 {
		mustEncrypt(t, alice, "lost")
	}
	wantErr(t, bob, mustEncrypt(t, alice, "too far"), ErrTooManySkipped)
}

func TestSkippedKeysBound(t *testing.T) {
	t.Parallel()
	alice, bob := newPair(t, 6)
	// Three chains of Alice's, each almost MaxSkip long, of which Bob reads only
	// the last message: more skipped keys than MaxSkippedKeys.
	var first, latest [][]byte
	for chain := range 3 {
		var msgs [][]byte
		for i := range MaxSkip {
			msgs = append(msgs, mustEncrypt(t, alice, fmt.Sprint(chain, "/", i)))
		}
		mustDecrypt(t, bob, msgs[len(msgs)-1], fmt.Sprint(chain, "/", MaxSkip-1))
		mustDecrypt(t, alice, mustEncrypt(t, bob, "ack"), "ack")
		first = append(first, msgs[0])
		latest = append(latest, msgs[len(msgs)-2])
	}
	if n := bob.skipped.len(); n != MaxSkippedKeys {
		t.Fatalf("%d keys stored, want the bound %d", n, MaxSkippedKeys)
	}
	if n := len(bob.skipped.order); n > 2*MaxSkippedKeys+64 {
		t.Fatalf("eviction order of %d entries", n)
	}
	wantErr(t, bob, first[0], ErrDuplicate) // dropped as the oldest
	mustDecrypt(t, bob, first[1], "1/0")
	mustDecrypt(t, bob, latest[2], fmt.Sprint("2/", MaxSkip-2))
	restore(t, bob)
}

func TestTampered(t *testing.T) {
	t.Parallel()
	alice, bob := newPair(t, 7)
	mustDecrypt(t, bob, mustEncrypt(t, alice, "setup"), "setup")
	mustDecrypt(t, alice, mustEncrypt(t, bob, "setup"), "setup")
	m1 := mustEncrypt(t, alice, "genuine one")
	m2 := mustEncrypt(t, alice, "genuine two")
	// Every byte, header and ciphertext, altered in turn: each fails without a
	// trace in the state, and so does the genuine message under another AD.
	for i := range m2 {
		bad := bytes.Clone(m2)
		bad[i] ^= 0x01
		before := encodeState(t, bob)
		if pt, err := bob.Decrypt(bad, testAD); err == nil {
			t.Fatalf("byte %d altered: decrypted %q", i, pt)
		}
		if !bytes.Equal(before, encodeState(t, bob)) {
			t.Fatalf("byte %d altered: the state changed", i)
		}
	}
	for _, ad := range [][]byte{nil, []byte("another AD"), append(bytes.Clone(testAD), 0)} {
		before := encodeState(t, bob)
		if _, err := bob.Decrypt(m2, ad); !errors.Is(err, ErrDecrypt) {
			t.Fatalf("AD %q: %v", ad, err)
		}
		if !bytes.Equal(before, encodeState(t, bob)) {
			t.Fatal("a wrong AD changed the state")
		}
	}
	// A forged message with a new ratchet key: a DH ratchet step is tried on the
	// copy and dropped.
	forged := Header{N: 0, PN: 5}
	forged.DH = [32]byte(x25519Key(t, bytes.Repeat([]byte{9}, 32)).PublicKey().Bytes())
	fh, _ := forged.MarshalBinary()
	wantErr(t, bob, append(fh, make([]byte, 40)...), ErrDecrypt)
	// A low-order ratchet key (all zeros), and an index no sender writes.
	lowOrder, _ := Header{}.MarshalBinary()
	wantErr(t, bob, append(lowOrder, make([]byte, 40)...), ErrBadKey)
	last, _ := Header{DH: forged.DH, N: 1<<32 - 1}.MarshalBinary()
	wantErr(t, bob, append(last, make([]byte, 40)...), ErrMalformed)
	// Truncated, and too short for a tag.
	wantErr(t, bob, m2[:len(m2)-1], ErrDecrypt)
	h, _ := ParseHeader(m2[:len(m2)-len("genuine two")-tagSize])
	hb, _ := h.MarshalBinary()
	wantErr(t, bob, append(hb, make([]byte, tagSize-1)...), ErrMalformed)

	mustDecrypt(t, bob, m2, "genuine two") // m1's key is now stored
	// Tampering with a message whose key is stored leaves the key.
	bad := bytes.Clone(m1)
	bad[len(bad)-1] ^= 0x80
	wantErr(t, bob, bad, ErrDecrypt)
	mustDecrypt(t, bob, m1, "genuine one")
}

// TestAliceForgedPrekeyChain: before Bob's first reply Alice has no receiving
// chain, so a message claiming Bob's prekey as its ratchet key is refused.
func TestAliceForgedPrekeyChain(t *testing.T) {
	t.Parallel()
	alice, _ := newPair(t, 8)
	h := Header{DH: [32]byte(alice.c.dhr.Bytes())}
	b, _ := h.MarshalBinary()
	wantErr(t, alice, append(b, make([]byte, 32)...), ErrDecrypt)
}

func TestEncryptLimits(t *testing.T) {
	t.Parallel()
	alice, bob := newPair(t, 9)
	if _, err := alice.Encrypt(make([]byte, MaxPlaintextSize+1), nil); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("oversized plaintext: %v", err)
	}
	m, err := alice.Encrypt(make([]byte, MaxPlaintextSize), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(m) > MaxMessageSize {
		t.Fatalf("largest message %d bytes, MaxMessageSize %d", len(m), MaxMessageSize)
	}
	if _, err := bob.Decrypt(m, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.Decrypt(make([]byte, MaxMessageSize+1), nil); !errors.Is(err, ErrMalformed) {
		t.Fatalf("oversized message: %v", err)
	}
}

func TestHeaderEncoding(t *testing.T) {
	t.Parallel()
	for _, h := range []Header{{}, {PN: 23, N: 24}, {DH: [32]byte{1, 2, 3}, PN: 1<<32 - 1, N: 1 << 16}} {
		b, err := h.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if len(b) > maxHeaderSize {
			t.Errorf("%+v: %d bytes", h, len(b))
		}
		got, err := ParseHeader(b)
		if err != nil || got != h {
			t.Errorf("%+v parses as %+v, %v", h, got, err)
		}
		for i := range len(b) {
			if _, err := ParseHeader(b[:i]); !errors.Is(err, ErrMalformed) {
				t.Errorf("%+v truncated to %d bytes: %v", h, i, err)
			}
		}
		if _, err := ParseHeader(append(b, 0)); !errors.Is(err, ErrMalformed) {
			t.Errorf("trailing byte: %v", err)
		}
	}
	dh := bytes.Repeat([]byte{7}, 32)
	for name, b := range map[string][]byte{
		"version 2":      append(append([]byte{0x84, 0x02, 0x58, 0x20}, dh...), 0, 0),
		"short key":      append(append([]byte{0x84, 0x01, 0x58, 0x1f}, dh[:31]...), 0, 0),
		"long N head":    append(append([]byte{0x84, 0x01, 0x58, 0x20}, dh...), 0, 0x18, 0x05),
		"N over 32 bits": append(append([]byte{0x84, 0x01, 0x58, 0x20}, dh...), 0, 0x1b, 1, 0, 0, 0, 0, 0, 0, 0),
		"three fields":   append(append([]byte{0x83, 0x01, 0x58, 0x20}, dh...), 0),
		"map":            {0xa0},
		"tagged":         append(append([]byte{0xc0, 0x84, 0x01, 0x58, 0x20}, dh...), 0, 0),
	} {
		if _, err := ParseHeader(b); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestStateEncoding(t *testing.T) {
	t.Parallel()
	alice, bob := newPair(t, 10)
	var states [][]byte
	states = append(states, encodeState(t, alice), encodeState(t, bob))
	m := mustEncrypt(t, alice, "a0")
	mustEncrypt(t, alice, "a1")
	mustDecrypt(t, bob, mustEncrypt(t, alice, "a2"), "a2")
	mustDecrypt(t, bob, m, "a0")
	mustDecrypt(t, alice, mustEncrypt(t, bob, "b0"), "b0")
	states = append(states, encodeState(t, alice), encodeState(t, bob))
	for _, b := range states {
		var s State
		if err := s.UnmarshalBinary(b); err != nil {
			t.Fatal(err)
		}
		for i := range len(b) {
			if err := s.UnmarshalBinary(b[:i]); !errors.Is(err, ErrBadState) {
				t.Fatalf("truncated to %d bytes: %v", i, err)
			}
		}
		if err := s.UnmarshalBinary(append(bytes.Clone(b), 0)); !errors.Is(err, ErrBadState) {
			t.Fatalf("trailing byte: %v", err)
		}
		if !bytes.Equal(encodeState(t, &s), b) {
			t.Fatal("a failed UnmarshalBinary changed the state")
		}
	}

	// States no sequence of calls reaches.
	body := func(f func(*stateBody)) []byte {
		var sb stateBody
		if err := stateDec.Unmarshal(states[3], &sb); err != nil {
			t.Fatal(err)
		}
		f(&sb)
		b, err := enc.Marshal(sb)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	key := bytes.Repeat([]byte{3}, 32)
	for name, b := range map[string][]byte{
		"version 2":            body(func(s *stateBody) { s.Version = 2 }),
		"short root key":       body(func(s *stateBody) { s.RK = s.RK[:31] }),
		"no private key":       body(func(s *stateBody) { s.DHs = nil }),
		"chains, no peer key":  body(func(s *stateBody) { s.DHr = []byte{} }),
		"peer key, no sending": body(func(s *stateBody) { s.CKs = []byte{} }),
		"counted, no chain":    body(func(s *stateBody) { s.CKr = []byte{} }),
		"null for None":        body(func(s *stateBody) { s.CKr = nil }),
		"short chain key":      body(func(s *stateBody) { s.CKs = s.CKs[:16] }),
		"skipped twice": body(func(s *stateBody) {
			e := skippedBody{DH: key, N: 1, MK: key}
			s.Skipped = []skippedBody{e, e}
		}),
		"short skipped key": body(func(s *stateBody) { s.Skipped = []skippedBody{{DH: key, N: 1, MK: key[:31]}} }),
		"too many skipped": body(func(s *stateBody) {
			for i := range MaxSkippedKeys + 1 {
				s.Skipped = append(s.Skipped, skippedBody{DH: key, N: uint32(i), MK: key})
			}
		}),
		"too many previous": body(func(s *stateBody) {
			for range maxPreviousChains + 1 {
				s.Previous = append(s.Previous, key)
			}
		}),
		"short previous": body(func(s *stateBody) { s.Previous = [][]byte{key[:5]} }),
		"too large":      append(bytes.Repeat([]byte{0}, MaxStateSize), states[0]...),
	} {
		var s State
		if err := s.UnmarshalBinary(b); !errors.Is(err, ErrBadState) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// The largest state is within MaxStateSize.
	full := body(func(s *stateBody) {
		s.Skipped = nil
		for i := range MaxSkippedKeys {
			s.Skipped = append(s.Skipped, skippedBody{DH: key, N: 1<<32 - 1 - uint32(i), MK: key})
		}
		for range maxPreviousChains {
			s.Previous = append(s.Previous, key)
		}
	})
	var s State
	if err := s.UnmarshalBinary(full); err != nil || len(full) > MaxStateSize {
		t.Fatalf("largest state (%d bytes): %v", len(full), err)
	}
}

func TestDestroy(t *testing.T) {
	t.Parallel()
	alice, bob := newPair(t, 11)
	mustDecrypt(t, bob, mustEncrypt(t, alice, "x"), "x")
	rk := bob.c.rk
	bob.Destroy()
	if bob.c.rk == rk || bob.c.rk != [32]byte{} || bob.c.dhs != nil {
		t.Fatal("root key or private key left")
	}
	if _, err := bob.MarshalBinary(); !errors.Is(err, ErrBadState) {
		t.Fatalf("MarshalBinary after Destroy: %v", err)
	}
	// Neither a destroyed nor a zero State does anything.
	m := mustEncrypt(t, alice, "y")
	for _, s := range []*State{bob, {}} {
		if _, err := s.Decrypt(m, testAD); !errors.Is(err, ErrBadState) {
			t.Errorf("Decrypt: %v", err)
		}
		if _, err := s.Encrypt(nil, nil); !errors.Is(err, ErrBadState) {
			t.Errorf("Encrypt: %v", err)
		}
	}
}

// TestRedacted: no way of printing a State shows a key.
func TestRedacted(t *testing.T) {
	t.Parallel()
	alice, bob := newPair(t, 12)
	mustEncrypt(t, alice, "a0")
	mustDecrypt(t, bob, mustEncrypt(t, alice, "a1"), "a1")
	for _, s := range []*State{alice, bob} {
		var logged bytes.Buffer
		slog.New(slog.NewJSONHandler(&logged, nil)).Info("state", "s", s, "v", *s)
		out := []string{logged.String()}
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%X", "%d", "%q"} {
			out = append(out, fmt.Sprintf(verb, s), fmt.Sprintf(verb, *s))
		}
		out = append(out, fmt.Sprint(s), fmt.Sprintf("%v", []*State{s}), fmt.Sprintf("%+v", struct{ S State }{*s}))
		secrets := [][]byte{s.c.rk[:], s.c.cks[:], s.c.dhs.Bytes()}
		for _, k := range s.skipped.all() {
			secrets = append(secrets, k.mk[:])
		}
		for _, o := range out {
			if !strings.Contains(o, "ns") && !strings.Contains(o, "Ns") {
				t.Errorf("not the summary: %s", o)
			}
			for _, secret := range secrets {
				if strings.Contains(strings.ToLower(o), fmt.Sprintf("%x", secret)) || strings.Contains(o, fmt.Sprint(secret)) {
					t.Errorf("a key printed: %s", o)
				}
			}
		}
	}
}
