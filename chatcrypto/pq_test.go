package chatcrypto

import (
	"bytes"
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/hpke"
	"crypto/mlkem"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"testing"
	"testing/cryptotest"
	"time"

	"github.com/fxamacker/cbor/v2"

	"hush/identity"
	"hush/ids"
	"hush/internal/testutil"
)

// pqKAT is testdata/pq_kat.json, written by the independent generator
// testdata/katgen.py (Python: pyca/cryptography and its own ML-KEM-768
// encapsulation, checked against Go's crypto/hpke vectors). Fixtures: Alice's
// account (seeds 1, 2, 3), her device (20, 21), Bob's account (5, 6, 7).
type pqKAT struct {
	GlobalRandomSeed uint64 `json:"global_random_seed"`
	ChatID           string `json:"chat_id"`
	Epoch            uint64 `json:"epoch"`
	EpochKey         string `json:"epoch_key"`
	Recipient        string `json:"recipient_account_id"`
	RecipientKEMSeed string `json:"recipient_kem_seed"`
	X25519Ephemeral  string `json:"x25519_ephemeral"`
	MLKEMRandom      string `json:"mlkem_m"`
	WrapInfo         string `json:"wrap_info"`
	Envelope         string `json:"envelope"`
	Certificate      string `json:"signer_certificate"`
	HeadSeq          uint64 `json:"head_seq"`
	HeadHash         string `json:"head_hash"`
	KeyLogSigned     string `json:"key_log_signed_bytes"`
	KeyLogEntry      string `json:"key_log_entry"`
}

func readPQKAT(t *testing.T) (pqKAT, ids.Chat, LogHead, EpochKey) {
	t.Helper()
	var v pqKAT
	readJSON(t, "pq_kat.json", &v)
	chat := ids.Chat(testutil.Hex(t, v.ChatID))
	head := LogHead{Seq: v.HeadSeq, Hash: [32]byte(testutil.Hex(t, v.HeadHash))}
	key, err := EpochKeyFromBytes(testutil.Hex(t, v.EpochKey))
	if err != nil {
		t.Fatal(err)
	}
	return v, chat, head, key
}

// TestPQKnownAnswers checks the version 2 envelope and key log entry against the
// Python implementation: Go opens Python's envelope; with the same encapsulation
// randomness Go makes the same bytes; Go signs the same entry.
func TestPQKnownAnswers(t *testing.T) {
	v, chat, head, key := readPQKAT(t)
	w := newWorld(t)
	bobID := w.bob.ID()
	if hex.EncodeToString(bobID[:]) != v.Recipient || hex.EncodeToString(kemSeed(7)) != v.RecipientKEMSeed {
		t.Fatal("the vectors' recipient is not the tests' Bob")
	}
	if got := hex.EncodeToString(wrapInfo(epochWrapLabelV2, chat, v.Epoch, bobID)); got != v.WrapInfo {
		t.Errorf("wrap info = %s\nwant        %s", got, v.WrapInfo)
	}
	env := testutil.Hex(t, v.Envelope)
	if len(env) != EnvelopeSizeV2 {
		t.Fatalf("Python's envelope is %d bytes, want %d", len(env), EnvelopeSizeV2)
	}
	got, err := UnwrapEpochKey(env, chat, v.Epoch, w.bob)
	if err != nil || !got.Equal(key) {
		t.Fatalf("Go opening Python's envelope: %v", err)
	}

	// Same randomness, same bytes. crypto/hpke draws the X25519 ephemeral key, then
	// ML-KEM's m, from crypto/rand; the vectors hold the first 64 bytes of the
	// deterministic stream, and the stream is checked first so that a change in Go's
	// stream is told apart from a change in the envelope.
	cryptotest.SetGlobalRandom(t, v.GlobalRandomSeed)
	stream := make([]byte, 64)
	if _, err := rand.Read(stream); err != nil {
		t.Fatal(err)
	}
	if hex.EncodeToString(stream) != v.X25519Ephemeral+v.MLKEMRandom {
		t.Fatalf("Go's deterministic stream changed: %x; regenerate the vectors with it", stream)
	}
	cryptotest.SetGlobalRandom(t, v.GlobalRandomSeed)
	mine, err := WrapEpochKey(key, chat, v.Epoch, w.bob.Public())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(mine, env) {
		t.Errorf("Go's envelope with the same randomness differs:\n got %x\nwant %x", mine, env)
	}

	// The signer's certificate and the signed entry.
	if hex.EncodeToString(w.aliceDev.cert) != v.Certificate {
		t.Fatalf("certificate differs from Python's:\n got %x\nwant %s", w.aliceDev.cert, v.Certificate)
	}
	tbs, err := keyLogSignedBytes(keyLogV2, chat, v.Epoch, bobID, env, head)
	if err != nil {
		t.Fatal(err)
	}
	if hex.EncodeToString(tbs) != v.KeyLogSigned {
		t.Errorf("signed bytes = %x\nwant %s", tbs, v.KeyLogSigned)
	}
	signed, err := SignKeyLogEntry(KeyLogEntry{ChatID: chat, Epoch: v.Epoch, Head: head, Envelopes: []Envelope{{Recipient: bobID, Wrapped: env}}}, w.aliceDev)
	if err != nil {
		t.Fatal(err)
	}
	if hex.EncodeToString(signed.Envelopes[0].Signed) != v.KeyLogEntry {
		t.Errorf("signed entry = %x\nwant %s", signed.Envelopes[0].Signed, v.KeyLogEntry)
	}
	info, err := ParseKeyLogEntry(testutil.Hex(t, v.KeyLogEntry), chat, v.Epoch, bobID)
	if err != nil {
		t.Fatal(err)
	}
	if info.Version != 2 || info.Head != head || !info.Signer.Account.Equal(w.alice.Public()) {
		t.Fatalf("parsed %+v", info)
	}
	if k, err := info.Open(w.bob); err != nil || !k.Equal(key) {
		t.Fatalf("opening Python's entry: %v", err)
	}
}

