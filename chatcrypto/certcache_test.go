package chatcrypto

import (
	"errors"
	"sync"
	"testing"

	"hush/identity"
	"hush/ids"
)

// warmCerts is how many genuine certificates warmCertCache puts in its cache.
const warmCerts = 4

// warmCertCache returns a cache holding the genuine certificates of every device of
// the world, put there by Open as a reader would.
func warmCertCache(t testing.TB, w *world) *CertCache {
	t.Helper()
	c := NewCertCache(16)
	for i, d := range []struct {
		s    *Sender
		acct *identity.AccountKey
	}{{w.aliceDev, w.alice}, {w.aliceDev2, w.alice}, {w.bobDev, w.bob}, {w.malloryDev, w.mallory}} {
		id := ids.Message(id16(0xa0 + byte(i)))
		sealed, err := Seal(SealParams{Sender: d.s, ChatID: w.chat, Epoch: w.epoch, EpochKey: w.key, MessageID: id, Content: textContent("warm")})
		if err != nil {
			t.Fatal(err)
		}
		o := w.openParams(id)
		o.Sender, o.Certs = d.acct.Public(), c
		if _, err := Open(sealed, o); err != nil {
			t.Fatalf("warming with device %d: %v", i, err)
		}
	}
	if c.Len() != warmCerts {
		t.Fatalf("warm cache holds %d certificates, want %d", c.Len(), warmCerts)
	}
	return c
}

func (c *CertCache) hitCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hits
}

// TestCertCacheOpensAsWithout opens every kind of content with and without a
// cache, twice, and gets the same plaintext; the second open is a hit.
func TestCertCacheOpensAsWithout(t *testing.T) {
	w := newWorld(t)
	c := NewCertCache(8)
	for name, content := range validContents(t) {
		id := ids.Message(id16(0x30))
		sealed := w.seal(t, id, content)
		plain, err := Open(sealed, w.openParams(id))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for range 2 {
			o := w.openParams(id)
			o.Certs = c
			got, err := Open(sealed, o)
			if err != nil {
				t.Fatalf("%s with the cache: %v", name, err)
			}
			if got.Header != plain.Header || !got.Sender.Account.Equal(plain.Sender.Account) ||
				!got.Sender.Device.Equal(plain.Sender.Device) || !equalContent(got.Content, plain.Content) {
				t.Fatalf("%s: the cache changed what Open returns", name)
			}
		}
	}
	if c.Len() != 1 || c.hitCount() == 0 {
		t.Errorf("one device's messages: %d certificates cached, %d hits", c.Len(), c.hitCount())
	}
}

// TestCertCacheNotTrustedForOtherChecks opens, with Alice's certificate cached,
// messages that carry it but fail a later check: each still fails as without.
func TestCertCacheNotTrustedForOtherChecks(t *testing.T) {
	w := newWorld(t)
	c := warmCertCache(t, w)
	id := ids.Message(id16(0x31))
	sealed := w.seal(t, id, textContent("hello"))
	tests := []struct {
		name string
		mod  func(*OpenParams)
		want error
	}{
		{"pinned key of another account", func(o *OpenParams) { o.Sender = w.bob.Public() }, ErrWrongSender},
		{"another chat", func(o *OpenParams) { o.ChatID[0] ^= 1 }, ErrWrongContext},
		{"another message id", func(o *OpenParams) { o.MessageID[0] ^= 1 }, ErrWrongContext},
		{"another epoch's key", func(o *OpenParams) { o.EpochKey = testEpochKey(t, 9) }, ErrDecrypt},
	}
	for _, tt := range tests {
		o := w.openParams(id)
		o.Certs = c
		tt.mod(&o)
		if _, err := Open(sealed, o); !errors.Is(err, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}
}

func TestCertCacheBounded(t *testing.T) {
	w := newWorld(t)
	const size = 3
	c := NewCertCache(size)
	var senders []*Sender
	for i := range 2 * size {
		senders = append(senders, testSender(t, w.alice, byte(40+2*i)))
	}
	open := func(s *Sender, id ids.Message) {
		t.Helper()
		sealed, err := Seal(SealParams{Sender: s, ChatID: w.chat, Epoch: w.epoch, EpochKey: w.key, MessageID: id, Content: textContent("x")})
		if err != nil {
			t.Fatal(err)
		}
		o := w.openParams(id)
		o.Certs = c
		if _, err := Open(sealed, o); err != nil {
			t.Fatal(err)
		}
	}
	for i, s := range senders {
		open(s, id16(byte(i)))
		if c.Len() > size {
			t.Fatalf("%d certificates in a cache of %d", c.Len(), size)
		}
	}
	// The newest are held, the oldest were evicted (and verify again when met).
	hits := c.hitCount()
	open(senders[len(senders)-1], id16(0x70))
	if c.hitCount() != hits+1 {
		t.Error("the newest certificate is not cached")
	}
	open(senders[0], id16(0x71))
	if c.hitCount() != hits+1 {
		t.Error("the oldest certificate was not evicted")
	}
	if c.Len() != size {
		t.Errorf("Len = %d, want %d", c.Len(), size)
	}
	if NewCertCache(0).order == nil || cap(NewCertCache(-5).order) != 1 {
		t.Error("a cache of size 0 or less holds one certificate")
	}
}

func TestCertCacheConcurrent(t *testing.T) {
	w := newWorld(t)
	c := NewCertCache(2)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, acct := w.aliceDev, w.alice
			if g%2 == 1 {
				s, acct = w.bobDev, w.bob
			}
			for i := range 20 {
				id := ids.Message(id16(byte(g*20 + i)))
				sealed, err := Seal(SealParams{Sender: s, ChatID: w.chat, Epoch: w.epoch, EpochKey: w.key, MessageID: id, Content: textContent("x")})
				if err != nil {
					t.Error(err)
					return
				}
				o := w.openParams(id)
				o.Sender, o.Certs = acct.Public(), c
				if _, err := Open(sealed, o); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if c.Len() != 2 {
		t.Errorf("Len = %d, want 2", c.Len())
	}
}
