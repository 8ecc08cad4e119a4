// Package subkey derives the vault's per-purpose keys from its master key
// with HKDF-SHA256 (RFC 5869), and computes the keyed lookup tags that let
// SQL find a row by a secret name without storing the name.
//
// Every key is HKDF(ikm = master key, salt = vault id, info = label): the
// vault id as salt makes two vaults that somehow shared a master key still
// use different subkeys, and the label keeps one purpose's key useless for
// another. testdata/kat.json pins the outputs.
package subkey

import (
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"io"

	"golang.org/x/crypto/hkdf"
)

// HKDF info labels, one per purpose. Changing one makes every existing vault
// unreadable, which the known-answer test catches.
const (
	// FieldLabel: the key that seals row blobs (package field).
	FieldLabel = "hush/v1/vault/subkey/field"
	// LookupLabel: the HMAC key for lookup tags of secret row names
	// (setting names, cursor scopes).
	LookupLabel = "hush/v1/vault/subkey/lookup"
	// BlindIndexLabel: the HMAC key for the blind search index (not yet used).
	BlindIndexLabel = "hush/v1/vault/subkey/blind-index"
	// AttachmentLabel: the key that will protect attachment files at rest
	// (not yet used; each file also has its own random key).
	AttachmentLabel = "hush/v1/vault/subkey/attachment"
)

// Size is the length of every subkey and lookup tag.
const Size = 32

// Key is a derived subkey. The holder clears it with clear(k[:]).
type Key [Size]byte

// Derive returns HKDF-SHA256(master, vaultID, label).
func Derive(master, vaultID []byte, label string) (Key, error) {
	var k Key
	if len(master) != Size {
		return k, fmt.Errorf("subkey: master key is %d bytes, want %d", len(master), Size)
	}
	r := hkdf.New(sha256.New, master, vaultID, []byte(label))
	if _, err := io.ReadFull(r, k[:]); err != nil {
		return k, fmt.Errorf("subkey: derive %q: %w", label, err)
	}
	return k, nil
}

// LookupTag returns HMAC-SHA256(key, domain || 0x00 || name). The domain
// (a table name) keeps a setting called "x" and a cursor scope called "x"
// from sharing a tag.
func LookupTag(key *Key, domain, name string) []byte {
	m := hmac.New(sha256.New, key[:])
	m.Write([]byte(domain))
	m.Write([]byte{0})
	m.Write([]byte(name))
	return m.Sum(nil)
}
