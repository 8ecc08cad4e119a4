package vault

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"hush/ids"
	"hush/policy"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func testCodec(t testing.TB) codec {
	t.Helper()
	return newCodec()
}

// sampleRecords has one filled-in record per table, with every field set,
// for the known-answer encodings in testdata/records.json.
func sampleRecords() map[string]any {
	id := func(b byte) []byte { return bytes.Repeat([]byte{b}, 16) }
	fill := func(b byte) (id [ids.Size]byte) {
		for i := range id {
			id[i] = b
		}
		return id
	}
	return map[string]any{
		tableAccounts: &accountRecord{DisplayName: "Ada", Handle: "@ada", SigningSeed: []byte{1, 2},
			EncryptionKey: []byte{3, 4}, CreatedAt: 1_700_000_000_000_000, KEMSeed: []byte{5, 6}, ID: fill(0xa1)},
		tableDevices: &deviceRecord{Name: "laptop", SigningPublic: []byte{1}, EncryptionPublic: []byte{2},
			SigningSeed: []byte{3}, EncryptionKey: []byte{4}, Certificate: []byte{5}, Own: true, Revoked: true, CreatedAt: 1,
			ID: fill(0xd1), AccountID: fill(0xa1)},
		tableContacts: &contactRecord{Handle: "@eve", DisplayName: "Eve", SigningKey: []byte{1}, EncryptionKey: []byte{2},
			PinnedAt: 2, KeyChangedAt: 3, Verified: true, KEMKey: []byte{4}, Stranger: true, AccountID: fill(0xa2)},
		tableChats:       &chatRecord{Kind: policy.KindChannel, Title: "news", Muted: true, Unread: 12, Extra: []byte{0xee}, ID: fill(0xc1)},
		tableChatMembers: &memberRecord{Role: policy.RoleAdmin, AccountID: fill(0xa2)},
		tableMessages: &messageRecord{SenderAccount: id(1), SenderDevice: id(2), SentAt: 1_700_000_000_123_456,
			Body: "héllo ✓", ReplyTo: id(3), Status: policy.StatusRead, EditedAt: 1_700_000_001_000_000, Extra: []byte{7},
			ChatID: fill(0xc1)},
		tableOutbox:      &outboxRecord{Payload: []byte("frame"), ChatID: fill(0xc1)},
		tableLog:         &logRecord{Record: []byte("signed membership record")},
		tableSettings:    &settingRecord{Name: "theme", Value: []byte("dark")},
		tableCursors:     &cursorRecord{Scope: "account", Seq: 42},
		tableEpochKeys:   &keyRecord{Key: bytes.Repeat([]byte{0x42}, 32)},
		tableSessions:    &keyRecord{Key: []byte("ratchet state")},
		tablePrekeys:     &keyRecord{Key: []byte("prekey")},
		tableAttachments: &attachmentRecord{FileKey: []byte{9, 9}, Name: "a.jpg", MIME: "image/jpeg", Size: 123456},
		tableDrafts:      &draftRecord{Text: "later"},
	}
}

// TestRecordEncodingsKnownAnswers pins the stored CBOR of every record
// type: a change here makes existing vaults unreadable, so it must be a
// deliberate new record version, not an accident.
func TestRecordEncodingsKnownAnswers(t *testing.T) {
	raw, err := os.ReadFile("testdata/records.json")
	if err != nil {
		t.Fatal(err)
	}
	var want map[string]string
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	c := testCodec(t)
	samples := sampleRecords()
	if len(want) != len(samples) {
		t.Errorf("testdata has %d records, samples %d", len(want), len(samples))
	}
	for table, rec := range samples {
		t.Run(table, func(t *testing.T) {
			got, err := c.enc.Marshal(rec)
			if err != nil {
				t.Fatal(err)
			}
			if hex.EncodeToString(got) != want[table] {
				t.Errorf("encoding = %x\nwant       %s", got, want[table])
			}
			wantBytes, _ := hex.DecodeString(want[table])
			back, err := recordDecoders()[table](c, wantBytes)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(back, reflect.ValueOf(rec).Elem().Interface()) {
				t.Errorf("decoded %+v, want %+v", back, rec)
			}
		})
	}
}

