package wire

import (
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
	body := &Auth{DeviceCert: cert, Signature: dev.Sign(AuthLabel, AuthMessage(c, "relay.example"))}
	b, err := Encode(1, body)
	if err != nil {
		t.Fatalf("a real certificate does not fit the Auth frame: %v", err)
	}
	if _, err := Decode(b); err != nil {
		t.Fatal(err)
	}
	if err := dev.Public().Verify(AuthLabel, AuthMessage(c, "RELAY.example:443"), body.Signature); err != nil {
		t.Errorf("signature over the canonical host does not verify for another spelling: %v", err)
	}
	if len(acct.Public().Bytes()) != 64 {
		t.Errorf("account key is %d bytes; Account.validate expects 64", len(acct.Public().Bytes()))
	}
}
