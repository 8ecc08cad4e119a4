package ratchet

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"testing"
)

// kat is testdata/kat.json, written by the independent generator
// testdata/katgen.py (Python: pyca/cryptography and a hand-written HChaCha20) from
// the spec and this package's documentation.
type kat struct {
	KDFRK struct {
		RK    string `json:"rk"`
		DHOut string `json:"dh_out"`
		NewRK string `json:"new_rk"`
		CK    string `json:"ck"`
	} `json:"kdf_rk"`
	KDFCK struct {
		CK     string `json:"ck"`
		MK     string `json:"mk"`
		NextCK string `json:"next_ck"`
	} `json:"kdf_ck"`
	Encrypt struct {
		MK         string `json:"mk"`
		Key        string `json:"key"`
		Nonce      string `json:"nonce"`
		AD         string `json:"ad"`
		Header     string `json:"header"`
		Plaintext  string `json:"plaintext"`
		Ciphertext string `json:"ciphertext"`
	} `json:"encrypt"`
	Conversation struct {
		SK              string `json:"sk"`
		AD              string `json:"ad"`
		BobPrekey       string `json:"bob_prekey"`
		BobPrekeyPublic string `json:"bob_prekey_public"`
		AliceRandom     string `json:"alice_random"`
		BobRandom       string `json:"bob_random"`
		Steps           []struct {
			From      string `json:"from"`
			Plaintext string `json:"plaintext"`
			Message   string `json:"message"`
		} `json:"steps"`
		States map[string]string `json:"states"`
	} `json:"conversation"`
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

func eqHex(t *testing.T, what string, got []byte, want string) {
	t.Helper()
	if hex.EncodeToString(got) != want {
		t.Errorf("%s = %x\nwant %s", what, got, want)
	}
}

func TestKnownAnswerFunctions(t *testing.T) {
	t.Parallel()
	v := readKAT(t)
	t.Run("KDF_RK", func(t *testing.T) {
		rk := [keySize]byte(unhex(t, v.KDFRK.RK))
		newRK, ck := kdfRK(&rk, unhex(t, v.KDFRK.DHOut))
		eqHex(t, "root key", newRK[:], v.KDFRK.NewRK)
		eqHex(t, "chain key", ck[:], v.KDFRK.CK)
	})
	t.Run("KDF_CK", func(t *testing.T) {
		ck := [keySize]byte(unhex(t, v.KDFCK.CK))
		mk := kdfCK(&ck)
		eqHex(t, "message key", mk[:], v.KDFCK.MK)
		eqHex(t, "next chain key", ck[:], v.KDFCK.NextCK)
	})
	t.Run("ENCRYPT", func(t *testing.T) {
		e := v.Encrypt
		mk := [keySize]byte(unhex(t, e.MK))
		_, nonce := messageAEAD(&mk)
		eqHex(t, "nonce", nonce, e.Nonce)
		header := unhex(t, e.Header)
		h, err := ParseHeader(header)
		if err != nil {
			t.Fatal(err)
		}
		if h.PN != 3 || h.N != 500 {
			t.Errorf("header %+v", h)
		}
		again, _ := h.MarshalBinary()
		eqHex(t, "header", again, e.Header)
		ct := seal(nil, &mk, unhex(t, e.Plaintext), unhex(t, e.AD), header)
		eqHex(t, "ciphertext", ct, e.Ciphertext)
		pt, err := open(&mk, unhex(t, e.Ciphertext), unhex(t, e.AD), header)
		if err != nil {
			t.Fatal(err)
		}
		eqHex(t, "plaintext", pt, e.Plaintext)
	})
}

// TestKnownAnswerConversation plays the generator's conversation with the same
// keys: Alice sends two messages, Bob reads the second first (a DH ratchet step
// and a stored key) and then the first, replies (Alice's step), and Alice answers
// in a new chain (Bob's second step). Every message and every recorded state must
// be the generator's, byte for byte.
func TestKnownAnswerConversation(t *testing.T) {
	t.Parallel()
	v := readKAT(t).Conversation
	ad := unhex(t, v.AD)
	prekey := x25519Key(t, unhex(t, v.BobPrekey))
	eqHex(t, "Bob's prekey", prekey.PublicKey().Bytes(), v.BobPrekeyPublic)

	sk := unhex(t, v.SK)
	alice, err := initAlice(sk, prekey.PublicKey(), bytes.NewReader(unhex(t, v.AliceRandom)))
	if err != nil {
		t.Fatal(err)
	}
	bob, err := InitBob(sk, prekey)
	if err != nil {
		t.Fatal(err)
	}
	bob.random = bytes.NewReader(unhex(t, v.BobRandom))
	state := func(name string, s *State) {
		t.Helper()
		eqHex(t, name, encodeState(t, s), v.States[name])
	}
	state("alice_init", alice)
	state("bob_init", bob)

	send := func(i int, s *State) []byte {
		t.Helper()
		step := v.Steps[i]
		m, err := s.Encrypt([]byte(step.Plaintext), ad)
		if err != nil {
			t.Fatal(err)
		}
		eqHex(t, "message "+step.Plaintext, m, step.Message)
		return m
	}
	recv := func(i int, s *State, m []byte) {
		t.Helper()
		pt, err := s.Decrypt(m, ad)
		if err != nil || string(pt) != v.Steps[i].Plaintext {
			t.Fatalf("step %d: %q, %v", i, pt, err)
		}
	}
	a0, a1 := send(0, alice), send(1, alice)
	recv(1, bob, a1)
	state("bob_after_a1", bob)
	recv(0, bob, a0)
	b0 := send(2, bob)
	recv(2, alice, b0)
	a2 := send(3, alice)
	recv(3, bob, a2)
	state("alice_final", alice)
	state("bob_final", bob)

	// The generator's final states load, and the session goes on from them.
	var a, b State
	if err := a.UnmarshalBinary(unhex(t, v.States["alice_final"])); err != nil {
		t.Fatal(err)
	}
	if err := b.UnmarshalBinary(unhex(t, v.States["bob_final"])); err != nil {
		t.Fatal(err)
	}
	mustDecrypt(t, &a, mustEncrypt(t, &b, "after the restart"), "after the restart")
	mustDecrypt(t, &b, mustEncrypt(t, &a, "and back"), "and back")
	// Python's messages, once more, are replays now.
	for i, m := range [][]byte{a0, a1, a2} {
		if _, err := b.Decrypt(m, ad); err == nil {
			t.Errorf("message %d decrypted twice", i)
		}
	}
}
