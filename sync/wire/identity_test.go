package wire

import (
	"bytes"
	"crypto/ed25519"
	"encoding/binary"
	"encoding/hex"
	"testing"
	"time"

	"hush/identity"
)

// The wire package mirrors identity's sizes to stay a leaf; these must agree.
func TestSizesMatchIdentity(t *testing.T) {
	if maxCertificateSize != identity.MaxCertificateSize {
		t.Errorf("maxCertificateSize = %d, identity says %d", maxCertificateSize, identity.MaxCertificateSize)
	}
	acct, err := identity.NewAccountKey()
	if err != nil {
		t.Fatal(err)
	}
	dev, err := identity.NewDeviceKey()
	if err != nil {
		t.Fatal(err)
	}
	cert, err := identity.IssueCertificate(acct, dev.Public(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var c Challenge
	body := &Auth{DeviceCert: cert, Signature: dev.Sign(AuthLabel, AuthMessage(c, "wss://relay.example"))}
	b, err := Encode(1, body)
	if err != nil {
		t.Fatalf("a real certificate does not fit the Auth frame: %v", err)
	}
	if _, err := Decode(b); err != nil {
		t.Fatal(err)
	}
	o, err := ParseOrigin("WSS://RELAY.example:443/v1/ws")
	if err != nil {
		t.Fatal(err)
	}
	if err := dev.Public().Verify(AuthLabel, AuthMessage(c, o), body.Signature); err != nil {
		t.Errorf("signature over the canonical origin does not verify for another spelling: %v", err)
	}
	if len(acct.Public().Bytes()) != 64 {
		t.Errorf("account key is %d bytes; Account.validate expects 64", len(acct.Public().Bytes()))
	}
}

// TestAuthSignatureMatchesSpec signs a challenge with a fixed device key and checks
// the signature with crypto/ed25519 over the bytes docs/PROTOCOL.md
// ("Authentication") describes, built here by hand: "hush/v1/sig/" ‖
// "relay-auth-origin" ‖ 0x00 ‖ challenge ‖ u16 BE length ‖ origin. The signature
// itself is pinned (Ed25519 is deterministic), so a change of label or layout fails.
func TestAuthSignatureMatchesSpec(t *testing.T) {
	seed := bytes.Repeat([]byte{7}, 32)
	dev, err := identity.DeviceKeyFromSeeds(seed, bytes.Repeat([]byte{9}, 32))
	if err != nil {
		t.Fatal(err)
	}
	var c Challenge
	for i := range c {
		c[i] = byte(0xa0 + i)
	}
	const origin = "ws://127.0.0.1:8443"
	spec := []byte("hush/v1/sig/relay-auth-origin\x00")
	spec = append(spec, c[:]...)
	spec = binary.BigEndian.AppendUint16(spec, uint16(len(origin)))
	spec = append(spec, origin...)

	sig := dev.Sign(AuthLabel, AuthMessage(c, origin))
	if !ed25519.Verify(dev.Public().SigningKey(), spec, sig) {
		t.Fatal("the auth signature does not verify over the message PROTOCOL.md describes")
	}
	const want = "3e4adc9dac5c236093bdd963214763371fc8908d3d19f73226f9793037dcaefb6a3cef1540548258210f2799f823b7019db6f1fa7b70d601a1305185000cbc0e"
	if got := hex.EncodeToString(sig); got != want {
		t.Errorf("auth signature = %s\nwant            %s", got, want)
	}
	// The label of the old host-bound message never verifies.
	old := append([]byte("hush/v1/sig/relay-auth\x00"), AuthMessage(c, origin)...)
	if ed25519.Verify(dev.Public().SigningKey(), old, sig) {
		t.Error("the signature verifies under the old label")
	}
}
