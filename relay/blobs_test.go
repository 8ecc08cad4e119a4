package relay_test

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"hush/ids"
	"hush/internal/pgtest"
	"hush/internal/testutil"
	"hush/relay"
	"hush/relay/relaytest"
	"hush/sync/wire"
)

// blobOf returns size bytes standing for ciphertext, cut into wire chunks.
func blobOf(size int) ([]byte, [][]byte) {
	b := make([]byte, size)
	for i := range b {
		b[i] = byte(i * 31)
	}
	var chunks [][]byte
	for off := 0; off < size; off += wire.BlobChunkSize {
		chunks = append(chunks, b[off:min(off+wire.BlobChunkSize, size)])
	}
	return b, chunks
}

func download(t *testing.T, c *relaytest.Conn, id ids.File, chunks int) []byte {
	t.Helper()
	var got []byte
	for i := range chunks {
		ch := request[*wire.BlobChunk](t, c, &wire.BlobGet{FileID: id, Index: uint32(i)})
		if ch.Index != uint32(i) || ch.FileID != id {
			t.Fatalf("chunk %d answered as %d of %v", i, ch.Index, ch.FileID)
		}
		got = append(got, ch.Data...)
	}
	return got
}

// TestBlobUploadResumesAcrossConnections uploads part of a blob, drops the
// connection and the relay, resumes from what the relay reports, and downloads
// it from another account; every misuse gets its documented code.
func TestBlobUploadResumesAcrossConnections(t *testing.T) {
	eachEngine(t, func(t *testing.T, o relaytest.Options, _ string) {
		r := relaytest.Start(t, &o)
		alice, bob := relaytest.NewAccount(t), relaytest.NewAccount(t)
		a := relaytest.Dial(t, r, alice)
		id := ids.New[ids.File]()
		data, chunks := blobOf(3*wire.BlobChunkSize + 77)
		begin := &wire.BlobBegin{FileID: id, Size: uint64(len(data))}

		st := request[*wire.BlobState](t, a, begin)
		if st.Finished || st.Has(0) || st.MaxSize != relay.DefaultMaxBlobSize {
			t.Fatalf("fresh upload state %+v", st)
		}
		request[*wire.OK](t, a, &wire.BlobPut{FileID: id, Index: 2, Data: chunks[2]})
		request[*wire.OK](t, a, &wire.BlobPut{FileID: id, Index: 0, Data: chunks[0]})
		requestErr(t, a, &wire.BlobFinish{FileID: id}, wire.CodeConflict)
		requestErr(t, a, &wire.BlobPut{FileID: id, Index: 1, Data: chunks[3]}, wire.CodeConflict)
		b := relaytest.Dial(t, r, bob)
		requestErr(t, b, &wire.BlobGet{FileID: id, Index: 0}, wire.CodeNotFound)
		requestErr(t, b, &wire.BlobPut{FileID: id, Index: 1, Data: chunks[1]}, wire.CodeNotFound)
		requestErr(t, b, &wire.BlobBegin{FileID: id, Size: uint64(len(data))}, wire.CodeConflict)
		requestErr(t, b, &wire.BlobFinish{FileID: id}, wire.CodeNotFound)

		// The connection and the relay go away; the upload resumes.
		a.Close()
		r = r.Restart(t)
		a = relaytest.Dial(t, r, alice)
		st = request[*wire.BlobState](t, a, begin)
		if !st.Has(0) || st.Has(1) || !st.Has(2) || st.Has(3) {
			t.Fatalf("resumed state %08b, want chunks 0 and 2", st.Have)
		}
		for i := range chunks {
			if !st.Has(i) {
				request[*wire.OK](t, a, &wire.BlobPut{FileID: id, Index: uint32(i), Data: chunks[i]})
			}
		}
		request[*wire.OK](t, a, &wire.BlobFinish{FileID: id})
		b = relaytest.Dial(t, r, bob)
		if got := download(t, b, id, len(chunks)); !bytes.Equal(got, data) {
			t.Fatal("downloaded blob differs from the upload")
		}
		requestErr(t, b, &wire.BlobGet{FileID: id, Index: uint32(len(chunks))}, wire.CodeConflict)
		requestErr(t, b, &wire.BlobGet{FileID: ids.New[ids.File](), Index: 0}, wire.CodeNotFound)
	})
}

