package vaultbackup

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"hush/attachment"
	"hush/backup"
	"hush/ids"
	"hush/internal/strictcbor"
	"hush/policy"
	"hush/vault"
)

// storedFile is an attachment whose file a test wrote into a folder.
type storedFile struct {
	a     vault.Attachment
	plain []byte
}

// addFile stores a message of chat with an attachment of size random bytes, and
// the attachment's file, encrypted, in dir.
func addFile(t testing.TB, v *vault.Vault, dir string, chat ids.Chat, size int) storedFile {
	t.Helper()
	f := storedFile{plain: make([]byte, size)}
	rand.Read(f.plain)
	key := make([]byte, 32)
	rand.Read(key)
	msg := vault.Message{ID: ids.New[ids.Message](), ChatID: chat, Seq: 1000 + int64(size), SentAt: at(500), Body: "a file", Status: policy.StatusRead}
	f.a = vault.Attachment{ID: ids.New[ids.File](), MessageID: msg.ID, FileKey: key, Name: "f.bin", MIME: "application/octet-stream", Size: int64(size)}
	if err := v.Update(t.Context(), func(tx *vault.Tx) error {
		return errors.Join(tx.InsertMessage(msg), tx.PutAttachment(f.a))
	}); err != nil {
		t.Fatal(err)
	}
	in, err := attachment.Create(dir, f.a.ID, key, f.a.Size)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := in.Write(f.plain); err != nil {
		t.Fatal(err)
	}
	if err := in.Finish(); err != nil {
		t.Fatal(err)
	}
	if _, err := in.Commit(); err != nil {
		t.Fatal(err)
	}
	return f
}

// readStored decrypts a file from dir with the key the vault holds for it.
func readStored(t testing.TB, v *vault.Vault, dir string, id ids.File) ([]byte, error) {
	t.Helper()
	var a vault.Attachment
	if err := v.View(t.Context(), func(tx *vault.Tx) (err error) { a, err = tx.Attachment(id); return err }); err != nil {
		return nil, err
	}
	r, err := attachment.Open(dir, id, a.FileKey, a.Size)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}

// listDir names what dir holds (temporary files included), with sizes and times.
func listDir(t testing.TB, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		fi, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprint(e.Name(), " ", fi.ModTime(), " ", fi.Size()))
	}
	return out
}

// fileFixture is a vault with files of several chunks, one empty, one small,
// one in the secret chat, and populate's attachments, whose files are not on
// this device.
type fileFixture struct {
	fixture
	dir    string
	files  []storedFile // in cloud chats
	secret storedFile
}

func populateFiles(t testing.TB, v *vault.Vault) fileFixture {
	t.Helper()
	f := fileFixture{fixture: populate(t, v, 3), dir: filepath.Join(t.TempDir(), "attachments")}
	for _, size := range []int{backup.FileChunkSize*5/2 + 3, 0, 100} {
		f.files = append(f.files, addFile(t, v, f.dir, f.chats[0], size))
	}
	f.secret = addFile(t, v, f.dir, f.fixture.secret, 10)
	return f
}

func exportWithFiles(t testing.TB, v *vault.Vault, dir string) ([]byte, backup.Manifest) {
	t.Helper()
	opts := exportOptions()
	opts.FilesFrom = dir
	var buf bytes.Buffer
	m, err := Export(t.Context(), v, &buf, backupPass, opts)
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), m
}

// TestFilesRoundTrip: the files on this device travel in the backup and are
// restored into the new device's folder, where they open with the vault's
// keys and no relay; the secret chat's file stays out; the others are left to
// the relay, and the counts say so.
func TestFilesRoundTrip(t *testing.T) {
	src, _ := newVault(t, t.TempDir())
	f := populateFiles(t, src)
	file, m := exportWithFiles(t, src, f.dir)
	wantBytes := uint64(0)
	for _, sf := range f.files {
		wantBytes += uint64(sf.a.Size)
	}
	if m.Counts.Files != 3 || m.Counts.FileBytes != wantBytes || m.Counts.Attachments != 6 {
		t.Errorf("counts %+v: want 3 files of %d bytes among 6 attachments (3 left to the relay)", m.Counts, wantBytes)
	}
	if sum, err := Summarize(t.Context(), src, ExportOptions{FilesFrom: f.dir}); err != nil || sum != m.Counts {
		t.Errorf("Summarize = %+v, %v; the export counted %+v", sum, err, m.Counts)
	}
	if bytes.Contains(agePlain(t, file), f.secret.plain) {
		t.Error("the secret chat's file is in the backup")
	}
	dstDir := filepath.Join(t.TempDir(), "attachments")
	var last Progress
	dst, _, err := Restore(t.Context(), filepath.Join(t.TempDir(), "v.db"), []byte(vaultPass), vaultOptions(), bytes.NewReader(file), backupPass,
		ImportOptions{FilesTo: dstDir, Progress: func(p Progress) { last = p }})
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	if last.FileBytes != int64(wantBytes) || last.TotalFileBytes != int64(wantBytes) {
		t.Errorf("last progress %+v, want %d file bytes", last, wantBytes)
	}
	for _, sf := range f.files {
		got, err := readStored(t, dst, dstDir, sf.a.ID)
		if err != nil || !bytes.Equal(got, sf.plain) {
			t.Errorf("file of %d bytes: read %d bytes, %v", sf.a.Size, len(got), err)
		}
	}
	if n := len(listDir(t, dstDir)); n != len(f.files) {
		t.Errorf("the folder holds %d entries, want %d: %v", n, len(f.files), listDir(t, dstDir))
	}
}

