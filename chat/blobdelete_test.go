package chat

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"hush/clock"
	"hush/ids"
	"hush/internal/testutil"
	"hush/relay/relaytest"
	"hush/sync/wire"
	"hush/vault"
)

// blobHeld reports whether the relay still serves file id, asked through a raw
// connection of prober, an account of its own.
func blobHeld(t *testing.T, r *relaytest.Relay, prober *relaytest.Device, id ids.File) bool {
	t.Helper()
	c := relaytest.Dial(t, r, prober)
	defer c.Close()
	_, err := c.Request(context.Background(), &wire.BlobGet{FileID: id})
	if err != nil && !errors.Is(err, wire.ErrNotFound) {
		t.Fatalf("download: %v", err)
	}
	return err == nil
}

// blobJobsOf returns the blob requests p's vault holds queued.
func blobJobsOf(t *testing.T, p *peer) []blobJob {
	t.Helper()
	var jobs []blobJob
	err := p.vault.View(context.Background(), func(tx *vault.Tx) (err error) {
		jobs, err = settingList[blobJob](tx, blobJobsSetting)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return jobs
}

// sendFile has p send a file of its own to chatID and waits until q has the
// message; it returns the message and the file's id.
func sendFile(t *testing.T, p, q *peer, chatID ids.Chat) (Message, ids.File) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(path, bytes.Repeat([]byte("a line of notes\n"), 9000), 0o600); err != nil {
		t.Fatal(err)
	}
	m, err := p.engine.SendFiles(context.Background(), chatID, []string{path}, "the notes", nil)
	if err != nil {
		t.Fatal(err)
	}
	waitMessage(t, "the file", chatID, m.ID, func(x Message) bool { return len(x.Files) == 1 }, q)
	return m, m.Files[0].ID
}

// filesPair is a direct chat of Alice and Bob on r, whose engines keep files and
// whose expirers run on clocks of their own.
func filesPair(t *testing.T, r *relaytest.Relay, fa, fb *clock.Fake) (alice, bob *peer, chatID ids.Chat) {
	t.Helper()
	files := func(f *clock.Fake) func(*Engine) {
		dir := filepath.Join(t.TempDir(), "files")
		return func(e *Engine) { e.attachDir, e.list.attachDir, e.expiry.clk = dir, dir, f }
	}
	alice = newTunedPeer(t, "Alice", "ws://"+r.Addr, files(fa))
	bob = newTunedPeer(t, "Bob", "ws://"+r.Addr, files(fb))
	alice.register(t, "alice")
	bob.register(t, "bob")
	chatID = direct(t, alice, bob, "@bob")
	accept(t, bob, chatID)
	return alice, bob, chatID
}

// TestDeleteForEveryoneDeletesTheFile: a message with a file deleted for
// everyone by its author takes the file off the relay too; the queue empties.
func TestDeleteForEveryoneDeletesTheFile(t *testing.T) {
	r := startRelay(t)
	now := time.Now()
	alice, bob, chatID := filesPair(t, r, clock.NewFake(now), clock.NewFake(now))
	m, file := sendFile(t, alice, bob, chatID)
	prober := relaytest.NewAccount(t)
	if !blobHeld(t, r, prober, file) {
		t.Fatal("the file is not on the relay after sending")
	}
	if _, err := alice.engine.DeleteMessage(context.Background(), chatID, m.ID); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 20*time.Second, "the file deleted from the relay", func() bool { return !blobHeld(t, r, prober, file) })
	testutil.Eventually(t, 10*time.Second, "Alice's queue empty", func() bool { return len(blobJobsOf(t, alice)) == 0 })
	waitMessage(t, "the deletion", chatID, m.ID, func(x Message) bool { return x.Placeholder == Deleted }, bob)
	if jobs := blobJobsOf(t, bob); len(jobs) != 0 {
		t.Errorf("Bob, who did not upload the file, queued %d requests", len(jobs))
	}
}

