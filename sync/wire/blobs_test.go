package wire

import (
	"bytes"
	"errors"
	"testing"

	"github.com/fxamacker/cbor/v2"

	"hush/ids"
)

// blobSamples holds one populated body of every blob frame type, for samples().
func blobSamples() []Body {
	file := ids.File(id16(7))
	return []Body{
		&BlobBegin{FileID: file, Size: 3*BlobChunkSize + 5},
		&BlobState{FileID: file, Size: 3*BlobChunkSize + 5, Have: []byte{0b1011}, MaxSize: 100 << 20},
		&BlobPut{FileID: file, Index: 2, Data: []byte("chunk")},
		&BlobFinish{FileID: file},
		&BlobFinish{FileID: file, ExpiresAt: 1700000000123},
		&BlobDelete{FileID: file},
		&BlobGet{FileID: file, Index: 3},
		&BlobChunk{FileID: file, Index: 3, Size: 3*BlobChunkSize + 5, Data: []byte("tail!")},
	}
}

func TestBlobLimits(t *testing.T) {
	file := ids.File(id16(7))
	for _, tc := range []struct {
		name string
		body Body
		want error
	}{
		{"zero id", &BlobBegin{Size: 1}, ErrBadFrame},
		{"blob over MaxBlobSize", &BlobBegin{FileID: file, Size: MaxBlobSize + 1}, ErrTooLarge},
		{"chunk over BlobChunkSize", &BlobPut{FileID: file, Data: make([]byte, BlobChunkSize+1)}, ErrBadFrame},
		{"empty chunk", &BlobPut{FileID: file}, ErrBadFrame},
		{"chunk index past the largest blob", &BlobGet{FileID: file, Index: maxBlobChunks}, ErrBadFrame},
		{"negative expiry", &BlobFinish{FileID: file, ExpiresAt: -1}, ErrBadFrame},
		{"delete of the zero id", &BlobDelete{}, ErrBadFrame},
		{"bitmap too long", &BlobState{FileID: file, Have: make([]byte, (maxBlobChunks+7)/8+1)}, ErrBadFrame},
	} {
		if _, err := Encode(1, tc.body); !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
	}
	// The largest chunk fits in a frame.
	b, err := Encode(1, &BlobChunk{FileID: file, Index: maxBlobChunks - 1, Size: MaxBlobSize, Data: bytes.Repeat([]byte{1}, BlobChunkSize)})
	if err != nil {
		t.Fatalf("largest chunk: %v", err)
	}
	if len(b) > MaxFrameSize {
		t.Fatalf("largest chunk frame of %d bytes", len(b))
	}
	s := BlobState{Have: []byte{0b0000_0101}}
	for i, want := range []bool{true, false, true, false, false, false, false, false, false} {
		if s.Has(i) != want {
			t.Errorf("Has(%d) = %v", i, !want)
		}
	}
	if s.Has(-1) {
		t.Error("Has(-1)")
	}
}

// TestBlobFinishLayouts checks that the expiry is optional on the wire: a finish
// without one is the one-element array older clients send, which a relay still
// reads; with one it is a second element; a second element of 0 is refused, so a
// finish has one encoding.
func TestBlobFinishLayouts(t *testing.T) {
	file := ids.File(id16(7))
	old, err := cbor.Marshal(blobFinishV1{FileID: file})
	if err != nil {
		t.Fatal(err)
	}
	got, err := cbor.Marshal(&BlobFinish{FileID: file})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, old) {
		t.Fatalf("a finish without expiry encodes as %x, older clients send %x", got, old)
	}
	for _, tc := range []struct {
		name string
		body any
		want BlobFinish
		ok   bool
	}{
		{"older client's", blobFinishV1{FileID: file}, BlobFinish{FileID: file}, true},
		{"with expiry", blobFinishV2{FileID: file, ExpiresAt: 42}, BlobFinish{FileID: file, ExpiresAt: 42}, true},
		{"expiry 0 spelled out", blobFinishV2{FileID: file}, BlobFinish{}, false},
		{"negative expiry", blobFinishV2{FileID: file, ExpiresAt: -5}, BlobFinish{}, false},
		{"three elements", []any{file, int64(1), int64(2)}, BlobFinish{}, false},
	} {
		raw, err := cbor.Marshal(tc.body)
		if err != nil {
			t.Fatal(err)
		}
		frame, err := cbor.Marshal(outEnvelope{Version: Version, Type: TypeBlobFinish, ReqID: 1, Body: cbor.RawMessage(raw)})
		if err != nil {
			t.Fatal(err)
		}
		f, err := Decode(frame)
		switch {
		case tc.ok && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.ok && *f.Body.(*BlobFinish) != tc.want:
			t.Errorf("%s: decoded %+v, want %+v", tc.name, f.Body, tc.want)
		case !tc.ok && !errors.Is(err, ErrBadFrame):
			t.Errorf("%s: err = %v, want ErrBadFrame", tc.name, err)
		}
	}
}
