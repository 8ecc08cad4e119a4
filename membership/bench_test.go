package membership

import (
	"testing"

	"hush/identity"
	"hush/ids"
	"hush/policy"
)

// bigLog is a group log of n records: a create, then adds and removes by the owner.
func bigLog(b *testing.B, n int) [][]byte {
	c := newCast(b)
	l := c.group(b, policy.KindGroup)
	for i := 1; i < n; i++ {
		a := ids.Account{byte(i), byte(i >> 8), 0xaa}
		if i%2 == 1 {
			l.add(c.owner, Change{Op: OpAdd, Members: []Member{{Account: a, Role: policy.RoleMember}}})
		} else {
			l.add(c.owner, Change{Op: OpRemove, Accounts: []ids.Account{{byte(i - 1), byte((i - 1) >> 8), 0xaa}}})
		}
	}
	return l.raws()
}

// BenchmarkReplay1000 verifies a log of 1,000 records from the start: what a device
// does when it meets a chat for the first time.
func BenchmarkReplay1000(b *testing.B) {
	raws := bigLog(b, 1000)
	b.Run("no-cache", func(b *testing.B) {
		for b.Loop() {
			if _, err := Replay(raws, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cert-cache", func(b *testing.B) {
		for b.Loop() {
			if _, err := Replay(raws, oneCertCache()); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// oneCertCache remembers the certificates it verified, as a client's cache does.
func oneCertCache() CertParser {
	seen := map[string]identity.Certificate{}
	return func(raw []byte) (identity.Certificate, error) {
		if c, ok := seen[string(raw)]; ok {
			return c, nil
		}
		c, err := identity.ParseCertificate(raw)
		if err == nil {
			seen[string(raw)] = c
		}
		return c, err
	}
}
