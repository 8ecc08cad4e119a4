package chatcrypto

import (
	"crypto/sha256"
	"sync"

	"hush/identity"
)

// CertCache remembers device certificates that [Open] has verified, so the messages
// of one device cost one signature check each (the message's) rather than two (the
// certificate's and the message's). Give the same cache to every Open of a reader
// (OpenParams.Certs); most applications should use one per engine, sized with
// [DefaultCertCacheSize].
//
// An entry is keyed by the SHA-256 of the certificate's exact bytes and added only
// after [identity.ParseCertificate] verified those bytes, so a hit is a certificate
// that verified before: a different or altered certificate hashes elsewhere and is
// verified in full. Everything else Open checks — that the certificate names the
// expected account, the message signature, the header, the context — is checked on
// every message, hit or not. Certificates are public, so the lookup need not be
// constant-time.
//
// The cache is bounded; when full, the oldest entry makes room. It is safe for
// concurrent use. The certificates it returns share their keys with the cache; like
// every identity key they are read-only.
type CertCache struct {
	mu    sync.Mutex
	certs map[[sha256.Size]byte]identity.Certificate
	order [][sha256.Size]byte // insertion order, a ring once full
	next  int                 // the oldest entry of the full ring
	hits  int                 // for tests
}

// DefaultCertCacheSize holds the devices of a few hundred active correspondents.
const DefaultCertCacheSize = 1024

// NewCertCache returns an empty cache of at most size certificates (at least 1).
func NewCertCache(size int) *CertCache {
	size = max(size, 1)
	return &CertCache{
		certs: make(map[[sha256.Size]byte]identity.Certificate, size),
		order: make([][sha256.Size]byte, 0, size),
	}
}

// parse is identity.ParseCertificate, answered from the cache when these exact
// bytes verified before. A nil cache parses every time.
func (c *CertCache) parse(raw []byte) (identity.Certificate, error) {
	if c == nil {
		return identity.ParseCertificate(raw)
	}
	key := sha256.Sum256(raw)
	c.mu.Lock()
	cert, ok := c.certs[key]
	if ok {
		c.hits++
	}
	c.mu.Unlock()
	if ok {
		return cert, nil
	}
	cert, err := identity.ParseCertificate(raw)
	if err != nil {
		return identity.Certificate{}, err
	}
	c.add(key, cert)
	return cert, nil
}

// Parse is identity.ParseCertificate through the cache, for the other signed
// structures a reader verifies with the same device certificates (membership log
// records). A nil cache parses every time.
func (c *CertCache) Parse(raw []byte) (identity.Certificate, error) { return c.parse(raw) }

// add records a verified certificate, evicting the oldest when full.
func (c *CertCache) add(key [sha256.Size]byte, cert identity.Certificate) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.certs[key]; ok {
		return // another Open verified it meanwhile
	}
	if len(c.order) < cap(c.order) {
		c.order = append(c.order, key)
	} else {
		delete(c.certs, c.order[c.next])
		c.order[c.next] = key
		c.next = (c.next + 1) % len(c.order)
	}
	c.certs[key] = cert
}

// Len returns how many certificates the cache holds.
func (c *CertCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.certs)
}
