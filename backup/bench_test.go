package backup

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"hush/ids"
	"hush/policy"
)

// The format alone, without a vault: how fast records go through CBOR, framing
// and age (docs/PERFORMANCE.md, "Backups"). Run with:
//
//	go test ./backup/ -run '^$' -bench . -count 5

// benchRecords is n messages of body bytes.
func benchBackup(b *testing.B, n, body int) (Manifest, []*Message) {
	chat := ids.New[ids.Chat]()
	text := strings.Repeat("x", body)
	msgs := make([]*Message, n)
	for i := range msgs {
		msgs[i] = &Message{ID: ids.New[ids.Message](), ChatID: chat, Seq: int64(i + 1), SenderAccount: ids.Account(chat),
			SentAt: 1_700_000_000_000_000, Body: text, Status: policy.StatusRead}
	}
	m := Manifest{Account: ids.New[ids.Account](), Counts: Counts{Accounts: 1, Messages: uint64(n)}}
	return m, msgs
}

func writeBench(b *testing.B, dst io.Writer, m Manifest, msgs []*Message) {
	w, err := NewWriter(dst, testPass, m, Options{InsecureWorkFactor: testWorkFactor})
	if err != nil {
		b.Fatal(err)
	}
	if err := w.Write(&Account{ID: m.Account, SigningSeed: []byte{1}, EncryptionKey: []byte{1}}); err != nil {
		b.Fatal(err)
	}
	for _, msg := range msgs {
		if err := w.Write(msg); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkWriter1KiB writes 10,000 messages of 1 KiB to io.Discard.
func BenchmarkWriter1KiB(b *testing.B) {
	m, msgs := benchBackup(b, 10_000, 1024)
	size := &countingWriter{w: io.Discard}
	writeBench(b, size, m, msgs)
	for b.Loop() {
		writeBench(b, io.Discard, m, msgs)
	}
	b.SetBytes(size.n)
}

// BenchmarkReader1KiB reads them back.
func BenchmarkReader1KiB(b *testing.B) {
	m, msgs := benchBackup(b, 10_000, 1024)
	var buf bytes.Buffer
	writeBench(b, &buf, m, msgs)
	for b.Loop() {
		r, err := NewReader(bytes.NewReader(buf.Bytes()), testPass)
		if err != nil {
			b.Fatal(err)
		}
		for {
			if _, err := r.Next(); err == io.EOF {
				break
			} else if err != nil {
				b.Fatal(err)
			}
		}
	}
	b.SetBytes(int64(buf.Len()))
}

// BenchmarkScrypt is the production key derivation (DefaultWorkFactor) that
// every export pays once: an empty backup's NewWriter.
func BenchmarkScrypt(b *testing.B) {
	m := Manifest{Account: ids.New[ids.Account](), Counts: Counts{Accounts: 1}}
	for b.Loop() {
		if _, err := NewWriter(io.Discard, testPass, m, Options{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(DefaultWorkFactor, "log2N")
}
