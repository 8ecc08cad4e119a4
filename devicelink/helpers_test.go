package devicelink

import (
	"bytes"
	"crypto/mlkem"
	"errors"
	"testing"
	"time"

	"hush/identity"
	"hush/ids"
)

// The fixtures match testdata/katgen.py: link key seeds 5 and 6, account seeds 1,
// 2, 3, device seeds 20, 21, certificates issued at certTime.
var (
	certTime = time.Unix(1_700_000_000, 0).UTC()
	// start is when the newcomer makes the test code; it expires CodeLifetime later.
	start = time.Unix(1_700_000_000, 0).UTC()
)

const testRelay = "wss://relay.example.org/hush"

func seed(b byte) []byte { return bytes.Repeat([]byte{b}, identity.SeedSize) }

func testLinkKey(t testing.TB) *LinkKey {
	t.Helper()
	var kem [mlkem.SeedSize]byte
	var x [32]byte
	copy(kem[:], bytes.Repeat([]byte{5}, len(kem)))
	copy(x[:], seed(6))
	k, err := LinkKeyFromSeeds(kem, x)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func testAccount(t testing.TB) *identity.AccountKey {
	t.Helper()
	k, err := identity.AccountKeyFromSeeds(seed(1), seed(2), bytes.Repeat([]byte{3}, identity.KEMSeedSize))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func testDevice(t testing.TB) *identity.DeviceKey {
	t.Helper()
	k, err := identity.DeviceKeyFromSeeds(seed(20), seed(21))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func testSession() ids.LinkSession {
	var s ids.LinkSession
	for i := range s {
		s[i] = byte(0x10 + i)
	}
	return s
}

func testCode(t testing.TB, pub []byte) Code {
	t.Helper()
	c, err := NewCode(testSession(), pub, testRelay, start)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// testBundle is the bundle account gives device.
func testBundle(t testing.TB, account *identity.AccountKey, device identity.DevicePublicKey) Bundle {
	t.Helper()
	cert, err := identity.IssueCertificate(account, device, certTime)
	if err != nil {
		t.Fatal(err)
	}
	s, x, kem := account.Seeds()
	return Bundle{
		SigningSeed: s, EncryptionKey: x, KEMSeed: kem,
		Certificate: cert,
		DeviceList:  []byte("device list: opaque to devicelink"),
		Handle:      "alice",
		DisplayName: "Zoë Example",
	}
}

// exchange is a link attempt between the two sides with nobody in the middle,
// after both computed the SAS.
type exchange struct {
	key        *LinkKey
	code       Code
	account    *identity.AccountKey
	device     *identity.DeviceKey
	sponsor    *Sponsor
	newcomer   *Newcomer
	sasSponsor SAS
	sasNew     SAS
}

func runExchange(t testing.TB) *exchange {
	t.Helper()
	x := &exchange{key: testLinkKey(t), account: testAccount(t), device: testDevice(t)}
	x.code = testCode(t, x.key.PublicKey())
	var err error
	x.newcomer, err = NewNewcomer(x.code, x.key, x.device.Public())
	if err != nil {
		t.Fatal(err)
	}
	var commit Commit
	x.sponsor, commit, err = NewSponsor(x.code, x.key.PublicKey(), x.account.Public(), start.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	reply, err := x.newcomer.OnCommit(roundTrip(t, commit), start.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	reveal, sas, err := x.sponsor.OnReply(roundTrip(t, reply))
	if err != nil {
		t.Fatal(err)
	}
	x.sasSponsor = sas
	acct, sas, err := x.newcomer.OnReveal(roundTrip(t, reveal))
	if err != nil {
		t.Fatal(err)
	}
	x.sasNew = sas
	if !acct.Equal(x.account.Public()) {
		t.Fatal("the newcomer joins another account")
	}
	return x
}

// roundTrip sends m through the codec, as the relay would carry it.
func roundTrip[M Message](t testing.TB, m M) M {
	t.Helper()
	b, err := EncodeMessage(m)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeMessage(b)
	if err != nil {
		t.Fatal(err)
	}
	out, ok := got.(M)
	if !ok {
		t.Fatalf("decoded %T, sent %T", got, m)
	}
	return out
}

// wantErr fails unless err wraps want.
func wantErr(t testing.TB, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("error %v, want %v", err, want)
	}
}