// TestEnvelopeV2MatchesSpec opens the known-answer version 2 envelope and checks
// its signed entry using only crypto/hpke, crypto/mlkem, crypto/ecdh, Ed25519, a
// generic CBOR library and the layout written in docs/SECURITY.md ("Keys"), so the
// document and the code cannot drift apart.
func TestEnvelopeV2MatchesSpec(t *testing.T) {
	v, chat, _, key := readPQKAT(t)

	// Bob's keys, from his seeds as the document names them.
	signing := ed25519.NewKeyFromSeed(seed(5)).Public().(ed25519.PublicKey)
	x, err := ecdh.X25519().NewPrivateKey(seed(6))
	if err != nil {
		t.Fatal(err)
	}
	dk, err := mlkem.NewDecapsulationKey768(kemSeed(7))
	if err != nil {
		t.Fatal(err)
	}
	idHash := sha256.Sum256(append([]byte("hush/v1/account-id"), signing...))
	recipient := idHash[:16]

	// Envelope: 0x02 || enc (1088 + 32) || ciphertext (32 + 16); HPKE base mode,
	// MLKEM768-X25519, HKDF-SHA256, ChaCha20Poly1305, empty AAD, and
	// info = "hush/v1/epoch-key-wrap/mlkem768x25519" || chat || epoch (8, BE) || id.
	env := testutil.Hex(t, v.Envelope)
	if env[0] != 2 || len(env) != 1+1088+32+32+16 {
		t.Fatalf("envelope: version %d, %d bytes", env[0], len(env))
	}
	info := []byte("hush/v1/epoch-key-wrap/mlkem768x25519")
	info = append(info, chat[:]...)
	info = binary.BigEndian.AppendUint64(info, v.Epoch)
	info = append(info, recipient...)
	sk, err := hpke.NewHybridPrivateKey(dk, x)
	if err != nil {
		t.Fatal(err)
	}
	if sk.KEM().ID() != hpke.MLKEM768X25519().ID() {
		t.Fatalf("KEM %#x", sk.KEM().ID())
	}
	pt, err := hpke.Open(sk, hpke.HKDFSHA256(), hpke.ChaCha20Poly1305(), info, env[1:])
	if err != nil {
		t.Fatalf("does not open as documented: %v", err)
	}
	if !bytes.Equal(pt, key.k[:]) {
		t.Fatal("opened to another key")
	}

	// Signed entry: CBOR [2, envelope, certificate, head seq, head hash, signature],
	// signature = Ed25519 by the device over "hush/v1/sig/key-log-entry-v2" || 0 ||
	// CBOR [2, chat, epoch, recipient, SHA-256("hush/v1/key-log-envelope" ||
	// envelope), head seq, head hash].
	var fields []any
	if err := cbor.Unmarshal(testutil.Hex(t, v.KeyLogEntry), &fields); err != nil || len(fields) != 6 {
		t.Fatalf("entry: %v (%d fields)", err, len(fields))
	}
	version, _ := fields[0].(uint64)
	wrapped, _ := fields[1].([]byte)
	certBytes, _ := fields[2].([]byte)
	headSeq, _ := fields[3].(uint64)
	headHash, _ := fields[4].([]byte)
	sig, _ := fields[5].([]byte)
	if version != 2 || !bytes.Equal(wrapped, env) || headSeq != v.HeadSeq || hex.EncodeToString(headHash) != v.HeadHash {
		t.Fatalf("entry fields: version %d, head %d %x", version, headSeq, headHash)
	}
	envHash := sha256.Sum256(append([]byte("hush/v1/key-log-envelope"), env...))
	tbs, err := cbor.Marshal([]any{uint64(2), chat[:], v.Epoch, recipient, envHash[:], headSeq, headHash})
	if err != nil {
		t.Fatal(err)
	}
	c, err := identity.ParseCertificate(certBytes)
	if err != nil {
		t.Fatal(err)
	}
	if !ed25519.Verify(c.Device.SigningKey(), append([]byte("hush/v1/sig/key-log-entry-v2\x00"), tbs...), sig) {
		t.Fatal("entry signature does not verify as documented")
	}
}

