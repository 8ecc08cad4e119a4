package chatcrypto

import (
	"bytes"
	"io"
	"math/rand/v2"
	"testing"
	"time"

	"hush/identity"
	"hush/ids"
)

// certTime is the fixed issue time of test certificates, so certificates (and
// everything that carries one) are the same on every run.
var certTime = time.Unix(1_700_000_000, 0)

func seed(b byte) []byte { return bytes.Repeat([]byte{b}, identity.SeedSize) }

// kemSeed is a fixed ML-KEM-768 seed of 64 bytes b.
func kemSeed(b byte) []byte { return bytes.Repeat([]byte{b}, identity.KEMSeedSize) }

// testAccount returns the account key made from seeds b, b+1 and ML-KEM seed b+2
// (as chatcrypto/testdata/katgen.py makes them).
func testAccount(t testing.TB, b byte) *identity.AccountKey {
	t.Helper()
	k, err := identity.AccountKeyFromSeeds(seed(b), seed(b+1), kemSeed(b+2))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// legacyAccount is testAccount without the ML-KEM key, as accounts made before it.
func legacyAccount(t testing.TB, b byte) *identity.AccountKey {
	t.Helper()
	k, err := identity.AccountKeyFromSeeds(seed(b), seed(b+1), nil)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// testSender returns a device (seeds b, b+1) of acct with its certificate.
func testSender(t testing.TB, acct *identity.AccountKey, b byte) *Sender {
	t.Helper()
	dev, err := identity.DeviceKeyFromSeeds(seed(b), seed(b+1))
	if err != nil {
		t.Fatal(err)
	}
	cert, err := identity.IssueCertificate(acct, dev.Public(), certTime)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSender(dev, cert)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// detRand is a deterministic stream for known-answer tests: never use it for keys
// outside tests.
func detRand(seed byte) io.Reader {
	var s [32]byte
	s[0] = seed
	return rand.NewChaCha8(s)
}

func testEpochKey(t testing.TB, seed byte) EpochKey {
	t.Helper()
	k, err := newEpochKey(detRand(seed))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func id16(b byte) [16]byte {
	var id [16]byte
	for i := range id {
		id[i] = b + byte(i)
	}
	return id
}

// world is a small chat: Alice (two devices), Bob, and Mallory who is not a member.
type world struct {
	alice, bob, mallory         *identity.AccountKey
	aliceDev, aliceDev2, bobDev *Sender
	malloryDev                  *Sender
	chat                        ids.Chat
	epoch                       uint64
	head                        LogHead
	key                         EpochKey
}

func newWorld(t testing.TB) *world {
	t.Helper()
	w := &world{
		alice:   testAccount(t, 1),
		bob:     testAccount(t, 5),
		mallory: testAccount(t, 9),
		chat:    id16(0x40),
		epoch:   7,
		head:    LogHead{Seq: 42, Hash: [32]byte(bytes.Repeat([]byte{0xa5}, 32))},
	}
	w.aliceDev = testSender(t, w.alice, 20)
	w.aliceDev2 = testSender(t, w.alice, 22)
	w.bobDev = testSender(t, w.bob, 24)
	w.malloryDev = testSender(t, w.mallory, 26)
	w.key = testEpochKey(t, 1)
	return w
}

func textContent(body string) Content {
	return Content{Kind: KindText, Text: &Text{Body: body}}
}

// seal seals content from Alice's first device with message id id.
func (w *world) seal(t testing.TB, id ids.Message, c Content) []byte {
	t.Helper()
	b, err := sealWithRand(SealParams{
		Sender: w.aliceDev, ChatID: w.chat, Epoch: w.epoch, EpochKey: w.key, MessageID: id, Content: c,
	}, detRand(byte(id[0])))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// openParams is what Bob passes to open a message from Alice with id id.
func (w *world) openParams(id ids.Message) OpenParams {
	return OpenParams{ChatID: w.chat, Epoch: w.epoch, EpochKey: w.key, MessageID: id, Sender: w.alice.Public()}
}
