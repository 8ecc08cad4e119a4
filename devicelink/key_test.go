package devicelink

import (
	"bytes"
	"crypto/mlkem"
	"testing"
)

func TestLinkKey(t *testing.T) {
	k, err := NewLinkKey()
	if err != nil {
		t.Fatal(err)
	}
	other, err := NewLinkKey()
	if err != nil {
		t.Fatal(err)
	}
	pub := k.PublicKey()
	if len(pub) != PublicKeySize || PublicKeySize != 1216 {
		t.Fatalf("public key of %d bytes, PublicKeySize %d", len(pub), PublicKeySize)
	}
	if !bytes.Equal(pub[:mlkem.EncapsulationKeySize768], k.kem.EncapsulationKey().Bytes()) || !bytes.Equal(pub[mlkem.EncapsulationKeySize768:], k.x.PublicKey().Bytes()) {
		t.Fatal("the public key is not ML-KEM ek ‖ X25519")
	}
	if bytes.Equal(pub, other.PublicKey()) {
		t.Fatal("two fresh link keys are the same")
	}
	pub[0] ^= 1
	if bytes.Equal(pub, k.PublicKey()) {
		t.Fatal("PublicKey returns the key's own buffer")
	}
	k.Destroy()
	if _, err := k.hpkeKey(); err == nil {
		t.Fatal("a destroyed key still works")
	}
	if _, err := k.OpenBundle([32]byte{}, testAccount(t).Public(), make([]byte, 2000)); err == nil {
		t.Fatal("a destroyed key opened something")
	}
}

func TestLinkKeyFromSeeds(t *testing.T) {
	a, b := testLinkKey(t), testLinkKey(t)
	if !bytes.Equal(a.PublicKey(), b.PublicKey()) {
		t.Fatal("the same seeds make different keys")
	}
}

func TestKeyHash(t *testing.T) {
	pub := testLinkKey(t).PublicKey()
	h := KeyHash(pub)
	for i := range pub {
		bad := bytes.Clone(pub)
		bad[i] ^= 0x80
		if KeyHash(bad) == h {
			t.Fatalf("byte %d does not change the hash", i)
		}
	}
}

func TestCheckPublicKey(t *testing.T) {
	k := testLinkKey(t)
	pub := k.PublicKey()
	code := testCode(t, pub)
	if err := CheckPublicKey(code, pub); err != nil {
		t.Fatal(err)
	}
	other, err := NewLinkKey()
	if err != nil {
		t.Fatal(err)
	}
	// A key that is not reduced mod q: its hash can be put in a code, and it still
	// must not be used.
	unreduced := bytes.Clone(pub)
	unreduced[0], unreduced[1] = 0xff, 0xff
	flipped := bytes.Clone(pub)
	flipped[PublicKeySize-1] ^= 1
	for name, tc := range map[string]struct {
		code Code
		pub  []byte
	}{
		"other key":             {code, other.PublicKey()},
		"flipped":               {code, flipped},
		"short":                 {code, pub[:PublicKeySize-1]},
		"long":                  {code, append(bytes.Clone(pub), 0)},
		"empty":                 {code, nil},
		"code of short key":     {Code{KeyHash: KeyHash(pub[:100])}, pub[:100]},
		"code of unreduced key": {Code{KeyHash: KeyHash(unreduced)}, unreduced},
	} {
		t.Run(name, func(t *testing.T) {
			wantErr(t, CheckPublicKey(tc.code, tc.pub), ErrKeyMismatch)
		})
	}
}
