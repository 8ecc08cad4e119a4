package devicelink

import (
	"bytes"
	"crypto/mlkem"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"os"
	"reflect"
	"testing"
	"testing/cryptotest"
	"time"

	"hush/internal/testutil"
)

// kat is testdata/kat.json, written by the independent generator
// testdata/katgen.py (Python: pyca/cryptography, and the ML-KEM-768 encapsulation
// and hybrid HPKE of chatcrypto/testdata/katgen.py, which it checks against Go's
// crypto/hpke vectors first). The fixtures are the tests' own: link key seeds 5
// and 6, account 1, 2, 3, device 20, 21.
type kat struct {
	LinkKEMSeed     string            `json:"link_kem_seed"`
	LinkX25519      string            `json:"link_x25519"`
	LinkPublicKey   string            `json:"link_public_key"`
	KeyHash         string            `json:"key_hash"`
	Session         string            `json:"session"`
	Expires         int64             `json:"expires"`
	Relay           string            `json:"relay"`
	CodeCBOR        string            `json:"code_cbor"`
	CodeText        string            `json:"code_text"`
	AccountPub      string            `json:"account_public_key"`
	DevicePub       string            `json:"device_public_key"`
	SponsorNonce    string            `json:"sponsor_nonce"`
	NewcomerNonce   string            `json:"newcomer_nonce"`
	CommitHash      string            `json:"commit_hash"`
	Transcript      string            `json:"transcript"`
	SAS             string            `json:"sas"`
	EmojiIndexes    []int             `json:"sas_emoji_indexes"`
	SASEmojiNames   []string          `json:"sas_emoji_names"`
	SASDigits       string            `json:"sas_digits"`
	EmojiTable      []Emoji           `json:"emoji_table"`
	Certificate     string            `json:"certificate"`
	DeviceList      string            `json:"device_list"`
	Handle          string            `json:"handle"`
	DisplayName     string            `json:"display_name"`
	BundlePlaintext string            `json:"bundle_plaintext"`
	BundleInfo      string            `json:"bundle_info"`
	GlobalRandom    uint64            `json:"global_random_seed"`
	X25519Ephemeral string            `json:"x25519_ephemeral"`
	MLKEMRandom     string            `json:"mlkem_m"`
	SealedBundle    string            `json:"sealed_bundle"`
	Messages        map[string]string `json:"messages"`
}

