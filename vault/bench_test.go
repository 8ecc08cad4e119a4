package vault

import (
	"crypto/rand"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"hush/ids"
	"hush/policy"
	"hush/vault/internal/field"
	"hush/vault/internal/keywrap"
)

// The unlock benchmarks split Open into the Argon2id derivation with the
// production (calibrated) parameters and everything else. Run with:
//
//	go test -run '^$' -bench . -benchtime 20x ./vault/

// BenchmarkUnlockArgon2id is one key derivation with parameters calibrated
// on this machine, as Create would choose them.
func BenchmarkUnlockArgon2id(b *testing.B) {
	p := keywrap.Calibrate(DefaultCalibrationTarget, keywrap.MeasureArgon2id)
	pass := []byte(testPassphrase)
	salt := make([]byte, keywrap.SaltSize)
	for b.Loop() {
		kek, err := keywrap.DeriveKEK(pass, salt, p)
		if err != nil {
			b.Fatal(err)
		}
		clear(kek)
	}
	b.ReportMetric(float64(p.Memory)/1024, "MiB")
	b.ReportMetric(float64(p.Time), "passes")
	b.ReportMetric(float64(p.Threads), "lanes")
}

// BenchmarkUnlockArgon2idFloor is one derivation at the floor (64 MiB,
// 3 passes, 4 lanes), the least any vault uses.
func BenchmarkUnlockArgon2idFloor(b *testing.B) {
	pass := []byte(testPassphrase)
	salt := make([]byte, keywrap.SaltSize)
	for b.Loop() {
		kek, err := keywrap.DeriveKEK(pass, salt, keywrap.Floor())
		if err != nil {
			b.Fatal(err)
		}
		clear(kek)
	}
}

