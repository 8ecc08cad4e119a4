package chatcrypto

import (
	"strings"
	"testing"

	"hush/identity"
)

// bench1KiB is a text whose encoded content (1 KiB less the CBOR header and the
// padding marker) fills the 1 KiB bucket exactly.
func bench1KiB(b *testing.B) Content {
	c := textContent(strings.Repeat("x", 1024-8))
	enc, err := EncodeContent(c)
	if err != nil {
		b.Fatal(err)
	}
	if size, _ := paddedSize(len(enc)); size != 1024 {
		b.Fatalf("benchmark content lands in the %d bucket", size)
	}
	return c
}

func BenchmarkSeal1KiB(b *testing.B) {
	w := newWorld(b)
	p := SealParams{Sender: w.aliceDev, ChatID: w.chat, Epoch: w.epoch, EpochKey: w.key, MessageID: id16(1), Content: bench1KiB(b)}
	b.SetBytes(1024)
	for b.Loop() {
		if _, err := Seal(p); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpen1KiB(b *testing.B) {
	w := newWorld(b)
	sealed := w.seal(b, id16(1), bench1KiB(b))
	o := w.openParams(id16(1))
	b.SetBytes(1024)
	for b.Loop() {
		if _, err := Open(sealed, o); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOpen1KiBCachedCert is BenchmarkOpen1KiB with the sender's certificate
// already verified in a CertCache, as for every message but a device's first.
func BenchmarkOpen1KiBCachedCert(b *testing.B) {
	w := newWorld(b)
	sealed := w.seal(b, id16(1), bench1KiB(b))
	o := w.openParams(id16(1))
	o.Certs = NewCertCache(DefaultCertCacheSize)
	if _, err := Open(sealed, o); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(1024)
	for b.Loop() {
		if _, err := Open(sealed, o); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSealOpen1KiB(b *testing.B) {
	w := newWorld(b)
	p := SealParams{Sender: w.aliceDev, ChatID: w.chat, Epoch: w.epoch, EpochKey: w.key, MessageID: id16(1), Content: bench1KiB(b)}
	o := w.openParams(id16(1))
	b.SetBytes(1024)
	for b.Loop() {
		sealed, err := Seal(p)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Open(sealed, o); err != nil {
			b.Fatal(err)
		}
	}
}

// benchVersions are the two envelope versions: Bob with his ML-KEM key (version 2)
// and in his 64-byte form (version 1).
func benchVersions(w *world) []struct {
	name string
	to   identity.AccountPublicKey
} {
	return []struct {
		name string
		to   identity.AccountPublicKey
	}{{"v1", w.bob.Public().WithoutKEM()}, {"v2", w.bob.Public()}}
}

func BenchmarkWrapEpochKey(b *testing.B) {
	w := newWorld(b)
	for _, v := range benchVersions(w) {
		b.Run(v.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := WrapEpochKey(w.key, w.chat, w.epoch, v.to); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkUnwrapEpochKey(b *testing.B) {
	w := newWorld(b)
	for _, v := range benchVersions(w) {
		b.Run(v.name, func(b *testing.B) {
			env, _ := WrapEpochKey(w.key, w.chat, w.epoch, v.to)
			for b.Loop() {
				if _, err := UnwrapEpochKey(env, w.chat, w.epoch, w.bob); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRotate100 is a key rotation in a 100-member group: wrap to everyone, sign.
// The crypto only; the relay round trip is not in it.
func BenchmarkRotate100(b *testing.B) {
	w := newWorld(b)
	for _, v := range []struct {
		name string
		kem  bool
	}{{"v1", false}, {"v2", true}} {
		b.Run(v.name, func(b *testing.B) {
			members := make([]identity.AccountPublicKey, 100)
			for i := range members {
				members[i] = testAccount(b, byte(i)).Public()
				if !v.kem {
					members[i] = members[i].WithoutKEM()
				}
			}
			for b.Loop() {
				e, err := NewKeyLogEntry(w.key, w.chat, w.epoch, w.head, members)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := SignKeyLogEntry(e, w.aliceDev); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkVerifyKeyLogEntry is a member checking (certificate, signature,
// authorization) and opening its signed envelope.
func BenchmarkVerifyKeyLogEntry(b *testing.B) {
	w := newWorld(b)
	for _, v := range benchVersions(w) {
		b.Run(v.name, func(b *testing.B) {
			e, _ := NewKeyLogEntry(w.key, w.chat, w.epoch, w.head, []identity.AccountPublicKey{v.to})
			s, err := SignKeyLogEntry(e, w.aliceDev)
			if err != nil {
				b.Fatal(err)
			}
			env := s.Envelopes[0].Signed
			b.ReportMetric(float64(len(env)), "bytes/entry")
			for b.Loop() {
				if _, _, err := VerifyKeyLogEntry(env, w.chat, w.epoch, w.bob, w.admins()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
