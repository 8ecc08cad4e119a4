package wire

import (
	"fmt"

	"hush/ids"
)

// Attachments travel outside chat messages, as blobs: ciphertext the device
// uploads in chunks under a random [ids.File] and that any authenticated device
// knowing the id may download (docs/PROTOCOL.md, "Attachments").
const (
	// BlobChunkSize is the size of every chunk of a blob but the last, which holds
	// 1 to BlobChunkSize bytes: one 64 KiB chunk of plaintext sealed by
	// attachcrypto (its EncryptedChunkSize), so a chunk of the file is a chunk of
	// the blob.
	BlobChunkSize = 64<<10 + 16
	// MaxBlobSize is the largest blob the protocol describes; a relay sets its own,
	// smaller limit ([BlobState.MaxSize] tells it).
	MaxBlobSize = 4 << 30
	// maxBlobChunks is the chunk count of a blob of MaxBlobSize bytes.
	maxBlobChunks = (MaxBlobSize + BlobChunkSize - 1) / BlobChunkSize
)

// Blob frame types.
const (
	TypeBlobBegin  Type = 90 // device → relay → BlobState
	TypeBlobState  Type = 91 // relay → device
	TypeBlobPut    Type = 92 // device → relay → OK
	TypeBlobFinish Type = 93 // device → relay → OK
	TypeBlobGet    Type = 94 // device → relay → BlobChunk
	TypeBlobChunk  Type = 95 // relay → device
	TypeBlobDelete Type = 96 // device → relay → OK
)

// BlobBegin starts an upload of Size bytes of ciphertext under FileID, or resumes
// it: sent again with the same id and size it returns the chunks the relay
// already holds. A blob larger than the relay's limit fails with [CodeTooLarge];
// one that would take the account past its blob quota with [CodeQuotaExceeded];
// an id in use by another account or with another size with [CodeConflict].
type BlobBegin struct {
	_      struct{} `cbor:",toarray"`
	FileID ids.File
	Size   uint64
}

// BlobState answers [BlobBegin]. Have holds one bit per chunk (chunk i is bit
// i%8 of byte i/8) for the chunks the relay holds durably; Finished says the
// upload is complete and the blob can be downloaded.
type BlobState struct {
	_        struct{} `cbor:",toarray"`
	FileID   ids.File
	Size     uint64
	Have     []byte
	Finished bool
	// MaxSize is the relay's limit for one blob.
	MaxSize uint64
}

// Has reports whether the relay holds chunk i.
func (s *BlobState) Has(i int) bool {
	return i >= 0 && i/8 < len(s.Have) && s.Have[i/8]&(1<<(i%8)) != 0
}

// BlobPut uploads chunk Index of a blob begun by the caller's account. Putting a
// chunk twice is harmless. Data must have the chunk's exact length
// ([BlobChunkSize] except for the last chunk), or the relay answers [CodeConflict].
type BlobPut struct {
	_      struct{} `cbor:",toarray"`
	FileID ids.File
	Index  uint32
	Data   []byte
}

// BlobFinish completes an upload; it fails with [CodeConflict] while a chunk is
// missing. Only a finished blob can be downloaded.
//
// ExpiresAt (Unix milliseconds; 0 for none) asks the relay to delete the blob at
// that time, as if its uploader sent [BlobDelete] then: the auto-delete time of
// the message that carries the file, so the file goes even when every device of
// the uploader is offline. Finishing a finished blob again with an ExpiresAt
// sets it anew. It is optional on the wire: without it the body is the
// one-element array older clients send ([FileID]), with it [FileID, ExpiresAt].
type BlobFinish struct {
	FileID    ids.File
	ExpiresAt int64
}

// blobFinishV1 and blobFinishV2 are BlobFinish's two layouts: without and with
// an expiry.
type blobFinishV1 struct {
	_      struct{} `cbor:",toarray"`
	FileID ids.File
}

type blobFinishV2 struct {
	_         struct{} `cbor:",toarray"`
	FileID    ids.File
	ExpiresAt int64
}

// MarshalCBOR encodes the one-element layout when there is no expiry, so a
// finish without one is byte for byte what older clients send.
func (f *BlobFinish) MarshalCBOR() ([]byte, error) {
	if f.ExpiresAt == 0 {
		return theCodec.enc.Marshal(blobFinishV1{FileID: f.FileID})
	}
	return theCodec.enc.Marshal(blobFinishV2{FileID: f.FileID, ExpiresAt: f.ExpiresAt})
}

