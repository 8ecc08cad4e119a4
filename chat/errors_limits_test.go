package chat

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"hush/sync/relayclient"
	"hush/sync/wire"
)

// TestRelayLimitErrors: each of the relay's hourly limits reaches callers as its own
// sentinel with the relay's wait, whether it answers a request or refuses the
// connection; a plain ws:// address for another computer and an untrusted
// certificate have sentinels of their own too. No error text is read.
func TestRelayLimitErrors(t *testing.T) {
	wait := 12 * time.Minute
	for _, tt := range []struct {
		code wire.Code
		want error
	}{
		{wire.CodeChatLimit, ErrTooManyChats},
		{wire.CodeStrangerLimit, ErrTooManyToStrangers},
		{wire.CodeAccountLimit, ErrTooManyAccounts},
		{wire.CodeRateLimited, ErrRateLimited},
	} {
		err := relayError(&wire.Error{Code: tt.code, Message: "whatever the relay says", RetryAfter: wait})
		if !errors.Is(err, tt.want) || RetryAfter(err) != wait {
			t.Errorf("relay code %v: %v, retry %v; want %v after %v", tt.code, err, RetryAfter(err), tt.want, wait)
		}
	}

	refused := linkError(fmt.Errorf("%w: %w", relayclient.ErrRefused, &wire.Error{Code: wire.CodeAccountLimit, RetryAfter: wait}))
	if !errors.Is(refused, ErrRefused) || !errors.Is(refused, ErrTooManyAccounts) || RetryAfter(refused) != wait {
		t.Errorf("refused for too many accounts: %v", refused)
	}
	if other := linkError(fmt.Errorf("%w: %w", relayclient.ErrRefused, wire.ErrAuthFailed)); errors.Is(other, ErrTooManyAccounts) {
		t.Errorf("another refusal matched ErrTooManyAccounts: %v", other)
	}
	cert := linkError(fmt.Errorf("%w: %w: %w", relayclient.ErrUnreachable, relayclient.ErrUntrustedCertificate, errors.New("x509")))
	if !errors.Is(cert, ErrUnreachable) || !errors.Is(cert, ErrUntrustedCertificate) {
		t.Errorf("untrusted certificate: %v", cert)
	}

	_, err := CheckRelayURL("ws://relay.example.org")
	if !errors.Is(err, ErrInvalidRelayURL) || !errors.Is(err, ErrInsecureRelayURL) || Detail(err) == "" {
		t.Errorf("plain ws:// to another computer: %v (detail %q)", err, Detail(err))
	}
	if _, err := CheckRelayURL("ws://relay.example.org:99999"); errors.Is(err, ErrInsecureRelayURL) || !errors.Is(err, ErrInvalidRelayURL) {
		t.Errorf("a bad port: %v", err)
	}
	if u, err := CheckRelayURL("ws://localhost:8443"); err != nil || u != "ws://localhost:8443" {
		t.Errorf("loopback ws://: %q, %v", u, err)
	}
}