// TestRecordEncodingsV1StillDecode reads the encodings pinned before the
// graph index (testdata/records-v1.json, records without the id keys 20 and
// 21). Migration 2 opens every record of a version 1 vault with today's
// decoders, so they must keep accepting them, and lose nothing: each
// decodes and encodes back to the same bytes.
func TestRecordEncodingsV1StillDecode(t *testing.T) {
	raw, err := os.ReadFile("testdata/records-v1.json")
	if err != nil {
		t.Fatal(err)
	}
	var v1 map[string]string
	if err := json.Unmarshal(raw, &v1); err != nil {
		t.Fatal(err)
	}
	c := testCodec(t)
	if len(v1) != len(recordDecoders())-1 { // the membership log is new
		t.Errorf("records-v1.json has %d tables, want every table but %s", len(v1), tableLog)
	}
	for table, h := range v1 {
		b, _ := hex.DecodeString(h)
		rec, err := recordDecoders()[table](c, b)
		if err != nil {
			t.Errorf("%s: %v", table, err)
			continue
		}
		again, err := c.enc.Marshal(rec)
		if err != nil || !bytes.Equal(again, b) {
			t.Errorf("%s: encodes back to %x, %v; want %s", table, again, err, h)
		}
	}
}

// TestRecordEncodingByHand checks two encodings worked out from RFC 8949
// by hand, so the known answers above are not only the code's own output.
func TestRecordEncodingByHand(t *testing.T) {
	c := testCodec(t)
	tests := []struct {
		rec  any
		want string
	}{
		// map(1) { 2: 2 }
		{&memberRecord{Role: policy.RoleAdmin}, "a10202"},
		// map(2) { 1: text(7) "account", 2: uint8 42 }
		{&cursorRecord{Scope: "account", Seq: 42}, "a201676163636f756e7402182a"},
		// omitted empty fields: map(1) { 1: 1 }
		{&chatRecord{Kind: policy.KindDirect}, "a10101"},
		// an id under key 20: map(2) { 2: 2, 20: bytes(16) 0x01... }
		{&memberRecord{Role: policy.RoleAdmin, AccountID: ids.Account{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}},
			"a20202" + "1450" + strings.Repeat("01", 16)},
	}
	for _, tt := range tests {
		got, err := c.enc.Marshal(tt.rec)
		if err != nil {
			t.Fatal(err)
		}
		if hex.EncodeToString(got) != tt.want {
			t.Errorf("%T = %x, want %s", tt.rec, got, tt.want)
		}
	}
}

// TestLegacyAccountRecord reads an account record written before the ML-KEM seed
// (key 6) existed: it decodes, with no seed, so the caller can add one.
func TestLegacyAccountRecord(t *testing.T) {
	c := testCodec(t)
	b, _ := hex.DecodeString("a501634164610264406164610342010204420304051b00060a24181e4000")
	r, err := decodeRecord[accountRecord](c, recordVersion, b)
	if err != nil {
		t.Fatal(err)
	}
	if r.KEMSeed != nil || !bytes.Equal(r.SigningSeed, []byte{1, 2}) || r.DisplayName != "Ada" {
		t.Fatalf("decoded %+v", r)
	}
}

// TestLegacyMemberRoles reads member records written before roles took the
// numbering of package policy: key 1 held member 1, admin 2, owner 3.
func TestLegacyMemberRoles(t *testing.T) {
	c := testCodec(t)
	for _, tt := range []struct {
		hex  string
		want policy.Role
	}{
		{"a10101", policy.RoleMember},
		{"a10102", policy.RoleAdmin},
		{"a10103", policy.RoleOwner},
		{"a10201", policy.RoleOwner},
		{"a10203", policy.RoleMember},
	} {
		b, _ := hex.DecodeString(tt.hex)
		r, err := decodeRecord[memberRecord](c, recordVersion, b)
		if err != nil {
			t.Errorf("%s: %v", tt.hex, err)
			continue
		}
		if got := r.role(); got != tt.want {
			t.Errorf("%s: role %v, want %v", tt.hex, got, tt.want)
		}
	}
	for _, bad := range []string{"a10104", "a10204", "a0", "a2010102 02"} {
		b, _ := hex.DecodeString(strings.ReplaceAll(bad, " ", ""))
		if _, err := decodeRecord[memberRecord](c, recordVersion, b); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: %v, want ErrCorrupt", bad, err)
		}
	}
}