// TestAutoDeleteDeletesTheFile: in a chat with auto-delete on, a file sent is
// given its expiry at the relay, and goes when the sender's device wipes the
// message; Bob, whose clock has not got there, keeps the message and is told
// clearly that the file was deleted when he downloads it.
func TestAutoDeleteDeletesTheFile(t *testing.T) {
	ctx := context.Background()
	r := startRelay(t)
	now := time.Now()
	fa := clock.NewFake(now)
	alice, bob, chatID := filesPair(t, r, fa, clock.NewFake(now))
	if _, err := alice.engine.SetAutoDelete(ctx, chatID, day); err != nil {
		t.Fatal(err)
	}
	waitAutoDelete(t, chatID, day, alice, bob)
	m, file := sendFile(t, alice, bob, chatID)
	prober := relaytest.NewAccount(t)
	// The expiry went to the relay — the message's auto-delete time, plus the
	// clock tolerance — and the queue holds nothing more.
	testutil.Eventually(t, 10*time.Second, "the expiry sent", func() bool { return len(blobJobsOf(t, alice)) == 0 })
	raw, err := os.ReadFile(filepath.Join(r.DBPath+".blobs", file.String()[:2], file.String()+".meta"))
	if err != nil {
		t.Fatal(err)
	}
	var meta struct{ Expires int64 }
	if err := json.Unmarshal(raw, &meta); err != nil {
		t.Fatal(err)
	}
	if want := m.SentAt.Add(day + clockTolerance).UnixMilli(); meta.Expires != want {
		t.Fatalf("the relay deletes the file at %v, want %v", time.UnixMilli(meta.Expires), time.UnixMilli(want))
	}
	if !blobHeld(t, r, prober, file) {
		t.Fatal("the file is not on the relay after sending")
	}

	fa.Advance(day + time.Minute)
	testutil.Eventually(t, 20*time.Second, "the file deleted from the relay", func() bool { return !blobHeld(t, r, prober, file) })
	if _, found := messageByID(t, bob, chatID, m.ID); !found {
		t.Fatal("Bob's message went before his own clock got there")
	}
	err = bob.engine.DownloadFile(ctx, file, nil)
	if !errors.Is(err, ErrFileDeleted) || !errors.Is(err, ErrNotFound) {
		t.Fatalf("download of a deleted file: %v", err)
	}
}

// TestBlobDeleteWaitsForTheRelay: a deletion made while the relay is down, by an
// engine that then stops, is kept in the vault and sent once a restarted engine
// reaches the relay again.
func TestBlobDeleteWaitsForTheRelay(t *testing.T) {
	r := startRelay(t)
	now := time.Now()
	alice, bob, chatID := filesPair(t, r, clock.NewFake(now), clock.NewFake(now))
	m, file := sendFile(t, alice, bob, chatID)
	prober := relaytest.NewAccount(t)

	if err := r.Stop(); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 20*time.Second, "Alice offline", func() bool { return alice.engine.Connection().State != LinkOnline })
	if _, err := alice.engine.DeleteMessage(context.Background(), chatID, m.ID); err != nil {
		t.Fatal(err)
	}
	if jobs := blobJobsOf(t, alice); len(jobs) != 1 || ids.File(jobs[0].File) != file || jobs[0].Expires != 0 {
		t.Fatalf("queued while offline: %+v", jobs)
	}
	alice.stop()
	r = r.Restart(t)
	if !blobHeld(t, r, prober, file) {
		t.Fatal("the file went while Alice was offline")
	}
	alice.start(t)
	testutil.Eventually(t, 20*time.Second, "the file deleted once back", func() bool { return !blobHeld(t, r, prober, file) })
	testutil.Eventually(t, 10*time.Second, "Alice's queue empty", func() bool { return len(blobJobsOf(t, alice)) == 0 })
}

// TestQueueBlobJobs: a deletion replaces an expiry queued for the same file, an
// expiry does not replace a deletion, and the queue keeps its newest requests.
func TestQueueBlobJobs(t *testing.T) {
	p := newPeer(t, "Alice", "ws://127.0.0.1:1")
	a, b := ids.New[ids.File](), ids.New[ids.File]()
	for _, step := range []struct {
		files   []ids.File
		expires int64
	}{
		{[]ids.File{a, b}, 500}, {[]ids.File{a}, 0}, {[]ids.File{a, b}, 900},
	} {
		err := p.vault.Update(context.Background(), func(tx *vault.Tx) error { return queueBlobJobs(tx, step.files, step.expires) })
		if err != nil {
			t.Fatal(err)
		}
	}
	jobs := blobJobsOf(t, p)
	if len(jobs) != 2 || ids.File(jobs[0].File) != a || jobs[0].Expires != 0 || ids.File(jobs[1].File) != b || jobs[1].Expires != 900 {
		t.Fatalf("queue %+v", jobs)
	}
}
