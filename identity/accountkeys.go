package identity

import (
	"crypto/ed25519"
	"crypto/mlkem"
	"errors"
	"fmt"
	"time"

	"hush/internal/strictcbor"
)

// accountKeysLabel is the signature purpose of the account-keys record.
const accountKeysLabel = "account-keys"

// accountKeysVersion is the only account-keys layout this code writes and reads.
const accountKeysVersion = 1

// MaxAccountKeysSize is the largest a valid account-keys record can be: the
// 1 184-byte ML-KEM key dominates, and only the issue time varies (1 to 9 bytes).
// Real records are 1 331 bytes until 2106.
const MaxAccountKeysSize = 1336

// ErrInvalidAccountKeys reports an account-keys record that is malformed, of an
// unknown version, or whose signature does not verify.
var ErrInvalidAccountKeys = errors.New("identity: invalid account keys")

// AccountKeys is an account's statement of its public keys, signed by its own
// Ed25519 key: what a client pins for a contact instead of the relay's bare 64-byte
// key, so a relay cannot substitute the keys epoch keys are wrapped to.
type AccountKeys struct {
	// Public is the account's key, with its ML-KEM-768 key.
	Public AccountPublicKey
	// IssuedAt is when the record was made, in whole seconds.
	IssuedAt time.Time
}

// accountKeysBody is what the account signs: every public key it has, at full size.
type accountKeysBody struct {
	_          struct{} `cbor:",toarray"`
	Version    uint8
	Signing    []byte
	Encryption []byte
	KEM        []byte
	IssuedAt   int64
}

// accountKeysDec refuses anything larger or deeper than an account-keys record can
// be (the CBOR library's minimum limits are far above its two arrays of two and
// five elements).
var accountKeysDec = strictcbor.DecMode(strictcbor.Limits{MaxNesting: 4, MaxArray: 16, MaxMap: 16})

// IssueAccountKeys writes k's signed account-keys record:
// CBOR [body, signature], body = CBOR [1, Ed25519 public key (32), X25519 public
// key (32), ML-KEM-768 encapsulation key (1184), issued at (Unix seconds)], signed
// by k's Ed25519 key. k must have an ML-KEM key ([AccountKey.HasKEM]).
func IssueAccountKeys(k *AccountKey, now time.Time) ([]byte, error) {
	if k == nil || !k.HasKEM() {
		return nil, errors.New("issue account keys: the account key has no ML-KEM key")
	}
	pub := k.Public()
	body, err := certEnc.Marshal(accountKeysBody{
		Version:    accountKeysVersion,
		Signing:    pub.SigningKey(),
		Encryption: pub.EncryptionKey().Bytes(),
		KEM:        pub.KEMKey().Bytes(),
		IssuedAt:   now.Unix(),
	})
	if err != nil {
		return nil, fmt.Errorf("encode account keys: %w", err)
	}
	out, err := certEnc.Marshal(signedRecord{Body: body, Sig: k.Sign(accountKeysLabel, body)})
	if err != nil {
		return nil, fmt.Errorf("encode account keys: %w", err)
	}
	return out, nil
}

// ParseAccountKeys decodes an account-keys record and verifies its signature under
// the Ed25519 key inside it. That proves only that whoever holds that key made it:
// the caller must compare Public.ID() with the account id it expects (an account id
// is a hash of the Ed25519 key, so no other key can claim it).
func ParseAccountKeys(b []byte) (AccountKeys, error) {
	if len(b) > MaxAccountKeysSize {
		return AccountKeys{}, fmt.Errorf("%w: %d bytes, the limit is %d", ErrInvalidAccountKeys, len(b), MaxAccountKeysSize)
	}
	var rec signedRecord
	if err := accountKeysDec.Unmarshal(b, &rec); err != nil {
		return AccountKeys{}, fmt.Errorf("%w: %v", ErrInvalidAccountKeys, err)
	}
	var body accountKeysBody
	if err := accountKeysDec.Unmarshal(rec.Body, &body); err != nil {
		return AccountKeys{}, fmt.Errorf("%w: body: %v", ErrInvalidAccountKeys, err)
	}
	if body.Version != accountKeysVersion {
		return AccountKeys{}, fmt.Errorf("%w: unknown version %d", ErrInvalidAccountKeys, body.Version)
	}
	if len(body.Signing) != ed25519.PublicKeySize || len(body.KEM) != mlkem.EncapsulationKeySize768 {
		return AccountKeys{}, fmt.Errorf("%w: key sizes %d, %d, %d", ErrInvalidAccountKeys, len(body.Signing), len(body.Encryption), len(body.KEM))
	}
	p, err := parsePublicKey(append(append(make([]byte, 0, PublicKeySize), body.Signing...), body.Encryption...))
	if err != nil {
		return AccountKeys{}, fmt.Errorf("%w: %v", ErrInvalidAccountKeys, err)
	}
	kem, err := mlkem.NewEncapsulationKey768(body.KEM)
	if err != nil {
		return AccountKeys{}, fmt.Errorf("%w: ML-KEM key: %v", ErrInvalidAccountKeys, err)
	}
	if err := p.verify(accountKeysLabel, rec.Body, rec.Sig); err != nil {
		return AccountKeys{}, fmt.Errorf("%w: %v", ErrInvalidAccountKeys, err)
	}
	return AccountKeys{
		Public:   AccountPublicKey{p: p, kem: kem},
		IssuedAt: time.Unix(body.IssuedAt, 0).UTC(),
	}, nil
}
