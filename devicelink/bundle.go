package devicelink

import (
	"bytes"
	"crypto/hpke"
	"errors"
	"fmt"
	"log/slog"
	"unicode/utf8"

	"hush/identity"
)

// Limits of a [Bundle].
const (
	// MaxDeviceListSize caps the device list in a bundle: the same 64 KiB the
	// account's signed device list is held to.
	MaxDeviceListSize = 64 << 10
	// MaxHandleSize caps the account's handle, in bytes of UTF-8.
	MaxHandleSize = 64
	// MaxDisplayNameSize caps the account's display name, in bytes of UTF-8.
	MaxDisplayNameSize = 256
	// MaxOtherKEMSeeds caps the account's older ML-KEM seeds a bundle carries (one
	// more for each device the account revoked: docs/SECURITY.md, "Revocation and
	// the account's keys"), 6 KiB at most.
	MaxOtherKEMSeeds = 96
	// MaxSealedBundleSize caps a sealed bundle: the largest valid bundle (about
	// 73 200 bytes, the device list dominating), with room to spare, plus what HPKE
	// adds.
	MaxSealedBundleSize = maxBundleSize + sealOverhead
)

// maxBundleSize caps an encoded bundle before sealing; the largest valid one is
// about 73 200 bytes.
const maxBundleSize = 74 << 10

// Bundle layouts: version 2 adds the older ML-KEM seeds; version 1, without them,
// is still written for an account that has none and read.
const (
	bundleVersion      = 1
	bundleVersionSeeds = 2
)

// Bundle is what the sponsor gives the newcomer once the user has confirmed the
// SAS: everything a new device needs to act as the account. It holds the account's
// private seeds: destroy it once they are stored, and do not print it (its String
// hides them).
type Bundle struct {
	// SigningSeed, EncryptionKey and KEMSeed are the account key's seeds, as
	// identity.AccountKey.Seeds returns them. KEMSeed is nil for a legacy account
	// without ML-KEM.
	SigningSeed, EncryptionKey, KEMSeed []byte
	// OtherKEMSeeds are the account's older ML-KEM seeds (identity.AccountKey.KEMSeeds
	// without KEMSeed), which history is wrapped to; at most [MaxOtherKEMSeeds].
	OtherKEMSeeds [][]byte
	// Certificate is the account's certificate for the newcomer's device key
	// (identity.IssueCertificate), at most identity.MaxCertificateSize bytes.
	Certificate []byte
	// DeviceList is the account's signed device list that names the newcomer, at
	// most [MaxDeviceListSize] bytes. This package does not read it.
	DeviceList []byte
	// Handle is the account's @handle at the relay, "" if it has none; at most
	// [MaxHandleSize] bytes.
	Handle string
	// DisplayName is the account's display name, at most [MaxDisplayNameSize]
	// bytes.
	DisplayName string
}

// bundlePlain is the encoded bundle: CBOR [version, signing seed (32), X25519 key
// (32), ML-KEM seed (64, or empty for a legacy account), certificate, device list,
// handle, display name].
type bundlePlain struct {
	_             struct{} `cbor:",toarray"`
	Version       uint8
	SigningSeed   []byte
	EncryptionKey []byte
	KEMSeed       []byte
	Certificate   []byte
	DeviceList    []byte
	Handle        string
	DisplayName   string
}

// bundlePlainSeeds is version 2: version 1 and the older ML-KEM seeds.
type bundlePlainSeeds struct {
	_             struct{} `cbor:",toarray"`
	Version       uint8
	SigningSeed   []byte
	EncryptionKey []byte
	KEMSeed       []byte
	Certificate   []byte
	DeviceList    []byte
	Handle        string
	DisplayName   string
	OtherKEMSeeds [][]byte
}

// Destroy zeroes the seeds b holds; the rest is public.
func (b *Bundle) Destroy() {
	clear(b.SigningSeed)
	clear(b.EncryptionKey)
	clear(b.KEMSeed)
	for _, s := range b.OtherKEMSeeds {
		clear(s)
	}
	b.SigningSeed, b.EncryptionKey, b.KEMSeed, b.OtherKEMSeeds = nil, nil, nil, nil
}

// String hides the seeds, so that printing a bundle leaks nothing.
func (b Bundle) String() string {
	return fmt.Sprintf("devicelink.Bundle{seeds: [REDACTED], handle: %q, display name: %q}", b.Handle, b.DisplayName)
}

// GoString hides the seeds from %#v as well.
func (b Bundle) GoString() string { return b.String() }

// LogValue hides the seeds from log/slog.
func (b Bundle) LogValue() slog.Value { return slog.StringValue(b.String()) }

