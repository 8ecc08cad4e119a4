package chatcrypto

import (
	"bytes"
	"crypto/ed25519"
	"crypto/hpke"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/fxamacker/cbor/v2"
	"golang.org/x/crypto/chacha20poly1305"
	xhkdf "golang.org/x/crypto/hkdf"

	"hush/identity"
	"hush/ids"
)

var update = flag.Bool("update", false, "rewrite testdata/kat.json from the current code")

// kat holds the known answers of every deterministic construction. The fixtures are
// the world of newWorld: Alice (seeds 1,2), her device (20,21), Bob (5,6),
// certificates issued at 1700000000, epoch key from detRand(1).
type kat struct {
	EpochKey       string            `json:"epoch_key"`
	MessageID      string            `json:"message_id"`
	MessageKey     string            `json:"message_key"`
	WrapInfo       string            `json:"wrap_info"`
	AssociatedData string            `json:"associated_data"`
	PaddedSizes    map[string]int    `json:"padded_sizes"`
	Contents       map[string]string `json:"contents"`
	Sealed         string            `json:"sealed"`
	SealedBody     string            `json:"sealed_body_text"`
	KeyLogSigned   string            `json:"key_log_signed_bytes_for_bob"`
	KeyLogEnvelope string            `json:"key_log_signed_envelope_for_bob"`
	// Version 2, at head w.head, over the same synthetic envelopes but with version
	// bytes (version 1 never checked them when signing; version 2 does).
	KeyLogSignedV2   string `json:"key_log_v2_signed_bytes_for_bob"`
	KeyLogEnvelopeV2 string `json:"key_log_v2_signed_envelope_for_bob"`
}

const katBody = "known answer"

// syntheticEntry has fixed envelope bytes, so the key log construction (what is
// signed, the signature, the encoding) is deterministic even though HPKE is not.
// With versioned, the first byte of each is a version 1 envelope's; without, the
// bytes are those of the version 1 known answers, made when no check looked at them.
func syntheticEntry(w *world, versioned bool) KeyLogEntry {
	e := KeyLogEntry{ChatID: w.chat, Epoch: w.epoch}
	if versioned {
		e.Head = w.head
	}
	for i, a := range []*identity.AccountKey{w.alice, w.bob} {
		env := bytes.Repeat([]byte{byte(0xe0 + i)}, EnvelopeSizeV1)
		if versioned {
			env[0] = envelopeV1
		}
		e.Envelopes = append(e.Envelopes, Envelope{Recipient: a.ID(), Wrapped: env})
	}
	if bytes.Compare(e.Envelopes[0].Recipient[:], e.Envelopes[1].Recipient[:]) > 0 {
		e.Envelopes[0], e.Envelopes[1] = e.Envelopes[1], e.Envelopes[0]
	}
	return e
}

