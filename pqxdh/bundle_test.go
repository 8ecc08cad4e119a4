package pqxdh

import (
	"bytes"
	"errors"
	"testing"

	"hush/identity"
	"hush/internal/testutil"
)

func TestBundleEncoding(t *testing.T) {
	bob := testBob(t)
	_, pub := newStore(t, bob, 1)
	for _, tc := range []struct {
		name string
		b    Bundle
	}{
		{"with a one-time prekey", bundleOf(pub)},
		{"without", Bundle{Device: pub.Device, SignedPrekey: pub.SignedPrekey, PQPrekey: pub.LastResort}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := EncodeBundle(tc.b)
			if err != nil {
				t.Fatal(err)
			}
			if len(b) > MaxBundleSize {
				t.Fatalf("%d bytes, over MaxBundleSize", len(b))
			}
			t.Logf("%d bytes", len(b))
			got, err := ParseBundle(b)
			if err != nil {
				t.Fatal(err)
			}
			if again, err := EncodeBundle(got); err != nil || !bytes.Equal(again, b) {
				t.Fatalf("does not round-trip: %v", err)
			}
			if err := got.verify(bob.Public()); err != nil {
				t.Fatal(err)
			}
			for n := range len(b) {
				if _, err := ParseBundle(b[:n]); !errors.Is(err, ErrInvalidBundle) {
					t.Fatalf("truncated to %d bytes: %v", n, err)
				}
			}
			// Any accepted change must be one the signatures do not cover: the
			// one-time prekey, or the device's X25519 key.
			testutil.EachBitFlip(b, 0, len(b), func(flipped []byte, _, _ int) {
				got, err := ParseBundle(flipped)
				if err != nil {
					if !errors.Is(err, ErrInvalidBundle) && !errors.Is(err, ErrBadSignature) {
						t.Fatalf("untyped error: %v", err)
					}
					return
				}
				if !got.Device.Equal(bob.Public()) {
					// The device's X25519 half signs nothing: Initiate refuses it.
					if err := got.verify(bob.Public()); !errors.Is(err, ErrWrongPeer) {
						t.Fatalf("a changed device key: %v", err)
					}
					return
				}
				if !got.SignedPrekey.Key.Equal(tc.b.SignedPrekey.Key) || !bytes.Equal(got.PQPrekey.Key.Bytes(), tc.b.PQPrekey.Key.Bytes()) ||
					got.SignedPrekey.ID != tc.b.SignedPrekey.ID || got.PQPrekey.ID != tc.b.PQPrekey.ID {
					t.Fatalf("accepted a change to a signed part")
				}
			})
		})
	}
	if _, err := ParseBundle(make([]byte, MaxBundleSize+1)); !errors.Is(err, ErrInvalidBundle) {
		t.Errorf("over the limit: %v", err)
	}
	// A one-time PQ prekey signed as such, placed where a signed X25519 prekey
	// belongs: its kind is refused before its size.
	w := bundleWire{Version: bundleVersion, Device: bob.Public().Bytes()}
	w.SignedPrekey, _ = pub.PQOneTime[0].wire()
	w.PQPrekey, _ = pub.LastResort.wire()
	b, err := enc.Marshal(w)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParseBundle(b); !errors.Is(err, ErrInvalidBundle) {
		t.Errorf("a PQ prekey as signed prekey: %v", err)
	}
	if _, err := EncodeBundle(Bundle{}); !errors.Is(err, ErrInvalidBundle) {
		t.Errorf("empty bundle: %v", err)
	}
}

func TestPublicationEncoding(t *testing.T) {
	bob := testBob(t)
	_, full := newStore(t, bob, MaxOneTimePrekeys)
	b, err := EncodePublication(full)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > MaxPublicationSize {
		t.Fatalf("the largest publication is %d bytes, over MaxPublicationSize", len(b))
	}
	t.Logf("largest publication: %d bytes", len(b))
	got, err := ParsePublication(b)
	if err != nil {
		t.Fatal(err)
	}
	if again, err := EncodePublication(got); err != nil || !bytes.Equal(again, b) {
		t.Fatalf("does not round-trip: %v", err)
	}
	if _, err := ParsePublication(make([]byte, MaxPublicationSize+1)); !errors.Is(err, ErrInvalidBundle) {
		t.Errorf("over the limit: %v", err)
	}

	_, small := newStore(t, bob, 1)
	sb, err := EncodePublication(small)
	if err != nil {
		t.Fatal(err)
	}
	for n := range len(sb) {
		if _, err := ParsePublication(sb[:n]); !errors.Is(err, ErrInvalidBundle) {
			t.Fatalf("truncated to %d bytes: %v", n, err)
		}
	}
	for _, tc := range []struct {
		name   string
		change func(*Publication)
		want   error
	}{
		{"too many one-time prekeys", func(p *Publication) { p.OneTime = append(p.OneTime, full.OneTime...) }, ErrInvalidBundle},
		{"last resort among the one-time PQ prekeys", func(p *Publication) { p.PQOneTime = append(p.PQOneTime, p.LastResort) }, ErrInvalidBundle},
		{"a one-time PQ prekey as last resort", func(p *Publication) { p.LastResort = p.PQOneTime[0]; p.LastResort.LastResort = true }, ErrBadSignature},
		{"another device's key", func(p *Publication) { p.Device = testAlice(t).Public() }, ErrBadSignature},
		{"no device", func(p *Publication) { p.Device = identity.DevicePublicKey{} }, ErrInvalidBundle},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := small
			p.OneTime = append([]OneTimePrekey(nil), small.OneTime...)
			p.PQOneTime = append([]PQPrekey(nil), small.PQOneTime...)
			tc.change(&p)
			b, err := EncodePublication(p)
			if err == nil {
				_, err = ParsePublication(b)
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("%v, want %v", err, tc.want)
			}
		})
	}
}

func TestSafetyNumber(t *testing.T) {
	a, b, c := testAlice(t).Public(), testBob(t).Public(), testDevice(t, 0x50, 0x51).Public()
	ab, err := SafetyNumber(a, b)
	if err != nil {
		t.Fatal(err)
	}
	ba, _ := SafetyNumber(b, a)
	ac, _ := SafetyNumber(a, c)
	if ab.Digits != ba.Digits || ab.Digits == ac.Digits || len(ab.Emoji) != 8 {
		t.Errorf("a-b %v, b-a %v, a-c %v", ab, ba, ac)
	}
	if _, err := SafetyNumber(a, identity.DevicePublicKey{}); !errors.Is(err, identity.ErrInvalidKey) {
		t.Errorf("missing key: %v", err)
	}
}
