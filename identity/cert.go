package identity

import (
	"errors"
	"fmt"
	"hush/internal/strictcbor"
	"time"
)

// certLabel is the signature purpose of device certificates.
const certLabel = "device-cert"

// certVersion is the only certificate layout this code writes and reads.
const certVersion = 1

// MaxCertificateSize caps an encoded certificate; real ones are about 180 bytes.
const MaxCertificateSize = 1024

// ErrInvalidCertificate reports a certificate that is malformed, of an unknown
// version, or whose signature does not verify.
var ErrInvalidCertificate = errors.New("identity: invalid device certificate")

// Certificate is an account's statement that a device belongs to it.
type Certificate struct {
	Account  AccountPublicKey
	Device   DevicePublicKey
	IssuedAt time.Time // whole seconds
}

type certBody struct {
	_        struct{} `cbor:",toarray"`
	Version  uint8
	Account  []byte
	Device   []byte
	IssuedAt int64
}

// signedRecord is the outer form of every record identity signs: the encoded body and
// the signature over it, CBOR [body, signature].
type signedRecord struct {
	_    struct{} `cbor:",toarray"`
	Body []byte
	Sig  []byte
}

// certEnc encodes deterministically, so one certificate has one encoding.
var certEnc = strictcbor.EncMode()

// certDec refuses anything larger or deeper than a certificate can be.
var certDec = strictcbor.DecMode(strictcbor.Limits{MaxNesting: 4, MaxArray: 16, MaxMap: 16})

// IssueCertificate signs a certificate binding device to account.
func IssueCertificate(account *AccountKey, device DevicePublicKey, now time.Time) ([]byte, error) {
	body, err := certEnc.Marshal(certBody{
		Version:  certVersion,
		Account:  account.Public().Bytes(),
		Device:   device.Bytes(),
		IssuedAt: now.Unix(),
	})
	if err != nil {
		return nil, fmt.Errorf("encode certificate: %w", err)
	}
	out, err := certEnc.Marshal(signedRecord{Body: body, Sig: account.Sign(certLabel, body)})
	if err != nil {
		return nil, fmt.Errorf("encode certificate: %w", err)
	}
	return out, nil
}

// ParseCertificate decodes a certificate and verifies its signature against the
// account key it names. The caller must still check that Account is the account it
// expects (for example with [AccountPublicKey.Equal]).
func ParseCertificate(b []byte) (Certificate, error) {
	if len(b) > MaxCertificateSize {
		return Certificate{}, fmt.Errorf("%w: %d bytes is too long", ErrInvalidCertificate, len(b))
	}
	var env signedRecord
	if err := certDec.Unmarshal(b, &env); err != nil {
		return Certificate{}, fmt.Errorf("%w: %v", ErrInvalidCertificate, err)
	}
	var body certBody
	if err := certDec.Unmarshal(env.Body, &body); err != nil {
		return Certificate{}, fmt.Errorf("%w: body: %v", ErrInvalidCertificate, err)
	}
	if body.Version != certVersion {
		return Certificate{}, fmt.Errorf("%w: unknown version %d", ErrInvalidCertificate, body.Version)
	}
	acct, err := ParseAccountPublicKey(body.Account)
	if err != nil {
		return Certificate{}, fmt.Errorf("%w: account key: %v", ErrInvalidCertificate, err)
	}
	dev, err := ParseDevicePublicKey(body.Device)
	if err != nil {
		return Certificate{}, fmt.Errorf("%w: device key: %v", ErrInvalidCertificate, err)
	}
	if err := acct.Verify(certLabel, env.Body, env.Sig); err != nil {
		return Certificate{}, fmt.Errorf("%w: %v", ErrInvalidCertificate, err)
	}
	return Certificate{Account: acct, Device: dev, IssuedAt: time.Unix(body.IssuedAt, 0).UTC()}, nil
}
