package devicelink

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// The fuzz targets feed arbitrary input to every decoder. Each must return its
// sentinel error or a value that satisfies its invariants, and never panic.

func FuzzParseCode(f *testing.F) {
	c := testCode(f, testLinkKey(f).PublicKey())
	s := c.String()
	f.Add(s)
	f.Add(strings.ToLower(strings.TrimPrefix(s, "HUSH:")))
	f.Add("HUSH:" + strings.Repeat("A", 100))
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCode(s)
		if err != nil {
			if !errors.Is(err, ErrBadCode) {
				t.Fatalf("untyped error: %v", err)
			}
			return
		}
		// A code has one text, and the text parses back to it.
		again, err := ParseCode(c.String())
		if err != nil || !codesEqual(again, c) {
			t.Fatalf("%q parses to %+v, which prints as %q: %v", s, c, c.String(), err)
		}
		if err := checkRelay(c.Relay); err != nil || c.Session.IsZero() {
			t.Fatalf("accepted %+v", c)
		}
	})
}

func FuzzDecodeMessage(f *testing.F) {
	for _, m := range testMessages(filled(sealOverhead+1, 6)) {
		b, err := EncodeMessage(m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{})
	f.Add([]byte{0x82, 0x05, 0x81, 0x01})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := DecodeMessage(b)
		if err != nil {
			if !errors.Is(err, ErrBadMessage) {
				t.Fatalf("untyped error: %v", err)
			}
			return
		}
		// Only the encoding EncodeMessage writes is accepted.
		again, err := EncodeMessage(m)
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("accepted %x, which re-encodes as %x: %v", b, again, err)
		}
	})
}

func FuzzOpenBundle(f *testing.F) {
	key := testLinkKey(f)
	account := testAccount(f)
	transcript := [32]byte{9}
	want := testBundle(f, account, testDevice(f).Public())
	sealed, err := SealBundle(key.PublicKey(), transcript, want)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(sealed)
	f.Add(sealed[:sealOverhead+1])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := key.OpenBundle(transcript, account.Public(), b)
		if err != nil {
			if !errors.Is(err, ErrBadBundle) {
				t.Fatalf("untyped error: %v", err)
			}
			return
		}
		// Only a bundle sealed for this transcript and account opens: the test's own
		// (sealed again, with other randomness, in each fuzzing worker), and nothing
		// the fuzzer can make without the account's seeds.
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("opened a bundle the test did not seal: %v", got)
		}
	})
}