// BenchmarkOpenWithoutKDF is Open minus the Argon2id work: header check,
// read-only key slot read, unwrap, read-write connection, migration check
// and subkeys, on a vault holding 10,000 messages. The test KDF (64 KiB,
// one pass) still runs and is included; it costs well under a millisecond.
func BenchmarkOpenWithoutKDF(b *testing.B) {
	v, path := newVault(b)
	fillMessages(b, v, 10_000)
	if err := v.Close(); err != nil {
		b.Fatal(err)
	}
	opts := testOptions(b)
	pass := []byte(testPassphrase)
	b.ResetTimer()
	for range b.N {
		v, err := Open(b.Context(), path, pass, opts)
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if err := v.Close(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}

func benchSealer(b *testing.B) *field.Sealer {
	key := make([]byte, 32)
	rand.Read(key)
	s, err := field.NewSealer(key)
	if err != nil {
		b.Fatal(err)
	}
	return s
}

func benchLoc() field.Location {
	return field.Location{Table: tableMessages, Column: columnData, Row: make([]byte, 16)}
}

func BenchmarkFieldSeal1KiB(b *testing.B) {
	s, loc := benchSealer(b), benchLoc()
	pt := make([]byte, 1024)
	b.SetBytes(int64(len(pt)))
	for b.Loop() {
		if _, err := s.Seal(rand.Reader, loc, recordVersion, pt); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFieldOpen1KiB(b *testing.B) {
	s, loc := benchSealer(b), benchLoc()
	blob, err := s.Seal(rand.Reader, loc, recordVersion, make([]byte, 1024))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(1024)
	for b.Loop() {
		if _, _, err := s.Open(nil, loc, blob); err != nil {
			b.Fatal(err)
		}
	}
}

// benchBody is a typical chat message (about 100 bytes of text).
const benchBody = "Lorem ipsum dolor sit amet. Lorem ipsum dolor sit amet. " +
	"Lorem ipsum dolor sit amet. Lorem ipsum dolor sit amet. "

func fillMessages(b *testing.B, v *Vault, n int) ids.Chat {
	b.Helper()
	chat := newChat(b, v)
	err := v.Update(b.Context(), func(tx *Tx) error {
		for i := range n {
			m := pendingMessage(b, chat, benchBody)
			m.Seq = int64(i + 1)
			m.Status = policy.StatusSent
			if err := tx.InsertMessage(m); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return chat
}

// BenchmarkInsert10kMessagesOneTx inserts 10,000 messages (CBOR, seal,
// SQL) in one durable transaction.
func BenchmarkInsert10kMessagesOneTx(b *testing.B) {
	var total time.Duration
	for range b.N {
		b.StopTimer()
		v, _ := newVaultIn(b, b.TempDir())
		b.StartTimer()
		start := time.Now()
		fillMessages(b, v, 10_000)
		total += time.Since(start)
		b.StopTimer()
		v.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(10_000*b.N)/total.Seconds(), "msgs/s")
}

// BenchmarkDurableCommit is one transaction inserting one message, with
// synchronous=FULL: each op is an fsync'd commit.
func BenchmarkDurableCommit(b *testing.B) {
	v, _ := newVault(b)
	chat := newChat(b, v)
	msgs := make([]Message, b.N)
	for i := range msgs {
		msgs[i] = pendingMessage(b, chat, benchBody)
	}
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		if err := v.Update(b.Context(), func(tx *Tx) error { return tx.InsertMessage(msgs[i]) }); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "commits/s")
}

// BenchmarkMessagesPage50 reads the newest 50 of 10,000 messages, what the
// UI does when a chat is opened.
func BenchmarkMessagesPage50(b *testing.B) {
	v, _ := newVault(b)
	chat := fillMessages(b, v, 10_000)
	b.ResetTimer()
	for b.Loop() {
		page, _, err := v.Messages(b.Context(), chat, PageCursor{}, 50)
		if err != nil || len(page) != 50 {
			b.Fatal(len(page), err)
		}
	}
}

func newVaultIn(b *testing.B, dir string) (*Vault, string) {
	path := filepath.Join(dir, "bench.db")
	v, err := Create(b.Context(), path, []byte(testPassphrase), testOptions(b))
	if err != nil {
		b.Fatal(err)
	}
	return v, path
}

// BenchmarkReceiveReads is the reads receiving one message makes, in one View and
// without a commit (so without fsync): the chat with its members, the chat's
// cursor, an epoch key, the sender's contact and device. It shows what statement
// preparation costs next to the queries themselves.
func BenchmarkReceiveReads(b *testing.B) {
	v, _ := newVault(b)
	chat := newChat(b, v)
	account, device := [16]byte{1}, [16]byte{2}
	err := v.Update(b.Context(), func(tx *Tx) error {
		c, err := tx.Chat(chat)
		if err != nil {
			return err
		}
		c.Members = []Member{{AccountID: account, Role: policy.RoleMember}, {AccountID: [16]byte{3}, Role: policy.RoleOwner}}
		if err := tx.PutChat(c); err != nil {
			return err
		}
		if err := tx.SetCursor("chat:bench", 7); err != nil {
			return err
		}
		if err := tx.PutEpochKey(chat, 1, make([]byte, 32)); err != nil {
			return err
		}
		if err := tx.PutContact(Contact{AccountID: account, Handle: "bob", SigningKey: make([]byte, 32), EncryptionKey: make([]byte, 32)}); err != nil {
			return err
		}
		return tx.PutDevice(Device{ID: device, AccountID: account, SigningPublic: make([]byte, 32), Certificate: make([]byte, 180)})
	})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		err := v.View(b.Context(), func(tx *Tx) error {
			if _, err := tx.Chat(chat); err != nil {
				return err
			}
			if _, err := tx.Cursor("chat:bench"); err != nil {
				return err
			}
			if _, err := tx.EpochKey(chat, 1); err != nil {
				return err
			}
			if _, err := tx.Contact(account); err != nil {
				return err
			}
			_, err := tx.Device(device)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSelfDestructWipe is what a secret message's expiry costs, from the
// sweep's look at the due timers to the message gone from disk: one transaction
// that finds the due timer and deletes the message (secure_delete zeroes its
// cells), its durable commit, then the WAL checkpointed and truncated. The vault
// holds 10,000 other messages, as a busy chat would.
func BenchmarkSelfDestructWipe(b *testing.B) {
	v, _ := newVault(b)
	chat := fillMessages(b, v, 10_000)
	msgs := make([]Message, b.N)
	at := time.Now()
	if err := v.Update(b.Context(), func(tx *Tx) error {
		for i := range msgs {
			msgs[i] = pendingMessage(b, chat, benchBody)
			if err := tx.InsertMessage(msgs[i]); err != nil {
				return err
			}
			if err := tx.PutTimer(msgs[i].ID, at.Add(time.Duration(i)*time.Microsecond)); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := range b.N {
		now := at.Add(time.Duration(i) * time.Microsecond)
		if err := v.Update(b.Context(), func(tx *Tx) error {
			due, err := tx.DueTimers(now)
			if err != nil || len(due) != 1 {
				return fmt.Errorf("due %d, %v", len(due), err)
			}
			return tx.DeleteMessage(due[0])
		}); err != nil {
			b.Fatal(err)
		}
	}
}