func TestBlobSizeLimitAndQuota(t *testing.T) {
	eachEngine(t, func(t *testing.T, o relaytest.Options, _ string) {
		o.Blobs = relay.BlobConfig{MaxSize: 2 * wire.BlobChunkSize, Quota: 3 * wire.BlobChunkSize}
		r := relaytest.Start(t, &o)
		alice, bob := relaytest.NewAccount(t), relaytest.NewAccount(t)
		a, b := relaytest.Dial(t, r, alice), relaytest.Dial(t, r, bob)
		e := requestErr(t, a, &wire.BlobBegin{FileID: ids.New[ids.File](), Size: 2*wire.BlobChunkSize + 1}, wire.CodeTooLarge)
		t.Logf("too large: %v", e)
		request[*wire.BlobState](t, a, &wire.BlobBegin{FileID: ids.New[ids.File](), Size: 2 * wire.BlobChunkSize})
		request[*wire.BlobState](t, a, &wire.BlobBegin{FileID: ids.New[ids.File](), Size: wire.BlobChunkSize})
		e = requestErr(t, a, &wire.BlobBegin{FileID: ids.New[ids.File](), Size: 1}, wire.CodeQuotaExceeded)
		t.Logf("over quota: %v", e)
		// The quota is per account, and GetUsage tells each its own, apart from
		// the messages' count.
		if u := request[*wire.Usage](t, b, &wire.GetUsage{}); u.BlobUsedBytes != 0 || u.BlobQuotaBytes != 3*wire.BlobChunkSize {
			t.Fatalf("bob's usage before his upload: %+v", u)
		}
		request[*wire.BlobState](t, b, &wire.BlobBegin{FileID: ids.New[ids.File](), Size: 2 * wire.BlobChunkSize})
		if u := request[*wire.Usage](t, a, &wire.GetUsage{}); u.BlobUsedBytes != 3*wire.BlobChunkSize || u.BlobQuotaBytes != 3*wire.BlobChunkSize || u.UsedBytes != 0 {
			t.Fatalf("alice's usage: %+v", u)
		}
		if u := request[*wire.Usage](t, b, &wire.GetUsage{}); u.BlobUsedBytes != 2*wire.BlobChunkSize {
			t.Fatalf("bob's usage: %+v", u)
		}
	})
}

// TestBlobsSharedByRelays uploads through one relay and downloads through another
// on the same PostgreSQL database.
func TestBlobsSharedByRelays(t *testing.T) {
	dsn := pgtest.Database(t)
	r1 := relaytest.Start(t, &relaytest.Options{Postgres: dsn})
	r2 := relaytest.Start(t, &relaytest.Options{Postgres: dsn})
	alice, bob := relaytest.NewAccount(t), relaytest.NewAccount(t)
	a := relaytest.Dial(t, r1, alice)
	id := ids.New[ids.File]()
	data, chunks := blobOf(wire.BlobChunkSize + 5)
	request[*wire.BlobState](t, a, &wire.BlobBegin{FileID: id, Size: uint64(len(data))})
	for i, c := range chunks {
		request[*wire.OK](t, a, &wire.BlobPut{FileID: id, Index: uint32(i), Data: c})
	}
	request[*wire.OK](t, a, &wire.BlobFinish{FileID: id})
	if got := download(t, relaytest.Dial(t, r2, bob), id, len(chunks)); !bytes.Equal(got, data) {
		t.Fatal("blob read through the other relay differs")
	}
}

