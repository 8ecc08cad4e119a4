// Package keywrap turns the vault passphrase into a key-encryption key with
// Argon2id (RFC 9106) and wraps the vault master key under it with
// XChaCha20-Poly1305.
//
// The construction, which docs/ARCHITECTURE.md ("Vault") describes byte for
// byte and testdata/kat.json pins, is:
//
//	KEK     = Argon2id(passphrase, salt, Params.Time, Params.Memory, Params.Threads, 32)
//	AD      = MasterKeyLabel || 0x00 || WrapVersion || EncodeParams(p) || salt || vaultID
//	wrapped = WrapVersion || nonce(24) || XChaCha20-Poly1305.Seal(KEK, nonce, master, AD)
//
// Binding the encoded parameters, the salt and the vault id in the associated
// data means an attacker who edits any of them in the file gets a failed
// unwrap, never a weaker derivation that still succeeds.
//
// Most callers want [Calibrate] with [MeasureArgon2id] to pick parameters for
// a new vault; they are never below [Floor].
package keywrap

import (
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/chacha20poly1305"
)

// MasterKeyLabel separates the master-key wrap from every other use of
// XChaCha20-Poly1305 in Hush; it is the first component of the associated data.
const MasterKeyLabel = "hush/v1/vault/master-key"

// Sizes of the values this package handles.
const (
	KeySize     = 32 // master key and KEK
	SaltSize    = 16 // Argon2id salt, random per wrap
	VaultIDSize = 16 // the vault's random id, stored in clear
	ParamsSize  = 10 // EncodeParams output
	// WrappedSize is the length of a wrapped master key: version, nonce,
	// ciphertext and tag.
	WrappedSize = 1 + chacha20poly1305.NonceSizeX + KeySize + chacha20poly1305.Overhead
)

// Format versions. A reader refuses versions it does not know, so a future
// construction cannot be mistaken for this one.
const (
	ParamsVersion = 1
	WrapVersion   = 1
)

// The floor: no new wrap is ever made with less. Memory is in KiB (64 MiB).
const (
	FloorMemory  = 64 * 1024
	FloorTime    = 3
	FloorThreads = 4
)

// MaxCalibratedTime caps the passes Calibrate picks, so a very slow
// measurement cannot make unlocking take minutes on a faster day.
const MaxCalibratedTime = 64

// Limits on decoded parameters. A tampered or damaged file must not be able
// to make an unlock allocate many gigabytes or spin for hours before the
// wrap's authentication tag gets a chance to reject it.
const (
	maxMemory  = 4 << 20 // KiB = 4 GiB
	maxTime    = 1024
	maxThreads = 64
)

// Errors callers branch on.
var (
	// ErrMalformed reports encoded parameters or a wrapped key that cannot
	// be parsed.
	ErrMalformed = errors.New("keywrap: malformed input")
	// ErrUnwrap reports that authentication failed: wrong passphrase, or
	// the stored salt, parameters, vault id or wrapped key were altered.
	ErrUnwrap = errors.New("keywrap: unwrap failed")
)

// Params are the Argon2id cost parameters: Memory in KiB, Time in passes,
// Threads in lanes.
type Params struct {
	Memory  uint32
	Time    uint32
	Threads uint8
}

// Floor returns the minimum parameters for any new wrap.
func Floor() Params {
	return Params{Memory: FloorMemory, Time: FloorTime, Threads: FloorThreads}
}

// Validate reports whether p is usable at all (not whether it is strong
// enough: see [Params.Below]).
func (p Params) Validate() error {
	switch {
	case p.Threads < 1 || p.Threads > maxThreads:
		return fmt.Errorf("%w: threads %d outside 1..%d", ErrMalformed, p.Threads, maxThreads)
	case p.Time < 1 || p.Time > maxTime:
		return fmt.Errorf("%w: time %d outside 1..%d", ErrMalformed, p.Time, maxTime)
	case p.Memory < 8*uint32(p.Threads) || p.Memory > maxMemory:
		return fmt.Errorf("%w: memory %d KiB outside %d..%d", ErrMalformed, p.Memory, 8*uint32(p.Threads), maxMemory)
	}
	return nil
}

// Below reports whether p costs less than floor in memory or in passes, the
// two knobs that set an attacker's cost. Fewer lanes do not make a guess
// cheaper, so Threads is not compared.
func (p Params) Below(floor Params) bool {
	return p.Memory < floor.Memory || p.Time < floor.Time
}

// EncodeParams returns the stored form of p: version, memory, time (both
// big-endian uint32) and threads.
func EncodeParams(p Params) []byte {
	b := make([]byte, 0, ParamsSize)
	b = append(b, ParamsVersion)
	b = binary.BigEndian.AppendUint32(b, p.Memory)
	b = binary.BigEndian.AppendUint32(b, p.Time)
	return append(b, p.Threads)
}

// DecodeParams parses and validates the output of [EncodeParams].
func DecodeParams(b []byte) (Params, error) {
	if len(b) != ParamsSize {
		return Params{}, fmt.Errorf("%w: params are %d bytes, want %d", ErrMalformed, len(b), ParamsSize)
	}
	if b[0] != ParamsVersion {
		return Params{}, fmt.Errorf("%w: params version %d", ErrMalformed, b[0])
	}
	p := Params{
		Memory:  binary.BigEndian.Uint32(b[1:5]),
		Time:    binary.BigEndian.Uint32(b[5:9]),
		Threads: b[9],
	}
	if err := p.Validate(); err != nil {
		return Params{}, err
	}
	return p, nil
}