// TestFilesImportTwice: importing the same backup again writes no file and
// rewrites none.
func TestFilesImportTwice(t *testing.T) {
	src, _ := newVault(t, t.TempDir())
	f := populateFiles(t, src)
	file, _ := exportWithFiles(t, src, f.dir)
	dstDir := filepath.Join(t.TempDir(), "attachments")
	dst, _, err := Restore(t.Context(), filepath.Join(t.TempDir(), "v.db"), []byte(vaultPass), vaultOptions(), bytes.NewReader(file), backupPass, ImportOptions{FilesTo: dstDir})
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	before := listDir(t, dstDir)
	time.Sleep(10 * time.Millisecond) // a rewrite would show in the times
	for range 2 {
		res, err := Import(t.Context(), dst, bytes.NewReader(file), backupPass, ImportOptions{FilesTo: dstDir})
		if err != nil {
			t.Fatal(err)
		}
		if res.Added.Files != 0 || res.Added.Attachments != 0 {
			t.Errorf("the same backup again added %+v", res.Added)
		}
	}
	if after := listDir(t, dstDir); !slices.Equal(before, after) {
		t.Errorf("the folder changed:\n%s", diff(before, after))
	}
	// Into the source itself, whose folder has every file: nothing either.
	srcBefore := listDir(t, f.dir)
	if _, err := Import(t.Context(), src, bytes.NewReader(file), backupPass, ImportOptions{FilesTo: f.dir}); err != nil {
		t.Fatal(err)
	}
	if after := listDir(t, f.dir); !slices.Equal(srcBefore, after) {
		t.Errorf("the source's folder changed:\n%s", diff(srcBefore, after))
	}
}

// frames splits a backup's plaintext into its frames, after the magic.
func frames(t testing.TB, plain []byte) [][]byte {
	t.Helper()
	var out [][]byte
	for i := 12; i < len(plain); {
		n := int(binary.BigEndian.Uint32(plain[i+1:]))
		out = append(out, plain[i:i+5+n])
		i += 5 + n
	}
	return out
}

// reassemble joins frames (the last being the trailer) into a plaintext with a
// trailer that matches it again: what an attacker with the passphrase makes.
func reassemble(t testing.TB, fr [][]byte, counts backup.Counts) []byte {
	t.Helper()
	out := []byte("hush-backup\n")
	for _, f := range fr[:len(fr)-1] {
		out = append(out, f...)
	}
	body, err := strictcbor.EncMode().Marshal(backup.Trailer{Counts: counts, Bytes: uint64(len(out))})
	if err != nil {
		t.Fatal(err)
	}
	hdr := []byte{byte(backup.KindTrailer), 0, 0, 0, 0}
	binary.BigEndian.PutUint32(hdr[1:], uint32(len(body)))
	return append(append(out, hdr...), body...)
}

