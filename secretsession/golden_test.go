package secretsession

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"flag"
	"os"
	"testing"
	"testing/cryptotest"

	"github.com/fxamacker/cbor/v2"

	"hush/identity"
	"hush/internal/testutil"
	"hush/pqxdh"
)

var update = flag.Bool("update", false, "rewrite testdata/golden.json from the current code")

// golden is testdata/golden.json: one handshake between the fixture devices and
// Alice's first two frames, every key and every random byte fixed (the device
// keys by their seeds, the rest by testing/cryptotest.SetGlobalRandom).
//
// It is a regression test of this package's construction — the frame layout and
// the associated data — not an independent known-answer test: nothing outside Go
// can replay crypto/rand's deterministic stream. The cryptography underneath has
// independent vectors already: pqxdh's testdata/kat.json pins the handshake's SK
// and AD, and ratchet's testdata/kat.json a whole conversation for a given SK and
// AD, both from Python generators. What this package adds is checked here against
// the layout the package documentation states, decoded with a generic CBOR
// decoder and rebuilt by hand, not with this package's code.
type golden struct {
	Bundle       string   `json:"bundle"`
	HandshakeAD  string   `json:"handshake_ad"`
	Frames       []string `json:"frames"`
	Plaintexts   []string `json:"plaintexts"`
	FrameAD      string   `json:"frame_ad"`
	AliceSession string   `json:"alice_session"`
}

func TestGolden(t *testing.T) {
	// Not parallel: SetGlobalRandom sets the process's randomness.
	cryptotest.SetGlobalRandom(t, 1)
	alice, bob := testAlice(t), testBob(t)
	store, rel := newStore(t, bob, 1)
	b := rel.bundle()
	bundle, err := pqxdh.EncodeBundle(b)
	if err != nil {
		t.Fatal(err)
	}
	s := mustStart(t, alice, bob.Public(), b, chatID(7))
	got := golden{
		Bundle:      hex.EncodeToString(bundle),
		HandshakeAD: hex.EncodeToString(s.ad),
		Plaintexts:  []string{"first", "second"},
		FrameAD:     hex.EncodeToString(associatedData(s.ad, chatID(7), alice.ID(), bob.ID())),
	}
	for _, pt := range got.Plaintexts {
		got.Frames = append(got.Frames, hex.EncodeToString(mustSeal(t, s, pt)))
	}
	got.AliceSession = hex.EncodeToString(encodeSession(t, s))

	if *update {
		out, err := json.MarshalIndent(got, "", "\t")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile("testdata/golden.json", append(out, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	raw, err := os.ReadFile("testdata/golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var want golden
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, got, want string }{
		{"bundle", got.Bundle, want.Bundle},
		{"handshake AD", got.HandshakeAD, want.HandshakeAD},
		{"frame AD", got.FrameAD, want.FrameAD},
		{"frame 1", got.Frames[0], want.Frames[0]},
		{"frame 2", got.Frames[1], want.Frames[1]},
		{"Alice's session", got.AliceSession, want.AliceSession},
	} {
		if c.got != c.want {
			t.Errorf("%s = %s\nwant %s", c.name, c.got, c.want)
		}
	}

	// The stored frames, read as the documentation describes them.
	ad := testutil.Hex(t, want.HandshakeAD)
	for _, fh := range want.Frames {
		checkFrameLayout(t, testutil.Hex(t, fh), alice.Public(), bob.Public())
	}
	// The frame AD, rebuilt from the documentation.
	chat, from, to := chatID(7), alice.ID(), bob.ID()
	var manual []byte
	manual = append(manual, "hush/v1/secretsession/frame"...)
	manual = append(manual, 0x00, 0x01)
	manual = append(manual, ad...)
	manual = append(append(append(manual, chat[:]...), from[:]...), to[:]...)
	if hex.EncodeToString(manual) != want.FrameAD {
		t.Errorf("the frame AD is not the documented concatenation")
	}

	// Bob opens the stored frames, in order, with a store made as the vectors'.
	bobS, pt, err := Accept(bob, store, testutil.Hex(t, want.Frames[0]))
	if err != nil || string(pt) != want.Plaintexts[0] {
		t.Fatalf("Accept of the stored frame: %q, %v", pt, err)
	}
	mustOpen(t, bobS, testutil.Hex(t, want.Frames[1]), want.Plaintexts[1])
}

// checkFrameLayout decodes f with a generic CBOR decoder and checks the layout
// the package documentation gives: [1, chat id, sender id, recipient id, initial
// message, ratchet message].
func checkFrameLayout(t *testing.T, f []byte, from, to identity.DevicePublicKey) {
	t.Helper()
	var parts []any
	if err := cbor.Unmarshal(f, &parts); err != nil {
		t.Fatal(err)
	}
	if len(parts) != 6 {
		t.Fatalf("a frame of %d parts", len(parts))
	}
	if v, ok := parts[0].(uint64); !ok || v != 1 {
		t.Errorf("version %v", parts[0])
	}
	chat := chatID(7)
	fromID, toID := from.ID(), to.ID()
	for i, want := range [][]byte{chat[:], fromID[:], toID[:]} {
		if b, ok := parts[1+i].([]byte); !ok || !bytes.Equal(b, want) {
			t.Errorf("part %d = %x, want %x", 1+i, parts[1+i], want)
		}
	}
	im, ok := parts[4].([]byte)
	if !ok {
		t.Fatalf("initial message %T", parts[4])
	}
	m, err := pqxdh.ParseInitialMessage(im)
	if err != nil || !m.Initiator.Equal(from) {
		t.Errorf("the initial message: %v", err)
	}
	if msg, ok := parts[5].([]byte); !ok || len(msg) == 0 {
		t.Errorf("ratchet message %T", parts[5])
	}
}
