-- 0006: a finished blob may carry the time its uploader asked the relay to delete
-- it (wire.BlobFinish.ExpiresAt, Unix milliseconds; NULL: kept until deleted), so
-- the sweep that expires unfinished uploads deletes it then too (PGBlobs).
ALTER TABLE blobs ADD COLUMN expires_at bigint;
CREATE INDEX blobs_expiring ON blobs (expires_at) WHERE expires_at IS NOT NULL;