func computeKAT(t *testing.T) kat {
	w := newWorld(t)
	id := ids.Message(id16(0x50))
	mk, err := messageKey(w.key, id)
	if err != nil {
		t.Fatal(err)
	}
	k := kat{
		EpochKey:    hex.EncodeToString(w.key.k[:]),
		MessageID:   hex.EncodeToString(id[:]),
		MessageKey:  hex.EncodeToString(mk),
		WrapInfo:    hex.EncodeToString(wrapInfo(epochWrapLabel, w.chat, w.epoch, w.bob.ID())),
		PaddedSizes: map[string]int{},
		Contents:    map[string]string{},
		SealedBody:  katBody,
	}
	k.AssociatedData = hex.EncodeToString(associatedData(Header{
		ChatID: w.chat, Epoch: w.epoch, MessageID: id, SenderAccount: w.alice.ID(), SenderDevice: w.aliceDev.Device(),
	}))
	for _, n := range []int{0, 255, 256, 1023, 1024, 4095, 4096, 16383, 16384, MaxContentSize} {
		p, err := pad(make([]byte, n))
		if err != nil {
			t.Fatal(err)
		}
		k.PaddedSizes[itoa(n)] = len(p)
	}
	for name, c := range validContents(t) {
		b, err := EncodeContent(c)
		if err != nil {
			t.Fatal(err)
		}
		k.Contents[name] = hex.EncodeToString(b)
	}
	k.Sealed = hex.EncodeToString(w.seal(t, id, textContent(katBody)))
	e := syntheticEntry(w, false)
	bobWrapped := e.Envelopes[slicesIndex(e, w.bob.ID())].Wrapped
	tbs, err := keyLogSignedBytes(keyLogV1, w.chat, w.epoch, w.bob.ID(), bobWrapped, LogHead{})
	if err != nil {
		t.Fatal(err)
	}
	k.KeyLogSigned = hex.EncodeToString(tbs)
	bobEnv, _ := signV1(t, e, w.aliceDev).Envelope(w.bob.ID())
	k.KeyLogEnvelope = hex.EncodeToString(bobEnv)

	e = syntheticEntry(w, true)
	bobWrapped = e.Envelopes[slicesIndex(e, w.bob.ID())].Wrapped
	if tbs, err = keyLogSignedBytes(keyLogV2, w.chat, w.epoch, w.bob.ID(), bobWrapped, w.head); err != nil {
		t.Fatal(err)
	}
	k.KeyLogSignedV2 = hex.EncodeToString(tbs)
	signed, err := SignKeyLogEntry(e, w.aliceDev)
	if err != nil {
		t.Fatal(err)
	}
	bobEnv, _ = signed.Envelope(w.bob.ID())
	k.KeyLogEnvelopeV2 = hex.EncodeToString(bobEnv)
	return k
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func readJSON(t *testing.T, name string, v any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

func writeJSON(t *testing.T, name string, v any) {
	t.Helper()
	b, _ := json.MarshalIndent(v, "", "  ")
	if err := os.WriteFile(filepath.Join("testdata", name), append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestKnownAnswers(t *testing.T) {
	got := computeKAT(t)
	if *update {
		writeJSON(t, "kat.json", got)
	}
	var want kat
	readJSON(t, "kat.json", &want)
	gb, _ := json.MarshalIndent(got, "", "  ")
	wb, _ := json.MarshalIndent(want, "", "  ")
	if !bytes.Equal(gb, wb) {
		t.Errorf("known answers changed (run with -update only if the change is intended and documented):\n got %s\nwant %s", gb, wb)
	}
	// The stored answers still decode to what they encode.
	for name, c := range validContents(t) {
		b, _ := hex.DecodeString(want.Contents[name])
		d, err := DecodeContent(b)
		if err != nil || !equalContent(c, d) {
			t.Errorf("stored content %q: %+v, %v", name, d, err)
		}
	}
}

// TestSealedMatchesSpec opens the known-answer message using only the primitives and
// the layout written in docs/SECURITY.md — another HKDF implementation, a generic
// CBOR decoder, a hand-built associated data and signed message — so the document
// and the code cannot drift apart.
func TestSealedMatchesSpec(t *testing.T) {
	var k kat
	readJSON(t, "kat.json", &k)
	sealed, _ := hex.DecodeString(k.Sealed)
	w := newWorld(t)

	var outer []cbor.RawMessage
	if err := cbor.Unmarshal(sealed, &outer); err != nil || len(outer) != 2 {
		t.Fatalf("outer: %v (%d items)", err, len(outer))
	}
	var body, sig []byte
	_ = cbor.Unmarshal(outer[0], &body)
	_ = cbor.Unmarshal(outer[1], &sig)
	var fields []any
	if err := cbor.Unmarshal(body, &fields); err != nil || len(fields) != 9 {
		t.Fatalf("body: %v (%d fields)", err, len(fields))
	}
	version, _ := fields[0].(uint64)
	chat, _ := fields[1].([]byte)
	epoch, _ := fields[2].(uint64)
	msgID, _ := fields[3].([]byte)
	acct, _ := fields[4].([]byte)
	dev, _ := fields[5].([]byte)
	cert, _ := fields[6].([]byte)
	nonce, _ := fields[7].([]byte)
	ct, _ := fields[8].([]byte)
	if version != 1 || !bytes.Equal(chat, w.chat[:]) || epoch != w.epoch {
		t.Fatalf("header fields: version %d chat %x epoch %d", version, chat, epoch)
	}

	// Signature: Ed25519 by the device over "hush/v1/sig/cloud-message", 0, body.
	c, err := identity.ParseCertificate(cert)
	if err != nil {
		t.Fatal(err)
	}
	signedMsg := append([]byte("hush/v1/sig/cloud-message\x00"), body...)
	if !ed25519.Verify(c.Device.SigningKey(), signedMsg, sig) {
		t.Fatal("signature does not verify as documented")
	}
	devID, acctID := c.Device.ID(), c.Account.ID()
	if !bytes.Equal(dev, devID[:]) || !bytes.Equal(acct, acctID[:]) {
		t.Fatal("header ids are not the certificate's")
	}

	// Key: HKDF-SHA256(ikm = epoch key, salt = message id, info = label), 32 bytes.
	mk := make([]byte, 32)
	if _, err := xhkdf.New(sha256.New, w.key.k[:], msgID, []byte("hush/v1/message-key")).Read(mk); err != nil {
		t.Fatal(err)
	}
	if hex.EncodeToString(msgID) != k.MessageID || hex.EncodeToString(mk) != k.MessageKey {
		t.Fatalf("message key %x for id %x differs from the known answer", mk, msgID)
	}

	// AD: label, version byte, chat id, epoch (8 bytes big-endian), message id,
	// sender account id, sender device id.
	ad := []byte("hush/v1/message-ad")
	ad = append(ad, 1)
	ad = append(ad, chat...)
	ad = binary.BigEndian.AppendUint64(ad, epoch)
	ad = append(ad, msgID...)
	ad = append(ad, acct...)
	ad = append(ad, dev...)
	aead, _ := chacha20poly1305.NewX(mk)
	padded, err := aead.Open(nil, nonce, ct, ad)
	if err != nil {
		t.Fatalf("does not decrypt as documented: %v", err)
	}
	if len(padded) != 256 {
		t.Fatalf("padded to %d bytes, want the 256 bucket", len(padded))
	}
	end := bytes.LastIndexByte(padded, 0x80)
	if end < 0 || !bytes.Equal(padded[end+1:], make([]byte, len(padded)-end-1)) {
		t.Fatal("padding is not content, 0x80, zeros")
	}
	var content map[uint64]any
	if err := cbor.Unmarshal(padded[:end], &content); err != nil {
		t.Fatal(err)
	}
	if content[0] != uint64(1) || content[1] != katBody {
		t.Fatalf("content %v, want {0: 1, 1: %q}", content, katBody)
	}
}

// stored holds answers made once with real randomness (HPKE encapsulation), by the
// code before version 2: version 1 envelopes and signed envelopes, which the code
// must keep opening whatever it writes. It cannot be regenerated: the code no
// longer writes version 1 signed envelopes.
type stored struct {
	Note         string `json:"note"`
	EpochKey     string `json:"epoch_key"`
	Envelope     string `json:"envelope_to_bob"`
	KeyLogAlice  string `json:"key_log_signed_envelope_for_alice"`
	KeyLogBob    string `json:"key_log_signed_envelope_for_bob"`
	KeyLogEpoch2 string `json:"key_log_epoch_key"`
}

func TestStoredEnvelopes(t *testing.T) {
	w := newWorld(t)
	var s stored
	readJSON(t, "stored.json", &s)
	env, _ := hex.DecodeString(s.Envelope)
	wantKey, _ := hex.DecodeString(s.EpochKey)
	got, err := UnwrapEpochKey(env, w.chat, w.epoch, w.bob)
	if err != nil || !bytes.Equal(got.k[:], wantKey) {
		t.Fatalf("stored envelope: %v", err)
	}
	// The same envelope with the standard library alone and the documented info.
	info := []byte("hush/v1/epoch-key-wrap")
	info = append(info, w.chat[:]...)
	info = binary.BigEndian.AppendUint64(info, w.epoch)
	bobID := w.bob.ID()
	info = append(info, bobID[:]...)
	sk, _ := hpke.NewDHKEMPrivateKey(w.bob.EncryptionKey())
	pt, err := hpke.Open(sk, hpke.HKDFSHA256(), hpke.ChaCha20Poly1305(), info, env[1:])
	if err != nil || !bytes.Equal(pt, wantKey) || env[0] != 1 {
		t.Fatalf("envelope does not open as documented: %v", err)
	}

	want2, _ := hex.DecodeString(s.KeyLogEpoch2)
	for _, c := range []struct {
		me  *identity.AccountKey
		env string
	}{{w.alice, s.KeyLogAlice}, {w.bob, s.KeyLogBob}} {
		env, _ := hex.DecodeString(c.env)
		k, cert, err := VerifyKeyLogEntry(env, w.chat, w.epoch+1, c.me, w.admins())
		if err != nil || !bytes.Equal(k.k[:], want2) || !cert.Account.Equal(w.alice.Public()) {
			t.Fatalf("stored key log envelope for %v: %v", c.me.ID(), err)
		}
	}
}