// TestBlobUnfinishedExpire checks that an upload left unfinished past the
// retention is deleted (and its quota freed) while a finished blob stays.
func TestBlobUnfinishedExpire(t *testing.T) {
	eachEngine(t, func(t *testing.T, o relaytest.Options, _ string) {
		clk := fakeClock()
		o.Clock = clk
		o.Blobs = relay.BlobConfig{Retention: time.Hour, Quota: 2 * wire.BlobChunkSize}
		r := relaytest.Start(t, &o)
		a := relaytest.Dial(t, r, relaytest.NewAccount(t))
		done, left := ids.New[ids.File](), ids.New[ids.File]()
		_, chunks := blobOf(wire.BlobChunkSize)
		request[*wire.BlobState](t, a, &wire.BlobBegin{FileID: done, Size: wire.BlobChunkSize})
		request[*wire.OK](t, a, &wire.BlobPut{FileID: done, Data: chunks[0]})
		request[*wire.OK](t, a, &wire.BlobFinish{FileID: done})
		request[*wire.BlobState](t, a, &wire.BlobBegin{FileID: left, Size: wire.BlobChunkSize})
		requestErr(t, a, &wire.BlobBegin{FileID: ids.New[ids.File](), Size: 1}, wire.CodeQuotaExceeded)

		clk.Advance(2 * time.Hour)
		testutil.Eventually(t, 10*time.Second, "the unfinished upload expired", func() bool {
			resp, err := a.Request(testCtx(t), &wire.BlobPut{FileID: left, Data: chunks[0]})
			_ = resp
			return err != nil
		})
		requestErr(t, a, &wire.BlobPut{FileID: left, Data: chunks[0]}, wire.CodeNotFound)
		request[*wire.BlobChunk](t, a, &wire.BlobGet{FileID: done})
		request[*wire.BlobState](t, a, &wire.BlobBegin{FileID: ids.New[ids.File](), Size: 1})
	})
}

// TestBlobRate checks that chunk frames are limited by bytes, not by the request
// rate: a burst of chunks well past the request burst passes, and a blob rate
// below the traffic is enforced.
func TestBlobRate(t *testing.T) {
	clk := fakeClock()
	o := relaytest.Options{Clock: clk, Limits: relay.Limits{RatePerSecond: 1, Burst: 5}}
	r := relaytest.Start(t, &o)
	a := relaytest.Dial(t, r, relaytest.NewAccount(t))
	id := ids.New[ids.File]()
	data, chunks := blobOf(20 * wire.BlobChunkSize)
	request[*wire.BlobState](t, a, &wire.BlobBegin{FileID: id, Size: uint64(len(data))})
	for i, c := range chunks {
		request[*wire.OK](t, a, &wire.BlobPut{FileID: id, Index: uint32(i), Data: c})
	}
	request[*wire.OK](t, a, &wire.BlobFinish{FileID: id})

	// The blob bucket's burst is 64 chunks: send more.
	o2 := relaytest.Options{Clock: clk, Blobs: relay.BlobConfig{BytesPerSecond: 1}}
	r2 := relaytest.Start(t, &o2)
	b := relaytest.Dial(t, r2, relaytest.NewAccount(t))
	id2 := ids.New[ids.File]()
	data, chunks = blobOf(70 * wire.BlobChunkSize)
	request[*wire.BlobState](t, b, &wire.BlobBegin{FileID: id2, Size: uint64(len(data))})
	limited := false
	for i, c := range chunks {
		if _, err := b.Request(testCtx(t), &wire.BlobPut{FileID: id2, Index: uint32(i), Data: c}); err != nil {
			requestErr(t, b, &wire.BlobPut{FileID: id2, Index: uint32(i), Data: c}, wire.CodeRateLimited)
			limited = true
			break
		}
	}
	if !limited {
		t.Fatal("a blob rate of 1 byte per second let 70 chunks through")
	}
}

// uploadBlob uploads a blob of one chunk from c and finishes it with expires
// (0: none); finish false leaves it mid-upload.
func uploadBlob(t *testing.T, c *relaytest.Conn, finish bool, expires int64) ids.File {
	t.Helper()
	id := ids.New[ids.File]()
	_, chunks := blobOf(wire.BlobChunkSize)
	request[*wire.BlobState](t, c, &wire.BlobBegin{FileID: id, Size: wire.BlobChunkSize})
	request[*wire.OK](t, c, &wire.BlobPut{FileID: id, Data: chunks[0]})
	if finish {
		request[*wire.OK](t, c, &wire.BlobFinish{FileID: id, ExpiresAt: expires})
	}
	return id
}

