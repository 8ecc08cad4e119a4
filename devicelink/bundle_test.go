package devicelink

import (
	"bytes"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"hush/identity"
	"hush/internal/testutil"
)

func sameBundle(t *testing.T, got, want Bundle) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("opened %#v\nwant %#v (seeds differ: %v)", got, want, !bytes.Equal(got.SigningSeed, want.SigningSeed))
	}
}

func TestBundleRoundTrip(t *testing.T) {
	key := testLinkKey(t)
	account := testAccount(t)
	legacy, err := identity.AccountKeyFromSeeds(seed(1), seed(2), nil)
	if err != nil {
		t.Fatal(err)
	}
	device := testDevice(t).Public()
	transcript := [32]byte{1, 2, 3}
	for name, tc := range map[string]struct {
		account *identity.AccountKey
		mod     func(*Bundle)
	}{
		"full":      {account, nil},
		"legacy":    {legacy, nil},
		"no handle": {account, func(b *Bundle) { b.Handle, b.DisplayName = "", "" }},
		"older ML-KEM seeds": {account, func(b *Bundle) {
			b.OtherKEMSeeds = [][]byte{filled(identity.KEMSeedSize, 0x31), filled(identity.KEMSeedSize, 0x32)}
		}},
		"most older ML-KEM seeds": {account, func(b *Bundle) {
			for i := range MaxOtherKEMSeeds {
				b.OtherKEMSeeds = append(b.OtherKEMSeeds, filled(identity.KEMSeedSize, byte(i)))
			}
		}},
		"long fields": {account, func(b *Bundle) {
			b.Handle, b.DisplayName = strings.Repeat("h", MaxHandleSize), strings.Repeat("é", MaxDisplayNameSize/2)
		}},
	} {
		t.Run(name, func(t *testing.T) {
			b := testBundle(t, tc.account, device)
			if tc.mod != nil {
				tc.mod(&b)
			}
			sealed, err := SealBundle(key.PublicKey(), transcript, b)
			if err != nil {
				t.Fatal(err)
			}
			got, err := key.OpenBundle(transcript, tc.account.Public(), sealed)
			if err != nil {
				t.Fatal(err)
			}
			sameBundle(t, got, b)
			// The revealed account is the 64-byte form, without ML-KEM: it matches too.
			if _, err := key.OpenBundle(transcript, tc.account.Public().WithoutKEM(), sealed); err != nil {
				t.Fatal(err)
			}
			got.Destroy()
			if got.SigningSeed != nil || got.EncryptionKey != nil || got.KEMSeed != nil {
				t.Fatal("Destroy kept the seeds")
			}
		})
	}
}

func TestBundleDoesNotPrintSeeds(t *testing.T) {
	b := testBundle(t, testAccount(t), testDevice(t).Public())
	for _, s := range []string{fmt.Sprint(b), fmt.Sprintf("%+v", b), fmt.Sprintf("%#v", b), b.LogValue().String()} {
		if strings.Contains(s, "0101") || strings.Contains(s, "[1 1 1") || !strings.Contains(s, "REDACTED") {
			t.Errorf("printed %s", s)
		}
	}
}

