package relayclient

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"hush/internal/testutil"
	"hush/relay"
	"hush/relay/relaytest"
	"hush/relay/store"
	"hush/sync/wire"
)

// testCA is a certificate authority made for one test, and a relay certificate it
// issued for 127.0.0.1, both ECDSA P-256, written as PEM files.
type testCA struct {
	pool              *x509.CertPool
	certFile, keyFile string
}

func newTestCA(t *testing.T) testCA {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "Hush test CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(time.Hour),
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	c := testCA{pool: x509.NewCertPool(), certFile: filepath.Join(dir, "relay.crt"), keyFile: filepath.Join(dir, "relay.key")}
	c.pool.AddCert(ca)
	if err := os.WriteFile(c.certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leafDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(c.keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return c
}

// startTLSRelay serves a real relay with TLS on 127.0.0.1 and returns its wss://
// address.
func startTLSRelay(t *testing.T, ca testCA) string {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "relay.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := relay.New(relay.Config{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.ServeTLS(l, ca.certFile, ca.keyFile) }()
	t.Cleanup(func() {
		if err := srv.Shutdown(context.Background()); err != nil {
			t.Error(err)
		}
		if err := <-served; !errors.Is(err, relay.ErrServerClosed) {
			t.Error(err)
		}
		st.Close()
	})
	return "wss://" + l.Addr().String()
}

// TestTLSRelay: a relay serving TLS with a certificate from the test's own
// authority. A client given that authority in Config.TLS connects over wss:// and
// authenticates (signing the wss:// origin); a client with the system's roots
// refuses the certificate and says so.
func TestTLSRelay(t *testing.T) {
	ca := newTestCA(t)
	url := startTLSRelay(t, ca)
	alice := relaytest.NewAccount(t)

	trusting := newClient(t, url, alice, func(c *Config) { c.TLS = &tls.Config{RootCAs: ca.pool} })
	trusting.online(t)
	if s := trusting.Status().Session; s.Account != alice.AccountID() || !s.NewAccount {
		t.Errorf("session %+v, want alice's new account", s)
	}
	if _, err := trusting.Do(context.Background(), &wire.LookupAccount{AccountID: alice.AccountID()}); err != nil {
		t.Errorf("request over wss: %v", err)
	}

	wary := newClient(t, url, relaytest.NewAccount(t), nil)
	untrusted := func(s Status) bool { return errors.Is(s.Err, ErrUntrustedCertificate) }
	testutil.Eventually(t, 15*time.Second, "a refused certificate", func() bool { _, ok := wary.st.find(untrusted); return ok })
	st, _ := wary.st.find(untrusted)
	var unknown x509.UnknownAuthorityError
	if st.State != StateOffline || !errors.Is(st.Err, ErrUnreachable) || !errors.As(st.Err, &unknown) {
		t.Errorf("status = %+v, want offline, unreachable, an unknown authority", st)
	}

	if _, err := New(Config{URL: url, Device: alice.Key, Certificate: alice.Cert, Handler: &recHandler{},
		HTTP: &http.Client{}, TLS: &tls.Config{RootCAs: ca.pool}}); err == nil {
		t.Error("New accepted both HTTP and TLS")
	}
}