// TestRelaySwappedEncryptionKey is the attack behind signed account keys, end to
// end: the relay answers a look-up of Bob with Bob's Ed25519 key and its own
// encryption keys. Pinning that bare key (the weakened check: what clients did, since
// an account id hashes only the Ed25519 key) makes Alice wrap the epoch key to the
// relay, which opens it. Pinning from Bob's signed account-keys record, the relay's
// keys are refused and what Alice wraps opens only for Bob.
func TestRelaySwappedEncryptionKey(t *testing.T) {
	w := newWorld(t)
	relay := testAccount(t, 60)
	bobID := w.bob.ID()

	// relayOpens is the relay trying an envelope "for Bob" with its own keys and the
	// info for Bob's id (it knows the id; it is public).
	relayOpens := func(env []byte) bool {
		sk, label, err := recipientKey(env[0], relay.KEMKey(), relay.EncryptionKey())
		if err != nil {
			t.Fatal(err)
		}
		pt, err := hpke.Open(sk, hpke.HKDFSHA256(), hpke.ChaCha20Poly1305(), wrapInfo(label, w.chat, w.epoch, bobID), env[1:])
		return err == nil && bytes.Equal(pt, w.key.k[:])
	}

	// Weakened: pin the relay's bare 64-byte key. Its id is Bob's, so it is taken.
	bare := append(append([]byte(nil), w.bob.Public().SigningKey()...), relay.Public().EncryptionKey().Bytes()...)
	pinned, err := identity.ParseAccountPublicKey(bare)
	if err != nil || pinned.ID() != bobID {
		t.Fatalf("weakened pin: %v", err)
	}
	env, err := WrapEpochKey(w.key, w.chat, w.epoch, pinned)
	if err != nil {
		t.Fatal(err)
	}
	if !relayOpens(env) {
		t.Fatal("weakened check: the relay could not open what was wrapped to its key; the attack test is broken")
	}

	// Real: pin from the record. A record carrying the relay's keys under Bob's id
	// does not parse (Bob's signature), and one the relay signs names the relay's id.
	genuine, err := identity.IssueAccountKeys(w.bob, time.Unix(1_700_000_000, 0))
	if err != nil {
		t.Fatal(err)
	}
	forged := bytes.Replace(genuine, w.bob.Public().EncryptionKey().Bytes(), relay.Public().EncryptionKey().Bytes(), 1)
	if bytes.Equal(forged, genuine) {
		t.Fatal("test did not swap the key")
	}
	if _, err := identity.ParseAccountKeys(forged); !errors.Is(err, identity.ErrInvalidAccountKeys) {
		t.Fatalf("forged record: err = %v", err)
	}
	relayRecord, _ := identity.IssueAccountKeys(relay, time.Unix(1_700_000_000, 0))
	if ak, err := identity.ParseAccountKeys(relayRecord); err != nil || ak.Public.ID() == bobID {
		t.Fatalf("relay's own record: %v", err)
	}
	ak, err := identity.ParseAccountKeys(genuine)
	if err != nil || ak.Public.ID() != bobID {
		t.Fatalf("genuine record: %v", err)
	}
	env, err = WrapEpochKey(w.key, w.chat, w.epoch, ak.Public)
	if err != nil {
		t.Fatal(err)
	}
	if env[0] != envelopeV2 {
		t.Fatalf("wrapped version %d to a record with an ML-KEM key", env[0])
	}
	if relayOpens(env) {
		t.Fatal("the relay opened an envelope wrapped to Bob's signed keys")
	}
	if k, err := UnwrapEpochKey(env, w.chat, w.epoch, w.bob); err != nil || !k.Equal(w.key) {
		t.Fatalf("Bob opening: %v", err)
	}
}