// TestBlobDelete: only the uploader's account deletes a blob (another account,
// attacking first, gets CodeForbidden and the blob stays); an unknown id and a
// second deletion answer OK, so a device retrying never fails; a deleted blob,
// finished or mid-upload, is gone for everyone and its bytes leave the quota.
func TestBlobDelete(t *testing.T) {
	eachEngine(t, func(t *testing.T, o relaytest.Options, _ string) {
		r := relaytest.Start(t, &o)
		alice, mallory, bob := relaytest.NewAccount(t), relaytest.NewAccount(t), relaytest.NewAccount(t)
		a, m, b := relaytest.Dial(t, r, alice), relaytest.Dial(t, r, mallory), relaytest.Dial(t, r, bob)
		finished, mid := uploadBlob(t, a, true, 0), uploadBlob(t, a, false, 0)
		if u := request[*wire.Usage](t, a, &wire.GetUsage{}); u.BlobUsedBytes != 2*wire.BlobChunkSize {
			t.Fatalf("usage before = %+v", u)
		}
		for _, tc := range []struct {
			name string
			by   *relaytest.Conn
			id   ids.File
			code wire.Code // 0: OK
			gone bool      // bob's download fails afterwards
		}{
			{"another account", m, finished, wire.CodeForbidden, false},
			{"another account, mid-upload", m, mid, wire.CodeForbidden, false},
			{"unknown id", a, ids.New[ids.File](), 0, true},
			{"owner", a, finished, 0, true},
			{"twice", a, finished, 0, true},
			{"mid-upload", a, mid, 0, true},
		} {
			resp, err := tc.by.Request(testCtx(t), &wire.BlobDelete{FileID: tc.id})
			var we *wire.Error
			switch {
			case tc.code == 0 && err != nil:
				t.Errorf("%s: %v", tc.name, err)
			case tc.code == 0:
				if _, ok := resp.(*wire.OK); !ok {
					t.Errorf("%s: answered %v", tc.name, resp.Type())
				}
			case !errors.As(err, &we) || we.Code != tc.code:
				t.Errorf("%s: err = %v, want code %v", tc.name, err, tc.code)
			}
			if tc.id != mid {
				_, err = b.Request(testCtx(t), &wire.BlobGet{FileID: tc.id})
				if gone := errors.As(err, &we) && we.Code == wire.CodeNotFound; gone != tc.gone || (!gone && err != nil) {
					t.Errorf("%s: bob's download afterwards: %v", tc.name, err)
				}
			}
		}
		requestErr(t, a, &wire.BlobPut{FileID: mid, Data: make([]byte, wire.BlobChunkSize)}, wire.CodeNotFound)
		if u := request[*wire.Usage](t, a, &wire.GetUsage{}); u.BlobUsedBytes != 0 {
			t.Fatalf("usage after deleting both = %+v", u)
		}
	})
}

// TestBlobExpirySweep: a blob finished with an expiry is deleted by the relay's
// sweep once its time has come (on the relay's clock), with no device online;
// one without stays.
func TestBlobExpirySweep(t *testing.T) {
	eachEngine(t, func(t *testing.T, o relaytest.Options, _ string) {
		clk := fakeClock()
		o.Clock = clk
		r := relaytest.Start(t, &o)
		a := relaytest.Dial(t, r, relaytest.NewAccount(t))
		expires := clk.Now().Add(3 * time.Hour).UnixMilli()
		expiring, kept := uploadBlob(t, a, true, expires), uploadBlob(t, a, true, 0)
		later := uploadBlob(t, a, true, 0)
		// Finishing again sets an expiry on a finished blob.
		request[*wire.OK](t, a, &wire.BlobFinish{FileID: later, ExpiresAt: expires})
		a.Close()
		b := relaytest.Dial(t, r, relaytest.NewAccount(t))

		clk.Advance(2 * time.Hour) // a sweep runs, nothing due yet
		time.Sleep(50 * time.Millisecond)
		request[*wire.BlobChunk](t, b, &wire.BlobGet{FileID: expiring})
		clk.Advance(2 * time.Hour)
		testutil.Eventually(t, 10*time.Second, "the expired blobs were deleted", func() bool {
			_, err1 := b.Request(testCtx(t), &wire.BlobGet{FileID: expiring})
			_, err2 := b.Request(testCtx(t), &wire.BlobGet{FileID: later})
			return err1 != nil && err2 != nil
		})
		requestErr(t, b, &wire.BlobGet{FileID: expiring}, wire.CodeNotFound)
		request[*wire.BlobChunk](t, b, &wire.BlobGet{FileID: kept})
	})
}
