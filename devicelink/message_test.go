package devicelink

import (
	"bytes"
	"encoding/hex"
	"reflect"
	"testing"

	"hush/internal/testutil"
)

func filled(n int, b byte) []byte { return bytes.Repeat([]byte{b}, n) }

// testMessages returns one message of each kind, with the given sealed bundle.
func testMessages(sealed []byte) map[string]Message {
	return map[string]Message{
		"commit":  Commit{Hash: [32]byte(filled(32, 1))},
		"reply":   Reply{Nonce: [32]byte(filled(32, 2)), Device: filled(64, 3)},
		"reveal":  Reveal{Account: filled(64, 4), Nonce: [32]byte(filled(32, 5))},
		"bundle":  SealedBundle{Sealed: sealed},
		"decline": Decline{Reason: ReasonSASMismatch},
	}
}

func TestMessageRoundTrip(t *testing.T) {
	msgs := testMessages(filled(sealOverhead+100, 6))
	for r := ReasonDeclined; r <= ReasonInternal; r++ {
		msgs["decline "+r.String()] = Decline{Reason: r}
	}
	for name, m := range msgs {
		t.Run(name, func(t *testing.T) {
			b, err := EncodeMessage(m)
			if err != nil {
				t.Fatal(err)
			}
			got, err := DecodeMessage(b)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, m) {
				t.Fatalf("decoded %#v, sent %#v", got, m)
			}
		})
	}
}

func TestEncodeMessageRefuses(t *testing.T) {
	for name, m := range map[string]Message{
		"nil":               nil,
		"short device":      Reply{Device: filled(63, 1)},
		"long account":      Reveal{Account: filled(65, 1)},
		"empty bundle":      SealedBundle{},
		"bundle only HPKE":  SealedBundle{Sealed: filled(sealOverhead, 1)},
		"bundle over limit": SealedBundle{Sealed: filled(MaxSealedBundleSize+1, 1)},
		"reason 0":          Decline{},
		"reason 6":          Decline{Reason: 6},
		"pointer":           &Commit{},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := EncodeMessage(m)
			wantErr(t, err, ErrBadMessage)
		})
	}
}

func TestDecodeMessageBad(t *testing.T) {
	h := func(s string) []byte { return testutil.Hex(t, s) }
	hash := hex.EncodeToString(filled(32, 1))
	for name, b := range map[string][]byte{
		"empty":             nil,
		"not an array":      h("01"),
		"unknown type 0":    h("820081" + "5820" + hash),
		"unknown type 6":    h("820681" + "5820" + hash),
		"three elements":    h("830181" + "5820" + hash + "00"),
		"trailing byte":     h("820181" + "5820" + hash + "00"),
		"short hash":        h("820181" + "581f" + hash[2:]),
		"hash as text":      h("820181" + "7820" + hash),
		"body not an array": h("8201" + "5820" + hash),
		"body too long":     h("820182" + "5820" + hash + "00"),
		"long type header":  h("82180181" + "5820" + hash),
		"long bstr header":  h("820181" + "590020" + hash),
		"indefinite body":   h("82019f" + "5820" + hash + "ff"),
		"tagged":            h("d9d9f7820181" + "5820" + hash),
		"reason 0":          h("82058100"),
		"reason 6":          h("82058106"),
		"reason 256":        h("8205811901" + "00"),
		"reason negative":   h("82058120"),
		"reply short nonce": h("820282" + "581f" + hex.EncodeToString(filled(31, 2)) + "5840" + hex.EncodeToString(filled(64, 3))),
		"reveal swapped":    h("820382" + "5820" + hash + "5840" + hex.EncodeToString(filled(64, 3))),
		"bundle too small":  h("820481" + "4100"),
		"over the limit":    append(h("820481"+"5a00012001"), filled(MaxMessageSize, 0)...),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := DecodeMessage(b)
			wantErr(t, err, ErrBadMessage)
			t.Log(err)
		})
	}
}

// TestMessageTruncations decodes every prefix of every message: none is a message.
func TestMessageTruncations(t *testing.T) {
	for name, m := range testMessages(filled(sealOverhead+10, 6)) {
		t.Run(name, func(t *testing.T) {
			b, err := EncodeMessage(m)
			if err != nil {
				t.Fatal(err)
			}
			for n := range len(b) {
				_, err := DecodeMessage(b[:n])
				wantErr(t, err, ErrBadMessage)
			}
		})
	}
}

// TestMessageBitFlips changes every bit of every message's framing (and a bit of
// every byte of its payload): each result is refused or is another message.
func TestMessageBitFlips(t *testing.T) {
	for name, m := range testMessages(filled(sealOverhead+10, 6)) {
		t.Run(name, func(t *testing.T) {
			b, err := EncodeMessage(m)
			if err != nil {
				t.Fatal(err)
			}
			testutil.EachBitFlip(b, 8, len(b), func(bad []byte, i, bit int) {
				got, err := DecodeMessage(bad)
				if err != nil {
					wantErr(t, err, ErrBadMessage)
					return
				}
				if reflect.DeepEqual(got, m) {
					t.Fatalf("byte %d bit %d: the same message", i, bit)
				}
				if again, _ := EncodeMessage(got); !bytes.Equal(again, bad) {
					t.Fatalf("byte %d bit %d: accepted an encoding that does not re-encode", i, bit)
				}
			})
		})
	}
}

// TestMessageLimit sends the largest sealed bundle there can be: it fits in a
// message, and one byte more does not.
func TestMessageLimit(t *testing.T) {
	b, err := EncodeMessage(SealedBundle{Sealed: filled(MaxSealedBundleSize, 7)})
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > MaxMessageSize {
		t.Fatalf("%d bytes", len(b))
	}
	if _, err := DecodeMessage(b); err != nil {
		t.Fatal(err)
	}
	_, err = EncodeMessage(SealedBundle{Sealed: filled(MaxSealedBundleSize+1, 7)})
	wantErr(t, err, ErrBadMessage)
}

func TestDeclineReasonString(t *testing.T) {
	seen := map[string]bool{}
	for r := ReasonDeclined; r <= ReasonInternal; r++ {
		if s := r.String(); seen[s] || s == "" {
			t.Errorf("%d: %q", r, s)
		} else {
			seen[s] = true
		}
	}
	if got := DeclineReason(9).String(); got != "DeclineReason(9)" {
		t.Errorf("unknown reason prints %q", got)
	}
}
