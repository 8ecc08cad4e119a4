package pqxdh

import (
	"bytes"
	"crypto/ecdh"
	"crypto/mlkem"
	"crypto/mlkem/mlkemtest"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"testing"

	"hush/identity"
	"hush/internal/testutil"
)

// kat is testdata/kat.json, written by the independent generator
// testdata/katgen.py (Python: pyca/cryptography, and the ML-KEM-768
// encapsulation of chatcrypto/testdata/katgen.py). The fixtures are in
// helpers_test.go.
type kat struct {
	Created     int64  `json:"created"`
	AlicePublic string `json:"alice_public"`
	BobPublic   string `json:"bob_public"`
	KDF         []struct {
		KM string `json:"km"`
		SK string `json:"sk"`
	} `json:"kdf"`
	Handshakes map[string]struct {
		Bundle       string `json:"bundle"`
		Message      string `json:"message"`
		SharedSecret string `json:"shared_secret"`
		SK           string `json:"sk"`
		AD           string `json:"ad"`
	} `json:"handshakes"`
	Store        string   `json:"store"`
	SafetyDigits string   `json:"safety_digits"`
	SafetyEmoji  []string `json:"safety_emoji"`
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

func TestKnownAnswerKDF(t *testing.T) {
	v := readKAT(t)
	if len(v.KDF) != 2 {
		t.Fatalf("%d KDF vectors, want 2 (three and four DH values)", len(v.KDF))
	}
	for _, c := range v.KDF {
		km := testutil.Hex(t, c.KM)
		sk := deriveKey(bytes.Clone(km))
		if hex.EncodeToString(sk[:]) != c.SK {
			t.Errorf("KDF(%d bytes) = %x, want %s", len(km), sk, c.SK)
		}
	}
}

func TestKnownAnswerHandshakes(t *testing.T) {
	v := readKAT(t)
	alice, bob := testAlice(t), testBob(t)
	if hex.EncodeToString(alice.Public().Bytes()) != v.AlicePublic || hex.EncodeToString(bob.Public().Bytes()) != v.BobPublic {
		t.Fatal("the fixtures' device keys differ from the generator's")
	}
	for _, tc := range []struct {
		name       string
		oneTime    bool // the bundle carries a one-time X25519 prekey and a one-time PQ prekey
		pqKeyByte  byte
		pqConsumed bool
	}{
		{name: "one_time", oneTime: true, pqKeyByte: pqByte, pqConsumed: true},
		{name: "last_resort", oneTime: false, pqKeyByte: lrByte},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hv, ok := v.Handshakes[tc.name]
			if !ok {
				t.Fatal("no vector")
			}
			// The bundle: Go makes the same bytes from Bob's store, and reads Python's.
			store := katStore(t)
			p, err := store.Publication(bob)
			if err != nil {
				t.Fatal(err)
			}
			want := bundleOf(p)
			if !tc.oneTime {
				want.PQPrekey, want.OneTime = p.LastResort, nil
			}
			enc, err := EncodeBundle(want)
			if err != nil {
				t.Fatal(err)
			}
			if hex.EncodeToString(enc) != hv.Bundle {
				t.Errorf("bundle = %x\nwant %s", enc, hv.Bundle)
			}
			bundle, err := ParseBundle(testutil.Hex(t, hv.Bundle))
			if err != nil {
				t.Fatalf("Go reading Python's bundle: %v", err)
			}

			// Alice, with the vectors' ephemeral key and ML-KEM randomness.
			encaps := func(pk *mlkem.EncapsulationKey768) ([]byte, []byte, error) {
				ss, ct, err := mlkemtest.Encapsulate768(pk, repeat(mByte, 32))
				if hex.EncodeToString(ss) != hv.SharedSecret {
					t.Errorf("ML-KEM shared secret = %x, want %s", ss, hv.SharedSecret)
				}
				return ss, ct, err
			}
			m, ha, err := initiate(alice, bob.Public(), bundle, x25519Key(t, ekByte), encaps)
			if err != nil {
				t.Fatal(err)
			}
			msg, err := EncodeInitialMessage(m)
			if err != nil {
				t.Fatal(err)
			}
			if hex.EncodeToString(msg) != hv.Message {
				t.Errorf("initial message = %x\nwant %s", msg, hv.Message)
			}
			checkKeys(t, "Alice", ha, hv.SK, hv.AD)
			if !ha.PeerRatchetKey.Equal(x25519Key(t, spkByte).PublicKey()) || ha.RatchetKey != nil {
				t.Error("Alice's ratchet keys are not Bob's signed prekey")
			}

			// Bob, on Python's message.
			pm, err := ParseInitialMessage(testutil.Hex(t, hv.Message))
			if err != nil {
				t.Fatalf("Go reading Python's message: %v", err)
			}
			hb, err := Respond(bob, store, pm)
			if err != nil {
				t.Fatal(err)
			}
			checkKeys(t, "Bob", hb, hv.SK, hv.AD)
			if !hb.Peer.Equal(alice.Public()) || !hb.RatchetKey.Equal(x25519Key(t, spkByte)) {
				t.Error("Bob's peer or ratchet key")
			}
			ot, pq := store.Remaining()
			if want := map[bool]int{true: 0, false: 1}; ot != want[tc.oneTime] || pq != want[tc.pqConsumed] {
				t.Errorf("after the handshake %d one-time and %d PQ one-time prekeys are left", ot, pq)
			}
		})
	}
}

