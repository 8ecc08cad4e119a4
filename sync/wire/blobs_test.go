package wire

import (
	"bytes"
	"errors"
	"testing"

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
