package backup

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"filippo.io/age"

	"hush/ids"
	"hush/policy"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

const (
	testPass = "correct horse battery staple"
	// testWorkFactor keeps scrypt out of the tests' time; production uses
	// DefaultWorkFactor.
	testWorkFactor = 2
)

func fixedID(b byte) [ids.Size]byte {
	var id [ids.Size]byte
	for i := range id {
		id[i] = b + byte(i)
	}
	return id
}

// sampleFile is the plaintext of the file in the sample backup (version 4).
const sampleFile = "hello, file"

// sampleRecords is one record of every kind, with fixed values, in order: those
// of version 3, then an attachment whose file follows in one chunk (version 4).
func sampleRecords() []Record {
	return append(sampleRecordsV3(),
		&Attachment{ID: ids.File(fixedID(0x80)), MessageID: ids.Message(fixedID(0x60)), FileKey: bytes.Repeat([]byte{13}, 32),
			Name: "notes.txt", MIME: "text/plain", Size: int64(len(sampleFile)), Included: true},
		&AttachmentData{FileID: ids.File(fixedID(0x80)), Data: []byte(sampleFile)})
}

// sampleRecordsV3 is one record of every kind of version 3: those of version
// 2, the first message with an expiry.
func sampleRecordsV3() []Record {
	recs := sampleRecordsV2()
	m := *recs[7].(*Message)
	m.ExpiresAt = 86_400_000_004
	recs[7] = &m
	return recs
}

// sampleRecordsV2 is one record of every kind of version 2.
func sampleRecordsV2() []Record {
	return append(sampleRecordsV1(), &Attachment{ID: ids.File(fixedID(0x70)), MessageID: ids.Message(fixedID(0x50)),
		FileKey: bytes.Repeat([]byte{12}, 32), Name: "cat.jpg", MIME: "image/jpeg", Size: 123456, Thumbnail: []byte{0xff, 0xd8, 0xff}})
}

// sampleRecordsV1 is one record of every kind of version 1.
func sampleRecordsV1() []Record {
	acct, chat := ids.Account(fixedID(0x10)), ids.Chat(fixedID(0x30))
	return []Record{
		&Account{ID: acct, DisplayName: "Alice", Handle: "alice", SigningSeed: bytes.Repeat([]byte{1}, 32),
			EncryptionKey: bytes.Repeat([]byte{2}, 32), KEMSeed: bytes.Repeat([]byte{3}, 64), CreatedAt: 1_700_000_000_000_000},
		&Device{ID: ids.Device(fixedID(0x20)), AccountID: acct, Name: "laptop", SigningPublic: []byte{4, 4},
			EncryptionPublic: []byte{5, 5}, SigningSeed: []byte{6}, EncryptionKey: []byte{7}, Certificate: []byte{8}, Own: true, CreatedAt: 1},
		&Contact{AccountID: ids.Account(fixedID(0x40)), Handle: "bob", DisplayName: "Bob", SigningKey: []byte{9},
			EncryptionKey: []byte{10}, PinnedAt: 2, Verified: true},
		&Chat{ID: chat, Kind: policy.KindGroup, Title: "Friends", LastActivity: 3, Pinned: true, Unread: 2,
			Members: []Member{{AccountID: acct, Role: policy.RoleOwner}, {AccountID: ids.Account(fixedID(0x40)), Role: policy.RoleMember}}},
		&EpochKey{ChatID: chat, Epoch: 1, Key: bytes.Repeat([]byte{11}, 32)},
		&LogRecord{ChatID: chat, Seq: 0, Record: []byte("signed record")},
		&Draft{ChatID: chat, Text: "half a thought"},
		&Message{ID: ids.Message(fixedID(0x50)), ChatID: chat, Seq: 7, SenderAccount: acct, SentAt: 4, Body: "hello",
			Status: policy.StatusRead},
		&Message{ID: ids.Message(fixedID(0x60)), ChatID: chat, Body: "pending", Status: policy.StatusPending,
			ReplyTo: ids.Message(fixedID(0x50))},
		&Setting{Name: "preferences", Value: []byte{0xa0}},
		&Cursor{Scope: "chat/x", Seq: 7},
	}
}

func countsOf(recs []Record) Counts {
	var c Counts
	for _, r := range recs {
		c.AddRecord(r)
	}
	return c
}

func sampleManifest(recs []Record) Manifest {
	return Manifest{Created: 1_700_000_000_000_000, Account: ids.Account(fixedID(0x10)), Counts: countsOf(recs), App: "hush test"}
}