// check refuses a bundle that the newcomer could not use or that breaks a limit.
func (b Bundle) check() error {
	if len(b.SigningSeed) != identity.SeedSize || len(b.EncryptionKey) != identity.SeedSize {
		return fmt.Errorf("account seeds of %d and %d bytes, want %d", len(b.SigningSeed), len(b.EncryptionKey), identity.SeedSize)
	}
	if b.KEMSeed != nil && len(b.KEMSeed) != identity.KEMSeedSize {
		return fmt.Errorf("ML-KEM seed of %d bytes, want %d or none", len(b.KEMSeed), identity.KEMSeedSize)
	}
	if len(b.OtherKEMSeeds) > MaxOtherKEMSeeds || (len(b.OtherKEMSeeds) > 0 && b.KEMSeed == nil) {
		return fmt.Errorf("%d older ML-KEM seeds, want at most %d and a current one", len(b.OtherKEMSeeds), MaxOtherKEMSeeds)
	}
	for _, s := range b.OtherKEMSeeds {
		if len(s) != identity.KEMSeedSize {
			return fmt.Errorf("older ML-KEM seed of %d bytes, want %d", len(s), identity.KEMSeedSize)
		}
	}
	if len(b.Certificate) == 0 || len(b.Certificate) > identity.MaxCertificateSize {
		return fmt.Errorf("certificate of %d bytes, want 1 to %d", len(b.Certificate), identity.MaxCertificateSize)
	}
	if len(b.DeviceList) == 0 || len(b.DeviceList) > MaxDeviceListSize {
		return fmt.Errorf("device list of %d bytes, want 1 to %d", len(b.DeviceList), MaxDeviceListSize)
	}
	if len(b.Handle) > MaxHandleSize || !utf8.ValidString(b.Handle) {
		return fmt.Errorf("handle of %d bytes is too long or not UTF-8", len(b.Handle))
	}
	if len(b.DisplayName) > MaxDisplayNameSize || !utf8.ValidString(b.DisplayName) {
		return fmt.Errorf("display name of %d bytes is too long or not UTF-8", len(b.DisplayName))
	}
	return nil
}

// encodeBundle encodes b after checking it. The caller clears the result.
func encodeBundle(b Bundle) ([]byte, error) {
	if err := b.check(); err != nil {
		return nil, err
	}
	kem := b.KEMSeed
	if kem == nil {
		kem = []byte{} // an empty byte string, not CBOR null: one layout for both kinds
	}
	p := bundlePlain{
		Version:       bundleVersion,
		SigningSeed:   b.SigningSeed,
		EncryptionKey: b.EncryptionKey,
		KEMSeed:       kem,
		Certificate:   b.Certificate,
		DeviceList:    b.DeviceList,
		Handle:        b.Handle,
		DisplayName:   b.DisplayName,
	}
	var out []byte
	var err error
	if len(b.OtherKEMSeeds) > 0 {
		out, err = enc.Marshal(bundlePlainSeeds{Version: bundleVersionSeeds, SigningSeed: p.SigningSeed, EncryptionKey: p.EncryptionKey,
			KEMSeed: p.KEMSeed, Certificate: p.Certificate, DeviceList: p.DeviceList, Handle: p.Handle, DisplayName: p.DisplayName,
			OtherKEMSeeds: b.OtherKEMSeeds})
	} else {
		out, err = enc.Marshal(p)
	}
	if err != nil {
		return nil, fmt.Errorf("encode bundle: %w", err)
	}
	if len(out) > maxBundleSize {
		return nil, fmt.Errorf("bundle of %d bytes, the limit is %d", len(out), maxBundleSize)
	}
	return out, nil
}

// decodeBundle decodes what encodeBundle wrote, and only that.
func decodeBundle(pt []byte) (Bundle, error) {
	var p bundlePlain
	var others [][]byte
	var v2 bundlePlainSeeds
	if err := dec.Unmarshal(pt, &v2); err == nil {
		if v2.Version != bundleVersionSeeds {
			return Bundle{}, fmt.Errorf("bundle version %d with older ML-KEM seeds", v2.Version)
		}
		p = bundlePlain{Version: bundleVersion, SigningSeed: v2.SigningSeed, EncryptionKey: v2.EncryptionKey, KEMSeed: v2.KEMSeed,
			Certificate: v2.Certificate, DeviceList: v2.DeviceList, Handle: v2.Handle, DisplayName: v2.DisplayName}
		others = v2.OtherKEMSeeds
	} else if err := dec.Unmarshal(pt, &p); err != nil {
		return Bundle{}, err
	}
	b := Bundle{
		OtherKEMSeeds: others,
		SigningSeed:   p.SigningSeed,
		EncryptionKey: p.EncryptionKey,
		KEMSeed:       p.KEMSeed,
		Certificate:   p.Certificate,
		DeviceList:    p.DeviceList,
		Handle:        p.Handle,
		DisplayName:   p.DisplayName,
	}
	if len(b.KEMSeed) == 0 {
		b.KEMSeed = nil
	}
	if p.Version != bundleVersion {
		b.Destroy()
		return Bundle{}, fmt.Errorf("unknown bundle version %d", p.Version)
	}
	again, err := encodeBundle(b)
	if err != nil {
		b.Destroy()
		return Bundle{}, err
	}
	canonical := bytes.Equal(again, pt)
	clear(again)
	if !canonical {
		b.Destroy()
		return Bundle{}, errors.New("non-canonical encoding")
	}
	return b, nil
}