// TestBadFilesChangeNothing attacks a backup's files: the chunks of the big
// file cut, dropped, repeated or reordered, each in a plaintext whose trailer
// matches again. The import refuses each, and neither the vault nor the
// folder changes — no file, no temporary file.
func TestBadFilesChangeNothing(t *testing.T) {
	src, _ := newVault(t, t.TempDir())
	f := populateFiles(t, src)
	file, m := exportWithFiles(t, src, f.dir)
	fr := frames(t, agePlain(t, file))
	var chunks []int // the big file's three chunks, by frame index
	for i, b := range fr {
		if backup.Kind(b[0]) == backup.KindAttachmentData && len(b) > backup.FileChunkSize/2 {
			chunks = append(chunks, i)
		}
	}
	if len(chunks) != 3 {
		t.Fatalf("found %d chunks of the big file", len(chunks))
	}
	edit := func(fn func([][]byte) [][]byte) []byte {
		return ageFile(t, reassemble(t, fn(slices.Clone(fr)), m.Counts))
	}
	c0, c1 := fr[chunks[0]], fr[chunks[1]]
	attacks := map[string][]byte{
		"file cut inside its chunks": func() []byte {
			plain := agePlain(t, file)
			return ageFile(t, plain[:bytes.Index(plain, c1)+len(c1)/2])
		}(),
		"chunk missing":    edit(func(x [][]byte) [][]byte { return slices.Delete(x, chunks[1], chunks[1]+1) }),
		"chunk repeated":   edit(func(x [][]byte) [][]byte { return slices.Insert(x, chunks[1], c1) }),
		"chunks reordered": edit(func(x [][]byte) [][]byte { x[chunks[0]], x[chunks[1]] = c1, c0; return x }),
		"last chunk lost":  edit(func(x [][]byte) [][]byte { return slices.Delete(x, chunks[2], chunks[2]+1) }),
	}
	dstDir := filepath.Join(t.TempDir(), "attachments")
	dst, vpath := newVault(t, t.TempDir())
	// The account, so that the attacks are refused for their files, not for
	// being another account's.
	if err := dst.Update(t.Context(), func(tx *vault.Tx) error {
		accts, err := func() ([]vault.Account, error) {
			var a []vault.Account
			err := src.View(t.Context(), func(stx *vault.Tx) (err error) { a, err = stx.Accounts(); return err })
			return a, err
		}()
		if err != nil {
			return err
		}
		return tx.PutAccount(accts[0])
	}); err != nil {
		t.Fatal(err)
	}
	dst.Close()
	hash := fileHash(t, vpath)
	dst, err := vault.Open(t.Context(), vpath, []byte(vaultPass), vaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	for name, bad := range attacks {
		t.Run(name, func(t *testing.T) {
			_, err := Import(t.Context(), dst, bytes.NewReader(bad), backupPass, ImportOptions{FilesTo: dstDir})
			if !errors.Is(err, backup.ErrCorrupt) {
				t.Fatalf("Import = %v, want ErrCorrupt", err)
			}
			if l := listDir(t, dstDir); len(l) != 0 {
				t.Errorf("the folder holds %v", l)
			}
		})
	}
	dst.Close()
	if fileHash(t, vpath) != hash {
		t.Error("the vault file changed")
	}
	// The same backup unaltered imports, files and all: the attacks were
	// refused for what they altered.
	dst, err = vault.Open(t.Context(), vpath, []byte(vaultPass), vaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	if res, err := Import(t.Context(), dst, bytes.NewReader(ageFile(t, reassemble(t, fr, m.Counts))), backupPass, ImportOptions{FilesTo: dstDir}); err != nil || res.Added.Files != 3 {
		t.Fatalf("the unaltered backup: %+v, %v", res.Added, err)
	}
}

// TestFilesCancelLeavesNothing cancels an import and an export in the middle
// of a file: no file and no temporary file remain in either folder.
func TestFilesCancelLeavesNothing(t *testing.T) {
	src, _ := newVault(t, t.TempDir())
	f := populateFiles(t, src)
	file, _ := exportWithFiles(t, src, f.dir)
	dstDir := filepath.Join(t.TempDir(), "attachments")
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	_, _, err := Restore(ctx, filepath.Join(t.TempDir(), "v.db"), []byte(vaultPass), vaultOptions(), bytes.NewReader(file), backupPass,
		ImportOptions{FilesTo: dstDir, Progress: func(p Progress) {
			if p.FileBytes > 0 {
				cancel()
			}
		}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Restore = %v, want cancelled", err)
	}
	if l := listDir(t, dstDir); len(l) != 0 {
		t.Errorf("a cancelled restore left %v", l)
	}
	srcBefore := listDir(t, f.dir)
	out := filepath.Join(t.TempDir(), "b.hushbackup")
	ctx2, cancel2 := context.WithCancel(t.Context())
	defer cancel2()
	opts := exportOptions()
	opts.FilesFrom = f.dir
	opts.Progress = func(p Progress) {
		if p.FileBytes > 0 {
			cancel2()
		}
	}
	if _, err := ExportFile(ctx2, src, out, backupPass, opts); !errors.Is(err, context.Canceled) {
		t.Fatalf("ExportFile = %v, want cancelled", err)
	}
	if l := listDir(t, filepath.Dir(out)); len(l) != 0 {
		t.Errorf("a cancelled export left %v", l)
	}
	if after := listDir(t, f.dir); !slices.Equal(srcBefore, after) {
		t.Errorf("an export changed the folder:\n%s", diff(srcBefore, after))
	}
}

// TestNoFiles: an export without the folder holds no file, as version 3 did;
// its attachments restore, and their files are left to the relay.
func TestNoFiles(t *testing.T) {
	src, _ := newVault(t, t.TempDir())
	f := populateFiles(t, src)
	file, m := exportWithFiles(t, src, "")
	if m.Counts.Files != 0 || m.Counts.FileBytes != 0 || m.Counts.Attachments != 6 {
		t.Errorf("counts %+v", m.Counts)
	}
	if bytes.Contains(agePlain(t, file), f.files[0].plain[:64]) {
		t.Error("a file is in the backup")
	}
	dstDir := filepath.Join(t.TempDir(), "attachments")
	dst, res, err := Restore(t.Context(), filepath.Join(t.TempDir(), "v.db"), []byte(vaultPass), vaultOptions(), bytes.NewReader(file), backupPass, ImportOptions{FilesTo: dstDir})
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	if res.Added.Attachments != 6 || res.Added.Files != 0 || len(listDir(t, dstDir)) != 0 {
		t.Errorf("restored %+v, folder %v", res.Added, listDir(t, dstDir))
	}
}
