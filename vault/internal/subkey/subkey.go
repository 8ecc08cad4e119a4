// Package subkey derives the vault's per-purpose keys from its master key
// with HKDF-SHA256 (RFC 5869), and computes the keyed tags that let SQL find
// a row by a secret name ([LookupTag]) or by an id that must not be stored
// in clear ([Indexer]).
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
	"hash"
	"io"
	"sync"

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
	// GraphIndexLabel: the HMAC key for the graph index, the tags stored in
	// place of account, device and chat ids ([Indexer]).
	GraphIndexLabel = "hush/v1/vault/subkey/graph-index"
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

// TagSize is the length of a graph index tag: 128 bits, the size of the ids
// it replaces, so the id columns keep their shape; collisions among the few
// thousand ids of one vault are out of reach, and the tag is not a
// commitment anyone could try to forge without the key.
const TagSize = 16

// Tag is one graph index tag: HMAC-SHA256 under the graph index key,
// truncated to TagSize bytes.
type Tag [TagSize]byte

// Indexer computes graph index tags,
//
//	Tag = HMAC-SHA256(key, domain || 0x00 || part1 || part2 || ...)[:16]
//
// The domain names the role of the column the tag goes into ("account",
// "chat", ...), so the same 16 bytes as an account id and as a chat id give
// unrelated tags; domains contain no 0x00 and the parts are fixed-size ids,
// so the input is unambiguous. It is safe for concurrent use. The HMAC state
// holds key material Go gives no way to scrub; it becomes garbage with the
// Indexer.
type Indexer struct {
	mu  sync.Mutex
	mac hash.Hash
	buf []byte
	sum [sha256.Size]byte
}

// NewIndexer returns an Indexer for key.
func NewIndexer(key *Key) *Indexer {
	return &Indexer{mac: hmac.New(sha256.New, key[:]), buf: make([]byte, 0, 64)}
}

// Tag returns the tag of parts in domain.
func (x *Indexer) Tag(domain string, parts ...[]byte) Tag {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.buf = append(x.buf[:0], domain...)
	x.buf = append(x.buf, 0)
	for _, p := range parts {
		x.buf = append(x.buf, p...)
	}
	x.mac.Reset()
	x.mac.Write(x.buf)
	var t Tag
	copy(t[:], x.mac.Sum(x.sum[:0]))
	clear(x.buf)
	clear(x.sum[:])
	return t
}