// bundleInfo is the HPKE info of a sealed bundle: bundleLabel ‖ 0x00 ‖ transcript,
// so a bundle opens only in the exchange whose SAS the user compared.
func bundleInfo(transcript [32]byte) []byte {
	b := make([]byte, 0, len(bundleLabel)+1+len(transcript))
	b = append(b, bundleLabel...)
	b = append(b, 0)
	return append(b, transcript[:]...)
}

func checkSealedSize(n int) error {
	if n <= sealOverhead || n > MaxSealedBundleSize {
		return fmt.Errorf("sealed bundle of %d bytes, want %d to %d", n, sealOverhead+1, MaxSealedBundleSize)
	}
	return nil
}

// SealBundle encrypts b to the link public key pub, for the exchange with the given
// transcript: HPKE (RFC 9180) base mode with the KEM MLKEM768-X25519, HKDF-SHA256
// and ChaCha20Poly1305, info "hush/v1/link/bundle" ‖ 0x00 ‖ transcript, no AAD. The
// result is the encapsulated key followed by the ciphertext. [Sponsor.SealBundle]
// is the same with the checks of the exchange; use it.
func SealBundle(pub []byte, transcript [32]byte, b Bundle) ([]byte, error) {
	pk, err := parsePublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("seal bundle: %w", err)
	}
	pt, err := encodeBundle(b)
	if err != nil {
		return nil, fmt.Errorf("seal bundle: %w", err)
	}
	defer clear(pt)
	sealed, err := hpke.Seal(pk, hpke.HKDFSHA256(), hpke.ChaCha20Poly1305(), bundleInfo(transcript), pt)
	if err != nil {
		return nil, fmt.Errorf("seal bundle: %w", err)
	}
	return sealed, nil
}

// OpenBundle decrypts a bundle sealed to k for the exchange with the given
// transcript and checks it belongs to account, the account the sponsor revealed:
// its seeds must rebuild that account's key and its certificate must be that
// account's. Any failure wraps [ErrBadBundle]; a bundle of another account also
// wraps [ErrWrongAccount]. The revealed account is its 64-byte form, which does not
// hold the ML-KEM key: the caller checks the KEM seed's public key against the
// account's signed account-keys record (identity.ParseAccountKeys) before relying
// on it. [Newcomer.OpenBundle] is the same with the checks of the exchange; use it.
func (k *LinkKey) OpenBundle(transcript [32]byte, account identity.AccountPublicKey, sealed []byte) (Bundle, error) {
	b, _, err := k.openBundle(transcript, account, sealed)
	return b, err
}

func (k *LinkKey) openBundle(transcript [32]byte, account identity.AccountPublicKey, sealed []byte) (Bundle, identity.Certificate, error) {
	if account.IsZero() {
		return Bundle{}, identity.Certificate{}, fmt.Errorf("%w: no account to check against", ErrBadBundle)
	}
	if err := checkSealedSize(len(sealed)); err != nil {
		return Bundle{}, identity.Certificate{}, fmt.Errorf("%w: %v", ErrBadBundle, err)
	}
	sk, err := k.hpkeKey()
	if err != nil {
		return Bundle{}, identity.Certificate{}, fmt.Errorf("%w: %v", ErrBadBundle, err)
	}
	pt, err := hpke.Open(sk, hpke.HKDFSHA256(), hpke.ChaCha20Poly1305(), bundleInfo(transcript), sealed)
	if err != nil {
		// The cause (a tag mismatch, a bad encapsulation) tells an attacker nothing
		// useful and the caller nothing actionable.
		return Bundle{}, identity.Certificate{}, fmt.Errorf("%w: does not open under this link key and transcript", ErrBadBundle)
	}
	defer clear(pt)
	b, err := decodeBundle(pt)
	if err != nil {
		return Bundle{}, identity.Certificate{}, fmt.Errorf("%w: %v", ErrBadBundle, err)
	}
	cert, err := checkBundleAccount(b, account)
	if err != nil {
		b.Destroy()
		return Bundle{}, identity.Certificate{}, err
	}
	return b, cert, nil
}

// checkBundleAccount checks that b's seeds rebuild account's key and that its
// certificate is account's, and returns the certificate.
func checkBundleAccount(b Bundle, account identity.AccountPublicKey) (identity.Certificate, error) {
	key, err := identity.AccountKeyFromSeeds(b.SigningSeed, b.EncryptionKey, b.KEMSeed)
	if err != nil {
		return identity.Certificate{}, fmt.Errorf("%w: account seeds: %v", ErrBadBundle, err)
	}
	same := key.Public().Equal(account)
	key.Destroy()
	if !same {
		return identity.Certificate{}, fmt.Errorf("%w: %w: its keys are not the revealed account's", ErrBadBundle, ErrWrongAccount)
	}
	cert, err := identity.ParseCertificate(b.Certificate)
	if err != nil {
		return identity.Certificate{}, fmt.Errorf("%w: %v", ErrBadBundle, err)
	}
	if !cert.Account.Equal(account) {
		return identity.Certificate{}, fmt.Errorf("%w: %w: the certificate is another account's", ErrBadBundle, ErrWrongAccount)
	}
	return cert, nil
}