// TestQuantumAttackerOnRecordedEnvelopes models what a quantum computer would give
// an attacker who recorded the key log: X25519 private keys, computed from the
// public ones. Against the weakened construction (version 1, X25519 only) that is
// enough to open Bob's envelope; against version 2 it is not, because the ML-KEM-768
// half of the shared secret is still unknown.
func TestQuantumAttackerOnRecordedEnvelopes(t *testing.T) {
	w := newWorld(t)
	bobID := w.bob.ID()
	// What the attacker has: Bob's X25519 private key (recovered), his public keys
	// and id, and an ML-KEM key of its own.
	recovered := w.bob.EncryptionKey()
	own, err := mlkem.GenerateKey768()
	if err != nil {
		t.Fatal(err)
	}

	v1, _ := WrapEpochKey(w.key, w.chat, w.epoch, w.bob.Public().WithoutKEM())
	sk1, _ := hpke.NewDHKEMPrivateKey(recovered)
	pt, err := hpke.Open(sk1, hpke.HKDFSHA256(), hpke.ChaCha20Poly1305(), wrapInfo(epochWrapLabel, w.chat, w.epoch, bobID), v1[1:])
	if err != nil || !bytes.Equal(pt, w.key.k[:]) {
		t.Fatalf("weakened (version 1): the attacker did not open it (%v); the attack test is broken", err)
	}

	v2, _ := WrapEpochKey(w.key, w.chat, w.epoch, w.bob.Public())
	sk2, err := hpke.NewHybridPrivateKey(own, recovered)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := hpke.Open(sk2, hpke.HKDFSHA256(), hpke.ChaCha20Poly1305(), wrapInfo(epochWrapLabelV2, w.chat, w.epoch, bobID), v2[1:]); err == nil {
		t.Fatal("version 2: opened with the X25519 key alone")
	}
}

// TestUnwrapAfterKEMRotation: after the account publishes a new ML-KEM key (a
// revocation), an envelope to the new key opens only for devices given its seed —
// a revoked device, which keeps the X25519 key and the old ML-KEM seed, gets
// ErrDecrypt — while envelopes wrapped before stay open to the remaining devices.
func TestUnwrapAfterKEMRotation(t *testing.T) {
	chat := ids.Chat{7}
	remaining, err := identity.NewAccountKey()
	if err != nil {
		t.Fatal(err)
	}
	sign, enc, kem := remaining.Seeds()
	revoked, err := identity.AccountKeyFromSeeds(sign, enc, kem)
	if err != nil {
		t.Fatal(err)
	}
	oldKey, _ := NewEpochKey()
	oldEnv, err := WrapEpochKey(oldKey, chat, 1, remaining.Public())
	if err != nil {
		t.Fatal(err)
	}
	next, err := remaining.NewKEM()
	if err != nil {
		t.Fatal(err)
	}
	remaining.UseKEM(next)
	revoked.UseKEM(next) // it may even learn the new public key: it lacks the seed
	newKey, _ := NewEpochKey()
	newEnv, err := WrapEpochKey(newKey, chat, 2, remaining.Public())
	if err != nil {
		t.Fatal(err)
	}
	if newEnv[0] != envelopeV2 {
		t.Fatalf("envelope version %d, want the hybrid one", newEnv[0])
	}
	if _, err := UnwrapEpochKey(newEnv, chat, 2, revoked); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("the revoked device opened the envelope to the new key: %v", err)
	}
	if got, err := UnwrapEpochKey(newEnv, chat, 2, remaining); err != nil || !got.Equal(newKey) {
		t.Fatalf("the remaining device: %v", err)
	}
	for name, k := range map[string]*identity.AccountKey{"remaining": remaining, "revoked": revoked} {
		if got, err := UnwrapEpochKey(oldEnv, chat, 1, k); err != nil || !got.Equal(oldKey) {
			t.Fatalf("%s device cannot open history: %v", name, err)
		}
	}
}