// TestOpenBundleFails opens bundles that must not open: for another exchange,
// another link key, another account, malformed.
func TestOpenBundleFails(t *testing.T) {
	key := testLinkKey(t)
	account := testAccount(t)
	device := testDevice(t).Public()
	transcript := [32]byte{1, 2, 3}
	sealed, err := SealBundle(key.PublicKey(), transcript, testBundle(t, account, device))
	if err != nil {
		t.Fatal(err)
	}
	otherKey, err := NewLinkKey()
	if err != nil {
		t.Fatal(err)
	}
	stranger, err := identity.NewAccountKey()
	if err != nil {
		t.Fatal(err)
	}
	// A bundle with the stranger's certificate but the account's seeds, and one with
	// the account's certificate and the stranger's seeds.
	mixed := func(seeds, certBy *identity.AccountKey) []byte {
		b := testBundle(t, seeds, device)
		b.Certificate = testBundle(t, certBy, device).Certificate
		s, err := SealBundle(key.PublicKey(), transcript, b)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	// A bundle whose certificate does not parse.
	badCert := testBundle(t, account, device)
	badCert.Certificate = []byte{0x80}
	badCertSealed, err := SealBundle(key.PublicKey(), transcript, badCert)
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		key        *LinkKey
		transcript [32]byte
		account    identity.AccountPublicKey
		sealed     []byte
		want       error
	}{
		"other transcript":   {key, [32]byte{1, 2, 4}, account.Public(), sealed, ErrBadBundle},
		"other link key":     {otherKey, transcript, account.Public(), sealed, ErrBadBundle},
		"other account":      {key, transcript, stranger.Public(), sealed, ErrWrongAccount},
		"no account":         {key, transcript, identity.AccountPublicKey{}, sealed, ErrBadBundle},
		"stranger's cert":    {key, transcript, account.Public(), mixed(account, stranger), ErrWrongAccount},
		"stranger's seeds":   {key, transcript, account.Public(), mixed(stranger, account), ErrWrongAccount},
		"bad certificate":    {key, transcript, account.Public(), badCertSealed, ErrBadBundle},
		"empty":              {key, transcript, account.Public(), nil, ErrBadBundle},
		"only HPKE overhead": {key, transcript, account.Public(), sealed[:sealOverhead], ErrBadBundle},
		"over the limit":     {key, transcript, account.Public(), filled(MaxSealedBundleSize+1, 0), ErrBadBundle},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := tc.key.OpenBundle(tc.transcript, tc.account, tc.sealed)
			wantErr(t, err, tc.want)
			wantErr(t, err, ErrBadBundle)
		})
	}
}

func TestSealBundleRefuses(t *testing.T) {
	pub := testLinkKey(t).PublicKey()
	good := testBundle(t, testAccount(t), testDevice(t).Public())
	for name, mod := range map[string]func(*Bundle){
		"short signing seed":   func(b *Bundle) { b.SigningSeed = b.SigningSeed[:31] },
		"no encryption key":    func(b *Bundle) { b.EncryptionKey = nil },
		"short KEM seed":       func(b *Bundle) { b.KEMSeed = b.KEMSeed[:63] },
		"empty KEM seed":       func(b *Bundle) { b.KEMSeed = []byte{} },
		"no certificate":       func(b *Bundle) { b.Certificate = nil },
		"certificate too long": func(b *Bundle) { b.Certificate = filled(identity.MaxCertificateSize+1, 1) },
		"no device list":       func(b *Bundle) { b.DeviceList = nil },
		"device list too long": func(b *Bundle) { b.DeviceList = filled(MaxDeviceListSize+1, 1) },
		"handle too long":      func(b *Bundle) { b.Handle = strings.Repeat("h", MaxHandleSize+1) },
		"name too long":        func(b *Bundle) { b.DisplayName = strings.Repeat("n", MaxDisplayNameSize+1) },
		"name not UTF-8":       func(b *Bundle) { b.DisplayName = "\xff" },
	} {
		t.Run(name, func(t *testing.T) {
			b := good
			mod(&b)
			if _, err := SealBundle(pub, [32]byte{}, b); err == nil {
				t.Fatal("sealed")
			}
		})
	}
	if _, err := SealBundle(pub[:100], [32]byte{}, good); err == nil {
		t.Fatal("sealed to a short key")
	}
}