func TestRecordDecodersCoverTables(t *testing.T) {
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	var schema strings.Builder
	for _, m := range ms {
		schema.WriteString(m.sql)
	}
	decoders := recordDecoders()
	// Every table with a sealed data column needs a decoder, and vice versa.
	for _, line := range strings.Split(schema.String(), "\n") {
		name, ok := strings.CutPrefix(line, "CREATE TABLE ")
		if !ok {
			continue
		}
		name, _, _ = strings.Cut(name, " ")
		body := schema.String()[strings.Index(schema.String(), line):]
		body = body[:strings.Index(body, ";")]
		hasData := strings.Contains(body, "\n    data ")
		if _, ok := decoders[name]; ok != hasData {
			t.Errorf("table %s: sealed column %v, decoder %v", name, hasData, ok)
		}
	}
	if _, ok := sampleRecords()[tableMessages]; !ok || len(sampleRecords()) != len(decoders) {
		t.Errorf("sampleRecords covers %d tables, decoders %d", len(sampleRecords()), len(decoders))
	}
}

func TestRecordDecodersEveryTruncation(t *testing.T) {
	c := testCodec(t)
	for table, rec := range sampleRecords() {
		enc, err := c.enc.Marshal(rec)
		if err != nil {
			t.Fatal(err)
		}
		dec := recordDecoders()[table]
		if _, err := dec(c, enc); err != nil {
			t.Fatalf("%s: full record rejected: %v", table, err)
		}
		for n := range len(enc) {
			if _, err := dec(c, enc[:n]); !errors.Is(err, ErrCorrupt) {
				t.Errorf("%s: %d of %d bytes: err = %v, want ErrCorrupt", table, n, len(enc), err)
			}
		}
		if _, err := dec(c, append(slices.Clone(enc), 0)); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: trailing byte accepted: %v", table, err)
		}
	}
}

func TestRecordDecoderLimits(t *testing.T) {
	c := testCodec(t)
	deep := "a1" + "01" + strings.Repeat("81", maxNestedLevels+2) + "00" // {1: [[[...0]]]}
	tests := []struct {
		name string
		hex  string
	}{
		{"null", "f6"},
		{"integer", "01"},
		{"array", "8101"},
		{"unknown field", "a20101" + "1863" + "00"},
		{"duplicate key", "a2010101" + "02"},
		{"indefinite map", "bf0101ff"},
		{"tagged", "a101c11a00000000"},
		{"too deep", deep},
		{"too many pairs", "b8" + hex.EncodeToString([]byte{maxMapPairs + 1}) + strings.Repeat("0000", maxMapPairs+1)},
		{"invalid utf-8", "a1" + "02" + "62c328"},
		{"kind zero", "a10100"},
		{"kind out of range", "a10109"},
		{"negative unread", "a20101" + "0420"},
	}
	for _, tt := range tests {
		b, err := hex.DecodeString(tt.hex)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := decodeRecord[chatRecord](c, recordVersion, b); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: err = %v, want ErrCorrupt", tt.name, err)
		}
	}
	ok, _ := hex.DecodeString("a10101")
	if _, err := decodeRecord[chatRecord](c, recordVersion+1, ok); !errors.Is(err, ErrCorrupt) {
		t.Errorf("unknown version accepted: %v", err)
	}
	if _, err := decodeRecord[chatRecord](c, recordVersion, append(ok, make([]byte, maxRecordSize)...)); !errors.Is(err, ErrCorrupt) {
		t.Errorf("oversized record accepted: %v", err)
	}
	ids := []string{"a2" + "0650" + strings.Repeat("00", 15) + "0601", "a20650" + strings.Repeat("00", 15) + "0601"}
	for _, h := range ids {
		b, _ := hex.DecodeString(h)
		if _, err := decodeRecord[messageRecord](c, recordVersion, b); !errors.Is(err, ErrCorrupt) {
			t.Errorf("message with a 15-byte id: %v", err)
		}
	}
}

