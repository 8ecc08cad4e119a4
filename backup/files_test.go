package backup

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"hush/ids"
)

// archive frames recs by hand after a manifest that counts them and ends with a
// trailer that matches them: a plaintext as an attacker who rewrites a whole
// backup would make it, so that only the reader's own checks can refuse it.
func archive(t testing.TB, version uint64, recs []Record) []byte {
	t.Helper()
	m := sampleManifest(recs)
	m.Version = version
	if version < filesSince { // so that the records are what is refused
		m.Counts.Files, m.Counts.FileBytes = 0, 0
	}
	out := append([]byte(magic), frame(KindManifest, mustCBOR(t, m))...)
	for _, r := range recs {
		out = append(out, frame(r.RecordKind(), mustCBOR(t, r))...)
	}
	return append(out, frame(KindTrailer, mustCBOR(t, Trailer{Counts: m.Counts, Bytes: uint64(len(out))}))...)
}

// bigFile is an attachment of two and a half chunks with its three chunks.
func bigFile() (*Attachment, []*AttachmentData) {
	id := ids.File(fixedID(0x90))
	data := bytes.Repeat([]byte("0123456789abcdef"), FileChunkSize*5/2/16)
	a := &Attachment{ID: id, MessageID: ids.Message(fixedID(0x50)), FileKey: bytes.Repeat([]byte{14}, 32), Size: int64(len(data)), Included: true}
	var chunks []*AttachmentData
	for off := 0; off < len(data); off += FileChunkSize {
		chunks = append(chunks, &AttachmentData{FileID: id, Offset: int64(off), Data: data[off:min(off+FileChunkSize, len(data))]})
	}
	return a, chunks
}

// TestFileChunksChecked attacks the chunks of a file in a backup: each
// rewritten plaintext has a trailer and counts that match it, so only the
// reader's check of the file's chunks (fileTrack) refuses it.
func TestFileChunksChecked(t *testing.T) {
	a, c := bigFile()
	other := &AttachmentData{FileID: ids.File(fixedID(0xa0)), Data: []byte("x")}
	short := &AttachmentData{FileID: a.ID, Offset: 2 * FileChunkSize, Data: c[2].Data[:1]}
	long := *c[2]
	long.Data = append(bytes.Clone(c[2].Data), '!')
	next := &Attachment{ID: ids.File(fixedID(0xb0)), MessageID: a.MessageID, FileKey: a.FileKey, Size: 1, Included: true}
	nextData := &AttachmentData{FileID: next.ID, Data: []byte("y")}
	notIncluded := *a
	notIncluded.Included = false
	base := sampleRecordsV3()
	with := func(recs ...Record) []Record { return append(append([]Record{}, base...), recs...) }
	tests := []struct {
		name    string
		version uint64
		recs    []Record
		want    string // in the error; "" for a good file
	}{
		{"good", 4, with(a, c[0], c[1], c[2], next, nextData), ""},
		{"empty file, no chunks", 4, with(&Attachment{ID: next.ID, MessageID: a.MessageID, FileKey: a.FileKey, Included: true}), ""},
		{"chunk missing", 4, with(a, c[0], c[2]), "at offset 2097152, expected 1048576"},
		{"chunk repeated", 4, with(a, c[0], c[1], c[1], c[2]), "at offset 1048576, expected 2097152"},
		{"chunks reordered", 4, with(a, c[1], c[0], c[2]), "at offset 1048576, expected 0"},
		{"file cut before the trailer", 4, with(a, c[0], c[1]), "ends after 2097152 of"},
		{"file cut before the next attachment", 4, with(a, c[0], next, nextData), "ends after 1048576 of"},
		{"last chunk short", 4, with(a, c[0], c[1], short), "1 bytes, expected"},
		{"last chunk long", 4, with(a, c[0], c[1], &long), "expected 524288"},
		{"chunk of another file", 4, with(a, c[0], c[1], c[2], other), "not the file due"},
		{"chunk of a file not included", 4, with(&notIncluded, c[0]), "not the file due"},
		{"chunk after the next attachment", 4, with(a, c[0], c[1], c[2], next, c[0]), "not the file due"},
		{"file data in a version 3 backup", 3, with(&notIncluded, c[0], c[1], c[2]), "unknown record kind 13"},
		{"included flag in a version 3 backup", 3, with(&Attachment{ID: next.ID, MessageID: a.MessageID, FileKey: a.FileKey, Included: true}), "included file in a version 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, got, err := readAll(ageEncrypt(t, archive(t, tt.version, tt.recs)), testPass)
			if tt.want == "" {
				if err != nil || len(got) != len(tt.recs) {
					t.Fatalf("read %d of %d records: %v", len(got), len(tt.recs), err)
				}
				return
			}
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("read: %v, want ErrCorrupt saying %q", err, tt.want)
			}
		})
	}
}

// TestWriterRefusesBrokenFiles: the writer keeps to the same rules, so Hush
// never writes a backup its reader refuses.
func TestWriterRefusesBrokenFiles(t *testing.T) {
	a, c := bigFile()
	base := sampleRecordsV3()
	for name, recs := range map[string][]Record{
		"chunk missing":   {a, c[0], c[2]},
		"file cut short":  {a, c[0], c[1]},
		"chunks reversed": {a, c[2], c[1], c[0]},
	} {
		t.Run(name, func(t *testing.T) {
			all := append(append([]Record{}, base...), recs...)
			w, err := NewWriter(&bytes.Buffer{}, testPass, sampleManifest(all), Options{InsecureWorkFactor: testWorkFactor})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range all {
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
}

// TestFileRoundTrip: a file of several chunks comes back byte for byte, and
// the counts carry its size.
func TestFileRoundTrip(t *testing.T) {
	a, c := bigFile()
	recs := append(sampleRecordsV3(), a, c[0], c[1], c[2])
	m, back, err := readAll(writeBackup(t, sampleManifest(recs), recs), testPass)
	if err != nil {
		t.Fatal(err)
	}
	var got []byte
	for _, r := range back {
		if d, ok := r.(*AttachmentData); ok {
			got = append(got, d.Data...)
		}
	}
	if int64(len(got)) != a.Size || m.Counts.Files != 1 || m.Counts.FileBytes != uint64(a.Size) {
		t.Errorf("read %d bytes, counts %+v; want %d", len(got), m.Counts, a.Size)
	}
}
