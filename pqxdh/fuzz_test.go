package pqxdh

import (
	"bytes"
	"errors"
	"testing"
)

// The fuzz targets feed arbitrary input to every decoder. Each must return one of
// its sentinel errors or a value that encodes back to the very same bytes, and
// never panic.

// fuzzDecoder runs the shared check of every target: parse b; on success,
// encoding the value again gives b, and check (if any) holds.
func fuzzDecoder[T any](f *testing.F, parse func([]byte) (T, error), encode func(T) ([]byte, error), check func(*testing.T, T), sentinels ...error) {
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := parse(b)
		if err != nil {
			for _, s := range sentinels {
				if errors.Is(err, s) {
					return
				}
			}
			t.Fatalf("untyped error: %v", err)
		}
		again, err := encode(got)
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("accepted %x, which re-encodes as %x: %v", b, again, err)
		}
		if check != nil {
			check(t, got)
		}
	})
}

func addEncoded[T any](f *testing.F, encode func(T) ([]byte, error), values ...T) {
	for _, v := range values {
		b, err := encode(v)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

func FuzzParseBundle(f *testing.F) {
	_, pub := newStore(f, testBob(f), 1)
	addEncoded(f, EncodeBundle, bundleOf(pub), Bundle{Device: pub.Device, SignedPrekey: pub.SignedPrekey, PQPrekey: pub.LastResort})
	f.Add([]byte{0x85, 0x01, 0xf6, 0xf6, 0xf6, 0xf6})
	// Whatever parses is signed by its own device key.
	verified := func(t *testing.T, b Bundle) {
		if err := b.verify(b.Device); err != nil {
			t.Fatalf("accepted a bundle that does not verify: %v", err)
		}
	}
	fuzzDecoder(f, ParseBundle, EncodeBundle, verified, ErrInvalidBundle, ErrBadSignature)
}

func FuzzParsePublication(f *testing.F) {
	_, pub := newStore(f, testBob(f), 2)
	addEncoded(f, EncodePublication, pub)
	fuzzDecoder(f, ParsePublication, EncodePublication, nil, ErrInvalidBundle, ErrBadSignature)
}

func FuzzParseInitialMessage(f *testing.F) {
	bob := testBob(f)
	_, pub := newStore(f, bob, 1)
	m, _, err := Initiate(testAlice(f), bob.Public(), bundleOf(pub))
	if err != nil {
		f.Fatal(err)
	}
	addEncoded(f, EncodeInitialMessage, m)
	f.Add([]byte{0x87, 0x01, 0x40, 0x40, 0x40, 0x40, 0x40, 0x40})
	fuzzDecoder(f, ParseInitialMessage, EncodeInitialMessage, nil, ErrInvalidMessage)
}

func FuzzParseStore(f *testing.F) {
	s, _ := newStore(f, testBob(f), 2)
	addEncoded(f, EncodeStore, katStore(f), s)
	fuzzDecoder(f, ParseStore, EncodeStore, nil, ErrInvalidStore)
}

func FuzzParsePQPrekey(f *testing.F) {
	bob := testBob(f)
	_, pub := newStore(f, bob, 1)
	addEncoded(f, EncodePQPrekey, pub.LastResort, pub.PQOneTime[0])
	parse := func(b []byte) (PQPrekey, error) { return ParsePQPrekey(bob.Public(), b) }
	fuzzDecoder(f, parse, EncodePQPrekey, nil, ErrInvalidBundle, ErrBadSignature)
}

func FuzzParseSignedPrekey(f *testing.F) {
	bob := testBob(f)
	_, pub := newStore(f, bob, 0)
	addEncoded(f, EncodeSignedPrekey, pub.SignedPrekey)
	parse := func(b []byte) (SignedPrekey, error) { return ParseSignedPrekey(bob.Public(), b) }
	fuzzDecoder(f, parse, EncodeSignedPrekey, nil, ErrInvalidBundle, ErrBadSignature)
}

func FuzzParseOneTimePrekey(f *testing.F) {
	_, pub := newStore(f, testBob(f), 1)
	addEncoded(f, EncodeOneTimePrekey, pub.OneTime[0])
	fuzzDecoder(f, ParseOneTimePrekey, EncodeOneTimePrekey, nil, ErrInvalidBundle)
}