func writeBackup(t testing.TB, m Manifest, recs []Record) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(&buf, testPass, m, Options{InsecureWorkFactor: testWorkFactor})
	if err != nil {
		t.Fatalf("NewWriter: %v", err)
	}
	for _, r := range recs {
		if err := w.Write(r); err != nil {
			t.Fatalf("Write: %v", err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if w.Bytes() != int64(buf.Len()) {
		t.Errorf("Bytes() = %d, wrote %d", w.Bytes(), buf.Len())
	}
	return buf.Bytes()
}

// readAll reads a backup to the end and returns its manifest and records.
func readAll(file []byte, pass string) (Manifest, []Record, error) {
	r, err := NewReader(bytes.NewReader(file), pass)
	if err != nil {
		return Manifest{}, nil, err
	}
	return drain(r)
}

// drain reads the records of r to the end.
func drain(r *Reader) (Manifest, []Record, error) {
	var recs []Record
	for {
		rec, err := r.Next()
		if err == io.EOF {
			return r.Manifest(), recs, nil
		}
		if err != nil {
			return r.Manifest(), recs, err
		}
		recs = append(recs, rec)
	}
}

func TestRoundTrip(t *testing.T) {
	recs := sampleRecords()
	m := sampleManifest(recs)
	file := writeBackup(t, m, recs)
	got, back, err := readAll(file, testPass)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	m.Version = FormatVersion
	if got != m {
		t.Errorf("manifest = %+v, want %+v", got, m)
	}
	if !reflect.DeepEqual(back, recs) {
		t.Errorf("records differ:\n got %#v\nwant %#v", back, recs)
	}
}

func TestEmptySectionsRoundTrip(t *testing.T) {
	recs := sampleRecords()[:1] // the account alone
	if _, back, err := readAll(writeBackup(t, sampleManifest(recs), recs), testPass); err != nil || len(back) != 1 {
		t.Fatalf("read = %d records, %v", len(back), err)
	}
}

// agePlain decrypts a backup with the age library alone, as the age command does.
func agePlain(t testing.TB, file []byte) []byte {
	t.Helper()
	id, err := age.NewScryptIdentity(testPass)
	if err != nil {
		t.Fatal(err)
	}
	r, err := age.Decrypt(bytes.NewReader(file), id)
	if err != nil {
		t.Fatalf("age.Decrypt: %v", err)
	}
	plain, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("age.Decrypt: %v", err)
	}
	return plain
}

// ageEncrypt encrypts any plaintext as a backup would be.
func ageEncrypt(t testing.TB, plain []byte) []byte {
	t.Helper()
	rcp, err := age.NewScryptRecipient(testPass)
	if err != nil {
		t.Fatal(err)
	}
	rcp.SetWorkFactor(testWorkFactor)
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, rcp)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(plain)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestGoldenPlaintext pins the format: the plaintext of the sample backup, byte
// for byte (CBOR is deterministic; only age's salt and nonces are random).
func TestGoldenPlaintext(t *testing.T) {
	recs := sampleRecords()
	plain := agePlain(t, writeBackup(t, sampleManifest(recs), recs))
	path := filepath.Join("testdata", "v4-plaintext.hex")
	if *update {
		if err := os.WriteFile(path, []byte(hex.Dump(plain)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := hex.Dump(plain); got != string(want) {
		t.Errorf("plaintext differs from %s (run with -update only for an intended format change):\n%s", path, got)
	}
	if !bytes.HasPrefix(plain, []byte("hush-backup\n\x01")) { // the magic, then the manifest's frame
		t.Errorf("plaintext starts %q", plain[:13])
	}
}

// TestKnownAnswerFile reads backups written once by this package, one per
// format version (then base64-encoded: the repository ignores *.hushbackup) and
// committed, so a change to the reader that would orphan old backups fails here.
// -update rewrites the current version's file only.
func TestKnownAnswerFile(t *testing.T) {
	for _, tc := range []struct {
		file    string
		version uint64
		recs    []Record
	}{
		{"v1-backup.b64", 1, sampleRecordsV1()},
		{"v2-backup.b64", 2, sampleRecordsV2()},
		{"v3-backup.b64", 3, sampleRecordsV3()},
		{"v4-backup.b64", 4, sampleRecords()},
	} {
		t.Run(tc.file, func(t *testing.T) {
			path := filepath.Join("testdata", tc.file)
			if *update && tc.version == FormatVersion {
				file := writeBackup(t, sampleManifest(tc.recs), tc.recs)
				if err := os.WriteFile(path, []byte(base64.StdEncoding.EncodeToString(file)+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			enc, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			file, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(enc)))
			if err != nil {
				t.Fatal(err)
			}
			m, recs, err := readAll(file, testPass)
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			if m.Version != tc.version || !reflect.DeepEqual(recs, tc.recs) {
				t.Errorf("version %d, records differ from the sample: %v", m.Version, !reflect.DeepEqual(recs, tc.recs))
			}
		})
	}
}

// frame builds one frame by hand.
func frame(k Kind, body []byte) []byte {
	out := []byte{byte(k)}
	out = binary.BigEndian.AppendUint32(out, uint32(len(body)))
	return append(out, body...)
}

func mustCBOR(t testing.TB, v any) []byte {
	t.Helper()
	b, err := newCodec().enc.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestReaderErrors(t *testing.T) {
	recs := sampleRecords()
	m := sampleManifest(recs)
	good := writeBackup(t, m, recs)
	plain := agePlain(t, good)
	mv := m
	mv.Version = FormatVersion
	manifestFrame := frame(KindManifest, mustCBOR(t, mv))
	head := append([]byte(magic), manifestFrame...)
	accountFrame := frame(KindAccount, mustCBOR(t, recs[0]))
	trailerFor := func(c Counts, n int) []byte {
		return frame(KindTrailer, mustCBOR(t, Trailer{Counts: c, Bytes: uint64(n)}))
	}
	onlyAccount := Counts{Accounts: 1}
	m1 := mv
	m1.Counts = onlyAccount
	head1 := append([]byte(magic), frame(KindManifest, mustCBOR(t, m1))...)
	body1 := append(append([]byte{}, head1...), accountFrame...)
	v1 := m1
	v1.Version = 1
	v1.Counts = Counts{Accounts: 1} // the manifest passes; the record must be refused
	v1body := append(append([]byte(magic), frame(KindManifest, mustCBOR(t, v1))...), accountFrame...)
	v2 := m1
	v2.Version = 2
	v2.Counts = Counts{Accounts: 1, Messages: 1}
	expiring := frame(KindMessage, mustCBOR(t, recs[7]))
	v2body := bytes.Join([][]byte{[]byte(magic), frame(KindManifest, mustCBOR(t, v2)), accountFrame, expiring}, nil)

	newer := mv
	newer.Version = FormatVersion + 1
	type future struct {
		Version uint64 `cbor:"1,keyasint"`
		Other   string `cbor:"99,keyasint"`
	}
	x25519, _ := age.GenerateX25519Identity()
	var keyFile bytes.Buffer
	kw, _ := age.Encrypt(&keyFile, x25519.Recipient())
	kw.Write(plain)
	kw.Close()

	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	tests := []struct {
		name string
		file []byte
		pass string
		want error
	}{
		{"wrong passphrase", good, "not the passphrase", ErrWrongPassphrase},
		{"empty file", nil, testPass, ErrNotBackup},
		{"not an age file", []byte("PK\x03\x04 a zip, say"), testPass, ErrNotBackup},
		{"age file to a key", keyFile.Bytes(), testPass, ErrNotBackup},
		{"age file of something else", ageEncrypt(t, []byte("just some notes")), testPass, ErrNotBackup},
		{"age file of nothing", ageEncrypt(t, nil), testPass, ErrNotBackup},
		{"newer format", ageEncrypt(t, cat([]byte(magic), frame(KindManifest, mustCBOR(t, newer)))), testPass, ErrNewerFormat},
		{"newer format with new fields", ageEncrypt(t, cat([]byte(magic), frame(KindManifest, mustCBOR(t, future{Version: FormatVersion + 1, Other: "x"})))), testPass, ErrNewerFormat},
		{"version 0", ageEncrypt(t, cat([]byte(magic), frame(KindManifest, mustCBOR(t, future{Version: 0})))), testPass, ErrCorrupt},
		{"unknown manifest field", ageEncrypt(t, cat([]byte(magic), frame(KindManifest, mustCBOR(t, future{Version: 1, Other: "x"})))), testPass, ErrCorrupt},
		{"no manifest", ageEncrypt(t, cat([]byte(magic), accountFrame)), testPass, ErrCorrupt},
		{"cut at a record boundary", ageEncrypt(t, plain[:len(head)+len(accountFrame)]), testPass, ErrCorrupt},
		{"cut inside a record", ageEncrypt(t, plain[:len(plain)-3]), testPass, ErrCorrupt},
		{"no trailer", ageEncrypt(t, body1), testPass, ErrCorrupt},
		{"good minimal", ageEncrypt(t, cat(body1, trailerFor(onlyAccount, len(body1)))), testPass, nil},
		{"trailer counts wrong", ageEncrypt(t, cat(body1, trailerFor(Counts{Accounts: 1, Messages: 1}, len(body1)))), testPass, ErrCorrupt},
		{"trailer bytes wrong", ageEncrypt(t, cat(body1, trailerFor(onlyAccount, len(body1)-1))), testPass, ErrCorrupt},
		{"manifest counts wrong", ageEncrypt(t, cat(head, accountFrame, trailerFor(onlyAccount, len(head)+len(accountFrame)))), testPass, ErrCorrupt},
		{"data after trailer", ageEncrypt(t, cat(body1, trailerFor(onlyAccount, len(body1)), []byte{0})), testPass, ErrCorrupt},
		{"out of order", ageEncrypt(t, cat(head1, frame(KindMessage, mustCBOR(t, recs[7])), accountFrame)), testPass, ErrCorrupt},
		{"two manifests", ageEncrypt(t, cat(head1, frame(KindManifest, mustCBOR(t, m1)))), testPass, ErrCorrupt},
		{"two accounts", ageEncrypt(t, cat(head1, accountFrame, accountFrame)), testPass, ErrCorrupt},
		{"unknown kind", ageEncrypt(t, cat(body1, frame(KindAttachmentData+1, mustCBOR(t, recs[9])))), testPass, ErrCorrupt},
		{"attachment in a version 1 backup", ageEncrypt(t, cat(v1body, frame(KindAttachment, mustCBOR(t, recs[11])), trailerFor(Counts{Accounts: 1, Attachments: 1}, len(v1body)+len(frame(KindAttachment, mustCBOR(t, recs[11])))))), testPass, ErrCorrupt},
		{"message expiry in a version 2 backup", ageEncrypt(t, cat(v2body, trailerFor(v2.Counts, len(v2body)))), testPass, ErrCorrupt},
		{"negative message expiry", ageEncrypt(t, cat(body1, frame(KindMessage, mustCBOR(t, &Message{ID: ids.Message(fixedID(1)), ChatID: ids.Chat(fixedID(2)), Status: policy.StatusSent, ExpiresAt: -1})))), testPass, ErrCorrupt},
		{"record too long", ageEncrypt(t, cat(body1, []byte{byte(KindSetting), 0xff, 0xff, 0xff, 0xff})), testPass, ErrCorrupt},
		{"record not CBOR", ageEncrypt(t, cat(body1, frame(KindSetting, []byte{0xff}))), testPass, ErrCorrupt},
		{"record of another kind", ageEncrypt(t, cat(body1, frame(KindSetting, mustCBOR(t, recs[10])))), testPass, ErrCorrupt},
		{"record fails validation", ageEncrypt(t, cat(body1, frame(KindSetting, mustCBOR(t, &Setting{})))), testPass, ErrCorrupt},
		{"secret chat", ageEncrypt(t, cat(body1, frame(KindChat, mustCBOR(t, &Chat{ID: ids.Chat(fixedID(1)), Kind: policy.KindSecret})))), testPass, ErrCorrupt},
		{"age header MAC altered", flip(good, bytes.Index(good, []byte("\n---"))+6), testPass, ErrCorrupt},
		{"payload altered", flip(good, len(good)-20), testPass, ErrCorrupt},
		{"ciphertext cut", good[:len(good)-1], testPass, ErrCorrupt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := readAll(tt.file, tt.pass)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("read: %v", err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("read: %v, want %v", err, tt.want)
			}
			// The record itself is refused, not only the counts that follow it.
			if tt.name == "attachment in a version 1 backup" && !strings.Contains(err.Error(), "unknown record kind 12 in a version 1 backup") {
				t.Errorf("read: %v, want the attachment record refused", err)
			}
			if tt.name == "message expiry in a version 2 backup" && !strings.Contains(err.Error(), "message expiry in a version 2 backup") {
				t.Errorf("read: %v, want the message refused", err)
			}
			for _, other := range []error{ErrWrongPassphrase, ErrNotBackup, ErrCorrupt, ErrNewerFormat} {
				if other != tt.want && errors.Is(err, other) {
					t.Errorf("error %v also matches %v", err, other)
				}
			}
		})
	}
}

func flip(b []byte, i int) []byte {
	out := bytes.Clone(b)
	out[i] ^= 0x01
	return out
}

// TestEveryTruncation cuts the file at every length: no prefix reads as a
// backup.
func TestEveryTruncation(t *testing.T) {
	recs := sampleRecords()
	good := writeBackup(t, sampleManifest(recs), recs)
	for n := range len(good) {
		_, _, err := readAll(good[:n], testPass)
		if err == nil {
			t.Fatalf("a backup cut to %d of %d bytes reads without error", n, len(good))
		}
		if !errors.Is(err, ErrNotBackup) && !errors.Is(err, ErrCorrupt) {
			t.Fatalf("cut to %d bytes: %v", n, err)
		}
	}
}

// TestEveryFlippedByte alters each byte in turn: none goes unnoticed.
func TestEveryFlippedByte(t *testing.T) {
	recs := sampleRecords()
	good := writeBackup(t, sampleManifest(recs), recs)
	for i := range good {
		if _, _, err := readAll(flip(good, i), testPass); err == nil {
			t.Fatalf("a backup with byte %d altered reads without error", i)
		}
	}
}

func TestWriterRefuses(t *testing.T) {
	recs := sampleRecords()
	tests := []struct {
		name  string
		m     Manifest
		write []Record
	}{
		{"counts differ from manifest", sampleManifest(recs), recs[:3]},
		{"out of order", sampleManifest(recs), []Record{recs[0], recs[7], recs[3]}},
		{"invalid record", sampleManifest(recs), []Record{recs[0], &Message{}}},
		{"secret chat", sampleManifest(recs), []Record{recs[0], &Chat{ID: ids.Chat(fixedID(1)), Kind: policy.KindSecret}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := NewWriter(io.Discard, testPass, tt.m, Options{InsecureWorkFactor: testWorkFactor})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range tt.write {
				if err = w.Write(r); err != nil {
					break
				}
			}
			if err == nil {
				err = w.Close()
			}
			if err == nil {
				t.Fatal("the writer accepted it")
			}
		})
	}
	for _, m := range []Manifest{{Account: ids.Account(fixedID(1))}, {Counts: Counts{Accounts: 1}}} {
		if _, err := NewWriter(io.Discard, testPass, m, Options{InsecureWorkFactor: testWorkFactor}); err == nil {
			t.Errorf("NewWriter accepted manifest %+v", m)
		}
	}
	if _, err := NewWriter(io.Discard, "", sampleManifest(recs), Options{}); err == nil {
		t.Error("NewWriter accepted an empty passphrase")
	}
}

// TestReaderMemoryBounded: a frame claiming the maximum length costs nothing
// until its bytes arrive, and one claiming more is refused at its header.
func TestMaxRecordSize(t *testing.T) {
	recs := sampleRecords()[:1]
	m := sampleManifest(recs)
	var buf bytes.Buffer
	w, err := NewWriter(&buf, testPass, Manifest{Account: m.Account, Counts: Counts{Accounts: 1, Settings: 1}}, Options{InsecureWorkFactor: testWorkFactor})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(recs[0])
	if err := w.Write(&Setting{Name: "big", Value: make([]byte, MaxRecordSize)}); err == nil {
		t.Fatal("a record over MaxRecordSize was written")
	}
}

// readPlain reads a plaintext archive without age around it.
func readPlain(plain []byte) (Manifest, []Record, error) {
	r, err := openPlain(bytes.NewReader(plain))
	if err != nil {
		return Manifest{}, nil, err
	}
	return drain(r)
}

// FuzzReader fuzzes the archive decoder: the plaintext inside age, which is
// where a backup's structure is parsed (age's own parsing is age's, fuzzed
// upstream).
func FuzzReader(f *testing.F) {
	recs := sampleRecords()
	plain := agePlain(f, writeBackup(f, sampleManifest(recs), recs))
	f.Add(plain)
	f.Add(plain[:40])
	f.Add([]byte(magic))
	f.Fuzz(func(t *testing.T, plain []byte) {
		m, recs, err := readPlain(plain)
		if err != nil {
			for _, s := range []error{ErrNotBackup, ErrCorrupt, ErrNewerFormat} {
				if errors.Is(err, s) {
					return
				}
			}
			t.Fatalf("error wraps no sentinel: %v", err)
		}
		// What reads must write back to the same plaintext.
		if again := agePlain(t, writeBackup(t, m, recs)); !bytes.Equal(again, plain) {
			t.Fatalf("read and written again, the plaintext differs")
		}
	})
}
