-- 0005: as migrations/0007_shared_read.sql: read_seq is the account's own read
-- position, shared_read_seq the one the other members are shown (a Private Mark
-- raises only the first; docs/PROTOCOL.md, "Receipts and typing"). Every read
-- position was shared until now, so the shared one starts where the own one is.
ALTER TABLE members ADD COLUMN shared_read_seq bigint NOT NULL DEFAULT 0;
UPDATE members SET shared_read_seq = read_seq;