// UnmarshalCBOR decodes either layout. The two-element one must carry an expiry
// (a zero one is left out), so one finish has one encoding.
func (f *BlobFinish) UnmarshalCBOR(b []byte) error {
	var v1 blobFinishV1
	if err := theCodec.dec.Unmarshal(b, &v1); err == nil {
		*f = BlobFinish{FileID: v1.FileID}
		return nil
	}
	var v2 blobFinishV2
	if err := theCodec.dec.Unmarshal(b, &v2); err != nil {
		return err
	}
	if v2.ExpiresAt <= 0 {
		return badFrame("blob expiry %d", v2.ExpiresAt)
	}
	*f = BlobFinish{FileID: v2.FileID, ExpiresAt: v2.ExpiresAt}
	return nil
}

// BlobDelete deletes a blob, finished or not, and gives its bytes back to the
// uploader's blob quota. Only the account that began it may ([CodeForbidden]
// for any other). A blob the relay does not hold — never uploaded, deleted
// already, expired — answers [OK] as well: the relay keeps no trace of a deleted
// blob, and a device retrying a deletion whose answer it lost must not fail.
type BlobDelete struct {
	_      struct{} `cbor:",toarray"`
	FileID ids.File
}

// BlobGet downloads chunk Index of a finished blob; [CodeNotFound] if there is
// none under that id.
type BlobGet struct {
	_      struct{} `cbor:",toarray"`
	FileID ids.File
	Index  uint32
}

// BlobChunk answers [BlobGet] with the chunk and the blob's total size.
type BlobChunk struct {
	_      struct{} `cbor:",toarray"`
	FileID ids.File
	Index  uint32
	Size   uint64
	Data   []byte
}

// Type implements [Body].
func (*BlobBegin) Type() Type { return TypeBlobBegin }

// Type implements [Body].
func (*BlobState) Type() Type { return TypeBlobState }

// Type implements [Body].
func (*BlobPut) Type() Type { return TypeBlobPut }

// Type implements [Body].
func (*BlobFinish) Type() Type { return TypeBlobFinish }

// Type implements [Body].
func (*BlobGet) Type() Type { return TypeBlobGet }

// Type implements [Body].
func (*BlobChunk) Type() Type { return TypeBlobChunk }

// Type implements [Body].
func (*BlobDelete) Type() Type { return TypeBlobDelete }

func checkBlob(id ids.File, size uint64) error {
	if id.IsZero() {
		return badFrame("zero file id")
	}
	if size > MaxBlobSize {
		return &Error{Code: CodeTooLarge, Message: fmt.Sprintf("blob of %d bytes exceeds %d", size, uint64(MaxBlobSize))}
	}
	return nil
}

func checkChunkData(index uint32, data []byte) error {
	if index >= maxBlobChunks {
		return badFrame("chunk index %d out of range", index)
	}
	if len(data) == 0 || len(data) > BlobChunkSize {
		return badFrame("chunk of %d bytes", len(data))
	}
	return nil
}

func (b *BlobBegin) validate() error { return checkBlob(b.FileID, b.Size) }

func (s *BlobState) validate() error {
	if err := checkBlob(s.FileID, s.Size); err != nil {
		return err
	}
	if len(s.Have) > (maxBlobChunks+7)/8 {
		return badFrame("chunk bitmap of %d bytes", len(s.Have))
	}
	return nil
}

func (p *BlobPut) validate() error {
	if err := checkBlob(p.FileID, 0); err != nil {
		return err
	}
	return checkChunkData(p.Index, p.Data)
}

func (f *BlobFinish) validate() error {
	if f.ExpiresAt < 0 {
		return badFrame("blob expiry %d", f.ExpiresAt)
	}
	return checkBlob(f.FileID, 0)
}

func (d *BlobDelete) validate() error { return checkBlob(d.FileID, 0) }

func (g *BlobGet) validate() error {
	if err := checkBlob(g.FileID, 0); err != nil {
		return err
	}
	if g.Index >= maxBlobChunks {
		return badFrame("chunk index %d out of range", g.Index)
	}
	return nil
}

func (c *BlobChunk) validate() error {
	if err := checkBlob(c.FileID, c.Size); err != nil {
		return err
	}
	return checkChunkData(c.Index, c.Data)
}
