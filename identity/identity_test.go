package identity

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/kat.json from the current code")

func seed(b byte) []byte { return bytes.Repeat([]byte{b}, SeedSize) }

// kemSeed is a fixed ML-KEM-768 seed of 64 bytes b.
func kemSeed(b byte) []byte { return bytes.Repeat([]byte{b}, KEMSeedSize) }

// testAccount returns the account key made from seeds b, b+1 and ML-KEM seed b+2.
func testAccount(t testing.TB, b byte) *AccountKey {
	t.Helper()
	k, err := AccountKeyFromSeeds(seed(b), seed(b+1), kemSeed(b+2))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func testDevice(t testing.TB, b byte) *DeviceKey {
	t.Helper()
	k, err := DeviceKeyFromSeeds(seed(b), seed(b+1))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// kat is the known-answer record: fixed seeds in, every derived value out.
type kat struct {
	AccountPublic string   `json:"account_public"`
	AccountID     string   `json:"account_id"`
	AccountFP     string   `json:"account_fingerprint"`
	DevicePublic  string   `json:"device_public"`
	DeviceID      string   `json:"device_id"`
	Certificate   string   `json:"certificate_hex"`
	SafetyDigits  string   `json:"safety_digits"`
	SafetyEmoji   []string `json:"safety_emoji"`
	SignatureHex  string   `json:"signature_hex"`
}

func computeKAT(t *testing.T) kat {
	acct := testAccount(t, 1)
	dev := testDevice(t, 3)
	other := testAccount(t, 5)
	cert, err := IssueCertificate(acct, dev.Public(), time.Unix(1_700_000_000, 0))
	if err != nil {
		t.Fatal(err)
	}
	sn := ComputeSafetyNumber(acct.Public(), other.Public())
	return kat{
		AccountPublic: acct.Public().String(),
		AccountID:     acct.ID().String(),
		AccountFP:     acct.Public().Fingerprint(),
		DevicePublic:  dev.Public().String(),
		DeviceID:      dev.ID().String(),
		Certificate:   hex.EncodeToString(cert),
		SafetyDigits:  sn.Digits,
		SafetyEmoji:   sn.Emoji,
		SignatureHex:  hex.EncodeToString(dev.Sign("test", []byte("hello"))),
	}
}

func TestKnownAnswers(t *testing.T) {
	got := computeKAT(t)
	path := filepath.Join("testdata", "kat.json")
	if *update {
		b, _ := json.MarshalIndent(got, "", "  ")
		if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var want kat
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	gb, _ := json.Marshal(got)
	wb, _ := json.Marshal(want)
	if !bytes.Equal(gb, wb) {
		t.Errorf("known answers changed:\n got %s\nwant %s", gb, wb)
	}
}

func TestSeedsRoundTrip(t *testing.T) {
	a, err := NewAccountKey()
	if err != nil {
		t.Fatal(err)
	}
	if !a.HasKEM() {
		t.Fatal("a new account key has no ML-KEM key")
	}
	s, e, m := a.Seeds()
	if len(m) != KEMSeedSize {
		t.Fatalf("ML-KEM seed of %d bytes", len(m))
	}
	b, err := AccountKeyFromSeeds(s, e, m)
	if err != nil {
		t.Fatal(err)
	}
	if !a.Public().Equal(b.Public()) || a.ID() != b.ID() || !b.HasKEM() ||
		!bytes.Equal(a.Public().KEMKey().Bytes(), b.Public().KEMKey().Bytes()) {
		t.Fatal("account key did not survive its seeds")
	}
	d, _ := NewDeviceKey()
	s, e = d.Seeds()
	d2, err := DeviceKeyFromSeeds(s, e)
	if err != nil || !d.Public().Equal(d2.Public()) {
		t.Fatal("device key did not survive its seeds")
	}
	if a.Public().Equal(AccountPublicKey{}) {
		t.Fatal("a key equals the zero key")
	}
}

func TestBadSeeds(t *testing.T) {
	for _, n := range []int{0, 31, 33} {
		if _, err := AccountKeyFromSeeds(make([]byte, n), make([]byte, 32), nil); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("seed of %d bytes: err = %v", n, err)
		}
	}
	for _, n := range []int{0, 32, 63, 65} {
		if _, err := AccountKeyFromSeeds(seed(1), seed(2), make([]byte, n)); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("ML-KEM seed of %d bytes: err = %v", n, err)
		}
	}
}

func TestSignatureLabels(t *testing.T) {
	d := testDevice(t, 9)
	sig := d.Sign("auth", []byte("challenge"))
	tests := []struct {
		name, label, msg string
		sig              []byte
		ok               bool
	}{
		{"valid", "auth", "challenge", sig, true},
		{"other label", "cert", "challenge", sig, false},
		{"other message", "auth", "challengf", sig, false},
		{"short signature", "auth", "challenge", sig[:63], false},
		{"label/message boundary", "auth\x00chal", "lenge", sig, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := d.Public().Verify(tt.label, []byte(tt.msg), tt.sig)
			if (err == nil) != tt.ok {
				t.Fatalf("Verify = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

func TestPublicKeyText(t *testing.T) {
	a := testAccount(t, 1)
	s := a.Public().String()
	if !strings.HasPrefix(s, "hush-acct-pub:") {
		t.Fatalf("String() = %q", s)
	}
	p, err := ParseAccountPublicKeyString(s)
	if err != nil || !p.Equal(a.Public()) {
		t.Fatalf("parse back: %v", err)
	}
	// A device key's text is not an account key.
	if _, err := ParseAccountPublicKeyString(testDevice(t, 1).Public().String()); !errors.Is(err, ErrInvalidKey) {
		t.Fatalf("device text parsed as account key: %v", err)
	}
	if _, err := ParseDevicePublicKeyString("hush-dev-pub:!!"); !errors.Is(err, ErrInvalidKey) {
		t.Fatalf("bad base64: %v", err)
	}
}

func TestCertificate(t *testing.T) {
	acct := testAccount(t, 1)
	dev := testDevice(t, 3)
	now := time.Unix(1_700_000_000, 0)
	b, err := IssueCertificate(acct, dev.Public(), now)
	if err != nil {
		t.Fatal(err)
	}
	c, err := ParseCertificate(b)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Account.Equal(acct.Public()) || !c.Device.Equal(dev.Public()) || !c.IssuedAt.Equal(now) {
		t.Fatalf("parsed %+v", c)
	}
	// Flipping any single bit must be caught.
	for i := range b {
		for bit := 0; bit < 8; bit++ {
			bad := bytes.Clone(b)
			bad[i] ^= 1 << bit
			if c2, err := ParseCertificate(bad); err == nil {
				// A flip may only be accepted if it decodes to the very same certificate,
				// which CBOR's deterministic encoding rules out.
				t.Fatalf("bit %d of byte %d flipped, still accepted: %+v", bit, i, c2)
			}
		}
	}
}

func TestCertificateForgedByOtherAccount(t *testing.T) {
	victim := testAccount(t, 1)
	attacker := testAccount(t, 7)
	dev := testDevice(t, 3)
	b, _ := IssueCertificate(attacker, dev.Public(), time.Now())
	c, err := ParseCertificate(b)
	if err != nil {
		t.Fatal(err) // it is a valid certificate — of the attacker's account
	}
	if c.Account.Equal(victim.Public()) {
		t.Fatal("attacker's certificate claims the victim's account")
	}
}

func TestCertificateTruncations(t *testing.T) {
	b, _ := IssueCertificate(testAccount(t, 1), testDevice(t, 3).Public(), time.Now())
	for n := 0; n < len(b); n++ {
		if _, err := ParseCertificate(b[:n]); !errors.Is(err, ErrInvalidCertificate) {
			t.Fatalf("truncated to %d bytes: err = %v", n, err)
		}
	}
	if _, err := ParseCertificate(make([]byte, MaxCertificateSize+1)); !errors.Is(err, ErrInvalidCertificate) {
		t.Fatal("oversize certificate accepted")
	}
}

func TestSafetyNumberSymmetric(t *testing.T) {
	a, b := testAccount(t, 1).Public(), testAccount(t, 5).Public()
	x, y := ComputeSafetyNumber(a, b), ComputeSafetyNumber(b, a)
	if x.Digits != y.Digits || strings.Join(x.Emoji, "") != strings.Join(y.Emoji, "") {
		t.Fatal("safety number depends on argument order")
	}
	if len(strings.ReplaceAll(x.Digits, " ", "")) != 60 || len(x.Emoji) != 8 {
		t.Fatalf("safety number shape: %q %v", x.Digits, x.Emoji)
	}
	c := testAccount(t, 11).Public()
	if ComputeSafetyNumber(a, c).Digits == x.Digits {
		t.Fatal("different pairs share a safety number")
	}
}

func TestIDsDiffer(t *testing.T) {
	// The same Ed25519 key used as account and device gets different ids (labels).
	a := testAccount(t, 1)
	d := testDevice(t, 1)
	if [16]byte(a.ID()) == [16]byte(d.ID()) {
		t.Fatal("account and device ids collide for the same key")
	}
}

func TestDestroy(t *testing.T) {
	a := testAccount(t, 1)
	priv := a.kp.signing
	a.Destroy()
	for _, c := range priv {
		if c != 0 {
			t.Fatal("private key bytes not cleared")
		}
	}
	if a.HasKEM() || a.KEMKey() != nil {
		t.Fatal("ML-KEM key kept after Destroy")
	}
}

func FuzzParseCertificate(f *testing.F) {
	b, _ := IssueCertificate(testAccount(f, 1), testDevice(f, 3).Public(), time.Unix(1, 0))
	f.Add(b)
	f.Add([]byte{})
	f.Add([]byte{0x82, 0x40, 0x40})
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseCertificate(data)
		if err != nil {
			return
		}
		// Anything accepted must carry a valid signature by the account it names.
		if c.Account.IsZero() || c.Device.IsZero() {
			t.Fatal("accepted certificate without keys")
		}
	})
}

func FuzzParsePublicKey(f *testing.F) {
	f.Add(testAccount(f, 1).Public().Bytes())
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParseAccountPublicKey(data)
		if err != nil {
			return
		}
		if !bytes.Equal(p.Bytes(), data) {
			t.Fatal("parsed key does not re-encode to its input")
		}
	})
}

// The number two devices compare (a secret chat's) is symmetric and, for the very
// same 64 key bytes, never the safety number of two accounts: the labels differ.
func TestDevicePairNumber(t *testing.T) {
	a, err := NewDeviceKey()
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewDeviceKey()
	if err != nil {
		t.Fatal(err)
	}
	ab, ba := ComputeDevicePairNumber(a.Public(), b.Public()), ComputeDevicePairNumber(b.Public(), a.Public())
	if ab.Digits != ba.Digits || strings.Join(ab.Emoji, "") != strings.Join(ba.Emoji, "") {
		t.Fatalf("not symmetric: %v / %v", ab, ba)
	}
	x, err := ParseAccountPublicKey(a.Public().Bytes())
	if err != nil {
		t.Fatal(err)
	}
	y, err := ParseAccountPublicKey(b.Public().Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if ComputeSafetyNumber(x, y).Digits == ab.Digits {
		t.Fatal("the devices' number equals the accounts' safety number over the same bytes")
	}
}