func readKAT(t *testing.T) kat {
	t.Helper()
	b, err := os.ReadFile("testdata/kat.json")
	if err != nil {
		t.Fatal(err)
	}
	var v kat
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestKnownAnswers(t *testing.T) {
	v := readKAT(t)
	h := func(s string) []byte { return testutil.Hex(t, s) }
	eq := func(what string, got []byte, want string) {
		t.Helper()
		if hex.EncodeToString(got) != want {
			t.Errorf("%s = %x\nwant %s", what, got, want)
		}
	}

	// The fixtures are the vectors' inputs.
	key := testLinkKey(t)
	account, device := testAccount(t), testDevice(t)
	eq("link KEM seed", bytes.Repeat([]byte{5}, mlkem.SeedSize), v.LinkKEMSeed)
	eq("link X25519", seed(6), v.LinkX25519)
	eq("account public key", account.Public().Bytes(), v.AccountPub)
	eq("device public key", device.Public().Bytes(), v.DevicePub)
	session := testSession()
	eq("session", session[:], v.Session)

	// The link key and its hash.
	eq("link public key", key.PublicKey(), v.LinkPublicKey)
	kh := KeyHash(h(v.LinkPublicKey))
	eq("key hash", kh[:], v.KeyHash)

	// The code, both ways.
	code := Code{Session: session, KeyHash: kh, Expires: time.Unix(v.Expires, 0), Relay: v.Relay}
	if got := code.String(); got != v.CodeText {
		t.Errorf("code = %s\nwant %s", got, v.CodeText)
	}
	parsed, err := ParseCode(v.CodeText)
	if err != nil || !codesEqual(parsed, code) {
		t.Errorf("ParseCode(Python's code) = %+v, %v", parsed, err)
	}
	if made := testCode(t, key.PublicKey()); !codesEqual(made, code) {
		t.Errorf("NewCode = %+v, want %+v", made, code)
	}
	cb, err := enc.Marshal(code.body())
	if err != nil {
		t.Fatal(err)
	}
	eq("code CBOR", cb, v.CodeCBOR)

	// Commit, transcript, SAS.
	ns, nn := [NonceSize]byte(h(v.SponsorNonce)), [NonceSize]byte(h(v.NewcomerNonce))
	commit := commitHash(session, account.Public().Bytes(), ns)
	eq("commit", commit[:], v.CommitHash)
	tr := transcriptHash(session, kh, account.Public().Bytes(), device.Public().Bytes(), ns, nn)
	eq("transcript", tr[:], v.Transcript)
	sas := deriveSAS(tr)
	eq("SAS", sas.b[:], v.SAS)
	if got := sas.emojiIndexes(); !reflect.DeepEqual(got[:], v.EmojiIndexes) {
		t.Errorf("emoji %v, want %v", got, v.EmojiIndexes)
	}
	var names []string
	for _, e := range sas.Emoji() {
		names = append(names, e.Name)
	}
	if !reflect.DeepEqual(names, v.SASEmojiNames) {
		t.Errorf("emoji names %v, want %v", names, v.SASEmojiNames)
	}
	if sas.Digits() != v.SASDigits {
		t.Errorf("digits %q, want %q", sas.Digits(), v.SASDigits)
	}
	if !reflect.DeepEqual(v.EmojiTable, emojiTable[:]) {
		t.Errorf("the emoji table differs from the generator's copy")
	}

	// The bundle: Go opens Python's and finds the fixtures in it.
	eq("bundle info", bundleInfo(tr), v.BundleInfo)
	want := testBundle(t, account, device.Public())
	eq("certificate", want.Certificate, v.Certificate)
	want.DeviceList, want.Handle, want.DisplayName = h(v.DeviceList), v.Handle, v.DisplayName
	pt, err := encodeBundle(want)
	if err != nil {
		t.Fatal(err)
	}
	eq("bundle plaintext", pt, v.BundlePlaintext)
	sealed := h(v.SealedBundle)
	got, err := key.OpenBundle(tr, account.Public().WithoutKEM(), sealed)
	if err != nil {
		t.Fatalf("Go opening Python's bundle: %v", err)
	}
	sameBundle(t, got, want)

	// Same randomness, same bytes: crypto/hpke draws the X25519 ephemeral key, then
	// ML-KEM's m, from crypto/rand. The stream is checked first, so a change in Go's
	// test stream is told apart from a change in the bundle.
	cryptotest.SetGlobalRandom(t, v.GlobalRandom)
	stream := make([]byte, 64)
	if _, err := rand.Read(stream); err != nil {
		t.Fatal(err)
	}
	if hex.EncodeToString(stream) != v.X25519Ephemeral+v.MLKEMRandom {
		t.Fatalf("Go's deterministic stream changed: %x; regenerate the vectors with it", stream)
	}
	cryptotest.SetGlobalRandom(t, v.GlobalRandom)
	mine, err := SealBundle(key.PublicKey(), tr, want)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(mine, sealed) {
		t.Errorf("Go's sealed bundle with the same randomness differs")
	}
}

// TestKnownAnswerExchange runs the newcomer's side on the vectors' messages, as
// Python encoded them: the same account, SAS and bundle come out.
func TestKnownAnswerExchange(t *testing.T) {
	v := readKAT(t)
	h := func(s string) []byte { return testutil.Hex(t, s) }
	decode := func(name string) Message {
		m, err := DecodeMessage(h(v.Messages[name]))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		b, err := EncodeMessage(m)
		if err != nil || hex.EncodeToString(b) != v.Messages[name] {
			t.Fatalf("%s re-encodes as %x, %v", name, b, err)
		}
		return m
	}
	if d := decode("decline_sas_mismatch"); d != (Decline{Reason: ReasonSASMismatch}) {
		t.Fatalf("decline %v", d)
	}
	commit := decode("commit").(Commit)
	reveal := decode("reveal").(Reveal)
	reply := decode("reply").(Reply)
	sealed := decode("sealed_bundle").(SealedBundle)

	key := testLinkKey(t)
	code, err := ParseCode(v.CodeText)
	if err != nil {
		t.Fatal(err)
	}
	device := testDevice(t).Public()
	if !bytes.Equal(reply.Device, device.Bytes()) {
		t.Fatal("reply device")
	}
	n, err := NewNewcomer(code, key, device)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.OnCommit(commit, code.Expires.Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	n.nonce = reply.Nonce // the vectors' nonce, in place of the random one
	account, sas, err := n.OnReveal(reveal)
	if err != nil {
		t.Fatal(err)
	}
	if !account.Equal(testAccount(t).Public()) || hex.EncodeToString(sas.b[:]) != v.SAS {
		t.Fatalf("account %v, SAS %x", account, sas.b)
	}
	b, err := n.OpenBundle(sealed.Sealed)
	if err != nil {
		t.Fatal(err)
	}
	if b.Handle != v.Handle || !bytes.Equal(b.Certificate, h(v.Certificate)) {
		t.Fatalf("bundle %v", b)
	}
}