func checkKeys(t *testing.T, who string, h *Handshake, sk, ad string) {
	t.Helper()
	if hex.EncodeToString(h.SharedKey[:]) != sk {
		t.Errorf("%s's SK = %x\nwant %s", who, h.SharedKey, sk)
	}
	if hex.EncodeToString(h.AD) != ad {
		t.Errorf("%s's AD = %x\nwant %s", who, h.AD, ad)
	}
}

func TestKnownAnswerStore(t *testing.T) {
	v := readKAT(t)
	got, err := EncodeStore(katStore(t))
	if err != nil {
		t.Fatal(err)
	}
	if hex.EncodeToString(got) != v.Store {
		t.Errorf("store = %x\nwant %s", got, v.Store)
	}
	s, err := ParseStore(testutil.Hex(t, v.Store))
	if err != nil {
		t.Fatalf("Go reading Python's store: %v", err)
	}
	if !reflect.DeepEqual(publicParts(s), publicParts(katStore(t))) {
		t.Error("the parsed store holds other keys")
	}
}

// publicParts lists a store's ids, times and public keys, for comparing stores.
func publicParts(s *Store) []string {
	var out []string
	add := func(kind string, id []byte, created int64, pub []byte) {
		out = append(out, fmt.Sprintf("%s %x %d %x", kind, id, created, pub))
	}
	x := func(k *ecdh.PrivateKey) []byte { return k.PublicKey().Bytes() }
	for _, k := range s.signed {
		add("signed", k.id[:], k.created.Unix(), x(k.key))
	}
	for _, k := range s.lastResort {
		add("last resort", k.id[:], k.created.Unix(), k.key.EncapsulationKey().Bytes())
	}
	for _, k := range s.pqOneTime {
		add("pq", k.id[:], k.created.Unix(), k.key.EncapsulationKey().Bytes())
	}
	for _, k := range s.oneTime {
		add("one-time", k.id[:], k.created.Unix(), x(k.key))
	}
	for _, id := range s.used {
		out = append(out, "used "+id.String())
	}
	return out
}

func TestKnownAnswerSafetyNumber(t *testing.T) {
	v := readKAT(t)
	a, b := testAlice(t).Public(), testBob(t).Public()
	for _, pair := range [][2]identity.DevicePublicKey{{a, b}, {b, a}} {
		sn, err := SafetyNumber(pair[0], pair[1])
		if err != nil {
			t.Fatal(err)
		}
		if sn.Digits != v.SafetyDigits || !reflect.DeepEqual(sn.Emoji, v.SafetyEmoji) {
			t.Errorf("safety number %v, want %s %v", sn, v.SafetyDigits, v.SafetyEmoji)
		}
	}
}