// FuzzRecordDecoders feeds arbitrary bytes to every record decoder (the
// first byte picks which). Whatever decodes must re-encode to something
// that decodes to the same value.
func FuzzRecordDecoders(f *testing.F) {
	c := testCodec(f)
	tables := slices.Sorted(func(yield func(string) bool) {
		for k := range recordDecoders() {
			if !yield(k) {
				return
			}
		}
	})
	samples := sampleRecords()
	for i, table := range tables {
		enc, err := c.enc.Marshal(samples[table])
		if err != nil {
			f.Fatal(err)
		}
		f.Add(append([]byte{byte(i)}, enc...))
	}
	f.Add([]byte{0, 0xa0})
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) == 0 {
			return
		}
		table := tables[int(in[0])%len(tables)]
		dec := recordDecoders()[table]
		rec, err := dec(c, in[1:])
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("%s: error outside ErrCorrupt: %v", table, err)
			}
			return
		}
		again, err := c.enc.Marshal(rec)
		if err != nil {
			t.Fatalf("%s: re-encode: %v", table, err)
		}
		back, err := dec(c, again)
		if err != nil {
			t.Fatalf("%s: re-decode of %x: %v", table, again, err)
		}
		if !reflect.DeepEqual(normalize(back), normalize(rec)) {
			t.Fatalf("%s: %+v != %+v", table, back, rec)
		}
	})
}

// normalize maps empty byte slices to nil, which omitempty cannot tell
// apart on the wire.
func normalize(rec any) any {
	v := reflect.New(reflect.TypeOf(rec)).Elem()
	v.Set(reflect.ValueOf(rec))
	for i := range v.NumField() {
		f := v.Field(i)
		if f.Kind() == reflect.Slice && f.Len() == 0 {
			f.Set(reflect.Zero(f.Type()))
		}
	}
	return v.Interface()
}

// FuzzCheckHeader throws arbitrary first bytes at the header check, the
// decoder that runs before SQLite sees a file.
func FuzzCheckHeader(f *testing.F) {
	v, path := newVault(f)
	v.Close()
	valid, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(valid[:headerSize])
	f.Add(valid)
	f.Add([]byte(headerMagic))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		p := dir + "/fuzz.db"
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		err := checkHeader(p)
		if err != nil && !errors.Is(err, ErrCorrupt) {
			t.Fatalf("error outside ErrCorrupt: %v", err)
		}
		if err == nil && (len(b) < headerSize || string(b[:len(headerMagic)]) != headerMagic) {
			t.Fatalf("accepted a file without a SQLite header: %x", b[:min(len(b), 32)])
		}
	})
}

func TestCheckHeaderEveryTruncation(t *testing.T) {
	v, path := newVault(t)
	v.Close()
	valid, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := checkHeader(path); err != nil {
		t.Fatalf("valid vault rejected: %v", err)
	}
	p := t.TempDir() + "/t.db"
	// Every prefix through the header and a little beyond, then around
	// every page boundary (the header check reads only the first 100 bytes
	// and the size).
	lengths := []int{}
	for n := range 2 * headerSize {
		lengths = append(lengths, n)
	}
	for n := 4096; n < len(valid); n += 4096 {
		lengths = append(lengths, n-1, n, n+1)
	}
	for _, n := range lengths {
		if err := os.WriteFile(p, valid[:n], 0o600); err != nil {
			t.Fatal(err)
		}
		if err := checkHeader(p); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("%d of %d bytes: err = %v, want ErrCorrupt", n, len(valid), err)
		}
	}
}