// TestBundleLimits seals the largest valid bundle: it is within maxBundleSize and
// MaxSealedBundleSize, and it opens.
func TestBundleLimits(t *testing.T) {
	key := testLinkKey(t)
	account := testAccount(t)
	b := testBundle(t, account, testDevice(t).Public())
	b.DeviceList = filled(MaxDeviceListSize, 0xdd)
	b.Handle = strings.Repeat("h", MaxHandleSize)
	b.DisplayName = strings.Repeat("n", MaxDisplayNameSize)
	// The largest certificate: an encoding no real one reaches, but within the limit
	// the bundle enforces (it is checked only when opened, and then fails).
	largest := b
	largest.Certificate = filled(identity.MaxCertificateSize, 0xcc)
	pt, err := encodeBundle(largest)
	if err != nil {
		t.Fatal(err)
	}
	if len(pt) != 67_029 || len(pt) > maxBundleSize {
		t.Fatalf("the largest bundle without older ML-KEM seeds is %d bytes", len(pt))
	}
	for range MaxOtherKEMSeeds {
		largest.OtherKEMSeeds = append(largest.OtherKEMSeeds, filled(identity.KEMSeedSize, 0x33))
	}
	if pt, err = encodeBundle(largest); err != nil || len(pt) > maxBundleSize {
		t.Fatalf("the largest bundle: %d bytes, %v", len(pt), err)
	}
	for name, others := range map[string][][]byte{
		"one seed too many": append(slices.Clone(largest.OtherKEMSeeds), filled(identity.KEMSeedSize, 0x34)),
		"a short seed":      {filled(identity.KEMSeedSize-1, 0x34)},
	} {
		bad := largest
		bad.OtherKEMSeeds = others
		if _, err := encodeBundle(bad); err == nil {
			t.Errorf("%s: encoded", name)
		}
	}
	sealed, err := SealBundle(key.PublicKey(), [32]byte{}, largest)
	if err != nil {
		t.Fatal(err)
	}
	if len(sealed) > MaxSealedBundleSize || len(sealed) != len(pt)+sealOverhead {
		t.Fatalf("sealed %d bytes", len(sealed))
	}
	if _, err := EncodeMessage(SealedBundle{Sealed: sealed}); err != nil {
		t.Fatal(err)
	}
	// The largest real bundle opens.
	sealed, err = SealBundle(key.PublicKey(), [32]byte{}, b)
	if err != nil {
		t.Fatal(err)
	}
	got, err := key.OpenBundle([32]byte{}, account.Public(), sealed)
	if err != nil {
		t.Fatal(err)
	}
	sameBundle(t, got, b)
}

// TestDecodeBundleStrict feeds decodeBundle encodings an honest sponsor never
// writes, as a malicious sponsor could seal them.
func TestDecodeBundleStrict(t *testing.T) {
	b := testBundle(t, testAccount(t), testDevice(t).Public())
	good, err := encodeBundle(b)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := decodeBundle(bytes.Clone(good)); err != nil {
		t.Fatal(err)
	} else {
		sameBundle(t, got, b)
	}
	marshal := func(p bundlePlain) []byte {
		out, err := enc.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	plain := bundlePlain{Version: 1, SigningSeed: b.SigningSeed, EncryptionKey: b.EncryptionKey, KEMSeed: b.KEMSeed,
		Certificate: b.Certificate, DeviceList: b.DeviceList, Handle: b.Handle, DisplayName: b.DisplayName}
	with := func(f func(*bundlePlain)) []byte { p := plain; f(&p); return marshal(p) }
	for name, pt := range map[string][]byte{
		"version 2":        with(func(p *bundlePlain) { p.Version = 2 }),
		"KEM seed as null": with(func(p *bundlePlain) { p.KEMSeed = nil }),
		"short KEM seed":   with(func(p *bundlePlain) { p.KEMSeed = p.KEMSeed[:1] }),
		"no device list":   with(func(p *bundlePlain) { p.DeviceList = []byte{} }),
		"trailing byte":    append(bytes.Clone(good), 0),
		"long header":      append([]byte{0x98, 0x08}, good[1:]...),
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := decodeBundle(pt); err == nil {
				t.Fatal("decoded")
			}
		})
	}
}

// TestSealedBundleTruncations opens every prefix of a sealed bundle.
func TestSealedBundleTruncations(t *testing.T) {
	key := testLinkKey(t)
	account := testAccount(t)
	sealed, err := SealBundle(key.PublicKey(), [32]byte{}, testBundle(t, account, testDevice(t).Public()))
	if err != nil {
		t.Fatal(err)
	}
	for n := range len(sealed) {
		_, err := key.OpenBundle([32]byte{}, account.Public(), sealed[:n])
		wantErr(t, err, ErrBadBundle)
	}
}

// TestSealedBundleBitFlips changes a bit of every byte of a sealed bundle (it is
// all key material and ciphertext): none opens.
func TestSealedBundleBitFlips(t *testing.T) {
	key := testLinkKey(t)
	account := testAccount(t)
	sealed, err := SealBundle(key.PublicKey(), [32]byte{}, testBundle(t, account, testDevice(t).Public()))
	if err != nil {
		t.Fatal(err)
	}
	testutil.EachBitFlip(sealed, 0, len(sealed), func(bad []byte, i, bit int) {
		_, err := key.OpenBundle([32]byte{}, account.Public(), bad)
		if err == nil {
			t.Fatalf("byte %d bit %d: opened", i, bit)
		}
		wantErr(t, err, ErrBadBundle)
	})
}
