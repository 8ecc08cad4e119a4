-- 0003: the blob store of attachments (blobs.go, PGBlobs): ciphertext in chunks
-- of wire.BlobChunkSize bytes, shared by every relay on this database.
-- created_at: Unix milliseconds when the upload began.
CREATE TABLE blobs (
	id         bytea PRIMARY KEY,
	owner      bytea NOT NULL,
	size       bigint NOT NULL,
	created_at bigint NOT NULL,
	finished   boolean NOT NULL DEFAULT false
);
CREATE INDEX blobs_owner ON blobs (owner);
CREATE INDEX blobs_unfinished ON blobs (created_at) WHERE NOT finished;

CREATE TABLE blob_chunks (
	blob_id bytea NOT NULL REFERENCES blobs (id) ON DELETE CASCADE,
	idx     integer NOT NULL,
	data    bytea NOT NULL,
	PRIMARY KEY (blob_id, idx)
);