// DeriveKEK runs Argon2id. The caller owns the result and must clear it.
// Argon2's own work memory is released to the garbage collector unzeroed;
// Go offers no way to scrub it.
func DeriveKEK(passphrase, salt []byte, p Params) ([]byte, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if len(salt) != SaltSize {
		return nil, fmt.Errorf("%w: salt is %d bytes, want %d", ErrMalformed, len(salt), SaltSize)
	}
	return argon2.IDKey(passphrase, salt, p.Time, p.Memory, p.Threads, KeySize), nil
}

// AssociatedData returns the AD that binds a wrap to its parameters, salt and
// vault id.
func AssociatedData(p Params, salt, vaultID []byte) []byte {
	ad := make([]byte, 0, len(MasterKeyLabel)+2+ParamsSize+len(salt)+len(vaultID))
	ad = append(ad, MasterKeyLabel...)
	ad = append(ad, 0, WrapVersion)
	ad = append(ad, EncodeParams(p)...)
	ad = append(ad, salt...)
	return append(ad, vaultID...)
}

// Wrap encrypts master under kek. rand supplies the nonce (crypto/rand in
// production, a fixed reader in known-answer tests).
func Wrap(rand io.Reader, kek, master []byte, p Params, salt, vaultID []byte) ([]byte, error) {
	if len(master) != KeySize {
		return nil, fmt.Errorf("keywrap: master key is %d bytes, want %d", len(master), KeySize)
	}
	if err := checkBinding(p, salt, vaultID); err != nil {
		return nil, err
	}
	aead, err := newAEAD(kek)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 1+chacha20poly1305.NonceSizeX, WrappedSize)
	out[0] = WrapVersion
	if _, err := io.ReadFull(rand, out[1:]); err != nil {
		return nil, fmt.Errorf("keywrap: nonce: %w", err)
	}
	return aead.Seal(out, out[1:], master, AssociatedData(p, salt, vaultID)), nil
}

// ParseWrapped splits a wrapped key into nonce and ciphertext, checking its
// version and length.
func ParseWrapped(wrapped []byte) (nonce, ciphertext []byte, err error) {
	if len(wrapped) != WrappedSize {
		return nil, nil, fmt.Errorf("%w: wrapped key is %d bytes, want %d", ErrMalformed, len(wrapped), WrappedSize)
	}
	if wrapped[0] != WrapVersion {
		return nil, nil, fmt.Errorf("%w: wrap version %d", ErrMalformed, wrapped[0])
	}
	return wrapped[1 : 1+chacha20poly1305.NonceSizeX], wrapped[1+chacha20poly1305.NonceSizeX:], nil
}

// Unwrap decrypts the master key. Any authentication failure is [ErrUnwrap];
// the caller owns the result and must clear it.
func Unwrap(kek, wrapped []byte, p Params, salt, vaultID []byte) ([]byte, error) {
	nonce, ct, err := ParseWrapped(wrapped)
	if err != nil {
		return nil, err
	}
	if err := checkBinding(p, salt, vaultID); err != nil {
		return nil, err
	}
	aead, err := newAEAD(kek)
	if err != nil {
		return nil, err
	}
	master, err := aead.Open(nil, nonce, ct, AssociatedData(p, salt, vaultID))
	if err != nil {
		return nil, ErrUnwrap
	}
	return master, nil
}

func checkBinding(p Params, salt, vaultID []byte) error {
	if err := p.Validate(); err != nil {
		return err
	}
	if len(salt) != SaltSize || len(vaultID) != VaultIDSize {
		return fmt.Errorf("%w: salt %d bytes and vault id %d bytes, want %d and %d",
			ErrMalformed, len(salt), len(vaultID), SaltSize, VaultIDSize)
	}
	return nil
}

func newAEAD(kek []byte) (cipher.AEAD, error) {
	aead, err := chacha20poly1305.NewX(kek)
	if err != nil {
		return nil, fmt.Errorf("keywrap: kek: %w", err)
	}
	return aead, nil
}

// Calibrate picks parameters for a new wrap the way KeePassXC does: memory
// stays at the floor, one pass is timed with measure, and the pass count is
// raised until one derivation takes about target. The result is never below
// [Floor] and never above [MaxCalibratedTime] passes.
//
// measure is a parameter so tests can use a fake clock; production passes
// [MeasureArgon2id].
func Calibrate(target time.Duration, measure func(Params) time.Duration) Params {
	p := Floor()
	one := p
	one.Time = 1
	perPass := measure(one)
	if perPass <= 0 {
		perPass = 1
	}
	passes := (target + perPass/2) / perPass
	p.Time = uint32(min(max(passes, FloorTime), MaxCalibratedTime))
	return p
}

// MeasureArgon2id times one real derivation with p, using the wall clock.
func MeasureArgon2id(p Params) time.Duration {
	var pass, salt [16]byte
	start := time.Now()
	kek := argon2.IDKey(pass[:], salt[:], p.Time, p.Memory, p.Threads, KeySize)
	elapsed := time.Since(start)
	clear(kek)
	return elapsed
}
